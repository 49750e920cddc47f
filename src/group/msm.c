/* msm: multi-scalar multiplication r = Σ k_i·P_i on public data.
 *
 * Two algorithms, chosen by a cost model counted in point additions and
 * fitted to measured crossovers (see straus_cost):
 *   - Straus (interleaved wNAF): each point gets a table of odd multiples in
 *     cached form, all points share one chain of doublings. Best for small n:
 *     per point a table of 2^(w-2) entries plus B/(w+1) additions.
 *   - Pippenger (bucket method, signed digits): for each window of c bits,
 *     every point is added once into the bucket of its digit |d| <= 2^(c-1)
 *     (negated for d < 0), then Σ b·bucket_b costs 2 additions per bucket by
 *     running sums. Per window n + 2^c additions, independent of the tables.
 *
 * Signed digits without storing them: window j's digit is raw_j + carry_j,
 * minus 2^c if that reaches 2^(c-1) (the carry goes to window j+1). The
 * balanced digits below window j represent exactly the integers in
 * [-H_j, 2^(jc) - H_j) with H_j = Σ_{i<j} 2^(c-1)·2^(ic), so carry_j = 1 iff
 * (k mod 2^(jc)) >= T_j = 2^(jc) - H_j: one comparison, no state carried
 * between windows.
 * The top window is not recoded (its digit is at most 2^(c-1) because
 * nwin·c >= B + 1 for scalars below 2^B).
 *
 * No heap allocation: Straus tables live on the stack in chunks of
 * STRAUS_CHUNK points, Pippenger buckets on the stack (c <= PIP_MAXC).
 * With AVX-512 IFMA both algorithms run on the 4-way backend (msm_ifma.c)
 * with the same digits and the same choice between them. */
#include <stdlib.h>
#include <string.h>

#include "group/msm_var.h"

#define STRAUS_CHUNK 32

/* ---- Straus ---- */

/* r = Σ_j Σ_i naf[j·stride + i]·2^i·P_j where tab[j·per + (|d| >> 1)] = |d|·P_j
 * for odd d, and no digit sits at or above top. */
static void straus_var(ge25519 *r, const int8_t *naf, size_t stride, const ge25519_cached *tab,
                       unsigned per, size_t n, int top, int vec)
{
    if (vec) {
        gev_straus_ifma(r, naf, stride, tab, per, n, top);
        return;
    }
    ge25519 acc;
    ge25519_p2 a2;
    ge25519_p1p1 q;
    int started = 0;
    for (int i = top - 1; i >= 0; i--) {
        if (started) {
            ge25519_p1p1_to_p2(&a2, &q);
            ge25519_p2_dbl(&q, &a2);
        }
        for (size_t j = 0; j < n; j++) {
            const int d = naf[j * stride + (size_t)i];
            if (!d) continue;
            if (started) {
                ge25519_p1p1_to_p3(&acc, &q);
            } else {
                ge25519_identity(&acc);
                started = 1;
            }
            gev_add_cached_var(&q, &acc, &tab[j * per + ((unsigned)abs(d) >> 1)], d < 0);
        }
    }
    if (started) ge25519_p1p1_to_p3(r, &q);
    else ge25519_identity(r);
}

/* tab[0..per-1] = P, 3P, ..., (2·per - 1)·P */
static void odd_multiples(ge25519_cached *tab, const ge25519 *p, unsigned per)
{
    ge25519_to_cached(&tab[0], p);
    if (per == 1) return;
    ge25519 p2x, t;
    ge25519_p1p1 q;
    ge25519_p3_dbl(&q, p);
    ge25519_p1p1_to_p3(&p2x, &q);
    for (unsigned j = 1; j < per; j++) {
        ge25519_add_cached(&q, &p2x, &tab[j - 1]);
        ge25519_p1p1_to_p3(&t, &q);
        ge25519_to_cached(&tab[j], &t);
    }
}

