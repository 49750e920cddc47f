/* cryptonn owner: a data owner's side of CryptoNN (DESIGN.md §3).
 *
 * An owner holds params.bin (the public parameters and keys the authority
 * gave out) and owner.key (the owners' shared secret class permutation π,
 * which the training server never gets). It encrypts its records as one part
 * of an encrypted dataset directory, registers its label ciphertexts with the
 * authority (strict mode), uploads the part to a training server, and maps
 * the server's predictions, made in permuted classes, back to true classes.
 * Plaintext records never leave cryptonn_owner_encrypt except as
 * ciphertexts; buffers that held them are wiped. */
#ifndef CRYPTONN_OWNER_H
#define CRYPTONN_OWNER_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/authority.h"
#include "cryptonn/nn.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cryptonn_owner cryptonn_owner;

/* params: the params.bin an authority wrote; owner_key: owner.key (may be
 * NULL for an owner that only encrypts test samples without labels). With
 * params NULL the owner can only map predictions back (cryptonn_owner_unpermute). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_open(cryptonn_owner **out,
                                                          const char *params,
                                                          const char *owner_key);
CRYPTONN_API void cryptonn_owner_close(cryptonn_owner *o);

CRYPTONN_API cryptonn_mode cryptonn_owner_mode(const cryptonn_owner *o);
/* Classes of the parameters, and the record width (slots of the samples key). */
CRYPTONN_API uint32_t cryptonn_owner_classes(const cryptonn_owner *o);
CRYPTONN_API uint32_t cryptonn_owner_width(const cryptonn_owner *o);
/* Samples per fixed batch of the parameters. */
CRYPTONN_API uint32_t cryptonn_owner_batch(const cryptonn_owner *o);

/* Strict mode: the first layer the authority committed to in params.bin
 * (what the server's keys compute); CRYPTONN_ERR_NOT_FOUND in paper mode. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_layer(const cryptonn_owner *o,
                                                           cryptonn_layer_desc *out);

typedef struct {
    const char *part;          /* part name, [A-Za-z0-9_-]{1,64} ("owner") */
    int labels;                /* 1: training data (labels and, in paper mode, batch
                                  ciphertexts); 0: test samples only (1) */
    uint32_t threads;          /* 0: all cores */
    int progress;              /* a progress line on stderr (0) */
    const char *registration;  /* strict mode with labels: where to write the label
                                  registration (cryptonn_authority_register_file
                                  reads it); NULL: DIR/PART.lreg */
    uint64_t table_mb;         /* paper mode: memory for the batch key's fixed-base
                                  tables (0: 4096); without them batch ciphertexts
                                  are ~4x slower */
} cryptonn_encrypt_opts;

CRYPTONN_API void cryptonn_encrypt_opts_default(cryptonn_encrypt_opts *o);

typedef struct {
    uint64_t samples, batches, bytes_written;
    double seconds;
    /* Wall seconds per phase, and the process's CPU seconds of the same
     * phases (on a shared machine wall time says little; CPU time over the
     * cores is what a phase costs). */
    double seconds_tables, seconds_samples, seconds_labels, seconds_batches, seconds_write;
    double cpu_tables, cpu_samples, cpu_labels, cpu_batches, cpu_write, cpu_total;
    uint64_t table_bytes; /* memory of the fixed-base tables built */
} cryptonn_encrypt_stats;

