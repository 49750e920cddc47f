/* sums_ifma: flat sums on eight AVX-512 IFMA lanes (fe8_ifma.h). Each lane
 * works through one sum at a time and takes the next queued sum the step
 * after it finishes (its accumulator written out, the new start put in its
 * place), so sums of any lengths keep all lanes busy until the queue runs
 * dry. Step t loads every lane's current term (two aligned 64-byte rows
 * each, then two 8×8 transposes: on the project's Zen 5 cores about seven
 * times faster than 15 gathers) and makes one mixed addition per lane.
 * Entries of the coming steps are prefetched: a ciphertext's tables (a few
 * MB) live in L2 and L3. */
#include "group/fe8_ifma.h"

#define AHEAD 4 /* steps prefetched ahead */

typedef struct {
    const gev_sum *sum;
    size_t count, next;
    long cur[8];           /* the sum in each lane, -1: idle */
    size_t pos[8], end[8]; /* its next term and its end */
} lanes;

/* Gives lane l the next sum (sums without terms are written out at once). */
static void assign(lanes *ln, p8 *acc, int l)
{
    static const ge25519 id = {.X = {{0}}, .Y = {{1}}, .Z = {{1}}, .T = {{0}}};
    while (ln->next < ln->count && ln->sum[ln->next].len == 0) {
        const gev_sum *s = &ln->sum[ln->next++];
        *s->out = s->start ? *s->start : id;
    }
    if (ln->next == ln->count) {
        ln->cur[l] = -1;
        ln->pos[l] = ln->end[l] = 0;
        return;
    }
    const gev_sum *s = &ln->sum[ln->next];
    ln->cur[l] = (long)ln->next++;
    ln->pos[l] = s->first;
    ln->end[l] = s->first + s->len;
    p8_set_lane(acc, l, s->start ? s->start : &id);
}

void gev_sums_run_ifma(const gev_sum *sum, size_t count, const uintptr_t *term)
{
    lanes ln = {.sum = sum, .count = count, .next = 0};
    p8 acc;
    p8_identity(&acc);
    __mmask8 active = 0;
    for (int l = 0; l < 8; l++) {
        assign(&ln, &acc, l);
        if (ln.cur[l] >= 0) active |= (__mmask8)(1u << l);
    }
    while (active) {
        const void *row[8];
        __mmask8 neg = 0;
        for (int l = 0; l < 8; l++) {
            if (!(active >> l & 1)) {
                row[l] = &gev_identity_entry;
                continue;
            }
            const uintptr_t e = term[ln.pos[l]];
            row[l] = (const void *)(e & ~(uintptr_t)1);
            neg |= (__mmask8)((e & 1) << l);
            if (ln.pos[l] + AHEAD < ln.end[l]) {
                const char *ahead = (const char *)(term[ln.pos[l] + AHEAD] & ~(uintptr_t)1);
                _mm_prefetch(ahead, _MM_HINT_T0);
                _mm_prefetch(ahead + 64, _MM_HINT_T0);
            }
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
        for (int l = 0; l < 8; l++) {
            if (!(active >> l & 1) || ++ln.pos[l] < ln.end[l]) continue;
            p8_get_lane(sum[ln.cur[l]].out, &acc, l);
            assign(&ln, &acc, l);
            if (ln.cur[l] < 0) active &= (__mmask8) ~(1u << l);
        }
    }
}

/* Σ_{b<h} (b+1)·B[b]: lane l runs the running sums of its eighth of the
 * buckets, [lo_l, lo_l + len): R_l = Σ B[b], S_l = Σ (b - lo_l + 1)·B[b];
 * then the total is Σ_l S_l + lo_l·R_l. */
void gev_buckets_combine_ifma(ge25519 *r, const ge25519 *B, size_t h)
{
    static const ge25519 id = {.X = {{0}}, .Y = {{1}}, .Z = {{1}}, .T = {{0}}};
    const size_t len = (h + 7) / 8;
    p8 run, sum;
    c8 c;
    p8_identity(&run);
    p8_identity(&sum);
    for (size_t i = len; i-- > 0;) {
        const ge25519 *q[8];
        for (int l = 0; l < 8; l++) {
            const size_t b = (size_t)l * len + i;
            q[l] = b < h ? &B[b] : &id;
        }
        p8 bq;
        p8_load(&bq, q);
        p8_to_cached(&c, &bq);
        p8_add_cached(&run, &c);
        p8_to_cached(&c, &run);
        p8_add_cached(&sum, &c);
    }
    ge25519 R[8], S[8], *pr[8], *ps[8];
    for (int l = 0; l < 8; l++) {
        pr[l] = &R[l];
        ps[l] = &S[l];
    }
    p8_store(pr, &run);
    p8_store(ps, &sum);
    ge25519 acc = S[0];
    for (int l = 1; l < 8; l++) {
        sc25519 lo;
        ge25519 t;
        sc25519_from_i64(&lo, (int64_t)((size_t)l * len));
        ge25519_scalarmult_var(&t, &R[l], &lo);
        ge25519_add(&acc, &acc, &t);
        ge25519_add(&acc, &acc, &S[l]);
    }
    *r = acc;
}

GEV_IFMA_END
