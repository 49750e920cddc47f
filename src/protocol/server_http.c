/* server_http: the training server's routes, who may use each
 * (server_http.h), and its start: state directories, params.bin from the
 * authority, an interrupted job resumed. */
#include "protocol/server_svc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* A part route: /v1/parts/NAME[/index | /batches/N | /complete] or /v1/tests/... */
enum { PART_SELF, PART_INDEX, PART_BATCH, PART_COMPLETE };
typedef struct {
    int test;
    char name[SRV_NAME_MAX + 1];
    int what;
    uint64_t batch;
} part_route;

/* 1: a part route, -1: a malformed one, 0: not a part route. */
static int parse_part_route(const char *path, part_route *r)
{
    const char *p;
    if (!strncmp(path, "/v1/parts/", 10)) r->test = 0, p = path + 10;
    else if (!strncmp(path, "/v1/tests/", 10)) r->test = 1, p = path + 10;
    else return 0;
    size_t n = strcspn(p, "/");
    if (n == 0 || n > SRV_NAME_MAX) return -1;
    memcpy(r->name, p, n);
    r->name[n] = 0;
    if (!srv_name_ok(r->name)) return -1;
    p += n;
    if (!*p) return r->what = PART_SELF, 1;
    if (!strcmp(p, "/index")) return r->what = PART_INDEX, 1;
    if (!strcmp(p, "/complete")) return r->what = PART_COMPLETE, 1;
    if (!strncmp(p, "/batches/", 9)) {
        p += 9;
        if (!*p || strlen(p) > 8) return -1;
        for (const char *q = p; *q; q++)
            if (*q < '0' || *q > '9') return -1;
        r->batch = strtoull(p, NULL, 10);
        return r->what = PART_BATCH, 1;
    }
    return -1;
}

/* Who may use a route: the roles allowed (a bit per CN_ROLE_*), or 0 for an
 * unknown route. */
#define BIT(r) (1u << (r))
static unsigned route_roles(const char *path, int part)
{
    if (!strcmp(path, "/v1/health")) return ~0u;
    if (part || !strcmp(path, "/v1/predict")) return BIT(CN_ROLE_CLIENT);
    if (!strcmp(path, "/v1/parts")) return BIT(CN_ROLE_CLIENT) | BIT(CN_ROLE_OPERATOR);
    if (!strcmp(path, "/v1/train") || !strcmp(path, "/v1/stop") || !strcmp(path, "/v1/status") ||
        !strcmp(path, "/v1/model"))
        return BIT(CN_ROLE_OPERATOR);
    return 0;
}

static unsigned admit(void *ctx, const char *method, const char *path, int role, size_t *max_body,
                      char *msg, size_t msg_len)
{
    cn_server_http *s = ctx;
    *max_body = 0;
    int get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), post = !strcmp(method, "POST"),
        del = !strcmp(method, "DELETE");
    part_route r;
    int pr = parse_part_route(path, &r);
    unsigned roles = route_roles(path, pr != 0);
    if (!roles) {
        snprintf(msg, msg_len, "no such route: %s", path);
        return 404;
    }
    if (!(roles & BIT(role))) {
        if (role == CN_ROLE_NONE) {
            snprintf(msg, msg_len, "missing or unknown bearer token");
            return 401;
        }
        snprintf(msg, msg_len, "%s is not for this credential (%s)", path,
                 roles == BIT(CN_ROLE_OPERATOR) ? "the operator's token drives training"
                                                : "a data owner's token, for its own parts");
        return 403;
    }
    if (pr < 0) {
        snprintf(msg, msg_len, "malformed part path (NAME is [A-Za-z0-9_-]{1,%d}, N a number)",
                 SRV_NAME_MAX);
        return 400;
    }
    if (pr > 0) {
        if (r.what == PART_SELF && (get || del)) return 0;
        if (r.what == PART_INDEX && put) return *max_body = 4096, 0;
        if (r.what == PART_BATCH && put) return *max_body = s->batch_max, 0;
        if (r.what == PART_COMPLETE && post) return 0;
    } else if (!strcmp(path, "/v1/health") || !strcmp(path, "/v1/parts") ||
               !strcmp(path, "/v1/status") || !strcmp(path, "/v1/model")) {
        if (get) return 0;
    } else if (post) {
        *max_body = 4096; /* /v1/train, /v1/stop, /v1/predict */
        return 0;
    }
    snprintf(msg, msg_len, "%s is not allowed on %s", method, path);
    return 405;
}

