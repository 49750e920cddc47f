/* fe8_ifma: eight independent field elements and points side by side on
 * AVX-512 IFMA (512-bit vectors), one per 64-bit lane ("vertical" layout):
 * the backend of the flat sums (sums_ifma.c), of the digit-table builds
 * (comb_ifma.c) and of the constant-time fixed-base multiplications of
 * encryption (ct_ifma.c). Where fe4_ifma_var.h spreads ONE point over four
 * lanes (a dependent chain of two multiplications per addition), this runs
 * eight unrelated additions at once: the seven multiplications of each are
 * independent enough to keep the multipliers busy, no lane shuffles are
 * needed, and every instruction does eight elements' work (measured on the
 * project's Zen 5 cores: 2.3 ns per element-multiplication in throughput,
 * against 3.8 ns with 256-bit vectors and 16 ns for fe25519_mul).
 *
 * Representation. fe8 holds lane l's element in limbs v[0..4] lane l,
 * radix 2^51 as fe25519 (the transposition of eight fe25519).
 *
 * Limb bounds. vpmadd52{lo,hi}uq read only the low 52 bits of each input,
 * so EVERY multiplication input must have limbs < 2^52: outputs of fe8_mul,
 * fe8_sq and fe8_carry are below 2^51 + 19·2^11; a sum or difference
 * (fe8_add, fe8_sub: up to 2^54) must pass through fe8_carry before it is
 * multiplied. Inside fe8_mul a column gets at most five 52-bit low halves and
 * five doubled high halves (< 15·2^52 < 2^56); the ×19 fold of columns 5..9
 * stays below 2^61; one parallel carry round then brings every limb back.
 *
 * Timing: nothing here branches on or indexes by lane values; the masked
 * operations take a mask computed without branches. So these functions are
 * constant time and may carry secrets (the callers' loops have public trip
 * counts). Include only from *_ifma.c files (ifma_target.h). */
#ifndef CRYPTONN_FE8_IFMA_H
#define CRYPTONN_FE8_IFMA_H

#include "group/ifma_target.h"
#include "group/ge25519_var.h"

typedef struct {
    __m512i v[5];
} fe8;

/* Extended points, lane by lane (X:Y:Z:T as in group.h). */
typedef struct {
    fe8 X, Y, Z, T;
} p8;

/* An affine addend (y+x, y-x, 2d·xy), lane by lane (ge25519_niels). */
typedef struct {
    fe8 yp, ym, xy2d;
} n8;

#define FE8_MASK51 _mm512_set1_epi64((long long)FE25519_MASK51)

static inline __m512i fe8_times19(__m512i x)
{
    return _mm512_add_epi64(_mm512_add_epi64(_mm512_slli_epi64(x, 4), _mm512_slli_epi64(x, 1)), x);
}

/* One parallel carry round: limbs < 2^62 in, < 2^51 + 19·2^11 out. */
static inline void fe8_carry(fe8 *h)
{
    __m512i c[5];
    for (int i = 0; i < 5; i++) c[i] = _mm512_srli_epi64(h->v[i], 51);
    for (int i = 0; i < 5; i++) h->v[i] = _mm512_and_si512(h->v[i], FE8_MASK51);
    for (int i = 1; i < 5; i++) h->v[i] = _mm512_add_epi64(h->v[i], c[i - 1]);
    h->v[0] = _mm512_add_epi64(h->v[0], fe8_times19(c[4]));
}

/* h = the ten product columns reduced mod p (columns 5..9 weigh 19 times
 * columns 0..4), then one carry round. */
static inline void fe8_fold(fe8 *h, __m512i col[10])
{
    for (int c = 5; c < 10; c++) col[c - 5] = _mm512_add_epi64(col[c - 5], fe8_times19(col[c]));
    for (int i = 0; i < 5; i++) h->v[i] = col[i];
    fe8_carry(h);
}

