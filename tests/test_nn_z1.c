/* nn: the secure-training hooks. Feeding forward_from_z1 a Z1 computed in
 * plaintext, and backward_from_error the error p − y, must reproduce the
 * plain forward, dZ1 and (with dW1 = Σ_b dZ1_b ⊗ x_b computed outside) the
 * plain step; a frozen first layer never moves. */
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

/* Z1 = W1·x without bias, as decryption would deliver it. */
static void z1_plain(const cryptonn_first_layer *f, const float *x, float *z1, int n)
{
    size_t in = (size_t)f->in_c * f->in_h * f->in_w;
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * in;
        float *zb = z1 + (size_t)b * f->z1_size;
        if (!f->is_conv) {
            for (uint32_t o = 0; o < f->out_c; o++) {
                double s = 0;
                for (uint32_t i = 0; i < f->in_c; i++) s += (double)f->w[o * f->in_c + i] * xb[i];
                zb[o] = (float)s;
            }
            continue;
        }
        for (uint32_t o = 0; o < f->out_c; o++)
            for (uint32_t i = 0; i < f->out_h; i++)
                for (uint32_t j = 0; j < f->out_w; j++) {
                    double s = 0;
                    for (uint32_t c = 0; c < f->in_c; c++)
                        for (uint32_t u = 0; u < f->k; u++)
                            for (uint32_t v = 0; v < f->k; v++)
                                s += (double)f->w[((o * f->in_c + c) * f->k + u) * f->k + v] *
                                     xb[(c * f->in_h + i + u) * f->in_w + j + v];
                    zb[(o * f->out_h + i) * f->out_w + j] = (float)s;
                }
    }
}

/* dW1 = Σ_b dZ1_b ⊗ x_b, as the gradient keys would deliver it. */
static void dw1_plain(const cryptonn_first_layer *f, const float *x, const float *dz1, float *dw,
                      int n)
{
    size_t in = (size_t)f->in_c * f->in_h * f->in_w;
    memset(dw, 0, sizeof(float) * f->nw);
    for (int b = 0; b < n; b++) {
        const float *xb = x + (size_t)b * in, *db = dz1 + (size_t)b * f->z1_size;
        if (!f->is_conv) {
            for (uint32_t o = 0; o < f->out_c; o++)
                for (uint32_t i = 0; i < f->in_c; i++) dw[o * f->in_c + i] += db[o] * xb[i];
            continue;
        }
        for (uint32_t o = 0; o < f->out_c; o++)
            for (uint32_t c = 0; c < f->in_c; c++)
                for (uint32_t u = 0; u < f->k; u++)
                    for (uint32_t v = 0; v < f->k; v++) {
                        double s = 0;
                        for (uint32_t i = 0; i < f->out_h; i++)
                            for (uint32_t j = 0; j < f->out_w; j++)
                                s += (double)db[(o * f->out_h + i) * f->out_w + j] *
                                     xb[(c * f->in_h + i + u) * f->in_w + j + v];
                        dw[((o * f->in_c + c) * f->k + u) * f->k + v] += (float)s;
                    }
    }
}

