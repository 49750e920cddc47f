/* ge25519_var: helpers shared by the variable-time half of the group core
 * (wnaf.c, comb.c, sums.c, msm.c, fingerprint.c, and their AVX-512 IFMA
 * twins *_ifma.c on fe4_ifma_var.h and fe8_ifma.h). The point forms and
 * formulas themselves are in ge25519_internal.h; this header adds only what the public-data
 * algorithms need on top of them, and the entry points between the portable
 * files and the IFMA ones (which run only when gev_have_ifma()).
 *
 * Everything here may branch on its inputs (the _var rule of group.h): use it
 * only on public points and scalars. */
#ifndef CRYPTONN_GE25519_VAR_H
#define CRYPTONN_GE25519_VAR_H

#include <stddef.h>
#include <stdint.h>

#include "group/ge25519_internal.h"

/* Width-w signed NAF (2 <= w <= 8) of the little-endian integer
 * x[0..nwords-1]: naf[0 .. 64·nwords] (64·nwords + 1 entries) receives digits
 * that are 0 or odd with |digit| < 2^(w-1), any w consecutive digits holding at
 * most one non-zero, and Σ naf[i]·2^i = x. Returns 1 + the index of the top
 * non-zero digit (0 for x = 0). */
int gev_wnaf_var(int8_t *naf, const uint64_t *x, size_t nwords, unsigned w);

/* ge25519_scalarmult_var's two backends, for tests and benchmarks: the
 * portable one, and the 4-way AVX-512 IFMA one (wnaf_ifma.c), which returns 0
 * without touching r when the CPU lacks AVX512-IFMA/VL. */
void gev_scalarmult_var_portable(ge25519 *r, const ge25519 *p, const sc25519 *k);
int gev_scalarmult_var_ifma(ge25519 *r, const ge25519 *p, const sc25519 *k);
/* out[i] = in[i]^((p-5)/8) for sixteen elements (pow_ifma.c). */
void gev_pow22523_x16_ifma(fe25519 out[16], const fe25519 in[16]);

/* ---- digit tables (comb.c, comb_ifma.c) and flat sums (sums.c, sums_ifma.c) ---- */

/* One table entry: an affine niels addend padded to 128 bytes, so that an
 * entry is exactly two aligned cache lines and the IFMA code loads it as two
 * vectors. Both backends read the same tables. */
typedef struct {
    ge25519_niels n;
    uint64_t pad;
} gev_entry;

/* The identity as an entry (y+x = y-x = 1, 2d·xy = 0): what idle lanes add. */
extern const gev_entry gev_identity_entry;

/* Point i, row r, digit j (1 <= j <= per, or per_top in the top row) is
 * e[i·stride + r·per + j - 1]; stride = (rows - 1)·per + per_top. */
struct ge25519_comb {
    size_t n, stride;
    unsigned w, bits, rows, per, per_top;
    gev_entry *e;
    void *scratch; /* the builder's workspace (GEV_BUILD_BYTES) */
};

/* Signed digits of the magnitude x (words little-endian, x < 2^t->bits):
 * d[r] in (-per, per] for r < rows - 1, d[rows-1] in [0, per_top], and
 * Σ d[r]·2^(w·r) = x. */
void gev_comb_digits(int16_t *d, const ge25519_comb *t, const uint64_t *x);

/* Table builds with an explicit backend (vec = 1: AVX-512 IFMA, only when
 * gev_have_ifma()); ge25519_comb_set_var picks the fastest. */
void gev_comb_set_backend_var(ge25519_comb *t, const ge25519 *p, int vec);
#define GEV_BUILD_STEPS 128 /* steps normalised per inversion (IFMA build) */
#define GEV_BUILD_BYTES ((size_t)GEV_BUILD_STEPS * (5 * 5 * 64 + 8 * sizeof(void *)))
void gev_comb_build_ifma(ge25519_comb *t, const ge25519 *p);

/* Forces the portable backend of a sums engine (tests and benchmarks). */
void gev_sums_set_portable(ge25519_sums *s, int portable);
/* A queued sum: *out = (start or the identity) + Σ of the terms
 * [first, first + len), a term being an entry address with bit 0 set for a
 * subtraction. */
