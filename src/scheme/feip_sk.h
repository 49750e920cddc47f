/* feip_sk: the inner product <y, s> mod ℓ of a public small key vector with
 * the secret msk, constant time in s (feip_sk.c). |val[j]| < 2^31; idx NULL
 * means val is dense over s[0..nnz). */
#ifndef CRYPTONN_SCHEME_FEIP_SK_H
#define CRYPTONN_SCHEME_FEIP_SK_H

#include <stddef.h>
#include <stdint.h>

#include "group/group.h"

void feip_inner_sk(sc25519 *sk, const sc25519 *s, const uint32_t *idx, const int64_t *val,
                   size_t nnz);

#endif
