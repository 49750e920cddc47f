/* cryptonn_feip: inner-product functional encryption (Abdalla, Bourse, De Caro,
 * Pointcheval, PKC 2015, DDH variant) over ristretto255. DESIGN.md §1.
 *
 *   setup(n):        s <-$ Z_l^n, msk = s, mpk = (h_i = g^{s_i})
 *   keygen(msk, y):  sk_y = <y, s> mod l          (y public, sparse allowed)
 *   encrypt(mpk, x): r <-$ Z_l, ct_0 = g^r, ct_i = h_i^r g^{x_i}
 *   decrypt:         g^{<x,y>} = prod ct_i^{y_i} / ct_0^{sk_y}, then a bounded
 *                    discrete log (cryptonn_dlog).
 *
 * Roles: the authority holds the msk and runs keygen; clients encrypt with the
 * mpk; the server decrypts and learns <x,y> for every key it holds, nothing
 * else about x. Setup, keygen and encryption run in time independent of msk,
 * r and x; decryption (public data only) is variable time, suffix _var.
 *
 * Objects are bound to their mpk by a 16-byte id (a hash of the mpk): keys
 * and ciphertexts of different mpks are refused with CRYPTONN_ERR_MISMATCH.
 * A key whose numbers do not belong to its ciphertext (forged or damaged)
 * decrypts to a random element: CRYPTONN_ERR_RANGE.
 *
 * Memory: every object comes from a _create (or setup/load) and goes to its
 * _destroy; the hot decryption calls allocate nothing once a decryptor has
 * seen its largest key. Objects are not thread-safe for writing; const
 * objects may be shared by any number of threads. */
#ifndef CRYPTONN_FEIP_H
#define CRYPTONN_FEIP_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/dlog.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define CRYPTONN_FEIP_MAX_SLOTS ((size_t)1 << 24)
/* Key entries satisfy |y_i| < 2^31; plaintext entries |x_i| < 2^bits with
 * bits <= CRYPTONN_FEIP_MAX_BITS. */
#define CRYPTONN_FEIP_MAX_KEY_BITS 31
#define CRYPTONN_FEIP_MAX_BITS 62

typedef struct cryptonn_feip_mpk cryptonn_feip_mpk;
typedef struct cryptonn_feip_msk cryptonn_feip_msk;
typedef struct cryptonn_feip_keys cryptonn_feip_keys;
typedef struct cryptonn_feip_ct cryptonn_feip_ct;
typedef struct cryptonn_feip_encryptor cryptonn_feip_encryptor;
typedef struct cryptonn_feip_prepared cryptonn_feip_prepared;
typedef struct cryptonn_feip_decryptor cryptonn_feip_decryptor;

/* ---- setup (authority) ---- */

/* Fresh keys for n slots (1 <= n <= CRYPTONN_FEIP_MAX_SLOTS). Returns OK,
 * CRYPTONN_ERR_ARG or CRYPTONN_ERR_NOMEM; outputs NULL on failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_setup(cryptonn_feip_mpk **mpk,
                                                          cryptonn_feip_msk **msk, size_t n);
/* The mpk belonging to an msk (n fixed-base multiplications). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_mpk_from_msk(cryptonn_feip_mpk **mpk,
                                                                 const cryptonn_feip_msk *msk);
CRYPTONN_API void cryptonn_feip_mpk_destroy(cryptonn_feip_mpk *mpk);
/* Wipes the secret before freeing. */
CRYPTONN_API void cryptonn_feip_msk_destroy(cryptonn_feip_msk *msk);
CRYPTONN_API size_t cryptonn_feip_mpk_slots(const cryptonn_feip_mpk *mpk);
CRYPTONN_API size_t cryptonn_feip_msk_slots(const cryptonn_feip_msk *msk);
/* The 16-byte id binding keys and ciphertexts to this mpk. */
CRYPTONN_API void cryptonn_feip_mpk_id(const cryptonn_feip_mpk *mpk, uint8_t id[16]);

