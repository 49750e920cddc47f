/* `cryptonn keygen`: sets up the key authority's state directory (the three
 * master secret keys, the public parameters, the owners' label permutation)
 * and hands the owners what they need: params.bin and owner.key. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <errno.h>

#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "protocol/authority.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn keygen --state DIR [--batch B] [--label-bits L] [--owners DIR]\n\n"
            "Creates the key authority's state: master secret keys for the samples\n"
            "(784 slots), the batch ciphertexts (B x 784 slots) and the labels (FEBO),\n"
            "all mode 0600; params.bin (public parameters and keys); and owner.key, the\n"
            "secret class permutation that data owners apply to labels. The training\n"
            "server must never get owner.key. Refuses to overwrite existing keys.\n\n"
            "  --state DIR      the authority's directory (created 0700)\n"
            "  --batch B        samples per batch ciphertext (64)\n"
            "  --label-bits L   labels are encrypted as one-hot x 2^L (16)\n"
            "  --owners DIR     also copy params.bin and owner.key (0600) there\n");
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
                                             {"help", no_argument, 0, 'h'},
                                             {0, 0, 0, 0}};
    const char *state = NULL, *owners = NULL;
    long batch = 64, lbits = 16;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
        switch (c) {
        case 's': state = optarg; break;
        case 'b': batch = atol(optarg); break;
        case 'L': lbits = atol(optarg); break;
        case 'o': owners = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !state) {
        usage(stderr);
        return 2;
    }
    if (batch < 1 || batch > 4096 || lbits < 0 || lbits > 40) {
        fprintf(stderr, "cryptonn keygen: --batch must be 1..4096 and --label-bits 0..40\n");
        return 2;
    }
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = (uint32_t)batch;
    p.label_scale_bits = (uint32_t)lbits;
    uint64_t t0 = cn_now_ns();
    int rc = cn_authority_setup(state, &p, NULL);
    if (rc == CRYPTONN_ERR_IO) {
        fprintf(stderr, "cryptonn keygen: cannot set up %s: it already holds keys, or is not "
                        "writable (keys are never overwritten)\n", state);
        return 1;
    }
    if (rc != CRYPTONN_OK) return cli_fail("keygen", rc);
    printf("authority state in %s (%.1f s): samples.msk (784 slots), batch.msk (%u x 784 = %u "
           "slots), labels.msk, params.bin, owner.key\n",
           state, (double)(cn_now_ns() - t0) / 1e9, p.batch, p.batch * p.slots);
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
