/* authority_http: the key authority's routes (services.h).
 *
 * Key requests are answered one at a time (the rank accounting and the log
 * are sequential state) but written to disk in groups: a request appends
 * its record to the open transaction under the authority's lock and
 * releases it, then waits until its record is durable. One waiting thread
 * commits (one fsync) everything appended so far, the others find theirs
 * written, so the fsync every request used to pay alone is shared by all
 * requests that arrived meanwhile, and throughput grows with clients
 * instead of queueing behind one fsync each. No key leaves before its
 * record is on disk; if a group cannot be written, its keys are withheld
 * and the service refuses keys until it is restarted. */
#include "protocol/services.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/status.h"
#include "protocol/authority_internal.h"
#include "util/util.h"

struct cn_authority_http {
    cn_authority *a;
    pthread_mutex_t mu;   /* the authority and its database */
    pthread_mutex_t cm;   /* the commit state below */
    pthread_cond_t cv;
    int committing;       /* a thread is writing a group */
    int failed;           /* a group could not be written */
    uint64_t durable;     /* requests written (cn_adb_appended numbering) */
    uint8_t *params;
    size_t params_len;
    uint64_t ok, refused, bad;
};

int cn_authority_http_create(cn_authority_http **out, cn_authority *a, const char *params_path)
{
    *out = NULL;
    cn_authority_http *h = calloc(1, sizeof *h);
    if (!h) return CRYPTONN_ERR_NOMEM;
    int rc = cn_file_read_all(params_path, (size_t)1 << 31, &h->params, &h->params_len);
    if (rc != CRYPTONN_OK) {
        free(h);
        return rc;
    }
    h->a = a;
    pthread_mutex_init(&h->mu, NULL);
    pthread_mutex_init(&h->cm, NULL);
    pthread_cond_init(&h->cv, NULL);
    *out = h;
    return CRYPTONN_OK;
}

void cn_authority_http_destroy(cn_authority_http *h)
{
    if (!h) return;
    pthread_mutex_destroy(&h->mu);
    pthread_mutex_destroy(&h->cm);
    pthread_cond_destroy(&h->cv);
    free(h->params);
    free(h);
}

void cn_authority_http_counts(const cn_authority_http *h, uint64_t *ok, uint64_t *refused,
                              uint64_t *bad)
{
    *ok = h->ok;
    *refused = h->refused;
    *bad = h->bad;
}

unsigned cn_http_status_for(int status)
{
    switch (status) {
    case CRYPTONN_OK: return 200;
    case CRYPTONN_ERR_POLICY:
    case CRYPTONN_ERR_BUDGET: return 403;
    case CRYPTONN_ERR_AUTH: return 401;
    case CRYPTONN_ERR_TOO_LARGE: return 413;
    case CRYPTONN_ERR_NOT_FOUND: return 404;
    case CRYPTONN_ERR_ARG:
    case CRYPTONN_ERR_FORMAT:
    case CRYPTONN_ERR_TRUNCATED:
    case CRYPTONN_ERR_CHECKSUM:
    case CRYPTONN_ERR_ENCODING:
    case CRYPTONN_ERR_RANGE:
    case CRYPTONN_ERR_MISMATCH:
    case CRYPTONN_ERR_VERSION:
    case CRYPTONN_ERR_NOT_INTEGER: return 400;
    default: return 500;
    }
}

static unsigned admit(void *ctx, const char *method, const char *path, int role, size_t *max_body,
                      char *msg, size_t msg_len)
{
    (void)ctx;
    *max_body = 0;
    int get = !strcmp(method, "GET"), post = !strcmp(method, "POST");
    if (!strcmp(path, "/v1/health") || !strcmp(path, "/v1/params") || !strcmp(path, "/v1/leakage")) {
        if (get) return 0;
    } else if (!strcmp(path, "/v1/labels") || !strcmp(path, "/v1/keys/export")) {
        /* the data owners' routes: registrations in, the audit's vectors out */
        if (role != CN_ROLE_CLIENT) {
            snprintf(msg, msg_len, "missing or wrong bearer token (a data owner's token)");
            return 401;
        }
        if (!strcmp(path, "/v1/labels")) {
            *max_body = (size_t)64 << 20;
            if (post) return 0;
        } else if (get) {
            return 0;
        }
    } else if (!strcmp(path, "/v1/keys")) {
        if (role != CN_ROLE_SERVER) {
            snprintf(msg, msg_len, "missing or wrong bearer token (the server role's token)");
            return 401;
        }
        *max_body = CN_KEYREQ_MAX;
        if (post) return 0;
    } else {
        snprintf(msg, msg_len, "no such route: %s", path);
        return 404;
    }
    snprintf(msg, msg_len, "%s is not allowed on %s", method, path);
    return 405;
}

