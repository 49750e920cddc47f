/* The training server's HTTP service in the public API (cryptonn/transport.h):
 * started in this process over server_http.h, and driven from elsewhere by
 * its operator. Both read the job's report the same way (parse_status), so
 * a caller sees the same figures in process and over HTTP. */
#include "cryptonn/transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#ifdef CRYPTONN_HAVE_JANSSON
#include <jansson.h>
#endif

#include "protocol/http.h"
#include "protocol/server_http.h"
#include "protocol/server_svc.h"
#include "secure/dist.h"
#include "util/util.h"

void cryptonn_server_service_opts_default(cryptonn_server_service_opts *o)
{
    cn_server_quota q;
    cn_server_quota_default(&q);
    *o = (cryptonn_server_service_opts){
        .listen = "127.0.0.1:0", .authority = "http://127.0.0.1:8470", .retry_s = 300,
        .threads = 2, .timeout_s = 120, .quota_parts = q.parts, .quota_batches = q.batches,
        .quota_bytes = q.bytes, .quota_requests = q.requests};
}

struct cryptonn_server_service {
    cn_server_http *h;
    cn_http_service *svc;
    cn_owner_db *owners;
};

static void service_free(cryptonn_server_service *s)
{
    cn_http_service_stop(s->svc);
    cn_server_http_destroy(s->h);
    srv_dist_quit(); /* under mpirun: the other ranks' cryptonn_server_service_work returns */
    cn_owner_db_close(s->owners);
    free(s);
}

static int load_token(const char *path, const char *what, char out[65], char *msg, size_t msg_len)
{
    int rc = cn_token_load(path, out);
    if (rc == CRYPTONN_ERR_AUTH)
        snprintf(msg, msg_len, "%s %s is readable by others (a token must be mode 0600)", what,
                 path);
    else if (rc != CRYPTONN_OK)
        snprintf(msg, msg_len, "cannot read %s %s: %s", what, path, cryptonn_status_str(rc));
    return rc;
}

/* The operator's token, created when missing: a credential of its own,
 * neither the server's token towards the authority nor an owner's, so no
 * other credential can drive training. */
static int operator_token(const char *state_dir, const cryptonn_server_service_opts *o,
                          const char *server_token, cn_owner_db *owners, char out[65],
                          char *msg, size_t msg_len)
{
    char path[4200], who[CN_OWNER_NAME_MAX + 1];
    const char *p = o->operator_token_file;
    if (!p) {
        snprintf(path, sizeof path, "%s/operator.token", state_dir);
        p = path;
    }
    if (access(p, F_OK) != 0 && cn_token_create(p) != CRYPTONN_OK) {
        snprintf(msg, msg_len, "cannot create the operator token %s", p);
        return CRYPTONN_ERR_IO;
    }
    CN_TRY(load_token(p, "the operator token", out, msg, msg_len));
    if (!sodium_memcmp(out, server_token, 64) || (owners && cn_owner_db_find(owners, out, 64, who))) {
        snprintf(msg, msg_len, "the operator token must differ from the authority token and from "
                 "every owner's");
        cn_wipe(out, 65);
        return CRYPTONN_ERR_ARG;
    }
    return CRYPTONN_OK;
}

/* The service's routes over an opened server state, with the operator's
 * token and the owners' list. */
static int serve(cryptonn_server_service *s, const cryptonn_server_service_opts *o,
                 const char *optok, char *msg, size_t msg_len)
{
    cn_http_service_opts so = {.listen = o->listen ? o->listen : "127.0.0.1:0",
                               .timeout_s = o->timeout_s, .header_timeout_s = o->header_timeout_s,
                               .body_timeout_s = o->body_timeout_s, .max_conns = o->max_conns,
                               .per_address = o->per_address, .cert_file = o->cert_file,
                               .key_file = o->key_file, .owners = s->owners};
    so.token[CN_ROLE_OPERATOR] = optok;
    cn_server_http_bind(s->h, &so);
    return cn_http_service_start(&s->svc, &so, msg, msg_len);
}

