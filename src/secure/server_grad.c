/* The first-layer gradient on the server (train.h step 5): one key per
 * weight of W1 over the batch ciphertext, its vector built from the
 * quantized dZ1, decrypted split by slots across the ranks of an mpirun job
 * (scheme/feip_slice.h, secure/dist.h).
 *
 * Each rank holds the slice [lo, hi) of the batch ciphertext
 * (cn_encdata_read_batch_part) and keeps, of every key vector, only the
 * terms in that slice: the rank expands only those, decodes and tabulates
 * only those slots, and sums only those terms. The request sent to the
 * authority is the whole structured one (KRQG: dZ1 and the layer's shape),
 * and the keys keep cn_grad_expand's numbering (a weight whose filter has no
 * non-zero dZ1 gets no key, every other weight a key, empty on a rank when
 * none of its terms fall in the rank's slice), so the authority's scalars,
 * which answer the whole vectors, line up with them on every rank. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/fixedpoint.h"
#include "scheme/feip_slice.h"
#include "secure/dist.h"
#include "secure/server_internal.h"
#include "util/util.h"

int cn_grad_terms_alloc(cn_grad_terms *t, size_t entries, size_t weights, size_t outputs)
{
    t->pos = cn_malloc_array(entries, sizeof *t->pos);
    t->row = cn_malloc_array(entries, sizeof *t->row);
    t->col = cn_malloc_array(entries, sizeof *t->col);
    t->val = cn_malloc_array(entries, sizeof *t->val);
    t->start = cn_malloc_array(weights + 1, sizeof *t->start);
    t->any = cn_malloc_array(weights, sizeof *t->any);
    t->mask = cn_malloc_array(outputs, sizeof *t->mask);
    return t->pos && t->row && t->col && t->val && t->start && t->any && t->mask
               ? CRYPTONN_OK
               : CRYPTONN_ERR_NOMEM;
}

void cn_grad_terms_free(cn_grad_terms *t)
{
    free(t->pos);
    free(t->row);
    free(t->col);
    free(t->val);
    free(t->start);
    free(t->any);
    free(t->mask);
    memset(t, 0, sizeof *t);
}

static void grad_shape(cn_server *s, const cryptonn_model *m, uint32_t n)
{
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    cn_grad_req *g = &s->greq;
    *g = (cn_grad_req){.conv = fl.is_conv != 0, .n = n, .in_c = fl.in_c, .in_h = 1, .in_w = 1,
                       .k = 1, .out_c = fl.out_c, .out_h = 1, .out_w = 1, .stride = 1,
                       .pad = 0, .dz = s->dz_int};
    if (fl.is_conv) {
        g->in_h = fl.in_h;
        g->in_w = fl.in_w;
        g->k = fl.k;
        g->out_h = fl.out_h;
        g->out_w = fl.out_w;
        g->stride = fl.stride;
        g->pad = fl.pad;
    }
}

/* The output rows i whose tap i·s+u-p lies in [0, in): [*a, *b). */
static void tap_range(uint32_t u, uint32_t s, uint32_t p, uint32_t in, uint32_t out, uint32_t *a,
                      uint32_t *b)
{
    const int64_t lo = (int64_t)p - u, hi = (int64_t)in + p - u; /* i·s in [lo, hi) */
    int64_t first = lo <= 0 ? 0 : (lo + s - 1) / s, end = hi <= 0 ? 0 : (hi + s - 1) / s;
    if (end > out) end = out;
    if (first > end) first = end;
    *a = (uint32_t)first, *b = (uint32_t)end;
}

/* Whether weight (o, ·, u, v) of a padded layer has any tap inside the image
 * at a non-zero of filter o over the whole batch (s->gt.mask): the
 * authority's expansion gives it a key exactly then. */
static void padded_any(cn_server *s, uint32_t o)
{
    const cn_grad_req *g = &s->greq;
    for (uint32_t u = 0; u < g->k; u++) {
        uint32_t i0, i1;
        tap_range(u, g->stride, g->pad, g->in_h, g->out_h, &i0, &i1);
        for (uint32_t v = 0; v < g->k; v++) {
            uint32_t j0, j1;
            tap_range(v, g->stride, g->pad, g->in_w, g->out_w, &j0, &j1);
            uint8_t hit = 0;
            for (uint32_t i = i0; i < i1 && !hit; i++)
                for (uint32_t j = j0; j < j1 && !hit; j++) hit = s->gt.mask[(size_t)i * g->out_w + j];
            s->gt.any[((size_t)o * g->k + u) * g->k + v] = hit;
        }
    }
}

/* dZ1's non-zeros filter by filter, for the samples b that reach the slots
 * [lo, hi), at val their value, filter o's entries from start[o] (s->gt).
 * Without padding, pos is the slot b·slots + i·s·in_w + j·s and the key of
 * weight (o, c, u, v) holds the entry at pos + c·in_h·in_w + u·in_w + v;
 * with padding, pos is b·slots and row, col the tap's origin i·s, j·s, so
 * the key can drop taps outside the image. ||y||_1 <= Σ |dZ1[·][o]| (each
 * entry at most once). Returns the largest key bound x_max·||y||_1 and sets
 * any[] (which weights get a key). */