static void check_equivalence(const cryptonn_model_config *cfg, int n)
{
    cryptonn_model *a, *b;
    CHECK_EQ_INT(cryptonn_model_create(cfg, (uint32_t)n, 2, &a), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(cfg, (uint32_t)n, 2, &b), CRYPTONN_OK);
    if (!a || !b) return;
    const uint32_t c = cfg->classes;
    size_t in = cryptonn_model_input_size(a), np = cryptonn_model_param_count(a);
    cryptonn_first_layer f;
    cryptonn_model_first_layer(b, &f);
    CHECK_EQ_INT(f.is_conv, cfg->arch == CRYPTONN_ARCH_LENET5);
    if (f.is_conv) {
        CHECK_EQ_INT(f.out_c, 6);
        CHECK_EQ_INT(f.z1_size, 6 * 24 * 24);
        CHECK_EQ_INT(f.nw, 6 * 25);
    }
    float *x = malloc(sizeof(float) * in * n), *z1 = malloc(sizeof(float) * f.z1_size * n);
    float *err = malloc(sizeof(float) * c * n), *pa = malloc(sizeof(float) * c * n);
    float *dza = malloc(sizeof(float) * f.z1_size * n), *dw = malloc(sizeof(float) * f.nw);
    uint8_t *lab = malloc((size_t)n);
    for (size_t i = 0; i < in * n; i++) x[i] = urand();
    for (int i = 0; i < n; i++) lab[i] = (uint8_t)(t_rand64() % c);
    cryptonn_sgd opt = {0.05f, 0.9f, 1e-4f};

    for (int step = 0; step < 3; step++) {
        memcpy(pa, cryptonn_model_forward(a, x, (uint32_t)n), sizeof(float) * c * n);
        cryptonn_model_backward(a, lab, (uint32_t)n, NULL, NULL);
        memcpy(dza, cryptonn_model_dz1(a), sizeof(float) * f.z1_size * n);

        z1_plain(&f, x, z1, n);
        const float *pb = cryptonn_model_forward_from_z1(b, z1, (uint32_t)n);
        CHECK(maxdiff(pa, pb, (size_t)c * n) < 1e-5);
        for (int s = 0; s < n; s++)
            for (uint32_t j = 0; j < c; j++)
                err[s * c + j] = pb[s * c + j] - (j == lab[s] ? 1.0f : 0.0f);
        const float *dzb = cryptonn_model_backward_from_error(b, err, (uint32_t)n);
        CHECK(dzb == cryptonn_model_dz1(b));
        CHECK(maxdiff(dza, dzb, f.z1_size * n) < 1e-5);

        const float *dwa, *dba, *dwb0, *dbb;
        cryptonn_model_first_layer_grad(a, &dwa, &dba);
        cryptonn_model_first_layer_grad(b, &dwb0, &dbb);
        CHECK(maxdiff(dba, dbb, f.nb) < 1e-4);
        /* backward_from_error leaves dW1 to the caller. */
        float zmax = 0;
        for (size_t i = 0; i < f.nw; i++) zmax = fmaxf(zmax, fabsf(dwb0[i]));
        CHECK(zmax == 0.0f);
        dw1_plain(&f, x, dzb, dw, n);
        CHECK(maxdiff(dwa, dw, f.nw) < 1e-4);
        cryptonn_model_set_first_layer_grad(b, dw, NULL);

        cryptonn_model_sgd_step(a, &opt);
        cryptonn_model_sgd_step(b, &opt);
        CHECK(maxdiff(cryptonn_model_params(a), cryptonn_model_params(b), np) < 1e-4);
    }
    free(x), free(z1), free(err), free(pa), free(dza), free(dw), free(lab);
    cryptonn_model_destroy(a);
    cryptonn_model_destroy(b);
}

static void check_frozen(cryptonn_model_config cfg, int n)
{
    cfg.frozen_first_layer = 1;
    cryptonn_model *m;
    CHECK_EQ_INT(cryptonn_model_create(&cfg, (uint32_t)n, 2, &m), CRYPTONN_OK);
    if (!m) return;
    cryptonn_first_layer f;
    cryptonn_model_first_layer(m, &f);
    size_t in = cryptonn_model_input_size(m), np = cryptonn_model_param_count(m);
    size_t first = f.nw + f.nb;
    float *before = malloc(sizeof(float) * np), *x = malloc(sizeof(float) * in * n);
    uint8_t *lab = malloc((size_t)n);
    memcpy(before, cryptonn_model_params(m), sizeof(float) * np);
    for (size_t i = 0; i < in * n; i++) x[i] = urand();
    for (int i = 0; i < n; i++) lab[i] = (uint8_t)(t_rand64() % cfg.classes);
    cryptonn_sgd opt = {0.1f, 0.9f, 1e-3f};
    for (int s = 0; s < 3; s++) cryptonn_model_train_step(m, x, lab, (uint32_t)n, &opt, NULL, NULL);
    const float *p = cryptonn_model_params(m);
    CHECK(memcmp(before, p, sizeof(float) * first) == 0);
    CHECK(maxdiff(before + first, p + first, np - first) > 0);
    /* Equal seeds give equal frozen layers: what the authority's keys rely on. */
    cryptonn_model *m2;
    CHECK_EQ_INT(cryptonn_model_create(&cfg, (uint32_t)n, 1, &m2), CRYPTONN_OK);
    if (m2) CHECK(memcmp(cryptonn_model_params(m2), p, sizeof(float) * first) == 0);
    cryptonn_model_destroy(m2);
    free(before), free(x), free(lab);
    cryptonn_model_destroy(m);
}

int main(void)
{
    t_init("test_nn_z1");
    cryptonn_model_config c;
    cryptonn_model_config_default(&c);
    c.arch = CRYPTONN_ARCH_MLP, c.hidden = 32;
    check_equivalence(&c, 7);
    c.act = CRYPTONN_ACT_SIGMOID, c.loss = CRYPTONN_LOSS_MSE, c.reduction = CRYPTONN_REDUCE_SUM;
    check_equivalence(&c, 5);
    check_frozen(c, 4);
    cryptonn_model_config_default(&c);
    check_equivalence(&c, 5);
    c.act = CRYPTONN_ACT_TANH, c.loss = CRYPTONN_LOSS_MSE, c.pool = CRYPTONN_POOL_AVG;
    check_equivalence(&c, 3);
    check_frozen(c, 3);
    return t_done();
}
