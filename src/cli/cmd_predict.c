/* `cryptonn predict`: secure prediction on an encrypted test set. The server
 * side yields permuted classes (or, for a regression target, values on the
 * spec's scaled grid); with the owners' key and labels given, the owners'
 * side maps them back and reports accuracy (or RMSE in the target's units). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/datamodel.h"
#include "protocol/authority.h"
#include "secure/encdata.h"
#include "protocol/owner.h"
#include "secure/train.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn predict --model M --encrypted DIR --authority DIR [options]\n\n"
               "  --model M          trained model (cryptonn train)\n"
               "  --encrypted DIR    encrypted samples (cryptonn encrypt --test)\n"
               "  --authority DIR    key authority state, run in-process\n"
               "  --owner-key FILE   owners' label permutation: map predictions back\n"
               "  --data DIR         owners' true labels (data/mnist test set): report accuracy\n"
               "  --spec FILE        the owners' data spec: --data is then their records file\n"
               "                     (CSV or .npy, --labels Y.npy), and a regression target\n"
               "                     is reported in its own units (RMSE)\n"
               "  --labels Y.npy     with --spec and .npy records: their labels\n"
               "  --out FILE         write one predicted class per line (permuted unless\n"
               "                     --owner-key is given; with --spec its class names), or\n"
               "                     one predicted target (in the target's units with --spec)\n"
               "  --cache DIR        discrete-log table cache (cache)\n"
               "  --dlog-bits B      discrete-log baby steps ±2^B (21)\n"
               "  --threads T        (2)\n");
}

int cli_predict(int argc, char **argv)
{
    static const struct option lo[] = {
        {"model", 1, 0, 'm'}, {"encrypted", 1, 0, 'e'}, {"authority", 1, 0, 'a'},
        {"owner-key", 1, 0, 'k'}, {"data", 1, 0, 'd'}, {"out", 1, 0, 'o'},
        {"cache", 1, 0, 'c'}, {"threads", 1, 0, 't'}, {"dlog-bits", 1, 0, 'B'}, {"help", 0, 0, 'h'},
        {"spec", 1, 0, 's'}, {"labels", 1, 0, 'L'}, {0, 0, 0, 0}};
    const char *model = NULL, *encd = NULL, *authd = NULL, *okey = NULL, *data = NULL,
               *out = NULL, *cache = "cache", *spec_path = NULL, *labels = NULL;
    uint64_t threads = 2, dlog_bits = 21;
    int c, bad = 0;
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
        case 't': bad |= cli_parse_u64("predict", "threads", optarg, 1, 256, &threads); break;
        case 'B': bad |= cli_parse_u64("predict", "dlog-bits", optarg, 8, 25, &dlog_bits); break;
        case 's': spec_path = optarg; break;
        case 'L': labels = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (!model || !encd || !authd || (data && !okey && !spec_path) || (spec_path && !data)) {
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
    float *vals = NULL;
    cryptonn_dataset truth = {0};
    cryptonn_records rec = {0};
    cryptonn_data_spec spec = {0};
    cn_owner_secret own;
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
    const int regress = pp->task == CN_TASK_REGRESS;
    if (data && !regress && !okey) {
        fprintf(stderr, "cryptonn predict: scoring classes needs --owner-key (the server's "
                        "classes are permuted)\n");
        rc = CRYPTONN_ERR_ARG;
        goto out;
    }
    pred = malloc(n ? n : 1);
    vals = regress ? malloc(sizeof(float) * (n ? n : 1)) : NULL;
    cn_secure_stats st = {0};
    cryptonn_model_set_training(m, 0); /* no dropout in predictions */
    if (!pred || (regress && !vals)) rc = CRYPTONN_ERR_NOMEM;
    else rc = cn_server_predict_outputs(srv, m, ts, regress ? NULL : pred, vals, &st, msg,
                                        sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn predict: %s%s%s\n", cryptonn_status_str(rc), *msg ? ": " : "",
                msg);
        goto out;
    }
    printf("secure prediction of %llu samples: %.1f s (%llu first-layer results decrypted)\n",
           (unsigned long long)n, st.t_load + st.t_keys + st.t_fwd + st.t_plain,
           (unsigned long long)st.dec_fwd);
    if (spec_path && (rc = cli_spec_read("predict", spec_path, &spec)) != CRYPTONN_OK) goto out;
    if (okey && !regress) {
        if ((rc = cn_owner_secret_load(&own, okey)) != CRYPTONN_OK) {
            cli_fail(okey, rc);
            goto out;
        }
        uint8_t inv[256];
        cn_owner_secret_inverse(&own, inv);
        for (uint64_t i = 0; i < n; i++) pred[i] = inv[pred[i]];
        cn_wipe(&own, sizeof own);
    }
    cryptonn_samples tv = {0};
    if (data && spec_path) {
        if ((rc = cli_records_load("predict", &spec, data, labels, &rec)) != CRYPTONN_OK) goto out;
        cryptonn_records_view(&rec, &tv);
    } else if (data) {
        char why[256] = "";
        if ((rc = cryptonn_mnist_load(data, 0, (uint32_t)n, &truth, why, sizeof why)) != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn predict: %s: %s %s\n", data, cryptonn_status_str(rc), why);
            goto out;
        }
        cryptonn_samples_of(&truth, &tv);
    }
    const double tscale = spec_path && regress ? spec.t_scale : 1;
    const double toff = spec_path && regress ? spec.t_offset : 0;
    uint64_t k = tv.n < n ? tv.n : n;
    if (k && regress) {
        double se = 0;
        for (uint64_t i = 0; i < k; i++) {
            double d = ((double)vals[i] - (double)tv.t[i]) * tscale;
            se += d * d;
        }
        printf("owners' side: RMSE %.4g on %llu samples%s\n", sqrt(se / (double)k),
               (unsigned long long)k, spec_path ? " (in the target's units)" : "");
    } else if (k && tv.y) {
        uint64_t hits = 0;
        for (uint64_t i = 0; i < k; i++) hits += pred[i] == tv.y[i];
        printf("owners' side: accuracy %.2f%% on %llu samples\n", 100.0 * (double)hits / (double)k,
               (unsigned long long)k);
    }
    if (out) {
        FILE *f = fopen(out, "w");
        if (!f) {
            perror(out);
            goto out;
        }
        for (uint64_t i = 0; i < n; i++) {
            if (regress) fprintf(f, "%.9g\n", (double)vals[i] * tscale + toff);
            else if (spec_path && okey && pred[i] < spec.classes)
                fprintf(f, "%s\n", spec.class_names[pred[i]]);
            else fprintf(f, "%u\n", pred[i]);
        }
        fclose(f);
    }
    code = 0;
out:
    free(pred);
    free(vals);
    cryptonn_dataset_free(&truth);
    cryptonn_records_free(&rec);
    cryptonn_spec_free(&spec);
    cn_server_destroy(srv);
    cryptonn_model_destroy(m);
    cn_encdata_close(ts);
    cn_authority_close(auth);
    return code;
}
