/* The model: buffers, the data-parallel forward/backward over a batch, and
 * the first-layer hooks of secure training (include/cryptonn/nn.h).
 *
 * A batch is split into groups of consecutive samples (model_internal.h);
 * a thread runs every layer on a group and accumulates the group's gradient
 * block, and the blocks are summed at the end. Samples never interact except
 * in that sum, so one parallel region per pass is all the synchronisation
 * there is. */
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#include <stdatomic.h>

#include "nn/model_internal.h"
#include "util/util.h"

void cryptonn_model_config_default(cryptonn_model_config *c)
{
    memset(c, 0, sizeof *c);
    c->arch = CRYPTONN_ARCH_LENET5;
    c->act = CRYPTONN_ACT_RELU;
    c->loss = CRYPTONN_LOSS_CE;
    c->reduction = CRYPTONN_REDUCE_MEAN;
    c->pool = CRYPTONN_POOL_MAX;
    c->in_dim = 784;
    c->hidden = 128;
    c->classes = 10;
    c->init = CRYPTONN_INIT_TORCH;
    c->seed = 1;
}

void cryptonn_model_destroy(cryptonn_model *m)
{
    if (!m) return;
    if (m->pool_started) nn_workers_stop(&m->pool);
    free(m->params);
    free(m->vel);
    free(m->grad);
    free(m->gblk);
    for (int i = 0; i <= m->nl; i++) {
        free(m->act[i]);
        free(m->dact[i]);
    }
    for (int i = 0; i < m->nl; i++) free(m->col[i]);
    free(m->dcol);
    free(m->prob);
    free(m->err);
    free(m->batch_x);
    free(m->batch_y);
    free(m->batch_t);
    free(m);
}

int cryptonn_model_create(const cryptonn_model_config *cfg, uint32_t max_batch, uint32_t threads,
                          cryptonn_model **out)
{
    CN_ARG_CHECK(cfg && out);
    *out = NULL;
    if (!nn_config_valid(cfg) || max_batch < 1 || max_batch > (1u << 16) ||
        threads > NN_MAX_THREADS)
        return CRYPTONN_ERR_ARG;
    cryptonn_model *m = calloc(1, sizeof *m);
    if (!m) return CRYPTONN_ERR_NOMEM;
    m->cfg = *cfg;
    m->max_batch = max_batch;
    m->threads = threads ? threads : 2;
    m->training = 1;
    m->nparams = nn_build_layers(m);
    const size_t B = max_batch;
    /* Groups of at least 8 samples keep the dense layers' sgemm efficient;
     * at most NN_MAX_GROUPS bound the gradient blocks' memory. */
    m->group = (max_batch + NN_MAX_GROUPS - 1) / NN_MAX_GROUPS;
    if (m->group < 8) m->group = 8;
    m->max_groups = (max_batch + m->group - 1) / m->group;
    int ok = (m->params = cn_calloc(m->nparams, sizeof(float))) &&
             (m->vel = cn_calloc(m->nparams, sizeof(float))) &&
             (m->grad = cn_calloc(m->nparams, sizeof(float))) &&
             (m->gblk = cn_calloc(m->nparams * m->max_groups, sizeof(float)));
    for (int i = 0; ok && i < m->nl; i++) {
        const nn_layer *l = &m->layers[i];
        ok = (m->act[i + 1] = cn_calloc(B * l->out_size, sizeof(float))) &&
             (m->dact[i + 1] = cn_calloc(B * l->out_size, sizeof(float)));
        if (ok && l->col_size) {
            /* The first layer's col is needed only on the plain path, but
             * that path is the common one. */
            ok = (m->col[i] = cn_calloc(B * l->col_size, sizeof(float))) != NULL;
            if (i > 0 && l->kind == NN_CONV && l->col_size > m->dcol_size)
                m->dcol_size = l->col_size;
        }
    }
    const size_t c = cfg->classes, in = m->layers[0].in_size;
    ok = ok && (m->prob = cn_calloc(B * c, sizeof(float))) &&
         (m->err = cn_calloc(B * c, sizeof(float))) &&
         (m->batch_x = cn_calloc(B * in, sizeof(float))) &&
         (m->batch_y = cn_calloc(B, 1)) &&
         (cfg->output != CRYPTONN_OUTPUT_LINEAR || (m->batch_t = cn_calloc(B * c, sizeof(float)))) &&
         (!m->dcol_size || (m->dcol = cn_calloc(m->dcol_size * m->threads, sizeof(float))));
    if (!ok) {
        cryptonn_model_destroy(m);
        return CRYPTONN_ERR_NOMEM;
    }
    if (nn_workers_start(&m->pool, (int)m->threads) != 0) {
        cryptonn_model_destroy(m);
        return CRYPTONN_ERR_NOMEM;
    }
    m->pool_started = 1;
    nn_init_params(m);
    /* Our threads split the batch; BLAS calls inside them must not spawn
     * their own (2 cores: 2 × 2 threads would thrash). */
    openblas_set_num_threads(1);
    *out = m;
    return CRYPTONN_OK;
}

