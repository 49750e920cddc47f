/* `cryptonn fe`: the FEIP roles as file commands, one process per role.
 *
 *   fe setup   --slots N --mpk F --msk F          authority: key pair (msk 0600)
 *   fe keygen  --msk F --keys F Y.csv             authority: one key per row of Y
 *   fe encrypt --mpk F --out F [--bits B] X.csv   client: one ciphertext per row
 *   fe decrypt --keys F --cts F [--bound M]       server: <x_i, y_j> as CSV
 *
 * Entries are integers (use fixed point upstream, e.g. `cryptonn smc`). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/fe_csv.h"
#include "cryptonn/feip.h"
#include "cryptonn/fixedpoint.h"
#include "cryptonn/util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn fe setup   --slots N --mpk FILE --msk FILE\n"
               "       cryptonn fe keygen  --msk FILE --keys FILE Y.csv\n"
               "       cryptonn fe encrypt --mpk FILE --out FILE [--bits B] X.csv\n"
               "       cryptonn fe decrypt --keys FILE --cts FILE [--bound M] [--cache FILE]\n\n"
               "Inner-product functional encryption (FEIP over ristretto255) with files:\n"
               "keygen issues one function key per row of Y (integers); encrypt writes one\n"
               "ciphertext per row of X (|x| < 2^B, default B = 31); decrypt prints the\n"
               "matrix of <x_i, y_j> (rows: ciphertexts, columns: keys), each required to\n"
               "lie within --bound (default 2^31; larger bounds take longer per result).\n");
}

/* Integer matrix from CSV; refuses fractions and |v| >= 2^53. */
static int read_int_matrix(const char *path, int64_t **out, size_t *rows, size_t *cols)
{
    double *d;
    CLI_TRY(cli_read_matrix(path, &d, rows, cols));
    int64_t *v = cryptonn_alloc_array(*rows * *cols, sizeof *v);
    int rc = v ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    for (size_t i = 0; rc == CRYPTONN_OK && i < *rows * *cols; i++) {
        if (d[i] != floor(d[i]) || fabs(d[i]) >= 9007199254740992.0) {
            fprintf(stderr, "cryptonn fe: %s: entry %zu is not an integer below 2^53\n", path, i);
            rc = CRYPTONN_ERR_FORMAT;
        } else
            v[i] = (int64_t)d[i];
    }
    cryptonn_free_secret(d, *rows * *cols * sizeof *d);
    if (rc != CRYPTONN_OK) {
        cryptonn_free_secret(v, v ? *rows * *cols * sizeof *v : 0);
        return rc;
    }
    *out = v;
    return CRYPTONN_OK;
}

typedef struct {
    const char *mpk, *msk, *keys, *cts, *out, *cache;
    long slots, bits;
    unsigned long long bound;
} fe_args;

static int parse(int argc, char **argv, fe_args *a)
{
    static const struct option opts[] = {
        {"slots", required_argument, 0, 'n'}, {"mpk", required_argument, 0, 'p'},
        {"msk", required_argument, 0, 's'},   {"keys", required_argument, 0, 'k'},
        {"cts", required_argument, 0, 'c'},   {"out", required_argument, 0, 'o'},
        {"bits", required_argument, 0, 'b'},  {"bound", required_argument, 0, 'B'},
        {"cache", required_argument, 0, 'C'}, {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int o;
    char *end;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'n': a->slots = strtol(optarg, &end, 10); if (*end) return 2; break;
        case 'p': a->mpk = optarg; break;
        case 's': a->msk = optarg; break;
        case 'k': a->keys = optarg; break;
        case 'c': a->cts = optarg; break;
        case 'o': a->out = optarg; break;
        case 'C': a->cache = optarg; break;
        case 'b': a->bits = strtol(optarg, &end, 10); if (*end) return 2; break;
        case 'B': a->bound = strtoull(optarg, &end, 10); if (*end) return 2; break;
        case 'h': usage(stdout); return 1;
        default: return 2;
        }
    }
    return 0;
}

