/* What the training server accepts from an owner, and when: an index that
 * does not match its batches (the poisoned part) is refused and nothing
 * becomes complete, a batch whose container is sound but whose content
 * training cannot read is stored yet refused at completion with its number
 * named, and the owner repairs or deletes it; batch numbers beyond the
 * declared count, batches of the wrong kind or size are refused on arrival;
 * the per-owner quotas answer 429 (parts) and 413 (batches, bytes); and the
 * server still trains on what it accepted. */
#include "net_helpers.h"

static net_world w;
static char enc[800], enct[800];
static cn_http_client *alice, *bob, *op;

static uint8_t *local(const char *dir, const char *file, size_t *len)
{
    return net_part_file(dir, "p", file, len);
}

/* A crafted file, read back as a buffer. */
static uint8_t *crafted(size_t *len)
{
    char p[800];
    snprintf(p, sizeof p, "%s/crafted.bin", w.dir);
    uint8_t *b = NULL;
    *len = 0;
    if (cn_file_read_all(p, (size_t)1 << 30, &b, len) != CRYPTONN_OK) return NULL;
    return b;
}

/* A container of kind with this payload, checksum and all, as a buffer. */
static uint8_t *container(const char *kind, const uint8_t *pl, size_t plen, size_t *len)
{
    char p[800];
    snprintf(p, sizeof p, "%s/crafted.bin", w.dir);
    cn_part part = {pl, plen};
    *len = 0;
    return cn_container_write(p, kind, 1, &part, 1, 0644) == CRYPTONN_OK ? crafted(len) : NULL;
}

/* The batch with its content broken (net_break_batch), as a buffer. */
static uint8_t *broken(const uint8_t *b, size_t bl, size_t *len)
{
    char p[800];
    snprintf(p, sizeof p, "%s/crafted.bin", w.dir);
    *len = 0;
    return net_break_batch(b, bl, p) == CRYPTONN_OK ? crafted(len) : NULL;
}

static int exists_on_server(const char *rel)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/%s", w.srv, rel);
    return access(p, F_OK) == 0;
}

static void poisoned(const uint8_t *good, size_t gl, const uint8_t *b0, size_t b0l)
{
    /* the case: an index that claims fewer samples than the batch
     * holds (2 of a batch of 4) */
    uint8_t pl[20];
    cn_store_u64(pl, 2);
    cn_store_u64(pl + 8, 1);
    cn_store_u32(pl + 16, CN_ENC_LABELS | CN_ENC_BATCHCT);
    size_t il;
    uint8_t *ix = container("EDIX", pl, sizeof pl, &il);
    CHECK(ix != NULL);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/poison/index", ix, il, NULL), 201);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/poison/batches/0", b0, b0l, NULL), 400);
    CHECK(!exists_on_server("data/part-alice-poison/batch-000000.bin"));
    CHECK_EQ_INT(net_call(alice, "POST", "/v1/parts/poison/complete", NULL, 0, NULL), 409);
    CHECK(!exists_on_server("data/part-alice-poison/index.bin"));
    CHECK(net_state_has(alice, "/v1/parts/poison", "\"state\":\"open\""));
    /* beyond the declared count, or not a number the route takes */
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/poison/batches/1", b0, b0l, NULL), 400);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/poison/batches/99999999", b0, b0l, NULL), 400);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/poison/batches/123456789", b0, b0l, NULL), 400);
    /* an index that does not fit the batch size, and one that is no index */
    cn_store_u64(pl + 8, 2);
    free(ix);
    ix = container("EDIX", pl, sizeof pl, &il);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/odd/index", ix, il, NULL), 400);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/odd/index", "not an index", 12, NULL), 400);
    /* over the route's limit: refused from the declared length */
    char req[300], atok[65];
    net_owner_token(&w, "alice", atok);
    int rl = snprintf(req, sizeof req, "PUT /v1/parts/odd/index HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      "Authorization: Bearer %s\r\nContent-Length: %zu\r\n\r\n", atok, b0l);
    CHECK_EQ_INT(net_raw(w.sport, req, (size_t)rl), 413);
    free(ix);
    /* a declared part keeps its index: another one is refused */
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/poison/index", good, gl, NULL), 409);
    CHECK_EQ_INT(net_call(alice, "DELETE", "/v1/parts/poison", NULL, 0, NULL), 200);
    CHECK(net_state_has(alice, "/v1/parts/poison", "\"state\":\"absent\""));
}

/* A batch training cannot read, in a sound container: stored, then refused
 * at completion with its number; nothing is complete until it is replaced. */
