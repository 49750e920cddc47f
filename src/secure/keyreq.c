/* keyreq: the server's key requests as data (keyreq.h), and their trip
 * through a key source. */
#include "secure/keyreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void cn_keyreq_feip_free(cn_feip_keyreq *r)
{
    if (!r) return;
    free(r->rowptr);
    free(r->idx);
    free(r->val);
    r->rowptr = NULL;
    r->idx = NULL;
    r->val = NULL;
    r->nkeys = 0;
    r->nnz = 0;
}

int cn_keyreq_feip_alloc(cn_feip_keyreq *r, uint64_t nkeys, uint64_t nnz)
{
    memset(r, 0, sizeof *r);
    r->rowptr = cn_alloc_large(8 * ((size_t)nkeys + 1));
    r->idx = cn_alloc_large(4 * (size_t)nnz);
    r->val = cn_alloc_large(8 * (size_t)nnz);
    if (!r->rowptr || !r->idx || !r->val) {
        cn_keyreq_feip_free(r);
        return CRYPTONN_ERR_NOMEM;
    }
    return CRYPTONN_OK;
}

/* ---- the server's requests through a key source ---- */

/* The key set for the vectors of r with the scalars the authority sent. */
static int fill_keys(const cn_feip_keyreq *r, const uint8_t *sks, const cryptonn_feip_mpk *mpk,
                     cryptonn_feip_keys *keys)
{
    cryptonn_feip_keys_clear(keys);
    CN_TRY(cryptonn_feip_keys_reserve(keys, r->nkeys, (size_t)r->nnz));
    for (uint32_t i = 0; i < r->nkeys; i++) {
        uint64_t o = r->rowptr[i];
        CN_TRY(cryptonn_feip_keys_append(keys, mpk, r->idx + o, r->val + o,
                                         (size_t)(r->rowptr[i + 1] - o), sks + 32 * (size_t)i));
    }
    return CRYPTONN_OK;
}

/* Either request: g NULL asks for r's vectors, else for g's gradient keys
 * (whose expansion is r). */
static int request_keys(cn_keysource *ks, const cn_grad_req *g, const cn_feip_keyreq *r,
                        const cryptonn_feip_mpk *mpk, cryptonn_feip_keys *keys, char *msg,
                        size_t msg_len)
{
    if (msg_len) msg[0] = '\0';
    uint8_t *sks = malloc(32 * (size_t)r->nkeys + 1);
    if (!sks) return CRYPTONN_ERR_NOMEM;
    int rc = g ? ks->grad(ks->ctx, g, r, sks, msg, msg_len) : ks->feip(ks->ctx, r, sks, msg, msg_len);
    const char *what = "key request failed";
    if (rc == CRYPTONN_OK) {
        rc = fill_keys(r, sks, mpk, keys);
        what = "bad key response"; /* scalars that do not make keys of r's vectors */
    }
    free(sks);
    if (rc != CRYPTONN_OK) {
        cryptonn_feip_keys_clear(keys);
        if (msg_len && !msg[0]) snprintf(msg, msg_len, "%s: %s", what, cryptonn_status_str(rc));
    }
    return rc;
}

int cn_keysource_feip(cn_keysource *ks, const cn_feip_keyreq *r, const cryptonn_feip_mpk *mpk,
                      cryptonn_feip_keys *keys, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(ks && ks->feip && r && mpk && keys && (msg || msg_len == 0));
    return request_keys(ks, NULL, r, mpk, keys, msg, msg_len);
}

int cn_keysource_grad(cn_keysource *ks, const cn_grad_req *g, const cn_feip_keyreq *exp,
                      const cryptonn_feip_mpk *mpk, cryptonn_feip_keys *keys, char *msg,
                      size_t msg_len)
{
    CN_ARG_CHECK(ks && ks->grad && g && exp && mpk && keys && (msg || msg_len == 0));
    return request_keys(ks, g, exp, mpk, keys, msg, msg_len);
}

int cn_keysource_febo(cn_keysource *ks, cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                      const int64_t *y, uint32_t n, cryptonn_febo_key **keys, char *msg,
                      size_t msg_len)
{
    CN_ARG_CHECK(ks && ks->febo && (n == 0 || (cts && y && keys)) && (msg || msg_len == 0));
    if (msg_len) msg[0] = '\0';
    int rc = ks->febo(ks->ctx, op, cts, y, n, keys, msg, msg_len);
    if (rc != CRYPTONN_OK && msg_len && !msg[0])
        snprintf(msg, msg_len, "key request failed: %s", cryptonn_status_str(rc));
    return rc;
}