static void reply_msg(cn_http_resp *rs, unsigned code, const char *msg)
{
    if (code >= 400) return cn_http_reply_error(rs, code, "%s", msg);
    char j[1600];
    size_t w = (size_t)snprintf(j, sizeof j, "{\"ok\":true,\"message\":\"");
    w += cn_json_escape(j + w, sizeof j - w - 8, msg);
    snprintf(j + w, sizeof j - w, "\"}\n");
    cn_http_reply_text(rs, code, "application/json", j);
}

static void reply_json(cn_http_resp *rs, unsigned code, char *json, const char *msg)
{
    if (!json) return cn_http_reply_error(rs, code == 200 ? 503 : code, "%s", msg);
    cn_http_reply(rs, code, "application/json", (uint8_t *)json, strlen(json));
}

static void handle_part(cn_server_http *s, const cn_http_req *rq, const part_route *r,
                        cn_http_resp *rs)
{
    char msg[700] = "";
    char *json = NULL;
    unsigned code;
    switch (r->what) {
    case PART_SELF:
        if (!strcmp(rq->method, "GET")) {
            code = srv_store_state(s, r->test, rq->owner, r->name, &json);
            return reply_json(rs, code, json, "out of memory");
        }
        code = srv_store_delete(s, r->test, rq->owner, r->name, msg, sizeof msg);
        break;
    case PART_INDEX:
        code = srv_store_declare(s, r->test, rq->owner, r->name, rq->body, rq->body_len, msg,
                                 sizeof msg);
        break;
    case PART_BATCH:
        code = srv_store_put_batch(s, r->test, rq->owner, r->name, r->batch, rq->body,
                                   rq->body_len, msg, sizeof msg);
        break;
    default:
        code = srv_store_complete(s, r->test, rq->owner, r->name, msg, sizeof msg);
        break;
    }
    reply_msg(rs, code, msg);
}

static void handle(void *ctx, const cn_http_req *rq, cn_http_resp *rs)
{
    cn_server_http *s = ctx;
    char msg[700] = "";
    char *json = NULL;
    part_route r;
    if (!strcmp(rq->path, "/v1/health"))
        return cn_http_reply_text(rs, 200, "application/json",
                                  "{\"status\":\"ok\",\"role\":\"server\"}\n");
    if (parse_part_route(rq->path, &r) > 0) return handle_part(s, rq, &r, rs);
    if (!strcmp(rq->path, "/v1/parts")) {
        unsigned code = srv_store_list(s, rq->role == CN_ROLE_CLIENT ? rq->owner : NULL, &json);
        return reply_json(rs, code, json, "cannot list the parts");
    }
    if (!strcmp(rq->path, "/v1/train")) {
        job_opts o;
        unsigned code = srv_job_parse(rq->body, rq->body_len, &o, msg, sizeof msg);
        if (code == 202) code = srv_job_start(s, &o, msg, sizeof msg);
        return reply_msg(rs, code, msg);
    }
    if (!strcmp(rq->path, "/v1/stop")) {
        unsigned code = srv_job_stop_request(s, msg, sizeof msg);
        return reply_msg(rs, code, msg);
    }
    if (!strcmp(rq->path, "/v1/status")) {
        json = srv_job_status_json(s);
        return reply_json(rs, 200, json, "status unavailable");
    }
    if (!strcmp(rq->path, "/v1/predict")) {
        unsigned code =
            srv_job_predict(s, rq->owner, rq->body, rq->body_len, &json, msg, sizeof msg);
        return reply_json(rs, code, json, msg);
    }
    /* /v1/model */
    char path[2200];
    snprintf(path, sizeof path, "%s/model.bin", s->train);
    uint8_t *b;
    size_t len;
    if (cn_file_read_all(path, (size_t)1 << 30, &b, &len) != CRYPTONN_OK)
        return cn_http_reply_error(rs, 404, "no trained model yet");
    cn_http_reply(rs, 200, "application/octet-stream", b, len);
}

void cn_server_http_bind(cn_server_http *s, cn_http_service_opts *o)
{
    o->admit = admit;
    o->handle = handle;
    o->ctx = s;
}

void cn_server_quota_default(cn_server_quota *q)
{
    q->parts = 32;
    q->batches = 4096;
    q->bytes = (uint64_t)16 << 30;
    q->requests = 4;
}

/* params.bin from the authority, read with the dataset's own reader (any
 * version it knows) before it takes its place. */