const cryptonn_model_config *cryptonn_model_get_config(const cryptonn_model *m) { return &m->cfg; }
uint32_t cryptonn_model_max_batch(const cryptonn_model *m) { return m->max_batch; }
size_t cryptonn_model_input_size(const cryptonn_model *m) { return m->layers[0].in_size; }
size_t cryptonn_model_param_count(const cryptonn_model *m) { return m->nparams; }
float *cryptonn_model_params(cryptonn_model *m) { return m->params; }
void cryptonn_model_set_training(cryptonn_model *m, int on) { m->training = on != 0; }

/* The col argument of layer i for the samples from lo: im2col for a
 * convolution; for dropout the mask, or NULL (identity) when the last
 * forward was not a training pass. */
static float *layer_col(const cryptonn_model *m, int i, uint32_t lo)
{
    const nn_layer *l = &m->layers[i];
    if (!m->col[i] || (l->kind == NN_DROPOUT && !m->masked)) return NULL;
    return m->col[i] + lo * l->col_size;
}

/* Forward of layers[0..] on the samples [lo, lo + cnt); x == NULL means
 * z1 holds W1·x without bias (forward_from_z1). */
static void forward_group(cryptonn_model *m, const float *x, const float *z1, uint32_t lo,
                          uint32_t cnt)
{
    const int c = (int)m->cfg.classes;
    const nn_layer *l0 = &m->layers[0];
    if (x) {
        nn_forward(l0, m->params + l0->poff, x + lo * l0->in_size, m->act[1] + lo * l0->out_size,
                   m->col[0] ? m->col[0] + lo * l0->col_size : NULL, (int)cnt);
    } else {
        const float *b1 = m->params + l0->poff + l0->nw;
        const size_t plane = (size_t)l0->out_h * (size_t)l0->out_w;
        for (uint32_t s = lo; s < lo + cnt; s++)
            for (int o = 0; o < l0->out_c; o++) {
                size_t base = s * l0->out_size + (size_t)o * plane;
                for (size_t i = 0; i < plane; i++) m->act[1][base + i] = z1[base + i] + b1[o];
            }
    }
    for (int i = 1; i < m->nl; i++) {
        const nn_layer *l = &m->layers[i];
        float *col = layer_col(m, i, lo);
        if (l->kind == NN_DROPOUT && col)
            nn_dropout_mask(l, nn_hash2(m->cfg.seed, (uint64_t)i), m->passes, lo, col, (int)cnt);
        nn_forward(l, m->params + l->poff, m->act[i] + lo * l->in_size,
                   m->act[i + 1] + lo * l->out_size, col, (int)cnt);
    }
    const float *z = m->act[m->nl] + (size_t)lo * c;
    if (m->cfg.output == CRYPTONN_OUTPUT_LINEAR)
        memcpy(m->prob + (size_t)lo * c, z, sizeof(float) * cnt * (size_t)c);
    else
        nn_softmax(z, m->prob + (size_t)lo * c, (int)cnt, c);
}

typedef struct {
    cryptonn_model *m;
    const float *x, *z1;
    const uint8_t *labels;
    const float *targets;
    uint32_t n, ngroups;
    float scale;
    _Atomic uint32_t next; /* the next group to take */
    double loss[NN_MAX_GROUPS];
    uint32_t correct[NN_MAX_GROUPS];
} pass;

static uint32_t group_len(const pass *p, uint32_t g)
{
    uint32_t G = p->m->group, lo = g * G;
    return p->n - lo < G ? p->n - lo : G;
}

static void forward_job(void *ctx, int t, int nt)
{
    (void)t, (void)nt;
    pass *p = ctx;
    for (uint32_t g; (g = atomic_fetch_add(&p->next, 1)) < p->ngroups;)
        forward_group(p->m, p->x, p->z1, g * p->m->group, group_len(p, g));
}

