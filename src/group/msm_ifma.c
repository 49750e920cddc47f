/* msm_ifma: Straus and Pippenger of msm.c on the 4-way AVX-512 IFMA backend
 * (fe4_ifma_var.h). Same digits, tables and buckets; every addition and
 * doubling is two 4-way multiplications. A bucket addend is converted on the
 * fly: the cached form in the portable code (1M), then packed into lanes. */
#include "group/fe4_ifma_var.h"
#include "group/msm_var.h"

void gev_straus_ifma(ge25519 *r, const int8_t *naf, size_t stride, const ge25519_cached *tab, unsigned per,
                     size_t n, int top)
{
    fe4 vt[32 * 8]; /* msm.c's chunks: n <= 32, per <= 8 */
    for (size_t j = 0; j < n; j++) {
        int any = 0; /* tables of zero scalars are never built: do not read them */
        for (int i = 0; i < top && !any; i++) any = naf[j * stride + (size_t)i] != 0;
        if (any)
            for (unsigned e = 0; e < per; e++) fe4_from_cached(&vt[j * per + e], &tab[j * per + e]);
    }
    fe4 acc;
    p4_identity(&acc);
    int started = 0;
    for (int i = top - 1; i >= 0; i--) {
        if (started) p4_dbl(&acc);
        for (size_t j = 0; j < n; j++) {
            const int d = naf[j * stride + (size_t)i];
            if (!d) continue;
            p4_add_cached_var(&acc, &vt[j * per + ((unsigned)(d < 0 ? -d : d) >> 1)], d < 0);
            started = 1;
        }
    }
    p4_to_p3(r, &acc);
}

void gev_pippenger_ifma(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n,
                        unsigned bits)
{
    fe4 bucket[1u << (PIP_MAXC - 1)];
    uint8_t used[1u << (PIP_MAXC - 1)];
    pip_digits g = {k, ki, pip_best_c(n, bits), 0, {0}, 0};
    g.nwin = (bits + 1 + g.c - 1) / g.c;
    const unsigned h = 1u << (g.c - 1);

    fe4 acc, running, sum;
    int started = 0;
    for (unsigned j = g.nwin; j-- > 0;) {
        if (started)
            for (unsigned s = 0; s < g.c; s++) p4_dbl(&acc);
        pip_set_window(&g, j);
        memset(used, 0, h);
        for (size_t i = 0; i < n; i++) {
            const int d = pip_digit(&g, i, j);
            if (!d) continue;
            const unsigned b = (unsigned)(d < 0 ? -d : d) - 1;
            if (!used[b]) {
                if (d < 0) {
                    ge25519 q;
                    ge25519_neg(&q, &p[i]);
                    p4_from_p3(&bucket[b], &q);
                } else {
                    p4_from_p3(&bucket[b], &p[i]);
                }
                used[b] = 1;
            } else {
                ge25519_cached c;
                fe4 q;
                ge25519_to_cached(&c, &p[i]);
                fe4_from_cached(&q, &c);
                p4_add_cached_var(&bucket[b], &q, d < 0);
            }
        }
        int run_started = 0, sum_started = 0;
        for (unsigned b = h; b-- > 0;) {
            if (used[b]) {
                if (run_started) p4_add_p4(&running, &bucket[b]);
                else running = bucket[b];
                run_started = 1;
            }
            if (!run_started) continue;
            if (sum_started) p4_add_p4(&sum, &running);
            else sum = running;
            sum_started = 1;
        }
        if (sum_started) {
            if (started) p4_add_p4(&acc, &sum);
            else acc = sum;
            started = 1;
        }
    }
    if (started) p4_to_p3(r, &acc);
    else ge25519_identity(r);
}

GEV_IFMA_END
