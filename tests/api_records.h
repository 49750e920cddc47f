/* Records for the public-API tests (test_api*.c): sparse 28x28 records (a
 * few bright pixels) whose class is the row band of its pixels, so a model
 * can learn it. Header-only: each test is its own executable. */
#ifndef CRYPTONN_TESTS_API_RECORDS_H
#define CRYPTONN_TESTS_API_RECORDS_H

#include <stdlib.h>

#include "cryptonn/cryptonn.h"
#include "testutil.h"

static void api_records(cryptonn_dataset *d, uint32_t n)
{
    *d = (cryptonn_dataset){.n = n, .rows = 28, .cols = 28};
    d->x = calloc((size_t)n * 784, sizeof(float));
    d->y = calloc(n, 1);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t cls = (uint32_t)t_rand_range(0, 9);
        for (int k = 0; k < 12; k++) {
            uint32_t r = cls * 2 + (uint32_t)t_rand_range(0, 3), c = (uint32_t)t_rand_range(0, 27);
            d->x[(size_t)i * 784 + r * 28 + c] = (float)t_rand_range(1, 255) / 255.0f;
        }
        d->y[i] = (uint8_t)cls;
    }
}

#endif