static const float *run_forward(cryptonn_model *m, const float *x, const float *z1, uint32_t n)
{
    CN_ARG_CHECK(n >= 1 && n <= m->max_batch);
    pass p = {.m = m, .x = x, .z1 = z1, .n = n, .ngroups = (n + m->group - 1) / m->group};
    atomic_init(&p.next, 0);
    m->masked = m->training;
    nn_workers_run(&m->pool, forward_job, &p);
    m->passes += (uint64_t)m->masked;
    m->input = x;
    m->n_fwd = n;
    return m->prob;
}

const float *cryptonn_model_forward(cryptonn_model *m, const float *x, uint32_t n)
{
    CN_ARG_CHECK(m && x);
    return run_forward(m, x, NULL, n);
}

const float *cryptonn_model_forward_from_z1(cryptonn_model *m, const float *z1, uint32_t n)
{
    CN_ARG_CHECK(m && z1);
    return run_forward(m, NULL, z1, n);
}

/* Backward of the samples [lo, lo + cnt) into the gradient block g.
 * labels or targets != NULL: the error comes from them (and *loss, *correct
 * are counted); otherwise m->err already holds it. */
static void backward_group(cryptonn_model *m, const uint8_t *labels, const float *targets,
                           float scale, uint32_t lo, uint32_t cnt, float *g, float *dcol,
                           double *loss, uint32_t *correct)
{
    const int c = (int)m->cfg.classes, L = m->nl;
    memset(g, 0, sizeof(float) * m->nparams);
    const float *prob = m->prob + (size_t)lo * c;
    float *err = m->err + (size_t)lo * c;
    if (labels) {
        nn_output_error(prob, labels + lo, err, (int)cnt, c);
        *loss = nn_loss_value((int)m->cfg.loss, prob, labels + lo, (int)cnt, c);
        *correct = 0;
        for (uint32_t s = 0; s < cnt; s++) {
            const float *ps = prob + (size_t)s * c;
            int best = 0;
            for (int j = 1; j < c; j++) best = ps[j] > ps[best] ? j : best;
            *correct += best == labels[lo + s];
        }
    } else if (targets) {
        *loss = nn_target_error(prob, targets + (size_t)lo * c, err, (size_t)cnt * (size_t)c);
        *correct = 0;
    }
    /* A linear output's ½‖p − t‖² has dE/dp = p − t: the error itself, as
     * for softmax with cross-entropy. */
    int loss_kind = m->cfg.output == CRYPTONN_OUTPUT_LINEAR ? CRYPTONN_LOSS_CE : (int)m->cfg.loss;
    nn_loss_backward(loss_kind, prob, err, scale, m->dact[L] + (size_t)lo * c, (int)cnt, c);
    for (int i = L - 1; i >= 1; i--) {
        const nn_layer *l = &m->layers[i];
        nn_backward(l, m->params + l->poff, m->act[i] + lo * l->in_size,
                    m->act[i + 1] + lo * l->out_size, layer_col(m, i, lo),
                    m->dact[i + 1] + lo * l->out_size, m->dact[i] + lo * l->in_size,
                    l->nw ? g + l->poff : NULL, dcol, (int)cnt);
    }
    const nn_layer *l0 = &m->layers[0];
    if (m->cfg.frozen_first_layer) return;
    const float *dz1 = m->dact[1] + lo * l0->out_size;
    if (m->input)
        nn_backward(l0, m->params + l0->poff, m->input + lo * l0->in_size,
                    m->act[1] + lo * l0->out_size, m->col[0] ? m->col[0] + lo * l0->col_size : NULL,
                    dz1, NULL, g + l0->poff, NULL, (int)cnt);
    else
        nn_bias_grad(l0, dz1, g + l0->poff + l0->nw, (int)cnt);
}

static void backward_job(void *ctx, int t, int nt)
{
    (void)nt;
    pass *p = ctx;
    cryptonn_model *m = p->m;
    float *dcol = m->dcol ? m->dcol + (size_t)t * m->dcol_size : NULL;
    for (uint32_t g; (g = atomic_fetch_add(&p->next, 1)) < p->ngroups;)
        backward_group(m, p->labels, p->targets, p->scale, g * m->group, group_len(p, g),
                       m->gblk + (size_t)g * m->nparams, dcol, &p->loss[g], &p->correct[g]);
}

/* Sums the group blocks in group order, each thread a slice of parameters. */
static void reduce_job(void *ctx, int t, int nt)
{
    pass *p = ctx;
    cryptonn_model *m = p->m;
    const size_t np = m->nparams;
    size_t a = np * (size_t)t / (size_t)nt, b = np * (size_t)(t + 1) / (size_t)nt;
    memcpy(m->grad + a, m->gblk + a, sizeof(float) * (b - a));
    for (uint32_t u = 1; u < p->ngroups; u++) {
        const float *gu = m->gblk + (size_t)u * np;
        for (size_t j = a; j < b; j++) m->grad[j] += gu[j];
    }
}

