/* client: the data owner's side. Encrypts samples (FEIP, one ciphertext per
 * image), each fixed batch as one ciphertext over (sample, pixel) slots (for
 * the first-layer gradient), and the one-hot labels (FEBO) after relabelling
 * classes with the owners' secret permutation π (DESIGN §3 step 3), and writes
 * them as a part of an encrypted dataset (encdata.h). Uses every core given;
 * shows progress; an interrupted run leaves a part without index, which
 * readers skip and a rerun rewrites. */
#ifndef CRYPTONN_PROTOCOL_CLIENT_H
#define CRYPTONN_PROTOCOL_CLIENT_H

#include <stdint.h>

#include "cryptonn/nn.h"
#include "secure/encdata.h"
#include "protocol/labelreg.h"

/* The owners' shared secret: π maps a true class c to the class π[c] the
 * server trains on; owners map predictions back with π⁻¹. The server never
 * gets it. With a data spec, owner.key also keeps the spec's digest
 * (protocol/specdigest.h), so that an owner's encryption under another spec
 * is refused. */
typedef struct {
    uint32_t classes;
    uint8_t perm[256];
    uint32_t has_spec;
    uint8_t spec[32];
} cn_owner_secret;

/* A uniformly random permutation of `classes` (≤ 256) classes. */
void cn_owner_secret_generate(cn_owner_secret *s, uint32_t classes);
/* Container "OWNR", mode 0600: version 1 holds classes and π, version 2
 * (written when has_spec) also the spec digest; load reads both and
 * validates that perm is a permutation. */
int cn_owner_secret_save(const cn_owner_secret *s, const char *path);
int cn_owner_secret_load(cn_owner_secret *s, const char *path);
/* inv[perm[c]] = c */
void cn_owner_secret_inverse(const cn_owner_secret *s, uint8_t *inv);

typedef struct {
    const char *part;   /* part name, [A-Za-z0-9_-]{1,64} */
    uint32_t threads;   /* labels; 0: 2 (the FEIP encryptions run on OpenMP's default
                           team, omp_set_num_threads) */
    int labels;         /* encrypt labels (training data) */
    int batch_ct;       /* encrypt the batch ciphertexts (training data) */
    int progress;       /* progress line on stderr */
    uint64_t table_bytes_max; /* memory for the batch mpk's fixed-base tables (0: 4 GiB);
                                 without them the batch ciphertexts are ~4x slower */
    int batch_tables;         /* 0: tables from 16 batches on, within the budget;
                                 1: always; -1: never */
    cn_labelreg *reg;         /* if not NULL, receives the digest of every label
                                 ciphertext written (its mpk id is set): the owner's
                                 registration with the authority (strict mode) */
} cn_encrypt_opts;

typedef struct {
    double seconds_samples, seconds_batches, seconds_labels, seconds_total;
    double seconds_tables;  /* building the fixed-base tables (once per run) */
    double seconds_write;   /* encoding the ciphertexts and writing the files */
    uint64_t samples, batches;
    uint64_t table_bytes;   /* memory of the fixed-base tables */
    uint64_t bytes_written;
    /* process CPU seconds of the same phases: on a shared machine wall time
     * says little, CPU time / cores is what the phase costs */
    double cpu_samples, cpu_batches, cpu_labels, cpu_tables, cpu_write, cpu_total;
} cn_encrypt_stats;

/* Encrypts records d as part o->part of the dataset in dir (params.bin is
 * written there if missing, and must otherwise hold k's mpks). Each value
 * x becomes the integer round(x·x_den) (encdata.h), so d's values should be
 * on that grid and within ±x_max/x_den, as a data spec's records are
 * (cryptonn_spec_apply); MNIST pixels in [0, 1] become round(255·v). With
 * labels: class indices (classification, relabelled with s's π) or one
 * target per record (regression, round(t·y_den); s may be NULL). The
 * plaintext never leaves this function except as ciphertexts; buffers that
 * held it are wiped. CRYPTONN_ERR_ARG: d does not fit p (record size,
 * missing labels or targets, a label beyond the classes). */
int cn_client_encrypt_samples(const char *dir, const cn_enc_params *p, const cn_enc_mpks *k,
                              const cn_owner_secret *s, const cryptonn_samples *d,
                              const cn_encrypt_opts *o, cn_encrypt_stats *st);
/* The same for an MNIST-style dataset (rows × cols must be p's). */
int cn_client_encrypt(const char *dir, const cn_enc_params *p, const cn_enc_mpks *k,
                      const cn_owner_secret *s, const cryptonn_dataset *d,
                      const cn_encrypt_opts *o, cn_encrypt_stats *st);

#endif