/* ---- function keys (authority issues, server holds) ----
 * A key set holds any number of keys of one mpk in compressed sparse rows:
 * each key is its support (slot indices), its values y, and sk_y. Keys cost
 * their number of non-zeros, not the width. */

/* An empty set; it grows as keys are added (reserve to avoid reallocation). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_create(cryptonn_feip_keys **out);
CRYPTONN_API void cryptonn_feip_keys_destroy(cryptonn_feip_keys *keys);
/* Room for nkeys keys with nnz non-zeros in all, allocated now. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_reserve(cryptonn_feip_keys *keys,
                                                                 size_t nkeys, size_t nnz);
/* Forgets every key (keeps memory); the set may then take another mpk's keys. */
CRYPTONN_API void cryptonn_feip_keys_clear(cryptonn_feip_keys *keys);
CRYPTONN_API size_t cryptonn_feip_keys_count(const cryptonn_feip_keys *keys);
CRYPTONN_API size_t cryptonn_feip_keys_slots(const cryptonn_feip_keys *keys);
/* The support and values of key i (views into the set, valid until it changes). */
CRYPTONN_API size_t cryptonn_feip_keys_get(const cryptonn_feip_keys *keys, size_t i,
                                           const uint32_t **idx, const int64_t **val);

/* Appends the key for a dense vector y of length n (= the msk's width); only
 * its non-zeros are stored. Returns OK, CRYPTONN_ERR_MISMATCH (n differs, or
 * the set holds keys of another mpk), CRYPTONN_ERR_RANGE (|y_i| >= 2^31),
 * CRYPTONN_ERR_NOMEM. Constant time in the msk. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keygen(const cryptonn_feip_msk *msk,
                                                           cryptonn_feip_keys *keys,
                                                           const int64_t *y, size_t n);
/* Appends the key for the sparse vector with val[j] at slot idx[j]; indices
 * strictly increasing and < width (else CRYPTONN_ERR_ARG); zeros are allowed
 * and dropped. nnz may be 0 (the zero function). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keygen_sparse(const cryptonn_feip_msk *msk,
                                                                  cryptonn_feip_keys *keys,
                                                                  const uint32_t *idx,
                                                                  const int64_t *val, size_t nnz);

/* The wire form of a key whose vector the holder already has: the
 * authority derives only sk_y = <y, s> mod l (32 bytes, little-endian) for
 * the sparse vector (idx, val) as cryptonn_feip_keygen_sparse would, and the
 * holder, who asked for exactly that vector, appends it to a set with
 * cryptonn_feip_keys_append. A key message then costs 32 bytes, not the
 * vector (a gradient key has ~37,000 entries). keygen_sk is constant time
 * in the msk; returns OK, CRYPTONN_ERR_ARG (indices) or CRYPTONN_ERR_RANGE
 * (values). keys_append returns OK,
 * CRYPTONN_ERR_ARG (indices), CRYPTONN_ERR_RANGE (values),
 * CRYPTONN_ERR_ENCODING (sk not below l), CRYPTONN_ERR_MISMATCH (the set
 * holds another mpk's keys) or CRYPTONN_ERR_NOMEM. An sk that does not belong
 * to the vector is not detectable here: decryption with it fails with
 * CRYPTONN_ERR_RANGE. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keygen_sk(const cryptonn_feip_msk *msk,
                                                              const uint32_t *idx,
                                                              const int64_t *val, size_t nnz,
                                                              uint8_t sk[32]);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_append(cryptonn_feip_keys *keys,
                                                                const cryptonn_feip_mpk *mpk,
                                                                const uint32_t *idx,
                                                                const int64_t *val, size_t nnz,
                                                                const uint8_t sk[32]);

/* ---- encryption (client) ---- */

