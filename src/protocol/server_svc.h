/* server_svc: the training service's internals (server_http.h), shared by
 * its files: server_http.c (routes and who may use them), server_parts.c
 * (where parts are, their indexes, each owner's use, state and listings),
 * server_store.c (changes to parts), server_check.c (verification of
 * parts, quarantine, the fair queue of verifications), server_job.c
 * (training and prediction).
 *
 * Locking: mu guards the job fields, the per-owner upload counters and the
 * part locks, and every change of a part's state on disk (declare,
 * complete, delete, quarantine), so a check ("the part is open") and the
 * change it allows cannot interleave. Batch files are written outside mu
 * under a shared part lock; completing or deleting a part takes it
 * exclusively. The verification queue has its own lock (gmu). */
#ifndef CRYPTONN_PROTOCOL_SERVER_SVC_H
#define CRYPTONN_PROTOCOL_SERVER_SVC_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/http.h"
#include "protocol/server_http.h"
#include "secure/encdata.h"
#include "secure/train.h"

enum { JOB_IDLE, JOB_RUNNING, JOB_DONE, JOB_FAILED, JOB_STOPPED };

/* A part's name as its owner gives it: [A-Za-z0-9_-]{1,39}; on disk it is
 * OWNER-NAME (at most 64 characters, a valid encdata part name). */
#define SRV_NAME_MAX 39
#define SRV_KEY_MAX (CN_OWNER_NAME_MAX + 1 + SRV_NAME_MAX)

typedef struct {
    char model[16], act[16];     /* model "lenet5", "mlp" or "file": model_json */
    char model_json[3072];       /* a model file (docs/DATA.md), compact JSON */
    uint32_t epochs, hidden, threads;
    double lr, momentum;
    uint64_t seed, max_batches;
    unsigned dlog_bits, w_bits, dz_bits;
    int freeze;
    int skip_bad; /* on_bad_part: 1 skip, 0 stop */
} job_opts;

/* Per owner (under mu): what its parts use (open, complete and
 * quarantined ones: declared batches, stored batch bytes), its requests in
 * progress and the bytes they are writing. */
typedef struct {
    char owner[CN_OWNER_NAME_MAX + 1];
    uint32_t parts;
    uint64_t batches, bytes;
    uint32_t inflight;
    uint64_t reserved;
} srv_owner_use;

/* A part's index: samples, batches, flags. */
typedef struct {
    uint64_t samples, batches;
    uint32_t flags;
} srv_index;

/* A part locked by requests in progress: shared by batch uploads, exclusive
 * for completion and deletion. */
typedef struct {
    int test;
    char key[SRV_KEY_MAX + 1];
    uint32_t shared;
    int exclusive;
} srv_part_lock;

/* Per owner in the verification queue (under gmu). */
typedef struct {
    char owner[CN_OWNER_NAME_MAX + 1];
    uint32_t pending; /* its verifications under way */
    uint32_t waiting; /* of those, waiting for a turn */
    uint64_t since;   /* cn_now_ns() when its next request began to wait */
    uint64_t last;    /* when it last finished a turn (a counter) */
} srv_gate_owner;

struct cn_server_http {
    char dir[2048], data[2100], tests[2100], train[2100], cache[2100], quar[2100];
    cn_enc_params p;
    size_t batch_max; /* largest batch file accepted */
    cn_server_quota q;
    cn_http_client_opts auth;
    char auth_base[1024], auth_token[65], auth_cacert[2048];
    unsigned threads;
    pthread_mutex_t mu;
    srv_owner_use *use;
    size_t nuse;
    srv_part_lock *locks;
    size_t nlocks;
    /* the verification queue (gmu) */
    pthread_mutex_t gmu;
    pthread_cond_t gcv;
    int gate_free;
    uint64_t gate_clock;
    srv_gate_owner *gate;
    size_t ngate;
    /* the job (under mu) */
    pthread_t thr;
    int thr_live;
    /* The job thread's last act (under mu, with exited signalled): past it
     * the thread touches nothing of s, so a new job may replace it. Its
     * final state is set earlier, so "done" alone does not mean that. */
    int thr_exited;
    pthread_cond_t exited;
    volatile int cancel;
    int stop_asked; /* the operator's stop (not a shutdown) */
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
    /* Under mpirun (rank 0): held by the one thread that talks to the other
     * ranks (a job's thread for the whole job, or a prediction), as
     * MPI_THREAD_SERIALIZED asks (secure/dist.c). */
    pthread_mutex_t dist_mu;
};

