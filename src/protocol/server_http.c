/* server_http: the training server's routes (server_http.h) and its start:
 * state directories, params.bin from the authority, an interrupted job
 * resumed. */
#include "protocol/server_svc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

/* A route: /v1/parts/NAME[/index | /batches/N] or /v1/tests/... */
typedef struct {
    int test;
    char name[65];
    int what; /* 0: the part itself, 1: index, 2: batch */
    uint64_t batch;
} part_route;

static int parse_part_route(const char *path, part_route *r)
{
    const char *p;
    if (!strncmp(path, "/v1/parts/", 10)) r->test = 0, p = path + 10;
    else if (!strncmp(path, "/v1/tests/", 10)) r->test = 1, p = path + 10;
    else return 0;
    size_t n = strcspn(p, "/");
    if (n == 0 || n > 64) return -1;
    memcpy(r->name, p, n);
    r->name[n] = 0;
    if (!store_name_ok(r->name)) return -1;
    p += n;
    if (!*p) return r->what = 0, 1;
    if (!strcmp(p, "/index")) return r->what = 1, 1;
    if (!strncmp(p, "/batches/", 9)) {
        p += 9;
        if (!*p || strlen(p) > 8) return -1;
        for (const char *q = p; *q; q++)
            if (*q < '0' || *q > '9') return -1;
        r->batch = strtoull(p, NULL, 10);
        return r->what = 2, 1;
    }
    return -1;
}

static unsigned admit(void *ctx, const char *method, const char *path, int role, size_t *max_body,
                      char *msg, size_t msg_len)
{
    cn_server_http *s = ctx;
    *max_body = 0;
    int get = !strcmp(method, "GET"), put = !strcmp(method, "PUT"), post = !strcmp(method, "POST");
    if (!strcmp(path, "/v1/health")) {
        if (get) return 0;
        goto not_allowed;
    }
    part_route r;
    int pr = parse_part_route(path, &r);
    int known = pr != 0 || !strcmp(path, "/v1/train") || !strcmp(path, "/v1/status") ||
                !strcmp(path, "/v1/predict") || !strcmp(path, "/v1/model");
    if (!known) {
        snprintf(msg, msg_len, "no such route: %s", path);
        return 404;
    }
    /* uploads and their listing: data owners only; control: either role */
    int ok = pr != 0 ? role == CN_ROLE_CLIENT : role != CN_ROLE_NONE;
    if (!ok) {
        snprintf(msg, msg_len, "missing or wrong bearer token (%s)",
                 pr != 0 ? "uploads need the data owners' client token" : "a role's token");
        return 401;
    }
    if (pr < 0) {
        snprintf(msg, msg_len, "malformed part path (NAME is [A-Za-z0-9_-]{1,64}, N a number)");
        return 400;
    }
    if (pr > 0) {
        if (r.what == 0 && get) return 0;
        if (r.what == 1 && put) return *max_body = 4096, 0;
        if (r.what == 2 && put) return *max_body = s->batch_max, 0;
        goto not_allowed;
    }
    if (!strcmp(path, "/v1/train") && post) return *max_body = 4096, 0;
    if (!strcmp(path, "/v1/predict") && post) return *max_body = 4096, 0;
    if ((!strcmp(path, "/v1/status") || !strcmp(path, "/v1/model")) && get) return 0;
not_allowed:
    snprintf(msg, msg_len, "%s is not allowed on %s", method, path);
    return 405;
}

static void reply_msg(cn_http_resp *rs, unsigned code, const char *msg)
{
    if (code >= 400) return cn_http_reply_error(rs, code, "%s", msg);
    char j[700];
    snprintf(j, sizeof j, "{\"ok\":true,\"message\":\"%.600s\"}\n", msg);
    cn_http_reply_text(rs, code, "application/json", j);
}

static void reply_json(cn_http_resp *rs, unsigned code, char *json, const char *msg)
{
    if (!json) return cn_http_reply_error(rs, code == 200 ? 503 : code, "%s", msg);
    cn_http_reply(rs, code, "application/json", (uint8_t *)json, strlen(json));
}

