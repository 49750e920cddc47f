/* Nothing lost on faults: the training server killed with SIGKILL in the
 * middle of training and started again resumes from its checkpoint and ends
 * with the very model of an uninterrupted run (the model files are compared
 * byte for byte); the authority, stopped at the same time and restarted
 * later, keeps its state, and the server retries with backoff meanwhile. */
#include "net_helpers.h"

static char dir[512];

static const char *P(char *buf, const char *name)
{
    snprintf(buf, 700, "%s/%s", dir, name);
    return buf;
}

/* epoch and batch of the status, or -1 */
static void progress(const char *js, long *epoch, long *batch)
{
    const char *e = js ? strstr(js, "\"epoch\":") : NULL, *b = js ? strstr(js, "\"batch\":") : NULL;
    *epoch = e ? strtol(e + 8, NULL, 10) : -1;
    *batch = b ? strtol(b + 8, NULL, 10) : -1;
}

/* Waits until training is past its first batch (and not finished). */
static int wait_mid_training(cn_http_client *c)
{
    for (int i = 0; i < 2400; i++) {
        char *js = NULL;
        long e = -1, b = -1;
        if (net_call(c, "GET", "/v1/status", NULL, 0, &js) == 200) progress(js, &e, &b);
        int training = js && strstr(js, "\"state\":\"training\"");
        free(js);
        if (training && (e > 1 || b >= 1)) return 1;
        net_sleep_ms(25);
    }
    return 0;
}

static int wait_done(cn_http_client *c, unsigned max_s)
{
    char *js = net_wait_status(c, "\"state\":\"done\"", max_s);
    int ok = js && strstr(js, "\"state\":\"done\"");
    if (!ok) fprintf(stderr, "status: %s\n", js ? js : "(none)");
    free(js);
    return ok;
}

static uint64_t issued(unsigned aport)
{
    cn_http_client *c = net_client(aport, NULL);
    char *js = NULL;
    uint64_t n = 0;
    if (net_call(c, "GET", "/v1/leakage", NULL, 0, &js) == 200 && js) {
        const char *p = strstr(js, "\"issued\":");
        if (p) n = strtoull(p + 9, NULL, 10);
    }
    free(js);
    cn_http_client_destroy(c);
    return n;
}