/* The state directory's paths (dir, data, tests, train, cache, quar) in s. */
void srv_set_paths(cn_server_http *s, const char *dir);

/* ---- parts (server_parts.c) ---- */
/* 1 if s is a valid part name (SRV_NAME_MAX). */
int srv_name_ok(const char *s);
/* OWNER-NAME into key (SRV_KEY_MAX + 1 bytes). */
void srv_key(const char *owner, const char *name, char *key);
/* The dataset directory holding part KEY: s->data for training parts,
 * tests/KEY for a test part; and the part's own directory in it. */
int srv_dataset_dir(const cn_server_http *s, int test, const char *key, char *out, size_t cap);
void srv_part_dir(const cn_server_http *s, int test, const char *key, char *out, size_t cap);
int srv_exists(const char *dir, const char *file);
int srv_index_parse(const uint8_t *pl, size_t plen, srv_index *ix);
/* dir/file ("index.bin" or "declared.bin") as an index. */
int srv_index_read(const char *dir, const char *file, srv_index *ix);
/* A part directory's declared batches (0 if it has no readable index) and
 * the bytes of its batch files. */
uint64_t srv_part_batches(const char *pdir);
uint64_t srv_dir_bytes(const char *dir);
/* The entry of owner in a table of structs of size bytes that begin with
 * the owner's name (srv_owner_use, srv_gate_owner), appended zeroed when
 * missing; NULL when out of memory. */
void *srv_owner_slot(void **table, size_t *n, size_t size, const char *owner);
srv_owner_use *srv_use_of(cn_server_http *s, const char *owner);
/* Counts every owner's use from the disk (at start). */
void srv_usage_scan(cn_server_http *s);
unsigned srv_store_state(cn_server_http *s, int test, const char *owner, const char *name,
                         char **json);
/* Every part of owner (NULL: of every owner), as JSON. */
unsigned srv_store_list(cn_server_http *s, const char *owner, char **json);

/* ---- store (server_store.c) ---- */
/* Each returns an HTTP status and fills msg. owner is the requesting owner;
 * name its part. */
unsigned srv_store_declare(cn_server_http *s, int test, const char *owner, const char *name,
                           const uint8_t *body, size_t len, char *msg, size_t msg_len);
unsigned srv_store_put_batch(cn_server_http *s, int test, const char *owner, const char *name,
                             uint64_t index, const uint8_t *body, size_t len, char *msg,
                             size_t msg_len);
unsigned srv_store_complete(cn_server_http *s, int test, const char *owner, const char *name,
                            char *msg, size_t msg_len);
unsigned srv_store_delete(cn_server_http *s, int test, const char *owner, const char *name,
                          char *msg, size_t msg_len);
/* Removes temporary files and staging directories left by a crash. */
void srv_store_sweep(const cn_server_http *s);
/* Removes a directory and the files in it (one level of subdirectories). */
void srv_remove_tree(const char *dir);

/* ---- checks (server_check.c) ---- */
/* Reads every batch of part KEY of the dataset in ds_dir with the reader
 * training uses, against index_file ("index.bin", or the declared index of
 * a part being completed), each batch a turn of owner's (NULL: no queue) in
 * the queue of verification turns: one runs at a time; of the owners
 * waiting, one kept waiting over a second goes first, else the one with
 * fewer verifications under way, else the one whose last turn is older, so
 * an owner's flood delays a lighter owner by the turn in progress.
 * CRYPTONN_OK, or the failure with why naming the first bad batch. */
int srv_verify_part(cn_server_http *s, const char *ds_dir, const char *key,
                    const char *index_file, const char *owner, char *why, size_t why_len);
/* The complete training parts whose files fail their checksums (quick:
 * each file's container), or (full) that training's reader refuses; each
 * one is moved to quarantine/ and named in report (a ", "-separated list
 * with reasons). Returns how many. */
unsigned srv_check_training_parts(cn_server_http *s, int full, char *report, size_t report_len);
/* Moves a part (a test part: its whole dataset) to quarantine/ with the
 * reason; under mu. */
int srv_quarantine(cn_server_http *s, int test, const char *key, const char *reason);
/* quarantine/train-KEY or test-KEY. */
void srv_quarantine_dir(const cn_server_http *s, int test, const char *key, char *out,
                        size_t cap);

