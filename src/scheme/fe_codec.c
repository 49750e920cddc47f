/* In-memory containers for the FE formats (fe_codec.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "scheme/fe_codec.h"

void fe_buf_init(fe_buf *b, size_t reserve, int secret)
{
    b->cap = CN_CONTAINER_HEADER + reserve + CN_CONTAINER_TRAILER;
    b->p = malloc(b->cap);
    b->oom = b->p == NULL;
    b->secret = secret;
    /* The header is filled in by fe_buf_finish once the length is known. */
    b->len = CN_CONTAINER_HEADER;
    if (b->oom) b->cap = 0;
}

static void grow(fe_buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) {
        if (cap > SIZE_MAX / 2) {
            b->oom = 1;
            return;
        }
        cap *= 2;
    }
    uint8_t *q = malloc(cap);
    if (!q) {
        b->oom = 1;
        return;
    }
    if (b->p) memcpy(q, b->p, b->len);
    if (b->secret) cn_wipe(b->p, b->cap);
    free(b->p);
    b->p = q;
    b->cap = cap;
}

void fe_buf_put(fe_buf *b, const void *data, size_t n)
{
    if (b->oom) return;
    if (b->len + n + CN_CONTAINER_TRAILER > b->cap) grow(b, b->len + n + CN_CONTAINER_TRAILER);
    if (b->oom) return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

uint8_t *fe_buf_extend(fe_buf *b, size_t n)
{
    if (b->oom) return NULL;
    if (b->len + n + CN_CONTAINER_TRAILER > b->cap) grow(b, b->len + n + CN_CONTAINER_TRAILER);
    if (b->oom) return NULL;
    b->len += n;
    return b->p + b->len - n;
}

void fe_buf_u32(fe_buf *b, uint32_t v)
{
    uint8_t t[4];
    cn_store_u32(t, v);
    fe_buf_put(b, t, 4);
}

void fe_buf_u64(fe_buf *b, uint64_t v)
{
    uint8_t t[8];
    cn_store_u64(t, v);
    fe_buf_put(b, t, 8);
}

void fe_buf_free(fe_buf *b)
{
    if (b->secret) cn_wipe(b->p, b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int fe_buf_finish(fe_buf *b, const char kind[4], uint32_t version, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->oom) {
        fe_buf_free(b);
        return CRYPTONN_ERR_NOMEM;
    }
    memcpy(b->p, "CRYPTONN", 8);
    memcpy(b->p + 8, kind, 4);
    cn_store_u32(b->p + 12, version);
    cn_store_u64(b->p + 16, (uint64_t)(b->len - CN_CONTAINER_HEADER));
    crypto_generichash(b->p + b->len, CN_CONTAINER_TRAILER, b->p, b->len, NULL, 0);
    *out = b->p;
    *len = b->len + CN_CONTAINER_TRAILER;
    b->p = NULL;
    b->len = b->cap = 0;
    return CRYPTONN_OK;
}

int fe_write_bytes(const char *path, const uint8_t *buf, size_t len, unsigned mode)
{
    cn_part part = {buf, len};
    return cn_file_write_atomic(path, &part, 1, mode);
}

int fe_read_bytes(const char *path, size_t max_len, uint8_t **buf, size_t *len)
{
    return cn_file_read_all(path, max_len, buf, len);
}
