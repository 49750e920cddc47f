/* The structured first-layer gradient request (its message: "KRQG" in protocol/keyreq.h).
 *
 * A conv1 gradient key of LeNet-5 holds 64 × 576 quantized dZ1 values laid
 * over the batch ciphertext; the 150 keys of one batch hold 5.5 M entries
 * but only 221 K distinct values (dZ1 itself). Sending dZ1 and the layer's
 * shape, and letting both sides expand it with the one function below,
 * keeps the issued vectors exactly those of the unstructured request (the
 * authority's policy checks run on the expansion): 1.8 MB instead of the
 * 66 MB of explicit vectors (and the answer is 150 scalars, not the 66 MB
 * key set sent back). */
#include <stdlib.h>
#include <string.h>

#include "secure/keyreq.h"

#define MAX_DIM 65536u

int cn_grad_shape_ok(const cn_grad_req *g)
{
    if (!g || g->conv > 1 || g->n == 0) return CRYPTONN_ERR_FORMAT;
    const uint32_t d[9] = {g->in_c, g->in_h, g->in_w, g->k, g->out_c, g->out_h, g->out_w, g->n,
                           g->stride};
    for (int i = 0; i < 9; i++)
        if (d[i] == 0 || d[i] > MAX_DIM) return CRYPTONN_ERR_FORMAT;
    if (g->conv) {
        /* pad < k keeps every output position on at least one pixel */
        const uint64_t ph = (uint64_t)g->in_h + 2 * (uint64_t)g->pad,
                       pw = (uint64_t)g->in_w + 2 * (uint64_t)g->pad;
        if (g->pad >= g->k || g->k > ph || g->k > pw || g->out_h != (ph - g->k) / g->stride + 1 ||
            g->out_w != (pw - g->k) / g->stride + 1)
            return CRYPTONN_ERR_FORMAT;
    } else if (g->in_h != 1 || g->in_w != 1 || g->k != 1 || g->out_h != 1 || g->out_w != 1 ||
               g->stride != 1 || g->pad != 0) {
        return CRYPTONN_ERR_FORMAT;
    }
    /* every factor is >= 1, so a running product that passes the cap can
     * stop there: no product below can wrap */
    const uint64_t f[7] = {g->out_c, g->in_c, g->k, g->k, g->n, g->out_h, g->out_w};
    uint64_t prod = 1;
    for (int i = 0; i < 7; i++) {
        prod *= f[i];
        if (prod > CN_GRAD_MAX_EXPANDED) return CRYPTONN_ERR_TOO_LARGE;
    }
    return CRYPTONN_OK;
}

void cn_grad_expand_size(const cn_grad_req *g, uint64_t *nkeys, uint64_t *nnz)
{
    uint64_t weights = (uint64_t)g->out_c * g->in_c * g->k * g->k;
    *nkeys = weights;
    *nnz = weights * g->n * g->out_h * g->out_w;
}

void cn_keyreq_close_key(cn_feip_keyreq *r, uint32_t *map, size_t w, uint32_t *key,
                         uint64_t start, uint64_t nnz)
{
    if (nnz == start) {
        if (map) map[w] = UINT32_MAX;
        return;
    }
    if (map) map[w] = *key;
    r->rowptr[++*key] = nnz;
}

void cn_grad_expand(const cn_grad_req *g, cn_feip_keyreq *r, uint32_t *map)
{
    const size_t slots = (size_t)g->in_c * g->in_h * g->in_w;
    const size_t plane = (size_t)g->out_h * g->out_w, z1 = (size_t)g->out_c * plane;
    const int64_t S = g->stride, P = g->pad, H = g->in_h, Wd = g->in_w;
    r->mpk = CN_MPK_BATCH;
    r->rowptr[0] = 0;
    uint64_t nnz = 0;
    uint32_t key = 0;
    size_t w = 0;
    /* Slots come out increasing: b, then the row i·s+u-p, then the column
     * j·s+v-p ascend together. */
    for (uint32_t o = 0; o < g->out_c; o++)
        for (uint32_t c = 0; c < g->in_c; c++)
            for (uint32_t u = 0; u < g->k; u++)
                for (uint32_t v = 0; v < g->k; v++, w++) {
                    uint64_t start = nnz;
                    for (uint32_t b = 0; b < g->n; b++) {
                        const int64_t *dz = g->dz + (size_t)b * z1 + o * plane;
                        size_t base = b * slots + (size_t)c * g->in_h * g->in_w;
                        for (uint32_t i = 0; i < g->out_h; i++) {
                            const int64_t y = (int64_t)i * S + u - P;
                            if (y < 0 || y >= H) continue;
                            for (uint32_t j = 0; j < g->out_w; j++) {
                                const int64_t x = (int64_t)j * S + v - P;
                                int64_t d = dz[(size_t)i * g->out_w + j];
                                if (!d || x < 0 || x >= Wd) continue;
                                r->idx[nnz] = (uint32_t)(base + (size_t)y * g->in_w + (size_t)x);
                                r->val[nnz++] = d;
                            }
                        }
                    }
                    cn_keyreq_close_key(r, map, w, &key, start, nnz);
                }
    r->nkeys = key;
    r->nnz = nnz;
}

int cn_grad_expand_new(const cn_grad_req *g, cn_feip_keyreq *r, uint32_t *map)
{
    uint64_t nkeys, nnz;
    cn_grad_expand_size(g, &nkeys, &nnz);
    CN_TRY(cn_keyreq_feip_alloc(r, nkeys, nnz));
    cn_grad_expand(g, r, map);
    return CRYPTONN_OK;
}

void cn_gradreq_free(cn_grad_req *g)
{
    if (!g) return;
    free(g->dz);
    g->dz = NULL;
}
