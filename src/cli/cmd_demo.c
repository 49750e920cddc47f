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

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/secure_run.h"
#include "cryptonn/audit.h"
#include "cryptonn/authority.h"
#include "cryptonn/owner.h"
#include "cryptonn/util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn demo [--dir DIR] [--data DIR] [--mode strict|paper]\n"
               "                     [--first-layer SPEC] [--layer-seed N] [--train N]\n"
               "                     [--test N] [--epochs E] [--audit N] [--threads T]\n\n"
               "Runs the authority, a data owner and the training server in one process:\n"
               "keys, encryption of a MNIST subset, secure training, secure prediction,\n"
               "per-phase times, the leakage report and the owners' audit of what the\n"
               "server could reconstruct (with a picture next to the report).\n\n"
               "  --dir DIR          working directory, recreated (runs/demo)\n"
               "  --data DIR         MNIST IDX files (data/mnist; tools/fetch-mnist)\n"
               "  --mode M           strict (the recommended mode) or paper (strict)\n"
               "  --first-layer SPEC strict: the authority's first layer (conv:2x5s2)\n"
               "  --layer-seed N     the committed layer's and the label permutation's seed,\n"
               "                     for the same figures on every run (1; demo only: keygen\n"
               "                     draws the permutation from the system CSPRNG)\n"
               "  --train N          training samples (12000)\n"
               "  --test N           test samples (2000)\n"
               "  --epochs E         (6; strict mode decrypts the first layer once)\n"
               "  --audit N          records the audit attacks (20; 0: no audit)\n"
               "  --threads T        (2)\n");
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

static double secs(uint64_t a) { return (double)(cryptonn_now_ns() - a) / 1e9; }

static int register_labels(const char *auth, const char *file)
{
    uint64_t added = 0;
    char why[256] = "";
    int rc = cryptonn_authority_register_in(auth, file, &added, why, sizeof why);
    if (rc == CRYPTONN_OK)
        printf("[client]    registered %llu label ciphertexts with the authority\n",
               (unsigned long long)added);
    else if (why[0])
        fprintf(stderr, "cryptonn demo: %s\n", why);
    return rc;
}

/* The owners' audit of what the server holds: the key vectors the authority
 * issued, replayed on the first n training images, attacked with the test
 * images as the public auxiliary data. Table on stdout, Markdown and a
 * picture next to the report. */
static int demo_audit(const char *auth, const char *dir, const char *report,
                      const cryptonn_dataset *tr, const cryptonn_dataset *te, uint32_t n)
{
    cryptonn_audit *au = NULL;
    uint32_t nkeys = 0;
    char why[256] = "";
    uint64_t t0 = cryptonn_now_ns();
    int rc = cli_audit_issued(NULL, auth, tr, te, n, &au, &nkeys, why, sizeof why);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn demo: audit: %s\n", why[0] ? why : cryptonn_status_str(rc));
        return 1;
    }
    printf("\n[owners]    audit of what the server could reconstruct (%u training images, "
           "%u key vectors):\n", n, nkeys);
    char *text = NULL, *md = NULL;
    char pic[4096];
    snprintf(pic, sizeof pic, "%s/audit.png", dir);
    int prc = cryptonn_audit_picture(au, pic, 10);
    if (cryptonn_audit_format_result(au, CRYPTONN_AUDIT_TEXT, NULL, &text) == CRYPTONN_OK)
        fputs(text, stdout);
    FILE *f = fopen(report, "a");
    if (f && cryptonn_audit_format_result(au, CRYPTONN_AUDIT_MARKDOWN,
                                          prc == CRYPTONN_OK ? "audit.png" : NULL, &md) ==
                 CRYPTONN_OK)
        fprintf(f, "\n%s", md);
    if (f) fclose(f);
    printf("            (%.1f s; picture %s, originals on top, each attack below)\n", secs(t0),
           prc == CRYPTONN_OK ? pic : "not written");
    cryptonn_free(text);
    cryptonn_free(md);
    cryptonn_audit_destroy(au);
    return 0;
}

