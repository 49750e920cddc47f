/* cryptonn server: the training server's side of CryptoNN (DESIGN.md §3).
 *
 * A trainer holds an encrypted dataset, a key service to the authority and a
 * discrete-log solver; it trains a plaintext model whose first layer runs
 * under encryption: per batch it asks for function keys for the first layer
 * (Z1 = W1·x), for the output error (FEBO "−" on the encrypted labels) and,
 * in paper mode, for the first-layer gradient; everything it learns about the
 * data comes through those keys. In strict mode the first layer is the
 * authority's committed one, installed frozen (cryptonn_trainer_fit_model),
 * and only the layers above it train.
 *
 * Results are bit-for-bit reproducible for a given seed, batch order and
 * thread count, and the same whether keys come in process or over HTTP. */
#ifndef CRYPTONN_SERVER_H
#define CRYPTONN_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/encdata.h"
#include "cryptonn/nn.h"
#include "cryptonn/status.h"
#include "cryptonn/transport.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    cryptonn_sgd sgd;         /* learning rate, momentum, weight decay */
    unsigned w_bits;          /* first-layer weights quantized to this many bits (8) */
    unsigned dz_bits;         /* paper mode: dZ1 quantized to this many bits (12) */
    uint64_t seed;            /* batch order */
    uint32_t threads;         /* decryption threads (2) */
    uint64_t max_batches;     /* per epoch, 0: all */
    int progress;             /* a progress line on stderr (0) */
    unsigned dlog_table_bits; /* discrete-log baby steps ±2^bits (21) */
    uint64_t z1_cache_mb;     /* strict mode: memory for the frozen layer's decrypted
                                 outputs, reused across epochs (2048; 0: off) */
    const char *cache_dir;    /* where the discrete-log table is cached (NULL: none) */
    /* Called after every completed batch (may be NULL): batches_done counts
     * from the start of the epoch's order. A status other than CRYPTONN_OK
     * stops the epoch with it (a failed checkpoint, a cancellation). */
    int (*on_batch)(void *ctx, uint32_t epoch, uint64_t batches_done);
    void *on_batch_ctx;
} cryptonn_trainer_opts;

CRYPTONN_API void cryptonn_trainer_opts_default(cryptonn_trainer_opts *o);

typedef struct {
    double seconds_load, seconds_keys, seconds_first_layer, seconds_output_error,
        seconds_gradient, seconds_plain;
    uint64_t batches, samples;
    uint64_t keys_first_layer, keys_output_error, keys_gradient; /* keys received */
    double loss_sum;  /* cross-entropy of the predictions against the decrypted errors */
    uint64_t correct; /* argmax hits in the permuted classes */
} cryptonn_train_stats;

/* The phase times of st on one line for a terminal, newline included:
 * "LABEL: T s = load .. + keys .. + first layer .. + output error .. +
 * gradient .. + plaintext ..", cut to fit len bytes, NUL-terminated. */
CRYPTONN_API void cryptonn_train_stats_line(const cryptonn_train_stats *st, const char *label,
                                            char *buf, size_t len);

typedef struct cryptonn_trainer cryptonn_trainer;

/* train must outlive the trainer, and so must ks. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_create(cryptonn_trainer **out,
                                                              const cryptonn_encdata *train,
                                                              cryptonn_keyservice *ks,
                                                              const cryptonn_trainer_opts *o);
CRYPTONN_API void cryptonn_trainer_destroy(cryptonn_trainer *t);

/* Fits a model configuration to the dataset: the records' shape and classes
 * (a regression target: a linear output). In strict mode the first layer is
 * the committed one, frozen: a LeNet-5 or MLP config keeps its shape when the
 * committed layer fits it, a layer list (a model file, a PyTorch net) must
 * begin with the committed layer, and anything else becomes the committed
 * layer, ReLU, dense `hidden` (128 if 0), ReLU, dense `classes`. msg names a
 * misfit (CRYPTONN_ERR_MISMATCH). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_fit_config(const cryptonn_trainer *t,
                                                                  cryptonn_model_config *cfg,
                                                                  char *msg, size_t msg_len);

/* Creates a model for this trainer from a fitted config (strict mode: with
 * the committed weights installed). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_model_create(cryptonn_trainer *t,
                                                                    const cryptonn_model_config *cfg,
                                                                    cryptonn_model **m, char *msg,
                                                                    size_t msg_len);

/* Training resumes from this batch of the next epoch's order (0 after it). */
CRYPTONN_API void cryptonn_trainer_set_start_batch(cryptonn_trainer *t, uint64_t batch);

