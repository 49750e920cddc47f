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
#include "cli/fe_csv.h"
#include "cryptonn/fixedpoint.h"
#include "cryptonn/smc.h"
#include "cryptonn/util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn smc X.csv Y.csv [--scale D] [--cache PATH] [--quiet]\n\n"
               "Computes XY with X (l×n) encrypted row by row under FEIP and one function\n"
               "key per column of Y (n×m); prints XY as CSV. All roles run in-process.\n\n"
               "  --scale D     decimal digits kept of every entry (default 2; 0 = integers)\n"
               "  --cache PATH  discrete-log table cache file (default: none)\n"
               "  --quiet       no summary on stderr\n");
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
    int rc = cli_read_matrix(argv[optind], &Xr, &l, &n);
    if (rc != CRYPTONN_OK) return cli_fail(argv[optind], rc);
    rc = cli_read_matrix(argv[optind + 1], &Yr, &n2, &m);
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
    X = cryptonn_alloc_array(l * n, sizeof *X);
    Y = cryptonn_alloc_array(n * m, sizeof *Y);
    XY = cryptonn_alloc_array(l * m, sizeof *XY);
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
    uint64_t t0 = cryptonn_now_ns();
    if ((rc = cryptonn_smc_multiply(d, X, l, n, Y, m, XY)) != CRYPTONN_OK) {
        cli_fail("secure matrix computation", rc);
        goto out;
    }
    double secs = (double)(cryptonn_now_ns() - t0) / 1e9;
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
    cryptonn_free_secret(X, X ? l * n * sizeof *X : 0);
    free(Y);
    free(XY);
    return status;
}
