/* feip (internal): the representation behind the opaque FEIP types.
 *
 * Invariants: n >= 1; every object of one mpk carries that mpk's id
 * (feip_compute_id over its encodings); keys store only non-zero values with
 * strictly increasing indices < n, |val| < 2^31, and off[count] == nnz;
 * bits[i] is the bit length of key i's largest |val| (0 for the zero key). */
#ifndef CRYPTONN_FEIP_INTERNAL_H
#define CRYPTONN_FEIP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/feip.h"
#include "group/group.h"

#define FEIP_ID_BYTES 16
#define FE_GROUP_RISTRETTO255 1u

struct cryptonn_feip_mpk {
    size_t n;
    uint8_t id[FEIP_ID_BYTES];
    ge25519 *h;
};

struct cryptonn_feip_msk {
    size_t n;
    uint8_t id[FEIP_ID_BYTES];
    sc25519 *s; /* secret: wiped on destroy */
};

struct cryptonn_feip_ct {
    size_t n;
    uint8_t id[FEIP_ID_BYTES];
    ge25519 c0;
    ge25519 *c;
};

struct cryptonn_feip_keys {
    size_t n; /* width; 0 while empty */
    uint8_t id[FEIP_ID_BYTES];
    size_t count, cap;
    size_t nnz, nnz_cap;
    size_t *off; /* cap + 1 */
    uint8_t *bits;
    sc25519 *sk;
    uint32_t *idx;
    int64_t *val;
};

/* id = BLAKE2b-128("cryptonn feip mpk v1" || n || encodings of h). */
void feip_compute_id(uint8_t id[FEIP_ID_BYTES], const ge25519 *h, size_t n);
/* Allocates an mpk/msk/ct shell of width n with zeroed contents. */
cryptonn_feip_mpk *feip_mpk_alloc(size_t n);
cryptonn_feip_msk *feip_msk_alloc(size_t n);
/* Appends one key without a secret (import path): values already validated. */
int feip_keys_append_raw(cryptonn_feip_keys *keys, const uint32_t *idx, const int64_t *val,
                         size_t nnz, const sc25519 *sk);

#endif