static void unreadable(const uint8_t *ix, size_t il, const uint8_t *b0, size_t b0l,
                       const uint8_t *b1, size_t b1l)
{
    size_t bl;
    uint8_t *bad = broken(b1, b1l, &bl);
    CHECK(bad != NULL);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/r/index", ix, il, NULL), 201);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/r/batches/0", b0, b0l, NULL), 201);
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/r/batches/1", bad, bl, NULL), 201);
    char *js = NULL;
    CHECK_EQ_INT(net_call(alice, "POST", "/v1/parts/r/complete", NULL, 0, &js), 422);
    CHECK(js && strstr(js, "batch 1"));
    free(js);
    CHECK(!exists_on_server("data/part-alice-r/index.bin"));
    CHECK(net_state_has(alice, "/v1/parts/r", "\"refused\":\"batch 1"));
    /* the owner sends the batch again: complete */
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/r/batches/1", b1, b1l, NULL), 201);
    CHECK_EQ_INT(net_call(alice, "POST", "/v1/parts/r/complete", NULL, 0, NULL), 201);
    CHECK(net_state_has(alice, "/v1/parts/r", "\"state\":\"complete\""));
    CHECK(exists_on_server("data/part-alice-r/index.bin"));
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/r/batches/1", bad, bl, NULL), 409);
    CHECK_EQ_INT(net_call(alice, "DELETE", "/v1/parts/r", NULL, 0, NULL), 409);
    /* the same for a test part: refused, and nothing to predict on */
    size_t til, tbl;
    uint8_t *tix = local(enct, "index.bin", &til), *tb = local(enct, "batch-000000.bin", &tbl);
    CHECK(tix && tb);
    if (tix && tb) {
        uint8_t *tbad = broken(tb, tbl, &bl);
        CHECK_EQ_INT(net_call(alice, "PUT", "/v1/tests/t/index", tix, til, NULL), 201);
        CHECK_EQ_INT(net_call(alice, "PUT", "/v1/tests/t/batches/0", tbad, bl, NULL), 201);
        CHECK_EQ_INT(net_call(alice, "POST", "/v1/tests/t/complete", NULL, 0, NULL), 422);
        CHECK(!exists_on_server("test/alice-t/part-alice-t/index.bin"));
        CHECK(net_state_has(alice, "/v1/tests/t", "\"state\":\"open\""));
        CHECK_EQ_INT(net_call(alice, "POST", "/v1/predict", "{\"part\":\"t\"}", 12, NULL), 409);
        /* a training batch in a test part, a test batch in a training part */
        CHECK_EQ_INT(net_call(alice, "PUT", "/v1/tests/t/batches/0", b0, b0l, NULL), 400);
        CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/x/index", ix, il, NULL), 201);
        CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/x/batches/0", tb, tbl, NULL), 400);
        CHECK_EQ_INT(net_call(alice, "DELETE", "/v1/parts/x", NULL, 0, NULL), 200);
        CHECK_EQ_INT(net_call(alice, "DELETE", "/v1/tests/t", NULL, 0, NULL), 200);
        free(tbad);
    }
    free(tix);
    free(tb);
    free(bad);
}

/* bob's quotas: 3 parts, 5 declared batches, the bytes of 3 batches. */
static void quotas(const uint8_t *ix, size_t il, const uint8_t *b0, size_t b0l, const uint8_t *b1,
                   size_t b1l)
{
    size_t til;
    uint8_t *tix = local(enct, "index.bin", &til);
    char *js = NULL;
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q1/index", ix, il, NULL), 201);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q2/index", ix, il, NULL), 201);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q3/index", ix, il, &js), 413); /* 6 batches */
    CHECK(js && strstr(js, "--quota-batches"));
    free(js);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/tests/q4/index", tix, til, NULL), 201); /* 5 */
    js = NULL;
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/tests/q5/index", tix, til, &js), 429); /* 4 parts */
    CHECK(js && strstr(js, "--quota-parts"));
    free(js);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q1/batches/0", b0, b0l, NULL), 201);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q1/batches/1", b1, b1l, NULL), 201);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q2/batches/0", b0, b0l, NULL), 201);
    js = NULL;
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q2/batches/1", b1, b1l, &js), 413);
    CHECK(js && strstr(js, "--quota-bytes"));
    free(js);
    CHECK(!exists_on_server("data/part-bob-q2/batch-000001.bin"));
    /* another owner is not held back by bob's quota */
    CHECK_EQ_INT(net_call(alice, "PUT", "/v1/parts/q2/index", ix, il, NULL), 201);
    CHECK_EQ_INT(net_call(alice, "DELETE", "/v1/parts/q2", NULL, 0, NULL), 200);
    /* room again once bob deletes an open part */
    CHECK_EQ_INT(net_call(bob, "DELETE", "/v1/parts/q2", NULL, 0, NULL), 200);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/tests/q5/index", tix, til, NULL), 201);
    free(tix);
}

