/* ge25519_internal: the point representations and formulas behind group.h,
 * shared by the constant-time code (ge25519.c, ct_*.c) and the variable-time
 * tables (wnaf.c, comb.c, sums.c, msm.c). Not part of any public API.
 *
 * Curve: -x^2 + y^2 = 1 + d x^2 y^2 (a = -1), d = -121665/121666, which is not
 * a square, so the Hisil–Wong–Carter–Dawson extended-coordinate formulas below
 * are complete: they work for every pair of inputs (P = Q, identity, torsion).
 *
 * Representations (every fe25519 member is "tight" per fe25519.h unless said):
 *   ge25519        (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z.        (group.h)
 *   ge25519_p2     (X:Y:Z), T dropped: the input of a doubling when the
 *                  previous result feeds only another doubling.
 *   ge25519_p1p1   "completed" ((X:Z),(Y:T)): x = X/Z, y = Y/T. The output of
 *                  an addition or doubling before its last multiplications;
 *                  to p2 costs 3M, to ge25519 4M. Members may be up to 2^54.
 *   ge25519_cached (Y+X, Y-X, Z, 2d·T): an addend in projective form, 8M per
 *                  addition. The form for tables of points that are not
 *                  normalised.
 *   ge25519_niels  (y+x, y-x, 2d·xy) with Z = 1: an affine addend, 7M per
 *                  addition. Needs one inversion per point to build (batch it
 *                  with ge25519_batch_to_niels); the form of the fixed-base
 *                  tables (ge25519_fixed, the base-point table).
 * Negating a cached or niels addend swaps its first two members and negates the
 * third/fourth; ge25519_*_cneg do that in constant time.
 *
 * Costs (M = field multiplication, S = squaring): add 8M, add_niels 7M,
 * dbl 4M + 4S (3M + 4S when the result stays p2).
 *
 * Every function here is constant time. Outputs may alias inputs. */
#ifndef CRYPTONN_GE25519_INTERNAL_H
#define CRYPTONN_GE25519_INTERNAL_H

#include <stddef.h>

#include "group/fe25519.h"
#include "group/group.h"

typedef struct {
    fe25519 X, Y, Z;
} ge25519_p2;

typedef struct {
    fe25519 X, Y, Z, T;
} ge25519_p1p1;

typedef struct {
    fe25519 YplusX, YminusX, Z, T2d;
} ge25519_cached;

typedef struct {
    fe25519 yplusx, yminusx, xy2d;
} ge25519_niels;

static inline void ge25519_p1p1_to_p2(ge25519_p2 *r, const ge25519_p1p1 *p)
{
    fe25519_mul(&r->X, &p->X, &p->T);
    fe25519_mul(&r->Y, &p->Y, &p->Z);
    fe25519_mul(&r->Z, &p->Z, &p->T);
}

static inline void ge25519_p1p1_to_p3(ge25519 *r, const ge25519_p1p1 *p)
{
    fe25519_mul(&r->X, &p->X, &p->T);
    fe25519_mul(&r->Y, &p->Y, &p->Z);
    fe25519_mul(&r->Z, &p->Z, &p->T);
    fe25519_mul(&r->T, &p->X, &p->Y);
}

static inline void ge25519_p3_to_p2(ge25519_p2 *r, const ge25519 *p)
{
    r->X = p->X;
    r->Y = p->Y;
    r->Z = p->Z;
}

/* dbl-2008-hwcd with a = -1, all four outputs negated (same projective point)
 * so that no extra negation is needed:
 *   A = X^2, B = Y^2, C = 2Z^2, H = A + B, E = (X+Y)^2 - H, G = B - A, F = C - G,
 *   result x = E/G, y = H/F. */
static inline void ge25519_p2_dbl(ge25519_p1p1 *r, const ge25519_p2 *p)
{
    fe25519 A, B, C, s;
    fe25519_sq(&A, &p->X);
    fe25519_sq(&B, &p->Y);
    fe25519_sq2(&C, &p->Z);
    fe25519_add_lazy(&s, &p->X, &p->Y);
    fe25519_sq(&s, &s);
    fe25519_add_lazy(&r->Y, &A, &B);     /* H < 2^52 + 2^16 */
    fe25519_sub_lazy4(&r->X, &s, &r->Y); /* E < 1.25·2^53 */
    fe25519_sub_lazy(&r->Z, &B, &A);     /* G < 2^53 */
    fe25519_sub_lazy4(&r->T, &C, &r->Z); /* F < 1.25·2^53 */
}

