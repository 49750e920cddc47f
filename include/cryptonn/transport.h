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

#ifdef __cplusplus
}
#endif
#endif
