/* The public transport API (cryptonn/transport.h): key services in process
 * and over HTTP, and the authority's HTTP service. */
#include "cryptonn/transport.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/api_internal.h"
#include "protocol/services.h"
#include "util/util.h"

int cryptonn_keyservice_local(cryptonn_keyservice **ks, cryptonn_authority *a)
{
    CN_ARG_CHECK(ks && a);
    *ks = calloc(1, sizeof **ks);
    if (!*ks) return CRYPTONN_ERR_NOMEM;
    (*ks)->wire = cn_authority_keywire(a->a);
    (*ks)->ks = cn_keywire_source(&(*ks)->wire);
    return CRYPTONN_OK;
}

int cryptonn_keyservice_http(cryptonn_keyservice **ks, const char *url, const char *token,
                             const char *cacert, unsigned retry_s)
{
    CN_ARG_CHECK(ks && url);
    *ks = NULL;
    cryptonn_keyservice *k = calloc(1, sizeof *k);
    if (!k) return CRYPTONN_ERR_NOMEM;
    cn_http_client_opts o = {.base = url, .token = token, .cacert = cacert, .retry_for_s = retry_s};
    int rc = cn_http_client_create(&k->http, &o);
    if (rc != CRYPTONN_OK) {
        free(k);
        return rc;
    }
    k->wire = cn_http_keywire(k->http);
    k->ks = cn_keywire_source(&k->wire);
    *ks = k;
    return CRYPTONN_OK;
}

void cryptonn_keyservice_destroy(cryptonn_keyservice *ks)
{
    if (!ks) return;
    cn_http_client_destroy(ks->http);
    free(ks);
}

int cryptonn_keyservice_call(cryptonn_keyservice *ks, const uint8_t *req, size_t len,
                             uint8_t **resp, size_t *resp_len)
{
    CN_ARG_CHECK(ks && (req || !len) && resp && resp_len);
    return ks->wire.round_trip(ks->wire.ctx, req, len, resp, resp_len);
}

void cryptonn_service_opts_default(cryptonn_service_opts *o)
{
    *o = (cryptonn_service_opts){.listen = "127.0.0.1:0"};
}

struct cryptonn_authority_service {
    cn_authority_http *h;
    cn_http_service *svc;
    cn_owner_db *owners;
};

static void service_free(cryptonn_authority_service *s)
{
    cn_http_service_stop(s->svc);
    cn_owner_db_close(s->owners);
    cn_authority_http_destroy(s->h);
    free(s);
}

int cryptonn_authority_service_start(cryptonn_authority_service **out, cryptonn_authority *a,
                                     const char *state_dir, const cryptonn_service_opts *o,
                                     char *msg, size_t msg_len)
{
    CN_ARG_CHECK(out && a && state_dir);
    *out = NULL;
    if (msg_len) msg[0] = 0;
    cryptonn_service_opts d;
    if (!o) {
        cryptonn_service_opts_default(&d);
        o = &d;
    }
    char tpath[4096], params[4096], list[4096], token[65];
    const char *tf = o->token_file;
    if (!tf) {
        snprintf(tpath, sizeof tpath, "%s/tokens/server.token", state_dir);
        tf = tpath;
    }
    int rc = cn_token_load(tf, token);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, rc == CRYPTONN_ERR_AUTH ? "%s is readable by others (a token "
                 "must be mode 0600)" : "cannot read the token %s", tf);
        return rc;
    }
    cryptonn_authority_service *s = calloc(1, sizeof *s);
    if (!s) {
        cn_wipe(token, sizeof token);
        return CRYPTONN_ERR_NOMEM;
    }
    snprintf(params, sizeof params, "%s/params.bin", state_dir);
    snprintf(list, sizeof list, "%s/owners.list", state_dir);
    rc = cn_authority_http_create(&s->h, a->a, params);
    if (rc != CRYPTONN_OK) snprintf(msg, msg_len, "cannot read %s", params);
    if (rc == CRYPTONN_OK && (rc = cn_owner_db_open(&s->owners, list)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "cannot read the owners' list %s", list);
    if (rc == CRYPTONN_OK) {
        cn_http_service_opts so = {.listen = o->listen ? o->listen : "127.0.0.1:0",
                                   .timeout_s = o->timeout_s, .cert_file = o->cert_file,
                                   .key_file = o->key_file, .owners = s->owners};
        so.token[CN_ROLE_SERVER] = token;
        cn_authority_http_bind(s->h, &so);
        rc = cn_http_service_start(&s->svc, &so, msg, msg_len);
    }
    cn_wipe(token, sizeof token); /* the service keeps its own copy */
    if (rc != CRYPTONN_OK) {
        service_free(s);
        return rc;
    }
    *out = s;
    return CRYPTONN_OK;
}

uint16_t cryptonn_authority_service_port(const cryptonn_authority_service *s)
{
    return cn_http_service_port(s->svc);
}

void cryptonn_authority_service_counts(const cryptonn_authority_service *s, uint64_t *ok,
                                       uint64_t *refused, uint64_t *failed)
{
    uint64_t a, b, c;
    cn_authority_http_counts(s->h, &a, &b, &c);
    if (ok) *ok = a;
    if (refused) *refused = b;
    if (failed) *failed = c;
}

void cryptonn_authority_service_stop(cryptonn_authority_service *s)
{
    if (s) service_free(s);
}

int cryptonn_token_load(const char *path, char out[65])
{
    CN_ARG_CHECK(path && out);
    return cn_token_load(path, out);
}
