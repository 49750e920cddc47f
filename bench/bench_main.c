/* `cryptonn bench SUITE [--json] [--quick] [--threads N]` */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "cli/commands.h"

typedef struct {
    const char *name;
    int (*run)(int, char **, const bench_opts *);
    const char *summary;
} suite;

static const suite SUITES[] = {
    {"group", bench_group, "ristretto255 core vs libdecaf and libsodium"},
    {"nn", bench_nn, "one LeNet-5 epoch on MNIST vs PyTorch"},
    {"train", bench_train, "secure vs plaintext LeNet-5 training per batch, extrapolated to MNIST"},
    {"service", bench_service, "networked roles: key requests under load, networked vs in-process training"},
    {"fe", bench_fe, "FEIP encryption, keygen, batched decryption vs libsodium and the papers"},
    {"audit", bench_audit, "owner-side audit: each attack's time per record, LP vs GLPK"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn bench SUITE [--json] [--quick] [--threads N] [--ranks 1,2]\n\n"
               "  --ranks LIST  (train) secure training with each number of MPI ranks of one\n"
               "                thread (mpirun): time per batch, scaling, bytes between ranks\n"
               "  --model FILE  (train) any model file, secure vs plaintext per batch, on\n"
               "                MNIST or on --data FILE (CSV/.npy) under --spec FILE\n"
               "  --labels Y.npy (train --model) the labels of a .npy --data\n\n"
               "suites:\n");
    for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++)
        fprintf(f, "  %-8s %s\n", SUITES[i].name, SUITES[i].summary);
}

int cli_bench(int argc, char **argv)
{
    bench_opts o = {0, 0, 2, NULL, NULL, NULL, NULL, NULL};
    static const struct option longopts[] = {{"json", no_argument, 0, 'j'},
                                             {"quick", no_argument, 0, 'q'},
                                             {"threads", required_argument, 0, 't'},
                                             {"ranks", required_argument, 0, 'r'},
                                             {"model", required_argument, 0, 'm'},
                                             {"data", required_argument, 0, 'd'},
                                             {"spec", required_argument, 0, 's'},
                                             {"labels", required_argument, 0, 'L'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "jqt:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'j': o.json = 1; break;
        case 'q': o.quick = 1; break;
        case 't': o.threads = atoi(optarg); break;
        case 'r': o.ranks = optarg; break;
        case 'm': o.model = optarg; break;
        case 'd': o.data = optarg; break;
        case 's': o.spec = optarg; break;
        case 'L': o.labels = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (o.threads < 1 || o.threads > 256) {
        fprintf(stderr, "cryptonn bench: --threads must be 1..256\n");
        return 2;
    }
    if (optind >= argc) {
        usage(stderr);
        return 2;
    }
    for (size_t i = 0; i < sizeof SUITES / sizeof SUITES[0]; i++)
        if (!strcmp(argv[optind], SUITES[i].name))
            return SUITES[i].run(argc - optind, argv + optind, &o);
    fprintf(stderr, "cryptonn bench: unknown suite '%s'\n", argv[optind]);
    usage(stderr);
    return 2;
}
