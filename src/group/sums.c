/* sums: the flat-sum engine of group.h. Each sum is recoded at once into
 * its terms (the address of a comb entry, bit 0 set for a subtraction) and
 * queued; RUN_SUMS queued sums (or a flush) make a run, which the IFMA
 * backend computes on eight lanes that each take the next sum as soon as
 * they finish one, and the portable backend one sum after the other. */
#include <stdlib.h>

#include "group/ge25519_var.h"
#include "util/util.h"

#define RUN_SUMS 64

struct ge25519_sums {
    uintptr_t *term; /* the queued sums' terms, one after the other */
    size_t nterm, tcap;
    gev_sum *sum;    /* the queued sums; the last one may still grow */
    ge25519 *start;  /* start[k]: sum k's start, when it has one */
    size_t nsum;
    int portable;
    void *scratch; /* gev_sums_scratch's block */
    size_t scratch_bytes;
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
    free(s->sum);
    free(s->start);
    free(s->scratch);
    free(s);
}

int gev_sums_portable(const ge25519_sums *s) { return s->portable; }

void *gev_sums_scratch(ge25519_sums *s, size_t bytes)
{
    if (bytes <= s->scratch_bytes) return s->scratch;
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) return NULL;
    free(s->scratch);
    s->scratch = p;
    s->scratch_bytes = bytes;
    return p;
}

void gev_sums_set_portable(ge25519_sums *s, int portable)
{
    ge25519_sums_flush_var(s);
    s->portable = portable || !gev_have_ifma();
}

static void run_portable(const gev_sum *sum, size_t count, const uintptr_t *term)
{
    for (size_t k = 0; k < count; k++) {
        const gev_sum *q = &sum[k];
        ge25519 acc;
        if (q->start) acc = *q->start;
        else ge25519_identity(&acc);
        for (size_t j = q->first; j < q->first + q->len; j++) {
            const gev_entry *e = (const gev_entry *)(term[j] & ~(uintptr_t)1);
            ge25519_p1p1 p;
            gev_add_niels_var(&p, &acc, &e->n, (int)(term[j] & 1));
            ge25519_p1p1_to_p3(&acc, &p);
        }
        *q->out = acc;
    }
}

void gev_sums_run_backend(int portable, const gev_sum *sum, size_t count, const uintptr_t *term)
{
    if (portable) run_portable(sum, count, term);
    else gev_sums_run_ifma(sum, count, term);
}

/* Closes the last queued sum (its length is where the terms stand). */
static void close_last(ge25519_sums *s)
{
    if (s->nsum) s->sum[s->nsum - 1].len = s->nterm - s->sum[s->nsum - 1].first;
}

static void run(ge25519_sums *s)
{
    if (!s->nsum) return;
    close_last(s);
    gev_sums_run_backend(s->portable, s->sum, s->nsum, s->term);
    s->nsum = 0;
    s->nterm = 0;
}

void ge25519_sums_flush_var(ge25519_sums *s)
{
    run(s);
}

static void drop_all(ge25519_sums *s)
{
    s->nsum = 0;
    s->nterm = 0;
}

/* Room for `more` terms; on failure every queued sum is dropped. */
static int reserve(ge25519_sums *s, size_t more)
{
    if (more <= s->tcap - s->nterm) return 0;
    size_t cap = s->tcap ? s->tcap : 4096;
    while (cap - s->nterm < more) {
        if (cap > SIZE_MAX / 2 / sizeof *s->term) goto fail;
        cap *= 2;
    }
    uintptr_t *t = realloc(s->term, cap * sizeof *t);
    if (!t) goto fail;
    s->term = t;
    s->tcap = cap;
    return 0;
fail:
    drop_all(s);
    return -1;
}

int ge25519_sums_begin_var(ge25519_sums *s, ge25519 *out, const ge25519 *start)
{
    CN_ARG_CHECK(out != NULL);
    if (s->nsum == RUN_SUMS) run(s);
    if (!s->sum) {
        s->sum = cn_malloc_array(RUN_SUMS, sizeof *s->sum);
        s->start = cn_malloc_array(RUN_SUMS, sizeof *s->start);
        if (!s->sum || !s->start) {
            free(s->sum);
            free(s->start);
            s->sum = NULL;
            s->start = NULL;
            drop_all(s);
            return -1;
        }
    }
    close_last(s);
    const size_t k = s->nsum++;
    if (start) s->start[k] = *start;
    s->sum[k] = (gev_sum){.out = out, .start = start ? &s->start[k] : NULL, .first = s->nterm, .len = 0};
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
    CN_ARG_CHECK(s->nsum > 0 && i < t->n);
    if (reserve(s, t->rows)) return -1;
    if (t->w == 8 && t->bits == 253) {
        /* ct_0's table: the digits are the scalar's bytes, recoded in place
         * (a third of the recoding time of the general path, which every
         * key of every ciphertext pays) */
        CN_ARG_CHECK(k->v[31] < 32); /* below 2^253 */
        const gev_entry *row = t->e + i * t->stride;
        unsigned carry = 0;
        for (unsigned r = 0; r < 32; r++, row += 128) {
            int v = (int)(k->v[r] + carry);
            carry = r < 31 && v > 128;
            if (carry) v -= 256;
            if (v) s->term[s->nterm++] = (uintptr_t)&row[(v < 0 ? -v : v) - 1] | (uintptr_t)((v < 0) ^ (negate != 0));
        }
        return 0;
    }
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
    CN_ARG_CHECK(s->nsum > 0 && t->bits <= 62);
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
