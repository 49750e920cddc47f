/* `cryptonn bench service`, its multi-owner run: one training server (in
 * this process, behind 127.0.0.1) and the authority under a key load of 8
 * clients throughout. Owner A uploads a part again and again (declare, 2
 * batches of 8, complete: every batch read as training reads it), first
 * with only the key load, then while owner B floods the server with 4
 * uploaders of its own doing the same. The two phases
 * alternate, so drift of a shared machine hits both. Reported: A's upload
 * time in each phase and their ratio (target: at most 2), every route's
 * throughput and p99 over the flood phases, and failed requests (target:
 * none). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bench_service.h"
#include "protocol/owners.h"
#include "protocol/server_http.h"
#include "protocol/client.h"
#include "util/util.h"

enum { R_INDEX, R_BATCH, R_COMPLETE, NROUTES };
static const char *const ROUTE[NROUTES] = {"PUT /v1/parts/NAME/index", "PUT /v1/parts/NAME/batches/N",
                                           "POST /v1/parts/NAME/complete"};

/* The part's files, read once. */
typedef struct {
    uint8_t *index;
    size_t index_len;
    uint8_t **batch;
    size_t *batch_len;
    uint64_t nb;
} part_files;

typedef struct {
    cn_http_client *c;
    const part_files *f;
    char name[32];
    bench_lat *lat; /* NROUTES, or NULL: not counted */
    const volatile int *stop;
} uploader;

static int step(uploader *u, int route, const char *method, const char *url, const uint8_t *body,
                size_t len, long want)
{
    long st = 0;
    char msg[256];
    uint64_t t0 = cn_now_ns();
    int rc = cn_http_call(u->c, method, url, "application/octet-stream", body, len, &st, NULL,
                          NULL, msg, sizeof msg);
    int ok = rc == CRYPTONN_OK && st == want;
    if (u->lat) bench_lat_add(&u->lat[route], ok ? (double)(cn_now_ns() - t0) / 1e6 : -1);
    return ok;
}

/* One upload under a fresh name; the seconds until the part was complete,
 * or -1. (Complete parts are training's and stay: the server's quota is
 * set high enough for the run.) */
static double upload_once(uploader *u, unsigned k)
{
    char url[128], name[48];
    snprintf(name, sizeof name, "%s-%u", u->name, k);
    uint64_t t0 = cn_now_ns();
    snprintf(url, sizeof url, "/v1/parts/%s/index", name);
    int ok = step(u, R_INDEX, "PUT", url, u->f->index, u->f->index_len, 201);
    for (uint64_t i = 0; ok && i < u->f->nb; i++) {
        snprintf(url, sizeof url, "/v1/parts/%s/batches/%llu", name, (unsigned long long)i);
        ok = step(u, R_BATCH, "PUT", url, u->f->batch[i], u->f->batch_len[i], 201);
    }
    snprintf(url, sizeof url, "/v1/parts/%s/complete", name);
    ok = ok && step(u, R_COMPLETE, "POST", url, NULL, 0, 201);
    return ok ? (double)(cn_now_ns() - t0) / 1e9 : -1;
}

static void *flood(void *arg)
{
    uploader *u = arg;
    for (unsigned k = 0; !*u->stop; k++) upload_once(u, k);
    return NULL;
}

static void files_free(part_files *f)
{
    free(f->index);
    for (uint64_t i = 0; f->batch && i < f->nb; i++) free(f->batch[i]);
    free(f->batch);
    free(f->batch_len);
}

/* 16 random samples (2 batches of 8) encrypted as part p in dir/own, read
 * into f. */
