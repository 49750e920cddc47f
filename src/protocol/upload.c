/* A data owner's HTTP calls to the services (cryptonn/owner.h): the upload
 * of an encrypted part to the training server, one step after the other
 * (ask what the server has, declare the part with its index, send the batches
 * it lacks, complete it: the server reads every batch as training will
 * before accepting), and the label registration with the authority. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/owner.h"
#include "protocol/http.h"
#include "secure/encdata.h"
#include "util/util.h"

/* One request; on an answer other than want (or 200 when want is 201), msg
 * holds it. */
static int request(cn_http_client *c, const char *method, const char *url, const uint8_t *body,
                   size_t len, long want, char **out, char *msg, size_t msg_len)
{
    long status = 0;
    uint8_t *resp = NULL;
    int rc = cn_http_call(c, method, url, "application/octet-stream", body, len, &status, &resp,
                          NULL, msg, msg_len);
    if (rc == CRYPTONN_OK && status != want && !(want == 201 && status == 200)) {
        snprintf(msg, msg_len, "%s %s: HTTP %ld %s", method, url, status, resp ? (char *)resp : "");
        rc = status == 401 ? CRYPTONN_ERR_AUTH : status == 403 ? CRYPTONN_ERR_POLICY
                                                               : CRYPTONN_ERR_NET;
    }
    if (rc == CRYPTONN_OK && out) *out = (char *)resp;
    else free(resp);
    return rc;
}

static int put_file(cn_http_client *c, const char *path, const char *url, char *msg,
                    size_t msg_len)
{
    uint8_t *b;
    size_t len;
    int rc = cn_file_read_all(path, (size_t)1 << 31, &b, &len);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%.900s: %s", path, cryptonn_status_str(rc));
        return rc;
    }
    rc = request(c, "PUT", url, b, len, 201, NULL, msg, msg_len);
    free(b);
    return rc;
}

/* What the server holds of the part (GET /v1/{parts,tests}/NAME). */
typedef struct {
    char state[16]; /* absent, open, complete, quarantined */
    uint8_t *stored; /* per local batch: the server has it */
} remote_part;

static int remote_state(cn_http_client *c, const char *url, uint64_t nb, remote_part *rp,
                        char *msg, size_t msg_len)
{
    char *js = NULL;
    CN_TRY(request(c, "GET", url, NULL, 0, 200, &js, msg, msg_len));
    const char *st = strstr(js, "\"state\":\"");
    snprintf(rp->state, sizeof rp->state, "%.*s", st ? (int)strcspn(st + 9, "\"") : 0,
             st ? st + 9 : "");
    rp->stored = calloc(nb ? nb : 1, 1);
    const char *lb = strstr(js, "\"stored\":[");
    for (const char *q = lb ? lb + 10 : NULL; rp->stored && q && *q && *q != ']';) {
        char *e;
        unsigned long long i = strtoull(q, &e, 10);
        if (e == q) break;
        if (i < nb) rp->stored[i] = 1;
        q = *e == ',' ? e + 1 : e;
    }
    if (!strcmp(rp->state, "quarantined"))
        snprintf(msg, msg_len, "the server put the part in quarantine (damaged there): %s; "
                 "delete it (cryptonn client delete) and upload again", js);
    free(js);
    if (!rp->stored) return CRYPTONN_ERR_NOMEM;
    return strcmp(rp->state, "quarantined") ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
}

/* The local part's batch count, from its index. */
static int local_batches(const char *dir, const char *part, uint64_t *nb)
{
    char path[4200];
    uint8_t *ix;
    const uint8_t *pl;
    size_t plen;
    snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, part);
    CN_TRY(cn_container_read(path, "EDIX", 1, 20, &ix, &pl, &plen));
    int rc = plen == 20 ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
    if (rc == CRYPTONN_OK) *nb = cn_load_u64(pl + 8);
    free(ix);
    return rc;
}

