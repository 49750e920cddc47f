/* cryptonn neural-network engine: the plaintext half of CryptoNN training.
 *
 * float32 throughout; tensors are batch-major and, for images, NCHW
 * (sample, channel, row, column), row-major. A model is a fixed stack of
 * layers (LeNet-5, an MLP, or any stack a model file lists:
 * CRYPTONN_ARCH_LAYERS) with every buffer allocated at creation for up to
 * max_batch samples: nothing allocates inside a training step.
 *
 * Threads: each model owns `threads` worker threads (2 by default; the
 * caller's thread is one of them). A pass cuts its batch into groups of
 * consecutive samples that the threads take in turn; every layer of a group
 * runs in one thread, calling OpenBLAS single-threaded, and the groups'
 * gradients are summed in a fixed order, so results are bit-for-bit
 * reproducible for a given seed, batch and thread count.
 * cryptonn_model_create() sets OpenBLAS to one thread
 * (openblas_set_num_threads(1)) so two thread pools never oversubscribe the
 * cores. A model is not safe to use from two threads at once; distinct models
 * are independent.
 *
 * Plain training:   forward(x) → backward(labels) → sgd_step.
 * Secure training (DESIGN.md §3): the first layer runs under encryption.
 *   1. cryptonn_model_first_layer()        W1, b1 and their shapes: the keys.
 *   2. cryptonn_model_forward_from_z1(Z1)  Z1 = W1·x per sample, decrypted;
 *                                           the model adds b1 and goes on.
 *   3. cryptonn_model_backward_from_error(p − y)  the decrypted output error
 *                                           replaces the loss's own; returns
 *                                           dZ1 and computes db1 = Σ dZ1.
 *   4. cryptonn_model_set_first_layer_grad(dW1)  dW1 = Σ_b dZ1_b ⊗ x_b,
 *                                           computed under encryption.
 *   5. cryptonn_model_sgd_step().
 * With a frozen first layer (config.frozen_first_layer) step 4 is skipped and
 * W1, b1 never change. */
#ifndef CRYPTONN_NN_H
#define CRYPTONN_NN_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* LAYERS: the stack listed in cryptonn_model_config.layers (a model file). */
typedef enum {
    CRYPTONN_ARCH_MLP = 1,
    CRYPTONN_ARCH_LENET5 = 2,
    CRYPTONN_ARCH_LAYERS = 3
} cryptonn_arch;
typedef enum {
    CRYPTONN_ACT_SIGMOID = 1,
    CRYPTONN_ACT_RELU = 2,
    CRYPTONN_ACT_TANH = 3
} cryptonn_activation;
/* CE: softmax + cross-entropy, per-sample loss −log p_y.
 * MSE: the paper's E = ½ Σ_j (p_j − y_j)² on the softmax output p.
 * Both take the output error (p − y) as their starting point backward. */
typedef enum { CRYPTONN_LOSS_CE = 1, CRYPTONN_LOSS_MSE = 2 } cryptonn_loss;
/* MEAN divides the batch's summed loss by the batch size; SUM does not (the
 * paper's E). Under SUM a learning rate acts B times larger than under MEAN. */
typedef enum { CRYPTONN_REDUCE_MEAN = 1, CRYPTONN_REDUCE_SUM = 2 } cryptonn_reduction;
typedef enum { CRYPTONN_POOL_MAX = 1, CRYPTONN_POOL_AVG = 2 } cryptonn_pool;
/* TORCH: PyTorch's default, U(±1/√fan_in) for weights and biases.
 * XAVIER: Glorot uniform U(±√(6/(fan_in + fan_out))) weights, zero biases:
 * sigmoid networks need it to leave their initial plateau within an epoch. */
typedef enum { CRYPTONN_INIT_TORCH = 1, CRYPTONN_INIT_XAVIER = 2 } cryptonn_init_scheme;
/* SOFTMAX: classification, `classes` ≥ 2 outputs through a softmax, labels
 * are class indices. LINEAR: regression, `classes` ≥ 1 real outputs taken as
 * they are, targets are reals, loss MSE E = ½ Σ_j (p_j − t_j)². */
