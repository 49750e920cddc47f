/* The secure training job (secure_run.h). */
#include "cli/secure_run.h"
#include "cli/train_dist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "cli/datamodel.h"
#include "protocol/client.h"
#include "secure/dist.h"
#include "secure/encdata.h"
#include "protocol/owner.h"
#include "secure/report.h"
#include "util/util.h"

static int fail(const char *what, int rc, const char *msg)
{
    fprintf(stderr, "cryptonn: %s: %s%s%s\n", what, cryptonn_status_str(rc), msg && *msg ? ": " : "",
            msg ? msg : "");
    return 1;
}

static void log_row(const char *path, uint32_t epoch, const cn_secure_stats *s, double acc)
{
    if (!path) return;
    FILE *f = fopen(path, epoch == 1 ? "w" : "a");
    if (!f) {
        fprintf(stderr, "cryptonn: warning: cannot write %s: %s\n", path, strerror(errno));
        return;
    }
    if (epoch == 1)
        fprintf(f, "epoch,samples,train_loss,train_accuracy,test_accuracy,t_load,t_keys,"
                   "t_first_layer,t_output_error,t_gradient,t_plain\n");
    fprintf(f, "%u,%llu,%.6f,%.6f,%.6f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f\n", epoch,
            (unsigned long long)s->samples, s->samples ? s->loss_sum / (double)s->samples : 0,
            s->samples ? (double)s->correct / (double)s->samples : 0, acc, s->t_load, s->t_keys,
            s->t_fwd, s->t_err, s->t_grad, s->t_plain);
    fclose(f);
}

/* The owners' side of secure prediction: their true labels or targets. */
typedef struct {
    const cn_owner_secret *own; /* π (classification) */
    cryptonn_samples truth;     /* n = 0: nothing to score against */
    double t_scale;             /* regression: the spec's target scale */
} owners_truth;

/* Secure prediction on the test set, scored on the owners' side: accuracy,
 * or for a regression target the RMSE in the target's own units. */
static int secure_test(cn_server *srv, cryptonn_model *m, const cn_encdata *ts,
                       const owners_truth *ot, cn_secure_stats *pst, double *metric)
{
    uint64_t n = cn_encdata_samples(ts);
    const int regress = cn_encdata_params(ts)->task == CN_TASK_REGRESS;
    uint8_t *pred = malloc(n ? n : 1);
    float *out = regress ? malloc(sizeof(float) * (n ? n : 1)) : NULL;
    if (!pred || (regress && !out)) {
        free(pred);
        return CRYPTONN_ERR_NOMEM;
    }
    char msg[512] = "";
    cryptonn_model_set_training(m, 0); /* no dropout in predictions */
    int rc = cn_server_predict_outputs(srv, m, ts, regress ? NULL : pred, out, pst, msg,
                                       sizeof msg);
    cryptonn_model_set_training(m, 1);
    if (rc != CRYPTONN_OK) {
        fail("secure prediction", rc, msg);
        free(pred);
        free(out);
        return rc;
    }
    *metric = -1;
    if (ot->truth.n < n) n = ot->truth.n;
    if (n && regress) {
        double se = 0;
        for (uint64_t i = 0; i < n; i++) {
            double d = ((double)out[i] - (double)ot->truth.t[i]) * ot->t_scale;
            se += d * d;
        }
        *metric = sqrt(se / (double)n);
    } else if (n && ot->own) {
        *metric = cn_owner_score(ot->own, pred, ot->truth.y, n, NULL);
    }
    free(pred);
    free(out);
    return CRYPTONN_OK;
}

int cli_fit_params(const cn_enc_params *p, cryptonn_model_config *cfg)
{
    char msg[256] = "";
    if (cn_enc_fit_model(p, cfg, msg, sizeof msg) == CRYPTONN_OK) return CRYPTONN_OK;
    fprintf(stderr, "cryptonn: the model does not fit the encrypted records: %s\n", msg);
    return CRYPTONN_ERR_MISMATCH;
}

/* The owners' audit (the owners' data is at hand in-process): the issued
 * key vectors replayed on j->audit training images of j->data_dir, the
 * test split as the public auxiliary data. Markdown and text in *md and
 * *text (malloc'd); a failure is reported and leaves them NULL. */
