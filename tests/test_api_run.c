/* What the CLI's in-process run takes from the public API, through the
 * public headers only: an owner encrypting a range of a data spec's
 * regression records and checking a spec against params.bin, a
 * reproducible owners' key, the trainer's per-batch hook (and a stop
 * through it), its phase line, and its report with the owners' test
 * figures and the committed layer. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/cryptonn.h"
#include "api_strict.h"
#include "testutil.h"

/* n records of four features and a target y = a + 2b − c (+ d noise). */
static void write_csv(const char *path, uint32_t n, int features)
{
    FILE *f = fopen(path, "w");
    if (!f) return;
    fprintf(f, features == 4 ? "a,b,c,d,y\n" : "a,b,c,y\n");
    for (uint32_t i = 0; i < n; i++) {
        int a = (int)t_rand_range(-9, 9), b = (int)t_rand_range(-9, 9),
            c = (int)t_rand_range(-9, 9), d = (int)t_rand_range(-9, 9);
        if (features == 4) fprintf(f, "%d,%d,%d,%d,%d\n", a, b, c, d, a + 2 * b - c + d / 4);
        else fprintf(f, "%d,%d,%d,%d\n", a, b, c, a + 2 * b - c);
    }
    fclose(f);
}

static int spec_of(const char *csv, cryptonn_data_spec *spec, cryptonn_table *t)
{
    char msg[256];
    cryptonn_describe_opts o = {.task = CRYPTONN_TASK_REGRESS};
    int rc = cryptonn_csv_read(csv, "y", t, msg, sizeof msg);
    if (rc == CRYPTONN_OK) rc = cryptonn_spec_describe(t, &o, spec, msg, sizeof msg);
    return rc;
}