static int make_part(const char *dir, const char *adir, part_files *f)
{
    char own[600], pp[600], path[700];
    snprintf(own, sizeof own, "%s/own", dir);
    snprintf(pp, sizeof pp, "%s/params.bin", adir);
    cn_enc_params p;
    cn_enc_mpks k = {0};
    cn_owner_secret os;
    cn_owner_secret_generate(&os, 10);
    int rc = cn_encdata_read_params_file(pp, &p, &k);
    const uint32_t n = 16;
    cryptonn_dataset d = {n, p.rows, p.cols, calloc((size_t)n * p.slots, sizeof(float)), calloc(n, 1)};
    if (rc == CRYPTONN_OK && (!d.x || !d.y)) rc = CRYPTONN_ERR_NOMEM;
    uint64_t x = 0x9e3779b97f4a7c15ull;
    for (size_t i = 0; rc == CRYPTONN_OK && i < (size_t)n * p.slots; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        d.x[i] = (float)(x % 256) / 255.0f;
    }
    for (uint32_t i = 0; rc == CRYPTONN_OK && i < n; i++) d.y[i] = (uint8_t)(i % 10);
    cn_encrypt_opts eo = {.part = "p", .threads = 2, .labels = 1,
                          .batch_ct = p.mode != CN_MODE_STRICT, .table_bytes_max = 1};
    cn_encrypt_stats st;
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(own, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt(own, &p, &k, &os, &d, &eo, &st);
    free(d.x);
    free(d.y);
    cn_enc_mpks_free(&k);
    memset(f, 0, sizeof *f);
    snprintf(path, sizeof path, "%s/part-p/index.bin", own);
    if (rc == CRYPTONN_OK) rc = cn_file_read_all(path, 4096, &f->index, &f->index_len);
    f->nb = rc == CRYPTONN_OK ? st.batches : 0;
    f->batch = calloc(f->nb ? f->nb : 1, sizeof *f->batch);
    f->batch_len = calloc(f->nb ? f->nb : 1, sizeof *f->batch_len);
    if (rc == CRYPTONN_OK && (!f->batch || !f->batch_len)) rc = CRYPTONN_ERR_NOMEM;
    for (uint64_t i = 0; rc == CRYPTONN_OK && i < f->nb; i++) {
        snprintf(path, sizeof path, "%s/part-p/batch-%06llu.bin", own, (unsigned long long)i);
        rc = cn_file_read_all(path, (size_t)1 << 30, &f->batch[i], &f->batch_len[i]);
    }
    return rc;
}

typedef struct {
    cn_server_http *s;
    cn_http_service *svc;
    cn_owner_db *db;
    char tok[2][65];
} server;

/* The training server with owners bench_a and bench_b. */
static int start_server(server *sv, const char *dir, const char *adir, uint16_t aport,
                        const char *token)
{
    static const char *const NAMES[2] = {"bench_a", "bench_b"};
    char path[700], list[700], srv[700], base[64], msg[512] = "";
    memset(sv, 0, sizeof *sv);
    int rc = CRYPTONN_OK;
    for (int i = 0; i < 2 && rc == CRYPTONN_OK; i++)
        if ((rc = cn_owners_add(adir, NAMES[i], path, sizeof path)) == CRYPTONN_OK)
            rc = cn_token_load(path, sv->tok[i]);
    snprintf(list, sizeof list, "%s/owners.list", adir);
    if (rc == CRYPTONN_OK) rc = cn_owner_db_open(&sv->db, list);
    snprintf(base, sizeof base, "http://127.0.0.1:%u", aport);
    snprintf(srv, sizeof srv, "%s/srv", dir);
    cn_http_client_opts ao = {.base = base, .token = token, .timeout_s = 120};
    cn_server_quota q = {1u << 20, 1ull << 32, 1ull << 40, 8};
    if (rc == CRYPTONN_OK) rc = cn_server_http_create(&sv->s, srv, &ao, 2, &q, msg, sizeof msg);
    cn_http_service_opts so = {.listen = "127.0.0.1:0", .timeout_s = 120, .owners = sv->db};
    if (rc == CRYPTONN_OK) {
        cn_server_http_bind(sv->s, &so);
        rc = cn_http_service_start(&sv->svc, &so, msg, sizeof msg);
    }
    if (rc != CRYPTONN_OK) fprintf(stderr, "bench service: the training server: %s %s\n",
                                   cryptonn_status_str(rc), msg);
    return rc;
}

static void stop_server(server *sv)
{
    cn_http_service_stop(sv->svc);
    cn_server_http_destroy(sv->s);
    cn_owner_db_close(sv->db);
    cn_wipe(sv->tok, sizeof sv->tok);
}

static cn_http_client *owner_client(const server *sv, int who)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", cn_http_service_port(sv->svc));
    cn_http_client_opts o = {.base = base, .token = sv->tok[who], .timeout_s = 120};
    cn_http_client *c = NULL;
    return cn_http_client_create(&c, &o) == CRYPTONN_OK ? c : NULL;
}

