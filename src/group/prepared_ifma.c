/* prepared_ifma: the sparse Straus of prepared.c on the 4-way AVX-512 IFMA
 * backend (fe4_ifma_var.h); the odd multiples are stored in the vector addend
 * layout, 160 bytes per entry. */
#include "group/fe4_ifma_var.h"

void gev_prepared_straus_ifma(ge25519 *r, const int8_t (*naf)[65], const void *const *rows, size_t live, int top)
{
    fe4 acc;
    p4_identity(&acc);
    int started = 0;
    for (int b = top - 1; b >= 0; b--) {
        if (started) p4_dbl(&acc);
        for (size_t j = 0; j < live; j++) {
            const int d = naf[j][b];
            if (!d) continue;
            p4_add_cached_var(&acc, (const fe4 *)rows[j] + ((d < 0 ? -d : d) >> 1), d < 0);
            started = 1;
        }
    }
    p4_to_p3(r, &acc);
}

GEV_IFMA_END
