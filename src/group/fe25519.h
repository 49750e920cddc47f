/* fe25519: arithmetic in GF(p), p = 2^255 - 19, radix 2^51 (five 64-bit limbs,
 * products in unsigned __int128).
 * CONTRACT (being implemented): every function below is `static inline`, and
 * constant time unless its name ends in _var.
 *   fe25519_0(h), fe25519_1(h), fe25519_copy(h,f)
 *   fe25519_add(h,f,g), fe25519_sub(h,f,g), fe25519_neg(h,f)
 *   fe25519_mul(h,f,g), fe25519_sq(h,f), fe25519_sq2(h,f) (2f^2), fe25519_mul_small(h,f,uint32 c)
 *   fe25519_invert(h,f), fe25519_pow22523(h,f)
 *   fe25519_sqrt_ratio_m1(h,u,v) -> int (RFC 9496 SQRT_RATIO_M1: 1 if u/v square)
 *   fe25519_tobytes(uint8_t s[32], f) canonical, fe25519_frombytes(h, s) (ignores top bit)
 *   fe25519_iszero(f), fe25519_isnegative(f) (low bit of canonical form), fe25519_eq(f,g)
 *   fe25519_cmov(h,f,flag), fe25519_cneg(h,f,flag), fe25519_abs(h,f)
 * Limbs are kept below 2^52 between operations (add/sub reduce as needed). */
#ifndef CRYPTONN_FE25519_H
#define CRYPTONN_FE25519_H

#include <stdint.h>

typedef struct {
    uint64_t v[5];
} fe25519;

#endif