static inline void ge25519_p3_dbl(ge25519_p1p1 *r, const ge25519 *p)
{
    ge25519_p2 q;
    ge25519_p3_to_p2(&q, p);
    ge25519_p2_dbl(r, &q);
}

static inline void ge25519_to_cached(ge25519_cached *r, const ge25519 *p)
{
    static const fe25519 d2 = FE25519_D2_INIT;
    fe25519_add(&r->YplusX, &p->Y, &p->X);
    fe25519_sub(&r->YminusX, &p->Y, &p->X);
    r->Z = p->Z;
    fe25519_mul(&r->T2d, &p->T, &d2);
}

/* add-2008-hwcd-3 (a = -1, k = 2d): A = (Y1-X1)(Y2-X2), B = (Y1+X1)(Y2+X2),
 * C = T1·2d·T2, D = 2·Z1·Z2, E = B - A, F = D - C, G = D + C, H = B + A;
 * result x = E/G, y = H/F. */
static inline void ge25519_add_cached(ge25519_p1p1 *r, const ge25519 *p, const ge25519_cached *q)
{
    fe25519 a, b, c, d;
    fe25519_sub_lazy(&a, &p->Y, &p->X);
    fe25519_mul(&a, &a, &q->YminusX);
    fe25519_add_lazy(&b, &p->Y, &p->X);
    fe25519_mul(&b, &b, &q->YplusX);
    fe25519_mul(&c, &p->T, &q->T2d);
    fe25519_mul(&d, &p->Z, &q->Z);
    fe25519_add_lazy(&d, &d, &d);
    fe25519_sub_lazy(&r->X, &b, &a); /* E */
    fe25519_add_lazy(&r->Y, &b, &a); /* H */
    fe25519_add_lazy(&r->Z, &d, &c); /* G */
    fe25519_sub_lazy(&r->T, &d, &c); /* F */
}

/* p - q: the addend negated (swap Y±X, negate 2dT), folded into the formula. */
static inline void ge25519_sub_cached(ge25519_p1p1 *r, const ge25519 *p, const ge25519_cached *q)
{
    fe25519 a, b, c, d;
    fe25519_sub_lazy(&a, &p->Y, &p->X);
    fe25519_mul(&a, &a, &q->YplusX);
    fe25519_add_lazy(&b, &p->Y, &p->X);
    fe25519_mul(&b, &b, &q->YminusX);
    fe25519_mul(&c, &p->T, &q->T2d);
    fe25519_mul(&d, &p->Z, &q->Z);
    fe25519_add_lazy(&d, &d, &d);
    fe25519_sub_lazy(&r->X, &b, &a);
    fe25519_add_lazy(&r->Y, &b, &a);
    fe25519_sub_lazy(&r->Z, &d, &c);
    fe25519_add_lazy(&r->T, &d, &c);
}

/* The same formula with Z2 = 1 (D = 2·Z1). */
static inline void ge25519_add_niels(ge25519_p1p1 *r, const ge25519 *p, const ge25519_niels *q)
{
    fe25519 a, b, c, d;
    fe25519_sub_lazy(&a, &p->Y, &p->X);
    fe25519_mul(&a, &a, &q->yminusx);
    fe25519_add_lazy(&b, &p->Y, &p->X);
    fe25519_mul(&b, &b, &q->yplusx);
    fe25519_mul(&c, &p->T, &q->xy2d);
    fe25519_add_lazy(&d, &p->Z, &p->Z);
    fe25519_sub_lazy(&r->X, &b, &a);
    fe25519_add_lazy(&r->Y, &b, &a);
    fe25519_add_lazy(&r->Z, &d, &c);
    fe25519_sub_lazy(&r->T, &d, &c);
}

static inline void ge25519_sub_niels(ge25519_p1p1 *r, const ge25519 *p, const ge25519_niels *q)
{
    fe25519 a, b, c, d;
    fe25519_sub_lazy(&a, &p->Y, &p->X);
    fe25519_mul(&a, &a, &q->yplusx);
    fe25519_add_lazy(&b, &p->Y, &p->X);
    fe25519_mul(&b, &b, &q->yminusx);
    fe25519_mul(&c, &p->T, &q->xy2d);
    fe25519_add_lazy(&d, &p->Z, &p->Z);
    fe25519_sub_lazy(&r->X, &b, &a);
    fe25519_add_lazy(&r->Y, &b, &a);
    fe25519_sub_lazy(&r->Z, &d, &c);
    fe25519_add_lazy(&r->T, &d, &c);
}

