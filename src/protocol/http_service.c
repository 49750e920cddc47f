/* http_service: the libmicrohttpd side of http.h. One thread per connection
 * (keys and uploads are CPU- or disk-bound, and a slow client must not stall
 * the others); a request's body is collected into a buffer bounded by the
 * route's limit before the handler sees it. The deadlines and connection
 * caps are http_guard.c's. */
#include "protocol/http.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cryptonn/status.h"
#include "util/util.h"

#ifdef CRYPTONN_HAVE_MHD
#include <microhttpd.h>

#include "protocol/http_guard.h"

struct cn_http_service {
    struct MHD_Daemon *d;
    cn_http_guard *guard;
    cn_http_service_opts o;
    char *token[CN_ROLE_COUNT];
    char *cert, *key; /* PEM contents (MHD keeps pointers to them) */
    uint16_t port;
};

typedef struct {
    int role;
    char owner[CN_OWNER_NAME_MAX + 1];
    size_t max;
    unsigned early;  /* a status to answer once the body is drained (413), or 0 */
    uint8_t *buf;
    size_t len, cap;
} conn_state;

static enum MHD_Result send_resp(struct MHD_Connection *c, cn_http_resp *rs)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(rs->len, rs->body ? rs->body : (void *)"",
                                        rs->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
    if (!r) {
        free(rs->body);
        return MHD_NO;
    }
    rs->body = NULL;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, rs->type ? rs->type : "text/plain");
    if (rs->status == 401) MHD_add_response_header(r, "WWW-Authenticate", "Bearer");
    enum MHD_Result ok = MHD_queue_response(c, rs->status, r);
    MHD_destroy_response(r);
    return ok;
}

static enum MHD_Result send_error(struct MHD_Connection *c, unsigned status, const char *msg)
{
    cn_http_resp rs = {0};
    cn_http_reply_error(&rs, status, "%s", msg);
    return send_resp(c, &rs);
}

/* The role whose token the Authorization header carries (and, for an
 * owner, which one). The whole value counts, NULs included: its length must
 * be exactly "Bearer " and 64 characters. Every configured token is
 * compared, in constant time, so the timing says nothing about which one, or
 * how much of one, matched. */
static int role_of(const cn_http_service *s, struct MHD_Connection *c, char *owner)
{
    static const char AUTH[] = MHD_HTTP_HEADER_AUTHORIZATION;
    const char *h = NULL;
    size_t len = 0;
    if (MHD_lookup_connection_value_n(c, MHD_HEADER_KIND, AUTH, sizeof AUTH - 1, &h, &len) !=
            MHD_YES ||
        len < 7 || memcmp(h, "Bearer ", 7) != 0)
        return CN_ROLE_NONE;
    h += 7;
    len -= 7;
    int role = CN_ROLE_NONE;
    if (len == 64)
        for (int i = 1; i < CN_ROLE_COUNT; i++)
            if (s->token[i] && sodium_memcmp(h, s->token[i], 64) == 0) role = i;
    if (s->o.owners && cn_owner_db_find(s->o.owners, h, len, owner)) role = CN_ROLE_CLIENT;
    return role;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    (void)version;
    cn_http_service *s = cls;
    conn_state *st = *con_cls;
    if (!st) {
        st = calloc(1, sizeof *st);
        if (!st) return MHD_NO;
        *con_cls = st;
        st->role = role_of(s, c, st->owner);
        cn_http_guard_phase(c, CN_GUARD_BODY, st->role != CN_ROLE_NONE);
        char msg[256] = "";
        size_t max = 0;
        unsigned code = s->o.admit(s->o.ctx, method, url, st->role, &max, msg, sizeof msg);
        if (code) return send_error(c, code, msg[0] ? msg : "refused");
        st->max = max;
        const char *cl =
            MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *e;
            unsigned long long n = strtoull(cl, &e, 10);
            if (*e || n > max) {
                snprintf(msg, sizeof msg, "body of %s bytes exceeds this route's limit of %zu",
                         cl, max);
                return send_error(c, 413, msg);
            }
            /* reserve what is declared, up to 1 MiB: memory beyond that is
             * taken only as the bytes arrive, so idle connections that
             * declare large bodies cannot pin memory */
            size_t want = n < ((size_t)1 << 20) ? (size_t)n : ((size_t)1 << 20);
            if (want) {
                st->buf = malloc(want);
                if (!st->buf) return send_error(c, 503, "out of memory");
                st->cap = want;
            }
        }
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (st->early) return MHD_YES;
        if (n > st->max - st->len) {
            st->early = 413;
            return MHD_YES;
        }
        if (st->len + n > st->cap) {
            size_t cap = st->cap ? st->cap : 65536;
            while (cap < st->len + n) cap *= 2;
            if (cap > st->max) cap = st->max;
            uint8_t *b = realloc(st->buf, cap);
            if (!b) {
                st->early = 503;
                return MHD_YES;
            }
            st->buf = b;
            st->cap = cap;
        }
        memcpy(st->buf + st->len, upload_data, n);
        st->len += n;
        return MHD_YES;
    }
    cn_http_guard_phase(c, CN_GUARD_BUSY, 0);
    if (st->early == 413) {
        char msg[128];
        snprintf(msg, sizeof msg, "body exceeds this route's limit of %zu bytes", st->max);
        return send_error(c, 413, msg);
    }
    if (st->early) return send_error(c, st->early, "out of memory");
    char path[512];
    size_t pl = strcspn(url, "?");
    if (pl >= sizeof path) return send_error(c, 414, "path too long");
    memcpy(path, url, pl);
    path[pl] = 0;
    cn_http_req rq = {method, path, st->role, st->role == CN_ROLE_CLIENT ? st->owner : NULL,
                      st->buf, st->len};
    cn_http_resp rs = {0};
    s->o.handle(s->o.ctx, &rq, &rs);
    if (!rs.status) cn_http_reply_error(&rs, 500, "no response");
    return send_resp(c, &rs);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls, (void)toe;
    cn_http_guard_phase(c, CN_GUARD_HEAD, 0); /* the next request's headers are due */
    conn_state *st = *con_cls;
    if (!st) return;
    free(st->buf);
    free(st);
    *con_cls = NULL;
}