/* Encrypts the records of d (values in [0, 1], as cryptonn's loaders give
 * them; labels as class indices) as part o->part of the encrypted dataset in
 * dir, creating dir and its params.bin if needed (an existing params.bin must
 * hold the same keys: CRYPTONN_ERR_MISMATCH). An interrupted run leaves a
 * part without an index, which readers skip and a rerun rewrites. st may be
 * NULL; msg names the problem on failure. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_encrypt(cryptonn_owner *o, const char *dir,
                                                             const cryptonn_dataset *d,
                                                             const cryptonn_encrypt_opts *opt,
                                                             cryptonn_encrypt_stats *st,
                                                             char *msg, size_t msg_len);

/* The same for any records (cryptonn_records_view of a data spec's records,
 * regression targets included, or a range of them: the caller's view of
 * records [first, first + count)). s->size must be the keys' width. Under
 * mpirun (after cryptonn_dist_start) the ranks split the batches, writing
 * the same files and index as one process; rank 0 writes the registration. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_encrypt_samples(
    cryptonn_owner *o, const char *dir, const cryptonn_samples *s,
    const cryptonn_encrypt_opts *opt, cryptonn_encrypt_stats *st, char *msg, size_t msg_len);

/* CRYPTONN_OK if params.bin was made for the records of this data spec (the
 * same shape, fixed point and labels or target) and, when the owner's key
 * was made by keygen with a spec (it keeps the spec's digest), if this is
 * that very spec (the same names, offsets, scales, bound and classes);
 * CRYPTONN_ERR_MISMATCH, or the spec's own error, with the reason in msg. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_check_spec(const cryptonn_owner *o,
                                                                const cryptonn_data_spec *spec,
                                                                char *msg, size_t msg_len);

/* Writes an owners' key (mode 0600) holding the permutation perm of
 * `classes` classes: for reproducible runs (a demo, a test) only. A
 * deployment keeps the one cryptonn_authority_setup draws from the system
 * CSPRNG, which the server must not be able to guess. CRYPTONN_ERR_ARG if
 * perm is not a permutation of 0 .. classes-1 (classes 1..256). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_key_save(const char *path,
                                                              const uint8_t *perm,
                                                              uint32_t classes);

/* Maps n predictions in the server's (permuted) classes to true classes, in
 * place. CRYPTONN_ERR_ARG if a prediction is not a class. Needs owner.key. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_unpermute(const cryptonn_owner *o,
                                                               uint8_t *pred, uint64_t n);

/* Uploads part `part` of the encrypted dataset in dir to a training server
 * (url "http://127.0.0.1:PORT", or https:// with cacert; token: the owner's
 * bearer token), as training data or, with test = 1, as a test set for
 * secure prediction. Resumable: batches the server already holds are not
 * sent again (*sent and *present count both kinds; either may be NULL). The
 * server checks every batch before it accepts the part, so it never trains
 * on half a part. On failure msg holds the server's answer. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_upload(const char *url, const char *token,
                                                            const char *cacert, const char *dir,
                                                            const char *part, int test,
                                                            uint64_t *sent, uint64_t *present,
                                                            char *msg, size_t msg_len);

/* Secure prediction of an uploaded test part: the server's answers, in its
 * permuted classes (*pred malloc'd, free with cryptonn_free; *n entries;
 * cryptonn_owner_unpermute maps them back). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_predict(const char *url, const char *token,
                                                             const char *cacert, const char *part,
                                                             uint8_t **pred, uint64_t *n,
                                                             char *msg, size_t msg_len);
/* The same for a part of any task: a classification's permuted classes in
 * *pred (*targets NULL), or a regression's predicted targets in *targets
 * (*pred NULL), on the data spec's scaled grid: the owners map them back to
 * the target's units with their spec, t = t'·t_scale + t_offset. Free with
 * cryptonn_free. (cryptonn_owner_predict refuses a regression part:
 * CRYPTONN_ERR_ARG.) */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_predict_outputs(
    const char *url, const char *token, const char *cacert, const char *part, uint8_t **pred,
    float **targets, uint64_t *n, char *msg, size_t msg_len);
/* Removes one of this owner's open or refused parts (test = 1: a test part). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_delete(const char *url, const char *token,
                                                            const char *cacert, const char *part,
                                                            int test, char *msg, size_t msg_len);
/* This owner's parts on the server, as the server's JSON (*json malloc'd,
 * NUL-terminated; free with cryptonn_free). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_parts(const char *url, const char *token,
                                                           const char *cacert, char **json,
                                                           char *msg, size_t msg_len);

/* Sends a registration file to an authority service (POST /v1/labels);
 * *added counts the digests new to it. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_owner_register(const char *url, const char *token,
                                                              const char *cacert,
                                                              const char *registration,
                                                              uint64_t *added, char *msg,
                                                              size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
