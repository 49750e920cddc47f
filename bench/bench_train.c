/* `cryptonn bench train`: seconds per batch of secure LeNet-5 training, split
 * by phase, and of plaintext training of the same model on the same batches,
 * in one run; extrapolated to 2 epochs of full MNIST (938 batches of 64 per
 * epoch) and compared with the CryptoNN paper's 57 hours.
 *
 * --ranks 1,2: the same secure training under mpirun with each number of
 * ranks of one thread (this program again, as the ranks: BENCH_RANKS_ENV
 * names the directory with the authority and the encrypted batches), side by
 * side: time per batch and its phases as rank 0 sees them, CPU time of all
 * ranks, bytes moved between ranks, speed-up and scaling efficiency. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"
#include "protocol/authority.h"
#include "protocol/client.h"
#include "secure/dist.h"
#include "secure/train.h"
#include "util/util.h"

#define BENCH_RANKS_ENV "CRYPTONN_BENCH_TRAIN_RANKS_DIR"

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

static void lenet5_config(cryptonn_model_config *cfg)
{
    cryptonn_model_config_default(cfg);
    cfg->arch = CRYPTONN_ARCH_LENET5;
    cfg->act = CRYPTONN_ACT_TANH;
}

/* What one --ranks run measured: rank 0's phase seconds per batch, and
 * totals over all ranks. */
enum { PH_LOAD, PH_KEYS, PH_FWD, PH_ERR, PH_GRAD, PH_PLAIN, NPH };
typedef struct {
    double phase[NPH];
    double batch;     /* their sum: seconds per batch */
    double cpu;       /* CPU seconds per batch, all ranks */
    double cpu_max;   /* the same of the busiest rank */
    double work_max;  /* the busiest rank's CPU outside transfers: on idle cores, about the
                         batch's wall time */
    double bytes;     /* bytes received per batch, all ranks */
} ranks_result;

/* One rank of a --ranks run (under mpirun): a warm-up batch (the discrete-log
 * table, the authority's first rank computation), then nb batches measured. */
static int ranks_child(const char *dir, uint32_t nb)
{
    char msg[256] = "", auth[512], enc[512], out[512];
    if (cn_dist_start(msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench train (rank): %s\n", msg);
        return 1;
    }
    const int rank = cn_dist_rank(), size = cn_dist_size();
    snprintf(auth, sizeof auth, "%s/authority-%d", dir, size);
    snprintf(enc, sizeof enc, "%s/enc", dir);
    snprintf(out, sizeof out, "%s/ranks-%d.txt", dir, size);
    cn_policy pol;
    cn_policy_default(&pol);
    cn_authority *a = NULL;
    cn_encdata *ds = NULL;
    uint32_t skipped;
    int rc = rank == 0 ? cn_authority_open(&a, auth, &pol) : CRYPTONN_OK;
    if (rc == CRYPTONN_OK) rc = cn_encdata_open(&ds, enc, &skipped);
    cn_keywire w0 = {0};
    if (a) w0 = cn_authority_keywire(a);
    cn_dist_keywire_ctx kd;
    cn_keywire w = cn_dist_keywire(&kd, &w0);
    cn_keysource ks = cn_keywire_source(&w);
    cn_secure_opts so;
    cn_secure_opts_default(&so);
    so.threads = 1;
    so.max_batches = 1;
    cryptonn_model_config cfg;
    lenet5_config(&cfg);
    cryptonn_model *m = NULL;
    cn_server *srv = NULL;
    cn_secure_stats warm = {0}, st = {0};
    /* every rank draws the same initial model from the same seed */
    if (rc == CRYPTONN_OK) rc = cryptonn_model_create(&cfg, 64, 1, &m);
    if (rc == CRYPTONN_OK) rc = cn_server_create(&srv, ds, &ks, &so, "cache");
    rc = cn_dist_agree(rc);
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, m, 0, &warm, msg, sizeof msg);
    cn_server_destroy(srv);
    srv = NULL;
    so.max_batches = nb;
    if (rc == CRYPTONN_OK) rc = cn_server_create(&srv, ds, &ks, &so, "cache");
    rc = cn_dist_agree(rc);
    uint64_t b0 = cn_dist_bytes_received(), wait0 = cn_dist_wait_cpu_ns();
    double c0 = cpu_seconds();
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, m, 1, &st, msg, sizeof msg);
    double cpu = cpu_seconds() - c0, wait = (double)(cn_dist_wait_cpu_ns() - wait0) / 1e9;
    uint64_t bytes = cn_dist_sum_u64(cn_dist_bytes_received() - b0);
    uint64_t cpu_us = cn_dist_sum_u64((uint64_t)(cpu * 1e6));
    /* each rank's CPU time, and its work: the CPU time outside transfers,
     * where a waiting rank spins or yields. On a loaded machine the busiest
     * rank's work is the batch's critical path, where the wall time is the
     * scheduler's. */
    uint64_t *per = calloc(2 * (size_t)size, sizeof *per), cpu_max_us = 0, work_max_us = 0;
    if (per) {
        per[2 * rank] = (uint64_t)(cpu * 1e6);
        per[2 * rank + 1] = (uint64_t)((cpu > wait ? cpu - wait : 0) * 1e6);
        if (cn_dist_gather_rows(per, 2 * sizeof *per, (uint64_t)size) == CRYPTONN_OK)
            for (int i = 0; i < size; i++) {
                if (per[2 * i] > cpu_max_us) cpu_max_us = per[2 * i];
                if (per[2 * i + 1] > work_max_us) work_max_us = per[2 * i + 1];
            }
        free(per);
    }
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn bench train (rank %d of %d): %s %s\n", rank, size,
                cryptonn_status_str(rc), msg);
    if (rc == CRYPTONN_OK && rank == 0) {
        FILE *f = fopen(out, "w");
        if (!f) rc = CRYPTONN_ERR_IO;
        else {
            fprintf(f, "%llu %.9f %.9f %.9f %.9f %.9f %.9f %llu %llu %llu %llu\n",
                    (unsigned long long)st.batches, st.t_load, st.t_keys, st.t_fwd, st.t_err,
                    st.t_grad, st.t_plain, (unsigned long long)bytes, (unsigned long long)cpu_us,
                    (unsigned long long)cpu_max_us, (unsigned long long)work_max_us);
            if (fclose(f) != 0) rc = CRYPTONN_ERR_IO;
        }
    }
    cn_server_destroy(srv);
    cryptonn_model_destroy(m);
    cn_encdata_close(ds);
    cn_authority_close(a);
    cn_dist_stop();
    return rc == CRYPTONN_OK ? 0 : 1;
}

