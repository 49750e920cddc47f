/* In-memory containers for the FE formats (fe_codec.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "scheme/fe_codec.h"

int fe_write_bytes(const char *path, const uint8_t *buf, size_t len, unsigned mode)
{
    cn_part part = {buf, len};
    return cn_file_write_atomic(path, &part, 1, mode);
}

int fe_read_bytes(const char *path, size_t max_len, uint8_t **buf, size_t *len)
{
    return cn_file_read_all(path, max_len, buf, len);
}
