/* cryptonn data: the owners' own records — CSV and NumPy .npy files — and
 * the data spec they agree on (docs/DATA.md).
 *
 * A table holds a file's records as read: raw feature values and the label
 * of each record as text. A data spec (JSON) fixes everything a record must
 * satisfy: feature names and order, per-feature offset and scale
 * (x' = (x − offset)/scale), the bound on |x'|, the input shape, the
 * fixed-point scale, and the task (classes by name, or a regression target
 * with its own offset, scale and bound). Every owner applies the same spec
 * to its own file; a record that does not fit is an error naming it.
 *
 * Messages: every function that reads external data takes msg/msg_len (msg
 * may be NULL) and writes there a reason naming the file and, as the case
 * may be, its line, column, record or key. Outputs are zeroed on failure:
 * nothing half-made is returned. */
#ifndef CRYPTONN_DATA_H
#define CRYPTONN_DATA_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/nn.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct {
    char *path;        /* the file read (for messages) */
    uint32_t n;        /* records */
    uint32_t cols;     /* features per record */
    uint32_t shape[3]; /* C, H, W with C·H·W = cols (flat records: cols, 1, 1) */
    int named;         /* 1: names come from a CSV header; 0: generated x0, x1, ... */
    char **names;      /* cols feature names */
    double *x;         /* n × cols raw values, all finite */
    char *label_name;  /* the label column's name, or NULL */
    char **labels;     /* n labels as text (trimmed), or NULL without labels */
    uint32_t *line;    /* CSV: the line each record starts on; NULL for .npy */
} cryptonn_table;

/* CSV: a header row of unique, non-empty names, then one record per line,
 * comma-separated, fields optionally "quoted" ("" inside quotes is one "),
 * spaces around fields ignored, CRLF or LF, a UTF-8 byte order mark
 * skipped. Every field but the label column must be a finite decimal
 * number. label (may be NULL: no labels) names the label column. Refuses
 * with the line and column: a missing value, a non-number, a record with
 * another number of fields than the header (ragged), an empty line between
 * records, an unterminated quote; a binary file (a NUL byte in its first
 * line) is refused saying what it looks like (.npy, MNIST IDX). Returns CRYPTONN_OK, _NOT_FOUND, _IO,
 * _TOO_LARGE (over 1 GiB), _FORMAT or _NOMEM. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_csv_read(const char *path, const char *label,
                                                        cryptonn_table *out, char *msg,
                                                        size_t msg_len);

/* NumPy .npy (format versions 1, 2, 3; C order): features as N×F records,
 * N×H×W images (one channel) or N×C×H×W images, of dtype uint8, int8..64,
 * uint16..64, float32 or float64, either byte order; labels (labels_path,
 * may be NULL) in a second .npy of shape (N) or (N, 1), integer or float,
 * written as text ("3", "0.25"). Refuses another dtype, Fortran order, a
 * length that does not match the header, a non-finite value (naming the
 * record, counted from 1 as CSV lines are, and the feature by its generated
 * name) or label files of another record count. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_npy_read(const char *path, const char *labels_path,
                                                        cryptonn_table *out, char *msg,
                                                        size_t msg_len);

/* By the file name: ".npy" → cryptonn_npy_read(path, labels), anything else
 * → cryptonn_csv_read(path, label). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_table_read(const char *path, const char *label,
                                                          const char *labels_path,
                                                          cryptonn_table *out, char *msg,
                                                          size_t msg_len);
CRYPTONN_API void cryptonn_table_free(cryptonn_table *t); /* zeroes *t; NULL fields allowed */

typedef enum { CRYPTONN_TASK_CLASSIFY = 1, CRYPTONN_TASK_REGRESS = 2 } cryptonn_task;
typedef enum {
    CRYPTONN_NORM_STANDARD = 1, /* per feature: offset mean, scale standard deviation */
    CRYPTONN_NORM_RANGE = 2,    /* one offset (minimum) and scale (max − min) for all */
    CRYPTONN_NORM_NONE = 3      /* offset 0, scale 1 */
} cryptonn_norm;

typedef struct {
    uint32_t features;
    uint32_t shape[3]; /* C, H, W (flat: features, 1, 1) */
    char **names;      /* features names, in record order */
    double *offset, *scale; /* per feature; scale > 0 */
    double bound;      /* every |x'| ≤ bound */
    unsigned base, digits; /* inputs' fixed-point scale base^digits (base 2 or 10) */
    char *label;       /* the label column (CSV), or NULL */
    cryptonn_task task;
    uint32_t classes;  /* classification: 2..256 */
    char **class_names;
    /* regression: t' = (t − t_offset)/t_scale, |t'| ≤ t_bound, fixed point
     * t_base^t_digits */
    double t_offset, t_scale, t_bound;
    unsigned t_base, t_digits;
    uint32_t records;  /* how many records the statistics came from (informational) */
} cryptonn_data_spec;

