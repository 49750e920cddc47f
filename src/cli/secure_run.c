/* The secure training job (secure_run.h). */
#include "cli/secure_run.h"
#include "cli/train_dist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/owner_truth.h"
#include "cryptonn/dist.h"
#include "cryptonn/encdata.h"
#include "cryptonn/owner.h"
#include "cryptonn/transport.h"
#include "cryptonn/util.h"

/* Prints the failure; returns its status. */
static int fail(const char *what, int rc, const char *msg)
{
    fprintf(stderr, "cryptonn: %s: %s%s%s\n", what, cryptonn_status_str(rc),
            msg && *msg ? ": " : "", msg ? msg : "");
    return rc;
}

static void log_row(const char *path, uint32_t epoch, const cryptonn_train_stats *s, double acc)
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
            s->samples ? (double)s->correct / (double)s->samples : 0, acc, s->seconds_load,
            s->seconds_keys, s->seconds_first_layer, s->seconds_output_error,
            s->seconds_gradient, s->seconds_plain);
    fclose(f);
}

/* The owners' side of secure prediction: their key and true labels or
 * targets. */
typedef struct {
    cryptonn_owner *own; /* π (classification) */
    cli_truth t;         /* t.s.n = 0: nothing to score against */
} owners_truth;

/* The owners' key and their test labels or targets (j->owner_key, data_dir,
 * spec), refused when they are not the test set's (ts). Returns a status,
 * the reason printed. */
static int truth_load(const cli_secure_job *j, const cryptonn_encdata *ts, owners_truth *ot)
{
    int rc = cryptonn_owner_open(&ot->own, NULL, j->owner_key);
    if (rc != CRYPTONN_OK) return fail(j->owner_key, rc, NULL);
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ts, &info);
    return cli_truth_load("train", j->test_dir, &info, j->spec, j->data_dir, j->labels,
                          j->test_limit, &ot->t);
}

static void truth_free(owners_truth *ot)
{
    cryptonn_owner_close(ot->own);
    cli_truth_free(&ot->t);
}

/* Secure prediction on the test set, scored on the owners' side: accuracy,
 * or for a regression target the RMSE in the target's own units. */
static int secure_test(cryptonn_trainer *tr, cryptonn_model *m, const cryptonn_encdata *ts,
                       const owners_truth *ot, cryptonn_train_stats *pst, double *metric)
{
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ts, &info);
    uint64_t n = info.samples;
    uint8_t *pred = malloc(n ? n : 1);
    float *out = info.regression ? malloc(sizeof(float) * (n ? n : 1)) : NULL;
    if (!pred || (info.regression && !out)) {
        free(pred);
        return CRYPTONN_ERR_NOMEM;
    }
    char msg[512] = "";
    int rc = cryptonn_trainer_predict_outputs(tr, m, ts, info.regression ? NULL : pred, out, pst,
                                              msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fail("secure prediction", rc, msg);
        free(pred);
        free(out);
        return rc;
    }
    *metric = -1;
    /* truth_load checked the truth is the set's; --test-limit may score fewer */
    const cryptonn_samples *truth = &ot->t.s;
    n = truth->n;
    if (n && info.regression)
        *metric = cli_truth_metric(truth, 0, n, pred, out, ot->t.spec.t_scale);
    else if (n && ot->own && cryptonn_owner_unpermute(ot->own, pred, n) == CRYPTONN_OK)
        *metric = cli_truth_metric(truth, 0, n, pred, NULL, 1);
    free(pred);
    free(out);
    return CRYPTONN_OK;
}

/* What the owners' audit attacks: MNIST images (tr, aux) or the records of
 * the owners' data spec (rec, with rec_aux public records of the same kind,
 * may be NULL). */
typedef struct {
    const cryptonn_dataset *tr, *aux;
    const cryptonn_records *rec, *rec_aux;
} audit_input;

