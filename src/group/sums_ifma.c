/* sums_ifma: eight flat sums at once on AVX-512 IFMA (fe8_ifma.h). Step t
 * loads the t-th term of every lane (two aligned 64-byte rows each, then
 * two 8×8 transposes: on the project's Zen 5 cores this is about seven
 * times faster than 15 gathers) and makes one mixed addition per lane.
 * Entries of the coming steps are prefetched: the tables of a ciphertext
 * (a few MB) live in L2 and L3. */
#include "group/fe8_ifma.h"

#define AHEAD 4 /* steps prefetched ahead */

static inline const gev_entry *entry_at(const uintptr_t *const term[8], const size_t len[8], int l,
                                        size_t t)
{
    return t < len[l] ? (const gev_entry *)(term[l][t] & ~(uintptr_t)1) : &gev_identity_entry;
}

void gev_sums_run_ifma(ge25519 *const out[8], const ge25519 *const start[8],
                       const uintptr_t *const term[8], const size_t len[8])
{
    ge25519 id;
    ge25519_identity(&id);
    const ge25519 *from[8];
    size_t steps = 0;
    for (int l = 0; l < 8; l++) {
        from[l] = start[l] ? start[l] : &id;
        if (len[l] > steps) steps = len[l];
    }
    p8 acc;
    p8_load(&acc, from);
    for (size_t t = 0; t < steps; t++) {
        const void *row[8];
        __mmask8 neg = 0;
        for (int l = 0; l < 8; l++) {
            row[l] = entry_at(term, len, l, t);
            if (t < len[l]) neg |= (__mmask8)((term[l][t] & 1) << l);
            const char *ahead = (const char *)entry_at(term, len, l, t + AHEAD);
            _mm_prefetch(ahead, _MM_HINT_T0);
            _mm_prefetch(ahead + 64, _MM_HINT_T0);
        }
        __m512i w[16];
        gev_load16(w, row);
        n8 q;
        for (int i = 0; i < 5; i++) {
            q.yp.v[i] = w[i];
            q.ym.v[i] = w[5 + i];
            q.xy2d.v[i] = w[10 + i];
        }
        p8_add_niels(&acc, &q, neg);
    }
    p8_store(out, &acc);
}

GEV_IFMA_END
