/* `cryptonn encrypt`: a data owner encrypts its samples — MNIST, or its own
 * records under the owners' data spec — (and, for training data, the labels
 * and the batch ciphertexts) as one part of an encrypted dataset. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/datamodel.h"
#include "cryptonn/authority.h"
#include "cryptonn/dist.h"
#include "cryptonn/nn.h"
#include "cryptonn/owner.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn encrypt --params FILE --owner-key FILE --out DIR [--data DIR]\n"
            "                        [--spec FILE --data FILE [--labels Y.npy]]\n"
            "                        [--part NAME] [--offset N] [--limit N] [--test]\n"
            "                        [--threads T] [--table-mb M]\n"
            "                        [--register AUTHDIR | --registration FILE]\n\n"
            "Encrypts MNIST, or the owner's records under a data spec, as a data owner:\n"
            "every sample as one FEIP ciphertext, and for\n"
            "training data also every fixed batch as one ciphertext over (sample, pixel)\n"
            "slots and the one-hot labels (FEBO) after relabelling the classes with the\n"
            "owners' secret permutation. Writes part NAME of the encrypted dataset in DIR;\n"
            "several owners may add parts under the same params.\n\n"
            "  --params FILE     params.bin from the authority (cryptonn keygen)\n"
            "  --owner-key FILE  owner.key from the authority\n"
            "  --out DIR         the encrypted dataset directory\n"
            "  --data DIR        MNIST IDX files (data/mnist)\n"
            "  --spec FILE       the owners' data spec (docs/DATA.md); --data is then a CSV\n"
            "                    or .npy file of records, each put on the spec's\n"
            "                    fixed-point grid (a record that does not fit is refused)\n"
            "  --labels Y.npy    with --spec and a .npy --data: the labels or targets\n"
            "                    (a CSV's labels are its column; a test set needs none)\n"
            "  --part NAME       this owner's part, [A-Za-z0-9_-]{1,64} (main)\n"
            "  --offset N        skip the first N samples (owners splitting the data)\n"
            "  --limit N         encrypt at most N samples (all)\n"
            "  --test            the test set or records to predict: samples only (no\n"
            "                    labels, no batch ciphertexts), so a CSV without the label\n"
            "                    column or a .npy without --labels will do; use its own\n"
            "                    --out directory\n"
            "  --threads T       worker threads (2)\n"
            "  --table-mb M      memory for the batch mpk's fixed-base tables (4096);\n"
            "                    less makes the batch ciphertexts ~4x slower\n"
            "  --register DIR    strict mode, roles in one process: register the label\n"
            "                    ciphertexts with the authority in DIR directly\n"
            "  --registration F  strict mode: write the registration (digests of the label\n"
            "                    ciphertexts) to F for the authority: `cryptonn authority\n"
            "                    register --state DIR F` (default OUT-PART.lreg)\n"
            "In strict mode (params.bin from `keygen --mode strict`) there are no batch\n"
            "ciphertexts, and the authority issues label keys only for registered ones.\n");
}

static int load_mnist(const char *dir, int train, uint32_t want, cryptonn_dataset *d)
{
    char msg[512];
    if (cryptonn_mnist_load(dir, train, want, d, msg, sizeof msg) == CRYPTONN_OK) return 0;
    fprintf(stderr, "cryptonn encrypt: %s (run tools/fetch-mnist, or pass --spec for your own "
                    "records)\n", msg);
    return 1;
}

/* The owner's records under the spec, which must be the one params.bin was
 * made for (the same integers, shape and labels). A test set encrypts no
 * labels: its records may come without them. */
static int load_records(const char *spec_path, const char *data, const char *labels, int test,
                        const cryptonn_owner *o, cryptonn_records *r)
{
    cryptonn_data_spec spec;
    if (cli_spec_read("encrypt", spec_path, &spec) != CRYPTONN_OK) return 2;
    char msg[256] = "";
    int rc = cryptonn_owner_check_spec(o, &spec, msg, sizeof msg);
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn encrypt: %s: %s\n", spec_path, msg);
    else if (test) rc = cli_records_load_unlabeled("encrypt", &spec, data, labels, r);
    else rc = cli_records_load("encrypt", &spec, data, labels, r);
    cryptonn_spec_free(&spec);
    return rc == CRYPTONN_OK ? 0 : rc == CRYPTONN_ERR_MISMATCH ? 1 : 2;
}

/* Hands the label registration in file to the authority in dir
 * (in-process) and removes the file. Returns 0, or 1 after printing the
 * reason. */
