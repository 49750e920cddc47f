/* prepared: odd multiples of a fixed set of public points, for many sparse
 * small-scalar MSMs against the same points (the 784 slots ct_1..ct_n of one
 * ciphertext, hit by thousands of keys with ~25 non-zero weights each).
 *
 * Point i gets P_i, 3P_i, ..., (2^(w-1) - 1)·P_i (2^(w-2) entries) in affine
 * niels form, all normalised with one inversion. A query recodes each weight
 * in width-w NAF (one non-zero digit per w+1 bits on average) and runs
 * Straus with shared doublings over the support: for 25 weights of 10 bits
 * and w = 6, about 25·10/7 ≈ 36 mixed additions (7M) and 10 doublings, and
 * weights below 2^(w-1) that are odd cost exactly one addition each.
 * With AVX-512 IFMA the entries are kept in the 4-way vector layout
 * (prepared_ifma.c, 160 instead of 120 bytes each). */
#include <stdlib.h>

#include "group/ge25519_var.h"
#include "util/util.h"

#define PREP_CHUNK 64 /* terms recoded at a time (stack: 64 × 65 bytes) */

struct ge25519_prepared {
    size_t n;
    unsigned w, per;
    ge25519_niels *t; /* t[i·per + j] = (2j+1)·P_i (portable layout), or */
    void *tv;         /* the same in the IFMA layout (GEV_VEC_ENTRY bytes each) */
};

ge25519_prepared *ge25519_prepared_create_var(const ge25519 *p, size_t n, unsigned window)
{
    return gev_prepared_create_backend_var(p, n, window, gev_have_ifma());
}

ge25519_prepared *gev_prepared_create_backend_var(const ge25519 *p, size_t n, unsigned window, int vec)
{
    CN_ARG_CHECK(window >= 2 && window <= 8);
    const unsigned per = 1u << (window - 2);
    const size_t total = n * per;
    ge25519_prepared *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    if (vec) t->tv = aligned_alloc(32, (total ? total : 1) * GEV_VEC_ENTRY);
    else t->t = cn_malloc_array(total ? total : 1, sizeof *t->t);
    gev_table_writer wr;
    if ((!t->tv && !t->t) || !gev_table_writer_init(&wr, vec ? t->tv : (void *)t->t, vec)) {
        ge25519_prepared_destroy(t);
        return NULL;
    }
    t->n = n;
    t->w = window;
    t->per = per;
    for (size_t i = 0; i < n; i++) {
        /* P, 3P, 5P, ...: steps of 2P from -P */
        ge25519 cur, p2x;
        ge25519_p1p1 q;
        ge25519_p3_dbl(&q, &p[i]);
        ge25519_p1p1_to_p3(&p2x, &q);
        ge25519_neg(&cur, &p[i]);
        gev_table_writer_steps(&wr, &cur, &p2x, per);
    }
    gev_table_writer_finish(&wr);
    return t;
}

void ge25519_prepared_destroy(ge25519_prepared *t)
{
    if (!t) return;
    free(t->t);
    free(t->tv);
    free(t);
}

/* Σ over m <= PREP_CHUNK terms into r. */
static void prepared_chunk(ge25519 *r, const ge25519_prepared *t, const uint32_t *idx,
                           const int64_t *k, size_t m, size_t base)
{
    int8_t naf[PREP_CHUNK][65];
    const void *row[PREP_CHUNK];
    const size_t esize = t->tv ? GEV_VEC_ENTRY : sizeof(ge25519_niels);
    size_t live = 0;
    int top = 0;
    for (size_t j = 0; j < m; j++) {
        if (!k[j]) continue;
        const size_t i = idx ? idx[j] : base + j;
        CN_ARG_CHECK(i < t->n);
        const uint64_t mag = k[j] < 0 ? (uint64_t)0 - (uint64_t)k[j] : (uint64_t)k[j];
        const int tp = gev_wnaf_var(naf[live], &mag, 1, t->w);
        row[live] = t->tv ? (const void *)((const char *)t->tv + i * t->per * GEV_VEC_ENTRY)
                          : (const void *)(t->t + i * t->per);
        /* The slot tables outgrow L2 (784 slots × 16 entries × 120 bytes at
         * w = 6): start every fetch now so the misses overlap. */
        for (int b = 0; b < tp; b++) {
            if (!naf[live][b]) continue;
            const char *e = (const char *)row[live] + ((unsigned)abs(naf[live][b]) >> 1) * esize;
            __builtin_prefetch(e);
            __builtin_prefetch(e + 64);
            __builtin_prefetch(e + esize - 1);
            if (k[j] < 0) naf[live][b] = (int8_t)-naf[live][b];
        }
        if (tp > top) top = tp;
        live++;
    }

    if (t->tv) {
        gev_prepared_straus_ifma(r, (const int8_t(*)[65])naf, row, live, top);
        return;
    }
    ge25519_p2 a2;
    ge25519_p1p1 q;
    int started = 0, fresh = 0; /* fresh: r holds a point not yet in q */
    for (int b = top - 1; b >= 0; b--) {
        if (started) {
            if (fresh) ge25519_p3_dbl(&q, r);
            else {
                ge25519_p1p1_to_p2(&a2, &q);
                ge25519_p2_dbl(&q, &a2);
            }
            fresh = 0;
        }
        for (size_t j = 0; j < live; j++) {
            const int d = naf[j][b];
            if (!d) continue;
            const ge25519_niels *e = (const ge25519_niels *)row[j] + ((unsigned)abs(d) >> 1);
            if (!started) {
                gev_niels_to_p3_var(r, e, d < 0);
                started = fresh = 1;
                continue;
            }
            if (!fresh) ge25519_p1p1_to_p3(r, &q);
            gev_add_niels_var(&q, r, e, d < 0);
            fresh = 0;
        }
    }
    if (!started) ge25519_identity(r);
    else if (!fresh) ge25519_p1p1_to_p3(r, &q);
}

void ge25519_prepared_msm_i64_var(ge25519 *r, const ge25519_prepared *t, const uint32_t *idx,
                                  const int64_t *k, size_t m, unsigned bits)
{
    (void)bits; /* the recoding follows the actual magnitudes, so any bound is safe */
    ge25519 acc, part;
    int started = 0;
    for (size_t off = 0; off < m; off += PREP_CHUNK) {
        const size_t c = m - off < PREP_CHUNK ? m - off : PREP_CHUNK;
        prepared_chunk(&part, t, idx ? idx + off : NULL, k + off, c, off);
        if (started) gev_add_p3_var(&acc, &acc, &part, 0);
        else acc = part;
        started = 1;
    }
    if (started) *r = acc;
    else ge25519_identity(r);
}
