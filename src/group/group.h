/* group: the prime-order group ristretto255 (RFC 9496), 128-bit security.
 *
 * Representation. A group element is a point on the twisted Edwards curve
 * -x^2 + y^2 = 1 + d x^2 y^2 over GF(2^255 - 19) in extended coordinates
 * (X:Y:Z:T), x = X/Z, y = Y/Z, x*y = T/Z, Z != 0. A ristretto255 element is a
 * coset P + E[4]: two representatives that differ by a 4-torsion point are the
 * SAME element. So never compare coordinates: use ge25519_eq, the encoding, or
 * the fingerprint. The identity is a valid element everywhere (⟨x,y⟩ = 0 is a
 * valid FEIP result; libsodium refuses it, we do not).
 *
 * Scalars are integers mod ℓ = 2^252 + 27742317777372353535851937790883648493,
 * stored canonical little-endian (sc25519).
 *
 * Timing. Functions without a suffix run in time independent of their secret
 * inputs (scalars, and the plaintexts of ge25519_scalarmult_base_small). Those
 * ending in _var may branch and index on their inputs: use them only on public
 * data (the server's decryption side, table builds of public points).
 *
 * Aliasing: outputs may alias inputs unless a comment says otherwise. */
#ifndef CRYPTONN_GROUP_H
#define CRYPTONN_GROUP_H

#include <stddef.h>
#include <stdint.h>

#include "group/fe25519.h"

typedef struct {
    fe25519 X, Y, Z, T;
} ge25519;

typedef struct {
    uint8_t v[32];
} sc25519;

/* ---- points ---- */
void ge25519_identity(ge25519 *r);
/* The RFC 9496 generator (the Ed25519 base point). */
void ge25519_base(ge25519 *r);
/* Complete addition formulas: correct for every pair, including P = Q and the identity. */
void ge25519_add(ge25519 *r, const ge25519 *p, const ge25519 *q);
void ge25519_sub(ge25519 *r, const ge25519 *p, const ge25519 *q);
void ge25519_dbl(ge25519 *r, const ge25519 *p);
void ge25519_neg(ge25519 *r, const ge25519 *p);
/* 1 if p and q are the same ristretto255 element, else 0. Constant time. */
int ge25519_eq(const ge25519 *p, const ge25519 *q);
int ge25519_is_identity(const ge25519 *p);
/* r = p if flag == 1, unchanged if flag == 0 (flag must be 0 or 1). Constant time. */
void ge25519_cmov(ge25519 *r, const ge25519 *p, unsigned flag);

/* ---- ristretto255 encoding (RFC 9496 §4.3) ---- */
/* Returns CRYPTONN_OK, or CRYPTONN_ERR_ENCODING for a non-canonical field
 * element, a negative s, or a non-square / invalid point (r unchanged then). */
int ge25519_decode(ge25519 *r, const uint8_t in[32]);
/* The canonical 32-byte encoding; the same for every representative. */
void ge25519_encode(uint8_t out[32], const ge25519 *p);
/* n decodings / encodings of consecutive 32-byte strings, equal to n single
 * calls but several times faster on CPUs with AVX-512 IFMA (the inverse
 * square roots run eight at a time). decode_batch returns CRYPTONN_OK, or
 * CRYPTONN_ERR_ENCODING if any string is invalid (the r of invalid ones
 * unchanged). Constant time per element. */
int ge25519_decode_batch(ge25519 *r, const uint8_t *in, size_t n);
void ge25519_encode_batch(uint8_t *out, const ge25519 *p, size_t n);
/* RFC 9496 §4.3.4 element derivation from 64 uniform bytes (one-way map). */
void ge25519_from_uniform(ge25519 *r, const uint8_t in[64]);

/* ---- scalars mod ℓ ---- */
void sc25519_random(sc25519 *r);                 /* uniform, from the system CSPRNG */
void sc25519_from_i64(sc25519 *r, int64_t v);    /* v mod ℓ, negative v included */
void sc25519_reduce64(sc25519 *r, const uint8_t in[64]);
/* 1 if the 32 bytes are a canonical scalar (< ℓ), else 0. */
int sc25519_is_canonical(const uint8_t in[32]);
void sc25519_add(sc25519 *r, const sc25519 *a, const sc25519 *b);
void sc25519_sub(sc25519 *r, const sc25519 *a, const sc25519 *b);
void sc25519_mul(sc25519 *r, const sc25519 *a, const sc25519 *b);
void sc25519_neg(sc25519 *r, const sc25519 *a);
/* a^-1 mod ℓ; a must be non-zero (returns CRYPTONN_ERR_ARG for zero). */
int sc25519_invert(sc25519 *r, const sc25519 *a);
int sc25519_is_zero(const sc25519 *a);

