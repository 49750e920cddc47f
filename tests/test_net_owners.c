/* Who may do what on the training server (the table in docs/NETWORK.md),
 * every cell tried: each route with no token, an unknown token, the
 * server's token towards the authority, an owner's and the operator's.
 * Owners are kept apart (bob names only his own parts: alice's cannot be
 * written, completed, deleted, listed or scored by him), an owner cannot
 * train, the operator cannot upload, a revoked owner is refused from the
 * next request, and the server refuses an operator token that equals
 * another credential. */
#include "net_helpers.h"

enum { NONE, UNKNOWN, SERVER, ALICE, BOB, OP, NCRED };
static cn_http_client *cred[NCRED];
static const char *const CRED_NAME[NCRED] = {"none", "unknown", "server", "alice", "bob",
                                             "operator"};
static net_world w;
static char enc[800], enct[800];

/* One route with every credential: want[c] is the status for credential c,
 * 0 to skip it. Credentials are tried in table order, the allowed last
 * (refusals must leave nothing behind for the allowed call to trip on). A
 * refusal is answered from the headers and the connection closed, so a
 * refused call sends a short body: a long one could meet the closed
 * connection before the answer is read. */
static void cells(const char *method, const char *path, const void *body, size_t len,
                  const long want[NCRED])
{
    static const int ORDER[NCRED] = {NONE, UNKNOWN, SERVER, BOB, OP, ALICE};
    for (int k = 0; k < NCRED; k++) {
        int c = ORDER[k];
        if (!want[c]) continue;
        int refused = want[c] == 401 || want[c] == 403;
        long got = net_call(cred[c], method, path, body && refused ? "x" : body,
                            body && refused ? 1 : len, NULL);
        CHECK_EQ_INT(got, want[c]);
        if (got != want[c]) fprintf(stderr, "  %s %s as %s\n", method, path, CRED_NAME[c]);
    }
}

static uint8_t *read_local(const char *dir, const char *file, size_t *len)
{
    return net_part_file(dir, "p", file, len);
}

static char *get(cn_http_client *c, const char *path)
{
    char *js = NULL;
    if (net_call(c, "GET", path, NULL, 0, &js) != 200) {
        free(js);
        return NULL;
    }
    return js;
}

