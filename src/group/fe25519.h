/* fe25519: arithmetic in GF(p), p = 2^255 - 19, radix 2^51.
 *
 * Representation. An element is five unsigned 64-bit limbs, value
 * v[0] + v[1]·2^51 + v[2]·2^102 + v[3]·2^153 + v[4]·2^204, NOT necessarily
 * reduced mod p: many limb vectors denote one element. Products are computed in
 * unsigned __int128 and reduced with 2^255 ≡ 19.
 *
 * Limb bounds (the invariants every caller relies on; tests/test_group_oracle.c
 * checks each of them against a schoolbook reference at the bounds):
 *   - "tight": every limb < 2^51 + 2^18. Outputs of every function below that
 *     is not *_lazy are tight (add, sub, neg carry for that reason). Products
 *     come out tighter (limb 0 < 2^51 + 2^18, the others < 2^51 + 2^13).
 *   - fe25519_mul / fe25519_sq accept limbs < 2^54; fe25519_sq2 < 2^53.5.
 *   - fe25519_add(f,g): limbs < 2^62. fe25519_sub(f,g): f < 2^62, g at most
 *     4p's limbs (FE25519_4P0 / FE25519_4PI, about 2^53).
 *   - fe25519_add_lazy(f,g) = f + g limb by limb, no carry.
 *   - fe25519_sub_lazy(f,g) = f + 2p - g, no carry: g MUST be tight; each limb
 *     < f's limb + 2^52.
 *   - fe25519_sub_lazy4(f,g) = f + 4p - g, no carry: g < 2^53; each limb
 *     < f's limb + 2^53.
 *   The lazy forms save a carry chain in the point formulas (ge25519_internal.h),
 *   where the bounds of each intermediate are worked out by hand; feed their
 *   results only to mul/sq, or to a non-lazy add/sub.
 *
 * Timing: every function is constant time (no branch or index on limb values)
 * unless its name ends in _var. fe25519_frombytes ignores bit 255 and accepts
 * non-canonical input (values in [p, 2^255) are reduced); ristretto decoding
 * checks canonicity itself with fe25519_frombytes_canonical.
 *
 * Constants of RFC 9496 §4.1 and the curve are given as FE25519_*_INIT
 * initialisers (limbs of the canonical value). */
#ifndef CRYPTONN_FE25519_H
#define CRYPTONN_FE25519_H

#include <stdint.h>

typedef struct {
    uint64_t v[5];
} fe25519;

typedef unsigned __int128 fe25519_u128;

#define FE25519_MASK51 ((uint64_t)0x7ffffffffffff)

/* clang-format off */
/* d = -121665/121666 (the curve constant) and 2d. */
#define FE25519_D_INIT \
    {{0x34dca135978a3ull, 0x1a8283b156ebdull, 0x5e7a26001c029ull, \
      0x739c663a03cbbull, 0x52036cee2b6ffull}}
#define FE25519_D2_INIT \
    {{0x69b9426b2f159ull, 0x35050762add7aull, 0x3cf44c0038052ull, \
      0x6738cc7407977ull, 0x2406d9dc56dffull}}
/* RFC 9496 §4.1 constants (values checked against the RFC's decimal text). */
#define FE25519_SQRT_M1_INIT \
    {{0x61b274a0ea0b0ull, 0x0d5a5fc8f189dull, 0x7ef5e9cbd0c60ull, \
      0x78595a6804c9eull, 0x2b8324804fc1dull}}
#define FE25519_SQRT_AD_MINUS_ONE_INIT \
    {{0x7f6a0497b2e1bull, 0x1836f0a97afd2ull, 0x7d747f6be7638ull, \
      0x456079e7e6498ull, 0x376931bf2b834ull}}
#define FE25519_INVSQRT_A_MINUS_D_INIT \
    {{0x0fdaa805d40eaull, 0x2eb482e57d339ull, 0x007610274bc58ull, \
      0x6510b613dc8ffull, 0x786c8905cfaffull}}
#define FE25519_ONE_MINUS_D_SQ_INIT \
    {{0x409c1945fc176ull, 0x719abc6a1fc4full, 0x1c37f90b20684ull, \
      0x06bccca55eedfull, 0x029072a8b2b3eull}}
