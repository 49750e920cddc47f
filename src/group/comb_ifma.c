/* comb_ifma: the digit-table build of comb.c on eight AVX-512 IFMA lanes
 * (fe8_ifma.h). A lane runs one chain: from a base B it makes B, 2B, ...,
 * per·B, doubles the last into the next row's base, and so on for its rows.
 * With n >= 8 points each lane takes a point and all its rows; with fewer,
 * each point's rows are cut into up to eight runs whose bases come from a
 * doubling chain first (ct_0's table: 32 rows, 8 lanes of 4 rows). Points
 * leave projective (cached additions, 8M) and are normalised
 * GEV_BUILD_STEPS steps at a time with one 8-lane inversion (Montgomery's
 * trick per lane), then transposed into their 128-byte entries. */
#include "group/fe8_ifma.h"

typedef struct {
    p8 *pts;         /* the projective points of the pending steps */
    fe8 *prefix;     /* prefix[s] = Z_0 ··· Z_s, lane by lane */
    gev_entry **dst; /* dst[8·s + l]: where lane l's point of step s goes (NULL: nowhere) */
    size_t fill;
} normaliser;

static void norm_flush(normaliser *nm)
{
    static const fe25519 d2c = FE25519_D2_INIT;
    gev_entry sink[8] __attribute__((aligned(64))); /* for the lanes that store nothing */
    if (!nm->fill) return;
    fe8 inv, zi, k, d2;
    fe8_set1(&d2, &d2c);
    fe8_invert(&inv, &nm->prefix[nm->fill - 1]);
    for (size_t s = nm->fill; s-- > 0;) {
        const p8 *q = &nm->pts[s];
        if (s > 0) {
            fe8_mul(&zi, &inv, &nm->prefix[s - 1]);
            fe8_mul(&inv, &inv, &q->Z);
        } else {
            zi = inv;
        }
        fe8 a, b, yp, ym, t2;
        fe8_add(&a, &q->Y, &q->X);
        fe8_carry(&a);
        fe8_sub(&b, &q->Y, &q->X);
        fe8_carry(&b);
        fe8_mul(&yp, &a, &zi);
        fe8_mul(&ym, &b, &zi);
        fe8_mul(&k, &zi, &d2);
        fe8_mul(&t2, &q->T, &k);
        __m512i w[16];
        for (int i = 0; i < 5; i++) {
            w[i] = yp.v[i];
            w[5 + i] = ym.v[i];
            w[10 + i] = t2.v[i];
        }
        w[15] = _mm512_setzero_si512();
        void *row[8];
        for (int l = 0; l < 8; l++) {
            gev_entry *d = nm->dst[8 * s + (size_t)l];
            row[l] = d ? (void *)d : (void *)&sink[l];
        }
        gev_store16(row, w);
    }
    nm->fill = 0;
}

static void norm_push(normaliser *nm, const p8 *q, gev_entry *const dst[8])
{
    const size_t s = nm->fill;
    nm->pts[s] = *q;
    if (s == 0) nm->prefix[0] = q->Z;
    else fe8_mul(&nm->prefix[s], &nm->prefix[s - 1], &q->Z);
    for (int l = 0; l < 8; l++) nm->dst[8 * s + (size_t)l] = dst[l];
    if (++nm->fill == GEV_BUILD_STEPS) norm_flush(nm);
}

/* Eight chains of nr rows from base[l]; lane l stores its first nstore[l]
 * entries from out[l] on (nstore[l] = 0: an idle lane). */
static void run_chains(normaliser *nm, const ge25519_comb *t, const ge25519 *const base[8],
                       gev_entry *const out[8], const size_t nstore[8], unsigned nr)
{
    p8 acc, b;
    c8 step;
    p8_load(&b, base);
    p8_to_cached(&step, &b);
    size_t s = 0;
    for (unsigned r = 0; r < nr; r++) {
        p8_identity(&acc);
        for (unsigned j = 0; j < t->per; j++, s++) {
            p8_add_cached(&acc, &step);
            gev_entry *dst[8];
            for (int l = 0; l < 8; l++) dst[l] = s < nstore[l] ? out[l] + s : NULL;
            norm_push(nm, &acc, dst);
        }
        if (r + 1 < nr) { /* next base: 2·(per·B) */
            c8 c;
            p8_to_cached(&c, &acc);
            p8_add_cached(&acc, &c);
            p8_to_cached(&step, &acc);
        }
    }
}

/* r = 2^n·p (n >= 1). */
static void dbl_n(ge25519 *r, const ge25519 *p, unsigned n)
{
    ge25519_p2 s;
    ge25519_p1p1 q;
    ge25519_p3_to_p2(&s, p);
    for (unsigned i = 0; i + 1 < n; i++) {
        ge25519_p2_dbl(&q, &s);
        ge25519_p1p1_to_p2(&s, &q);
    }
    ge25519_p2_dbl(&q, &s);
    ge25519_p1p1_to_p3(r, &q);
}

void gev_comb_build_ifma(ge25519_comb *t, const ge25519 *p)
{
    _Static_assert(sizeof(p8) + sizeof(fe8) == 5 * 5 * 64, "GEV_BUILD_BYTES matches the normaliser");
    normaliser nm = {.pts = t->scratch,
                     .prefix = (fe8 *)((char *)t->scratch + GEV_BUILD_STEPS * sizeof(p8)),
                     .dst = (gev_entry **)((char *)t->scratch +
                                           GEV_BUILD_STEPS * (sizeof(p8) + sizeof(fe8))),
                     .fill = 0};
    const ge25519 *base[8];
    gev_entry *out[8];
    size_t nstore[8];
    if (t->n >= 8) {
        for (size_t i = 0; i < t->n; i += 8) {
            for (int l = 0; l < 8; l++) {
                const size_t k = i + (size_t)l;
                const int live = k < t->n;
                base[l] = live ? &p[k] : &p[0];
                out[l] = t->e + (live ? k : 0) * t->stride;
                nstore[l] = live ? t->stride : 0;
            }
            run_chains(&nm, t, base, out, nstore, t->rows);
        }
    } else {
        /* runs of nr rows, the run u from base 2^(w·nr·u)·P */
        const unsigned nr = (t->rows + 7) / 8, runs = (t->rows + nr - 1) / nr;
        const size_t span = (size_t)nr * t->per;
        ge25519 b[8];
        for (size_t i = 0; i < t->n; i++) {
            for (unsigned u = 0; u < 8; u++) {
                const size_t first = (size_t)u * span;
                if (u == 0 || u >= runs) b[u] = p[i];
                else dbl_n(&b[u], &b[u - 1], t->w * nr);
                base[u] = &b[u];
                out[u] = t->e + i * t->stride + (u < runs ? first : 0);
                nstore[u] = u >= runs ? 0 : t->stride - first < span ? t->stride - first : span;
            }
            run_chains(&nm, t, base, out, nstore, nr);
        }
    }
    norm_flush(&nm);
}

GEV_IFMA_END
