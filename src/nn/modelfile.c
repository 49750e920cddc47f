/* Model files (JSON) into a CRYPTONN_ARCH_LAYERS config (nn.h,
 * cryptonn_model_config_read; the format is in docs/DATA.md).
 *
 * Strict on purpose: an unknown key or type, a duplicate key, a
 * non-integer size or an out-of-range value is an error that names the file
 * and the layer, because a typo that silently fell back to a default would
 * train another network than the one the owners agreed on. */
#include <stdio.h>
#include <string.h>

#include "nn/model_internal.h"
#include "nn/msg.h"
#include "util/util.h"

#define MODEL_FILE_MAX ((size_t)1 << 20)

#ifdef CRYPTONN_HAVE_JANSSON
#include "nn/json.h"

static int parse_layer(const nn_json *c, uint32_t i, json_t *o, cryptonn_layer_spec *l)
{
    static const char *const types[] = {"dense",   "conv2d",  "maxpool", "avgpool", "relu",
                                        "tanh",    "sigmoid", "flatten", "dropout", NULL};
    static const char *const k_dense[] = {"type", "units", NULL};
    static const char *const k_conv[] = {"type", "filters", "kernel", "stride", "padding", NULL};
    static const char *const k_pool[] = {"type", "kernel", "stride", NULL};
    static const char *const k_drop[] = {"type", "rate", NULL};
    static const char *const k_none[] = {"type", NULL};
    char where[64];
    snprintf(where, sizeof where, "layer %u", i + 1);
    if (!json_is_object(o))
        return nn_fail(c->msg, c->len, 0, "%s: %s is not an object", c->path, where);
    char type_where[80];
    snprintf(type_where, sizeof type_where, "%s 'type'", where);
    int t = nn_json_pick(c, type_where, json_object_get(o, "type"), types);
    if (t < 0) return 0;
    memset(l, 0, sizeof *l);
    l->kind = (cryptonn_layer_kind)(t + 1);
    snprintf(where, sizeof where, "layer %u (%s)", i + 1, types[t]);
    switch (l->kind) {
    case CRYPTONN_LAYER_DENSE:
        return nn_json_keys(c, where, o, k_dense) &&
               nn_json_uint(c, where, o, "units", 1, 1 << 16, -1, &l->units);
    case CRYPTONN_LAYER_CONV2D:
        return nn_json_keys(c, where, o, k_conv) &&
               nn_json_uint(c, where, o, "filters", 1, 1024, -1, &l->units) &&
               nn_json_uint(c, where, o, "kernel", 1, 32, -1, &l->kernel) &&
               nn_json_uint(c, where, o, "stride", 1, 32, 1, &l->stride) &&
               nn_json_uint(c, where, o, "padding", 0, 31, 0, &l->pad);
    case CRYPTONN_LAYER_MAXPOOL:
    case CRYPTONN_LAYER_AVGPOOL:
        return nn_json_keys(c, where, o, k_pool) &&
               nn_json_uint(c, where, o, "kernel", 1, 32, -1, &l->kernel) &&
               nn_json_uint(c, where, o, "stride", 1, 32, l->kernel, &l->stride);
    case CRYPTONN_LAYER_DROPOUT: {
        json_t *r = json_object_get(o, "rate");
        if (!nn_json_keys(c, where, o, k_drop)) return 0;
        if (!json_is_number(r) || !(json_number_value(r) >= 0 && json_number_value(r) < 1))
            return nn_fail(c->msg, c->len, 0, "%s: %s: 'rate' must be a number in [0, 1)",
                           c->path, where);
        l->rate = (float)json_number_value(r);
        return 1;
    }
    default: return nn_json_keys(c, where, o, k_none);
    }
}

static int parse_input(const nn_json *c, json_t *v, cryptonn_model_config *cfg)
{
    size_t n = json_array_size(v);
    uint32_t d[3] = {1, 1, 1};
    if (!json_is_array(v) || (n != 1 && n != 3))
        return nn_fail(c->msg, c->len, 0, "%s: 'input' must be [features] or [C, H, W]", c->path);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) < 1 ||
            json_integer_value(e) > (1 << 24))
            return nn_fail(c->msg, c->len, 0, "%s: 'input' entry %zu must be an integer in 1..%d",
                           c->path, i + 1, 1 << 24);
        d[i] = (uint32_t)json_integer_value(e);
    }
    cfg->in_c = d[0], cfg->in_h = d[1], cfg->in_w = d[2];
    return 1;
}

