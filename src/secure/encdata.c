/* encdata: the encrypted dataset directory (encdata.h). Writers build each
 * file in memory and write it atomically; readers bound every size by the
 * parameters before allocating and check every ciphertext's mpk id, so a
 * batch of a foreign or damaged dataset is refused, never half-used. */
#include "secure/encdata.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "scheme/feip_slice.h"
#include "secure/dist.h"
#include "util/util.h"

#define V1 1u
#define V2 2u /* params.bin of strict mode */
#define V3 3u /* params.bin of any records (generic fields set) */
#define IPCT_HEAD 32  /* container header 24 + group 4 + width 4; then the id */
#define FEBO_ID_AT 28 /* container header 24 + group 4; then the id */
#define BOCT_BYTES (CN_CONTAINER_HEADER + 84 + CN_CONTAINER_TRAILER)
#define MAX_PARAMS_PAYLOAD ((size_t)1 << 30)

void cn_enc_params_default(cn_enc_params *p)
{
    memset(p, 0, sizeof *p); /* no generic fields: MNIST's values */
    p->rows = 28;
    p->cols = 28;
    p->slots = 28 * 28;
    p->batch = 64;
    p->classes = 10;
    p->pixel_bits = 8;
    p->label_scale_bits = 16;
    p->mode = CN_MODE_PAPER;
}

/* A params struct carries the generic fields (params.bin version 3). */
static int generic(const cn_enc_params *p)
{
    return p->channels || p->task || p->x_den || p->x_max || p->y_den || p->y_max;
}

uint32_t cn_enc_channels(const cn_enc_params *p)
{
    return p->channels ? p->channels : 1;
}
uint64_t cn_enc_x_den(const cn_enc_params *p)
{
    return p->x_den ? p->x_den : ((uint64_t)1 << p->pixel_bits) - 1;
}
uint64_t cn_enc_x_max(const cn_enc_params *p)
{
    return p->x_max ? p->x_max : ((uint64_t)1 << p->pixel_bits) - 1;
}
uint64_t cn_enc_y_den(const cn_enc_params *p)
{
    return p->y_den ? p->y_den : (uint64_t)1 << p->label_scale_bits;
}
uint64_t cn_enc_y_max(const cn_enc_params *p)
{
    return p->y_max ? p->y_max : cn_enc_y_den(p);
}
uint64_t cn_enc_err_max(const cn_enc_params *p)
{
    return p->task == CN_TASK_REGRESS ? 2 * cn_enc_y_max(p) : cn_enc_y_den(p);
}

static uint32_t bitlen(uint64_t v)
{
    uint32_t b = 0;
    while (v) b++, v >>= 1;
    return b;
}

int cn_enc_check_err_bound(const cn_enc_params *p, char *msg, size_t msg_len)
{
    const uint64_t worst = cn_enc_err_max(p), bound = CN_ENC_DLOG_BOUND;
    if (worst <= bound) return CRYPTONN_OK;
    if (!msg || !msg_len) return CRYPTONN_ERR_RANGE;
    int n = snprintf(msg, msg_len, "label entries up to %llu exceed the discrete-log "
                     "bound %llu (2^%u) of secure training: ",
                     (unsigned long long)worst, (unsigned long long)bound, bitlen(bound) - 1);
    if (n < 0 || (size_t)n >= msg_len) return CRYPTONN_ERR_RANGE;
    if (p->task == CN_TASK_REGRESS)
        snprintf(msg + n, msg_len - (size_t)n, "|Y − P| reaches 2·⌈bound·scale⌉ = 2·%llu at the "
                 "target's fixed-point scale %llu; lower its bound or digits",
                 (unsigned long long)cn_enc_y_max(p), (unsigned long long)cn_enc_y_den(p));
    else
        snprintf(msg + n, msg_len - (size_t)n, "one-hot labels scaled by %llu; lower the "
                 "label bits", (unsigned long long)cn_enc_y_den(p));
    return CRYPTONN_ERR_RANGE;
}

static int spec_fail(char *msg, size_t len, const char *why)
{
    if (msg && len) snprintf(msg, len, "%s", why);
    return CRYPTONN_ERR_RANGE;
}

