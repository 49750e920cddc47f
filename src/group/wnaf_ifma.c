/* wnaf_ifma: ge25519_scalarmult_var on the 4-way AVX-512 IFMA backend
 * (fe4_ifma_var.h): the width-5 wNAF of wnaf.c with every doubling and
 * addition done as two 4-way multiplications. */
#include "group/fe4_ifma_var.h"

int gev_have_ifma(void)
{
    return __builtin_cpu_supports("avx512ifma") && __builtin_cpu_supports("avx512vl");
}

int gev_scalarmult_var_ifma(ge25519 *r, const ge25519 *p, const sc25519 *k)
{
    if (!gev_have_ifma()) return 0;
    int8_t naf[257];
    uint64_t x[4];
    gev_scalar_words(x, k);
    const int top = gev_wnaf_var(naf, x, 4, 5);
    if (top == 0) {
        ge25519_identity(r);
        return 1;
    }

    /* Odd multiples in the portable code (a small share of the time), then
     * each entry as a vector addend (negated on the fly when a digit is < 0). */
    ge25519_cached tab[8];
    ge25519 p2x, t;
    ge25519_p1p1 q;
    ge25519_to_cached(&tab[0], p);
    ge25519_p3_dbl(&q, p);
    ge25519_p1p1_to_p3(&p2x, &q);
    for (int j = 1; j < 8; j++) {
        ge25519_add_cached(&q, &p2x, &tab[j - 1]);
        ge25519_p1p1_to_p3(&t, &q);
        ge25519_to_cached(&tab[j], &t);
    }
    fe4 vt[8];
    for (int j = 0; j < 8; j++) fe4_from_cached(&vt[j], &tab[j]);

    fe4 acc;
    p4_identity(&acc);
    for (int i = top - 1; i >= 0; i--) {
        if (i < top - 1) p4_dbl(&acc);
        const int d = naf[i];
        if (d) p4_add_cached_var(&acc, &vt[(d < 0 ? -d : d) >> 1], d < 0);
    }
    p4_to_p3(r, &acc);
    return 1;
}

GEV_IFMA_END
