/* The committed first layer (firstlayer.h). */
#include "secure/firstlayer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/util.h"

#define MAX_OUTPUTS ((uint64_t)1 << 20)
#define MAX_SIDE 4096u

static uint32_t out_side(uint32_t in, uint32_t k, uint32_t s, uint32_t p)
{
    uint64_t span = (uint64_t)in + 2 * (uint64_t)p;
    return span < k || s == 0 ? 0 : (uint32_t)((span - k) / s + 1);
}

uint32_t cn_fl_out_h(const cn_fl_spec *s)
{
    return s->conv ? out_side(s->in_h, s->k, s->stride, s->pad) : 1;
}
uint32_t cn_fl_out_w(const cn_fl_spec *s)
{
    return s->conv ? out_side(s->in_w, s->k, s->stride, s->pad) : 1;
}
uint64_t cn_fl_outputs(const cn_fl_spec *s)
{
    return (uint64_t)s->out * cn_fl_out_h(s) * cn_fl_out_w(s);
}
uint64_t cn_fl_fan_in(const cn_fl_spec *s)
{
    return s->conv ? (uint64_t)s->in_c * s->k * s->k : (uint64_t)s->in_c * s->in_h * s->in_w;
}
uint64_t cn_fl_weights(const cn_fl_spec *s)
{
    return (uint64_t)s->out * cn_fl_fan_in(s);
}

int cn_fl_spec_ok(const cn_fl_spec *s)
{
    if (s->conv > 1 || s->out < 1 || s->out > 4096) return 0;
    if (s->in_c < 1 || s->in_c > 64 || s->in_h < 1 || s->in_h > MAX_SIDE || s->in_w < 1 ||
        s->in_w > MAX_SIDE)
        return 0;
    if (!s->conv) {
        if (s->k || s->stride != 1 || s->pad) return 0;
    } else if (s->k < 1 || s->k > 32 || s->stride < 1 || s->stride > 32 || s->pad >= s->k) {
        return 0; /* padding of k or more would add outputs that see only zeros */
    }
    uint64_t n = cn_fl_outputs(s);
    return n >= 1 && n <= MAX_OUTPUTS && cn_fl_weights(s) <= ((uint64_t)1 << 26);
}

/* A decimal field of at most 4 digits; advances *p past it. */
static int number(const char **p, uint32_t *v)
{
    uint32_t x = 0;
    int digits = 0;
    while (**p >= '0' && **p <= '9' && digits < 5) {
        x = x * 10 + (uint32_t)(**p - '0');
        (*p)++;
        digits++;
    }
    if (digits == 0 || digits > 4) return 0;
    *v = x;
    return 1;
}

int cn_fl_spec_parse(const char *text, uint32_t in_c, uint32_t in_h, uint32_t in_w,
                     cn_fl_spec *out, char *msg, size_t msg_len)
{
    cn_fl_spec s = {.stride = 1, .in_c = in_c, .in_h = in_h, .in_w = in_w};
    const char *p = text ? text : "";
    int ok = 0;
    if (!strncmp(p, "dense:", 6)) {
        p += 6;
        ok = number(&p, &s.out) && *p == 0;
    } else if (!strncmp(p, "conv:", 5)) {
        p += 5;
        s.conv = 1;
        ok = number(&p, &s.out) && *p++ == 'x' && number(&p, &s.k);
        if (ok && *p == 's') {
            p++;
            ok = number(&p, &s.stride);
        }
        if (ok && *p == 'p') {
            p++;
            ok = number(&p, &s.pad);
        }
        ok = ok && *p == 0;
    }
    if (!ok) {
        if (msg)
            snprintf(msg, msg_len,
                     "first layer '%s': expected dense:K or conv:FxK[sS][pP] "
                     "(e.g. dense:64, conv:6x5, conv:2x5s2)",
                     text ? text : "");
        return CRYPTONN_ERR_ARG;
    }
    if (!cn_fl_spec_ok(&s)) {
        if (msg)
            snprintf(msg, msg_len,
                     "first layer '%s' does not fit a %u×%u×%u input (width 1..4096, kernel "
                     "1..32, stride 1..32, padding below the kernel, at most 2^20 outputs)",
                     text, in_c, in_h, in_w);
        return CRYPTONN_ERR_ARG;
    }
    *out = s;
    return CRYPTONN_OK;
}

void cn_fl_spec_format(const cn_fl_spec *s, char *buf, size_t len)
{
    if (!s->conv) snprintf(buf, len, "dense:%u", s->out);
    else if (s->pad) snprintf(buf, len, "conv:%ux%us%up%u", s->out, s->k, s->stride, s->pad);
    else if (s->stride != 1) snprintf(buf, len, "conv:%ux%us%u", s->out, s->k, s->stride);
    else snprintf(buf, len, "conv:%ux%u", s->out, s->k);
}

