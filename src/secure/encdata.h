/* encdata: an encrypted dataset on disk, as data owners write it and the
 * training server reads it (DESIGN §2, §3).
 *
 * Directory layout (every file a cryptonn container, so truncated, corrupted,
 * foreign or future files are refused by the reader):
 *   DIR/params.bin                      "EDPR" cn_enc_params + the three mpks
 *   DIR/part-NAME/index.bin             "EDIX" samples, batches, flags
 *   DIR/part-NAME/batch-NNNNNN.bin      "EBAT" one fixed batch (below)
 * One part per data owner (client); several owners add parts under the same
 * mpks and the server trains on the union. Within a part, batch t holds the
 * owner's samples [t·B, t·B + n), n = B except possibly the last. Batch
 * composition is fixed at encryption (the batch ciphertext binds it); the
 * server shuffles the ORDER of batches each epoch.
 *
 * params.bin is version 1 in paper mode; version 2 (strict mode) adds a u32
 * mode after the seven parameters, has an empty batch mpk (length 0) and
 * ends with the committed first layer (u64 length, cn_fl_layer_encode).
 * Version 3 (any records, either mode): the eight u32 of version 2, u32
 * channels, u32 task, u64 x_den, x_max, y_den, y_max, then all four
 * length-prefixed pieces (the batch mpk empty in strict mode, the layer
 * empty in paper mode).
 * An EBAT payload: u32 n, u32 flags (1 labels, 2 batch ciphertext), then
 *   the n sample ciphertexts, each as its FEIP export (IPCT bytes),
 *   if labels: n × classes FEBO ciphertexts, each as its export bytes,
 *   if batch ciphertext: one FEIP ciphertext (IPCT bytes) of B × slots slots,
 *      slot b·slots + i holding pixel i of sample b (zero for b >= n),
 * each preceded by its u64 length. Nothing in any file is plaintext data.
 * (H5: samples are separate IPCTs rather than one IPCB so that both cores
 * can encode and decode them: points cost an inverse square root each.) */
#ifndef CRYPTONN_SECURE_ENCDATA_H
#define CRYPTONN_SECURE_ENCDATA_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/data.h"
#include "cryptonn/febo.h"
#include "cryptonn/feip.h"
#include "secure/firstlayer.h"

/* Public parameters every party agrees on: only what the server needs to
 * train (shape, fixed-point scales, class count), never the owners'
 * statistics (offsets and scales stay in the owners' data spec).
 *
 * An encrypted input is an integer X standing for the value X / x_den with
 * |X| <= x_max; a label entry is an integer Y standing for Y / y_den with
 * |Y| <= y_max: one-hot entries 0 or y_den (classification), or a target
 * on its fixed-point grid (regression, one entry per record). A version 1
 * or 2 params.bin (MNIST) leaves the generic fields 0; the cn_enc_* helpers
 * below then give MNIST's values (pixels 0..255 standing for v/255, labels
 * y·2^label_scale_bits). Version 3 carries them. */
typedef struct {
    uint32_t rows, cols;        /* H × W (28 × 28) */
    uint32_t slots;             /* channels·rows·cols = width of the samples mpk */
    uint32_t batch;             /* B: samples per batch ciphertext */
    uint32_t classes;           /* label entries per record: classes (10), 1 for regression */
    uint32_t pixel_bits;        /* every |X| < 2^pixel_bits (8) */
    uint32_t label_scale_bits;  /* classification: y_den = 2^label_scale_bits */
    uint32_t mode;              /* CN_MODE_PAPER or CN_MODE_STRICT (DESIGN §5) */
    uint32_t channels;          /* C (0: 1) */
    uint32_t task;              /* CN_TASK_CLASSIFY or CN_TASK_REGRESS */
    uint64_t x_den, x_max;      /* 0: 2^pixel_bits − 1 each (and X >= 0) */
    uint64_t y_den, y_max;      /* 0: 2^label_scale_bits each */
} cn_enc_params;

enum { CN_TASK_CLASSIFY = 0, CN_TASK_REGRESS = 1 };

