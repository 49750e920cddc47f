/* sc25519: scalars mod ℓ = 2^252 + 27742317777372353535851937790883648493,
 * canonical 32-byte little-endian. The arithmetic wraps libsodium's
 * crypto_core_ristretto255_scalar_* (constant time: ref10-style reductions
 * without secret branches); the conversions and the radix-16 recoding for the
 * table multiplications are ours. */
#include <sodium.h>
#include <string.h>

#include "cryptonn/status.h"
#include "group/ge25519_internal.h"
#include "util/util.h"

/* ℓ, little-endian. */
static const uint8_t sc_l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                 0xa2, 0xde, 0xf9, 0xde, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10};

void sc25519_random(sc25519 *r)
{
    crypto_core_ristretto255_scalar_random(r->v);
}

/* Constant time in v: |v| and its sign come from masks, and both v and -v
 * are computed. */
void sc25519_from_i64(sc25519 *r, int64_t v)
{
    const uint64_t sign = (uint64_t)0 - ((uint64_t)v >> 63); /* all ones if v < 0 */
    const uint64_t mag = ((uint64_t)v ^ sign) - sign;        /* |v|, INT64_MIN included */
    sc25519 pos, neg;
    memset(pos.v, 0, sizeof pos.v);
    cn_store_u64(pos.v, mag);
    crypto_core_ristretto255_scalar_negate(neg.v, pos.v);
    const uint8_t m = (uint8_t)sign;
    for (int i = 0; i < 32; i++)
        r->v[i] = (uint8_t)(pos.v[i] ^ (m & (pos.v[i] ^ neg.v[i])));
    cn_wipe(&pos, sizeof pos);
    cn_wipe(&neg, sizeof neg);
}

void sc25519_reduce64(sc25519 *r, const uint8_t in[64])
{
    uint8_t t[64];
    memcpy(t, in, 64); /* libsodium's reduce takes a non-const input */
    crypto_core_ristretto255_scalar_reduce(r->v, t);
    cn_wipe(t, sizeof t);
}

/* Constant time: a borrow-propagating comparison in < ℓ. */
int sc25519_is_canonical(const uint8_t in[32])
{
    unsigned borrow = 0;
    for (int i = 0; i < 32; i++)
        borrow = ((unsigned)in[i] - sc_l[i] - borrow) >> 31 & 1;
    return (int)borrow; /* in - ℓ borrows exactly when in < ℓ */
}

void sc25519_add(sc25519 *r, const sc25519 *a, const sc25519 *b)
{
    crypto_core_ristretto255_scalar_add(r->v, a->v, b->v);
}

void sc25519_sub(sc25519 *r, const sc25519 *a, const sc25519 *b)
{
    crypto_core_ristretto255_scalar_sub(r->v, a->v, b->v);
}

void sc25519_mul(sc25519 *r, const sc25519 *a, const sc25519 *b)
{
    crypto_core_ristretto255_scalar_mul(r->v, a->v, b->v);
}

void sc25519_neg(sc25519 *r, const sc25519 *a)
{
    crypto_core_ristretto255_scalar_negate(r->v, a->v);
}

/* No branch on a: libsodium computes a^(ℓ-2) either way and reports zero
 * through its return value, which only the caller branches on. */
int sc25519_invert(sc25519 *r, const sc25519 *a)
{
    sc25519 t;
    const int zero = crypto_core_ristretto255_scalar_invert(t.v, a->v) != 0;
    for (int i = 0; i < 32; i++)
        r->v[i] = (uint8_t)(t.v[i] & (zero - 1)); /* 0 for a = 0 */
    cn_wipe(&t, sizeof t);
    return (int)((unsigned)CRYPTONN_ERR_ARG & (0u - (unsigned)zero)); /* CRYPTONN_OK = 0 */
}

int sc25519_is_zero(const sc25519 *a)
{
    unsigned d = 0;
    for (int i = 0; i < 32; i++)
        d |= a->v[i];
    return (int)(1 & ((d - 1) >> 8));
}

void sc25519_recode_radix16(int8_t e[64], const sc25519 *k)
{
    for (int i = 0; i < 32; i++) {
        e[2 * i] = (int8_t)(k->v[i] & 15);
        e[2 * i + 1] = (int8_t)(k->v[i] >> 4);
    }
    /* Carry: digits in [0, 15] become [-8, 7], the excess moving up. The
     * arithmetic shift of a signed value is what GCC and Clang do (and C23
     * requires); every compiler we support defines it so. */
    int8_t carry = 0;
    for (int i = 0; i < 63; i++) {
        e[i] = (int8_t)(e[i] + carry);
        carry = (int8_t)((e[i] + 8) >> 4);
        e[i] = (int8_t)(e[i] - carry * 16);
    }
    e[63] = (int8_t)(e[63] + carry);
}
