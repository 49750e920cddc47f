/* dist: data-parallel secure training over Open MPI ranks (DESIGN §6).
 *
 * The ranks of one `mpirun` job form one process-wide group (MPI itself is
 * process-wide, so this module is too). Every rank holds the same model and
 * runs the same plaintext steps on the same numbers; only the decryptions
 * are split: each rank decrypts its contiguous share of a phase's results
 * (cn_dist_share) and the shares are gathered in rank order, so every rank
 * ends with the same exact integers whatever the number of ranks, and the
 * model is the same bit for bit as a one-process run with the same threads.
 *
 * Rank 0 alone talks to the authority: cn_dist_keywire (protocol/keyreq.h)
 * wraps its key wire and broadcasts each response (every key is requested once, so the
 * authority's accounting is unchanged). The other ranks build the same
 * request themselves (they need its vectors to rebuild the keys) and check
 * it against a digest of rank 0's: ranks that drifted apart stop with
 * CRYPTONN_ERR_INTERNAL instead of decrypting with keys for other vectors.
 *
 * Without cn_dist_start (no mpirun), or in a build without MPI, there is one
 * rank and every call below is a no-op that returns CRYPTONN_OK. A failed
 * transfer returns CRYPTONN_ERR_NET; a rank that dies ends the whole job
 * (mpirun's rule), so the last checkpoint is what survives it.
 *
 * Any thread may call the transfers below, one thread at a time
 * (MPI_THREAD_SERIALIZED): the caller serializes them. */
#ifndef CRYPTONN_SECURE_DIST_H
#define CRYPTONN_SECURE_DIST_H

#include <stddef.h>
#include <stdint.h>


/* 1 when this build has MPI. */
int cn_dist_available(void);
/* 1 when the process was launched by Open MPI's mpirun (its environment). */
int cn_dist_launched(void);
/* Joins the job's ranks (MPI_Init). Returns CRYPTONN_OK, or
 * CRYPTONN_ERR_ARG with msg "built without MPI" when this build has none,
 * or CRYPTONN_ERR_NET when MPI cannot start. Idempotent. */
int cn_dist_start(char *msg, size_t msg_len);
/* Leaves the job (MPI_Finalize) after the ranks' last transfer. */
void cn_dist_stop(void);
/* Ends every rank of the job now, with the given exit code. */
void cn_dist_abort(int code);

int cn_dist_rank(void); /* 0 without MPI */
int cn_dist_size(void); /* 1 without MPI */

/* This rank's share [lo, hi) of n items: contiguous, in rank order. */
void cn_dist_share(uint64_t n, uint64_t *lo, uint64_t *hi);
/* Rank r's share of n items among `size` ranks when rank 0 takes
 * lead/65536 of them and the other ranks split the rest evenly (lead 0:
 * cn_dist_share's even split). Rank 0 also serves the authority's
 * requests: a smaller share lets the others' decryptions fill that time. */
void cn_dist_range(uint64_t n, uint32_t lead, int r, int size, uint64_t *lo, uint64_t *hi);

/* len bytes from rank 0 to every rank. */
int cn_dist_bcast(void *buf, size_t len);
/* buf holds n rows of row_bytes; each rank has filled the rows of its
 * cn_dist_share(n); afterwards every rank holds all n rows. */
int cn_dist_gather_rows(void *buf, size_t row_bytes, uint64_t n);
/* The same with the shares of cn_dist_range(n, lead, ·). */
int cn_dist_gather_lead(void *buf, size_t row_bytes, uint64_t n, uint32_t lead);
/* The same status on every rank: CRYPTONN_OK if all ranks passed OK, else
 * the lowest (first-declared) failure among them. A transfer failure is
 * CRYPTONN_ERR_NET. */
int cn_dist_agree(int rc);
/* Sum of v over the ranks, on every rank. */
uint64_t cn_dist_sum_u64(uint64_t v);

/* Bytes this rank has received from other ranks since the start. */
uint64_t cn_dist_bytes_received(void);
/* CPU time the calling thread spent inside the transfers above since
 * the start, mostly waiting for slower ranks (a waiting rank spins or
 * yields): the rank's CPU time minus this is its own work. */
uint64_t cn_dist_wait_cpu_ns(void);

#endif
