/* The two architectures of the paper's experiments, and their seeded
 * initialisation. */
#include <math.h>

#include "nn/model_internal.h"

int nn_config_valid(const cryptonn_model_config *c)
{
    if (c->arch != CRYPTONN_ARCH_MLP && c->arch != CRYPTONN_ARCH_LENET5) return 0;
    if (c->act < CRYPTONN_ACT_SIGMOID || c->act > CRYPTONN_ACT_TANH) return 0;
    if (c->loss != CRYPTONN_LOSS_CE && c->loss != CRYPTONN_LOSS_MSE) return 0;
    if (c->reduction != CRYPTONN_REDUCE_MEAN && c->reduction != CRYPTONN_REDUCE_SUM) return 0;
    if (c->pool != CRYPTONN_POOL_MAX && c->pool != CRYPTONN_POOL_AVG) return 0;
    if (c->classes < 2 || c->classes > 256) return 0;
    if (c->frozen_first_layer > 1) return 0;
    if (c->conv1_filters > 64) return 0;
    if (c->init != CRYPTONN_INIT_TORCH && c->init != CRYPTONN_INIT_XAVIER) return 0;
    if (c->arch == CRYPTONN_ARCH_MLP &&
        (c->in_dim < 1 || c->in_dim > (1u << 20) || c->hidden < 1 || c->hidden > (1u << 16)))
        return 0;
    return 1;
}

static nn_kind act_kind(cryptonn_activation a)
{
    return a == CRYPTONN_ACT_SIGMOID ? NN_SIGMOID : a == CRYPTONN_ACT_TANH ? NN_TANH : NN_RELU;
}

size_t nn_build_layers(cryptonn_model *m)
{
    const cryptonn_model_config *c = &m->cfg;
    nn_kind act = act_kind(c->act);
    int n = 0;
    if (c->arch == CRYPTONN_ARCH_LENET5) {
        /* LeNet-5 on 28×28 as in the paper: conv 6@5×5 → pool → conv 16@5×5 →
         * pool → 120 → 84 → classes. */
        nn_kind pool = c->pool == CRYPTONN_POOL_MAX ? NN_MAXPOOL : NN_AVGPOOL;
        const int f1 = c->conv1_filters ? (int)c->conv1_filters : 6;
        m->layers[n++] = nn_layer_conv(1, 28, 28, f1, 5);
        m->layers[n++] = nn_layer_act(act, (size_t)f1 * 24 * 24);
        m->layers[n++] = nn_layer_pool(pool, f1, 24, 24);
        m->layers[n++] = nn_layer_conv(f1, 12, 12, 16, 5);
        m->layers[n++] = nn_layer_act(act, 16 * 8 * 8);
        m->layers[n++] = nn_layer_pool(pool, 16, 8, 8);
        m->layers[n++] = nn_layer_dense(16 * 4 * 4, 120);
        m->layers[n++] = nn_layer_act(act, 120);
        m->layers[n++] = nn_layer_dense(120, 84);
        m->layers[n++] = nn_layer_act(act, 84);
        m->layers[n++] = nn_layer_dense(84, (int)c->classes);
    } else {
        m->layers[n++] = nn_layer_dense((int)c->in_dim, (int)c->hidden);
        m->layers[n++] = nn_layer_act(act, c->hidden);
        m->layers[n++] = nn_layer_dense((int)c->hidden, (int)c->classes);
    }
    m->nl = n;
    size_t off = 0;
    for (int i = 0; i < n; i++) {
        m->layers[i].poff = off;
        off += m->layers[i].nw + m->layers[i].nb;
    }
    return off;
}

void nn_init_params(cryptonn_model *m)
{
    nn_rng r;
    nn_rng_seed(&r, m->cfg.seed);
    for (int i = 0; i < m->nl; i++) {
        const nn_layer *l = &m->layers[i];
        if (!l->nw) continue;
        size_t fan_in = l->nw / (size_t)l->out_c;
        float *p = m->params + l->poff;
        if (m->cfg.init == CRYPTONN_INIT_XAVIER) {
            /* Glorot and Bengio (2010): a sigmoid's slope at 0 is 1/4, so its
             * layers need 4× the bound to keep the signal's variance. */
            size_t fan_out = l->nw / (size_t)l->in_c; /* out_c·k·k for a convolution */
            float gain = m->cfg.act == CRYPTONN_ACT_SIGMOID ? 4.0f : 1.0f;
            float bound = gain * sqrtf(6.0f / (float)(fan_in + fan_out));
            for (size_t j = 0; j < l->nw; j++) p[j] = nn_rng_uniform(&r, -bound, bound);
            for (size_t j = l->nw; j < l->nw + l->nb; j++) p[j] = 0.0f;
        } else {
            /* kaiming_uniform(a = √5) and the bias rule of nn.Linear/nn.Conv2d
             * both come to U(−1/√fan_in, 1/√fan_in). */
            float bound = 1.0f / sqrtf((float)fan_in);
            for (size_t j = 0; j < l->nw + l->nb; j++) p[j] = nn_rng_uniform(&r, -bound, bound);
        }
    }
}