#define FE25519_D_MINUS_ONE_SQ_INIT \
    {{0x55aaa44ed4d20ull, 0x59603c3332635ull, 0x26d3baf4a7928ull, \
      0x120a66e6997a9ull, 0x5968b37af66c2ull}}
/* The Ed25519 base point (y = 4/5, x even), the RFC 9496 generator's representative. */
#define FE25519_BX_INIT \
    {{0x62d608f25d51aull, 0x412a4b4f6592aull, 0x75b7171a4b31dull, \
      0x1ff60527118feull, 0x216936d3cd6e5ull}}
#define FE25519_BY_INIT \
    {{0x6666666666658ull, 0x4ccccccccccccull, 0x1999999999999ull, \
      0x3333333333333ull, 0x6666666666666ull}}
#define FE25519_BT_INIT \
    {{0x68ab3a5b7dda3ull, 0x00eea2a5eadbbull, 0x2af8df483c27eull, \
      0x332b375274732ull, 0x67875f0fd78b7ull}}

/* clang-format on */

static inline void fe25519_0(fe25519 *h)
{
    h->v[0] = h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

static inline void fe25519_1(fe25519 *h)
{
    h->v[0] = 1;
    h->v[1] = h->v[2] = h->v[3] = h->v[4] = 0;
}

static inline void fe25519_copy(fe25519 *h, const fe25519 *f)
{
    *h = *f;
}

/* One carry pass: limbs < 2^63 in, tight out (limb 0 < 2^51 + 19·2^12). */
static inline void fe25519_carry(fe25519 *h)
{
    uint64_t c;
    c = h->v[0] >> 51;
    h->v[0] &= FE25519_MASK51;
    h->v[1] += c;
    c = h->v[1] >> 51;
    h->v[1] &= FE25519_MASK51;
    h->v[2] += c;
    c = h->v[2] >> 51;
    h->v[2] &= FE25519_MASK51;
    h->v[3] += c;
    c = h->v[3] >> 51;
    h->v[3] &= FE25519_MASK51;
    h->v[4] += c;
    c = h->v[4] >> 51;
    h->v[4] &= FE25519_MASK51;
    h->v[0] += 19 * c;
}

static inline void fe25519_add_lazy(fe25519 *h, const fe25519 *f, const fe25519 *g)
{
    for (int i = 0; i < 5; i++)
        h->v[i] = f->v[i] + g->v[i];
}

/* 2p and 4p in limbs: added before subtracting so no limb goes negative. */
#define FE25519_2P0 ((uint64_t)0xfffffffffffdaull)
#define FE25519_2PI ((uint64_t)0xffffffffffffeull)
#define FE25519_4P0 ((uint64_t)0x1fffffffffffb4ull)
#define FE25519_4PI ((uint64_t)0x1ffffffffffffcull)

static inline void fe25519_sub_lazy(fe25519 *h, const fe25519 *f, const fe25519 *g)
{
    h->v[0] = f->v[0] + FE25519_2P0 - g->v[0];
    h->v[1] = f->v[1] + FE25519_2PI - g->v[1];
    h->v[2] = f->v[2] + FE25519_2PI - g->v[2];
    h->v[3] = f->v[3] + FE25519_2PI - g->v[3];
    h->v[4] = f->v[4] + FE25519_2PI - g->v[4];
}

static inline void fe25519_sub_lazy4(fe25519 *h, const fe25519 *f, const fe25519 *g)
{
    h->v[0] = f->v[0] + FE25519_4P0 - g->v[0];
    h->v[1] = f->v[1] + FE25519_4PI - g->v[1];
    h->v[2] = f->v[2] + FE25519_4PI - g->v[2];
    h->v[3] = f->v[3] + FE25519_4PI - g->v[3];
    h->v[4] = f->v[4] + FE25519_4PI - g->v[4];
}

/* Inputs < 2^62 per limb; output tight. */
static inline void fe25519_add(fe25519 *h, const fe25519 *f, const fe25519 *g)
{
    fe25519_add_lazy(h, f, g);
    fe25519_carry(h);
}

/* g at most 4p's limbs (about 2^53), f < 2^62; output tight. */
static inline void fe25519_sub(fe25519 *h, const fe25519 *f, const fe25519 *g)
{
    fe25519_sub_lazy4(h, f, g);
    fe25519_carry(h);
}

static inline void fe25519_neg(fe25519 *h, const fe25519 *f)
{
    fe25519 z;
    fe25519_0(&z);
    fe25519_sub(h, &z, f);
}

/* Carries five 128-bit column sums r[0..4] into a tight h. The carries out
 * of all five columns are taken at once and then once more in 64-bit (two
 * short parallel passes instead of one long serial chain: the squaring chains
 * of invert/sqrt are latency bound: this made a squaring 25% faster). Needs
 * r[0..3] < 2^114.5 and r[4] < 2^110.7 so that each column plus its incoming
 * carry, and 19·(r[4] >> 51), fit in 64 bits: limbs < 2^54 guarantee it for
 * mul and sq, limbs < 2^53.5 for sq2. */
static inline void fe25519_reduce128(fe25519 *h, fe25519_u128 r0, fe25519_u128 r1, fe25519_u128 r2,
                                     fe25519_u128 r3, fe25519_u128 r4)
{
    const uint64_t c0 = (uint64_t)(r0 >> 51), c1 = (uint64_t)(r1 >> 51), c2 = (uint64_t)(r2 >> 51),
                   c3 = (uint64_t)(r3 >> 51), c4 = (uint64_t)(r4 >> 51);
    uint64_t h0 = ((uint64_t)r0 & FE25519_MASK51) + 19 * c4;
    uint64_t h1 = ((uint64_t)r1 & FE25519_MASK51) + c0;
    uint64_t h2 = ((uint64_t)r2 & FE25519_MASK51) + c1;
    uint64_t h3 = ((uint64_t)r3 & FE25519_MASK51) + c2;
    uint64_t h4 = ((uint64_t)r4 & FE25519_MASK51) + c3;
    const uint64_t d0 = h0 >> 51, d1 = h1 >> 51, d2 = h2 >> 51, d3 = h3 >> 51, d4 = h4 >> 51;
    h->v[0] = (h0 & FE25519_MASK51) + 19 * d4;
    h->v[1] = (h1 & FE25519_MASK51) + d0;
    h->v[2] = (h2 & FE25519_MASK51) + d1;
    h->v[3] = (h3 & FE25519_MASK51) + d2;
    h->v[4] = (h4 & FE25519_MASK51) + d3;
}

/* Limbs < 2^54 in (see the header comment), tight out. */
static inline void fe25519_mul(fe25519 *h, const fe25519 *f, const fe25519 *g)
{
    const uint64_t f0 = f->v[0], f1 = f->v[1], f2 = f->v[2], f3 = f->v[3], f4 = f->v[4];
    const uint64_t g0 = g->v[0], g1 = g->v[1], g2 = g->v[2], g3 = g->v[3], g4 = g->v[4];
    const uint64_t g1_19 = 19 * g1, g2_19 = 19 * g2, g3_19 = 19 * g3, g4_19 = 19 * g4;
    fe25519_u128 r0, r1, r2, r3, r4;
    r0 = (fe25519_u128)f0 * g0 + (fe25519_u128)f1 * g4_19 + (fe25519_u128)f2 * g3_19 +
         (fe25519_u128)f3 * g2_19 + (fe25519_u128)f4 * g1_19;
    r1 = (fe25519_u128)f0 * g1 + (fe25519_u128)f1 * g0 + (fe25519_u128)f2 * g4_19 +
         (fe25519_u128)f3 * g3_19 + (fe25519_u128)f4 * g2_19;
    r2 = (fe25519_u128)f0 * g2 + (fe25519_u128)f1 * g1 + (fe25519_u128)f2 * g0 +
         (fe25519_u128)f3 * g4_19 + (fe25519_u128)f4 * g3_19;
    r3 = (fe25519_u128)f0 * g3 + (fe25519_u128)f1 * g2 + (fe25519_u128)f2 * g1 +
         (fe25519_u128)f3 * g0 + (fe25519_u128)f4 * g4_19;
    r4 = (fe25519_u128)f0 * g4 + (fe25519_u128)f1 * g3 + (fe25519_u128)f2 * g2 +
         (fe25519_u128)f3 * g1 + (fe25519_u128)f4 * g0;
    fe25519_reduce128(h, r0, r1, r2, r3, r4);
}

/* The column sums of f^2 (cross terms doubled once). */
#define FE25519_SQ_COLUMNS(f)                                                                      \
    const uint64_t f0 = (f)->v[0], f1 = (f)->v[1], f2 = (f)->v[2], f3 = (f)->v[3], f4 = (f)->v[4]; \
    const uint64_t d0 = 2 * f0, d1 = 2 * f1, d2 = 2 * f2, d3 = 2 * f3;                             \
    const uint64_t f3_19 = 19 * f3, f4_19 = 19 * f4;                                               \
    fe25519_u128 r0 = (fe25519_u128)f0 * f0 + (fe25519_u128)d1 * f4_19 + (fe25519_u128)d2 * f3_19; \
    fe25519_u128 r1 = (fe25519_u128)d0 * f1 + (fe25519_u128)d2 * f4_19 + (fe25519_u128)f3 * f3_19; \
    fe25519_u128 r2 = (fe25519_u128)d0 * f2 + (fe25519_u128)f1 * f1 + (fe25519_u128)d3 * f4_19;    \
    fe25519_u128 r3 = (fe25519_u128)d0 * f3 + (fe25519_u128)d1 * f2 + (fe25519_u128)f4 * f4_19;    \
    fe25519_u128 r4 = (fe25519_u128)d0 * f4 + (fe25519_u128)d1 * f3 + (fe25519_u128)f2 * f2

static inline void fe25519_sq(fe25519 *h, const fe25519 *f)
{
    FE25519_SQ_COLUMNS(f);
    fe25519_reduce128(h, r0, r1, r2, r3, r4);
}

/* h = 2·f^2 (the doubling formula's 2·Z^2). Limbs < 2^53.5 in. */
static inline void fe25519_sq2(fe25519 *h, const fe25519 *f)
{
    FE25519_SQ_COLUMNS(f);
    fe25519_reduce128(h, r0 << 1, r1 << 1, r2 << 1, r3 << 1, r4 << 1);
}

/* h = f·c for a small constant c < 2^32. */
static inline void fe25519_mul_small(fe25519 *h, const fe25519 *f, uint32_t c)
{
    fe25519_reduce128(h, (fe25519_u128)f->v[0] * c, (fe25519_u128)f->v[1] * c,
                      (fe25519_u128)f->v[2] * c, (fe25519_u128)f->v[3] * c,
                      (fe25519_u128)f->v[4] * c);
}

/* h = f^(2^n), n >= 1. */
static inline void fe25519_sqn(fe25519 *h, const fe25519 *f, int n)
{
    fe25519_sq(h, f);
    for (int i = 1; i < n; i++)
        fe25519_sq(h, h);
}

/* Shared prefix of the two exponentiation chains: *z11 = f^11 and
 * *z250 = f^(2^250 - 1). The standard chain of 11 multiplications. */
static inline void fe25519_pow_chain(fe25519 *z11, fe25519 *z250, const fe25519 *f)
{
    fe25519 z2, z9, t, z5, z10, z20, z50, z100;
    fe25519_sq(&z2, f);         /* 2 */
    fe25519_sqn(&t, &z2, 2);    /* 8 */
    fe25519_mul(&z9, f, &t);    /* 9 */
    fe25519_mul(z11, &z2, &z9); /* 11 */
    fe25519_sq(&t, z11);        /* 22 */
    fe25519_mul(&z5, &z9, &t);  /* 2^5 - 1 */
    fe25519_sqn(&t, &z5, 5);
    fe25519_mul(&z10, &t, &z5); /* 2^10 - 1 */
    fe25519_sqn(&t, &z10, 10);
    fe25519_mul(&z20, &t, &z10); /* 2^20 - 1 */
    fe25519_sqn(&t, &z20, 20);
    fe25519_mul(&t, &t, &z20); /* 2^40 - 1 */
    fe25519_sqn(&t, &t, 10);
    fe25519_mul(&z50, &t, &z10); /* 2^50 - 1 */
    fe25519_sqn(&t, &z50, 50);
    fe25519_mul(&z100, &t, &z50); /* 2^100 - 1 */
    fe25519_sqn(&t, &z100, 100);
    fe25519_mul(&t, &t, &z100); /* 2^200 - 1 */
    fe25519_sqn(&t, &t, 50);
    fe25519_mul(z250, &t, &z50); /* 2^250 - 1 */
}

/* h = f^(p-2) = 1/f (0 maps to 0). */
static inline void fe25519_invert(fe25519 *h, const fe25519 *f)
{
    fe25519 z11, z250;
    fe25519_pow_chain(&z11, &z250, f);
    fe25519_sqn(&z250, &z250, 5); /* 2^255 - 32 */
    fe25519_mul(h, &z250, &z11);  /* 2^255 - 21 = p - 2 */
}

/* h = f^((p-5)/8) = f^(2^252 - 3). */
static inline void fe25519_pow22523(fe25519 *h, const fe25519 *f)
{
    fe25519 z11, z250;
    fe25519_pow_chain(&z11, &z250, f);
    fe25519_sqn(&z250, &z250, 2); /* 2^252 - 4 */
    fe25519_mul(h, &z250, f);     /* 2^252 - 3 */
}

/* Fully reduced limbs (the canonical value, every limb < 2^51). */
static inline void fe25519_canonical(fe25519 *h, const fe25519 *f)
{
    fe25519 t = *f;
    fe25519_carry(&t);
    fe25519_carry(&t); /* now value < 2^255 + 19·2: at most one subtraction of p */
    uint64_t q = (t.v[0] + 19) >> 51;
    q = (t.v[1] + q) >> 51;
    q = (t.v[2] + q) >> 51;
    q = (t.v[3] + q) >> 51;
    q = (t.v[4] + q) >> 51; /* 1 iff value >= p */
    t.v[0] += 19 * q;
    uint64_t c;
    c = t.v[0] >> 51;
    t.v[0] &= FE25519_MASK51;
    t.v[1] += c;
    c = t.v[1] >> 51;
    t.v[1] &= FE25519_MASK51;
    t.v[2] += c;
    c = t.v[2] >> 51;
    t.v[2] &= FE25519_MASK51;
    t.v[3] += c;
    c = t.v[3] >> 51;
    t.v[3] &= FE25519_MASK51;
    t.v[4] += c;
    t.v[4] &= FE25519_MASK51; /* drops 2^255 = the subtracted p together with +19 */
    *h = t;
}

static inline void fe25519_tobytes(uint8_t s[32], const fe25519 *f)
{
    fe25519 t;
    fe25519_canonical(&t, f);
    const uint64_t w[4] = {
        t.v[0] | (t.v[1] << 51),
        (t.v[1] >> 13) | (t.v[2] << 38),
        (t.v[2] >> 26) | (t.v[3] << 25),
        (t.v[3] >> 39) | (t.v[4] << 12),
    };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static inline uint64_t fe25519_load64_(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Ignores bit 255; values in [p, 2^255) are accepted (and reduced later). */
static inline void fe25519_frombytes(fe25519 *h, const uint8_t s[32])
{
    h->v[0] = fe25519_load64_(s) & FE25519_MASK51;
    h->v[1] = (fe25519_load64_(s + 6) >> 3) & FE25519_MASK51;
    h->v[2] = (fe25519_load64_(s + 12) >> 6) & FE25519_MASK51;
    h->v[3] = (fe25519_load64_(s + 19) >> 1) & FE25519_MASK51;
    h->v[4] = (fe25519_load64_(s + 24) >> 12) & FE25519_MASK51;
}

/* 1 if the 32 bytes equal (a, b), constant time. */
static inline int fe25519_bytes_eq_(const uint8_t a[32], const uint8_t b[32])
{
    uint32_t d = 0;
    for (int i = 0; i < 32; i++)
        d |= (uint32_t)(a[i] ^ b[i]);
    return (int)(1 & ((d - 1) >> 8));
}

/* Decodes and returns 1 if s is the canonical encoding (< p, bit 255 clear),
 * else 0 (h holds the reduced value anyway). */
static inline int fe25519_frombytes_canonical(fe25519 *h, const uint8_t s[32])
{
    uint8_t back[32];
    fe25519_frombytes(h, s);
    fe25519_tobytes(back, h);
    return fe25519_bytes_eq_(back, s);
}

static inline int fe25519_iszero(const fe25519 *f)
{
    uint8_t s[32], z[32] = {0};
    fe25519_tobytes(s, f);
    return fe25519_bytes_eq_(s, z);
}

/* RFC 9496 IS_NEGATIVE: the low bit of the canonical value. */
static inline int fe25519_isnegative(const fe25519 *f)
{
    fe25519 t;
    fe25519_canonical(&t, f);
    return (int)(t.v[0] & 1);
}

static inline int fe25519_eq(const fe25519 *f, const fe25519 *g)
{
    uint8_t a[32], b[32];
    fe25519_tobytes(a, f);
    fe25519_tobytes(b, g);
    return fe25519_bytes_eq_(a, b);
}

/* h = f if flag == 1, unchanged if flag == 0. */
static inline void fe25519_cmov(fe25519 *h, const fe25519 *f, unsigned flag)
{
    const uint64_t m = (uint64_t)0 - (uint64_t)(flag & 1);
    for (int i = 0; i < 5; i++)
        h->v[i] ^= m & (h->v[i] ^ f->v[i]);
}

/* h = -f if flag == 1, h = f if flag == 0. */
static inline void fe25519_cneg(fe25519 *h, const fe25519 *f, unsigned flag)
{
    fe25519 n;
    fe25519_neg(&n, f);
    fe25519_copy(h, f);
    fe25519_cmov(h, &n, flag);
}

/* RFC 9496 CT_ABS: the non-negative one of f and -f. */
static inline void fe25519_abs(fe25519 *h, const fe25519 *f)
{
    fe25519_cneg(h, f, (unsigned)fe25519_isnegative(f));
}

/* RFC 9496 §4.2 SQRT_RATIO_M1(u, v) in two halves around its exponentiation
 * (so batched callers can run eight exponentiations at once): _pre gives
 * v^3 and pin = u·v^7, the caller computes pout = pin^((p-5)/8), and _post
 * finishes. */
static inline void fe25519_sqrt_ratio_pre(fe25519 *v3, fe25519 *pin, const fe25519 *u,
                                          const fe25519 *v)
{
    fe25519 v7;
    fe25519_sq(v3, v);
    fe25519_mul(v3, v3, v); /* v^3 */
    fe25519_sq(&v7, v3);
    fe25519_mul(&v7, &v7, v); /* v^7 */
    fe25519_mul(pin, u, &v7);
}

static inline int fe25519_sqrt_ratio_post(fe25519 *h, const fe25519 *u, const fe25519 *v,
                                          const fe25519 *v3, const fe25519 *pout)
{
    static const fe25519 sqrt_m1 = FE25519_SQRT_M1_INIT;
    fe25519 r, check, neg_u, neg_u_i, r_prime;
    fe25519_mul(&r, u, v3);
    fe25519_mul(&r, &r, pout); /* r = (u·v^3)·(u·v^7)^((p-5)/8) */
    fe25519_sq(&check, &r);
    fe25519_mul(&check, &check, v); /* check = v·r^2 */
    fe25519_neg(&neg_u, u);
    fe25519_mul(&neg_u_i, &neg_u, &sqrt_m1);
    const int correct_sign = fe25519_eq(&check, u);
    const int flipped_sign = fe25519_eq(&check, &neg_u);
    const int flipped_sign_i = fe25519_eq(&check, &neg_u_i);
    fe25519_mul(&r_prime, &r, &sqrt_m1);
    fe25519_cmov(&r, &r_prime, (unsigned)(flipped_sign | flipped_sign_i));
    fe25519_abs(h, &r);
    return correct_sign | flipped_sign;
}

/* SQRT_RATIO_M1(u, v): returns 1 and h = +sqrt(u/v) if u/v is a square;
 * else 0 and h = +sqrt(i·u/v). h is non-negative in both cases (u = 0 gives
 * 1, h = 0; v = 0, u != 0 gives 0, h = 0). */
static inline int fe25519_sqrt_ratio_m1(fe25519 *h, const fe25519 *u, const fe25519 *v)
{
    fe25519 v3, t;
    fe25519_sqrt_ratio_pre(&v3, &t, u, v);
    fe25519_pow22523(&t, &t); /* (u·v^7)^((p-5)/8) */
    return fe25519_sqrt_ratio_post(h, u, v, &v3, &t);
}

#endif
