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
#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "cli/datamodel.h"
#include "protocol/authority.h"
#include "util/util.h"

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

/* The committed layer of a strict setup. */
static int draw_layer(const char *spec, const cn_enc_params *p, uint64_t bits,
                      const uint64_t *seed, cn_fl_layer *l)
{
    char msg[256];
    cn_fl_spec sp;
    memset(l, 0, sizeof *l);
    if (cn_fl_spec_parse(spec, cn_enc_channels(p), p->rows, p->cols, &sp, msg, sizeof msg) !=
        CRYPTONN_OK) {
        fprintf(stderr, "cryptonn keygen: %s\n", msg);
        return 2;
    }
    int rc = cn_fl_layer_draw(l, &sp, (unsigned)bits, seed);
    return rc == CRYPTONN_OK ? 0 : cli_fail("keygen", rc);
}

static int copy_file(const char *from, const char *to, unsigned mode)
{
    uint8_t *b;
    size_t len;
    CN_TRY(cn_file_read_all(from, (size_t)1 << 30, &b, &len));
    cn_part part = {b, len};
    int rc = cn_file_write_atomic(to, &part, 1, mode);
    cn_free_secret(b, len);
    return rc;
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
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = (uint32_t)batch;
    p.label_scale_bits = (uint32_t)lbits;
    if (data_spec && (c = cli_spec_params("keygen", data_spec, (uint32_t)batch, &p)) != 0)
        return c;
    p.mode = strict ? CN_MODE_STRICT : CN_MODE_PAPER;
    cn_fl_layer layer = {0};
    if (strict && (c = draw_layer(spec, &p, wbits, seeded ? &seed : NULL, &layer)) != 0) return c;
    uint64_t t0 = cn_now_ns();
    int rc = cn_authority_setup(state, &p, strict ? &layer : NULL);
    cn_fl_layer_free(&layer);
    if (rc == CRYPTONN_ERR_IO) {
        fprintf(stderr, "cryptonn keygen: cannot set up %s: it already holds keys, or is not "
                        "writable (keys are never overwritten)\n", state);
        return 1;
    }
    if (rc != CRYPTONN_OK) return cli_fail("keygen", rc);
    if (strict) {
        cn_enc_params q;
        cn_enc_mpks k = {0};
        char path[4096], hex[17], text[64];
        snprintf(path, sizeof path, "%s/params.bin", state);
        rc = cn_encdata_read_params_file(path, &q, &k);
        if (rc != CRYPTONN_OK) return cli_fail(path, rc);
        cn_fl_layer_commit_hex(k.layer, hex);
        cn_fl_spec_format(&k.layer->spec, text, sizeof text);
        printf("authority state in %s (%.1f s), strict mode: samples.msk (%u slots), labels.msk, "
               "params.bin, owner.key\n"
               "committed first layer %s (%llu keys, %u-bit weights), commitment %s\n",
               state, (double)(cn_now_ns() - t0) / 1e9, p.slots, text,
               (unsigned long long)cn_fl_outputs(&k.layer->spec), k.layer->bits, hex);
        cn_enc_mpks_free(&k);
    } else {
        printf("authority state in %s (%.1f s), PAPER mode (the server chooses the first layer "
               "and can recover every training record): samples.msk (%u slots), batch.msk (%u x "
               "%u = %u slots), labels.msk, params.bin, owner.key\n",
               state, (double)(cn_now_ns() - t0) / 1e9, p.slots, p.batch, p.slots,
               p.batch * p.slots);
    }
    /* networked roles (cmd_authority.c): per-role bearer tokens */
    if (cli_create_tokens(state) != CRYPTONN_OK) return 1;
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