static inline void ge25519_cached_identity(ge25519_cached *r)
{
    fe25519_1(&r->YplusX);
    fe25519_1(&r->YminusX);
    fe25519_1(&r->Z);
    fe25519_0(&r->T2d);
}

static inline void ge25519_niels_identity(ge25519_niels *r)
{
    fe25519_1(&r->yplusx);
    fe25519_1(&r->yminusx);
    fe25519_0(&r->xy2d);
}

static inline void ge25519_cached_cmov(ge25519_cached *r, const ge25519_cached *p, unsigned flag)
{
    fe25519_cmov(&r->YplusX, &p->YplusX, flag);
    fe25519_cmov(&r->YminusX, &p->YminusX, flag);
    fe25519_cmov(&r->Z, &p->Z, flag);
    fe25519_cmov(&r->T2d, &p->T2d, flag);
}

static inline void ge25519_niels_cmov(ge25519_niels *r, const ge25519_niels *p, unsigned flag)
{
    fe25519_cmov(&r->yplusx, &p->yplusx, flag);
    fe25519_cmov(&r->yminusx, &p->yminusx, flag);
    fe25519_cmov(&r->xy2d, &p->xy2d, flag);
}

/* r = -r if flag == 1 (flag 0 or 1). */
static inline void ge25519_cached_cneg(ge25519_cached *r, unsigned flag)
{
    fe25519 t = r->YplusX;
    fe25519_cmov(&r->YplusX, &r->YminusX, flag);
    fe25519_cmov(&r->YminusX, &t, flag);
    fe25519_cneg(&r->T2d, &r->T2d, flag);
}

static inline void ge25519_niels_cneg(ge25519_niels *r, unsigned flag)
{
    fe25519 t = r->yplusx;
    fe25519_cmov(&r->yplusx, &r->yminusx, flag);
    fe25519_cmov(&r->yminusx, &t, flag);
    fe25519_cneg(&r->xy2d, &r->xy2d, flag);
}

/* Normalises n points to niels form with one field inversion (Montgomery's
 * trick); entry i goes to the bytes at out + i·stride. scratch holds n field
 * elements. Variable time only in n; the points are treated as public
 * (table builds). No point may have Z = 0 (never the case for valid points). */
void ge25519_batch_to_niels(ge25519_niels *out, size_t stride, const ge25519 *p, size_t n,
                            fe25519 *scratch);

/* The one-time base-point table (64 rows × 8 niels points, row i holding
 * j·16^i·B for j = 1..8), built on first use under pthread_once. */
const ge25519_niels (*ge25519_base_table(void))[8];

/* Signed radix-16 recoding of a scalar < 2^255: e[0..63] in [-8, 7] for
 * i < 63 and e[63] in [-8, 8], k = Σ e[i]·16^i. Constant time. */
void sc25519_recode_radix16(int8_t e[64], const sc25519 *k);

/* r = Σ_i e[i]·16^i·P over rows 0..rows-1 of a 64×8 niels table of P (row i
 * holds j·16^i·P, j = 1..8), e[i] in [-8, 8]. Constant time in e: every
 * entry of each used row is read. */
void ge25519_table_mul(ge25519 *r, const ge25519_niels (*table)[8], const int8_t *e, size_t rows);

/* The signed radix-16 digits of a small secret v (|v| < 2^bits, bits <= 62)
 * for the base table: |v| = Σ e[i]·16^i, *sign all ones for v < 0. Returns
 * the digit count, which depends on bits only. Constant time. */
unsigned ge25519_small_digits(int8_t e[17], uint64_t *sign, int64_t v, unsigned bits);

/* ge25519_fixed_mul_many on eight AVX-512 IFMA lanes (ct_ifma.c): count
 * (1..8) products, the lanes beyond count idle. Only when gev_have_ifma(). */
void gev_fixed_mul_many_ifma(ge25519 *const *r, const ge25519_niels (*table)[8],
                             const sc25519_radix16 *k, const int64_t *v, unsigned bits,
                             size_t count);
int gev_have_ifma(void);

#endif
