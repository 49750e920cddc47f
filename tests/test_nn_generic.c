/* nn: models built from layer lists (CRYPTONN_ARCH_LAYERS).
 *   - models/lenet5.json and models/mlp.json are the built-in LeNet-5 and MLP
 *     bit for bit: same initial weights, same weights after training steps;
 *   - the secure-training hooks work for any first layer: Z1 computed from the
 *     definition in nn.h (stride, padding) reproduces the plain forward, and
 *     dW1 from dZ1 the plain step; a frozen first layer never moves;
 *   - the whole-model gradient of a network with every layer kind matches
 *     finite differences, for classification and regression;
 *   - regression learns, dropout is reproducible across thread counts and
 *     off in evaluation, and layer-list models survive save and load. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "testutil.h"

static float urand(void) { return (float)((double)(t_rand64() >> 11) / 9007199254740992.0); }

static double maxdiff(const float *a, const float *b, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) d = fmax(d, fabs((double)a[i] - b[i]));
    return d;
}

static cryptonn_layer_spec L(cryptonn_layer_kind k, uint32_t units, uint32_t kernel,
                             uint32_t stride, uint32_t pad)
{
    return (cryptonn_layer_spec){k, units, kernel, stride, pad, 0.0f};
}

static void layers_cfg(cryptonn_model_config *c, uint32_t in_c, uint32_t in_h, uint32_t in_w,
                       const cryptonn_layer_spec *l, uint32_t n)
{
    cryptonn_model_config_default(c);
    c->arch = CRYPTONN_ARCH_LAYERS;
    c->in_c = in_c, c->in_h = in_h, c->in_w = in_w;
    c->nlayers = n;
    memcpy(c->layers, l, n * sizeof *l);
    c->classes = l[n - 1].units;
}

/* x[c][r][q] of one sample, 0 outside. */
static double px(const cryptonn_first_layer *f, const float *x, uint32_t c, long r, long q)
{
    if (r < 0 || q < 0 || r >= (long)f->in_h || q >= (long)f->in_w) return 0;
    return x[((size_t)c * f->in_h + (size_t)r) * f->in_w + (size_t)q];
}

/* Z1 = W1·x and dW1 = Σ_b dZ1_b ⊗ x_b from the definitions in nn.h. */
static void z1_def(const cryptonn_first_layer *f, const float *x, float *z1, int n)
{
    size_t in = (size_t)f->in_c * f->in_h * f->in_w;
    for (int b = 0; b < n; b++)
        for (uint32_t o = 0; o < f->out_c; o++)
            for (uint32_t i = 0; i < f->out_h; i++)
                for (uint32_t j = 0; j < f->out_w; j++) {
                    double s = 0;
                    if (!f->is_conv)
                        for (size_t t = 0; t < in; t++) s += (double)f->w[o * in + t] * x[b * in + t];
                    for (uint32_t c = 0; f->is_conv && c < f->in_c; c++)
                        for (uint32_t u = 0; u < f->k; u++)
                            for (uint32_t v = 0; v < f->k; v++)
                                s += (double)f->w[((o * f->in_c + c) * f->k + u) * f->k + v] *
                                     px(f, x + b * in, c, (long)(i * f->stride + u) - f->pad,
                                        (long)(j * f->stride + v) - f->pad);
                    z1[b * f->z1_size + (o * f->out_h + i) * f->out_w + j] = (float)s;
                }
}

static void dw1_def(const cryptonn_first_layer *f, const float *x, const float *dz, float *dw,
                    int n)
{
    size_t in = (size_t)f->in_c * f->in_h * f->in_w;
    memset(dw, 0, sizeof(float) * f->nw);
    for (int b = 0; b < n; b++)
        for (uint32_t o = 0; o < f->out_c; o++)
            for (uint32_t i = 0; i < f->out_h; i++)
                for (uint32_t j = 0; j < f->out_w; j++) {
                    float d = dz[b * f->z1_size + (o * f->out_h + i) * f->out_w + j];
                    if (!f->is_conv)
                        for (size_t t = 0; t < in; t++) dw[o * in + t] += d * x[b * in + t];
                    for (uint32_t c = 0; f->is_conv && c < f->in_c; c++)
                        for (uint32_t u = 0; u < f->k; u++)
                            for (uint32_t v = 0; v < f->k; v++)
                                dw[((o * f->in_c + c) * f->k + u) * f->k + v] +=
                                    d * (float)px(f, x + b * in, c,
                                                  (long)(i * f->stride + u) - f->pad,
                                                  (long)(j * f->stride + v) - f->pad);
                }
}

