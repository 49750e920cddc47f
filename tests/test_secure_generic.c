/* CryptoNN with models from layer lists, in process: authority, client and
 * server (paper mode), checked bit for bit against a plaintext computation
 * of the same quantized steps, as tests/test_secure_train.c does for the
 * built-in LeNet-5. On a small synthetic 28×28 MNIST-like set:
 *   - a frozen conv2d first layer with stride 2 and padding 2 (its keys
 *     come from the definition in nn.h, zeros outside the image), then
 *     tanh, average pooling and dense layers;
 *   - a trained dense first layer (keys for every update, and the gradient
 *     through the batch ciphertext), then ReLU and two dense layers.
 * On generic records (params.bin version 3: 2×6×6 signed values on a 2^-8
 * grid, x_den 256, the way a data spec's records are encrypted):
 *   - regression (one target per record through FEBO "−" on the target's
 *     grid, linear output, MSE): a trained conv2d first layer (stride 1 and
 *     no padding; and padding 1), ReLU, max pooling, flatten, dropout,
 *     dense; and a trained dense first layer, sigmoid, dense;
 *   - classification of 3 classes: a trained dense first layer, tanh,
 *     dropout, dense.
 * Every layer type thus runs under secure training. A step the server
 * cannot take (a key the policy refuses) leaves the model untouched. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/authority.h"
#include "protocol/client.h"
#include "secure/encdata.h"
#include "secure/train.h"
#include "testutil.h"

#define N 20 /* samples: batches of 8, 8, 4 */
#define B 8
#define W 784
#define GC 2 /* generic records: GC × GH × GW values */
#define GH 6
#define GW 6
#define GX 256 /* their grid 2^-8 */

static void make_data(cryptonn_dataset *d)
{
    d->n = N, d->rows = d->cols = 28;
    d->x = calloc((size_t)N * W, sizeof(float));
    d->y = calloc(N, 1);
    for (uint32_t i = 0; i < N; i++) {
        d->y[i] = (uint8_t)(i % 10);
        for (int p = 0; p < W; p++) {
            int on = abs(p / 28 - 6 - 2 * d->y[i]) < 4 && abs(p % 28 - 14) < 6;
            int v = on ? 200 + (int)(t_rand64() % 56) : (int)(t_rand64() % 30);
            d->x[(size_t)i * W + p] = (float)v / 255.0f;
        }
    }
}

static int64_t pix(const cryptonn_first_layer *f, const int64_t *x, uint32_t c, long r, long q)
{
    if (r < 0 || q < 0 || r >= (long)f->in_h || q >= (long)f->in_w) return 0;
    return x[((size_t)c * f->in_h + (size_t)r) * f->in_w + (size_t)q];
}

/* Σ W·x for output (o, i, j) of sample x, in integers (nn.h's definition). */
static int64_t z1_int(const cryptonn_first_layer *f, const int64_t *wq, const int64_t *x,
                      uint32_t o, uint32_t i, uint32_t j)
{
    int64_t acc = 0;
    if (!f->is_conv) {
        for (uint32_t t = 0; t < f->in_c; t++) acc += wq[(size_t)o * f->in_c + t] * x[t];
        return acc;
    }
    for (uint32_t c = 0; c < f->in_c; c++)
        for (uint32_t u = 0; u < f->k; u++)
            for (uint32_t v = 0; v < f->k; v++)
                acc += wq[((o * f->in_c + c) * f->k + u) * f->k + v] *
                       pix(f, x, c, (long)(i * f->stride + u) - f->pad,
                           (long)(j * f->stride + v) - f->pad);
    return acc;
}

/* Σ_b Σ_(i,j) dZ_b(o, i, j) · x_b at the tap of weight (o, c, u, v) (or of
 * dense weight (o, c)), in integers: what the gradient keys decrypt. */