/* ---- constant-time multiplication (secret scalars) ---- */
/* r = k·B with a precomputed table of the base point. */
void ge25519_scalarmult_base(ge25519 *r, const sc25519 *k);
/* r = v·B for a secret small integer, |v| < 2^bits, bits <= 62; time depends
 * only on bits. This is g^{x_i} in encryption. */
void ge25519_scalarmult_base_small(ge25519 *r, int64_t v, unsigned bits);
/* r = k·P for a secret k and any point P (no table). */
void ge25519_scalarmult(ge25519 *r, const ge25519 *p, const sc25519 *k);

/* A fixed-base table for any point P: built once (public P, so the build may
 * be variable time), then every multiplication by a secret scalar is constant
 * time. The client multiplies each mpk element h_i by its secret r with it. */
typedef struct ge25519_fixed ge25519_fixed;
ge25519_fixed *ge25519_fixed_create(const ge25519 *p); /* NULL on OOM */
void ge25519_fixed_destroy(ge25519_fixed *t);
size_t ge25519_fixed_bytes(void);                      /* memory of one table */
void ge25519_fixed_mul(ge25519 *r, const ge25519_fixed *t, const sc25519 *k);

/* ---- variable-time (public data) ---- */
/* r = k·P, width-5 wNAF. */
void ge25519_scalarmult_var(ge25519 *r, const ge25519 *p, const sc25519 *k);

/* Comb table for a fixed public point P with window w (1..12): 2^w-ish points
 * per tooth; w = 8 gives about 32 additions per multiplication. ct_0 of a
 * ciphertext gets one, shared by thousands of keys. */
typedef struct ge25519_comb ge25519_comb;
ge25519_comb *ge25519_comb_create_var(const ge25519 *p, unsigned window); /* NULL on OOM */
void ge25519_comb_destroy(ge25519_comb *t);
size_t ge25519_comb_bytes(const ge25519_comb *t);
void ge25519_comb_mul_var(ge25519 *r, const ge25519_comb *t, const sc25519 *k);

/* Multi-scalar multiplication r = Σ k_i·P_i (Straus for small n, Pippenger
 * buckets with signed digits for large n). n = 0 gives the identity. */
void ge25519_msm_var(ge25519 *r, const sc25519 *k, const ge25519 *p, size_t n);
/* The same with small signed integer scalars (|k_i| < 2^62), the FEIP case. */
void ge25519_msm_i64_var(ge25519 *r, const int64_t *k, const ge25519 *p, size_t n);

/* Prepared points: for many small-scalar MSMs against one fixed set of public
 * points (the slots ct_1..ct_n of one ciphertext, used by thousands of sparse
 * keys). Holds odd multiples of each point in a form cheap to add. */
typedef struct ge25519_prepared ge25519_prepared;
/* window w (2..8): 2^(w-2) odd multiples per point. NULL on OOM. */
ge25519_prepared *ge25519_prepared_create_var(const ge25519 *p, size_t n, unsigned window);
void ge25519_prepared_destroy(ge25519_prepared *t);
/* r = Σ_j k[j]·P[idx[j]] over a sparse support (idx may be NULL for 0..m-1).
 * |k[j]| < 2^bits where bits is the caller's bound (<= 32). */
void ge25519_prepared_msm_i64_var(ge25519 *r, const ge25519_prepared *t, const uint32_t *idx,
                                  const int64_t *k, size_t m, unsigned bits);

/* Canonical 32-byte fingerprints of many points with ONE field inversion:
 * fingerprint(P) == fingerprint(Q) exactly when P and Q are the same
 * ristretto255 element (any representatives). Not the RFC encoding (it is
 * cheaper); the discrete-log tables key on it. scratch holds n field elements. */
void ge25519_fingerprint_batch_var(uint8_t (*out)[32], const ge25519 *p, size_t n, fe25519 *scratch);

#endif