/* Targets (LINEAR) or labels for n samples. */
static void make_truth(const cryptonn_model_config *c, int n, uint8_t *lab, float *t)
{
    for (int i = 0; i < n; i++) lab[i] = (uint8_t)(t_rand64() % c->classes);
    for (int i = 0; i < n * (int)c->classes; i++) t[i] = 2 * urand() - 1;
}

static void plain_backward(cryptonn_model *m, const cryptonn_model_config *c, const uint8_t *lab,
                           const float *t, int n, double *loss)
{
    if (c->output == CRYPTONN_OUTPUT_LINEAR) cryptonn_model_backward_targets(m, t, (uint32_t)n, loss);
    else cryptonn_model_backward(m, lab, (uint32_t)n, loss, NULL);
}

/* Model a trains plainly, model b through the secure hooks with Z1 and dW1
 * computed from the definitions: they must agree step after step. */
static void check_hooks(const cryptonn_model_config *cfg, int n)
{
    cryptonn_model *a, *b;
    CHECK_EQ_INT(cryptonn_model_create(cfg, (uint32_t)n, 2, &a), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(cfg, (uint32_t)n, 2, &b), CRYPTONN_OK);
    if (!a || !b) return;
    const uint32_t c = cfg->classes;
    size_t in = cryptonn_model_input_size(a), np = cryptonn_model_param_count(a);
    cryptonn_first_layer f;
    cryptonn_model_first_layer(b, &f);
    CHECK_EQ_INT(f.is_conv, cfg->layers[0].kind == CRYPTONN_LAYER_CONV2D);
    CHECK_EQ_INT(f.stride, f.is_conv ? cfg->layers[0].stride : 1);
    CHECK_EQ_INT(f.pad, cfg->layers[0].pad);
    CHECK_EQ_INT(f.out_c, cfg->layers[0].units);
    float *x = malloc(sizeof(float) * in * n), *z1 = malloc(sizeof(float) * f.z1_size * n);
    float *err = malloc(sizeof(float) * c * n), *pa = malloc(sizeof(float) * c * n);
    float *t = malloc(sizeof(float) * c * n), *dw = malloc(sizeof(float) * f.nw);
    float *dza = malloc(sizeof(float) * f.z1_size * n);
    uint8_t *lab = malloc((size_t)n);
    for (size_t i = 0; i < in * n; i++) x[i] = urand();
    make_truth(cfg, n, lab, t);
    cryptonn_sgd opt = {0.05f, 0.9f, 1e-4f};
    for (int step = 0; step < 3; step++) {
        memcpy(pa, cryptonn_model_forward(a, x, (uint32_t)n), sizeof(float) * c * n);
        plain_backward(a, cfg, lab, t, n, NULL);
        memcpy(dza, cryptonn_model_dz1(a), sizeof(float) * f.z1_size * n);
        z1_def(&f, x, z1, n);
        const float *pb = cryptonn_model_forward_from_z1(b, z1, (uint32_t)n);
        CHECK(maxdiff(pa, pb, (size_t)c * n) < 1e-5);
        for (int s = 0; s < n; s++)
            for (uint32_t j = 0; j < c; j++)
                err[s * c + j] = pb[s * c + j] - (cfg->output == CRYPTONN_OUTPUT_LINEAR
                                                      ? t[s * c + j]
                                                      : (j == lab[s] ? 1.0f : 0.0f));
        const float *dzb = cryptonn_model_backward_from_error(b, err, (uint32_t)n);
        CHECK(maxdiff(dza, dzb, f.z1_size * n) < 1e-5);
        const float *dwa;
        cryptonn_model_first_layer_grad(a, &dwa, NULL);
        dw1_def(&f, x, dzb, dw, n);
        if (!cfg->frozen_first_layer) CHECK(maxdiff(dwa, dw, f.nw) < 1e-4);
        cryptonn_model_set_first_layer_grad(b, dw, NULL);
        cryptonn_model_sgd_step(a, &opt);
        cryptonn_model_sgd_step(b, &opt);
        CHECK(maxdiff(cryptonn_model_params(a), cryptonn_model_params(b), np) < 1e-4);
    }
    cryptonn_model_first_layer(b, &f);
    if (cfg->frozen_first_layer) {
        cryptonn_model *fresh;
        CHECK_EQ_INT(cryptonn_model_create(cfg, 1, 1, &fresh), CRYPTONN_OK);
        if (fresh) CHECK(memcmp(cryptonn_model_params(fresh), f.w, (f.nw + f.nb) * 4) == 0);
        cryptonn_model_destroy(fresh);
    }
    free(x), free(z1), free(err), free(pa), free(t), free(dw), free(dza), free(lab);
    cryptonn_model_destroy(a);
    cryptonn_model_destroy(b);
}

