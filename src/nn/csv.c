/* CSV records (data.h, cryptonn_csv_read): a header row, then one record per
 * line. The whole file is read at once and parsed field by field into a
 * reused buffer; numbers are converted as they come, so only labels and
 * names are kept as text. Every refusal names the file, the line and, for
 * a field, its column number and header name. */
#include <stdlib.h>
#include <string.h>

#include "nn/msg.h"
#include "nn/spec_internal.h"
#include "nn/table.h"
#include "util/util.h"

#define CSV_MAX_COLS (1u << 20)
#define CSV_MAX_VALUES ((uint64_t)1 << 27)

typedef struct {
    const char *path;
    const char *p, *end;
    uint32_t line;   /* the line p is on, from 1 */
    char *fld;       /* the current field, unquoted, NUL-terminated */
    size_t len, cap;
    int quoted;
    char *msg;
    size_t mlen;
} csv;

static int push(csv *c, char ch)
{
    if (c->len + 1 >= c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        char *f = realloc(c->fld, cap);
        if (!f) return 0;
        c->fld = f, c->cap = cap;
    }
    c->fld[c->len++] = ch;
    c->fld[c->len] = 0;
    return 1;
}

static void skip_blanks(csv *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

static int at_eol(const csv *c)
{
    return c->p >= c->end || *c->p == '\n' || *c->p == '\r';
}

/* Reads the field at p; *eor = 1 when it ended its record. Returns
 * CRYPTONN_OK, or _FORMAT (unterminated quote, text after a closing quote,
 * a NUL byte) or _NOMEM. */
static int field(csv *c, uint32_t col, int *eor)
{
    c->len = 0, c->quoted = 0;
    if (!push(c, 0)) return CRYPTONN_ERR_NOMEM;
    c->len = 0;
    const uint32_t first = c->line;
    skip_blanks(c);
    if (c->p < c->end && *c->p == '"') {
        c->quoted = 1, c->p++;
        for (;;) {
            if (c->p >= c->end)
                return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                               "%s: line %u, column %u: unterminated quote", c->path, first, col);
            if (*c->p == '"' && !(c->p + 1 < c->end && c->p[1] == '"')) {
                c->p++;
                break;
            }
            if (*c->p == '"') c->p++; /* "" is one quote */
            if (*c->p == 0)
                return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT, "%s: line %u: a NUL byte",
                               c->path, c->line);
            if (*c->p == '\n') c->line++;
            if (!push(c, *c->p++)) return CRYPTONN_ERR_NOMEM;
        }
        skip_blanks(c);
        if (!at_eol(c) && *c->p != ',')
            return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                           "%s: line %u, column %u: text after a closing quote", c->path, c->line,
                           col);
    } else {
        while (!at_eol(c) && *c->p != ',' && *c->p != 0)
            if (!push(c, *c->p++)) return CRYPTONN_ERR_NOMEM;
        while (c->len && (c->fld[c->len - 1] == ' ' || c->fld[c->len - 1] == '\t'))
            c->fld[--c->len] = 0;
    }
    if (c->p < c->end && *c->p == 0)
        return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT, "%s: line %u: a NUL byte", c->path,
                       c->line);
    if (c->p < c->end && *c->p == ',') {
        c->p++;
        *eor = 0;
    } else {
        if (c->p < c->end && *c->p == '\r') c->p++;
        if (c->p < c->end && *c->p == '\n') c->p++;
        c->line++;
        *eor = 1;
    }
    return CRYPTONN_OK;
}