static void regression_range(void)
{
    char csv[600], csv3[600], auth[600], params[700], enc[600], msg[512];
    snprintf(csv, sizeof csv, "%s/reg.csv", t_tmpdir());
    snprintf(csv3, sizeof csv3, "%s/reg3.csv", t_tmpdir());
    snprintf(auth, sizeof auth, "%s/rauth", t_tmpdir());
    snprintf(params, sizeof params, "%s/params.bin", auth);
    snprintf(enc, sizeof enc, "%s/renc", t_tmpdir());
    write_csv(csv, 20, 4);
    write_csv(csv3, 20, 3);
    cryptonn_table t = {0}, t3 = {0};
    cryptonn_data_spec spec, spec3;
    memset(&spec, 0, sizeof spec);
    memset(&spec3, 0, sizeof spec3);
    CHECK_EQ_INT(spec_of(csv, &spec, &t), CRYPTONN_OK);
    CHECK_EQ_INT(spec_of(csv3, &spec3, &t3), CRYPTONN_OK);
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.mode = CRYPTONN_MODE_PAPER;
    so.batch = 4;
    so.spec = &spec;
    CHECK_EQ_INT(cryptonn_authority_setup(auth, &so, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_owner *ow = NULL;
    CHECK_EQ_INT(cryptonn_owner_open(&ow, params, NULL), CRYPTONN_OK);
    cryptonn_records rec = {0};
    CHECK_EQ_INT(cryptonn_spec_apply(&spec, &t, &rec, msg, sizeof msg), CRYPTONN_OK);
    if (!ow || rec.n != 20) goto out;
    CHECK_EQ_INT(cryptonn_owner_batch(ow), 4);
    CHECK_EQ_INT(cryptonn_owner_check_spec(ow, &spec, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_owner_check_spec(ow, &spec3, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "other records") != NULL);

    /* records [3, 11): two batches of four, targets without an owners' key */
    cryptonn_samples all, v;
    cryptonn_records_view(&rec, &all);
    v = all;
    v.n = 8;
    v.x = all.x + 3 * all.size;
    v.t = all.t + 3;
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    cryptonn_encrypt_stats st;
    v.size = 3;
    CHECK_EQ_INT(cryptonn_owner_encrypt_samples(ow, enc, &v, &eo, &st, msg, sizeof msg),
                 CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "do not fit") != NULL);
    v.size = all.size;
    CHECK_EQ_INT(cryptonn_owner_encrypt_samples(ow, enc, &v, &eo, &st, msg, sizeof msg),
                 CRYPTONN_OK);
    CHECK_EQ_INT(st.samples, 8);
    CHECK_EQ_INT(st.batches, 2);
    CHECK(st.seconds_samples > 0 && st.seconds_samples <= st.seconds);
    CHECK(st.cpu_total > 0);
    cryptonn_encdata *ds = NULL;
    CHECK_EQ_INT(cryptonn_encdata_open(&ds, enc, NULL), CRYPTONN_OK);
    if (ds) {
        cryptonn_encdata_info info;
        cryptonn_encdata_describe(ds, &info);
        CHECK(info.regression && info.labels);
        CHECK_EQ_INT(info.samples, 8);
        cryptonn_layer_desc ld;
        CHECK_EQ_INT(cryptonn_encdata_layer(ds, &ld), CRYPTONN_ERR_NOT_FOUND);
    }
    cryptonn_encdata_close(ds);
out:
    cryptonn_owner_close(ow);
    cryptonn_records_free(&rec);
    cryptonn_table_free(&t);
    cryptonn_table_free(&t3);
    cryptonn_spec_free(&spec);
    cryptonn_spec_free(&spec3);
}

static void owners_key(void)
{
    char path[600];
    snprintf(path, sizeof path, "%s/owner3.key", t_tmpdir());
    const uint8_t bad[3] = {0, 0, 1}, perm[3] = {2, 0, 1};
    CHECK_EQ_INT(cryptonn_owner_key_save(path, bad, 3), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_owner_key_save(path, perm, 0), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_owner_key_save(path, perm, 3), CRYPTONN_OK);
    cryptonn_owner *o = NULL;
    CHECK_EQ_INT(cryptonn_owner_open(&o, NULL, path), CRYPTONN_OK);
    if (!o) return;
    CHECK_EQ_INT(cryptonn_owner_classes(o), 3);
    /* class c is trained as perm[c]: 2 → 0, 0 → 1, 1 → 2 back */
    uint8_t pred[3] = {2, 0, 1};
    CHECK_EQ_INT(cryptonn_owner_unpermute(o, pred, 3), CRYPTONN_OK);
    CHECK(pred[0] == 0 && pred[1] == 1 && pred[2] == 2);
    cryptonn_owner_close(o);
}

static void phase_line(void)
{
    cryptonn_train_stats s;
    memset(&s, 0, sizeof s);
    s.seconds_load = 1;
    s.seconds_keys = 2;
    s.seconds_first_layer = 3;
    s.seconds_output_error = 4;
    s.seconds_gradient = 5;
    s.seconds_plain = 6;
    char line[256], small[5];
    cryptonn_train_stats_line(&s, "t", line, sizeof line);
    CHECK(!strcmp(line, "t: 21.0 s = load 1.0 + keys 2.0 + first layer 3.0 + output error 4.0 + "
                        "gradient 5.0 + plaintext 6.0\n"));
    cryptonn_train_stats_line(&s, "t", small, sizeof small);
    CHECK(!strcmp(small, "t: 2"));
}

typedef struct {
    uint64_t calls, last;
    uint64_t stop_at; /* 0: never */
} hook;

static int on_batch(void *ctx, uint32_t epoch, uint64_t done)
{
    hook *h = ctx;
    h->calls++;
    h->last = done;
    (void)epoch;
    return h->stop_at && done == h->stop_at ? CRYPTONN_ERR_IO : CRYPTONN_OK;
}

static void hook_and_report(void)
{
    char auth[600], enc[600], msg[512];
    snprintf(auth, sizeof auth, "%s/auth", t_tmpdir());
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    uint64_t added = 0;
    CHECK_EQ_INT(api_strict_setup(t_tmpdir(), "dense:16", 24, &added), CRYPTONN_OK);
    CHECK_EQ_INT(added, 240); /* 24 records × 10 classes */

    cryptonn_authority *a = NULL;
    cryptonn_keyservice *ks = NULL;
    cryptonn_encdata *ds = NULL;
    cryptonn_trainer *t = NULL;
    cryptonn_model *m = NULL;
    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    pol.label_uses = 3;
    CHECK_EQ_INT(cryptonn_authority_open(&a, auth, &pol), CRYPTONN_OK);
    if (a) CHECK_EQ_INT(cryptonn_keyservice_local(&ks, a), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_encdata_open(&ds, enc, NULL), CRYPTONN_OK);
    hook h = {0, 0, 0};
    cryptonn_trainer_opts o;
    cryptonn_trainer_opts_default(&o);
    o.dlog_table_bits = 12;
    o.on_batch = on_batch;
    o.on_batch_ctx = &h;
    if (ks && ds) CHECK_EQ_INT(cryptonn_trainer_create(&t, ds, ks, &o), CRYPTONN_OK);
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_MLP;
    if (t) CHECK_EQ_INT(cryptonn_trainer_fit_config(t, &cfg, msg, sizeof msg), CRYPTONN_OK);
    if (t) CHECK_EQ_INT(cryptonn_trainer_model_create(t, &cfg, &m, msg, sizeof msg), CRYPTONN_OK);
    if (!m) goto out;
    CHECK_EQ_INT(cryptonn_trainer_epoch(t, m, 0, NULL, msg, sizeof msg), CRYPTONN_OK);
    CHECK(h.calls == 3 && h.last == 3);
    cryptonn_trainer_note_test(t, 0, 0.5);
    h = (hook){0, 0, 2};
    CHECK_EQ_INT(cryptonn_trainer_epoch(t, m, 1, NULL, msg, sizeof msg), CRYPTONN_ERR_IO);
    CHECK(h.calls == 2 && h.last == 2);

    cryptonn_report_opts ro = {.title = "run report", .settings = "lr: 0.05",
                               .seconds_encrypt = -1};
    char *md = NULL, *text = NULL;
    CHECK_EQ_INT(cryptonn_trainer_report(t, a, m, &ro, CRYPTONN_REPORT_MARKDOWN, &md),
                 CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_trainer_report(t, a, m, &ro, CRYPTONN_REPORT_TEXT, &text), CRYPTONN_OK);
    if (md && text) {
        CHECK(!strncmp(md, "# run report\n", 13));
        CHECK(strstr(md, "- lr: 0.05\n") != NULL);
        CHECK(strstr(md, "| 1 | 24 |") != NULL);   /* the first epoch's samples */
        CHECK(strstr(md, "| 50.00% |") != NULL);   /* the owners' figure */
        CHECK(strstr(md, "| 2 | 16 |") != NULL);   /* the stopped epoch's two batches */
        CHECK(strstr(md, "dense:16") != NULL);
        CHECK(strstr(text, "dense:16") != NULL);
        CHECK(strstr(text, "| epoch |") == NULL);
    }
    cryptonn_free(md);
    cryptonn_free(text);
out:
    cryptonn_model_destroy(m);
    cryptonn_trainer_destroy(t);
    cryptonn_encdata_close(ds);
    cryptonn_keyservice_destroy(ks);
    cryptonn_authority_close(a);
}

int main(void)
{
    t_init("test_api_run");
    regression_range();
    owners_key();
    phase_line();
    hook_and_report();
    return t_done();
}
