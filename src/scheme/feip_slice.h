/* feip_slice: one FEIP decryption split by slots across processes
 * (secure/dist.h: the first-layer gradient of a batch ciphertext).
 *
 * A slice holds ct_0 and the slots [off, off + n) of a ciphertext of width
 * N. It carries its mpk's id but width n, so every whole-ciphertext function
 * (cryptonn_feip_decrypt_*, which compare widths) refuses it with
 * CRYPTONN_ERR_MISMATCH unless n = N; only the functions below take it,
 * with its offset. For a key y, the partial point of a slice is
 * P = Σ_{off <= j < off + n} y_j·ct_j; the partial points of slices that
 * partition [0, N) add up to Σ_j y_j·ct_j, whatever their order (exact group
 * arithmetic), and cn_feip_finish_keys_var subtracts sk·ct_0 and solves the
 * discrete log, which gives ⟨x, y⟩ as one whole decryption would.
 *
 * Partial points travel as 32-byte ristretto255 encodings. Variable time:
 * the server decrypts only what its keys reveal anyway. */
#ifndef CRYPTONN_SCHEME_FEIP_SLICE_H
#define CRYPTONN_SCHEME_FEIP_SLICE_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/feip.h"

/* The slice [lo, hi) of the IPCT container buf (cryptonn_feip_ct_import's
 * input): only ct_0 and those slots are decoded. CRYPTONN_ERR_ARG when
 * lo >= hi or hi exceeds the ciphertext's width; otherwise the errors of
 * cryptonn_feip_ct_import. */
int cn_feip_ct_import_slice(cryptonn_feip_ct **out, const uint8_t *buf, size_t len, size_t lo,
                            size_t hi);

/* out[32·k] = the encoded partial point of key first + k over the slice
 * that p was set to (cryptonn_feip_prepared_set_var), which starts at slot
 * off of a ciphertext of the keys' mpk, for k < count. Runs on the
 * decryptor's threads. CRYPTONN_ERR_MISMATCH when the slice is not of the
 * keys' mpk or does not fit in its width. */
int cn_feip_partial_keys_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *p,
                             size_t off, const cryptonn_feip_keys *keys, size_t first,
                             size_t count, uint8_t *out);

/* The results of keys first .. first + count − 1: parts holds nparts rows
 * of count encoded partial points (row r, key k at 32·(r·count + k)) from
 * slices that partition the ciphertext; p is any slice of it (only its ct_0
 * is used). out and status as cryptonn_feip_decrypt_keys_var; an invalid
 * encoding gives CRYPTONN_ERR_ENCODING for its key. */
int cn_feip_finish_keys_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *p,
                            const cryptonn_feip_keys *keys, size_t first, size_t count,
                            const uint8_t *parts, size_t nparts, int64_t *out, int *status);

#endif