static inline void fe8_mul(fe8 *h, const fe8 *f, const fe8 *g)
{
    __m512i lo[10], hi[10];
    for (int i = 0; i < 10; i++) lo[i] = hi[i] = _mm512_setzero_si512();
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            lo[i + j] = _mm512_madd52lo_epu64(lo[i + j], f->v[i], g->v[j]);
            hi[i + j + 1] = _mm512_madd52hi_epu64(hi[i + j + 1], f->v[i], g->v[j]);
        }
    /* a high half weighs 2^52 = 2·2^51 in the next column */
    __m512i col[10];
    for (int c = 0; c < 10; c++) col[c] = _mm512_add_epi64(lo[c], _mm512_slli_epi64(hi[c], 1));
    fe8_fold(h, col);
}

/* h = f^2: each cross product once, doubled in the column sums (15
 * products). A column holds at most one square's halves and two cross
 * products' (< 7·2^52 < 2^55 after doubling). */
static inline void fe8_sq(fe8 *h, const fe8 *f)
{
    __m512i lo[10], hi[10], dlo[10], dhi[10];
    for (int i = 0; i < 10; i++) lo[i] = hi[i] = dlo[i] = dhi[i] = _mm512_setzero_si512();
    for (int i = 0; i < 5; i++) {
        lo[2 * i] = _mm512_madd52lo_epu64(lo[2 * i], f->v[i], f->v[i]);
        hi[2 * i + 1] = _mm512_madd52hi_epu64(hi[2 * i + 1], f->v[i], f->v[i]);
        for (int j = i + 1; j < 5; j++) {
            dlo[i + j] = _mm512_madd52lo_epu64(dlo[i + j], f->v[i], f->v[j]);
            dhi[i + j + 1] = _mm512_madd52hi_epu64(dhi[i + j + 1], f->v[i], f->v[j]);
        }
    }
    __m512i col[10];
    for (int c = 0; c < 10; c++) {
        const __m512i sq = _mm512_add_epi64(lo[c], _mm512_slli_epi64(hi[c], 1));
        const __m512i cr = _mm512_add_epi64(dlo[c], _mm512_slli_epi64(dhi[c], 1));
        col[c] = _mm512_add_epi64(sq, _mm512_slli_epi64(cr, 1));
    }
    fe8_fold(h, col);
}

/* h = f + g, no carry. */
static inline void fe8_add(fe8 *h, const fe8 *f, const fe8 *g)
{
    for (int i = 0; i < 5; i++) h->v[i] = _mm512_add_epi64(f->v[i], g->v[i]);
}

/* 4p limb by limb: added before a subtraction so nothing goes negative. */
static inline __m512i fe8_4p(int i)
{
    return _mm512_set1_epi64((long long)(i == 0 ? FE25519_4P0 : FE25519_4PI));
}

/* h = f + 4p - g, no carry (g limbs at most 4p's, about 2^53). */
static inline void fe8_sub(fe8 *h, const fe8 *f, const fe8 *g)
{
    for (int i = 0; i < 5; i++)
        h->v[i] = _mm512_sub_epi64(_mm512_add_epi64(f->v[i], fe8_4p(i)), g->v[i]);
}

/* h = f with the lanes in mask replaced by 4p - f (their negation). */
static inline void fe8_neg_lanes(fe8 *h, const fe8 *f, __mmask8 mask)
{
    for (int i = 0; i < 5; i++) h->v[i] = _mm512_mask_sub_epi64(f->v[i], mask, fe8_4p(i), f->v[i]);
}

/* h = g in the lanes of mask, f elsewhere. */
static inline void fe8_blend(fe8 *h, __mmask8 mask, const fe8 *f, const fe8 *g)
{
    for (int i = 0; i < 5; i++) h->v[i] = _mm512_mask_blend_epi64(mask, f->v[i], g->v[i]);
}

