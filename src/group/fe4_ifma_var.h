/* fe4_ifma_var: the 4-way AVX-512 IFMA field and point backend of the
 * variable-time code of one point at a time (wnaf_ifma.c, msm_ifma.c); the
 * batched code runs eight points side by side instead (fe8_ifma.h). The
 * field arithmetic itself has no data-dependent branches or addresses.
 * Include it only from those files: it switches the rest of the translation
 * unit to the AVX-512 target, and callers must check gev_have_ifma() at run
 * time before entering any of it. The portable paths stay; the tests compare
 * every vector path with its portable twin.
 *
 * Representation. One vector element fe4 holds four field elements, one per
 * 64-bit lane, as five radix-2^51 limb vectors (the fe25519 limbs
 * transposed). A point is one fe4 with lanes (X, Y, Z, T), so each doubling
 * and addition is two 4-way multiplications plus lane shuffles — the
 * "parallel formulas" of Hisil–Wong–Carter–Dawson §4 as arranged in
 * curve25519-dalek's vector backends:
 *   doubling: (X, Y, Z, X+Y)^2 = (A, B, C, D); H = A+B, G = B-A,
 *             F = 2C-G, E = D-H; result (E, G, F, E)·(F, H, G, H)
 *   addition: (Y1-X1, Y1+X1, Z1, T1)·(Y2-X2, Y2+X2, 2Z2, 2dT2) = (A, B, D, C);
 *             E = B-A, F = D-C, G = D+C, H = B+A; result (E, G, F, E)·(F, H, G, H)
 *
 * Limb bounds. vpmadd52{lo,hi}uq use only the low 52 bits of each input, so
 * every multiplication input has limbs < 2^52: outputs of fe4_mul and of
 * fe4_carry are below 2^51 + 2^16; sums are carried before multiplying.
 * Inside fe4_mul, a column gets at most 5 low halves and 5 doubled high
 * halves of 52 bits (< 15·2^52 < 2^56), the fold of columns 5..9 times 19
 * stays below 2^61, and one parallel carry round brings the limbs back. */
#ifndef CRYPTONN_FE4_IFMA_VAR_H
#define CRYPTONN_FE4_IFMA_VAR_H

#include "group/ifma_target.h"
#include "group/ge25519_var.h"

typedef struct {
    __m256i v[5];
} fe4;

#define MASK51 _mm256_set1_epi64x((long long)FE25519_MASK51)

/* One parallel carry round: limbs < 2^62 in, < 2^51 + 19·2^11 out. */
static inline void fe4_carry(fe4 *h)
{
    __m256i c[5];
    for (int i = 0; i < 5; i++) c[i] = _mm256_srli_epi64(h->v[i], 51);
    for (int i = 0; i < 5; i++) h->v[i] = _mm256_and_si256(h->v[i], MASK51);
    for (int i = 1; i < 5; i++) h->v[i] = _mm256_add_epi64(h->v[i], c[i - 1]);
    const __m256i c19 = _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(c[4], 4), _mm256_slli_epi64(c[4], 1)), c[4]);
    h->v[0] = _mm256_add_epi64(h->v[0], c19);
}

/* h = the ten product columns reduced mod p: columns 5..9 weigh 2^255 = 19
 * times columns 0..4, then one carry round (columns < 2^57 in). */
static inline void fe4_fold(fe4 *h, __m256i col[10])
{
    for (int c = 5; c < 10; c++) {
        const __m256i x = col[c];
        const __m256i x19 = _mm256_add_epi64(_mm256_add_epi64(_mm256_slli_epi64(x, 4), _mm256_slli_epi64(x, 1)), x);
        col[c - 5] = _mm256_add_epi64(col[c - 5], x19);
    }
    for (int i = 0; i < 5; i++) h->v[i] = col[i];
    fe4_carry(h);
}

static inline void fe4_mul(fe4 *h, const fe4 *f, const fe4 *g)
{
    __m256i lo[10], hi[10];
    for (int i = 0; i < 10; i++) lo[i] = hi[i] = _mm256_setzero_si256();
    for (int i = 0; i < 5; i++)
        for (int j = 0; j < 5; j++) {
            lo[i + j] = _mm256_madd52lo_epu64(lo[i + j], f->v[i], g->v[j]);
            hi[i + j + 1] = _mm256_madd52hi_epu64(hi[i + j + 1], f->v[i], g->v[j]);
        }
    /* a high half weighs 2^52 = 2·2^51 in the next column */
    __m256i col[10];
    for (int c = 0; c < 10; c++) col[c] = _mm256_add_epi64(lo[c], _mm256_slli_epi64(hi[c], 1));
    fe4_fold(h, col);
}

