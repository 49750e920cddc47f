/* cryptonn_febo: functional encryption for one basic operation x Δ y,
 * Δ ∈ {+, −, ×, ÷} (CryptoNN paper §III-B; DESIGN.md §1). ElGamal in the
 * exponent; a function key is bound to ONE ciphertext (its commitment).
 *
 *   setup:                 s <-$ Z_l, mpk h = g^s
 *   encrypt(x):            r <-$, cmt = g^r, ct = h^r g^x
 *   keygen(msk, cmt, Δ, y):  +: cmt^s g^{-y}   −: cmt^s g^{y}
 *                            ×: (cmt^s)^y      ÷: (cmt^s)^{y^-1 mod l}
 *   decrypt:               +,−: ct/sk   ×: ct^y/sk   ÷: ct^{y^-1}/sk,
 *                          then the bounded discrete log.
 *
 * ÷ returns CRYPTONN_ERR_NOT_INTEGER when y does not divide x: the solver
 * then also looks for g^x (= (ct^{y^-1}/sk)^y, which the key holder can
 * compute anyway) and reports NOT_INTEGER when x is in range and y ∤ x, or
 * CRYPTONN_ERR_RANGE when even x is out of range. Never a wrong number.
 * Setup, encryption and keygen are constant time in s, r and x. */
#ifndef CRYPTONN_FEBO_H
#define CRYPTONN_FEBO_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/dlog.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    CRYPTONN_FEBO_ADD = 0,
    CRYPTONN_FEBO_SUB = 1,
    CRYPTONN_FEBO_MUL = 2,
    CRYPTONN_FEBO_DIV = 3
} cryptonn_febo_op;

typedef struct cryptonn_febo_mpk cryptonn_febo_mpk;
typedef struct cryptonn_febo_msk cryptonn_febo_msk;
typedef struct cryptonn_febo_ct cryptonn_febo_ct;
typedef struct cryptonn_febo_key cryptonn_febo_key;

CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_setup(cryptonn_febo_mpk **mpk,
                                                          cryptonn_febo_msk **msk);
CRYPTONN_API void cryptonn_febo_mpk_destroy(cryptonn_febo_mpk *mpk);
CRYPTONN_API void cryptonn_febo_msk_destroy(cryptonn_febo_msk *msk); /* wipes */

/* Reusable ciphertext and key objects (create once, fill many times). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_ct_create(cryptonn_febo_ct **ct);
CRYPTONN_API void cryptonn_febo_ct_destroy(cryptonn_febo_ct *ct);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_key_create(cryptonn_febo_key **key);
CRYPTONN_API void cryptonn_febo_key_destroy(cryptonn_febo_key *key);

/* Encrypts x, |x| < 2^bits (1 <= bits <= 62), with a fresh r; time depends
 * on bits only. Returns OK or CRYPTONN_ERR_RANGE. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_encrypt(const cryptonn_febo_mpk *mpk,
                                                            cryptonn_febo_ct *ct, int64_t x,
                                                            unsigned bits);

/* The key for x Δ y on this ciphertext. Returns OK, CRYPTONN_ERR_MISMATCH
 * (ct under another mpk), CRYPTONN_ERR_ARG (÷ by 0, unknown op). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_keygen(const cryptonn_febo_msk *msk,
                                                           cryptonn_febo_key *key,
                                                           const cryptonn_febo_ct *ct,
                                                           cryptonn_febo_op op, int64_t y);

/* x Δ y. Returns OK, CRYPTONN_ERR_MISMATCH (key of another ciphertext),
 * CRYPTONN_ERR_RANGE, CRYPTONN_ERR_NOT_INTEGER (÷ only); *out = 0 then. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_decrypt_var(const cryptonn_dlog *d,
                                                                const cryptonn_febo_ct *ct,
                                                                const cryptonn_febo_key *key,
                                                                int64_t *out);
/* n decryptions with one batch normalization (the output-error step of a
 * training batch). status (may be NULL) per result; returns OK when all
 * succeeded, else one failure code. Allocates one scratch area per call. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_decrypt_batch_var(
    const cryptonn_dlog *d, const cryptonn_febo_ct *const *cts,
    const cryptonn_febo_key *const *keys, size_t n, int64_t *out, int *status);

/* Files and bytes (containers "BOMK" mpk, "BOSK" msk 0600, "BOCT"
 * ciphertext, "BOFK" key); same rules and errors as the FEIP formats. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_mpk_export(const cryptonn_febo_mpk *mpk,
                                                               uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_mpk_import(cryptonn_febo_mpk **mpk,
                                                               const uint8_t *buf, size_t len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_msk_save(const cryptonn_febo_msk *msk,
                                                             const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_msk_load(cryptonn_febo_msk **msk,
                                                             const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_ct_export(const cryptonn_febo_ct *ct,
                                                              uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_ct_import(cryptonn_febo_ct **ct,
                                                              const uint8_t *buf, size_t len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_key_export(const cryptonn_febo_key *key,
                                                               uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_febo_key_import(cryptonn_febo_key **key,
                                                               const uint8_t *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
