/* labelreg: the owners' registration of their label ciphertexts with the
 * authority (strict mode, DESIGN §5). The authority issues a FEBO key only
 * for a ciphertext some owner registered, so the server cannot turn the
 * labels msk into an oracle on ciphertexts of its own making (a FEBO key for
 * (cmt, ct) hands out cmt^s: for a chosen cmt, a Diffie–Hellman oracle on the
 * labels secret; for another party's ciphertext, its plaintext).
 *
 * A registration names each ciphertext by the BLAKE2b-128 digest of its
 * canonical export (what the encrypted dataset stores and the server sends
 * back in a key request). Digests are public: a registration reveals nothing
 * a ciphertext does not.
 *
 * Message / file "LREG" v1: 16-byte labels mpk id, u64 n, n × 16-byte digests. */
#ifndef CRYPTONN_PROTOCOL_LABELREG_H
#define CRYPTONN_PROTOCOL_LABELREG_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/febo.h"

#define CN_LABELREG_MAX ((uint64_t)1 << 26) /* digests per message (1 GiB) */

typedef struct {
    uint8_t mpk_id[16];
    uint8_t *d; /* n × 16 */
    uint64_t n, cap;
} cn_labelreg;

/* The digest of a FEBO ciphertext (of its export). */
int cn_label_digest(const cryptonn_febo_ct *ct, uint8_t out[16]);
void cn_label_digest_bytes(const uint8_t *export_bytes, size_t len, uint8_t out[16]);

int cn_labelreg_add(cn_labelreg *r, const uint8_t d[16]);
void cn_labelreg_free(cn_labelreg *r);
int cn_labelreg_encode(const cn_labelreg *r, uint8_t **buf, size_t *len);
/* Validates the structure; r->d is malloc'd. */
int cn_labelreg_decode(cn_labelreg *r, const uint8_t *buf, size_t len);
int cn_labelreg_write(const char *path, const cn_labelreg *r);

#endif