/* Lane i of h = element i (fe25519 limbs may be up to 2^52 + small; one
 * carry makes them multiplication inputs). */
static inline void fe4_pack(fe4 *h, const fe25519 *a, const fe25519 *b, const fe25519 *c, const fe25519 *d)
{
    for (int i = 0; i < 5; i++)
        h->v[i] = _mm256_set_epi64x((long long)d->v[i], (long long)c->v[i], (long long)b->v[i], (long long)a->v[i]);
    fe4_carry(h);
}

static inline void fe4_unpack(fe25519 out[4], const fe4 *h)
{
    uint64_t t[5][4];
    for (int i = 0; i < 5; i++) _mm256_storeu_si256((__m256i *)t[i], h->v[i]);
    for (int l = 0; l < 4; l++) {
        for (int i = 0; i < 5; i++) out[l].v[i] = t[i][l];
        fe25519_carry(&out[l]); /* tight in the sense of fe25519.h */
    }
}

/* Per-lane permutation of all limbs: lane l of the result = lane idx[l]. */
#define FE4_PERM(h, f, i0, i1, i2, i3)                                                 \
    do {                                                                               \
        for (int k_ = 0; k_ < 5; k_++)                                                 \
            (h)->v[k_] = _mm256_permute4x64_epi64((f)->v[k_], _MM_SHUFFLE(i3, i2, i1, i0)); \
    } while (0)

/* 4p per limb: added before a lane-wise negation so nothing goes negative. */
static inline __m256i four_p(int i)
{
    return _mm256_set1_epi64x((long long)(i == 0 ? FE25519_4P0 : FE25519_4PI));
}

/* h = f with the lanes in mask negated (as 4p - f; f limbs < 2^53). */
static inline void fe4_neg_lanes(fe4 *h, const fe4 *f, __mmask8 mask)
{
    for (int i = 0; i < 5; i++)
        h->v[i] = _mm256_mask_sub_epi64(f->v[i], mask, four_p(i), f->v[i]);
}

static inline void fe4_add(fe4 *h, const fe4 *f, const fe4 *g)
{
    for (int i = 0; i < 5; i++) h->v[i] = _mm256_add_epi64(f->v[i], g->v[i]);
}

/* (X, Y, Z, T) -> 2·(X, Y, Z, T). */
static inline void p4_dbl(fe4 *p)
{
    fe4 t, s, u, v;
    /* (X, Y, Z, X+Y) */
    for (int i = 0; i < 5; i++) {
        const __m256i xyzy = _mm256_permute4x64_epi64(p->v[i], _MM_SHUFFLE(1, 2, 1, 0));
        const __m256i x3 = _mm256_maskz_mov_epi64(0x8, _mm256_permute4x64_epi64(p->v[i], 0));
        t.v[i] = _mm256_add_epi64(xyzy, x3);
    }
    fe4_carry(&t);
    fe4_mul(&s, &t, &t); /* (A, B, C, D) */
    /* Q = (H, G, F, E) = (0, 0, 2C, D) + (A, -A, A, -A) + (B, B, -B, -B) */
    fe4 a, b, q;
    FE4_PERM(&a, &s, 0, 0, 0, 0);
    FE4_PERM(&b, &s, 1, 1, 1, 1);
    fe4_neg_lanes(&a, &a, 0xA);
    fe4_neg_lanes(&b, &b, 0xC);
    for (int i = 0; i < 5; i++) {
        const __m256i c2 = _mm256_maskz_add_epi64(0x4, s.v[i], s.v[i]);
        q.v[i] = _mm256_mask_mov_epi64(c2, 0x8, s.v[i]);
    }
    fe4_add(&q, &q, &a);
    fe4_add(&q, &q, &b);
    fe4_carry(&q);
    FE4_PERM(&u, &q, 3, 1, 2, 3); /* (E, G, F, E) */
    FE4_PERM(&v, &q, 2, 0, 1, 0); /* (F, H, G, H) */
    fe4_mul(p, &u, &v);
}

/* p += q for q = (Y2-X2, Y2+X2, 2Z2, 2dT2) (negate q: swap lanes 0, 1 and
 * negate lane 3, done when the table is built). */
