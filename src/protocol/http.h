/* http: the transport of the networked roles (DESIGN §6). A small service
 * layer on libmicrohttpd and a client on libcurl; the bodies are the same
 * bytes the in-process mode passes by function call (keyreq.h messages,
 * encdata.h files), control messages are JSON.
 *
 * Service invariants: a request is authorised (bearer token: the whole
 * header value, NULs included, compared in constant time) and its declared
 * size checked against the route's limit before a byte of its body is read;
 * a body that grows past the limit while arriving is answered 413 and
 * dropped; handlers see only complete bodies, so every state change happens
 * after the whole request was received and validated. Headers are bounded by
 * libmicrohttpd's per-connection memory limit, never allocated from a header
 * value. A request's headers and its body each have an absolute deadline
 * that a trickling client cannot extend, connections per address and in
 * total are capped, and anonymous connections waiting for headers are shut
 * down first when room runs short (http_guard.h). */
#ifndef CRYPTONN_PROTOCOL_HTTP_H
#define CRYPTONN_PROTOCOL_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/owners.h"

/* ---- service ---- */

/* The credential a request carried: none (or an unknown one), the training
 * server's token towards the authority, a data owner's token (owners.h), or
 * the training server's operator token. */
enum { CN_ROLE_NONE = 0, CN_ROLE_SERVER = 1, CN_ROLE_CLIENT = 2, CN_ROLE_OPERATOR = 3,
       CN_ROLE_COUNT = 4 };

typedef struct {
    const char *method; /* "GET", "PUT", "POST", "DELETE" */
    const char *path;   /* without the query string */
    int role;           /* the role whose token the request carried, or CN_ROLE_NONE */
    const char *owner;  /* with CN_ROLE_CLIENT: which owner; else NULL */
    const uint8_t *body;
    size_t body_len;
} cn_http_req;

typedef struct {
    unsigned status;
    const char *type; /* content type (static string) */
    uint8_t *body;    /* malloc'd; the layer frees it */
    size_t len;
} cn_http_resp;

/* Called once the headers are in: returns 0 to accept the request with a
 * body of at most *max_body bytes, or an HTTP status (401, 404, 405, ...) to
 * answer at once with msg, without reading the body. */
typedef unsigned (*cn_http_admit)(void *ctx, const char *method, const char *path, int role,
                                  size_t *max_body, char *msg, size_t msg_len);
/* Called with the complete request; fills the response. May run on several
 * threads at once (one per connection). */
typedef void (*cn_http_handle)(void *ctx, const cn_http_req *rq, cn_http_resp *rs);

typedef struct {
    const char *listen;    /* "HOST:PORT" (an IPv4 address; port 0: any free port) */
    unsigned timeout_s;    /* idle connection timeout (default 30) */
    unsigned header_timeout_s; /* a request's headers, from the connection's start or the
                                  previous answer (default 10) */
    unsigned body_timeout_s;   /* its body, from the end of its headers (default 120) */
    unsigned max_conns;    /* in total (default 256) */
    unsigned per_address;  /* from one IP address (default 32) */
    const char *cert_file; /* PEM; with key_file: HTTPS */
    const char *key_file;
    /* bearer tokens of the fixed roles, CN_ROLE_SERVER and CN_ROLE_OPERATOR
     * (NULL: that role has none); hex strings. Owners are not fixed tokens:
     * see owners. */
    const char *token[CN_ROLE_COUNT];
    cn_owner_db *owners;   /* the data owners' tokens (not owned; NULL: none accepted) */
    cn_http_admit admit;
    cn_http_handle handle;
    void *ctx;
} cn_http_service_opts;

typedef struct cn_http_service cn_http_service;
/* Starts serving on a thread of its own. msg names what failed. */
int cn_http_service_start(cn_http_service **out, const cn_http_service_opts *o, char *msg,
                          size_t msg_len);
uint16_t cn_http_service_port(const cn_http_service *s);
/* Connections shut down so far: past a deadline, and to make room. */
void cn_http_service_guard_counts(cn_http_service *s, unsigned long *timed_out,
                                  unsigned long *evicted);
/* Stops accepting, finishes or drops the open connections, frees s. */
void cn_http_service_stop(cn_http_service *s);

/* Response helpers: a JSON object or a {"error": msg} body. */
void cn_http_reply(cn_http_resp *rs, unsigned status, const char *type, uint8_t *body, size_t len);
void cn_http_reply_text(cn_http_resp *rs, unsigned status, const char *type, const char *text);
void cn_http_reply_error(cn_http_resp *rs, unsigned status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* src escaped for a JSON string into dst (NUL-terminated, truncated to
 * fit); returns the length written. */
size_t cn_json_escape(char *dst, size_t cap, const char *src);

/* Reads a token file: 64 hex characters (trailing newline allowed). Refuses a
 * file others can read (mode & 077). out holds 65 bytes. */
int cn_token_load(const char *path, char out[65]);
/* Writes 32 random bytes as hex, mode 0600 (never overwrites). */
int cn_token_create(const char *path);

/* ---- client ---- */

typedef struct {
    const char *base;      /* "http://127.0.0.1:PORT" or https://... */
    const char *token;     /* bearer token (may be NULL) */
    const char *cacert;    /* PEM file of the CA / self-signed certificate for https */
    unsigned timeout_s;    /* per attempt, whole transfer (default 60) */
    unsigned connect_timeout_s; /* (default 5) */
    unsigned retry_for_s;  /* keep retrying connection failures and 5xx for this long (default 0) */
    unsigned backoff_ms;   /* first pause; doubles up to 2 s (default 100) */
    size_t max_resp;       /* largest response body accepted (default 1 GiB) */
    const volatile int *cancel; /* when it points at a non-zero value, stop retrying
                                   (a service shutting down must not wait out retry_for_s) */
} cn_http_client_opts;

typedef struct cn_http_client cn_http_client;
/* One connection (kept alive between calls); not shared between threads. */
int cn_http_client_create(cn_http_client **out, const cn_http_client_opts *o);
void cn_http_client_destroy(cn_http_client *c);

/* One request. Retries (with exponential backoff) on connection failures and
 * 5xx answers while retry_for_s allows, never on other answers. Returns
 * CRYPTONN_OK with *status set whenever the service answered (any status);
 * CRYPTONN_ERR_NET when it could not be reached (msg says why). *resp is
 * malloc'd (NUL-terminated beyond resp_len; may be NULL with resp NULL). */
int cn_http_call(cn_http_client *c, const char *method, const char *path, const char *type,
                 const uint8_t *body, size_t len, long *status, uint8_t **resp, size_t *resp_len,
                 char *msg, size_t msg_len);
/* Retries done by this client so far (for tests and reports); may be read
 * from another thread while the client works. */
uint64_t cn_http_client_retries(const cn_http_client *c);

#endif
