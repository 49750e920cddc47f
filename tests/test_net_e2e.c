/* The networked roles end to end, three kinds of process on 127.0.0.1: the
 * authority, the training server, two data owners with their own tokens and
 * disjoint data (both name their part "p1": each names only its own); one
 * model trained on the union by the operator, then secure prediction of an
 * uploaded test part. And what the services refuse: missing or wrong tokens
 * (401), another role's token (403), bodies over a route's limit (413),
 * malformed bodies (400), truncated or corrupted uploads (400, nothing
 * stored), policy refusals (403 with the reason). The whole permission
 * table is test_net_owners.c's. */
#include "net_helpers.h"

#include "protocol/services.h"
#include "protocol/keyreq.h"

static char dir[512], auth[600], srv[600], log_[600], ap[600], sp[600], mnist[600];
static char stok[65], atok[65], otok[65];

/* samples of the two owners and of the test part (batches of 8); the
 * sanitizer build runs fewer */
#ifdef CRYPTONN_SANITIZE
static const char *NA = "8", *NB_OFF = "8", *NB = "4", *NT = "4", *WANT_SAMPLES = "\"samples\":12",
                  *WANT_BATCHES = "\"batches\":2", *WANT_PRED = "4 secure predictions";
#else
static const char *NA = "16", *NB_OFF = "16", *NB = "12", *NT = "8", *WANT_SAMPLES = "\"samples\":28",
                  *WANT_BATCHES = "\"batches\":4", *WANT_PRED = "8 secure predictions";
#endif

static const char *P(char *buf, const char *name)
{
    snprintf(buf, 700, "%s/%s", dir, name);
    return buf;
}

