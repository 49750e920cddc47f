/* `mpirun -np N cryptonn train --secure ...`: the job's ranks around the
 * secure training of secure_run.c (src/secure/dist.h has the rules).
 *
 * Rank 0 runs cli_secure_run as one process would: it alone opens the
 * authority, writes the model, checkpoints, log and report, and prints.
 * Ranks 1..N-1 run cli_secure_worker: the same epochs and secure
 * predictions in lockstep, their share of every decryption, no files and no
 * authority. Before the first batch every rank takes rank 0's model
 * (configuration, parameters, momentum, position) from cli_dist_sync, so a
 * resumed or a fresh run starts from one state on every rank. */
#ifndef CRYPTONN_CLI_TRAIN_DIST_H
#define CRYPTONN_CLI_TRAIN_DIST_H

#include "cli/secure_run.h"

/* Runs the job on this rank: joins the ranks when launched by mpirun or
 * when want_mpi (--mpi), then rank 0 or a worker. Returns the exit code. */
int cli_train_dist_run(const cli_secure_job *j, int want_mpi);

/* Every rank at the same point before its first batch: rc is this rank's
 * setup status (all ranks stop if one failed). Rank 0 passes its cfg and
 * model; a worker passes *m == NULL and gets a model made from rank 0's
 * configuration with rank 0's parameters (max batch `batch`, `threads`).
 * first_epoch and start_batch become rank 0's. */
int cli_dist_sync(int rc, cryptonn_model_config *cfg, cryptonn_model **m, uint32_t batch,
                  uint32_t threads, uint32_t *first_epoch, uint64_t *start_batch);

/* cn_secure_opts.on_batch for --checkpoint-every: ctx is a cli_ckpt_every. */
typedef struct {
    cryptonn_model *m;
    const char *path;
    uint64_t every;
} cli_ckpt_every;
int cli_checkpoint_on_batch(void *ctx, uint32_t epoch, uint64_t done, const cn_secure_stats *st);

#endif
