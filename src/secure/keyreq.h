/* keyreq: the server's key requests as data, and the key source that
 * answers them. The requests travel as the wire messages of
 * protocol/keyreq.h; the server sees only this typed interface, so it runs
 * the same whether the authority is in this process, across the network or
 * behind rank 0 of an mpirun job.
 *
 * Two kinds: explicit sparse vectors over one master key (cn_feip_keyreq),
 * and the first-layer gradient (cn_grad_req), which both sides expand into
 * the same vectors with cn_grad_expand. */
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

void cn_keyreq_feip_free(cn_feip_keyreq *r);
/* Room for nkeys keys and nnz entries in an empty r (counts left 0);
 * CRYPTONN_ERR_NOMEM leaves r empty. */
int cn_keyreq_feip_alloc(cn_feip_keyreq *r, uint64_t nkeys, uint64_t nnz);

/* The first-layer gradient as the server asks for it (KRQG). Dense layers
 * use in_h = in_w = k = out_h = out_w = stride = 1 and pad = 0; a
 * convolution has stride >= 1, pad < k and out_h = (in_h + 2·pad - k) /
 * stride + 1 (the same for w). dz holds n × out_c × out_h × out_w values,
 * sample-major, the layout of the model's dZ1. */
typedef struct {
    uint32_t conv;
    uint32_t n;
    uint32_t in_c, in_h, in_w, k;
    uint32_t out_c, out_h, out_w;
    uint32_t stride, pad;
    int64_t *dz;
} cn_grad_req;

/* Expanded entries per request: LeNet-5 needs 5.5 M, an MLP-256 first layer
 * 12.8 M, an MLP-512 25.7 M. The cap bounds what one small message can make
 * the authority allocate (~400 MB); larger layers use explicit vectors. */
#define CN_GRAD_MAX_EXPANDED ((uint64_t)1 << 25)
/* Shape rules: CRYPTONN_ERR_FORMAT if broken, CRYPTONN_ERR_TOO_LARGE if the
 * expansion exceeds CN_GRAD_MAX_EXPANDED entries. */
int cn_grad_shape_ok(const cn_grad_req *g);
/* Upper bounds of the expansion: keys (one per weight) and entries. */
void cn_grad_expand_size(const cn_grad_req *g, uint64_t *nkeys, uint64_t *nnz);
/* The gradient key vectors, one per weight of the layer, over the
 * (sample, pixel) slots of the batch ciphertext (slot b·slots + pixel):
 *   dense: dW1[o][x] = Σ_b dZ1[b][o]·x_b[x]
 *   conv:  dW1[o][c][u][v] = Σ_b Σ_{i,j} dZ1[b][o][i][j]·x_b[c][i·s+u-p][j·s+v-p]
 * (taps in the padding contribute nothing), written into r (rowptr/idx/val with room for cn_grad_expand_size), skipping zero
 * entries; a weight whose vector is all zero gets no key and map[w] =
 * UINT32_MAX, else map[w] = its key's index (map may be NULL). */
void cn_grad_expand(const cn_grad_req *g, cn_feip_keyreq *r, uint32_t *map);
/* The same into a freshly allocated r (cn_keyreq_feip_free); NOMEM leaves r empty. */
int cn_grad_expand_new(const cn_grad_req *g, cn_feip_keyreq *r, uint32_t *map);
/* Frees g->dz (cn_gradreq_decode's). */
void cn_gradreq_free(cn_grad_req *g);

/* Internal to keyreq.c / gradreq.c / the server: the end of a key being
 * appended to r (an empty one is dropped and map[w] = UINT32_MAX, else
 * map[w] = its index; map may be NULL). */
void cn_keyreq_close_key(cn_feip_keyreq *r, uint32_t *map, size_t w, uint32_t *key,
                         uint64_t start, uint64_t nnz);

/* Where the server's keys come from: the authority, in this process or
 * across the network (protocol/keyreq.h turns a round trip of the wire
 * messages into one of these), or rank 0 of an mpirun job. Each call writes
 * a reason into msg on failure (a policy refusal names the rule).
 *   feip: the 32-byte key scalars for r's nkeys vectors, into sks;
 *   grad: the same for g's gradient keys, whose expansion (cn_grad_expand)
 *         is exp;
 *   febo: one key per ciphertext: each keys[i] (pre-created, or NULL) is
 *         destroyed and replaced by a new key the caller owns; all or
 *         nothing, so on failure keys[] is unchanged. */
typedef struct {
    void *ctx;
    int (*feip)(void *ctx, const cn_feip_keyreq *r, uint8_t *sks, char *msg, size_t msg_len);
    int (*grad)(void *ctx, const cn_grad_req *g, const cn_feip_keyreq *exp, uint8_t *sks,
                char *msg, size_t msg_len);
    int (*febo)(void *ctx, cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                const int64_t *y, uint32_t n, cryptonn_febo_key **keys, char *msg,
                size_t msg_len);
} cn_keysource;

/* The server's requests: cn_keysource_feip asks for r and fills keys
 * (cleared first) with r's vectors and the returned scalars, bound to mpk;
 * cn_keysource_grad does the same for the gradient request g, whose
 * expansion the caller passes as exp; cn_keysource_febo replaces
 * keys[0..n). */
int cn_keysource_feip(cn_keysource *ks, const cn_feip_keyreq *r, const cryptonn_feip_mpk *mpk,
                      cryptonn_feip_keys *keys, char *msg, size_t msg_len);
int cn_keysource_grad(cn_keysource *ks, const cn_grad_req *g, const cn_feip_keyreq *exp,
                      const cryptonn_feip_mpk *mpk, cryptonn_feip_keys *keys, char *msg,
                      size_t msg_len);

int cn_keysource_febo(cn_keysource *ks, cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                      const int64_t *y, uint32_t n, cryptonn_febo_key **keys, char *msg,
                      size_t msg_len);

#endif
