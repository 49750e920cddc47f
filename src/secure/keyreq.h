/* keyreq: the messages between the training server and the key authority.
 * The same bytes travel in-process (a function call) and over HTTP, so the
 * networked mode runs exactly the protocol code of the in-process mode.
 *
 * Request "KRQI" (FEIP keys): u32 mpk (CN_MPK_SAMPLES or CN_MPK_BATCH),
 *   u32 nkeys, u64 nnz, u64 rowptr[nkeys+1] (rowptr[0] = 0, non-decreasing,
 *   rowptr[nkeys] = nnz), u32 idx[nnz] (strictly increasing within a key),
 *   i64 val[nnz].
 * Request "KRQG" (first-layer gradient keys, gradreq.c): the layer's shape
 *   and the quantized dZ1; both sides expand it into the same key vectors
 *   with cn_grad_expand, so 1.8 MB travel instead of 66 MB of vectors
 *   (LeNet-5, batch 64).
 * Response "KRSK" to both: u32 mpk, u32 nkeys, nkeys × 32-byte sk_y. The
 *   server already has the vectors it asked for; it rebuilds the key set
 *   from them and these scalars (cryptonn_feip_keys_append), instead of
 *   receiving the vectors back (another 66 MB).
 * Request "KRQB" (FEBO keys, one per ciphertext): u32 op, u32 n, then n ×
 *   (u64 len, FEBO ciphertext export bytes, i64 y). Response "BOKS": u32 n,
 *   n × (u64 len, FEBO key export bytes).
 * Error response "KERR": i32 status, u32 len, len bytes of UTF-8 reason (the
 *   policy refusal names the rule).
 * All are cryptonn containers (checksummed); parsers bound every count by the
 * message length before allocating. */
#ifndef CRYPTONN_SECURE_KEYREQ_H
#define CRYPTONN_SECURE_KEYREQ_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/febo.h"
#include "cryptonn/feip.h"
#include "util/util.h"

enum { CN_MPK_SAMPLES = 0, CN_MPK_BATCH = 1, CN_MPK_LABELS = 2 };

/* A batch of sparse key vectors in compressed rows (the request's body). */
typedef struct {
    uint32_t mpk;
    uint32_t nkeys;
    uint64_t nnz;
    uint64_t *rowptr; /* nkeys + 1 */
    uint32_t *idx;    /* nnz */
    int64_t *val;     /* nnz */
} cn_feip_keyreq;

/* Encode/decode (buffers malloc'd; the caller frees). Decoding validates the
 * structure (not the policy) and fails with FORMAT/TRUNCATED/TOO_LARGE. */
int cn_keyreq_feip_encode(const cn_feip_keyreq *r, uint8_t **buf, size_t *len);
int cn_keyreq_feip_decode(cn_feip_keyreq *r, const uint8_t *buf, size_t len);
void cn_keyreq_feip_free(cn_feip_keyreq *r);
/* Room for nkeys keys and nnz entries in an empty r (counts left 0);
 * CRYPTONN_ERR_NOMEM leaves r empty. */
int cn_keyreq_feip_alloc(cn_feip_keyreq *r, uint64_t nkeys, uint64_t nnz);

int cn_keyreq_febo_encode(cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                          const int64_t *y, uint32_t n, uint8_t **buf, size_t *len);
/* The decoded ciphertexts and values are malloc'd arrays the caller frees
 * (each ciphertext with cryptonn_febo_ct_destroy). */
int cn_keyreq_febo_decode(const uint8_t *buf, size_t len, cryptonn_febo_op *op,
                          cryptonn_febo_ct ***cts, int64_t **y, uint32_t *n);
int cn_keyresp_febo_encode(const cryptonn_febo_key *const *keys, uint32_t n, uint8_t **buf,
                           size_t *len);
/* Decodes exactly n keys into keys[0..n): each keys[i] (a pre-created
 * object, or NULL) is destroyed and replaced by a newly imported object the
 * caller owns, so an array of pre-created keys stays leak-free. All or
 * nothing: on failure keys[] is unchanged. (H5: the FEBO API cannot fill an
 * existing key from bytes, only _import, which allocates; hence the swap.) */
int cn_keyresp_febo_decode(const uint8_t *buf, size_t len, cryptonn_febo_key **keys, uint32_t n);

int cn_keyresp_error_encode(int status, const char *reason, uint8_t **buf, size_t *len);
/* If buf is an error response: returns its status (< 0) and copies the
 * reason; otherwise returns CRYPTONN_OK. */
int cn_keyresp_error_decode(const uint8_t *buf, size_t len, char *reason, size_t reason_len);

