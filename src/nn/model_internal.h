/* nn internals: the model object shared by model.c, builders.c, sgd.c,
 * serialize.c and train.c.
 *
 * Invariants: layers[0] is the first layer (dense or conv) and the only one
 * whose input is external; act[i + 1] is the output of layers[i] for up to
 * max_batch samples and dact[i] the loss gradient with respect to act[i]
 * (i ≥ 1), so act[nl] holds the logits and dact[1] is dZ1.
 *
 * A batch is cut into groups of `group` consecutive samples, handed to the
 * threads dynamically (a thread slowed by other load does fewer). Each group
 * accumulates its parameter gradient into its own block of gblk (conv
 * backward's dcol scratch is per thread instead), and the
 * blocks are summed in group order into grad: the result never depends on
 * which thread ran which group, so training is bit-for-bit reproducible. */
#ifndef CRYPTONN_NN_MODEL_INTERNAL_H
#define CRYPTONN_NN_MODEL_INTERNAL_H

#include "cryptonn/nn.h"
#include "nn/layers.h"
#include "nn/workers.h"

#define NN_MAX_LAYERS CRYPTONN_MAX_LAYERS
#define NN_MAX_THREADS 64
#define NN_MAX_GROUPS 16

struct cryptonn_model {
    cryptonn_model_config cfg;
    uint32_t max_batch, threads;
    int nl;
    nn_layer layers[NN_MAX_LAYERS];
    size_t nparams;
    float *params, *vel, *grad;
    float *gblk;               /* max_groups blocks of nparams floats */
    uint32_t group, max_groups;
    nn_workers pool;
    int pool_started;
    float *act[NN_MAX_LAYERS + 1], *dact[NN_MAX_LAYERS + 1];
    float *col[NN_MAX_LAYERS]; /* conv layers: im2col of the batch; dropout: its mask */
    float *dcol;               /* per thread, dcol_size floats each */
    size_t dcol_size;
    float *prob, *err;         /* max_batch × classes (LINEAR: prob = the outputs) */
    float *batch_x;            /* gather buffers of train_epoch */
    uint8_t *batch_y;
    float *batch_t;            /* LINEAR only: max_batch × classes targets */
    int training;              /* dropout on in forward passes */
    int masked;                /* the last forward applied dropout masks */
    uint64_t passes;           /* training forwards so far: the masks' counter */
    const float *input;        /* x of the last forward; NULL after forward_from_z1 */
    uint32_t n_fwd;            /* samples of the last forward */
};

/* builders.c: checks cfg's ranges; fills m->layers, m->nl and the parameter
 * offsets, and returns the parameter count. */
int nn_config_valid(const cryptonn_model_config *cfg);
size_t nn_build_layers(cryptonn_model *m);

/* plan.c: the checks and shapes of a CRYPTONN_ARCH_LAYERS config. Fills
 * out[0 .. *nl) with the engine's layers (flatten has none) and info (may be
 * NULL) with one entry per listed layer. Returns 1, or 0 with the reason in
 * msg (may be NULL). */
int nn_plan(const cryptonn_model_config *cfg, nn_layer *out, int *nl, cryptonn_layer_info *info,
            char *msg, size_t msg_len);
/* PyTorch's default initialisation from cfg.seed. */
void nn_init_params(cryptonn_model *m);

#endif
