/* cryptonn authority: the trusted key authority of CryptoNN (DESIGN.md §2, §5).
 *
 * The authority holds the master secret keys in a state directory, answers
 * the training server's key requests (binary messages, the same in process
 * and over HTTP), enforces the key-request policy and logs every key it
 * issues before the key leaves. Two modes, fixed at setup and public in
 * params.bin:
 *   CRYPTONN_MODE_STRICT  the authority draws the first layer and commits to
 *                         it; it issues sample keys only for that layer's
 *                         vectors, no gradient keys, and label keys only for
 *                         registered label ciphertexts, at most
 *                         policy.label_uses times each (one more is
 *                         CRYPTONN_ERR_BUDGET). Anything else is refused
 *                         with CRYPTONN_ERR_POLICY.
 *   CRYPTONN_MODE_PAPER   the paper's protocol: the server chooses the first
 *                         layer and trains it; it can recover every training
 *                         record (docs/PRIVACY.md). For comparison only.
 *
 * An authority handle is single-threaded: callers serialise requests. */
#ifndef CRYPTONN_AUTHORITY_H
#define CRYPTONN_AUTHORITY_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/data.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum { CRYPTONN_MODE_PAPER = 0, CRYPTONN_MODE_STRICT = 1 } cryptonn_mode;

typedef struct {
    cryptonn_mode mode;      /* default CRYPTONN_MODE_STRICT */
    const char *first_layer; /* strict: "dense:K" or "conv:FxK[sS][pP]" over the records'
                                shape (default "conv:6x5") */
    unsigned layer_bits;     /* strict: integer weights of this many bits, 2..16 (8) */
    int layer_seeded;        /* strict: 1 draws the layer from layer_seed (public,
                                reproducible); 0 from the system CSPRNG (default) */
    uint64_t layer_seed;
    uint32_t batch;          /* samples per batch (64) */
    uint32_t label_bits;     /* labels encrypted as one-hot × 2^label_bits (16) */
    const cryptonn_data_spec *spec; /* the owners' data spec: keys for its records (shape,
                                       fixed point, classes or a regression target); only
                                       those public figures are kept. NULL: MNIST */
} cryptonn_setup_opts;

CRYPTONN_API void cryptonn_setup_opts_default(cryptonn_setup_opts *o);

/* Creates the state directory dir (mode 0700) with fresh master secret keys
 * (0600), params.bin (what owners and the server get), owner.key (the
 * owners' secret class permutation: never for the server) and the bearer
 * tokens of the networked roles. Never overwrites keys: CRYPTONN_ERR_IO if
 * dir already holds them. On failure msg names the problem (e.g. a bad
 * first-layer spec, CRYPTONN_ERR_ARG). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_setup(const char *dir,
                                                               const cryptonn_setup_opts *o,
                                                               char *msg, size_t msg_len);

typedef struct {
    uint32_t min_support; /* paper mode: refuse keys with fewer non-zeros (2) */
    uint64_t max_rank;    /* paper mode: refuse requests that push the revealed rank past
                             this (0: no budget) */
    uint32_t label_uses;  /* strict mode: label keys per registered ciphertext (2) */
} cryptonn_policy;

CRYPTONN_API void cryptonn_policy_default(cryptonn_policy *p);

typedef struct cryptonn_authority cryptonn_authority;

/* Opens the state directory made by cryptonn_authority_setup. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_open(cryptonn_authority **out,
                                                              const char *dir,
                                                              const cryptonn_policy *pol);
/* Saves the accounting state and frees a (NULL is allowed). */
CRYPTONN_API void cryptonn_authority_close(cryptonn_authority *a);

CRYPTONN_API cryptonn_mode cryptonn_authority_mode(const cryptonn_authority *a);

/* A committed first layer as the parties see it. */
typedef struct {
    char spec[64];     /* "conv:2x5s2" */
    char commit[17];   /* the commitment's first 16 hex digits (as keygen prints it) */
    uint64_t keys;     /* key vectors: outputs of the layer */
    unsigned bits;     /* integer weights of this many bits */
} cryptonn_layer_desc;

