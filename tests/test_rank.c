/* The authority's rank tracker against an independent rank computation
 * (Gaussian elimination over doubles with partial pivoting, on small integer
 * matrices where it is exact) and against spans whose rank is known by
 * construction. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "group/group.h"
#include "secure/rank.h"
#include "testutil.h"

static int float_rank(double *m, int rows, int cols)
{
    int rank = 0;
    for (int c = 0; c < cols && rank < rows; c++) {
        int best = rank;
        for (int i = rank; i < rows; i++)
            if (fabs(m[i * cols + c]) > fabs(m[best * cols + c])) best = i;
        if (fabs(m[best * cols + c]) < 1e-9) continue;
        for (int j = 0; j < cols; j++) {
            double t = m[rank * cols + j];
            m[rank * cols + j] = m[best * cols + j];
            m[best * cols + j] = t;
        }
        for (int i = 0; i < rows; i++) {
            if (i == rank) continue;
            double f = m[i * cols + c] / m[rank * cols + c];
            for (int j = 0; j < cols; j++)
                m[i * cols + j] -= f * m[rank * cols + j];
        }
        rank++;
    }
    return rank;
}

int main(void)
{
    t_init("test_rank");

    /* Random small matrices, many of them rank-deficient by construction. */
    for (int trial = 0; trial < 300; trial++) {
        int width = (int)t_rand_range(1, 12), k = (int)t_rand_range(1, 12),
            rows = (int)t_rand_range(1, 16);
        int64_t *basis = malloc(sizeof(int64_t) * (size_t)(k * width));
        for (int i = 0; i < k * width; i++)
            basis[i] = t_rand_range(-3, 3);
        int64_t *vecs = malloc(sizeof(int64_t) * (size_t)(rows * width));
        double *m = malloc(sizeof(double) * (size_t)(rows * width));
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < width; j++)
                vecs[r * width + j] = 0;
            for (int i = 0; i < k; i++) {
                int64_t c = t_rand_range(-2, 2);
                for (int j = 0; j < width; j++)
                    vecs[r * width + j] += c * basis[i * width + j];
            }
            for (int j = 0; j < width; j++)
                m[r * width + j] = (double)vecs[r * width + j];
        }
        cn_rank *tr = cn_rank_create((uint32_t)width);
        int grew = 0, consistent = 1;
        for (int r = 0; r < rows; r++) {
            int before = (int)cn_rank_get(tr);
            int would = cn_rank_would_grow(tr, NULL, vecs + r * width, (size_t)width);
            if ((int)cn_rank_get(tr) != before) consistent = 0;
            int g = cn_rank_add(tr, NULL, vecs + r * width, (size_t)width);
            if (g != would) consistent = 0;
            grew += g;
        }
        CHECK(consistent);
        CHECK_EQ_INT(cn_rank_get(tr), float_rank(m, rows, width));
        CHECK_EQ_INT(grew, cn_rank_get(tr));
        cn_rank_destroy(tr);
        free(basis);
        free(vecs);
        free(m);
    }

    /* Unit vectors: each new pixel adds one; a repeat adds nothing. */
    cn_rank *u = cn_rank_create(784);
    for (uint32_t i = 0; i < 100; i++) {
        int64_t one = 1;
        CHECK_EQ_INT(cn_rank_add(u, &i, &one, 1), 1);
        int64_t minus = -7;
        CHECK_EQ_INT(cn_rank_add(u, &i, &minus, 1), 0);
    }
    CHECK_EQ_INT(cn_rank_get(u), 100);
    uint32_t bad = 784;
    int64_t one = 1;
    CHECK(cn_rank_add(u, &bad, &one, 1) < 0);
    /* Extreme values do not overflow the reduction. */
    uint32_t idx2[2] = {500, 501};
    int64_t ext[2] = {INT64_MIN, INT64_MAX};
    CHECK_EQ_INT(cn_rank_add(u, idx2, ext, 2), 1);
    cn_rank_destroy(u);

    /* LeNet-5 conv1: 6 generic 5x5 filters at every 24x24 position of a 28x28
     * image span all 784 pixels — the leak DESIGN §5 describes — while one
     * filter alone gives only its 576 positions. */
    cn_rank *c = cn_rank_create(784);
    int64_t w[25];
    for (int f = 0; f < 6; f++) {
        for (int i = 0; i < 25; i++)
            w[i] = t_rand_range(-50, 50) | 1;
        for (int py = 0; py < 24; py++)
            for (int px = 0; px < 24; px++) {
                uint32_t idx[25];
                for (int ky = 0; ky < 5; ky++)
                    for (int kx = 0; kx < 5; kx++)
                        idx[ky * 5 + kx] = (uint32_t)((py + ky) * 28 + px + kx);
                (void)cn_rank_add(c, idx, w, 25);
            }
        if (f == 0) CHECK_EQ_INT(cn_rank_get(c), 576);
    }
    CHECK_EQ_INT(cn_rank_get(c), 784);
    cn_rank_destroy(c);

    cn_rank *d = cn_rank_create(784);
    for (int py = 0; py < 10; py++)
        for (int px = 0; px < 10; px++) {
            uint32_t idx[25];
            for (int ky = 0; ky < 5; ky++)
                for (int kx = 0; kx < 5; kx++)
                    idx[ky * 5 + kx] = (uint32_t)((py + ky) * 28 + px + kx);
            (void)cn_rank_add(d, idx, w, 25);
        }
    CHECK_EQ_INT(cn_rank_get(d), 100); /* 10x10 positions, at most 100 keys: independent */
    cn_rank_destroy(d);

    /* Keys are linear mod ℓ: a pair whose determinant is 2^61 − 1 (which a
     * tracker mod 2^61 − 1 counted as rank 1) is independent. */
    cn_rank *u2 = cn_rank_create(2);
    const uint32_t i01[2] = {0, 1};
    const int64_t ya[2] = {(int64_t)1 << 30, 1 - ((int64_t)1 << 30)};
    const int64_t yb[2] = {1, ((int64_t)1 << 31) - 1};
    CHECK_EQ_INT(cn_rank_add(u2, i01, ya, 2), 1);
    CHECK_EQ_INT(cn_rank_add(u2, i01, yb, 2), 1);
    CHECK_EQ_INT(cn_rank_get(u2), 2);
    cn_rank_destroy(u2);

    /* And dependence is judged mod ℓ, not over Q: rows t·e_i − e_{i+1}
     * (t = 2^62) and the digits of ℓ in base t have determinant ±ℓ, so
     * (1, t, t², t³, t⁴) is in their kernel mod ℓ: rank 4, not 5. The digits
     * are checked against the group layer's scalar arithmetic first. */
    const int64_t t62 = (int64_t)1 << 62;
    const int64_t digits[5] = {1734557771370976237LL, 1403970222374679385LL, 1, 0, 16};
    sc25519 acc, tp, term, ts;
    sc25519_from_i64(&acc, 0);
    sc25519_from_i64(&tp, 1);
    sc25519_from_i64(&ts, t62);
    for (int i = 0; i < 5; i++) {
        sc25519_from_i64(&term, digits[i]);
        sc25519_mul(&term, &term, &tp);
        sc25519_add(&acc, &acc, &term);
        sc25519_mul(&tp, &tp, &ts);
    }
    CHECK(sc25519_is_zero(&acc));
    cn_rank *m5 = cn_rank_create(5);
    for (uint32_t i = 0; i < 4; i++) {
        const uint32_t ix[2] = {i, i + 1};
        const int64_t v[2] = {t62, -1};
        CHECK_EQ_INT(cn_rank_add(m5, ix, v, 2), 1);
    }
    CHECK_EQ_INT(cn_rank_add(m5, NULL, digits, 5), 0);
    CHECK_EQ_INT(cn_rank_get(m5), 4);
    /* the same rows with the last digit changed are independent mod ℓ */
    const int64_t off[5] = {1734557771370976237LL, 1403970222374679385LL, 1, 0, 17};
    CHECK_EQ_INT(cn_rank_would_grow(m5, NULL, off, 5), 1);
    cn_rank_destroy(m5);
    return t_done();
}