int main(void)
{
    t_init("test_net_upload");
    if (!net_init(300)) return 0;
    const char *owners[] = {"alice", "bob", NULL};
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    snprintf(enct, sizeof enct, "%s/enct", t_tmpdir());
    /* the server is started once the batch size is known: quota-bytes holds
     * three batches and not four */
    char qbytes[32] = "0";
    const char *extra[] = {"--quota-parts", "3", "--quota-batches", "5", "--quota-bytes", qbytes,
                           NULL};
    CHECK(net_world_start(&w, "4", owners, NULL));
    if (!w.sport) {
        net_print_log(w.log);
        return t_done();
    }
    CHECK_EQ_INT(net_encrypt(w.auth, enc, "p", 8, 0), CRYPTONN_OK);
    CHECK_EQ_INT(net_encrypt(w.auth, enct, "p", 4, 1), CRYPTONN_OK);
    size_t il, b0l, b1l;
    uint8_t *ix = local(enc, "index.bin", &il), *b0 = local(enc, "batch-000000.bin", &b0l),
            *b1 = local(enc, "batch-000001.bin", &b1l);
    CHECK(ix && b0 && b1);
    if (!ix || !b0 || !b1) return t_done();
    /* the same world again with quotas (its own state directory) */
    net_stop(w.s, SIGTERM);
    snprintf(qbytes, sizeof qbytes, "%zu", 2 * b0l + b1l + 100);
    char sp[800], aurl[64], stf[800], list[800], srv2[690], otf[800];
    snprintf(sp, sizeof sp, "%s/sport2", w.dir);
    snprintf(aurl, sizeof aurl, "http://127.0.0.1:%u", w.aport);
    snprintf(stf, sizeof stf, "%s/tokens/server.token", w.auth);
    snprintf(list, sizeof list, "%s/owners.list", w.auth);
    snprintf(srv2, sizeof srv2, "%s/srv-quota", w.dir);
    const char *args[] = {"server", "serve", "--state", srv2, "--listen", "127.0.0.1:0",
                          "--port-file", sp, "--authority", aurl, "--token-file", stf, "--owners",
                          list, extra[0], extra[1], extra[2], extra[3], extra[4], extra[5], NULL};
    w.s = net_spawn(w.log, args);
    w.sport = net_wait_port(sp, w.s);
    CHECK(w.sport != 0);
    snprintf(w.srv, sizeof w.srv, "%s", srv2);
    snprintf(otf, sizeof otf, "%s/operator.token", srv2);
    net_read_token(otf, w.otok);
    char tok[65];
    net_owner_token(&w, "alice", tok);
    alice = net_client(w.sport, tok);
    net_owner_token(&w, "bob", tok);
    bob = net_client(w.sport, tok);
    op = net_client(w.sport, w.otok);

    poisoned(ix, il, b0, b0l);
    /* nothing complete yet: nothing to train on */
    const char *job = "{\"epochs\":1,\"dlog_bits\":14,\"lr\":0.05}";
    CHECK_EQ_INT(net_call(op, "POST", "/v1/train", job, strlen(job), NULL), 202);
    char *js = net_wait_status(op, "\"state\":\"failed\"", 60);
    CHECK(js && strstr(js, "no complete training part"));
    free(js);
    unreadable(ix, il, b0, b0l, b1, b1l);
    quotas(ix, il, b0, b0l, b1, b1l);
    /* a restarted server counts each owner's use from its disk */
    int st = net_stop(w.s, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    unlink(sp);
    w.s = net_spawn(w.log, args);
    w.sport = net_wait_port(sp, w.s);
    CHECK(w.sport != 0);
    cn_http_client_destroy(alice);
    cn_http_client_destroy(bob);
    cn_http_client_destroy(op);
    net_owner_token(&w, "alice", tok);
    alice = net_client(w.sport, tok);
    net_owner_token(&w, "bob", tok);
    bob = net_client(w.sport, tok);
    op = net_client(w.sport, w.otok);
    size_t til;
    uint8_t *tix = local(enct, "index.bin", &til);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/tests/q6/index", tix, til, NULL), 429);
    CHECK_EQ_INT(net_call(bob, "PUT", "/v1/parts/q1/batches/1", b1, b1l, NULL), 200);
    free(tix);
    /* what was accepted trains */
    CHECK_EQ_INT(net_call(op, "POST", "/v1/train", job, strlen(job), NULL), 202);
    js = net_wait_status(op, "\"state\":\"done\"", 180);
    CHECK(js && strstr(js, "\"state\":\"done\"") && strstr(js, "\"batches\":2"));
    if (js && !strstr(js, "\"state\":\"done\"")) fprintf(stderr, "status: %s\n", js);
    free(js);
    free(ix);
    free(b0);
    free(b1);
    cn_http_client_destroy(alice);
    cn_http_client_destroy(bob);
    cn_http_client_destroy(op);
    st = net_stop(w.s, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    net_stop(w.a, SIGTERM);
    if (t_failed) net_print_log(w.log);
    return t_done();
}