int cn_enc_params_from_spec(cn_enc_params *p, const cryptonn_data_spec *s, uint32_t batch,
                            char *msg, size_t msg_len)
{
    CN_ARG_CHECK(p && s);
    memset(p, 0, sizeof *p);
    const double xd = pow((double)s->base, (double)s->digits);
    const double xm = ceil(s->bound * xd);
    if (!(xm >= 1 && xm < (double)(1u << 30)))
        return spec_fail(msg, msg_len, "the inputs' bound times their fixed-point scale must be "
                                       "below 2^30: lower the bound or the digits");
    p->channels = s->shape[0], p->rows = s->shape[1], p->cols = s->shape[2];
    p->slots = s->features;
    p->batch = batch;
    p->x_den = (uint64_t)xd, p->x_max = (uint64_t)xm;
    p->pixel_bits = bitlen(p->x_max);
    p->mode = CN_MODE_PAPER;
    if (s->task == CRYPTONN_TASK_CLASSIFY) {
        p->task = CN_TASK_CLASSIFY;
        p->classes = s->classes;
        p->label_scale_bits = 16;
        p->y_den = p->y_max = (uint64_t)1 << 16;
    } else {
        const double td = pow((double)s->t_base, (double)s->t_digits);
        const double tm = ceil(s->t_bound * td);
        if (!(tm >= 1 && tm < (double)((uint64_t)1 << 40)))
            return spec_fail(msg, msg_len, "the target's bound times its fixed-point scale "
                                           "must be below 2^40: lower the bound or the digits");
        p->task = CN_TASK_REGRESS;
        p->classes = 1;
        p->y_den = (uint64_t)td, p->y_max = (uint64_t)tm;
        p->label_scale_bits = bitlen(p->y_max);
    }
    if ((uint64_t)p->slots * (batch ? batch : 1) > CRYPTONN_FEIP_MAX_SLOTS || batch < 1 ||
        batch > 4096)
        return spec_fail(msg, msg_len, "records times batch exceed a batch ciphertext's slots");
    return cn_enc_check_err_bound(p, msg, msg_len);
}

int cn_enc_params_same_records(const cn_enc_params *a, const cn_enc_params *b)
{
    return cn_enc_channels(a) == cn_enc_channels(b) && a->rows == b->rows && a->cols == b->cols &&
           a->slots == b->slots && a->task == b->task && a->classes == b->classes &&
           cn_enc_x_den(a) == cn_enc_x_den(b) && cn_enc_x_max(a) == cn_enc_x_max(b) &&
           cn_enc_y_den(a) == cn_enc_y_den(b) && cn_enc_y_max(a) == cn_enc_y_max(b);
}

int cn_enc_fit_model(const cn_enc_params *p, cryptonn_model_config *cfg, char *msg,
                     size_t msg_len)
{
    CN_TRY(cn_enc_check_err_bound(p, msg, msg_len));
    const int regress = p->task == CN_TASK_REGRESS;
    if (cfg->arch == CRYPTONN_ARCH_LAYERS) {
        if (!cfg->in_c) cfg->in_c = cn_enc_channels(p), cfg->in_h = p->rows, cfg->in_w = p->cols;
    } else {
        cfg->classes = p->classes;
        cfg->output = regress ? CRYPTONN_OUTPUT_LINEAR : CRYPTONN_OUTPUT_SOFTMAX;
        if (regress) cfg->loss = CRYPTONN_LOSS_MSE;
        if (cfg->arch == CRYPTONN_ARCH_MLP) cfg->in_dim = p->slots;
    }
    char why[256] = "";
    int rc = cryptonn_model_config_check(cfg, why, sizeof why);
    if (rc == CRYPTONN_OK && cfg->arch == CRYPTONN_ARCH_LAYERS &&
        (uint64_t)cfg->in_c * cfg->in_h * cfg->in_w != p->slots) {
        snprintf(why, sizeof why, "the model takes %ux%ux%u inputs, the records have %u values",
                 cfg->in_c, cfg->in_h, cfg->in_w, p->slots);
        rc = CRYPTONN_ERR_MISMATCH;
    }
    /* a convolution slides over the records' own image shape (the server
     * checks it too, but only once training starts) */
    if (rc == CRYPTONN_OK && cfg->arch == CRYPTONN_ARCH_LAYERS &&
        cfg->layers[0].kind == CRYPTONN_LAYER_CONV2D &&
        (cfg->in_c != cn_enc_channels(p) || cfg->in_h != p->rows || cfg->in_w != p->cols)) {
        snprintf(why, sizeof why, "the model's conv2d first layer takes %ux%ux%u images, the "
                 "records are %ux%ux%u (the spec's shape: data describe --shape CxHxW)",
                 cfg->in_c, cfg->in_h, cfg->in_w, cn_enc_channels(p), p->rows, p->cols);
        rc = CRYPTONN_ERR_MISMATCH;
    }
    if (rc == CRYPTONN_OK &&
        (cfg->classes != p->classes || (cfg->output == CRYPTONN_OUTPUT_LINEAR) != regress)) {
        snprintf(why, sizeof why, "the model has a %s output of %u, the records %s %u",
                 cfg->output == CRYPTONN_OUTPUT_LINEAR ? "linear" : "softmax", cfg->classes,
                 regress ? "a regression target:" : "classes:", p->classes);
        rc = CRYPTONN_ERR_MISMATCH;
    }
    if (rc != CRYPTONN_OK && msg && msg_len) snprintf(msg, msg_len, "%s", why);
    return rc == CRYPTONN_OK ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
}