static char *read_pem(const char *path)
{
    uint8_t *b;
    size_t len;
    if (cn_file_read_all(path, 1 << 20, &b, &len) != CRYPTONN_OK) return NULL;
    char *s = malloc(len + 1);
    if (s) {
        memcpy(s, b, len);
        s[len] = 0;
    }
    cn_free_secret(b, len);
    return s;
}

static void free_service(cn_http_service *s)
{
    cn_http_guard_destroy(s->guard);
    for (int i = 0; i < CN_ROLE_COUNT; i++)
        if (s->token[i]) cn_free_secret(s->token[i], strlen(s->token[i]));
    free(s->cert);
    if (s->key) cn_free_secret(s->key, strlen(s->key));
    free(s);
}

int cn_http_service_start(cn_http_service **out, const cn_http_service_opts *o, char *msg,
                          size_t msg_len)
{
    *out = NULL;
    cn_http_service *s = calloc(1, sizeof *s);
    if (!s) return CRYPTONN_ERR_NOMEM;
    s->o = *o;
    if (!s->o.timeout_s) s->o.timeout_s = 30;
    if (!s->o.header_timeout_s) s->o.header_timeout_s = 10;
    if (!s->o.body_timeout_s) s->o.body_timeout_s = 120;
    if (!s->o.max_conns) s->o.max_conns = 256;
    if (!s->o.per_address) s->o.per_address = 32;
    for (int i = 1; i < CN_ROLE_COUNT; i++)
        if (i != CN_ROLE_CLIENT && o->token[i] && !(s->token[i] = strdup(o->token[i]))) {
            free_service(s);
            return CRYPTONN_ERR_NOMEM;
        }
    if (s->o.max_conns < 8 ||
        cn_http_guard_create(&s->guard, s->o.max_conns, s->o.header_timeout_s,
                             s->o.body_timeout_s) != CRYPTONN_OK) {
        snprintf(msg, msg_len, "cannot start the connection guard (max_conns >= 8)");
        free_service(s);
        return CRYPTONN_ERR_ARG;
    }
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    char host[64];
    const char *colon = o->listen ? strrchr(o->listen, ':') : NULL;
    char *e = NULL;
    unsigned long port = colon ? strtoul(colon + 1, &e, 10) : 0;
    if (!colon || (size_t)(colon - o->listen) >= sizeof host || !colon[1] || *e || port > 65535) {
        snprintf(msg, msg_len, "--listen wants HOST:PORT (an IPv4 address), not '%s'",
                 o->listen ? o->listen : "");
        free_service(s);
        return CRYPTONN_ERR_ARG;
    }
    memcpy(host, o->listen, (size_t)(colon - o->listen));
    host[colon - o->listen] = 0;
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        snprintf(msg, msg_len, "'%s' is not an IPv4 address", host);
        free_service(s);
        return CRYPTONN_ERR_ARG;
    }
    sa.sin_port = htons((uint16_t)port);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION |
                     MHD_USE_POLL;
    if (o->cert_file || o->key_file) {
        if (!o->cert_file || !o->key_file) {
            snprintf(msg, msg_len, "TLS needs both --cert and --key");
            free_service(s);
            return CRYPTONN_ERR_ARG;
        }
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(msg, msg_len, "this libmicrohttpd was built without TLS");
            free_service(s);
            return CRYPTONN_ERR_ARG;
        }
        s->cert = read_pem(o->cert_file);
        s->key = read_pem(o->key_file);
        if (!s->cert || !s->key) {
            snprintf(msg, msg_len, "cannot read %s or %s", o->cert_file, o->key_file);
            free_service(s);
            return CRYPTONN_ERR_IO;
        }
        flags |= MHD_USE_TLS;
    }
    struct MHD_OptionItem tls[] = {
        {s->cert ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, s->cert},
        {s->key ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, s->key},
        {MHD_OPTION_END, 0, NULL}};
    s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &sa,
                            MHD_OPTION_CONNECTION_TIMEOUT, s->o.timeout_s,
                            MHD_OPTION_CONNECTION_LIMIT, s->o.max_conns,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, s->o.per_address,
                            MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                            MHD_OPTION_NOTIFY_CONNECTION, cn_http_guard_notify, s->guard,
                            MHD_OPTION_ARRAY, tls, MHD_OPTION_END);
    if (!s->d) {
        snprintf(msg, msg_len, "cannot listen on %s (address in use, or not local?)", o->listen);
        free_service(s);
        return CRYPTONN_ERR_NET;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    s->port = di ? di->port : (uint16_t)port;
    *out = s;
    return CRYPTONN_OK;
}