static int fetch_params(cn_server_http *s, char *msg, size_t msg_len)
{
    char path[2200], tmp[2200];
    snprintf(path, sizeof path, "%s/params.bin", s->data);
    if (access(path, F_OK) == 0) return CRYPTONN_OK;
    cn_http_client *c = NULL;
    CN_TRY(cn_http_client_create(&c, &s->auth));
    long status = 0;
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = cn_http_call(c, "GET", "/v1/params", NULL, NULL, 0, &status, &b, &len, msg, msg_len);
    cn_http_client_destroy(c);
    if (rc != CRYPTONN_OK) return rc;
    snprintf(tmp, sizeof tmp, "%s/staging/params.bin", s->dir);
    cn_part p = {b, len};
    cn_enc_params ep;
    if (status != 200) rc = CRYPTONN_ERR_FORMAT;
    if (rc == CRYPTONN_OK) rc = cn_file_write_atomic(tmp, &p, 1, 0644);
    if (rc == CRYPTONN_OK) rc = cn_encdata_read_params_file(tmp, &ep, NULL);
    if (rc == CRYPTONN_OK && rename(tmp, path) != 0) rc = CRYPTONN_ERR_IO;
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "the authority's /v1/params answered %ld without a parameters file "
                 "(%s)", status, cryptonn_status_str(rc));
        unlink(tmp);
    }
    free(b);
    return rc;
}

static int mkdir_ok(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? CRYPTONN_OK : CRYPTONN_ERR_IO;
}

void srv_set_paths(cn_server_http *s, const char *dir)
{
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->data, sizeof s->data, "%s/data", dir);
    snprintf(s->tests, sizeof s->tests, "%s/test", dir);
    snprintf(s->train, sizeof s->train, "%s/train", dir);
    snprintf(s->cache, sizeof s->cache, "%s/cache", dir);
    snprintf(s->quar, sizeof s->quar, "%s/quarantine", dir);
}

int cn_server_http_create(cn_server_http **out, const char *dir, const cn_http_client_opts *auth,
                          unsigned threads, const cn_server_quota *q, char *msg, size_t msg_len)
{
    *out = NULL;
    cn_server_http *s = calloc(1, sizeof *s);
    if (!s) return CRYPTONN_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    pthread_mutex_init(&s->gmu, NULL);
    pthread_mutex_init(&s->dist_mu, NULL);
    pthread_cond_init(&s->gcv, NULL);
    pthread_cond_init(&s->exited, NULL);
    s->gate_free = 1;
    if (q) s->q = *q;
    else cn_server_quota_default(&s->q);
    srv_set_paths(s, dir);
    s->auth = *auth;
    snprintf(s->auth_base, sizeof s->auth_base, "%s", auth->base);
    s->auth.base = s->auth_base;
    if (auth->token) {
        snprintf(s->auth_token, sizeof s->auth_token, "%s", auth->token);
        s->auth.token = s->auth_token;
    }
    if (auth->cacert) {
        snprintf(s->auth_cacert, sizeof s->auth_cacert, "%s", auth->cacert);
        s->auth.cacert = s->auth_cacert;
    }
    s->threads = threads ? threads : 2;
    int rc = CRYPTONN_OK;
    char staging[2100];
    snprintf(staging, sizeof staging, "%s/staging", dir);
    const char *dirs[] = {s->dir, s->data, s->tests, s->train, s->cache, s->quar, staging};
    const char *names[] = {"the state directory", "data/", "test/", "train/", "cache/",
                           "quarantine/", "staging/"};
    for (int i = 0; i < 7 && rc == CRYPTONN_OK; i++)
        if ((rc = mkdir_ok(dirs[i])) != CRYPTONN_OK) snprintf(msg, msg_len, "cannot create %s", names[i]);
    if (rc == CRYPTONN_OK) {
        srv_store_sweep(s);
        srv_usage_scan(s);
    }
    if (rc == CRYPTONN_OK && (rc = fetch_params(s, msg, msg_len)) == CRYPTONN_OK &&
        (rc = cn_encdata_read_params(s->data, &s->p, NULL)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "data/params.bin: %s", cryptonn_status_str(rc));
    if (rc != CRYPTONN_OK) {
        cn_server_http_destroy(s);
        return rc;
    }
    /* a batch file: the samples' ciphertexts, the labels' and the batch
     * ciphertext, 32-byte elements plus headers; a generous bound */
    s->batch_max = (size_t)40 * s->p.batch * (2 * (size_t)s->p.slots + 8 * s->p.classes + 16) +
                   ((size_t)1 << 20);
    if (srv_job_resume_at_startup(s) < 0) snprintf(msg, msg_len, "train/job.json is unreadable");
    *out = s;
    return CRYPTONN_OK;
}

void cn_server_http_destroy(cn_server_http *s)
{
    if (!s) return;
    srv_job_stop(s);
    cn_wipe(s->auth_token, sizeof s->auth_token);
    pthread_mutex_destroy(&s->dist_mu);
    pthread_cond_destroy(&s->gcv);
    pthread_cond_destroy(&s->exited);
    pthread_mutex_destroy(&s->gmu);
    pthread_mutex_destroy(&s->mu);
    free(s->use);
    free(s->locks);
    free(s->gate);
    free(s);
}
