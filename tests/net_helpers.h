/* Helpers of the networked tests (tests/test_net_*.c): start `cryptonn`
 * processes on 127.0.0.1 (CRYPTONN_BIN, set by CMake), wait for their port
 * files, talk to them, and kill every one of them at the end — on success,
 * on failure, and when the test's alarm fires. Header-only: each test is
 * its own executable. */
#ifndef CRYPTONN_TESTS_NET_HELPERS_H
#define CRYPTONN_TESTS_NET_HELPERS_H

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "protocol/http.h"
#include "protocol/client.h"
#include "testutil.h"
#include "util/util.h"

#define NET_MAX_PROCS 16
static pid_t net_procs[NET_MAX_PROCS];
static const char *net_bin;

static void net_kill_all(void)
{
    for (int i = 0; i < NET_MAX_PROCS; i++)
        if (net_procs[i] > 0) {
            kill(net_procs[i], SIGKILL);
            waitpid(net_procs[i], NULL, 0);
            net_procs[i] = 0;
        }
}

static void net_on_alarm(int sig)
{
    (void)sig;
    static const char m[] = "FAIL: the test ran out of time; killing its processes\n";
    if (write(2, m, sizeof m - 1) < 0) {
    }
    for (int i = 0; i < NET_MAX_PROCS; i++)
        if (net_procs[i] > 0) kill(net_procs[i], SIGKILL);
    _exit(1);
}

/* An abort (a failed check inside the library) skips atexit: the spawned
 * services would outlive the test. */