static void leakage(cn_authority_http *h, cn_http_resp *rs)
{
    cn_leak_mpk lk[3];
    pthread_mutex_lock(&h->mu);
    cn_authority_leakage(h->a, lk);
    pthread_mutex_unlock(&h->mu);
    char j[1024];
    size_t w = (size_t)snprintf(j, sizeof j, "{\"mpks\":[");
    for (int i = 0; i < 3; i++)
        w += (size_t)snprintf(j + w, sizeof j - w,
                              "%s{\"name\":\"%s\",\"width\":%llu,\"rank\":%llu,\"rank_is_bound\":%s,"
                              "\"issued\":%llu,\"refused\":%llu}",
                              i ? "," : "", lk[i].name, (unsigned long long)lk[i].width,
                              (unsigned long long)lk[i].rank, lk[i].rank_is_bound ? "true" : "false",
                              (unsigned long long)lk[i].keys_issued, (unsigned long long)lk[i].keys_refused);
    snprintf(j + w, sizeof j - w, "]}\n");
    cn_http_reply_text(rs, 200, "application/json", j);
}

/* Waits until request seq's record is on disk (see the top of the file). */
static int wait_durable(cn_authority_http *h, cn_authority_db *db, uint64_t seq)
{
    pthread_mutex_lock(&h->cm);
    while (h->durable < seq && h->committing && !h->failed) pthread_cond_wait(&h->cv, &h->cm);
    if (h->durable < seq && !h->failed) {
        h->committing = 1;
        pthread_mutex_unlock(&h->cm);
        pthread_mutex_lock(&h->mu);
        const uint64_t upto = cn_adb_appended(db);
        const int rc = cn_adb_flush(db);
        pthread_mutex_unlock(&h->mu);
        pthread_mutex_lock(&h->cm);
        h->committing = 0;
        if (rc == CRYPTONN_OK) h->durable = upto;
        else h->failed = 1;
        pthread_cond_broadcast(&h->cv);
    }
    const int rc = h->durable >= seq ? CRYPTONN_OK : CRYPTONN_ERR_IO;
    pthread_mutex_unlock(&h->cm);
    return rc;
}

static int handle_keys(cn_authority_http *h, const cn_http_req *rq, uint8_t **resp, size_t *len)
{
    cn_authority_db *db = h->a->db;
    pthread_mutex_lock(&h->mu);
    if (db) cn_adb_defer(db, 1);
    int rc = cn_authority_handle(h->a, rq->body, rq->body_len, resp, len);
    const uint64_t seq = db ? cn_adb_appended(db) : 0;
    if (db) cn_adb_defer(db, 0);
    pthread_mutex_unlock(&h->mu);
    if (rc != CRYPTONN_OK || !db || wait_durable(h, db, seq) == CRYPTONN_OK) return rc;
    cn_free_secret(*resp, *len);
    *resp = NULL;
    *len = 0;
    return cn_keyresp_error_encode(CRYPTONN_ERR_IO,
                                   "the authority cannot write its key log (authority.db); no key "
                                   "was issued", resp, len);
}

