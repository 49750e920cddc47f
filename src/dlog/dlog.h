/* dlog (internal): the batch solver the schemes call on group elements.
 *
 * Table representation: an open-addressing hash table (linear probing,
 * capacity a power of two at least 1.5 times the 2T+1 entries) of one u64
 * per slot: the 64-bit tag of fingerprint(g^k) (dlog_tag) indexes the slot,
 * its bits above vbits = bitlen(2T+1) are stored with k + T in the low vbits.
 * 0 means empty (a stored high part is never 0). A false match needs equal
 * high bits on the probe path: about 2^-(64-vbits) per lookup. Giant step
 * G = (2T+1)·g. Invariant after creation: nothing is written, so any number
 * of threads may look up concurrently. */
#ifndef CRYPTONN_DLOG_INTERNAL_H
#define CRYPTONN_DLOG_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/dlog.h"
#include "group/group.h"

/* Scratch for batch solving of up to `cap` elements; one per thread. */
typedef struct dlog_ws dlog_ws;
dlog_ws *dlog_ws_create(size_t cap); /* NULL on OOM */
void dlog_ws_destroy(dlog_ws *w);
size_t dlog_ws_cap(const dlog_ws *w);

/* Solves p[i] = g^{m[i]} for i < n (n <= dlog_ws_cap(w)). p is not modified.
 * status[i] (may be NULL) receives CRYPTONN_OK or CRYPTONN_ERR_RANGE per
 * element, m[i] = 0 where out of range. Returns CRYPTONN_OK when every element
 * was solved, else CRYPTONN_ERR_RANGE. Allocation-free. */
int dlog_solve_batch_var(const cryptonn_dlog *d, int64_t *m, int *status, const ge25519 *p,
                         size_t n, dlog_ws *w);

/* One element, allocating nothing (uses a small stack batch). */
int dlog_solve_point_var(const cryptonn_dlog *d, int64_t *m, const ge25519 *p);

/* The 64-bit tag of a fingerprint (exposed for tests). */
static inline uint64_t dlog_tag(const uint8_t fp[32])
{
    uint64_t a = 0, b = 0;
    for (int i = 7; i >= 0; i--) {
        a = (a << 8) | fp[i];
        b = (b << 8) | fp[8 + i];
    }
    uint64_t t = a ^ (b * 0x9E3779B97F4A7C15ull);
    return t ? t : 1;
}

#endif
