/* The layers of a CRYPTONN_ARCH_LAYERS config: every range and shape check,
 * with the layer named in the reason, and the engine's layers built from
 * the checked list (model_internal.h).
 *
 * Shapes flow C×H×W from the input; dense and flatten leave C·H·W × 1 × 1.
 * Bounds keep every size in an int and every buffer reasonable: at most
 * 2^24 floats per sample per layer and 2^28 parameters. */
#include "nn/model_internal.h"
#include "nn/msg.h"
#include "util/util.h"

#define MAX_UNITS (1u << 16)
#define MAX_FILTERS 1024u
#define MAX_KERNEL 32u
#define MAX_ACT ((uint64_t)1 << 24)
#define MAX_PARAMS ((uint64_t)1 << 28)
#define MAX_OUTPUTS 256u /* labels are bytes */

const char *cryptonn_layer_kind_name(int kind)
{
    static const char *const names[] = {"?",    "dense", "conv2d",  "maxpool", "avgpool",
                                        "relu", "tanh",  "sigmoid", "flatten", "dropout"};
    return kind >= 1 && kind <= CRYPTONN_LAYER_DROPOUT ? names[kind] : names[0];
}

typedef struct {
    uint32_t c, h, w;
} shape;

/* Which fields each kind uses: the others must be 0. */
static int unused_zero(const cryptonn_layer_spec *l)
{
    switch (l->kind) {
    case CRYPTONN_LAYER_DENSE: return !l->kernel && !l->stride && !l->pad && l->rate == 0.0f;
    case CRYPTONN_LAYER_CONV2D: return l->rate == 0.0f;
    case CRYPTONN_LAYER_MAXPOOL:
    case CRYPTONN_LAYER_AVGPOOL: return !l->units && !l->pad && l->rate == 0.0f;
    case CRYPTONN_LAYER_DROPOUT: return !l->units && !l->kernel && !l->stride && !l->pad;
    default: return !l->units && !l->kernel && !l->stride && !l->pad && l->rate == 0.0f;
    }
}

/* The next shape after l, or 0 with the reason. *p gets l's parameters. */
static int step(const cryptonn_layer_spec *l, shape in, shape *out, uint64_t *p, char *why,
                size_t wlen)
{
    const uint64_t flat = (uint64_t)in.c * in.h * in.w;
    *out = in, *p = 0;
    switch (l->kind) {
    case CRYPTONN_LAYER_DENSE:
        if (l->units < 1 || l->units > MAX_UNITS)
            return nn_fail(why, wlen, 0, "units %u is not in 1..%u", l->units, MAX_UNITS);
        *out = (shape){l->units, 1, 1};
        *p = (flat + 1) * l->units;
        return 1;
    case CRYPTONN_LAYER_CONV2D:
        if (l->units < 1 || l->units > MAX_FILTERS)
            return nn_fail(why, wlen, 0, "filters %u is not in 1..%u", l->units, MAX_FILTERS);
        if (l->kernel < 1 || l->kernel > MAX_KERNEL || l->stride < 1 || l->stride > MAX_KERNEL)
            return nn_fail(why, wlen, 0, "kernel %u and stride %u must be in 1..%u", l->kernel,
                           l->stride, MAX_KERNEL);
        if (l->pad >= l->kernel)
            return nn_fail(why, wlen, 0, "padding %u must be smaller than the kernel %u", l->pad,
                           l->kernel);
        if (l->kernel > in.h + 2 * l->pad || l->kernel > in.w + 2 * l->pad)
            return nn_fail(why, wlen, 0, "kernel %u is larger than its %u×%u×%u input%s",
                           l->kernel, in.c, in.h, in.w, l->pad ? " with its padding" : "");
        *out = (shape){l->units, (in.h + 2 * l->pad - l->kernel) / l->stride + 1,
                       (in.w + 2 * l->pad - l->kernel) / l->stride + 1};
        *p = ((uint64_t)in.c * l->kernel * l->kernel + 1) * l->units;
        return 1;
    case CRYPTONN_LAYER_MAXPOOL:
    case CRYPTONN_LAYER_AVGPOOL:
        if (l->kernel < 1 || l->kernel > MAX_KERNEL || l->stride < 1 || l->stride > MAX_KERNEL)
            return nn_fail(why, wlen, 0, "kernel %u and stride %u must be in 1..%u", l->kernel,
                           l->stride, MAX_KERNEL);
        if (l->kernel > in.h || l->kernel > in.w)
            return nn_fail(why, wlen, 0, "kernel %u is larger than its %u×%u×%u input",
                           l->kernel, in.c, in.h, in.w);
        *out = (shape){in.c, (in.h - l->kernel) / l->stride + 1,
                       (in.w - l->kernel) / l->stride + 1};
        return 1;
    case CRYPTONN_LAYER_FLATTEN:
        *out = (shape){(uint32_t)flat, 1, 1};
        return 1;
    case CRYPTONN_LAYER_DROPOUT:
        if (!(l->rate >= 0.0f && l->rate < 1.0f))
            return nn_fail(why, wlen, 0, "rate %g is not in [0, 1)", (double)l->rate);
        return 1;
    case CRYPTONN_LAYER_RELU:
    case CRYPTONN_LAYER_TANH:
    case CRYPTONN_LAYER_SIGMOID: return 1;
    default: return nn_fail(why, wlen, 0, "unknown layer kind %d", (int)l->kind);
    }
}

