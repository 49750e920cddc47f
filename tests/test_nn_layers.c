/* nn: the layers model files add — convolutions with stride and padding,
 * pooling windows of any size and stride, dropout — against reference
 * loops written from their definitions (nn.h), and their backward passes
 * against central finite differences of their forward passes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "nn/layers.h"
#include "testutil.h"

static float urand(float lo, float hi)
{
    return lo + (hi - lo) * (float)((double)(t_rand64() >> 11) / 9007199254740992.0);
}

/* Distinct values 0.05 apart in random order: no perturbation of 1e-3 can
 * change which element of a window is the largest. */
static void fill_grid(float *x, size_t n)
{
    for (size_t i = 0; i < n; i++) x[i] = 0.05f * (float)i - 1.0f;
    for (size_t i = n - 1; i > 0; i--) {
        size_t j = (size_t)(t_rand64() % (i + 1));
        float t = x[i];
        x[i] = x[j], x[j] = t;
    }
}

/* x[c][r][q] of one sample, 0 outside the image. */
static double at(const nn_layer *l, const float *x, int c, int r, int q)
{
    if (r < 0 || q < 0 || r >= l->in_h || q >= l->in_w) return 0;
    return x[((size_t)c * l->in_h + (size_t)r) * l->in_w + (size_t)q];
}

/* y[o][i][j] = b[o] + Σ_{c,u,v} W[o][c][u][v] · x[c][i·s+u−p][j·s+v−p]. */
static void conv_ref(const nn_layer *l, const float *p, const float *x, double *y)
{
    const int k = l->k, s = l->stride, pd = l->pad;
    for (int o = 0; o < l->out_c; o++)
        for (int i = 0; i < l->out_h; i++)
            for (int j = 0; j < l->out_w; j++) {
                double acc = p[l->nw + (size_t)o];
                for (int c = 0; c < l->in_c; c++)
                    for (int u = 0; u < k; u++)
                        for (int v = 0; v < k; v++)
                            acc += p[(((size_t)o * l->in_c + c) * k + u) * k + v] *
                                   at(l, x, c, i * s + u - pd, j * s + v - pd);
                y[((size_t)o * l->out_h + i) * l->out_w + j] = acc;
            }
}

/* Max or mean over the window (i·s .. i·s+k−1, j·s .. j·s+k−1). */
static void pool_ref(const nn_layer *l, const float *x, double *y)
{
    for (int c = 0; c < l->in_c; c++)
        for (int i = 0; i < l->out_h; i++)
            for (int j = 0; j < l->out_w; j++) {
                double m = -INFINITY, sum = 0;
                for (int u = 0; u < l->k; u++)
                    for (int v = 0; v < l->k; v++) {
                        double e = at(l, x, c, i * l->stride + u, j * l->stride + v);
                        m = e > m ? e : m;
                        sum += e;
                    }
                y[((size_t)c * l->out_h + i) * l->out_w + j] =
                    l->kind == NN_MAXPOOL ? m : sum / (l->k * l->k);
            }
}

static void check_forward(const char *name, nn_layer l, int n)
{
    size_t np = l.nw + l.nb;
    float *p = malloc((np + 1) * sizeof(float)), *x = malloc(n * l.in_size * sizeof(float));
    float *y = malloc(n * l.out_size * sizeof(float));
    float *col = malloc((n * l.col_size + 1) * sizeof(float));
    double *ref = malloc(l.out_size * sizeof(double));
    for (size_t i = 0; i < np; i++) p[i] = urand(-0.5f, 0.5f);
    for (size_t i = 0; i < n * l.in_size; i++) x[i] = urand(-1, 1);
    nn_forward(&l, p, x, y, col, n);
    int bad = 0;
    for (int s = 0; s < n; s++) {
        if (l.kind == NN_CONV) conv_ref(&l, p, x + s * l.in_size, ref);
        else pool_ref(&l, x + s * l.in_size, ref);
        for (size_t i = 0; i < l.out_size; i++)
            if (fabs(ref[i] - y[s * l.out_size + i]) > 1e-5 * (1 + fabs(ref[i])) && bad++ < 3)
                fprintf(stderr, "%s: y[%d][%zu] = %g, definition %g\n", name, s, i,
                        (double)y[s * l.out_size + i], ref[i]);
    }
    CHECK(bad == 0);
    free(p), free(x), free(y), free(col), free(ref);
}

/* L = Σ r·y in double, for finite differences. */
static double proj(const nn_layer *l, const float *p, const float *x, const float *r, float *y,
                   float *col, int n)
{
    nn_forward(l, p, x, y, col, n);
    double s = 0;
    for (size_t i = 0; i < (size_t)n * l->out_size; i++) s += (double)r[i] * y[i];
    return s;
}

/* Central differences of every input and parameter; for dropout, col holds
 * a fixed mask that forward must not redraw. */
