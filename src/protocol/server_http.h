/* server_http: the training server as an HTTP service (DESIGN §2, §6), for
 * several data owners.
 *
 * Credentials: each data owner has its own token (owners.h; the service
 * checks it against the owners list the operator installed), and the
 * operator has one, distinct from every owner's and from the server's token
 * towards the authority. A part belongs to the owner that declared it: an
 * owner names only its own parts (OWNER-NAME on disk), and only the
 * operator drives training. Routes (owner: any owner, on its own parts):
 *   GET    /v1/health                        anyone
 *   GET    /v1/parts                         owner: its parts; operator: all
 *   PUT    /v1/parts/NAME/index              owner: declares the part (its
 *                                            index: samples, batches, flags)
 *   PUT    /v1/parts/NAME/batches/N          owner: batch N < the declared count
 *   POST   /v1/parts/NAME/complete           owner: every batch is read with
 *                                            training's reader against the
 *                                            index; only then is the part
 *                                            complete (visible to training)
 *   GET    /v1/parts/NAME                    owner: state, stored batches
 *   DELETE /v1/parts/NAME                    owner: an open or quarantined part
 *   .../v1/tests/NAME/...                    the same for a test part (no labels)
 *   POST   /v1/predict                       owner: {"part": NAME}, its test part
 *   POST   /v1/train                         operator: JSON options; 202
 *   POST   /v1/stop                          operator
 *   GET    /v1/status, /v1/model             operator
 * A missing or unknown credential is answered 401, a known one on a route
 * that is not its role's 403. Per-owner quotas (parts, declared batches,
 * stored bytes, requests in progress) answer 429 or 413 naming the limit.
 * A complete part is immutable. Training checkpoints after every batch and,
 * after a crash, resumes from the checkpoint when the service starts again;
 * a stored part that training cannot read is moved to quarantine/ and the
 * job skips it or stops, as the operator chose (on_bad_part).
 *
 * State directory: data/ (params.bin fetched from the authority, the
 * training parts), test/OWNER-NAME/ (test parts), quarantine/, train/
 * (job.json, ckpt.bin, model.bin, failed.txt, stopped.txt), cache/ (the
 * discrete-log table), staging/ (scratch of verifications). */
#ifndef CRYPTONN_PROTOCOL_SERVER_HTTP_H
#define CRYPTONN_PROTOCOL_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/http.h"

typedef struct cn_server_http cn_server_http;

/* Per-owner limits. */
typedef struct {
    uint32_t parts;    /* parts declared, training and test together (32) */
    uint64_t batches;  /* batches declared over all its parts (4096) */
    uint64_t bytes;    /* batch bytes stored over all its parts (16 GiB) */
    uint32_t requests; /* uploads and completions in progress at once (4) */
} cn_server_quota;
void cn_server_quota_default(cn_server_quota *q);

/* Opens (creating) the state directory, fetches params.bin from the
 * authority when it has none, and resumes an unfinished training job.
 * auth: how to reach the authority (base URL, server token, CA file);
 * retry_for_s there bounds how long training waits for a restarting
 * authority. q: NULL for the defaults. */
int cn_server_http_create(cn_server_http **out, const char *dir, const cn_http_client_opts *auth,
                          unsigned threads, const cn_server_quota *q, char *msg, size_t msg_len);
void cn_server_http_bind(cn_server_http *s, cn_http_service_opts *o);
/* Stops training after the batch in progress (its checkpoint is kept),
 * waits for the training thread, frees s. */
void cn_server_http_destroy(cn_server_http *s);

#endif
