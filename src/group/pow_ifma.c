/* f^((p-5)/8) for eight field elements at once on AVX-512 IFMA: the
 * exponentiation inside every ristretto255 decoding and encoding (~250
 * squarings in a dependent chain). One element's chain is latency bound;
 * two 4-lane chains interleaved keep the multipliers busy. Constant time
 * (the same fixed chain as fe25519_pow22523). Callers check gev_have_ifma(). */
#include "group/fe4_ifma_var.h"

/* h = f^2 with each cross product computed once and the sum doubled: 15
 * products instead of fe4_mul's 25 (the doubling is applied to column
 * sums, so the 52-bit multiplier inputs stay the carried limbs). */
static inline void fe4_sq(fe4 *h, const fe4 *f)
{
    __m256i lo[10], hi[10], dlo[10], dhi[10];
    for (int i = 0; i < 10; i++) lo[i] = hi[i] = dlo[i] = dhi[i] = _mm256_setzero_si256();
    for (int i = 0; i < 5; i++) {
        lo[2 * i] = _mm256_madd52lo_epu64(lo[2 * i], f->v[i], f->v[i]);
        hi[2 * i + 1] = _mm256_madd52hi_epu64(hi[2 * i + 1], f->v[i], f->v[i]);
        for (int j = i + 1; j < 5; j++) {
            dlo[i + j] = _mm256_madd52lo_epu64(dlo[i + j], f->v[i], f->v[j]);
            dhi[i + j + 1] = _mm256_madd52hi_epu64(dhi[i + j + 1], f->v[i], f->v[j]);
        }
    }
    /* column = lo + 2·hi(prev) + 2·(dlo + 2·dhi(prev)). A column holds at
     * most one square's low and high halves and two cross products' (each
     * half < 2^52): below 2^52 + 2^53 + 2·(2^53 + 2^54) < 7·2^52 < 2^55; the
     * ×19 fold keeps the limbs under 2^60, inside fe4_carry's 2^62 */
    __m256i col[10];
    for (int c = 0; c < 10; c++) {
        __m256i sq = _mm256_add_epi64(lo[c], _mm256_slli_epi64(hi[c], 1));
        __m256i cr = _mm256_add_epi64(dlo[c], _mm256_slli_epi64(dhi[c], 1));
        col[c] = _mm256_add_epi64(sq, _mm256_slli_epi64(cr, 1));
    }
    fe4_fold(h, col);
}

#define K 2 /* interleaved chains */

static inline void sqn(fe4 *h, const fe4 *f, int n)
{
    for (int k = 0; k < K; k++) fe4_sq(&h[k], &f[k]);
    for (int i = 1; i < n; i++)
        for (int k = 0; k < K; k++) fe4_sq(&h[k], &h[k]);
}

static inline void mul(fe4 *h, const fe4 *f, const fe4 *g)
{
    for (int k = 0; k < K; k++) fe4_mul(&h[k], &f[k], &g[k]);
}

void gev_pow22523_x8_ifma(fe25519 out[8], const fe25519 in[8])
{
    fe4 f[K], z2[K], z9[K], z11[K], t[K], z5[K], z10[K], z20[K], z50[K], z100[K];
    for (int k = 0; k < K; k++) fe4_pack(&f[k], &in[4 * k], &in[4 * k + 1], &in[4 * k + 2], &in[4 * k + 3]);
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
    for (int k = 0; k < K; k++) fe4_unpack(&out[4 * k], &t[k]);
}

GEV_IFMA_END