static int register_with(const char *dir, const char *file)
{
    uint64_t added = 0;
    char why[256] = "";
    int rc = cryptonn_authority_register_in(dir, file, &added, why, sizeof why);
    remove(file);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn encrypt: registering the labels with %s: %s\n", dir,
                why[0] ? why : cryptonn_status_str(rc));
        return 1;
    }
    printf("registered %llu label ciphertexts with the authority in %s\n",
           (unsigned long long)added, dir);
    return 0;
}

static int encrypt_main(int argc, char **argv)
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
                                             {"register", required_argument, 0, 'R'},
                                             {"registration", required_argument, 0, 'F'},
                                             {"spec", required_argument, 0, 'S'},
                                             {"labels", required_argument, 0, 'Y'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *params = NULL, *okey = NULL, *out = NULL, *data = "data/mnist", *part = "main";
    const char *reg_dir = NULL, *reg_file = NULL, *spec_path = NULL, *labels = NULL;
    uint64_t offset = 0, limit = 0, threads = 2, table_mb = 4096;
    int test = 0, c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'p': params = optarg; break;
        case 'k': okey = optarg; break;
        case 'o': out = optarg; break;
        case 'd': data = optarg; break;
        case 'P': part = optarg; break;
        case 'O': bad |= cli_parse_u64("encrypt", "offset", optarg, 0, 100000000, &offset); break;
        case 'l': bad |= cli_parse_u64("encrypt", "limit", optarg, 0, 100000000, &limit); break;
        case 'T': test = 1; break;
        case 't': bad |= cli_parse_u64("encrypt", "threads", optarg, 1, 64, &threads); break;
        case 'm': bad |= cli_parse_u64("encrypt", "table-mb", optarg, 0, 1 << 20, &table_mb); break;
        case 'R': reg_dir = optarg; break;
        case 'F': reg_file = optarg; break;
        case 'S': spec_path = optarg; break;
        case 'Y': labels = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !params || !okey || !out || (reg_dir && reg_file)) {
        usage(stderr);
        return 2;
    }
    if (labels && !spec_path) {
        fprintf(stderr, "cryptonn encrypt: --labels goes with --spec and a .npy --data (MNIST's "
                        "labels are in its IDX files)\n");
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
    cryptonn_owner *own = NULL;
    int rc = cryptonn_owner_open(&own, params, okey);
    if (rc != CRYPTONN_OK) {
        /* name the file at fault: the key alone opens, or it is the key */
        int krc = cryptonn_owner_open(&own, NULL, okey);
        cryptonn_owner_close(own);
        return cli_fail(krc == CRYPTONN_OK ? params : okey, rc);
    }
    cryptonn_dataset d = {0};
    cryptonn_records rec = {0};
    cryptonn_samples all;
    rc = spec_path ? load_records(spec_path, data, labels, test, own, &rec)
                   : load_mnist(data, !test, limit ? (uint32_t)(offset + limit) : 0, &d);
    if (rc != 0) {
        cryptonn_owner_close(own);
        return rc;
    }
    if (spec_path) cryptonn_records_view(&rec, &all);
    else cryptonn_samples_of(&d, &all);
    if ((uint64_t)offset >= all.n) {
        fprintf(stderr, "cryptonn encrypt: --offset %llu leaves no samples (the set has %u)\n",
                (unsigned long long)offset, all.n);
        cryptonn_dataset_free(&d);
        cryptonn_records_free(&rec);
        cryptonn_owner_close(own);
        return 2;
    }
    /* a view of samples [offset, offset + limit) */
    cryptonn_samples v = all;
    v.n = all.n - (uint32_t)offset;
    if (limit && limit < v.n) v.n = (uint32_t)limit;
    v.x = all.x + (size_t)offset * all.size;
    if (all.y) v.y = all.y + offset;
    if (all.t) v.t = all.t + (size_t)offset * all.outputs;
    omp_set_num_threads((int)threads);
    const int strict = cryptonn_owner_mode(own) == CRYPTONN_MODE_STRICT;
    /* with --register the registration goes through a file too, removed
     * once the authority holds it */
    char regpath[4096];
    if (reg_file) snprintf(regpath, sizeof regpath, "%s", reg_file);
    else snprintf(regpath, sizeof regpath, "%s-%s.lreg", out, part);
    cryptonn_encrypt_opts o;
    cryptonn_encrypt_opts_default(&o);
    o.part = part;
    o.threads = (uint32_t)threads;
    o.labels = !test;
    o.progress = 1;
    o.table_mb = table_mb ? table_mb : 1; /* 1 MB holds no table: none are built */
    o.registration = regpath;
    cryptonn_encrypt_stats st;
    char msg[512] = "";
    printf("encrypting %u %s samples (from %llu) as part '%s' of %s, %llu threads%s\n", v.n,
           test ? "test" : "training", (unsigned long long)offset, part, out,
           (unsigned long long)threads, strict ? " (strict mode: no batch ciphertexts)" : "");
    rc = cryptonn_owner_encrypt_samples(own, out, &v, &o, &st, msg, sizeof msg);
    const uint32_t classes = cryptonn_owner_classes(own), batch = cryptonn_owner_batch(own),
                   slots = cryptonn_owner_width(own);
    cryptonn_dataset_free(&d);
    cryptonn_records_free(&rec);
    cryptonn_owner_close(own);
    if (rc == CRYPTONN_ERR_MISMATCH) {
        fprintf(stderr, "cryptonn encrypt: %s\n", msg);
        return 1;
    }
    if (rc != CRYPTONN_OK && msg[0]) {
        fprintf(stderr, "cryptonn encrypt: %s: %s\n", cryptonn_status_str(rc), msg);
        return 1;
    }
    if (rc != CRYPTONN_OK) return cli_fail("encrypt", rc);
    if (strict && !test && cryptonn_dist_rank() == 0) {
        if (reg_dir && register_with(reg_dir, regpath) != 0) return 1;
        if (!reg_dir)
            printf("label registration in %s: hand it to the authority (cryptonn authority "
                   "register --state DIR %s); label keys are refused until it is registered\n",
                   regpath, regpath);
    }
    double n = (double)st.samples, nb = (double)st.batches;
    printf("done in %.1f s (%.1f CPU s): %llu samples, %llu batches, %.1f MB written\n",
           st.seconds, st.cpu_total, (unsigned long long)st.samples,
           (unsigned long long)st.batches, (double)st.bytes_written / 1e6);
    printf("  phase        wall s    CPU s\n");
    printf("  tables     %8.2f %8.2f  (%.0f MB of fixed-base tables%s)\n", st.seconds_tables,
           st.cpu_tables, (double)st.table_bytes / 1e6,
           !test && st.table_bytes < 100e6 ? "; batch ciphertexts without tables" : "");
    printf("  samples    %8.2f %8.2f  (%.2f CPU ms per sample)\n", st.seconds_samples,
           st.cpu_samples, 1e3 * st.cpu_samples / n);
    if (!test) {
        printf("  labels     %8.2f %8.2f  (%.2f CPU ms per sample, %u FEBO ciphertexts)\n",
               st.seconds_labels, st.cpu_labels, 1e3 * st.cpu_labels / n, classes);
        if (!strict) printf("  batch ct   %8.2f %8.2f  (%.0f CPU ms per batch of %u x %u slots)\n",
               st.seconds_batches, st.cpu_batches, 1e3 * st.cpu_batches / nb, batch, slots);
    }
    printf("  write      %8.2f %8.2f  (encoding and files)\n", st.seconds_write, st.cpu_write);
    if (!test && !strict && st.samples < 60000 && st.table_bytes < 100e6) {
        printf("  (no extrapolation: with fewer than 16 batches the batch ciphertexts are\n"
               "   encrypted without tables, which a full run would build; use --limit 1024+)\n");
    } else if (!test && st.samples < 60000) {
        /* CPU time spread over the threads: what the run costs on idle cores */
        double per = (st.cpu_samples + st.cpu_labels + st.cpu_write) / n +
                     (strict ? 0 : st.cpu_batches / nb / batch);
        double full = (st.cpu_tables + 60000 * per) / (double)threads;
        printf("  extrapolated to 60,000 training samples on %llu idle cores: %.0f s (%.1f min)\n",
               (unsigned long long)threads, full, full / 60);
    }
    return 0;
}

/* Under mpirun every rank encrypts its share of the batches, into the same
 * files and index as one process; rank 0 alone prints and registers. */
int cli_encrypt(int argc, char **argv)
{
    if (!cryptonn_dist_launched()) return encrypt_main(argc, argv);
    char msg[256] = "";
    if (cryptonn_dist_start(msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn encrypt: launched by mpirun: %s\n", msg);
        return 2;
    }
    if (cryptonn_dist_rank() != 0 && !freopen("/dev/null", "w", stdout)) return 1;
    int code = encrypt_main(argc, argv);
    /* a rank that stops early would leave the others waiting for it */
    if (code != 0 && cryptonn_dist_size() > 1) {
        fflush(stdout);
        cryptonn_dist_abort(code);
    }
    cryptonn_dist_stop();
    return code;
}