static void straus_full_chunk(ge25519 *r, const sc25519 *k, const ge25519 *p, size_t n, int vec)
{
    int8_t naf[STRAUS_CHUNK][257];
    ge25519_cached tab[STRAUS_CHUNK][8];
    int top = 0;
    for (size_t j = 0; j < n; j++) {
        uint64_t x[4];
        gev_scalar_words(x, &k[j]);
        const int t = gev_wnaf_var(naf[j], x, 4, 5);
        if (t > top) top = t;
        if (t) odd_multiples(tab[j], &p[j], 8);
    }
    straus_var(r, &naf[0][0], 257, &tab[0][0], 8, n, top, vec);
}

static void straus_i64_chunk(ge25519 *r, const int64_t *k, const ge25519 *p, size_t n, unsigned w, int vec)
{
    int8_t naf[STRAUS_CHUNK][65];
    ge25519_cached tab[STRAUS_CHUNK][4];
    const unsigned per = 1u << (w - 2);
    int top = 0;
    for (size_t j = 0; j < n; j++) {
        /* the magnitude as unsigned: INT64_MIN included */
        const uint64_t m = k[j] < 0 ? (uint64_t)0 - (uint64_t)k[j] : (uint64_t)k[j];
        const int t = gev_wnaf_var(naf[j], &m, 1, w);
        if (k[j] < 0)
            for (int i = 0; i < t; i++) naf[j][i] = (int8_t)-naf[j][i];
        if (t > top) top = t;
        if (t) odd_multiples(tab[j], &p[j], per);
    }
    straus_var(r, &naf[0][0], 65, &tab[0][0], 4, n, top, vec);
}

/* ---- Pippenger ---- */

static void pippenger_var(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p,
                          size_t n, unsigned bits, int vec)
{
    if (vec) {
        gev_pippenger_ifma(r, k, ki, p, n, bits);
        return;
    }
    ge25519 bucket[1u << (PIP_MAXC - 1)];
    uint8_t used[1u << (PIP_MAXC - 1)];
    pip_digits g = {k, ki, pip_best_c(n, bits), 0, {0}, 0};
    g.nwin = (bits + 1 + g.c - 1) / g.c;
    const unsigned h = 1u << (g.c - 1);

    ge25519 acc, running, sum;
    ge25519_p2 a2;
    ge25519_p1p1 q;
    int started = 0;
    for (unsigned j = g.nwin; j-- > 0;) {
        if (started) {
            ge25519_p3_dbl(&q, &acc);
            for (unsigned s = 1; s < g.c; s++) {
                ge25519_p1p1_to_p2(&a2, &q);
                ge25519_p2_dbl(&q, &a2);
            }
            ge25519_p1p1_to_p3(&acc, &q);
        }
        pip_set_window(&g, j);
        memset(used, 0, h);
        for (size_t i = 0; i < n; i++) {
            const int d = pip_digit(&g, i, j);
            if (!d) continue;
            const unsigned b = (unsigned)abs(d) - 1;
            if (!used[b]) {
                if (d < 0) ge25519_neg(&bucket[b], &p[i]);
                else bucket[b] = p[i];
                used[b] = 1;
            } else {
                gev_add_p3_var(&bucket[b], &bucket[b], &p[i], d < 0);
            }
        }
        /* Σ_b (b+1)·bucket_b = Σ_b running_b, running_b = Σ_{b' >= b} bucket_b' */
        int run_started = 0, sum_started = 0;
        for (unsigned b = h; b-- > 0;) {
            if (used[b]) {
                if (run_started) gev_add_p3_var(&running, &running, &bucket[b], 0);
                else running = bucket[b];
                run_started = 1;
            }
            if (!run_started) continue;
            if (sum_started) gev_add_p3_var(&sum, &sum, &running, 0);
            else sum = running;
            sum_started = 1;
        }
        if (sum_started) {
            if (started) gev_add_p3_var(&acc, &acc, &sum, 0);
            else acc = sum;
            started = 1;
        }
    }
    if (started) *r = acc;
    else ge25519_identity(r);
}

/* ---- choice and public entry points ---- */

/* Straus window for scalars of `bits` bits: a larger table pays once
 * B/(w+1) - B/(w+2) additions exceed its 2^(w-3) extra entries. */
