/* The server's key source over the wire messages (keyreq.h): each typed
 * request becomes a message, one round trip, and a decoded answer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/keyreq.h"
#include "util/util.h"

/* Sends req (freed here) and returns the response, or the error response's
 * status with its reason in msg. */
static int round_trip(cn_keywire *w, uint8_t *req, size_t req_len, uint8_t **resp,
                      size_t *resp_len, char *msg, size_t msg_len)
{
    *resp = NULL;
    *resp_len = 0;
    int rc = w->round_trip(w->ctx, req, req_len, resp, resp_len);
    free(req);
    if (rc != CRYPTONN_OK) {
        if (msg_len) snprintf(msg, msg_len, "key request failed: %s", cryptonn_status_str(rc));
        free(*resp);
        *resp = NULL;
        return rc;
    }
    rc = cn_keyresp_error_decode(*resp, *resp_len, msg, msg_len);
    if (rc != CRYPTONN_OK) {
        free(*resp);
        *resp = NULL;
    }
    return rc;
}

static int bad_response(int rc, char *msg, size_t msg_len)
{
    if (rc != CRYPTONN_OK && msg_len)
        snprintf(msg, msg_len, "bad key response: %s", cryptonn_status_str(rc));
    return rc;
}

/* Sends req and copies the nkeys scalars of the answer to sks. */
static int fetch_sks(cn_keywire *w, uint8_t *req, size_t req_len, const cn_feip_keyreq *r,
                     uint8_t *sks, char *msg, size_t msg_len)
{
    uint8_t *resp;
    size_t resp_len;
    CN_TRY(round_trip(w, req, req_len, &resp, &resp_len, msg, msg_len));
    const uint8_t *view;
    int rc = cn_keyresp_sk_decode(resp, resp_len, r->mpk, r->nkeys, &view);
    if (rc == CRYPTONN_OK) memcpy(sks, view, 32 * (size_t)r->nkeys);
    free(resp);
    return bad_response(rc, msg, msg_len);
}

static int wire_feip(void *ctx, const cn_feip_keyreq *r, uint8_t *sks, char *msg, size_t msg_len)
{
    uint8_t *req;
    size_t req_len;
    CN_TRY(cn_keyreq_feip_encode(r, &req, &req_len));
    return fetch_sks(ctx, req, req_len, r, sks, msg, msg_len);
}

static int wire_grad(void *ctx, const cn_grad_req *g, const cn_feip_keyreq *exp, uint8_t *sks,
                     char *msg, size_t msg_len)
{
    uint8_t *req;
    size_t req_len;
    CN_TRY(cn_gradreq_encode(g, &req, &req_len));
    return fetch_sks(ctx, req, req_len, exp, sks, msg, msg_len);
}

static int wire_febo(void *ctx, cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                     const int64_t *y, uint32_t n, cryptonn_febo_key **keys, char *msg,
                     size_t msg_len)
{
    uint8_t *req, *resp;
    size_t req_len, resp_len;
    CN_TRY(cn_keyreq_febo_encode(op, cts, y, n, &req, &req_len));
    CN_TRY(round_trip(ctx, req, req_len, &resp, &resp_len, msg, msg_len));
    int rc = cn_keyresp_febo_decode(resp, resp_len, keys, n);
    free(resp);
    return bad_response(rc, msg, msg_len);
}

cn_keysource cn_keywire_source(cn_keywire *w)
{
    return (cn_keysource){w, wire_feip, wire_grad, wire_febo};
}
