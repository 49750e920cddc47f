/* cli: the owners' true labels or targets for an encrypted test set, the
 * side that scores the server's predictions (cryptonn predict, train
 * --secure): the records of their data spec or MNIST's test labels, refused
 * when they cannot be the set's records (another task, class count or record
 * count), before any key is asked for or any file written; and what the
 * owners make of the predictions: their score, the predictions file. */
#ifndef CRYPTONN_CLI_OWNER_TRUTH_H
#define CRYPTONN_CLI_OWNER_TRUTH_H

#include "cryptonn/data.h"
#include "cryptonn/encdata.h"
#include "cryptonn/nn.h"

typedef struct {
    cryptonn_data_spec spec; /* the owners' spec; features = 0: MNIST */
    cryptonn_records rec;    /* the spec's records */
    cryptonn_dataset mnist;  /* or MNIST's test set */
    cryptonn_samples s;      /* the labels or targets scored, in the set's order */
} cli_truth;

/* Loads the truth for the encrypted test set enc_dir (described by info):
 * with spec_path, the records of `records` (CSV or .npy with labels_path),
 * exactly as many as the set holds; else MNIST's test set in the directory
 * `records`, the first of its images being the set's. At most `limit`
 * (0: all) are scored. A failure is printed as "cryptonn CMD: ..." and
 * returned as a status (CRYPTONN_ERR_MISMATCH: records of another set); t
 * is then freed. */
int cli_truth_load(const char *cmd, const char *enc_dir, const cryptonn_encdata_info *info,
                   const char *spec_path, const char *records, const char *labels_path,
                   uint32_t limit, cli_truth *t);
void cli_truth_free(cli_truth *t); /* zeroes *t */

/* The owners' figure for n predictions against the truth's samples
 * [first, first + n): with vals (a regression's targets on the spec's scaled
 * grid) their RMSE in the target's units (t_scale: the spec's, 1 without
 * one), else the accuracy in [0, 1] of the true classes pred. */
double cli_truth_metric(const cryptonn_samples *truth, uint64_t first, uint64_t n,
                        const uint8_t *pred, const float *vals, double t_scale);

/* Writes the predictions to path, one per line: with vals a target (in its
 * units with spec), else a class, by name when spec and named (pred holds
 * true classes), else its index. CRYPTONN_ERR_IO (errno kept) when the file
 * cannot be written. */
int cli_predictions_write(const char *path, uint64_t n, const cryptonn_data_spec *spec,
                          int named, const uint8_t *pred, const float *vals);

#endif
