/* cryptonn: neural-network training on functionally encrypted data.
 * Umbrella header: includes every public header. */
#ifndef CRYPTONN_H
#define CRYPTONN_H
#include "cryptonn/status.h"
#include "cryptonn/version.h"
#include "cryptonn/dlog.h"
#include "cryptonn/febo.h"
#include "cryptonn/feip.h"
#include "cryptonn/fixedpoint.h"
#include "cryptonn/smc.h"
#include "cryptonn/nn.h"
#include "cryptonn/data.h"
#include "cryptonn/authority.h"
#include "cryptonn/encdata.h"
#include "cryptonn/transport.h"
#include "cryptonn/owner.h"
#include "cryptonn/server.h"
#include "cryptonn/util.h"
#include "cryptonn/audit.h"
#include "cryptonn/dist.h"
#endif
