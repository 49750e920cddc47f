/* ristretto: the RFC 9496 §4.3 encoding, decoding and element derivation of
 * ristretto255, step by step as the RFC writes them (the comments name the
 * steps). All three run in constant time; decoding reports failure through
 * its return value only after every step has run. */
#include <string.h>

#include "cryptonn/status.h"
#include "group/ge25519_internal.h"
#include "group/ge25519_var.h"

static const fe25519 fe_d = FE25519_D_INIT;
static const fe25519 fe_sqrt_m1 = FE25519_SQRT_M1_INIT;
static const fe25519 fe_sqrt_ad_minus_one = FE25519_SQRT_AD_MINUS_ONE_INIT;
static const fe25519 fe_invsqrt_a_minus_d = FE25519_INVSQRT_A_MINUS_D_INIT;
static const fe25519 fe_one_minus_d_sq = FE25519_ONE_MINUS_D_SQ_INIT;
static const fe25519 fe_d_minus_one_sq = FE25519_D_MINUS_ONE_SQ_INIT;

/* Decoding and encoding each need one inverse square root, ~90% of their
 * cost. Both are written as a part before and a part after the
 * exponentiation, so the batch versions can run sixteen exponentiations at
 * once on AVX-512 IFMA (pow_ifma.c); a single call runs the same parts around
 * the portable exponentiation. */

typedef struct {
    fe25519 s, u1, u2, v, t, v3, pin;
    int ok; /* canonical and non-negative s */
} decode_state;

/* RFC 9496 §4.3.1 Decode, step 1 and step 2 up to SQRT_RATIO_M1(1, v·u2^2). */
static void decode_pre(decode_state *st, const uint8_t in[32])
{
    fe25519 ss, u2_sqr, t, one;
    /* Step 1: s must be canonical (< p, bit 255 clear) and non-negative. */
    const int canonical = fe25519_frombytes_canonical(&st->s, in);
    st->ok = canonical & !fe25519_isnegative(&st->s);
    /* Step 2. */
    fe25519_1(&one);
    fe25519_sq(&ss, &st->s);
    fe25519_sub(&st->u1, &one, &ss); /* u1 = 1 - ss */
    fe25519_add(&st->u2, &one, &ss); /* u2 = 1 + ss */
    fe25519_sq(&u2_sqr, &st->u2);
    fe25519_sq(&t, &st->u1);
    fe25519_mul(&t, &t, &fe_d);
    fe25519_neg(&t, &t);
    fe25519_sub(&st->v, &t, &u2_sqr); /* v = -(D·u1^2) - u2_sqr */
    fe25519_mul(&st->t, &st->v, &u2_sqr);
    fe25519_sqrt_ratio_pre(&st->v3, &st->pin, &one, &st->t);
}

/* The rest of step 2, and step 3. */
static int decode_post(ge25519 *r, const decode_state *st, const fe25519 *pout)
{
    fe25519 invsqrt, den_x, den_y, x, y, t, one;
    fe25519_1(&one);
    const int was_square = fe25519_sqrt_ratio_post(&invsqrt, &one, &st->t, &st->v3, pout);
    fe25519_mul(&den_x, &invsqrt, &st->u2);
    fe25519_mul(&den_y, &invsqrt, &den_x);
    fe25519_mul(&den_y, &den_y, &st->v);
    fe25519_mul(&x, &st->s, &den_x);
    fe25519_add(&x, &x, &x);
    fe25519_abs(&x, &x); /* x = CT_ABS(2·s·den_x) */
    fe25519_mul(&y, &st->u1, &den_y);
    fe25519_mul(&t, &x, &y);
    /* Step 3: reject a non-square, t < 0 or y = 0. */
    const int t_negative = fe25519_isnegative(&t);
    const int y_zero = fe25519_iszero(&y);
    const int ok = st->ok & was_square & !t_negative & !y_zero;
    if (!ok) return CRYPTONN_ERR_ENCODING;
    r->X = x;
    r->Y = y;
    fe25519_1(&r->Z);
    r->T = t;
    return CRYPTONN_OK;
}