static unsigned straus_i64_window(unsigned bits)
{
    return bits <= 17 ? 2 : bits <= 37 ? 3 : 4;
}

/* Cost models in point additions (a doubling counted as one addition).
 * Straus's factor 1.4 and the +0.5 digit per scalar are fitted to measured
 * crossovers on the project machine (CPU time of each algorithm forced):
 * Pippenger wins from n ≈ 12 for 4-bit scalars, ≈ 16 for 8-bit, ≈ 24 for
 * 16-bit, ≈ 30 for 32-bit, ≈ 40 for 62-bit and ≈ 64-128 for full scalars;
 * the model puts the switch at 17, 15, 24, 27, 41 and 114. */
static double straus_cost(size_t n, unsigned bits, unsigned w)
{
    const double table = w == 2 ? 0.15 : (double)(1u << (w - 2)) + 0.5;
    return 1.4 * (double)n * (table + (double)(bits + 1) / (w + 1) + 0.5) + bits;
}

static double pippenger_cost(size_t n, unsigned bits)
{
    /* bucket additions convert their addend on the fly: about 1.1 additions */
    const unsigned c = pip_best_c(n, bits);
    return 1.1 * pip_cost(n, bits, c) + bits;
}

static unsigned bitlen64(uint64_t v)
{
    return v ? 64u - (unsigned)__builtin_clzll(v) : 0;
}

/* The bit length of the largest scalar (0 when all are zero). */
static unsigned max_bits(const sc25519 *k, const int64_t *ki, size_t n)
{
    if (ki) {
        uint64_t all = 0;
        for (size_t i = 0; i < n; i++) all |= ki[i] < 0 ? (uint64_t)0 - (uint64_t)ki[i] : (uint64_t)ki[i];
        return bitlen64(all);
    }
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t x[4];
        gev_scalar_words(x, &k[i]);
        for (int w = 3; w >= 0; w--)
            if (x[w]) {
                const unsigned b = 64u * (unsigned)w + bitlen64(x[w]);
                if (b > bits) bits = b;
                break;
            }
    }
    return bits;
}

void gev_msm_straus_var(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n, int vec)
{
    const unsigned w = ki ? straus_i64_window(max_bits(NULL, ki, n)) : 5;
    ge25519 acc, part;
    int started = 0;
    for (size_t off = 0; off < n; off += STRAUS_CHUNK) {
        const size_t m = n - off < STRAUS_CHUNK ? n - off : STRAUS_CHUNK;
        if (ki) straus_i64_chunk(&part, ki + off, p + off, m, w, vec);
        else straus_full_chunk(&part, k + off, p + off, m, vec);
        if (started) gev_add_p3_var(&acc, &acc, &part, 0);
        else acc = part;
        started = 1;
    }
    if (started) *r = acc;
    else ge25519_identity(r);
}

void gev_msm_pippenger_var(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n, int vec)
{
    const unsigned bits = max_bits(k, ki, n);
    if (bits == 0) ge25519_identity(r);
    else pippenger_var(r, ki ? NULL : k, ki, p, n, bits, vec);
}

/* Straus or Pippenger by the cost model. */
static void msm_var(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n)
{
    const unsigned bits = max_bits(k, ki, n);
    if (bits == 0) {
        ge25519_identity(r);
        return;
    }
    const unsigned w = ki ? straus_i64_window(bits) : 5;
    const int vec = gev_have_ifma();
    if (pippenger_cost(n, bits) < straus_cost(n, bits, w)) pippenger_var(r, ki ? NULL : k, ki, p, n, bits, vec);
    else gev_msm_straus_var(r, k, ki, p, n, vec);
}

void ge25519_msm_var(ge25519 *r, const sc25519 *k, const ge25519 *p, size_t n)
{
    msm_var(r, k, NULL, p, n);
}

void ge25519_msm_i64_var(ge25519 *r, const int64_t *k, const ge25519 *p, size_t n)
{
    msm_var(r, NULL, k, p, n);
}