uint32_t cn_enc_channels(const cn_enc_params *p);
uint64_t cn_enc_x_den(const cn_enc_params *p);
uint64_t cn_enc_x_max(const cn_enc_params *p);
uint64_t cn_enc_y_den(const cn_enc_params *p);
uint64_t cn_enc_y_max(const cn_enc_params *p);
/* The largest |Y − P| the output error can decrypt: the server's P is
 * clamped to [0, y_den] (classification) or [−y_max, y_max] (regression). */
uint64_t cn_enc_err_max(const cn_enc_params *p);

/* The discrete-log bound a training server solves every decryption within
 * (server.c sizes its table for it): the largest value any of its keys or
 * its output error may reach. */
#define CN_ENC_DLOG_BOUND ((uint64_t)1 << 36)
/* CRYPTONN_ERR_RANGE, msg giving the arithmetic, when the output error of
 * records under p (cn_enc_err_max) can exceed CN_ENC_DLOG_BOUND: no server
 * could ever train on them. */
int cn_enc_check_err_bound(const cn_enc_params *p, char *msg, size_t msg_len);

/* Paper mode: the server chooses the first layer and trains it (batch mpk
 * for the gradient). Strict mode: the authority's committed first layer
 * (cn_enc_mpks.layer), no batch mpk; params.bin is then version 2. */
enum { CN_MODE_PAPER = 0, CN_MODE_STRICT = 1 };

/* Fills the defaults: MNIST 28×28, B = 64, 10 classes, 8-bit pixels, labels
 * scaled by 2^16. */
void cn_enc_params_default(cn_enc_params *p);

/* Parameters for records under a data spec (cryptonn/data.h): its shape,
 * its inputs' fixed-point scale and bound, its classes or its target's
 * scale and bound; batch B, paper mode. CRYPTONN_ERR_RANGE (msg says why)
 * when the spec's integers are too large to encrypt (|X| < 2^30, |Y| < 2^40)
 * or to train (cn_enc_check_err_bound), or the shape too wide for a batch
 * ciphertext. */
int cn_enc_params_from_spec(cn_enc_params *p, const cryptonn_data_spec *spec, uint32_t batch,
                            char *msg, size_t msg_len);
/* 1 when a and b describe the same records and labels (shape, fixed point,
 * task, classes), whatever their batch size and mode. */
int cn_enc_params_same_records(const cn_enc_params *a, const cn_enc_params *b);

/* A model for the records of p (whose output error must fit the server's
 * bound, cn_enc_check_err_bound): a layer-list model gets their shape when it
 * states none (and must otherwise take p->slots values; a conv2d first
 * layer, p's very image shape); a built-in model gets p's classes (a linear
 * output and MSE for a regression target).
 * CRYPTONN_ERR_MISMATCH with the reason in msg when it does not fit
 * (CRYPTONN_ERR_RANGE for the bound). */
int cn_enc_fit_model(const cn_enc_params *p, cryptonn_model_config *cfg, char *msg,
                     size_t msg_len);

/* The public keys of a dataset (owned by whoever created/loaded them). */
typedef struct {
    cryptonn_feip_mpk *samples; /* slots */
    cryptonn_feip_mpk *batch;   /* batch × slots; NULL in strict mode */
    cryptonn_febo_mpk *labels;
    cn_fl_layer *layer;         /* strict mode: the committed first layer; NULL in paper mode */
} cn_enc_mpks;
void cn_enc_mpks_free(cn_enc_mpks *k);

/* The 16-byte id every FEBO ciphertext of this labels mpk carries. */
int cn_enc_labels_id(const cryptonn_febo_mpk *m, uint8_t id[16]);

/* One fixed batch in memory. */
typedef struct {
    uint32_t n;              /* samples in the batch, 1..B */
    uint32_t classes;        /* entries per sample in y (the reader sets it; H5: added so
                                cn_enc_batch_free can free y without the params) */
    cryptonn_feip_ct **x;    /* n sample ciphertexts */
    cryptonn_febo_ct **y;    /* n × classes label ciphertexts (sample-major), or NULL */
    cryptonn_feip_ct *xb;    /* the batch ciphertext, or NULL; from cn_encdata_read_batch_part
                                a slice of it (scheme/feip_slice.h) */
    size_t xb_off;           /* the batch ciphertext's slot where xb begins */
} cn_enc_batch;
/* Frees the members (x's n ciphertexts and the array, y's n × classes
 * ciphertexts and the array, xb), not b; b is zeroed. */
