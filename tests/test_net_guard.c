/* The service layer's limits on 127.0.0.1, in process (http.h, http_guard.h):
 * a client that trickles its headers, or its body, one byte at a time is cut
 * off at the absolute deadline while a normal request still succeeds; the
 * per-address cap; anonymous connections waiting for headers are shut down,
 * oldest first, to make room, but a connection that authenticated is kept;
 * the bearer token is the whole header value (a NUL inside it, a trailing
 * space, a prefix, one wrong byte: all refused); a malformed Content-Length is
 * answered 400 (libmicrohttpd 0.9.75 writes its own error answer's header
 * block twice; that is its code, before any of ours runs). */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "protocol/http.h"
#include "testutil.h"
#include "util/util.h"

static const char *TOK = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";

static unsigned admit(void *ctx, const char *method, const char *path, int role, size_t *max_body,
                      char *msg, size_t msg_len)
{
    (void)ctx, (void)method, (void)path, (void)role, (void)msg, (void)msg_len;
    *max_body = 1000;
    return 0;
}

/* Answers with the role the request carried. */
static void handle(void *ctx, const cn_http_req *rq, cn_http_resp *rs)
{
    (void)ctx;
    char b[32];
    snprintf(b, sizeof b, "role=%d len=%zu", rq->role, rq->body_len);
    cn_http_reply_text(rs, 200, "text/plain", b);
}

