/* `cryptonn evaluate MODEL`: test accuracy and the confusion matrix of a
 * model file on MNIST's test set. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cryptonn/nn.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn evaluate MODEL [--data DIR] [--train] [--limit N] [--threads T]\n\n"
               "Prints the accuracy of MODEL on MNIST's test set (or, with --train, the\n"
               "training set) and its confusion matrix (rows: true class, columns:\n"
               "predicted).\n\n"
               "  --data DIR    MNIST IDX files (data/mnist)\n"
               "  --train       evaluate on the training set instead\n"
               "  --limit N     only the first N samples\n"
               "  --threads T   worker threads (2)\n");
}

int cli_evaluate(int argc, char **argv)
{
    static const struct option longopts[] = {{"data", required_argument, 0, 'd'},
                                             {"train", no_argument, 0, 'T'},
                                             {"limit", required_argument, 0, 'l'},
                                             {"threads", required_argument, 0, 't'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *data = "data/mnist";
    int train = 0, threads = 2, c;
    long limit = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 'd': data = optarg; break;
        case 'T': train = 1; break;
        case 'l': limit = atol(optarg); break;
        case 't': threads = atoi(optarg); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || limit < 0 || limit > 1000000000L || threads < 1 || threads > 64) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    cryptonn_model *m;
    int rc = cryptonn_model_load(path, 256, (uint32_t)threads, &m);
    if (rc != CRYPTONN_OK) return cli_fail(path, rc);
    char msg[512];
    cryptonn_dataset d;
    rc = cryptonn_mnist_load(data, train, (uint32_t)limit, &d, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn evaluate: %s (run tools/fetch-mnist)\n", msg);
        cryptonn_model_destroy(m);
        return 1;
    }
    const uint32_t k = cryptonn_model_get_config(m)->classes;
    uint64_t *conf = calloc((size_t)k * k, sizeof *conf);
    double acc = 0;
    rc = conf ? cryptonn_model_evaluate(m, &d, &acc, conf) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) {
        printf("%s on %u %s samples: accuracy %.2f%%\n\n", path, d.n, train ? "training" : "test",
               100 * acc);
        printf("true\\pred");
        for (uint32_t j = 0; j < k; j++) printf(" %6u", j);
        printf("\n");
        for (uint32_t i = 0; i < k; i++) {
            printf("%9u", i);
            for (uint32_t j = 0; j < k; j++) printf(" %6llu", (unsigned long long)conf[i * k + j]);
            printf("\n");
        }
    } else {
        cli_fail("evaluating", rc);
    }
    free(conf);
    cryptonn_dataset_free(&d);
    cryptonn_model_destroy(m);
    return rc == CRYPTONN_OK ? 0 : 1;
}
