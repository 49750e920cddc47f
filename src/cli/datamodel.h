/* cli: reading the owners' files — data specs, model files, records — with
 * every failure printed as "cryptonn CMD: <reason naming the file>". Each
 * returns a cryptonn_status. */
#ifndef CRYPTONN_CLI_DATAMODEL_H
#define CRYPTONN_CLI_DATAMODEL_H

#include "cryptonn/data.h"

int cli_spec_read(const char *cmd, const char *path, cryptonn_data_spec *s);
/* A model file's config; with a spec, its input shape and task fitted to
 * the spec (cryptonn_spec_fit_model); without, the file must give "input". */
int cli_model_file(const char *cmd, const char *path, const cryptonn_data_spec *spec,
                   cryptonn_model_config *cfg);
/* Records of a CSV or .npy file (labels_path: the .npy labels) under spec. */
int cli_records_load(const char *cmd, const cryptonn_data_spec *spec, const char *path,
                     const char *labels_path, cryptonn_records *r);
/* The same with the labels optional (cryptonn_spec_load_unlabeled): test
 * sets and new records to predict; r->y and r->t are NULL without them. */
int cli_records_load_unlabeled(const char *cmd, const cryptonn_data_spec *spec, const char *path,
                               const char *labels_path, cryptonn_records *r);

#endif
