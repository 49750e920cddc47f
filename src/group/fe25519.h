/* fe25519: arithmetic in GF(p), p = 2^255 - 19, radix 2^51 (five 64-bit limbs,
 * products in unsigned __int128).
 * (To be filled in: the type and the declarations below are the contract the
 * rest of the group layer codes against.) */
#ifndef CRYPTONN_FE25519_H
#define CRYPTONN_FE25519_H

#include <stdint.h>

typedef struct {
    uint64_t v[5];
} fe25519;

#endif
