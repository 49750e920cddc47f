/* The key wire of every rank of an mpirun job (keyreq.h): rank 0 alone
 * talks to the authority, so each key is requested once and the
 * authority's accounting does not depend on the number of ranks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/keyreq.h"
#include "secure/dist.h"
#include "util/util.h"

/* What rank 0 sends ahead of a response: its status, the response's length
 * and the digest of the request it answered. */
typedef struct {
    int64_t status;
    uint64_t len;
    uint8_t digest[32];
} ks_head;

static int dist_round_trip(void *vctx, const uint8_t *req, size_t req_len, uint8_t **resp,
                           size_t *resp_len)
{
    cn_dist_keywire_ctx *ctx = vctx;
    if (cn_dist_size() == 1) return ctx->inner->round_trip(ctx->inner->ctx, req, req_len, resp, resp_len);
    ks_head h;
    memset(&h, 0, sizeof h);
    uint8_t mine[32];
    crypto_generichash(mine, sizeof mine, req, req_len, NULL, 0);
    *resp = NULL;
    *resp_len = 0;
    if (cn_dist_rank() == 0) {
        int rc = ctx->inner->round_trip(ctx->inner->ctx, req, req_len, resp, resp_len);
        h.status = rc;
        h.len = rc == CRYPTONN_OK ? *resp_len : 0;
        memcpy(h.digest, mine, sizeof mine);
        int brc = cn_dist_bcast(&h, sizeof h);
        if (brc == CRYPTONN_OK && h.len) brc = cn_dist_bcast(*resp, h.len);
        if (brc != CRYPTONN_OK && rc == CRYPTONN_OK) {
            free(*resp);
            *resp = NULL;
            *resp_len = 0;
            return brc;
        }
        return rc;
    }
    int rc = cn_dist_bcast(&h, sizeof h);
    if (rc != CRYPTONN_OK) return rc;
    uint8_t *buf = NULL;
    if (h.len && !(buf = malloc(h.len))) {
        /* rank 0 is already sending: the job cannot continue without this rank */
        fprintf(stderr, "cryptonn (rank %d of %d): out of memory for a key response\n", cn_dist_rank(),
                cn_dist_size());
        cn_dist_abort(1);
    }
    if (h.len) rc = cn_dist_bcast(buf, h.len);
    if (rc == CRYPTONN_OK && h.status == CRYPTONN_OK && memcmp(h.digest, mine, sizeof mine) != 0) {
        fprintf(stderr,
                "cryptonn (rank %d of %d): this rank's key request differs from rank 0's: the "
                "ranks' models diverged\n",
                cn_dist_rank(), cn_dist_size());
        rc = CRYPTONN_ERR_INTERNAL;
    }
    if (rc == CRYPTONN_OK) rc = (int)h.status;
    if (rc != CRYPTONN_OK) {
        free(buf);
        return rc;
    }
    *resp = buf;
    *resp_len = (size_t)h.len;
    return CRYPTONN_OK;
}

cn_keywire cn_dist_keywire(cn_dist_keywire_ctx *ctx, cn_keywire *inner)
{
    ctx->inner = inner;
    return (cn_keywire){ctx, dist_round_trip};
}