static int audit_issued(const cryptonn_authority *a, const char *auth_dir, const audit_input *in,
                        uint32_t n, cryptonn_audit **out, uint32_t *nkeys, char *why,
                        size_t why_len)
{
    *out = NULL;
    cryptonn_authority *opened = NULL;
    int rc = a ? CRYPTONN_OK : cryptonn_authority_open(&opened, auth_dir, NULL);
    /* the export goes through a file: what the owners fetch in the
     * networked mode, checked against their params.bin */
    char keys[] = "/tmp/cryptonn-keys-XXXXXX", params[4096];
    int fd = rc == CRYPTONN_OK ? mkstemp(keys) : -1;
    if (rc == CRYPTONN_OK && fd < 0) rc = CRYPTONN_ERR_IO;
    if (fd >= 0) close(fd);
    uint64_t k = 0;
    if (rc == CRYPTONN_OK) rc = cryptonn_authority_export_keys(a ? a : opened, keys, &k);
    cryptonn_authority_close(opened);
    if (rc != CRYPTONN_OK) {
        snprintf(why, why_len, "key export: %s", cryptonn_status_str(rc));
    } else {
        if (nkeys) *nkeys = (uint32_t)k;
        cryptonn_audit_opts o;
        cryptonn_audit_opts_default(&o);
        o.samples = n;
        o.aux_limit = 2000;
        o.decoder_epochs = 3;
        /* the decoder learns from public data of the same kind */
        if (in->rec && !in->rec_aux) o.attacks &= ~(uint32_t)CRYPTONN_AUDIT_DECODER;
        snprintf(params, sizeof params, "%s/params.bin", auth_dir);
        rc = in->rec ? cryptonn_audit_run_records(out, &o, keys, params, in->rec, in->rec_aux,
                                                  why, why_len)
                     : cryptonn_audit_run_export(out, &o, keys, params, in->tr, in->aux, why,
                                                 why_len);
    }
    if (fd >= 0) unlink(keys);
    return rc;
}

int cli_audit_issued(const cryptonn_authority *a, const char *auth_dir,
                     const cryptonn_dataset *tr, const cryptonn_dataset *aux, uint32_t n,
                     cryptonn_audit **out, uint32_t *nkeys, char *why, size_t why_len)
{
    const audit_input in = {tr, aux, NULL, NULL};
    return audit_issued(a, auth_dir, &in, n, out, nkeys, why, why_len);
}

/* The spec's records the audit attacks: j->audit_records, with the test
 * records as the public data of the same kind; or else the test records
 * themselves, with none (a decoder trained on the records it attacks would
 * prove nothing). *what names them. */
static int records_input(const cli_secure_job *j, const owners_truth *ot, cryptonn_records *own,
                         audit_input *in, char *what, size_t what_len, char *why, size_t why_len)
{
    if (!j->audit_records) {
        in->rec = &ot->t.rec;
        snprintf(what, what_len, "test records of %s", j->data_dir);
        return CRYPTONN_OK;
    }
    cryptonn_data_spec spec;
    int rc = cryptonn_spec_read(j->spec, &spec, why, why_len);
    if (rc != CRYPTONN_OK) return rc;
    rc = cryptonn_spec_load(&spec, j->audit_records, j->audit_labels, own, why, why_len);
    cryptonn_spec_free(&spec);
    in->rec = own;
    in->rec_aux = ot->t.rec.n ? &ot->t.rec : NULL;
    snprintf(what, what_len, "records of %s", j->audit_records);
    return rc;
}

/* The audit's Markdown section and text, each closed by the line naming
 * what was audited; *md and *text malloc'd. */
static int audit_format(const cryptonn_audit *au, const char *what, char **md, char **text)
{
    cryptonn_audit_summary s;
    cryptonn_audit_summarize(au, &s);
    char *m = NULL, *t = NULL;
    int rc = cryptonn_audit_format_result(au, CRYPTONN_AUDIT_MARKDOWN, NULL, &m);
    if (rc == CRYPTONN_OK) rc = cryptonn_audit_format_result(au, CRYPTONN_AUDIT_TEXT, NULL, &t);
    size_t len = 0;
    FILE *g = rc == CRYPTONN_OK ? open_memstream(md, &len) : NULL;
    if (g) {
        fprintf(g, "%s\nAudited: the first %u %s.\n", m, s.records, what);
        if (fclose(g)) rc = CRYPTONN_ERR_NOMEM;
    }
    g = rc == CRYPTONN_OK ? open_memstream(text, &len) : NULL;
    if (g) {
        fprintf(g, "\nThe owners' audit of that view (the first %u %s):\n%s", s.records, what, t);
        if (fclose(g)) rc = CRYPTONN_ERR_NOMEM;
    }
    if (rc == CRYPTONN_OK && (!*md || !*text)) rc = CRYPTONN_ERR_NOMEM;
    cryptonn_free(m);
    cryptonn_free(t);
    return rc;
}