static void owners_audit(const cn_authority *auth, const cli_secure_job *j, char **md,
                         char **text)
{
    cryptonn_dataset tr = {0}, aux = {0};
    cn_keyexport e;
    char why[256] = "";
    int rc = cn_authority_export(auth, &e);
    if (rc == CRYPTONN_OK) rc = cryptonn_mnist_load(j->data_dir, 1, j->audit, &tr, why, sizeof why);
    if (rc == CRYPTONN_OK) rc = cryptonn_mnist_load(j->data_dir, 0, 2000, &aux, why, sizeof why);
    cn_audit_opts o;
    cn_audit_opts_default(&o);
    o.samples = j->audit;
    o.aux_limit = 2000;
    o.decoder_epochs = 3;
    cn_audit_result res;
    memset(&res, 0, sizeof res);
    if (rc == CRYPTONN_OK) {
        rc = cn_audit_run(&o, &e, &tr, &aux, &res);
        if (rc != CRYPTONN_OK) snprintf(why, sizeof why, "%s", res.msg);
    }
    if (rc == CRYPTONN_OK) {
        size_t l1 = 0, l2 = 0;
        FILE *f = open_memstream(md, &l1), *g = open_memstream(text, &l2);
        if (f) {
            cn_audit_write_markdown(f, &res, NULL);
            fclose(f);
        }
        if (g) {
            fprintf(g, "\nThe owners' audit of that view (%u training images):\n", j->audit);
            cn_audit_write_text(g, &res);
            fclose(g);
        }
    } else {
        fprintf(stderr, "cryptonn: warning: the owners' audit did not run: %s\n",
                why[0] ? why : cryptonn_status_str(rc));
    }
    cn_audit_result_free(&res);
    cn_keyexport_free(&e);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&aux);
}

