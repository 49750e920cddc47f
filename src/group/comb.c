/* comb: fixed-base tables for any public point P, and k·P from them.
 *
 * Layout. Window w splits a scalar into nd = ceil(254 / w) signed radix-2^w
 * digits e_i in (-2^(w-1), 2^(w-1)] (w = 1: plain bits), so that
 * k = Σ e_i·2^(w·i). Row i of the table holds j·2^(w·i)·P for j = 1..2^(w-1)
 * in affine niels form, and k·P = Σ_i ±row_i[|e_i|] is nd mixed additions
 * (7M each) and no doublings: 32 additions for w = 8 (table 4,096 points,
 * 480 KiB), 64 for w = 4. This is the one-tooth corner of the Lim–Lee comb
 * family: the table is large, but ct_0 of a ciphertext serves thousands of
 * keys, so additions are what counts.
 *
 * nd·w >= 254 leaves room for the final carry of a canonical scalar (< 2^253):
 * the top digit is at most 2^(253 - (nd-1)·w) <= 2^(w-1).
 *
 * Backends. On CPUs with AVX-512 IFMA the entries are stored in the 4-way
 * vector addend layout instead (comb_ifma.c, 160 bytes per entry: 640 KiB at
 * w = 8) and each addition is two 4-way multiplications. */
#include <stdlib.h>

#include "group/ge25519_var.h"
#include "util/util.h"

struct ge25519_comb {
    unsigned w, nd, per; /* window, digits (rows), entries per row */
    ge25519_niels *t;    /* t[i·per + j - 1] = j·2^(w·i)·P (portable layout), or */
    void *tv;            /* the same entries in the IFMA layout (GEV_VEC_ENTRY bytes) */
};

ge25519_comb *ge25519_comb_create_var(const ge25519 *p, unsigned window)
{
    return gev_comb_create_backend_var(p, window, gev_have_ifma());
}

ge25519_comb *gev_comb_create_backend_var(const ge25519 *p, unsigned window, int vec)
{
    CN_ARG_CHECK(window >= 1 && window <= 12);
    const unsigned w = window, nd = (254 + w - 1) / w, per = w == 1 ? 1u : 1u << (w - 1);
    const size_t n = (size_t)nd * per;
    ge25519_comb *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    if (vec) c->tv = aligned_alloc(32, n * GEV_VEC_ENTRY);
    else c->t = cn_malloc_array(n, sizeof *c->t);
    gev_table_writer wr;
    if ((!c->tv && !c->t) || !gev_table_writer_init(&wr, vec ? c->tv : (void *)c->t, vec)) {
        ge25519_comb_destroy(c);
        return NULL;
    }
    c->w = w;
    c->nd = nd;
    c->per = per;

    ge25519 b = *p; /* 2^(w·i)·P */
    ge25519_p1p1 q;
    for (unsigned i = 0; i < nd; i++) {
        ge25519 cur;
        ge25519_identity(&cur);
        gev_table_writer_steps(&wr, &cur, &b, per); /* b, 2b, ..., per·b */
        /* 2^w·b = 2·(per·b) for w >= 2, and 2·b for w = 1 */
        ge25519_p3_dbl(&q, &cur);
        ge25519_p1p1_to_p3(&b, &q);
    }
    gev_table_writer_finish(&wr);
    return c;
}

/* ---- the block writer shared with prepared.c ---- */

int gev_table_writer_init(gev_table_writer *w, void *out, int vec)
{
    w->blk = cn_malloc_array(GEV_TABLE_BLOCK, sizeof *w->blk);
    w->scratch = cn_malloc_array(GEV_TABLE_BLOCK, sizeof *w->scratch);
    w->fill = w->done = 0;
    w->vec = vec;
    w->out = out;
    if (w->blk && w->scratch) return 1;
    free(w->blk);
    free(w->scratch);
    return 0;
}

