/* `cryptonn keygen`: sets up the key authority's state directory (the three
 * master secret keys, the public parameters, the owners' label permutation)
 * and hands the owners what they need: params.bin and owner.key. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/datamodel.h"
#include "cryptonn/cryptonn.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn keygen --state DIR [--mode strict|paper] [--first-layer SPEC]\n"
            "                       [--layer-bits B] [--layer-seed N] [--batch B]\n"
            "                       [--label-bits L] [--owners DIR] [--spec FILE]\n\n"
            "Creates the key authority's state: master secret keys (mode 0600), params.bin\n"
            "(public parameters and keys) and owner.key, the secret class permutation that\n"
            "data owners apply to labels. The training server must never get owner.key.\n"
            "Refuses to overwrite existing keys.\n\n"
            "Modes (docs/PRIVACY.md):\n"
            "  strict (default)  the authority draws the first layer (--first-layer) from its\n"
            "                    own randomness and commits to it in params.bin; it issues keys\n"
            "                    for exactly that layer and for registered label ciphertexts,\n"
            "                    nothing else. The server trains every later layer.\n"
            "  paper             the CryptoNN paper's protocol: the server chooses and trains\n"
            "                    the first layer; it can recover every training image (and the\n"
            "                    samples master secret) and a malicious server can steer what\n"
            "                    it learns. For comparison and reproduction only.\n\n"
            "  --state DIR         the authority's directory (created 0700)\n"
            "  --mode M            strict or paper (strict)\n"
            "  --first-layer SPEC  strict: dense:K or conv:FxK[sS][pP] over the records\n"
            "                      (1x28x28, or the --spec shape)\n"
            "                      (conv:6x5, LeNet-5's first layer)\n"
            "  --layer-bits B      strict: integer weights of B bits, 2..16 (8)\n"
            "  --layer-seed N      strict: draw the layer from seed N instead of the system\n"
            "                      CSPRNG (reproducible demos and tests; the layer is public)\n"
            "  --batch B           samples per batch (64)\n"
            "  --label-bits L      labels are encrypted as one-hot x 2^L (16)\n"
            "  --owners DIR        also copy params.bin and owner.key (0600) there\n"
            "  --spec FILE         the owners' data spec (docs/DATA.md): keys for its records\n"
            "                      (shape, fixed point, classes or regression target)\n"
            "                      instead of MNIST; nothing else of the spec is kept\n");
}

static int copy_file(const char *from, const char *to, unsigned mode)
{
    uint8_t *b;
    size_t len;
    int rc = cryptonn_file_read(from, (size_t)1 << 30, &b, &len);
    if (rc != CRYPTONN_OK) return rc;
    cryptonn_part part = {b, len};
    rc = cryptonn_file_write_atomic(to, &part, 1, mode);
    cryptonn_free_secret(b, len);
    return rc;
}

/* What the new state holds, read back from its params.bin as an owner would. */
static int describe(const char *state, double seconds, const cryptonn_setup_opts *o)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/params.bin", state);
    cryptonn_owner *ow = NULL;
    int rc = cryptonn_owner_open(&ow, path, NULL);
    if (rc != CRYPTONN_OK) return cli_fail(path, rc);
    uint32_t slots = cryptonn_owner_width(ow);
    cryptonn_layer_desc l;
    if (cryptonn_owner_layer(ow, &l) == CRYPTONN_OK)
        printf("authority state in %s (%.1f s), strict mode: samples.msk (%u slots), labels.msk, "
               "params.bin, owner.key\n"
               "committed first layer %s (%llu keys, %u-bit weights), commitment %s\n",
               state, seconds, slots, l.spec, (unsigned long long)l.keys, l.bits, l.commit);
    else
        printf("authority state in %s (%.1f s), PAPER mode (the server chooses the first layer "
               "and can recover every training record): samples.msk (%u slots), batch.msk (%u x "
               "%u = %u slots), labels.msk, params.bin, owner.key\n",
               state, seconds, slots, o->batch, slots, o->batch * slots);
    cryptonn_owner_close(ow);
    printf("bearer token %s/tokens/server.token (mode 0600): give it to the training server; "
           "each data owner gets its own (cryptonn authority add-owner NAME)\n", state);
    return 0;
}

