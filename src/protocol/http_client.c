/* http_client: the libcurl side of http.h. One easy handle per client, so
 * the connection stays open between calls (a training run sends thousands of
 * key requests). Retries are for faults of the transport or the service
 * (connection refused while it restarts, 5xx), never for an answer about the
 * request itself (4xx): those would fail again. */
#include "protocol/http.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cryptonn/status.h"
#include "util/util.h"

#ifdef CRYPTONN_HAVE_CURL
#include <curl/curl.h>

struct cn_http_client {
    CURL *h;
    cn_http_client_opts o;
    char *base, *cacert;
    char auth[128];
    uint64_t retries;
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static void global_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

int cn_http_client_create(cn_http_client **out, const cn_http_client_opts *o)
{
    *out = NULL;
    pthread_once(&once, global_init);
    cn_http_client *c = calloc(1, sizeof *c);
    if (!c) return CRYPTONN_ERR_NOMEM;
    c->o = *o;
    if (!c->o.timeout_s) c->o.timeout_s = 60;
    if (!c->o.connect_timeout_s) c->o.connect_timeout_s = 5;
    if (!c->o.backoff_ms) c->o.backoff_ms = 100;
    if (!c->o.max_resp) c->o.max_resp = (size_t)1 << 30;
    c->base = strdup(o->base);
    c->cacert = o->cacert ? strdup(o->cacert) : NULL;
    if (o->token) snprintf(c->auth, sizeof c->auth, "Authorization: Bearer %s", o->token);
    c->h = curl_easy_init();
    if (!c->base || !c->h || (o->cacert && !c->cacert)) {
        cn_http_client_destroy(c);
        return CRYPTONN_ERR_NOMEM;
    }
    c->o.base = c->base;
    c->o.cacert = c->cacert;
    c->o.token = NULL; /* kept only in auth, which is wiped */
    *out = c;
    return CRYPTONN_OK;
}

void cn_http_client_destroy(cn_http_client *c)
{
    if (!c) return;
    if (c->h) curl_easy_cleanup(c->h);
    cn_wipe(c->auth, sizeof c->auth);
    free(c->base);
    free(c->cacert);
    free(c);
}

uint64_t cn_http_client_retries(const cn_http_client *c)
{
    return __atomic_load_n(&c->retries, __ATOMIC_RELAXED);
}

typedef struct {
    uint8_t *b;
    size_t len, cap, max;
    int over;
} sink;

static size_t on_data(char *p, size_t sz, size_t n, void *ud)
{
    sink *s = ud;
    size_t k = sz * n;
    if (k > s->max - s->len) {
        s->over = 1;
        return 0; /* aborts the transfer */
    }
    if (s->len + k + 1 > s->cap) {
        size_t cap = s->cap ? s->cap : 4096;
        while (cap < s->len + k + 1) cap *= 2;
        uint8_t *b = realloc(s->b, cap);
        if (!b) return 0;
        s->b = b;
        s->cap = cap;
    }
    memcpy(s->b + s->len, p, k);
    s->len += k;
    return k;
}

static int transient(CURLcode e)
{
    return e == CURLE_COULDNT_CONNECT || e == CURLE_SEND_ERROR || e == CURLE_RECV_ERROR ||
           e == CURLE_GOT_NOTHING || e == CURLE_PARTIAL_FILE || e == CURLE_OPERATION_TIMEDOUT;
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int cn_http_call(cn_http_client *c, const char *method, const char *path, const char *type,
                 const uint8_t *body, size_t len, long *status, uint8_t **resp, size_t *resp_len,
                 char *msg, size_t msg_len)
{
    char url[1024], ctype[128];
    if ((size_t)snprintf(url, sizeof url, "%s%s", c->base, path) >= sizeof url) {
        snprintf(msg, msg_len, "URL too long");
        return CRYPTONN_ERR_ARG;
    }
    snprintf(ctype, sizeof ctype, "Content-Type: %s", type ? type : "application/octet-stream");
    uint64_t deadline = cn_now_ns() + (uint64_t)c->o.retry_for_s * 1000000000ull;
    unsigned backoff = c->o.backoff_ms;
    if (resp) *resp = NULL;
    if (resp_len) *resp_len = 0;
    *status = 0;
    for (;;) {
        sink s = {.max = c->o.max_resp};
        struct curl_slist *hd = NULL;
        if (c->auth[0]) hd = curl_slist_append(hd, c->auth);
        hd = curl_slist_append(hd, ctype);
        /* no "Expect: 100-continue": its round trip (and curl's wait for
         * it) costs every large key request; the service still refuses an
         * unauthorised or oversized body from its headers alone */
        hd = curl_slist_append(hd, "Expect:");
        CURL *h = c->h;
        curl_easy_reset(h);
        curl_easy_setopt(h, CURLOPT_URL, url);
        curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
        curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->o.timeout_s);
        curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->o.connect_timeout_s);
        curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
        curl_easy_setopt(h, CURLOPT_WRITEDATA, &s);
        curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
        if (c->cacert) curl_easy_setopt(h, CURLOPT_CAINFO, c->cacert);
        if (!strcmp(method, "GET")) curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
        else {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, body ? (const char *)body : "");
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
            if (strcmp(method, "POST")) curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
        }
        CURLcode e = curl_easy_perform(h);
        curl_slist_free_all(hd);
        long code = 0;
        if (e == CURLE_OK) curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
        int retry = (e != CURLE_OK && transient(e) && !s.over) || (e == CURLE_OK && code >= 500);
        if (retry && cn_now_ns() < deadline && !(c->o.cancel && *c->o.cancel)) {
            free(s.b);
            __atomic_add_fetch(&c->retries, 1, __ATOMIC_RELAXED); /* read by status threads */
            pause_ms(backoff);
            backoff = backoff * 2 > 2000 ? 2000 : backoff * 2;
            continue;
        }
        if (e != CURLE_OK) {
            free(s.b);
            snprintf(msg, msg_len, "%s %s: %s", method, url,
                     s.over ? "response larger than the limit" : curl_easy_strerror(e));
            return s.over ? CRYPTONN_ERR_TOO_LARGE : CRYPTONN_ERR_NET;
        }
        *status = code;
        if (s.b) s.b[s.len] = 0;
        if (resp) *resp = s.b;
        else free(s.b);
        if (resp_len) *resp_len = s.len;
        return CRYPTONN_OK;
    }
}

#else

int cn_http_client_create(cn_http_client **out, const cn_http_client_opts *o)
{
    (void)o;
    *out = NULL;
    return CRYPTONN_ERR_NET;
}
void cn_http_client_destroy(cn_http_client *c) { (void)c; }
uint64_t cn_http_client_retries(const cn_http_client *c) { (void)c; return 0; }
int cn_http_call(cn_http_client *c, const char *method, const char *path, const char *type,
                 const uint8_t *body, size_t len, long *status, uint8_t **resp, size_t *resp_len,
                 char *msg, size_t msg_len)
{
    (void)c, (void)method, (void)path, (void)type, (void)body, (void)len, (void)resp, (void)resp_len;
    *status = 0;
    snprintf(msg, msg_len, "built without libcurl (tools/install-deps)");
    return CRYPTONN_ERR_NET;
}

#endif
