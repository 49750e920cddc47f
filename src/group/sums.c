/* sums: the flat-sum engine of group.h. Each sum is recoded at once into
 * its terms (the address of a comb entry, bit 0 set for a subtraction);
 * eight sums make a run, which the IFMA backend computes lane by lane in
 * step (a shorter sum adds the identity once it is done: sums of one
 * workload differ by a few terms, so little is wasted) and the portable
 * backend one after the other. */
#include <stdlib.h>

#include "group/ge25519_var.h"
#include "util/util.h"

#define LANES 8

struct ge25519_sums {
    uintptr_t *term; /* the pending sums' terms, one after the other */
    size_t nterm, cap;
    size_t first[LANES + 1]; /* sum k's terms: [first[k], first[k+1]) (the last: nterm) */
    ge25519 *out[LANES];
    ge25519 start[LANES];
    int has_start[LANES];
    unsigned pending;
    int portable;
};

ge25519_sums *ge25519_sums_create(void)
{
    ge25519_sums *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->portable = !gev_have_ifma();
    return s;
}

void ge25519_sums_destroy(ge25519_sums *s)
{
    if (!s) return;
    free(s->term);
    free(s);
}

void gev_sums_set_portable(ge25519_sums *s, int portable)
{
    ge25519_sums_flush_var(s);
    s->portable = portable || !gev_have_ifma();
}

static void run_portable(ge25519_sums *s)
{
    for (unsigned k = 0; k < s->pending; k++) {
        ge25519 acc;
        if (s->has_start[k]) acc = s->start[k];
        else ge25519_identity(&acc);
        for (size_t j = s->first[k]; j < s->first[k + 1]; j++) {
            const gev_entry *e = (const gev_entry *)(s->term[j] & ~(uintptr_t)1);
            ge25519_p1p1 q;
            gev_add_niels_var(&q, &acc, &e->n, (int)(s->term[j] & 1));
            ge25519_p1p1_to_p3(&acc, &q);
        }
        *s->out[k] = acc;
    }
}

static void run(ge25519_sums *s)
{
    if (!s->pending) return;
    s->first[s->pending] = s->nterm;
    if (s->portable) {
        run_portable(s);
    } else {
        ge25519 *out[LANES];
        const ge25519 *start[LANES];
        const uintptr_t *term[LANES];
        size_t len[LANES];
        for (unsigned k = 0; k < LANES; k++) {
            const int live = k < s->pending;
            out[k] = live ? s->out[k] : NULL;
            start[k] = live && s->has_start[k] ? &s->start[k] : NULL;
            term[k] = live ? s->term + s->first[k] : NULL;
            len[k] = live ? s->first[k + 1] - s->first[k] : 0;
        }
        gev_sums_run_ifma(out, start, term, len);
    }
    s->pending = 0;
    s->nterm = 0;
}

void ge25519_sums_flush_var(ge25519_sums *s)
{
    run(s);
}

/* Room for `more` terms; on failure every pending sum is dropped. */
static int reserve(ge25519_sums *s, size_t more)
{
    if (more <= s->cap - s->nterm) return 0;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap - s->nterm < more) {
        if (cap > SIZE_MAX / 2 / sizeof *s->term) goto fail;
        cap *= 2;
    }
    uintptr_t *t = realloc(s->term, cap * sizeof *t);
    if (!t) goto fail;
    s->term = t;
    s->cap = cap;
    return 0;
fail:
    s->pending = 0;
    s->nterm = 0;
    return -1;
}

int ge25519_sums_begin_var(ge25519_sums *s, ge25519 *out, const ge25519 *start)
{
    CN_ARG_CHECK(out != NULL);
    if (s->pending == LANES) run(s);
    const unsigned k = s->pending++;
    s->out[k] = out;
    s->has_start[k] = start != NULL;
    if (start) s->start[k] = *start;
    s->first[k] = s->nterm;
    return 0;
}

static inline uintptr_t term_of(const ge25519_comb *t, size_t i, unsigned r, int d, int negate)
{
    const gev_entry *e = t->e + i * t->stride + (size_t)r * t->per + (unsigned)(d < 0 ? -d : d) - 1;
    return (uintptr_t)e | (uintptr_t)((d < 0) ^ negate);
}

int ge25519_sums_add_scalar_var(ge25519_sums *s, const ge25519_comb *t, size_t i, const sc25519 *k,
                                int negate)
{
    CN_ARG_CHECK(s->pending > 0 && i < t->n);
    if (reserve(s, t->rows)) return -1;
    uint64_t x[4];
    int16_t d[253];
    gev_scalar_words(x, k);
    CN_ARG_CHECK(t->bits >= 253 || (x[t->bits / 64] >> (t->bits % 64)) == 0);
    gev_comb_digits(d, t, x);
    for (unsigned r = 0; r < t->rows; r++)
        if (d[r]) s->term[s->nterm++] = term_of(t, i, r, d[r], negate != 0);
    return 0;
}

int ge25519_sums_add_i64_var(ge25519_sums *s, const ge25519_comb *t, const uint32_t *idx,
                             const int64_t *k, size_t m)
{
    CN_ARG_CHECK(s->pending > 0 && t->bits <= 62);
    if (m > SIZE_MAX / t->rows || reserve(s, m * t->rows)) return -1;
    const uint64_t mask = ((uint64_t)1 << t->w) - 1;
    const unsigned per = t->per;
    for (size_t j = 0; j < m; j++) {
        if (!k[j]) continue;
        const size_t i = idx ? idx[j] : j;
        CN_ARG_CHECK(i < t->n);
        const int neg = k[j] < 0;
        uint64_t x = neg ? (uint64_t)0 - (uint64_t)k[j] : (uint64_t)k[j];
        CN_ARG_CHECK((x >> t->bits) == 0);
        /* the recoding of gev_comb_digits on one word */
        unsigned carry = 0, r = 0;
        for (; r + 1 < t->rows; r++, x >>= t->w) {
            int v = (int)((x & mask) + carry);
            carry = v > (int)per;
            if (carry) v -= 2 * (int)per;
            if (v) s->term[s->nterm++] = term_of(t, i, r, v, neg);
        }
        if (x + carry) s->term[s->nterm++] = term_of(t, i, r, (int)(x + carry), neg);
    }
    return 0;
}
