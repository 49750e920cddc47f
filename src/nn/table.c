/* Tables of records (data.h): allocation, release, the file read whole and
 * the reader chosen by the file name. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nn/msg.h"
#include "nn/spec_internal.h"
#include "nn/table.h"
#include "util/util.h"

char *nn_strndup(const char *s, size_t len)
{
    char *d = malloc(len + 1);
    if (!d) return NULL;
    memcpy(d, s, len);
    d[len] = 0;
    return d;
}

int nn_decimal(const char *text, size_t len, double *v)
{
    char *end;
    if (len == 0 || strspn(text, "0123456789+-.eE") != len) return 0;
    *v = strtod(text, &end);
    return end == text + len && isfinite(*v);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

const char *nn_names_dup(char *const *names, size_t n, int *nomem)
{
    *nomem = 0;
    if (n < 2) return NULL;
    char **sorted = cn_malloc_array(n, sizeof *sorted);
    if (!sorted) {
        *nomem = 1;
        return NULL;
    }
    memcpy(sorted, names, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, cmp_str);
    const char *dup = NULL;
    for (size_t i = 1; i < n && !dup; i++)
        if (!strcmp(sorted[i - 1], sorted[i])) dup = sorted[i];
    free(sorted);
    return dup;
}

void cryptonn_table_free(cryptonn_table *t)
{
    if (!t) return;
    free(t->path);
    for (uint32_t i = 0; t->names && i < t->cols; i++) free(t->names[i]);
    for (uint32_t i = 0; t->labels && i < t->n; i++) free(t->labels[i]);
    free(t->names);
    free(t->labels);
    free(t->label_name);
    free(t->x);
    free(t->line);
    memset(t, 0, sizeof *t);
}

int nn_table_alloc(cryptonn_table *t, uint32_t n, uint32_t cols, int labels)
{
    memset(t, 0, sizeof *t);
    t->n = n, t->cols = cols;
    t->shape[0] = cols, t->shape[1] = t->shape[2] = 1;
    t->names = cn_calloc(cols, sizeof(char *));
    t->x = cn_calloc((size_t)n * cols, sizeof(double));
    if (labels) t->labels = cn_calloc(n ? n : 1, sizeof(char *));
    if (!t->names || !t->x || (labels && !t->labels)) {
        cryptonn_table_free(t);
        return CRYPTONN_ERR_NOMEM;
    }
    return CRYPTONN_OK;
}

int nn_table_default_names(cryptonn_table *t)
{
    for (uint32_t i = 0; i < t->cols; i++) {
        char b[16];
        snprintf(b, sizeof b, "x%u", i);
        if (!(t->names[i] = nn_strndup(b, strlen(b)))) return CRYPTONN_ERR_NOMEM;
    }
    return CRYPTONN_OK;
}

int nn_table_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t mlen)
{
    struct stat st;
    /* Reading a directory fails with a bare "input/output error": say what
     * it is, and where a directory of MNIST files does go. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return nn_fail(msg, mlen, CRYPTONN_ERR_IO,
                       "%s is a directory: records are one CSV or .npy file (a directory of "
                       "MNIST IDX files is read by `cryptonn encrypt --data DIR` without --spec)",
                       path);
    int rc = cn_file_read_all(path, NN_TABLE_MAX_FILE, buf, len);
    if (rc != CRYPTONN_OK) return nn_fail(msg, mlen, rc, "%s: %s", path, cryptonn_status_str(rc));
    return CRYPTONN_OK;
}

int nn_is_npy(const char *path)
{
    size_t n = strlen(path);
    return n >= 4 && !strcmp(path + n - 4, ".npy");
}

int nn_table_read(const char *path, const char *label, const char *labels_path,
                  int label_optional, cryptonn_table *out, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(path && out);
    if (nn_is_npy(path)) return cryptonn_npy_read(path, labels_path, out, msg, msg_len);
    return nn_csv_read(path, label, label_optional, out, msg, msg_len);
}

int cryptonn_table_read(const char *path, const char *label, const char *labels_path,
                        cryptonn_table *out, char *msg, size_t msg_len)
{
    return nn_table_read(path, label, labels_path, 0, out, msg, msg_len);
}
