/* train: the training server's side of CryptoNN (DESIGN §3). The server holds
 * the model in plaintext and an encrypted dataset; everything it learns about
 * the data comes through function keys from the authority (a cn_keysource):
 *   1. first layer forward:  FEIP keys for the quantized W1 (one per dense row,
 *      or per conv filter and position) on every sample ciphertext → Z1;
 *   2. layers 2..L in plaintext;
 *   3. output error: FEBO "−" keys with the server's quantized prediction on
 *      the encrypted (permuted) one-hot labels → y − p;
 *   4. backward in plaintext down to dZ1;
 *   5. first-layer gradient: FEIP keys over the batch ciphertext whose vectors
 *      hold the quantized dZ1 → Σ_b dZ1_b ⊗ x_b (skipped for a frozen layer);
 *   6. SGD step.
 * No function here takes plaintext pixels or labels: the only inputs are the
 * encrypted dataset, the key source and the model.
 *
 * Fixed point: inputs are the integers X of the dataset's params (encdata.h),
 * x = X / x_den with |X| <= x_max: MNIST's pixels 0..255 (x = v/255), or a
 * data spec's records on its grid. W1 and dZ1 get a power-of-two scale per
 * update (per batch for dZ1) chosen so the largest magnitude uses `w_bits` /
 * `dz_bits` bits; the prediction p uses the dataset's label scale y_den
 * (clamped to the labels' range). Before any decryption the bound of every
 * key (x_max·||y||_1) and of the output error (cn_enc_err_max) is checked
 * against the discrete-log bound: an overflow stops training with
 * CRYPTONN_ERR_RANGE, never a wrapped value. */
#ifndef CRYPTONN_SECURE_TRAIN_H
#define CRYPTONN_SECURE_TRAIN_H

#include <stdint.h>

#include "cryptonn/dlog.h"
#include "cryptonn/nn.h"
#include "secure/encdata.h"
#include "secure/keyreq.h"

/* Seconds per phase and counts, accumulated across calls. */
typedef struct {
    double t_load, t_keys, t_fwd, t_err, t_grad, t_plain;
    uint64_t batches, samples;
    uint64_t keys_fwd, keys_err, keys_grad; /* keys received */
    uint64_t dec_fwd, dec_err, dec_grad;    /* results decrypted */
    double loss_sum;                        /* cross-entropy of p against the decrypted y */
    uint64_t correct;                       /* argmax hits (permuted classes) */
} cn_secure_stats;

typedef struct {
    cryptonn_sgd sgd;
    unsigned w_bits;      /* W1 quantization (default 8) */
    unsigned dz_bits;     /* dZ1 quantization (default 12) */
    uint64_t seed;        /* batch-order shuffle */
    uint32_t threads;     /* decryption threads (default 2) */
    uint64_t max_batches; /* per epoch, 0: all */
    int progress;         /* progress line on stderr */
    unsigned dlog_table_bits; /* baby steps ±2^bits (default 21; tests use less) */
    uint64_t start_batch;     /* resume: skip the first start_batch batches of the epoch's order */
    uint64_t z1_cache_mb;     /* memory for decrypted first-layer outputs of a frozen
                                 layer, reused across epochs (default 2048; 0: off) */
    /* Called after every completed batch (may be NULL): batches_done counts
     * from the start of the epoch's order. A non-zero return stops the epoch
     * with that status (e.g. a failed checkpoint, or a cancellation). */
    int (*on_batch)(void *ctx, uint32_t epoch, uint64_t batches_done, const cn_secure_stats *epoch_so_far);
    void *on_batch_ctx;
} cn_secure_opts;

void cn_secure_opts_default(cn_secure_opts *o);


/* a += b, field by field. */
void cn_secure_stats_add(cn_secure_stats *a, const cn_secure_stats *b);

/* The server's decryption context: a discrete-log solver sized for the
 * bounds above (built once, cached on disk under cache_dir if not NULL). */
typedef struct cn_server cn_server;
int cn_server_create(cn_server **out, const cn_encdata *ds, cn_keysource *ks,
                     const cn_secure_opts *o, const char *cache_dir);
void cn_server_destroy(cn_server *s);
const cryptonn_dlog *cn_server_dlog(const cn_server *s);

/* The position the next epoch starts from (cn_secure_opts.start_batch), e.g.
 * 0 again after resuming in the middle of an epoch. */
void cn_server_set_start_batch(cn_server *s, uint64_t batch);

/* One epoch of secure training. epoch seeds the batch order. On a failure
 * (policy refusal, budget, overflow) the model holds the weights of the last
 * completed step; msg names the reason. */
int cn_server_train_epoch(cn_server *s, cryptonn_model *m, uint32_t epoch, cn_secure_stats *st,
                          char *msg, size_t msg_len);

/* Secure prediction: the (permuted) class of every sample of a dataset of
 * sample ciphertexts (out: cn_encdata_samples entries). */
int cn_server_predict(cn_server *s, cryptonn_model *m, const cn_encdata *test, uint8_t *out,
                      cn_secure_stats *st, char *msg, size_t msg_len);
/* The same with the model's outputs too: outputs (may be NULL) gets
 * samples × classes values (probabilities, or a regression model's
 * predictions on the spec's scaled grid); out may then be NULL. */
int cn_server_predict_outputs(cn_server *s, cryptonn_model *m, const cn_encdata *test,
                              uint8_t *out, float *outputs, cn_secure_stats *st, char *msg,
                              size_t msg_len);

/* Checkpoints: the model's parameters and optimizer state, where training
 * stands (epoch, batches done in it) and the epoch's statistics so far, in one
 * container "CKPT" written atomically. Loading checks that the checkpoint
 * fits the model (parameter count) and leaves the model unchanged otherwise. */
int cn_checkpoint_save(const char *path, cryptonn_model *m, uint32_t epoch, uint64_t batches_done,
                       const cn_secure_stats *st);
int cn_checkpoint_load(const char *path, cryptonn_model *m, uint32_t *epoch,
                       uint64_t *batches_done, cn_secure_stats *st);

/* Helpers shared with tests: the power-of-two exponent e with
 * max|v|·2^e <= 2^bits - 1 (clamped to [-30, 40]; 0 for an all-zero v), and
 * out[i] = round(v[i]·2^e). */
int cn_quant_exponent(const float *v, size_t n, unsigned bits);
void cn_quant(const float *v, size_t n, int e, int64_t *out);
/* The order of batches in an epoch: a seeded Fisher–Yates permutation. */
void cn_batch_order(uint64_t seed, uint32_t epoch, uint64_t nbatches, uint64_t *order);

#endif
