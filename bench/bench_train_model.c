/* `cryptonn bench train --model FILE [--data FILE --spec FILE [--labels Y]]`:
 * seconds per batch of secure training of any model file, split by phase, next to
 * plaintext training of the same model on the same records, in one run.
 * Without --data the records are MNIST's (data/mnist, batches of 64), so
 * `--model models/lenet5.json` runs the generic engine on exactly what plain
 * `bench train` runs the built-in LeNet-5 on: the two side by side say what
 * generality costs. With --data, the owners' records under their data spec
 * (batches of 32: the sklearn sets are small). */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench.h"
#include "cryptonn/data.h"
#include "protocol/authority.h"
#include "protocol/client.h"
#include "secure/train.h"
#include "util/util.h"

static bench_stat per(double seconds)
{
    bench_stat s = {seconds * 1e9, seconds * 1e9, seconds * 1e9, 1};
    return s;
}

double bench_secure_phases(bench_report *r, const void *stats, const char *fwd_name)
{
    const cn_secure_stats *st = stats;
    const double k = (double)(st->batches ? st->batches : 1);
    const struct {
        const char *name;
        double s;
    } rows[] = {{"load + decode ciphertexts", st->t_load}, {"key requests (authority)", st->t_keys},
                {fwd_name, st->t_fwd},                     {"output error (FEBO)", st->t_err},
                {"first-layer gradient", st->t_grad},      {"plaintext layers", st->t_plain}};
    double total = 0;
    char name[128];
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        snprintf(name, sizeof name, "secure batch: %s", rows[i].name);
        bench_row(r, name, "ours", per(rows[i].s / k), NULL);
        total += rows[i].s / k;
    }
    bench_row(r, "secure batch: total", "ours", per(total), NULL);
    return total;
}

typedef struct {
    cryptonn_dataset mnist;
    cryptonn_records rec;
    cryptonn_samples all;
    cn_enc_params pp;
    uint32_t batch;
} records;

/* The records and the parameters their encryption gets. */
static int load(const bench_opts *o, uint32_t want, records *r)
{
    char why[512] = "";
    int rc;
    memset(r, 0, sizeof *r);
    if (o->labels && !o->data) {
        snprintf(why, sizeof why, "--labels goes with a .npy --data");
        rc = CRYPTONN_ERR_ARG;
    } else if (!o->data) {
        r->batch = 64;
        cn_enc_params_default(&r->pp);
        rc = cryptonn_mnist_load("data/mnist", 1, want, &r->mnist, why, sizeof why);
        if (rc == CRYPTONN_OK) cryptonn_samples_of(&r->mnist, &r->all);
    } else if (!o->spec) {
        snprintf(why, sizeof why, "--data needs the records' --spec");
        rc = CRYPTONN_ERR_ARG;
    } else {
        r->batch = 32;
        cryptonn_data_spec spec;
        rc = cryptonn_spec_read(o->spec, &spec, why, sizeof why);
        if (rc == CRYPTONN_OK) {
            rc = cn_enc_params_from_spec(&r->pp, &spec, r->batch, why, sizeof why);
            if (rc == CRYPTONN_OK)
                rc = cryptonn_spec_load(&spec, o->data, o->labels, &r->rec, why, sizeof why);
            cryptonn_spec_free(&spec);
        }
        if (rc == CRYPTONN_OK) cryptonn_records_view(&r->rec, &r->all);
    }
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn bench train: %s%s\n", why,
                o->data || o->labels ? "" : " (run tools/fetch-mnist)");
    return rc;
}

static void unload(records *r)
{
    cryptonn_dataset_free(&r->mnist);
    cryptonn_records_free(&r->rec);
}

