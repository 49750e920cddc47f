/* comb: digit tables for n public points (group.h), their portable build,
 * and the digit recoding shared with the flat sums.
 *
 * Layout. Window w, per = 2^(w-1). A magnitude x < 2^bits is cut into rows
 * signed digits d_r in (-per, per] (carrying into the next row when a digit
 * would exceed per), and the top one in [0, per_top]: rows is the smallest
 * count for which the top digit, at most floor((2^bits - 1) / 2^(w·(rows-1)))
 * + 1 with the incoming carry, fits per (for rows = 1, at most 2^bits - 1).
 * So x = Σ d_r·2^(w·r), and row r of point i stores j·2^(w·r)·P_i for
 * j = 1..per (per_top in the top row) as 128-byte affine entries: a term
 * costs one mixed addition (7M), negated entries are free (swap y±x, negate
 * 2d·xy). Examples: bits 253, w 8: 32 rows, top row 32 entries, 4,064
 * entries (508 KiB); bits 8, w 5: 2 rows of 16 and 8 entries per point.
 *
 * Build. Row r comes from its base B = 2^(w·r)·P as B, 2B, ..., per·B
 * (cached additions), and the next base is 2·(per·B) = 2^w·B. The portable
 * build normalises 256 points at a time (one inversion each); the IFMA build
 * (comb_ifma.c) runs eight chains at once. */
#include <stdlib.h>
#include <string.h>

#include "group/ge25519_var.h"
#include "util/util.h"

#define PORTABLE_BLOCK 256

const gev_entry gev_identity_entry __attribute__((aligned(64))) = {
    .n = {.yplusx = {{1, 0, 0, 0, 0}}, .yminusx = {{1, 0, 0, 0, 0}}, .xy2d = {{0, 0, 0, 0, 0}}}};

/* The largest top digit with `rows` rows (see the layout above). */
static uint64_t top_digit_max(unsigned bits, unsigned w, unsigned rows)
{
    if (rows == 1) return bits >= 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
    const unsigned shift = w * (rows - 1);
    if (shift >= bits) return 1; /* only the carry reaches the top row */
    const unsigned rest = bits - shift;
    return rest >= 63 ? UINT64_MAX : ((uint64_t)1 << rest); /* floor((2^bits-1)/2^shift) + 1 */
}

ge25519_comb *ge25519_comb_create_var(size_t n, unsigned window, unsigned bits)
{
    CN_ARG_CHECK(n >= 1 && window >= 2 && window <= 10 && bits >= 1 && bits <= 253);
    const unsigned per = 1u << (window - 1);
    unsigned rows = 1;
    while (top_digit_max(bits, window, rows) > per) rows++;
    const unsigned per_top = (unsigned)top_digit_max(bits, window, rows);
    const size_t stride = (size_t)(rows - 1) * per + per_top;
    if (n > SIZE_MAX / sizeof(gev_entry) / stride) return NULL;
    ge25519_comb *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    *t = (ge25519_comb){.n = n, .stride = stride, .w = window, .bits = bits, .rows = rows,
                        .per = per, .per_top = per_top};
    t->e = aligned_alloc(64, n * stride * sizeof(gev_entry));
    t->scratch = aligned_alloc(64, GEV_BUILD_BYTES);
    if (!t->e || !t->scratch) {
        ge25519_comb_destroy(t);
        return NULL;
    }
    return t;
}

void ge25519_comb_destroy(ge25519_comb *t)
{
    if (!t) return;
    free(t->e);
    free(t->scratch);
    free(t);
}

size_t ge25519_comb_bytes(const ge25519_comb *t)
{
    return sizeof *t + t->n * t->stride * sizeof(gev_entry) + GEV_BUILD_BYTES;
}

size_t ge25519_comb_points(const ge25519_comb *t) { return t->n; }
unsigned ge25519_comb_bits(const ge25519_comb *t) { return t->bits; }

void ge25519_comb_set_var(ge25519_comb *t, const ge25519 *p)
{
    gev_comb_set_backend_var(t, p, gev_have_ifma());
}

/* ---- portable build ---- */

typedef struct {
    ge25519 *blk;
    fe25519 *scratch;
    gev_entry *out; /* where blk[0] goes */
    size_t fill;
} block_writer;

