/* cryptonn_smc: secure matrix computation (CryptoNN paper §III-C).
 *
 * Alice encrypts the l rows of X (l×n) under one FEIP mpk of width n; Bob
 * receives from the authority one key per column of Y (n×m) and decrypts
 * XY (l×m), learning nothing else about X (beyond what XY implies). The role
 * functions below are the three steps; cryptonn_smc_multiply runs them all in
 * one process. Matrices are row-major int64. */
#ifndef CRYPTONN_SMC_H
#define CRYPTONN_SMC_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/dlog.h"
#include "cryptonn/feip.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Alice: cts[i] = Enc(row i of X), |X_ij| < 2^bits; the l ciphertexts are
 * the caller's (created with width n). Parallel across rows. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_smc_encrypt_rows(const cryptonn_feip_encryptor *enc,
                                                                const int64_t *X, size_t l,
                                                                size_t n, unsigned bits,
                                                                cryptonn_feip_ct *const *cts);
/* Authority: appends the m column keys of Y (n×m) to keys. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_smc_keygen_cols(const cryptonn_feip_msk *msk,
                                                               cryptonn_feip_keys *keys,
                                                               const int64_t *Y, size_t n,
                                                               size_t m);
/* Bob: XY[i·m + j] = <row i, key j> for the first m keys. Returns OK or the
 * first failure (CRYPTONN_ERR_RANGE, CRYPTONN_ERR_MISMATCH, NOMEM). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_smc_decrypt(cryptonn_feip_decryptor *dec,
                                                           const cryptonn_feip_ct *const *cts,
                                                           size_t l, const cryptonn_feip_keys *keys,
                                                           size_t m, int64_t *XY);

/* The worst |(XY)_ij| from the data: max_i |X_i| · max_j ||Y_j||_1 (what a
 * dlog bound must cover). RANGE beyond 2^62. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_smc_bound(const int64_t *X, size_t l, size_t n,
                                                         const int64_t *Y, size_t m,
                                                         uint64_t *bound);

/* All three roles in-process with a fresh mpk. Checks the bound against d
 * first (CRYPTONN_ERR_RANGE before any work if XY may not fit). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_smc_multiply(const cryptonn_dlog *d,
                                                            const int64_t *X, size_t l, size_t n,
                                                            const int64_t *Y, size_t m,
                                                            int64_t *XY);

#ifdef __cplusplus
}
#endif
#endif
