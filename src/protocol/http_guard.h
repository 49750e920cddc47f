/* http_guard: the connection limits of a service (http.h), on libmicrohttpd.
 *
 * libmicrohttpd's own timeout is per activity: a client that sends one byte
 * a second keeps its connection, and its thread, for ever. The guard keeps a
 * record per connection (MHD_OPTION_NOTIFY_CONNECTION) with the phase it is
 * in and since when:
 *   HEAD  waiting for a request's headers: since the connection opened or
 *         the previous answer was queued; limit header_s;
 *   BODY  receiving the body: since the headers were complete; limit body_s;
 *   BUSY  the handler runs or the answer is being sent: no limit here.
 * A watchdog thread shuts down (shutdown(2), never close) the socket of a
 * connection past its limit; libmicrohttpd then sees end of file and closes
 * it itself. The record is dropped in the CLOSED notification, which
 * libmicrohttpd sends before it closes the socket, and both run under the
 * guard's mutex, so the watchdog never touches a reused descriptor.
 *
 * Room for authenticated traffic: a connection counts as anonymous until a
 * request on it carries a valid credential. When a new connection arrives
 * and anonymous connections waiting for headers exceed three quarters of
 * max_conns, or the total leaves fewer than two free slots, the oldest
 * anonymous connection waiting for headers is shut down. The per-address
 * limit is libmicrohttpd's (MHD_OPTION_PER_IP_CONNECTION_LIMIT). */
#ifndef CRYPTONN_PROTOCOL_HTTP_GUARD_H
#define CRYPTONN_PROTOCOL_HTTP_GUARD_H

#ifdef CRYPTONN_HAVE_MHD
#include <microhttpd.h>

enum { CN_GUARD_HEAD, CN_GUARD_BODY, CN_GUARD_BUSY };

typedef struct cn_http_guard cn_http_guard;
/* Starts the watchdog thread. */
int cn_http_guard_create(cn_http_guard **out, unsigned max_conns, unsigned header_s,
                         unsigned body_s);
/* Stops the watchdog; call after MHD_stop_daemon (no connection left). */
void cn_http_guard_destroy(cn_http_guard *g);
/* For MHD_OPTION_NOTIFY_CONNECTION, with the guard as its closure. */
void cn_http_guard_notify(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode toe);
/* The connection enters phase (a CN_GUARD_*); authed marks it as having
 * carried a valid credential (it stays marked). */
void cn_http_guard_phase(struct MHD_Connection *c, int phase, int authed);
/* Connections shut down so far for a deadline and to make room (for tests
 * and reports). */
void cn_http_guard_counts(cn_http_guard *g, unsigned long *timed_out, unsigned long *evicted);

#endif
#endif