/* The header's names into h (malloc'd array of *ncols strings). */
static int header(csv *c, char ***h, uint32_t *ncols)
{
    size_t cap = 16, n = 0;
    char **names = malloc(cap * sizeof *names);
    int rc = names ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM, eor = 0;
    while (rc == CRYPTONN_OK && !eor) {
        rc = field(c, (uint32_t)n + 1, &eor);
        if (rc == CRYPTONN_OK && c->len == 0)
            rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                         "%s: line 1, column %zu: empty name in the header", c->path, n + 1);
        if (rc == CRYPTONN_OK && n == CSV_MAX_COLS)
            rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_TOO_LARGE, "%s: more than %u columns",
                         c->path, CSV_MAX_COLS);
        if (rc == CRYPTONN_OK && n == cap) {
            char **g = realloc(names, 2 * cap * sizeof *names);
            if (g) names = g, cap *= 2;
            else rc = CRYPTONN_ERR_NOMEM;
        }
        if (rc == CRYPTONN_OK && !(names[n++] = nn_strndup(c->fld, c->len)))
            rc = CRYPTONN_ERR_NOMEM;
    }
    int nomem = 0;
    const char *dup = rc == CRYPTONN_OK ? nn_names_dup(names, n, &nomem) : NULL;
    if (nomem) rc = CRYPTONN_ERR_NOMEM;
    if (dup)
        rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                     "%s: line 1: the name '%s' appears twice in the header", c->path, dup);
    *h = names, *ncols = (uint32_t)n;
    return rc;
}

/* Only line breaks and blanks from p to the end. */
static int only_blank_lines(const csv *c)
{
    for (const char *q = c->p; q < c->end; q++)
        if (*q != '\n' && *q != '\r' && *q != ' ' && *q != '\t') return 0;
    return 1;
}

/* One record into row (features) and *label; lab is the label column or -1. */
static int record(csv *c, char **names, uint32_t ncols, int lab, double *row, char **label)
{
    const uint32_t line = c->line;
    uint32_t k = 0;
    for (int eor = 0; !eor; k++) {
        CN_TRY(field(c, k + 1, &eor));
        if (k >= ncols) continue;
        const char *name = names[k];
        if (c->len == 0 && !c->quoted)
            return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                           "%s: line %u, column %u ('%s'): missing value", c->path, line, k + 1,
                           name);
        if ((int)k == lab) {
            if (c->len == 0)
                return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                               "%s: line %u, column %u ('%s'): empty label", c->path, line, k + 1,
                               name);
            if (!(*label = nn_strndup(c->fld, c->len))) return CRYPTONN_ERR_NOMEM;
            continue;
        }
        double v;
        if (!nn_decimal(c->fld, c->len, &v))
            return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                           "%s: line %u, column %u ('%s'): '%.40s' is not a finite number",
                           c->path, line, k + 1, name, c->fld);
        *row++ = v;
    }
    if (k != ncols)
        return nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                       "%s: line %u: %u fields, the header has %u (a ragged row)", c->path, line,
                       k, ncols);
    return CRYPTONN_OK;
}

static int parse(csv *c, const char *label, int label_optional, cryptonn_table *out)
{
    char **names = NULL;
    uint32_t ncols = 0;
    int rc = header(c, &names, &ncols), lab = -1;
    for (uint32_t i = 0; rc == CRYPTONN_OK && label && i < ncols; i++)
        if (!strcmp(names[i], label)) lab = (int)i;
    if (rc == CRYPTONN_OK && label && lab < 0 && !label_optional)
        rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT,
                     "%s: no column named '%s' in the header", c->path, label);
    const uint32_t cols = ncols - (lab >= 0);
    if (rc == CRYPTONN_OK && cols == 0)
        rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT, "%s: no feature columns", c->path);
    /* Records: at most one per remaining line break (LF, CRLF, or a CR
     * alone, which also ends a record), plus a last line. */
    uint64_t lines = 1;
    for (const char *q = c->p; q < c->end; q++)
        lines += *q == '\n' || (*q == '\r' && (q + 1 == c->end || q[1] != '\n'));
    if (rc == CRYPTONN_OK && lines * cols > CSV_MAX_VALUES)
        rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_TOO_LARGE,
                     "%s: up to %llu records of %u features exceed %llu values", c->path,
                     (unsigned long long)lines, cols, (unsigned long long)CSV_MAX_VALUES);
    if (rc == CRYPTONN_OK) rc = nn_table_alloc(out, (uint32_t)lines, cols, lab >= 0);
    if (rc == CRYPTONN_OK && !(out->line = cn_calloc(lines, sizeof(uint32_t))))
        rc = CRYPTONN_ERR_NOMEM;
    uint32_t n = 0;
    while (rc == CRYPTONN_OK && c->p < c->end) {
        if (at_eol(c)) {
            if (only_blank_lines(c)) break;
            rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT, "%s: line %u: empty line", c->path,
                         c->line);
            break;
        }
        out->line[n] = c->line;
        rc = record(c, names, ncols, lab, out->x + (size_t)n * cols,
                    out->labels ? &out->labels[n] : NULL);
        n++;
    }
    if (rc == CRYPTONN_OK && n == 0)
        rc = nn_fail(c->msg, c->mlen, CRYPTONN_ERR_FORMAT, "%s: no records after the header",
                     c->path);
    if (rc == CRYPTONN_OK) {
        /* Hand the names over: the label's to label_name, the rest in order. */
        for (uint32_t i = 0, j = 0; i < ncols; i++) {
            if ((int)i == lab) out->label_name = names[i];
            else out->names[j++] = names[i];
        }
        out->n = n, out->named = 1;
        free(names);
        if ((out->path = nn_strndup(c->path, strlen(c->path)))) return CRYPTONN_OK;
        rc = CRYPTONN_ERR_NOMEM;
        names = NULL, ncols = 0; /* now the table's */
    }
    out->n = n; /* free the labels read so far */
    for (uint32_t i = 0; i < ncols; i++) free(names ? names[i] : NULL);
    free(names);
    cryptonn_table_free(out);
    return rc;
}

