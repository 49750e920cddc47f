/* Layer shapes and the forward/backward dispatch (layers.h). */
#include "nn/layers.h"

nn_layer nn_layer_dense(int in, int out)
{
    nn_layer l = {0};
    l.kind = NN_DENSE;
    l.in_c = in, l.in_h = l.in_w = 1;
    l.out_c = out, l.out_h = l.out_w = 1;
    l.in_size = (size_t)in, l.out_size = (size_t)out;
    l.nw = (size_t)in * (size_t)out, l.nb = (size_t)out;
    return l;
}

nn_layer nn_layer_conv(int in_c, int in_h, int in_w, int out_c, int k)
{
    return nn_layer_conv_sp(in_c, in_h, in_w, out_c, k, 1, 0);
}

nn_layer nn_layer_conv_sp(int in_c, int in_h, int in_w, int out_c, int k, int stride, int pad)
{
    nn_layer l = {0};
    l.kind = NN_CONV;
    l.in_c = in_c, l.in_h = in_h, l.in_w = in_w;
    l.out_c = out_c, l.k = k, l.stride = stride, l.pad = pad;
    l.out_h = (in_h + 2 * pad - k) / stride + 1, l.out_w = (in_w + 2 * pad - k) / stride + 1;
    l.in_size = (size_t)in_c * (size_t)in_h * (size_t)in_w;
    l.out_size = (size_t)out_c * (size_t)l.out_h * (size_t)l.out_w;
    l.nw = (size_t)out_c * (size_t)in_c * (size_t)k * (size_t)k, l.nb = (size_t)out_c;
    l.col_size = (size_t)in_c * (size_t)k * (size_t)k * (size_t)l.out_h * (size_t)l.out_w;
    return l;
}

nn_layer nn_layer_pool(nn_kind kind, int c, int h, int w)
{
    return nn_layer_pool_ks(kind, c, h, w, 2, 2);
}

nn_layer nn_layer_pool_ks(nn_kind kind, int c, int h, int w, int k, int stride)
{
    nn_layer l = {0};
    l.kind = kind;
    l.in_c = l.out_c = c, l.in_h = h, l.in_w = w, l.k = k, l.stride = stride;
    l.out_h = (h - k) / stride + 1, l.out_w = (w - k) / stride + 1;
    l.in_size = (size_t)c * (size_t)h * (size_t)w;
    l.out_size = (size_t)c * (size_t)l.out_h * (size_t)l.out_w;
    return l;
}

nn_layer nn_layer_act(nn_kind kind, size_t size)
{
    nn_layer l = {0};
    l.kind = kind;
    l.in_c = l.out_c = (int)size, l.in_h = l.in_w = l.out_h = l.out_w = 1;
    l.in_size = l.out_size = size;
    return l;
}

nn_layer nn_layer_dropout(size_t size, float rate)
{
    nn_layer l = nn_layer_act(NN_DROPOUT, size);
    l.rate = rate;
    l.col_size = size;
    return l;
}

void nn_forward(const nn_layer *l, const float *p, const float *x, float *y, float *col, int n)
{
    if (n <= 0) return;
    switch (l->kind) {
    case NN_DENSE: nn_dense_forward(l, p, x, y, n); break;
    case NN_CONV: nn_conv_forward(l, p, x, y, col, n); break;
    case NN_MAXPOOL:
    case NN_AVGPOOL: nn_pool_forward(l, x, y, n); break;
    case NN_DROPOUT: nn_dropout_forward(l, col, x, y, n); break;
    default: nn_act_forward(l, x, y, n); break;
    }
}

void nn_backward(const nn_layer *l, const float *p, const float *x, const float *y,
                 const float *col, const float *dy, float *dx, float *dp, float *dcol, int n)
{
    if (n <= 0) return;
    switch (l->kind) {
    case NN_DENSE: nn_dense_backward(l, p, x, dy, dx, dp, n); break;
    case NN_CONV: nn_conv_backward(l, p, col, dy, dx, dp, dcol, n); break;
    case NN_MAXPOOL:
    case NN_AVGPOOL:
        if (dx) nn_pool_backward(l, x, y, dy, dx, n);
        break;
    case NN_DROPOUT:
        if (dx) nn_dropout_backward(l, col, dy, dx, n);
        break;
    default:
        if (dx) nn_act_backward(l, y, dy, dx, n);
        break;
    }
}

void nn_bias_grad(const nn_layer *l, const float *dy, float *db, int n)
{
    size_t plane = (size_t)l->out_h * (size_t)l->out_w;
    for (int b = 0; b < n; b++)
        for (int o = 0; o < l->out_c; o++) {
            const float *d = dy + (size_t)b * l->out_size + (size_t)o * plane;
            float s = 0;
            for (size_t i = 0; i < plane; i++) s += d[i];
            db[o] += s;
        }
}