void cn_enc_mpks_free(cn_enc_mpks *k)
{
    if (!k) return;
    cryptonn_feip_mpk_destroy(k->samples);
    cryptonn_feip_mpk_destroy(k->batch);
    cryptonn_febo_mpk_destroy(k->labels);
    if (k->layer) cn_fl_layer_free(k->layer);
    free(k->layer);
    k->samples = k->batch = NULL;
    k->labels = NULL;
    k->layer = NULL;
}

void cn_enc_batch_free(cn_enc_batch *b)
{
    if (!b) return;
    if (b->x) {
        for (uint32_t i = 0; i < b->n; i++) cryptonn_feip_ct_destroy(b->x[i]);
        free(b->x);
    }
    if (b->y) {
        for (size_t i = 0; i < (size_t)b->n * b->classes; i++) cryptonn_febo_ct_destroy(b->y[i]);
        free(b->y);
    }
    cryptonn_feip_ct_destroy(b->xb);
    memset(b, 0, sizeof *b);
}

/* The limits a reader enforces; writers refuse the same. */
static int params_ok(const cn_enc_params *p)
{
    if (p->rows < 1 || p->rows > 4096 || p->cols < 1 || p->cols > 4096) return 0;
    if (p->batch < 1 || p->batch > 4096) return 0;
    if (p->mode != CN_MODE_PAPER && p->mode != CN_MODE_STRICT) return 0;
    if (!generic(p)) {
        if ((uint64_t)p->rows * p->cols != p->slots) return 0;
        if ((uint64_t)p->batch * p->slots > CRYPTONN_FEIP_MAX_SLOTS) return 0;
        if (p->classes < 2 || p->classes > 256) return 0;
        if (p->pixel_bits < 1 || p->pixel_bits > 16) return 0;
        return p->label_scale_bits <= 40;
    }
    if (p->channels < 1 || p->channels > 4096 ||
        (uint64_t)p->channels * p->rows * p->cols != p->slots || p->slots < 1)
        return 0;
    if ((uint64_t)p->batch * p->slots > CRYPTONN_FEIP_MAX_SLOTS) return 0;
    if (p->x_den < 1 || p->x_max < 1 || p->x_max >= (1u << 30)) return 0;
    if (p->pixel_bits != bitlen(p->x_max)) return 0;
    if (p->y_den < 1 || p->y_max < 1 || p->y_max >= ((uint64_t)1 << 40)) return 0;
    if (p->task == CN_TASK_CLASSIFY)
        return p->classes >= 2 && p->classes <= 256 && p->label_scale_bits <= 40 &&
               p->y_den == (uint64_t)1 << p->label_scale_bits && p->y_max == p->y_den;
    return p->task == CN_TASK_REGRESS && p->classes == 1 &&
           p->label_scale_bits == bitlen(p->y_max);
}

/* The mpks fit the parameters and the mode: strict has a committed layer
 * over the samples' shape and no batch mpk; paper the reverse. */
static int mpks_fit(const cn_enc_params *p, const cn_enc_mpks *k)
{
    if (!k->samples || !k->labels || cryptonn_feip_mpk_slots(k->samples) != p->slots) return 0;
    if (p->mode == CN_MODE_STRICT)
        return !k->batch && k->layer && k->layer->spec.in_c * k->layer->spec.in_h *
                                                k->layer->spec.in_w == p->slots;
    return !k->layer && k->batch &&
           cryptonn_feip_mpk_slots(k->batch) == (size_t)p->slots * p->batch;
}

/* The params.bin payload: seven u32 (v2: and the mode), then three
 * length-prefixed mpk exports (v2: the batch one empty), then (v2) the
 * length-prefixed committed layer. v3: the eight u32, the generic fields,
 * and all four pieces. */
static int params_payload(const cn_enc_params *p, const cn_enc_mpks *k, uint8_t **out, size_t *out_len)
{
    const int strict = p->mode == CN_MODE_STRICT, v3 = generic(p);
    uint8_t *bufs[4] = {NULL, NULL, NULL, NULL};
    size_t lens[4] = {0, 0, 0, 0};
    int rc = cryptonn_feip_mpk_export(k->samples, &bufs[0], &lens[0]);
    if (rc == CRYPTONN_OK && !strict) rc = cryptonn_feip_mpk_export(k->batch, &bufs[1], &lens[1]);
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_mpk_export(k->labels, &bufs[2], &lens[2]);
    if (rc == CRYPTONN_OK && strict) rc = cn_fl_layer_encode(k->layer, &bufs[3], &lens[3]);
    cn_buf b;
    cn_buf_init(&b, 256, 0);
    const uint32_t f[8] = {p->rows, p->cols, p->slots, p->batch, p->classes, p->pixel_bits,
                           p->label_scale_bits, p->mode};
    for (int i = 0; i < (strict || v3 ? 8 : 7); i++) cn_buf_u32(&b, f[i]);
    if (v3) {
        cn_buf_u32(&b, p->channels);
        cn_buf_u32(&b, p->task);
        const uint64_t g[4] = {p->x_den, p->x_max, p->y_den, p->y_max};
        for (int i = 0; i < 4; i++) cn_buf_u64(&b, g[i]);
    }
    for (int i = 0; i < (strict || v3 ? 4 : 3); i++) {
        cn_buf_u64(&b, lens[i]);
        if (lens[i]) cn_buf_put(&b, bufs[i], lens[i]);
    }
    for (int i = 0; i < 4; i++) free(bufs[i]);
    if (rc != CRYPTONN_OK) {
        cn_buf_free(&b);
        return rc;
    }
    return cn_buf_take(&b, out, out_len);
}

