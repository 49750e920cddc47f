/* `cryptonn bench train`: seconds per batch of secure LeNet-5 training, split
 * by phase, and of plaintext training of the same model on the same batches,
 * in one run; extrapolated to 2 epochs of full MNIST (938 batches of 64 per
 * epoch) and compared with the CryptoNN paper's 57 hours. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "bench.h"
#include "protocol/authority.h"
#include "secure/client.h"
#include "secure/train.h"
#include "util/util.h"

#define FULL_SAMPLES 60000.0
#define FULL_BATCHES 938.0 /* ceil(60000 / 64) */

/* Process CPU seconds (all threads): on a shared machine the honest measure;
 * on two idle cores the wall time is about half of it. */
static double cpu_seconds(void)
{
    struct rusage u;
    getrusage(RUSAGE_SELF, &u);
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec / 1e6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec / 1e6;
}

static bench_stat one(double seconds)
{
    bench_stat s = {seconds * 1e9, seconds * 1e9, seconds * 1e9, 1};
    return s;
}

int bench_train(int argc, char **argv, const bench_opts *o)
{
    (void)argc;
    (void)argv;
    /* 16 batches: enough for the client to build the batch mpk's tables, as a
     * full run does (fewer batches would make encryption look 4x slower). */
    const uint32_t nb = o->quick ? 4 : 16, B = 64, n = nb * B;
    char dir[] = "/tmp/cryptonn-bench-train-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char auth[256], enc[256];
    snprintf(auth, sizeof auth, "%s/authority", dir);
    snprintf(enc, sizeof enc, "%s/enc", dir);
    char why[256] = "";
    cryptonn_dataset d = {0};
    int rc = cryptonn_mnist_load("data/mnist", 1, n, &d, why, sizeof why);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench train: data/mnist: %s %s (run tools/fetch-mnist)\n",
                cryptonn_status_str(rc), why);
        return 1;
    }
    bench_report *r = bench_report_open("train", o);
    cn_enc_params pp, got;
    cn_enc_params_default(&pp);
    cn_enc_mpks mpks = {0};
    cn_owner_secret own;
    cn_encrypt_stats es = {0};
    rc = cn_authority_setup(auth, &pp, NULL);
    if (rc == CRYPTONN_OK) rc = cn_encdata_read_params(auth, &got, &mpks);
    char okey[300];
    snprintf(okey, sizeof okey, "%s/owner.key", auth);
    if (rc == CRYPTONN_OK) rc = cn_owner_secret_load(&own, okey);
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(enc, &got, &mpks);
    cn_encrypt_opts eo = {.part = "bench", .threads = (uint32_t)o->threads, .labels = 1,
                          .batch_ct = 1};
    uint64_t t0 = cn_now_ns();
    double ce = cpu_seconds();
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt(enc, &got, &mpks, &own, &d, &eo, &es);
    double t_enc = (double)(cn_now_ns() - t0) / 1e9, cpu_enc = cpu_seconds() - ce;
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench train: setup/encryption: %s\n", cryptonn_status_str(rc));
        return 1;
    }
    bench_row(r, "client: encrypt one sample (784 slots)", "ours", one(es.seconds_samples / n), NULL);
    bench_row(r, "client: encrypt one batch ciphertext", "ours", one(es.seconds_batches / nb), NULL);
    bench_row(r, "client: encrypt one sample's 10 labels", "ours", one(es.seconds_labels / n), NULL);
    /* writing (point encoding, checksums, files) scales with the samples
     * and batch ciphertexts written: half of the bytes each */
    double ext_enc = es.seconds_samples / n * FULL_SAMPLES + es.seconds_batches / nb * FULL_BATCHES +
                     es.seconds_labels / n * FULL_SAMPLES + es.seconds_tables +
                     es.seconds_write / n * FULL_SAMPLES;
    bench_row(r, "client: encode + write one sample and its share of a batch ct", "ours",
              one(es.seconds_write / n), NULL);
    bench_value(r, "client: batch-mpk table build (once)", es.seconds_tables, "s");
    bench_value(r, "client: encryption of full MNIST, extrapolated", ext_enc / 60, "min");
    bench_value(r, "client: target for full MNIST encryption", 8, "min");
    bench_value(r, "client: this run's encryption, wall", t_enc, "s");
    bench_value(r, "client: this run's encryption, CPU (both threads)", cpu_enc, "s");

    /* Server: secure training of LeNet-5 (tanh, batch 64). The first batch
     * carries one-time costs (discrete-log table, the authority's first rank
     * computation) and is reported apart. */
    cn_policy pol;
    cn_policy_default(&pol);
    cn_authority *a = NULL;
    cn_encdata *ds = NULL;
    uint32_t skipped;
    rc = cn_authority_open(&a, auth, &pol);
    if (rc == CRYPTONN_OK) rc = cn_encdata_open(&ds, enc, &skipped);
    cn_keysource ks = cn_authority_keysource(a);
    cn_secure_opts so;
    cn_secure_opts_default(&so);
    so.threads = (uint32_t)o->threads;
    cn_server *srv = NULL;
    mkdir("cache", 0755);
    so.max_batches = 1;
    t0 = cn_now_ns();
    if (rc == CRYPTONN_OK) rc = cn_server_create(&srv, ds, &ks, &so, "cache");
    double t_dlog = (double)(cn_now_ns() - t0) / 1e9;
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_LENET5;
    cfg.act = CRYPTONN_ACT_TANH;
    cryptonn_model *ms = NULL, *mp = NULL;
    if (rc == CRYPTONN_OK) rc = cryptonn_model_create(&cfg, B, (uint32_t)o->threads, &ms);
    if (rc == CRYPTONN_OK) rc = cryptonn_model_create(&cfg, B, (uint32_t)o->threads, &mp);
    char msg[256] = "";
    cn_secure_stats first = {0}, rest = {0};
    t0 = cn_now_ns();
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, ms, 0, &first, msg, sizeof msg);
    double t_first = (double)(cn_now_ns() - t0) / 1e9;
    if (rc == CRYPTONN_OK) {
        cn_server_destroy(srv);
        so.max_batches = nb;
        rc = cn_server_create(&srv, ds, &ks, &so, "cache");
    }
    double c0 = cpu_seconds();
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, ms, 1, &rest, msg, sizeof msg);
    double cpu_batch = (cpu_seconds() - c0) / (double)(rest.batches ? rest.batches : 1);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench train: %s %s\n", cryptonn_status_str(rc), msg);
        return 1;
    }
    double k = (double)rest.batches;
    double secure = (rest.t_load + rest.t_keys + rest.t_fwd + rest.t_err + rest.t_grad + rest.t_plain) / k;
    bench_row(r, "secure batch: load + decode ciphertexts", "ours", one(rest.t_load / k), NULL);
    bench_row(r, "secure batch: key requests (authority)", "ours", one(rest.t_keys / k), NULL);
    bench_row(r, "secure batch: first layer (3456 keys x 64)", "ours", one(rest.t_fwd / k), NULL);
    bench_row(r, "secure batch: output error (FEBO)", "ours", one(rest.t_err / k), NULL);
    bench_row(r, "secure batch: first-layer gradient", "ours", one(rest.t_grad / k), NULL);
    bench_row(r, "secure batch: plaintext layers", "ours", one(rest.t_plain / k), NULL);
    bench_row(r, "secure batch: total", "ours", one(secure), NULL);
    bench_value(r, "server: discrete-log table (built or loaded from cache)", t_dlog, "s");
    bench_value(r, "first batch incl. the authority's first rank computation", t_first, "s");

    /* Plaintext training of the same model on the same samples. */
    cryptonn_sgd opt = so.sgd;
    t0 = cn_now_ns();
    for (uint32_t b = 0; b < nb; b++)
        cryptonn_model_train_step(mp, d.x + (size_t)b * B * 784, d.y + (size_t)b * B, B, &opt, NULL, NULL);
    double plain = (double)(cn_now_ns() - t0) / 1e9 / nb;
    bench_row(r, "plaintext batch: total", "ours", one(plain), NULL);
    bench_value(r, "secure / plaintext time per batch", secure / plain, "x");
    double ext = 2 * FULL_BATCHES * secure;
    bench_value(r, "secure batch: CPU seconds (both threads)", cpu_batch, "s");
    bench_value(r, "secure LeNet-5, 2 epochs full MNIST, extrapolated from wall", ext / 60, "min");
    bench_value(r, "the same from CPU time / 2 cores (an idle machine)",
                2 * FULL_BATCHES * cpu_batch / 2 / 60, "min");
    bench_value(r, "target", 20, "min");
    bench_value(r, "CryptoNN paper (CryptoCNN, 2 epochs)", 57 * 60, "min");
    bench_value(r, "speed-up over the paper", 57 * 3600 / ext, "x");
    bench_report_close(r);

    cryptonn_model_destroy(ms);
    cryptonn_model_destroy(mp);
    cn_server_destroy(srv);
    cn_encdata_close(ds);
    cn_authority_close(a);
    cn_enc_mpks_free(&mpks);
    cryptonn_dataset_free(&d);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    return 0;
}
