/* Output stage: softmax, the two losses, the regression error, and the
 * error-driven backward that lets secure training feed a decrypted p − y in
 * place of labels. */
#include <math.h>

#include "cryptonn/nn.h"
#include "nn/layers.h"

void nn_softmax(const float *z, float *prob, int n, int c)
{
    for (int s = 0; s < n; s++) {
        const float *zs = z + (size_t)s * c;
        float *ps = prob + (size_t)s * c;
        float mx = zs[0], sum = 0;
        for (int j = 1; j < c; j++) mx = zs[j] > mx ? zs[j] : mx;
        for (int j = 0; j < c; j++) sum += ps[j] = expf(zs[j] - mx);
        float inv = 1.0f / sum;
        for (int j = 0; j < c; j++) ps[j] *= inv;
    }
}

double nn_loss_value(int loss, const float *prob, const uint8_t *labels, int n, int c)
{
    double total = 0;
    for (int s = 0; s < n; s++) {
        const float *ps = prob + (size_t)s * c;
        if (loss == CRYPTONN_LOSS_CE) {
            /* Clamp so a saturated softmax reports a large finite loss. */
            double q = ps[labels[s]];
            total -= log(q > 1e-30 ? q : 1e-30);
        } else {
            for (int j = 0; j < c; j++) {
                double e = ps[j] - (j == labels[s] ? 1.0 : 0.0);
                total += 0.5 * e * e;
            }
        }
    }
    return total;
}

void nn_output_error(const float *prob, const uint8_t *labels, float *err, int n, int c)
{
    for (int s = 0; s < n; s++)
        for (int j = 0; j < c; j++)
            err[(size_t)s * c + j] = prob[(size_t)s * c + j] - (j == labels[s] ? 1.0f : 0.0f);
}

double nn_target_error(const float *p, const float *t, float *err, size_t len)
{
    double total = 0;
    for (size_t i = 0; i < len; i++) {
        err[i] = p[i] - t[i];
        total += 0.5 * (double)err[i] * (double)err[i];
    }
    return total;
}

void nn_loss_backward(int loss, const float *prob, const float *err, float scale, float *dz,
                      int n, int c)
{
    for (int s = 0; s < n; s++) {
        const float *es = err + (size_t)s * c, *ps = prob + (size_t)s * c;
        float *ds = dz + (size_t)s * c;
        if (loss == CRYPTONN_LOSS_CE) {
            /* d(−log softmax_y)/dz = p − y: the error itself. */
            for (int j = 0; j < c; j++) ds[j] = scale * es[j];
        } else {
            /* E = ½‖p − y‖², dE/dz = J_softmaxᵀ e with J_ij = p_i(δ_ij − p_j):
             * dz_i = p_i (e_i − Σ_j p_j e_j). */
            float dot = 0;
            for (int j = 0; j < c; j++) dot += ps[j] * es[j];
            for (int j = 0; j < c; j++) ds[j] = scale * ps[j] * (es[j] - dot);
        }
    }
}