static void table_writer_flush(gev_table_writer *w)
{
    if (!w->fill) return;
    if (w->vec) gev_block_to_vec_ifma((char *)w->out + w->done * GEV_VEC_ENTRY, w->blk, w->fill, w->scratch);
    else ge25519_batch_to_niels((ge25519_niels *)w->out + w->done, w->blk, w->fill, w->scratch);
    w->done += w->fill;
    w->fill = 0;
}

void gev_table_writer_steps(gev_table_writer *w, ge25519 *cur, const ge25519 *step, size_t count)
{
    ge25519_cached sc;
    if (!w->vec) ge25519_to_cached(&sc, step);
    while (count) {
        size_t m = GEV_TABLE_BLOCK - w->fill;
        if (m > count) m = count;
        if (w->vec) {
            gev_steps_ifma(w->blk + w->fill, cur, step, m);
        } else {
            for (size_t j = 0; j < m; j++) {
                ge25519_p1p1 q;
                ge25519_add_cached(&q, cur, &sc);
                ge25519_p1p1_to_p3(cur, &q);
                w->blk[w->fill + j] = *cur;
            }
        }
        w->fill += m;
        count -= m;
        if (w->fill == GEV_TABLE_BLOCK) table_writer_flush(w);
    }
}

void gev_table_writer_finish(gev_table_writer *w)
{
    table_writer_flush(w);
    free(w->blk);
    free(w->scratch);
    w->blk = NULL;
    w->scratch = NULL;
}

void ge25519_comb_destroy(ge25519_comb *t)
{
    if (!t) return;
    free(t->t);
    free(t->tv);
    free(t);
}

size_t ge25519_comb_bytes(const ge25519_comb *t)
{
    return sizeof *t + (size_t)t->nd * t->per * (t->tv ? GEV_VEC_ENTRY : sizeof *t->t);
}

/* w bits of k starting at bit pos (w <= 12; bits beyond 255 read as 0). */
static inline unsigned bits_at(const sc25519 *k, unsigned pos, unsigned w)
{
    const unsigned byte = pos / 8;
    uint32_t v = 0;
    for (unsigned i = 0; i < 3 && byte + i < 32; i++) v |= (uint32_t)k->v[byte + i] << (8 * i);
    return (v >> (pos % 8)) & ((1u << w) - 1);
}

void ge25519_comb_mul_var(ge25519 *r, const ge25519_comb *t, const sc25519 *k)
{
    const unsigned w = t->w, per = t->per;
    int16_t e[254];
    /* Recode first so that every entry can be prefetched. */
    unsigned carry = 0;
    for (unsigned i = 0; i < t->nd; i++) {
        int d = (int)(bits_at(k, i * w, w) + carry);
        carry = 0;
        if (w > 1 && d > (int)per) {
            d -= 2 * (int)per;
            carry = 1;
        }
        e[i] = (int16_t)d;
    }

    if (t->tv) {
        gev_comb_mul_ifma(r, t->tv, e, t->nd, per);
        return;
    }

    /* Start every table fetch up front so the cache misses overlap (the
     * window-8 table is 480 KiB). */
    for (unsigned i = 0; i < t->nd; i++) {
        if (!e[i]) continue;
        const char *ent = (const char *)&t->t[(size_t)i * per + (unsigned)abs(e[i]) - 1];
        __builtin_prefetch(ent);
        __builtin_prefetch(ent + 64);
        __builtin_prefetch(ent + 119);
    }

    ge25519_p1p1 q;
    int started = 0;
    for (unsigned i = 0; i < t->nd; i++) {
        const int d = e[i];
        if (!d) continue;
        const ge25519_niels *ent = &t->t[(size_t)i * per + (unsigned)abs(d) - 1];
        if (!started) {
            gev_niels_to_p3_var(r, ent, d < 0);
            started = 1;
        } else {
            gev_add_niels_var(&q, r, ent, d < 0);
            ge25519_p1p1_to_p3(r, &q);
        }
    }
    if (!started) ge25519_identity(r);
}