static int64_t grad_int(const cryptonn_first_layer *f, const int64_t *dzq, const int64_t *xi,
                        size_t slots, uint32_t n, uint32_t o, uint32_t c, uint32_t u, uint32_t v)
{
    int64_t acc = 0;
    for (uint32_t b = 0; b < n; b++) {
        const int64_t *x = xi + (size_t)b * slots, *dz = dzq + (size_t)b * f->z1_size;
        if (!f->is_conv) {
            acc += dz[o] * x[c];
            continue;
        }
        for (uint32_t i = 0; i < f->out_h; i++)
            for (uint32_t j = 0; j < f->out_w; j++)
                acc += dz[(o * f->out_h + i) * f->out_w + j] *
                       pix(f, x, c, (long)(i * f->stride + u) - f->pad,
                           (long)(j * f->stride + v) - f->pad);
    }
    return acc;
}

/* One secure step in plaintext (train.h steps 1-6). y: permuted classes,
 * or t: targets on their grid (regression). */
static void reference_step(cryptonn_model *m, const cn_secure_opts *o, const cn_enc_params *pp,
                           const int64_t *xi, const uint8_t *y, const float *t, uint32_t n)
{
    const size_t W_ = pp->slots;
    const double xden = (double)cn_enc_x_den(pp);
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    const uint32_t c = cryptonn_model_get_config(m)->classes;
    int64_t *wq = malloc(sizeof(int64_t) * fl.nw);
    int we = cn_quant_exponent(fl.w, fl.nw, o->w_bits);
    cn_quant(fl.w, fl.nw, we, wq);
    float *z1 = malloc(sizeof(float) * n * fl.z1_size);
    const double unw = ldexp(1.0, -we) / xden;
    for (uint32_t b = 0; b < n; b++)
        for (uint32_t f = 0; f < fl.out_c; f++)
            for (uint32_t i = 0; i < fl.out_h; i++)
                for (uint32_t j = 0; j < fl.out_w; j++)
                    z1[(size_t)b * fl.z1_size + (f * fl.out_h + i) * fl.out_w + j] =
                        (float)((double)z1_int(&fl, wq, xi + (size_t)b * W_, f, i, j) * unw);
    const float *p = cryptonn_model_forward_from_z1(m, z1, n);
    const int64_t S = (int64_t)cn_enc_y_den(pp), ym = (int64_t)cn_enc_y_max(pp);
    float *err = malloc(sizeof(float) * n * c);
    for (uint32_t b = 0; b < n; b++)
        for (uint32_t k = 0; k < c; k++) {
            int64_t pi = llround((double)p[b * c + k] * (double)S), dec;
            if (t) { /* the server's P stays within the targets' range */
                pi = pi < -ym ? -ym : pi > ym ? ym : pi;
                dec = llround((double)t[b] * (double)S) - pi;
            } else {
                dec = (y[b] == k ? S : 0) - pi;
            }
            err[b * c + k] = (float)((double)-dec / (double)S);
        }
    const float *dz = cryptonn_model_backward_from_error(m, err, n);
    if (!cryptonn_model_get_config(m)->frozen_first_layer) {
        size_t nz = (size_t)n * fl.z1_size;
        int64_t *dzq = malloc(sizeof(int64_t) * nz);
        int de = cn_quant_exponent(dz, nz, o->dz_bits);
        cn_quant(dz, nz, de, dzq);
        float *dw = malloc(sizeof(float) * fl.nw);
        const double und = ldexp(1.0, -de) / xden;
        const uint32_t k = fl.is_conv ? fl.k : 1;
        size_t w = 0;
        for (uint32_t f = 0; f < fl.out_c; f++)
            for (uint32_t ch = 0; ch < fl.in_c; ch++)
                for (uint32_t u = 0; u < k; u++)
                    for (uint32_t v = 0; v < k; v++)
                        dw[w++] = (float)((double)grad_int(&fl, dzq, xi, W_, n, f, ch, u, v) * und);
        cryptonn_model_set_first_layer_grad(m, dw, NULL);
        free(dzq);
        free(dw);
    }
    cryptonn_model_sgd_step(m, &o->sgd);
    free(wq);
    free(z1);
    free(err);
}

static void layers_cfg(cryptonn_model_config *c, const cryptonn_layer_spec *l, uint32_t n,
                       int frozen)
{
    cryptonn_model_config_default(c);
    c->arch = CRYPTONN_ARCH_LAYERS;
    c->in_c = 1, c->in_h = c->in_w = 28;
    c->nlayers = n;
    memcpy(c->layers, l, n * sizeof *l);
    c->classes = l[n - 1].units;
    c->frozen_first_layer = (uint32_t)frozen;
    c->seed = t_seed;
}

