/* fe_codec (internal): container bytes in memory for the FE formats.
 * The same layout as cn_container_write (util.h), built in a buffer so a
 * format can go to a file or over the wire alike. */
#ifndef CRYPTONN_FE_CODEC_H
#define CRYPTONN_FE_CODEC_H

#include <stddef.h>
#include <stdint.h>

#include "util/util.h"

/* Encoders write into a cn_buf (util.h). */

/* Writes container bytes to path atomically with mode. */
int fe_write_bytes(const char *path, const uint8_t *buf, size_t len, unsigned mode);
/* Reads a file of at most max_len bytes (caller frees; wipes if secret). */
int fe_read_bytes(const char *path, size_t max_len, uint8_t **buf, size_t *len);

#endif
