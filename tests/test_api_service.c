/* The training server's HTTP service through the public headers only
 * (cryptonn/transport.h), on 127.0.0.1: an operator token that is another
 * credential, or readable by others, is refused before anything starts; a
 * data owner registers its labels with the authority's service and uploads
 * its part with its own token (an unknown token is refused, an owner's token
 * cannot drive training); the operator refuses bad job options, trains, reads
 * the job (the same over HTTP and in process) and fetches the model; the
 * owner's secure prediction over HTTP equals the in-process prediction with
 * that model; a restart finds the finished job without the authority. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cryptonn/cryptonn.h"
#include "api_records.h"
#include "testutil.h"

#define N_TRAIN 24
#define N_TEST 8

/* Polls the job until it leaves TRAINING (at most 300 s). */
static int wait_job(cryptonn_operator *op, cryptonn_job_status *st)
{
    char msg[512];
    for (int i = 0; i < 3000; i++) {
        int rc = cryptonn_operator_status(op, st, NULL, msg, sizeof msg);
        if (rc != CRYPTONN_OK) return rc;
        if (st->state != CRYPTONN_JOB_TRAINING) return CRYPTONN_OK;
        struct timespec ts = {0, 100000000L};
        nanosleep(&ts, NULL);
    }
    return CRYPTONN_ERR_NET;
}

/* The refusals before a service starts: the operator token is checked
 * before the authority is contacted, so none needs to run. */
static void refused_starts(const char *auth, const char *srv)
{
    char stok[600], atok[600], loose[600], msg[512];
    snprintf(stok, sizeof stok, "%s/tokens/server.token", auth);
    snprintf(atok, sizeof atok, "%s/owners/alice.token", auth);
    snprintf(loose, sizeof loose, "%s/loose.token", t_tmpdir());
    cryptonn_server_service_opts o;
    cryptonn_server_service_opts_default(&o);
    o.authority = "http://127.0.0.1:9"; /* never reached */
    o.retry_s = 0;
    o.token_file = stok;
    char lst[600];
    snprintf(lst, sizeof lst, "%s/owners.list", auth);
    o.owners_file = lst;
    cryptonn_server_service *s = NULL;
    const char *same[] = {stok, atok};
    for (int i = 0; i < 2; i++) {
        o.operator_token_file = same[i];
        CHECK_EQ_INT(cryptonn_server_service_start(&s, srv, &o, msg, sizeof msg), CRYPTONN_ERR_ARG);
        CHECK(s == NULL && strstr(msg, "operator token must differ") != NULL);
    }
    FILE *f = fopen(loose, "w");
    CHECK(f != NULL);
    if (f) {
        fprintf(f, "%064d\n", 7);
        fclose(f);
        chmod(loose, 0644);
    }
    o.operator_token_file = loose;
    CHECK_EQ_INT(cryptonn_server_service_start(&s, srv, &o, msg, sizeof msg), CRYPTONN_ERR_AUTH);
    CHECK(strstr(msg, "readable by others") != NULL);
    o.operator_token_file = NULL;
    o.token_file = NULL;
    CHECK_EQ_INT(cryptonn_server_service_start(&s, srv, &o, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "token file") != NULL);
}

