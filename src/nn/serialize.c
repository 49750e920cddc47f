/* Model files: a "MODL" container (util.h) whose payload is
 *   u32 arch, act, loss, reduction, pool, in_dim, hidden, classes, frozen, init,
 *       conv1_filters (version 2; version 1 files lack it and read as 0)
 *   u64 seed, u64 nparams
 *   nparams × f32 (IEEE 754 binary32, little-endian)
 * A layer-list model (CRYPTONN_ARCH_LAYERS) is a "MODN" container, version 1:
 * the same eleven u32, then u32 output, in_c, in_h, in_w, nlayers and per
 * layer u32 kind, units, kernel, stride, pad and the rate's binary32 bits,
 * then seed, nparams and the parameters as above.
 * The container checks magic, version, length and checksum; this file checks
 * that the configuration is valid and the parameter count fits it. */
#include <stdlib.h>
#include <string.h>

#include "nn/model_internal.h"
#include "util/util.h"

#define MODEL_VERSION 2u
#define MODEL_FIELDS 11
#define LAYERS_FIELDS 5
#define LAYER_FIELDS 6
#define MODEL_HEADER_MAX                                                                   \
    ((MODEL_FIELDS + LAYERS_FIELDS + LAYER_FIELDS * CRYPTONN_MAX_LAYERS) * 4 + 2 * 8)
#define MODEL_MAX_PAYLOAD ((size_t)1 << 31)

static const char KIND[4] = {'M', 'O', 'D', 'L'};
static const char KIND_LAYERS[4] = {'M', 'O', 'D', 'N'};

static uint32_t f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    return u;
}

/* The layer-list fields after the eleven MODL ones; returns their bytes. */
static size_t put_layers(uint8_t *h, const cryptonn_model_config *c)
{
    const uint32_t f[LAYERS_FIELDS] = {(uint32_t)c->output, c->in_c, c->in_h, c->in_w, c->nlayers};
    size_t at = 0;
    for (int i = 0; i < LAYERS_FIELDS; i++, at += 4) cn_store_u32(h + at, f[i]);
    for (uint32_t i = 0; i < c->nlayers && i < CRYPTONN_MAX_LAYERS; i++) {
        const cryptonn_layer_spec *l = &c->layers[i];
        const uint32_t g[LAYER_FIELDS] = {(uint32_t)l->kind, l->units,  l->kernel,
                                          l->stride,         l->pad,    f32_bits(l->rate)};
        for (int j = 0; j < LAYER_FIELDS; j++, at += 4) cn_store_u32(h + at, g[j]);
    }
    return at;
}

static int get_layers(cn_reader *r, cryptonn_model_config *c)
{
    uint32_t f[LAYERS_FIELDS];
    for (int i = 0; i < LAYERS_FIELDS; i++) CN_TRY(cn_read_u32(r, &f[i]));
    c->output = (cryptonn_output)f[0], c->in_c = f[1], c->in_h = f[2], c->in_w = f[3];
    c->nlayers = f[4];
    if (c->nlayers > CRYPTONN_MAX_LAYERS) return CRYPTONN_ERR_FORMAT;
    for (uint32_t i = 0; i < c->nlayers; i++) {
        uint32_t g[LAYER_FIELDS];
        for (int j = 0; j < LAYER_FIELDS; j++) CN_TRY(cn_read_u32(r, &g[j]));
        cryptonn_layer_spec *l = &c->layers[i];
        l->kind = (cryptonn_layer_kind)g[0], l->units = g[1], l->kernel = g[2];
        l->stride = g[3], l->pad = g[4];
        memcpy(&l->rate, &g[5], 4);
    }
    return CRYPTONN_OK;
}

int cryptonn_model_save(const cryptonn_model *m, const char *path)
{
    CN_ARG_CHECK(m && path);
    const cryptonn_model_config *c = &m->cfg;
    uint8_t h[MODEL_HEADER_MAX];
    const uint32_t f[MODEL_FIELDS] = {(uint32_t)c->arch,      (uint32_t)c->act,
                                      (uint32_t)c->loss,      (uint32_t)c->reduction,
                                      (uint32_t)c->pool,      c->in_dim,
                                      c->hidden,              c->classes,
                                      c->frozen_first_layer,  (uint32_t)c->init,
                                      c->conv1_filters};
    for (int i = 0; i < MODEL_FIELDS; i++) cn_store_u32(h + 4 * i, f[i]);
    const int layers = c->arch == CRYPTONN_ARCH_LAYERS;
    size_t at = 4 * MODEL_FIELDS + (layers ? put_layers(h + 4 * MODEL_FIELDS, c) : 0);
    cn_store_u64(h + at, c->seed);
    cn_store_u64(h + at + 8, (uint64_t)m->nparams);
    uint8_t *body = cn_malloc_array(m->nparams, 4);
    if (!body) return CRYPTONN_ERR_NOMEM;
    for (size_t i = 0; i < m->nparams; i++) {
        uint32_t u;
        memcpy(&u, &m->params[i], 4);
        cn_store_u32(body + 4 * i, u);
    }
    cn_part parts[2] = {{h, at + 16}, {body, m->nparams * 4}};
    int rc = layers ? cn_container_write(path, KIND_LAYERS, 1, parts, 2, 0644)
                    : cn_container_write(path, KIND, MODEL_VERSION, parts, 2, 0644);
    free(body);
    return rc;
}