/* Every lane = the constant c. */
static inline void fe8_set1(fe8 *h, const fe25519 *c)
{
    for (int i = 0; i < 5; i++) h->v[i] = _mm512_set1_epi64((long long)c->v[i]);
}

/* k independent chains (k <= FE8_CHAINS) side by side: interleaving two
 * keeps the multipliers busy where one dependent chain would wait on each
 * product's latency. */
#define FE8_CHAINS 2

static inline void fe8_sqn_k(fe8 *h, const fe8 *f, int n, int k)
{
    for (int j = 0; j < k; j++) fe8_sq(&h[j], &f[j]);
    for (int i = 1; i < n; i++)
        for (int j = 0; j < k; j++) fe8_sq(&h[j], &h[j]);
}

static inline void fe8_mul_k(fe8 *h, const fe8 *f, const fe8 *g, int k)
{
    for (int j = 0; j < k; j++) fe8_mul(&h[j], &f[j], &g[j]);
}

/* The shared prefix of the exponentiation chains, as fe25519_pow_chain, on
 * k chains: z11 = f^11 and z250 = f^(2^250 - 1). */
static inline void fe8_pow_chain_k(fe8 *z11, fe8 *z250, const fe8 *f, int k)
{
    fe8 z2[FE8_CHAINS], z9[FE8_CHAINS], t[FE8_CHAINS], z5[FE8_CHAINS], z10[FE8_CHAINS],
        z20[FE8_CHAINS], z50[FE8_CHAINS], z100[FE8_CHAINS];
    fe8_sqn_k(z2, f, 1, k);
    fe8_sqn_k(t, z2, 2, k);
    fe8_mul_k(z9, f, t, k);
    fe8_mul_k(z11, z2, z9, k);
    fe8_sqn_k(t, z11, 1, k);
    fe8_mul_k(z5, z9, t, k);
    fe8_sqn_k(t, z5, 5, k);
    fe8_mul_k(z10, t, z5, k);
    fe8_sqn_k(t, z10, 10, k);
    fe8_mul_k(z20, t, z10, k);
    fe8_sqn_k(t, z20, 20, k);
    fe8_mul_k(t, t, z20, k);
    fe8_sqn_k(t, t, 10, k);
    fe8_mul_k(z50, t, z10, k);
    fe8_sqn_k(t, z50, 50, k);
    fe8_mul_k(z100, t, z50, k);
    fe8_sqn_k(t, z100, 100, k);
    fe8_mul_k(t, t, z100, k);
    fe8_sqn_k(t, t, 50, k);
    fe8_mul_k(z250, t, z50, k);
}

/* h = f^(p-2) = 1/f (0 for 0). */
static inline void fe8_invert(fe8 *h, const fe8 *f)
{
    fe8 z11, t;
    fe8_pow_chain_k(&z11, &t, f, 1);
    fe8_sqn_k(&t, &t, 5, 1); /* 2^255 - 32 */
    fe8_mul(h, &t, &z11);    /* 2^255 - 21 = p - 2 */
}

/* In-place transpose of an 8×8 matrix of 64-bit words: a[i] word k becomes
 * a[k] word i. Three rounds of two-source shuffles. */