static void run_backward(cryptonn_model *m, const uint8_t *labels, const float *targets,
                         uint32_t n, double *loss, uint32_t *correct)
{
    CN_ARG_CHECK(n == m->n_fwd);
    pass p = {.m = m, .labels = labels, .targets = targets, .n = n,
              .ngroups = (n + m->group - 1) / m->group};
    p.scale = m->cfg.reduction == CRYPTONN_REDUCE_MEAN ? 1.0f / (float)n : 1.0f;
    atomic_init(&p.next, 0);
    nn_workers_run(&m->pool, backward_job, &p);
    nn_workers_run(&m->pool, reduce_job, &p);
    double ls = 0;
    uint32_t cs = 0;
    for (uint32_t g = 0; g < p.ngroups; g++) ls += p.loss[g], cs += p.correct[g];
    if (loss) *loss = ls;
    if (correct) *correct = cs;
}

void cryptonn_model_backward(cryptonn_model *m, const uint8_t *labels, uint32_t n, double *loss,
                             uint32_t *correct)
{
    CN_ARG_CHECK(m && labels && m->cfg.output == CRYPTONN_OUTPUT_SOFTMAX);
    for (uint32_t i = 0; i < n; i++) CN_ARG_CHECK(labels[i] < m->cfg.classes);
    run_backward(m, labels, NULL, n, loss, correct);
}

void cryptonn_model_backward_targets(cryptonn_model *m, const float *targets, uint32_t n,
                                     double *loss)
{
    CN_ARG_CHECK(m && targets && m->cfg.output == CRYPTONN_OUTPUT_LINEAR);
    run_backward(m, NULL, targets, n, loss, NULL);
}

const float *cryptonn_model_backward_from_error(cryptonn_model *m, const float *err, uint32_t n)
{
    CN_ARG_CHECK(m && err);
    CN_ARG_CHECK(n == m->n_fwd);
    memcpy(m->err, err, sizeof(float) * n * m->cfg.classes);
    /* dW1 is the caller's to compute under encryption, even if x is known. */
    const float *x = m->input;
    m->input = NULL;
    run_backward(m, NULL, NULL, n, NULL, NULL);
    m->input = x;
    return m->dact[1];
}

const float *cryptonn_model_dz1(const cryptonn_model *m) { return m->dact[1]; }

void cryptonn_model_first_layer(const cryptonn_model *m, cryptonn_first_layer *o)
{
    CN_ARG_CHECK(m && o);
    const nn_layer *l = &m->layers[0];
    memset(o, 0, sizeof *o);
    o->is_conv = l->kind == NN_CONV;
    o->in_c = (uint32_t)l->in_c, o->in_h = (uint32_t)l->in_h, o->in_w = (uint32_t)l->in_w;
    o->out_c = (uint32_t)l->out_c, o->out_h = (uint32_t)l->out_h, o->out_w = (uint32_t)l->out_w;
    o->k = (uint32_t)l->k;
    o->stride = o->is_conv ? (uint32_t)l->stride : 1;
    o->pad = (uint32_t)l->pad;
    o->z1_size = l->out_size;
    o->nw = l->nw, o->nb = l->nb;
    o->w = m->params + l->poff;
    o->b = o->w + l->nw;
}

void cryptonn_model_set_first_layer_grad(cryptonn_model *m, const float *dw1, const float *db1)
{
    CN_ARG_CHECK(m && dw1);
    const nn_layer *l = &m->layers[0];
    memcpy(m->grad + l->poff, dw1, sizeof(float) * l->nw);
    if (db1) memcpy(m->grad + l->poff + l->nw, db1, sizeof(float) * l->nb);
}

void cryptonn_model_first_layer_grad(const cryptonn_model *m, const float **dw1,
                                     const float **db1)
{
    CN_ARG_CHECK(m);
    const nn_layer *l = &m->layers[0];
    if (dw1) *dw1 = m->grad + l->poff;
    if (db1) *db1 = m->grad + l->poff + l->nw;
}

void cryptonn_model_train_step(cryptonn_model *m, const float *x, const uint8_t *labels,
                               uint32_t n, const cryptonn_sgd *opt, double *loss,
                               uint32_t *correct)
{
    cryptonn_model_forward(m, x, n);
    cryptonn_model_backward(m, labels, n, loss, correct);
    cryptonn_model_sgd_step(m, opt);
}