static uint64_t collect_terms(cn_server *s, size_t lo, size_t hi)
{
    const cn_grad_req *g = &s->greq;
    const size_t slots = (size_t)g->in_c * g->in_h * g->in_w, plane = (size_t)g->out_h * g->out_w;
    const size_t b0 = lo / slots, b1 = (hi + slots - 1) / slots, kk = (size_t)g->k * g->k;
    const uint32_t S = g->stride;
    uint64_t worst = 0;
    size_t t = 0;
    for (uint32_t o = 0; o < g->out_c; o++) {
        s->gt.start[o] = t;
        int64_t l1 = 0; /* < 2^20 · 2^25 entries */
        if (g->pad) memset(s->gt.mask, 0, plane);
        for (uint32_t b = 0; b < g->n; b++) {
            const int64_t *dz = g->dz + ((size_t)b * g->out_c + o) * plane;
            const int mine = b >= b0 && b < b1;
            for (size_t e = 0; e < plane; e++) {
                if (!dz[e]) continue;
                l1 += dz[e] < 0 ? -dz[e] : dz[e];
                if (g->pad) s->gt.mask[e] = 1;
                if (!mine) continue;
                const uint32_t r = (uint32_t)(e / g->out_w) * S, c = (uint32_t)(e % g->out_w) * S;
                if (g->pad) { /* the key decides which taps fall inside */
                    s->gt.pos[t] = (uint32_t)(b * slots);
                    s->gt.row[t] = r;
                    s->gt.col[t] = c;
                } else {
                    s->gt.pos[t] = (uint32_t)(b * slots + (size_t)r * g->in_w + c);
                }
                s->gt.val[t++] = dz[e];
            }
        }
        if (g->pad)
            padded_any(s, o);
        else
            memset(s->gt.any + o * kk, l1 != 0, kk);
        uint64_t bound;
        if (cryptonn_fixed_key_bound(cn_enc_x_max(&s->p), &l1, 1, &bound) != CRYPTONN_OK)
            bound = UINT64_MAX;
        if (bound > worst) worst = bound;
    }
    s->gt.start[g->out_c] = t;
    return worst;
}

/* The keys' vectors cut to the slots [lo, hi), in cn_grad_expand's order. */
static int expand_slice(cn_server *s, size_t lo, size_t hi)
{
    const cn_grad_req *g = &s->greq;
    const size_t per = (size_t)g->in_c * g->k * g->k, kk = (size_t)g->k * g->k;
    const int64_t P = g->pad, H = g->in_h, Wd = g->in_w;
    CN_TRY(cn_server_req_reserve(s, (size_t)g->out_c * per, s->gt.start[g->out_c] * per));
    cn_feip_keyreq *r = &s->req;
    r->mpk = CN_MPK_BATCH;
    r->rowptr[0] = 0;
    uint64_t nnz = 0;
    uint32_t key = 0;
    for (size_t w = 0; w < (size_t)g->out_c * per; w++) {
        const size_t o = w / per, c = w % per / kk, u = w / g->k % g->k, v = w % g->k;
        if (!s->gt.any[o * kk + u * g->k + v]) {
            s->grad_key[w] = NO_KEY;
            continue;
        }
        const size_t chan = c * g->in_h * g->in_w;
        if (!P) {
            const size_t shift = chan + u * g->in_w + v;
            for (size_t t = s->gt.start[o]; t < s->gt.start[o + 1]; t++) {
                const size_t x = s->gt.pos[t] + shift;
                if (x < lo || x >= hi) continue; /* the slice cuts a sample */
                r->idx[nnz] = (uint32_t)x;
                r->val[nnz++] = s->gt.val[t];
            }
        } else {
            for (size_t t = s->gt.start[o]; t < s->gt.start[o + 1]; t++) {
                const int64_t y = (int64_t)s->gt.row[t] + (int64_t)u - P,
                              q = (int64_t)s->gt.col[t] + (int64_t)v - P;
                if (y < 0 || y >= H || q < 0 || q >= Wd) continue; /* a tap in the padding */
                const size_t x = s->gt.pos[t] + chan + (size_t)y * g->in_w + (size_t)q;
                if (x < lo || x >= hi) continue;
                r->idx[nnz] = (uint32_t)x;
                r->val[nnz++] = s->gt.val[t];
            }
        }
        s->grad_key[w] = key;
        r->rowptr[++key] = nnz;
    }
    r->nkeys = key;
    r->nnz = nnz;
    return CRYPTONN_OK;
}

/* Builds the request and this rank's key vectors, checks the bound and
 * fetches the scalars. A layer too large for the structured request sends
 * its whole vectors (KRQI), so every rank expands them all. */
