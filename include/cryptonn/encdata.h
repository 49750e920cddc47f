/* cryptonn encrypted dataset: the directory data owners write and the
 * training server reads (DESIGN.md §2, §3). params.bin holds the public
 * parameters and keys; every owner adds a part (part-NAME/) of fixed batches,
 * each batch file a checksummed container of sample ciphertexts, label
 * ciphertexts and, in paper mode, the batch ciphertext. A part without its
 * index (an interrupted encryption or upload) is skipped by readers. Nothing
 * in the directory is plaintext data. */
#ifndef CRYPTONN_ENCDATA_H
#define CRYPTONN_ENCDATA_H

#include <stdint.h>

#include "cryptonn/authority.h"
#include "cryptonn/febo.h"
#include "cryptonn/feip.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cryptonn_encdata cryptonn_encdata;

/* Opens every complete part of the dataset in dir; *skipped (may be NULL)
 * counts incomplete parts. Corrupted or foreign files fail with the
 * container's status (CRYPTONN_ERR_FORMAT, _CHECKSUM, _TRUNCATED, ...). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_encdata_open(cryptonn_encdata **out,
                                                            const char *dir, uint32_t *skipped);
CRYPTONN_API void cryptonn_encdata_close(cryptonn_encdata *d);

typedef struct {
    cryptonn_mode mode;
    uint32_t channels, height, width; /* the records' shape (width·height·channels slots) */
    uint32_t slots;                   /* slots of the samples key */
    uint32_t batch;                   /* samples per batch */
    uint32_t classes;
    uint32_t value_bits;              /* bits of the largest record value, x_max */
    uint32_t label_bits;              /* labels encrypted as one-hot × 2^label_bits */
    uint64_t samples, batches;
    int labels;                       /* 1: every part has labels (training data) */
    int regression;                   /* 1: one target per record (classes = 1) */
    uint64_t x_den, x_max;            /* a record value is an integer X standing for X / x_den,
                                         |X| <= x_max (MNIST: 255, 255) */
    uint64_t y_den, y_max;            /* a label entry likewise (classification: y_den =
                                         y_max = 2^label_bits) */
} cryptonn_encdata_info;

CRYPTONN_API void cryptonn_encdata_describe(const cryptonn_encdata *d, cryptonn_encdata_info *out);

/* Strict mode: the first layer the authority committed to in the dataset's
 * params.bin (what a trainer installs, frozen); CRYPTONN_ERR_NOT_FOUND in
 * paper mode. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_encdata_layer(const cryptonn_encdata *d,
                                                             cryptonn_layer_desc *out);

/* Reads batch i (parts in name order, batches in index order), checking it
 * against the parameters and keys, without keeping it: a dataset's integrity
 * check. *n gets its sample count. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_encdata_check_batch(const cryptonn_encdata *d,
                                                                   uint64_t i, uint32_t *n);

/* ---- the ciphertexts themselves: for a trainer of one's own over
 * cryptonn/feip.h and cryptonn/febo.h ---- */

/* The dataset's public keys, owned by d: the samples key (slots), the batch
 * key (batch × slots; NULL in strict mode, which has no batch ciphertext)
 * and the labels key. */
CRYPTONN_API const cryptonn_feip_mpk *cryptonn_encdata_samples_mpk(const cryptonn_encdata *d);
CRYPTONN_API const cryptonn_feip_mpk *cryptonn_encdata_batch_mpk(const cryptonn_encdata *d);
CRYPTONN_API const cryptonn_febo_mpk *cryptonn_encdata_labels_mpk(const cryptonn_encdata *d);

/* The index: the owner's part batch i came from (its name, up to 64
 * characters, into part) and the batch's position in that part.
 * CRYPTONN_ERR_NOT_FOUND past the last batch. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_encdata_batch_source(const cryptonn_encdata *d,
                                                                    uint64_t i, char part[65],
                                                                    uint64_t *index);

/* One batch in memory, read and checked as cryptonn_encdata_check_batch
 * does; the caller frees it with cryptonn_encbatch_free. */
typedef struct cryptonn_encbatch cryptonn_encbatch;
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_encdata_read_batch(const cryptonn_encdata *d,
                                                                  uint64_t i,
                                                                  cryptonn_encbatch **out);
CRYPTONN_API void cryptonn_encbatch_free(cryptonn_encbatch *b);
/* Its samples (1..batch). */
CRYPTONN_API uint32_t cryptonn_encbatch_size(const cryptonn_encbatch *b);
/* Sample j's ciphertext under the samples key; NULL for j out of range. */
CRYPTONN_API const cryptonn_feip_ct *cryptonn_encbatch_sample(const cryptonn_encbatch *b,
                                                              uint32_t j);
/* The batch ciphertext under the batch key: sample j's value at slot s in
 * slot j·slots + s. NULL in strict mode. */
CRYPTONN_API const cryptonn_feip_ct *cryptonn_encbatch_whole(const cryptonn_encbatch *b);
/* Entry k (< classes; 0 for a regression target) of sample j's label under
 * the labels key; NULL without labels or out of range. */
CRYPTONN_API const cryptonn_febo_ct *cryptonn_encbatch_label(const cryptonn_encbatch *b,
                                                             uint32_t j, uint32_t k);

#ifdef __cplusplus
}
#endif
#endif