int cli_keygen(int argc, char **argv)
{
    static const struct option longopts[] = {{"state", required_argument, 0, 's'},
                                             {"batch", required_argument, 0, 'b'},
                                             {"label-bits", required_argument, 0, 'L'},
                                             {"owners", required_argument, 0, 'o'},
                                             {"mode", required_argument, 0, 'M'},
                                             {"first-layer", required_argument, 0, 'F'},
                                             {"layer-bits", required_argument, 0, 'B'},
                                             {"layer-seed", required_argument, 0, 'S'},
                                             {"spec", required_argument, 0, 'D'},
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *state = NULL, *owners = NULL, *mode = "strict", *spec = "conv:6x5";
    const char *data_spec = NULL;
    uint64_t batch = 64, lbits = 16, wbits = 8, seed = 0;
    int c, bad = 0, seeded = 0, spec_given = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': state = optarg; break;
        case 'b': bad |= cli_parse_u64("keygen", "batch", optarg, 1, 4096, &batch); break;
        case 'L': bad |= cli_parse_u64("keygen", "label-bits", optarg, 0, 40, &lbits); break;
        case 'o': owners = optarg; break;
        case 'M': mode = optarg; break;
        case 'F': spec = optarg; spec_given = 1; break;
        case 'B': bad |= cli_parse_u64("keygen", "layer-bits", optarg, 2, 16, &wbits); break;
        case 'S': bad |= cli_parse_u64("keygen", "layer-seed", optarg, 0, UINT64_MAX, &seed);
                  seeded = 1; break;
        case 'D': data_spec = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !state) {
        usage(stderr);
        return 2;
    }
    const int strict = !strcmp(mode, "strict");
    if (!strict && strcmp(mode, "paper") != 0) {
        fprintf(stderr, "cryptonn keygen: --mode must be strict or paper, got '%s'\n", mode);
        return 2;
    }
    if (!strict && (spec_given || seeded)) {
        fprintf(stderr, "cryptonn keygen: --first-layer and --layer-seed are strict-mode options "
                        "(in paper mode the server chooses the first layer)\n");
        return 2;
    }
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.mode = strict ? CRYPTONN_MODE_STRICT : CRYPTONN_MODE_PAPER;
    so.first_layer = spec;
    so.layer_bits = (unsigned)wbits;
    so.layer_seeded = seeded;
    so.layer_seed = seed;
    so.batch = (uint32_t)batch;
    so.label_bits = (uint32_t)lbits;
    cryptonn_data_spec ds;
    if (data_spec) {
        if (cli_spec_read("keygen", data_spec, &ds) != CRYPTONN_OK) return 2;
        so.spec = &ds;
    }
    char msg[512] = "";
    uint64_t t0 = cryptonn_now_ns();
    int rc = cryptonn_authority_setup(state, &so, msg, sizeof msg);
    if (data_spec) cryptonn_spec_free(&ds);
    if (rc != CRYPTONN_OK) {
        /* a range error is the spec's: its integers cannot be encrypted or trained */
        const int spec_bad = data_spec && rc == CRYPTONN_ERR_RANGE;
        fprintf(stderr, "cryptonn keygen: %s%s%s\n", spec_bad ? data_spec : "",
                spec_bad ? ": " : "", msg[0] ? msg : cryptonn_status_str(rc));
        return rc == CRYPTONN_ERR_ARG || rc == CRYPTONN_ERR_FORMAT || spec_bad ? 2 : 1;
    }
    if ((c = describe(state, (double)(cryptonn_now_ns() - t0) / 1e9, &so)) != 0) return c;
    if (owners) {
        if (mkdir(owners, 0700) != 0 && errno != EEXIST) {
            fprintf(stderr, "cryptonn keygen: cannot create %s\n", owners);
            return 1;
        }
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/params.bin", state);
        snprintf(to, sizeof to, "%s/params.bin", owners);
        rc = copy_file(from, to, 0644);
        if (rc == CRYPTONN_OK) {
            snprintf(from, sizeof from, "%s/owner.key", state);
            snprintf(to, sizeof to, "%s/owner.key", owners);
            rc = copy_file(from, to, 0600);
        }
        if (rc != CRYPTONN_OK) return cli_fail("copying to the owners' directory", rc);
        printf("owners' copy in %s: params.bin, owner.key (secret: never give it to the "
               "training server)\n", owners);
    }
    return 0;
}