static void net_on_abort(int sig)
{
    for (int i = 0; i < NET_MAX_PROCS; i++)
        if (net_procs[i] > 0) kill(net_procs[i], SIGKILL);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Returns 0 (and prints SKIPPED) when the networked mode cannot run here. */
static int net_init(unsigned timeout_s)
{
    net_bin = getenv("CRYPTONN_BIN");
#if !defined(CRYPTONN_HAVE_MHD) || !defined(CRYPTONN_HAVE_CURL) || !defined(CRYPTONN_HAVE_JANSSON)
    printf("SKIPPED: built without libmicrohttpd, libcurl or jansson\n");
    return 0;
#endif
    if (!net_bin || access(net_bin, X_OK) != 0) {
        printf("SKIPPED: CRYPTONN_BIN does not name the cryptonn binary\n");
        return 0;
    }
    atexit(net_kill_all);
    signal(SIGALRM, net_on_alarm);
    signal(SIGABRT, net_on_abort);
    signal(SIGPIPE, SIG_IGN);
    alarm(timeout_s);
    return 1;
}

static void net_sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Runs `cryptonn args...` in the background, output to log; returns its pid. */
static pid_t net_spawn(const char *log, const char *const *args)
{
    pid_t p = fork();
    if (p == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        const char *argv[40];
        int n = 0;
        argv[n++] = net_bin;
        for (; args[n - 1] && n < 39; n++) argv[n] = args[n - 1];
        argv[n] = NULL;
        execv(net_bin, (char *const *)argv);
        _exit(127);
    }
    for (int i = 0; i < NET_MAX_PROCS; i++)
        if (net_procs[i] == 0) {
            net_procs[i] = p;
            break;
        }
    return p;
}

static void net_forget(pid_t p)
{
    for (int i = 0; i < NET_MAX_PROCS; i++)
        if (net_procs[i] == p) net_procs[i] = 0;
}

/* Kills p with sig and reaps it; returns its wait status. */
static int net_stop(pid_t p, int sig)
{
    int st = 0;
    kill(p, sig);
    waitpid(p, &st, 0);
    net_forget(p);
    return st;
}

/* Runs `cryptonn args...` to completion (output to log); returns its exit code. */
static int net_run(const char *log, const char *const *args)
{
    pid_t p = net_spawn(log, args);
    int st = 0;
    waitpid(p, &st, 0);
    net_forget(p);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* Waits for the port file a service writes once it listens: up to 120 s,
 * since a sanitized service on a loaded 2-core machine took over 20 s to
 * load its state; a service that dies ends the wait at once. */
static unsigned net_wait_port(const char *port_file, pid_t p)
{
    for (int i = 0; i < 2400; i++) {
        FILE *f = fopen(port_file, "r");
        unsigned port = 0;
        if (f) {
            int ok = fscanf(f, "%u", &port) == 1;
            fclose(f);
            if (ok && port) return port;
        }
        int st;
        if (waitpid(p, &st, WNOHANG) == p) {
            net_forget(p);
            return 0; /* it died */
        }
        net_sleep_ms(50);
    }
    return 0;
}

static void net_print_log(const char *log)
{
    uint8_t *b;
    size_t len;
    if (cn_file_read_all(log, 1 << 20, &b, &len) == CRYPTONN_OK) {
        fprintf(stderr, "---- %s ----\n%.*s\n----\n", log, (int)len, (const char *)b);
        free(b);
    }
}

static void net_read_token(const char *path, char out[65])
{
    if (cn_token_load(path, out) != CRYPTONN_OK) out[0] = 0;
}

/* `cryptonn keygen` of an authority in paper mode (the mode whose owners
 * need no label registration; a keygen without modes has only that one). */
__attribute__((unused)) static int net_keygen(const char *log, const char *auth, const char *batch)
{
    int rc = net_run(log, (const char *[]){"keygen", "--state", auth, "--batch", batch, "--mode",
                     "paper", NULL});
    if (rc == 2) rc = net_run(log, (const char *[]){"keygen", "--state", auth, "--batch", batch, NULL});
    return rc;
}

/* `authority add-owner NAME` in the authority's state auth; the owner's
 * token into tok (empty on failure). */
__attribute__((unused)) static void net_add_owner(const char *log, const char *auth,
                                                  const char *name, char tok[65])
{
    char path[800];
    tok[0] = 0;
    if (net_run(log, (const char *[]){"authority", "add-owner", "--state", auth, name, NULL}) != 0)
        return;
    snprintf(path, sizeof path, "%s/owners/%s.token", auth, name);
    net_read_token(path, tok);
}

static cn_http_client *net_client(unsigned port, const char *token)
{
    char base[64];
    snprintf(base, sizeof base, "http://127.0.0.1:%u", port);
    cn_http_client_opts o = {.base = base, .token = token && token[0] ? token : NULL,
                             .timeout_s = 120};
    cn_http_client *c = NULL;
    if (cn_http_client_create(&c, &o) != CRYPTONN_OK) return NULL;
    return c;
}

/* One call; returns the HTTP status (0 if unreachable); *body (optional)
 * gets the NUL-terminated response. */
static long net_call(cn_http_client *c, const char *method, const char *path, const void *body,
                     size_t len, char **out)
{
    long st = 0;
    uint8_t *r = NULL;
    char msg[256];
    if (cn_http_call(c, method, path, "application/octet-stream", body, len, &st, &r, NULL, msg,
                     sizeof msg) != CRYPTONN_OK)
        st = 0;
    if (out) *out = (char *)r;
    else free(r);
    return st;
}

/* A raw request on a fresh socket (for headers no client would send):
 * returns the status of the answer's first line, 0 if none. */
__attribute__((unused)) static int net_raw(unsigned port, const char *req, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = {10, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    int code = 0;
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0) {
        size_t off = 0;
        while (off < len) {
            ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
            if (w <= 0) break; /* the service may close early after answering */
            off += (size_t)w;
        }
        char buf[256];
        ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
        if (n > 12) {
            buf[n] = 0;
            sscanf(buf, "HTTP/1.%*d %d", &code);
        }
    }
    close(fd);
    return code;
}

/* Polls GET /v1/status until its state is not "training" or until the
 * predicate on the status text holds; returns the last status (malloc'd). */
__attribute__((unused)) static char *net_wait_status(cn_http_client *c, const char *until, unsigned max_s)
{
    char *js = NULL;
    for (unsigned i = 0; i < max_s * 20; i++) {
        free(js);
        js = NULL;
        if (net_call(c, "GET", "/v1/status", NULL, 0, &js) == 200 && js &&
            (strstr(js, until) || (!strstr(js, "\"state\":\"training\"") && !strstr(until, "training"))))
            return js;
        net_sleep_ms(50);
    }
    return js;
}

__attribute__((unused)) static int net_same_file(const char *a, const char *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t lx = 0, ly = 0;
    int ok = cn_file_read_all(a, 1 << 30, &x, &lx) == CRYPTONN_OK &&
             cn_file_read_all(b, 1 << 30, &y, &ly) == CRYPTONN_OK && lx == ly &&
             memcmp(x, y, lx) == 0;
    free(x);
    free(y);
    return ok;
}

/* n random samples encrypted as part NAME of the dataset in dir (created),
 * under the authority's params.bin and owner.key in auth: a training part
 * (labels, batch ciphertexts) or a test part. CRYPTONN_OK or the failure. */
__attribute__((unused)) static int net_encrypt(const char *auth, const char *dir,
                                               const char *part, uint32_t n, int test)
{
    char pp[800], ok[800];
    snprintf(pp, sizeof pp, "%s/params.bin", auth);
    snprintf(ok, sizeof ok, "%s/owner.key", auth);
    cn_enc_params p;
    cn_enc_mpks k = {0};
    cn_owner_secret os;
    int rc = cn_encdata_read_params_file(pp, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_owner_secret_load(&os, ok);
    cryptonn_dataset d = {n, p.rows, p.cols, calloc((size_t)n * p.slots, sizeof(float)),
                          calloc(n, 1)};
    if (rc == CRYPTONN_OK && (!d.x || !d.y)) rc = CRYPTONN_ERR_NOMEM;
    for (size_t i = 0; rc == CRYPTONN_OK && i < (size_t)n * p.slots; i++)
        d.x[i] = (float)(t_rand64() % 256) / 255.0f;
    for (uint32_t i = 0; rc == CRYPTONN_OK && i < n; i++) d.y[i] = (uint8_t)(t_rand64() % 10);
    cn_encrypt_opts eo = {.part = part, .threads = 2, .labels = !test,
                          .batch_ct = !test && p.mode != CN_MODE_STRICT, .table_bytes_max = 1};
    cn_encrypt_stats st;
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(dir, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt(dir, &p, &k, &os, &d, &eo, &st);
    free(d.x);
    free(d.y);
    cn_enc_mpks_free(&k);
    return rc;
}

/* PUTs the file dir/part-NAME/FILE to url; returns the HTTP status. */
__attribute__((unused)) static long net_put_file(cn_http_client *c, const char *dir,
                                                 const char *part, const char *file,
                                                 const char *url)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/part-%s/%s", dir, part, file);
    uint8_t *b = NULL;
    size_t len = 0;
    if (cn_file_read_all(path, (size_t)1 << 30, &b, &len) != CRYPTONN_OK) return -1;
    long st = net_call(c, "PUT", url, b, len, NULL);
    free(b);
    return st;
}

/* Uploads local part NAME of dir as the owner's part AS ("parts" or "tests"
 * in kind): declares it, sends its batches, completes it. Returns the first
 * status that is not a success, or that of the completion (201). */
__attribute__((unused)) static long net_upload(cn_http_client *c, const char *dir,
                                               const char *part, const char *kind,
                                               const char *as)
{
    char url[300], f[64], ip[1200];
    snprintf(ip, sizeof ip, "%s/part-%s/index.bin", dir, part);
    uint8_t *ix = NULL;
    const uint8_t *pl;
    size_t plen;
    if (cn_container_read(ip, "EDIX", 1, 20, &ix, &pl, &plen) != CRYPTONN_OK) return -1;
    uint64_t nb = cn_load_u64(pl + 8);
    free(ix);
    snprintf(url, sizeof url, "/v1/%s/%s/index", kind, as);
    long st = net_put_file(c, dir, part, "index.bin", url);
    for (uint64_t i = 0; i < nb && (st == 200 || st == 201); i++) {
        snprintf(url, sizeof url, "/v1/%s/%s/batches/%llu", kind, as, (unsigned long long)i);
        snprintf(f, sizeof f, "batch-%06llu.bin", (unsigned long long)i);
        st = net_put_file(c, dir, part, f, url);
    }
    if (st != 200 && st != 201) return st;
    snprintf(url, sizeof url, "/v1/%s/%s/complete", kind, as);
    return net_call(c, "POST", url, NULL, 0, NULL);
}

/* A key authority (keygen --batch B, owners) and a training server on
 * 127.0.0.1, with extra server options (NULL-terminated, may be NULL). */
typedef struct {
    char dir[600], auth[700], srv[700], log[700], url[64];
    char stok[65], otok[65];
    unsigned aport, sport;
    pid_t a, s;
} net_world;

__attribute__((unused)) static int net_world_start(net_world *w, const char *batch,
                                                   const char *const *owners,
                                                   const char *const *extra)
{
    snprintf(w->dir, sizeof w->dir, "%s", t_tmpdir());
    snprintf(w->auth, sizeof w->auth, "%s/auth", w->dir);
    snprintf(w->srv, sizeof w->srv, "%s/srv", w->dir);
    snprintf(w->log, sizeof w->log, "%s/log.txt", w->dir);
    char ap[700], sp[700], stf[800], list[800], aurl[64], otf[800];
    snprintf(ap, sizeof ap, "%s/aport", w->dir);
    snprintf(sp, sizeof sp, "%s/sport", w->dir);
    if (net_keygen(w->log, w->auth, batch) != 0) return 0;
    for (int i = 0; owners && owners[i]; i++) {
        char tok[65];
        net_add_owner(w->log, w->auth, owners[i], tok);
        if (!tok[0]) return 0;
    }
    snprintf(stf, sizeof stf, "%s/tokens/server.token", w->auth);
    snprintf(list, sizeof list, "%s/owners.list", w->auth);
    net_read_token(stf, w->stok);
    w->a = net_spawn(w->log, (const char *[]){"authority", "serve", "--state", w->auth, "--listen",
                     "127.0.0.1:0", "--port-file", ap, NULL});
    if (!(w->aport = net_wait_port(ap, w->a))) return 0;
    snprintf(aurl, sizeof aurl, "http://127.0.0.1:%u", w->aport);
    const char *args[40] = {"server", "serve", "--state", w->srv, "--listen", "127.0.0.1:0",
                            "--port-file", sp, "--authority", aurl, "--token-file", stf,
                            "--owners", list, "--retry-for", "30"};
    int n = 16;
    for (int i = 0; extra && extra[i] && n < 38; i++) args[n++] = extra[i];
    args[n] = NULL;
    w->s = net_spawn(w->log, args);
    if (!(w->sport = net_wait_port(sp, w->s))) return 0;
    snprintf(w->url, sizeof w->url, "http://127.0.0.1:%u", w->sport);
    snprintf(otf, sizeof otf, "%s/operator.token", w->srv);
    net_read_token(otf, w->otok);
    return w->otok[0] != 0;
}

/* An owner's token, read from the authority's state. */
__attribute__((unused)) static void net_owner_token(const net_world *w, const char *name,
                                                    char tok[65])
{
    char p[800];
    snprintf(p, sizeof p, "%s/owners/%s.token", w->auth, name);
    net_read_token(p, tok);
}

/* 1 if GET path answers 200 with what in its body (else says what it got). */
__attribute__((unused)) static int net_state_has(cn_http_client *c, const char *path,
                                                 const char *what)
{
    char *js = NULL;
    int ok = net_call(c, "GET", path, NULL, 0, &js) == 200 && js && strstr(js, what);
    if (!ok) fprintf(stderr, "GET %s: %s (want %s)\n", path, js ? js : "(none)", what);
    free(js);
    return ok;
}

/* dir/part-PART/FILE, malloc'd (NULL if unreadable). */
__attribute__((unused)) static uint8_t *net_part_file(const char *dir, const char *part,
                                                      const char *file, size_t *len)
{
    char p[1200];
    snprintf(p, sizeof p, "%s/part-%s/%s", dir, part, file);
    uint8_t *b = NULL;
    *len = 0;
    if (cn_file_read_all(p, (size_t)1 << 30, &b, len) != CRYPTONN_OK) return NULL;
    return b;
}

/* A batch file whose first sample ciphertext names another mpk, in a sound
 * container (checksum recomputed): only training's reader refuses it.
 * Written to path (which may be the batch file itself). */
__attribute__((unused)) static int net_break_batch(const uint8_t *file, size_t len,
                                                   const char *path)
{
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_parse(file, len, "EBAT", 1, len, &pl, &plen);
    uint8_t *copy = rc == CRYPTONN_OK ? malloc(plen) : NULL;
    if (!copy) return rc ? rc : CRYPTONN_ERR_NOMEM;
    memcpy(copy, pl, plen);
    copy[16 + 32 + 2] ^= 0x40; /* n, flags, length; the IPCT header; its id */
    cn_part part = {copy, plen};
    rc = cn_container_write(path, "EBAT", 1, &part, 1, 0644);
    free(copy);
    return rc;
}

#endif