static inline void gev_transpose8(__m512i a[8])
{
    __m512i t[8];
    for (int i = 0; i < 4; i++) {
        t[2 * i] = _mm512_unpacklo_epi64(a[2 * i], a[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_epi64(a[2 * i], a[2 * i + 1]);
    }
    const __m512i lo = _mm512_set_epi64(13, 12, 5, 4, 9, 8, 1, 0);
    const __m512i hi = _mm512_set_epi64(15, 14, 7, 6, 11, 10, 3, 2);
    for (int i = 0; i < 2; i++)
        for (int j = 0; j < 2; j++) {
            a[4 * i + j] = _mm512_permutex2var_epi64(t[4 * i + j], lo, t[4 * i + j + 2]);
            a[4 * i + j + 2] = _mm512_permutex2var_epi64(t[4 * i + j], hi, t[4 * i + j + 2]);
        }
    for (int i = 0; i < 4; i++) {
        t[i] = _mm512_shuffle_i64x2(a[i], a[i + 4], 0x44);
        t[i + 4] = _mm512_shuffle_i64x2(a[i], a[i + 4], 0xee);
    }
    for (int i = 0; i < 8; i++) a[i] = t[i];
}

/* Sixteen 64-bit words from each of eight 64-byte aligned rows, transposed:
 * w[k] lane l = word k of row l. */
static inline void gev_load16(__m512i w[16], const void *const row[8])
{
    __m512i a[8], b[8];
    for (int l = 0; l < 8; l++) {
        a[l] = _mm512_load_si512(row[l]);
        b[l] = _mm512_load_si512((const char *)row[l] + 64);
    }
    gev_transpose8(a);
    gev_transpose8(b);
    for (int k = 0; k < 8; k++) {
        w[k] = a[k];
        w[8 + k] = b[k];
    }
}

/* The inverse of gev_load16 (rows of 128 bytes, 64-byte aligned). */
static inline void gev_store16(void *const row[8], const __m512i w[16])
{
    __m512i a[8], b[8];
    for (int k = 0; k < 8; k++) {
        a[k] = w[k];
        b[k] = w[8 + k];
    }
    gev_transpose8(a);
    gev_transpose8(b);
    for (int l = 0; l < 8; l++) {
        _mm512_store_si512(row[l], a[l]);
        _mm512_store_si512((char *)row[l] + 64, b[l]);
    }
}

static inline void p8_identity(p8 *p)
{
    const __m512i z = _mm512_setzero_si512(), one = _mm512_set1_epi64(1);
    for (int i = 0; i < 5; i++) p->X.v[i] = p->Y.v[i] = p->Z.v[i] = p->T.v[i] = z;
    p->Y.v[0] = p->Z.v[0] = one;
}

/* p += q for an affine addend, negated in the lanes of neg (swap y±x and
 * negate 2d·xy): add-2008-hwcd-3 with Z2 = 1 as in ge25519_add_niels, 7
 * multiplications, the result extended again. */
static inline void p8_add_niels(p8 *p, const n8 *q, __mmask8 neg)
{
    fe8 a, b, c, d, e, f, g, h, yp, ym;
    fe8_blend(&yp, neg, &q->yp, &q->ym);
    fe8_blend(&ym, neg, &q->ym, &q->yp);
    fe8_sub(&a, &p->Y, &p->X);
    fe8_carry(&a);
    fe8_add(&b, &p->Y, &p->X);
    fe8_carry(&b);
    fe8_mul(&a, &a, &ym);
    fe8_mul(&b, &b, &yp);
    fe8_mul(&c, &p->T, &q->xy2d);
    fe8_neg_lanes(&c, &c, neg);
    fe8_add(&d, &p->Z, &p->Z);
    fe8_sub(&e, &b, &a); /* E */
    fe8_add(&h, &b, &a); /* H */
    fe8_add(&g, &d, &c); /* G */
    fe8_sub(&f, &d, &c); /* F */
    fe8_carry(&e);
    fe8_carry(&h);
    fe8_carry(&g);
    fe8_carry(&f);
    fe8_mul(&p->X, &e, &f);
    fe8_mul(&p->Y, &g, &h);
    fe8_mul(&p->Z, &f, &g);
    fe8_mul(&p->T, &e, &h);
}

/* The projective addend of p: (Y+X, Y-X, 2Z, 2d·T), carried. */
typedef struct {
    fe8 yp, ym, z2, t2d;
} c8;

static inline void p8_to_cached(c8 *c, const p8 *p)
{
    static const fe25519 d2 = FE25519_D2_INIT;
    fe8 k;
    fe8_set1(&k, &d2);
    fe8_add(&c->yp, &p->Y, &p->X);
    fe8_carry(&c->yp);
    fe8_sub(&c->ym, &p->Y, &p->X);
    fe8_carry(&c->ym);
    fe8_add(&c->z2, &p->Z, &p->Z);
    fe8_carry(&c->z2);
    fe8_mul(&c->t2d, &p->T, &k);
}

/* p += q (add-2008-hwcd-3, 8 multiplications). */
static inline void p8_add_cached(p8 *p, const c8 *q)
{
    fe8 a, b, c, d, e, f, g, h;
    fe8_sub(&a, &p->Y, &p->X);
    fe8_carry(&a);
    fe8_add(&b, &p->Y, &p->X);
    fe8_carry(&b);
    fe8_mul(&a, &a, &q->ym);
    fe8_mul(&b, &b, &q->yp);
    fe8_mul(&c, &p->T, &q->t2d);
    fe8_mul(&d, &p->Z, &q->z2);
    fe8_sub(&e, &b, &a);
    fe8_add(&h, &b, &a);
    fe8_add(&g, &d, &c);
    fe8_sub(&f, &d, &c);
    fe8_carry(&e);
    fe8_carry(&h);
    fe8_carry(&g);
    fe8_carry(&f);
    fe8_mul(&p->X, &e, &f);
    fe8_mul(&p->Y, &g, &h);
    fe8_mul(&p->Z, &f, &g);
    fe8_mul(&p->T, &e, &h);
}

/* The four coordinates of a point, in order. */
static inline const fe25519 *p8_coord(const ge25519 *q, int c)
{
    return c == 0 ? &q->X : c == 1 ? &q->Y : c == 2 ? &q->Z : &q->T;
}

/* Lane l of p = q[l]. */
static inline void p8_load(p8 *p, const ge25519 *const q[8])
{
    fe8 *f[4] = {&p->X, &p->Y, &p->Z, &p->T};
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            for (int l = 0; l < 8; l++) w[l] = p8_coord(q[l], c)->v[i];
            f[c]->v[i] = _mm512_loadu_si512(w);
        }
}

/* r[l] = lane l of p (tight limbs, as group.h wants), for each r[l] != NULL. */
static inline void p8_store(ge25519 *const r[8], const p8 *p)
{
    const fe8 *f[4] = {&p->X, &p->Y, &p->Z, &p->T};
    uint64_t w[4][5][8];
    for (int c = 0; c < 4; c++) {
        fe8 t = *f[c];
        fe8_carry(&t);
        for (int i = 0; i < 5; i++) _mm512_storeu_si512(w[c][i], t.v[i]);
    }
    for (int l = 0; l < 8; l++) {
        if (!r[l]) continue;
        fe25519 *o[4] = {&r[l]->X, &r[l]->Y, &r[l]->Z, &r[l]->T};
        for (int c = 0; c < 4; c++)
            for (int i = 0; i < 5; i++) o[c]->v[i] = w[c][i][l];
    }
}

/* Lane l of p = q, the other lanes unchanged. */
static inline void p8_set_lane(p8 *p, int l, const ge25519 *q)
{
    fe8 *f[4] = {&p->X, &p->Y, &p->Z, &p->T};
    for (int c = 0; c < 4; c++)
        for (int i = 0; i < 5; i++)
            f[c]->v[i] = _mm512_mask_set1_epi64(f[c]->v[i], (__mmask8)(1u << l), (long long)p8_coord(q, c)->v[i]);
}

/* r = lane l of p, tight. */
static inline void p8_get_lane(ge25519 *r, const p8 *p, int l)
{
    const fe8 *f[4] = {&p->X, &p->Y, &p->Z, &p->T};
    fe25519 *o[4] = {&r->X, &r->Y, &r->Z, &r->T};
    for (int c = 0; c < 4; c++) {
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            _mm512_storeu_si512(w, f[c]->v[i]);
            o[c]->v[i] = w[l];
        }
        fe25519_carry(o[c]);
    }
}

#endif