static int join(char *out, size_t cap, const char *a, const char *b, const char *c)
{
    int n = snprintf(out, cap, "%s/%s%s%s", a, b, c ? "/" : "", c ? c : "");
    return n > 0 && (size_t)n < cap ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
}

int cn_part_name_ok(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n < 1 || n > 64) return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int ensure_dir(const char *path)
{
    if (mkdir(path, 0755) == 0 || errno == EEXIST) return CRYPTONN_OK;
    return CRYPTONN_ERR_IO;
}

static int parse_params(const uint8_t *pl, size_t plen, uint32_t version, cn_enc_params *p,
                        cn_enc_mpks *k)
{
    cn_reader r = {pl, plen};
    const int v1 = version == V1, v3 = version == V3;
    uint32_t f[8] = {0};
    for (int i = 0; i < (v1 ? 7 : 8); i++) CN_TRY(cn_read_u32(&r, &f[i]));
    cn_enc_params q = {.rows = f[0], .cols = f[1], .slots = f[2], .batch = f[3],
                       .classes = f[4], .pixel_bits = f[5], .label_scale_bits = f[6],
                       .mode = f[7]};
    if (v3) {
        CN_TRY(cn_read_u32(&r, &q.channels));
        CN_TRY(cn_read_u32(&r, &q.task));
        CN_TRY(cn_read_u64(&r, &q.x_den));
        CN_TRY(cn_read_u64(&r, &q.x_max));
        CN_TRY(cn_read_u64(&r, &q.y_den));
        CN_TRY(cn_read_u64(&r, &q.y_max));
        if (!generic(&q)) return CRYPTONN_ERR_FORMAT;
    }
    const int strict = q.mode == CN_MODE_STRICT;
    if (!params_ok(&q) || (!v3 && strict != (version == V2))) return CRYPTONN_ERR_FORMAT;
    const uint8_t *views[4];
    uint64_t lens[4] = {0, 0, 0, 0};
    for (int i = 0; i < (v1 ? 3 : 4); i++) {
        CN_TRY(cn_read_u64(&r, &lens[i]));
        if (lens[i] > r.left) return CRYPTONN_ERR_TRUNCATED;
        CN_TRY(cn_read_view(&r, &views[i], (size_t)lens[i]));
    }
    if (r.left != 0 || (strict && lens[1] != 0) || (!strict && lens[3] != 0))
        return CRYPTONN_ERR_FORMAT;
    if (k) {
        cn_enc_mpks m = {0};
        int rc = cryptonn_feip_mpk_import(&m.samples, views[0], (size_t)lens[0]);
        if (rc == CRYPTONN_OK && !strict)
            rc = cryptonn_feip_mpk_import(&m.batch, views[1], (size_t)lens[1]);
        if (rc == CRYPTONN_OK) rc = cryptonn_febo_mpk_import(&m.labels, views[2], (size_t)lens[2]);
        if (rc == CRYPTONN_OK && strict) {
            m.layer = calloc(1, sizeof *m.layer);
            rc = m.layer ? cn_fl_layer_decode(m.layer, views[3], (size_t)lens[3])
                         : CRYPTONN_ERR_NOMEM;
        }
        if (rc == CRYPTONN_OK && !mpks_fit(&q, &m)) rc = CRYPTONN_ERR_FORMAT;
        if (rc != CRYPTONN_OK) {
            cn_enc_mpks_free(&m);
            return rc;
        }
        *k = m;
    }
    *p = q;
    return CRYPTONN_OK;
}

/* A params.bin of any version: its payload (in *file) and version. */
static int read_params_any(const char *path, uint8_t **file, const uint8_t **pl, size_t *plen,
                           uint32_t *version)
{
    return cn_container_read_any(path, "EDPR", V1, V3, MAX_PARAMS_PAYLOAD, version, file, pl, plen);
}

