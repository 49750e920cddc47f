/* Pooling (max or average) over k×k windows with stride s, per channel
 * plane, no padding. 2×2 with stride 2 (LeNet-5) has its own unrolled
 * kernels; any other window takes the general loops. In both, the first
 * window element (row-major) equal to the maximum gets max pooling's
 * gradient, as in PyTorch. */
#include <string.h>

#include "nn/layers.h"

static void pool2_forward(const nn_layer *l, const float *x, float *y, int n)
{
    const int oh = l->out_h, ow = l->out_w, iw = l->in_w;
    const size_t planes = (size_t)n * (size_t)l->in_c;
    const size_t ip = (size_t)l->in_h * iw, op = (size_t)oh * ow;
    for (size_t c = 0; c < planes; c++) {
        const float *xp = x + c * ip;
        float *yp = y + c * op;
        for (int i = 0; i < oh; i++) {
            const float *r0 = xp + (size_t)(2 * i) * iw, *r1 = r0 + iw;
            for (int j = 0; j < ow; j++) {
                float a = r0[2 * j], b = r0[2 * j + 1], e = r1[2 * j], d = r1[2 * j + 1];
                if (l->kind == NN_MAXPOOL) {
                    float m1 = a > b ? a : b, m2 = e > d ? e : d;
                    yp[(size_t)i * ow + j] = m1 > m2 ? m1 : m2;
                } else {
                    yp[(size_t)i * ow + j] = 0.25f * (a + b + e + d);
                }
            }
        }
    }
}

static void pool2_backward(const nn_layer *l, const float *x, const float *y, const float *dy,
                           float *dx, int n)
{
    const int oh = l->out_h, ow = l->out_w, iw = l->in_w;
    const size_t planes = (size_t)n * (size_t)l->in_c;
    const size_t ip = (size_t)l->in_h * iw, op = (size_t)oh * ow;
    /* Odd sizes leave a last row/column that no window reads: its gradient is 0. */
    if ((l->in_h & 1) || (iw & 1)) memset(dx, 0, sizeof(float) * planes * ip);
    for (size_t c = 0; c < planes; c++) {
        const float *xp = x + c * ip, *yp = y + c * op, *dyp = dy + c * op;
        float *dxp = dx + c * ip;
        for (int i = 0; i < oh; i++) {
            const float *r0 = xp + (size_t)(2 * i) * iw, *r1 = r0 + iw;
            float *d0 = dxp + (size_t)(2 * i) * iw, *d1 = d0 + iw;
            for (int j = 0; j < ow; j++) {
                float g = dyp[(size_t)i * ow + j];
                if (l->kind == NN_MAXPOOL) {
                    /* The first window element equal to the max gets it all.
                     * Masks, not branches: which element wins is data, and
                     * mispredicted branches cost more than the arithmetic. */
                    float m = yp[(size_t)i * ow + j];
                    int e0 = r0[2 * j] == m, e1 = !e0 & (r0[2 * j + 1] == m);
                    int e2 = !(e0 | e1) & (r1[2 * j] == m), e3 = !(e0 | e1 | e2);
                    d0[2 * j] = (float)e0 * g;
                    d0[2 * j + 1] = (float)e1 * g;
                    d1[2 * j] = (float)e2 * g;
                    d1[2 * j + 1] = (float)e3 * g;
                } else {
                    g *= 0.25f;
                    d0[2 * j] = d0[2 * j + 1] = d1[2 * j] = d1[2 * j + 1] = g;
                }
            }
        }
    }
}

static void poolk_forward(const nn_layer *l, const float *x, float *y, int n)
{
    const int k = l->k, s = l->stride, oh = l->out_h, ow = l->out_w, iw = l->in_w;
    const size_t planes = (size_t)n * (size_t)l->in_c;
    const size_t ip = (size_t)l->in_h * iw, op = (size_t)oh * ow;
    const float area = (float)(k * k);
    for (size_t c = 0; c < planes; c++) {
        const float *xp = x + c * ip;
        float *yp = y + c * op;
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                const float *w = xp + (size_t)(i * s) * iw + (size_t)(j * s);
                float acc = l->kind == NN_MAXPOOL ? w[0] : 0.0f;
                for (int u = 0; u < k; u++)
                    for (int v = 0; v < k; v++) {
                        float e = w[(size_t)u * iw + v];
                        if (l->kind == NN_MAXPOOL) acc = e > acc ? e : acc;
                        else acc += e;
                    }
                yp[(size_t)i * ow + j] = l->kind == NN_MAXPOOL ? acc : acc / area;
            }
    }
}

/* Windows may overlap (stride < k) or skip entries (stride > k): dx is
 * zeroed and accumulated. */
static void poolk_backward(const nn_layer *l, const float *x, const float *y, const float *dy,
                           float *dx, int n)
{
    const int k = l->k, s = l->stride, oh = l->out_h, ow = l->out_w, iw = l->in_w;
    const size_t planes = (size_t)n * (size_t)l->in_c;
    const size_t ip = (size_t)l->in_h * iw, op = (size_t)oh * ow;
    const float area = (float)(k * k);
    memset(dx, 0, sizeof(float) * planes * ip);
    for (size_t c = 0; c < planes; c++) {
        const float *xp = x + c * ip, *yp = y + c * op, *dyp = dy + c * op;
        float *dxp = dx + c * ip;
        for (int i = 0; i < oh; i++)
            for (int j = 0; j < ow; j++) {
                size_t at = (size_t)(i * s) * iw + (size_t)(j * s);
                float g = dyp[(size_t)i * ow + j], m = yp[(size_t)i * ow + j];
                int done = 0;
                for (int u = 0; u < k && !done; u++)
                    for (int v = 0; v < k && !done; v++) {
                        size_t e = at + (size_t)u * iw + v;
                        if (l->kind == NN_AVGPOOL) {
                            dxp[e] += g / area;
                        } else if (xp[e] == m) {
                            dxp[e] += g;
                            done = 1;
                        }
                    }
            }
    }
}

void nn_pool_forward(const nn_layer *l, const float *x, float *y, int n)
{
    if (l->k == 2 && l->stride == 2) pool2_forward(l, x, y, n);
    else poolk_forward(l, x, y, n);
}

void nn_pool_backward(const nn_layer *l, const float *x, const float *y, const float *dy,
                      float *dx, int n)
{
    if (l->k == 2 && l->stride == 2) pool2_backward(l, x, y, dy, dx, n);
    else poolk_backward(l, x, y, dy, dx, n);
}