typedef enum { CRYPTONN_OUTPUT_SOFTMAX = 0, CRYPTONN_OUTPUT_LINEAR = 1 } cryptonn_output;

typedef enum {
    CRYPTONN_LAYER_DENSE = 1,
    CRYPTONN_LAYER_CONV2D = 2,
    CRYPTONN_LAYER_MAXPOOL = 3,
    CRYPTONN_LAYER_AVGPOOL = 4,
    CRYPTONN_LAYER_RELU = 5,
    CRYPTONN_LAYER_TANH = 6,
    CRYPTONN_LAYER_SIGMOID = 7,
    CRYPTONN_LAYER_FLATTEN = 8,
    CRYPTONN_LAYER_DROPOUT = 9
} cryptonn_layer_kind;

/* One layer of a CRYPTONN_ARCH_LAYERS model. Fields a kind does not use are 0.
 *   dense:    units outputs; flattens a C×H×W input first (NCHW order, as
 *             torch.flatten(x, 1) does).
 *   conv2d:   units output channels, kernel K, stride S ≥ 1, pad P < K:
 *             out = (in + 2P − K)/S + 1 (floor), zeros outside the input.
 *   maxpool, avgpool: kernel K, stride S ≥ 1 (the file's default S = K), no
 *             padding: out = (in − K)/S + 1; avgpool divides by K².
 *   relu, tanh, sigmoid: elementwise.
 *   flatten:  no arithmetic (tensors are already contiguous): C×H×W becomes
 *             C·H·W.
 *   dropout:  rate in [0, 1): in training passes each entry is zeroed with
 *             probability rate and the rest scaled by 1/(1 − rate)
 *             (cryptonn_model_set_training); identity otherwise. */
typedef struct {
    cryptonn_layer_kind kind;
    uint32_t units;
    uint32_t kernel, stride, pad;
    float rate;
} cryptonn_layer_spec;

#define CRYPTONN_MAX_LAYERS 32

/* "dense", "conv2d", ... as model files name them; "?" for another value. */
CRYPTONN_API const char *cryptonn_layer_kind_name(int kind);

typedef struct {
    cryptonn_arch arch;
    cryptonn_activation act;
    cryptonn_loss loss;
    cryptonn_reduction reduction;
    cryptonn_pool pool;          /* LeNet-5's two 2×2 poolings */
    uint32_t in_dim;             /* MLP input width (784 for MNIST); LeNet-5: 28×28, ignored */
    uint32_t hidden;             /* MLP hidden width */
    uint32_t classes;            /* output width (10 for MNIST) */
    uint32_t frozen_first_layer; /* 1: W1, b1 keep their seeded values */
    uint32_t conv1_filters;      /* LeNet-5's first convolution (0: the paper's 6); one
                                  * filter at 576 positions reveals rank <= 576, not 784 */
    cryptonn_init_scheme init;
    uint64_t seed;               /* initialisation; equal seeds give equal models */
    /* CRYPTONN_ARCH_LAYERS only (zero otherwise). The first layer is dense or
     * conv2d (the secure one), the last is dense with `classes` units; `act`
     * and `pool` are unused. XAVIER's gain is 4 for a layer followed by a
     * sigmoid. Input: flat records have in_c features and in_h = in_w = 1. */
    cryptonn_output output;      /* every arch: SOFTMAX (default) or LINEAR */
    uint32_t in_c, in_h, in_w;
    uint32_t nlayers;
    cryptonn_layer_spec layers[CRYPTONN_MAX_LAYERS];
} cryptonn_model_config;

/* Defaults: LeNet-5, ReLU, CE, mean, max pooling, MLP 784→128→10, TORCH
 * initialisation, seed 1, softmax output. */
