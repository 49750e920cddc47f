/* comb_ifma: comb multiplication on the 4-way AVX-512 IFMA backend
 * (fe4_ifma_var.h). The table is the portable one (comb.c) converted to the
 * vector addend layout (y-x, y+x, 2, 2dxy), 160 bytes per entry, so each of
 * the ~32 additions is two 4-way multiplications. */
#include "group/fe4_ifma_var.h"

void gev_niels_to_vec_ifma(void *dst, const ge25519_niels *src, size_t n)
{
    fe4 *d = dst;
    for (size_t i = 0; i < n; i++) fe4_from_niels(&d[i], &src[i]);
}

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

void gev_multiples_ifma(ge25519 *out, const ge25519 *base, const ge25519 *step, size_t count)
{
    if (count == 0) return;
    fe4 acc, c;
    p4_from_p3(&acc, base);
    p4_from_p3(&c, step);
    fe4_cached_of_p4(&c, &c);
    out[0] = *base;
    for (size_t j = 1; j < count; j++) {
        p4_add_cached(&acc, &c);
        p4_to_p3(&out[j], &acc);
    }
}

GEV_IFMA_END