int ge25519_decode(ge25519 *r, const uint8_t in[32])
{
    decode_state st;
    fe25519 pout;
    decode_pre(&st, in);
    fe25519_pow22523(&pout, &st.pin);
    return decode_post(r, &st, &pout);
}

typedef struct {
    fe25519 u1, u2, t, v3, pin;
} encode_state;

/* RFC 9496 §4.3.2 Encode up to SQRT_RATIO_M1(1, u1·u2^2). */
static void encode_pre(encode_state *st, const ge25519 *p)
{
    fe25519 t, one;
    fe25519_1(&one);
    fe25519_add(&st->u1, &p->Z, &p->Y);
    fe25519_sub(&t, &p->Z, &p->Y);
    fe25519_mul(&st->u1, &st->u1, &t); /* u1 = (z0 + y0)·(z0 - y0) */
    fe25519_mul(&st->u2, &p->X, &p->Y); /* u2 = x0·y0 */
    fe25519_sq(&t, &st->u2);
    fe25519_mul(&st->t, &t, &st->u1);
    fe25519_sqrt_ratio_pre(&st->v3, &st->pin, &one, &st->t);
}

static void encode_post(uint8_t out[32], const ge25519 *p, const encode_state *st,
                        const fe25519 *pout)
{
    fe25519 t, invsqrt, den1, den2, z_inv, ix0, iy0, ench, x, y, den_inv, one;
    fe25519_1(&one);
    (void)fe25519_sqrt_ratio_post(&invsqrt, &one, &st->t, &st->v3, pout); /* ignore was_square */
    fe25519_mul(&den1, &invsqrt, &st->u1);
    fe25519_mul(&den2, &invsqrt, &st->u2);
    fe25519_mul(&z_inv, &den1, &den2);
    fe25519_mul(&z_inv, &z_inv, &p->T); /* z_inv = den1·den2·t0 */
    fe25519_mul(&ix0, &p->X, &fe_sqrt_m1);
    fe25519_mul(&iy0, &p->Y, &fe_sqrt_m1);
    fe25519_mul(&ench, &den1, &fe_invsqrt_a_minus_d); /* enchanted_denominator */
    fe25519_mul(&t, &p->T, &z_inv);
    const unsigned rotate = (unsigned)fe25519_isnegative(&t);
    x = p->X;
    y = p->Y;
    fe25519_cmov(&x, &iy0, rotate);
    fe25519_cmov(&y, &ix0, rotate);
    den_inv = den2;
    fe25519_cmov(&den_inv, &ench, rotate);
    fe25519_mul(&t, &x, &z_inv);
    fe25519_cneg(&y, &y,
                 (unsigned)fe25519_isnegative(&t)); /* y = CT_NEG(y, IS_NEGATIVE(x·z_inv)) */
    fe25519_sub(&t, &p->Z, &y);
    fe25519_mul(&t, &den_inv, &t);
    fe25519_abs(&t, &t); /* s = CT_ABS(den_inv·(z - y)) */
    fe25519_tobytes(out, &t);
}

void ge25519_encode(uint8_t out[32], const ge25519 *p)
{
    encode_state st;
    fe25519 pout;
    encode_pre(&st, p);
    fe25519_pow22523(&pout, &st.pin);
    encode_post(out, p, &st, &pout);
}

/* Sixteen at a time through the IFMA exponentiation where the CPU has it;
 * the tail (and every element on other CPUs) one by one. Every element
 * runs the same steps as the single call, so the results are identical. */
int ge25519_decode_batch(ge25519 *r, const uint8_t *in, size_t n)
{
    int bad = 0;
    size_t i = 0;
    if (gev_have_ifma()) {
        decode_state st[16];
        fe25519 pin[16], pout[16];
        for (; i + 16 <= n; i += 16) {
            for (int k = 0; k < 16; k++) {
                decode_pre(&st[k], in + 32 * (i + (size_t)k));
                pin[k] = st[k].pin;
            }
            gev_pow22523_x16_ifma(pout, pin);
            for (int k = 0; k < 16; k++)
                bad |= decode_post(&r[i + (size_t)k], &st[k], &pout[k]) != CRYPTONN_OK;
        }
    }
    for (; i < n; i++) bad |= ge25519_decode(&r[i], in + 32 * i) != CRYPTONN_OK;
    return bad ? CRYPTONN_ERR_ENCODING : CRYPTONN_OK;
}

