/* wnaf: width-w signed NAF recoding and the variable-base multiplication
 * ge25519_scalarmult_var (width 5).
 *
 * A width-5 NAF has on average one non-zero digit per 6 positions, so k·P is
 * about 253 doublings and 42 additions of odd multiples P, 3P, ..., 15P (kept
 * in cached form: 8M per addition). Doublings whose result only feeds another
 * doubling stay in projective p2 form (4S + 3M). On CPUs with AVX-512 IFMA the
 * same algorithm runs on the 4-way vector backend of wnaf_ifma.c. */
#include <string.h>

#include "group/ge25519_var.h"

int gev_wnaf_var(int8_t *naf, const uint64_t *x, size_t nwords, unsigned w)
{
    const size_t nbits = 64 * nwords;
    const uint64_t width = (uint64_t)1 << w, mask = width - 1;
    uint64_t carry = 0;
    int top = 0;
    memset(naf, 0, nbits + 1);
    /* Scan upwards; a set bit (plus the pending carry) opens a window of w
     * bits, which becomes one odd digit in (-2^(w-1), 2^(w-1)), the excess
     * carried into the next window. The extra position nbits takes the final
     * carry, so every x < 2^nbits is representable. */
    for (size_t pos = 0; pos <= nbits;) {
        const size_t wi = pos / 64, bi = pos % 64;
        uint64_t buf = wi < nwords ? x[wi] >> bi : 0;
        if (bi + w > 64 && wi + 1 < nwords) buf |= x[wi + 1] << (64 - bi);
        if (!carry) {
            /* skip zero runs; small scalars stop right after their own bits */
            if (!buf) {
                size_t nz = wi + 1;
                while (nz < nwords && !x[nz]) nz++;
                if (nz >= nwords) break;
                pos = 64 * nz;
                continue;
            }
            const unsigned z = (unsigned)__builtin_ctzll(buf);
            if (z) {
                pos += z;
                continue;
            }
        }
        const uint64_t win = carry + (buf & mask);
        if (!(win & 1)) {
            pos++;
            continue;
        }
        if (win < width / 2) {
            carry = 0;
            naf[pos] = (int8_t)win;
        } else {
            carry = 1;
            naf[pos] = (int8_t)((int)win - (int)width);
        }
        top = (int)pos + 1;
        pos += w;
    }
    return top;
}

void gev_scalarmult_var_portable(ge25519 *r, const ge25519 *p, const sc25519 *k)
{
    int8_t naf[257];
    uint64_t x[4];
    gev_scalar_words(x, k);
    const int top = gev_wnaf_var(naf, x, 4, 5);
    if (top == 0) {
        ge25519_identity(r);
        return;
    }

    /* tab[j] = (2j+1)·P */
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

    /* The top digit starts the accumulator: the identity plus ±tab. */
    ge25519 acc;
    ge25519_p2 a2;
    ge25519_identity(&acc);
    gev_add_cached_var(&q, &acc, &tab[(naf[top - 1] < 0 ? -naf[top - 1] : naf[top - 1]) >> 1],
                       naf[top - 1] < 0);
    for (int i = top - 2; i >= 0; i--) {
        ge25519_p1p1_to_p2(&a2, &q);
        ge25519_p2_dbl(&q, &a2);
        const int d = naf[i];
        if (d) {
            ge25519_p1p1_to_p3(&acc, &q);
            gev_add_cached_var(&q, &acc, &tab[(d < 0 ? -d : d) >> 1], d < 0);
        }
    }
    ge25519_p1p1_to_p3(r, &q);
}

void ge25519_scalarmult_var(ge25519 *r, const ge25519 *p, const sc25519 *k)
{
    if (!gev_scalarmult_var_ifma(r, p, k)) gev_scalarmult_var_portable(r, p, k);
}
