/* keyreq: the messages between the training server and the key authority
 * (the wire format of secure/keyreq.h's requests). The same bytes travel
 * in-process (a function call) and over HTTP, so the networked mode runs
 * exactly the protocol code of the in-process mode.
 *
 * Request "KRQI" (FEIP keys): u32 mpk (CN_MPK_SAMPLES or CN_MPK_BATCH),
 *   u32 nkeys, u64 nnz, u64 rowptr[nkeys+1] (rowptr[0] = 0, non-decreasing,
 *   rowptr[nkeys] = nnz), u32 idx[nnz] (strictly increasing within a key),
 *   i64 val[nnz].
 * Request "KRQG" (first-layer gradient keys, secure/gradreq.c): the layer's shape
 *   and the quantized dZ1; both sides expand it into the same key vectors
 *   with cn_grad_expand, so 1.8 MB travel instead of 66 MB of vectors
 *   (LeNet-5, batch 64). Version 1: u32 mpk, conv, n, in_c, in_h, in_w, k,
 *   out_c, out_h, out_w, then i64 dZ1 (stride 1, no padding); version 2
 *   adds u32 stride, pad after out_w. A stride-1 unpadded layer is sent as
 *   version 1, so authorities that predate version 2 still answer it.
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
#ifndef CRYPTONN_PROTOCOL_KEYREQ_H
#define CRYPTONN_PROTOCOL_KEYREQ_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/febo.h"
#include "secure/keyreq.h"

/* Encode/decode (buffers malloc'd; the caller frees). Decoding validates the
 * structure (not the policy) and fails with FORMAT/TRUNCATED/TOO_LARGE. */
int cn_keyreq_feip_encode(const cn_feip_keyreq *r, uint8_t **buf, size_t *len);
int cn_keyreq_feip_decode(cn_feip_keyreq *r, const uint8_t *buf, size_t len);

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

/* A batch of key scalars (the "KRSK" response). Decoding checks the count
 * against nkeys and gives a view (*sks) into buf. */
int cn_keyresp_sk_encode(uint32_t mpk, const uint8_t *sks, uint32_t nkeys, uint8_t **buf,
                         size_t *len);
int cn_keyresp_sk_decode(const uint8_t *buf, size_t len, uint32_t mpk, uint32_t nkeys,
                         const uint8_t **sks);

int cn_gradreq_encode(const cn_grad_req *g, uint8_t **buf, size_t *len);
/* g->dz is malloc'd (cn_gradreq_free). */
int cn_gradreq_decode(cn_grad_req *g, const uint8_t *buf, size_t len);

/* One round trip of request bytes to response bytes: in-process it calls
 * the authority, networked it POSTs. */
typedef struct {
    void *ctx;
    int (*round_trip)(void *ctx, const uint8_t *req, size_t req_len, uint8_t **resp,
                      size_t *resp_len);
} cn_keywire;

/* The server's key source over a wire: encodes each request, round-trips
 * it, turns an error response into its status and reason, and decodes the
 * keys. w must stay alive while the source is used. */
cn_keysource cn_keywire_source(cn_keywire *w);

/* A wire for every rank of an mpirun job (secure/dist.h): rank 0
 * round-trips through inner and broadcasts the response; the other ranks
 * take it (inner may be NULL there), after checking that their own request
 * is rank 0's. ctx must stay alive while the wire is used. */
typedef struct {
    cn_keywire *inner;
} cn_dist_keywire_ctx;
cn_keywire cn_dist_keywire(cn_dist_keywire_ctx *ctx, cn_keywire *inner);

#endif