int cli_strict_model(const cn_fl_layer *layer, cryptonn_model_config *cfg)
{
    char spec[64], msg[512];
    cn_fl_spec_format(&layer->spec, spec, sizeof spec);
    if (cn_fl_fit_model(layer, cfg, msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn: strict mode: %s\n", msg);
        return CRYPTONN_ERR_MISMATCH;
    }
    printf("[server] strict mode: first layer = the authority's committed %s (frozen); "
           "training the layers above it\n", spec);
    return CRYPTONN_OK;
}

int cli_secure_run(const cli_secure_job *j, double *test_accuracy)
{
    int code = 1, rc;
    char msg[512] = "";
    cn_authority *auth = NULL;
    cn_encdata *ds = NULL, *ts = NULL;
    cn_server *srv = NULL;
    cryptonn_model *m = NULL;
    cryptonn_dataset truth = {0};
    cryptonn_records truth_rec = {0};
    cryptonn_data_spec spec_v = {0};
    cn_owner_secret own;
    int have_owner = 0;
    owners_truth ot = {0};
    cn_train_report *rep = calloc(1, sizeof *rep);
    if (test_accuracy) *test_accuracy = -1;
    if (!rep) return fail("report", CRYPTONN_ERR_NOMEM, NULL);

    /* in-process the operator runs every role: one label key per
     * registered ciphertext and epoch of this run */
    cn_policy pol = j->pol;
    if (pol.label_uses < j->epochs) pol.label_uses = j->epochs;
    if ((rc = cn_authority_open(&auth, j->auth_dir, &pol)) != CRYPTONN_OK) {
        fail(j->auth_dir, rc, "cannot open the authority state (cryptonn keygen)");
        goto out;
    }
    uint32_t skipped = 0;
    if ((rc = cn_encdata_open(&ds, j->enc_dir, &skipped)) != CRYPTONN_OK) {
        fail(j->enc_dir, rc, "cannot open the encrypted training set (cryptonn encrypt)");
        goto out;
    }
    if (skipped)
        fprintf(stderr, "cryptonn: warning: %u incomplete part(s) of %s skipped\n", skipped,
                j->enc_dir);
    if (j->test_dir && (rc = cn_encdata_open(&ts, j->test_dir, &skipped)) != CRYPTONN_OK) {
        fail(j->test_dir, rc, "cannot open the encrypted test set");
        goto out;
    }
    if (ts && j->owner_key) {
        if ((rc = cn_owner_secret_load(&own, j->owner_key)) != CRYPTONN_OK) {
            fail(j->owner_key, rc, NULL);
            goto out;
        }
        have_owner = 1;
        ot.own = &own;
        char why[256] = "";
        if (j->spec) {
            rc = cli_spec_read("train", j->spec, &spec_v);
            if (rc == CRYPTONN_OK)
                rc = cli_records_load("train", &spec_v, j->data_dir, j->labels, &truth_rec);
            if (rc != CRYPTONN_OK) goto out;
            cryptonn_records_view(&truth_rec, &ot.truth);
            ot.t_scale = spec_v.t_scale;
        } else if ((rc = cryptonn_mnist_load(j->data_dir, 0, j->test_limit, &truth, why,
                                             sizeof why)) != CRYPTONN_OK) {
            fail(j->data_dir, rc, why);
            goto out;
        } else {
            cryptonn_samples_of(&truth, &ot.truth);
        }
        if (j->test_limit && ot.truth.n > j->test_limit) ot.truth.n = j->test_limit;
    }
    const cn_enc_params *pp = cn_encdata_params(ds);
    const int regress = pp->task == CN_TASK_REGRESS;
    cryptonn_model_config cfg = j->cfg;
    const cn_fl_layer *layer = cn_encdata_mpks(ds)->layer;
    if ((rc = cli_fit_params(pp, &cfg)) != CRYPTONN_OK) goto out;
    if (layer && (rc = cli_strict_model(layer, &cfg)) != CRYPTONN_OK) goto out;
    if ((rc = cryptonn_model_create(&cfg, pp->batch, j->so.threads, &m)) != CRYPTONN_OK) {
        fail("model", rc, NULL);
        goto out;
    }
    /* --resume takes a checkpoint (parameters, momentum and position: the
     * run continues exactly) or a model file (parameters only, from the
     * start of --start-epoch). */
    uint32_t first_epoch = j->first_epoch;
    uint64_t start_batch = 0;
    if (j->resume) {
        rc = cn_checkpoint_load(j->resume, m, &first_epoch, &start_batch, NULL);
        if (rc == CRYPTONN_ERR_FORMAT) {
            first_epoch = j->first_epoch;
            start_batch = 0;
            rc = cryptonn_model_load_into(m, j->resume);
        }
        if (rc != CRYPTONN_OK) {
            fail(j->resume, rc, "cannot resume from this checkpoint or model file");
            goto out;
        }
        printf("[server] resuming at epoch %u, batch %llu\n", first_epoch + 1,
               (unsigned long long)start_batch);
    }
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", j->out);
    cn_keysource ks0 = cn_authority_keysource(auth);
    cn_dist_keysource_ctx kd; /* under mpirun: the other ranks get every response */
    cn_keysource ks = cn_dist_keysource(&kd, &ks0);
    cn_secure_opts so = j->so;
    cli_ckpt_every ce = {m, ckpt, j->checkpoint_every};
    if (ce.every) {
        so.on_batch = cli_checkpoint_on_batch;
        so.on_batch_ctx = &ce;
    }
    if ((rc = cn_server_create(&srv, ds, &ks, &so, j->cache)) != CRYPTONN_OK) {
        fail("server", rc, NULL);
        goto out;
    }
    printf("[server] %llu encrypted samples in %llu fixed batches of %u; %u epoch(s)\n",
           (unsigned long long)cn_encdata_samples(ds), (unsigned long long)cn_encdata_batches(ds),
           pp->batch, j->epochs);
    rc = cli_dist_sync(CRYPTONN_OK, &cfg, &m, pp->batch, j->so.threads, &first_epoch, &start_batch);
    if (rc != CRYPTONN_OK) {
        fail("mpirun", rc, "a rank could not start");
        goto out;
    }
    rep->title = "CryptoNN secure training report";
    rep->settings = j->settings;
    rep->seconds_encrypt = j->seconds_encrypt;
    int failed = 0;
    for (uint32_t e = first_epoch; e < j->epochs && e < CN_REPORT_MAX_EPOCHS; e++) {
        cn_secure_stats st = {0};
        cn_server_set_start_batch(srv, e == first_epoch ? start_batch : 0);
        uint64_t from = e == first_epoch ? start_batch : 0;
        rc = cn_server_train_epoch(srv, m, e, &st, msg, sizeof msg);
        rep->epoch[e] = st;
        rep->test_accuracy[e] = -1;
        rep->epochs = e + 1;
        /* After every epoch, and after a refusal, the model file and the
         * checkpoint hold the last completed step: nothing is lost. */
        int src = cryptonn_model_save(m, j->out);
        if (src != CRYPTONN_OK) fail(j->out, src, "cannot save the model");
        src = rc == CRYPTONN_OK ? cn_checkpoint_save(ckpt, m, e + 1, 0, NULL)
                                : cn_checkpoint_save(ckpt, m, e, from + st.batches, &st);
        if (src != CRYPTONN_OK) fail(ckpt, src, "cannot save the checkpoint");
        if (rc != CRYPTONN_OK) {
            fail("secure training stopped", rc, msg);
            fprintf(stderr, "cryptonn: checkpoint of the last completed step saved to %s "
                            "(continue with --resume %s)\n", ckpt, ckpt);
            failed = 1;
            break;
        }
        double acc = -1;
        cn_secure_stats pst = {0};
        if (ts && (rc = secure_test(srv, m, ts, &ot, &pst, &acc)) != CRYPTONN_OK) {
            failed = 1;
            break;
        }
        rep->test_accuracy[e] = acc;
        printf("[server] epoch %u: train loss %.4f", e + 1,
               st.samples ? st.loss_sum / (double)st.samples : 0);
        if (!regress)
            printf(", train accuracy %.2f%% (permuted labels)",
                   st.samples ? 100.0 * (double)st.correct / (double)st.samples : 0);
        if (acc >= 0 && regress) printf(", secure test RMSE %.4g (scored by the owners)", acc);
        else if (acc >= 0) printf(", secure test accuracy %.2f%% (scored by the owners)", 100 * acc);
        printf("\n");
        cn_report_phase_line(stdout, "         time", &st);
        if (ts)
            printf("         secure prediction of %llu test samples: %.1f s\n",
                   (unsigned long long)pst.samples, pst.t_load + pst.t_keys + pst.t_fwd + pst.t_plain);
        fflush(stdout);
        log_row(j->log, e + 1, &st, acc);
        if (test_accuracy) *test_accuracy = acc;
    }
    cn_leak_mpk lk[3];
    cn_authority_leakage(auth, lk);
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    char spec[64] = "", hex[17] = "";
    if (layer) {
        cn_fl_spec_format(&layer->spec, spec, sizeof spec);
        cn_fl_layer_commit_hex(layer, hex);
    }
    rep->leak = (cn_leak_report){.strict = layer != NULL,
                                 .layer = spec,
                                 .commit = hex,
                                 .label_uses = pol.label_uses,
                                 .first_layer_conv = fl.is_conv,
                                 .frozen_first_layer = (int)cfg.frozen_first_layer,
                                 .first_layer_width = (uint32_t)fl.z1_size,
                                 .batch = pp->batch,
                                 .labels_via_febo = 1,
                                 .label_permutation = 1,
                                 .samples = cn_encdata_samples(ds),
                                 .mpks = lk,
                                 .nmpks = 3};
    char *amd = NULL, *atext = NULL;
    if (j->audit && have_owner && !failed && !j->spec) owners_audit(auth, j, &amd, &atext);
    rep->leak.audit_md = amd;
    rep->leak.audit_text = atext;
    printf("\n");
    cn_leak_write_text(stdout, &rep->leak);
    if (j->report) {
        if ((rc = cn_report_save(j->report, rep)) != CRYPTONN_OK) fail(j->report, rc, NULL);
        else printf("\nreport written to %s; model to %s\n", j->report, j->out);
    }
    free(amd);
    free(atext);
    code = failed ? 1 : 0;
out:
    cn_server_destroy(srv);
    cryptonn_model_destroy(m);
    cn_encdata_close(ds);
    cn_encdata_close(ts);
    cn_authority_close(auth);
    cryptonn_dataset_free(&truth);
    cryptonn_records_free(&truth_rec);
    cryptonn_spec_free(&spec_v);
    cn_wipe(&own, sizeof own);
    free(rep);
    return code;
}
