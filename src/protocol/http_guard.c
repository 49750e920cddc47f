/* http_guard: deadlines and room for authenticated traffic (http_guard.h). */
#include "protocol/http_guard.h"

#ifdef CRYPTONN_HAVE_MHD
#include <pthread.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>

#include "cryptonn/status.h"
#include "util/util.h"

enum { DEAD = 3 }; /* shut down, waiting for libmicrohttpd to close it */

typedef struct rec {
    struct rec *prev, *next; /* oldest first */
    cn_http_guard *g;
    int fd;
    int phase, authed;
    uint64_t since;
} rec;

struct cn_http_guard {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thr;
    int stop;
    rec *head, *tail;
    unsigned total, max_conns;
    uint64_t limit[2]; /* ns, for HEAD and BODY */
    unsigned long timed_out, evicted;
};

static void unlink_rec(cn_http_guard *g, rec *r)
{
    if (r->prev) r->prev->next = r->next;
    else g->head = r->next;
    if (r->next) r->next->prev = r->prev;
    else g->tail = r->prev;
}

static void kill_rec(rec *r)
{
    shutdown(r->fd, SHUT_RDWR);
    r->phase = DEAD;
}

static void *watchdog(void *arg)
{
    cn_http_guard *g = arg;
    pthread_mutex_lock(&g->mu);
    while (!g->stop) {
        uint64_t now = cn_now_ns();
        for (rec *r = g->head; r; r = r->next)
            if (r->phase <= CN_GUARD_BODY && now - r->since > g->limit[r->phase]) {
                kill_rec(r);
                g->timed_out++;
            }
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_nsec += 100000000L; /* deadlines are kept to a tenth of a second */
        if (ts.tv_nsec >= 1000000000L) ts.tv_sec++, ts.tv_nsec -= 1000000000L;
        pthread_cond_timedwait(&g->cv, &g->mu, &ts);
    }
    pthread_mutex_unlock(&g->mu);
    return NULL;
}

int cn_http_guard_create(cn_http_guard **out, unsigned max_conns, unsigned header_s,
                         unsigned body_s)
{
    *out = NULL;
    cn_http_guard *g = calloc(1, sizeof *g);
    if (!g) return CRYPTONN_ERR_NOMEM;
    g->max_conns = max_conns;
    g->limit[CN_GUARD_HEAD] = (uint64_t)header_s * 1000000000ull;
    g->limit[CN_GUARD_BODY] = (uint64_t)body_s * 1000000000ull;
    pthread_mutex_init(&g->mu, NULL);
    pthread_cond_init(&g->cv, NULL);
    if (pthread_create(&g->thr, NULL, watchdog, g) != 0) {
        pthread_cond_destroy(&g->cv);
        pthread_mutex_destroy(&g->mu);
        free(g);
        return CRYPTONN_ERR_NOMEM;
    }
    *out = g;
    return CRYPTONN_OK;
}

void cn_http_guard_destroy(cn_http_guard *g)
{
    if (!g) return;
    pthread_mutex_lock(&g->mu);
    g->stop = 1;
    pthread_cond_signal(&g->cv);
    pthread_mutex_unlock(&g->mu);
    pthread_join(g->thr, NULL);
    while (g->head) {
        rec *r = g->head;
        unlink_rec(g, r);
        free(r);
    }
    pthread_cond_destroy(&g->cv);
    pthread_mutex_destroy(&g->mu);
    free(g);
}

/* Under mu, after r (the newest) arrived. */
static void make_room(cn_http_guard *g, const rec *fresh)
{
    unsigned anon = 0;
    rec *oldest = NULL;
    for (rec *r = g->head; r; r = r->next)
        if (r->phase == CN_GUARD_HEAD && !r->authed) {
            anon++;
            if (!oldest && r != fresh) oldest = r;
        }
    if (oldest && (anon > g->max_conns - g->max_conns / 4 || g->total + 2 > g->max_conns)) {
        kill_rec(oldest);
        g->evicted++;
    }
}

void cn_http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe)
{
    cn_http_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        rec *r = ci ? calloc(1, sizeof *r) : NULL;
        *socket_context = r;
        if (!r) return; /* unguarded, but libmicrohttpd's idle timeout still applies */
        r->g = g;
        r->fd = ci->connect_fd;
        r->phase = CN_GUARD_HEAD;
        r->since = cn_now_ns();
        pthread_mutex_lock(&g->mu);
        r->prev = g->tail;
        if (g->tail) g->tail->next = r;
        else g->head = r;
        g->tail = r;
        g->total++;
        make_room(g, r);
        pthread_mutex_unlock(&g->mu);
    } else if (toe == MHD_CONNECTION_NOTIFY_CLOSED) {
        rec *r = *socket_context;
        if (!r) return;
        pthread_mutex_lock(&g->mu);
        unlink_rec(g, r);
        g->total--;
        pthread_mutex_unlock(&g->mu);
        free(r);
        *socket_context = NULL;
    }
}

void cn_http_guard_phase(struct MHD_Connection *c, int phase, int authed)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    rec *r = ci ? ci->socket_context : NULL;
    if (!r) return;
    pthread_mutex_lock(&r->g->mu);
    if (r->phase != DEAD) {
        r->phase = phase;
        r->since = cn_now_ns();
    }
    r->authed |= authed;
    pthread_mutex_unlock(&r->g->mu);
}

void cn_http_guard_counts(cn_http_guard *g, unsigned long *timed_out, unsigned long *evicted)
{
    pthread_mutex_lock(&g->mu);
    *timed_out = g->timed_out;
    *evicted = g->evicted;
    pthread_mutex_unlock(&g->mu);
}

#endif
