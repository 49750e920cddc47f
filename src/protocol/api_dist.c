/* The public MPI API (cryptonn/dist.h) over the secure layer's ranks
 * (secure/dist.h): the job, the key service that broadcasts rank 0's
 * answers, and rank 0's model state handed to every rank. */
#include "cryptonn/dist.h"

#include <stdlib.h>

#include "protocol/api_internal.h"
#include "util/util.h"

int cryptonn_dist_available(void) { return cn_dist_available(); }
int cryptonn_dist_launched(void) { return cn_dist_launched(); }
int cryptonn_dist_start(char *msg, size_t msg_len) { return cn_dist_start(msg, msg_len); }
void cryptonn_dist_stop(void) { cn_dist_stop(); }
void cryptonn_dist_abort(int code) { cn_dist_abort(code); }
int cryptonn_dist_rank(void) { return cn_dist_rank(); }
int cryptonn_dist_size(void) { return cn_dist_size(); }
int cryptonn_dist_agree(int rc) { return cn_dist_agree(rc); }

int cryptonn_keyservice_dist(cryptonn_keyservice **out, cryptonn_keyservice *inner)
{
    CN_ARG_CHECK(out && (inner || cn_dist_rank() != 0));
    cryptonn_keyservice *k = calloc(1, sizeof *k);
    *out = k;
    if (!k) return CRYPTONN_ERR_NOMEM;
    k->wire = cn_dist_keywire(&k->dist, inner ? &inner->wire : NULL);
    k->ks = cn_keywire_source(&k->wire);
    return CRYPTONN_OK;
}

int cryptonn_dist_share_model(int rc, cryptonn_model_config *cfg, cryptonn_model **m,
                              uint32_t batch, uint32_t threads, uint32_t *epoch,
                              uint64_t *batches_done)
{
    CN_ARG_CHECK(cfg && m && epoch && batches_done && (*m || cn_dist_rank() != 0));
    if (cn_dist_size() == 1) return rc;
    if ((rc = cn_dist_agree(rc)) != CRYPTONN_OK) return rc;
    rc = cn_dist_bcast(cfg, sizeof *cfg);
    if (rc == CRYPTONN_OK && cn_dist_rank() != 0)
        rc = cryptonn_model_create(cfg, batch, threads, m);
    if ((rc = cn_dist_agree(rc)) != CRYPTONN_OK) return rc;
    const size_t np = cryptonn_model_param_count(*m);
    uint64_t pos[2] = {*epoch, *batches_done};
    rc = cn_dist_bcast(cryptonn_model_params(*m), np * sizeof(float));
    if (rc == CRYPTONN_OK) rc = cn_dist_bcast(cryptonn_model_velocity(*m), np * sizeof(float));
    if (rc == CRYPTONN_OK) rc = cn_dist_bcast(pos, sizeof pos);
    *epoch = (uint32_t)pos[0];
    *batches_done = pos[1];
    return rc;
}