/* The server's handle on the authority: one round trip of request bytes to
 * response bytes. In-process it calls the authority; networked it POSTs. */
typedef struct {
    void *ctx;
    int (*round_trip)(void *ctx, const uint8_t *req, size_t req_len, uint8_t **resp,
                      size_t *resp_len);
} cn_keysource;

/* A batch of key scalars (the "KRSK" response). Decoding checks the count
 * against nkeys and gives a view (*sks) into buf. */
int cn_keyresp_sk_encode(uint32_t mpk, const uint8_t *sks, uint32_t nkeys, uint8_t **buf,
                         size_t *len);
int cn_keyresp_sk_decode(const uint8_t *buf, size_t len, uint32_t mpk, uint32_t nkeys,
                         const uint8_t **sks);

/* The first-layer gradient as the server asks for it (KRQG). Dense layers
 * use in_h = in_w = k = out_h = out_w = 1; convolutions have stride 1 and no
 * padding (out_h = in_h - k + 1). dz holds n × out_c × out_h × out_w values,
 * sample-major, the layout of the model's dZ1. */
typedef struct {
    uint32_t conv;
    uint32_t n;
    uint32_t in_c, in_h, in_w, k;
    uint32_t out_c, out_h, out_w;
    int64_t *dz;
} cn_grad_req;

/* Shape rules: CRYPTONN_ERR_FORMAT if broken, CRYPTONN_ERR_TOO_LARGE if the
 * expansion exceeds 2^25 entries (such layers send explicit vectors, KRQI). */
int cn_grad_shape_ok(const cn_grad_req *g);
/* Upper bounds of the expansion: keys (one per weight) and entries. */
void cn_grad_expand_size(const cn_grad_req *g, uint64_t *nkeys, uint64_t *nnz);
/* The gradient key vectors, one per weight of the layer, over the
 * (sample, pixel) slots of the batch ciphertext (slot b·slots + pixel):
 *   dense: dW1[o][x] = Σ_b dZ1[b][o]·x_b[x]
 *   conv:  dW1[o][c][u][v] = Σ_b Σ_{i,j} dZ1[b][o][i][j]·x_b[c][i+u][j+v]
 * into r (rowptr/idx/val with room for cn_grad_expand_size), skipping zero
 * entries; a weight whose vector is all zero gets no key and map[w] =
 * UINT32_MAX, else map[w] = its key's index (map may be NULL). */
void cn_grad_expand(const cn_grad_req *g, cn_feip_keyreq *r, uint32_t *map);
/* The same into a freshly allocated r (cn_keyreq_feip_free); NOMEM leaves r empty. */
int cn_grad_expand_new(const cn_grad_req *g, cn_feip_keyreq *r, uint32_t *map);
int cn_gradreq_encode(const cn_grad_req *g, uint8_t **buf, size_t *len);
/* g->dz is malloc'd (cn_gradreq_free). */
int cn_gradreq_decode(cn_grad_req *g, const uint8_t *buf, size_t len);
void cn_gradreq_free(cn_grad_req *g);

/* Internal to keyreq.c / gradreq.c / the server: the end of a key being
 * appended to r (an empty one is dropped and map[w] = UINT32_MAX, else
 * map[w] = its index; map may be NULL). */
void cn_keyreq_close_key(cn_feip_keyreq *r, uint32_t *map, size_t w, uint32_t *key,
                         uint64_t start, uint64_t nnz);

/* Convenience wrappers used by the server: build the request, round-trip,
 * decode, and turn an error response into its status (reason in msg).
 * cn_keysource_feip sends r and fills keys (cleared first) with r's vectors
 * and the returned scalars, bound to mpk; cn_keysource_grad does the same
 * for the gradient request g, whose expansion (cn_grad_expand) the caller
 * passes as exp. cn_keysource_febo replaces keys[0..n) as
 * cn_keyresp_febo_decode does. */
int cn_keysource_feip(cn_keysource *ks, const cn_feip_keyreq *r, const cryptonn_feip_mpk *mpk,
                      cryptonn_feip_keys *keys, char *msg, size_t msg_len);
int cn_keysource_grad(cn_keysource *ks, const cn_grad_req *g, const cn_feip_keyreq *exp,
                      const cryptonn_feip_mpk *mpk, cryptonn_feip_keys *keys, char *msg,
                      size_t msg_len);

int cn_keysource_febo(cn_keysource *ks, cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                      const int64_t *y, uint32_t n, cryptonn_febo_key **keys, char *msg,
                      size_t msg_len);

#endif
