/* CSV matrices for the FE commands (fe_csv.h). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/fe_csv.h"
#include "cryptonn/util.h"

#define MAX_CELLS ((size_t)1 << 24)

/* Reads a CSV of numbers (commas, semicolons or blanks; '#' comments). */
int cli_read_matrix(const char *path, double **out, size_t *rows, size_t *cols)
{
    uint8_t *buf;
    size_t len;
    int rc = cryptonn_file_read(path, (size_t)1 << 30, &buf, &len);
    if (rc != CRYPTONN_OK) return rc;
    char *text = malloc(len + 1);
    if (!text) {
        free(buf);
        return CRYPTONN_ERR_NOMEM;
    }
    memcpy(text, buf, len);
    text[len] = 0;
    free(buf);
    size_t cap = 64, n = 0, r = 0, c = 0;
    double *v = malloc(cap * sizeof *v);
    rc = v ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line && rc == CRYPTONN_OK;
         line = strtok_r(NULL, "\n", &save)) {
        char *hash = strchr(line, '#');
        if (hash) *hash = 0;
        size_t k = 0;
        char *p = line;
        for (;;) {
            while (*p == ',' || *p == ';' || *p == ' ' || *p == '\t' || *p == '\r') p++;
            if (!*p) break;
            char *end;
            errno = 0;
            double d = strtod(p, &end);
            if (end == p || errno || !isfinite(d)) {
                fprintf(stderr, "cryptonn: %s: row %zu: not a number near \"%.12s\"\n", path, r + 1, p);
                rc = CRYPTONN_ERR_FORMAT;
                break;
            }
            if (n == cap) {
                if (cap >= MAX_CELLS) {
                    rc = CRYPTONN_ERR_TOO_LARGE;
                    break;
                }
                double *w = realloc(v, 2 * cap * sizeof *w);
                if (!w) {
                    rc = CRYPTONN_ERR_NOMEM;
                    break;
                }
                v = w;
                cap *= 2;
            }
            v[n++] = d;
            k++;
            p = end;
        }
        if (rc != CRYPTONN_OK || k == 0) continue;
        if (r == 0) c = k;
        else if (k != c) {
            fprintf(stderr, "cryptonn: %s: row %zu has %zu entries, expected %zu\n", path, r + 1, k, c);
            rc = CRYPTONN_ERR_FORMAT;
        }
        r++;
    }
    free(text);
    if (rc == CRYPTONN_OK && r == 0) {
        fprintf(stderr, "cryptonn: %s: no numbers\n", path);
        rc = CRYPTONN_ERR_FORMAT;
    }
    if (rc != CRYPTONN_OK) {
        free(v);
        return rc;
    }
    *out = v;
    *rows = r;
    *cols = c;
    return CRYPTONN_OK;
}