/* The operator's side: refusals, a job, its report both ways, the model. */
static void operate(cryptonn_server_service *svc, const char *url, const char *optok,
                    const char *owner_tok, const char *model)
{
    char msg[1024];
    cryptonn_operator *op = NULL, *bad = NULL;
    cryptonn_job_status st, local;
    CHECK_EQ_INT(cryptonn_server_service_status(svc, &local), CRYPTONN_OK);
    CHECK_EQ_INT(local.state, CRYPTONN_JOB_IDLE);
    /* an owner's token cannot train; an unknown one is not let in */
    CHECK_EQ_INT(cryptonn_operator_open(&bad, url, owner_tok, NULL, 0), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_operator_train(bad, "{}", msg, sizeof msg), CRYPTONN_ERR_POLICY);
    CHECK(strstr(msg, "403") != NULL);
    cryptonn_operator_close(bad);
    CHECK_EQ_INT(cryptonn_operator_open(&bad, url, "00", NULL, 0), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_operator_status(bad, &st, NULL, msg, sizeof msg), CRYPTONN_ERR_AUTH);
    cryptonn_operator_close(bad);

    CHECK_EQ_INT(cryptonn_operator_open(&op, url, optok, NULL, 0), CRYPTONN_OK);
    if (!op) return;
    CHECK_EQ_INT(cryptonn_operator_train(op, "{\"epochs\":\"two\"}", msg, sizeof msg),
                 CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "400") != NULL);
    CHECK_EQ_INT(cryptonn_operator_stop(op, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cryptonn_operator_model(op, model, msg, sizeof msg), CRYPTONN_ERR_NOT_FOUND);
    char *parts = NULL;
    CHECK_EQ_INT(cryptonn_operator_parts(op, &parts, msg, sizeof msg), CRYPTONN_OK);
    CHECK(parts && strstr(parts, "\"owner\":\"alice\",\"name\":\"clinic-a\""));
    cryptonn_free(parts);

    const char *job = "{\"model\":\"mlp\",\"hidden\":16,\"epochs\":1,\"lr\":0.05,\"seed\":7,"
                      "\"dlog_bits\":14,\"freeze_first_layer\":true}";
    CHECK_EQ_INT(cryptonn_operator_train(op, job, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(wait_job(op, &st), CRYPTONN_OK);
    if (st.state != CRYPTONN_JOB_DONE) fprintf(stderr, "job: %d %s\n", st.state, st.message);
    CHECK_EQ_INT(st.state, CRYPTONN_JOB_DONE);
    CHECK(st.epoch == 1 && st.epochs == 1);
    CHECK_EQ_INT(st.samples, N_TRAIN);
    CHECK_EQ_INT(st.batches, N_TRAIN / 8);
    CHECK(st.loss > 0 && st.accuracy >= 0 && st.accuracy <= 1);
    char *js = NULL;
    CHECK_EQ_INT(cryptonn_operator_status(op, NULL, &js, msg, sizeof msg), CRYPTONN_OK);
    CHECK(js && strstr(js, "\"state\":\"done\""));
    cryptonn_free(js);
    CHECK_EQ_INT(cryptonn_server_service_status(svc, &local), CRYPTONN_OK);
    CHECK(local.state == st.state && local.samples == st.samples && local.loss == st.loss &&
          local.batches == st.batches && !strcmp(local.message, st.message));
    CHECK_EQ_INT(cryptonn_operator_model(op, model, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_operator_close(op);
}

int main(void)
{
    t_init("test_api_service");
    char auth[512], enc[512], tst[512], srv[512], path[700], okey[700], msg[1024], model[600];
    snprintf(auth, sizeof auth, "%s/auth", t_tmpdir());
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    snprintf(tst, sizeof tst, "%s/test", t_tmpdir());
    snprintf(srv, sizeof srv, "%s/srv", t_tmpdir());
    snprintf(model, sizeof model, "%s/model.bin", t_tmpdir());
    snprintf(okey, sizeof okey, "%s/owner.key", auth);

    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.first_layer = "dense:16";
    so.layer_seeded = 1;
    so.layer_seed = 5;
    so.batch = 8;
    CHECK_EQ_INT(cryptonn_authority_setup(auth, &so, msg, sizeof msg), CRYPTONN_OK);
    char tpath[600];
    CHECK_EQ_INT(cryptonn_authority_add_owner(auth, "alice", tpath, sizeof tpath), CRYPTONN_OK);
    char atok[65] = "", optok[65] = "";
    CHECK_EQ_INT(cryptonn_token_load(tpath, atok), CRYPTONN_OK);
    refused_starts(auth, srv);

    /* the owner encrypts a training and a test part */
    cryptonn_owner *ow = NULL;
    snprintf(path, sizeof path, "%s/params.bin", auth);
    CHECK_EQ_INT(cryptonn_owner_open(&ow, path, okey), CRYPTONN_OK);
    if (!ow) return t_done();
    cryptonn_dataset tr = {0}, te = {0};
    api_records(&tr, N_TRAIN);
    api_records(&te, N_TEST);
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    eo.part = "clinic-a";
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, enc, &tr, &eo, NULL, msg, sizeof msg), CRYPTONN_OK);
    eo.labels = 0;
    eo.part = "t";
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, tst, &te, &eo, NULL, msg, sizeof msg), CRYPTONN_OK);

    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    cryptonn_authority *a = NULL;
    CHECK_EQ_INT(cryptonn_authority_open(&a, auth, &pol), CRYPTONN_OK);
    cryptonn_authority_service *as = NULL;
    CHECK_EQ_INT(cryptonn_authority_service_start(&as, a, auth, NULL, msg, sizeof msg), CRYPTONN_OK);
    if (!as) return t_done();
    char aurl[64], url[64];
    snprintf(aurl, sizeof aurl, "http://127.0.0.1:%u", cryptonn_authority_service_port(as));
    snprintf(path, sizeof path, "%s/clinic-a.lreg", enc);
    uint64_t added = 0;
    CHECK_EQ_INT(cryptonn_owner_register(aurl, atok, NULL, path, &added, msg, sizeof msg),
                 CRYPTONN_OK);
    CHECK_EQ_INT(added, (uint64_t)N_TRAIN * 10);

    /* the training server's service */
    cryptonn_server_service_opts vo;
    cryptonn_server_service_opts_default(&vo);
    char stok[600], lst[600];
    snprintf(stok, sizeof stok, "%s/tokens/server.token", auth);
    snprintf(lst, sizeof lst, "%s/owners.list", auth);
    vo.authority = aurl;
    vo.token_file = stok;
    vo.owners_file = lst;
    vo.retry_s = 5;
    cryptonn_server_service *svc = NULL;
    CHECK_EQ_INT(cryptonn_server_service_start(&svc, srv, &vo, msg, sizeof msg), CRYPTONN_OK);
    if (!svc) {
        fprintf(stderr, "server service: %s\n", msg);
        return t_done();
    }
    CHECK(msg[0] == 0); /* no warning for a fresh state */
    CHECK(cryptonn_server_service_port(svc) != 0);
    snprintf(url, sizeof url, "http://127.0.0.1:%u", cryptonn_server_service_port(svc));
    snprintf(path, sizeof path, "%s/operator.token", srv);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 077) == 0);
    CHECK_EQ_INT(cryptonn_token_load(path, optok), CRYPTONN_OK);
    CHECK(strcmp(optok, atok) != 0);

    /* uploads: an unknown token is refused, the owner's goes in once */
    uint64_t sent = 0, present = 0;
    char wrong[65];
    memset(wrong, '0', 64);
    wrong[64] = 0;
    CHECK_EQ_INT(cryptonn_owner_upload(url, wrong, NULL, enc, "clinic-a", 0, &sent, &present, msg,
                                       sizeof msg), CRYPTONN_ERR_AUTH);
    CHECK_EQ_INT(cryptonn_owner_upload(url, atok, NULL, enc, "clinic-a", 0, &sent, &present, msg,
                                       sizeof msg), CRYPTONN_OK);
    CHECK(sent == N_TRAIN / 8 && present == 0);

    operate(svc, url, optok, atok, model);

    /* the owner's secure prediction over HTTP = the same model in process */
    CHECK_EQ_INT(cryptonn_owner_upload(url, atok, NULL, tst, "t", 1, &sent, &present, msg,
                                       sizeof msg), CRYPTONN_OK);
    uint8_t *pred = NULL;
    uint64_t n = 0;
    CHECK_EQ_INT(cryptonn_owner_predict(url, atok, NULL, "t", &pred, &n, msg, sizeof msg),
                 CRYPTONN_OK);
    CHECK_EQ_INT(n, N_TEST);
    cryptonn_encdata *ds = NULL, *ts = NULL;
    cryptonn_keyservice *ks = NULL;
    cryptonn_trainer *t = NULL;
    cryptonn_model *m = NULL;
    CHECK_EQ_INT(cryptonn_encdata_open(&ds, enc, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_encdata_open(&ts, tst, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_keyservice_local(&ks, a), CRYPTONN_OK);
    cryptonn_trainer_opts to;
    cryptonn_trainer_opts_default(&to);
    to.dlog_table_bits = 14;
    if (ds && ts && ks && pred && n == N_TEST) {
        CHECK_EQ_INT(cryptonn_trainer_create(&t, ds, ks, &to), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_model_load(model, 8, 2, &m), CRYPTONN_OK);
        uint8_t local[N_TEST];
        if (t && m) {
            CHECK_EQ_INT(cryptonn_trainer_predict(t, m, ts, local, msg, sizeof msg), CRYPTONN_OK);
            CHECK(memcmp(local, pred, N_TEST) == 0);
        }
    }
    cryptonn_free(pred);
    CHECK_EQ_INT(cryptonn_owner_predict(url, wrong, NULL, "t", &pred, &n, msg, sizeof msg),
                 CRYPTONN_ERR_AUTH);

    /* a restart keeps the job, the operator token and params.bin: it needs
     * no authority */
    cryptonn_server_service_stop(svc);
    svc = NULL;
    vo.authority = "http://127.0.0.1:9";
    vo.retry_s = 0;
    CHECK_EQ_INT(cryptonn_server_service_start(&svc, srv, &vo, msg, sizeof msg), CRYPTONN_OK);
    char again[65] = "";
    CHECK_EQ_INT(cryptonn_token_load(path, again), CRYPTONN_OK);
    CHECK(!strcmp(again, optok));
    cryptonn_job_status st;
    if (svc) {
        CHECK_EQ_INT(cryptonn_server_service_status(svc, &st), CRYPTONN_OK);
        CHECK(st.state == CRYPTONN_JOB_DONE && strstr(st.message, "model is ready"));
    }
    cryptonn_server_service_stop(svc);
    cryptonn_authority_service_stop(as);
    cryptonn_wipe(again, sizeof again);
    cryptonn_model_destroy(m);
    cryptonn_trainer_destroy(t);
    cryptonn_keyservice_destroy(ks);
    cryptonn_encdata_close(ds);
    cryptonn_encdata_close(ts);
    cryptonn_wipe(atok, sizeof atok);
    cryptonn_wipe(optok, sizeof optok);
    cryptonn_authority_close(a);
    cryptonn_owner_close(ow);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&te);
    return t_done();
}
