/* msm_var: the signed-digit machinery of the bucket method, shared by the
 * portable MSM (msm.c) and its IFMA twin (msm_ifma.c). See msm.c for the
 * recoding argument (carry_j = (k mod 2^(jc)) >= T_j). */
#ifndef CRYPTONN_MSM_VAR_H
#define CRYPTONN_MSM_VAR_H

#include <string.h>

#include "group/ge25519_var.h"

#define PIP_MINC 2
#define PIP_MAXC 11

typedef struct {
    const sc25519 *k;   /* full scalars, or */
    const int64_t *ki;  /* small signed ones */
    unsigned c, nwin;
    uint64_t T[4];      /* T_j of the current window (full scalars) */
    unsigned __int128 Ti; /* the same for small scalars */
} pip_digits;

static inline void load_words(uint64_t x[4], const sc25519 *k)
{
    gev_scalar_words(x, k);
}

/* Signed digit of window j for point i. */
static inline int pip_digit(const pip_digits *g, size_t i, unsigned j)
{
    const unsigned c = g->c, lo = j * c;
    int d;
    if (g->k) {
        uint64_t x[4];
        load_words(x, &g->k[i]);
        const unsigned wi = lo / 64, bi = lo % 64;
        uint64_t raw = wi < 4 ? x[wi] >> bi : 0;
        if (bi + c > 64 && wi + 1 < 4) raw |= x[wi + 1] << (64 - bi);
        raw &= ((uint64_t)1 << c) - 1;
        unsigned carry = 0;
        if (lo) {
            /* (x mod 2^lo) >= T_j, compared from the top word down */
            carry = 1;
            const int topw = (int)((lo - 1) / 64);
            for (int w = topw; w >= 0; w--) {
                uint64_t xv = x[w];
                if (w == topw && lo % 64) xv &= ((uint64_t)1 << (lo % 64)) - 1;
                if (xv != g->T[w]) {
                    carry = xv > g->T[w];
                    break;
                }
            }
        }
        d = (int)raw + (int)carry;
    } else {
        const int64_t v = g->ki[i];
        const unsigned __int128 m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
        const int raw = lo >= 64 ? 0 : (int)((m >> lo) & (((uint64_t)1 << c) - 1));
        const unsigned carry = lo ? (m & ((((unsigned __int128)1) << lo) - 1)) >= g->Ti : 0;
        d = raw + (int)carry;
        if (j + 1 < g->nwin && d >= 1 << (c - 1)) d -= 1 << c;
        return v < 0 ? -d : d;
    }
    if (j + 1 < g->nwin && d >= 1 << (c - 1)) d -= 1 << c;
    return d;
}

/* T_j = 2^(jc) - H_j, H_j = Σ_{i<j} 2^(c-1+ic) (bits c-1, 2c-1, ..., jc-1),
 * computed as the two's complement of H_j modulo 2^(jc). */
static inline void pip_set_window(pip_digits *g, unsigned j)
{
    const unsigned lo = j * g->c;
    uint64_t H[4] = {0};
    unsigned __int128 Hi = 0;
    for (unsigned i = 0; i < j; i++) {
        const unsigned b = g->c - 1 + i * g->c;
        if (b < 256) H[b / 64] |= (uint64_t)1 << (b % 64);
        if (b < 128) Hi |= (unsigned __int128)1 << b;
    }
    uint64_t borrow = 1; /* -H = ~H + 1 */
    for (int w = 0; w < 4; w++) {
        g->T[w] = ~H[w] + borrow;
        borrow = borrow && g->T[w] == 0;
    }
    for (int w = 0; w < 4; w++) {
        const unsigned wlo = 64u * (unsigned)w;
        if (lo <= wlo) g->T[w] = 0;
        else if (lo < wlo + 64) g->T[w] &= ((uint64_t)1 << (lo - wlo)) - 1;
    }
    g->Ti = lo && lo < 128 ? (((unsigned __int128)1 << lo) - Hi) : 0;
}

/* Bucket additions of a window count n; the running sums 2^c. */
static inline double pip_cost(size_t n, unsigned bits, unsigned c)
{
    const unsigned nwin = (bits + 1 + c - 1) / c;
    return (double)nwin * ((double)n + (double)(1u << c));
}

static inline unsigned pip_best_c(size_t n, unsigned bits)
{
    unsigned best = PIP_MINC;
    for (unsigned c = PIP_MINC + 1; c <= PIP_MAXC; c++)
        if (pip_cost(n, bits, c) < pip_cost(n, bits, best)) best = c;
    return best;
}

void gev_pippenger_ifma(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n,
                        unsigned bits);
void gev_straus_ifma(ge25519 *r, const int8_t *naf, size_t stride, const ge25519_cached *tab, unsigned per,
                     size_t n, int top);

#endif
