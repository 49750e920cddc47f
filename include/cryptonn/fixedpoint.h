/* cryptonn_fixed: fixed-point encoding of real tensors for FE (DESIGN.md §3).
 *
 * A tensor with scale S = base^digits is carried as integers round(v·S)
 * (half away from zero). An inner product of tensors with scales Sx and Sy
 * has scale Sx·Sy. The bound helpers say BEFORE any decryption whether
 * |<x,y>| fits the discrete-log bound; nothing here ever wraps: every
 * overflow is CRYPTONN_ERR_RANGE. */
#ifndef CRYPTONN_FIXEDPOINT_H
#define CRYPTONN_FIXEDPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/dlog.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    unsigned base;   /* 2 or 10 */
    unsigned digits; /* scale = base^digits */
    int64_t scale;
} cryptonn_fixed;

/* Largest scale accepted (so |v|·S stays exact in a double for |v| < 2^12). */
#define CRYPTONN_FIXED_MAX_SCALE ((int64_t)1 << 40)

/* base 10 (decimal digits) or 2 (bits). CRYPTONN_ERR_ARG otherwise or when
 * the scale exceeds CRYPTONN_FIXED_MAX_SCALE. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_init(cryptonn_fixed *f, unsigned base,
                                                          unsigned digits);

/* out[i] = round(in[i]·S). max_abs limits |out[i]| (0: 2^62 - 1). Returns
 * OK, or CRYPTONN_ERR_RANGE when any entry is not finite or too large (out is
 * then unspecified; *bad, if not NULL, is the first offending index). The
 * whole input is scanned either way. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_encode(const cryptonn_fixed *f,
                                                            int64_t *out, const double *in,
                                                            size_t n, int64_t max_abs,
                                                            size_t *bad);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_encode_f32(const cryptonn_fixed *f,
                                                                int64_t *out, const float *in,
                                                                size_t n, int64_t max_abs,
                                                                size_t *bad);
/* out[i] = in[i] / S. */
CRYPTONN_API void cryptonn_fixed_decode(const cryptonn_fixed *f, double *out, const int64_t *in,
                                        size_t n);
/* A decrypted inner product back to a real: v / (Sa·Sb). */
CRYPTONN_API double cryptonn_fixed_decode_product(const cryptonn_fixed *a, const cryptonn_fixed *b,
                                                  int64_t v);

/* The integer bound of a real bound: ceil(max_abs_real·S). RANGE if it
 * exceeds 2^62. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_int_bound(const cryptonn_fixed *f,
                                                               double max_abs_real, uint64_t *out);

/* |<x,y>| <= n·X·Y for |x_i| <= X, |y_i| <= Y: *bound, or RANGE if it
 * exceeds 2^62 (then *bound = UINT64_MAX). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_ip_bound(uint64_t max_abs_x,
                                                              uint64_t max_abs_y, size_t n,
                                                              uint64_t *bound);
/* The tighter per-key bound X·||y||_1 (the server knows y). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_key_bound(uint64_t max_abs_x, const int64_t *y,
                                                               size_t n, uint64_t *bound);
/* OK when bound <= the solver's bound, else CRYPTONN_ERR_RANGE. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_fixed_check_fits(uint64_t bound,
                                                                const cryptonn_dlog *d);

#ifdef __cplusplus
}
#endif
#endif
