/* cryptonn transport: how the training server reaches the key authority.
 * A key service carries key-request messages to an authority and its answers
 * back: in process (the authority's handle called directly) or over HTTP
 * (POST /v1/keys of `cryptonn authority serve`, bearer token, optional TLS).
 * Both carry the same bytes, so training gives the same model either way. */
#ifndef CRYPTONN_TRANSPORT_H
#define CRYPTONN_TRANSPORT_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/authority.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cryptonn_keyservice cryptonn_keyservice;

/* In process: requests go to a (which must outlive ks). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_keyservice_local(cryptonn_keyservice **ks,
                                                                cryptonn_authority *a);
/* Over HTTP: url "http://127.0.0.1:PORT" (or https:// with cacert), token the
 * server's bearer token. Connection failures and 5xx answers are retried for
 * retry_s seconds. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_keyservice_http(cryptonn_keyservice **ks,
                                                               const char *url, const char *token,
                                                               const char *cacert,
                                                               unsigned retry_s);
CRYPTONN_API void cryptonn_keyservice_destroy(cryptonn_keyservice *ks);

/* One round trip: request message → response message (*resp freed with
 * cryptonn_free). CRYPTONN_ERR_NET when the service cannot be reached (msg
 * says why); a refusal arrives as a response. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_keyservice_call(cryptonn_keyservice *ks,
                                                               const uint8_t *req, size_t len,
                                                               uint8_t **resp, size_t *resp_len);

/* Reads a bearer-token file (64 hex characters, a trailing newline allowed)
 * into out (NUL-terminated). CRYPTONN_ERR_AUTH if others can read the file
 * (a token must be mode 0600). Wipe out after use. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_token_load(const char *path, char out[65]);

/* The authority as an HTTP service in this process (what `cryptonn
 * authority serve` runs): POST /v1/keys for the server's token, POST
 * /v1/labels and GET /v1/keys/export for the owners' tokens, GET /v1/params.
 * a must outlive the service. */
typedef struct {
    const char *listen;      /* "127.0.0.1:0" (port 0: any free port) */
    const char *token_file;  /* the server's bearer token (NULL: STATE/tokens/server.token) */
    const char *cert_file;   /* TLS certificate and key (PEM), or NULL for plain HTTP */
    const char *key_file;
    unsigned timeout_s;      /* per connection (0: the service's default) */
} cryptonn_service_opts;

CRYPTONN_API void cryptonn_service_opts_default(cryptonn_service_opts *o);

typedef struct cryptonn_authority_service cryptonn_authority_service;
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_service_start(
    cryptonn_authority_service **out, cryptonn_authority *a, const char *state_dir,
    const cryptonn_service_opts *o, char *msg, size_t msg_len);
CRYPTONN_API uint16_t cryptonn_authority_service_port(const cryptonn_authority_service *s);
/* Requests answered, refused by policy, and malformed or failed so far. */
CRYPTONN_API void cryptonn_authority_service_counts(const cryptonn_authority_service *s,
                                                    uint64_t *ok, uint64_t *refused,
                                                    uint64_t *failed);
CRYPTONN_API void cryptonn_authority_service_stop(cryptonn_authority_service *s);

/* ---- the training server as an HTTP service (what `cryptonn server serve`
 * runs): the data owners upload with their own tokens (cryptonn_owner_upload,
 * _predict, _parts, _delete), the operator drives training with a token of
 * its own (cryptonn_operator_*). Keys come from the authority's service. The
 * state directory keeps the parts, the job and its checkpoint after every
 * batch, so a job interrupted by a stop or a crash resumes at the next start. */
typedef struct {
    const char *listen;              /* "127.0.0.1:0" (port 0: any free port) */
    const char *authority;           /* the authority's URL (http://127.0.0.1:8470) */
    const char *token_file;          /* the server's token towards the authority (required) */
    const char *cacert;              /* PEM trusted for an https authority, or NULL */
    unsigned retry_s;                /* keep retrying an unreachable authority this long (300) */
    const char *owners_file;         /* the owners list (STATE/owners.list of the authority),
                                        re-read when it changes; NULL: no upload is accepted */
    const char *operator_token_file; /* NULL: STATE_DIR/operator.token; created (0600) when
                                        missing; must differ from token_file's token and
                                        from every owner's */
    const char *cert_file;           /* serve HTTPS with this certificate and key (PEM) */
    const char *key_file;
    unsigned threads;                /* decryption threads (2) */
    unsigned timeout_s;              /* idle connection timeout (120) */
    unsigned header_timeout_s;       /* absolute deadline of a request's headers (0: 10) */
    unsigned body_timeout_s;         /* and of its body (0: 120) */
    unsigned max_conns;              /* connections in total (0: 256) */
    unsigned per_address;            /* from one IP address (0: 32) */
    uint32_t quota_parts;            /* per owner: parts declared (32) */
    uint64_t quota_batches;          /* batches declared (4096) */
    uint64_t quota_bytes;            /* batch bytes stored (16 GiB) */
    uint32_t quota_requests;         /* uploads and completions at once (4) */
} cryptonn_server_service_opts;

CRYPTONN_API void cryptonn_server_service_opts_default(cryptonn_server_service_opts *o);