static void handle(void *ctx, const cn_http_req *rq, cn_http_resp *rs)
{
    cn_authority_http *h = ctx;
    if (!strcmp(rq->path, "/v1/health")) {
        cn_http_reply_text(rs, 200, "application/json", "{\"status\":\"ok\",\"role\":\"authority\"}\n");
    } else if (!strcmp(rq->path, "/v1/params")) {
        uint8_t *b = malloc(h->params_len);
        if (!b) return cn_http_reply_error(rs, 503, "out of memory");
        memcpy(b, h->params, h->params_len);
        cn_http_reply(rs, 200, "application/octet-stream", b, h->params_len);
    } else if (!strcmp(rq->path, "/v1/leakage")) {
        leakage(h, rs);
    } else if (!strcmp(rq->path, "/v1/labels")) {
        uint64_t added = 0;
        char why[256] = "";
        pthread_mutex_lock(&h->mu);
        int rc = cn_authority_register_labels(h->a, rq->body, rq->body_len, &added, why, sizeof why);
        pthread_mutex_unlock(&h->mu);
        if (rc != CRYPTONN_OK)
            return cn_http_reply_error(rs, cn_http_status_for(rc), "%s",
                                       why[0] ? why : cryptonn_status_str(rc));
        char j[128];
        snprintf(j, sizeof j, "{\"registered\":%llu}\n", (unsigned long long)added);
        cn_http_reply_text(rs, 200, "application/json", j);
    } else if (!strcmp(rq->path, "/v1/keys/export")) {
        cn_keyexport e;
        uint8_t *b = NULL;
        size_t len = 0;
        pthread_mutex_lock(&h->mu);
        int rc = cn_authority_export(h->a, &e);
        pthread_mutex_unlock(&h->mu);
        if (rc == CRYPTONN_OK) rc = cn_keyexport_encode(&e, &b, &len);
        cn_keyexport_free(&e);
        if (rc != CRYPTONN_OK)
            return cn_http_reply_error(rs, 500, "export failed: %s", cryptonn_status_str(rc));
        cn_http_reply(rs, 200, "application/octet-stream", b, len);
    } else { /* /v1/keys (admit let nothing else through) */
        uint8_t *resp = NULL;
        size_t len = 0;
        int rc = handle_keys(h, rq, &resp, &len);
        if (rc != CRYPTONN_OK) {
            h->bad++;
            return cn_http_reply_error(rs, 500, "the authority failed: %s", cryptonn_status_str(rc));
        }
        char why[8];
        int st = cn_keyresp_error_decode(resp, len, why, sizeof why);
        unsigned code = cn_http_status_for(st);
        if (code == 200) h->ok++;
        else if (code == 403) h->refused++;
        else h->bad++;
        cn_http_reply(rs, code, "application/octet-stream", resp, len);
    }
}

void cn_authority_http_bind(cn_authority_http *h, cn_http_service_opts *o)
{
    o->admit = admit;
    o->handle = handle;
    o->ctx = h;
}

/* ---- the server's side: keys over HTTP ---- */

static int error_resp(int status, const char *reason, uint8_t **resp, size_t *resp_len)
{
    return cn_keyresp_error_encode(status, reason, resp, resp_len);
}

static int http_round_trip(void *ctx, const uint8_t *req, size_t req_len, uint8_t **resp,
                           size_t *resp_len)
{
    cn_http_client *c = ctx;
    long status = 0;
    char msg[512] = "";
    uint8_t *b = NULL;
    size_t len = 0;
    *resp = NULL;
    *resp_len = 0;
    int rc = cn_http_call(c, "POST", "/v1/keys", "application/octet-stream", req, req_len, &status,
                          &b, &len, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        char why[600];
        snprintf(why, sizeof why, "the authority is unreachable: %s", msg);
        return error_resp(CRYPTONN_ERR_NET, why, resp, resp_len);
    }
    /* 200 and the refusals carry a keyreq.h message; anything else is the
     * transport's (JSON) and becomes a KERR naming it */
    int is_msg = len >= 8 && memcmp(b, "CRYPTONN", 8) == 0;
    if (is_msg && (status == 200 || status == 400 || status == 403 || status == 413 || status == 500)) {
        *resp = b;
        *resp_len = len;
        return CRYPTONN_OK;
    }
    char why[600];
    snprintf(why, sizeof why, "the authority answered HTTP %ld: %.400s", status,
             b ? (const char *)b : "");
    free(b);
    return error_resp(status == 401 ? CRYPTONN_ERR_AUTH : CRYPTONN_ERR_NET, why, resp, resp_len);
}

cn_keywire cn_http_keywire(cn_http_client *c)
{
    return (cn_keywire){c, http_round_trip};
}