static void block_flush(block_writer *bw)
{
    if (!bw->fill) return;
    ge25519_batch_to_niels(&bw->out->n, sizeof(gev_entry), bw->blk, bw->fill, bw->scratch);
    bw->out += bw->fill;
    bw->fill = 0;
}

/* Appends step, 2·step, ..., count·step after cur (cur advances to the last). */
static void block_steps(block_writer *bw, ge25519 *cur, const ge25519 *step, size_t count)
{
    ge25519_cached sc;
    ge25519_to_cached(&sc, step);
    for (size_t j = 0; j < count; j++) {
        ge25519_p1p1 q;
        ge25519_add_cached(&q, cur, &sc);
        ge25519_p1p1_to_p3(cur, &q);
        bw->blk[bw->fill++] = *cur;
        if (bw->fill == PORTABLE_BLOCK) block_flush(bw);
    }
}

static void build_portable(ge25519_comb *t, const ge25519 *p)
{
    block_writer bw = {.blk = t->scratch,
                       .scratch = (fe25519 *)((char *)t->scratch + PORTABLE_BLOCK * sizeof(ge25519)),
                       .out = t->e,
                       .fill = 0};
    for (size_t i = 0; i < t->n; i++) {
        ge25519 b = p[i]; /* 2^(w·r)·P_i */
        for (unsigned r = 0; r < t->rows; r++) {
            ge25519 cur;
            ge25519_identity(&cur);
            block_steps(&bw, &cur, &b, r + 1 < t->rows ? t->per : t->per_top);
            if (r + 1 < t->rows) {
                ge25519_p1p1 q; /* 2^w·b = 2·(per·b) */
                ge25519_p3_dbl(&q, &cur);
                ge25519_p1p1_to_p3(&b, &q);
            }
        }
    }
    block_flush(&bw);
}

void gev_comb_set_backend_var(ge25519_comb *t, const ge25519 *p, int vec)
{
    _Static_assert(PORTABLE_BLOCK * (sizeof(ge25519) + sizeof(fe25519)) <= GEV_BUILD_BYTES,
                   "the portable block fits the build workspace");
    if (vec) gev_comb_build_ifma(t, p);
    else build_portable(t, p);
}

/* ---- digits ---- */

/* w bits of x from bit pos (w <= 10; bits beyond the words read as 0). */
static inline unsigned bits_at(const uint64_t *x, size_t nwords, unsigned pos, unsigned w)
{
    const size_t word = pos / 64;
    const unsigned off = pos % 64;
    if (word >= nwords) return 0;
    uint64_t v = x[word] >> off;
    if (off + w > 64 && word + 1 < nwords) v |= x[word + 1] << (64 - off);
    return (unsigned)(v & ((1u << w) - 1));
}

void gev_comb_digits(int16_t *d, const ge25519_comb *t, const uint64_t *x)
{
    const size_t nwords = (t->bits + 63) / 64;
    unsigned carry = 0;
    for (unsigned r = 0; r + 1 < t->rows; r++) {
        int v = (int)(bits_at(x, nwords, r * t->w, t->w) + carry);
        carry = v > (int)t->per;
        d[r] = (int16_t)(carry ? v - 2 * (int)t->per : v);
    }
    /* the top row takes every bit left (at most per_top with the carry) */
    const unsigned pos = (t->rows - 1) * t->w;
    unsigned top = carry;
    for (unsigned b = pos; b < t->bits; b++) top += ((x[b / 64] >> (b % 64)) & 1u) << (b - pos);
    CN_ARG_CHECK(top <= t->per_top);
    d[t->rows - 1] = (int16_t)top;
}

void ge25519_comb_mul_var(ge25519 *r, const ge25519_comb *t, size_t i, const sc25519 *k)
{
    CN_ARG_CHECK(i < t->n);
    uint64_t x[4];
    int16_t d[253];
    gev_scalar_words(x, k);
    CN_ARG_CHECK(t->bits >= 253 || (x[t->bits / 64] >> (t->bits % 64)) == 0);
    gev_comb_digits(d, t, x);
    const gev_entry *row = t->e + i * t->stride;
    ge25519_identity(r);
    for (unsigned j = 0; j < t->rows; j++, row += t->per) {
        if (!d[j]) continue;
        ge25519_p1p1 q;
        gev_add_niels_var(&q, r, &row[abs(d[j]) - 1].n, d[j] < 0);
        ge25519_p1p1_to_p3(r, &q);
    }
}
