/* authority: the trusted key authority (DESIGN §2, §5). Holds the three
 * msks, answers key requests (keyreq.h messages), enforces the key-request
 * policy, logs every key issued and keeps, per mpk, the rank of the span of
 * all key vectors issued so far.
 *
 * State directory (created by cn_authority_setup):
 *   samples.msk, batch.msk, labels.msk   master secret keys (0600)
 *   params.bin                           the public parameters and mpks (encdata.h format)
 *   owner.key                            the owners' label permutation π (0600) — for
 *                                        data owners only; the server never gets it
 *   keys.log                             one line per request: time, mpk, keys, nnz,
 *                                        rank after, or the refusal and its reason
 *   authority.db                         (built with SQLite, WAL mode) the same log, the
 *                                        issued/refused counters and the key vectors that
 *                                        raised the samples rank (replayed on open), one
 *                                        transaction per request, committed before the
 *                                        response leaves: a crash loses nothing issued
 *                                        (authority_db.h)
 *   rank-samples.bin                     without SQLite: the same vectors and counters;
 *                                        saved whenever the rank grows and on close (with
 *                                        SQLite, read once to fill a new authority.db)
 *   tokens/server.token, client.token    bearer tokens of the networked roles (keygen)
 * The authority is single-threaded: callers serialise requests. */
#ifndef CRYPTONN_PROTOCOL_AUTHORITY_H
#define CRYPTONN_PROTOCOL_AUTHORITY_H

#include <stddef.h>
#include <stdint.h>

#include "secure/encdata.h"
#include "secure/keyreq.h"
#include "secure/leakage.h"

typedef struct {
    uint32_t min_support; /* refuse FEIP keys with fewer non-zeros (default 2: no unit vectors) */
    uint64_t max_rank;    /* refuse requests that would push an mpk's revealed rank
                             past this (0: no budget) */
} cn_policy;

void cn_policy_default(cn_policy *p);

/* Creates the state directory with fresh keys for the parameters p. Fails
 * with CRYPTONN_ERR_IO if dir already holds keys (never overwrites a msk). */
int cn_authority_setup(const char *dir, const cn_enc_params *p);

typedef struct cn_authority cn_authority;
int cn_authority_open(cn_authority **out, const char *dir, const cn_policy *pol);
/* Saves the rank state and closes the log. */
void cn_authority_close(cn_authority *a);

/* Policy order: structure, then slots and values against the mpk, then
 * min_support (the zero key is allowed: it reveals nothing), then max_rank
 * (for the samples mpk the exact rank after the whole request; for the batch
 * mpk the bound min(keys issued, width), so a budget there counts keys).
 * A refused request issues no key and changes only the refusal counter.
 * Handles one request message; *resp is a malloc'd response message (an
 * error response for refusals and bad requests). Returns CRYPTONN_OK when a
 * response (possibly an error response) was produced, or CRYPTONN_ERR_NOMEM. */
int cn_authority_handle(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                        size_t *resp_len);

/* The counters for the leakage report: out[CN_MPK_SAMPLES..CN_MPK_LABELS]. */
void cn_authority_leakage(const cn_authority *a, cn_leak_mpk out[3]);

/* An in-process key source bound to the authority. */
cn_keysource cn_authority_keysource(cn_authority *a);

#endif
