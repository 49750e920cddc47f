/* The key authority's state, shared by its files (one job each):
 *   authority.c         setup, open/close, the request dispatcher, leakage
 *   authority_state.c   the samples basis and its persistence (file or SQLite)
 *   authority_feip.c    FEIP and gradient requests: validation, policy, keys
 *   authority_strict.c  strict mode: the committed layer's key set
 *   authority_labels.c  FEBO requests and (strict mode) the label registry
 * Invariant: a refused request issues nothing and changes only the refusal
 * counters and the log; an answered one is durable before its keys leave. */
#ifndef CRYPTONN_PROTOCOL_AUTHORITY_INTERNAL_H
#define CRYPTONN_PROTOCOL_AUTHORITY_INTERNAL_H

#include <stdio.h>

#include "protocol/authority.h"
#include "protocol/authority_db.h"
#include "secure/rank.h"

/* The key vectors that raised the samples rank, in order: they span what
 * the server has learned, so replaying them restores the tracker (restart)
 * or undoes a refused request (rollback). At most `width` vectors. */
typedef struct {
    uint32_t count, cap;
    uint64_t nnz, nnz_cap;
    uint64_t *off; /* count + 1 */
    uint32_t *idx;
    int64_t *val;
} basis_list;

/* A set of 16-byte digests with a counter each (open addressing). */
typedef struct {
    uint8_t *keys;   /* cap × 16 */
    uint32_t *uses;  /* cap */
    uint8_t *used;   /* cap flags */
    size_t n, cap;
} digest_set;

struct cn_authority {
    char *dir;
    cn_policy pol;
    cn_enc_params p;
    cn_enc_mpks k;
    cryptonn_feip_msk *msk[2]; /* CN_MPK_SAMPLES, CN_MPK_BATCH (NULL in strict mode) */
    cryptonn_febo_msk *msk_labels;
    cn_rank *rank;
    basis_list basis;
    uint64_t issued[3], refused[3];
    FILE *log;
    /* SQLite (authority_db.h) when built with it: the key log, counters and
     * basis, one transaction per request; the rank-samples.bin file
     * otherwise. keys.log stays as the human-readable copy of the log. */
    cn_authority_db *db;
    uint32_t basis_saved; /* basis vectors already in the database */
    int db_failed;        /* a write of this request's transaction failed */

    /* strict mode */
    int strict;
    digest_set committed;   /* digests of the committed layer's key vectors */
    uint32_t layer_rank;    /* rank mod ℓ of the committed layer (authority_strict.c) */
    digest_set labels;      /* registered label ciphertexts and their key counts */
    int labels_reg_fd, labels_used_fd; /* append-only logs (authority_labels.c) */
    uint64_t labels_registered;
};

extern const char *const CN_MPK_NAME[3];

int cn_auth_path(char *out, size_t cap, const char *dir, const char *name);
void cn_auth_log(cn_authority *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cn_auth_refuse(cn_authority *a, uint32_t mpk, uint64_t nkeys, int status, const char *reason,
                   uint8_t **resp, size_t *resp_len);

/* authority_state.c */
void cn_auth_basis_free(basis_list *b);
int cn_auth_basis_push(basis_list *b, const uint32_t *idx, const int64_t *val, size_t nnz);
int cn_auth_rank_rebuild(cn_authority *a, uint32_t count);
int cn_auth_state_save(const cn_authority *a);
int cn_auth_state_load(cn_authority *a);
int cn_auth_db_save(cn_authority *a);
int cn_auth_db_load(cn_authority *a);

/* authority_feip.c */
int cn_auth_handle_feip(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                        size_t *resp_len);
int cn_auth_handle_grad(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                        size_t *resp_len);
uint64_t cn_auth_batch_bound(const cn_authority *a, uint64_t extra);

/* authority_strict.c */
int cn_auth_strict_open(cn_authority *a);
/* CRYPTONN_OK when every key of r is a vector of the committed layer;
 * otherwise CRYPTONN_ERR_POLICY with the reason in why. */
int cn_auth_strict_check(const cn_authority *a, const cn_feip_keyreq *r, char *why, size_t len);

/* authority_labels.c */
int cn_auth_labels_open(cn_authority *a);
void cn_auth_labels_close(cn_authority *a);
int cn_auth_handle_febo(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                        size_t *resp_len);

/* digest sets (authority_strict.c) */
void cn_digest_set_free(digest_set *s);
/* Inserts d (a no-op if present); returns its slot or a negative status. */
long cn_digest_set_add(digest_set *s, const uint8_t d[16]);
/* The slot of d, or −1. */
long cn_digest_set_find(const digest_set *s, const uint8_t d[16]);
/* BLAKE2b-128 of a key vector (idx then val, little-endian). */
void cn_key_digest(const uint32_t *idx, const int64_t *val, size_t nnz, uint8_t out[16]);

#endif