/* Central difference of the loss at parameter i, step eps: 1 when it agrees
 * with the analytic g_i, 2 when the step straddles a kink (the one-sided
 * slopes differ), 0 when it disagrees. */
static int probe(cryptonn_model *m, const cryptonn_model_config *cfg, const float *x,
                 const uint8_t *lab, const float *t, int n, float *p, float p0, size_t i,
                 float eps, double l0, double scale, float g)
{
    double l[2];
    for (int s = 0; s < 2; s++) {
        p[i] = p0 + (s ? -eps : eps);
        cryptonn_model_forward(m, x, (uint32_t)n);
        plain_backward(m, cfg, lab, t, n, &l[s]);
    }
    double fwd = (l[0] - l0) / eps, bwd = (l0 - l[1]) / eps;
    if (fabs(fwd - bwd) > 0.05 * (fabs(fwd) + fabs(bwd)) + 1e-4) return 2;
    double num = (l[0] - l[1]) / (2.0 * eps) * scale;
    return fabs(num - g) <= 1e-2 * (1.0 + fabs(g));
}

/* The gradient of the summed loss against central differences on a sample
 * of parameters. Evaluation mode: dropout must not redraw between probes. */
static void check_gradient(const cryptonn_model_config *cfg, int n)
{
    cryptonn_model *m;
    CHECK_EQ_INT(cryptonn_model_create(cfg, (uint32_t)n, 2, &m), CRYPTONN_OK);
    if (!m) return;
    cryptonn_model_set_training(m, 0);
    size_t in = cryptonn_model_input_size(m), np = cryptonn_model_param_count(m);
    float *x = malloc(sizeof(float) * in * n), *t = malloc(sizeof(float) * n * cfg->classes);
    float *g = malloc(sizeof(float) * np), *p0 = malloc(sizeof(float) * np);
    uint8_t *lab = malloc((size_t)n);
    for (size_t i = 0; i < in * n; i++) x[i] = 2 * urand() - 1;
    make_truth(cfg, n, lab, t);
    float *p = cryptonn_model_params(m);
    memcpy(p0, p, sizeof(float) * np);
    cryptonn_sgd unit = {1.0f, 0, 0};
    double l0;
    cryptonn_model_forward(m, x, (uint32_t)n);
    plain_backward(m, cfg, lab, t, n, &l0);
    cryptonn_model_sgd_step(m, &unit);
    for (size_t i = 0; i < np; i++) g[i] = p0[i] - p[i], p[i] = p0[i];
    const double scale = cfg->reduction == CRYPTONN_REDUCE_MEAN ? 1.0 / n : 1.0;
    int bad = 0, skipped = 0, probes = 80;
    for (int k = 0; k < probes; k++) {
        size_t i = k < 8 ? (size_t)k : (size_t)(t_rand64() % np);
        /* A kink (max pool, ReLU) near p can spoil a wide difference without
         * the gradient being wrong: a disagreeing parameter is probed again
         * at a step 8 times smaller before it counts as bad. */
        int verdict = 0;
        for (float eps = 1e-2f; eps > 1e-3f && verdict <= 0; eps /= 8) {
            verdict = probe(m, cfg, x, lab, t, n, p, p0[i], i, eps, l0, scale, g[i]);
            p[i] = p0[i];
        }
        if (verdict == 2) skipped++;
        if (verdict <= 0 && bad++ < 3)
            fprintf(stderr, "gradient: dp[%zu] analytic %.6g disagrees at both steps\n", i, g[i]);
    }
    CHECK(bad == 0);
    CHECK(skipped <= probes / 3);
    free(x), free(t), free(g), free(p0), free(lab);
    cryptonn_model_destroy(m);
}