CRYPTONN_API void cryptonn_model_config_default(cryptonn_model_config *cfg);

typedef struct cryptonn_model cryptonn_model;

/* Builds a model initialised as cfg->init says from a generator seeded by
 * cfg->seed, with buffers for up to
 * max_batch samples, and `threads` worker threads (0: 2).
 * Returns CRYPTONN_OK, CRYPTONN_ERR_ARG (a field out of range) or
 * CRYPTONN_ERR_NOMEM; *out is NULL on failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_create(const cryptonn_model_config *cfg,
                                                            uint32_t max_batch, uint32_t threads,
                                                            cryptonn_model **out);
CRYPTONN_API void cryptonn_model_destroy(cryptonn_model *m); /* NULL is allowed */

/* Checks cfg as cryptonn_model_create would, and says why it is refused:
 * msg (may be NULL) gets e.g. "layer 4 (maxpool): kernel 2 is larger than
 * its 1×1 input" (layers counted from 1, as a model file lists them).
 * Returns CRYPTONN_OK or CRYPTONN_ERR_ARG. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_config_check(const cryptonn_model_config *cfg,
                                                                  char *msg, size_t msg_len);

/* The shapes a CRYPTONN_ARCH_LAYERS config gives each of its layers. */
typedef struct {
    cryptonn_layer_kind kind;
    uint32_t in_c, in_h, in_w;
    uint32_t out_c, out_h, out_w;
    size_t params; /* weights + biases */
} cryptonn_layer_info;

/* Fills info[0 .. cfg->nlayers) (the caller gives room for nlayers) after
 * the checks of cryptonn_model_config_check, which it returns. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_config_layers(
    const cryptonn_model_config *cfg, cryptonn_layer_info *info, char *msg, size_t msg_len);

/* Reads a model file (JSON, docs/DATA.md):
 *   {"input": [C, H, W] or [F] (optional: the data spec may give it),
 *    "output": "softmax" | "linear", "loss": "ce" | "mse",
 *    "reduction": "mean" | "sum", "init": "torch" | "xavier",
 *    "layers": [{"type": "conv2d", "filters": 6, "kernel": 5,
 *                "stride": 1, "padding": 0}, {"type": "relu"},
 *               {"type": "maxpool", "kernel": 2}, {"type": "flatten"},
 *               {"type": "dense", "units": 10}, ...]}
 * into cfg (defaults first, arch LAYERS, classes = the last layer's units).
 * Unknown keys and types are errors. Shapes are checked only when the input
 * is known: without "input", set in_c/in_h/in_w and call
 * cryptonn_model_config_check. Returns CRYPTONN_OK, CRYPTONN_ERR_NOT_FOUND,
 * _IO, _TOO_LARGE (over 1 MiB), _FORMAT (JSON syntax: msg names line and column;
 * or a bad value: msg names the layer) or _ARG (shapes). msg names the file. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_config_read(const char *path,
                                                                 cryptonn_model_config *cfg,
                                                                 char *msg, size_t msg_len);
/* The same from a model file's text (len bytes); name stands for the file
 * in messages. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_config_parse(const char *name,
                                                                  const char *text, size_t len,
                                                                  cryptonn_model_config *cfg,
                                                                  char *msg, size_t msg_len);

CRYPTONN_API const cryptonn_model_config *cryptonn_model_get_config(const cryptonn_model *m);
CRYPTONN_API uint32_t cryptonn_model_max_batch(const cryptonn_model *m);
CRYPTONN_API size_t cryptonn_model_input_size(const cryptonn_model *m);  /* floats per sample */
CRYPTONN_API size_t cryptonn_model_param_count(const cryptonn_model *m);
/* The parameters, layer by layer (weights then bias), as one block. */
CRYPTONN_API float *cryptonn_model_params(cryptonn_model *m);
/* SGD's momentum buffer, laid out as the parameters (param_count floats):
 * with the parameters, the whole optimizer state (checkpoints save both). */
