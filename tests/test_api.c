/* The public protocol API (cryptonn/{authority,owner,encdata,transport,
 * server}.h), through the public headers only: a strict authority set up and
 * refusing a second setup and a bad layer, an owner encrypting records and
 * writing its label registration, training refused before the registration
 * and done after it, in process and over HTTP with the same model bit for bit,
 * secure prediction mapped back by the owner, the counters and the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cryptonn/cryptonn.h"
#include "api_records.h"
#include "testutil.h"

#define N_TRAIN 24
#define N_TEST 8

static long file_size(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

static int same_files(const char *a, const char *b)
{
    FILE *f = fopen(a, "rb"), *g = fopen(b, "rb");
    int same = f && g;
    while (same) {
        int x = fgetc(f), y = fgetc(g);
        if (x != y) same = 0;
        if (x == EOF || y == EOF) break;
    }
    if (f) fclose(f);
    if (g) fclose(g);
    return same;
}

/* One epoch through ks; saves the model to out. */
static int train_once(cryptonn_encdata *ds, cryptonn_keyservice *ks, const char *out,
                      cryptonn_train_stats *st, char *msg, size_t msg_len)
{
    cryptonn_trainer_opts o;
    cryptonn_trainer_opts_default(&o);
    o.dlog_table_bits = 14;
    o.seed = 7;
    cryptonn_trainer *t = NULL;
    int rc = cryptonn_trainer_create(&t, ds, ks, &o);
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_MLP;
    cryptonn_model *m = NULL;
    if (rc == CRYPTONN_OK) rc = cryptonn_trainer_fit_config(t, &cfg, msg, msg_len);
    if (rc == CRYPTONN_OK) rc = cryptonn_trainer_model_create(t, &cfg, &m, msg, msg_len);
    if (rc == CRYPTONN_OK) rc = cryptonn_trainer_epoch(t, m, 0, st, msg, msg_len);
    if (rc == CRYPTONN_OK && out) rc = cryptonn_model_save(m, out);
    cryptonn_model_destroy(m);
    cryptonn_trainer_destroy(t);
    return rc;
}