/* The model file and the built-in config: equal weights at creation and
 * after three steps of plain training. */
static void check_same_as_builtin(const char *file, const cryptonn_model_config *builtin, int n)
{
    char path[1024], msg[512] = "";
    cryptonn_model_config cfg;
    int rc = cryptonn_model_config_read(t_src_path(path, sizeof path, file), &cfg, msg, sizeof msg);
    CHECK_EQ_INT(rc, CRYPTONN_OK);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "%s\n", msg);
        return;
    }
    cryptonn_model *a, *b;
    CHECK_EQ_INT(cryptonn_model_create(&cfg, (uint32_t)n, 2, &a), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(builtin, (uint32_t)n, 2, &b), CRYPTONN_OK);
    if (!a || !b) return;
    size_t np = cryptonn_model_param_count(a), in = cryptonn_model_input_size(a);
    CHECK_EQ_INT(np, cryptonn_model_param_count(b));
    CHECK_EQ_INT(in, cryptonn_model_input_size(b));
    CHECK(memcmp(cryptonn_model_params(a), cryptonn_model_params(b), np * 4) == 0);
    float *x = malloc(sizeof(float) * in * n);
    uint8_t *lab = malloc((size_t)n);
    cryptonn_sgd opt = {0.05f, 0.9f, 1e-4f};
    for (int step = 0; step < 3; step++) {
        for (size_t i = 0; i < in * n; i++) x[i] = urand();
        for (int i = 0; i < n; i++) lab[i] = (uint8_t)(t_rand64() % 10);
        double la, lb;
        cryptonn_model_train_step(a, x, lab, (uint32_t)n, &opt, &la, NULL);
        cryptonn_model_train_step(b, x, lab, (uint32_t)n, &opt, &lb, NULL);
        CHECK(la == lb);
    }
    CHECK(memcmp(cryptonn_model_params(a), cryptonn_model_params(b), np * 4) == 0);
    free(x), free(lab);
    cryptonn_model_destroy(a);
    cryptonn_model_destroy(b);
}

/* y = 0.5·x0 − x1 + 0.25 through a small network: the RMSE must fall well
 * below the targets' spread (0.65). */
static void check_regression_learns(void)
{
    const cryptonn_layer_spec l[] = {L(CRYPTONN_LAYER_DENSE, 16, 0, 0, 0),
                                     L(CRYPTONN_LAYER_TANH, 0, 0, 0, 0),
                                     L(CRYPTONN_LAYER_DENSE, 1, 0, 0, 0)};
    cryptonn_model_config c;
    layers_cfg(&c, 2, 1, 1, l, 3);
    c.output = CRYPTONN_OUTPUT_LINEAR, c.loss = CRYPTONN_LOSS_MSE;
    enum { N = 256 };
    float *x = malloc(sizeof(float) * 2 * N), *t = malloc(sizeof(float) * N);
    for (int i = 0; i < N; i++) {
        x[2 * i] = 2 * urand() - 1, x[2 * i + 1] = 2 * urand() - 1;
        t[i] = 0.5f * x[2 * i] - x[2 * i + 1] + 0.25f;
    }
    cryptonn_samples s = {.n = N, .size = 2, .outputs = 1, .x = x, .t = t};
    cryptonn_model *m;
    CHECK_EQ_INT(cryptonn_model_create(&c, 16, 2, &m), CRYPTONN_OK);
    if (m) {
        double before = 0, after = 0;
        CHECK_EQ_INT(cryptonn_model_evaluate_samples(m, &s, &before, NULL), CRYPTONN_OK);
        cryptonn_sgd opt = {0.05f, 0.9f, 0};
        for (int e = 0; e < 30; e++)
            CHECK_EQ_INT(cryptonn_model_train_samples(m, &s, 16, &opt, NULL, NULL, NULL, NULL),
                         CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_model_evaluate_samples(m, &s, &after, NULL), CRYPTONN_OK);
        CHECK(after < 0.05 && after < before / 5);
        /* Labels instead of targets, and a targets width that does not fit. */
        cryptonn_samples wrong = s;
        wrong.outputs = 2;
        CHECK_EQ_INT(cryptonn_model_evaluate_samples(m, &wrong, &after, NULL), CRYPTONN_ERR_ARG);
        uint8_t y[N] = {0};
        wrong = (cryptonn_samples){.n = N, .size = 2, .x = x, .y = y};
        CHECK_EQ_INT(cryptonn_model_train_samples(m, &wrong, 16, &opt, NULL, NULL, NULL, NULL),
                     CRYPTONN_ERR_ARG);
    }
    cryptonn_model_destroy(m);
    free(x), free(t);
}

