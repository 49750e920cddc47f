/* comb_ifma: comb multiplication on the 4-way AVX-512 IFMA backend
 * (fe4_ifma_var.h), and the vector halves of the table builds shared with
 * prepared.c. Entries are in the vector addend layout (y-x, y+x, 2, 2dxy),
 * 160 bytes each, so each of the ~32 additions of a window-8 multiplication
 * is two 4-way multiplications. */
#include "group/fe4_ifma_var.h"

void gev_comb_mul_ifma(ge25519 *r, const void *table, const int16_t *e, unsigned nd, unsigned per)
{
    const fe4 *t = table;
    for (unsigned i = 0; i < nd; i++) {
        if (!e[i]) continue;
        const char *ent = (const char *)&t[(size_t)i * per + (unsigned)(e[i] < 0 ? -e[i] : e[i]) - 1];
        __builtin_prefetch(ent);
        __builtin_prefetch(ent + 64);
        __builtin_prefetch(ent + 128);
    }
    fe4 acc;
    p4_identity(&acc);
    for (unsigned i = 0; i < nd; i++) {
        const int d = e[i];
        if (d) p4_add_cached_var(&acc, &t[(size_t)i * per + (unsigned)(d < 0 ? -d : d) - 1], d < 0);
    }
    p4_to_p3(r, &acc);
}

void gev_steps_ifma(ge25519 *out, ge25519 *cur, const ge25519 *step, size_t count)
{
    if (count == 0) return;
    fe4 acc, c;
    p4_from_p3(&acc, cur);
    p4_from_p3(&c, step);
    fe4_cached_of_p4(&c, &c);
    for (size_t j = 0; j < count; j++) {
        p4_add_cached(&acc, &c);
        p4_to_p3(&out[j], &acc);
    }
    *cur = out[count - 1];
}

/* Montgomery's trick as in ge25519_batch_to_niels, but each entry is made
 * with one 4-way multiplication: (X, Y, T, 0)·(z, z, 2d·z, 0) with z = 1/Z
 * gives (x, y, 2d·xy, 0), then the lanes are rearranged into the addend
 * (y-x, y+x, 2, 2d·xy). */
void gev_block_to_vec_ifma(void *dst, const ge25519 *in, size_t n, fe25519 *scratch)
{
    static const fe25519 d2 = FE25519_D2_INIT, zero = {{0, 0, 0, 0, 0}};
    fe4 *out = dst;
    if (n == 0) return;
    scratch[0] = in[0].Z;
    for (size_t i = 1; i < n; i++) fe25519_mul(&scratch[i], &scratch[i - 1], &in[i].Z);
    fe25519 inv, zi, zi2d;
    fe25519_invert(&inv, &scratch[n - 1]);
    const __m256i two = _mm256_set_epi64x(0, 2, 0, 0); /* lane 2 of limb 0 */
    for (size_t i = n; i-- > 0;) {
        if (i > 0) {
            fe25519_mul(&zi, &inv, &scratch[i - 1]);
            fe25519_mul(&inv, &inv, &in[i].Z);
        } else {
            zi = inv;
        }
        fe25519_mul(&zi2d, &zi, &d2);
        fe4 a, b, m;
        fe4_pack(&a, &in[i].X, &in[i].Y, &in[i].T, &zero);
        fe4_pack(&b, &zi, &zi, &zi2d, &zero);
        fe4_mul(&m, &a, &b); /* (x, y, 2d·xy, 0) */
        for (int l = 0; l < 5; l++) {
            const __m256i u = _mm256_permute4x64_epi64(m.v[l], _MM_SHUFFLE(2, 3, 1, 1)); /* (y, y, 0, 2dxy) */
            const __m256i x = _mm256_maskz_mov_epi64(0x3, _mm256_permute4x64_epi64(m.v[l], 0));
            const __m256i v = _mm256_mask_sub_epi64(x, 0x1, four_p(l), x); /* (-x, x, 0, 0) */
            out[i].v[l] = _mm256_add_epi64(u, v);
        }
        out[i].v[0] = _mm256_add_epi64(out[i].v[0], two);
        fe4_carry(&out[i]);
    }
}

GEV_IFMA_END