enum { FLOODERS = 4 };

/* A's uploads with and without B's flood, phases alternating. */
static void phases(const server *sv, const part_files *f, const bench_opts *o, bench_lat *alone,
                   bench_lat *flooded, bench_lat *lat, double *flood_wall)
{
    uploader a = {owner_client(sv, 0), f, "a", NULL, NULL};
    unsigned k = 0, reps = o->quick ? 2 : 3, per = o->quick ? 3 : 6;
    *flood_wall = 0;
    for (unsigned rep = 0; rep < reps; rep++) {
        for (unsigned i = 0; i < per; i++) bench_lat_add(alone, 1e3 * upload_once(&a, k++));
        volatile int stop = 0;
        uploader b[FLOODERS];
        pthread_t t[FLOODERS];
        uint64_t t0 = cn_now_ns();
        a.lat = lat;
        for (int j = 0; j < FLOODERS; j++) {
            b[j] = (uploader){owner_client(sv, 1), f, "", lat, &stop};
            snprintf(b[j].name, sizeof b[j].name, "b%d-%u", j, rep);
            pthread_create(&t[j], NULL, flood, &b[j]);
        }
        for (unsigned i = 0; i < per; i++) bench_lat_add(flooded, 1e3 * upload_once(&a, k++));
        stop = 1;
        for (int j = 0; j < FLOODERS; j++) {
            pthread_join(t[j], NULL);
            cn_http_client_destroy(b[j].c);
        }
        a.lat = NULL;
        *flood_wall += (double)(cn_now_ns() - t0) / 1e9;
    }
    cn_http_client_destroy(a.c);
}

void bench_owners(bench_report *r, const char *dir, const char *adir, uint16_t aport,
                  const char *token, const bench_opts *o)
{
    part_files f;
    server sv;
    if (make_part(dir, adir, &f) != CRYPTONN_OK || start_server(&sv, dir, adir, aport, token)) {
        bench_note(r, "multi-owner run skipped: could not prepare the part or the server");
        files_free(&f);
        return;
    }
    bench_lat lat[NROUTES], keys, alone, flooded;
    for (int i = 0; i < NROUTES; i++) bench_lat_init(&lat[i], ROUTE[i]);
    bench_lat_init(&keys, "POST /v1/keys, 8 clients, during uploads");
    bench_lat_init(&alone, "A's upload (2 batches of 8), alone");
    bench_lat_init(&flooded, "A's upload, B flooding (4 uploaders)");
    uint64_t t0 = cn_now_ns();
    bench_keyload *kl = bench_keyload_start(aport, token, 8, 5000, &keys);
    double flood_wall;
    phases(&sv, &f, o, &alone, &flooded, lat, &flood_wall);
    bench_keyload_stop(kl);
    double wall = (double)(cn_now_ns() - t0) / 1e9;
    double ma = bench_lat_q(&alone, 0.5), mf = bench_lat_q(&flooded, 0.5);
    bench_lat_report(r, &alone, 0);
    bench_lat_report(r, &flooded, 0);
    bench_value(r, "A's upload, B flooding / alone (median)", ma > 0 ? mf / ma : 0, "x");
    uint64_t failed = alone.failed + flooded.failed + keys.failed;
    for (int i = 0; i < NROUTES; i++) {
        bench_lat_report(r, &lat[i], flood_wall);
        failed += lat[i].failed;
    }
    bench_lat_report(r, &keys, wall);
    bench_value(r, "multi-owner run: failed requests", (double)failed, "");
    bench_note(r, "multi-owner: per-route figures over the flood phases (A and B together); "
                  "targets: no failed request, A slowed by at most 2x");
    for (int i = 0; i < NROUTES; i++) bench_lat_free(&lat[i]);
    bench_lat_free(&keys);
    bench_lat_free(&alone);
    bench_lat_free(&flooded);
    stop_server(&sv);
    files_free(&f);
}