int32_t cn_fl_scale_exp(const cn_fl_spec *s, unsigned bits)
{
    /* w_max · 2^-e ≈ 1/√fan_in */
    double wmax = (double)(((uint32_t)1 << (bits - 1)) - 1);
    return (int32_t)lround(log2(wmax * sqrt((double)cn_fl_fan_in(s))));
}

/* Seeded uniform draws: 16-bit values from ChaCha20 blocks keyed by a hash
 * of the seed and the block number, rejection-sampled into the range. */
typedef struct {
    uint8_t seed[32];
    uint64_t block;
    uint16_t buf[2048];
    size_t pos;
} seeded;

static uint32_t seeded_below(seeded *g, uint32_t range)
{
    uint32_t lim = 65536u - 65536u % range;
    for (;;) {
        if (g->pos == sizeof g->buf / sizeof g->buf[0]) {
            uint8_t key[randombytes_SEEDBYTES], ctr[8];
            cn_store_u64(ctr, g->block++);
            crypto_generichash(key, sizeof key, ctr, sizeof ctr, g->seed, sizeof g->seed);
            uint8_t raw[sizeof g->buf];
            randombytes_buf_deterministic(raw, sizeof raw, key);
            for (size_t i = 0; i < sizeof g->buf / sizeof g->buf[0]; i++)
                g->buf[i] = (uint16_t)(raw[2 * i] | raw[2 * i + 1] << 8);
            g->pos = 0;
        }
        uint32_t v = g->buf[g->pos++];
        if (v < lim) return v % range;
    }
}

int cn_fl_draw(const cn_fl_spec *s, unsigned bits, const uint8_t *seed32, int32_t *w)
{
    CN_ARG_CHECK(s && w && bits >= 2 && bits <= 16 && cn_fl_spec_ok(s));
    int32_t m = (int32_t)((1u << (bits - 1)) - 1);
    uint32_t range = 2 * (uint32_t)m + 1;
    uint64_t n = cn_fl_weights(s);
    if (seed32) {
        seeded *g = calloc(1, sizeof *g);
        if (!g) return CRYPTONN_ERR_NOMEM;
        memcpy(g->seed, seed32, 32);
        g->pos = sizeof g->buf / sizeof g->buf[0];
        for (uint64_t i = 0; i < n; i++) w[i] = (int32_t)seeded_below(g, range) - m;
        free(g);
    } else {
        for (uint64_t i = 0; i < n; i++) w[i] = (int32_t)randombytes_uniform(range) - m;
    }
    return CRYPTONN_OK;
}

/* Calls f(ctx, output, slot, weight) for every non-zero tap, outputs in
 * order and slots increasing within an output. */
#define FOR_EACH_TAP(s, w, BODY)                                                                  \
    do {                                                                                          \
        const uint32_t oh_ = cn_fl_out_h(s), ow_ = cn_fl_out_w(s);                                \
        const uint64_t hw_ = (uint64_t)(s)->in_h * (s)->in_w;                                     \
        uint64_t out_ = 0;                                                                        \
        if (!(s)->conv) {                                                                         \
            const uint64_t fan_ = cn_fl_fan_in(s);                                                \
            for (uint32_t o_ = 0; o_ < (s)->out; o_++, out_++)                                    \
                for (uint64_t x_ = 0; x_ < fan_; x_++) {                                          \
                    int32_t wv_ = (w)[o_ * fan_ + x_];                                            \
                    uint32_t slot_ = (uint32_t)x_;                                                \
                    if (wv_) { BODY; }                                                            \
                }                                                                                 \
        } else {                                                                                  \
            for (uint32_t o_ = 0; o_ < (s)->out; o_++)                                            \
                for (uint32_t i_ = 0; i_ < oh_; i_++)                                             \
                    for (uint32_t j_ = 0; j_ < ow_; j_++, out_++)                                 \
                        for (uint32_t c_ = 0; c_ < (s)->in_c; c_++)                               \
                            for (uint32_t u_ = 0; u_ < (s)->k; u_++) {                            \
                                int64_t r_ = (int64_t)i_ * (s)->stride + u_ - (s)->pad;           \
                                if (r_ < 0 || r_ >= (int64_t)(s)->in_h) continue;                 \
                                for (uint32_t v_ = 0; v_ < (s)->k; v_++) {                        \
                                    int64_t q_ = (int64_t)j_ * (s)->stride + v_ - (s)->pad;       \
                                    if (q_ < 0 || q_ >= (int64_t)(s)->in_w) continue;             \
                                    int32_t wv_ =                                                 \
                                        (w)[(((uint64_t)o_ * (s)->in_c + c_) * (s)->k + u_) *     \
                                                (s)->k + v_];                                     \
                                    uint32_t slot_ =                                              \
                                        (uint32_t)(c_ * hw_ + (uint64_t)r_ * (s)->in_w + q_);     \
                                    if (wv_) { BODY; }                                            \
                                }                                                                 \
                            }                                                                     \
        }                                                                                         \
    } while (0)

