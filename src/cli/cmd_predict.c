/* `cryptonn predict`: secure prediction on an encrypted test set. The server
 * side yields permuted classes (or, for a regression target, values on the
 * spec's scaled grid); with the owners' key and labels given, the owners'
 * side maps them back and reports accuracy (or RMSE in the target's units). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/owner_truth.h"
#include "cryptonn/cryptonn.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn predict --model M --encrypted DIR --authority DIR [options]\n\n"
               "  --model M          trained model (cryptonn train)\n"
               "  --encrypted DIR    encrypted samples (cryptonn encrypt --test)\n"
               "  --authority DIR    key authority state, run in-process\n"
               "  --owner-key FILE   owners' label permutation: map predictions back\n"
               "  --data DIR         owners' true labels (data/mnist test set): report accuracy\n"
               "  --spec FILE        the owners' data spec: --data is then their records file\n"
               "                     (CSV or .npy, --labels Y.npy), the very records the\n"
               "                     encrypted set was made from, and a regression target\n"
               "                     is reported in its own units (RMSE); records without\n"
               "                     labels are predicted (--out), not scored\n"
               "  --labels Y.npy     with --spec and .npy records: their labels\n"
               "  --out FILE         write one predicted class per line (permuted unless\n"
               "                     --owner-key is given; with --spec its class names), or\n"
               "                     one predicted target (in the target's units with --spec)\n"
               "  --cache DIR        discrete-log table cache (cache)\n"
               "  --dlog-bits B      discrete-log baby steps ±2^B (21)\n"
               "  --threads T        (2)\n");
}

/* The owners' score of the predictions against their truth (all of it:
 * cli_truth_load checked it is the set's): accuracy, or the RMSE in the
 * target's units with a spec. */
static void score(const cryptonn_samples *truth, int regress, const cryptonn_data_spec *spec,
                  const uint8_t *pred, const float *vals)
{
    const uint64_t k = truth->n;
    if (!k) return;
    const double m = cli_truth_metric(truth, 0, k, pred, vals, spec ? spec->t_scale : 1);
    if (regress)
        printf("owners' side: RMSE %.4g on %llu samples%s\n", m, (unsigned long long)k,
               spec ? " (in the target's units)" : "");
    else
        printf("owners' side: accuracy %.2f%% on %llu samples\n", 100.0 * m,
               (unsigned long long)k);
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
    cryptonn_authority *auth = NULL;
    cryptonn_encdata *ts = NULL;
    cryptonn_keyservice *ks = NULL;
    cryptonn_trainer *srv = NULL;
    cryptonn_model *m = NULL;
    uint8_t *pred = NULL;
    float *vals = NULL;
    cli_truth truth = {0};
    if ((rc = cryptonn_authority_open(&auth, authd, NULL)) != CRYPTONN_OK) {
        cli_fail(authd, rc);
        goto out;
    }
    uint32_t skipped;
    if ((rc = cryptonn_encdata_open(&ts, encd, &skipped)) != CRYPTONN_OK) {
        cli_fail(encd, rc);
        goto out;
    }
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ts, &info);
    if ((rc = cryptonn_model_load(model, info.batch, (uint32_t)threads, &m)) != CRYPTONN_OK) {
        cli_fail(model, rc);
        goto out;
    }
    const uint64_t n = info.samples;
    const int regress = info.regression;
    if (data && !regress && !okey) {
        fprintf(stderr, "cryptonn predict: scoring classes needs --owner-key (the server's "
                        "classes are permuted)\n");
        goto out;
    }
    /* records of another set are refused before any key is asked for */
    if (data && cli_truth_load("predict", encd, &info, spec_path, data, labels, 0, &truth) !=
                    CRYPTONN_OK)
        goto out;
    cryptonn_trainer_opts so;
    cryptonn_trainer_opts_default(&so);
    so.threads = (uint32_t)threads;
    so.dlog_table_bits = (unsigned)dlog_bits;
    so.progress = 1;
    so.cache_dir = cache;
    if ((rc = cryptonn_keyservice_local(&ks, auth)) != CRYPTONN_OK ||
        (rc = cryptonn_trainer_create(&srv, ts, ks, &so)) != CRYPTONN_OK) {
        cli_fail("server", rc);
        goto out;
    }
    pred = malloc(n ? n : 1);
    vals = regress ? malloc(sizeof(float) * (n ? n : 1)) : NULL;
    cryptonn_train_stats st = {0};
    if (!pred || (regress && !vals)) rc = CRYPTONN_ERR_NOMEM;
    else rc = cryptonn_trainer_predict_outputs(srv, m, ts, regress ? NULL : pred, vals, &st, msg,
                                               sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn predict: %s%s%s\n", cryptonn_status_str(rc), *msg ? ": " : "",
                msg);
        goto out;
    }
    printf("secure prediction of %llu samples: %.1f s (%llu first-layer keys)\n",
           (unsigned long long)n,
           st.seconds_load + st.seconds_keys + st.seconds_first_layer + st.seconds_plain,
           (unsigned long long)st.keys_first_layer);
    if (okey && !regress) {
        cryptonn_owner *own = NULL;
        if ((rc = cryptonn_owner_open(&own, NULL, okey)) == CRYPTONN_OK)
            rc = cryptonn_owner_unpermute(own, pred, n);
        cryptonn_owner_close(own);
        if (rc != CRYPTONN_OK) {
            cli_fail(okey, rc);
            goto out;
        }
    }
    const cryptonn_data_spec *spec = spec_path ? &truth.spec : NULL;
    score(&truth.s, regress, spec, pred, vals);
    if (out && cli_predictions_write(out, n, spec, okey != NULL, pred, vals) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn predict: cannot write %s: %s\n", out, strerror(errno));
        goto out;
    }
    code = 0;
out:
    free(pred);
    free(vals);
    cli_truth_free(&truth);
    cryptonn_trainer_destroy(srv);
    cryptonn_keyservice_destroy(ks);
    cryptonn_model_destroy(m);
    cryptonn_encdata_close(ts);
    cryptonn_authority_close(auth);
    return code;
}
