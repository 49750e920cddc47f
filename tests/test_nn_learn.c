/* nn: small networks learn. An MLP and LeNet-5 reach 100% on separable toy
 * sets through the epoch loop, and training is reproducible from its seeds. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "testutil.h"

static float urand(void) { return (float)((double)(t_rand64() >> 11) / 9007199254740992.0); }

/* Three classes in the plane with margins: class by the sector of the angle. */
static void toy_plane(cryptonn_dataset *d, uint32_t n)
{
    d->n = n, d->rows = 1, d->cols = 2;
    d->x = malloc(sizeof(float) * 2 * n), d->y = malloc(n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t k = (uint8_t)(i % 3);
        float a = (float)(2.0943951 * k) + (urand() - 0.5f) * 1.2f, r = 0.5f + urand();
        d->x[2 * i] = r * cosf(a), d->x[2 * i + 1] = r * sinf(a), d->y[i] = k;
    }
}

/* 28×28 images: a bar, horizontal in the top (class 0) or bottom (1) half,
 * or vertical in the left (2) or right (3) half, plus noise. */
static void toy_images(cryptonn_dataset *d, uint32_t n)
{
    d->n = n, d->rows = 28, d->cols = 28;
    d->x = calloc((size_t)n * 784, sizeof(float)), d->y = malloc(n);
    for (uint32_t i = 0; i < n; i++) {
        uint8_t k = (uint8_t)(i % 4);
        float *im = d->x + (size_t)i * 784;
        for (int p = 0; p < 784; p++) im[p] = 0.2f * urand();
        int off = 3 + (int)(t_rand64() % 9) + (k & 1) * 13; /* 3..11 or 16..24 */
        for (int t = 4; t < 24; t++) {
            if (k < 2) im[off * 28 + t] = 1.0f;
            else im[t * 28 + off] = 1.0f;
        }
        d->y[i] = k;
    }
}

static double train(const cryptonn_model_config *cfg, const cryptonn_dataset *d, int epochs,
                     cryptonn_sgd opt, uint32_t threads, float **params_out)
{
    cryptonn_model *m;
    CHECK_EQ_INT(cryptonn_model_create(cfg, 16, threads, &m), CRYPTONN_OK);
    if (!m) return 0;
    for (int e = 0; e < epochs; e++)
        CHECK_EQ_INT(cryptonn_model_train_epoch(m, d, 16, &opt, (uint64_t)e, NULL, NULL, NULL),
                     CRYPTONN_OK);
    double acc = 0;
    uint64_t conf[16] = {0};
    CHECK_EQ_INT(cryptonn_model_evaluate(m, d, &acc, conf), CRYPTONN_OK);
    uint64_t total = 0;
    for (int i = 0; i < 16; i++) total += conf[i];
    CHECK(cfg->classes != 4 || total == d->n);
    if (params_out) {
        size_t np = cryptonn_model_param_count(m);
        *params_out = malloc(sizeof(float) * np);
        memcpy(*params_out, cryptonn_model_params(m), sizeof(float) * np);
    }
    cryptonn_model_destroy(m);
    return acc;
}

int main(void)
{
    t_init("test_nn_learn");
    cryptonn_dataset plane, imgs;
    toy_plane(&plane, 150);
    toy_images(&imgs, 96);

    cryptonn_model_config c;
    cryptonn_model_config_default(&c);
    c.arch = CRYPTONN_ARCH_MLP, c.in_dim = 2, c.hidden = 16, c.classes = 3;
    cryptonn_sgd opt = {0.1f, 0.9f, 0};
    for (int act = CRYPTONN_ACT_SIGMOID; act <= CRYPTONN_ACT_TANH; act++) {
        c.act = act;
        double acc = train(&c, &plane, 60, opt, 1, NULL);
        if (acc < 1.0) fprintf(stderr, "MLP act %d: accuracy %.3f\n", act, acc);
        CHECK(acc == 1.0);
    }
    c.act = CRYPTONN_ACT_SIGMOID, c.loss = CRYPTONN_LOSS_MSE, c.reduction = CRYPTONN_REDUCE_SUM;
    c.init = CRYPTONN_INIT_XAVIER;
    cryptonn_sgd sum_opt = {0.05f, 0.9f, 0};
    CHECK(train(&c, &plane, 80, sum_opt, 1, NULL) == 1.0);

    /* Same seeds, same thread count: bit-identical parameters. */
    float *p1, *p2;
    train(&c, &plane, 3, sum_opt, 2, &p1);
    train(&c, &plane, 3, sum_opt, 2, &p2);
    CHECK(memcmp(p1, p2, sizeof(float) * (2 * 16 + 16 + 16 * 3 + 3)) == 0);
    free(p1), free(p2);

    /* train_epoch(seed) is train_epoch_ordered(shuffle_order(seed)); orders
     * are permutations, and an out-of-range index is refused. */
    {
        uint32_t order[150], seen[150] = {0};
        cryptonn_shuffle_order(7, 150, order);
        int perm = 1;
        for (int i = 0; i < 150; i++) perm &= order[i] < 150 && !seen[order[i]]++;
        CHECK(perm);
        cryptonn_model *a, *b;
        CHECK_EQ_INT(cryptonn_model_create(&c, 16, 2, &a), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_model_create(&c, 16, 2, &b), CRYPTONN_OK);
        if (a && b) {
            CHECK_EQ_INT(cryptonn_model_train_epoch(a, &plane, 16, &sum_opt, 7, NULL, NULL, NULL),
                         CRYPTONN_OK);
            CHECK_EQ_INT(cryptonn_model_train_epoch_ordered(b, &plane, 16, &sum_opt, order, NULL,
                                                            NULL, NULL),
                         CRYPTONN_OK);
            CHECK(memcmp(cryptonn_model_params(a), cryptonn_model_params(b),
                         sizeof(float) * cryptonn_model_param_count(a)) == 0);
            order[3] = 150;
            CHECK_EQ_INT(cryptonn_model_train_epoch_ordered(b, &plane, 16, &sum_opt, order, NULL,
                                                            NULL, NULL),
                         CRYPTONN_ERR_ARG);
            CHECK_EQ_INT(cryptonn_model_train_epoch(a, &plane, 17, &sum_opt, 7, NULL, NULL, NULL),
                         CRYPTONN_ERR_ARG); /* batch above max_batch */
        }
        cryptonn_model_destroy(a);
        cryptonn_model_destroy(b);
    }

    cryptonn_model_config_default(&c);
    c.classes = 4;
    cryptonn_sgd lopt = {0.01f, 0.9f, 0};
    double acc = train(&c, &imgs, 20, lopt, 2, NULL);
    if (acc < 1.0) fprintf(stderr, "LeNet-5: accuracy %.3f\n", acc);
    CHECK(acc == 1.0);

    cryptonn_dataset_free(&plane);
    cryptonn_dataset_free(&imgs);
    return t_done();
}