static int send_batches(cn_http_client *c, const char *dir, const char *part, const char *base,
                        uint64_t nb, const remote_part *rp, uint64_t *sent, char *msg,
                        size_t msg_len)
{
    char path[4200], url[600];
    for (uint64_t i = 0; i < nb; i++) {
        if (rp->stored[i]) continue;
        snprintf(path, sizeof path, "%s/part-%s/batch-%06llu.bin", dir, part, (unsigned long long)i);
        snprintf(url, sizeof url, "%s/batches/%llu", base, (unsigned long long)i);
        CN_TRY(put_file(c, path, url, msg, msg_len));
        (*sent)++;
    }
    return CRYPTONN_OK;
}

static int client(const char *url, const char *token, const char *cacert, cn_http_client **c)
{
    cn_http_client_opts o = {.base = url, .token = token, .cacert = cacert};
    return cn_http_client_create(c, &o);
}

int cryptonn_owner_upload(const char *url, const char *token, const char *cacert,
                          const char *dir, const char *part, int test, uint64_t *sent,
                          uint64_t *present, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(url && dir && part);
    if (msg_len) msg[0] = 0;
    if (!cn_part_name_ok(part)) {
        snprintf(msg, msg_len, "the part name must match [A-Za-z0-9_-]{1,64}");
        return CRYPTONN_ERR_ARG;
    }
    uint64_t nb = 0, n_sent = 0;
    int rc = local_batches(dir, part, &nb);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%s has no complete part '%s': %s", dir, part,
                 cryptonn_status_str(rc));
        return rc;
    }
    cn_http_client *c = NULL;
    if ((rc = client(url, token, cacert, &c)) != CRYPTONN_OK) {
        snprintf(msg, msg_len, "http client: %s", cryptonn_status_str(rc));
        return rc;
    }
    char base[512], path[4200], u[600];
    snprintf(base, sizeof base, "/v1/%s/%s", test ? "tests" : "parts", part);
    remote_part rp = {0};
    rc = remote_state(c, base, nb, &rp, msg, msg_len);
    int complete = rc == CRYPTONN_OK && !strcmp(rp.state, "complete");
    if (rc == CRYPTONN_OK && !complete && !strcmp(rp.state, "absent")) {
        snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, part);
        snprintf(u, sizeof u, "%s/index", base);
        rc = put_file(c, path, u, msg, msg_len);
    }
    if (rc == CRYPTONN_OK && !complete)
        rc = send_batches(c, dir, part, base, nb, &rp, &n_sent, msg, msg_len);
    if (rc == CRYPTONN_OK && !complete) {
        snprintf(u, sizeof u, "%s/complete", base);
        rc = request(c, "POST", u, NULL, 0, 201, NULL, msg, msg_len);
    }
    free(rp.stored);
    cn_http_client_destroy(c);
    if (sent) *sent = n_sent;
    if (present) *present = nb - n_sent;
    return rc;
}

int cryptonn_owner_register(const char *url, const char *token, const char *cacert,
                            const char *registration, uint64_t *added, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(url && registration);
    if (msg_len) msg[0] = 0;
    uint8_t *b = NULL;
    size_t len = 0;
    int rc = cn_file_read_all(registration, (size_t)64 << 20, &b, &len);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%.900s: %s", registration, cryptonn_status_str(rc));
        return rc;
    }
    cn_http_client *c = NULL;
    char *out = NULL;
    if ((rc = client(url, token, cacert, &c)) == CRYPTONN_OK)
        rc = request(c, "POST", "/v1/labels", b, len, 200, &out, msg, msg_len);
    free(b);
    cn_http_client_destroy(c);
    if (rc == CRYPTONN_OK && added) {
        const char *q = out ? strstr(out, "\"registered\":") : NULL;
        *added = q ? strtoull(q + 13, NULL, 10) : 0;
    }
    free(out);
    return rc;
}

/* The answer's "predictions": classes (integers 0..255), or reals when the
 * answer says they are a regression's "targets". */
