/* sums_msm: long small-scalar MSMs (the first-layer gradient: ~37,000 terms
 * a key over a batch ciphertext) as Pippenger whose buckets are flat sums.
 *
 * Each scalar is cut into signed radix-2^c digits (window j's digit in
 * (-2^(c-1), 2^(c-1)]); a non-zero digit d puts ±P into bucket |d| of its
 * window, so bucket (j, b) is the flat sum of its points, and all buckets of
 * all windows go through the sums engine together (eight at a time on
 * IFMA). Then window j is Σ_b b·B_{j,b} (running sums) and the result
 * Σ_j 2^(c·j)·W_j. The terms are sorted into their buckets by counting.
 *
 * c is chosen from the bit lengths of the scalars: a scalar of L bits has a
 * digit in about floor(L/c) + 1 windows, each such digit costs one
 * addition, and each window costs about two additions per bucket for its
 * running sums (five times a flat-sum addition, being serial). */
#include <string.h>

#include "group/ge25519_var.h"
#include "util/util.h"

#define MSM_MINC 4
#define MSM_MAXC 14

static unsigned bitlen(uint64_t x)
{
    return x ? 64u - (unsigned)__builtin_clzll(x) : 0;
}

/* Workspace pieces start on 64-byte boundaries. */
static size_t round64(size_t n)
{
    return (n + 63) / 64 * 64;
}

static void combine_portable(ge25519 *r, const ge25519 *B, size_t h)
{
    ge25519 run, sum;
    ge25519_identity(&run);
    ge25519_identity(&sum);
    for (size_t b = h; b-- > 0;) {
        ge25519_add(&run, &run, &B[b]);
        ge25519_add(&sum, &sum, &run);
    }
    *r = sum;
}

int ge25519_sums_msm_var(ge25519_sums *s, ge25519 *r, const ge25519_comb *t, const uint32_t *idx,
                         const int64_t *k, size_t m)
{
    CN_ARG_CHECK(t->rows == 1 && t->per_top == 1);
    ge25519_sums_flush_var(s);
    size_t hist[64] = {0}, nz = 0;
    unsigned maxbits = 0;
    for (size_t j = 0; j < m; j++) {
        const uint64_t x = k[j] < 0 ? (uint64_t)0 - (uint64_t)k[j] : (uint64_t)k[j];
        const unsigned L = bitlen(x);
        CN_ARG_CHECK(L <= 62);
        hist[L]++;
        if (L > maxbits) maxbits = L;
    }
    nz = m - hist[0];
    if (nz == 0) {
        ge25519_identity(r);
        return 0;
    }
    unsigned c = MSM_MINC;
    double best = 0;
    for (unsigned cc = MSM_MINC; cc <= MSM_MAXC; cc++) {
        const unsigned nwin = (maxbits + 1 + cc - 1) / cc;
        double cost = 5.0 * 2.0 * (double)nwin * (double)(1u << (cc - 1));
        for (unsigned L = 1; L <= maxbits; L++) cost += (double)hist[L] * (double)(L / cc + 1);
        if (cc == MSM_MINC || cost < best) {
            best = cost;
            c = cc;
        }
    }
    const unsigned nwin = (maxbits + 1 + c - 1) / c;
    const size_t h = (size_t)1 << (c - 1), nb = nwin * h;
    /* workspace: terms, each term's bucket codes, bucket sums, bucket
     * results, bucket starts */
    const size_t nd = nz * nwin, tb = round64(nd * sizeof(uintptr_t)), db = round64(nd * sizeof(uint32_t)),
                 sb = round64(nb * sizeof(gev_sum)), rb = round64(nb * sizeof(ge25519)),
                 cb = (nb + 1) * sizeof(size_t);
    char *ws = gev_sums_scratch(s, tb + db + sb + rb + cb);
    if (!ws) return -1;
    uintptr_t *term = (uintptr_t *)ws;
    uint32_t *code = (uint32_t *)(ws + tb);
    gev_sum *sum = (gev_sum *)(ws + tb + db);
    ge25519 *res = (ge25519 *)(ws + tb + db + sb);
    size_t *pos = (size_t *)(ws + tb + db + sb + rb);

    /* counting sort into (window, bucket) order: each digit's code is
     * 2·(bucket + 1) + sign (0: no digit), counted, then placed */
    const uint64_t mask = ((uint64_t)1 << c) - 1, half = (uint64_t)1 << (c - 1);
    memset(pos, 0, cb);
    size_t nc = 0;
    for (size_t j = 0; j < m; j++) {
        if (!k[j]) continue;
        const uint32_t neg = k[j] < 0;
        uint64_t x = neg ? (uint64_t)0 - (uint64_t)k[j] : (uint64_t)k[j], carry = 0;
        for (unsigned w = 0; w < nwin; w++, x >>= c) {
            uint64_t v = (x & mask) + carry;
            uint32_t dneg = 0;
            carry = w + 1 < nwin && v > half;
            if (carry) {
                v = mask + 1 - v;
                dneg = 1;
            }
            const size_t b = w * h + (size_t)v - 1;
            code[nc++] = v ? (uint32_t)(2 * (b + 1)) | (neg ^ dneg) : 0;
            if (v) pos[b + 1]++;
        }
    }
    for (size_t b = 0; b < nb; b++) {
        pos[b + 1] += pos[b];
        sum[b] = (gev_sum){.out = &res[b], .start = NULL, .first = pos[b], .len = pos[b + 1] - pos[b]};
    }
    nc = 0;
    for (size_t j = 0; j < m; j++) {
        if (!k[j]) continue;
        const size_t i = idx ? idx[j] : j;
        CN_ARG_CHECK(i < t->n);
        const uintptr_t e = (uintptr_t)&t->e[i * t->stride];
        for (unsigned w = 0; w < nwin; w++) {
            const uint32_t cd = code[nc++];
            if (cd) term[pos[cd / 2 - 1]++] = e | (cd & 1);
        }
    }
    gev_sums_run_backend(gev_sums_portable(s), sum, nb, term);

    ge25519 acc;
    for (unsigned w = nwin; w-- > 0;) {
        ge25519 win;
        if (gev_sums_portable(s)) combine_portable(&win, res + w * h, h);
        else gev_buckets_combine_ifma(&win, res + w * h, h);
        if (w + 1 == nwin) {
            acc = win;
            continue;
        }
        for (unsigned d = 0; d < c; d++) ge25519_dbl(&acc, &acc);
        ge25519_add(&acc, &acc, &win);
    }
    *r = acc;
    return 0;
}