/* Uploads: only an owner, on its own parts. */
static void uploads(void)
{
    size_t il, b0l, b1l, til, tbl;
    uint8_t *ix = read_local(enc, "index.bin", &il), *b0 = read_local(enc, "batch-000000.bin", &b0l),
            *b1 = read_local(enc, "batch-000001.bin", &b1l);
    uint8_t *tix = read_local(enct, "index.bin", &til), *tb = read_local(enct, "batch-000000.bin", &tbl);
    CHECK(ix && b0 && b1 && tix && tb);
    if (!ix || !b0 || !b1 || !tix || !tb) goto out;
    /* bob and the operator first: nothing of theirs lands in alice's part */
    cells("PUT", "/v1/parts/p/index", ix, il, (long[]){401, 401, 401, 201, 0, 403});
    cells("PUT", "/v1/parts/p/batches/0", b0, b0l, (long[]){401, 401, 401, 201, 0, 403});
    CHECK_EQ_INT(net_call(cred[ALICE], "PUT", "/v1/parts/p/batches/1", b1, b1l, NULL), 201);
    cells("GET", "/v1/parts/p", NULL, 0, (long[]){401, 401, 401, 200, 0, 403});
    cells("POST", "/v1/parts/p/complete", NULL, 0, (long[]){401, 401, 401, 201, 0, 403});
    /* the same for a test part */
    cells("PUT", "/v1/tests/t/index", tix, til, (long[]){401, 401, 401, 201, 0, 403});
    cells("PUT", "/v1/tests/t/batches/0", tb, tbl, (long[]){401, 401, 401, 201, 0, 403});
    cells("POST", "/v1/tests/t/complete", NULL, 0, (long[]){401, 401, 401, 201, 0, 403});
    cells("GET", "/v1/tests/t", NULL, 0, (long[]){401, 401, 401, 200, 0, 403});
    /* delete: an open part of alice's */
    CHECK_EQ_INT(net_call(cred[ALICE], "PUT", "/v1/parts/q/index", ix, il, NULL), 201);
    cells("DELETE", "/v1/parts/q", NULL, 0, (long[]){401, 401, 401, 200, 404, 403});
    CHECK_EQ_INT(net_call(cred[ALICE], "PUT", "/v1/tests/u/index", tix, til, NULL), 201);
    cells("DELETE", "/v1/tests/u", NULL, 0, (long[]){401, 401, 401, 200, 404, 403});

    /* bob on "p": his own namespace, where there is no p */
    CHECK_EQ_INT(net_call(cred[BOB], "PUT", "/v1/parts/p/batches/0", b0, b0l, NULL), 404);
    CHECK_EQ_INT(net_call(cred[BOB], "POST", "/v1/parts/p/complete", NULL, 0, NULL), 404);
    CHECK_EQ_INT(net_call(cred[BOB], "DELETE", "/v1/parts/p", NULL, 0, NULL), 404);
    CHECK_EQ_INT(net_call(cred[BOB], "DELETE", "/v1/tests/t", NULL, 0, NULL), 404);
    char *js = get(cred[BOB], "/v1/parts/p");
    CHECK(js && strstr(js, "\"state\":\"absent\""));
    free(js);
    /* bob's own p is his: alice's stays complete and unchanged */
    CHECK_EQ_INT(net_call(cred[BOB], "PUT", "/v1/parts/p/index", ix, il, NULL), 201);
    CHECK_EQ_INT(net_call(cred[BOB], "PUT", "/v1/parts/p/batches/2", b1, b1l, NULL), 400);
    CHECK_EQ_INT(net_call(cred[BOB], "DELETE", "/v1/parts/p", NULL, 0, NULL), 200);
    js = get(cred[ALICE], "/v1/parts/p");
    CHECK(js && strstr(js, "\"state\":\"complete\"") && strstr(js, "\"stored\":[0,1]"));
    free(js);
    char stored[1200];
    snprintf(stored, sizeof stored, "%s/data/part-alice-p/batch-000000.bin", w.srv);
    char local[1200];
    snprintf(local, sizeof local, "%s/part-p/batch-000000.bin", enc);
    CHECK(net_same_file(stored, local));
    /* listings: an owner sees its own parts, the operator every part */
    cells("GET", "/v1/parts", NULL, 0, (long[]){401, 401, 401, 200, 200, 200});
    char *la = get(cred[ALICE], "/v1/parts"), *lb = get(cred[BOB], "/v1/parts"),
         *lo = get(cred[OP], "/v1/parts");
    CHECK(la && strstr(la, "\"owner\":\"alice\",\"name\":\"p\"") && !strstr(la, "\"bob\""));
    CHECK(lb && !strstr(lb, "alice"));
    CHECK(lo && strstr(lo, "\"owner\":\"alice\",\"name\":\"p\"") &&
          strstr(lo, "\"owner\":\"alice\",\"name\":\"t\""));
    free(la);
    free(lb);
    free(lo);
out:
    free(ix);
    free(b0);
    free(b1);
    free(tix);
    free(tb);
}

static char *wait_state(const char *state, unsigned max_s)
{
    char want[64];
    snprintf(want, sizeof want, "\"state\":\"%s\"", state);
    char *js = net_wait_status(cred[OP], want, max_s);
    if (!js || !strstr(js, want)) fprintf(stderr, "status: %s\n", js ? js : "(none)");
    return js;
}

/* Training: only the operator. */
static void training(void)
{
    const char *longjob = "{\"epochs\":64,\"dlog_bits\":14}";
    const char *job = "{\"epochs\":1,\"dlog_bits\":14,\"lr\":0.05}";
    cells("POST", "/v1/train", longjob, strlen(longjob), (long[]){401, 401, 401, 403, 403, 202});
    cells("GET", "/v1/status", NULL, 0, (long[]){401, 401, 401, 403, 403, 200});
    cells("POST", "/v1/stop", "{}", 2, (long[]){401, 401, 401, 403, 403, 202});
    char *js = wait_state("stopped", 120);
    CHECK(js && strstr(js, "\"state\":\"stopped\""));
    free(js);
    CHECK_EQ_INT(net_call(cred[OP], "POST", "/v1/stop", "{}", 2, NULL), 409);
    CHECK_EQ_INT(net_call(cred[OP], "POST", "/v1/train", job, strlen(job), NULL), 202);
    js = wait_state("done", 180);
    CHECK(js && strstr(js, "\"state\":\"done\"") && !strstr(js, w.dir));
    free(js);
    cells("GET", "/v1/model", NULL, 0, (long[]){401, 401, 401, 403, 403, 200});
    /* scoring: alice her own test part; bob has none of that name */
    const char *pr = "{\"part\":\"t\"}";
    cells("POST", "/v1/predict", pr, strlen(pr), (long[]){401, 401, 401, 200, 404, 403});
}

