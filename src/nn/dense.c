/* Fully connected layer: y = W·x + b, W out × in row-major (PyTorch's
 * nn.Linear layout), through OpenBLAS sgemm over the whole chunk. */
#include <cblas.h>

#include "nn/layers.h"

void nn_dense_forward(const nn_layer *l, const float *p, const float *x, float *y, int n)
{
    const int in = l->in_c, out = l->out_c;
    const float *w = p, *b = p + l->nw;
    /* Seed y with the bias so one sgemm with beta = 1 finishes the layer. */
    for (int s = 0; s < n; s++)
        for (int o = 0; o < out; o++) y[(size_t)s * out + o] = b[o];
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, x, in, w, in, 1.0f, y,
                out);
}

void nn_dense_backward(const nn_layer *l, const float *p, const float *x, const float *dy,
                       float *dx, float *dp, int n)
{
    const int in = l->in_c, out = l->out_c;
    if (dp) {
        float *dw = dp, *db = dp + l->nw;
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dy, out, x, in,
                    1.0f, dw, in);
        for (int s = 0; s < n; s++)
            for (int o = 0; o < out; o++) db[o] += dy[(size_t)s * out + o];
    }
    if (dx)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dy, out, p, in,
                    0.0f, dx, in);
}
