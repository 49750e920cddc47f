/* fingerprint_ifma: fingerprint.c's batch on eight AVX-512 IFMA lanes
 * (fe8_ifma.h): point c·8 + l in lane l of column c. The same terms and the
 * same Montgomery trick, run per lane over the columns, with one 8-lane
 * inversion; the denominators are recomputed on the way back as in the
 * portable code, so scratch needs one field element per point. */
#include "group/fe8_ifma.h"

/* den = (Y^2 - X^2)(Y^2 + X^2), and if num != NULL, num = 2XY(2Z^2 - Y^2 + X^2). */
static inline void ratio_terms8(fe8 *num, fe8 *den, const p8 *p)
{
    fe8 xx, yy, g, h;
    fe8_sq(&xx, &p->X);
    fe8_sq(&yy, &p->Y);
    fe8_sub(&g, &yy, &xx);
    fe8_carry(&g);
    fe8_add(&h, &yy, &xx);
    fe8_carry(&h);
    fe8_mul(den, &g, &h);
    if (!num) return;
    fe8 e, f;
    fe8_mul(&e, &p->X, &p->Y);
    fe8_add(&e, &e, &e);
    fe8_carry(&e);
    fe8_sq(&f, &p->Z);
    fe8_add(&f, &f, &f);
    fe8_sub(&f, &f, &g);
    fe8_carry(&f);
    fe8_mul(num, &e, &f);
}

static void load_column(p8 *q, const ge25519 *p)
{
    const ge25519 *pp[8];
    for (int l = 0; l < 8; l++) pp[l] = &p[l];
    p8_load(q, pp);
}

/* scratch (8-byte aligned) as an array of fe8, 40 words each */
static void put8(fe25519 *scratch, size_t c, const fe8 *f)
{
    for (int i = 0; i < 5; i++) _mm512_storeu_si512(&scratch[8 * c].v[0] + 8 * i, f->v[i]);
}

static void get8(fe8 *f, const fe25519 *scratch, size_t c)
{
    for (int i = 0; i < 5; i++) f->v[i] = _mm512_loadu_si512(&scratch[8 * c].v[0] + 8 * i);
}

void gev_fingerprint_batch_ifma(uint8_t (*out)[32], const ge25519 *p, size_t cols, fe25519 *scratch)
{
    p8 q;
    fe8 den, num, inv, dinv, ratio, prev;
    for (size_t c = 0; c < cols; c++) {
        load_column(&q, p + 8 * c);
        ratio_terms8(NULL, &den, &q);
        if (c > 0) fe8_mul(&den, &prev, &den);
        put8(scratch, c, &den);
        prev = den;
    }
    fe8_invert(&inv, &prev);
    for (size_t c = cols; c-- > 0;) {
        load_column(&q, p + 8 * c);
        ratio_terms8(&num, &den, &q);
        if (c > 0) {
            get8(&prev, scratch, c - 1);
            fe8_mul(&dinv, &inv, &prev);
            fe8_mul(&inv, &inv, &den);
        } else {
            dinv = inv;
        }
        fe8_mul(&ratio, &num, &dinv);
        fe25519 r[8];
        for (int i = 0; i < 5; i++) {
            uint64_t w[8];
            _mm512_storeu_si512(w, ratio.v[i]);
            for (int l = 0; l < 8; l++) r[l].v[i] = w[l];
        }
        for (int l = 0; l < 8; l++) fe25519_tobytes(out[8 * c + (size_t)l], &r[l]);
    }
}

GEV_IFMA_END