void cn_enc_batch_free(cn_enc_batch *b);

/* Writes DIR/params.bin (atomic). If it exists, succeeds only when it holds
 * the same parameters and mpks (CRYPTONN_ERR_MISMATCH otherwise): a second
 * owner adding a part must use the same keys. */
int cn_encdata_init(const char *dir, const cn_enc_params *p, const cn_enc_mpks *k);
/* Reads DIR/params.bin. mpks may be NULL. */
int cn_encdata_read_params(const char *dir, cn_enc_params *p, cn_enc_mpks *k);
/* The same from a params file at any path (what the authority gives owners). */
int cn_encdata_read_params_file(const char *path, cn_enc_params *p, cn_enc_mpks *k);

/* Writes one batch file of a part (creating DIR/part-NAME/ as needed), and the
 * part's index once all its batches are written. */
int cn_encdata_write_batch(const char *dir, const char *part, uint64_t index,
                           const cn_enc_params *p, const cn_enc_batch *b);
int cn_encdata_write_index(const char *dir, const char *part, uint64_t samples, uint64_t batches,
                           uint32_t flags);

/* A dataset opened for reading: every complete part (a part without an
 * index, e.g. an interrupted upload, is skipped and reported in *skipped). */
typedef struct cn_encdata cn_encdata;
int cn_encdata_open(cn_encdata **out, const char *dir, uint32_t *skipped);
void cn_encdata_close(cn_encdata *d);
const cn_enc_params *cn_encdata_params(const cn_encdata *d);
const cn_enc_mpks *cn_encdata_mpks(const cn_encdata *d);
uint64_t cn_encdata_samples(const cn_encdata *d);
uint64_t cn_encdata_batches(const cn_encdata *d);
uint32_t cn_encdata_flags(const cn_encdata *d); /* flags every part has */
/* Loads global batch i (parts in name order, batches in index order) and
 * checks it against the parameters and mpks. */
int cn_encdata_read_batch(const cn_encdata *d, uint64_t i, cn_enc_batch *out);
/* The part (its name, owned by d) global batch i comes from, and the
 * batch's index in that part; CRYPTONN_ERR_NOT_FOUND past the last batch. */
int cn_encdata_batch_source(const cn_encdata *d, uint64_t i, const char **part, uint64_t *local);
/* Share `part` of `parts` of global batch i, for the ranks of an mpirun job
 * (secure/dist.h: rank and size). Every piece of the file is checked (its
 * length and mpk id) and the labels are decoded, but only the samples of
 * share `part` (cn_dist_range(n, lead, part, parts): out->x holds NULL for
 * the others) and,
 * of the batch ciphertext of W = B × slots slots, ct_0 and the slots
 * [W·part/parts, W·(part+1)/parts), as a slice beginning at out->xb_off.
 * The parts together decode every point once. parts = 1 is
 * cn_encdata_read_batch. CRYPTONN_ERR_ARG when part >= parts or the batch
 * ciphertext has fewer than `parts` slots. */
int cn_encdata_read_batch_part(const cn_encdata *d, uint64_t i, uint32_t part, uint32_t parts,
                               uint32_t lead, cn_enc_batch *out);
/* The same, checking every part of the file but decoding only the labels
 * and the batch ciphertext: out->x holds n NULLs (the server's Z1 cache
 * already has the samples' first layer). */
int cn_encdata_read_batch_labels(const cn_encdata *d, uint64_t i, cn_enc_batch *out);

/* 1 if s is a valid part name, [A-Za-z0-9_-]{1,64} (it becomes a path
 * component, so nothing else is allowed). NULL gives 0. */
int cn_part_name_ok(const char *s);

#define CN_ENC_LABELS 1u
#define CN_ENC_BATCHCT 2u

#endif
