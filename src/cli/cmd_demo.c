/* `cryptonn demo`: the three roles of CryptoNN in one process on a subset of
 * MNIST, sized to finish in a few minutes on two cores. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/secure_run.h"
#include "secure/client.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn demo [--dir DIR] [--data DIR] [--train N] [--test N] [--epochs E]\n"
               "                     [--threads T]\n\n"
               "Runs the authority, a data owner and the training server in one process:\n"
               "keys, encryption of a MNIST subset, secure training of LeNet-5, secure\n"
               "prediction, per-phase times and the leakage report.\n\n"
               "  --dir DIR     working directory, recreated (runs/demo)\n"
               "  --data DIR    MNIST IDX files (data/mnist; tools/fetch-mnist)\n"
               "  --train N     training samples (2560)\n"
               "  --test N      test samples (500)\n"
               "  --epochs E    (1)\n"
               "  --threads T   (2)\n");
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

static int mkdir_p(const char *dir)
{
    char p[4096];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0755) != 0 && errno != EEXIST) return -1;
            *s = '/';
        }
    return mkdir(p, 0755) != 0 && errno != EEXIST ? -1 : 0;
}

/* Removes what an earlier demo left in dir, and only that. */
static int reset_dir(const char *dir)
{
    static const char *const subdirs[] = {"authority", "owners", "enc-train", "enc-test"};
    char p[4096];
    if (mkdir_p(dir) != 0) return -1;
    snprintf(p, sizeof p, "%s/.cryptonn-demo", dir);
    if (access(p, F_OK) != 0) {
        /* Refuse to clean a directory the demo did not create. */
        DIR *d = opendir(dir);
        struct dirent *e;
        int empty = 1;
        while (d && (e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) empty = 0;
        if (d) closedir(d);
        if (!empty) {
            fprintf(stderr, "cryptonn demo: %s exists and is not a demo directory\n", dir);
            return -1;
        }
        FILE *f = fopen(p, "w");
        if (f) fclose(f);
    }
    for (size_t i = 0; i < sizeof subdirs / sizeof subdirs[0]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, subdirs[i]);
        if (access(p, F_OK) == 0 && nftw(p, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) return -1;
    }
    return 0;
}

static double secs(uint64_t a) { return (double)(cn_now_ns() - a) / 1e9; }

int cli_demo(int argc, char **argv)
{
    static const struct option lo[] = {{"dir", 1, 0, 'd'},    {"data", 1, 0, 'D'},
                                       {"train", 1, 0, 'n'},  {"test", 1, 0, 't'},
                                       {"epochs", 1, 0, 'e'}, {"threads", 1, 0, 'T'},
                                       {"help", 0, 0, 'h'},   {0, 0, 0, 0}};
    const char *dir = "runs/demo", *data = "data/mnist";
    long ntrain = 2560, ntest = 500, epochs = 1, threads = 2;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'D': data = optarg; break;
        case 'n': ntrain = strtol(optarg, NULL, 10); break;
        case 't': ntest = strtol(optarg, NULL, 10); break;
        case 'e': epochs = strtol(optarg, NULL, 10); break;
        case 'T': threads = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (ntrain < 64 || ntrain > 60000 || ntest < 1 || ntest > 10000 || epochs < 1 || epochs > 20 ||
        threads < 1 || threads > 256) {
        fprintf(stderr, "cryptonn demo: --train 64..60000, --test 1..10000, --epochs 1..20\n");
        return 2;
    }
    printf("CryptoNN demo: LeNet-5 (tanh) trained on %ld encrypted MNIST images for %ld epoch(s),\n"
           "tested by secure prediction on %ld encrypted test images.\n"
           "(A subset, so the demo ends in a few minutes on 2 cores; `cryptonn train --secure`\n"
           "runs full MNIST.)\n\n", ntrain, epochs, ntest);
    if (reset_dir(dir) != 0) {
        fprintf(stderr, "cryptonn demo: cannot prepare %s\n", dir);
        return 1;
    }
    char auth[4096], owner[4096], enc[4096], enct[4096], model[4096], report[4096], cache[4096];
    snprintf(auth, sizeof auth, "%s/authority", dir);
    snprintf(owner, sizeof owner, "%s/authority/owner.key", dir);
    snprintf(enc, sizeof enc, "%s/enc-train", dir);
    snprintf(enct, sizeof enct, "%s/enc-test", dir);
    snprintf(model, sizeof model, "%s/model.bin", dir);
    snprintf(report, sizeof report, "%s/report.md", dir);
    snprintf(cache, sizeof cache, "cache");
    mkdir(cache, 0755);

    char why[256] = "";
    cryptonn_dataset tr = {0}, te = {0};
    int rc = cryptonn_mnist_load(data, 1, (uint32_t)ntrain, &tr, why, sizeof why);
    if (rc == CRYPTONN_OK) rc = cryptonn_mnist_load(data, 0, (uint32_t)ntest, &te, why, sizeof why);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn demo: %s: %s %s\n(run tools/fetch-mnist first)\n", data,
                cryptonn_status_str(rc), why);
        return 1;
    }

    uint64_t t0 = cn_now_ns();
    cn_enc_params pp;
    cn_enc_params_default(&pp);
    rc = cn_authority_setup(auth, &pp, NULL);
    if (rc != CRYPTONN_OK) return cli_fail("authority setup", rc);
    printf("[authority] master keys for samples (%u slots), batches (%u x %u slots) and labels;\n"
           "            label permutation for the data owners: %.1f s\n",
           pp.slots, pp.batch, pp.slots, secs(t0));

    cn_enc_params got;
    cn_enc_mpks mpks = {0};
    cn_owner_secret own;
    rc = cn_encdata_read_params(auth, &got, &mpks);
    if (rc == CRYPTONN_OK) rc = cn_owner_secret_load(&own, owner);
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(enc, &got, &mpks);
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(enct, &got, &mpks);
    if (rc != CRYPTONN_OK) return cli_fail("owner keys", rc);
    t0 = cn_now_ns();
    cn_encrypt_opts eo = {.part = "owner1", .threads = (uint32_t)threads, .labels = 1, .batch_ct = 1, .progress = 1};
    cn_encrypt_stats es = {0};
    rc = cn_client_encrypt(enc, &got, &mpks, &own, &tr, &eo, &es);
    if (rc != CRYPTONN_OK) return cli_fail("client encryption", rc);
    double t_enc = secs(t0);
    printf("[client]    encrypted %u images, %u batch ciphertexts and %u labels: %.1f s\n"
           "            (images %.1f s, batches %.1f s, labels %.1f s; %.1f MB)\n",
           tr.n, (tr.n + pp.batch - 1) / pp.batch, tr.n * pp.classes, t_enc, es.seconds_samples,
           es.seconds_batches, es.seconds_labels, (double)es.bytes_written / 1e6);
    t0 = cn_now_ns();
    cn_encrypt_opts to = {.part = "owner1", .threads = (uint32_t)threads, .progress = 1};
    cn_encrypt_stats ts2 = {0};
    rc = cn_client_encrypt(enct, &got, &mpks, &own, &te, &to, &ts2);
    if (rc != CRYPTONN_OK) return cli_fail("client encryption (test)", rc);
    printf("[client]    encrypted %u test images: %.1f s\n\n", te.n, secs(t0));
    cn_enc_mpks_free(&mpks);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&te);
    cn_wipe(&own, sizeof own);

    cli_secure_job j;
    memset(&j, 0, sizeof j);
    j.enc_dir = enc;
    j.test_dir = enct;
    j.auth_dir = auth;
    j.owner_key = owner;
    j.data_dir = data;
    j.test_limit = (uint32_t)ntest;
    j.out = model;
    j.report = report;
    j.cache = cache;
    j.epochs = (uint32_t)epochs;
    j.seconds_encrypt = t_enc;
    cryptonn_model_config_default(&j.cfg);
    j.cfg.arch = CRYPTONN_ARCH_LENET5;
    j.cfg.act = CRYPTONN_ACT_TANH;
    cn_secure_opts_default(&j.so);
    j.so.sgd.lr = 0.1f;
    j.so.threads = (uint32_t)threads;
    j.so.progress = 1;
    cn_policy_default(&j.pol);
    char settings[200];
    snprintf(settings, sizeof settings,
             "model: LeNet-5, tanh, cross-entropy (demo)\nsgd: lr 0.1, momentum 0.9\n"
             "precision: first-layer weights %u bits, gradient %u bits, pixels 8 bits",
             j.so.w_bits, j.so.dz_bits);
    j.settings = settings;
    uint64_t ts = cn_now_ns();
    double acc = -1;
    int code = cli_secure_run(&j, &acc);
    printf("\ndemo: %.1f s in all; secure test accuracy %.2f%%\n", secs(ts) + t_enc,
           acc >= 0 ? 100 * acc : 0.0);
    return code;
}