int cn_encdata_init(const char *dir, const cn_enc_params *p, const cn_enc_mpks *k)
{
    CN_ARG_CHECK(dir && p && k);
    if (!params_ok(p) || !mpks_fit(p, k)) return CRYPTONN_ERR_ARG;
    const uint32_t version = generic(p) ? V3 : p->mode == CN_MODE_STRICT ? V2 : V1;
    CN_TRY(ensure_dir(dir));
    char path[4096];
    CN_TRY(join(path, sizeof path, dir, "params.bin", NULL));
    uint8_t *pl;
    size_t plen;
    CN_TRY(params_payload(p, k, &pl, &plen));
    uint8_t *file;
    const uint8_t *old;
    size_t old_len;
    uint32_t old_version;
    int rc = read_params_any(path, &file, &old, &old_len, &old_version);
    if (rc == CRYPTONN_OK && old_version != version) { /* the other mode's or records' keys */
        free(file);
        rc = CRYPTONN_ERR_MISMATCH;
    } else if (rc == CRYPTONN_OK) {
        /* Exports are canonical, so equal keys give equal bytes. */
        rc = old_len == plen && memcmp(old, pl, plen) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
        free(file);
    } else if (rc == CRYPTONN_ERR_NOT_FOUND) {
        cn_part part = {pl, plen};
        rc = cn_container_write(path, "EDPR", version, &part, 1, 0644);
    }
    free(pl);
    return rc;
}

int cn_encdata_read_params(const char *dir, cn_enc_params *p, cn_enc_mpks *k)
{
    CN_ARG_CHECK(dir && p);
    char path[4096];
    CN_TRY(join(path, sizeof path, dir, "params.bin", NULL));
    return cn_encdata_read_params_file(path, p, k);
}

int cn_encdata_read_params_file(const char *path, cn_enc_params *p, cn_enc_mpks *k)
{
    CN_ARG_CHECK(path && p);
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    uint32_t version;
    int rc = read_params_any(path, &file, &pl, &plen, &version);
    if (rc != CRYPTONN_OK) return rc;
    rc = parse_params(pl, plen, version, p, k);
    free(file);
    return rc;
}

/* ---- batches ---- */

/* The exact size of an IPCT container of `slots` slots (feip_io.c layout). */
static size_t ipct_bytes(size_t slots)
{
    return CN_CONTAINER_HEADER + 24 + 32 * (slots + 1) + CN_CONTAINER_TRAILER;
}
static size_t batch_payload_max(const cn_enc_params *p)
{
    return 8 + (size_t)p->batch * (8 + ipct_bytes(p->slots)) +
           (size_t)p->batch * p->classes * (8 + BOCT_BYTES) + 8 +
           ipct_bytes((size_t)p->batch * p->slots);
}

static int batch_path(char *out, size_t cap, const char *dir, const char *part, uint64_t index)
{
    int n = snprintf(out, cap, "%s/part-%s/batch-%06llu.bin", dir, part, (unsigned long long)index);
    return n > 0 && (size_t)n < cap ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
}

int cn_encdata_write_batch(const char *dir, const char *part, uint64_t index,
                           const cn_enc_params *p, const cn_enc_batch *b)
{
    CN_ARG_CHECK(dir && part && p && b && b->x);
    if (!cn_part_name_ok(part) || b->n < 1 || b->n > p->batch) return CRYPTONN_ERR_ARG;
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/part-%s", dir, part);
    if (pn <= 0 || (size_t)pn >= sizeof path) return CRYPTONN_ERR_ARG;
    CN_TRY(ensure_dir(path));
    CN_TRY(batch_path(path, sizeof path, dir, part, index));

    uint32_t flags = (b->y ? CN_ENC_LABELS : 0) | (b->xb ? CN_ENC_BATCHCT : 0);
    /* Encoding (one inverse square root per point) is most of the cost: the
     * batch ciphertext, the labels and each sample are exported as separate
     * items so both cores share them, the big one first. */
    const int items = (int)b->n + 2;
    uint8_t **bytes = calloc((size_t)items, sizeof *bytes);
    size_t *lens = calloc((size_t)items, sizeof *lens);
    cn_buf ys;
    cn_buf_init(&ys, 0, 0);
    int rc = bytes && lens ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) {
#pragma omp parallel for schedule(dynamic, 1)
        for (int it = 0; it < items; it++) {
            int r = CRYPTONN_OK;
            if (it == 0) {
                if (b->xb) r = cryptonn_feip_ct_export(b->xb, &bytes[0], &lens[0]);
            } else if (it == 1) {
                for (size_t i = 0; b->y && i < (size_t)b->n * p->classes && r == CRYPTONN_OK; i++) {
                    uint8_t *e;
                    size_t el;
                    r = cryptonn_febo_ct_export(b->y[i], &e, &el);
                    if (r != CRYPTONN_OK) break;
                    cn_buf_u64(&ys, el);
                    cn_buf_put(&ys, e, el);
                    free(e);
                }
            } else {
                r = cryptonn_feip_ct_export(b->x[it - 2], &bytes[it], &lens[it]);
            }
            if (r != CRYPTONN_OK) {
#pragma omp critical
                rc = r;
            }
        }
    }
    if (rc == CRYPTONN_OK && ys.oom) rc = CRYPTONN_ERR_NOMEM;
    /* parts: head, n × (len, IPCT), labels, (len, IPCT of the batch) */
    cn_part *parts = rc == CRYPTONN_OK ? calloc(2 * (size_t)b->n + 4, sizeof *parts) : NULL;
    uint8_t *lenbuf = rc == CRYPTONN_OK ? calloc((size_t)b->n + 1, 8) : NULL;
    if (rc == CRYPTONN_OK && (!parts || !lenbuf)) rc = CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) {
        uint8_t head[8];
        cn_store_u32(head, b->n);
        cn_store_u32(head + 4, flags);
        size_t np = 0;
        parts[np++] = (cn_part){head, 8};
        for (uint32_t i = 0; i < b->n; i++) {
            cn_store_u64(lenbuf + 8 * i, lens[i + 2]);
            parts[np++] = (cn_part){lenbuf + 8 * i, 8};
            parts[np++] = (cn_part){bytes[i + 2], lens[i + 2]};
        }
        parts[np++] = (cn_part){ys.p + CN_CONTAINER_HEADER, ys.len - CN_CONTAINER_HEADER};
        if (b->xb) {
            cn_store_u64(lenbuf + 8 * (size_t)b->n, lens[0]);
            parts[np++] = (cn_part){lenbuf + 8 * (size_t)b->n, 8};
            parts[np++] = (cn_part){bytes[0], lens[0]};
        }
        rc = cn_container_write(path, "EBAT", V1, parts, np, 0644);
    }
    for (int it = 0; bytes && it < items; it++) free(bytes[it]);
    free(bytes);
    free(lens);
    free(parts);
    free(lenbuf);
    cn_buf_free(&ys);
    return rc;
}