int cn_fl_keys(const cn_fl_spec *s, const int32_t *w, cn_feip_keyreq *r)
{
    CN_ARG_CHECK(s && w && r && cn_fl_spec_ok(s));
    uint64_t nkeys = cn_fl_outputs(s), nnz = 0;
    FOR_EACH_TAP(s, w, { (void)slot_; (void)out_; nnz++; });
    CN_TRY(cn_keyreq_feip_alloc(r, nkeys, nnz));
    r->mpk = CN_MPK_SAMPLES;
    r->nkeys = (uint32_t)nkeys;
    r->nnz = nnz;
    uint64_t j = 0;
    r->rowptr[0] = 0;
    uint64_t last = 0;
    FOR_EACH_TAP(s, w, {
        while (last < out_) r->rowptr[++last] = j;
        r->idx[j] = slot_;
        r->val[j++] = wv_;
    });
    while (last < nkeys) r->rowptr[++last] = j;
    return CRYPTONN_OK;
}

void cn_fl_apply(const cn_fl_spec *s, const int32_t *w, const int64_t *x, int64_t *out)
{
    memset(out, 0, sizeof *out * cn_fl_outputs(s));
    FOR_EACH_TAP(s, w, { out[out_] += (int64_t)wv_ * x[slot_]; });
}

int cn_fl_layer_draw(cn_fl_layer *l, const cn_fl_spec *s, unsigned bits, const uint64_t *seed)
{
    memset(l, 0, sizeof *l);
    l->spec = *s;
    l->bits = bits;
    l->scale_exp = cn_fl_scale_exp(s, bits);
    l->w = cn_malloc_array((size_t)cn_fl_weights(s), sizeof *l->w);
    if (!l->w) return CRYPTONN_ERR_NOMEM;
    uint8_t s32[32];
    if (seed) {
        uint8_t in[8];
        cn_store_u64(in, *seed);
        crypto_generichash(s32, sizeof s32, in, sizeof in, (const uint8_t *)"cryptonn layer", 14);
    }
    int rc = cn_fl_draw(s, bits, seed ? s32 : NULL, l->w);
    if (rc != CRYPTONN_OK) cn_fl_layer_free(l);
    return rc;
}

/* ---- serialization and commitment ---- */

#define HEAD_BYTES (10 * 4 + 8)

int cn_fl_layer_encode(const cn_fl_layer *l, uint8_t **buf, size_t *len)
{
    uint64_t nw = cn_fl_weights(&l->spec);
    size_t n = HEAD_BYTES + 4 * (size_t)nw;
    uint8_t *b = malloc(n);
    if (!b) return CRYPTONN_ERR_NOMEM;
    const uint32_t f[10] = {l->spec.conv, l->spec.out,  l->spec.k,    l->spec.stride,
                            l->spec.pad,  l->spec.in_c, l->spec.in_h, l->spec.in_w,
                            l->bits,      (uint32_t)l->scale_exp};
    for (int i = 0; i < 10; i++) cn_store_u32(b + 4 * i, f[i]);
    cn_store_u64(b + 40, nw);
    for (uint64_t i = 0; i < nw; i++) cn_store_u32(b + HEAD_BYTES + 4 * i, (uint32_t)l->w[i]);
    *buf = b;
    *len = n;
    return CRYPTONN_OK;
}

static void hash_bytes(const uint8_t *b, size_t n, uint8_t out[32])
{
    crypto_generichash(out, 32, b, n, NULL, 0);
}

void cn_fl_layer_commit(cn_fl_layer *l)
{
    uint8_t *b;
    size_t n;
    if (cn_fl_layer_encode(l, &b, &n) != CRYPTONN_OK) {
        memset(l->commit, 0, 32);
        return;
    }
    hash_bytes(b, n, l->commit);
    free(b);
}

