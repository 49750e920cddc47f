/* fingerprint: canonical 32-byte keys of many points with one inversion.
 *
 * Which invariant. A ristretto255 element is a coset P + E[4] with P in 2E
 * (E ≅ Z/8 × Z/ℓ, E[4] ⊂ 2E). Its double Q = 2P is then fixed up to E[2] =
 * {(0,1), (0,-1)}, and adding (0,-1) maps (x, y) to (-x, -y): the ratio x/y
 * of Q does not depend on the representative. It also tells elements apart:
 * the points with x/y = r ≠ 0 have y^2 among the roots of
 * d·r^2·Y^2 + (r^2 - 1)·Y + 1 = 0, whose product 1/(d·r^2) is a non-square
 * (d is not a square), so only one root is a square and the rational points
 * are exactly ±(x, y): Q' = Q + E[2], the same element. r = 0 is the identity
 * (x = 0, y = ±1). Q in 4E never has y = 0 (those points, (±sqrt(-1), 0),
 * have order 4), so the ratio is always defined.
 *
 * Cost. For P = (X:Y:Z), Q = 2P has x/y = 2XY·(2Z^2 - Y^2 + X^2) /
 * ((Y^2 - X^2)·(Y^2 + X^2)) (the dbl-2008-hwcd outputs E·F / (H·G)). The
 * denominators are batch-inverted (Montgomery's trick: the prefix products
 * in scratch, one inversion, the denominators recomputed on the way back,
 * which is cheaper than storing them); about 4S + 8M per point in total,
 * where an RFC encoding costs an inverse square root (~254 squarings). The
 * fingerprint is the canonical little-endian encoding of x/y (bit 255 clear).
 *
 * Inputs must be valid group elements (outputs of this library): a point
 * outside 2E could make a denominator zero and spoil the whole batch. */
#include "group/ge25519_var.h"

/* den = (Y^2 - X^2)(Y^2 + X^2), and if num != NULL, num = 2XY(2Z^2 - Y^2 + X^2). */
static inline void ratio_terms(fe25519 *num, fe25519 *den, const ge25519 *p)
{
    fe25519 xx, yy, g, h;
    fe25519_sq(&xx, &p->X);
    fe25519_sq(&yy, &p->Y);
    fe25519_sub_lazy(&g, &yy, &xx);
    fe25519_add_lazy(&h, &yy, &xx);
    fe25519_mul(den, &g, &h);
    if (!num) return;
    fe25519 e, f;
    fe25519_mul(&e, &p->X, &p->Y);
    fe25519_add_lazy(&e, &e, &e);
    fe25519_sq2(&f, &p->Z);
    fe25519_sub_lazy4(&f, &f, &g);
    fe25519_mul(num, &e, &f);
}

void ge25519_fingerprint_batch_var(uint8_t (*out)[32], const ge25519 *p, size_t n, fe25519 *scratch)
{
    /* eight lanes on IFMA for whole columns of eight, the rest here */
    if (n >= 16 && gev_have_ifma()) {
        const size_t cols = n / 8;
        gev_fingerprint_batch_ifma(out, p, cols, scratch);
        out += 8 * cols;
        p += 8 * cols;
        n -= 8 * cols;
    }
    if (n == 0) return;
    fe25519 num, den, inv, dinv, ratio;
    ratio_terms(NULL, &scratch[0], &p[0]);
    for (size_t i = 1; i < n; i++) {
        ratio_terms(NULL, &den, &p[i]);
        fe25519_mul(&scratch[i], &scratch[i - 1], &den);
    }
    fe25519_invert(&inv, &scratch[n - 1]);
    for (size_t i = n; i-- > 0;) {
        ratio_terms(&num, &den, &p[i]);
        if (i > 0) {
            fe25519_mul(&dinv, &inv, &scratch[i - 1]);
            fe25519_mul(&inv, &inv, &den);
        } else {
            dinv = inv;
        }
        fe25519_mul(&ratio, &num, &dinv);
        fe25519_tobytes(out[i], &ratio);
    }
}