/* Runs ranks_child on n ranks of one thread each (pinned to a core each while
 * they fit) and reads what rank 0 wrote. */
static int ranks_run(const char *dir, int n, int quick, ranks_result *res)
{
    char self[1024], cmd[4096], out[512];
    ssize_t len = readlink("/proc/self/exe", self, sizeof self - 1);
    if (len <= 0) return 1;
    self[len] = 0;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    /* a fresh copy of the authority's state for every run: each asks for
     * the same keys */
    snprintf(cmd, sizeof cmd, "rm -rf '%s/authority-%d' && cp -r '%s/authority' '%s/authority-%d'",
             dir, n, dir, dir, n);
    if (system(cmd) != 0) return 1;
    snprintf(cmd, sizeof cmd,
             "mpirun %s--oversubscribe --bind-to %s --mca mpi_yield_when_idle 1 -np %d -x %s='%s' "
             "'%s' bench train "
             "--threads 1%s",
             geteuid() == 0 ? "--allow-run-as-root " : "", n <= cores ? "core" : "none", n,
             BENCH_RANKS_ENV, dir, self, quick ? " --quick" : "");
    if (system(cmd) != 0) {
        fprintf(stderr, "cryptonn bench train: the run on %d rank(s) failed: %s\n", n, cmd);
        return 1;
    }
    snprintf(out, sizeof out, "%s/ranks-%d.txt", dir, n);
    FILE *f = fopen(out, "r");
    unsigned long long nb = 0, bytes = 0, cpu_us = 0, cpu_max_us = 0, work_max_us = 0;
    double t[NPH];
    int got = f ? fscanf(f, "%llu %lf %lf %lf %lf %lf %lf %llu %llu %llu %llu", &nb, &t[0], &t[1],
                         &t[2], &t[3], &t[4], &t[5], &bytes, &cpu_us, &cpu_max_us, &work_max_us)
                : 0;
    if (f) fclose(f);
    if (got != 11 || nb == 0) return 1;
    memset(res, 0, sizeof *res);
    for (int i = 0; i < NPH; i++) {
        res->phase[i] = t[i] / (double)nb;
        res->batch += res->phase[i];
    }
    res->cpu = (double)cpu_us / 1e6 / (double)nb;
    res->cpu_max = (double)cpu_max_us / 1e6 / (double)nb;
    res->work_max = (double)work_max_us / 1e6 / (double)nb;
    res->bytes = (double)bytes / (double)nb;
    return 0;
}

