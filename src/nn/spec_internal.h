/* nn internals: what spec.c shares with specjson.c and csv.c. */
#ifndef CRYPTONN_NN_SPEC_INTERNAL_H
#define CRYPTONN_NN_SPEC_INTERNAL_H

#include "cryptonn/data.h"

/* Zeroed arrays for features (names, offset, scale) and classes names;
 * sets the counts. CRYPTONN_OK or _NOMEM (s freed). */
int nn_spec_alloc(cryptonn_data_spec *s, uint32_t features, uint32_t classes);
/* A fixed-point scale the readers accept: 2^0..2^24 or 10^0..10^7. */
int nn_fixed_ok(unsigned base, unsigned digits);
/* cryptonn_csv_read; with label_optional, a header without the label
 * column is read as features only (labels NULL), as records to predict. */
int nn_csv_read(const char *path, const char *label, int label_optional, cryptonn_table *out,
                char *msg, size_t msg_len);

#endif
