/* services: the networked roles' HTTP routes (DESIGN §2, §6), on http.h.
 *
 * Authority (cn_authority_http_*):
 *   GET  /v1/health    {"status":"ok","role":"authority"}            no token
 *   GET  /v1/params    params.bin (the public parameters and mpks)   no token
 *   GET  /v1/leakage   JSON: per mpk width, revealed rank, keys issued/refused
 *   POST /v1/keys      server token; body: a keyreq.h request; answer: its
 *                      response (200), or the KERR error response with 400
 *                      (malformed), 403 (policy or budget: the reason names
 *                      the rule), 413 (too large), 500 (the authority failed)
 * The key authority is single-threaded: requests are serialised by a mutex.
 *
 * The server's routes are in server_http.h. */
#ifndef CRYPTONN_PROTOCOL_SERVICES_H
#define CRYPTONN_PROTOCOL_SERVICES_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/authority.h"
#include "protocol/http.h"
#include "protocol/keyreq.h"

/* Largest key request accepted: the gradient keys of a dense first layer of
 * 784 x 128 weights over a batch of 64 are ~80 MB. */
#define CN_KEYREQ_MAX ((size_t)256 << 20)

typedef struct cn_authority_http cn_authority_http;
/* Routes for an open authority (not owned). params_path: its params.bin. */
int cn_authority_http_create(cn_authority_http **out, cn_authority *a, const char *params_path);
void cn_authority_http_destroy(cn_authority_http *h);
/* Fills the admit/handle/ctx fields of o. */
void cn_authority_http_bind(cn_authority_http *h, cn_http_service_opts *o);
/* Requests answered so far by status class (for the shutdown line). */
void cn_authority_http_counts(const cn_authority_http *h, uint64_t *ok, uint64_t *refused,
                              uint64_t *bad);

/* The HTTP status for a KERR status. */
unsigned cn_http_status_for(int status);

/* A key wire that POSTs to an authority's /v1/keys through c (not owned).
 * Transport failures and 401 come back as KERR responses naming the cause,
 * so the trainer's message says what went wrong. */
cn_keywire cn_http_keywire(cn_http_client *c);

#endif