typedef struct cryptonn_server_service cryptonn_server_service;
/* Creates state_dir (0700) if needed, fetches params.bin from the authority
 * when it has none (retrying for o->retry_s), resumes an unfinished job and
 * serves on a thread of its own. On failure msg names the problem
 * (CRYPTONN_ERR_ARG: an operator token that is another credential's;
 * CRYPTONN_ERR_AUTH: a token file others can read); on success msg may hold
 * a warning (an unreadable job file, not resumed). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_server_service_start(
    cryptonn_server_service **out, const char *state_dir, const cryptonn_server_service_opts *o,
    char *msg, size_t msg_len);
CRYPTONN_API uint16_t cryptonn_server_service_port(const cryptonn_server_service *s);
/* Under mpirun (`mpirun -np N cryptonn server serve`, cryptonn/dist.h after
 * cryptonn_dist_start): rank 0 runs cryptonn_server_service_start, and every
 * other rank runs this instead. It serves nothing: it runs each training job
 * of rank 0's service with it, decrypting its share of every batch, over
 * the same state_dir (one directory, shared between nodes), and returns
 * CRYPTONN_OK when rank 0's service stops (cryptonn_server_service_stop).
 * It returns CRYPTONN_OK too when rank 0's service fails to start.
 * CRYPTONN_ERR_ARG on rank 0 or without ranks; CRYPTONN_ERR_NET when the
 * transfers fail. A job's model is the model one process trains, bit for
 * bit; a rank that dies ends every rank (mpirun's rule) and the job resumes
 * from its checkpoint when the service starts again. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_server_service_work(const char *state_dir,
                                                                   char *msg, size_t msg_len);

typedef enum {
    CRYPTONN_JOB_IDLE = 0,     /* no job yet */
    CRYPTONN_JOB_TRAINING = 1,
    CRYPTONN_JOB_DONE = 2,     /* the model is ready (cryptonn_operator_model) */
    CRYPTONN_JOB_FAILED = 3,   /* message says why */
    CRYPTONN_JOB_STOPPED = 4   /* by the operator */
} cryptonn_job_state;

/* A training job as the server reports it. */
typedef struct {
    cryptonn_job_state state;
    uint32_t epoch, epochs;    /* the epoch under way (from 1), of the job's */
    uint64_t batch, batches;   /* batches done in this epoch, of its batches */
    uint64_t samples;          /* samples trained on in this run */
    double loss, accuracy;     /* mean training loss and accuracy over those samples */
    double seconds;            /* training time so far */
    uint64_t authority_retries; /* requests to the authority retried */
    char message[512];         /* why it failed or stopped, or what it is doing */
} cryptonn_job_status;

/* The job of a service in this process. CRYPTONN_ERR_NOMEM, or
 * CRYPTONN_ERR_FORMAT when the report cannot be read (built without jansson). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_server_service_status(cryptonn_server_service *s,
                                                                     cryptonn_job_status *st);
/* Stops accepting, stops training after the batch in progress (its
 * checkpoint is kept: the job resumes at the next start) and frees s (NULL
 * is allowed). */
CRYPTONN_API void cryptonn_server_service_stop(cryptonn_server_service *s);

/* ---- the operator: remote control of a training server's service ---- */
typedef struct cryptonn_operator cryptonn_operator;
/* url "http://127.0.0.1:PORT" (or https:// with cacert); token the
 * operator's (STATE/operator.token of the service); connection failures and
 * 5xx answers are retried for retry_s seconds. The token is copied. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_operator_open(cryptonn_operator **out,
                                                             const char *url, const char *token,
                                                             const char *cacert,
                                                             unsigned retry_s);
CRYPTONN_API void cryptonn_operator_close(cryptonn_operator *op);
/* Every call below returns CRYPTONN_OK when the service did what was asked;
 * otherwise msg holds the service's answer and the status is
 * CRYPTONN_ERR_AUTH (401: unknown token), CRYPTONN_ERR_POLICY (403: not the
 * operator's token), CRYPTONN_ERR_ARG (400: bad options), CRYPTONN_ERR_MISMATCH
 * (409: a job is running, or none is to stop), CRYPTONN_ERR_NOT_FOUND (404)
 * or CRYPTONN_ERR_NET. */
/* Starts a job: job_json holds its options as one JSON object, e.g.
 * {"model":"mlp","epochs":2,"lr":0.05,"seed":1} (keys: model lenet5|mlp|file
 * with model_file a model-file object, activation, epochs, lr, momentum,
 * seed, hidden, max_batches, freeze_first_layer, w_bits, dz_bits, dlog_bits, threads,
 * on_bad_part skip|stop); the service validates them. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_operator_train(cryptonn_operator *op,
                                                              const char *job_json, char *msg,
                                                              size_t msg_len);
/* Stops the running job after its current batch; it does not resume. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_operator_stop(cryptonn_operator *op, char *msg,
                                                             size_t msg_len);
/* The job's state into st (may be NULL) and, when json is not NULL, the
 * service's report as JSON (*json NUL-terminated; free with cryptonn_free). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_operator_status(cryptonn_operator *op,
                                                               cryptonn_job_status *st,
                                                               char **json, char *msg,
                                                               size_t msg_len);
/* Every owner's parts, as the service's JSON (free with cryptonn_free). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_operator_parts(cryptonn_operator *op, char **json,
                                                              char *msg, size_t msg_len);
/* Saves the trained model (a cryptonn_model_load file) to path, atomically;
 * CRYPTONN_ERR_NOT_FOUND before a job has written one. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_operator_model(cryptonn_operator *op,
                                                              const char *path, char *msg,
                                                              size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