static inline void p4_add_cached(fe4 *p, const fe4 *q)
{
    fe4 t, r, r1, r2, e, u, v;
    /* (Y1-X1, Y1+X1, Z1, T1) = (Y, Y, Z, T) + (-X, X, 0, 0) */
    for (int i = 0; i < 5; i++) {
        const __m256i yyzt = _mm256_permute4x64_epi64(p->v[i], _MM_SHUFFLE(3, 2, 1, 1));
        const __m256i xx = _mm256_maskz_mov_epi64(0x3, _mm256_permute4x64_epi64(p->v[i], 0));
        const __m256i nx = _mm256_mask_sub_epi64(xx, 0x1, four_p(i), xx);
        t.v[i] = _mm256_add_epi64(yyzt, nx);
    }
    fe4_carry(&t);
    fe4_mul(&r, &t, q); /* (A, B, D, C) */
    FE4_PERM(&r1, &r, 1, 2, 2, 1); /* (B, D, D, B) */
    FE4_PERM(&r2, &r, 0, 3, 3, 0); /* (A, C, C, A) */
    fe4_neg_lanes(&r2, &r2, 0x3);
    fe4_add(&e, &r1, &r2); /* (E, F, G, H) */
    fe4_carry(&e);
    FE4_PERM(&u, &e, 0, 2, 1, 0); /* (E, G, F, E) */
    FE4_PERM(&v, &e, 1, 3, 2, 3); /* (F, H, G, H) */
    fe4_mul(p, &u, &v);
}

/* -q for an addend q = (Y-X, Y+X, 2Z, 2dT): swap lanes 0 and 1, negate lane 3. */
static inline void fe4_cached_neg(fe4 *h, const fe4 *q)
{
    for (int i = 0; i < 5; i++) {
        const __m256i s = _mm256_permute4x64_epi64(q->v[i], _MM_SHUFFLE(3, 2, 0, 1));
        h->v[i] = _mm256_mask_sub_epi64(s, 0x8, four_p(i), s);
    }
    fe4_carry(h); /* 4p - x has limbs above 2^52: back to multiplication inputs */
}

/* p += q (sign 0) or p -= q (sign 1). */
static inline void p4_add_cached_var(fe4 *p, const fe4 *q, int sign)
{
    if (sign) {
        fe4 n;
        fe4_cached_neg(&n, q);
        p4_add_cached(p, &n);
    } else {
        p4_add_cached(p, q);
    }
}

static inline void p4_from_p3(fe4 *h, const ge25519 *p)
{
    fe4_pack(h, &p->X, &p->Y, &p->Z, &p->T);
}

static inline void p4_to_p3(ge25519 *r, const fe4 *h)
{
    fe25519 out[4];
    fe4_unpack(out, h);
    r->X = out[0];
    r->Y = out[1];
    r->Z = out[2];
    r->T = out[3];
}

static inline void p4_identity(fe4 *h)
{
    ge25519 id;
    ge25519_identity(&id);
    p4_from_p3(h, &id);
}

/* The vector addend of a cached point: (Y-X, Y+X, 2Z, 2dT). */
static inline void fe4_from_cached(fe4 *h, const ge25519_cached *c)
{
    fe25519 z2;
    fe25519_add(&z2, &c->Z, &c->Z);
    fe4_pack(h, &c->YminusX, &c->YplusX, &z2, &c->T2d);
}

/* The vector addend of an extended point p (lanes X, Y, Z, T):
 * (Y-X, Y+X, Z, T)·(1, 1, 2, 2d), one 4-way multiplication. */
static inline void fe4_cached_of_p4(fe4 *h, const fe4 *p)
{
    static const fe25519 one = {{1, 0, 0, 0, 0}}, two = {{2, 0, 0, 0, 0}}, d2 = FE25519_D2_INIT;
    fe4 t, k;
    for (int i = 0; i < 5; i++) {
        const __m256i yyzt = _mm256_permute4x64_epi64(p->v[i], _MM_SHUFFLE(3, 2, 1, 1));
        const __m256i xx = _mm256_maskz_mov_epi64(0x3, _mm256_permute4x64_epi64(p->v[i], 0));
        const __m256i nx = _mm256_mask_sub_epi64(xx, 0x1, four_p(i), xx);
        t.v[i] = _mm256_add_epi64(yyzt, nx);
    }
    fe4_carry(&t);
    fe4_pack(&k, &one, &one, &two, &d2);
    fe4_mul(h, &t, &k);
}

/* p += q for two vector points. */
static inline void p4_add_p4(fe4 *p, const fe4 *q)
{
    fe4 c;
    fe4_cached_of_p4(&c, q);
    p4_add_cached(p, &c);
}

#endif
