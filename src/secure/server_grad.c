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

int cn_grad_terms_alloc(cn_grad_terms *t, size_t entries, size_t filters)
{
    t->pos = cn_malloc_array(entries, sizeof *t->pos);
    t->val = cn_malloc_array(entries, sizeof *t->val);
    t->start = cn_malloc_array(filters + 1, sizeof *t->start);
    t->any = cn_malloc_array(filters + 1, sizeof *t->any);
    return t->pos && t->val && t->start && t->any ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
}

void cn_grad_terms_free(cn_grad_terms *t)
{
    free(t->pos);
    free(t->val);
    free(t->start);
    free(t->any);
    memset(t, 0, sizeof *t);
}

static void grad_shape(cn_server *s, const cryptonn_model *m, uint32_t n)
{
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    cn_grad_req *g = &s->greq;
    *g = (cn_grad_req){.conv = fl.is_conv != 0, .n = n, .in_c = fl.in_c, .in_h = 1, .in_w = 1,
                       .k = 1, .out_c = fl.out_c, .out_h = 1, .out_w = 1, .dz = s->dz_int};
    if (fl.is_conv) {
        g->in_h = fl.in_h;
        g->in_w = fl.in_w;
        g->k = fl.k;
        g->out_h = fl.out_h;
        g->out_w = fl.out_w;
    }
}

/* dZ1's non-zeros filter by filter: at pos the slot b·slots + i·in_w + j
 * of the entry (b, i, j), for the samples b that reach the slots [lo, hi),
 * at val its value, filter o's entries from start[o] (s->gt). The key of weight
 * (o, c, u, v) holds these entries at their slot + c·in_h·in_w + u·in_w + v,
 * and ||y||_1 = Σ |dZ1[·][o]| (each entry once). Returns the largest key
 * bound x_max·||y||_1; any[o] says whether filter o has a non-zero at all. */
static uint64_t collect_terms(cn_server *s, size_t lo, size_t hi)
{
    const cn_grad_req *g = &s->greq;
    const size_t slots = (size_t)g->in_c * g->in_h * g->in_w, plane = (size_t)g->out_h * g->out_w;
    const size_t b0 = lo / slots, b1 = (hi + slots - 1) / slots;
    uint64_t worst = 0;
    size_t t = 0;
    for (uint32_t o = 0; o < g->out_c; o++) {
        s->gt.start[o] = t;
        int64_t l1 = 0; /* < 2^20 · 2^25 entries */
        for (uint32_t b = 0; b < g->n; b++) {
            const int64_t *dz = g->dz + ((size_t)b * g->out_c + o) * plane;
            const int mine = b >= b0 && b < b1;
            for (size_t e = 0; e < plane; e++) {
                if (!dz[e]) continue;
                l1 += dz[e] < 0 ? -dz[e] : dz[e];
                if (!mine) continue;
                s->gt.pos[t] = (uint32_t)(b * slots + (e / g->out_w) * g->in_w + e % g->out_w);
                s->gt.val[t++] = dz[e];
            }
        }
        s->gt.any[o] = l1 != 0;
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
    const size_t per = (size_t)g->in_c * g->k * g->k;
    CN_TRY(cn_server_req_reserve(s, (size_t)g->out_c * per, s->gt.start[g->out_c] * per));
    cn_feip_keyreq *r = &s->req;
    r->mpk = CN_MPK_BATCH;
    r->rowptr[0] = 0;
    uint64_t nnz = 0;
    uint32_t key = 0;
    for (size_t w = 0; w < (size_t)g->out_c * per; w++) {
        const size_t o = w / per, c = w % per / ((size_t)g->k * g->k), u = w / g->k % g->k,
                     v = w % g->k;
        if (!s->gt.any[o]) {
            s->grad_key[w] = NO_KEY;
            continue;
        }
        const size_t shift = c * g->in_h * g->in_w + u * g->in_w + v;
        for (size_t t = s->gt.start[o]; t < s->gt.start[o + 1]; t++) {
            const size_t x = s->gt.pos[t] + shift;
            if (x < lo || x >= hi) continue; /* the slice cuts a sample */
            r->idx[nnz] = (uint32_t)x;
            r->val[nnz++] = s->gt.val[t];
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
