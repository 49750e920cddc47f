/* fe_codec (internal): container bytes in memory for the FE formats.
 * The same layout as cn_container_write (util.h), built in a buffer so a
 * format can go to a file or over the wire alike. */
#ifndef CRYPTONN_FE_CODEC_H
#define CRYPTONN_FE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* A growable output buffer; on OOM it remembers the failure. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
    int secret; /* wipe on growth and free */
} fe_buf;

void fe_buf_init(fe_buf *b, size_t reserve, int secret);
void fe_buf_put(fe_buf *b, const void *data, size_t n);
/* n more bytes for the caller to fill, or NULL (out of memory, remembered). */
uint8_t *fe_buf_extend(fe_buf *b, size_t n);
void fe_buf_u32(fe_buf *b, uint32_t v);
void fe_buf_u64(fe_buf *b, uint64_t v);
void fe_buf_free(fe_buf *b);
/* Wraps the payload so far into a container of kind/version; on success the
 * malloc'd bytes move to *out (the buffer is emptied). */
int fe_buf_finish(fe_buf *b, const char kind[4], uint32_t version, uint8_t **out, size_t *len);

/* Writes container bytes to path atomically with mode. */
int fe_write_bytes(const char *path, const uint8_t *buf, size_t len, unsigned mode);
/* Reads a file of at most max_len bytes (caller frees; wipes if secret). */
int fe_read_bytes(const char *path, size_t max_len, uint8_t **buf, size_t *len);

#endif
