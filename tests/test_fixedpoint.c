/* Fixed point: rounding both ways, overflow and non-finite input reported
 * with the index, and the inner-product bounds never wrapping. */
#include <math.h>
#include <stdint.h>

#include "cryptonn/fixedpoint.h"
#include "testutil.h"

int main(void)
{
    t_init("test_fixedpoint");
    cryptonn_fixed f, b;
    CHECK_EQ_INT(cryptonn_fixed_init(&f, 10, 2), CRYPTONN_OK);
    CHECK_EQ_INT(f.scale, 100);
    CHECK_EQ_INT(cryptonn_fixed_init(&b, 2, 8), CRYPTONN_OK);
    CHECK_EQ_INT(b.scale, 256);
    CHECK_EQ_INT(cryptonn_fixed_init(&b, 3, 2), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_fixed_init(&b, 10, 13), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_fixed_init(&b, 2, 40), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_fixed_init(&b, 2, 41), CRYPTONN_ERR_ARG);

    double in[] = {0.0, 0.125, -0.125, 1.0, -2.5, 0.994, 0.996, 1e-9, -0.004999};
    int64_t want[] = {0, 13, -13, 100, -250, 99, 100, 0, 0};
    int64_t out[9];
    CHECK_EQ_INT(cryptonn_fixed_encode(&f, out, in, 9, 0, NULL), CRYPTONN_OK);
    int ok = 1;
    for (int i = 0; i < 9; i++) ok &= out[i] == want[i];
    CHECK(ok);
    float fin[3] = {0.5f, -0.25f, 3.0f};
    CHECK_EQ_INT(cryptonn_fixed_encode_f32(&f, out, fin, 3, 300, NULL), CRYPTONN_OK);
    CHECK(out[0] == 50 && out[1] == -25 && out[2] == 300);
    size_t bad = 99;
    fin[1] = 3.02f;
    CHECK_EQ_INT(cryptonn_fixed_encode_f32(&f, out, fin, 3, 300, &bad), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(bad, 1);
    double nan_in[3] = {1, NAN, INFINITY};
    CHECK_EQ_INT(cryptonn_fixed_encode(&f, out, nan_in, 3, 0, &bad), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(bad, 1);
    double huge[2] = {1, 5e16};
    CHECK_EQ_INT(cryptonn_fixed_encode(&f, out, huge, 2, 0, &bad), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(bad, 1);

    /* Round trip within half a unit. */
    ok = 1;
    for (int i = 0; i < 1000; i++) {
        double v = (double)t_rand_range(-1000000, 1000000) / 1e5, back;
        int64_t q;
        if (cryptonn_fixed_encode(&f, &q, &v, 1, 0, NULL) != CRYPTONN_OK) ok = 0;
        cryptonn_fixed_decode(&f, &back, &q, 1);
        if (fabs(back - v) > 0.005 + 1e-12) ok = 0;
    }
    CHECK(ok);
    CHECK(fabs(cryptonn_fixed_decode_product(&f, &f, 12345) - 1.2345) < 1e-12);

    uint64_t u;
    CHECK_EQ_INT(cryptonn_fixed_int_bound(&f, 1.0, &u), CRYPTONN_OK);
    CHECK_EQ_INT(u, 100);
    CHECK_EQ_INT(cryptonn_fixed_int_bound(&f, 0.001, &u), CRYPTONN_OK);
    CHECK_EQ_INT(u, 1);
    CHECK_EQ_INT(cryptonn_fixed_int_bound(&f, 1e18, &u), CRYPTONN_ERR_RANGE);

    /* LeNet conv1 at two digits: 25 · 100 · 100. */
    CHECK_EQ_INT(cryptonn_fixed_ip_bound(100, 100, 25, &u), CRYPTONN_OK);
    CHECK_EQ_INT(u, 250000);
    CHECK_EQ_INT(cryptonn_fixed_ip_bound(UINT64_MAX, UINT64_MAX, 1, &u), CRYPTONN_ERR_RANGE);
    CHECK(u == UINT64_MAX);
    CHECK_EQ_INT(cryptonn_fixed_ip_bound((uint64_t)1 << 31, (uint64_t)1 << 31, 1, &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_fixed_ip_bound((uint64_t)1 << 31, (uint64_t)1 << 31, 2, &u), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(cryptonn_fixed_ip_bound(5, 5, 0, &u), CRYPTONN_OK);
    CHECK_EQ_INT(u, 0);
    int64_t y[4] = {3, -4, 0, INT64_MIN};
    CHECK_EQ_INT(cryptonn_fixed_key_bound(10, y, 3, &u), CRYPTONN_OK);
    CHECK_EQ_INT(u, 70);
    CHECK_EQ_INT(cryptonn_fixed_key_bound(10, y, 4, &u), CRYPTONN_ERR_RANGE);

    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 250000, 64, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_fixed_check_fits(250000, d), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_fixed_check_fits(250001, d), CRYPTONN_ERR_RANGE);
    cryptonn_dlog_destroy(d);
    return t_done();
}
