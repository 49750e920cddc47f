/* server_svc: the training service's internals (server_http.h), shared by
 * its three files: server_http.c (routes), server_store.c (uploads),
 * server_job.c (training and prediction). The mutex guards the job fields
 * and serialises writes to the store, so a check ("every batch present")
 * and the write it allows cannot interleave with another upload. */
#ifndef CRYPTONN_PROTOCOL_SERVER_SVC_H
#define CRYPTONN_PROTOCOL_SERVER_SVC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/http.h"
#include "protocol/server_http.h"
#include "secure/encdata.h"

enum { JOB_IDLE, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_STOPPED };

typedef struct {
    char model[16], act[16];
    uint32_t epochs, hidden, threads;
    double lr, momentum;
    uint64_t seed, max_batches;
    unsigned dlog_bits, w_bits, dz_bits;
    int freeze;
} job_opts;

struct cn_server_http {
    char dir[2048], data[2100], tests[2100], train[2100], cache[2100];
    cn_enc_params p;
    size_t batch_max; /* largest batch file accepted */
    cn_http_client_opts auth;
    char auth_base[1024], auth_token[65], auth_cacert[2048];
    unsigned threads;
    pthread_mutex_t mu;
    /* the job (under mu) */
    pthread_t thr;
    int thr_live;
    volatile int cancel;
    int state;
    job_opts jo;
    uint32_t epoch;
    uint64_t batch, batches;  /* in the current epoch */
    uint64_t samples_seen, correct;
    double loss_sum;
    uint64_t retries;
    cn_http_client *job_auth; /* the job's authority client while it runs (its retries) */
    double seconds;
    char message[512];
};

/* ---- store (server_store.c) ---- */
int store_name_ok(const char *s);
/* dataset directory of a training part (s->data) or of test part NAME */
int store_dataset_dir(const cn_server_http *s, int test, const char *name, char *out, size_t cap);
/* Each returns an HTTP status and fills msg (or a JSON body for list). */
unsigned store_put_batch(cn_server_http *s, int test, const char *name, uint64_t index,
                         const uint8_t *body, size_t len, char *msg, size_t msg_len);
unsigned store_put_index(cn_server_http *s, int test, const char *name, const uint8_t *body,
                         size_t len, char *msg, size_t msg_len);
unsigned store_list(cn_server_http *s, int test, const char *name, char **json, char *msg,
                    size_t msg_len);
/* Removes temporary files left by a crash in the middle of a write. */
void store_sweep(const cn_server_http *s);

/* ---- job (server_job.c) ---- */
void job_opts_default(job_opts *o);
/* Parses and validates the JSON options of POST /v1/train (400 on error). */
unsigned job_parse(const uint8_t *body, size_t len, job_opts *o, char *msg, size_t msg_len);
/* Starts a new job (409 if one runs). */
unsigned job_start(cn_server_http *s, const job_opts *o, char *msg, size_t msg_len);
/* Resumes the job of job.json if it neither finished nor failed. */
int job_resume_at_startup(cn_server_http *s);
void job_stop(cn_server_http *s);
char *job_status_json(cn_server_http *s);
unsigned job_predict(cn_server_http *s, const uint8_t *body, size_t len, char **json, char *msg,
                     size_t msg_len);

#endif
