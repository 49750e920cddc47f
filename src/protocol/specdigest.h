/* The data spec's digest kept in owner.key: owners who encrypt under a spec
 * other than the one keygen was given (other offsets or scales, not only
 * another shape) would mix records scaled differently in one training set
 * without any error; encrypt compares digests to refuse that. The digest
 * stays with the owners (owner.key, never sent to the server): the spec's
 * statistics are theirs. */
#ifndef CRYPTONN_PROTOCOL_SPECDIGEST_H
#define CRYPTONN_PROTOCOL_SPECDIGEST_H

#include <stdint.h>

#include "cryptonn/data.h"

#define CN_SPEC_DIGEST_BYTES 32

/* BLAKE2b-256 of every field that decides how a record is encrypted
 * (feature names and order, offsets, scales, bound, shape, fixed point,
 * label column, task, classes and their names, the target's scaling), in a
 * fixed binary layout: the same spec read from differently formatted JSON
 * gives the same digest; `records` (informational) is left out. */
int cn_spec_digest(const cryptonn_data_spec *s, uint8_t out[CN_SPEC_DIGEST_BYTES]);

#endif