/* The owners' audit (the owners' data is at hand in-process): the issued
 * key vectors replayed on j->audit training images of j->data_dir with the
 * test split as the public auxiliary data, or with a spec on its records
 * (records_input). Markdown and text in *md and *text (malloc'd); a failure
 * is reported and leaves them NULL. */
static void owners_audit(const cryptonn_authority *auth, const cli_secure_job *j,
                         const owners_truth *ot, char **md, char **text)
{
    cryptonn_dataset tr = {0}, aux = {0};
    cryptonn_records own = {0};
    audit_input in = {&tr, &aux, NULL, NULL};
    cryptonn_audit *au = NULL;
    char why[512] = "", what[4200] = "MNIST training images";
    int rc;
    if (j->spec) {
        rc = records_input(j, ot, &own, &in, what, sizeof what, why, sizeof why);
    } else {
        rc = cryptonn_mnist_load(j->data_dir, 1, j->audit, &tr, why, sizeof why);
        if (rc == CRYPTONN_OK)
            rc = cryptonn_mnist_load(j->data_dir, 0, 2000, &aux, why, sizeof why);
    }
    if (rc == CRYPTONN_OK)
        rc = audit_issued(auth, j->auth_dir, &in, j->audit, &au, NULL, why, sizeof why);
    if (rc == CRYPTONN_OK) rc = audit_format(au, what, md, text);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn: warning: the owners' audit did not run: %s\n",
                why[0] ? why : cryptonn_status_str(rc));
        free(*md);
        free(*text);
        *md = *text = NULL;
    }
    cryptonn_audit_destroy(au);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&aux);
    cryptonn_records_free(&own);
}

/* The trainer's on_batch for --checkpoint-every. */
typedef struct {
    cryptonn_model *m;
    const char *path;
    uint64_t every;
} ckpt_every;

static int checkpoint_on_batch(void *ctx, uint32_t epoch, uint64_t done)
{
    const ckpt_every *c = ctx;
    if (!c->every || done % c->every) return CRYPTONN_OK;
    int rc = cryptonn_checkpoint_save(c->path, c->m, epoch, done);
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: %s: cannot save the checkpoint: %s\n", c->path,
                cryptonn_status_str(rc));
    return rc;
}

/* The model for the records (strict mode: the committed layer, frozen),
 * created and, with --resume, continued. Prints and returns a status. */
static int model_setup(const cli_secure_job *j, cryptonn_trainer *tr, const cryptonn_encdata *ds,
                       cryptonn_model_config *cfg, cryptonn_model **m, uint32_t *first_epoch,
                       uint64_t *start_batch)
{
    char msg[512] = "";
    int rc = cryptonn_trainer_fit_config(tr, cfg, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn: the model does not fit the encrypted records: %s\n", msg);
        return CRYPTONN_ERR_MISMATCH;
    }
    cryptonn_layer_desc layer;
    if (cryptonn_encdata_layer(ds, &layer) == CRYPTONN_OK)
        printf("[server] strict mode: first layer = the authority's committed %s (frozen); "
               "training the layers above it\n", layer.spec);
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ds, &info);
    if ((rc = cryptonn_model_create(cfg, info.batch, j->so.threads, m)) != CRYPTONN_OK)
        return fail("model", rc, NULL);
    /* --resume takes a checkpoint (parameters, momentum and position: the
     * run continues exactly) or a model file (parameters only, from the
     * start of --start-epoch). */
    *first_epoch = j->first_epoch;
    *start_batch = 0;
    if (!j->resume) return CRYPTONN_OK;
    rc = cryptonn_checkpoint_load(j->resume, *m, first_epoch, start_batch);
    if (rc == CRYPTONN_ERR_FORMAT) {
        *first_epoch = j->first_epoch;
        *start_batch = 0;
        rc = cryptonn_model_load_into(*m, j->resume);
    }
    if (rc != CRYPTONN_OK)
        return fail(j->resume, rc, "cannot resume from this checkpoint or model file");
    printf("[server] resuming at epoch %u, batch %llu\n", *first_epoch + 1,
           (unsigned long long)*start_batch);
    return CRYPTONN_OK;
}

/* The leakage report on stdout and, with j->report, the Markdown report;
 * saved: whether this run wrote the model file. */