/* A ciphertext buffer for n slots, reusable across encryptions. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_create(cryptonn_feip_ct **out, size_t n);
CRYPTONN_API void cryptonn_feip_ct_destroy(cryptonn_feip_ct *ct);
CRYPTONN_API size_t cryptonn_feip_ct_slots(const cryptonn_feip_ct *ct);

/* Per-slot fixed-base tables for the mpk (cryptonn_feip_encryptor_bytes each
 * slot): built once, then every encryption is about twice as fast as without.
 * The encryptor copies what it needs; the mpk may be destroyed after. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_encryptor_create(
    cryptonn_feip_encryptor **out, const cryptonn_feip_mpk *mpk);
CRYPTONN_API void cryptonn_feip_encryptor_destroy(cryptonn_feip_encryptor *enc);
CRYPTONN_API size_t cryptonn_feip_encryptor_bytes(const cryptonn_feip_encryptor *enc);

/* Encrypts x (n = width entries, |x_i| < 2^bits, 1 <= bits <= 62) into ct
 * with a fresh r. Time depends on n and bits only. Returns OK,
 * CRYPTONN_ERR_MISMATCH (n or ct width differ), CRYPTONN_ERR_RANGE (an entry
 * does not fit bits; ct is then unspecified). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_encrypt(const cryptonn_feip_encryptor *enc,
                                                            cryptonn_feip_ct *ct,
                                                            const int64_t *x, size_t n,
                                                            unsigned bits);
/* The same without tables (for mpks too wide to tabulate, e.g. a whole
 * batch as one ciphertext); parallel across slots for large n. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_encrypt_mpk(const cryptonn_feip_mpk *mpk,
                                                                cryptonn_feip_ct *ct,
                                                                const int64_t *x, size_t n,
                                                                unsigned bits);
/* count (1..256) ciphertexts at once: cts[j] encrypts xs[j] (n entries each)
 * with its own fresh r, exactly as cryptonn_feip_encrypt would, but slot by
 * slot so each slot's table is read once for all of them (much faster when
 * the tables outgrow the caches). The cts must be distinct. Parallel across
 * slots. Returns OK, CRYPTONN_ERR_MISMATCH, or CRYPTONN_ERR_RANGE if any
 * entry of any xs[j] does not fit bits (the cts are then unspecified). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_encrypt_many(
    const cryptonn_feip_encryptor *enc, cryptonn_feip_ct *const *cts, const int64_t *const *xs,
    size_t count, size_t n, unsigned bits);

/* ---- decryption (server, variable time) ---- */