int cli_demo(int argc, char **argv)
{
    static const struct option lo[] = {
        {"dir", 1, 0, 'd'},         {"data", 1, 0, 'D'},       {"train", 1, 0, 'n'},
        {"test", 1, 0, 't'},        {"epochs", 1, 0, 'e'},     {"threads", 1, 0, 'T'},
        {"mode", 1, 0, 'M'},        {"first-layer", 1, 0, 'F'}, {"layer-seed", 1, 0, 'S'},
        {"audit", 1, 0, 'A'},       {"help", 0, 0, 'h'},       {0, 0, 0, 0}};
    const char *dir = "runs/demo", *data = "data/mnist", *mode = "strict", *spec = "conv:2x5s2";
    uint64_t ntrain = 12000, ntest = 2000, epochs = 6, threads = 2, seed = 1, naudit = 20;
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'd': dir = optarg; break;
        case 'D': data = optarg; break;
        case 'M': mode = optarg; break;
        case 'F': spec = optarg; break;
        case 'n': bad |= cli_parse_u64("demo", "train", optarg, 64, 60000, &ntrain); break;
        case 't': bad |= cli_parse_u64("demo", "test", optarg, 1, 10000, &ntest); break;
        case 'e': bad |= cli_parse_u64("demo", "epochs", optarg, 1, 20, &epochs); break;
        case 'T': bad |= cli_parse_u64("demo", "threads", optarg, 1, 256, &threads); break;
        case 'S': bad |= cli_parse_u64("demo", "layer-seed", optarg, 0, UINT64_MAX, &seed); break;
        case 'A': bad |= cli_parse_u64("demo", "audit", optarg, 0, 1000, &naudit); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    const int strict = !strcmp(mode, "strict");
    if (bad || optind != argc || (!strict && strcmp(mode, "paper") != 0)) {
        if (!bad) usage(stderr);
        return 2;
    }
    if (strict)
        printf("CryptoNN demo, strict mode: the authority commits to the first layer (%s);\n"
               "the server trains the layers above it on %llu encrypted MNIST images for %llu\n"
               "epoch(s) and predicts %llu encrypted test images.\n\n",
               spec, (unsigned long long)ntrain, (unsigned long long)epochs,
               (unsigned long long)ntest);
    else
        printf("CryptoNN demo, PAPER mode (the server chooses and trains the first layer and\n"
               "can recover every training image): LeNet-5 (tanh) on %llu encrypted MNIST\n"
               "images for %llu epoch(s), %llu encrypted test images.\n\n",
               (unsigned long long)ntrain, (unsigned long long)epochs, (unsigned long long)ntest);
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

    uint64_t t0 = cryptonn_now_ns();
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.mode = strict ? CRYPTONN_MODE_STRICT : CRYPTONN_MODE_PAPER;
    so.first_layer = spec;
    so.layer_seeded = 1;
    so.layer_seed = seed;
    char msg[512] = "";
    rc = cryptonn_authority_setup(auth, &so, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn demo: authority setup: %s\n",
                msg[0] ? msg : cryptonn_status_str(rc));
        return rc == CRYPTONN_ERR_ARG ? 2 : 1;
    }
    if (strict)
        printf("[authority] master keys for samples (%u slots) and labels, the committed first\n"
               "            layer %s, the owners' label permutation: %.1f s\n",
               tr.rows * tr.cols, spec, secs(t0));
    else
        printf("[authority] master keys for samples (%u slots), batches (%u x %u slots) and labels;\n"
               "            label permutation for the data owners: %.1f s\n",
               tr.rows * tr.cols, so.batch, tr.rows * tr.cols, secs(t0));

    /* Reproducible figures: the label permutation shapes training (the
     * server learns permuted classes), so the demo draws it from the seed
     * as well. A deployment keeps keygen's CSPRNG permutation, which the
     * server must not be able to guess. */
    cryptonn_owner *own = NULL;
    char params[4200];
    snprintf(params, sizeof params, "%s/params.bin", auth);
    if ((rc = cryptonn_owner_open(&own, params, NULL)) != CRYPTONN_OK) return cli_fail(params, rc);
    {
        const uint32_t classes = cryptonn_owner_classes(own);
        uint32_t order[256];
        uint8_t perm[256];
        cryptonn_shuffle_order(seed ^ 0x5eed, classes, order);
        for (uint32_t i = 0; i < classes; i++) perm[i] = (uint8_t)order[i];
        cryptonn_owner_close(own);
        rc = cryptonn_owner_key_save(owner, perm, classes);
        cryptonn_wipe(perm, sizeof perm);
        cryptonn_wipe(order, sizeof order);
        if (rc != CRYPTONN_OK) return cli_fail(owner, rc);
    }
    rc = cryptonn_owner_open(&own, params, owner);
    if (rc != CRYPTONN_OK) return cli_fail("owner keys", rc);
    t0 = cryptonn_now_ns();
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    eo.part = "owner1";
    eo.threads = (uint32_t)threads;
    eo.progress = 1;
    cryptonn_encrypt_stats es = {0};
    rc = cryptonn_owner_encrypt(own, enc, &tr, &eo, &es, msg, sizeof msg);
    if (rc == CRYPTONN_OK && strict) {
        char lreg[4200];
        snprintf(lreg, sizeof lreg, "%s/owner1.lreg", enc);
        rc = register_labels(auth, lreg);
    }
    if (rc != CRYPTONN_OK) {
        cryptonn_owner_close(own);
        return cli_fail("client encryption", rc);
    }
    double t_enc = secs(t0);
    printf("[client]    encrypted %u images, %u batch ciphertexts and %u labels: %.1f s\n"
           "            (images %.1f s, batches %.1f s, labels %.1f s; %.1f MB)\n",
           tr.n, (tr.n + so.batch - 1) / so.batch, tr.n * cryptonn_owner_classes(own), t_enc,
           es.seconds_samples, es.seconds_batches, es.seconds_labels,
           (double)es.bytes_written / 1e6);
    t0 = cryptonn_now_ns();
    eo.labels = 0;
    cryptonn_encrypt_stats ts2 = {0};
    rc = cryptonn_owner_encrypt(own, enct, &te, &eo, &ts2, msg, sizeof msg);
    cryptonn_owner_close(own);
    if (rc != CRYPTONN_OK) return cli_fail("client encryption (test)", rc);
    printf("[client]    encrypted %u test images: %.1f s\n\n", te.n, secs(t0));

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
    cryptonn_trainer_opts_default(&j.so);
    j.so.sgd.lr = 0.1f;
    j.so.threads = (uint32_t)threads;
    j.so.progress = 1;
    cryptonn_policy_default(&j.pol);
    char settings[200];
    if (strict)
        snprintf(settings, sizeof settings,
                 "mode: strict, committed first layer %s (seed %llu)\nmodel: that layer, ReLU, "
                 "dense 128, ReLU, dense 10, cross-entropy\nsgd: lr 0.1, momentum 0.9",
                 spec, (unsigned long long)seed);
    else
        snprintf(settings, sizeof settings,
                 "mode: paper\nmodel: LeNet-5, tanh, cross-entropy (demo)\nsgd: lr 0.1, momentum "
                 "0.9\nprecision: first-layer weights %u bits, gradient %u bits, pixels 8 bits",
                 j.so.w_bits, j.so.dz_bits);
    j.settings = settings;
    uint64_t ts = cryptonn_now_ns();
    double acc = -1;
    int code = cli_secure_run(&j, &acc);
    if (code == 0 && naudit) code = demo_audit(auth, dir, report, &tr, &te, (uint32_t)naudit);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&te);
    printf("\ndemo: %.1f s in all; %s mode; secure test accuracy %.2f%%\n", secs(ts) + t_enc,
           strict ? "strict" : "paper", acc >= 0 ? 100 * acc : 0.0);
    return code;
}