typedef struct {
    cn_encdata *ds;
    cn_keywire wire;
    const cn_enc_params *pp;
    const int64_t *xi;  /* N × slots: the integers encrypted */
    const uint8_t *yp;  /* N permuted classes, or NULL */
    const float *t;     /* N targets (regression), or NULL */
    const char *cache;
} rig;

/* Secure prediction of every record (outputs, dropout off) equals the
 * reference model's forward pass on the same quantized first layer. */
static void predict_equals_plain(rig *g, cn_server *srv, cryptonn_model *ms, cryptonn_model *mr,
                                 const cn_secure_opts *o)
{
    const uint32_t C = cryptonn_model_get_config(ms)->classes;
    const size_t slots = g->pp->slots;
    float *out = malloc(sizeof(float) * N * C);
    cn_secure_stats st = {0};
    char msg[256] = "";
    cryptonn_model_set_training(ms, 0);
    cryptonn_model_set_training(mr, 0);
    CHECK_EQ_INT(cn_server_predict_outputs(srv, ms, g->ds, NULL, out, &st, msg, sizeof msg),
                 CRYPTONN_OK);
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(mr, &fl);
    int64_t *wq = malloc(sizeof(int64_t) * fl.nw);
    int we = cn_quant_exponent(fl.w, fl.nw, o->w_bits);
    cn_quant(fl.w, fl.nw, we, wq);
    float *z1 = malloc(sizeof(float) * B * fl.z1_size);
    const double unw = ldexp(1.0, -we) / (double)cn_enc_x_den(g->pp);
    int same = 1;
    for (uint32_t first = 0; first < N; first += B) {
        uint32_t n = first + B <= N ? B : N - first;
        for (uint32_t b = 0; b < n; b++)
            for (uint32_t f = 0; f < fl.out_c; f++)
                for (uint32_t i = 0; i < fl.out_h; i++)
                    for (uint32_t j = 0; j < fl.out_w; j++)
                        z1[(size_t)b * fl.z1_size + (f * fl.out_h + i) * fl.out_w + j] =
                            (float)((double)z1_int(&fl, wq, g->xi + (size_t)(first + b) * slots,
                                                   f, i, j) * unw);
        const float *p = cryptonn_model_forward_from_z1(mr, z1, n);
        same &= memcmp(p, out + (size_t)first * C, sizeof(float) * n * C) == 0;
    }
    CHECK(same);
    cryptonn_model_set_training(ms, 1);
    cryptonn_model_set_training(mr, 1);
    free(out);
    free(wq);
    free(z1);
}

/* Two epochs of secure training against the reference, then secure
 * prediction of the first batch against the plaintext model. */
static void secure_equals_plain(rig *g, const cryptonn_model_config *cfg, uint64_t keys)
{
    cn_secure_opts o;
    cn_secure_opts_default(&o);
    o.sgd.lr = 0.05f;
    o.dlog_table_bits = 14;
    o.seed = t_seed;
    cn_server *srv = NULL;
    cryptonn_model *ms = NULL, *mr = NULL;
    cn_keysource ks = cn_keywire_source(&g->wire);
    CHECK_EQ_INT(cn_server_create(&srv, g->ds, &ks, &o, g->cache), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(cfg, B, 2, &ms), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(cfg, B, 2, &mr), CRYPTONN_OK);
    if (!srv || !ms || !mr) return;
    char msg[256] = "";
    const uint32_t epochs = (uint32_t)t_iters(2, 1);
    for (uint32_t epoch = 0; epoch < epochs; epoch++) {
        cn_secure_stats st = {0};
        int rc = cn_server_train_epoch(srv, ms, epoch, &st, msg, sizeof msg);
        CHECK_EQ_INT(rc, CRYPTONN_OK);
        if (rc != CRYPTONN_OK) fprintf(stderr, "train: %s\n", msg);
        CHECK_EQ_INT(st.samples, N);
        /* Keys as the layer needs them: a frozen layer's Z1 is kept after
         * the first epoch, a trained one asks again after every update. */
        CHECK(st.keys_fwd <= keys * st.batches);
        CHECK(epoch > 0 && cfg->frozen_first_layer ? st.keys_fwd == 0 : st.keys_fwd > 0);
        uint64_t order[3];
        cn_batch_order(o.seed, epoch, 3, order);
        for (int k = 0; k < 3; k++) {
            uint32_t first = (uint32_t)order[k] * B, n = first + B <= N ? B : N - first;
            reference_step(mr, &o, g->pp, g->xi + (size_t)first * g->pp->slots,
                           g->yp ? g->yp + first : NULL, g->t ? g->t + first : NULL, n);
        }
        size_t np = cryptonn_model_param_count(ms);
        CHECK(memcmp(cryptonn_model_params(ms), cryptonn_model_params(mr), np * sizeof(float)) == 0);
    }
    predict_equals_plain(g, srv, ms, mr, &o);
    cryptonn_model_destroy(ms);
    cryptonn_model_destroy(mr);
    cn_server_destroy(srv);
}

