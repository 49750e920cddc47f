/* f^((p-5)/8) for sixteen field elements at once on AVX-512 IFMA: the
 * exponentiation inside every ristretto255 decoding and encoding (~250
 * squarings in a dependent chain). One element's chain is latency bound;
 * two 8-lane chains (fe8_ifma.h) interleaved keep the multipliers busy.
 * Constant time (the same fixed chain as fe25519_pow22523). Callers check
 * gev_have_ifma(). */
#include "group/fe8_ifma.h"

#define K 2 /* interleaved chains */

static inline void sqn(fe8 *h, const fe8 *f, int n)
{
    for (int k = 0; k < K; k++) fe8_sq(&h[k], &f[k]);
    for (int i = 1; i < n; i++)
        for (int k = 0; k < K; k++) fe8_sq(&h[k], &h[k]);
}

static inline void mul(fe8 *h, const fe8 *f, const fe8 *g)
{
    for (int k = 0; k < K; k++) fe8_mul(&h[k], &f[k], &g[k]);
}

void gev_pow22523_x16_ifma(fe25519 out[16], const fe25519 in[16])
{
    fe8 f[K], z2[K], z9[K], z11[K], t[K], z5[K], z10[K], z20[K], z50[K], z100[K];
    for (int k = 0; k < K; k++)
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            for (int l = 0; l < 8; l++) w[l] = in[8 * k + l].v[i];
            f[k].v[i] = _mm512_loadu_si512(w);
        }
    for (int k = 0; k < K; k++) fe8_carry(&f[k]); /* input limbs may exceed 2^52 */
    /* the chain of fe25519_pow_chain, then two squarings and a multiplication */
    sqn(z2, f, 1);
    sqn(t, z2, 2);
    mul(z9, f, t);
    mul(z11, z2, z9);
    sqn(t, z11, 1);
    mul(z5, z9, t);
    sqn(t, z5, 5);
    mul(z10, t, z5);
    sqn(t, z10, 10);
    mul(z20, t, z10);
    sqn(t, z20, 20);
    mul(t, t, z20);
    sqn(t, t, 10);
    mul(z50, t, z10);
    sqn(t, z50, 50);
    mul(z100, t, z50);
    sqn(t, z100, 100);
    mul(t, t, z100);
    sqn(t, t, 50);
    mul(t, t, z50); /* 2^250 - 1 */
    sqn(t, t, 2);   /* 2^252 - 4 */
    mul(t, t, f);   /* 2^252 - 3 */
    for (int k = 0; k < K; k++) {
        fe8_carry(&t[k]);
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            _mm512_storeu_si512(w, t[k].v[i]);
            for (int l = 0; l < 8; l++) out[8 * k + l].v[i] = w[l];
        }
    }
}

GEV_IFMA_END
