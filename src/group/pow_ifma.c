/* f^((p-5)/8) for sixteen field elements at once on AVX-512 IFMA: the
 * exponentiation inside every ristretto255 decoding and encoding (~250
 * squarings in a dependent chain). One element's chain is latency bound;
 * two 8-lane chains (fe8_ifma.h) interleaved keep the multipliers busy.
 * Constant time (the same fixed chain as fe25519_pow22523). Callers check
 * gev_have_ifma(). */
#include "group/fe8_ifma.h"

void gev_pow22523_x16_ifma(fe25519 out[16], const fe25519 in[16])
{
    fe8 f[FE8_CHAINS], z11[FE8_CHAINS], t[FE8_CHAINS];
    for (int k = 0; k < FE8_CHAINS; k++) {
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            for (int l = 0; l < 8; l++) w[l] = in[8 * k + l].v[i];
            f[k].v[i] = _mm512_loadu_si512(w);
        }
        fe8_carry(&f[k]); /* input limbs may exceed 2^52 */
    }
    /* the chain of fe25519_pow22523: 2^250 - 1, two squarings, times f */
    fe8_pow_chain_k(z11, t, f, FE8_CHAINS);
    fe8_sqn_k(t, t, 2, FE8_CHAINS); /* 2^252 - 4 */
    fe8_mul_k(t, t, f, FE8_CHAINS); /* 2^252 - 3 */
    for (int k = 0; k < FE8_CHAINS; k++) {
        fe8_carry(&t[k]);
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            _mm512_storeu_si512(w, t[k].v[i]);
            for (int l = 0; l < 8; l++) out[8 * k + l].v[i] = w[l];
        }
    }
}

GEV_IFMA_END