CRYPTONN_API float *cryptonn_model_velocity(cryptonn_model *m);

/* ---- plain training and inference ---- */

/* Forward pass of n ≤ max_batch samples (x: n × input_size). Returns the
 * output probabilities (n × classes), valid until the next forward. x must stay
 * valid until the following backward (the first layer's gradient reads it). */
CRYPTONN_API const float *cryptonn_model_forward(cryptonn_model *m, const float *x, uint32_t n);

/* Training passes (on, the default) apply dropout; off, every pass is the
 * deterministic inference pass. Evaluation switches it off for its own
 * passes. Models without dropout compute the same either way. */
CRYPTONN_API void cryptonn_model_set_training(cryptonn_model *m, int on);

/* Backward pass after cryptonn_model_forward on the same n: gradients of the
 * loss for labels (n class indices < classes) for every layer. *loss (may be
 * NULL) gets the batch's summed per-sample loss, *correct (may be NULL) the
 * number of argmax hits. */
CRYPTONN_API void cryptonn_model_backward(cryptonn_model *m, const uint8_t *labels, uint32_t n,
                                          double *loss, uint32_t *correct);

typedef struct {
    float lr;
    float momentum;     /* 0: plain SGD */
    float weight_decay; /* L2, added to every gradient as in PyTorch */
} cryptonn_sgd;

/* Regression (CRYPTONN_OUTPUT_LINEAR): as cryptonn_model_backward with
 * targets (n × classes reals) in place of labels; *loss gets the batch's
 * summed ½ Σ_j (p_j − t_j)². */
CRYPTONN_API void cryptonn_model_backward_targets(cryptonn_model *m, const float *targets,
                                                  uint32_t n, double *loss);

/* v ← μ·v + (g + λ·w); w ← w − lr·v (PyTorch's SGD). Skips W1, b1 when the
 * first layer is frozen. */
CRYPTONN_API void cryptonn_model_sgd_step(cryptonn_model *m, const cryptonn_sgd *opt);

/* forward + backward + sgd_step. */
CRYPTONN_API void cryptonn_model_train_step(cryptonn_model *m, const float *x,
                                            const uint8_t *labels, uint32_t n,
                                            const cryptonn_sgd *opt, double *loss,
                                            uint32_t *correct);

/* ---- the first layer, for secure training ---- */

typedef struct {
    int is_conv;       /* 0: dense (input width → H), 1: convolution */
    uint32_t in_c, in_h, in_w;    /* dense: in_c = input width, in_h = in_w = 1 */
    uint32_t out_c, out_h, out_w; /* dense: out_c = H, out_h = out_w = 1 */
    uint32_t k;                   /* conv kernel side; dense: 0 */
    uint32_t stride, pad;         /* conv; dense: 1, 0 */
    size_t z1_size;    /* floats of Z1 per sample: out_c·out_h·out_w */
    size_t nw, nb;     /* weight and bias counts */
    /* Live views, changed by every sgd_step. Dense: W1[o·in_c + i].
     * Conv: W1[((o·in_c + c)·k + u)·k + v]; its pre-activation is
     * Z1[o][i][j] = Σ_{c,u,v} W1[o][c][u][v] · x[c][i·s+u−p][j·s+v−p] (+ b1[o])
     * with s = stride, p = pad and x = 0 outside the image. */
    const float *w;
    const float *b;
} cryptonn_first_layer;

CRYPTONN_API void cryptonn_model_first_layer(const cryptonn_model *m, cryptonn_first_layer *out);

/* Forward pass from an externally computed first-layer product:
 * z1 (n × z1_size, NCHW for conv) holds W1·x for each sample, WITHOUT the bias;
 * the model adds b1 and runs layers 2..L. Returns the probabilities as
 * cryptonn_model_forward does. */
CRYPTONN_API const float *cryptonn_model_forward_from_z1(cryptonn_model *m, const float *z1,
                                                         uint32_t n);