int main(void)
{
    t_init("test_api");
    char auth[512], enc[512], tst[512], reg[600], path[700], m1[600], m2[600], msg[512];
    snprintf(auth, sizeof auth, "%s/auth", t_tmpdir());
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    snprintf(tst, sizeof tst, "%s/test", t_tmpdir());
    snprintf(m1, sizeof m1, "%s/local.model", t_tmpdir());
    snprintf(m2, sizeof m2, "%s/http.model", t_tmpdir());

    /* setup: a bad layer is named; keys are never overwritten */
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    CHECK_EQ_INT(so.mode, CRYPTONN_MODE_STRICT);
    so.first_layer = "dense:0";
    CHECK(cryptonn_authority_setup(auth, &so, msg, sizeof msg) != CRYPTONN_OK);
    CHECK(strstr(msg, "dense") != NULL);
    so.first_layer = "dense:16";
    so.layer_seeded = 1;
    so.layer_seed = 5;
    so.batch = 8;
    CHECK_EQ_INT(cryptonn_authority_setup(auth, &so, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_authority_setup(auth, &so, msg, sizeof msg), CRYPTONN_ERR_IO);
    snprintf(path, sizeof path, "%s/samples.msk", auth);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 077) == 0);

    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    pol.label_uses = 2; /* two epochs' worth: the local and the HTTP run */
    cryptonn_authority *a = NULL;
    CHECK_EQ_INT(cryptonn_authority_open(&a, auth, &pol), CRYPTONN_OK);
    if (!a) return t_done();
    CHECK_EQ_INT(cryptonn_authority_mode(a), CRYPTONN_MODE_STRICT);
    cryptonn_layer_desc ld, od;
    CHECK_EQ_INT(cryptonn_authority_layer(a, &ld), CRYPTONN_OK);
    CHECK(!strcmp(ld.spec, "dense:16") && strlen(ld.commit) == 16);
    CHECK(ld.keys == 16 && ld.bits == 8);

    /* the owner encrypts training and test records */
    cryptonn_owner *ow = NULL;
    snprintf(path, sizeof path, "%s/params.bin", auth);
    char okey[600];
    snprintf(okey, sizeof okey, "%s/owner.key", auth);
    CHECK_EQ_INT(cryptonn_owner_open(&ow, path, okey), CRYPTONN_OK);
    if (!ow) return t_done();
    CHECK_EQ_INT(cryptonn_owner_mode(ow), CRYPTONN_MODE_STRICT);
    CHECK_EQ_INT(cryptonn_owner_classes(ow), 10);
    CHECK_EQ_INT(cryptonn_owner_width(ow), 784);
    CHECK_EQ_INT(cryptonn_owner_layer(ow, &od), CRYPTONN_OK);
    CHECK(!strcmp(od.commit, ld.commit) && !strcmp(od.spec, ld.spec));
    cryptonn_dataset tr = {0}, te = {0};
    api_records(&tr, N_TRAIN);
    api_records(&te, N_TEST);
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    eo.part = "bad/name";
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, enc, &tr, &eo, NULL, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "part name") != NULL);
    eo.part = "clinic-a";
    cryptonn_encrypt_stats es;
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, enc, &tr, &eo, &es, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(es.samples, N_TRAIN);
    CHECK_EQ_INT(es.batches, N_TRAIN / 8);
    snprintf(reg, sizeof reg, "%s/clinic-a.lreg", enc);
    CHECK(file_size(reg) > 0);
    eo.labels = 0;
    eo.part = "test";
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, tst, &te, &eo, NULL, msg, sizeof msg), CRYPTONN_OK);

    cryptonn_encdata *ds = NULL, *ts = NULL;
    uint32_t skipped = 9;
    CHECK_EQ_INT(cryptonn_encdata_open(&ds, enc, &skipped), CRYPTONN_OK);
    CHECK_EQ_INT(skipped, 0);
    CHECK_EQ_INT(cryptonn_encdata_open(&ts, tst, NULL), CRYPTONN_OK);
    if (!ds || !ts) return t_done();
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ds, &info);
    CHECK_EQ_INT(info.mode, CRYPTONN_MODE_STRICT);
    CHECK_EQ_INT(info.samples, N_TRAIN);
    CHECK_EQ_INT(info.batches, 3);
    CHECK_EQ_INT(info.batch, 8);
    CHECK_EQ_INT(info.slots, 784);
    CHECK(info.labels == 1 && info.regression == 0);
    CHECK(info.x_den == 255 && info.x_max == 255 && info.y_den == 65536 && info.y_max == 65536);
    uint32_t n = 0;
    CHECK_EQ_INT(cryptonn_encdata_check_batch(ds, 2, &n), CRYPTONN_OK);
    CHECK_EQ_INT(n, 8);
    CHECK_EQ_INT(cryptonn_encdata_check_batch(ds, 3, &n), CRYPTONN_ERR_NOT_FOUND);

    /* label keys are refused until the owner registers its ciphertexts */
    cryptonn_keyservice *local = NULL;
    CHECK_EQ_INT(cryptonn_keyservice_local(&local, a), CRYPTONN_OK);
    cryptonn_train_stats ts1, ts2;
    CHECK_EQ_INT(train_once(ds, local, NULL, &ts1, msg, sizeof msg), CRYPTONN_ERR_POLICY);
    cryptonn_keycount kc[3];
    cryptonn_authority_counts(a, kc);
    CHECK_EQ_INT(kc[2].keys_issued, 0);
    CHECK(kc[2].keys_refused > 0);
    uint64_t added = 0;
    CHECK_EQ_INT(cryptonn_authority_register_file(a, reg, &added, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(added, (uint64_t)N_TRAIN * 10);
    CHECK_EQ_INT(cryptonn_authority_register_file(a, reg, &added, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(added, 0);

    /* in process, then over HTTP: the same bytes, the same model */
    CHECK_EQ_INT(train_once(ds, local, m1, &ts1, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(ts1.samples, N_TRAIN);
    CHECK_EQ_INT(ts1.keys_output_error, (uint64_t)N_TRAIN * 10);
    CHECK_EQ_INT(ts1.keys_gradient, 0); /* strict: the first layer is frozen */
    cryptonn_authority_service *svc = NULL;
    cryptonn_service_opts vo;
    cryptonn_service_opts_default(&vo);
    CHECK_EQ_INT(cryptonn_authority_service_start(&svc, a, auth, &vo, msg, sizeof msg), CRYPTONN_OK);
    if (svc) {
        char url[64], token[80] = "";
        snprintf(url, sizeof url, "http://127.0.0.1:%u", cryptonn_authority_service_port(svc));
        snprintf(path, sizeof path, "%s/tokens/server.token", auth);
        FILE *f = fopen(path, "r");
        CHECK(f && fgets(token, sizeof token, f));
        if (f) fclose(f);
        token[strcspn(token, "\n")] = 0;
        cryptonn_keyservice *http = NULL;
        CHECK_EQ_INT(cryptonn_keyservice_http(&http, url, token, NULL, 0), CRYPTONN_OK);
        CHECK_EQ_INT(train_once(ds, http, m2, &ts2, msg, sizeof msg), CRYPTONN_OK);
        CHECK(same_files(m1, m2));
        /* a third epoch exceeds label_uses: the budget refuses it over HTTP too */
        CHECK_EQ_INT(train_once(ds, http, NULL, &ts2, msg, sizeof msg), CRYPTONN_ERR_BUDGET);
        cryptonn_keyservice_destroy(http);
        /* a wrong token is refused */
        CHECK_EQ_INT(cryptonn_keyservice_http(&http, url, "00", NULL, 0), CRYPTONN_OK);
        CHECK(train_once(ds, http, NULL, &ts2, msg, sizeof msg) != CRYPTONN_OK);
        cryptonn_keyservice_destroy(http);
        uint64_t ok = 0, refused = 0, failed = 0;
        cryptonn_authority_service_counts(svc, &ok, &refused, &failed);
        CHECK(ok > 0 && refused > 0);
        cryptonn_authority_service_stop(svc);
    }

    /* secure prediction, mapped back by the owner */
    cryptonn_trainer_opts o;
    cryptonn_trainer_opts_default(&o);
    o.dlog_table_bits = 14;
    cryptonn_trainer *t = NULL;
    cryptonn_model *m = NULL;
    uint8_t pred[N_TEST];
    CHECK_EQ_INT(cryptonn_trainer_create(&t, ds, local, &o), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_load(m1, 8, 2, &m), CRYPTONN_OK);
    if (t && m) {
        CHECK_EQ_INT(cryptonn_trainer_predict(t, m, ts, pred, msg, sizeof msg), CRYPTONN_OK);
        int in_range = 1;
        for (int i = 0; i < N_TEST; i++) in_range &= pred[i] < 10;
        CHECK(in_range);
        uint8_t back[N_TEST];
        memcpy(back, pred, sizeof back);
        CHECK_EQ_INT(cryptonn_owner_unpermute(ow, back, N_TEST), CRYPTONN_OK);
        /* a permutation: distinct predictions stay distinct */
        int perm_ok = 1;
        for (int i = 0; i < N_TEST; i++)
            for (int j = 0; j < N_TEST; j++) perm_ok &= (pred[i] == pred[j]) == (back[i] == back[j]);
        CHECK(perm_ok);
        back[0] = 10;
        CHECK_EQ_INT(cryptonn_owner_unpermute(ow, back, 1), CRYPTONN_ERR_ARG);
        /* checkpoints round-trip the position */
        snprintf(path, sizeof path, "%s/run.ckpt", t_tmpdir());
        uint32_t ep = 0;
        uint64_t bd = 0;
        CHECK_EQ_INT(cryptonn_checkpoint_save(path, m, 3, 2), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_checkpoint_load(path, m, &ep, &bd), CRYPTONN_OK);
        CHECK(ep == 3 && bd == 2);
        CHECK(file_size(path) > 0);
    }
    cryptonn_model_destroy(m);
    cryptonn_trainer_destroy(t);

    /* what was issued, and the report that says it */
    cryptonn_authority_counts(a, kc);
    CHECK_EQ_INT(kc[1].width, 0); /* strict: no gradient key exists */
    CHECK_EQ_INT(kc[2].keys_issued, (uint64_t)N_TRAIN * 10 * 2);
    CHECK(kc[0].keys_issued >= 16);
    snprintf(path, sizeof path, "%s/keys.kexp", t_tmpdir());
    uint64_t nk = 0;
    CHECK_EQ_INT(cryptonn_authority_export_keys(a, path, &nk), CRYPTONN_OK);
    CHECK_EQ_INT(nk, 16); /* strict: exactly the committed layer */
    CHECK(file_size(path) > 16 * 784);
    char *rep = NULL;
    CHECK_EQ_INT(cryptonn_authority_report(a, &rep), CRYPTONN_OK);
    CHECK(rep && strstr(rep, "dense:16") && strstr(rep, ld.commit));
    cryptonn_free(rep);

    cryptonn_keyservice_destroy(local);
    cryptonn_encdata_close(ds);
    cryptonn_encdata_close(ts);
    cryptonn_owner_close(ow);
    cryptonn_authority_close(a);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&te);
    return t_done();
}