static int fe_setup(const fe_args *a)
{
    if (!a->mpk || !a->msk || a->slots < 1 || (size_t)a->slots > CRYPTONN_FEIP_MAX_SLOTS) {
        fprintf(stderr, "cryptonn fe setup: needs --slots 1..2^24, --mpk and --msk\n");
        return 2;
    }
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    int rc = cryptonn_feip_setup(&mpk, &msk, (size_t)a->slots);
    if (rc != CRYPTONN_OK) return cli_fail("setup", rc);
    if ((rc = cryptonn_feip_msk_save(msk, a->msk)) == CRYPTONN_OK)
        rc = cryptonn_feip_mpk_save(mpk, a->mpk);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
    if (rc != CRYPTONN_OK) return cli_fail("writing the keys", rc);
    fprintf(stderr, "cryptonn fe setup: %ld slots; mpk %s, msk %s (mode 0600)\n", a->slots, a->mpk, a->msk);
    return 0;
}

static int fe_keygen(const fe_args *a, const char *csv)
{
    if (!a->msk || !a->keys || !csv) {
        fprintf(stderr, "cryptonn fe keygen: needs --msk, --keys and Y.csv\n");
        return 2;
    }
    int64_t *Y;
    size_t rows, cols;
    int rc = read_int_matrix(csv, &Y, &rows, &cols);
    if (rc != CRYPTONN_OK) return cli_fail(csv, rc);
    cryptonn_feip_msk *msk = NULL;
    cryptonn_feip_keys *keys = NULL;
    if ((rc = cryptonn_feip_msk_load(&msk, a->msk)) != CRYPTONN_OK) {
        free(Y);
        return cli_fail(a->msk, rc);
    }
    if ((rc = cryptonn_feip_keys_create(&keys)) == CRYPTONN_OK)
        for (size_t i = 0; i < rows && rc == CRYPTONN_OK; i++)
            rc = cryptonn_feip_keygen(msk, keys, Y + i * cols, cols);
    cryptonn_feip_msk_destroy(msk);
    free(Y);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_keys_save(keys, a->keys);
    cryptonn_feip_keys_destroy(keys);
    if (rc != CRYPTONN_OK) {
        if (rc == CRYPTONN_ERR_MISMATCH) fprintf(stderr, "cryptonn fe keygen: Y has %zu columns; the msk has another width\n", cols);
        return cli_fail("keygen", rc);
    }
    fprintf(stderr, "cryptonn fe keygen: %zu keys of width %zu -> %s\n", rows, cols, a->keys);
    return 0;
}

static int fe_encrypt(const fe_args *a, const char *csv)
{
    long bits = a->bits ? a->bits : 31;
    if (!a->mpk || !a->out || !csv || bits < 1 || bits > CRYPTONN_FEIP_MAX_BITS) {
        fprintf(stderr, "cryptonn fe encrypt: needs --mpk, --out, X.csv (and --bits 1..62)\n");
        return 2;
    }
    int64_t *X;
    size_t rows, cols;
    int rc = read_int_matrix(csv, &X, &rows, &cols);
    if (rc != CRYPTONN_OK) return cli_fail(csv, rc);
    cryptonn_feip_mpk *mpk = NULL;
    cryptonn_feip_encryptor *enc = NULL;
    cryptonn_feip_ct **cts = calloc(rows, sizeof *cts);
    rc = cts ? cryptonn_feip_mpk_load(&mpk, a->mpk) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK && cryptonn_feip_mpk_slots(mpk) != cols) {
        fprintf(stderr, "cryptonn fe encrypt: X has %zu columns, the mpk %zu slots\n", cols,
                cryptonn_feip_mpk_slots(mpk));
        rc = CRYPTONN_ERR_MISMATCH;
    }
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_encryptor_create(&enc, mpk);
    for (size_t i = 0; i < rows && rc == CRYPTONN_OK; i++) {
        rc = cryptonn_feip_ct_create(&cts[i], cols);
        if (rc == CRYPTONN_OK) rc = cryptonn_feip_encrypt(enc, cts[i], X + i * cols, cols, (unsigned)bits);
    }
    cryptonn_free_secret(X, rows * cols * sizeof *X);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_ct_batch_save((const cryptonn_feip_ct *const *)cts, rows, a->out);
    if (cts)
        for (size_t i = 0; i < rows; i++) cryptonn_feip_ct_destroy(cts[i]);
    free(cts);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_mpk_destroy(mpk);
    if (rc != CRYPTONN_OK) return cli_fail("encrypt", rc);
    fprintf(stderr, "cryptonn fe encrypt: %zu ciphertexts of %zu slots -> %s\n", rows, cols, a->out);
    return 0;
}

