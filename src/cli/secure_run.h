/* The secure training job shared by `cryptonn train --secure` and
 * `cryptonn demo`: all three roles in this process, talking through the same
 * key-request messages the networked mode sends. */
#ifndef CRYPTONN_CLI_SECURE_RUN_H
#define CRYPTONN_CLI_SECURE_RUN_H

#include "cryptonn/audit.h"
#include "cryptonn/authority.h"
#include "cryptonn/nn.h"
#include "cryptonn/server.h"

typedef struct {
    const char *enc_dir;   /* encrypted training set */
    const char *test_dir;  /* encrypted test set (may be NULL) */
    const char *auth_dir;  /* authority state */
    const char *owner_key; /* owners' π, to score test predictions (may be NULL) */
    const char *data_dir;  /* owners' true test labels (with owner_key): MNIST's
                              directory, or with spec the test records' file */
    const char *spec;      /* the owners' data spec (may be NULL: MNIST) */
    const char *labels;    /* with spec: the test records' .npy labels (may be NULL) */
    uint32_t test_limit;   /* test labels to read (0: all) */
    const char *out;       /* model file, rewritten after each epoch (the checkpoint) */
    const char *resume;    /* model file to continue from (may be NULL) */
    uint32_t first_epoch;  /* with resume: epochs already done */
    const char *log;       /* CSV per epoch (may be NULL) */
    const char *report;    /* Markdown report (may be NULL) */
    const char *cache;     /* discrete-log table cache directory (may be NULL) */
    const char *settings;  /* free text for the report */
    cryptonn_model_config cfg;
    cryptonn_trainer_opts so; /* its cache_dir is `cache` */
    cryptonn_policy pol;
    uint32_t epochs;
    uint64_t checkpoint_every; /* also the checkpoint every this many batches (0: epoch ends) */
    uint32_t audit;         /* records the owners' audit attacks after training (0: none) */
    const char *audit_records; /* with spec: the records audited, CSV or .npy (NULL: the
                                  test records of data_dir) */
    const char *audit_labels;  /* with .npy audit_records: their labels (may be NULL) */
    double seconds_encrypt; /* < 0: not measured here */
} cli_secure_job;

/* The owners' audit of what the server holds: the key vectors the authority
 * in auth_dir issued (a, or opened from auth_dir when NULL), replayed on the
 * first n records of tr and attacked with aux as the public auxiliary data.
 * Returns a status; why names a failure. */
int cli_audit_issued(const cryptonn_authority *a, const char *auth_dir,
                     const cryptonn_dataset *tr, const cryptonn_dataset *aux, uint32_t n,
                     cryptonn_audit **out, uint32_t *nkeys, char *why, size_t why_len);

/* Runs the job; prints progress and the leakage report; returns an exit
 * code. *test_accuracy: the last secure test accuracy, or for a regression
 * target the RMSE in the target's units (< 0: not measured). */
int cli_secure_run(const cli_secure_job *j, double *test_accuracy);

#endif