uint16_t cn_http_service_port(const cn_http_service *s) { return s->port; }

void cn_http_service_guard_counts(cn_http_service *s, unsigned long *timed_out,
                                  unsigned long *evicted)
{
    cn_http_guard_counts(s->guard, timed_out, evicted);
}

void cn_http_service_stop(cn_http_service *s)
{
    if (!s) return;
    MHD_stop_daemon(s->d);
    free_service(s);
}

#else /* without libmicrohttpd the services are unavailable */

int cn_http_service_start(cn_http_service **out, const cn_http_service_opts *o, char *msg,
                          size_t msg_len)
{
    (void)o;
    *out = NULL;
    snprintf(msg, msg_len, "built without libmicrohttpd (tools/install-deps)");
    return CRYPTONN_ERR_NET;
}
uint16_t cn_http_service_port(const cn_http_service *s) { (void)s; return 0; }
void cn_http_service_guard_counts(cn_http_service *s, unsigned long *timed_out,
                                  unsigned long *evicted)
{
    (void)s;
    *timed_out = *evicted = 0;
}
void cn_http_service_stop(cn_http_service *s) { (void)s; }

#endif

void cn_http_reply(cn_http_resp *rs, unsigned status, const char *type, uint8_t *body, size_t len)
{
    free(rs->body);
    rs->status = status;
    rs->type = type;
    rs->body = body;
    rs->len = len;
}

void cn_http_reply_text(cn_http_resp *rs, unsigned status, const char *type, const char *text)
{
    size_t n = strlen(text);
    uint8_t *b = malloc(n + 1);
    if (b) memcpy(b, text, n + 1);
    cn_http_reply(rs, b ? status : 500, type, b, b ? n : 0);
}

size_t cn_json_escape(char *dst, size_t cap, const char *src)
{
    size_t w = 0;
    for (const char *p = src; *p && w + 8 < cap; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\') {
            dst[w++] = '\\';
            dst[w++] = (char)ch;
        } else if (ch < 0x20) w += (size_t)snprintf(dst + w, cap - w, "\\u%04x", ch);
        else dst[w++] = (char)ch;
    }
    if (cap) dst[w < cap ? w : cap - 1] = 0;
    return w;
}

/* {"error": "..."} with the message escaped for JSON. */
void cn_http_reply_error(cn_http_resp *rs, unsigned status, const char *fmt, ...)
{
    char m[512], j[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(m, sizeof m, fmt, ap);
    va_end(ap);
    size_t w = (size_t)snprintf(j, sizeof j, "{\"error\":\"");
    w += cn_json_escape(j + w, sizeof j - w, m);
    snprintf(j + w, sizeof j - w, "\"}\n");
    cn_http_reply_text(rs, status, "application/json", j);
}
