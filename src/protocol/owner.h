/* owner: the data owners' side of secure prediction. The server returns
 * classes in the permuted labelling π; only owners hold π and the true labels. */
#ifndef CRYPTONN_PROTOCOL_OWNER_H
#define CRYPTONN_PROTOCOL_OWNER_H

#include <stdint.h>

#include "protocol/client.h"

/* Maps permuted predictions back with π⁻¹ (in place) and returns the accuracy
 * against truth; confusion (may be NULL) gets classes × classes counts, row =
 * true class. */
double cn_owner_score(const cn_owner_secret *s, uint8_t *pred, const uint8_t *truth, uint64_t n,
                      uint64_t *confusion);

#endif