/* --ranks LIST: each count of ranks in turn, then the comparison. */
static int ranks_report(bench_report *r, const char *dir, const char *list, int quick)
{
    if (!cn_dist_available()) {
        fprintf(stderr, "cryptonn bench train --ranks: built without MPI\n");
        return 1;
    }
    enum { MAXR = 16 };
    int counts[MAXR], n = 0, ok = 0;
    for (const char *p = list; n < MAXR;) {
        char *e;
        unsigned long v = *p >= '1' && *p <= '9' ? strtoul(p, &e, 10) : 0;
        if (v < 1 || v > 64 || (*e && *e != ',')) break;
        counts[n++] = (int)v;
        if (!*e) {
            ok = 1;
            break;
        }
        p = e + 1;
    }
    if (!ok) {
        fprintf(stderr, "cryptonn bench train: --ranks wants counts 1..64 such as 1,2\n");
        return 2;
    }
    static const char *names[NPH] = {"load + decode", "key requests", "first layer",
                                     "output error", "first-layer gradient", "plaintext layers"};
    ranks_result res[MAXR];
    for (int i = 0; i < n; i++) {
        if (ranks_run(dir, counts[i], quick, &res[i]) != 0) return 1;
        char op[160];
        for (int k = 0; k < NPH; k++) {
            snprintf(op, sizeof op, "%d rank(s) x 1 thread: %s", counts[i], names[k]);
            bench_row(r, op, "ours", one(res[i].phase[k]), NULL);
        }
        snprintf(op, sizeof op, "%d rank(s) x 1 thread: batch total", counts[i]);
        bench_row(r, op, "ours", one(res[i].batch), NULL);
        snprintf(op, sizeof op, "%d rank(s): CPU seconds per batch, all ranks", counts[i]);
        bench_value(r, op, res[i].cpu, "s");
        snprintf(op, sizeof op, "%d rank(s): CPU seconds per batch, busiest rank", counts[i]);
        bench_value(r, op, res[i].cpu_max, "s");
        snprintf(op, sizeof op, "%d rank(s): CPU seconds per batch outside transfers, busiest rank",
                 counts[i]);
        bench_value(r, op, res[i].work_max, "s");
        snprintf(op, sizeof op, "%d rank(s): bytes between ranks per batch", counts[i]);
        bench_value(r, op, res[i].bytes, "B");
    }
    for (int i = 1; i < n; i++) {
        char op[160];
        double sp = res[0].batch / res[i].batch;
        snprintf(op, sizeof op, "speed-up %d->%d ranks", counts[0], counts[i]);
        bench_value(r, op, sp, "x");
        snprintf(op, sizeof op, "scaling efficiency %d->%d ranks", counts[0], counts[i]);
        bench_value(r, op, sp * counts[0] / counts[i], "");
        /* what wall time cannot show on a loaded machine */
        snprintf(op, sizeof op, "speed-up %d->%d ranks from the busiest rank's CPU time", counts[0],
                 counts[i]);
        bench_value(r, op, res[0].cpu_max / res[i].cpu_max, "x");
        snprintf(op, sizeof op, "speed-up %d->%d ranks from the busiest rank's work", counts[0],
                 counts[i]);
        bench_value(r, op, res[0].work_max / res[i].work_max, "x");
    }
    /* one node: this machine's cores, one rank on each */
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    int best = 0;
    for (int i = 0; i < n; i++)
        if (counts[i] <= cores && counts[i] >= counts[best]) best = i;
    bench_value(r, "2 epochs, full MNIST, one node", 2 * FULL_BATCHES * res[best].batch / 60, "min");
    bench_value(r, "speed-up target 1->2 ranks", 1.8, "x");
    return 0;
}

int bench_train(int argc, char **argv, const bench_opts *o)
{
    (void)argc;
    (void)argv;
    if (o->model) return bench_train_model(o);
    /* 16 batches: enough for the client to build the batch mpk's tables, as a
     * full run does (fewer batches would make encryption look 4x slower). */
    const uint32_t nb = o->quick ? 4 : 16, B = 64, n = nb * B;
    const char *child = getenv(BENCH_RANKS_ENV);
    if (child) return ranks_child(child, nb);
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
    if (o->ranks) {
        cn_enc_mpks_free(&mpks);
        cryptonn_dataset_free(&d);
        mkdir("cache", 0755);
        rc = ranks_report(r, dir, o->ranks, o->quick);
        bench_report_close(r);
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
        return rc;
    }

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
    cn_keywire w = cn_authority_keywire(a);
    cn_keysource ks = cn_keywire_source(&w);
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
    lenet5_config(&cfg);
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
    double secure = bench_secure_phases(r, &rest, "first layer (3456 keys x 64)");
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
