/* The public API's opaque handles (include/cryptonn/{authority,owner,
 * encdata,transport,server}.h): each wraps the protocol or secure layer's
 * object it stands for, so the public functions stay thin and the internal
 * types never reach a public header. */
#ifndef CRYPTONN_PROTOCOL_API_INTERNAL_H
#define CRYPTONN_PROTOCOL_API_INTERNAL_H

#include "cryptonn/authority.h"
#include "cryptonn/encdata.h"
#include "cryptonn/owner.h"
#include "cryptonn/server.h"
#include "cryptonn/transport.h"
#include "protocol/authority.h"
#include "protocol/http.h"
#include "protocol/client.h"
#include "secure/dist.h"
#include "secure/report.h"
#include "secure/train.h"

struct cryptonn_authority {
    cn_authority *a;
    cn_policy pol;
};

struct cryptonn_encdata {
    cn_encdata *d;
};

/* wire carries the messages (cryptonn_keyservice_call); ks is the trainer's
 * typed view of it. Heap-allocated, so ks can point at wire. */
struct cryptonn_keyservice {
    cn_keywire wire;
    cn_keysource ks;
    cn_http_client *http;     /* NULL in process */
    cn_dist_keywire_ctx dist; /* cryptonn_keyservice_dist: the wrapped service */
};

struct cryptonn_owner {
    cn_enc_params p;
    cn_enc_mpks k;
    cn_owner_secret s; /* secret: wiped on close */
    int have_secret;
};

struct cryptonn_trainer {
    cn_server *srv;
    const cryptonn_encdata *train;
    cn_secure_opts o;
    int (*on_batch)(void *ctx, uint32_t epoch, uint64_t batches_done); /* the caller's */
    void *on_batch_ctx;
    cn_train_report *rep; /* the epochs run so far (cryptonn_trainer_report) */
};

/* The leakage report of a's mode and counters into *r, pointing into lk,
 * spec and hex (which must outlive it). */
void cn_api_leak_report(const cryptonn_authority *a, cn_leak_mpk lk[3], char spec[64],
                        char hex[17], cn_leak_report *r);

/* The public description of a committed layer (NULL: CRYPTONN_ERR_NOT_FOUND). */
int cn_api_layer_desc(const cn_fl_layer *l, cryptonn_layer_desc *out);

#endif
