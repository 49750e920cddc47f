/* `cryptonn bench service`: the networked roles on 127.0.0.1.
 *  1. Key-request throughput and latency of `authority serve`'s HTTP layer
 *     (POST /v1/keys: 64 keys of 25 non-zeros each, a 5x5 filter at random
 *     positions, over the samples mpk) with 1, 8 and 64 concurrent clients,
 *     each its own keep-alive connection, for 30 s per level (3 s with
 *     --quick). Every non-200 answer or transport error counts as failed.
 *     Before the levels, distinct requests fill the revealed rank: the
 *     authority's rank accounting costs O(rank x width) per key until the
 *     rank is full, so levels at different ranks would compare that, not
 *     the service.
 *  2. Several owners uploading to a training server at once while the key
 *     service is under load (bench_owners.c).
 *  3. The same small secure training run (LeNet-5, 1 epoch, batches of 8)
 *     with the key source in process and over HTTP: the network's share of
 *     training time, and whether both models are identical.
 * The authority runs in this process behind a real socket, so clients and
 * service share the machine's cores, as they would on one host. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "bench_service.h"
#include "protocol/authority.h"
#include "protocol/services.h"
#include "protocol/client.h"
#include "secure/train.h"
#include "util/util.h"

/* A request of 64 conv-like keys: 25 non-zeros each (random 5x5 windows). */
static int make_request(uint64_t seed, uint8_t **buf, size_t *len)
{
    enum { K = 64, NZ = 25 };
    uint64_t rowptr[K + 1];
    uint32_t idx[K * NZ];
    int64_t val[K * NZ];
    uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
    for (int k = 0; k < K; k++) {
        rowptr[k] = (uint64_t)k * NZ;
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        uint32_t r0 = (uint32_t)(x % 24), c0 = (uint32_t)((x >> 20) % 24);
        for (int j = 0; j < NZ; j++) {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            idx[k * NZ + j] = (r0 + (uint32_t)j / 5) * 28 + c0 + (uint32_t)j % 5;
            val[k * NZ + j] = (int64_t)(x % 1000) + 1;
        }
    }
    rowptr[K] = K * NZ;
    cn_feip_keyreq r = {CN_MPK_SAMPLES, K, K * NZ, rowptr, idx, val};
    return cn_keyreq_feip_encode(&r, buf, len);
}

void bench_lat_init(bench_lat *l, const char *name)
{
    memset(l, 0, sizeof *l);
    l->name = name;
    pthread_mutex_init(&l->mu, NULL);
}

void bench_lat_free(bench_lat *l)
{
    pthread_mutex_destroy(&l->mu);
    free(l->v);
}

