/* cli: the owners' true labels or targets for an encrypted test set, the
 * side that scores the server's predictions (cryptonn predict, train
 * --secure): the records of their data spec or MNIST's test labels, refused
 * when they cannot be the set's records (another task, class count or record
 * count), before any key is asked for or any file written. */
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

#endif
