/* server_http: the training server as an HTTP service (DESIGN §2, §6).
 *
 * Routes (client = the data owners' token, server = the server role's token;
 * either token may drive training and read the status):
 *   GET  /v1/health                          no token
 *   PUT  /v1/parts/NAME/batches/N            client; body: an encdata.h batch file ("EBAT")
 *   PUT  /v1/parts/NAME/index                client; body: the part's index ("EDIX"),
 *                                            accepted once every batch it lists is stored
 *   GET  /v1/parts/NAME                      client; {"complete":..,"batches":[...]}: what
 *                                            an interrupted upload must still send
 *   PUT/GET /v1/tests/NAME/...               the same for a test set part (no labels)
 *   POST /v1/train                           JSON options (below); 202, training runs
 *                                            in the background
 *   GET  /v1/status                          JSON: state, epoch, batch, loss, accuracy,
 *                                            authority retries, message
 *   GET  /v1/model                           the trained model file
 *   POST /v1/predict                         {"part":"NAME"}: secure prediction of an
 *                                            uploaded test part → permuted classes
 * Uploads are validated (container, checksum, kind, sizes against params.bin)
 * before anything is written, and written atomically; a complete part (one
 * with an index) is immutable. Training checkpoints after every batch and,
 * after a crash, resumes from the checkpoint when the service starts again.
 *
 * State directory: data/ (params.bin fetched from the authority, the parts),
 * test/NAME/ (test parts), train/ (job.json, ckpt.bin, model.bin,
 * failed.txt), cache/ (the discrete-log table). */
#ifndef CRYPTONN_PROTOCOL_SERVER_HTTP_H
#define CRYPTONN_PROTOCOL_SERVER_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/http.h"

typedef struct cn_server_http cn_server_http;

/* Opens (creating) the state directory, fetches params.bin from the
 * authority when it has none, and resumes an unfinished training job.
 * auth: how to reach the authority (base URL, server token, CA file);
 * retry_for_s there bounds how long training waits for a restarting
 * authority. */
int cn_server_http_create(cn_server_http **out, const char *dir, const cn_http_client_opts *auth,
                          unsigned threads, char *msg, size_t msg_len);
void cn_server_http_bind(cn_server_http *s, cn_http_service_opts *o);
/* Stops training after the batch in progress (its checkpoint is kept),
 * waits for the training thread, frees s. */
void cn_server_http_destroy(cn_server_http *s);

#endif