/* ---- job (server_job.c) ---- */
void srv_job_opts_default(job_opts *o);
/* The job's model and training options for the records of p, with the
 * service's decryption threads unless the job names its own;
 * CRYPTONN_ERR_MISMATCH (msg says why) when the model does not fit them. */
int srv_job_config(unsigned threads, const job_opts *o, const cn_enc_params *p,
                   cryptonn_model_config *cfg, cn_secure_opts *so, char *msg, size_t msg_len);
/* One epoch of the job (every rank): its decryption context, then the
 * epoch; the ranks agree on the status. */
int srv_job_epoch(cn_encdata *ds, cn_keysource *ks, const cn_secure_opts *so, const char *cache,
                  cryptonn_model *m, uint32_t epoch, cn_secure_stats *st, char *msg,
                  size_t msg_len);
/* A secure prediction of a test part, on every rank: the part, the job's
 * model (train/model.bin) and room for the answers (classes, or a
 * regression's targets in out). srv_pred_open: CRYPTONN_OK, or the failure
 * with p->ts NULL when the test part is missing or empty; srv_pred_run
 * (every rank at once): the predictions; srv_pred_close frees p. */
typedef struct {
    cn_encdata *ts;
    cryptonn_model *m;
    cn_secure_opts so;
    uint64_t n;
    int regress;
    uint8_t *pred;
    float *out;
} srv_pred;
int srv_pred_open(srv_pred *p, const cn_server_http *s, unsigned threads, const job_opts *jo,
                  const char *key, char *why, size_t why_len);
int srv_pred_run(srv_pred *p, cn_keysource *ks, const char *cache, char *why, size_t why_len);
void srv_pred_close(srv_pred *p);
/* What the job does after an epoch, rank 0's choice (srv_dist_next). */
enum { SRV_NEXT_EPOCH, SRV_NEXT_RESTART, SRV_NEXT_END };
/* Parses and validates the JSON options of POST /v1/train (400 on error). */
unsigned srv_job_parse(const uint8_t *body, size_t len, job_opts *o, char *msg, size_t msg_len);
/* Starts a new job (409 if one runs). */
unsigned srv_job_start(cn_server_http *s, const job_opts *o, char *msg, size_t msg_len);
/* The operator's stop: after the batch in progress; the job does not resume
 * at the next start. */
unsigned srv_job_stop_request(cn_server_http *s, char *msg, size_t msg_len);
/* Resumes the job of job.json if it neither finished, failed nor was stopped. */
int srv_job_resume_at_startup(cn_server_http *s);
/* Stops the training thread (service shutdown: the job resumes later). */
void srv_job_stop(cn_server_http *s);
char *srv_job_status_json(cn_server_http *s);
/* Secure prediction of owner's test part (the JSON body names it). */
unsigned srv_job_predict(cn_server_http *s, const char *owner, const uint8_t *body, size_t len,
                         char **json, char *msg, size_t msg_len);

/* ---- the ranks of `mpirun -np N cryptonn server serve` (server_dist.c) ----
 * Rank 0 runs the service; the others wait for its commands and run every
 * job with it, their share of each decryption, from the same state
 * directory (shared between nodes). One rank: every call is a no-op. */
enum { SRV_CMD_QUIT, SRV_CMD_TRAIN, SRV_CMD_PREDICT };
typedef struct {
    uint32_t kind;    /* SRV_CMD_* */
    uint32_t threads; /* rank 0's decryption threads (the same model bit for bit) */
    job_opts jo;
    char key[SRV_KEY_MAX + 1]; /* SRV_CMD_PREDICT: the test part */
} srv_cmd;
/* Rank 0, holding dist_mu: a command to the other ranks. */
int srv_dist_send(const srv_cmd *c);
/* After an epoch: rank 0's choice next (SRV_NEXT_*; the other ranks'
 * argument is ignored), on every rank; SRV_NEXT_END with *rc set when the
 * transfer fails. */
int srv_dist_next(int next, int *rc);
/* Every rank, after opening the training parts (rc: its status): the ranks
 * agree on rc, and on having opened the same parts (CRYPTONN_ERR_MISMATCH,
 * said on stderr, when not). */
int srv_dist_same_data(const cn_encdata *ds, int rc);
/* Rank 0 once its service has stopped (no job or prediction left): tells
 * the other ranks to return; once per process. */
void srv_dist_quit(void);
/* Ranks 1..N-1: runs rank 0's commands over the state directory dir until
 * it quits (CRYPTONN_OK) or a transfer fails (CRYPTONN_ERR_NET). */
int srv_dist_work(const char *dir);

#endif
