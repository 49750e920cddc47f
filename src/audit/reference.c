/* The reference classifier behind "recognizability" (audit.h): an MLP
 * (dim → 128 → classes, ReLU, cross-entropy) trained in plaintext by the
 * audit on the auxiliary data only, then asked to classify reconstructions.
 * Its accuracy on the originals is the ceiling a perfect reconstruction
 * reaches; accuracy near chance means the reconstructions no longer carry
 * the class. Features enter scaled to [0, 1] by their bounds. */
#include <stdlib.h>

#include "audit/audit.h"
#include "util/util.h"

enum { REF_BATCH = 64 };

struct cn_reference {
    cryptonn_model *m;
    uint32_t dim, classes;
    float *x; /* REF_BATCH × dim scratch */
};

void cn_reference_destroy(cn_reference *r)
{
    if (!r) return;
    cryptonn_model_destroy(r->m);
    free(r->x);
    free(r);
}

static void scale(float *dst, const int32_t *v, size_t n, uint32_t dim, const int32_t *lo,
                  const int32_t *hi)
{
    for (size_t s = 0; s < n; s++)
        for (uint32_t j = 0; j < dim; j++) {
            int32_t span = hi[j] - lo[j];
            dst[s * dim + j] = span ? (float)(v[s * dim + j] - lo[j]) / (float)span : 0;
        }
}

int cn_reference_train(cn_reference **out, const cn_audit_data *aux, uint32_t epochs,
                       uint64_t seed, int progress)
{
    *out = NULL;
    if (!aux->label || aux->classes < 2 || !aux->n) return CRYPTONN_ERR_ARG;
    cn_reference *r = calloc(1, sizeof *r);
    if (!r) return CRYPTONN_ERR_NOMEM;
    r->dim = aux->dim;
    r->classes = aux->classes;
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_MLP;
    cfg.in_dim = aux->dim;
    cfg.hidden = 128;
    cfg.classes = aux->classes;
    cfg.seed = seed;
    cryptonn_dataset d = {aux->n, 1, aux->dim, NULL, aux->label};
    d.x = cn_malloc_array((size_t)aux->n * aux->dim, sizeof(float));
    r->x = cn_malloc_array((size_t)REF_BATCH * aux->dim, sizeof(float));
    int rc = d.x && r->x ? cryptonn_model_create(&cfg, REF_BATCH, 0, &r->m) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) scale(d.x, aux->v, aux->n, aux->dim, aux->lo, aux->hi);
    const cryptonn_sgd opt = {0.05f, 0.9f, 0.0f};
    cn_progress pr;
    if (progress) cn_progress_start(&pr, "audit: reference classifier", epochs);
    for (uint32_t e = 0; e < epochs && rc == CRYPTONN_OK; e++) {
        cryptonn_epoch_stats st;
        rc = cryptonn_model_train_epoch(r->m, &d, REF_BATCH, &opt, seed + e, NULL, NULL, &st);
        if (progress) cn_progress_update(&pr, e + 1, NULL);
    }
    if (progress) cn_progress_finish(&pr, NULL);
    free(d.x);
    if (rc != CRYPTONN_OK) {
        cn_reference_destroy(r);
        return rc;
    }
    *out = r;
    return CRYPTONN_OK;
}

double cn_reference_accuracy(cn_reference *r, const int32_t *x, const uint8_t *labels, uint32_t n,
                             const int32_t *lo, const int32_t *hi)
{
    uint64_t hits = 0;
    for (uint32_t at = 0; at < n; at += REF_BATCH) {
        uint32_t b = n - at < REF_BATCH ? n - at : REF_BATCH;
        scale(r->x, x + (size_t)at * r->dim, b, r->dim, lo, hi);
        const float *p = cryptonn_model_forward(r->m, r->x, b);
        for (uint32_t s = 0; s < b; s++) {
            const float *ps = p + (size_t)s * r->classes;
            uint32_t best = 0;
            for (uint32_t c = 1; c < r->classes; c++)
                if (ps[c] > ps[best]) best = c;
            hits += best == labels[at + s];
        }
    }
    return n ? (double)hits / n : 0;
}