int cn_encdata_write_index(const char *dir, const char *part, uint64_t samples, uint64_t batches,
                           uint32_t flags)
{
    CN_ARG_CHECK(dir && part);
    if (!cn_part_name_ok(part) || samples == 0 || (flags & ~(CN_ENC_LABELS | CN_ENC_BATCHCT)))
        return CRYPTONN_ERR_ARG;
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, part);
    if (n <= 0 || (size_t)n >= sizeof path) return CRYPTONN_ERR_ARG;
    uint8_t pl[20];
    cn_store_u64(pl, samples);
    cn_store_u64(pl + 8, batches);
    cn_store_u32(pl + 16, flags);
    cn_part part_ = {pl, sizeof pl};
    return cn_container_write(path, "EDIX", V1, &part_, 1, 0644);
}

/* ---- reading ---- */

typedef struct {
    char name[65];
    uint64_t samples, batches, first; /* first: global index of its batch 0 */
    uint32_t flags;
} part_info;

struct cn_encdata {
    char *dir;
    cn_enc_params p;
    cn_enc_mpks k;
    uint8_t samples_id[16], batch_id[16], labels_id[16];
    part_info *parts;
    size_t nparts;
    uint64_t samples, batches;
    uint32_t flags;
};

static int read_index(const char *dir, const char *name, const cn_enc_params *p, part_info *out)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, name);
    if (n <= 0 || (size_t)n >= sizeof path) return CRYPTONN_ERR_ARG;
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_read(path, "EDIX", V1, 20, &file, &pl, &plen));
    int rc = CRYPTONN_OK;
    if (plen != 20) rc = CRYPTONN_ERR_FORMAT;
    else {
        out->samples = cn_load_u64(pl);
        out->batches = cn_load_u64(pl + 8);
        out->flags = cn_load_u32(pl + 16);
        if (out->samples == 0 || out->samples > ((uint64_t)1 << 40) ||
            out->batches != (out->samples + p->batch - 1) / p->batch ||
            (out->flags & ~(CN_ENC_LABELS | CN_ENC_BATCHCT)))
            rc = CRYPTONN_ERR_FORMAT;
    }
    free(file);
    if (rc == CRYPTONN_OK) snprintf(out->name, sizeof out->name, "%s", name);
    return rc;
}

static int cmp_part(const void *a, const void *b)
{
    return strcmp(((const part_info *)a)->name, ((const part_info *)b)->name);
}

/* The id a FEBO ciphertext of this mpk carries: there is no accessor, so
 * read it off a ciphertext of 0 (the BOCT layout is documented in febo.c). */
int cn_enc_labels_id(const cryptonn_febo_mpk *m, uint8_t id[16])
{
    cryptonn_febo_ct *ct;
    CN_TRY(cryptonn_febo_ct_create(&ct));
    uint8_t *e = NULL;
    size_t el = 0;
    int rc = cryptonn_febo_encrypt(m, ct, 0, 1);
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_ct_export(ct, &e, &el);
    if (rc == CRYPTONN_OK) memcpy(id, e + FEBO_ID_AT, 16);
    free(e);
    cryptonn_febo_ct_destroy(ct);
    return rc;
}