void ge25519_encode_batch(uint8_t *out, const ge25519 *p, size_t n)
{
    size_t i = 0;
    if (gev_have_ifma()) {
        encode_state st[16];
        fe25519 pin[16], pout[16];
        for (; i + 16 <= n; i += 16) {
            for (int k = 0; k < 16; k++) {
                encode_pre(&st[k], &p[i + (size_t)k]);
                pin[k] = st[k].pin;
            }
            gev_pow22523_x16_ifma(pout, pin);
            for (int k = 0; k < 16; k++)
                encode_post(out + 32 * (i + (size_t)k), &p[i + (size_t)k], &st[k], &pout[k]);
        }
    }
    for (; i < n; i++) ge25519_encode(out + 32 * i, &p[i]);
}

/* RFC 9496 §4.3.4 MAP(t): the Elligator-style map of one field element. */
static void ristretto_map(ge25519 *r, const fe25519 *t)
{
    fe25519 rr, u, v, s, s_prime, c, n, w0, w1, w2, w3, tmp, one, minus_one;
    fe25519_1(&one);
    fe25519_neg(&minus_one, &one);
    fe25519_sq(&rr, t);
    fe25519_mul(&rr, &rr, &fe_sqrt_m1); /* r = SQRT_M1·t^2 */
    fe25519_add(&u, &rr, &one);
    fe25519_mul(&u, &u, &fe_one_minus_d_sq); /* u = (r + 1)·ONE_MINUS_D_SQ */
    fe25519_mul(&tmp, &rr, &fe_d);
    fe25519_sub(&v, &minus_one, &tmp); /* -1 - r·D */
    fe25519_add(&tmp, &rr, &fe_d);
    fe25519_mul(&v, &v, &tmp); /* v = (-1 - r·D)·(r + D) */
    const unsigned was_square = (unsigned)fe25519_sqrt_ratio_m1(&s, &u, &v);
    fe25519_mul(&s_prime, &s, t);
    fe25519_abs(&s_prime, &s_prime);
    fe25519_neg(&s_prime, &s_prime);            /* s_prime = -CT_ABS(s·t) */
    fe25519_cmov(&s, &s_prime, 1 ^ was_square); /* s = was_square ? s : s_prime */
    c = rr;
    fe25519_cmov(&c, &minus_one, was_square); /* c = was_square ? -1 : r */
    fe25519_sub(&tmp, &rr, &one);
    fe25519_mul(&n, &c, &tmp);
    fe25519_mul(&n, &n, &fe_d_minus_one_sq);
    fe25519_sub(&n, &n, &v); /* N = c·(r - 1)·D_MINUS_ONE_SQ - v */
    fe25519_mul(&w0, &s, &v);
    fe25519_add(&w0, &w0, &w0);                  /* w0 = 2·s·v */
    fe25519_mul(&w1, &n, &fe_sqrt_ad_minus_one); /* w1 = N·SQRT_AD_MINUS_ONE */
    fe25519_sq(&tmp, &s);
    fe25519_sub(&w2, &one, &tmp); /* w2 = 1 - s^2 */
    fe25519_add(&w3, &one, &tmp); /* w3 = 1 + s^2 */
    fe25519_mul(&r->X, &w0, &w3);
    fe25519_mul(&r->Y, &w2, &w1);
    fe25519_mul(&r->Z, &w1, &w3);
    fe25519_mul(&r->T, &w0, &w2);
}

/* RFC 9496 §4.3.4 element derivation: each half, its top bit masked, mapped and
 * the two points added. */
void ge25519_from_uniform(ge25519 *r, const uint8_t in[64])
{
    fe25519 r0, r1;
    ge25519 p1, p2;
    fe25519_frombytes(&r0, in); /* frombytes drops bit 255: the RFC's mask */
    fe25519_frombytes(&r1, in + 32);
    ristretto_map(&p1, &r0);
    ristretto_map(&p2, &r1);
    ge25519_add(r, &p1, &p2);
}
