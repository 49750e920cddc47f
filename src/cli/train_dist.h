/* `mpirun -np N cryptonn train --secure ...`: the job's ranks around the
 * secure training of secure_run.c (cryptonn/dist.h has the rules).
 *
 * Rank 0 runs cli_secure_run as one process would: it alone opens the
 * authority, writes the model, checkpoints, log and report, and prints.
 * Ranks 1..N-1 run a worker: the same epochs and secure predictions in
 * lockstep, their share of every decryption, no files and no authority.
 * Before the first batch every rank takes rank 0's model (configuration,
 * parameters, momentum, position) from cryptonn_dist_share_model, so a
 * resumed or a fresh run starts from one state on every rank. */
#ifndef CRYPTONN_CLI_TRAIN_DIST_H
#define CRYPTONN_CLI_TRAIN_DIST_H

#include "cli/secure_run.h"

/* Runs the job on this rank: joins the ranks when launched by mpirun or
 * when want_mpi (--mpi), then rank 0 or a worker. Returns the exit code. */
int cli_train_dist_run(const cli_secure_job *j, int want_mpi);

#endif
