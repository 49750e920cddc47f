/* `cryptonn smc X.csv Y.csv`: secure matrix computation (CryptoNN §III-C)
 * with the three roles in one process: the authority sets up an mpk of
 * width n and issues one key per column of Y, Alice encrypts the rows of X,
 * Bob decrypts XY. Reals are carried in fixed point (--scale digits). */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cryptonn/fixedpoint.h"
#include "cryptonn/smc.h"
#include "util/util.h"

#define MAX_CELLS ((size_t)1 << 24)

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn smc X.csv Y.csv [--scale D] [--cache PATH] [--quiet]\n\n"
               "Computes XY with X (l×n) encrypted row by row under FEIP and one function\n"
               "key per column of Y (n×m); prints XY as CSV. All roles run in-process.\n\n"
               "  --scale D     decimal digits kept of every entry (default 2; 0 = integers)\n"
               "  --cache PATH  discrete-log table cache file (default: none)\n"
               "  --quiet       no summary on stderr\n");
}

/* Reads a CSV of numbers (commas, semicolons or blanks; '#' comments). */
static int read_matrix(const char *path, double **out, size_t *rows, size_t *cols)
{
    uint8_t *buf;
    size_t len;
    int rc = cn_file_read_all(path, (size_t)1 << 30, &buf, &len);
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
                fprintf(stderr, "cryptonn smc: %s: row %zu: not a number near \"%.12s\"\n", path, r + 1, p);
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
            fprintf(stderr, "cryptonn smc: %s: row %zu has %zu entries, expected %zu\n", path, r + 1, k, c);
            rc = CRYPTONN_ERR_FORMAT;
        }
        r++;
    }
    free(text);
    if (rc == CRYPTONN_OK && r == 0) {
        fprintf(stderr, "cryptonn smc: %s: no numbers\n", path);
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

int cli_smc(int argc, char **argv)
{
    long digits = 2;
    const char *cache = NULL;
    int quiet = 0;
    static const struct option opts[] = {{"scale", required_argument, 0, 's'},
                                         {"cache", required_argument, 0, 'c'},
                                         {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "s:c:qh", opts, NULL)) != -1) {
        switch (o) {
        case 's': {
            char *end;
            digits = strtol(optarg, &end, 10);
            if (*end || digits < 0 || digits > 9) {
                fprintf(stderr, "cryptonn smc: --scale must be 0..9\n");
                return 2;
            }
            break;
        }
        case 'c': cache = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 2) {
        usage(stderr);
        return 2;
    }
    double *Xr = NULL, *Yr = NULL;
    size_t l, n, n2, m;
    int rc = read_matrix(argv[optind], &Xr, &l, &n);
    if (rc != CRYPTONN_OK) return cli_fail(argv[optind], rc);
    rc = read_matrix(argv[optind + 1], &Yr, &n2, &m);
    if (rc != CRYPTONN_OK) {
        free(Xr);
        return cli_fail(argv[optind + 1], rc);
    }
    int status = 1;
    int64_t *X = NULL, *Y = NULL, *XY = NULL;
    cryptonn_dlog *d = NULL;
    cryptonn_fixed f;
    if (n != n2) {
        fprintf(stderr, "cryptonn smc: X is %zu×%zu but Y is %zu×%zu\n", l, n, n2, m);
        goto out;
    }
    if (cryptonn_fixed_init(&f, 10, (unsigned)digits) != CRYPTONN_OK) goto out;
    X = cn_malloc_array(l * n, sizeof *X);
    Y = cn_malloc_array(n * m, sizeof *Y);
    XY = cn_malloc_array(l * m, sizeof *XY);
    if (!X || !Y || !XY) {
        cli_fail("smc", CRYPTONN_ERR_NOMEM);
        goto out;
    }
    size_t bad;
    /* Entries stay below 2^31 (the key limit) so the product bound is meaningful. */
    int64_t lim = ((int64_t)1 << 31) - 1;
    if ((rc = cryptonn_fixed_encode(&f, X, Xr, l * n, lim, &bad)) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn smc: X entry %zu does not fit at scale 10^%ld\n", bad, digits);
        goto out;
    }
    if ((rc = cryptonn_fixed_encode(&f, Y, Yr, n * m, lim, &bad)) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn smc: Y entry %zu does not fit at scale 10^%ld\n", bad, digits);
        goto out;
    }
    size_t rounded = 0;
    for (size_t i = 0; i < l * n; i++) rounded += fabs(Xr[i] * (double)f.scale - (double)X[i]) > 1e-6;
    for (size_t i = 0; i < n * m; i++) rounded += fabs(Yr[i] * (double)f.scale - (double)Y[i]) > 1e-6;
    if (rounded && !quiet)
        fprintf(stderr, "cryptonn smc: note: %zu entries rounded to %ld decimal digits (--scale)\n",
                rounded, digits);
    uint64_t bound;
    if ((rc = cryptonn_smc_bound(X, l, n, Y, m, &bound)) != CRYPTONN_OK ||
        bound > CRYPTONN_DLOG_MAX_BOUND) {
        fprintf(stderr, "cryptonn smc: |XY| may exceed the discrete-log range (2^48) at this scale\n");
        goto out;
    }
    if (bound == 0) bound = 1;
    uint64_t T = bound < ((uint64_t)1 << 20) ? bound : ((uint64_t)1 << 20);
    if ((rc = cryptonn_dlog_create(&d, bound, T, cache)) != CRYPTONN_OK) {
        cli_fail("discrete-log table", rc);
        goto out;
    }
    uint64_t t0 = cn_now_ns();
    if ((rc = cryptonn_smc_multiply(d, X, l, n, Y, m, XY)) != CRYPTONN_OK) {
        cli_fail("secure matrix computation", rc);
        goto out;
    }
    double secs = (double)(cn_now_ns() - t0) / 1e9;
    for (size_t i = 0; i < l; i++) {
        for (size_t j = 0; j < m; j++) {
            if (digits == 0) printf("%s%lld", j ? "," : "", (long long)XY[i * m + j]);
            else
                printf("%s%.*f", j ? "," : "", (int)(2 * digits),
                       cryptonn_fixed_decode_product(&f, &f, XY[i * m + j]));
        }
        printf("\n");
    }
    if (!quiet)
        fprintf(stderr,
                "cryptonn smc: X %zu×%zu encrypted by rows (FEIP, ristretto255), %zu column keys, "
                "XY %zu×%zu decrypted in %.3f s; fixed point 10^%ld, |XY| bound %llu\n",
                l, n, m, l, m, secs, digits, (unsigned long long)bound);
    status = 0;
out:
    cryptonn_dlog_destroy(d);
    free(Xr);
    free(Yr);
    cn_free_secret(X, X ? l * n * sizeof *X : 0);
    free(Y);
    free(XY);
    return status;
}