/* Dropout: training passes differ from evaluation passes, yet training is
 * bit-for-bit the same with 1 and 2 threads; evaluation is deterministic. */
static void check_dropout(void)
{
    cryptonn_layer_spec l[] = {L(CRYPTONN_LAYER_DENSE, 32, 0, 0, 0),
                               L(CRYPTONN_LAYER_RELU, 0, 0, 0, 0),
                               L(CRYPTONN_LAYER_DROPOUT, 0, 0, 0, 0),
                               L(CRYPTONN_LAYER_DENSE, 3, 0, 0, 0)};
    l[2].rate = 0.5f;
    cryptonn_model_config c;
    layers_cfg(&c, 6, 1, 1, l, 4);
    enum { N = 40 };
    float x[N * 6];
    uint8_t y[N];
    for (int i = 0; i < N * 6; i++) x[i] = urand();
    for (int i = 0; i < N; i++) y[i] = (uint8_t)(i % 3);
    cryptonn_model *m[2];
    cryptonn_sgd opt = {0.1f, 0.9f, 0};
    for (int k = 0; k < 2; k++) {
        CHECK_EQ_INT(cryptonn_model_create(&c, N, (uint32_t)k + 1, &m[k]), CRYPTONN_OK);
        if (!m[k]) return;
    }
    /* Both models see the same passes: the masks count training passes. */
    float train1[N * 3], eval1[N * 3], eval2[N * 3];
    for (int k = 0; k < 2; k++) {
        memcpy(train1, cryptonn_model_forward(m[k], x, N), sizeof train1);
        cryptonn_model_set_training(m[k], 0);
        memcpy(eval1, cryptonn_model_forward(m[k], x, N), sizeof eval1);
        memcpy(eval2, cryptonn_model_forward(m[k], x, N), sizeof eval2);
        CHECK(memcmp(eval1, eval2, sizeof eval1) == 0);
        CHECK(maxdiff(train1, eval1, N * 3) > 1e-3);
        cryptonn_model_set_training(m[k], 1);
    }
    for (int k = 0; k < 2; k++)
        for (int e = 0; e < 3; e++)
            CHECK_EQ_INT(cryptonn_model_train_epoch(m[k], &(cryptonn_dataset){N, 1, 6, x, y}, 8,
                                                    &opt, (uint64_t)e, NULL, NULL, NULL),
                         CRYPTONN_OK);
    size_t np = cryptonn_model_param_count(m[0]);
    CHECK(memcmp(cryptonn_model_params(m[0]), cryptonn_model_params(m[1]), np * 4) == 0);
    cryptonn_model_destroy(m[0]);
    cryptonn_model_destroy(m[1]);
}