int cryptonn_server_service_start(cryptonn_server_service **out, const char *state_dir,
                                  const cryptonn_server_service_opts *o, char *msg,
                                  size_t msg_len)
{
    CN_ARG_CHECK(out && state_dir && (msg || !msg_len));
    *out = NULL;
    if (msg_len) msg[0] = 0;
    cryptonn_server_service_opts d;
    if (!o) {
        cryptonn_server_service_opts_default(&d);
        o = &d;
    }
    cryptonn_server_service *s = calloc(1, sizeof *s);
    if (!s) {
        srv_dist_quit();
        return CRYPTONN_ERR_NOMEM;
    }
    if (!o->token_file || !o->authority) {
        snprintf(msg, msg_len, "the authority's URL and the server's token file are required");
        service_free(s);
        return CRYPTONN_ERR_ARG;
    }
    char token[65] = "", optok[65] = "", warn[512] = "";
    int rc = load_token(o->token_file, "the server's token", token, msg, msg_len);
    if (rc == CRYPTONN_OK && o->owners_file &&
        (rc = cn_owner_db_open(&s->owners, o->owners_file)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "%s is not an owners list: %s", o->owners_file,
                 cryptonn_status_str(rc));
    if (rc == CRYPTONN_OK && mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(msg, msg_len, "cannot create %s", state_dir);
        rc = CRYPTONN_ERR_IO;
    }
    if (rc == CRYPTONN_OK)
        rc = operator_token(state_dir, o, token, s->owners, optok, msg, msg_len);
    if (rc == CRYPTONN_OK) {
        cn_server_quota q;
        cn_server_quota_default(&q);
        if (o->quota_parts) q.parts = o->quota_parts;
        if (o->quota_batches) q.batches = o->quota_batches;
        if (o->quota_bytes) q.bytes = o->quota_bytes;
        if (o->quota_requests) q.requests = o->quota_requests;
        cn_http_client_opts ao = {.base = o->authority, .token = token, .cacert = o->cacert,
                                  .timeout_s = 600, .retry_for_s = o->retry_s, .backoff_ms = 100};
        rc = cn_server_http_create(&s->h, state_dir, &ao, o->threads, &q, warn, sizeof warn);
        if (rc != CRYPTONN_OK) snprintf(msg, msg_len, "%s", warn);
    }
    cn_wipe(token, sizeof token);
    if (rc == CRYPTONN_OK) rc = serve(s, o, optok, msg, msg_len);
    cn_wipe(optok, sizeof optok); /* the service keeps its own copy */
    if (rc != CRYPTONN_OK) {
        service_free(s);
        return rc;
    }
    snprintf(msg, msg_len, "%s", warn);
    *out = s;
    return CRYPTONN_OK;
}

int cryptonn_server_service_work(const char *state_dir, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(state_dir && (msg || !msg_len));
    if (msg_len) msg[0] = 0;
    if (cn_dist_size() == 1 || cn_dist_rank() == 0) {
        snprintf(msg, msg_len, "only ranks 1..N-1 of an mpirun job work for the service of rank 0 "
                 "(cryptonn_dist_start first; rank 0 runs cryptonn_server_service_start)");
        return CRYPTONN_ERR_ARG;
    }
    int rc = srv_dist_work(state_dir);
    if (rc != CRYPTONN_OK)
        snprintf(msg, msg_len, "rank %d of %d: the ranks' transfers failed: %s", cn_dist_rank(),
                 cn_dist_size(), cryptonn_status_str(rc));
    return rc;
}

uint16_t cryptonn_server_service_port(const cryptonn_server_service *s)
{
    CN_ARG_CHECK(s);
    return cn_http_service_port(s->svc);
}

void cryptonn_server_service_stop(cryptonn_server_service *s)
{
    if (s) service_free(s);
}

/* The job report of server_job.c (srv_job_status_json) into st. */
static int parse_status(const char *js, cryptonn_job_status *st)
{
#ifdef CRYPTONN_HAVE_JANSSON
    static const char *const NAME[] = {"idle", "training", "done", "failed", "stopped"};
    json_error_t err;
    json_t *j = js ? json_loads(js, 0, &err) : NULL;
    const char *state = NULL, *message = NULL;
    json_int_t epoch = 0, epochs = 0, batch = 0, batches = 0, samples = 0, retries = 0;
    double loss = 0, acc = 0, secs = 0;
    int bad = !j || json_unpack(j, "{s:s, s:I, s:I, s:I, s:I, s:I, s:F, s:F, s:I, s:F, s:s}",
                                "state", &state, "epoch", &epoch, "epochs", &epochs, "batch",
                                &batch, "batches", &batches, "samples", &samples, "loss", &loss,
                                "accuracy", &acc, "authority_retries", &retries, "seconds",
                                &secs, "message", &message) != 0;
    int k = 0;
    while (!bad && k < 5 && strcmp(state, NAME[k])) k++;
    bad |= k == 5 || epoch < 0 || epochs < 0 || epochs > UINT32_MAX || epoch > UINT32_MAX ||
           batch < 0 || batches < 0 || samples < 0 || retries < 0;
    if (!bad) {
        *st = (cryptonn_job_status){.state = (cryptonn_job_state)k, .epoch = (uint32_t)epoch,
                                    .epochs = (uint32_t)epochs, .batch = (uint64_t)batch,
                                    .batches = (uint64_t)batches, .samples = (uint64_t)samples,
                                    .loss = loss, .accuracy = acc, .seconds = secs,
                                    .authority_retries = (uint64_t)retries};
        snprintf(st->message, sizeof st->message, "%s", message);
    }
    json_decref(j);
    return bad ? CRYPTONN_ERR_FORMAT : CRYPTONN_OK;
#else
    (void)js, (void)st;
    return CRYPTONN_ERR_FORMAT;
#endif
}

int cryptonn_server_service_status(cryptonn_server_service *s, cryptonn_job_status *st)
{
    CN_ARG_CHECK(s && st);
    char *js = srv_job_status_json(s->h);
    int rc = parse_status(js, st);
    free(js);
    return rc;
}

/* ---- the operator ---- */

struct cryptonn_operator {
    cn_http_client *c;
};

int cryptonn_operator_open(cryptonn_operator **out, const char *url, const char *token,
                           const char *cacert, unsigned retry_s)
{
    CN_ARG_CHECK(out && url);
    *out = calloc(1, sizeof **out);
    if (!*out) return CRYPTONN_ERR_NOMEM;
    cn_http_client_opts o = {.base = url, .token = token, .cacert = cacert,
                             .retry_for_s = retry_s};
    int rc = cn_http_client_create(&(*out)->c, &o);
    if (rc != CRYPTONN_OK) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

void cryptonn_operator_close(cryptonn_operator *op)
{
    if (!op) return;
    cn_http_client_destroy(op->c);
    free(op);
}

/* The status for an HTTP answer other than the one wanted. */
static int status_for(long http)
{
    switch (http) {
    case 400: return CRYPTONN_ERR_ARG;
    case 401: return CRYPTONN_ERR_AUTH;
    case 403: return CRYPTONN_ERR_POLICY;
    case 404: return CRYPTONN_ERR_NOT_FOUND;
    case 409: return CRYPTONN_ERR_MISMATCH;
    default: return CRYPTONN_ERR_NET;
    }
}

/* One request with an optional JSON body; on the wanted answer its body in
 * *out (may be NULL), else msg holds the service's answer. */
static int op_call(cryptonn_operator *op, const char *method, const char *path, const char *body,
                   long want, uint8_t **out, size_t *out_len, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(op && (msg || !msg_len));
    if (msg_len) msg[0] = 0;
    long http = 0;
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = cn_http_call(op->c, method, path, body ? "application/json" : NULL,
                          (const uint8_t *)body, body ? strlen(body) : 0, &http, &b, &len, msg,
                          msg_len);
    if (rc == CRYPTONN_OK && http != want) {
        snprintf(msg, msg_len, "%s %s: HTTP %ld %s", method, path, http, b ? (char *)b : "");
        rc = status_for(http);
    }
    if (rc == CRYPTONN_OK && out) {
        *out = b;
        if (out_len) *out_len = len;
    } else {
        free(b);
    }
    return rc;
}

int cryptonn_operator_train(cryptonn_operator *op, const char *job_json, char *msg,
                            size_t msg_len)
{
    CN_ARG_CHECK(job_json);
    return op_call(op, "POST", "/v1/train", job_json, 202, NULL, NULL, msg, msg_len);
}

int cryptonn_operator_stop(cryptonn_operator *op, char *msg, size_t msg_len)
{
    return op_call(op, "POST", "/v1/stop", "{}", 202, NULL, NULL, msg, msg_len);
}

int cryptonn_operator_status(cryptonn_operator *op, cryptonn_job_status *st, char **json,
                             char *msg, size_t msg_len)
{
    if (json) *json = NULL;
    uint8_t *b = NULL;
    int rc = op_call(op, "GET", "/v1/status", NULL, 200, &b, NULL, msg, msg_len);
    if (rc == CRYPTONN_OK && st && (rc = parse_status((const char *)b, st)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "the service's job report is malformed");
    if (rc == CRYPTONN_OK && json) *json = (char *)b;
    else free(b);
    return rc;
}

int cryptonn_operator_parts(cryptonn_operator *op, char **json, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(json);
    *json = NULL;
    return op_call(op, "GET", "/v1/parts", NULL, 200, (uint8_t **)json, NULL, msg, msg_len);
}

int cryptonn_operator_model(cryptonn_operator *op, const char *path, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(path);
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = op_call(op, "GET", "/v1/model", NULL, 200, &b, &len, msg, msg_len);
    cn_part p = {b, len};
    if (rc == CRYPTONN_OK && (rc = cn_file_write_atomic(path, &p, 1, 0644)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "cannot write %s: %s", path, cryptonn_status_str(rc));
    free(b);
    return rc;
}
