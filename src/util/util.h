/* util: the lowest layer. Memory wiping, randomness, misuse checks, clocks,
 * atomic file I/O and the checksummed container every file format uses.
 * Nothing here knows about groups, schemes or networks. */
#ifndef CRYPTONN_UTIL_H
#define CRYPTONN_UTIL_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/status.h"
#include "cryptonn/util.h"

/* Misuse (a caller bug, never bad external data): print and abort. */
#define CN_ARG_CHECK(cond)                                                     \
    do {                                                                       \
        if (!(cond)) cn_illegal_argument(#cond, __FILE__, __LINE__);           \
    } while (0)
_Noreturn void cn_illegal_argument(const char *what, const char *file, int line);

/* Propagate a failing status. */
#define CN_TRY(expr)                                                           \
    do {                                                                       \
        int cn_try_rc_ = (expr);                                               \
        if (cn_try_rc_ != CRYPTONN_OK) return cn_try_rc_;                      \
    } while (0)

/* Zeroes memory in a way the compiler may not remove (sodium_memzero). */
void cn_wipe(void *p, size_t len);
/* Wipes len bytes at p, then frees p. NULL is allowed. */
void cn_free_secret(void *p, size_t len);
/* Uniform random bytes from the system CSPRNG (libsodium). */
void cn_random_bytes(void *out, size_t len);
/* malloc/calloc that abort on overflow of n*size and return NULL on OOM. */
void *cn_calloc(size_t n, size_t size);
void *cn_malloc_array(size_t n, size_t size);

/* Monotonic clock in nanoseconds. */
uint64_t cn_now_ns(void);

/* Little-endian loads and stores. */
static inline void cn_store_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline void cn_store_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint32_t cn_load_u32(const uint8_t *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}
static inline uint64_t cn_load_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* ---- files ---- */

/* Writes the concatenation of parts to path atomically: a temporary file in
 * the same directory, fsync, rename, fsync of the directory. A crash leaves
 * either the old file or the new one, never a torn one. mode is the file's
 * permission bits (0600 for secrets); the temporary file has it from creation. */
typedef cryptonn_part cn_part; /* the public struct (cryptonn/util.h) */
CRYPTONN_WARN_UNUSED int cn_file_write_atomic(const char *path, const cn_part *parts, size_t nparts,
                                              unsigned mode);

/* Reads a whole file. Fails with CRYPTONN_ERR_TOO_LARGE (reading nothing) when
 * the file is larger than max_len. On success *out is malloc'd (caller frees). */
CRYPTONN_WARN_UNUSED int cn_file_read_all(const char *path, size_t max_len, uint8_t **out,
                                          size_t *out_len);

/* ---- the container: every cryptonn file ----
 *
 *   offset  size  field
 *   0       8     magic "CRYPTONN"
 *   8       4     kind, four ASCII characters ("MPK ", "MSK ", "MODL", ...)
 *   12      4     format version, u32 little-endian
 *   16      8     payload length, u64 little-endian
 *   24      len   payload
 *   24+len  32    BLAKE2b-256 of bytes [0, 24+len)
 *
 * Readers check, in this order: length of the fixed header (TRUNCATED), magic
 * (FORMAT), kind (FORMAT), version (VERSION), declared length against the
 * caller's limit (TOO_LARGE), actual length (TRUNCATED, or FORMAT for trailing
 * bytes), checksum (CHECKSUM). Nothing is returned unless all pass. */
#define CN_CONTAINER_HEADER 24
#define CN_CONTAINER_TRAILER 32

/* The 24 header bytes of a container with this payload length. */
void cn_container_header(uint8_t out[CN_CONTAINER_HEADER], const char kind[4], uint32_t version,
                         uint64_t payload_len);
/* A container of the parts (any number), written atomically. */
CRYPTONN_WARN_UNUSED int cn_container_write(const char *path, const char kind[4], uint32_t version,
                                            const cn_part *parts, size_t nparts, unsigned mode);
/* The same container in memory (*buf malloc'd; large ones on huge pages). */
CRYPTONN_WARN_UNUSED int cn_container_wrap(const char kind[4], uint32_t version,
                                           const cn_part *parts, size_t nparts, uint8_t **buf,
                                           size_t *len);

/* A growable output buffer, with room for a container's header in front and
 * its trailer behind; on running out of memory it remembers the failure and
 * ignores further writes, so encoders check once at the end. */
typedef struct {
    uint8_t *p;
    size_t len, cap;
    int oom;
    int secret; /* wipe on growth and free */
} cn_buf;
void cn_buf_init(cn_buf *b, size_t reserve, int secret);
void cn_buf_put(cn_buf *b, const void *data, size_t n);
/* n more bytes for the caller to fill, or NULL (out of memory, remembered). */
uint8_t *cn_buf_extend(cn_buf *b, size_t n);
void cn_buf_u32(cn_buf *b, uint32_t v);
void cn_buf_u64(cn_buf *b, uint64_t v);
void cn_buf_free(cn_buf *b);
/* Wraps the payload so far into a container of kind/version; on success the
 * malloc'd bytes move to *out (the buffer is emptied). */
CRYPTONN_WARN_UNUSED int cn_buf_finish(cn_buf *b, const char kind[4], uint32_t version,
                                       uint8_t **out, size_t *len);
/* The payload so far, without a container: *out gets the bytes after the
 * header room (the buffer is emptied; free *out with free). */
CRYPTONN_WARN_UNUSED int cn_buf_take(cn_buf *b, uint8_t **out, size_t *len);
/* malloc for large blocks: 2 MiB-aligned and advised onto huge pages from
 * 8 MiB on (the key requests and their expansions). */
void *cn_alloc_large(size_t n);

/* Parses a container held in memory; on success *payload points into buf. */
CRYPTONN_WARN_UNUSED int cn_container_parse(const uint8_t *buf, size_t len, const char kind[4],
                                            uint32_t version, size_t max_payload,
                                            const uint8_t **payload, size_t *payload_len);

/* The same for any version in [lo, hi] (formats whose older versions still
 * load): *version is the one the container declares. */
CRYPTONN_WARN_UNUSED int cn_container_parse_any(const uint8_t *buf, size_t len, const char kind[4],
                                                uint32_t lo, uint32_t hi, size_t max_payload,
                                                uint32_t *version, const uint8_t **payload,
                                                size_t *payload_len);

/* Reads and parses a container file. On success *file is the malloc'd whole
 * file (free it; wipe it first if it held a secret) and *payload points into it. */
CRYPTONN_WARN_UNUSED int cn_container_read(const char *path, const char kind[4], uint32_t version,
                                           size_t max_payload, uint8_t **file,
                                           const uint8_t **payload, size_t *payload_len);
/* The same for any version in [lo, hi], read once: *version is the file's. */
CRYPTONN_WARN_UNUSED int cn_container_read_any(const char *path, const char kind[4], uint32_t lo,
                                               uint32_t hi, size_t max_payload,
                                               uint32_t *version, uint8_t **file,
                                               const uint8_t **payload, size_t *payload_len);

/* A bounded little-endian reader over a payload: every get fails with
 * CRYPTONN_ERR_TRUNCATED instead of reading past the end. */
typedef struct {
    const uint8_t *p;
    size_t left;
} cn_reader;
CRYPTONN_WARN_UNUSED int cn_read_u32(cn_reader *r, uint32_t *v);
CRYPTONN_WARN_UNUSED int cn_read_u64(cn_reader *r, uint64_t *v);
CRYPTONN_WARN_UNUSED int cn_read_bytes(cn_reader *r, void *out, size_t n);
CRYPTONN_WARN_UNUSED int cn_read_view(cn_reader *r, const uint8_t **out, size_t n);

/* ---- progress on stderr ---- */
/* The public struct (cryptonn/util.h): programs built on the library draw
 * the same line. */
typedef cryptonn_progress cn_progress;
void cn_progress_start(cn_progress *p, const char *label, uint64_t total);
/* done items so far; extra is a short string appended to the line (may be NULL). */
void cn_progress_update(cn_progress *p, uint64_t done, const char *extra);
void cn_progress_finish(cn_progress *p, const char *extra);

#endif
