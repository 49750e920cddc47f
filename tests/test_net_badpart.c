/* A stored part that training cannot read (damaged on the server's disk
 * after it was accepted) never leaves the server unable to train: the job
 * finds it (by its checksums before the first epoch, or by reading every
 * part when an epoch fails on its data), moves it to quarantine/ where its
 * owner sees why, and stops or goes on without it as the operator chose
 * (on_bad_part); the next job trains; the owner deletes the part and
 * uploads it again. */
#include "net_helpers.h"

static net_world w;
static cn_http_client *alice, *bob, *op;
static char enc[800];

static char *train(const char *on_bad, const char *until)
{
    char job[128];
    snprintf(job, sizeof job, "{\"epochs\":1,\"dlog_bits\":14,\"lr\":0.05,\"on_bad_part\":\"%s\"}",
             on_bad);
    CHECK_EQ_INT(net_call(op, "POST", "/v1/train", job, strlen(job), NULL), 202);
    char *js = net_wait_status(op, until, 180);
    if (!js || !strstr(js, until)) fprintf(stderr, "status: %s (want %s)\n", js ? js : "", until);
    return js;
}

static void stored_batch(char *out, size_t cap)
{
    snprintf(out, cap, "%s/data/part-bob-b/batch-000001.bin", w.srv);
}

/* A byte flipped on disk: the checksum no longer holds. */
static void damage_checksum(void)
{
    char p[1200];
    stored_batch(p, sizeof p);
    uint8_t *b = NULL;
    size_t len = 0;
    CHECK_EQ_INT(cn_file_read_all(p, (size_t)1 << 30, &b, &len), CRYPTONN_OK);
    if (!b) return;
    b[len / 2] ^= 1;
    cn_part part = {b, len};
    CHECK_EQ_INT(cn_file_write_atomic(p, &part, 1, 0644), CRYPTONN_OK);
    free(b);
}

/* Content training refuses in a container whose checksum holds: only
 * reading the batch finds it. */
static void damage_content(void)
{
    char p[1200];
    stored_batch(p, sizeof p);
    uint8_t *file = NULL;
    size_t len = 0;
    CHECK_EQ_INT(cn_file_read_all(p, (size_t)1 << 30, &file, &len), CRYPTONN_OK);
    CHECK_EQ_INT(net_break_batch(file, len, p), CRYPTONN_OK);
    free(file);
}

/* bob's part quarantined with the reason, then deleted and uploaded again. */
static void bob_repairs(const char *reason)
{
    CHECK(net_state_has(bob, "/v1/parts/b", "\"state\":\"quarantined\""));
    CHECK(net_state_has(bob, "/v1/parts/b", reason));
    char p[1200];
    snprintf(p, sizeof p, "%s/quarantine/train-bob-b", w.srv);
    CHECK(access(p, F_OK) == 0);
    CHECK_EQ_INT(net_upload(bob, enc, "p", "parts", "b"), 409); /* delete it first */
    CHECK_EQ_INT(net_call(bob, "DELETE", "/v1/parts/b", NULL, 0, NULL), 200);
    CHECK(access(p, F_OK) != 0);
    CHECK_EQ_INT(net_upload(bob, enc, "p", "parts", "b"), 201);
}

int main(void)
{
    t_init("test_net_badpart");
    if (!net_init(400)) return 0;
    const char *owners[] = {"alice", "bob", NULL};
    CHECK(net_world_start(&w, "4", owners, NULL));
    if (!w.sport) {
        net_print_log(w.log);
        return t_done();
    }
    char tok[65];
    net_owner_token(&w, "alice", tok);
    alice = net_client(w.sport, tok);
    net_owner_token(&w, "bob", tok);
    bob = net_client(w.sport, tok);
    op = net_client(w.sport, w.otok);
    snprintf(enc, sizeof enc, "%s/enc", w.dir);
    CHECK_EQ_INT(net_encrypt(w.auth, enc, "p", 8, 0), CRYPTONN_OK);
    CHECK_EQ_INT(net_upload(alice, enc, "p", "parts", "a"), 201);
    CHECK_EQ_INT(net_upload(bob, enc, "p", "parts", "b"), 201);

    /* 1. stop: the job ends naming the part, which goes to quarantine; the
     * next job trains on the rest */
    damage_checksum();
    char *js = train("stop", "\"state\":\"failed\"");
    CHECK(js && strstr(js, "bob-b") && strstr(js, "quarantine") && strstr(js, "checksum"));
    free(js);
    js = train("stop", "\"state\":\"done\"");
    CHECK(js && strstr(js, "\"state\":\"done\"") && strstr(js, "\"batches\":2"));
    free(js);
    bob_repairs("batch 1: checksum");

    /* 2. skip: the job goes on without it */
    damage_checksum();
    js = train("skip", "\"state\":\"done\"");
    CHECK(js && strstr(js, "\"state\":\"done\"") && strstr(js, "\"batches\":2") &&
          strstr(js, "bob-b"));
    free(js);
    bob_repairs("batch 1: checksum");

    /* 3. damage only a full read finds: the epoch fails on it, every part is
     * read, the part goes to quarantine and the epoch runs again without it */
    damage_content();
    js = train("skip", "\"state\":\"done\"");
    CHECK(js && strstr(js, "\"state\":\"done\"") && strstr(js, "\"batches\":2") &&
          strstr(js, "bob-b"));
    free(js);
    bob_repairs("batch 1:");
    /* and with stop: the job ends, the next one trains */
    damage_content();
    js = train("stop", "\"state\":\"failed\"");
    CHECK(js && strstr(js, "bob-b") && strstr(js, "quarantine"));
    free(js);
    js = train("stop", "\"state\":\"done\"");
    CHECK(js && strstr(js, "\"state\":\"done\""));
    free(js);
    CHECK(net_state_has(alice, "/v1/parts/a", "\"state\":\"complete\""));

    cn_http_client_destroy(alice);
    cn_http_client_destroy(bob);
    cn_http_client_destroy(op);
    int st = net_stop(w.s, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    net_stop(w.a, SIGTERM);
    if (t_failed) net_print_log(w.log);
    return t_done();
}