static void handle(void *ctx, const cn_http_req *rq, cn_http_resp *rs)
{
    cn_server_http *s = ctx;
    char msg[600] = "";
    char *json = NULL;
    part_route r;
    if (!strcmp(rq->path, "/v1/health"))
        return cn_http_reply_text(rs, 200, "application/json",
                                  "{\"status\":\"ok\",\"role\":\"server\"}\n");
    if (parse_part_route(rq->path, &r) > 0) {
        unsigned code;
        if (r.what == 0) {
            code = store_list(s, r.test, r.name, &json, msg, sizeof msg);
            return reply_json(rs, code, json, msg);
        }
        if (r.what == 1)
            code = store_put_index(s, r.test, r.name, rq->body, rq->body_len, msg, sizeof msg);
        else code = store_put_batch(s, r.test, r.name, r.batch, rq->body, rq->body_len, msg, sizeof msg);
        return reply_msg(rs, code, msg);
    }
    if (!strcmp(rq->path, "/v1/train")) {
        job_opts o;
        unsigned code = job_parse(rq->body, rq->body_len, &o, msg, sizeof msg);
        if (code == 202) code = job_start(s, &o, msg, sizeof msg);
        return reply_msg(rs, code, msg);
    }
    if (!strcmp(rq->path, "/v1/status")) {
        json = job_status_json(s);
        return reply_json(rs, 200, json, "status unavailable");
    }
    if (!strcmp(rq->path, "/v1/predict")) {
        unsigned code = job_predict(s, rq->body, rq->body_len, &json, msg, sizeof msg);
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

/* params.bin from the authority, checked before it is written. */
static int fetch_params(cn_server_http *s, char *msg, size_t msg_len)
{
    char path[2200];
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
    const uint8_t *pl;
    size_t plen;
    if (status != 200 || cn_container_parse(b, len, "EDPR", 1, (size_t)1 << 31, &pl, &plen)) {
        snprintf(msg, msg_len, "the authority's /v1/params answered %ld without a parameters file",
                 status);
        free(b);
        return CRYPTONN_ERR_FORMAT;
    }
    cn_part p = {b, len};
    rc = cn_file_write_atomic(path, &p, 1, 0644);
    free(b);
    return rc;
}

static int mkdir_ok(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? CRYPTONN_OK : CRYPTONN_ERR_IO;
}

int cn_server_http_create(cn_server_http **out, const char *dir, const cn_http_client_opts *auth,
                          unsigned threads, char *msg, size_t msg_len)
{
    *out = NULL;
    cn_server_http *s = calloc(1, sizeof *s);
    if (!s) return CRYPTONN_ERR_NOMEM;
    pthread_mutex_init(&s->mu, NULL);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->data, sizeof s->data, "%s/data", dir);
    snprintf(s->tests, sizeof s->tests, "%s/test", dir);
    snprintf(s->train, sizeof s->train, "%s/train", dir);
    snprintf(s->cache, sizeof s->cache, "%s/cache", dir);
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
    const char *dirs[] = {s->dir, s->data, s->tests, s->train, s->cache, staging};
    for (int i = 0; i < 6 && rc == CRYPTONN_OK; i++)
        if ((rc = mkdir_ok(dirs[i])) != CRYPTONN_OK) snprintf(msg, msg_len, "cannot create %s", dirs[i]);
    if (rc == CRYPTONN_OK) store_sweep(s);
    if (rc == CRYPTONN_OK && (rc = fetch_params(s, msg, msg_len)) == CRYPTONN_OK &&
        (rc = cn_encdata_read_params(s->data, &s->p, NULL)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "%s/params.bin: %s", s->data, cryptonn_status_str(rc));
    if (rc != CRYPTONN_OK) {
        cn_server_http_destroy(s);
        return rc;
    }
    /* a batch file: the samples' ciphertexts, the labels' and the batch
     * ciphertext, 32-byte elements plus headers; a generous bound */
    s->batch_max = (size_t)40 * s->p.batch * (2 * (size_t)s->p.slots + 8 * s->p.classes + 16) +
                   ((size_t)1 << 20);
    if (job_resume_at_startup(s) < 0) snprintf(msg, msg_len, "train/job.json is unreadable");
    *out = s;
    return CRYPTONN_OK;
}

void cn_server_http_destroy(cn_server_http *s)
{
    if (!s) return;
    job_stop(s);
    cn_wipe(s->auth_token, sizeof s->auth_token);
    pthread_mutex_destroy(&s->mu);
    free(s);
}