static void reports(const cli_secure_job *j, const cryptonn_trainer *tr,
                    const cryptonn_authority *auth, const cryptonn_model *m,
                    const owners_truth *audit, int saved)
{
    char *amd = NULL, *atext = NULL, *text = NULL;
    if (audit) owners_audit(auth, j, audit, &amd, &atext);
    cryptonn_report_opts ro = {.title = "CryptoNN secure training report",
                               .settings = j->settings,
                               .seconds_encrypt = j->seconds_encrypt,
                               .audit_markdown = amd,
                               .audit_text = atext};
    printf("\n");
    int rc = cryptonn_trainer_report(tr, auth, m, &ro, CRYPTONN_REPORT_TEXT, &text);
    if (rc == CRYPTONN_OK) fputs(text, stdout);
    cryptonn_free(text);
    text = NULL;
    if (j->report && rc == CRYPTONN_OK &&
        (rc = cryptonn_trainer_report(tr, auth, m, &ro, CRYPTONN_REPORT_MARKDOWN, &text)) ==
            CRYPTONN_OK) {
        cryptonn_part part = {text, strlen(text)};
        rc = cryptonn_file_write_atomic(j->report, &part, 1, 0644);
    }
    if (rc != CRYPTONN_OK) fail(j->report ? j->report : "report", rc, NULL);
    else if (j->report && saved) printf("\nreport written to %s; model to %s\n", j->report, j->out);
    else if (j->report) printf("\nreport written to %s; no model written\n", j->report);
    cryptonn_free(text);
    cryptonn_free(amd);
    cryptonn_free(atext);
}