int cn_fl_layer_decode(cn_fl_layer *l, const uint8_t *buf, size_t len)
{
    memset(l, 0, sizeof *l);
    if (len < HEAD_BYTES) return CRYPTONN_ERR_TRUNCATED;
    uint32_t f[10];
    for (int i = 0; i < 10; i++) f[i] = cn_load_u32(buf + 4 * i);
    cn_fl_spec s = {f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7]};
    if (!cn_fl_spec_ok(&s) || f[8] < 2 || f[8] > 16) return CRYPTONN_ERR_FORMAT;
    uint64_t nw = cn_load_u64(buf + 40);
    if (nw != cn_fl_weights(&s)) return CRYPTONN_ERR_FORMAT;
    if ((len - HEAD_BYTES) / 4 < nw) return CRYPTONN_ERR_TRUNCATED;
    if (len != HEAD_BYTES + 4 * nw) return CRYPTONN_ERR_FORMAT;
    int32_t *w = cn_malloc_array((size_t)nw, sizeof *w);
    if (!w) return CRYPTONN_ERR_NOMEM;
    int32_t m = (int32_t)((1u << (f[8] - 1)) - 1);
    for (uint64_t i = 0; i < nw; i++) {
        w[i] = (int32_t)cn_load_u32(buf + HEAD_BYTES + 4 * i);
        if (w[i] < -m || w[i] > m) {
            free(w);
            return CRYPTONN_ERR_FORMAT;
        }
    }
    int32_t e = (int32_t)f[9];
    if (e < -64 || e > 64) {
        free(w);
        return CRYPTONN_ERR_FORMAT;
    }
    l->spec = s;
    l->bits = f[8];
    l->scale_exp = e;
    l->w = w;
    hash_bytes(buf, len, l->commit);
    return CRYPTONN_OK;
}

void cn_fl_layer_free(cn_fl_layer *l)
{
    if (!l) return;
    free(l->w);
    memset(l, 0, sizeof *l);
}

void cn_fl_layer_commit_hex(const cn_fl_layer *l, char out[17])
{
    sodium_bin2hex(out, 17, l->commit, 8);
}

int cn_fl_fit_model(const cn_fl_layer *l, cryptonn_model_config *cfg, char *msg, size_t msg_len)
{
    const cn_fl_spec *c = &l->spec;
    char spec[64];
    cn_fl_spec_format(c, spec, sizeof spec);
    int lenet = c->conv && c->k == 5 && c->stride == 1 && c->pad == 0 && c->in_c == 1 &&
                c->in_h == 28 && c->in_w == 28;
    if (cfg->arch == CRYPTONN_ARCH_MLP && !c->conv) {
        cfg->in_dim = c->in_c * c->in_h * c->in_w;
        cfg->hidden = c->out;
    } else if (cfg->arch == CRYPTONN_ARCH_LENET5 && lenet) {
        cfg->conv1_filters = c->out;
    } else if (cfg->arch == CRYPTONN_ARCH_LAYERS && cfg->nlayers) {
        const cryptonn_layer_spec *f = &cfg->layers[0];
        int same = cfg->in_c == c->in_c && cfg->in_h == c->in_h && cfg->in_w == c->in_w &&
                   f->units == c->out &&
                   (c->conv ? f->kind == CRYPTONN_LAYER_CONV2D && f->kernel == c->k &&
                                  f->stride == c->stride && f->pad == c->pad
                            : f->kind == CRYPTONN_LAYER_DENSE);
        if (!same) {
            snprintf(msg, msg_len, "the model's first layer is not the authority's committed %s: "
                     "make it that layer (the rest is yours)", spec);
            return CRYPTONN_ERR_MISMATCH;
        }
    } else {
        uint32_t classes = cfg->classes, hidden = cfg->hidden ? cfg->hidden : 128;
        cfg->arch = CRYPTONN_ARCH_LAYERS;
        cfg->in_c = c->in_c;
        cfg->in_h = c->in_h;
        cfg->in_w = c->in_w;
        cfg->nlayers = 5;
        cfg->layers[0] = c->conv ? (cryptonn_layer_spec){CRYPTONN_LAYER_CONV2D, c->out, c->k,
                                                          c->stride, c->pad, 0}
                                 : (cryptonn_layer_spec){CRYPTONN_LAYER_DENSE, c->out, 0, 0, 0, 0};
        cfg->layers[1] = (cryptonn_layer_spec){.kind = CRYPTONN_LAYER_RELU};
        cfg->layers[2] = (cryptonn_layer_spec){.kind = CRYPTONN_LAYER_DENSE, .units = hidden};
        cfg->layers[3] = (cryptonn_layer_spec){.kind = CRYPTONN_LAYER_RELU};
        cfg->layers[4] = (cryptonn_layer_spec){.kind = CRYPTONN_LAYER_DENSE, .units = classes};
    }
    cfg->frozen_first_layer = 1;
    char why[200] = "";
    if (cryptonn_model_config_check(cfg, why, sizeof why) != CRYPTONN_OK) {
        snprintf(msg, msg_len, "no model fits the committed first layer %s: %s", spec, why);
        return CRYPTONN_ERR_MISMATCH;
    }
    return CRYPTONN_OK;
}