static int fetch_grad_keys(cn_server *s, const cryptonn_model *m, const cn_enc_batch *b,
                           char *msg, size_t msg_len)
{
    grad_shape(s, m, b->n);
    const int shape = cn_grad_shape_ok(&s->greq);
    if (shape == CRYPTONN_ERR_FORMAT) return CRYPTONN_ERR_MISMATCH;
    const cryptonn_feip_mpk *mpk = cn_encdata_mpks(s->ds)->batch;
    const char *what = "first-layer gradient";
    int rc;
    if (shape == CRYPTONN_ERR_TOO_LARGE) {
        uint64_t nkeys, nnz;
        cn_grad_expand_size(&s->greq, &nkeys, &nnz);
        CN_TRY(cn_server_req_reserve(s, (size_t)nkeys, (size_t)nnz));
        cn_grad_expand(&s->greq, &s->req, s->grad_key);
        rc = cn_server_check_bounds(s, msg, msg_len, what);
        if (rc == CRYPTONN_OK && s->req.nkeys)
            rc = cn_keysource_feip(s->ks, &s->req, mpk, s->grad_keys, msg, msg_len);
        return rc;
    }
    const size_t lo = b->xb_off, hi = lo + cryptonn_feip_ct_slots(b->xb);
    rc = cn_server_check_bound(s, collect_terms(s, lo, hi), msg, msg_len, what);
    if (rc == CRYPTONN_OK) rc = expand_slice(s, lo, hi);
    if (rc == CRYPTONN_OK && s->req.nkeys)
        rc = cn_keysource_grad(s->ks, &s->greq, &s->req, mpk, s->grad_keys, msg, msg_len);
    return rc;
}

/* Each rank sums its slice's terms of every key; the partial points are
 * gathered one row per rank, and every rank completes all keys (−sk·ct_0,
 * the discrete log), so all hold the same exact integers for any number of
 * ranks. */
static int grad_decrypt(cn_server *s, const cn_enc_batch *b, size_t nk)
{
    const size_t width = cryptonn_feip_ct_slots(b->xb), P = (size_t)cn_dist_size();
    const size_t row = 32 * nk;
    int rc = CRYPTONN_OK;
    if (s->prep_b && s->prep_b_slots != width) { /* the last rank's slice, or a new share */
        cryptonn_feip_prepared_destroy(s->prep_b);
        s->prep_b = NULL;
    }
    /* wide slices get their slots as table entries: the long keys then run
     * as bucket MSMs, faster than gathering each key's support */
    if (!s->prep_b) {
        rc = cryptonn_feip_prepared_create_var(&s->prep_b, width, s->o.w_bits);
        s->prep_b_slots = width;
    }
    if (rc == CRYPTONN_OK && row * P > s->parts_cap) {
        uint8_t *q = realloc(s->parts, row * P);
        if (q) {
            s->parts = q;
            s->parts_cap = row * P;
        } else {
            rc = CRYPTONN_ERR_NOMEM;
        }
    }
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_prepared_set_var(s->prep_b, b->xb);
    if (rc == CRYPTONN_OK)
        rc = cn_feip_partial_keys_var(s->dec[0], s->prep_b, b->xb_off, s->grad_keys, 0, nk,
                                      s->parts + row * (size_t)cn_dist_rank());
    rc = cn_dist_agree(rc);
    if (rc == CRYPTONN_OK) rc = cn_dist_gather_rows(s->parts, row, P);
    if (rc == CRYPTONN_OK)
        rc = cn_feip_finish_keys_var(s->dec[0], s->prep_b, s->grad_keys, 0, nk, s->parts, P,
                                     s->kout, NULL);
    return rc;
}

int cn_server_first_layer_grad(cn_server *s, cryptonn_model *m, const cn_enc_batch *b,
                               const float *dz1, cn_secure_stats *st, char *msg, size_t msg_len)
{
    const size_t nz = (size_t)b->n * s->z1_size;
    int e = cn_quant_exponent(dz1, nz, s->o.dz_bits);
    cn_quant(dz1, nz, e, s->dz_int);
    int rc = fetch_grad_keys(s, m, b, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    const size_t nk = s->req.nkeys;
    st->keys_grad += nk;
    if (nk) rc = grad_decrypt(s, b, nk);
    if (rc != CRYPTONN_OK) {
        if (msg) snprintf(msg, msg_len, "first-layer gradient: %s", cryptonn_status_str(rc));
        return rc;
    }
    st->dec_grad += nk;
    const double unscale = ldexp(1.0, -e) / (double)cn_enc_x_den(&s->p);
    for (size_t w = 0; w < s->nw; w++) {
        uint32_t key = s->grad_key[w];
        s->dw[w] = key == NO_KEY ? 0.0f : (float)((double)s->kout[key] * unscale);
    }
    cryptonn_model_set_first_layer_grad(m, s->dw, NULL);
    return CRYPTONN_OK;
}