/* Per-thread workspaces for the solver d (borrowed: it must outlive the
 * decryptor). batch: results normalized together (0 = 128). The batched
 * calls below split their work over omp_get_max_threads() (as at creation)
 * threads. A decryptor serves one call at a time: callers that decrypt from
 * several threads of their own create one decryptor per thread (nested in a
 * caller's parallel region, a call runs on the calling thread). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_decryptor_create(
    cryptonn_feip_decryptor **out, const cryptonn_dlog *d, size_t batch);
CRYPTONN_API void cryptonn_feip_decryptor_destroy(cryptonn_feip_decryptor *dec);

/* <x, y_i> for key i of keys on ct. Returns OK, CRYPTONN_ERR_MISMATCH,
 * CRYPTONN_ERR_RANGE (|<x,y>| beyond the bound, or a wrong key); *out = 0 on
 * failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_decrypt_var(cryptonn_feip_decryptor *dec,
                                                                const cryptonn_feip_ct *ct,
                                                                const cryptonn_feip_keys *keys,
                                                                size_t i, int64_t *out);

/* A ciphertext prepared for many keys: a comb table for ct_0 and tables of
 * small multiples of the slots. The ct is borrowed and must outlive it. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_prepare_var(cryptonn_feip_prepared **out,
                                                                const cryptonn_feip_ct *ct);
CRYPTONN_API void cryptonn_feip_prepared_destroy(cryptonn_feip_prepared *p);

/* The same in two steps, for one ciphertext after another: create sizes the
 * tables once for `slots`-slot ciphertexts and keys with |y_i| < 2^key_bits
 * (1..31; prepare_var uses 8, the server's default weights), and set_var
 * rebuilds them in place for ct (borrowed until the next set or destroy)
 * without allocating. Keys with larger entries still decrypt, more slowly.
 * create returns OK, CRYPTONN_ERR_ARG or CRYPTONN_ERR_NOMEM (out NULL);
 * set returns OK or CRYPTONN_ERR_MISMATCH (another width). A prepared object
 * that was never set may not be decrypted with. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_prepared_create_var(
    cryptonn_feip_prepared **out, size_t slots, unsigned key_bits);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_prepared_set_var(cryptonn_feip_prepared *p,
                                                                    const cryptonn_feip_ct *ct);

/* Many keys on one ciphertext: out[j] = <x, y_{first+j}> for j < count,
 * OpenMP-parallel across keys. status (may be NULL) gets each result's
 * status. Returns OK when all succeeded, else the first failure
 * (CRYPTONN_ERR_RANGE), or CRYPTONN_ERR_MISMATCH before any work. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_decrypt_keys_var(
    cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *ct, const cryptonn_feip_keys *keys,
    size_t first, size_t count, int64_t *out, int *status);

/* One key on many ciphertexts: out[j] = <x_j, y_i>, parallel across
 * ciphertexts. Same returns as above. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_decrypt_cts_var(
    cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts, size_t ncts,
    const cryptonn_feip_keys *keys, size_t i, int64_t *out, int *status);

/* Independent pairs: out[j] = <x_j, y_{key_index[j]}> for ciphertext
 * cts[j], with the discrete logs batched (one inversion per batch).
 * Same returns as above. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_decrypt_pairs_var(
    cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts, const cryptonn_feip_keys *keys,
    const uint32_t *key_index, size_t n, int64_t *out, int *status);

/* ---- files and bytes ----
 * Every format is a cryptonn container (magic, kind, version, length,
 * BLAKE2b) whose payload starts with the group id and sizes; readers check
 * all of them and every point encoding. Kinds: "IPMK" mpk, "IPSK" msk (mode
 * 0600), "IPFK" key set, "IPCT" ciphertext, "IPCB" ciphertext batch.
 * _export gives the whole container as malloc'd bytes (for the wire);
 * _import parses it. Readers return CRYPTONN_ERR_{TRUNCATED, FORMAT, VERSION,
 * TOO_LARGE, CHECKSUM, ENCODING, IO, NOMEM}, with outputs NULL. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_mpk_export(const cryptonn_feip_mpk *mpk,
                                                               uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_mpk_import(cryptonn_feip_mpk **mpk,
                                                               const uint8_t *buf, size_t len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_mpk_save(const cryptonn_feip_mpk *mpk,
                                                             const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_mpk_load(cryptonn_feip_mpk **mpk,
                                                             const char *path);
/* msk files are written 0600; every buffer that held the secret is wiped. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_msk_save(const cryptonn_feip_msk *msk,
                                                             const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_msk_load(cryptonn_feip_msk **msk,
                                                             const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_export(const cryptonn_feip_keys *keys,
                                                                uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_import(cryptonn_feip_keys **keys,
                                                                const uint8_t *buf, size_t len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_save(const cryptonn_feip_keys *keys,
                                                              const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_keys_load(cryptonn_feip_keys **keys,
                                                              const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_export(const cryptonn_feip_ct *ct,
                                                              uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_import(cryptonn_feip_ct **ct,
                                                              const uint8_t *buf, size_t len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_save(const cryptonn_feip_ct *ct,
                                                            const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_load(cryptonn_feip_ct **ct,
                                                            const char *path);
/* A batch: count ciphertexts of one mpk in one file. The loaded array and
 * each ciphertext are the caller's (cryptonn_feip_ct_batch_free). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_batch_export(
    const cryptonn_feip_ct *const *cts, size_t count, uint8_t **buf, size_t *len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_batch_import(cryptonn_feip_ct ***cts,
                                                                    size_t *count,
                                                                    const uint8_t *buf, size_t len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_batch_save(
    const cryptonn_feip_ct *const *cts, size_t count, const char *path);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_feip_ct_batch_load(cryptonn_feip_ct ***cts,
                                                                  size_t *count, const char *path);
CRYPTONN_API void cryptonn_feip_ct_batch_free(cryptonn_feip_ct **cts, size_t count);

#ifdef __cplusplus
}
#endif
#endif
