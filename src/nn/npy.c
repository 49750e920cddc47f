/* NumPy .npy files (data.h, cryptonn_npy_read), format versions 1.0, 2.0
 * and 3.0 as numpy.lib.format writes them:
 *   "\x93NUMPY", u8 major, u8 minor, header length (u16 LE in 1.x, u32 LE
 *   later), then a Python dict literal such as
 *   {'descr': '<f4', 'fortran_order': False, 'shape': (569, 30), }
 *   padded with spaces and a newline, then the data in C order.
 * Only the three keys are read; the data must be exactly as long as the
 * shape and dtype say. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/msg.h"
#include "nn/table.h"
#include "util/util.h"

#define NPY_MAX_DIMS 4
#define NPY_MAX_VALUES ((uint64_t)1 << 27)
#define NPY_MAX_HEADER 65536u

typedef struct {
    char kind;      /* 'i', 'u', 'f' */
    unsigned size;  /* bytes per value */
    int big;        /* big-endian */
    unsigned ndim;
    uint64_t dims[NPY_MAX_DIMS];
    const uint8_t *data;
    uint64_t count; /* values */
} npy;

/* Past "key" (single or double quotes), blanks and ':'; NULL if absent. */
static const char *after_key(const char *h, const char *key)
{
    char q1[40], q2[40];
    snprintf(q1, sizeof q1, "'%s'", key);
    snprintf(q2, sizeof q2, "\"%s\"", key);
    const char *p = strstr(h, q1);
    if (!p) p = strstr(h, q2);
    if (!p) return NULL;
    p += strlen(q1);
    while (*p == ' ') p++;
    if (*p++ != ':') return NULL;
    while (*p == ' ') p++;
    return p;
}

static int dtype(const char *path, const char *h, npy *a, char *msg, size_t mlen)
{
    const char *p = after_key(h, "descr");
    char d[16] = "";
    if (p && (*p == '\'' || *p == '"')) {
        const char *e = strchr(p + 1, *p);
        if (e && (size_t)(e - p - 1) < sizeof d) memcpy(d, p + 1, (size_t)(e - p - 1));
    }
    unsigned size = 0;
    int ok = strlen(d) >= 3 && strchr("<>|=", d[0]) && strchr("iuf", d[1]) &&
             sscanf(d + 2, "%u", &size) == 1;
    ok = ok && (d[1] == 'f' ? size == 4 || size == 8 : size == 1 || size == 2 || size == 4 || size == 8);
    if (!ok)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                       "%s: dtype '%s' is not supported (uint8..64, int8..64, float32, float64)",
                       path, d);
    a->kind = d[1], a->size = size, a->big = d[0] == '>';
    return CRYPTONN_OK;
}

static int shape(const char *path, const char *h, npy *a, char *msg, size_t mlen)
{
    const char *p = after_key(h, "fortran_order");
    if (!p || strncmp(p, "False", 5))
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                       "%s: only C-ordered arrays are read (save np.ascontiguousarray(a))", path);
    p = after_key(h, "shape");
    if (!p || *p++ != '(')
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: header without a shape", path);
    /* The shape's text up to its ')', at most 60 bytes of it, for messages. */
    const char *text = p;
    const size_t tl = strcspn(p, ")");
    const int tn = tl < 60 ? (int)tl : 60;
    a->ndim = 0, a->count = 1;
    for (;;) {
        while (*p == ' ' || *p == ',') p++;
        if (*p == ')') break;
        if (*p < '0' || *p > '9')
            return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                           "%s: the header's shape (%.*s) is not a tuple of sizes", path, tn,
                           text);
        char *e;
        const unsigned long long v = strtoull(p, &e, 10);
        if (a->ndim == NPY_MAX_DIMS)
            return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                           "%s: shape (%.*s) has more than %d dimensions", path, tn, text,
                           NPY_MAX_DIMS);
        if (v == 0)
            return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: shape (%.*s) has a size of 0",
                           path, tn, text);
        a->dims[a->ndim++] = v;
        if (v > NPY_MAX_VALUES || (a->count *= v) > NPY_MAX_VALUES)
            return nn_fail(msg, mlen, CRYPTONN_ERR_TOO_LARGE,
                           "%s: shape (%.*s) holds more than %llu values", path, tn, text,
                           (unsigned long long)NPY_MAX_VALUES);
        p = e;
    }
    if (a->ndim == 0)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: a 0-dimensional array", path);
    return CRYPTONN_OK;
}