static int dial(unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* 1 if the service closed fd (end of file or reset) within ms. */
static int closed_within(int fd, unsigned ms)
{
    struct pollfd p = {fd, POLLIN, 0};
    uint64_t end = cn_now_ns() + (uint64_t)ms * 1000000ull;
    char buf[512];
    while (cn_now_ns() < end) {
        if (poll(&p, 1, 50) == 1) {
            ssize_t n = recv(fd, buf, sizeof buf, MSG_DONTWAIT);
            if (n == 0 || (n < 0 && errno != EAGAIN)) return 1;
        }
    }
    return 0;
}

/* The whole answer to one request on a fresh connection. */
static size_t exchange(unsigned port, const char *req, size_t len, char *out, size_t cap)
{
    int fd = dial(port);
    if (fd < 0) return 0;
    struct timeval tv = {5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (send(fd, req, len, MSG_NOSIGNAL) != (ssize_t)len) {
        close(fd);
        return 0;
    }
    size_t got = 0;
    ssize_t n;
    while (got + 1 < cap && (n = recv(fd, out + got, cap - 1 - got, 0)) > 0) got += (size_t)n;
    out[got] = 0;
    close(fd);
    return got;
}

/* The role the service saw for an Authorization header value of len bytes. */
static int role_for(unsigned port, const char *auth, size_t len)
{
    char req[512], out[2048];
    size_t w = (size_t)snprintf(req, sizeof req, "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
                                                 "Authorization: ");
    memcpy(req + w, auth, len);
    w += len;
    w += (size_t)snprintf(req + w, sizeof req - w, "\r\n\r\n");
    exchange(port, req, w, out, sizeof out);
    const char *r = strstr(out, "role=");
    return r ? atoi(r + 5) : -1;
}

static int normal_request_ok(unsigned port)
{
    char out[2048];
    const char *req = "GET /x HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n";
    exchange(port, req, strlen(req), out, sizeof out);
    return strstr(out, "HTTP/1.1 200") != NULL;
}

/* Sends one byte every 200 ms until the service hangs up; returns the
 * seconds that took (or 99 after 8 s). */
static double trickle(unsigned port, const char *start, const char *more)
{
    int fd = dial(port);
    if (fd < 0) return -1;
    uint64_t t0 = cn_now_ns();
    if (send(fd, start, strlen(start), MSG_NOSIGNAL) < 0) {
        close(fd);
        return -1;
    }
    double secs = 99;
    int normal = 1;
    for (size_t i = 0; cn_now_ns() - t0 < 8000000000ull; i++) {
        if (closed_within(fd, 200)) {
            secs = (double)(cn_now_ns() - t0) / 1e9;
            break;
        }
        if (send(fd, more + i % strlen(more), 1, MSG_NOSIGNAL) < 0) {
            secs = (double)(cn_now_ns() - t0) / 1e9;
            break;
        }
        if (i == 3) normal = normal_request_ok(port); /* others are served meanwhile */
    }
    close(fd);
    CHECK(normal);
    return secs;
}

int main(void)
{
    t_init("test_net_guard");
#ifndef CRYPTONN_HAVE_MHD
    printf("SKIPPED: built without libmicrohttpd\n");
    return t_done();
#else
    signal(SIGPIPE, SIG_IGN);
    alarm(120);
    cn_http_service_opts o = {.listen = "127.0.0.1:0", .timeout_s = 30, .header_timeout_s = 1,
                              .body_timeout_s = 1, .max_conns = 16, .per_address = 16,
                              .admit = admit, .handle = handle};
    o.token[CN_ROLE_OPERATOR] = TOK;
    cn_http_service *svc = NULL;
    char msg[256];
    CHECK_EQ_INT(cn_http_service_start(&svc, &o, msg, sizeof msg), CRYPTONN_OK);
    if (!svc) return t_done();
    unsigned port = cn_http_service_port(svc);
    CHECK(normal_request_ok(port));

    /* 1. trickled headers and a trickled body: cut at their 1 s deadline
     * (the watchdog looks every 0.1 s), not kept alive by the bytes */
    double th = trickle(port, "GET /x HTTP/1.1\r\nHost: a\r\nX-Slow: ", "abcdefgh");
    CHECK(th >= 0.9 && th < 2.0);
    double tb = trickle(port, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 900\r\n\r\n", "01234567");
    CHECK(tb >= 0.9 && tb < 2.0);
    if (!(th >= 0.9 && th < 2.0 && tb >= 0.9 && tb < 2.0))
        fprintf(stderr, "cut off after %.2f s (headers), %.2f s (body)\n", th, tb);
    unsigned long timed_out = 0, evicted = 0;
    cn_http_service_guard_counts(svc, &timed_out, &evicted);
    CHECK(timed_out >= 2);

    /* 2. the bearer token is the whole value */
    char auth[128];
    int n = snprintf(auth, sizeof auth, "Bearer %s", TOK);
    CHECK_EQ_INT(role_for(port, auth, (size_t)n), CN_ROLE_OPERATOR);
    /* a NUL cannot shorten the comparison to a prefix of the token: the
     * bytes after it reach the comparison or count against the length
     * (libmicrohttpd ends a header value at a NUL before we see it, so only
     * a value that is the whole token before the NUL still matches) */
    char nul[128];
    memcpy(nul, auth, (size_t)n);
    nul[7 + 32] = 0;
    CHECK_EQ_INT(role_for(port, nul, (size_t)n), CN_ROLE_NONE);
    CHECK_EQ_INT(role_for(port, auth, (size_t)n - 1), CN_ROLE_NONE);
    auth[n] = ' ';
    CHECK_EQ_INT(role_for(port, auth, (size_t)n + 1), CN_ROLE_NONE);
    auth[n - 1] ^= 1;
    CHECK_EQ_INT(role_for(port, auth, (size_t)n), CN_ROLE_NONE);
    CHECK_EQ_INT(role_for(port, TOK, 64), CN_ROLE_NONE); /* no "Bearer " */

    /* 3. a malformed Content-Length: refused */
    const char *bad_cl[] = {"12abc", "-1", "1, 2"};
    for (int i = 0; i < 3; i++) {
        char req[256], out[4096];
        int l = snprintf(req, sizeof req, "POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: %s\r\n\r\n",
                         bad_cl[i]);
        exchange(port, req, (size_t)l, out, sizeof out);
        CHECK(strstr(out, "HTTP/1.1 400") == out);
        CHECK(strstr(out, "role=") == NULL); /* the handler never saw it */
    }

    /* 4. room for authenticated traffic: one connection authenticates and
     * stays open (keep-alive), then 13 anonymous ones wait for headers;
     * past 3/4 of the 16 slots the oldest anonymous ones are shut down, the
     * authenticated one is not, and a new request is still served */
    int authed = dial(port);
    char req[256], out[2048];
    int l = snprintf(req, sizeof req, "GET /x HTTP/1.1\r\nHost: a\r\nAuthorization: Bearer %s\r\n\r\n", TOK);
    CHECK(authed >= 0 && send(authed, req, (size_t)l, MSG_NOSIGNAL) == l);
    ssize_t got = authed >= 0 ? recv(authed, out, sizeof out - 1, 0) : -1;
    CHECK(got > 0);
    int idle[13];
    for (int i = 0; i < 13; i++) {
        idle[i] = dial(port);
        sleep_ms(20);
    }
    CHECK(closed_within(idle[0], 500));
    CHECK(!closed_within(idle[12], 100));
    CHECK(!closed_within(authed, 100));
    CHECK(normal_request_ok(port));
    cn_http_service_guard_counts(svc, &timed_out, &evicted);
    CHECK(evicted >= 1);
    for (int i = 0; i < 13; i++)
        if (idle[i] >= 0) close(idle[i]);
    /* the authenticated connection still works */
    CHECK(authed >= 0 && send(authed, req, (size_t)l, MSG_NOSIGNAL) == l);
    got = authed >= 0 ? recv(authed, out, sizeof out - 1, 0) : -1;
    CHECK(got > 0 && (out[got] = 0, strstr(out, "role=3") != NULL));
    if (authed >= 0) close(authed);
    sleep_ms(300);

    /* 5. per address: 4 connections from 127.0.0.1, the 5th is closed at
     * once */
    cn_http_service_stop(svc);
    o.max_conns = 64;
    o.per_address = 4;
    o.header_timeout_s = 10;
    CHECK_EQ_INT(cn_http_service_start(&svc, &o, msg, sizeof msg), CRYPTONN_OK);
    port = cn_http_service_port(svc);
    int fds[5];
    for (int i = 0; i < 5; i++) fds[i] = dial(port);
    CHECK(!closed_within(fds[0], 200));
    CHECK(closed_within(fds[4], 500));
    close(fds[0]);
    sleep_ms(200);
    CHECK(normal_request_ok(port)); /* a slot freed, a new one is served */
    for (int i = 1; i < 5; i++) close(fds[i]);
    cn_http_service_stop(svc);
    return t_done();
#endif
}