static void check_save_load(const cryptonn_model_config *cfg, const cryptonn_model_config *other)
{
    char path[512];
    snprintf(path, sizeof path, "%s/generic.bin", t_tmpdir());
    cryptonn_model *a, *b = NULL, *o;
    CHECK_EQ_INT(cryptonn_model_create(cfg, 4, 1, &a), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(other, 4, 1, &o), CRYPTONN_OK);
    if (!a || !o) return;
    float *p = cryptonn_model_params(a);
    for (size_t i = 0; i < cryptonn_model_param_count(a); i++) p[i] = urand();
    CHECK_EQ_INT(cryptonn_model_save(a, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_load(path, 4, 1, &b), CRYPTONN_OK);
    if (b) {
        CHECK(memcmp(cryptonn_model_get_config(a), cryptonn_model_get_config(b),
                     sizeof(cryptonn_model_config)) == 0);
        CHECK(memcmp(p, cryptonn_model_params(b), cryptonn_model_param_count(a) * 4) == 0);
    }
    CHECK_EQ_INT(cryptonn_model_load_into(o, path), CRYPTONN_ERR_MISMATCH);
    cryptonn_model_destroy(a);
    cryptonn_model_destroy(b);
    cryptonn_model_destroy(o);
}

int main(void)
{
    t_init("test_nn_generic");
    cryptonn_model_config builtin;
    cryptonn_model_config_default(&builtin);
    check_same_as_builtin("models/lenet5.json", &builtin, 9);
    builtin.arch = CRYPTONN_ARCH_MLP;
    check_same_as_builtin("models/mlp.json", &builtin, 9);

    /* Conv first layer with two channels, stride 2, padding 1; every later
     * kind once; classification and regression; trained and frozen. */
    cryptonn_layer_spec cnn[] = {
        L(CRYPTONN_LAYER_CONV2D, 3, 3, 2, 1),  L(CRYPTONN_LAYER_TANH, 0, 0, 0, 0),
        L(CRYPTONN_LAYER_MAXPOOL, 0, 3, 1, 0), L(CRYPTONN_LAYER_CONV2D, 4, 2, 1, 1),
        L(CRYPTONN_LAYER_SIGMOID, 0, 0, 0, 0), L(CRYPTONN_LAYER_AVGPOOL, 0, 2, 2, 0),
        L(CRYPTONN_LAYER_DROPOUT, 0, 0, 0, 0), L(CRYPTONN_LAYER_FLATTEN, 0, 0, 0, 0),
        L(CRYPTONN_LAYER_DENSE, 7, 0, 0, 0),   L(CRYPTONN_LAYER_RELU, 0, 0, 0, 0),
        L(CRYPTONN_LAYER_DENSE, 4, 0, 0, 0)};
    cnn[6].rate = 0.3f;
    const uint32_t ncnn = sizeof cnn / sizeof cnn[0];
    cryptonn_model_config c;
    layers_cfg(&c, 2, 9, 8, cnn, ncnn);
    cnn[6].rate = 0.0f; /* the hooks compare two models' passes: no dropout there */
    cryptonn_model_config c0;
    layers_cfg(&c0, 2, 9, 8, cnn, ncnn);
    char msg[256] = "";
    CHECK_EQ_INT(cryptonn_model_config_check(&c, msg, sizeof msg), CRYPTONN_OK);
    check_hooks(&c0, 5);
    check_gradient(&c, 4);
    c0.frozen_first_layer = 1;
    check_hooks(&c0, 3);
    c.output = CRYPTONN_OUTPUT_LINEAR, c.loss = CRYPTONN_LOSS_MSE, c.reduction = CRYPTONN_REDUCE_SUM;
    c.classes = c.layers[ncnn - 1].units = 2;
    check_gradient(&c, 3);
    c0.frozen_first_layer = 0;
    c0.output = CRYPTONN_OUTPUT_LINEAR, c0.loss = CRYPTONN_LOSS_MSE;
    c0.classes = c0.layers[ncnn - 1].units = 2;
    check_hooks(&c0, 4);

    /* A dense first layer on an image input (flattened), softmax MSE. */
    const cryptonn_layer_spec mlp[] = {L(CRYPTONN_LAYER_DENSE, 12, 0, 0, 0),
                                       L(CRYPTONN_LAYER_SIGMOID, 0, 0, 0, 0),
                                       L(CRYPTONN_LAYER_DENSE, 3, 0, 0, 0)};
    cryptonn_model_config d;
    layers_cfg(&d, 1, 4, 5, mlp, 3);
    d.loss = CRYPTONN_LOSS_MSE;
    check_hooks(&d, 6);
    check_gradient(&d, 5);
    check_save_load(&c, &d);
    check_save_load(&d, &c);

    check_regression_learns();
    check_dropout();
    return t_done();
}
