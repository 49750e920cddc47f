/* 2-D convolution, any number of channels, stride s and zero padding p:
 * im2col per sample, then one sgemm per sample, Y_b = W · col_b with
 * W out_c × (in_c·k·k) (PyTorch's Conv2d layout) and col_b (in_c·k·k) ×
 * (out_h·out_w), col_b[(c,u,v)][(i,j)] = x[c][i·s+u−p][j·s+v−p] (0 outside).
 * The col matrices of the forward pass are kept for the weight gradient, so
 * backward never rebuilds them. Stride 1 without padding (LeNet-5) copies
 * whole rows; the general path checks every tap's bounds. */
#include <string.h>

#include <cblas.h>

#include "nn/layers.h"

/* The input column of output column j for tap v, or −1 outside. */
static int tap(const nn_layer *l, int j, int v, int in)
{
    int q = j * l->stride + v - l->pad;
    return q >= 0 && q < in ? q : -1;
}

static void im2col_general(const nn_layer *l, const float *x, float *col)
{
    const int k = l->k, oh = l->out_h, ow = l->out_w;
    for (int c = 0; c < l->in_c; c++)
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                for (int i = 0; i < oh; i++) {
                    float *d = col + (size_t)i * ow;
                    int r = tap(l, i, u, l->in_h);
                    const float *src = x + ((size_t)c * l->in_h + (size_t)(r < 0 ? 0 : r)) * l->in_w;
                    for (int j = 0; j < ow; j++) {
                        int q = tap(l, j, v, l->in_w);
                        d[j] = r >= 0 && q >= 0 ? src[q] : 0.0f;
                    }
                }
                col += (size_t)oh * ow;
            }
}

static void col2im_general(const nn_layer *l, const float *dcol, float *dx)
{
    const int k = l->k, oh = l->out_h, ow = l->out_w;
    memset(dx, 0, sizeof(float) * l->in_size);
    for (int c = 0; c < l->in_c; c++)
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                for (int i = 0; i < oh; i++) {
                    int r = tap(l, i, u, l->in_h);
                    if (r < 0) continue;
                    float *d = dx + ((size_t)c * l->in_h + (size_t)r) * l->in_w;
                    const float *s = dcol + (size_t)i * ow;
                    for (int j = 0; j < ow; j++) {
                        int q = tap(l, j, v, l->in_w);
                        if (q >= 0) d[q] += s[j];
                    }
                }
                dcol += (size_t)oh * ow;
            }
}

static void im2col(const nn_layer *l, const float *x, float *col)
{
    if (l->stride != 1 || l->pad != 0) {
        im2col_general(l, x, col);
        return;
    }
    const int k = l->k, oh = l->out_h, ow = l->out_w, iw = l->in_w;
    for (int c = 0; c < l->in_c; c++)
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                const float *src = x + ((size_t)c * l->in_h + u) * iw + v;
                for (int i = 0; i < oh; i++) memcpy(col + (size_t)i * ow, src + (size_t)i * iw,
                                                    sizeof(float) * (size_t)ow);
                col += (size_t)oh * ow;
            }
}

static void col2im(const nn_layer *l, const float *dcol, float *dx)
{
    if (l->stride != 1 || l->pad != 0) {
        col2im_general(l, dcol, dx);
        return;
    }
    const int k = l->k, oh = l->out_h, ow = l->out_w, iw = l->in_w;
    memset(dx, 0, sizeof(float) * l->in_size);
    for (int c = 0; c < l->in_c; c++)
        for (int u = 0; u < k; u++)
            for (int v = 0; v < k; v++) {
                float *dst = dx + ((size_t)c * l->in_h + u) * iw + v;
                for (int i = 0; i < oh; i++) {
                    float *d = dst + (size_t)i * iw;
                    const float *s = dcol + (size_t)i * ow;
                    for (int j = 0; j < ow; j++) d[j] += s[j];
                }
                dcol += (size_t)oh * ow;
            }
}

void nn_conv_forward(const nn_layer *l, const float *p, const float *x, float *y, float *col,
                     int n)
{
    const int m = l->out_c, kk = l->in_c * l->k * l->k, np = l->out_h * l->out_w;
    const float *w = p, *b = p + l->nw;
    for (int s = 0; s < n; s++) {
        float *cs = col + (size_t)s * l->col_size, *ys = y + (size_t)s * l->out_size;
        im2col(l, x + (size_t)s * l->in_size, cs);
        for (int o = 0; o < m; o++)
            for (int i = 0; i < np; i++) ys[(size_t)o * np + i] = b[o];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, np, kk, 1.0f, w, kk, cs, np,
                    1.0f, ys, np);
    }
}

void nn_conv_backward(const nn_layer *l, const float *p, const float *col, const float *dy,
                      float *dx, float *dp, float *dcol, int n)
{
    const int m = l->out_c, kk = l->in_c * l->k * l->k, np = l->out_h * l->out_w;
    for (int s = 0; s < n; s++) {
        const float *ds = dy + (size_t)s * l->out_size;
        if (dp) {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, kk, np, 1.0f, ds, np,
                        col + (size_t)s * l->col_size, np, 1.0f, dp, kk);
            float *db = dp + l->nw;
            for (int o = 0; o < m; o++) {
                float acc = 0;
                for (int i = 0; i < np; i++) acc += ds[(size_t)o * np + i];
                db[o] += acc;
            }
        }
        if (dx) {
            cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, kk, np, m, 1.0f, p, kk, ds, np,
                        0.0f, dcol, np);
            col2im(l, dcol, dx + (size_t)s * l->in_size);
        }
    }
}
