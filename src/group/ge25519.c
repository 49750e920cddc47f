/* ge25519: group operations on extended twisted-Edwards points (the public
 * half of group.h: identity, base, add/sub/dbl/neg, equality, cmov), plus the
 * batch normalisation to niels form used by every fixed-base table. The
 * formulas themselves live in ge25519_internal.h so that the table and MSM
 * code can inline them. */
#include "group/ge25519_internal.h"

void ge25519_identity(ge25519 *r)
{
    fe25519_0(&r->X);
    fe25519_1(&r->Y);
    fe25519_1(&r->Z);
    fe25519_0(&r->T);
}

void ge25519_base(ge25519 *r)
{
    static const ge25519 base = {
        FE25519_BX_INIT, FE25519_BY_INIT, {{1, 0, 0, 0, 0}}, FE25519_BT_INIT};
    *r = base;
}

/* add-2008-hwcd-3 directly on two extended points: the same 9M as going
 * through ge25519_cached, without the carries of a stored addend (the lazy
 * sums and differences of tight inputs are valid mul inputs). */
void ge25519_add(ge25519 *r, const ge25519 *p, const ge25519 *q)
{
    static const fe25519 d2 = FE25519_D2_INIT;
    fe25519 a, b, c, d, u;
    ge25519_p1p1 t;
    fe25519_sub_lazy(&a, &p->Y, &p->X);
    fe25519_sub_lazy(&u, &q->Y, &q->X);
    fe25519_mul(&a, &a, &u);
    fe25519_add_lazy(&b, &p->Y, &p->X);
    fe25519_add_lazy(&u, &q->Y, &q->X);
    fe25519_mul(&b, &b, &u);
    fe25519_mul(&c, &p->T, &q->T);
    fe25519_mul(&c, &c, &d2);
    fe25519_mul(&d, &p->Z, &q->Z);
    fe25519_add_lazy(&d, &d, &d);
    fe25519_sub_lazy(&t.X, &b, &a); /* E */
    fe25519_add_lazy(&t.Y, &b, &a); /* H */
    fe25519_add_lazy(&t.Z, &d, &c); /* G */
    fe25519_sub_lazy(&t.T, &d, &c); /* F */
    ge25519_p1p1_to_p3(r, &t);
}

void ge25519_sub(ge25519 *r, const ge25519 *p, const ge25519 *q)
{
    static const fe25519 d2 = FE25519_D2_INIT;
    fe25519 a, b, c, d, u;
    ge25519_p1p1 t;
    fe25519_sub_lazy(&a, &p->Y, &p->X);
    fe25519_add_lazy(&u, &q->Y, &q->X); /* -q swaps Y+X and Y-X */
    fe25519_mul(&a, &a, &u);
    fe25519_add_lazy(&b, &p->Y, &p->X);
    fe25519_sub_lazy(&u, &q->Y, &q->X);
    fe25519_mul(&b, &b, &u);
    fe25519_mul(&c, &p->T, &q->T);
    fe25519_mul(&c, &c, &d2); /* and negates T: G and F trade places */
    fe25519_mul(&d, &p->Z, &q->Z);
    fe25519_add_lazy(&d, &d, &d);
    fe25519_sub_lazy(&t.X, &b, &a);
    fe25519_add_lazy(&t.Y, &b, &a);
    fe25519_sub_lazy(&t.Z, &d, &c);
    fe25519_add_lazy(&t.T, &d, &c);
    ge25519_p1p1_to_p3(r, &t);
}

void ge25519_dbl(ge25519 *r, const ge25519 *p)
{
    ge25519_p1p1 t;
    ge25519_p3_dbl(&t, p);
    ge25519_p1p1_to_p3(r, &t);
}

void ge25519_neg(ge25519 *r, const ge25519 *p)
{
    fe25519_neg(&r->X, &p->X);
    r->Y = p->Y;
    r->Z = p->Z;
    fe25519_neg(&r->T, &p->T);
}

/* RFC 9496 §4.3.3: x1·y2 == y1·x2 or y1·y2 == x1·x2 (the Z factors cancel in
 * projective coordinates). This identifies the four representatives P + E[4]. */
int ge25519_eq(const ge25519 *p, const ge25519 *q)
{
    fe25519 a, b, c, d;
    fe25519_mul(&a, &p->X, &q->Y);
    fe25519_mul(&b, &p->Y, &q->X);
    fe25519_mul(&c, &p->Y, &q->Y);
    fe25519_mul(&d, &p->X, &q->X);
    return fe25519_eq(&a, &b) | fe25519_eq(&c, &d);
}

/* The identity's coset is {(0, ±1), (±i, 0)}: X = 0 or Y = 0. */
int ge25519_is_identity(const ge25519 *p)
{
    return fe25519_iszero(&p->X) | fe25519_iszero(&p->Y);
}

void ge25519_cmov(ge25519 *r, const ge25519 *p, unsigned flag)
{
    fe25519_cmov(&r->X, &p->X, flag);
    fe25519_cmov(&r->Y, &p->Y, flag);
    fe25519_cmov(&r->Z, &p->Z, flag);
    fe25519_cmov(&r->T, &p->T, flag);
}

void ge25519_batch_to_niels(ge25519_niels *out, size_t stride, const ge25519 *p, size_t n,
                            fe25519 *scratch)
{
    static const fe25519 d2 = FE25519_D2_INIT;
    if (n == 0) return;
    /* Montgomery's trick: scratch[i] = Z_0 ··· Z_i, one inversion, then walk back. */
    scratch[0] = p[0].Z;
    for (size_t i = 1; i < n; i++)
        fe25519_mul(&scratch[i], &scratch[i - 1], &p[i].Z);
    fe25519 inv, zinv, x, y;
    fe25519_invert(&inv, &scratch[n - 1]);
    for (size_t i = n; i-- > 0;) {
        if (i > 0) {
            fe25519_mul(&zinv, &inv, &scratch[i - 1]);
            fe25519_mul(&inv, &inv, &p[i].Z);
        } else {
            zinv = inv;
        }
        ge25519_niels *o = (ge25519_niels *)((char *)out + i * stride);
        fe25519_mul(&x, &p[i].X, &zinv);
        fe25519_mul(&y, &p[i].Y, &zinv);
        fe25519_add(&o->yplusx, &y, &x);
        fe25519_sub(&o->yminusx, &y, &x);
        fe25519_mul(&o->xy2d, &x, &y);
        fe25519_mul(&o->xy2d, &o->xy2d, &d2);
    }
}