static nn_layer engine_layer(const cryptonn_layer_spec *l, shape in)
{
    const size_t size = (size_t)in.c * in.h * in.w;
    switch (l->kind) {
    case CRYPTONN_LAYER_DENSE: return nn_layer_dense((int)size, (int)l->units);
    case CRYPTONN_LAYER_CONV2D:
        return nn_layer_conv_sp((int)in.c, (int)in.h, (int)in.w, (int)l->units, (int)l->kernel,
                                (int)l->stride, (int)l->pad);
    case CRYPTONN_LAYER_MAXPOOL:
    case CRYPTONN_LAYER_AVGPOOL:
        return nn_layer_pool_ks(l->kind == CRYPTONN_LAYER_MAXPOOL ? NN_MAXPOOL : NN_AVGPOOL,
                                (int)in.c, (int)in.h, (int)in.w, (int)l->kernel, (int)l->stride);
    case CRYPTONN_LAYER_DROPOUT: return nn_layer_dropout(size, l->rate);
    default:
        return nn_layer_act(l->kind == CRYPTONN_LAYER_RELU   ? NN_RELU
                            : l->kind == CRYPTONN_LAYER_TANH ? NN_TANH
                                                             : NN_SIGMOID,
                            size);
    }
}

static int head_ok(const cryptonn_model_config *c, char *msg, size_t len)
{
    const uint64_t in = (uint64_t)c->in_c * c->in_h * c->in_w;
    if (!c->in_c || !c->in_h || !c->in_w || in > MAX_ACT)
        return nn_fail(msg, len, 0, "input %u×%u×%u: each side ≥ 1, at most %llu values",
                       c->in_c, c->in_h, c->in_w, (unsigned long long)MAX_ACT);
    if (c->nlayers < 1 || c->nlayers > CRYPTONN_MAX_LAYERS)
        return nn_fail(msg, len, 0, "%u layers (1..%u)", c->nlayers, CRYPTONN_MAX_LAYERS);
    const cryptonn_layer_spec *first = &c->layers[0], *last = &c->layers[c->nlayers - 1];
    if (first->kind != CRYPTONN_LAYER_DENSE && first->kind != CRYPTONN_LAYER_CONV2D)
        return nn_fail(msg, len, 0,
                       "layer 1 (%s): the first layer must be dense or conv2d (the secure one)",
                       cryptonn_layer_kind_name(first->kind));
    if (last->kind != CRYPTONN_LAYER_DENSE)
        return nn_fail(msg, len, 0, "layer %u (%s): the last layer must be dense (the output)",
                       c->nlayers, cryptonn_layer_kind_name(last->kind));
    if (last->units != c->classes)
        return nn_fail(msg, len, 0, "layer %u (dense): %u units, but the model has %u outputs",
                       c->nlayers, last->units, c->classes);
    if (c->conv1_filters)
        return nn_fail(msg, len, 0, "conv1_filters applies to LeNet-5 only");
    return 1;
}

int nn_plan(const cryptonn_model_config *c, nn_layer *out, int *nl, cryptonn_layer_info *info,
            char *msg, size_t len)
{
    if (!head_ok(c, msg, len)) return 0;
    shape s = {c->in_c, c->in_h, c->in_w};
    uint64_t params = 0;
    int n = 0;
    for (uint32_t i = 0; i < c->nlayers; i++) {
        const cryptonn_layer_spec *l = &c->layers[i];
        char why[160];
        shape next;
        uint64_t p = 0;
        int ok = unused_zero(l) || nn_fail(why, sizeof why, 0, "a field it does not use is set");
        ok = ok && step(l, s, &next, &p, why, sizeof why);
        if (ok && (uint64_t)next.c * next.h * next.w > MAX_ACT)
            ok = nn_fail(why, sizeof why, 0, "output %u×%u×%u exceeds %llu values", next.c,
                         next.h, next.w, (unsigned long long)MAX_ACT);
        if (ok && (params += p) > MAX_PARAMS)
            ok = nn_fail(why, sizeof why, 0, "the model exceeds %llu parameters",
                         (unsigned long long)MAX_PARAMS);
        if (!ok) return nn_fail(msg, len, 0, "layer %u (%s): %s", i + 1, cryptonn_layer_kind_name(l->kind), why);
        if (info)
            info[i] = (cryptonn_layer_info){l->kind, s.c, s.h, s.w, next.c, next.h, next.w, (size_t)p};
        if (l->kind != CRYPTONN_LAYER_FLATTEN && out) out[n] = engine_layer(l, s);
        n += l->kind != CRYPTONN_LAYER_FLATTEN;
        s = next;
    }
    if (nl) *nl = n;
    return 1;
}

int cryptonn_model_config_layers(const cryptonn_model_config *cfg, cryptonn_layer_info *info,
                                 char *msg, size_t msg_len)
{
    CN_ARG_CHECK(cfg && info);
    if (cfg->arch != CRYPTONN_ARCH_LAYERS)
        return nn_fail(msg, msg_len, CRYPTONN_ERR_ARG, "not a layer-list model");
    int rc = cryptonn_model_config_check(cfg, msg, msg_len);
    if (rc == CRYPTONN_OK) nn_plan(cfg, NULL, NULL, info, NULL, 0);
    return rc;
}
