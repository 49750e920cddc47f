/* The growable buffer every encoder writes into (util.h): room for the
 * container header is kept at the front and for the trailer at the end, so a
 * finished buffer becomes a container in place. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/util.h"

void cn_buf_init(cn_buf *b, size_t reserve, int secret)
{
    b->cap = CN_CONTAINER_HEADER + reserve + CN_CONTAINER_TRAILER;
    b->p = malloc(b->cap);
    b->oom = b->p == NULL;
    b->secret = secret;
    /* The header is filled in by cn_buf_finish once the length is known. */
    b->len = CN_CONTAINER_HEADER;
    if (b->oom) b->cap = 0;
}

static void grow(cn_buf *b, size_t need)
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

void cn_buf_put(cn_buf *b, const void *data, size_t n)
{
    if (b->oom) return;
    if (b->len + n + CN_CONTAINER_TRAILER > b->cap) grow(b, b->len + n + CN_CONTAINER_TRAILER);
    if (b->oom) return;
    memcpy(b->p + b->len, data, n);
    b->len += n;
}

uint8_t *cn_buf_extend(cn_buf *b, size_t n)
{
    if (b->oom) return NULL;
    if (b->len + n + CN_CONTAINER_TRAILER > b->cap) grow(b, b->len + n + CN_CONTAINER_TRAILER);
    if (b->oom) return NULL;
    b->len += n;
    return b->p + b->len - n;
}

void cn_buf_u32(cn_buf *b, uint32_t v)
{
    uint8_t t[4];
    cn_store_u32(t, v);
    cn_buf_put(b, t, 4);
}

void cn_buf_u64(cn_buf *b, uint64_t v)
{
    uint8_t t[8];
    cn_store_u64(t, v);
    cn_buf_put(b, t, 8);
}

void cn_buf_free(cn_buf *b)
{
    if (b->secret) cn_wipe(b->p, b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
}

int cn_buf_finish(cn_buf *b, const char kind[4], uint32_t version, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->oom) {
        cn_buf_free(b);
        return CRYPTONN_ERR_NOMEM;
    }
    cn_container_header(b->p, kind, version, (uint64_t)(b->len - CN_CONTAINER_HEADER));
    crypto_generichash(b->p + b->len, CN_CONTAINER_TRAILER, b->p, b->len, NULL, 0);
    *out = b->p;
    *len = b->len + CN_CONTAINER_TRAILER;
    b->p = NULL;
    b->len = b->cap = 0;
    return CRYPTONN_OK;
}


int cn_buf_take(cn_buf *b, uint8_t **out, size_t *len)
{
    *out = NULL;
    *len = 0;
    if (b->oom) {
        cn_buf_free(b);
        return CRYPTONN_ERR_NOMEM;
    }
    size_t n = b->len - CN_CONTAINER_HEADER;
    memmove(b->p, b->p + CN_CONTAINER_HEADER, n);
    *out = b->p;
    *len = n;
    b->p = NULL;
    b->len = b->cap = 0;
    return CRYPTONN_OK;
}
