/* authority: the trusted key authority (DESIGN §2, §5). Holds the msks,
 * answers key requests (keyreq.h messages), enforces the key-request
 * policy, logs every key issued and keeps, per mpk, the rank (mod ℓ) of the
 * span of all key vectors issued so far.
 *
 * Two modes (DESIGN §5), fixed at setup and public in params.bin:
 *   paper   the server chooses the first layer and trains it: the authority
 *           judges each request by policy (min-support, max-rank) and
 *           accounts for it; a malicious server can still steer what it
 *           learns (the report says how).
 *   strict  the authority drew and committed the first layer itself: it
 *           issues samples keys only for the committed layer's vectors,
 *           has no batch mpk (no gradient keys), and issues FEBO keys only
 *           for label ciphertexts the owners registered, at most
 *           policy.label_uses per ciphertext. Anything else is refused
 *           (CRYPTONN_ERR_POLICY, HTTP 403) and nothing is issued.
 *
 * State directory (created by cn_authority_setup):
 *   samples.msk, batch.msk, labels.msk   master secret keys (0600; no batch.msk in strict mode)
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
 *   labels.reg, labels.used              strict mode: digests of the registered label
 *                                        ciphertexts, and one record per FEBO key issued
 *                                        (append-only, synced before the key leaves)
 *   layer-rank.bin                       strict mode: the committed layer's rank mod ℓ
 * The authority is single-threaded: callers serialise requests. */
#ifndef CRYPTONN_PROTOCOL_AUTHORITY_H
#define CRYPTONN_PROTOCOL_AUTHORITY_H

#include <stddef.h>
#include <stdint.h>

#include "secure/encdata.h"
#include "secure/firstlayer.h"
#include "protocol/keyexport.h"
#include "protocol/labelreg.h"
#include "protocol/keyreq.h"
#include "secure/leakage.h"

typedef struct {
    uint32_t min_support; /* refuse FEIP keys with fewer non-zeros (default 2: no unit vectors) */
    uint64_t max_rank;    /* refuse requests that would push an mpk's revealed rank
                             past this (0: no budget) */
    uint32_t label_uses;  /* strict mode: FEBO keys per registered label ciphertext,
                             one per epoch of the training schedule (default 2) */
} cn_policy;

void cn_policy_default(cn_policy *p);

/* Creates the state directory with fresh keys for the parameters p. Fails
 * with CRYPTONN_ERR_IO if dir already holds keys (never overwrites a msk).
 * Strict mode (p->mode) needs the committed layer (its commitment is
 * computed here); paper mode takes NULL. */
int cn_authority_setup(const char *dir, const cn_enc_params *p, const cn_fl_layer *layer);

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

/* CN_MODE_PAPER or CN_MODE_STRICT, and the committed layer (NULL in paper mode). */
int cn_authority_mode(const cn_authority *a);
const cn_fl_layer *cn_authority_layer(const cn_authority *a);

/* The key vectors the server holds under the samples mpk, as public
 * functions for the owners' audit: the committed layer (strict), or the
 * vectors that raised the rank, which span every key issued (paper).
 * r is freshly allocated (cn_keyreq_feip_free). */
int cn_authority_export_keys(const cn_authority *a, cn_feip_keyreq *r);
/* The same as the owners' audit reads it (keyexport.h): vectors, mpk id,
 * shape and mode. */
int cn_authority_export(const cn_authority *a, cn_keyexport *e);

/* Registers label ciphertexts (an "LREG" message, client.h) sent by a data
 * owner: its labels mpk id must be this authority's. Idempotent; durable
 * before it returns. msg gets the reason of a refusal. */
int cn_authority_register_labels(cn_authority *a, const uint8_t *msg, size_t len, uint64_t *added,
                                 char *why, size_t why_len);

/* The same for roles in one process: opens the authority in dir, registers
 * reg (encoded as the owners send it), closes. */
int cn_authority_register_at(const char *dir, const cn_labelreg *reg, uint64_t *added, char *why,
                             size_t why_len);

/* The in-process wire to the authority: the same messages as over HTTP. */
cn_keywire cn_authority_keywire(cn_authority *a);

#endif
