/* cryptonn dist: data-parallel secure training over the ranks of one mpirun
 * job (Open MPI; DESIGN.md §6).
 *
 * Every rank opens the same encrypted dataset, holds the same model and runs
 * the same plaintext steps; only the decryptions are split: each rank
 * decrypts its share of every phase and the shares are gathered in rank
 * order, so the model is the same bit for bit as one process's with the same
 * threads. Rank 0 alone talks to the authority: its key service, wrapped by
 * cryptonn_keyservice_dist, broadcasts every answer to the other ranks, whose
 * wrapped service has no authority behind it (so the authority counts every
 * key once). Owners' encryption (cryptonn_owner_encrypt*) splits the batches
 * between the ranks in the same way.
 *
 * MPI is process-wide, and so is this module: one job per process. Before
 * cryptonn_dist_start, or in a build without MPI, there is one rank and the
 * calls below do nothing and succeed, except cryptonn_dist_start itself. A
 * rank that dies ends the whole job (mpirun's rule): checkpoints are what
 * survive it. */
#ifndef CRYPTONN_DIST_H
#define CRYPTONN_DIST_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/nn.h"
#include "cryptonn/status.h"
#include "cryptonn/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 1 when this build has MPI. */
CRYPTONN_API int cryptonn_dist_available(void);
/* 1 when the process was launched by Open MPI's mpirun (its environment). */
CRYPTONN_API int cryptonn_dist_launched(void);
/* Joins the job's ranks. Idempotent. CRYPTONN_ERR_ARG with msg "built
 * without MPI" in a build without MPI; CRYPTONN_ERR_NET when MPI cannot
 * start. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_dist_start(char *msg, size_t msg_len);
/* Leaves the job after the ranks' last transfer (no-op when not started). */
CRYPTONN_API void cryptonn_dist_stop(void);
/* Ends every rank of the job now with this exit code: a rank that stops
 * early would leave the others waiting for it. Exits too with one rank. */
CRYPTONN_API void cryptonn_dist_abort(int code);
/* This rank (0 .. size-1) and the job's ranks (1 before cryptonn_dist_start). */
CRYPTONN_API int cryptonn_dist_rank(void);
CRYPTONN_API int cryptonn_dist_size(void);

/* The same status on every rank: CRYPTONN_OK if every rank passed it, else
 * the first-declared failure among them (CRYPTONN_ERR_NET: a transfer
 * failed). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_dist_agree(int rc);

/* A key service for a distributed trainer: on rank 0 every request goes
 * through inner (which must outlive *out) and the answer is broadcast; on
 * the other ranks inner may be NULL and the answer comes from rank 0, after
 * a check that both ranks built the same request (CRYPTONN_ERR_INTERNAL:
 * the ranks drifted apart). Every rank's trainer must use one, and all must
 * make the same calls in the same order. Free with cryptonn_keyservice_destroy. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_keyservice_dist(cryptonn_keyservice **out,
                                                               cryptonn_keyservice *inner);

/* Every rank at one point before its first batch, taking rank 0's model
 * state: rc is this rank's setup status (every rank returns the first
 * failure if one failed). Rank 0 passes its cfg and model; another rank
 * passes *m == NULL and gets a model made from rank 0's configuration
 * (cryptonn_model_create with batch and threads) holding rank 0's
 * parameters and momentum. *epoch and *batches_done become rank 0's (where
 * a resumed run starts). With one rank it returns rc and changes nothing. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_dist_share_model(int rc,
                                                                cryptonn_model_config *cfg,
                                                                cryptonn_model **m,
                                                                uint32_t batch, uint32_t threads,
                                                                uint32_t *epoch,
                                                                uint64_t *batches_done);

#ifdef __cplusplus
}
#endif
#endif