static int fe_decrypt(const fe_args *a)
{
    uint64_t bound = a->bound ? a->bound : ((uint64_t)1 << 31);
    if (!a->keys || !a->cts || bound > CRYPTONN_DLOG_MAX_BOUND) {
        fprintf(stderr, "cryptonn fe decrypt: needs --keys and --cts (--bound <= 2^48)\n");
        return 2;
    }
    cryptonn_feip_keys *keys = NULL;
    cryptonn_feip_ct **cts = NULL;
    size_t count = 0;
    cryptonn_dlog *d = NULL;
    cryptonn_feip_decryptor *dec = NULL;
    int64_t *out = NULL;
    int *st = NULL;
    int rc = cryptonn_feip_keys_load(&keys, a->keys);
    if (rc != CRYPTONN_OK) return cli_fail(a->keys, rc);
    if ((rc = cryptonn_feip_ct_batch_load(&cts, &count, a->cts)) != CRYPTONN_OK) {
        cryptonn_feip_keys_destroy(keys);
        return cli_fail(a->cts, rc);
    }
    size_t m = cryptonn_feip_keys_count(keys);
    /* 2^18 baby steps build in a fraction of a second; beyond them each
     * result costs about |m|/2^18 fingerprints (use --cache for more). */
    rc = cryptonn_dlog_create(&d, bound, 0, a->cache);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_decryptor_create(&dec, d, 0);
    out = cryptonn_alloc_array(m ? m : 1, sizeof *out);
    st = cryptonn_alloc_array(m ? m : 1, sizeof *st);
    if (rc == CRYPTONN_OK && (!out || !st)) rc = CRYPTONN_ERR_NOMEM;
    int status = 0;
    for (size_t i = 0; i < count && rc == CRYPTONN_OK; i++) {
        cryptonn_feip_prepared *p;
        if ((rc = cryptonn_feip_prepare_var(&p, cts[i])) != CRYPTONN_OK) break;
        int r = cryptonn_feip_decrypt_keys_var(dec, p, keys, 0, m, out, st);
        cryptonn_feip_prepared_destroy(p);
        if (r == CRYPTONN_ERR_MISMATCH) {
            rc = r;
            break;
        }
        for (size_t j = 0; j < m; j++) {
            if (st[j] == CRYPTONN_OK) printf("%s%lld", j ? "," : "", (long long)out[j]);
            else {
                printf("%sNA", j ? "," : "");
                status = 1;
            }
        }
        printf("\n");
    }
    if (status)
        fprintf(stderr, "cryptonn fe decrypt: NA marks results beyond --bound %llu (or a wrong key)\n",
                (unsigned long long)bound);
    free(out);
    free(st);
    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_dlog_destroy(d);
    cryptonn_feip_ct_batch_free(cts, count);
    cryptonn_feip_keys_destroy(keys);
    if (rc != CRYPTONN_OK) return cli_fail("decrypt", rc);
    return status;
}

int cli_fe(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    fe_args a = {0};
    int p = parse(argc - 1, argv + 1, &a);
    if (p == 1) return 0;
    if (p) {
        usage(stderr);
        return 2;
    }
    const char *pos = optind < argc - 1 ? argv[1 + optind] : NULL;
    const char *cmd = argv[1];
    if (!strcmp(cmd, "setup")) return fe_setup(&a);
    if (!strcmp(cmd, "keygen")) return fe_keygen(&a, pos);
    if (!strcmp(cmd, "encrypt")) return fe_encrypt(&a, pos);
    if (!strcmp(cmd, "decrypt")) return fe_decrypt(&a);
    fprintf(stderr, "cryptonn fe: unknown subcommand '%s'\n", cmd);
    usage(stderr);
    return 2;
}
