/* The authority's group commit (authority_db.h, authority_http.c):
 *  - deferred requests join one transaction, which a flush writes: another
 *    connection sees none of their records before the flush and all after;
 *  - a rollback inside a group loses the group, so the database refuses
 *    every later write (their keys must not leave);
 *  - eight clients asking the key service at once all get their keys, and
 *    every answered request has its record in authority.db. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/authority.h"
#include "protocol/authority_db.h"
#include "protocol/http.h"
#include "protocol/keyreq.h"
#include "protocol/services.h"
#include "testutil.h"
#include "util/util.h"

#ifdef CRYPTONN_HAVE_SQLITE
#include <sqlite3.h>

static char dir[] = "/tmp/cryptonn-test-group-XXXXXX";

/* Rows of the key log in sub/authority.db, through a connection of its own. */
static long keylog_rows(const char *sub)
{
    char path[512];
    snprintf(path, sizeof path, "%s/authority.db", sub);
    sqlite3 *h = NULL;
    sqlite3_stmt *s = NULL;
    long n = -1;
    if (sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT count(*) FROM keylog", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        n = (long)sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return n;
}

/* One request's record: begin, its log line, commit (its status). */
static int record(cn_authority_db *db, const char *line)
{
    int rc = cn_adb_begin(db);
    if (rc == CRYPTONN_OK) rc = cn_adb_log(db, "t", line);
    return rc == CRYPTONN_OK ? cn_adb_commit(db) : rc;
}

static void test_groups(void)
{
    char sub[300];
    snprintf(sub, sizeof sub, "%s/db", dir);
    CHECK(mkdir(sub, 0700) == 0);
    cn_authority_db *db = NULL;
    CHECK_EQ_INT(cn_adb_open(&db, sub), CRYPTONN_OK);
    if (!db) return;
    cn_adb_defer(db, 1);
    for (int i = 0; i < 3; i++) CHECK_EQ_INT(record(db, "deferred"), CRYPTONN_OK);
    CHECK_EQ_INT((long)cn_adb_appended(db), 3);
    CHECK_EQ_INT(keylog_rows(sub), 0); /* nothing written yet */
    CHECK_EQ_INT(cn_adb_flush(db), CRYPTONN_OK);
    CHECK_EQ_INT(keylog_rows(sub), 3);
    CHECK_EQ_INT(cn_adb_flush(db), CRYPTONN_OK); /* nothing open: nothing to do */
    /* outside deferral a request is its own transaction, and a begin
     * writes an open group first */
    CHECK_EQ_INT(record(db, "deferred"), CRYPTONN_OK);
    cn_adb_defer(db, 0);
    CHECK_EQ_INT(cn_adb_begin(db), CRYPTONN_OK);
    CHECK_EQ_INT(keylog_rows(sub), 4);
    CHECK_EQ_INT(cn_adb_log(db, "t", "alone"), CRYPTONN_OK);
    CHECK_EQ_INT(cn_adb_commit(db), CRYPTONN_OK);
    CHECK_EQ_INT(keylog_rows(sub), 5);
    /* a request rolled back alone loses only itself */
    CHECK_EQ_INT(cn_adb_begin(db), CRYPTONN_OK);
    cn_adb_rollback(db);
    CHECK_EQ_INT(record(db, "after a rollback"), CRYPTONN_OK);
    CHECK_EQ_INT(keylog_rows(sub), 6);
    /* a rollback inside a group loses the others' records: no more writes */
    cn_adb_defer(db, 1);
    CHECK_EQ_INT(record(db, "lost"), CRYPTONN_OK);
    CHECK_EQ_INT(cn_adb_begin(db), CRYPTONN_OK);
    cn_adb_rollback(db);
    CHECK_EQ_INT(cn_adb_commit(db), CRYPTONN_ERR_IO);
    CHECK_EQ_INT(cn_adb_flush(db), CRYPTONN_ERR_IO);
    cn_adb_defer(db, 0);
    CHECK_EQ_INT(record(db, "refused"), CRYPTONN_ERR_IO);
    CHECK_EQ_INT(keylog_rows(sub), 6);
    cn_adb_close(db);
}

/* ---- the key service under eight clients ---- */

enum { CLIENTS = 8, REQUESTS = 20, K = 16, NZ = 25 };

typedef struct {
    uint16_t port;
    const char *token;
    int id, ok;
} client;

/* A request of K keys (5x5 windows) that no other client sends. */
static int request(int id, int j, uint8_t **buf, size_t *len)
{
    uint64_t rowptr[K + 1];
    uint32_t idx[K * NZ];
    int64_t val[K * NZ];
    for (int k = 0; k < K; k++) {
        rowptr[k] = (uint64_t)k * NZ;
        uint32_t r0 = (uint32_t)((id * 7 + k) % 24), c0 = (uint32_t)((j * 5 + k) % 24);
        for (int t = 0; t < NZ; t++) {
            idx[k * NZ + t] = (r0 + (uint32_t)t / 5) * 28 + c0 + (uint32_t)t % 5;
            val[k * NZ + t] = 1 + (id * 131 + j * 17 + k * 3 + t) % 200;
        }
    }
    rowptr[K] = K * NZ;
    cn_feip_keyreq r = {CN_MPK_SAMPLES, K, K * NZ, rowptr, idx, val};
    return cn_keyreq_feip_encode(&r, buf, len);
}

static void *run_client(void *arg)
{
    client *c = arg;
    char base[64], msg[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", c->port);
    cn_http_client_opts o = {.base = base, .token = c->token, .timeout_s = 120};
    cn_http_client *h = NULL;
    if (cn_http_client_create(&h, &o) != CRYPTONN_OK) return NULL;
    for (int j = 0; j < REQUESTS; j++) {
        uint8_t *req = NULL, *resp = NULL;
        size_t len = 0, rlen = 0;
        long st = 0;
        const uint8_t *sks;
        if (request(c->id, j, &req, &len) == CRYPTONN_OK &&
            cn_http_call(h, "POST", "/v1/keys", NULL, req, len, &st, &resp, &rlen, msg,
                         sizeof msg) == CRYPTONN_OK &&
            st == 200 && cn_keyresp_sk_decode(resp, rlen, CN_MPK_SAMPLES, K, &sks) == CRYPTONN_OK)
            c->ok++;
        free(req);
        free(resp);
    }
    cn_http_client_destroy(h);
    return NULL;
}

static void test_service(void)
{
    static const char token[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
    char adir[300], params[320];
    snprintf(adir, sizeof adir, "%s/auth", dir);
    snprintf(params, sizeof params, "%s/params.bin", adir);
    cn_enc_params p;
    cn_enc_params_default(&p);
    cn_authority *a = NULL;
    cn_authority_http *h = NULL;
    cn_http_service *svc = NULL;
    char msg[256] = "";
    int rc = cn_authority_setup(adir, &p, NULL);
    if (rc == CRYPTONN_OK) rc = cn_authority_open(&a, adir, NULL);
    if (rc == CRYPTONN_OK) rc = cn_authority_http_create(&h, a, params);
    if (rc == CRYPTONN_OK) {
        cn_http_service_opts so = {.listen = "127.0.0.1:0", .max_conns = 64, .per_address = 32};
        so.token[CN_ROLE_SERVER] = token;
        cn_authority_http_bind(h, &so);
        rc = cn_http_service_start(&svc, &so, msg, sizeof msg);
    }
    CHECK_EQ_INT(rc, CRYPTONN_OK);
    if (rc != CRYPTONN_OK) fprintf(stderr, "service: %s\n", msg);
    if (rc == CRYPTONN_OK) {
        const long before = keylog_rows(adir);
        client c[CLIENTS];
        pthread_t t[CLIENTS];
        for (int i = 0; i < CLIENTS; i++) {
            c[i] = (client){cn_http_service_port(svc), token, i, 0};
            CHECK(pthread_create(&t[i], NULL, run_client, &c[i]) == 0);
        }
        int ok = 0;
        for (int i = 0; i < CLIENTS; i++) {
            pthread_join(t[i], NULL);
            ok += c[i].ok;
        }
        CHECK_EQ_INT(ok, CLIENTS * REQUESTS);
        /* every answered request's record is in the database, written by
         * another connection's view of it */
        CHECK_EQ_INT(keylog_rows(adir) - before, CLIENTS * REQUESTS);
        cn_leak_mpk lk[3];
        cn_authority_leakage(a, lk);
        CHECK_EQ_INT((long)lk[0].keys_issued, (long)CLIENTS * REQUESTS * K);
    }
    cn_http_service_stop(svc);
    cn_authority_http_destroy(h);
    cn_authority_close(a);
}

int main(void)
{
    t_init("test_authority_group");
    if (!mkdtemp(dir)) {
        CHECK(0);
        return t_done();
    }
    test_groups();
    test_service();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", dir);
    return t_done();
}

#else

int main(void)
{
    t_init("test_authority_group");
    printf("SKIPPED: built without SQLite\n");
    return t_done();
}

#endif
