/* cryptonn_dlog: bounded discrete logarithms in ristretto255.
 *
 * Every FE decryption ends with a group element g^m for a small integer m; the
 * solver finds m when |m| <= bound and fails with CRYPTONN_ERR_RANGE otherwise
 * (a wrong key or a ciphertext under another key gives a random element, so it
 * lands here too). Never a wrong value: a baby-step match compares a tag of
 * 64 - bitlen(2T+1) bits of the fingerprint (a chance match about 2^-44 per
 * lookup at the default T), and a giant-step match is confirmed by
 * recomputing g^m.
 *
 * Cost: one fingerprint when |m| <= T; about 2·|m|/(2T+1) more otherwise. A
 * result out of range (or a wrong key) walks every giant step:
 * bound/(2T+1) of them, so keep bound/T modest (the default T = 2^18 with a
 * bound of 2^24 costs ~32 steps).
 *
 * Method: baby steps g^k for |k| <= T in a hash table keyed by the group
 * fingerprint, then giant steps of size 2T+1 in both directions up to the
 * bound. Lookups cost one fingerprint (batched: one field inversion for many
 * results) per giant step. The table can be cached on disk (checksummed
 * container, kind "DLOG"); a missing, corrupted or stale cache is rebuilt.
 * After creation the solver is read-only: any number of threads may use one. */
#ifndef CRYPTONN_DLOG_H
#define CRYPTONN_DLOG_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cryptonn_dlog cryptonn_dlog;

/* Largest supported bound and table half-width. */
#define CRYPTONN_DLOG_MAX_BOUND ((uint64_t)1 << 48)
#define CRYPTONN_DLOG_MAX_TABLE ((uint64_t)1 << 26)

/* Creates a solver for |m| <= bound with a baby-step table of half-width
 * table_half (T, clamped to bound; 0 picks a default of min(bound, 2^18)).
 * cache_path: a file to load the table from (if it exists, is intact and
 * matches T) or to save it to after building; NULL disables caching. A cache
 * that cannot be written is not an error (the solver works without it).
 * Returns CRYPTONN_OK, CRYPTONN_ERR_ARG (bound 0 or too large), or
 * CRYPTONN_ERR_NOMEM; *out is NULL on failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_dlog_create(cryptonn_dlog **out, uint64_t bound,
                                                           uint64_t table_half,
                                                           const char *cache_path);
CRYPTONN_API void cryptonn_dlog_destroy(cryptonn_dlog *d);

CRYPTONN_API uint64_t cryptonn_dlog_bound(const cryptonn_dlog *d);
CRYPTONN_API uint64_t cryptonn_dlog_table_half(const cryptonn_dlog *d);
/* 1 if the table came from the cache file, 0 if it was built. */
CRYPTONN_API int cryptonn_dlog_from_cache(const cryptonn_dlog *d);

/* Solves enc = g^m for one 32-byte ristretto255 encoding. Returns
 * CRYPTONN_OK (m in *m), CRYPTONN_ERR_ENCODING, or CRYPTONN_ERR_RANGE
 * (*m = 0 on failure). Variable time: the input is public. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_dlog_solve_var(const cryptonn_dlog *d,
                                                              const uint8_t enc[32], int64_t *m);

#ifdef __cplusplus
}
#endif
#endif
