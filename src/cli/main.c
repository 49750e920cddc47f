/* cryptonn: the command-line tool. Dispatches to one subcommand per file. */
#include <stdio.h>
#include <string.h>

#include "cryptonn/cryptonn.h"
#include "cli/commands.h"

typedef struct {
    const char *name;
    int (*run)(int, char **);
    const char *summary;
} command;

static const command COMMANDS[] = {
    {"keygen", cli_keygen, "set up the key authority: master keys, params.bin, owner.key"},
    {"encrypt", cli_encrypt, "encrypt records as a data owner: MNIST, or CSV/.npy under a data spec"},
    {"train", cli_train, "train a model on MNIST or your own records (--plain; --secure: CryptoNN)"},
    {"predict", cli_predict, "secure prediction on an encrypted test set"},
    {"authority", cli_authority, "the key authority as an HTTP service (authority serve)"},
    {"server", cli_server, "the training server as an HTTP service (serve, train, status)"},
    {"client", cli_client, "a data owner: encrypt and upload to the server, secure predict"},
    {"demo", cli_demo, "all three roles in one process on a MNIST subset"},
    {"evaluate", cli_evaluate, "accuracy and confusion matrix of a model file"},
    {"data", cli_data, "your own records: describe (a data spec), check, split"},
    {"model", cli_model, "check a model file: shapes, parameters, secure first layer"},
    {"audit", cli_audit, "what the server could reconstruct of your records (owner-side)"},
    {"fe", cli_fe, "FEIP with files: setup, keygen, encrypt, decrypt (one role each)"},
    {"smc", cli_smc, "secure matrix computation XY on encrypted X (CSV in, roles in-process)"},
    {"bench", cli_bench, "measure speed against peers (group, fe, nn, ...)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn [--version] [--help] COMMAND [ARGS]\n\n"
               "Train neural networks on functionally encrypted data (CryptoNN).\n\n"
               "commands:\n");
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i].name, COMMANDS[i].summary);
    fprintf(f, "\n`cryptonn COMMAND --help` describes each command.\n");
}

int cli_fail(const char *what, int status)
{
    fprintf(stderr, "cryptonn: %s: %s\n", what, cryptonn_status_str(status));
    return 1;
}

int main(int argc, char **argv)
{
    /* Progress goes to stderr; keep stdout's lines in order with it in logs. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
        printf("cryptonn %s\n", cryptonn_version());
        return 0;
    }
    if (cryptonn_init() != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn: cannot initialise the random number generator\n");
        return 1;
    }
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        if (!strcmp(argv[1], COMMANDS[i].name)) return COMMANDS[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cryptonn: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
