/* cryptonn: neural-network training on functionally encrypted data.
 * Umbrella header: includes every public header. */
#ifndef CRYPTONN_H
#define CRYPTONN_H
#include "cryptonn/status.h"
#endif