/* Backward pass from an externally provided output error: err (n × classes)
 * holds p − y per sample (p: this model's outputs of the last forward,
 * y: one-hot label, or the targets of a LINEAR model). It is scaled by the
 * reduction (1/n for MEAN) and run through the loss's derivative (CE and
 * LINEAR's MSE: identity; softmax MSE: the softmax Jacobian), then through
 * layers L..2. Computes the gradients of layers 2..L and
 * db1 = Σ_b dZ1_b, and returns dZ1 (n × z1_size), the gradient of the reduced
 * loss w.r.t. the first layer's pre-activation, valid until the next
 * forward. The first-layer weight gradient is then
 *   dense: dW1[o][i] = Σ_b dZ1[b][o] · x_b[i]
 *   conv:  dW1[o][c][u][v] = Σ_b Σ_{i,j} dZ1[b][o][i][j] · x_b[c][i·s+u−p][j·s+v−p]
 * and must be supplied with cryptonn_model_set_first_layer_grad before the step:
 * this function leaves dW1 zero, even after a plain forward. */
CRYPTONN_API const float *cryptonn_model_backward_from_error(cryptonn_model *m, const float *err,
                                                             uint32_t n);

/* dZ1 of the last backward (either kind), n × z1_size. */
CRYPTONN_API const float *cryptonn_model_dz1(const cryptonn_model *m);

/* Sets the first layer's gradient for the next sgd_step: dW1 (nw floats,
 * layout of cryptonn_first_layer.w); db1 may be NULL to keep the model's own
 * Σ dZ1. Ignored (the step skips the layer) when the first layer is frozen. */
CRYPTONN_API void cryptonn_model_set_first_layer_grad(cryptonn_model *m, const float *dw1,
                                                      const float *db1);

/* The first layer's gradient as the last backward left it (read-only). */
CRYPTONN_API void cryptonn_model_first_layer_grad(const cryptonn_model *m, const float **dw1,
                                                  const float **db1);

/* ---- files ---- */

/* Saves configuration and parameters in a "MODL" container (atomic write,
 * BLAKE2b checksum). Returns CRYPTONN_OK or CRYPTONN_ERR_IO. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_save(const cryptonn_model *m,
                                                          const char *path);
/* Loads a model saved by cryptonn_model_save. Fails with the container's
 * status (IO, FORMAT, VERSION, TRUNCATED, CHECKSUM, TOO_LARGE), FORMAT for an
 * invalid configuration, or MISMATCH when the stored parameter count does not
 * fit the stored architecture. *out is NULL on failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_load(const char *path, uint32_t max_batch,
                                                          uint32_t threads, cryptonn_model **out);
/* Loads parameters into an existing model; CRYPTONN_ERR_MISMATCH when the file
 * holds another architecture (the model is then unchanged). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_load_into(cryptonn_model *m,
                                                               const char *path);

/* ---- data ---- */

/* n images of rows × cols pixels as floats in [0, 1] (pixel / 255), and
 * their labels. Free with cryptonn_dataset_free. */
typedef struct {
    uint32_t n, rows, cols;
    float *x;   /* n × rows·cols */
    uint8_t *y; /* n */
} cryptonn_dataset;

/* Reads an IDX image file (magic 0x00000803) and an IDX label file (magic
 * 0x00000801) and keeps the first `limit` samples (0: all). Checks magic,
 * dimensions (1..4096 per side), the exact file lengths, equal counts and labels
 * < 10, and fails with CRYPTONN_ERR_IO, _FORMAT (magic, dimensions, trailing
 * bytes, label value), _TRUNCATED (shorter than declared) or _MISMATCH (the
 * two files disagree on the count). msg (may be NULL) receives a
 * human-readable reason. out is zeroed on failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_idx_load(const char *images_path,
                                                        const char *labels_path, uint32_t limit,
                                                        cryptonn_dataset *out, char *msg,
                                                        size_t msg_len);
/* The MNIST training (train = 1) or test set from dir (train-images-idx3-ubyte,
 * ... as tools/fetch-mnist writes them). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_mnist_load(const char *dir, int train,
                                                          uint32_t limit, cryptonn_dataset *out,
                                                          char *msg, size_t msg_len);
CRYPTONN_API void cryptonn_dataset_free(cryptonn_dataset *d);

/* ---- epochs ---- */

