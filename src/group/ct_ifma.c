/* ct_ifma: ge25519_fixed_mul_many on eight AVX-512 IFMA lanes (fe8_ifma.h),
 * constant time. Lane l computes k_l·P + v_l·B as one sum over the rows of
 * P's table (64 radix-16 digits of k_l) and the first rows of the base
 * table (the digits of |v_l|, negated when v_l < 0): all lanes read the same
 * row, so each row's eight entries are broadcast and every lane keeps the
 * one its digit names through masked moves (ct_mult.c's select_niels, eight
 * lanes wide). Trip counts depend on bits only; digits only ever become
 * masks (compare, blend, masked negation), never a branch or an address.
 * valgrind cannot run AVX-512, so ctime_group checks the portable twin;
 * this file keeps to the same rules by construction. */
#include "group/fe8_ifma.h"
#include "util/util.h"

/* acc += e_l·row (lane by lane), the entry negated in the lanes of flip. */
static inline void add_row(p8 *acc, const ge25519_niels row[8], __m512i e, __mmask8 flip)
{
    const __mmask8 neg = (__mmask8)(_mm512_cmplt_epi64_mask(e, _mm512_setzero_si512()) ^ flip);
    const __m512i a = _mm512_abs_epi64(e);
    n8 q;
    fe8 *f[3] = {&q.yp, &q.ym, &q.xy2d};
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 5; i++) f[c]->v[i] = _mm512_set1_epi64(c < 2 && i == 0 ? 1 : 0);
    for (int m = 0; m < 8; m++) {
        const __mmask8 hit = _mm512_cmpeq_epi64_mask(a, _mm512_set1_epi64(m + 1));
        const fe25519 *src[3] = {&row[m].yplusx, &row[m].yminusx, &row[m].xy2d};
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < 5; i++)
                f[c]->v[i] = _mm512_mask_mov_epi64(f[c]->v[i], hit, _mm512_set1_epi64((long long)src[c]->v[i]));
    }
    p8_add_niels(acc, &q, neg);
}

void gev_fixed_mul_many_ifma(ge25519 *const *r, const ge25519_niels (*table)[8],
                             const sc25519_radix16 *k, const int64_t *v, unsigned bits, size_t count)
{
    int64_t dk[64][8], dv[17][8];
    uint64_t signs[8];
    int8_t e[17];
    unsigned nd = 0;
    for (int l = 0; l < 8; l++) {
        const int live = (size_t)l < count;
        for (int i = 0; i < 64; i++) dk[i][l] = live ? k[l].e[i] : 0;
        nd = ge25519_small_digits(e, &signs[l], live ? v[l] : 0, bits);
        for (unsigned i = 0; i < nd; i++) dv[i][l] = e[i];
    }
    __mmask8 sign = 0;
    for (int l = 0; l < 8; l++) sign |= (__mmask8)((signs[l] & 1) << l);
    p8 acc;
    p8_identity(&acc);
    for (int i = 0; i < 64; i++) add_row(&acc, table[i], _mm512_loadu_si512(dk[i]), 0);
    const ge25519_niels(*base)[8] = ge25519_base_table();
    for (unsigned i = 0; i < nd; i++) add_row(&acc, base[i], _mm512_loadu_si512(dv[i]), sign);
    ge25519 *out[8];
    for (int l = 0; l < 8; l++) out[l] = (size_t)l < count ? r[l] : NULL;
    p8_store(out, &acc);
    cn_wipe(dk, sizeof dk);
    cn_wipe(dv, sizeof dv);
    cn_wipe(signs, sizeof signs);
    cn_wipe(e, sizeof e);
    cn_wipe(&sign, sizeof sign);
    cn_wipe(&acc, sizeof acc);
}

GEV_IFMA_END