int cn_encdata_open(cn_encdata **out, const char *dir, uint32_t *skipped)
{
    CN_ARG_CHECK(out && dir);
    *out = NULL;
    if (skipped) *skipped = 0;
    cn_encdata *d = calloc(1, sizeof *d);
    if (!d) return CRYPTONN_ERR_NOMEM;
    d->dir = strdup(dir);
    int rc = d->dir ? cn_encdata_read_params(dir, &d->p, &d->k) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) {
        cryptonn_feip_mpk_id(d->k.samples, d->samples_id);
        if (d->k.batch) cryptonn_feip_mpk_id(d->k.batch, d->batch_id);
        rc = cn_enc_labels_id(d->k.labels, d->labels_id);
    }
    DIR *dh = NULL;
    if (rc == CRYPTONN_OK && !(dh = opendir(dir))) rc = CRYPTONN_ERR_IO;
    size_t cap = 0;
    struct dirent *e;
    while (rc == CRYPTONN_OK && (e = readdir(dh))) {
        if (strncmp(e->d_name, "part-", 5) != 0 || !cn_part_name_ok(e->d_name + 5)) continue;
        if (d->nparts == cap) {
            cap = cap ? 2 * cap : 8;
            part_info *q = realloc(d->parts, cap * sizeof *q);
            if (!q) {
                rc = CRYPTONN_ERR_NOMEM;
                break;
            }
            d->parts = q;
        }
        int r = read_index(dir, e->d_name + 5, &d->p, &d->parts[d->nparts]);
        if (r == CRYPTONN_ERR_NOT_FOUND) {
            /* an interrupted upload or encryption: not part of the dataset */
            if (skipped) (*skipped)++;
        } else if (r != CRYPTONN_OK) rc = r;
        else d->nparts++;
    }
    if (dh) closedir(dh);
    if (rc == CRYPTONN_OK && d->nparts == 0) rc = CRYPTONN_ERR_NOT_FOUND;
    if (rc == CRYPTONN_OK) {
        qsort(d->parts, d->nparts, sizeof *d->parts, cmp_part);
        d->flags = CN_ENC_LABELS | CN_ENC_BATCHCT;
        for (size_t i = 0; i < d->nparts; i++) {
            d->parts[i].first = d->batches;
            d->batches += d->parts[i].batches;
            d->samples += d->parts[i].samples;
            d->flags &= d->parts[i].flags;
        }
    }
    if (rc != CRYPTONN_OK) {
        cn_encdata_close(d);
        return rc;
    }
    *out = d;
    return CRYPTONN_OK;
}

void cn_encdata_close(cn_encdata *d)
{
    if (!d) return;
    cn_enc_mpks_free(&d->k);
    free(d->parts);
    free(d->dir);
    free(d);
}

const cn_enc_params *cn_encdata_params(const cn_encdata *d) { return &d->p; }
const cn_enc_mpks *cn_encdata_mpks(const cn_encdata *d) { return &d->k; }
uint64_t cn_encdata_samples(const cn_encdata *d) { return d->samples; }
uint64_t cn_encdata_batches(const cn_encdata *d) { return d->batches; }
uint32_t cn_encdata_flags(const cn_encdata *d) { return d->flags; }

/* Checks the id inside FEIP container bytes (IPCT/IPCB) before decoding them. */
static int feip_id_is(const uint8_t *bytes, size_t len, const uint8_t id[16])
{
    return len >= IPCT_HEAD + 16 && memcmp(bytes + IPCT_HEAD, id, 16) == 0;
}

static int read_len_view(cn_reader *r, const uint8_t **v, uint64_t *len, size_t max)
{
    CN_TRY(cn_read_u64(r, len));
    if (*len > max) return CRYPTONN_ERR_FORMAT;
    if (*len > r->left) return CRYPTONN_ERR_TRUNCATED;
    return cn_read_view(r, v, (size_t)*len);
}

/* What a reader decodes: share `part` of `parts` of the samples (none when
 * samples is 0; split with `lead`, secure/dist.h) and of the batch
 * ciphertext's slots (encdata.h). */
typedef struct {
    int samples;
    uint32_t part, parts, lead;
} batch_share;