int main(void)
{
    t_init("test_net_faults");
    if (!net_init(400)) return 0;
    char b1[700], b2[700], mnist[600], log_[700], auth[700], srv[700], ap[700], sp[700];
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    t_src_path(mnist, sizeof mnist, "data/mnist");
    snprintf(b1, sizeof b1, "%s/train-images-idx3-ubyte", mnist);
    if (access(b1, R_OK) != 0) {
        printf("SKIPPED: no MNIST in %s (tools/fetch-mnist)\n", mnist);
        return t_done();
    }
    P(log_, "log.txt");
    P(auth, "auth");
    P(srv, "srv");
    P(ap, "aport");
    P(sp, "sport");
    char stf[700], ctf[700], olist[700], cw[700], otok[65], ctok[65];
    CHECK_EQ_INT(net_keygen(log_, auth, "8"), 0);
    P(stf, "auth/tokens/server.token");
    net_add_owner(log_, auth, "alice", ctok);
    CHECK(ctok[0]);
    P(ctf, "auth/owners/alice.token");
    P(olist, "auth/owners.list");
    const char *alog = P(b2, "authority.log");
    char alogs[700], slog[700];
    snprintf(alogs, sizeof alogs, "%s", alog);
    P(slog, "server.log");
    pid_t a = net_spawn(alogs, (const char *[]){"authority", "serve", "--state", auth, "--listen",
                        "127.0.0.1:0", "--port-file", ap, NULL});
    unsigned aport = net_wait_port(ap, a);
    CHECK(aport != 0);
    char aurl[64], surl[64], alisten[64];
    snprintf(aurl, sizeof aurl, "http://127.0.0.1:%u", aport);
    snprintf(alisten, sizeof alisten, "127.0.0.1:%u", aport);
    const char *sargs[] = {"server", "serve", "--state", srv, "--listen", "127.0.0.1:0",
                           "--port-file", sp, "--authority", aurl, "--token-file", stf,
                           "--owners", olist, "--retry-for", "120", NULL};
    pid_t s = net_spawn(slog, sargs);
    unsigned sport = net_wait_port(sp, s);
    CHECK(sport != 0);
    net_read_token(P(b1, "srv/operator.token"), otok);
    if (!aport || !sport) {
        net_print_log(alogs);
        net_print_log(slog);
        return t_done();
    }
    snprintf(surl, sizeof surl, "http://127.0.0.1:%u", sport);
    CHECK_EQ_INT(net_run(log_, (const char *[]){"client", "upload", "--server", surl, "--token-file", ctf,
                         "--params", P(b1, "auth/params.bin"), "--owner-key",
                         P(b2, "auth/owner.key"), "--data", mnist, "--part", "alice", "--limit",
                         t_iters(2, 1) > 1 ? "24" : "16", "--table-mb", "0", "--work", P(cw, "cw"), NULL}), 0);

    /* sanitizer builds run a shorter job */
    const char *job = t_iters(2, 1) > 1
                          ? "{\"epochs\":2,\"dlog_bits\":14,\"seed\":5,\"lr\":0.05}"
                          : "{\"epochs\":1,\"dlog_bits\":14,\"seed\":5,\"lr\":0.05}";
    char model[700], ref[700];
    P(model, "srv/train/model.bin");
    P(ref, "reference.bin");

    /* 1. the uninterrupted run */
    cn_http_client *c = net_client(sport, otok);
    CHECK_EQ_INT(net_call(c, "POST", "/v1/train", job, strlen(job), NULL), 202);
    CHECK(wait_done(c, 300));
    cn_http_client_destroy(c);
    uint8_t *mb = NULL;
    size_t ml = 0;
    CHECK_EQ_INT(cn_file_read_all(model, 1 << 30, &mb, &ml), CRYPTONN_OK);
    cn_part mp = {mb, ml};
    CHECK_EQ_INT(cn_file_write_atomic(ref, &mp, 1, 0644), CRYPTONN_OK);
    free(mb);

    /* 2. both faults in one run (it keeps the test short): in the middle of
     * training the server dies (SIGKILL) and the authority stops; the server
     * comes back first, resumes from its checkpoint and meets a closed port
     * (it retries with backoff), then the authority comes back with its
     * state. The run ends with the uninterrupted run's model. */
    c = net_client(sport, otok);
    CHECK_EQ_INT(net_call(c, "POST", "/v1/train", job, strlen(job), NULL), 202);
    CHECK(wait_mid_training(c));
    cn_http_client_destroy(c);
    net_stop(s, SIGKILL);
    CHECK(access(model, F_OK) != 0); /* it had not finished */
    CHECK(access(P(b1, "srv/train/ckpt.bin"), F_OK) == 0);
    uint64_t before = issued(aport);
    int st = net_stop(a, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    unlink(sp);
    s = net_spawn(slog, sargs);
    sport = net_wait_port(sp, s);
    CHECK(sport != 0);
    net_sleep_ms(1500); /* the resumed server meets a closed port meanwhile */
    unlink(ap);
    a = net_spawn(alogs, (const char *[]){"authority", "serve", "--state", auth, "--listen", alisten,
                  "--port-file", ap, NULL});
    CHECK_EQ_INT(net_wait_port(ap, a), aport);
    CHECK(issued(aport) >= before && before > 0); /* its state survived */
#ifdef CRYPTONN_HAVE_SQLITE
    CHECK(access(P(b1, "auth/authority.db"), F_OK) == 0); /* the key log and rank state */
#endif
    c = net_client(sport, otok);
    CHECK(wait_done(c, 300));
    CHECK(net_same_file(model, ref));
    char *js = NULL;
    net_call(c, "GET", "/v1/status", NULL, 0, &js);
    const char *r = js ? strstr(js, "\"authority_retries\":") : NULL;
    CHECK(r && strtol(r + 20, NULL, 10) > 0);
    free(js);
    cn_http_client_destroy(c);

    st = net_stop(s, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    st = net_stop(a, SIGTERM);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    if (t_failed) {
        net_print_log(log_);
        net_print_log(alogs);
        net_print_log(slog);
    }
    return t_done();
}