static void check_backward(const char *name, nn_layer l, int n, float eps)
{
    size_t np = l.nw + l.nb, in = (size_t)n * l.in_size, out = (size_t)n * l.out_size;
    float *p = calloc(np + 1, sizeof(float)), *dp = calloc(np + 1, sizeof(float));
    float *x = malloc(in * sizeof(float)), *dx = malloc(in * sizeof(float));
    float *y = malloc(out * sizeof(float)), *r = malloc(out * sizeof(float));
    float *col = malloc(((size_t)n * l.col_size + 1) * sizeof(float));
    float *dcol = malloc((l.col_size + 1) * sizeof(float));
    if (l.kind == NN_MAXPOOL) fill_grid(x, in);
    else
        for (size_t i = 0; i < in; i++) x[i] = urand(-1, 1);
    for (size_t i = 0; i < np; i++) p[i] = urand(-0.5f, 0.5f);
    for (size_t i = 0; i < out; i++) r[i] = urand(-1, 1);
    if (l.kind == NN_DROPOUT) nn_dropout_mask(&l, t_rand64(), 0, 0, col, n);
    nn_forward(&l, p, x, y, col, n);
    nn_backward(&l, p, x, y, col, r, dx, np ? dp : NULL, dcol, n);
    int bad = 0;
    for (size_t i = 0; i < in + np; i++) {
        float *v = i < in ? &x[i] : &p[i - in], keep = *v;
        *v = keep + eps;
        double lp = proj(&l, p, x, r, y, col, n);
        *v = keep - eps;
        double lm = proj(&l, p, x, r, y, col, n);
        *v = keep;
        double num = (lp - lm) / (2.0 * eps), ana = i < in ? dx[i] : dp[i - in];
        if (fabs(num - ana) > 2e-3 * (1.0 + fabs(ana)) && bad++ < 3)
            fprintf(stderr, "%s: d%s[%zu] numeric %.6f analytic %.6f\n", name,
                    i < in ? "x" : "p", i < in ? i : i - in, num, ana);
    }
    CHECK(bad == 0);
    free(p), free(dp), free(x), free(dx), free(y), free(r), free(col), free(dcol);
}

static void check_dropout_mask(void)
{
    const size_t size = 4000;
    nn_layer l = nn_layer_dropout(size, 0.25f);
    float *m = malloc(2 * size * sizeof(float)), *m2 = malloc(size * sizeof(float));
    nn_dropout_mask(&l, 7, 3, 0, m, 2);
    size_t zeros = 0, other = 0;
    for (size_t i = 0; i < 2 * size; i++) {
        zeros += m[i] == 0.0f;
        other += m[i] != 0.0f && m[i] != 1.0f / 0.75f;
    }
    CHECK(other == 0);
    /* 8000 draws at 1/4: the standard deviation is 39. */
    CHECK(zeros > 1800 && zeros < 2200);
    /* Sample 1's mask depends on its index only, not on who drew sample 0. */
    nn_dropout_mask(&l, 7, 3, 1, m2, 1);
    CHECK(memcmp(m + size, m2, size * sizeof(float)) == 0);
    nn_dropout_mask(&l, 7, 4, 1, m2, 1);
    CHECK(memcmp(m + size, m2, size * sizeof(float)) != 0);
    /* No mask: the identity. */
    float x[5] = {1, -2, 3, 0, 5}, y[5];
    nn_layer l5 = nn_layer_dropout(5, 0.5f);
    nn_forward(&l5, NULL, x, y, NULL, 1);
    CHECK(memcmp(x, y, sizeof x) == 0);
    free(m), free(m2);
}

int main(void)
{
    t_init("test_nn_layers");
    const struct {
        int c, h, w, o, k, s, p;
    } convs[] = {{1, 7, 6, 2, 3, 2, 1}, {2, 8, 8, 3, 5, 1, 2}, {3, 9, 7, 2, 3, 3, 0},
                 {2, 5, 5, 4, 2, 2, 1}, {1, 6, 6, 1, 1, 1, 0}, {2, 6, 5, 2, 3, 1, 0}};
    for (size_t i = 0; i < sizeof convs / sizeof convs[0]; i++) {
        nn_layer l = nn_layer_conv_sp(convs[i].c, convs[i].h, convs[i].w, convs[i].o, convs[i].k,
                                      convs[i].s, convs[i].p);
        CHECK_EQ_INT(l.out_h, (convs[i].h + 2 * convs[i].p - convs[i].k) / convs[i].s + 1);
        check_forward("conv", l, 2);
        check_backward("conv", l, 2, 1e-2f);
    }
    const struct {
        nn_kind kind;
        int c, h, w, k, s;
    } pools[] = {{NN_MAXPOOL, 2, 7, 6, 3, 2}, {NN_MAXPOOL, 1, 6, 6, 3, 1},
                 {NN_AVGPOOL, 2, 7, 7, 3, 2}, {NN_AVGPOOL, 1, 5, 6, 2, 1},
                 {NN_MAXPOOL, 2, 8, 8, 2, 3}, {NN_MAXPOOL, 2, 6, 6, 2, 2},
                 {NN_AVGPOOL, 3, 5, 5, 2, 2}};
    for (size_t i = 0; i < sizeof pools / sizeof pools[0]; i++) {
        nn_layer l = nn_layer_pool_ks(pools[i].kind, pools[i].c, pools[i].h, pools[i].w,
                                      pools[i].k, pools[i].s);
        check_forward("pool", l, 3);
        check_backward("pool", l, 3, pools[i].kind == NN_MAXPOOL ? 1e-3f : 1e-2f);
    }
    check_backward("dropout", nn_layer_dropout(13, 0.4f), 3, 1e-2f);
    check_dropout_mask();
    return t_done();
}