typedef struct {
    ge25519 *out;
    const ge25519 *start; /* NULL: the identity */
    size_t first, len;
} gev_sum;
/* count sums on IFMA: eight lanes, each taking the next queued sum as soon
 * as it finishes one, so no lane waits for a longer sum. */
void gev_sums_run_ifma(const gev_sum *sum, size_t count, const uintptr_t *term);
void gev_sums_run_backend(int portable, const gev_sum *sum, size_t count, const uintptr_t *term);
/* For the bucket MSM (sums_msm.c): the engine's backend, and a workspace of
 * at least `bytes` that it owns and keeps (NULL on OOM). */
int gev_sums_portable(const ge25519_sums *s);
void *gev_sums_scratch(ge25519_sums *s, size_t bytes);
/* ge25519_fingerprint_batch_var for 8·cols points on eight IFMA lanes. */
void gev_fingerprint_batch_ifma(uint8_t (*out)[32], const ge25519 *p, size_t cols, fe25519 *scratch);
/* Σ_{b<h} (b+1)·B[b] (the buckets of one window) on eight IFMA lanes. */
void gev_buckets_combine_ifma(ge25519 *r, const ge25519 *B, size_t h);

/* The two MSM algorithms behind ge25519_msm_var / ge25519_msm_i64_var, for
 * tests and calibration: exactly one of k (full scalars) and ki (small signed
 * ones) is non-NULL; vec = 1 runs the IFMA backend (only when gev_have_ifma()). */
void gev_msm_straus_var(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n, int vec);
void gev_msm_pippenger_var(ge25519 *r, const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n, int vec);

/* The 256-bit little-endian words of a scalar. */
static inline void gev_scalar_words(uint64_t w[4], const sc25519 *k)
{
    for (int i = 0; i < 4; i++) {
        uint64_t v = 0;
        for (int j = 7; j >= 0; j--) v = (v << 8) | k->v[8 * i + j];
        w[i] = v;
    }
}

/* r = q (sign = 0) or -q (sign = 1) for an affine niels entry, as an extended
 * point with Z = 2: X = (y+x)-(y-x) = 2x, Y = 2y, T = XY/Z = 2xy = (2d·xy)/d.
 * 1M, where starting an accumulator with an addition to the identity costs 7M. */
static inline void gev_niels_to_p3_var(ge25519 *r, const ge25519_niels *q, int sign)
{
    static const fe25519 dinv = {{266592072628291ull, 853561038980284ull, 1943101592401754ull,
                                  2007251003935334ull, 1135829554646364ull}}; /* 1/d mod p */
    fe25519_mul(&r->T, &q->xy2d, &dinv);
    if (!sign) {
        fe25519_sub(&r->X, &q->yplusx, &q->yminusx);
    } else {
        fe25519_sub(&r->X, &q->yminusx, &q->yplusx);
        fe25519_neg(&r->T, &r->T);
    }
    fe25519_add(&r->Y, &q->yplusx, &q->yminusx);
    r->Z.v[0] = 2;
    r->Z.v[1] = r->Z.v[2] = r->Z.v[3] = r->Z.v[4] = 0;
}

/* r = p ± q (sign 0: +, 1: -) for a cached / niels addend, to p1p1. */
static inline void gev_add_cached_var(ge25519_p1p1 *r, const ge25519 *p, const ge25519_cached *q, int sign)
{
    if (sign) ge25519_sub_cached(r, p, q);
    else ge25519_add_cached(r, p, q);
}

static inline void gev_add_niels_var(ge25519_p1p1 *r, const ge25519 *p, const ge25519_niels *q, int sign)
{
    if (sign) ge25519_sub_niels(r, p, q);
    else ge25519_add_niels(r, p, q);
}

/* r = p ± q for two extended points: the cached form of q is built on the fly
 * (1M), which is what Pippenger buckets want since each input point enters a
 * bucket only once per window. */
static inline void gev_add_p3_var(ge25519 *r, const ge25519 *p, const ge25519 *q, int sign)
{
    ge25519_cached c;
    ge25519_p1p1 t;
    ge25519_to_cached(&c, q);
    gev_add_cached_var(&t, p, &c, sign);
    ge25519_p1p1_to_p3(r, &t);
}

#endif
