/* cryptonn util: the file, memory and progress helpers the library's own
 * tools use, for programs built on it: atomic writes with a chosen mode
 * (secrets 0600), bounded reads, wiping, a monotonic clock and a progress line
 * on stderr. */
#ifndef CRYPTONN_PUBLIC_UTIL_H
#define CRYPTONN_PUBLIC_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Reads a whole file into *out (malloc'd; free with cryptonn_free, or
 * cryptonn_free_secret for secrets). CRYPTONN_ERR_TOO_LARGE, reading nothing,
 * when it is longer than max_len; CRYPTONN_ERR_IO when it cannot be read. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_file_read(const char *path, size_t max_len,
                                                         uint8_t **out, size_t *len);
/* A piece of a file to write. */
typedef struct {
    const void *data;
    size_t len;
} cryptonn_part;
/* Writes the parts, in order, to path through a temporary file, fsync and
 * rename, with the given mode (0600 for secrets): readers see the old file
 * or the new one, never half of it. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_file_write_atomic(const char *path,
                                                                 const cryptonn_part *parts,
                                                                 size_t nparts, unsigned mode);
/* calloc for n elements of size bytes that aborts when n·size overflows
 * (a caller bug) and returns NULL when memory runs out. */
CRYPTONN_API void *cryptonn_alloc_array(size_t n, size_t size);
/* Zeroes len bytes in a way the compiler keeps. */
CRYPTONN_API void cryptonn_wipe(void *p, size_t len);
/* Wipes then frees (NULL is allowed). */
CRYPTONN_API void cryptonn_free_secret(void *p, size_t len);
/* Nanoseconds of a monotonic clock. */
CRYPTONN_API uint64_t cryptonn_now_ns(void);

/* A progress line on stderr (only when stderr is a terminal): label, items
 * done of total, rate and time left, redrawn at most a few times a second. */
typedef struct {
    const char *label;
    uint64_t total;
    uint64_t start_ns;
    uint64_t last_ns;
    int enabled;
} cryptonn_progress;
CRYPTONN_API void cryptonn_progress_start(cryptonn_progress *p, const char *label, uint64_t total);
/* extra: a short string appended to the line (may be NULL). */
CRYPTONN_API void cryptonn_progress_update(cryptonn_progress *p, uint64_t done, const char *extra);
CRYPTONN_API void cryptonn_progress_finish(cryptonn_progress *p, const char *extra);

#ifdef __cplusplus
}
#endif
#endif
