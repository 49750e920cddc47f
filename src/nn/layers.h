/* nn internals: one layer = a shape descriptor plus pure forward/backward
 * kernels over a chunk of samples.
 *
 * Representation: per-sample tensors are contiguous floats, NCHW; a chunk of
 * n samples is n such tensors back to back. Parameters of a layer live in the
 * model's single block: weights (nw floats) immediately followed by the bias
 * (nb floats). Gradients use the same layout and are ACCUMULATED (+=), so
 * each group of samples sums into its own gradient block. Activations keep
 * their output, and their backward reads it (sigmoid, tanh, ReLU all have a
 * derivative expressible in y). Max pooling recomputes its argmax in backward
 * instead of storing indices; dropout keeps its mask (0 or 1/(1 − rate) per
 * entry) in the layer's col buffer, filled by the model before the forward.
 * No kernel allocates. */
#ifndef CRYPTONN_NN_LAYERS_H
#define CRYPTONN_NN_LAYERS_H

#include <stddef.h>
#include <stdint.h>

typedef enum {
    NN_DENSE = 1,
    NN_CONV,
    NN_MAXPOOL,
    NN_AVGPOOL,
    NN_SIGMOID,
    NN_RELU,
    NN_TANH,
    NN_DROPOUT
} nn_kind;

typedef struct {
    nn_kind kind;
    int in_c, in_h, in_w;     /* dense: in_c features, in_h = in_w = 1 */
    int out_c, out_h, out_w;
    int k;                    /* conv, pool: window side */
    int stride, pad;          /* conv, pool (pools have pad 0) */
    float rate;               /* dropout */
    size_t in_size, out_size; /* floats per sample */
    size_t nw, nb;            /* parameters */
    size_t poff;              /* offset of the weights in the model's block */
    size_t col_size;          /* conv: floats of im2col matrix per sample;
                               * dropout: out_size (the mask) */
} nn_layer;

/* Shape constructors (no allocation). Sizes are the caller's to check
 * (plan.c does for model files). */
nn_layer nn_layer_dense(int in, int out);
nn_layer nn_layer_conv(int in_c, int in_h, int in_w, int out_c, int k); /* stride 1, no pad */
nn_layer nn_layer_conv_sp(int in_c, int in_h, int in_w, int out_c, int k, int stride, int pad);
nn_layer nn_layer_pool(nn_kind kind, int c, int h, int w); /* 2×2, stride 2 */
nn_layer nn_layer_pool_ks(nn_kind kind, int c, int h, int w, int k, int stride);
nn_layer nn_layer_act(nn_kind kind, size_t size);
nn_layer nn_layer_dropout(size_t size, float rate);

/* y = f(x) for n samples. p: the layer's parameters (NULL when none).
 * col: conv, n × col_size floats, filled here and read again by backward;
 * dropout, the mask, or NULL for the identity (inference). */
void nn_forward(const nn_layer *l, const float *p, const float *x, float *y, float *col, int n);

/* Given dy = dL/dy: dx = dL/dx (skipped when dx is NULL), and dL/dp added
 * into dp (skipped when dp is NULL). x, y, col as left by nn_forward.
 * dcol: conv with dx only, col_size floats of scratch. */
void nn_backward(const nn_layer *l, const float *p, const float *x, const float *y,
                 const float *col, const float *dy, float *dx, float *dp, float *dcol, int n);

/* Kernels, per file. */
void nn_dense_forward(const nn_layer *l, const float *p, const float *x, float *y, int n);
void nn_dense_backward(const nn_layer *l, const float *p, const float *x, const float *dy,
                       float *dx, float *dp, int n);
void nn_conv_forward(const nn_layer *l, const float *p, const float *x, float *y, float *col,
                     int n);
void nn_conv_backward(const nn_layer *l, const float *p, const float *col, const float *dy,
                      float *dx, float *dp, float *dcol, int n);
void nn_pool_forward(const nn_layer *l, const float *x, float *y, int n);
void nn_pool_backward(const nn_layer *l, const float *x, const float *y, const float *dy,
                      float *dx, int n);
void nn_act_forward(const nn_layer *l, const float *x, float *y, int n);
void nn_act_backward(const nn_layer *l, const float *y, const float *dy, float *dx, int n);
void nn_dropout_forward(const nn_layer *l, const float *mask, const float *x, float *y, int n);
void nn_dropout_backward(const nn_layer *l, const float *mask, const float *dy, float *dx, int n);
/* The mask of samples [first, first + n) of training pass `pass`: each entry
 * 0 with probability rate, else 1/(1 − rate), a function of (key, pass,
 * sample, entry) only, so any thread computes the same mask. */
void nn_dropout_mask(const nn_layer *l, uint64_t key, uint64_t pass, uint32_t first, float *mask,
                     int n);

/* db += Σ over samples and positions of dy, per output channel. */
void nn_bias_grad(const nn_layer *l, const float *dy, float *db, int n);

/* Losses on logits z (n × c): p = softmax(z) (written to prob). */
void nn_softmax(const float *z, float *prob, int n, int c);
/* Per-sample loss summed over the chunk, from prob and labels. */
double nn_loss_value(int loss, const float *prob, const uint8_t *labels, int n, int c);
/* dz from err = p − y: CE: dz = scale·err; MSE: dz = scale·J_softmax(p)ᵀ·err. */
void nn_loss_backward(int loss, const float *prob, const float *err, float scale, float *dz,
                      int n, int c);
/* err = p − onehot(label). */
void nn_output_error(const float *prob, const uint8_t *labels, float *err, int n, int c);
/* Regression: err = p − t, and the summed ½ Σ err² returned. */
double nn_target_error(const float *p, const float *t, float *err, size_t len);

/* Seeded generator for initialisation and shuffling (xoshiro256**). */
typedef struct {
    uint64_t s[4];
} nn_rng;
void nn_rng_seed(nn_rng *r, uint64_t seed);
uint64_t nn_rng_next(nn_rng *r);
float nn_rng_uniform(nn_rng *r, float lo, float hi); /* [lo, hi) */
uint32_t nn_rng_below(nn_rng *r, uint32_t n);        /* uniform in [0, n) */
/* A stateless 64-bit mix of (a, b): splitmix64's finaliser. */
uint64_t nn_hash2(uint64_t a, uint64_t b);

#endif