void bench_lat_add(bench_lat *l, double ms)
{
    pthread_mutex_lock(&l->mu);
    if (ms < 0) l->failed++;
    else {
        if (l->n == l->cap) {
            size_t cap = l->cap ? 2 * l->cap : 1024;
            double *v = realloc(l->v, cap * sizeof *v);
            if (v) l->v = v, l->cap = cap;
        }
        if (l->n < l->cap) l->v[l->n++] = ms;
    }
    pthread_mutex_unlock(&l->mu);
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double bench_lat_q(bench_lat *l, double q)
{
    if (!l->n) return 0;
    qsort(l->v, l->n, sizeof *l->v, cmp_d);
    return l->v[(size_t)((double)(l->n - 1) * q)];
}

void bench_lat_report(bench_report *r, bench_lat *l, double wall)
{
    char name[96];
    if (l->n) {
        double p50 = bench_lat_q(l, 0.5);
        bench_stat st = {l->v[0] * 1e6, p50 * 1e6, l->v[l->n - 1] * 1e6, (int)l->n};
        bench_row(r, l->name, "ours", st, NULL);
        snprintf(name, sizeof name, "%s: requests per second", l->name);
        if (wall > 0) bench_value(r, name, (double)l->n / wall, "req/s");
        snprintf(name, sizeof name, "%s: p99", l->name);
        bench_value(r, name, bench_lat_q(l, 0.99), "ms");
    }
    snprintf(name, sizeof name, "%s: failed", l->name);
    bench_value(r, name, (double)l->failed, "");
}

typedef struct {
    uint16_t port;
    const char *token;
    uint64_t seed;
    const volatile int *stop;
    bench_lat *lat;
} worker;

struct bench_keyload {
    volatile int stop;
    int n;
    worker *w;
    pthread_t *t;
};

static void *run_worker(void *arg)
{
    worker *w = arg;
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", w->port);
    cn_http_client_opts o = {.base = base, .token = w->token, .timeout_s = 60};
    cn_http_client *c = NULL;
    uint8_t *req = NULL;
    size_t len = 0;
    if (cn_http_client_create(&c, &o) != CRYPTONN_OK || make_request(w->seed, &req, &len) != CRYPTONN_OK) {
        bench_lat_add(w->lat, -1);
        cn_http_client_destroy(c);
        return NULL;
    }
    char msg[256];
    while (!*w->stop) {
        long st = 0;
        uint64_t t0 = cn_now_ns();
        int rc = cn_http_call(c, "POST", "/v1/keys", NULL, req, len, &st, NULL, NULL, msg, sizeof msg);
        bench_lat_add(w->lat, rc != CRYPTONN_OK || st != 200 ? -1 : (double)(cn_now_ns() - t0) / 1e6);
    }
    free(req);
    cn_http_client_destroy(c);
    return NULL;
}

bench_keyload *bench_keyload_start(uint16_t port, const char *token, int conc, uint64_t seed0,
                                   bench_lat *l)
{
    bench_keyload *k = calloc(1, sizeof *k);
    if (!k) return NULL;
    k->w = calloc((size_t)conc, sizeof *k->w);
    k->t = calloc((size_t)conc, sizeof *k->t);
    for (int i = 0; k->w && k->t && i < conc; i++) {
        k->w[i] = (worker){port, token, seed0 + (uint64_t)i + 1, &k->stop, l};
        if (pthread_create(&k->t[i], NULL, run_worker, &k->w[i]) == 0) k->n++;
    }
    return k;
}

void bench_keyload_stop(bench_keyload *k)
{
    if (!k) return;
    k->stop = 1;
    for (int i = 0; i < k->n; i++) pthread_join(k->t[i], NULL);
    free(k->w);
    free(k->t);
    free(k);
}

static void load_level(bench_report *r, uint16_t port, const char *token, int conc, double secs)
{
    char name[64];
    snprintf(name, sizeof name, "POST /v1/keys (64 keys), %d client%s", conc, conc > 1 ? "s" : "");
    bench_lat l;
    bench_lat_init(&l, name);
    uint64_t t0 = cn_now_ns();
    bench_keyload *k = bench_keyload_start(port, token, conc, 0, &l);
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
    bench_keyload_stop(k);
    bench_lat_report(r, &l, (double)(cn_now_ns() - t0) / 1e9);
    bench_lat_free(&l);
}

/* Distinct requests until the samples mpk's revealed rank is full, so every
 * level below measures the same work: the authority's rank accounting costs
 * O(rank x width) per key while the rank grows and nothing once it is full,
 * and clients that each repeat their own request would otherwise raise the
 * rank level by level (1 client: 64, 8 clients: 512, ...). */
static void warm_up(bench_report *r, cn_authority *a, uint16_t port, const char *token)
{
    char base[64], msg[256], note[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
    cn_http_client_opts o = {.base = base, .token = token, .timeout_s = 60};
    cn_http_client *c = NULL;
    if (cn_http_client_create(&c, &o) != CRYPTONN_OK) return;
    cn_leak_mpk lk[3];
    double worst = 0;
    uint64_t t0 = cn_now_ns();
    int n = 0;
    for (cn_authority_leakage(a, lk); lk[0].rank < lk[0].width && n < 1000; n++) {
        uint8_t *req = NULL;
        size_t len = 0;
        long st = 0;
        uint64_t t1 = cn_now_ns();
        if (make_request(1000 + (uint64_t)n, &req, &len) == CRYPTONN_OK)
            cn_http_call(c, "POST", "/v1/keys", NULL, req, len, &st, NULL, NULL, msg, sizeof msg);
        free(req);
        double ms = (double)(cn_now_ns() - t1) / 1e6;
        if (ms > worst) worst = ms;
        cn_authority_leakage(a, lk);
    }
    cn_http_client_destroy(c);
    snprintf(note, sizeof note, "warm-up: %d requests raised the samples rank to %llu/%llu in %.2f s "
             "(slowest %.0f ms: rank accounting while the rank grows)", n,
             (unsigned long long)lk[0].rank, (unsigned long long)lk[0].width,
             (double)(cn_now_ns() - t0) / 1e9, worst);
    bench_note(r, note);
}

/* One epoch over ds with key source ks; returns seconds, model in *out. */
static double train_once(const cn_encdata *ds, cn_keysource *ks, const char *cache, int threads,
                         cryptonn_model **out)
{
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_LENET5;
    cfg.act = CRYPTONN_ACT_TANH;
    cn_secure_opts so;
    cn_secure_opts_default(&so);
    so.sgd.lr = 0.05f;
    so.dlog_table_bits = 16;
    so.threads = (uint32_t)threads;
    cryptonn_model *m = NULL;
    cn_server *srv = NULL;
    cn_secure_stats st = {0};
    char msg[256];
    double secs = -1;
    if (cryptonn_model_create(&cfg, cn_encdata_params(ds)->batch, (uint32_t)threads, &m) == CRYPTONN_OK &&
        cn_server_create(&srv, ds, ks, &so, cache) == CRYPTONN_OK) {
        uint64_t t0 = cn_now_ns();
        if (cn_server_train_epoch(srv, m, 0, &st, msg, sizeof msg) == CRYPTONN_OK)
            secs = (double)(cn_now_ns() - t0) / 1e9;
        else fprintf(stderr, "bench service: training failed: %s\n", msg);
    }
    cn_server_destroy(srv);
    *out = m;
    return secs;
}

static void training_overhead(bench_report *r, const char *dir, cn_authority *a, uint16_t port,
                              const char *token, const bench_opts *o)
{
    const uint32_t n = o->quick ? 32 : 64;
    cryptonn_dataset d = {0};
    char why[256] = "", enc[600], cache[600], base[64];
    if (cryptonn_mnist_load("data/mnist", 1, n, &d, why, sizeof why) != CRYPTONN_OK) {
        bench_note(r, "training overhead skipped: no data/mnist (tools/fetch-mnist)");
        return;
    }
    snprintf(enc, sizeof enc, "%s/enc", dir);
    snprintf(cache, sizeof cache, "%s", dir);
    cn_enc_params p;
    cn_enc_mpks k = {0};
    cn_owner_secret own;
    char okey[600];
    snprintf(okey, sizeof okey, "%s/authority/owner.key", dir);
    char adir[600];
    snprintf(adir, sizeof adir, "%s/authority", dir);
    cn_encdata *ds = NULL;
    uint32_t skipped;
    cn_encrypt_opts eo = {.part = "bench", .threads = (uint32_t)o->threads, .labels = 1,
                          .batch_ct = 1, .table_bytes_max = 1};
    cn_encrypt_stats es;
    int rc = cn_encdata_read_params(adir, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_owner_secret_load(&own, okey);
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(enc, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt(enc, &p, &k, &own, &d, &eo, &es);
    if (rc == CRYPTONN_OK) rc = cn_encdata_open(&ds, enc, &skipped);
    cn_enc_mpks_free(&k);
    cryptonn_dataset_free(&d);
    if (rc != CRYPTONN_OK) {
        bench_note(r, "training overhead skipped: encryption failed");
        return;
    }
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
    cn_http_client_opts co = {.base = base, .token = token, .timeout_s = 120};
    cn_http_client *c = NULL;
    if (cn_http_client_create(&c, &co) != CRYPTONN_OK) return;
    cn_keywire wl = cn_authority_keywire(a), wn = cn_http_keywire(c);
    cn_keysource local = cn_keywire_source(&wl), net = cn_keywire_source(&wn);
    double best_l = 1e30, best_n = 1e30;
    int same = 1;
    /* alternate, so drift of a shared machine hits both; the first run also
     * builds the discrete-log table (cached), so it is not counted */
    cryptonn_model *m0 = NULL;
    train_once(ds, &local, cache, o->threads, &m0);
    for (int rep = 0; rep < (o->quick ? 2 : 3); rep++) {
        cryptonn_model *ml = NULL, *mn = NULL;
        double tl = train_once(ds, &local, cache, o->threads, &ml);
        double tn = train_once(ds, &net, cache, o->threads, &mn);
        if (tl > 0 && tl < best_l) best_l = tl;
        if (tn > 0 && tn < best_n) best_n = tn;
        size_t np = ml && mn ? cryptonn_model_param_count(ml) : 0;
        if (!np || memcmp(cryptonn_model_params(ml), cryptonn_model_params(mn), np * sizeof(float)))
            same = 0;
        cryptonn_model_destroy(ml);
        cryptonn_model_destroy(mn);
    }
    cryptonn_model_destroy(m0);
    bench_stat sl = {best_l * 1e9, best_l * 1e9, best_l * 1e9, 1}, sn = {best_n * 1e9, best_n * 1e9, best_n * 1e9, 1};
    char name[64];
    snprintf(name, sizeof name, "train 1 epoch, %llu batches of %u (best)",
             (unsigned long long)cn_encdata_batches(ds), p.batch);
    bench_row(r, name, "ours", sl, NULL);
    bench_row(r, name, "http", sn, NULL);
    bench_value(r, "networked / in-process training time", best_n / best_l, "x");
    bench_value(r, "networked and in-process models identical", same, "");
    bench_note(r, "training: the same LeNet-5 run with keys from the authority in process "
                  "and over HTTP on 127.0.0.1 (target: within 1.10x)");
    cn_http_client_destroy(c);
    cn_encdata_close(ds);
    cn_wipe(&own, sizeof own);
}

int bench_service(int argc, char **argv, const bench_opts *o)
{
    (void)argc;
    (void)argv;
    char dir[] = "/tmp/cryptonn-bench-service-XXXXXX";
    if (!mkdtemp(dir)) return 1;
    char adir[256], tdir[300], tpath[320], params[300], token[65];
    snprintf(adir, sizeof adir, "%s/authority", dir);
    snprintf(tdir, sizeof tdir, "%s/tokens", adir);
    snprintf(tpath, sizeof tpath, "%s/server.token", tdir);
    snprintf(params, sizeof params, "%s/params.bin", adir);
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = 8;
    cn_authority *a = NULL;
    cn_authority_http *h = NULL;
    cn_http_service *svc = NULL;
    int rc = cn_authority_setup(adir, &p, NULL);
    if (rc == CRYPTONN_OK) rc = mkdir(tdir, 0700) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_IO;
    if (rc == CRYPTONN_OK) rc = cn_token_create(tpath);
    if (rc == CRYPTONN_OK) rc = cn_token_load(tpath, token);
    if (rc == CRYPTONN_OK) rc = cn_authority_open(&a, adir, NULL);
    if (rc == CRYPTONN_OK) rc = cn_authority_http_create(&h, a, params);
    char msg[256] = "";
    if (rc == CRYPTONN_OK) {
        cn_http_service_opts so = {.listen = "127.0.0.1:0", .max_conns = 512, .per_address = 256};
        so.token[CN_ROLE_SERVER] = token;
        cn_authority_http_bind(h, &so);
        rc = cn_http_service_start(&svc, &so, msg, sizeof msg);
    }
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench service: %s %s\n", cryptonn_status_str(rc), msg);
        cn_authority_http_destroy(h);
        cn_authority_close(a);
        return 1;
    }
    bench_report *r = bench_report_open("service", o);
    uint16_t port = cn_http_service_port(svc);
    double secs = o->quick ? 3 : 30;
    warm_up(r, a, port, token);
    static const int LEVELS[] = {1, 8, 64};
    for (int i = 0; i < 3; i++) load_level(r, port, token, LEVELS[i], secs);
    bench_note(r, "key requests: authority in this process behind 127.0.0.1, SQLite log "
                  "(synchronous=FULL) committed per request; clients share the 2 cores");
    bench_owners(r, dir, adir, port, token, o);
    training_overhead(r, dir, a, port, token, o);
    bench_report_close(r);
    cn_http_service_stop(svc);
    cn_authority_http_destroy(h);
    cn_authority_close(a);
    cn_wipe(token, sizeof token);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    return 0;
}
