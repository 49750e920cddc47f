/* keyexport: the key vectors a server received under the samples mpk, as the
 * authority exports them for the data owners' audit (`cryptonn authority
 * export-keys`, and over HTTP). The vectors are public functions of the
 * data (no secret: the sk scalars are not included); what the audit needs is
 * exactly what the server could compute from them.
 *
 * File: a cryptonn container "KEXP" version 1 whose payload is
 *   16    mpk id (cryptonn_feip_mpk_id of the samples mpk)
 *   4×4   u32 in_c, in_h, in_w, mode (0 paper, 1 strict)
 *   then the body of a "KRQI" request without its mpk field:
 *   u32 nkeys, u64 nnz, u64 rowptr[nkeys+1], u32 idx[nnz], i64 val[nnz].
 * The body's rules are keyreq's (rowptr from 0, non-decreasing, ending at
 * nnz; idx strictly increasing within a key), plus: every idx < in_c·in_h·in_w
 * (the mpk's width), 1 ≤ each dimension, width ≤ CRYPTONN_FEIP_MAX_SLOTS. */
#ifndef CRYPTONN_PROTOCOL_KEYEXPORT_H
#define CRYPTONN_PROTOCOL_KEYEXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "protocol/keyreq.h"

typedef struct {
    uint8_t mpk_id[16];        /* cryptonn_feip_mpk_id of the samples mpk */
    uint32_t in_c, in_h, in_w; /* the data's shape; width = in_c·in_h·in_w = mpk slots */
    uint32_t mode;             /* 0 paper, 1 strict */
    cn_feip_keyreq keys;       /* the vectors; keys.mpk = CN_MPK_SAMPLES */
} cn_keyexport;

/* Writes e to path atomically (mode 0644: nothing secret). Returns
 * CRYPTONN_ERR_ARG when e breaks the rules above, else the write's status. */
int cn_keyexport_write(const char *path, const cn_keyexport *e);
/* The same bytes in memory (*buf malloc'd; the caller frees). */
int cn_keyexport_encode(const cn_keyexport *e, uint8_t **buf, size_t *len);
/* Parses and validates buf into e (e's arrays are allocated; free with
 * cn_keyexport_free). Every count is bounded by the bytes present before
 * anything is allocated. Fails with the container's statuses (FORMAT,
 * VERSION, TRUNCATED, CHECKSUM, TOO_LARGE) or FORMAT for a broken body;
 * e is left empty on failure. */
int cn_keyexport_decode(cn_keyexport *e, const uint8_t *buf, size_t len);
/* Reads path (IO when it cannot be read), then as cn_keyexport_decode. */
int cn_keyexport_read(const char *path, cn_keyexport *e);
/* Frees the vectors; e is left empty. NULL is allowed. */
void cn_keyexport_free(cn_keyexport *e);

#endif
