/* `cryptonn predict`: secure prediction on an encrypted test set. The server
 * side yields permuted classes; with the owners' key and labels given, the
 * owners' side maps them back and reports accuracy. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "protocol/authority.h"
#include "secure/encdata.h"
#include "secure/owner.h"
#include "secure/train.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn predict --model M --encrypted DIR --authority DIR [options]\n\n"
               "  --model M          trained model (cryptonn train)\n"
               "  --encrypted DIR    encrypted samples (cryptonn encrypt --test)\n"
               "  --authority DIR    key authority state, run in-process\n"
               "  --owner-key FILE   owners' label permutation: map predictions back\n"
               "  --data DIR         owners' true labels (data/mnist test set): report accuracy\n"
               "  --out FILE         write one predicted class per line (permuted unless\n"
               "                     --owner-key is given)\n"
               "  --cache DIR        discrete-log table cache (cache)\n"
               "  --dlog-bits B      discrete-log baby steps ±2^B (21)\n"
               "  --threads T        (2)\n");
}

int cli_predict(int argc, char **argv)
{
    static const struct option lo[] = {
        {"model", 1, 0, 'm'}, {"encrypted", 1, 0, 'e'}, {"authority", 1, 0, 'a'},
        {"owner-key", 1, 0, 'k'}, {"data", 1, 0, 'd'}, {"out", 1, 0, 'o'},
        {"cache", 1, 0, 'c'}, {"threads", 1, 0, 't'}, {"dlog-bits", 1, 0, 'B'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *model = NULL, *encd = NULL, *authd = NULL, *okey = NULL, *data = NULL,
               *out = NULL, *cache = "cache";
    long threads = 2, dlog_bits = 21;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'm': model = optarg; break;
        case 'e': encd = optarg; break;
        case 'a': authd = optarg; break;
        case 'k': okey = optarg; break;
        case 'd': data = optarg; break;
        case 'o': out = optarg; break;
        case 'c': cache = optarg; break;
        case 't': threads = strtol(optarg, NULL, 10); break;
        case 'B': dlog_bits = strtol(optarg, NULL, 10); break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!model || !encd || !authd || threads < 1 || threads > 256 || (data && !okey) ||
        dlog_bits < 8 || dlog_bits > 25) {
        fprintf(stderr, "cryptonn predict: --model, --encrypted and --authority are required"
                        " (--data needs --owner-key)\n\n");
        usage(stderr);
        return 2;
    }
    int code = 1, rc;
    char msg[512] = "";
    cn_policy pol;
    cn_policy_default(&pol);
    cn_authority *auth = NULL;
    cn_encdata *ts = NULL;
    cryptonn_model *m = NULL;
    cn_server *srv = NULL;
    uint8_t *pred = NULL;
    cryptonn_dataset truth = {0};
    if ((rc = cn_authority_open(&auth, authd, &pol)) != CRYPTONN_OK) {
        cli_fail(authd, rc);
        goto out;
    }
    uint32_t skipped;
    if ((rc = cn_encdata_open(&ts, encd, &skipped)) != CRYPTONN_OK) {
        cli_fail(encd, rc);
        goto out;
    }
    const cn_enc_params *pp = cn_encdata_params(ts);
    if ((rc = cryptonn_model_load(model, pp->batch, (uint32_t)threads, &m)) != CRYPTONN_OK) {
        cli_fail(model, rc);
        goto out;
    }
    cn_keysource ks = cn_authority_keysource(auth);
    cn_secure_opts so;
    cn_secure_opts_default(&so);
    so.threads = (uint32_t)threads;
    so.dlog_table_bits = (unsigned)dlog_bits;
    so.progress = 1;
    if ((rc = cn_server_create(&srv, ts, &ks, &so, cache)) != CRYPTONN_OK) {
        cli_fail("server", rc);
        goto out;
    }
    uint64_t n = cn_encdata_samples(ts);
    pred = malloc(n ? n : 1);
    cn_secure_stats st = {0};
    if (!pred || (rc = cn_server_predict(srv, m, ts, pred, &st, msg, sizeof msg)) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn predict: %s%s%s\n", cryptonn_status_str(pred ? rc : CRYPTONN_ERR_NOMEM),
                *msg ? ": " : "", msg);
        goto out;
    }
    printf("secure prediction of %llu samples: %.1f s (%llu first-layer results decrypted)\n",
           (unsigned long long)n, st.t_load + st.t_keys + st.t_fwd + st.t_plain,
           (unsigned long long)st.dec_fwd);
    if (okey) {
        cn_owner_secret own;
        if ((rc = cn_owner_secret_load(&own, okey)) != CRYPTONN_OK) {
            cli_fail(okey, rc);
            goto out;
        }
        if (data) {
            char why[256] = "";
            if ((rc = cryptonn_mnist_load(data, 0, (uint32_t)n, &truth, why, sizeof why)) != CRYPTONN_OK) {
                fprintf(stderr, "cryptonn predict: %s: %s %s\n", data, cryptonn_status_str(rc), why);
                goto out;
            }
            uint64_t k = truth.n < n ? truth.n : n;
            uint64_t conf[100];
            double acc = cn_owner_score(&own, pred, truth.y, k, own.classes <= 10 ? conf : NULL);
            printf("owners' side: accuracy %.2f%% on %llu samples\n", 100 * acc, (unsigned long long)k);
        } else {
            uint8_t inv[256];
            cn_owner_secret_inverse(&own, inv);
            for (uint64_t i = 0; i < n; i++) pred[i] = inv[pred[i]];
        }
    }
    if (out) {
        FILE *f = fopen(out, "w");
        if (!f) {
            perror(out);
            goto out;
        }
        for (uint64_t i = 0; i < n; i++) fprintf(f, "%u\n", pred[i]);
        fclose(f);
    }
    code = 0;
out:
    free(pred);
    cryptonn_dataset_free(&truth);
    cn_server_destroy(srv);
    cryptonn_model_destroy(m);
    cn_encdata_close(ts);
    cn_authority_close(auth);
    return code;
}
