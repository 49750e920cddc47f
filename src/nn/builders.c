/* The two architectures of the paper's experiments, the layer lists of
 * model files (plan.c), and their seeded initialisation. */
#include <math.h>
#include <string.h>

#include "nn/model_internal.h"
#include "nn/msg.h"
#include "util/util.h"

/* The built-in architectures leave the layer-list fields zero. */
static int builtin_ok(const cryptonn_model_config *c, char *msg, size_t len)
{
    static const cryptonn_layer_spec none;
    for (int i = 0; i < CRYPTONN_MAX_LAYERS; i++)
        if (memcmp(&c->layers[i], &none, sizeof none))
            return nn_fail(msg, len, 0, "layers are set, but the architecture is built in");
    if (c->output != CRYPTONN_OUTPUT_SOFTMAX || c->in_c || c->in_h || c->in_w || c->nlayers)
        return nn_fail(msg, len, 0, "layer-list fields are set, but the architecture is built in");
    if (c->conv1_filters > 64) return nn_fail(msg, len, 0, "conv1_filters %u > 64", c->conv1_filters);
    if (c->arch == CRYPTONN_ARCH_MLP &&
        (c->in_dim < 1 || c->in_dim > (1u << 20) || c->hidden < 1 || c->hidden > (1u << 16)))
        return nn_fail(msg, len, 0, "MLP widths %u, %u out of range", c->in_dim, c->hidden);
    return 1;
}

static int config_ok(const cryptonn_model_config *c, char *msg, size_t len)
{
    if (c->arch != CRYPTONN_ARCH_MLP && c->arch != CRYPTONN_ARCH_LENET5 &&
        c->arch != CRYPTONN_ARCH_LAYERS)
        return nn_fail(msg, len, 0, "unknown architecture %d", (int)c->arch);
    if (c->act < CRYPTONN_ACT_SIGMOID || c->act > CRYPTONN_ACT_TANH ||
        (c->loss != CRYPTONN_LOSS_CE && c->loss != CRYPTONN_LOSS_MSE) ||
        (c->reduction != CRYPTONN_REDUCE_MEAN && c->reduction != CRYPTONN_REDUCE_SUM) ||
        (c->pool != CRYPTONN_POOL_MAX && c->pool != CRYPTONN_POOL_AVG) ||
        (c->init != CRYPTONN_INIT_TORCH && c->init != CRYPTONN_INIT_XAVIER) ||
        c->frozen_first_layer > 1)
        return nn_fail(msg, len, 0, "an activation, loss, reduction, pooling, init or "
                                    "frozen_first_layer value is out of range");
    /* A layer list's structure first: its last layer sets the output width. */
    if (c->arch == CRYPTONN_ARCH_LAYERS && !nn_plan(c, NULL, NULL, NULL, msg, len)) return 0;
    if (c->output == CRYPTONN_OUTPUT_SOFTMAX) {
        if (c->classes < 2 || c->classes > 256)
            return nn_fail(msg, len, 0, "a softmax output of %u unit%s: classes are 2..256",
                           c->classes, c->classes == 1 ? "" : "s");
    } else if (c->output == CRYPTONN_OUTPUT_LINEAR) {
        if (c->classes < 1 || c->classes > 256)
            return nn_fail(msg, len, 0, "%u outputs (1..256)", c->classes);
        if (c->loss != CRYPTONN_LOSS_MSE)
            return nn_fail(msg, len, 0, "a linear output (regression) needs the MSE loss");
    } else {
        return nn_fail(msg, len, 0, "unknown output %d", (int)c->output);
    }
    return c->arch == CRYPTONN_ARCH_LAYERS || builtin_ok(c, msg, len);
}

int nn_config_valid(const cryptonn_model_config *c) { return config_ok(c, NULL, 0); }

int cryptonn_model_config_check(const cryptonn_model_config *cfg, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(cfg);
    return config_ok(cfg, msg, msg_len) ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
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
    if (c->arch == CRYPTONN_ARCH_LAYERS) {
        nn_plan(c, m->layers, &n, NULL, NULL, 0);
    } else if (c->arch == CRYPTONN_ARCH_LENET5) {
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
            int sigmoid = m->cfg.arch == CRYPTONN_ARCH_LAYERS
                              ? i + 1 < m->nl && m->layers[i + 1].kind == NN_SIGMOID
                              : m->cfg.act == CRYPTONN_ACT_SIGMOID;
            float gain = sigmoid ? 4.0f : 1.0f;
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