int cli_secure_run(const cli_secure_job *j, double *test_accuracy)
{
    int code = 1, rc;
    char msg[512] = "";
    cryptonn_authority *auth = NULL;
    cryptonn_encdata *ds = NULL, *ts = NULL;
    cryptonn_keyservice *local = NULL, *ks = NULL;
    cryptonn_trainer *tr = NULL;
    cryptonn_model *m = NULL;
    owners_truth ot;
    memset(&ot, 0, sizeof ot);
    if (test_accuracy) *test_accuracy = -1;

    /* in-process the operator runs every role: one label key per
     * registered ciphertext and epoch of this run */
    cryptonn_policy pol = j->pol;
    if (pol.label_uses < j->epochs) pol.label_uses = j->epochs;
    if ((rc = cryptonn_authority_open(&auth, j->auth_dir, &pol)) != CRYPTONN_OK) {
        fail(j->auth_dir, rc, "cannot open the authority state (cryptonn keygen)");
        goto out;
    }
    uint32_t skipped = 0;
    if ((rc = cryptonn_encdata_open(&ds, j->enc_dir, &skipped)) != CRYPTONN_OK) {
        fail(j->enc_dir, rc, "cannot open the encrypted training set (cryptonn encrypt)");
        goto out;
    }
    if (skipped)
        fprintf(stderr, "cryptonn: warning: %u incomplete part(s) of %s skipped\n", skipped,
                j->enc_dir);
    if (j->test_dir && (rc = cryptonn_encdata_open(&ts, j->test_dir, &skipped)) != CRYPTONN_OK) {
        fail(j->test_dir, rc, "cannot open the encrypted test set");
        goto out;
    }
    if (ts && j->owner_key && truth_load(j, ts, &ot) != CRYPTONN_OK) goto out;
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ds, &info);
    char ckpt[4096];
    snprintf(ckpt, sizeof ckpt, "%s.ckpt", j->out);
    ckpt_every ce = {NULL, ckpt, j->checkpoint_every};
    cryptonn_trainer_opts so = j->so;
    so.cache_dir = j->cache;
    if (ce.every) {
        so.on_batch = checkpoint_on_batch;
        so.on_batch_ctx = &ce;
    }
    /* under mpirun the other ranks get every response */
    rc = cryptonn_keyservice_local(&local, auth);
    if (rc == CRYPTONN_OK) rc = cryptonn_keyservice_dist(&ks, local);
    if (rc == CRYPTONN_OK) rc = cryptonn_trainer_create(&tr, ds, ks, &so);
    if (rc != CRYPTONN_OK) {
        fail("server", rc, NULL);
        goto out;
    }
    cryptonn_model_config cfg = j->cfg;
    uint32_t first_epoch;
    uint64_t start_batch;
    if (model_setup(j, tr, ds, &cfg, &m, &first_epoch, &start_batch) != CRYPTONN_OK) goto out;
    ce.m = m;
    printf("[server] %llu encrypted samples in %llu fixed batches of %u; %u epoch(s)\n",
           (unsigned long long)info.samples, (unsigned long long)info.batches, info.batch,
           j->epochs);
    rc = cryptonn_dist_share_model(CRYPTONN_OK, &cfg, &m, info.batch, j->so.threads,
                                   &first_epoch, &start_batch);
    if (rc != CRYPTONN_OK) {
        fail("mpirun", rc, "a rank could not start");
        goto out;
    }
    int failed = 0, stepped = 0, saved = 0;
    for (uint32_t e = first_epoch; e < j->epochs; e++) {
        cryptonn_train_stats st;
        const uint64_t from = e == first_epoch ? start_batch : 0;
        cryptonn_trainer_set_start_batch(tr, from);
        rc = cryptonn_trainer_epoch(tr, m, e, &st, msg, sizeof msg);
        /* After every epoch, and after a refusal once a step of this run
         * completed, the model file and the checkpoint hold the last
         * completed step: nothing is lost. A run refused before its first
         * step leaves both as they were (a previous model, or the checkpoint
         * it resumed from). */
        stepped |= st.batches > 0;
        if (rc == CRYPTONN_OK || stepped) {
            int src = cryptonn_model_save(m, j->out);
            if (src != CRYPTONN_OK) fail(j->out, src, "cannot save the model");
            src = rc == CRYPTONN_OK ? cryptonn_checkpoint_save(ckpt, m, e + 1, 0)
                                    : cryptonn_checkpoint_save(ckpt, m, e, from + st.batches);
            if (src != CRYPTONN_OK) fail(ckpt, src, "cannot save the checkpoint");
            saved = 1;
        }
        if (rc != CRYPTONN_OK) {
            fail("secure training stopped", rc, msg);
            if (stepped)
                fprintf(stderr, "cryptonn: checkpoint of the last completed step saved to %s "
                                "(continue with --resume %s)\n", ckpt, ckpt);
            else
                fprintf(stderr, "cryptonn: no training step completed: %s and %s were not "
                                "written\n", j->out, ckpt);
            failed = 1;
            break;
        }
        double acc = -1;
        cryptonn_train_stats pst;
        memset(&pst, 0, sizeof pst);
        if (ts && (rc = secure_test(tr, m, ts, &ot, &pst, &acc)) != CRYPTONN_OK) {
            failed = 1;
            break;
        }
        cryptonn_trainer_note_test(tr, e, acc);
        printf("[server] epoch %u: train loss %.4f", e + 1,
               st.samples ? st.loss_sum / (double)st.samples : 0);
        if (!info.regression)
            printf(", train accuracy %.2f%% (permuted labels)",
                   st.samples ? 100.0 * (double)st.correct / (double)st.samples : 0);
        if (acc >= 0 && info.regression)
            printf(", secure test RMSE %.4g (scored by the owners)", acc);
        else if (acc >= 0)
            printf(", secure test accuracy %.2f%% (scored by the owners)", 100 * acc);
        printf("\n");
        char line[256];
        cryptonn_train_stats_line(&st, "         time", line, sizeof line);
        fputs(line, stdout);
        if (ts)
            printf("         secure prediction of %llu test samples: %.1f s\n",
                   (unsigned long long)pst.samples, pst.seconds_load + pst.seconds_keys +
                   pst.seconds_first_layer + pst.seconds_plain);
        fflush(stdout);
        log_row(j->log, e + 1, &st, acc);
        if (test_accuracy) *test_accuracy = acc;
    }
    /* the owners' records are at hand with their key, or named for the audit */
    const int audit = j->audit && !failed && (ot.own || (j->spec && j->audit_records));
    reports(j, tr, auth, m, audit ? &ot : NULL, saved);
    code = failed ? 1 : 0;
out:
    cryptonn_trainer_destroy(tr);
    cryptonn_keyservice_destroy(ks);
    cryptonn_keyservice_destroy(local);
    cryptonn_model_destroy(m);
    cryptonn_encdata_close(ds);
    cryptonn_encdata_close(ts);
    cryptonn_authority_close(auth);
    truth_free(&ot);
    return code;
}
