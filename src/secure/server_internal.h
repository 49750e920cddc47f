/* The server's state between batches (server.c and its phase files).
 * Buffers are sized once for the largest batch; nothing grows per batch
 * except the key sets, which keep their capacity. */
#ifndef CRYPTONN_SECURE_SERVER_INTERNAL_H
#define CRYPTONN_SECURE_SERVER_INTERNAL_H

#include "secure/train.h"

typedef struct {
    const cn_encdata *ds;  /* the dataset the entries belong to */
    uint64_t nbatches;
    int32_t **z;           /* per global batch: n × z1_size, or NULL */
    uint64_t bytes, cap;   /* in use, and the budget (cn_secure_opts.z1_cache_mb) */
} z1_cache;

/* dZ1's non-zeros filter by filter (server_grad.c): room for B × z1_size
 * entries, and for the flags of a layer of nw weights and z1_size outputs. */
typedef struct {
    uint32_t *pos;      /* the entry's slot without padding: b·slots + i·s·in_w + j·s */
    uint32_t *row, *col; /* with padding: i·s and j·s in padded coordinates (pos: b·slots) */
    int64_t *val;
    size_t *start; /* out_c + 1 */
    uint8_t *any;  /* out_c × k × k: whether weight (o, ·, u, v) has a key */
    uint8_t *mask; /* one filter's plane: any sample non-zero at (i, j) */
} cn_grad_terms;
int cn_grad_terms_alloc(cn_grad_terms *t, size_t entries, size_t weights, size_t outputs);
void cn_grad_terms_free(cn_grad_terms *t);

struct cn_server {
    const cn_encdata *ds;
    cn_keysource *ks;
    cn_secure_opts o;
    cn_enc_params p;
    cryptonn_dlog *dlog;
    int ndec;
    cryptonn_feip_decryptor **dec; /* one per thread */
    /* tables of the ciphertext being decrypted, rebuilt in place: one per
     * thread for the samples, one for the batch ciphertext (created at its
     * first use: strict mode has none) */
    cryptonn_feip_prepared **prep;
    cryptonn_feip_prepared *prep_b;
    size_t prep_b_slots; /* the width of this rank's slice of the batch ciphertext */

    /* first layer forward */
    cryptonn_feip_keys *fwd_keys;
    int fwd_valid;     /* keys match the current W1 */
    int w_exp;         /* W1 ≈ w_int / 2^w_exp */
    size_t nfwd;       /* outputs = z1_size */
    uint32_t *fwd_key; /* output → key index, or NO_KEY when its vector is zero */
    size_t nfwd_keys;
    size_t z1_size;
    int64_t *z_int; /* B × z1_size */
    float *z1;      /* B × z1_size */

    /* output error */
    cryptonn_febo_key **febo_keys; /* B × classes */
    int64_t *lab_int, *lab_dec;
    int *lab_status;
    float *err;

    /* first-layer gradient: grad_keys hold the whole scalars sk but, of
     * each vector, only the terms in this rank's slice of the batch
     * ciphertext (server_grad.c), so they decrypt only through
     * cn_feip_partial_keys_var over that slice */
    cryptonn_feip_keys *grad_keys;
    size_t nw;
    uint32_t *grad_key; /* weight → key index, or NO_KEY */
    int64_t *dz_int;    /* B × z1_size */
    cn_grad_terms gt;   /* dZ1's non-zeros by filter */
    float *dw;          /* nw */

    int64_t *kout; /* decrypted results in key order: max(B × z1_size, nw) */
    /* Rank 0's share of the first layer's samples (cn_dist_range: 1/65536,
     * 0 even), moved each batch by the work rank 0 did beyond the others
     * (server.c); the split never changes the results, only who decrypts */
    uint32_t lead;
    double fl_cpu; /* this rank's CPU seconds and samples in the last first layer */
    uint32_t fl_n;
    uint8_t *parts; /* the gradient keys' partial points, one row per rank */
    size_t parts_cap;

    /* Z1 per global batch while the first layer's keys do not change (a
     * frozen layer, strict mode): what the server learned from a batch's
     * samples is then the same every epoch, so it decrypts them once. */
    z1_cache cache_train, cache_test;

    /* request scratch */
    cn_grad_req greq; /* dz points into dz_int */
    cn_feip_keyreq req;
    size_t req_cap_keys, req_cap_nnz;
};

/* A zero key vector is never requested (the authority's min-support policy
 * would refuse it, and its value is known to be 0). */
#define NO_KEY UINT32_MAX

/* Room in req for nkeys keys of nnz entries in all. */
int cn_server_req_reserve(cn_server *s, size_t nkeys, size_t nnz);
/* CRYPTONN_ERR_RANGE, with msg naming `what`, when key bounds up to worst
 * (x_max·||y||_1) exceed the discrete-log bound; check_bounds computes
 * worst over the vectors in req. */
int cn_server_check_bound(cn_server *s, uint64_t worst, char *msg, size_t msg_len,
                          const char *what);
int cn_server_check_bounds(cn_server *s, char *msg, size_t msg_len, const char *what);
int cn_server_check_model(cn_server *s, const cryptonn_model *m, char *msg, size_t msg_len);
void cn_server_free_buffers(cn_server *s);
int cn_server_request_fwd_keys(cn_server *s, const cryptonn_model *m, char *msg, size_t msg_len);
/* Strict mode: checks that the model's first layer is the committed one,
 * frozen, and writes the committed weights into it (a no-op in paper mode). */
int cn_server_install_layer(cn_server *s, cryptonn_model *m, char *msg, size_t msg_len);
/* The cached Z1 of global batch g into z_int/z1 (1), or 0 when absent. */
int cn_z1_cache_get(cn_server *s, z1_cache *c, const cn_encdata *ds, uint64_t g, uint32_t n);
/* Keeps z_int of global batch g when the budget allows. */
void cn_z1_cache_put(cn_server *s, z1_cache *c, const cn_encdata *ds, uint64_t g, uint32_t n);
void cn_z1_cache_free(z1_cache *c);
/* The process's CPU time (all threads), in ns. */
uint64_t cn_server_cpu_ns(void);
int cn_server_decrypt_z1(cn_server *s, const cn_enc_batch *b);
/* The output error's FEBO results lab_dec[0..nl) of batch b with the keys
 * in febo_keys, each rank decrypting its share (dist.h). */
int cn_server_decrypt_labels(cn_server *s, const cn_enc_batch *b, size_t nl);
int cn_server_output_error(cn_server *s, const cn_enc_batch *b, const float *prob,
                           cn_secure_stats *st, char *msg, size_t msg_len);
int cn_server_first_layer_grad(cn_server *s, cryptonn_model *m, const cn_enc_batch *b,
                               const float *dz1, cn_secure_stats *st, char *msg, size_t msg_len);

#endif