static int parse_predictions(const char *resp, uint8_t **pred, float **targets, uint64_t *n)
{
    const char *lb = strstr(resp, "\"predictions\":[");
    if (!lb) return CRYPTONN_ERR_FORMAT;
    const int regress = strstr(resp, "\"targets\":\"") != NULL;
    const size_t size = regress ? sizeof(float) : 1;
    size_t cap = 1024, k = 0;
    uint8_t *p = malloc(cap * size);
    int rc = p ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    for (const char *q = lb + 15; rc == CRYPTONN_OK && *q != ']';) {
        char *e;
        double v = strtod(q, &e);
        if (e == q || (*e != ',' && *e != ']') || !isfinite(v) ||
            (!regress && (v < 0 || v > 255 || v != floor(v))))
            rc = CRYPTONN_ERR_FORMAT;
        else if (k == cap) {
            uint8_t *g = realloc(p, (cap *= 2) * size);
            if (!g) rc = CRYPTONN_ERR_NOMEM;
            else p = g;
        }
        if (rc != CRYPTONN_OK) break;
        if (regress) ((float *)(void *)p)[k++] = (float)v;
        else p[k++] = (uint8_t)v;
        q = *e == ',' ? e + 1 : e;
    }
    if (rc != CRYPTONN_OK) {
        free(p);
        return rc;
    }
    if (regress) *targets = (float *)(void *)p;
    else *pred = p;
    *n = k;
    return CRYPTONN_OK;
}

int cryptonn_owner_predict_outputs(const char *url, const char *token, const char *cacert,
                                   const char *part, uint8_t **pred, float **targets,
                                   uint64_t *n, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(url && part && pred && targets && n);
    *pred = NULL;
    *targets = NULL;
    *n = 0;
    if (msg_len) msg[0] = 0;
    if (!cn_part_name_ok(part)) {
        snprintf(msg, msg_len, "the part name must match [A-Za-z0-9_-]{1,64}");
        return CRYPTONN_ERR_ARG;
    }
    cn_http_client *c = NULL;
    char body[128], *resp = NULL;
    snprintf(body, sizeof body, "{\"part\":\"%s\"}", part);
    int rc = client(url, token, cacert, &c);
    if (rc == CRYPTONN_OK)
        rc = request(c, "POST", "/v1/predict", (const uint8_t *)body, strlen(body), 200, &resp,
                     msg, msg_len);
    cn_http_client_destroy(c);
    if (rc != CRYPTONN_OK) return rc;
    rc = parse_predictions(resp, pred, targets, n);
    if (rc == CRYPTONN_ERR_FORMAT) snprintf(msg, msg_len, "the server's predictions are malformed");
    free(resp);
    return rc;
}

int cryptonn_owner_predict(const char *url, const char *token, const char *cacert,
                           const char *part, uint8_t **pred, uint64_t *n, char *msg,
                           size_t msg_len)
{
    CN_ARG_CHECK(pred && n);
    float *targets = NULL;
    int rc = cryptonn_owner_predict_outputs(url, token, cacert, part, pred, &targets, n, msg,
                                            msg_len);
    if (rc == CRYPTONN_OK && targets) {
        free(targets);
        *n = 0;
        snprintf(msg, msg_len, "part '%s' has a regression target: its predictions are targets, "
                 "not classes (cryptonn_owner_predict_outputs)", part);
        rc = CRYPTONN_ERR_ARG;
    }
    return rc;
}

static int one_call(const char *url, const char *token, const char *cacert, const char *method,
                    const char *path, char **out, char *msg, size_t msg_len)
{
    cn_http_client *c = NULL;
    int rc = client(url, token, cacert, &c);
    if (rc == CRYPTONN_OK) rc = request(c, method, path, NULL, 0, 200, out, msg, msg_len);
    cn_http_client_destroy(c);
    return rc;
}

int cryptonn_owner_delete(const char *url, const char *token, const char *cacert,
                          const char *part, int test, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(url && part);
    if (msg_len) msg[0] = 0;
    if (!cn_part_name_ok(part)) {
        snprintf(msg, msg_len, "the part name must match [A-Za-z0-9_-]{1,64}");
        return CRYPTONN_ERR_ARG;
    }
    char path[128];
    snprintf(path, sizeof path, "/v1/%s/%s", test ? "tests" : "parts", part);
    return one_call(url, token, cacert, "DELETE", path, NULL, msg, msg_len);
}

int cryptonn_owner_parts(const char *url, const char *token, const char *cacert, char **json,
                         char *msg, size_t msg_len)
{
    CN_ARG_CHECK(url && json);
    *json = NULL;
    if (msg_len) msg[0] = 0;
    return one_call(url, token, cacert, "GET", "/v1/parts", json, msg, msg_len);
}
