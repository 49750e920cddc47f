/* The learned-prior attack (audit.h): an MLP that maps the revealed view of
 * a record to the record, trained on auxiliary public data of the same kind
 * (never the audited records), in the manner of Carpov et al. (PETS 2020).
 *
 * Input: the record's coordinates in an orthonormal basis of the revealed
 * span (cn_linear_coords), an invertible function of z, so nothing the
 * server holds is lost; standardized with the auxiliary data's mean and
 * deviation. Network: dense → ReLU → dense → ReLU → dense → sigmoid, the
 * output being the features scaled to [0, 1] by their bounds; MSE loss,
 * Adam. The layer kernels are the NN engine's (nn/layers.h). */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "nn/layers.h"
#include "util/util.h"

enum { NL = 6 };

typedef struct {
    nn_layer l[NL];
    size_t off[NL];   /* parameter offsets */
    size_t nparam;
    float *p, *g, *m, *v; /* parameters, gradient, Adam moments */
    float *act[NL + 1];   /* act[0] input, act[i+1] output of layer i */
    float *grad[NL + 1];
    uint32_t batch;
} mlp;

static void mlp_free(mlp *n)
{
    free(n->p), free(n->g), free(n->m), free(n->v);
    for (int i = 0; i <= NL; i++) free(n->act[i]), free(n->grad[i]);
}

static int mlp_init(mlp *n, uint32_t in, uint32_t hidden, uint32_t out, uint32_t batch,
                    uint64_t seed)
{
    memset(n, 0, sizeof *n);
    n->batch = batch;
    n->l[0] = nn_layer_dense((int)in, (int)hidden);
    n->l[1] = nn_layer_act(NN_RELU, hidden);
    n->l[2] = nn_layer_dense((int)hidden, (int)hidden);
    n->l[3] = nn_layer_act(NN_RELU, hidden);
    n->l[4] = nn_layer_dense((int)hidden, (int)out);
    n->l[5] = nn_layer_act(NN_SIGMOID, out);
    for (int i = 0; i < NL; i++) {
        n->off[i] = n->nparam;
        n->nparam += n->l[i].nw + n->l[i].nb;
    }
    n->p = cn_calloc(n->nparam, sizeof(float));
    n->g = cn_calloc(n->nparam, sizeof(float));
    n->m = cn_calloc(n->nparam, sizeof(float));
    n->v = cn_calloc(n->nparam, sizeof(float));
    int ok = n->p && n->g && n->m && n->v;
    for (int i = 0; i <= NL && ok; i++) {
        size_t sz = i == 0 ? n->l[0].in_size : n->l[i - 1].out_size;
        n->act[i] = cn_malloc_array((size_t)batch * sz, sizeof(float));
        n->grad[i] = cn_malloc_array((size_t)batch * sz, sizeof(float));
        ok = n->act[i] && n->grad[i];
    }
    if (!ok) {
        mlp_free(n);
        return CRYPTONN_ERR_NOMEM;
    }
    nn_rng rng;
    nn_rng_seed(&rng, seed);
    for (int i = 0; i < NL; i += 2) { /* He-uniform weights, zero biases */
        float a = sqrtf(6.0f / (float)n->l[i].in_c);
        for (size_t j = 0; j < n->l[i].nw; j++) n->p[n->off[i] + j] = nn_rng_uniform(&rng, -a, a);
    }
    return CRYPTONN_OK;
}

static const float *mlp_forward(mlp *n, int b)
{
    for (int i = 0; i < NL; i++)
        nn_forward(&n->l[i], n->l[i].nw ? n->p + n->off[i] : NULL, n->act[i], n->act[i + 1], NULL,
                   b);
    return n->act[NL];
}

/* One Adam step on the batch in act[0] against targets t; returns the summed squared error. */
static double mlp_step(mlp *n, const float *t, int b, float lr, uint64_t step)
{
    const size_t out = n->l[NL - 1].out_size;
    const float *y = mlp_forward(n, b);
    double sse = 0;
    for (size_t i = 0; i < (size_t)b * out; i++) {
        float e = y[i] - t[i];
        sse += (double)e * e;
        n->grad[NL][i] = e / (float)b;
    }
    memset(n->g, 0, n->nparam * sizeof(float));
    for (int i = NL - 1; i >= 0; i--)
        nn_backward(&n->l[i], n->l[i].nw ? n->p + n->off[i] : NULL, n->act[i], n->act[i + 1], NULL,
                    n->grad[i + 1], i ? n->grad[i] : NULL, n->l[i].nw ? n->g + n->off[i] : NULL,
                    NULL, b);
    const float b1 = 0.9f, b2 = 0.999f;
    const float c1 = 1.0f - powf(b1, (float)step), c2 = 1.0f - powf(b2, (float)step);
    for (size_t j = 0; j < n->nparam; j++) {
        n->m[j] = b1 * n->m[j] + (1 - b1) * n->g[j];
        n->v[j] = b2 * n->v[j] + (1 - b2) * n->g[j] * n->g[j];
        n->p[j] -= lr * (n->m[j] / c1) / (sqrtf(n->v[j] / c2) + 1e-8f);
    }
    return sse;
}

