/* `cryptonn encrypt`: a data owner encrypts its MNIST samples (and, for
 * training data, the labels and the batch ciphertexts) as one part of an
 * encrypted dataset. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "cli/commands.h"
#include "cryptonn/nn.h"
#include "secure/client.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn encrypt --params FILE --owner-key FILE --out DIR [--data DIR]\n"
            "                        [--part NAME] [--offset N] [--limit N] [--test]\n"
            "                        [--threads T] [--table-mb M]\n\n"
            "Encrypts MNIST as a data owner: every image as one FEIP ciphertext, and for\n"
            "training data also every fixed batch as one ciphertext over (sample, pixel)\n"
            "slots and the one-hot labels (FEBO) after relabelling the classes with the\n"
            "owners' secret permutation. Writes part NAME of the encrypted dataset in DIR;\n"
            "several owners may add parts under the same params.\n\n"
            "  --params FILE     params.bin from the authority (cryptonn keygen)\n"
            "  --owner-key FILE  owner.key from the authority\n"
            "  --out DIR         the encrypted dataset directory\n"
            "  --data DIR        MNIST IDX files (data/mnist)\n"
            "  --part NAME       this owner's part, [A-Za-z0-9_-]{1,64} (main)\n"
            "  --offset N        skip the first N samples (owners splitting the data)\n"
            "  --limit N         encrypt at most N samples (all)\n"
            "  --test            the test set: samples only (no labels, no batch\n"
            "                    ciphertexts); use its own --out directory\n"
            "  --threads T       worker threads (2)\n"
            "  --table-mb M      memory for the batch mpk's fixed-base tables (4096);\n"
            "                    less makes the batch ciphertexts ~4x slower\n");
}

int cli_encrypt(int argc, char **argv)
{
    static const struct option longopts[] = {{"params", required_argument, 0, 'p'},
                                             {"owner-key", required_argument, 0, 'k'},
                                             {"out", required_argument, 0, 'o'},
                                             {"data", required_argument, 0, 'd'},
                                             {"part", required_argument, 0, 'P'},
                                             {"offset", required_argument, 0, 'O'},
                                             {"limit", required_argument, 0, 'l'},
                                             {"test", no_argument, 0, 'T'},
                                             {"threads", required_argument, 0, 't'},
                                             {"table-mb", required_argument, 0, 'm'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *params = NULL, *okey = NULL, *out = NULL, *data = "data/mnist", *part = "main";
    long offset = 0, limit = 0, threads = 2, table_mb = 4096;
    int test = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': params = optarg; break;
        case 'k': okey = optarg; break;
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'P': part = optarg; break;
        case 'O': offset = atol(optarg); break;
        case 'l': limit = atol(optarg); break;
        case 'T': test = 1; break;
        case 't': threads = atol(optarg); break;
        case 'm': table_mb = atol(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !params || !okey || !out) {
        usage(stderr);
        return 2;
    }
    if (offset < 0 || limit < 0 || limit > 100000000L || offset > 100000000L || threads < 1 ||
        threads > 64 || table_mb < 0) {
        fprintf(stderr, "cryptonn encrypt: --offset/--limit must be >= 0, --threads 1..64\n");
        return 2;
    }
    size_t pl = strlen(part);
    int part_ok = pl >= 1 && pl <= 64;
    for (size_t i = 0; i < pl; i++)
        part_ok &= (part[i] >= 'a' && part[i] <= 'z') || (part[i] >= 'A' && part[i] <= 'Z') ||
                   (part[i] >= '0' && part[i] <= '9') || part[i] == '_' || part[i] == '-';
    if (!part_ok) {
        fprintf(stderr, "cryptonn encrypt: --part must match [A-Za-z0-9_-]{1,64}\n");
        return 2;
    }
    cn_enc_params p;
    cn_enc_mpks k = {0};
    int rc = cn_encdata_read_params_file(params, &p, &k);
    if (rc != CRYPTONN_OK) return cli_fail(params, rc);
    cn_owner_secret s;
    rc = cn_owner_secret_load(&s, okey);
    if (rc != CRYPTONN_OK) {
        cn_enc_mpks_free(&k);
        return cli_fail(okey, rc);
    }
    char msg[512];
    cryptonn_dataset d;
    uint32_t want = limit ? (uint32_t)(offset + limit) : 0;
    rc = cryptonn_mnist_load(data, !test, want, &d, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn encrypt: %s (run tools/fetch-mnist)\n", msg);
        cn_enc_mpks_free(&k);
        cn_wipe(&s, sizeof s);
        return 1;
    }
    if ((uint64_t)offset >= d.n) {
        fprintf(stderr, "cryptonn encrypt: --offset %ld leaves no samples (the set has %u)\n",
                offset, d.n);
        cryptonn_dataset_free(&d);
        cn_enc_mpks_free(&k);
        return 2;
    }
    /* a view of samples [offset, n) */
    cryptonn_dataset v = d;
    v.n = d.n - (uint32_t)offset;
    v.x = d.x + (size_t)offset * d.rows * d.cols;
    v.y = d.y + offset;
    omp_set_num_threads((int)threads);
    cn_encrypt_opts o = {.part = part, .threads = (uint32_t)threads, .labels = !test,
                         .batch_ct = !test, .progress = 1,
                         .table_bytes_max = table_mb ? (uint64_t)table_mb << 20 : 1};
    cn_encrypt_stats st;
    printf("encrypting %u %s samples (from %ld) as part '%s' of %s, %ld threads\n", v.n,
           test ? "test" : "training", offset, part, out, threads);
    rc = cn_client_encrypt(out, &p, &k, &s, &v, &o, &st);
    cryptonn_dataset_free(&d);
    cn_enc_mpks_free(&k);
    cn_wipe(&s, sizeof s);
    if (rc == CRYPTONN_ERR_MISMATCH) {
        fprintf(stderr, "cryptonn encrypt: %s holds a dataset under other keys or parameters "
                        "(every owner must use the same params.bin)\n", out);
        return 1;
    }
    if (rc != CRYPTONN_OK) return cli_fail("encrypt", rc);
    double n = (double)st.samples, nb = (double)st.batches;
    printf("done in %.1f s (%.1f CPU s): %llu samples, %llu batches, %.1f MB written\n",
           st.seconds_total, st.cpu_total, (unsigned long long)st.samples,
           (unsigned long long)st.batches, (double)st.bytes_written / 1e6);
    printf("  phase        wall s    CPU s\n");
    printf("  tables     %8.2f %8.2f  (%.0f MB of fixed-base tables%s)\n", st.seconds_tables,
           st.cpu_tables, (double)st.table_bytes / 1e6,
           !test && st.table_bytes < 100e6 ? "; batch ciphertexts without tables" : "");
    printf("  samples    %8.2f %8.2f  (%.2f CPU ms per sample)\n", st.seconds_samples,
           st.cpu_samples, 1e3 * st.cpu_samples / n);
    if (!test) {
        printf("  labels     %8.2f %8.2f  (%.2f CPU ms per sample, %u FEBO ciphertexts)\n",
               st.seconds_labels, st.cpu_labels, 1e3 * st.cpu_labels / n, p.classes);
        printf("  batch ct   %8.2f %8.2f  (%.0f CPU ms per batch of %u x %u slots)\n",
               st.seconds_batches, st.cpu_batches, 1e3 * st.cpu_batches / nb, p.batch, p.slots);
    }
    printf("  write      %8.2f %8.2f  (encoding and files)\n", st.seconds_write, st.cpu_write);
    if (!test && st.samples < 60000 && st.table_bytes < 100e6) {
        printf("  (no extrapolation: with fewer than 16 batches the batch ciphertexts are\n"
               "   encrypted without tables, which a full run would build; use --limit 1024+)\n");
    } else if (!test && st.samples < 60000) {
        /* CPU time spread over the threads: what the run costs on idle cores */
        double per = (st.cpu_samples + st.cpu_labels + st.cpu_write) / n +
                     st.cpu_batches / nb / p.batch;
        double full = (st.cpu_tables + 60000 * per) / (double)threads;
        printf("  extrapolated to 60,000 training samples on %ld idle cores: %.0f s (%.1f min)\n",
               threads, full, full / 60);
    }
    return 0;
}