int bench_train_model(const bench_opts *o)
{
    records rs;
    const uint32_t want = o->quick ? 4 * 64 : 16 * 64;
    if (load(o, want, &rs) != CRYPTONN_OK) return 1;
    cryptonn_model_config cfg;
    char why[512] = "";
    int rc = cryptonn_model_config_read(o->model, &cfg, why, sizeof why);
    if (rc == CRYPTONN_OK) rc = cn_enc_fit_model(&rs.pp, &cfg, why, sizeof why);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench train: %s: %s\n", o->model, why);
        unload(&rs);
        return 1;
    }
    const uint32_t B = rs.batch;
    cryptonn_samples v = rs.all;
    if (v.n > want) v.n = want;
    const uint32_t nb = v.n / B ? v.n / B : 1;
    if (v.n > nb * B) v.n = nb * B; /* whole batches only: the same work per batch */
    char dir[] = "/tmp/cryptonn-bench-model-XXXXXX", auth[256], enc[256], okey[300];
    if (!mkdtemp(dir)) {
        unload(&rs);
        return 1;
    }
    snprintf(auth, sizeof auth, "%s/authority", dir);
    snprintf(enc, sizeof enc, "%s/enc", dir);
    snprintf(okey, sizeof okey, "%s/owner.key", auth);
    bench_report *r = bench_report_open("train", o);
    char note[600];
    snprintf(note, sizeof note, "model %s on %s: %u records of %zu values, %u batches of %u",
             o->model, o->data ? o->data : "MNIST", v.n, v.size, nb, B);
    bench_note(r, note);

    cn_enc_params got;
    cn_enc_mpks mpks = {0};
    cn_owner_secret own;
    cn_encrypt_stats es = {0};
    rs.pp.batch = B;
    rc = cn_authority_setup(auth, &rs.pp, NULL);
    if (rc == CRYPTONN_OK) rc = cn_encdata_read_params(auth, &got, &mpks);
    if (rc == CRYPTONN_OK) rc = cn_owner_secret_load(&own, okey);
    cn_encrypt_opts eo = {.part = "bench", .threads = (uint32_t)o->threads, .labels = 1,
                          .batch_ct = 1};
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt_samples(enc, &got, &mpks, &own, &v, &eo, &es);
    if (rc == CRYPTONN_OK) {
        bench_row(r, "client: encrypt one record", "ours", per(es.seconds_samples / v.n), NULL);
        bench_row(r, "client: encrypt one batch ciphertext", "ours", per(es.seconds_batches / nb),
                  NULL);
        bench_row(r, "client: encrypt one record's labels", "ours", per(es.seconds_labels / v.n),
                  NULL);
    }

    /* Secure training: a first batch apart (discrete-log table, the
     * authority's first rank computation), then nb batches. */
    cn_policy pol;
    cn_policy_default(&pol);
    pol.min_support = 1; /* small batches leave dZ1 columns with one non-zero */
    cn_authority *a = NULL;
    cn_encdata *ds = NULL;
    cn_server *srv = NULL;
    cryptonn_model *ms = NULL, *mp = NULL;
    uint32_t skipped;
    if (rc == CRYPTONN_OK) rc = cn_authority_open(&a, auth, &pol);
    if (rc == CRYPTONN_OK) rc = cn_encdata_open(&ds, enc, &skipped);
    cn_keywire w = cn_authority_keywire(a);
    cn_keysource ks = cn_keywire_source(&w);
    cn_secure_opts so;
    cn_secure_opts_default(&so);
    so.threads = (uint32_t)o->threads;
    so.max_batches = 1;
    mkdir("cache", 0755);
    if (rc == CRYPTONN_OK) rc = cn_server_create(&srv, ds, &ks, &so, "cache");
    if (rc == CRYPTONN_OK) rc = cryptonn_model_create(&cfg, B, (uint32_t)o->threads, &ms);
    if (rc == CRYPTONN_OK) rc = cryptonn_model_create(&cfg, B, (uint32_t)o->threads, &mp);
    cn_secure_stats first = {0}, rest = {0};
    why[0] = 0;
    uint64_t t0 = cn_now_ns();
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, ms, 0, &first, why, sizeof why);
    double t_first = (double)(cn_now_ns() - t0) / 1e9;
    if (rc == CRYPTONN_OK) {
        cn_server_destroy(srv);
        srv = NULL;
        so.max_batches = nb;
        rc = cn_server_create(&srv, ds, &ks, &so, "cache");
    }
    struct timespec c0, c1; /* process CPU time: on a loaded machine wall time says little */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, ms, 1, &rest, why, sizeof why);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
    if (rc == CRYPTONN_OK) {
        double secure = bench_secure_phases(r, &rest, "first layer");
        bench_value(r, "first batch incl. one-time costs", t_first, "s");
        double cpu = (double)(c1.tv_sec - c0.tv_sec) + (double)(c1.tv_nsec - c0.tv_nsec) / 1e9;
        bench_value(r, "secure batch: CPU seconds (all threads)",
                    cpu / (double)(rest.batches ? rest.batches : 1), "s");

        /* Plaintext training of the same model on the same records. */
        cryptonn_epoch_stats pst;
        t0 = cn_now_ns();
        rc = cryptonn_model_train_samples(mp, &v, B, &so.sgd, NULL, NULL, NULL, &pst);
        double plain = (double)(cn_now_ns() - t0) / 1e9 / nb;
        bench_row(r, "plaintext batch: total", "ours", per(plain), NULL);
        bench_value(r, "secure / plaintext time per batch", secure / plain, "x");
        const double full = o->data ? (double)rs.all.n : 60000.0;
        bench_value(r, "secure epoch of all records, extrapolated", full / B * secure, "s");
    }
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn bench train: %s%s%s\n", cryptonn_status_str(rc),
                why[0] ? ": " : "", why);
    bench_report_close(r);
    cryptonn_model_destroy(ms);
    cryptonn_model_destroy(mp);
    cn_server_destroy(srv);
    cn_encdata_close(ds);
    cn_authority_close(a);
    cn_enc_mpks_free(&mpks);
    cn_wipe(&own, sizeof own);
    unload(&rs);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    return rc == CRYPTONN_OK ? 0 : 1;
}
