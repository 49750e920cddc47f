/* Epoch loops over records: seeded shuffling, batch gathering into the
 * model's preallocated buffers, and evaluation with a confusion matrix
 * (classification) or the RMSE (regression). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nn/model_internal.h"
#include "util/util.h"

void cryptonn_samples_of(const cryptonn_dataset *d, cryptonn_samples *out)
{
    CN_ARG_CHECK(d && out);
    *out = (cryptonn_samples){.n = d->n, .size = (size_t)d->rows * d->cols, .x = d->x, .y = d->y};
}

static int fits(const cryptonn_model *m, const cryptonn_samples *s)
{
    if (s->n == 0 || !s->x || s->size != m->layers[0].in_size) return 0;
    if (m->cfg.output == CRYPTONN_OUTPUT_LINEAR) return s->t && s->outputs == m->cfg.classes;
    if (!s->y) return 0;
    for (uint32_t i = 0; i < s->n; i++)
        if (s->y[i] >= m->cfg.classes) return 0;
    return 1;
}

void cryptonn_shuffle_order(uint64_t seed, uint32_t n, uint32_t *order)
{
    CN_ARG_CHECK(order || n == 0);
    nn_rng r;
    nn_rng_seed(&r, seed);
    for (uint32_t i = 0; i < n; i++) order[i] = i;
    for (uint32_t i = n; i > 1; i--) {
        uint32_t j = nn_rng_below(&r, i), t = order[i - 1];
        order[i - 1] = order[j], order[j] = t;
    }
}

int cryptonn_model_train_samples(cryptonn_model *m, const cryptonn_samples *d, uint32_t batch,
                                 const cryptonn_sgd *opt, const uint32_t *order,
                                 cryptonn_batch_cb cb, void *cb_ctx, cryptonn_epoch_stats *stats)
{
    CN_ARG_CHECK(m && d && opt);
    if (batch < 1 || batch > m->max_batch || !fits(m, d)) return CRYPTONN_ERR_ARG;
    if (order)
        for (uint32_t i = 0; i < d->n; i++)
            if (order[i] >= d->n) return CRYPTONN_ERR_ARG;
    const size_t in = m->layers[0].in_size, c = m->cfg.classes;
    const int linear = m->cfg.output == CRYPTONN_OUTPUT_LINEAR;
    const uint64_t batches = (d->n + (uint64_t)batch - 1) / batch;
    cryptonn_epoch_stats st = {0};
    for (uint64_t b = 0; b < batches; b++) {
        uint32_t lo = (uint32_t)(b * batch), n = d->n - lo < batch ? d->n - lo : batch;
        for (uint32_t s = 0; s < n; s++) {
            uint32_t k = order ? order[lo + s] : lo + s;
            memcpy(m->batch_x + s * in, d->x + (size_t)k * in, sizeof(float) * in);
            if (linear) memcpy(m->batch_t + s * c, d->t + (size_t)k * c, sizeof(float) * c);
            else m->batch_y[s] = d->y[k];
        }
        double loss;
        uint32_t correct = 0;
        if (linear) {
            cryptonn_model_forward(m, m->batch_x, n);
            cryptonn_model_backward_targets(m, m->batch_t, n, &loss);
            cryptonn_model_sgd_step(m, opt);
        } else {
            cryptonn_model_train_step(m, m->batch_x, m->batch_y, n, opt, &loss, &correct);
        }
        st.loss_sum += loss;
        st.correct += correct;
        st.seen += n;
        if (cb) cb(cb_ctx, b + 1, batches, &st);
    }
    if (stats) *stats = st;
    return CRYPTONN_OK;
}

int cryptonn_model_train_epoch_ordered(cryptonn_model *m, const cryptonn_dataset *d,
                                       uint32_t batch, const cryptonn_sgd *opt,
                                       const uint32_t *order, cryptonn_batch_cb cb, void *cb_ctx,
                                       cryptonn_epoch_stats *stats)
{
    CN_ARG_CHECK(m && d && opt);
    cryptonn_samples s;
    cryptonn_samples_of(d, &s);
    return cryptonn_model_train_samples(m, &s, batch, opt, order, cb, cb_ctx, stats);
}

int cryptonn_model_train_epoch(cryptonn_model *m, const cryptonn_dataset *d, uint32_t batch,
                               const cryptonn_sgd *opt, uint64_t shuffle_seed,
                               cryptonn_batch_cb cb, void *cb_ctx, cryptonn_epoch_stats *stats)
{
    CN_ARG_CHECK(m && d && opt);
    if (d->n == 0) return CRYPTONN_ERR_ARG;
    uint32_t *order = cn_malloc_array(d->n, sizeof(uint32_t));
    if (!order) return CRYPTONN_ERR_NOMEM;
    cryptonn_shuffle_order(shuffle_seed, d->n, order);
    int rc = cryptonn_model_train_epoch_ordered(m, d, batch, opt, order, cb, cb_ctx, stats);
    free(order);
    return rc;
}

int cryptonn_model_evaluate_samples(cryptonn_model *m, const cryptonn_samples *d, double *metric,
                                    uint64_t *confusion)
{
    CN_ARG_CHECK(m && d);
    if (!fits(m, d)) return CRYPTONN_ERR_ARG;
    const uint32_t c = m->cfg.classes;
    const size_t in = m->layers[0].in_size;
    const int linear = m->cfg.output == CRYPTONN_OUTPUT_LINEAR, training = m->training;
    if (confusion && !linear) memset(confusion, 0, sizeof(uint64_t) * c * c);
    uint64_t hits = 0;
    double sq = 0;
    m->training = 0;
    for (uint32_t lo = 0; lo < d->n; lo += m->max_batch) {
        uint32_t n = d->n - lo < m->max_batch ? d->n - lo : m->max_batch;
        const float *p = cryptonn_model_forward(m, d->x + (size_t)lo * in, n);
        for (uint32_t s = 0; s < n; s++) {
            if (linear) {
                for (uint32_t j = 0; j < c; j++) {
                    double e = (double)p[s * c + j] - d->t[(size_t)(lo + s) * c + j];
                    sq += e * e;
                }
                continue;
            }
            uint32_t best = 0;
            for (uint32_t j = 1; j < c; j++) best = p[s * c + j] > p[s * c + best] ? j : best;
            hits += best == d->y[lo + s];
            if (confusion) confusion[(size_t)d->y[lo + s] * c + best]++;
        }
    }
    m->training = training;
    if (metric)
        *metric = linear ? sqrt(sq / ((double)d->n * c)) : (double)hits / (double)d->n;
    m->input = NULL; /* d's memory is the caller's: no backward may read it */
    return CRYPTONN_OK;
}

int cryptonn_model_evaluate(cryptonn_model *m, const cryptonn_dataset *d, double *accuracy,
                            uint64_t *confusion)
{
    CN_ARG_CHECK(m && d);
    cryptonn_samples s;
    cryptonn_samples_of(d, &s);
    return cryptonn_model_evaluate_samples(m, &s, accuracy, confusion);
}