/* A binary file would fail on its first NUL byte as "line 1: a NUL byte":
 * say instead what the file looks like and what is read. */
static int text_file(const char *path, const uint8_t *b, size_t len, char *msg, size_t mlen)
{
    if (len >= 6 && !memcmp(b, "\x93NUMPY", 6))
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                       "%s is a NumPy .npy file, read as one only under a name ending in .npy",
                       path);
    /* IDX: two zero bytes, a type code (0x08 unsigned byte .. 0x0E double)
     * and 1 to 4 dimensions, as MNIST's files begin. */
    if (len >= 4 && !b[0] && !b[1] && b[2] >= 0x08 && b[2] <= 0x0E &&
        b[3] >= 1 && b[3] <= 4)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                       "%s looks like an MNIST IDX file (magic %02x %02x %02x %02x), not records: "
                       "records are a CSV file with a header row, or a .npy file; IDX files are "
                       "read by `cryptonn encrypt --data DIR` without --spec",
                       path, b[0], b[1], b[2], b[3]);
    /* A NUL in the header line: no CSV file begins so. (One further on is
     * more likely a damaged record, named by its line.) */
    const uint8_t *nl = memchr(b, '\n', len), *z = memchr(b, 0, nl ? (size_t)(nl - b) : len);
    if (z)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                       "%s is binary (a NUL byte at offset %zu, in the first line), not CSV "
                       "text: records are a CSV file with a header row, or a .npy file",
                       path, (size_t)(z - b));
    return CRYPTONN_OK;
}

int nn_csv_read(const char *path, const char *label, int label_optional, cryptonn_table *out,
                char *msg, size_t msg_len)
{
    CN_ARG_CHECK(path && out);
    memset(out, 0, sizeof *out);
    uint8_t *buf;
    size_t len;
    CN_TRY(nn_table_file(path, &buf, &len, msg, msg_len));
    csv c = {.path = path, .p = (const char *)buf, .end = (const char *)buf + len, .line = 1,
             .msg = msg, .mlen = msg_len};
    if (len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) c.p += 3;
    int rc = text_file(path, buf, len, msg, msg_len);
    if (rc == CRYPTONN_OK)
        rc = c.p < c.end ? parse(&c, label, label_optional, out)
                         : nn_fail(msg, msg_len, CRYPTONN_ERR_FORMAT, "%s: empty file", path);
    free(c.fld);
    free(buf);
    return rc;
}

int cryptonn_csv_read(const char *path, const char *label, cryptonn_table *out, char *msg,
                      size_t msg_len)
{
    return nn_csv_read(path, label, 0, out, msg, msg_len);
}