static int refuse_grad(void *ctx, const cn_grad_req *g, const cn_feip_keyreq *exp, uint8_t *sks,
                       char *msg, size_t msg_len)
{
    (void)ctx, (void)g, (void)exp, (void)sks;
    snprintf(msg, msg_len, "gradient refused by the test");
    return CRYPTONN_ERR_POLICY;
}

/* A step whose gradient keys are refused fails with the source's reason and
 * leaves the model as it was: no half-applied update. */
static void refused_step_untouched(rig *g, const cryptonn_model_config *cfg)
{
    cn_secure_opts o;
    cn_secure_opts_default(&o);
    o.dlog_table_bits = 14;
    cn_server *srv = NULL;
    cryptonn_model *m = NULL;
    cn_keysource ks = cn_keywire_source(&g->wire);
    ks.grad = refuse_grad;
    CHECK_EQ_INT(cn_server_create(&srv, g->ds, &ks, &o, g->cache), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(cfg, B, 2, &m), CRYPTONN_OK);
    if (!srv || !m) return;
    size_t np = cryptonn_model_param_count(m);
    float *before = malloc(np * sizeof(float));
    memcpy(before, cryptonn_model_params(m), np * sizeof(float));
    cn_secure_stats st = {0};
    char msg[256] = "";
    CHECK_EQ_INT(cn_server_train_epoch(srv, m, 0, &st, msg, sizeof msg), CRYPTONN_ERR_POLICY);
    CHECK(strstr(msg, "refused by the test") != NULL);
    CHECK(memcmp(before, cryptonn_model_params(m), np * sizeof(float)) == 0);
    free(before);
    cryptonn_model_destroy(m);
    cn_server_destroy(srv);
}

static cryptonn_layer_spec L(cryptonn_layer_kind k, uint32_t units, uint32_t kernel,
                             uint32_t stride, uint32_t pad)
{
    return (cryptonn_layer_spec){k, units, kernel, stride, pad, 0.0f};
}

/* Generic records: GC×GH×GW values X/GX with |X| <= 4·GX (signed), and a
 * target on the same grid (regression) or one of 3 classes. */
static void generic_params(cn_enc_params *p, int regress)
{
    memset(p, 0, sizeof *p);
    p->channels = GC, p->rows = GH, p->cols = GW, p->slots = GC * GH * GW;
    p->batch = B;
    p->x_den = GX, p->x_max = 4 * GX, p->pixel_bits = 11;
    p->task = regress ? CN_TASK_REGRESS : CN_TASK_CLASSIFY;
    if (regress) {
        p->classes = 1;
        p->y_den = GX, p->y_max = 3 * GX, p->label_scale_bits = 10;
    } else {
        p->classes = 3;
        p->label_scale_bits = 16;
        p->y_den = p->y_max = 1u << 16;
    }
}

typedef struct {
    cn_authority *auth;
    cn_enc_mpks mpks;
    cn_enc_params pp;
    cn_owner_secret own;
    int64_t *xi;
    float *x, *t;
    uint8_t *y, *yp;
} generic_set;