/* Parses a model file into cfg and a view of its parameter bytes. */
static int parse(const char *path, uint8_t **file, cryptonn_model_config *cfg,
                 const uint8_t **params, uint64_t *nparams)
{
    const uint8_t *pl;
    size_t plen;
    memset(cfg, 0, sizeof *cfg); /* padding too: configs are compared bytewise */
    int fields = MODEL_FIELDS, layers = 0;
    uint32_t version;
    int rc = cn_container_read_any(path, KIND, 1, MODEL_VERSION, MODEL_MAX_PAYLOAD, &version, file,
                                   &pl, &plen);
    if (rc == CRYPTONN_OK && version == 1) {
        fields = 10;
    } else if (rc == CRYPTONN_ERR_FORMAT) {
        /* Another kind: a MODN file reads as one (with its own errors);
         * anything else stays FORMAT. */
        rc = cn_container_read(path, KIND_LAYERS, 1, MODEL_MAX_PAYLOAD, file, &pl, &plen);
        layers = 1;
    }
    if (rc != CRYPTONN_OK) return rc;
    cn_reader r = {pl, plen};
    uint32_t f[MODEL_FIELDS] = {0};
    for (int i = 0; i < fields && rc == CRYPTONN_OK; i++) rc = cn_read_u32(&r, &f[i]);
    if (rc == CRYPTONN_OK && layers) rc = get_layers(&r, cfg);
    if (rc == CRYPTONN_OK) rc = cn_read_u64(&r, &cfg->seed);
    if (rc == CRYPTONN_OK) rc = cn_read_u64(&r, nparams);
    if (rc == CRYPTONN_OK) {
        cfg->arch = (cryptonn_arch)f[0], cfg->act = (cryptonn_activation)f[1];
        cfg->loss = (cryptonn_loss)f[2], cfg->reduction = (cryptonn_reduction)f[3];
        cfg->pool = (cryptonn_pool)f[4], cfg->in_dim = f[5], cfg->hidden = f[6];
        cfg->classes = f[7], cfg->frozen_first_layer = f[8], cfg->init = (cryptonn_init_scheme)f[9];
        cfg->conv1_filters = f[10];
        if (!nn_config_valid(cfg) || layers != (cfg->arch == CRYPTONN_ARCH_LAYERS))
            rc = CRYPTONN_ERR_FORMAT;
    }
    if (rc == CRYPTONN_OK && *nparams > r.left / 4) rc = CRYPTONN_ERR_TRUNCATED;
    if (rc == CRYPTONN_OK && *nparams * 4 != r.left) rc = CRYPTONN_ERR_FORMAT;
    if (rc != CRYPTONN_OK) {
        free(*file);
        *file = NULL;
        return rc;
    }
    *params = r.p;
    return CRYPTONN_OK;
}

static void copy_params(float *dst, const uint8_t *src, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint32_t u = cn_load_u32(src + 4 * i);
        memcpy(&dst[i], &u, 4);
    }
}

int cryptonn_model_load(const char *path, uint32_t max_batch, uint32_t threads,
                        cryptonn_model **out)
{
    CN_ARG_CHECK(path && out);
    *out = NULL;
    uint8_t *file;
    cryptonn_model_config cfg;
    const uint8_t *pb;
    uint64_t np;
    CN_TRY(parse(path, &file, &cfg, &pb, &np));
    cryptonn_model *m;
    int rc = cryptonn_model_create(&cfg, max_batch, threads, &m);
    if (rc == CRYPTONN_OK && np != m->nparams) {
        cryptonn_model_destroy(m);
        rc = CRYPTONN_ERR_MISMATCH;
    }
    if (rc == CRYPTONN_OK) {
        copy_params(m->params, pb, m->nparams);
        *out = m;
    }
    free(file);
    return rc;
}

int cryptonn_model_load_into(cryptonn_model *m, const char *path)
{
    CN_ARG_CHECK(m && path);
    uint8_t *file;
    cryptonn_model_config cfg;
    const uint8_t *pb;
    uint64_t np;
    CN_TRY(parse(path, &file, &cfg, &pb, &np));
    const cryptonn_model_config *c = &m->cfg;
    /* The architecture must match; loss, reduction and seed need not. */
    int same = cfg.arch == c->arch && cfg.act == c->act && cfg.pool == c->pool &&
               cfg.classes == c->classes &&
               (cfg.conv1_filters ? cfg.conv1_filters : 6) ==
                   (c->conv1_filters ? c->conv1_filters : 6) &&
               (c->arch != CRYPTONN_ARCH_MLP || (cfg.in_dim == c->in_dim && cfg.hidden == c->hidden)) &&
               cfg.output == c->output && cfg.in_c == c->in_c && cfg.in_h == c->in_h &&
               cfg.in_w == c->in_w && cfg.nlayers == c->nlayers &&
               !memcmp(cfg.layers, c->layers, sizeof cfg.layers) && np == m->nparams;
    if (same) copy_params(m->params, pb, m->nparams);
    free(file);
    return same ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
}