static int parse_batch(const cn_encdata *d, const part_info *pi, uint64_t local, const uint8_t *pl,
                       size_t plen, const batch_share *sh, cn_enc_batch *out)
{
    const cn_enc_params *p = &d->p;
    cn_reader r = {pl, plen};
    uint32_t n, flags;
    CN_TRY(cn_read_u32(&r, &n));
    CN_TRY(cn_read_u32(&r, &flags));
    uint64_t want_n = local + 1 < pi->batches ? p->batch : pi->samples - local * p->batch;
    if (n != want_n || flags != pi->flags) return CRYPTONN_ERR_FORMAT;
    const uint8_t *v;
    uint64_t vl;
    const size_t one = ipct_bytes(p->slots);
    /* n is at most B here: the views are bounded before any allocation */
    const uint8_t **views = calloc(n, sizeof *views);
    out->x = calloc(n, sizeof *out->x);
    out->n = n;
    if (!views || !out->x) {
        free(views);
        return CRYPTONN_ERR_NOMEM;
    }
    int rc = CRYPTONN_OK;
    for (uint32_t i = 0; i < n && rc == CRYPTONN_OK; i++) {
        rc = read_len_view(&r, &views[i], &vl, one);
        if (rc == CRYPTONN_OK && (vl != one || !feip_id_is(views[i], one, d->samples_id)))
            rc = CRYPTONN_ERR_MISMATCH;
    }
    uint64_t lo = 0, hi = 0;
    if (sh->samples) cn_dist_range(n, sh->lead, (int)sh->part, (int)sh->parts, &lo, &hi);
    /* decoding (an inverse square root per point) is the cost: both cores */
    if (rc == CRYPTONN_OK) {
#pragma omp parallel for schedule(dynamic, 1)
        for (uint32_t i = (uint32_t)lo; i < (uint32_t)hi; i++) {
            int s = cryptonn_feip_ct_import(&out->x[i], views[i], one);
            if (s != CRYPTONN_OK) {
#pragma omp critical
                rc = s;
            }
        }
    }
    free(views);
    if (rc != CRYPTONN_OK) return rc;
    if (flags & CN_ENC_LABELS) {
        size_t m = (size_t)n * p->classes;
        out->y = calloc(m, sizeof *out->y);
        if (!out->y) return CRYPTONN_ERR_NOMEM;
        out->classes = p->classes;
        for (size_t i = 0; i < m; i++) {
            CN_TRY(read_len_view(&r, &v, &vl, BOCT_BYTES));
            if (vl != BOCT_BYTES || memcmp(v + FEBO_ID_AT, d->labels_id, 16) != 0)
                return CRYPTONN_ERR_MISMATCH;
            CN_TRY(cryptonn_febo_ct_import(&out->y[i], v, (size_t)vl));
        }
    }
    if (flags & CN_ENC_BATCHCT) {
        const uint64_t W = (uint64_t)p->batch * p->slots;
        const size_t wide = ipct_bytes((size_t)W);
        CN_TRY(read_len_view(&r, &v, &vl, wide));
        if (vl != wide || !feip_id_is(v, (size_t)vl, d->batch_id)) return CRYPTONN_ERR_MISMATCH;
        out->xb_off = (size_t)(W * sh->part / sh->parts);
        CN_TRY(cn_feip_ct_import_slice(&out->xb, v, (size_t)vl, out->xb_off,
                                       (size_t)(W * (sh->part + 1) / sh->parts)));
    }
    return r.left == 0 ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
}

/* The part global batch i < d->batches lies in, and its index there. */
static const part_info *locate(const cn_encdata *d, uint64_t i, uint64_t *local)
{
    size_t lo = 0, hi = d->nparts; /* last part with first <= i */
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (d->parts[mid].first <= i) lo = mid;
        else hi = mid;
    }
    *local = i - d->parts[lo].first;
    return &d->parts[lo];
}

int cn_encdata_batch_source(const cn_encdata *d, uint64_t i, const char **part, uint64_t *local)
{
    CN_ARG_CHECK(d && part && local);
    if (i >= d->batches) return CRYPTONN_ERR_NOT_FOUND;
    *part = locate(d, i, local)->name;
    return CRYPTONN_OK;
}

static int read_batch(const cn_encdata *d, uint64_t i, const batch_share *sh, cn_enc_batch *out)
{
    CN_ARG_CHECK(d && out);
    memset(out, 0, sizeof *out);
    if (i >= d->batches || sh->part >= sh->parts ||
        ((d->flags & CN_ENC_BATCHCT) && sh->parts > (uint64_t)d->p.batch * d->p.slots))
        return CRYPTONN_ERR_ARG;
    uint64_t local;
    const part_info *pi = locate(d, i, &local);
    char path[4096];
    CN_TRY(batch_path(path, sizeof path, d->dir, pi->name, local));
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_read(path, "EBAT", V1, batch_payload_max(&d->p), &file, &pl, &plen));
    int rc = parse_batch(d, pi, local, pl, plen, sh, out);
    free(file);
    if (rc != CRYPTONN_OK) cn_enc_batch_free(out);
    return rc;
}

int cn_encdata_read_batch(const cn_encdata *d, uint64_t i, cn_enc_batch *out)
{
    return cn_encdata_read_batch_part(d, i, 0, 1, 0, out);
}

int cn_encdata_read_batch_part(const cn_encdata *d, uint64_t i, uint32_t part, uint32_t parts,
                               uint32_t lead, cn_enc_batch *out)
{
    const batch_share sh = {1, part, parts, lead};
    return read_batch(d, i, &sh, out);
}

int cn_encdata_read_batch_labels(const cn_encdata *d, uint64_t i, cn_enc_batch *out)
{
    const batch_share sh = {0, 0, 1, 0};
    return read_batch(d, i, &sh, out);
}