/* Strict mode: the committed first layer; CRYPTONN_ERR_NOT_FOUND in paper mode. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_layer(const cryptonn_authority *a,
                                                               cryptonn_layer_desc *out);

/* Handles one key-request message (what cryptonn_keyservice sends) and
 * returns the response message in *resp (free with cryptonn_free). A refusal
 * is a response too (an error message the server decodes to
 * CRYPTONN_ERR_POLICY); the return value is CRYPTONN_OK whenever a response
 * was produced, CRYPTONN_ERR_NOMEM otherwise. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_handle(cryptonn_authority *a,
                                                                const uint8_t *req, size_t len,
                                                                uint8_t **resp, size_t *resp_len);

/* Registers the label ciphertexts of a registration message (what
 * cryptonn_owner_encrypt writes to its .lreg file). Idempotent; durable before
 * it returns; *added counts digests new to the authority. A refusal (wrong
 * labels key, malformed message) returns its status with the reason in why. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_register_labels(
    cryptonn_authority *a, const uint8_t *msg, size_t len, uint64_t *added, char *why,
    size_t why_len);
/* The same from a file. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_register_file(
    cryptonn_authority *a, const char *path, uint64_t *added, char *why, size_t why_len);

/* The same for the authority whose state directory is dir, opened for this
 * registration alone (owners and authority in one process). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_register_in(const char *dir,
                                                                     const char *path,
                                                                     uint64_t *added, char *why,
                                                                     size_t why_len);

/* Writes the key vectors the server holds under the samples key (the
 * committed layer in strict mode; a basis of every key issued in paper mode)
 * to path ("KEXP" file): what the owners' audit replays. *nkeys (may be
 * NULL) gets their count. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_export_keys(const cryptonn_authority *a,
                                                                     const char *path,
                                                                     uint64_t *nkeys);

/* What the authority has issued, per master key. */
typedef struct {
    uint64_t width;        /* slots (0: no such key, or the labels key) */
    uint64_t rank;         /* rank mod ℓ of the span of the keys issued, or a bound */
    int rank_is_bound;     /* 1: rank is min(keys, width), not exact */
    uint64_t keys_issued;
    uint64_t keys_refused;
} cryptonn_keycount;

/* [0] samples, [1] batch (gradient; width 0 in strict mode), [2] labels. */
CRYPTONN_API void cryptonn_authority_counts(const cryptonn_authority *a, cryptonn_keycount out[3]);

/* The leakage report (Markdown) for this authority's mode and counters: what
 * the server can learn and which attacks are open to a malicious server.
 * *text is NUL-terminated; free it with cryptonn_free. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_report(const cryptonn_authority *a,
                                                                char **text);

/* ---- the data owners' credentials (the networked roles) ---- */

/* Longest owner name: [A-Za-z0-9_]{1,CRYPTONN_OWNER_NAME_MAX}. */
#define CRYPTONN_OWNER_NAME_MAX 24

/* 1 if name is a valid owner name (NULL gives 0). */
CRYPTONN_API int cryptonn_owner_name_ok(const char *name);
/* A bearer token of its own for owner `name`, in STATE/owners/NAME.token
 * (0600: for that owner only), and the name in STATE/owners.list (hashes of
 * the tokens, no secret; install it on the training server after a change).
 * CRYPTONN_ERR_ARG for a bad name, CRYPTONN_ERR_MISMATCH if it is listed
 * already; token_path (cap bytes) gets the token file's path. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_add_owner(const char *state,
                                                                   const char *name,
                                                                   char *token_path, size_t cap);
/* Removes the name from the list, then its token. CRYPTONN_ERR_NOT_FOUND if
 * it is not listed. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_revoke_owner(const char *state,
                                                                      const char *name);
/* The listed owners, one name per line in list order (*names malloc'd,
 * NUL-terminated; free with cryptonn_free). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_authority_list_owners(const char *state,
                                                                     char **names);

#ifdef __cplusplus
}
#endif
#endif
