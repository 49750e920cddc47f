/* Model files (JSON) into a CRYPTONN_ARCH_LAYERS config (nn.h,
 * cryptonn_model_config_read; the format is in docs/DATA.md).
 *
 * Strict on purpose: an unknown key or type, a duplicate key, a
 * non-integer size or an out-of-range value is an error that names the file
 * and the layer, because a typo that silently fell back to a default would
 * train another network than the one the owners agreed on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model_internal.h"
#include "nn/msg.h"
#include "util/util.h"

#define MODEL_FILE_MAX ((size_t)1 << 20)

#ifdef CRYPTONN_HAVE_JANSSON
#include <jansson.h>

typedef struct {
    const char *path;
    char *msg;
    size_t len;
} ctx;

/* One of names (NULL-terminated) → its index, or -1 with an error. */
static int pick(const ctx *c, const char *where, json_t *v, const char *const *names)
{
    if (json_is_string(v))
        for (int i = 0; names[i]; i++)
            if (!strcmp(json_string_value(v), names[i])) return i;
    char known[160] = "";
    for (int i = 0; names[i]; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 names[i]);
    nn_fail(c->msg, c->len, 0, "%s: %s must be one of: %s", c->path, where, known);
    return -1;
}

/* An integer in [lo, hi] into *out; absent → dflt (or an error when
 * dflt < 0, meaning required). */
static int uint_field(const ctx *c, const char *layer, json_t *o, const char *key, long long lo,
                      long long hi, long long dflt, uint32_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v && dflt >= 0) {
        *out = (uint32_t)dflt;
        return 1;
    }
    if (!v || !json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return nn_fail(c->msg, c->len, 0, "%s: %s: '%s' must be an integer in %lld..%lld%s",
                       c->path, layer, key, lo, hi, v ? "" : " (missing)");
    *out = (uint32_t)json_integer_value(v);
    return 1;
}

/* Every key of o is one of keys (NULL-terminated). */
static int known_keys(const ctx *c, const char *where, json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++) ok = !strcmp(k, keys[i]);
        if (!ok) return nn_fail(c->msg, c->len, 0, "%s: %s: unknown key '%s'", c->path, where, k);
    }
    return 1;
}

static int parse_layer(const ctx *c, uint32_t i, json_t *o, cryptonn_layer_spec *l)
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
    int t = pick(c, where, json_object_get(o, "type"), types);
    if (t < 0) return 0;
    memset(l, 0, sizeof *l);
    l->kind = (cryptonn_layer_kind)(t + 1);
    snprintf(where, sizeof where, "layer %u (%s)", i + 1, types[t]);
    switch (l->kind) {
    case CRYPTONN_LAYER_DENSE:
        return known_keys(c, where, o, k_dense) &&
               uint_field(c, where, o, "units", 1, 1 << 16, -1, &l->units);
    case CRYPTONN_LAYER_CONV2D:
        return known_keys(c, where, o, k_conv) &&
               uint_field(c, where, o, "filters", 1, 1024, -1, &l->units) &&
               uint_field(c, where, o, "kernel", 1, 32, -1, &l->kernel) &&
               uint_field(c, where, o, "stride", 1, 32, 1, &l->stride) &&
               uint_field(c, where, o, "padding", 0, 31, 0, &l->pad);
    case CRYPTONN_LAYER_MAXPOOL:
    case CRYPTONN_LAYER_AVGPOOL:
        return known_keys(c, where, o, k_pool) &&
               uint_field(c, where, o, "kernel", 1, 32, -1, &l->kernel) &&
               uint_field(c, where, o, "stride", 1, 32, l->kernel, &l->stride);
    case CRYPTONN_LAYER_DROPOUT: {
        json_t *r = json_object_get(o, "rate");
        if (!known_keys(c, where, o, k_drop)) return 0;
        if (!json_is_number(r) || !(json_number_value(r) >= 0 && json_number_value(r) < 1))
            return nn_fail(c->msg, c->len, 0, "%s: %s: 'rate' must be a number in [0, 1)",
                           c->path, where);
        l->rate = (float)json_number_value(r);
        return 1;
    }
    default: return known_keys(c, where, o, k_none);
    }
}

static int parse_input(const ctx *c, json_t *v, cryptonn_model_config *cfg)
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

static int parse_model(const ctx *c, json_t *root, cryptonn_model_config *cfg)
{
    static const char *const keys[] = {"name", "description", "input", "output", "loss",
                                       "reduction", "init", "layers", NULL};
    static const char *const outputs[] = {"softmax", "linear", NULL};
    static const char *const losses[] = {"ce", "mse", NULL};
    static const char *const reductions[] = {"mean", "sum", NULL};
    static const char *const inits[] = {"torch", "xavier", NULL};
    if (!json_is_object(root))
        return nn_fail(c->msg, c->len, 0, "%s: not a JSON object", c->path);
    if (!known_keys(c, "model", root, keys)) return 0;
    json_t *v;
    int k;
    if ((v = json_object_get(root, "input")) && !parse_input(c, v, cfg)) return 0;
    if ((v = json_object_get(root, "output"))) {
        if ((k = pick(c, "'output'", v, outputs)) < 0) return 0;
        cfg->output = k ? CRYPTONN_OUTPUT_LINEAR : CRYPTONN_OUTPUT_SOFTMAX;
    }
    cfg->loss = cfg->output == CRYPTONN_OUTPUT_LINEAR ? CRYPTONN_LOSS_MSE : CRYPTONN_LOSS_CE;
    if ((v = json_object_get(root, "loss"))) {
        if ((k = pick(c, "'loss'", v, losses)) < 0) return 0;
        cfg->loss = k ? CRYPTONN_LOSS_MSE : CRYPTONN_LOSS_CE;
    }
    if ((v = json_object_get(root, "reduction"))) {
        if ((k = pick(c, "'reduction'", v, reductions)) < 0) return 0;
        cfg->reduction = k ? CRYPTONN_REDUCE_SUM : CRYPTONN_REDUCE_MEAN;
    }
    if ((v = json_object_get(root, "init"))) {
        if ((k = pick(c, "'init'", v, inits)) < 0) return 0;
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

int cryptonn_model_config_read(const char *path, cryptonn_model_config *cfg, char *msg,
                               size_t msg_len)
{
    CN_ARG_CHECK(path && cfg);
    cryptonn_model_config_default(cfg);
    cfg->arch = CRYPTONN_ARCH_LAYERS;
    cfg->classes = 0;
    uint8_t *buf;
    size_t len;
    int rc = cn_file_read_all(path, MODEL_FILE_MAX, &buf, &len);
    if (rc != CRYPTONN_OK)
        return nn_fail(msg, msg_len, rc, "%s: %s", path, cryptonn_status_str(rc));
    json_error_t err;
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
    free(buf);
    if (!root)
        return nn_fail(msg, msg_len, CRYPTONN_ERR_FORMAT, "%s:%d:%d: %s", path, err.line,
                       err.column, err.text);
    ctx c = {path, msg, msg_len};
    rc = parse_model(&c, root, cfg) ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
    json_decref(root);
    if (rc == CRYPTONN_OK && cfg->in_c) {
        char why[256];
        rc = cryptonn_model_config_check(cfg, why, sizeof why);
        if (rc != CRYPTONN_OK) nn_fail(msg, msg_len, rc, "%s: %s", path, why);
    }
    return rc;
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

#endif