static int parse_model(const nn_json *c, json_t *root, cryptonn_model_config *cfg)
{
    static const char *const keys[] = {"name", "description", "input", "output", "loss",
                                       "reduction", "init", "layers", NULL};
    static const char *const outputs[] = {"softmax", "linear", NULL};
    static const char *const losses[] = {"ce", "mse", NULL};
    static const char *const reductions[] = {"mean", "sum", NULL};
    static const char *const inits[] = {"torch", "xavier", NULL};
    if (!json_is_object(root))
        return nn_fail(c->msg, c->len, 0, "%s: not a JSON object", c->path);
    if (!nn_json_keys(c, "model", root, keys)) return 0;
    json_t *v;
    int k;
    if ((v = json_object_get(root, "input")) && !parse_input(c, v, cfg)) return 0;
    if ((v = json_object_get(root, "output"))) {
        if ((k = nn_json_pick(c, "'output'", v, outputs)) < 0) return 0;
        cfg->output = k ? CRYPTONN_OUTPUT_LINEAR : CRYPTONN_OUTPUT_SOFTMAX;
    }
    cfg->loss = cfg->output == CRYPTONN_OUTPUT_LINEAR ? CRYPTONN_LOSS_MSE : CRYPTONN_LOSS_CE;
    if ((v = json_object_get(root, "loss"))) {
        if ((k = nn_json_pick(c, "'loss'", v, losses)) < 0) return 0;
        cfg->loss = k ? CRYPTONN_LOSS_MSE : CRYPTONN_LOSS_CE;
    }
    if ((v = json_object_get(root, "reduction"))) {
        if ((k = nn_json_pick(c, "'reduction'", v, reductions)) < 0) return 0;
        cfg->reduction = k ? CRYPTONN_REDUCE_SUM : CRYPTONN_REDUCE_MEAN;
    }
    if ((v = json_object_get(root, "init"))) {
        if ((k = nn_json_pick(c, "'init'", v, inits)) < 0) return 0;
        cfg->init = k ? CRYPTONN_INIT_XAVIER : CRYPTONN_INIT_TORCH;
    }
    static const char *const texts[] = {"name", "description"};
    for (int i = 0; i < 2; i++)
        if ((v = json_object_get(root, texts[i])) && !json_is_string(v))
            return nn_fail(c->msg, c->len, 0, "%s: '%s' must be a string", c->path, texts[i]);
    json_t *layers = json_object_get(root, "layers");
    size_t n = json_array_size(layers);
    if (!json_is_array(layers) || n < 1 || n > CRYPTONN_MAX_LAYERS)
        return nn_fail(c->msg, c->len, 0, "%s: 'layers' must be a list of 1..%d layers", c->path,
                       CRYPTONN_MAX_LAYERS);
    for (size_t i = 0; i < n; i++)
        if (!parse_layer(c, (uint32_t)i, json_array_get(layers, i), &cfg->layers[i])) return 0;
    cfg->nlayers = (uint32_t)n;
    cfg->classes = cfg->layers[n - 1].units;
    return 1;
}

/* cfg from a parsed model file (root is consumed). */
static int config_from(const nn_json *c, json_t *root, cryptonn_model_config *cfg)
{
    int rc = parse_model(c, root, cfg) ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
    json_decref(root);
    if (rc == CRYPTONN_OK && cfg->in_c) {
        char why[256];
        rc = cryptonn_model_config_check(cfg, why, sizeof why);
        if (rc != CRYPTONN_OK) nn_fail(c->msg, c->len, rc, "%s: %s", c->path, why);
    }
    return rc;
}

static void layers_default(cryptonn_model_config *cfg)
{
    cryptonn_model_config_default(cfg);
    cfg->arch = CRYPTONN_ARCH_LAYERS;
    cfg->classes = 0;
}

int cryptonn_model_config_read(const char *path, cryptonn_model_config *cfg, char *msg,
                               size_t msg_len)
{
    CN_ARG_CHECK(path && cfg);
    layers_default(cfg);
    nn_json c = {path, msg, msg_len};
    int rc;
    json_t *root = nn_json_load(&c, MODEL_FILE_MAX, &rc);
    return root ? config_from(&c, root, cfg) : rc;
}

int cryptonn_model_config_parse(const char *name, const char *text, size_t len,
                                cryptonn_model_config *cfg, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(name && text && cfg);
    layers_default(cfg);
    nn_json c = {name, msg, msg_len};
    if (len > MODEL_FILE_MAX)
        return nn_fail(msg, msg_len, CRYPTONN_ERR_TOO_LARGE, "%s: over %u bytes", name,
                       (unsigned)MODEL_FILE_MAX);
    json_error_t err;
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return nn_fail(msg, msg_len, CRYPTONN_ERR_FORMAT, "%s:%d:%d: %s", name, err.line,
                       err.column, err.text);
    return config_from(&c, root, cfg);
}

#else

int cryptonn_model_config_read(const char *path, cryptonn_model_config *cfg, char *msg,
                               size_t msg_len)
{
    CN_ARG_CHECK(path && cfg);
    cryptonn_model_config_default(cfg);
    return nn_fail(msg, msg_len, CRYPTONN_ERR_ARG, "%s: built without jansson: no model files",
                   path);
}

int cryptonn_model_config_parse(const char *name, const char *text, size_t len,
                                cryptonn_model_config *cfg, char *msg, size_t msg_len)
{
    (void)text, (void)len;
    return cryptonn_model_config_read(name, cfg, msg, msg_len);
}

#endif
