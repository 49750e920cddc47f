/* `cryptonn train --secure`: CryptoNN training on an encrypted dataset, the
 * authority in this process (the networked mode runs it as a service). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/args.h"
#include "cli/secure_run.h"
#include "cli/train_dist.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn train --secure --enc DIR --authority DIR [options]\n\n"
            "Trains on encrypted data: the first layer, the output error and the first-layer\n"
            "gradient come only from function keys; the rest runs in plaintext (CryptoNN).\n\n"
            "  --enc DIR                encrypted training set (cryptonn encrypt)\n"
            "  --authority DIR          key authority state (cryptonn keygen), run in-process\n"
            "  --test-enc DIR           encrypted test set: secure prediction after each epoch\n"
            "  --owner-key FILE         with --test-enc: the owners' label permutation, so the\n"
            "                           owners' side can score the predictions\n"
            "  --data DIR               the owners' true test labels (data/mnist)\n"
            "  --test-limit N           score the first N test samples (all)\n"
            "  --model lenet5|mlp|FILE  a built-in model or a model file (docs/DATA.md) whose\n"
            "                           first layer is dense or conv2d (lenet5)\n"
            "  --spec FILE              the owners' data spec: --data is then their test\n"
            "                           records' file (CSV or .npy), to score predictions\n"
            "  --labels Y.npy           with --spec and .npy test records: their labels\n"
            "  --hidden H               MLP hidden width (128)\n"
            "  --conv1-filters N        LeNet-5's first convolution, 1..64 (6); with\n"
            "                           --freeze-first-layer, N < 2 keeps the revealed\n"
            "                           rank below 784 (one filter: at most 576)\n"
            "  --activation sigmoid|relu|tanh (tanh)\n"
            "  --loss ce|mse            (ce)\n"
            "  --epochs N               (2)\n"
            "  --lr X                   (0.05)\n"
            "  --momentum M             (0.9)\n"
            "  --weight-decay W         (0)\n"
            "  --seed S                 initialisation and batch order (1)\n"
            "  --freeze-first-layer     keep the first layer at its seeded weights: its keys\n"
            "                           never change and no gradient keys are issued\n"
            "  --w-bits B               first-layer weight precision (8)\n"
            "  --dz-bits B              gradient precision (12)\n"
            "  --min-support N          authority policy: refuse keys with fewer non-zeros (2)\n"
            "  --max-rank N             authority policy: revealed-rank budget per mpk (none)\n"
            "  --max-batches N          batches per epoch (all)\n"
            "  --resume OUT.ckpt        continue exactly where a run stopped (the checkpoint\n"
            "                           holds weights, momentum and position)\n"
            "  --resume MODEL --start-epoch E   continue from a model file's weights\n"
            "  --out PATH               model file after every epoch (model.bin), and\n"
            "                           PATH.ckpt, the checkpoint to resume from; a run\n"
            "                           stopped before its first step writes neither\n"
            "  --checkpoint-every N     also write PATH.ckpt every N batches (at epoch ends;\n"
            "                           under mpirun every 16)\n"
            "  --mpi                    run as one rank of an MPI job (implied when launched\n"
            "                           by mpirun: mpirun -np N cryptonn train --secure ...);\n"
            "                           each rank decrypts its share of every batch, rank 0\n"
            "                           alone asks the authority and writes the files, and\n"
            "                           the model is the same as one process's\n"
            "  --log PATH               CSV, one row per epoch\n"
            "  --report PATH            Markdown report with the leakage report (report.md)\n"
            "  --audit N                with --owner-key: the owners' audit of what the server\n"
            "                           holds, on N training images of --data (20; 0: off);\n"
            "                           with --spec on N of the test records of --data\n"
            "  --audit-records FILE     with --spec: audit these records instead (CSV or .npy,\n"
            "                           e.g. your training records; the test records then\n"
            "                           serve as public data of the same kind)\n"
            "  --audit-labels Y.npy     with .npy --audit-records: their labels\n"
            "  --cache DIR              discrete-log table cache (cache)\n"
            "  --dlog-bits B            discrete-log baby steps ±2^B (21; smaller builds\n"
            "                           faster, solves large gradients slower)\n"
            "  --threads T              (2)\n");
}

enum {
    O_ENC = 256, O_AUTH, O_TEST, O_OWNER, O_DATA, O_TLIM, O_MODEL, O_HIDDEN, O_ACT, O_LOSS,
    O_EPOCHS, O_LR, O_MOM, O_WD, O_SEED, O_FREEZE, O_WB, O_DZB, O_MINS, O_MAXR, O_MAXB, O_RESUME,
    O_START, O_OUT, O_LOG, O_REPORT, O_CACHE, O_THREADS, O_SECURE, O_HELP, O_DLOG, O_CONV1,
    O_AUDIT, O_CKPT, O_MPI, O_SPEC, O_LABELS, O_AREC, O_ALAB
};

static int parse_f(const char *s, double lo, double hi, float *v)
{
    double d;
    if (cli_parse_double("train", "value", s, lo, hi, &d) != 0) return 0;
    *v = (float)d;
    return 1;
}

static int parse_u(const char *s, unsigned long long max, unsigned long long *v)
{
    char *e;
    unsigned long long x = strtoull(s, &e, 10);
    if (!*s || *e || x > max) return 0;
    *v = x;
    return 1;
}

int cli_train_secure(int argc, char **argv)
{
    static const struct option lo[] = {
        {"enc", 1, 0, O_ENC},         {"authority", 1, 0, O_AUTH}, {"test-enc", 1, 0, O_TEST},
        {"owner-key", 1, 0, O_OWNER}, {"data", 1, 0, O_DATA},      {"test-limit", 1, 0, O_TLIM},
        {"model", 1, 0, O_MODEL},     {"hidden", 1, 0, O_HIDDEN},  {"activation", 1, 0, O_ACT},
        {"loss", 1, 0, O_LOSS},       {"epochs", 1, 0, O_EPOCHS},  {"lr", 1, 0, O_LR},
        {"momentum", 1, 0, O_MOM},    {"weight-decay", 1, 0, O_WD}, {"seed", 1, 0, O_SEED},
        {"freeze-first-layer", 0, 0, O_FREEZE}, {"w-bits", 1, 0, O_WB}, {"dz-bits", 1, 0, O_DZB},
        {"min-support", 1, 0, O_MINS}, {"max-rank", 1, 0, O_MAXR}, {"max-batches", 1, 0, O_MAXB},
        {"resume", 1, 0, O_RESUME},   {"start-epoch", 1, 0, O_START}, {"out", 1, 0, O_OUT},
        {"log", 1, 0, O_LOG},         {"report", 1, 0, O_REPORT},  {"audit", 1, 0, O_AUDIT},  {"cache", 1, 0, O_CACHE},
        {"threads", 1, 0, O_THREADS}, {"secure", 0, 0, O_SECURE},  {"help", 0, 0, O_HELP},
        {"dlog-bits", 1, 0, O_DLOG},  {"conv1-filters", 1, 0, O_CONV1},
        {"checkpoint-every", 1, 0, O_CKPT}, {"mpi", 0, 0, O_MPI}, {"spec", 1, 0, O_SPEC},
        {"labels", 1, 0, O_LABELS},   {"audit-records", 1, 0, O_AREC},
        {"audit-labels", 1, 0, O_ALAB}, {0, 0, 0, 0}};
    const char *model_file = NULL;
    cli_secure_job j;
    memset(&j, 0, sizeof j);
    j.out = "model.bin";
    j.report = "report.md";
    j.cache = "cache";
    j.data_dir = "data/mnist";
    j.audit = 20;
    j.epochs = 2;
    j.seconds_encrypt = -1;
    cryptonn_model_config_default(&j.cfg);
    j.cfg.arch = CRYPTONN_ARCH_LENET5;
    j.cfg.act = CRYPTONN_ACT_TANH;
    cryptonn_trainer_opts_default(&j.so);
    j.so.sgd.lr = 0.05f;
    j.so.progress = 1;
    cryptonn_policy_default(&j.pol);
    unsigned long long v;
    int c, want_mpi = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        int ok = 1;
        switch (c) {
        case O_ENC: j.enc_dir = optarg; break;
        case O_AUTH: j.auth_dir = optarg; break;
        case O_TEST: j.test_dir = optarg; break;
        case O_OWNER: j.owner_key = optarg; break;
        case O_DATA: j.data_dir = optarg; break;
        case O_TLIM: ok = parse_u(optarg, 1u << 30, &v) && (j.test_limit = (uint32_t)v, 1); break;
        case O_MODEL:
            if (!strcmp(optarg, "lenet5")) j.cfg.arch = CRYPTONN_ARCH_LENET5;
            else if (!strcmp(optarg, "mlp")) j.cfg.arch = CRYPTONN_ARCH_MLP;
            else model_file = optarg;
            break;
        case O_SPEC: j.spec = optarg; break;
        case O_LABELS: j.labels = optarg; break;
        case O_AREC: j.audit_records = optarg; break;
        case O_ALAB: j.audit_labels = optarg; break;
        case O_HIDDEN: ok = parse_u(optarg, 4096, &v) && v > 0 && (j.cfg.hidden = (uint32_t)v, 1); break;
        case O_ACT:
            if (!strcmp(optarg, "sigmoid")) j.cfg.act = CRYPTONN_ACT_SIGMOID;
            else if (!strcmp(optarg, "relu")) j.cfg.act = CRYPTONN_ACT_RELU;
            else if (!strcmp(optarg, "tanh")) j.cfg.act = CRYPTONN_ACT_TANH;
            else ok = 0;
            break;
        case O_LOSS:
            if (!strcmp(optarg, "ce")) j.cfg.loss = CRYPTONN_LOSS_CE;
            else if (!strcmp(optarg, "mse")) j.cfg.loss = CRYPTONN_LOSS_MSE;
            else ok = 0;
            break;
        case O_EPOCHS: ok = parse_u(optarg, 64, &v) && v > 0 && (j.epochs = (uint32_t)v, 1); break;
        case O_LR: ok = parse_f(optarg, 1e-9, 100, &j.so.sgd.lr); break;
        case O_MOM: ok = parse_f(optarg, 0, 0.999, &j.so.sgd.momentum); break;
        case O_WD: ok = parse_f(optarg, 0, 1, &j.so.sgd.weight_decay); break;
        case O_SEED: ok = parse_u(optarg, ~0ull, &v) && (j.cfg.seed = v, j.so.seed = v, 1); break;
        case O_FREEZE: j.cfg.frozen_first_layer = 1; break;
        case O_CONV1:
            ok = parse_u(optarg, 64, &v) && v > 0 && (j.cfg.conv1_filters = (uint32_t)v, 1);
            break;
        case O_WB: ok = parse_u(optarg, 20, &v) && v >= 2 && (j.so.w_bits = (unsigned)v, 1); break;
        case O_DZB: ok = parse_u(optarg, 20, &v) && v >= 2 && (j.so.dz_bits = (unsigned)v, 1); break;
        case O_MINS: ok = parse_u(optarg, 1u << 30, &v) && (j.pol.min_support = (uint32_t)v, 1); break;
        case O_MAXR: ok = parse_u(optarg, ~0ull, &v) && (j.pol.max_rank = v, 1); break;
        case O_MAXB: ok = parse_u(optarg, ~0ull, &v) && (j.so.max_batches = v, 1); break;
        case O_RESUME: j.resume = optarg; break;
        case O_START: ok = parse_u(optarg, 64, &v) && (j.first_epoch = (uint32_t)v, 1); break;
        case O_OUT: j.out = optarg; break;
        case O_LOG: j.log = optarg; break;
        case O_REPORT: j.report = optarg; break;
        case O_AUDIT: ok = cli_parse_u32("train", "audit", optarg, 0, 1000, &j.audit) == 0; break;
        case O_CACHE: j.cache = optarg; break;
        case O_THREADS: ok = parse_u(optarg, 256, &v) && v > 0 && (j.so.threads = (uint32_t)v, 1); break;
        case O_SECURE: break;
        case O_MPI: want_mpi = 1; break;
        case O_CKPT:
            ok = cli_parse_u64("train", "checkpoint-every", optarg, 1, UINT32_MAX,
                               &j.checkpoint_every) == 0;
            break;
        case O_DLOG:
            ok = parse_u(optarg, 25, &v) && v >= 8 && (j.so.dlog_table_bits = (unsigned)v, 1);
            break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (!ok) {
            const char *name = "?";
            for (size_t i = 0; lo[i].name; i++)
                if (lo[i].val == c) name = lo[i].name;
            fprintf(stderr, "cryptonn train: invalid value '%s' for --%s\n", optarg, name);
            return 2;
        }
    }
    if (!j.enc_dir || !j.auth_dir) {
        fprintf(stderr, "cryptonn train --secure: --enc and --authority are required\n\n");
        usage(stderr);
        return 2;
    }
    if (model_file) {
        /* the shape comes from the encrypted records when the file gives none */
        uint32_t frozen = j.cfg.frozen_first_layer;
        uint64_t seed = j.cfg.seed;
        char why[512] = "";
        if (cryptonn_model_config_read(model_file, &j.cfg, why, sizeof why) != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn train: %s\n", why);
            return 2;
        }
        j.cfg.frozen_first_layer |= frozen;
        j.cfg.seed = seed;
    }
    if ((j.audit_records && !j.spec) || (j.audit_labels && !j.audit_records)) {
        fprintf(stderr, "cryptonn train --secure: --audit-records needs --spec (MNIST's audit "
                        "takes --data), --audit-labels needs --audit-records\n");
        return 2;
    }
    if (j.first_epoch && !j.resume) {
        fprintf(stderr, "cryptonn train --secure: --start-epoch needs --resume\n");
        return 2;
    }
    char settings[1024];
    snprintf(settings, sizeof settings,
             "model: %s, activation %s, loss %s%s\nsgd: lr %g, momentum %g, weight decay %g\n"
             "precision: first-layer weights %u bits, gradient %u bits, inputs as params.bin "
             "gives them\n"
             "policy: min support %u, max rank %llu\nseed: %llu",
             model_file ? model_file : j.cfg.arch == CRYPTONN_ARCH_LENET5 ? "LeNet-5" : "MLP",
             j.cfg.act == CRYPTONN_ACT_TANH ? "tanh" : j.cfg.act == CRYPTONN_ACT_RELU ? "relu" : "sigmoid",
             j.cfg.loss == CRYPTONN_LOSS_MSE ? "mse" : "cross-entropy",
             j.cfg.frozen_first_layer ? ", first layer frozen" : "", (double)j.so.sgd.lr,
             (double)j.so.sgd.momentum, (double)j.so.sgd.weight_decay, j.so.w_bits, j.so.dz_bits,
             j.pol.min_support, (unsigned long long)j.pol.max_rank, (unsigned long long)j.so.seed);
    j.settings = settings;
    return cli_train_dist_run(&j, want_mpi);
}