int main(void)
{
    t_init("test_net_owners");
    if (!net_init(300)) return 0;
    const char *owners[] = {"alice", "bob", "carol", NULL};
    CHECK(net_world_start(&w, "4", owners, NULL));
    if (!w.sport) {
        net_print_log(w.log);
        return t_done();
    }
    char tok[65];
    cred[NONE] = net_client(w.sport, NULL);
    cred[UNKNOWN] = net_client(w.sport, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
    cred[SERVER] = net_client(w.sport, w.stok);
    net_owner_token(&w, "alice", tok);
    cred[ALICE] = net_client(w.sport, tok);
    net_owner_token(&w, "bob", tok);
    cred[BOB] = net_client(w.sport, tok);
    cred[OP] = net_client(w.sport, w.otok);
    snprintf(enc, sizeof enc, "%s/enc", w.dir);
    snprintf(enct, sizeof enct, "%s/enct", w.dir);
    CHECK_EQ_INT(net_encrypt(w.auth, enc, "p", 8, 0), CRYPTONN_OK);
    CHECK_EQ_INT(net_encrypt(w.auth, enct, "p", 4, 1), CRYPTONN_OK);
    cells("GET", "/v1/health", NULL, 0, (long[]){200, 200, 200, 200, 200, 200});
    cells("GET", "/v1/nowhere", NULL, 0, (long[]){404, 404, 404, 404, 404, 404});
    uploads();
    training();

    /* the authority: keys for the server's token only */
    cn_http_client *ak[3] = {net_client(w.aport, NULL), net_client(w.aport, tok),
                             net_client(w.aport, w.otok)};
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(net_call(ak[i], "POST", "/v1/keys", "x", 1, NULL), 401);
        cn_http_client_destroy(ak[i]);
    }

    /* revocation: carol is served, revoked, refused from the next request */
    net_owner_token(&w, "carol", tok);
    cn_http_client *carol = net_client(w.sport, tok);
    CHECK_EQ_INT(net_call(carol, "GET", "/v1/parts", NULL, 0, NULL), 200);
    CHECK_EQ_INT(net_run(w.log, (const char *[]){"authority", "revoke-owner", "--state", w.auth,
                         "carol", NULL}), 0);
    CHECK_EQ_INT(net_call(carol, "GET", "/v1/parts", NULL, 0, NULL), 401);
    cn_http_client_destroy(carol);
    char lo[800];
    snprintf(lo, sizeof lo, "%s/owners.txt", w.dir);
    CHECK_EQ_INT(net_run(lo, (const char *[]){"authority", "list-owners", "--state", w.auth, NULL}), 0);
    uint8_t *names = NULL;
    size_t nl = 0;
    CHECK_EQ_INT(cn_file_read_all(lo, 4096, &names, &nl), CRYPTONN_OK);
    CHECK(names && nl == 10 && !memcmp(names, "alice\nbob\n", 10));
    free(names);
    CHECK_EQ_INT(net_call(cred[ALICE], "GET", "/v1/parts", NULL, 0, NULL), 200);

    /* an operator token must be a credential of its own */
    char stf[800], atf[800], st2[800];
    snprintf(stf, sizeof stf, "%s/tokens/server.token", w.auth);
    snprintf(atf, sizeof atf, "%s/owners/alice.token", w.auth);
    snprintf(st2, sizeof st2, "%s/srv2", w.dir);
    const char *same[] = {stf, atf};
    for (int i = 0; i < 2; i++) {
        char list[800];
        snprintf(list, sizeof list, "%s/owners.list", w.auth);
        CHECK_EQ_INT(net_run(w.log, (const char *[]){"server", "serve", "--state", st2, "--listen",
                             "127.0.0.1:0", "--token-file", stf, "--owners", list,
                             "--operator-token-file", same[i], NULL}), 1);
    }
    for (int i = 0; i < NCRED; i++) cn_http_client_destroy(cred[i]);
    int st = net_stop(w.s, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    net_stop(w.a, SIGTERM);
    if (t_failed) net_print_log(w.log);
    return t_done();
}
