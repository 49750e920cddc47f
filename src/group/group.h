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
 * square roots run sixteen at a time). decode_batch returns CRYPTONN_OK, or
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
/* Encryption's slot: many secrets at once against one table. The scalars
 * are recoded once (sc25519_to_radix16, reused for every table), then
 * *r[j] = k_j·P + v_j·B for j < count, |v_j| < 2^bits (bits 1..62), B the
 * generator. Constant time in k and v; eight products at a time on CPUs
 * with AVX-512 IFMA (several times faster than count fixed_mul calls). */
typedef struct {
    int8_t e[64];
} sc25519_radix16;
void sc25519_to_radix16(sc25519_radix16 *d, const sc25519 *k);
void ge25519_fixed_mul_many(ge25519 *const *r, const ge25519_fixed *t, const sc25519_radix16 *k,
                            const int64_t *v, unsigned bits, size_t count);

/* ---- variable-time (public data) ---- */
/* r = k·P, width-5 wNAF. */
void ge25519_scalarmult_var(ge25519 *r, const ge25519 *p, const sc25519 *k);

/* Digit tables ("combs") for n public points: the scalars |k| < 2^bits are
 * cut into signed radix-2^w digits, one per row, and row r of point i holds
 * j·2^(w·r)·P_i for j = 1..2^(w-1) (the top row up to its largest digit), in
 * affine form. k·P_i is then one mixed addition per non-zero digit and no
 * doubling (the one-tooth corner of the Lim–Lee comb, for every point): ct_0
 * of a ciphertext gets one (n = 1, bits 253, w = 8: 32 additions, 512 KiB),
 * its slots another (n = 784, bits 8, w = 5: at most 2 additions a weight).
 * Tables are made once (create) and refilled for other points of the same
 * count without allocating (set). window 2..10, bits 1..253. */
typedef struct ge25519_comb ge25519_comb;
ge25519_comb *ge25519_comb_create_var(size_t n, unsigned window, unsigned bits); /* NULL on OOM */
void ge25519_comb_set_var(ge25519_comb *t, const ge25519 *p);                     /* p: n points */
void ge25519_comb_destroy(ge25519_comb *t);
size_t ge25519_comb_bytes(const ge25519_comb *t);
size_t ge25519_comb_points(const ge25519_comb *t);
unsigned ge25519_comb_bits(const ge25519_comb *t);
/* r = k·P_i (one sum at a time: many go faster through ge25519_sums). */
void ge25519_comb_mul_var(ge25519 *r, const ge25519_comb *t, size_t i, const sc25519 *k);

/* Flat sums: many independent sums of comb entries, each
 * start + Σ ±k·P_i over any tables, computed eight at a time on AVX-512
 * IFMA (eight unrelated additions per instruction stream; no doublings, so
 * nothing keeps the lanes apart). A sum is opened with its output and start
 * point (NULL: the identity), its terms are added, and its value is in *out
 * after the flush that follows it at the latest (out must stay valid until
 * then; the engine may compute sums earlier). The term buffer grows to the
 * largest sum seen, then the engine allocates nothing. */
typedef struct ge25519_sums ge25519_sums;
ge25519_sums *ge25519_sums_create(void); /* NULL on OOM */
void ge25519_sums_destroy(ge25519_sums *s);
/* 0 on success, -1 when the term buffer cannot grow (the sum is then void). */
int ge25519_sums_begin_var(ge25519_sums *s, ge25519 *out, const ge25519 *start);
/* Adds k·P_i (negate = 1: subtracts it); k < 2^bits of the table. */
int ge25519_sums_add_scalar_var(ge25519_sums *s, const ge25519_comb *t, size_t i, const sc25519 *k,
                                int negate);
/* Adds Σ_j k[j]·P[idx[j]] (idx NULL: P[j]); |k[j]| < 2^bits of the table. */
int ge25519_sums_add_i64_var(ge25519_sums *s, const ge25519_comb *t, const uint32_t *idx,
                             const int64_t *k, size_t m);
void ge25519_sums_flush_var(ge25519_sums *s);
/* r = Σ_j k[j]·P[idx[j]] for a long sum (thousands of terms), |k[j]| < 2^62,
 * over a table t of bits 1 (each point once, window 2): Pippenger, each
 * bucket a flat sum of its points, the window size picked from the
 * scalars' sizes. Flushes s first. 0, or -1 when the workspace cannot
 * grow. */
int ge25519_sums_msm_var(ge25519_sums *s, ge25519 *r, const ge25519_comb *t, const uint32_t *idx,
                         const int64_t *k, size_t m);

/* Multi-scalar multiplication r = Σ k_i·P_i (Straus for small n, Pippenger
 * buckets with signed digits for large n). n = 0 gives the identity. */
void ge25519_msm_var(ge25519 *r, const sc25519 *k, const ge25519 *p, size_t n);
/* The same with small signed integer scalars (|k_i| < 2^62), the FEIP case. */
void ge25519_msm_i64_var(ge25519 *r, const int64_t *k, const ge25519 *p, size_t n);

/* Canonical 32-byte fingerprints of many points with ONE field inversion:
 * fingerprint(P) == fingerprint(Q) exactly when P and Q are the same
 * ristretto255 element (any representatives). Not the RFC encoding (it is
 * cheaper); the discrete-log tables key on it. scratch holds n field elements. */
void ge25519_fingerprint_batch_var(uint8_t (*out)[32], const ge25519 *p, size_t n, fe25519 *scratch);

#endif
