/* Dropout: y = x·mask with mask entries 0 (probability rate) or
 * 1/(1 − rate), PyTorch's inverted dropout. The mask is drawn from a hash of
 * (key, pass, sample, entry) rather than a sequential generator, so the
 * threads that split a batch draw it in any order and still agree. */
#include "nn/layers.h"

void nn_dropout_mask(const nn_layer *l, uint64_t key, uint64_t pass, uint32_t first, float *mask,
                     int n)
{
    const float keep = 1.0f / (1.0f - l->rate);
    /* rate as a 24-bit threshold: entry dropped when its uniform u < rate. */
    const uint32_t cut = (uint32_t)((double)l->rate * 16777216.0);
    const uint64_t k = nn_hash2(key, pass);
    for (int s = 0; s < n; s++) {
        const uint64_t ks = nn_hash2(k, (uint64_t)first + (uint64_t)s);
        float *m = mask + (size_t)s * l->out_size;
        for (size_t i = 0; i < l->out_size; i++)
            m[i] = (uint32_t)(nn_hash2(ks, i) >> 40) < cut ? 0.0f : keep;
    }
}

void nn_dropout_forward(const nn_layer *l, const float *mask, const float *x, float *y, int n)
{
    const size_t len = (size_t)n * l->out_size;
    if (!mask)
        for (size_t i = 0; i < len; i++) y[i] = x[i];
    else
        for (size_t i = 0; i < len; i++) y[i] = x[i] * mask[i];
}

void nn_dropout_backward(const nn_layer *l, const float *mask, const float *dy, float *dx, int n)
{
    nn_dropout_forward(l, mask, dy, dx, n);
}
