/* Fixed-point encoding and the inner-product bounds (fixedpoint.h). */
#include <math.h>

#include "cryptonn/fixedpoint.h"
#include "util/util.h"

#define LIMIT (((uint64_t)1 << 62))

int cryptonn_fixed_init(cryptonn_fixed *f, unsigned base, unsigned digits)
{
    CN_ARG_CHECK(f != NULL);
    if (base != 2 && base != 10) return CRYPTONN_ERR_ARG;
    int64_t s = 1;
    for (unsigned i = 0; i < digits; i++) {
        if (s > CRYPTONN_FIXED_MAX_SCALE / (int64_t)base) return CRYPTONN_ERR_ARG;
        s *= base;
    }
    f->base = base;
    f->digits = digits;
    f->scale = s;
    return CRYPTONN_OK;
}

/* One entry; sets *ok to 0 on failure without an early exit. */
static int64_t encode_one(double v, double scale, int64_t max_abs, int *ok)
{
    double r = round(v * scale);
    /* 2^62 is exact in a double; anything at or beyond it fails before the
     * conversion (which would be undefined). NaN fails the comparison. */
    if (!(fabs(r) < 4611686018427387904.0)) {
        *ok = 0;
        return 0;
    }
    int64_t q = (int64_t)r;
    if (q > max_abs || q < -max_abs) *ok = 0;
    return q;
}

int cryptonn_fixed_encode(const cryptonn_fixed *f, int64_t *out, const double *in, size_t n,
                          int64_t max_abs, size_t *bad)
{
    CN_ARG_CHECK(f != NULL && (n == 0 || (out && in)) && max_abs >= 0);
    if (max_abs == 0) max_abs = (int64_t)(LIMIT - 1);
    int all = 1;
    for (size_t i = 0; i < n; i++) {
        int ok = 1;
        out[i] = encode_one(in[i], (double)f->scale, max_abs, &ok);
        if (!ok && all) {
            all = 0;
            if (bad) *bad = i;
        }
    }
    return all ? CRYPTONN_OK : CRYPTONN_ERR_RANGE;
}

int cryptonn_fixed_encode_f32(const cryptonn_fixed *f, int64_t *out, const float *in, size_t n,
                              int64_t max_abs, size_t *bad)
{
    CN_ARG_CHECK(f != NULL && (n == 0 || (out && in)) && max_abs >= 0);
    if (max_abs == 0) max_abs = (int64_t)(LIMIT - 1);
    int all = 1;
    for (size_t i = 0; i < n; i++) {
        int ok = 1;
        out[i] = encode_one((double)in[i], (double)f->scale, max_abs, &ok);
        if (!ok && all) {
            all = 0;
            if (bad) *bad = i;
        }
    }
    return all ? CRYPTONN_OK : CRYPTONN_ERR_RANGE;
}

void cryptonn_fixed_decode(const cryptonn_fixed *f, double *out, const int64_t *in, size_t n)
{
    for (size_t i = 0; i < n; i++) out[i] = (double)in[i] / (double)f->scale;
}

double cryptonn_fixed_decode_product(const cryptonn_fixed *a, const cryptonn_fixed *b, int64_t v)
{
    return (double)v / ((double)a->scale * (double)b->scale);
}

int cryptonn_fixed_int_bound(const cryptonn_fixed *f, double max_abs_real, uint64_t *out)
{
    CN_ARG_CHECK(f != NULL && out != NULL);
    double v = ceil(fabs(max_abs_real) * (double)f->scale);
    if (!(v < (double)LIMIT)) {
        *out = UINT64_MAX;
        return CRYPTONN_ERR_RANGE;
    }
    *out = (uint64_t)v;
    return CRYPTONN_OK;
}

int cryptonn_fixed_ip_bound(uint64_t max_abs_x, uint64_t max_abs_y, size_t n, uint64_t *bound)
{
    CN_ARG_CHECK(bound != NULL);
    unsigned __int128 b = (unsigned __int128)max_abs_x * max_abs_y;
    if (b > LIMIT || (n && b * n > LIMIT)) { /* b <= 2^62 so b·n cannot wrap 128 bits */
        *bound = UINT64_MAX;
        return CRYPTONN_ERR_RANGE;
    }
    *bound = (uint64_t)(b * n);
    return CRYPTONN_OK;
}

int cryptonn_fixed_key_bound(uint64_t max_abs_x, const int64_t *y, size_t n, uint64_t *bound)
{
    CN_ARG_CHECK(bound != NULL && (n == 0 || y != NULL));
    unsigned __int128 l1 = 0;
    for (size_t i = 0; i < n; i++) {
        l1 += y[i] < 0 ? (uint64_t)0 - (uint64_t)y[i] : (uint64_t)y[i];
        if (l1 > LIMIT) break;
    }
    unsigned __int128 b = l1 > LIMIT ? (unsigned __int128)LIMIT + 1 : l1 * max_abs_x;
    if (b > LIMIT) {
        *bound = UINT64_MAX;
        return CRYPTONN_ERR_RANGE;
    }
    *bound = (uint64_t)b;
    return CRYPTONN_OK;
}

int cryptonn_fixed_check_fits(uint64_t bound, const cryptonn_dlog *d)
{
    CN_ARG_CHECK(d != NULL);
    return bound <= cryptonn_dlog_bound(d) ? CRYPTONN_OK : CRYPTONN_ERR_RANGE;
}