/* One epoch (epoch seeds the batch order). st (may be NULL) gets this
 * epoch's figures. On a failure (a policy refusal, a bound overflow) the model
 * holds the weights of the last completed step and msg names the reason. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_epoch(cryptonn_trainer *t,
                                                             cryptonn_model *m, uint32_t epoch,
                                                             cryptonn_train_stats *st, char *msg,
                                                             size_t msg_len);

/* Secure prediction: the permuted class of every sample of test (pred has
 * room for its sample count; cryptonn_owner_unpermute turns them into true
 * classes on the owners' side). Dropout is off in predictions. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_predict(cryptonn_trainer *t,
                                                               cryptonn_model *m,
                                                               const cryptonn_encdata *test,
                                                               uint8_t *pred, char *msg,
                                                               size_t msg_len);

/* The same with the model's outputs: outputs (may be NULL) gets samples ×
 * outputs values (probabilities, or a regression model's predictions on the
 * data spec's scaled grid); pred may then be NULL. st (may be NULL) gets the
 * prediction's figures. Dropout is off in predictions. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_predict_outputs(
    cryptonn_trainer *t, cryptonn_model *m, const cryptonn_encdata *test, uint8_t *pred,
    float *outputs, cryptonn_train_stats *st, char *msg, size_t msg_len);

/* ---- the run's report ---- */

/* The owners' figure of an epoch's secure prediction, for the report:
 * accuracy in [0, 1], or a regression's RMSE in the target's units (< 0:
 * not measured, the default). */
CRYPTONN_API void cryptonn_trainer_note_test(cryptonn_trainer *t, uint32_t epoch, double metric);

typedef struct {
    const char *title;          /* NULL: "Secure training report" */
    const char *settings;       /* free text, one "key: value" per line (may be NULL) */
    double seconds_encrypt;     /* the owners' encryption of the training set (< 0: not
                                   measured in this run) */
    const char *audit_markdown; /* the owners' audit of what the server holds, if it ran
                                   (cryptonn_audit_format_result; may be NULL) */
    const char *audit_text;     /* the same for a terminal (may be NULL) */
} cryptonn_report_opts;

typedef enum {
    CRYPTONN_REPORT_MARKDOWN = 0, /* settings, figures and time per epoch, then the leakage
                                     report ("What the server learned") */
    CRYPTONN_REPORT_TEXT = 1      /* the leakage report alone, short, for a terminal */
} cryptonn_report_format;

/* The report of the epochs t ran with model m, its leakage account from the
 * authority a's counters and mode (in process: the authority that answered
 * t's key requests) and m's first layer. *text NUL-terminated; free it with
 * cryptonn_free. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_trainer_report(const cryptonn_trainer *t,
                                                              const cryptonn_authority *a,
                                                              const cryptonn_model *m,
                                                              const cryptonn_report_opts *o,
                                                              cryptonn_report_format fmt,
                                                              char **text);

/* Checkpoints: parameters, optimizer state and position (epoch, batches done
 * in it), in one file written atomically. Loading checks that it fits the
 * model and leaves the model unchanged otherwise. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_checkpoint_save(const char *path,
                                                               cryptonn_model *m, uint32_t epoch,
                                                               uint64_t batches_done);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_checkpoint_load(const char *path,
                                                               cryptonn_model *m,
                                                               uint32_t *epoch,
                                                               uint64_t *batches_done);

#ifdef __cplusplus
}
#endif
#endif