/* An authority for the params, and N records encrypted under them as two
 * owners' parts (8 + 8 + 4 samples: the second part's last batch partial). */
static int generic_rig(generic_set *gs, rig *g, int regress, const char *name)
{
    memset(gs, 0, sizeof *gs);
    char state[512], enc[512], path[600];
    snprintf(state, sizeof state, "%s/auth-%s", t_tmpdir(), name);
    snprintf(enc, sizeof enc, "%s/enc-%s", t_tmpdir(), name);
    cn_enc_params p;
    generic_params(&p, regress);
    CHECK_EQ_INT(cn_authority_setup(state, &p, NULL), CRYPTONN_OK);
    cn_policy pol;
    cn_policy_default(&pol);
    pol.min_support = 1;
    CHECK_EQ_INT(cn_authority_open(&gs->auth, state, &pol), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_read_params(state, &gs->pp, &gs->mpks), CRYPTONN_OK);
    CHECK(cn_enc_params_same_records(&gs->pp, &p));
    snprintf(path, sizeof path, "%s/owner.key", state);
    CHECK_EQ_INT(cn_owner_secret_load(&gs->own, path), CRYPTONN_OK);
    if (!gs->auth) return 0;
    const size_t S = p.slots;
    gs->xi = malloc(sizeof(int64_t) * N * S);
    gs->x = malloc(sizeof(float) * N * S);
    gs->t = malloc(sizeof(float) * N);
    gs->y = malloc(N);
    gs->yp = malloc(N);
    for (uint32_t i = 0; i < N; i++) {
        int64_t sum = 0;
        for (size_t k = 0; k < S; k++) {
            int64_t v = (int64_t)(t_rand64() % (8 * GX + 1)) - 4 * GX;
            gs->xi[i * S + k] = v;
            gs->x[i * S + k] = (float)v / GX;
            sum += k < 8 ? v : 0;
        }
        gs->y[i] = (uint8_t)(i % 3);
        gs->yp[i] = gs->own.perm[gs->y[i]];
        int64_t ti = sum / 16; /* within ±2·GX < y_max */
        gs->t[i] = (float)ti / GX;
    }
    cryptonn_samples all = {.n = N, .size = S, .outputs = regress ? 1 : 0, .x = gs->x,
                            .y = regress ? NULL : gs->y, .t = regress ? gs->t : NULL};
    cn_encrypt_opts eo = {.part = "a", .threads = 2, .labels = 1, .batch_ct = 1};
    cn_encrypt_stats es;
    cryptonn_samples part = all;
    part.n = 8;
    CHECK_EQ_INT(cn_client_encrypt_samples(enc, &gs->pp, &gs->mpks, &gs->own, &part, &eo, &es),
                 CRYPTONN_OK);
    part.n = N - 8;
    part.x = all.x + 8 * S;
    if (part.y) part.y += 8;
    if (part.t) part.t += 8;
    eo.part = "b";
    CHECK_EQ_INT(cn_client_encrypt_samples(enc, &gs->pp, &gs->mpks, &gs->own, &part, &eo, &es),
                 CRYPTONN_OK);
    /* a record of another width, and missing targets, are refused */
    part.size = S - 1;
    eo.part = "c";
    CHECK_EQ_INT(cn_client_encrypt_samples(enc, &gs->pp, &gs->mpks, &gs->own, &part, &eo, &es),
                 CRYPTONN_ERR_ARG);
    part.size = S;
    part.t = NULL, part.y = NULL;
    CHECK_EQ_INT(cn_client_encrypt_samples(enc, &gs->pp, &gs->mpks, &gs->own, &part, &eo, &es),
                 CRYPTONN_ERR_ARG);
    cn_encdata *ds = NULL;
    uint32_t skipped = 0;
    CHECK_EQ_INT(cn_encdata_open(&ds, enc, &skipped), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_samples(ds), N);
    *g = (rig){ds, cn_authority_keywire(gs->auth), &gs->pp, gs->xi,
               regress ? NULL : gs->yp, regress ? gs->t : NULL, t_tmpdir()};
    return ds != NULL;
}