typedef struct {
    double loss_sum;  /* summed per-sample loss */
    uint64_t correct; /* argmax hits during training */
    uint64_t seen;
} cryptonn_epoch_stats;

/* Called after every batch with the statistics so far (may be NULL). */
typedef void (*cryptonn_batch_cb)(void *ctx, uint64_t batch_index, uint64_t batches,
                                  const cryptonn_epoch_stats *so_far);

/* One epoch of plain training over d in a seeded shuffled order, batch ≤
 * max_batch, the last batch partial. Returns CRYPTONN_ERR_ARG when d's sample
 * size does not match the model or a label is ≥ classes. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_train_epoch(
    cryptonn_model *m, const cryptonn_dataset *d, uint32_t batch, const cryptonn_sgd *opt,
    uint64_t shuffle_seed, cryptonn_batch_cb cb, void *cb_ctx, cryptonn_epoch_stats *stats);

/* The seeded order cryptonn_model_train_epoch uses: a uniform permutation of
 * [0, n) (Fisher–Yates over xoshiro256**), written to order. */
CRYPTONN_API void cryptonn_shuffle_order(uint64_t seed, uint32_t n, uint32_t *order);

/* One epoch over d in the given order (d->n indices < d->n; NULL: 0, 1, ...),
 * otherwise as cryptonn_model_train_epoch. Lets another implementation
 * (bench/torch_lenet5.py) see exactly the same batches. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_train_epoch_ordered(
    cryptonn_model *m, const cryptonn_dataset *d, uint32_t batch, const cryptonn_sgd *opt,
    const uint32_t *order, cryptonn_batch_cb cb, void *cb_ctx, cryptonn_epoch_stats *stats);

/* Accuracy on d; confusion (may be NULL) receives classes × classes counts,
 * row = true class, column = predicted. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_evaluate(cryptonn_model *m,
                                                              const cryptonn_dataset *d,
                                                              double *accuracy,
                                                              uint64_t *confusion);

/* A view of records for any model (nothing owned): n records of `size`
 * floats, with class labels (SOFTMAX models) or targets, n × `outputs`
 * reals (LINEAR models). cryptonn_dataset is the classification case. */
typedef struct {
    uint32_t n;
    size_t size;
    uint32_t outputs; /* targets per record (LINEAR); 0 with labels */
    const float *x;
    const uint8_t *y; /* n labels, or NULL */
    const float *t;   /* n × outputs targets, or NULL */
} cryptonn_samples;

/* The dataset as a view. */
CRYPTONN_API void cryptonn_samples_of(const cryptonn_dataset *d, cryptonn_samples *out);

/* cryptonn_model_train_epoch_ordered for any model: labels or targets as the
 * model's output needs. CRYPTONN_ERR_ARG when the records do not fit the
 * model (size, label ≥ classes, targets missing or of another width). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_train_samples(
    cryptonn_model *m, const cryptonn_samples *s, uint32_t batch, const cryptonn_sgd *opt,
    const uint32_t *order, cryptonn_batch_cb cb, void *cb_ctx, cryptonn_epoch_stats *stats);

/* Classification: *metric = accuracy, confusion as cryptonn_model_evaluate.
 * Regression: *metric = root mean squared error over all outputs (in the
 * model's target units), confusion unused. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_model_evaluate_samples(cryptonn_model *m,
                                                                      const cryptonn_samples *s,
                                                                      double *metric,
                                                                      uint64_t *confusion);

#ifdef __cplusplus
}
#endif
#endif
