/* The public helpers (cryptonn/util.h) over src/util, whose cn_progress is
 * the public cryptonn_progress. */
#include "cryptonn/util.h"

#include <stdlib.h>

#include "util/util.h"

void cryptonn_free(void *p)
{
    free(p);
}

int cryptonn_file_read(const char *path, size_t max_len, uint8_t **out, size_t *len)
{
    CN_ARG_CHECK(path && out && len);
    return cn_file_read_all(path, max_len, out, len);
}

int cryptonn_file_write_atomic(const char *path, const cryptonn_part *parts, size_t nparts,
                               unsigned mode)
{
    CN_ARG_CHECK(path && (parts || !nparts));
    return cn_file_write_atomic(path, parts, nparts, mode);
}

void *cryptonn_alloc_array(size_t n, size_t size)
{
    return cn_calloc(n, size);
}

void cryptonn_wipe(void *p, size_t len)
{
    cn_wipe(p, len);
}

void cryptonn_free_secret(void *p, size_t len)
{
    cn_free_secret(p, len);
}

uint64_t cryptonn_now_ns(void)
{
    return cn_now_ns();
}

void cryptonn_progress_start(cryptonn_progress *p, const char *label, uint64_t total)
{
    cn_progress_start(p, label, total);
}

void cryptonn_progress_update(cryptonn_progress *p, uint64_t done, const char *extra)
{
    cn_progress_update(p, done, extra);
}

void cryptonn_progress_finish(cryptonn_progress *p, const char *extra)
{
    cn_progress_finish(p, extra);
}
