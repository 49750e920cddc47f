/* nn internals: what the CSV and .npy readers share (table.c). */
#ifndef CRYPTONN_NN_TABLE_H
#define CRYPTONN_NN_TABLE_H

#include "cryptonn/data.h"

/* Largest file either reader takes. */
#define NN_TABLE_MAX_FILE ((size_t)1 << 30)

/* Zeroed arrays for n records of cols features (x, names) and, when
 * labels, n label slots. Returns CRYPTONN_OK or _NOMEM (t then freed). */
int nn_table_alloc(cryptonn_table *t, uint32_t n, uint32_t cols, int labels);
/* names[i] = "x<i>" for every feature. */
int nn_table_default_names(cryptonn_table *t);
/* text (len bytes, NUL-terminated) as a finite decimal number: digits,
 * sign, point and exponent only (strtod alone would also take hex, "inf"
 * and "nan"). Returns 1 and *v, or 0. */
int nn_decimal(const char *text, size_t len, double *v);
/* The first name that appears twice in names[0 .. n), or NULL (also when
 * out of memory: *nomem is then set). */
const char *nn_names_dup(char *const *names, size_t n, int *nomem);
/* A malloc'd copy of len bytes of s, NUL-terminated (NULL when out of memory). */
char *nn_strndup(const char *s, size_t len);
/* The file at path into *buf (malloc'd) and *len. A failure names the
 * file and what is wrong with it (missing, a directory, too large) in msg.
 * Returns CRYPTONN_OK, _NOT_FOUND, _IO, _TOO_LARGE or _NOMEM. */
int nn_table_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t mlen);
/* 1 when path names a .npy file (by its name), which the readers dispatch on. */
int nn_is_npy(const char *path);
/* cryptonn_table_read; with label_optional, a CSV without the label column
 * is read without labels (a .npy's labels are labels_path, optional anyway). */
int nn_table_read(const char *path, const char *label, const char *labels_path,
                  int label_optional, cryptonn_table *out, char *msg, size_t msg_len);

#endif
