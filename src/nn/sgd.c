/* SGD with momentum and weight decay, PyTorch's formulation (dampening 0,
 * no Nesterov): v ← μv + (g + λw), w ← w − lr·v. */
#include "nn/model_internal.h"
#include "util/util.h"

void cryptonn_model_sgd_step(cryptonn_model *m, const cryptonn_sgd *o)
{
    CN_ARG_CHECK(m && o);
    const float lr = o->lr, mu = o->momentum, wd = o->weight_decay;
    const nn_layer *l0 = &m->layers[0];
    /* The first layer's block is [0, nw + nb): a frozen layer starts after it. */
    size_t start = m->cfg.frozen_first_layer ? l0->poff + l0->nw + l0->nb : 0;
    float *p = m->params, *v = m->vel;
    const float *g = m->grad;
    if (mu != 0.0f) {
        for (size_t i = start; i < m->nparams; i++) {
            v[i] = mu * v[i] + g[i] + wd * p[i];
            p[i] -= lr * v[i];
        }
    } else {
        for (size_t i = start; i < m->nparams; i++) p[i] -= lr * (g[i] + wd * p[i]);
    }
}