/* Parses buf (the whole file) into a. */
static int parse(const char *path, const uint8_t *buf, size_t len, npy *a, char *msg, size_t mlen)
{
    if (len < 10 || memcmp(buf, "\x93NUMPY", 6))
        return nn_fail(msg, mlen, len < 10 ? CRYPTONN_ERR_TRUNCATED : CRYPTONN_ERR_FORMAT,
                       "%s: not a .npy file (no \\x93NUMPY magic)", path);
    const unsigned major = buf[6];
    if (major < 1 || major > 3)
        return nn_fail(msg, mlen, CRYPTONN_ERR_VERSION, "%s: .npy format version %u.%u", path,
                       major, buf[7]);
    const size_t at = major == 1 ? 10 : 12;
    if (len < at) return nn_fail(msg, mlen, CRYPTONN_ERR_TRUNCATED, "%s: header cut", path);
    const size_t hlen = major == 1 ? (size_t)buf[8] | (size_t)buf[9] << 8 : cn_load_u32(buf + 8);
    if (hlen > NPY_MAX_HEADER)
        return nn_fail(msg, mlen, CRYPTONN_ERR_TOO_LARGE,
                       "%s: a header of %zu bytes, longer than the %u this reader takes", path,
                       hlen, NPY_MAX_HEADER);
    if (hlen > len - at)
        return nn_fail(msg, mlen, CRYPTONN_ERR_TRUNCATED,
                       "%s: a header of %zu bytes, but the file ends %zu bytes into it", path,
                       hlen, len - at);
    char *h = nn_strndup((const char *)buf + at, hlen);
    if (!h) return CRYPTONN_ERR_NOMEM;
    int rc = strlen(h) == hlen ? dtype(path, h, a, msg, mlen)
                               : nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: NUL in the header", path);
    if (rc == CRYPTONN_OK) rc = shape(path, h, a, msg, mlen);
    free(h);
    if (rc != CRYPTONN_OK) return rc;
    const size_t body = len - at - hlen;
    const uint64_t want = a->count * a->size;
    if (body < want)
        return nn_fail(msg, mlen, CRYPTONN_ERR_TRUNCATED, "%s: %zu data bytes, the header declares %llu",
                       path, body, (unsigned long long)want);
    if (body > want)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: %llu trailing bytes", path,
                       (unsigned long long)(body - want));
    a->data = buf + at + hlen;
    return CRYPTONN_OK;
}

/* Value i as a double (exact for every integer up to 2^53). */
static double value(const npy *a, uint64_t i)
{
    const uint8_t *p = a->data + i * a->size;
    uint64_t u = 0;
    for (unsigned b = 0; b < a->size; b++)
        u |= (uint64_t)p[a->big ? a->size - 1 - b : b] << (8 * b);
    if (a->kind == 'u') return (double)u;
    if (a->kind == 'i') {
        unsigned sh = 64 - 8 * a->size;
        return (double)((int64_t)(u << sh) >> sh);
    }
    if (a->size == 4) {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, 4);
        return f;
    }
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, npy *a, char *msg, size_t mlen)
{
    CN_TRY(nn_table_file(path, buf, len, msg, mlen));
    int rc = parse(path, *buf, *len, a, msg, mlen);
    if (rc != CRYPTONN_OK) {
        free(*buf);
        *buf = NULL;
    }
    return rc;
}

/* The features: N×F, N×H×W or N×C×H×W, all finite. */
static int features(const char *path, const npy *a, cryptonn_table *t, int labels, char *msg,
                    size_t mlen)
{
    if (a->ndim < 2)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                       "%s: records must be N×F, N×H×W or N×C×H×W, not %u-dimensional", path,
                       a->ndim);
    const uint64_t per = a->count / a->dims[0];
    CN_TRY(nn_table_alloc(t, (uint32_t)a->dims[0], (uint32_t)per, labels));
    if (a->ndim > 2) {
        t->shape[0] = a->ndim == 4 ? (uint32_t)a->dims[1] : 1;
        t->shape[1] = (uint32_t)a->dims[a->ndim - 2], t->shape[2] = (uint32_t)a->dims[a->ndim - 1];
    }
    for (uint64_t i = 0; i < a->count; i++) {
        t->x[i] = value(a, i);
        if (!isfinite(t->x[i])) {
            nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                    "%s: record %llu (from 1), feature x%llu is not finite", path,
                    (unsigned long long)(i / per) + 1, (unsigned long long)(i % per));
            cryptonn_table_free(t);
            return CRYPTONN_ERR_FORMAT;
        }
    }
    return nn_table_default_names(t);
}

static int labels_of(const char *path, const npy *a, cryptonn_table *t, char *msg, size_t mlen)
{
    if (a->ndim > 2 || (a->ndim == 2 && a->dims[1] != 1) || a->dims[0] != t->n)
        return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH,
                       "%s: labels must have shape (%u) or (%u, 1) for the %u records", path, t->n,
                       t->n, t->n);
    for (uint32_t i = 0; i < t->n; i++) {
        double v = value(a, i);
        char b[40];
        if (!isfinite(v))
            return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                           "%s: the label of record %u (from 1) is not finite", path, i + 1);
        if (a->kind == 'f') snprintf(b, sizeof b, a->size == 4 ? "%.9g" : "%.17g", v);
        else snprintf(b, sizeof b, "%.0f", v);
        if (!(t->labels[i] = nn_strndup(b, strlen(b)))) return CRYPTONN_ERR_NOMEM;
    }
    return CRYPTONN_OK;
}

int cryptonn_npy_read(const char *path, const char *labels_path, cryptonn_table *out, char *msg,
                      size_t msg_len)
{
    CN_ARG_CHECK(path && out);
    memset(out, 0, sizeof *out);
    uint8_t *xb = NULL, *yb = NULL;
    size_t xl, yl;
    npy xa, ya;
    int rc = read_file(path, &xb, &xl, &xa, msg, msg_len);
    if (rc == CRYPTONN_OK) rc = features(path, &xa, out, labels_path != NULL, msg, msg_len);
    free(xb);
    if (rc == CRYPTONN_OK && labels_path) {
        rc = read_file(labels_path, &yb, &yl, &ya, msg, msg_len);
        if (rc == CRYPTONN_OK) rc = labels_of(labels_path, &ya, out, msg, msg_len);
        free(yb);
    }
    if (rc == CRYPTONN_OK && !(out->path = nn_strndup(path, strlen(path)))) rc = CRYPTONN_ERR_NOMEM;
    if (rc != CRYPTONN_OK) cryptonn_table_free(out);
    return rc;
}