static void generic_free(generic_set *gs, rig *g)
{
    cn_encdata_close(g->ds);
    cn_authority_close(gs->auth);
    cn_enc_mpks_free(&gs->mpks);
    free(gs->xi);
    free(gs->x);
    free(gs->t);
    free(gs->y);
    free(gs->yp);
}

static void generic_cfg(cryptonn_model_config *c, const cryptonn_layer_spec *l, uint32_t n,
                        int regress)
{
    layers_cfg(c, l, n, 0);
    c->in_c = GC, c->in_h = GH, c->in_w = GW;
    if (regress) c->output = CRYPTONN_OUTPUT_LINEAR, c->loss = CRYPTONN_LOSS_MSE;
}

/* The generic records: regression with a trained conv and a trained dense
 * first layer, classification with a dense one; every layer type. */
static void generic_cases(void)
{
    generic_set gs;
    rig g;
    cryptonn_model_config c;
    if (generic_rig(&gs, &g, 1, "regress")) {
        cryptonn_layer_spec conv[] = {
            L(CRYPTONN_LAYER_CONV2D, 3, 3, 1, 0), L(CRYPTONN_LAYER_RELU, 0, 0, 0, 0),
            L(CRYPTONN_LAYER_MAXPOOL, 0, 2, 2, 0), L(CRYPTONN_LAYER_FLATTEN, 0, 0, 0, 0),
            L(CRYPTONN_LAYER_DROPOUT, 0, 0, 0, 0), L(CRYPTONN_LAYER_DENSE, 1, 0, 0, 0)};
        conv[4].rate = 0.25f;
        generic_cfg(&c, conv, sizeof conv / sizeof conv[0], 1);
        secure_equals_plain(&g, &c, 3 * (GH - 2) * (GW - 2));
        /* padding 1: the border taps of every gradient key fall outside */
        conv[0].pad = 1;
        generic_cfg(&c, conv, sizeof conv / sizeof conv[0], 1);
        char why[256] = "";
        CHECK_EQ_INT(cn_enc_fit_model(g.pp, &c, why, sizeof why), CRYPTONN_OK);
        secure_equals_plain(&g, &c, 3 * GH * GW);
        const cryptonn_layer_spec mlp[] = {L(CRYPTONN_LAYER_DENSE, 6, 0, 0, 0),
                                           L(CRYPTONN_LAYER_SIGMOID, 0, 0, 0, 0),
                                           L(CRYPTONN_LAYER_DENSE, 1, 0, 0, 0)};
        generic_cfg(&c, mlp, sizeof mlp / sizeof mlp[0], 1);
        secure_equals_plain(&g, &c, 6);
        /* a softmax model does not fit a regression target */
        cryptonn_layer_spec cls[] = {L(CRYPTONN_LAYER_DENSE, 2, 0, 0, 0)};
        generic_cfg(&c, cls, 1, 0);
        char msg[256] = "";
        CHECK_EQ_INT(cn_enc_fit_model(g.pp, &c, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
        CHECK(strstr(msg, "regression") != NULL);
    }
    generic_free(&gs, &g);
    if (generic_rig(&gs, &g, 0, "classify")) {
        cryptonn_layer_spec mlp[] = {L(CRYPTONN_LAYER_DENSE, 8, 0, 0, 0),
                                     L(CRYPTONN_LAYER_TANH, 0, 0, 0, 0),
                                     L(CRYPTONN_LAYER_DROPOUT, 0, 0, 0, 0),
                                     L(CRYPTONN_LAYER_DENSE, 3, 0, 0, 0)};
        mlp[2].rate = 0.2f;
        generic_cfg(&c, mlp, sizeof mlp / sizeof mlp[0], 0);
        secure_equals_plain(&g, &c, 8);
    }
    generic_free(&gs, &g);
}

int main(void)
{
    t_init("test_secure_generic");
    char state[512], enc[512];
    snprintf(state, sizeof state, "%s/authority", t_tmpdir());
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    cn_enc_params pp;
    cn_enc_params_default(&pp);
    pp.batch = B;
    CHECK_EQ_INT(cn_authority_setup(state, &pp, NULL), CRYPTONN_OK);
    cn_policy pol;
    cn_policy_default(&pol);
    /* The padded corners have few taps and a dead ReLU unit's dZ1 column few
     * non-zeros: this test is about equality, not about the policy. */
    pol.min_support = 1;
    cn_authority *auth = NULL;
    CHECK_EQ_INT(cn_authority_open(&auth, state, &pol), CRYPTONN_OK);
    if (!auth) return t_done();
    char path[600];
    cn_enc_params got;
    cn_enc_mpks mpks = {0};
    CHECK_EQ_INT(cn_encdata_read_params(state, &got, &mpks), CRYPTONN_OK);
    cn_owner_secret own;
    snprintf(path, sizeof path, "%s/owner.key", state);
    CHECK_EQ_INT(cn_owner_secret_load(&own, path), CRYPTONN_OK);
    cryptonn_dataset d;
    make_data(&d);
    CHECK_EQ_INT(cn_encdata_init(enc, &got, &mpks), CRYPTONN_OK);
    cn_encrypt_opts eo = {.part = "owner1", .threads = 2, .labels = 1, .batch_ct = 1};
    cn_encrypt_stats es;
    CHECK_EQ_INT(cn_client_encrypt(enc, &got, &mpks, &own, &d, &eo, &es), CRYPTONN_OK);
    cn_encdata *ds = NULL;
    uint32_t skipped = 0;
    CHECK_EQ_INT(cn_encdata_open(&ds, enc, &skipped), CRYPTONN_OK);
    if (!ds) return t_done();
    int64_t *xi = malloc(sizeof(int64_t) * N * W);
    uint8_t *yp = malloc(N);
    for (size_t i = 0; i < (size_t)N * W; i++) xi[i] = (int64_t)llroundf(d.x[i] * 255.0f);
    for (int i = 0; i < N; i++) yp[i] = own.perm[d.y[i]];
    rig g = {ds, cn_authority_keywire(auth), &got, xi, yp, NULL, t_tmpdir()};

    /* 3 filters 5×5, stride 2, padding 2: 3 × 14 × 14 keys, frozen, then
     * trained. */
    const cryptonn_layer_spec conv[] = {
        L(CRYPTONN_LAYER_CONV2D, 3, 5, 2, 2), L(CRYPTONN_LAYER_TANH, 0, 0, 0, 0),
        L(CRYPTONN_LAYER_AVGPOOL, 0, 2, 2, 0), L(CRYPTONN_LAYER_FLATTEN, 0, 0, 0, 0),
        L(CRYPTONN_LAYER_DENSE, 16, 0, 0, 0),  L(CRYPTONN_LAYER_SIGMOID, 0, 0, 0, 0),
        L(CRYPTONN_LAYER_DENSE, 10, 0, 0, 0)};
    cryptonn_model_config c;
    layers_cfg(&c, conv, sizeof conv / sizeof conv[0], 1);
    secure_equals_plain(&g, &c, 3 * 14 * 14);
    layers_cfg(&c, conv, sizeof conv / sizeof conv[0], 0);
    secure_equals_plain(&g, &c, 3 * 14 * 14);
    refused_step_untouched(&g, &c);
    /* A trained dense first layer of 12 units. */
    const cryptonn_layer_spec mlp[] = {L(CRYPTONN_LAYER_DENSE, 12, 0, 0, 0),
                                       L(CRYPTONN_LAYER_RELU, 0, 0, 0, 0),
                                       L(CRYPTONN_LAYER_DENSE, 16, 0, 0, 0),
                                       L(CRYPTONN_LAYER_TANH, 0, 0, 0, 0),
                                       L(CRYPTONN_LAYER_DENSE, 10, 0, 0, 0)};
    layers_cfg(&c, mlp, sizeof mlp / sizeof mlp[0], 0);
    secure_equals_plain(&g, &c, 12);

    generic_cases();
    free(xi);
    free(yp);
    cn_encdata_close(ds);
    cn_authority_close(auth);
    cn_enc_mpks_free(&mpks);
    cryptonn_dataset_free(&d);
    return t_done();
}