static void security(unsigned aport, unsigned sport)
{
    cn_http_client *none = net_client(sport, NULL), *bad = net_client(sport, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    cn_http_client *srvc = net_client(sport, stok), *cli = net_client(sport, atok);
    cn_http_client *op = net_client(sport, otok);
    cn_http_client *akeys = net_client(aport, stok), *abad = net_client(aport, atok);
    CHECK_EQ_INT(net_call(none, "GET", "/v1/health", NULL, 0, NULL), 200);
    CHECK_EQ_INT(net_call(none, "GET", "/v1/status", NULL, 0, NULL), 401);
    CHECK_EQ_INT(net_call(bad, "GET", "/v1/status", NULL, 0, NULL), 401);
    CHECK_EQ_INT(net_call(op, "GET", "/v1/status", NULL, 0, NULL), 200);
    /* the server's token is for the authority only; uploads need an owner's */
    CHECK_EQ_INT(net_call(srvc, "GET", "/v1/status", NULL, 0, NULL), 401);
    CHECK_EQ_INT(net_call(srvc, "GET", "/v1/parts/p1", NULL, 0, NULL), 401);
    CHECK_EQ_INT(net_call(op, "GET", "/v1/parts/p1", NULL, 0, NULL), 403);
    CHECK_EQ_INT(net_call(cli, "GET", "/v1/status", NULL, 0, NULL), 403);
    CHECK_EQ_INT(net_call(cli, "GET", "/v1/nowhere", NULL, 0, NULL), 404);
    CHECK_EQ_INT(net_call(cli, "GET", "/v1/parts/bad..name", NULL, 0, NULL), 400);
    /* no server path in what the service says */
    char *js = NULL;
    CHECK_EQ_INT(net_call(op, "GET", "/v1/status", NULL, 0, &js), 200);
    CHECK(js && !strstr(js, dir));
    free(js);
    /* the authority: keys only for the server role */
    CHECK_EQ_INT(net_call(abad, "POST", "/v1/keys", "x", 1, NULL), 401);

    /* a truncated and a corrupted batch: refused, nothing stored */
    char path[700], stored[700];
    uint8_t *b = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/cw1/train/part-p1/batch-000000.bin", dir);
    CHECK_EQ_INT(cn_file_read_all(path, 1 << 28, &b, &len), CRYPTONN_OK);
    uint8_t *ix = NULL;
    size_t ixl = 0;
    snprintf(stored, sizeof stored, "%s/cw1/train/part-p1/index.bin", dir);
    CHECK_EQ_INT(cn_file_read_all(stored, 4096, &ix, &ixl), CRYPTONN_OK);
    if (b && ix) {
        CHECK_EQ_INT(net_call(cli, "PUT", "/v1/parts/evil/index", ix, ixl, NULL), 201);
        CHECK_EQ_INT(net_call(cli, "PUT", "/v1/parts/evil/batches/0", b, len / 2, NULL), 400);
        b[len / 3] ^= 1;
        CHECK_EQ_INT(net_call(cli, "PUT", "/v1/parts/evil/batches/0", b, len, NULL), 400);
        b[len / 3] ^= 1;
        snprintf(stored, sizeof stored, "%s/srv/data/part-alice-evil/batch-000000.bin", dir);
        CHECK(access(stored, F_OK) != 0);
        /* complete only with every batch */
        CHECK_EQ_INT(net_call(cli, "POST", "/v1/parts/evil/complete", NULL, 0, NULL), 409);
        CHECK_EQ_INT(net_call(cli, "DELETE", "/v1/parts/evil", NULL, 0, NULL), 200);
        CHECK_EQ_INT(net_call(cli, "POST", "/v1/parts/evil/complete", NULL, 0, NULL), 404);
        /* a complete part is immutable */
        CHECK_EQ_INT(net_call(cli, "PUT", "/v1/parts/p1/batches/0", b, len, NULL), 409);
        CHECK_EQ_INT(net_call(cli, "DELETE", "/v1/parts/p1", NULL, 0, NULL), 409);
    }
    free(b);
    free(ix);
    /* oversized: the declared length is refused before the body is read,
     * and a chunked body that grows past the limit is cut off */
    char req[512];
    int n = snprintf(req, sizeof req,
                     "POST /v1/keys HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                     "Content-Length: 99999999999\r\n\r\n", stok);
    CHECK_EQ_INT(net_raw(aport, req, (size_t)n), 413);
    n = snprintf(req, sizeof req,
                 "PUT /v1/parts/p1/index HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                 "Content-Length: 1000000\r\n\r\n", atok);
    CHECK_EQ_INT(net_raw(sport, req, (size_t)n), 413);
    {
        size_t cap = 20000;
        char *big = malloc(cap);
        int h = snprintf(big, cap,
                         "POST /v1/train HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n2710\r\n", otok);
        memset(big + h, '{', 10000);
        memcpy(big + h + 10000, "\r\n0\r\n\r\n", 7);
        CHECK_EQ_INT(net_raw(sport, big, (size_t)h + 10007), 413);
        free(big);
    }
    /* malformed control messages */
    CHECK_EQ_INT(net_call(op, "POST", "/v1/train", "{\"epochs\":", 10, NULL), 400);
    CHECK_EQ_INT(net_call(op, "POST", "/v1/train", "{\"epoch\":1}", 11, NULL), 400);
    CHECK_EQ_INT(net_call(op, "POST", "/v1/train", "{\"epochs\":0}", 12, NULL), 400);
    CHECK_EQ_INT(net_call(cli, "POST", "/v1/predict", "[]", 2, NULL), 400);
    CHECK_EQ_INT(net_call(akeys, "POST", "/v1/keys", "garbage-garbage", 15, NULL), 400);
    /* a unit-vector key: refused by policy, with the rule named */
    uint64_t rowptr[2] = {0, 1};
    uint32_t idx[1] = {5};
    int64_t val[1] = {3};
    cn_feip_keyreq r = {CN_MPK_SAMPLES, 1, 1, rowptr, idx, val};
    uint8_t *q;
    size_t ql;
    CHECK_EQ_INT(cn_keyreq_feip_encode(&r, &q, &ql), CRYPTONN_OK);
    CHECK_EQ_INT(net_call(akeys, "POST", "/v1/keys", q, ql, NULL), 403);
    char why[256] = "";
    /* through the keysource the reason reaches the trainer */
    cn_keywire w = cn_http_keywire(akeys);
    cn_keysource ks = cn_keywire_source(&w);
    cryptonn_feip_keys *keys = NULL;
    cryptonn_feip_mpk *mpk = NULL;
    cryptonn_feip_msk *msk = NULL;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, 784), CRYPTONN_OK);
    CHECK_EQ_INT(cn_keysource_feip(&ks, &r, mpk, keys, why, sizeof why), CRYPTONN_ERR_POLICY);
    CHECK(strstr(why, "min-support") != NULL);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_mpk_destroy(mpk);
    cryptonn_feip_msk_destroy(msk);
    free(q);
    cn_http_client_destroy(none);
    cn_http_client_destroy(bad);
    cn_http_client_destroy(srvc);
    cn_http_client_destroy(cli);
    cn_http_client_destroy(op);
    cn_http_client_destroy(akeys);
    cn_http_client_destroy(abad);
}

int main(void)
{
    t_init("test_net_e2e");
    if (!net_init(280)) return 0;
    char b1[700], b2[700], b3[700];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    t_src_path(mnist, sizeof mnist, "data/mnist");
    snprintf(b1, sizeof b1, "%s/train-images-idx3-ubyte", mnist);
    if (access(b1, R_OK) != 0) {
        printf("SKIPPED: no MNIST in %s (tools/fetch-mnist)\n", mnist);
        return t_done();
    }
    P(auth, "auth");
    P(srv, "srv");
    P(log_, "log.txt");
    P(ap, "aport");
    P(sp, "sport");
    CHECK_EQ_INT(net_keygen(log_, auth, "8"), 0);
    net_read_token(P(b1, "auth/tokens/server.token"), stok);
    char btok[65];
    net_add_owner(log_, auth, "alice", atok);
    net_add_owner(log_, auth, "bob", btok);
    CHECK(stok[0] && atok[0] && btok[0]);
    pid_t a = net_spawn(P(b1, "authority.log"), (const char *[]){"authority", "serve", "--state", auth,
                        "--listen", "127.0.0.1:0", "--port-file", ap, NULL});
    unsigned aport = net_wait_port(ap, a);
    CHECK(aport != 0);
    char aurl[64], surl[64];
    snprintf(aurl, sizeof aurl, "http://127.0.0.1:%u", aport);
    pid_t s = net_spawn(P(b1, "server.log"), (const char *[]){"server", "serve", "--state", srv,
                        "--listen", "127.0.0.1:0", "--port-file", sp, "--authority", aurl,
                        "--token-file", P(b2, "auth/tokens/server.token"), "--owners",
                        P(b3, "auth/owners.list"), "--retry-for", "60", NULL});
    unsigned sport = net_wait_port(sp, s);
    CHECK(sport != 0);
    net_read_token(P(b1, "srv/operator.token"), otok);
    if (!aport || !sport) {
        net_print_log(P(b1, "authority.log"));
        net_print_log(P(b1, "server.log"));
        return t_done();
    }
    snprintf(surl, sizeof surl, "http://127.0.0.1:%u", sport);
    char params[700], okey[700], atf[700], btf[700], otf[700], w1[700], w2[700], w3[700];
    P(params, "auth/params.bin");
    P(okey, "auth/owner.key");
    P(atf, "auth/owners/alice.token");
    P(btf, "auth/owners/bob.token");
    P(otf, "srv/operator.token");
    /* two owners, disjoint samples, the same part name */
    CHECK_EQ_INT(net_run(log_, (const char *[]){"client", "upload", "--server", surl, "--token-file", atf,
                         "--params", params, "--owner-key", okey, "--data", mnist, "--part", "p1",
                         "--offset", "0", "--limit", NA, "--table-mb", "0", "--work",
                         P(w1, "cw1"), NULL}), 0);
    CHECK_EQ_INT(net_run(log_, (const char *[]){"client", "upload", "--server", surl, "--token-file", btf,
                         "--params", params, "--owner-key", okey, "--data", mnist, "--part", "p1",
                         "--offset", NB_OFF, "--limit", NB, "--table-mb", "0", "--work",
                         P(w2, "cw2"), NULL}), 0);
    /* resumable: a second run finds everything there */
    CHECK_EQ_INT(net_run(log_, (const char *[]){"client", "upload", "--server", surl, "--token-file", btf,
                         "--params", params, "--owner-key", okey, "--data", mnist, "--part", "p1",
                         "--offset", NB_OFF, "--limit", NB, "--table-mb", "0", "--work",
                         w2, NULL}), 0);
    security(aport, sport);
    /* the owner's and the operator's listings, an owner's delete */
    char plog[700];
    CHECK_EQ_INT(net_run(P(plog, "parts.log"), (const char *[]){"client", "parts", "--server", surl,
                         "--token-file", btf, NULL}), 0);
    CHECK_EQ_INT(net_run(P(plog, "parts.log"), (const char *[]){"server", "parts", "--server", surl,
                         "--token-file", otf, NULL}), 0);
    uint8_t *pb = NULL;
    size_t pbl = 0;
    const char *bob_p1 = "\"owner\":\"bob\",\"name\":\"p1\"";
    const char *alice_p1 = "\"owner\":\"alice\",\"name\":\"p1\"";
    CHECK(cn_file_read_all(plog, 1 << 16, &pb, &pbl) == CRYPTONN_OK && pb &&
          memmem(pb, pbl, bob_p1, strlen(bob_p1)) && memmem(pb, pbl, alice_p1, strlen(alice_p1)));
    free(pb);
    CHECK_EQ_INT(net_run(log_, (const char *[]){"client", "delete", "--server", surl, "--token-file",
                         btf, "--part", "p1", NULL}), 1); /* complete: kept */

    /* one model on the union: 2 + 2 batches (the last one of 4 samples) */
    char model[700];
    CHECK_EQ_INT(net_run(log_, (const char *[]){"server", "train", "--server", surl, "--token-file", otf,
                         "--epochs", "1", "--dlog-bits", "14", "--lr", "0.05", "--wait", "--out",
                         P(model, "model.bin"), NULL}), 0);
    CHECK(access(model, F_OK) == 0);
    cn_http_client *c = net_client(sport, otok);
    char *js = NULL;
    CHECK_EQ_INT(net_call(c, "GET", "/v1/status", NULL, 0, &js), 200);
    CHECK(js && strstr(js, "\"state\":\"done\"") && strstr(js, WANT_SAMPLES) &&
          strstr(js, WANT_BATCHES));
    if (js && !strstr(js, WANT_SAMPLES)) fprintf(stderr, "status: %s\n", js);
    free(js);
    cn_http_client_destroy(c);

    /* secure prediction of an uploaded test part, scored by the owner */
    CHECK_EQ_INT(net_run(log_, (const char *[]){"client", "upload", "--test", "--server", surl,
                         "--token-file", atf, "--params", params, "--owner-key", okey, "--data",
                         mnist, "--part", "t1", "--limit", NT, "--work", P(w3, "cw3"), NULL}), 0);
    CHECK_EQ_INT(net_run(P(plog, "predict.log"), (const char *[]){"client", "predict", "--server", surl,
                         "--token-file", atf, "--owner-key", okey, "--data", mnist, "--part", "t1",
                         NULL}), 0);
    uint8_t *pl = NULL;
    size_t pll = 0;
    CHECK(cn_file_read_all(plog, 1 << 16, &pl, &pll) == CRYPTONN_OK && pl &&
          memmem(pl, pll, WANT_PRED, strlen(WANT_PRED)) != NULL);
    free(pl);

    /* the authority's counters, then a graceful stop */
    c = net_client(aport, NULL);
    js = NULL;
    CHECK_EQ_INT(net_call(c, "GET", "/v1/leakage", NULL, 0, &js), 200);
    CHECK(js && strstr(js, "\"rank\":784"));
    free(js);
    cn_http_client_destroy(c);
    int st = net_stop(a, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);

    /* a policy refusal during training: the authority comes back with a
     * rank budget already spent; the job stops, and says why */
    char alisten[64];
    snprintf(alisten, sizeof alisten, "127.0.0.1:%u", aport);
    unlink(ap);
    a = net_spawn(P(b1, "authority.log"), (const char *[]){"authority", "serve", "--state", auth,
                  "--listen", alisten, "--port-file", ap, "--max-rank", "5", NULL});
    CHECK_EQ_INT(net_wait_port(ap, a), aport);
    c = net_client(sport, otok);
    const char *job = "{\"epochs\":1,\"dlog_bits\":14}";
    CHECK_EQ_INT(net_call(c, "POST", "/v1/train", job, strlen(job), NULL), 202);
    js = net_wait_status(c, "\"state\":\"failed\"", 120);
    CHECK(js && strstr(js, "\"state\":\"failed\"") && strstr(js, "--max-rank"));
    if (js && !strstr(js, "--max-rank")) fprintf(stderr, "status: %s\n", js);
    free(js);
    CHECK(access(P(b2, "srv/train/failed.txt"), F_OK) == 0);
    cn_http_client_destroy(c);
    st = net_stop(a, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = net_stop(s, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (t_failed) {
        net_print_log(log_);
        net_print_log(P(b1, "authority.log"));
        net_print_log(P(b1, "server.log"));
    }
    return t_done();
}