/* Standardized coordinates of rows idx[0..b) of c into dst. */
static void load_inputs(float *dst, const double *c, const uint32_t *idx, int b, uint32_t in,
                        const double *mean, const double *inv_sd)
{
    for (int s = 0; s < b; s++) {
        const double *src = c + (size_t)(idx ? idx[s] : (uint32_t)s) * in;
        for (uint32_t j = 0; j < in; j++)
            dst[(size_t)s * in + j] = (float)((src[j] - mean[j]) * inv_sd[j]);
    }
}

int cn_decoder_attack(const cn_decoder_opts *o, const double *c_aux, const cn_audit_data *aux,
                      uint32_t in, const double *c, uint32_t n, int32_t *x)
{
    const uint32_t dim = aux->dim, na = aux->n, batch = o->batch ? o->batch : 64;
    if (!na || !in) return CRYPTONN_ERR_ARG;
    mlp net;
    CN_TRY(mlp_init(&net, in, o->hidden, dim, batch, o->seed));
    double *mean = cn_calloc(in, sizeof *mean), *inv_sd = cn_calloc(in, sizeof *inv_sd);
    float *t = cn_malloc_array((size_t)batch * dim, sizeof *t);
    uint32_t *order = cn_malloc_array(na, sizeof *order);
    if (!mean || !inv_sd || !t || !order) {
        free(mean), free(inv_sd), free(t), free(order), mlp_free(&net);
        return CRYPTONN_ERR_NOMEM;
    }
    for (uint32_t s = 0; s < na; s++)
        for (uint32_t j = 0; j < in; j++) mean[j] += c_aux[(size_t)s * in + j] / na;
    for (uint32_t s = 0; s < na; s++)
        for (uint32_t j = 0; j < in; j++) {
            double d = c_aux[(size_t)s * in + j] - mean[j];
            inv_sd[j] += d * d / na;
        }
    for (uint32_t j = 0; j < in; j++) inv_sd[j] = 1.0 / (sqrt(inv_sd[j]) + 1e-9);

    cn_progress pr;
    if (o->progress) cn_progress_start(&pr, "audit: decoder", o->epochs);
    nn_rng rng;
    nn_rng_seed(&rng, o->seed ^ 0x5eedu);
    uint64_t step = 0;
    for (uint32_t e = 0; e < o->epochs; e++) {
        for (uint32_t i = 0; i < na; i++) order[i] = i;
        for (uint32_t i = na - 1; i > 0; i--) {
            uint32_t j = nn_rng_below(&rng, i + 1), tmp = order[i];
            order[i] = order[j], order[j] = tmp;
        }
        double sse = 0;
        for (uint32_t at = 0; at < na; at += batch) {
            int b = (int)(na - at < batch ? na - at : batch);
            load_inputs(net.act[0], c_aux, order + at, b, in, mean, inv_sd);
            for (int s = 0; s < b; s++) {
                const int32_t *v = aux->v + (size_t)order[at + s] * dim;
                for (uint32_t j = 0; j < dim; j++) {
                    int32_t span = aux->hi[j] - aux->lo[j];
                    t[(size_t)s * dim + j] = span ? (float)(v[j] - aux->lo[j]) / (float)span : 0;
                }
            }
            sse += mlp_step(&net, t, b, o->lr, ++step);
        }
        if (o->progress) {
            char extra[64];
            snprintf(extra, sizeof extra, "rmse %.4f", sqrt(sse / ((double)na * dim)));
            cn_progress_update(&pr, e + 1, extra);
        }
    }
    if (o->progress) cn_progress_finish(&pr, NULL);
    for (uint32_t at = 0; at < n; at += batch) {
        int b = (int)(n - at < batch ? n - at : batch);
        load_inputs(net.act[0], c + (size_t)at * in, NULL, b, in, mean, inv_sd);
        const float *y = mlp_forward(&net, b);
        for (int s = 0; s < b; s++)
            for (uint32_t j = 0; j < dim; j++) {
                float f = y[(size_t)s * dim + j] * (float)(aux->hi[j] - aux->lo[j]);
                x[(size_t)(at + s) * dim + j] = aux->lo[j] + (int32_t)lrintf(f);
            }
    }
    free(mean), free(inv_sd), free(t), free(order), mlp_free(&net);
    return CRYPTONN_OK;
}