typedef struct {
    cryptonn_task task;  /* 0: classification when every label is an integer and
                          * there are at most 20 distinct ones (or any label is
                          * not a number), else regression */
    cryptonn_norm norm;  /* 0: RANGE for images (H or W > 1), else STANDARD */
    uint32_t shape[3];   /* 0: the table's */
    unsigned base, digits; /* 0: 2^8 */
} cryptonn_describe_opts;

/* A spec from a table's statistics. The bound is 1.5 × the largest |x'|
 * seen (at least 1), likewise the target's. Classes are the distinct labels
 * in numeric order when all are numbers, else in text order; numerically
 * equal spellings ("1", "1.0") are one class, named by the shortest, and
 * cryptonn_spec_apply matches any of them to it. Fails with
 * CRYPTONN_ERR_ARG (msg says why: no labels, a shape that does not multiply
 * to the features, over 256 classes, a regression label that is not a
 * number, fewer than 2 classes). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_spec_describe(const cryptonn_table *t,
                                                             const cryptonn_describe_opts *o,
                                                             cryptonn_data_spec *out, char *msg,
                                                             size_t msg_len);

/* The spec as JSON text (malloc'd, caller frees), or NULL when out of memory. */
CRYPTONN_API char *cryptonn_spec_to_json(const cryptonn_data_spec *s);
/* Reads a spec file: unknown keys, missing keys and values out of range are
 * errors naming the key (and the feature by number and name). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_spec_read(const char *path, cryptonn_data_spec *out,
                                                         char *msg, size_t msg_len);
CRYPTONN_API void cryptonn_spec_free(cryptonn_data_spec *s);

/* Records as a model sees them: x' per feature, rounded to the spec's
 * fixed-point grid (what encryption would carry), labels as class indices
 * or targets t' (also rounded). Owned; free with cryptonn_records_free. */
typedef struct {
    uint32_t n;
    size_t size;       /* features */
    uint32_t outputs;  /* regression: 1; classification: 0 */
    float *x;
    uint8_t *y;        /* classification (NULL: unlabeled records) */
    float *t;          /* regression (NULL: unlabeled records) */
} cryptonn_records;

/* Applies the spec to a table. Fails (CRYPTONN_ERR_MISMATCH) when the table
 * does not fit the spec — other features or names (CSV), no labels, a label
 * that is not one of the classes, a value beyond the bound, a regression
 * label that is not a number — with the record (and CSV line) in msg. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_spec_apply(const cryptonn_data_spec *s,
                                                          const cryptonn_table *t,
                                                          cryptonn_records *out, char *msg,
                                                          size_t msg_len);
/* cryptonn_table_read (the spec's label column; labels_path for .npy) and
 * cryptonn_spec_apply in one step. A labels_path with a CSV file is
 * refused (CRYPTONN_ERR_ARG): its labels are its column. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_spec_load(const cryptonn_data_spec *s,
                                                         const char *path,
                                                         const char *labels_path,
                                                         cryptonn_records *out, char *msg,
                                                         size_t msg_len);
/* cryptonn_spec_load for records whose labels are not needed (a test set,
 * new records to predict): a CSV without the spec's label column, or a
 * .npy without labels_path, gives records with y and t NULL. Labels that
 * are there are read and checked as cryptonn_spec_load does. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_spec_load_unlabeled(const cryptonn_data_spec *s,
                                                                   const char *path,
                                                                   const char *labels_path,
                                                                   cryptonn_records *out,
                                                                   char *msg, size_t msg_len);
CRYPTONN_API void cryptonn_records_free(cryptonn_records *r);
CRYPTONN_API void cryptonn_records_view(const cryptonn_records *r, cryptonn_samples *out);

/* Gives a layer-list model config the spec's input shape, or checks that
 * the shape it states is the spec's; also checks the task against the
 * output (softmax with `classes` units, or linear with one). Returns
 * CRYPTONN_OK or CRYPTONN_ERR_MISMATCH with the reason in msg. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_spec_fit_model(const cryptonn_data_spec *s,
                                                              cryptonn_model_config *cfg,
                                                              char *msg, size_t msg_len);

#ifdef __cplusplus
}
#endif
#endif
