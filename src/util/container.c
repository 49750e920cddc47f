/* The checksummed, versioned container of every cryptonn file (util.h). */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/util.h"

static const uint8_t MAGIC[8] = {'C', 'R', 'Y', 'P', 'T', 'O', 'N', 'N'};

void cn_container_header(uint8_t out[CN_CONTAINER_HEADER], const char kind[4], uint32_t version,
                         uint64_t payload_len)
{
    memcpy(out, MAGIC, 8);
    memcpy(out + 8, kind, 4);
    cn_store_u32(out + 12, version);
    cn_store_u64(out + 16, payload_len);
}

/* Header and trailer of a container of the parts. */
static void frame(const char kind[4], uint32_t version, const cn_part *parts, size_t nparts,
                  uint8_t header[CN_CONTAINER_HEADER], uint8_t digest[CN_CONTAINER_TRAILER],
                  uint64_t *payload_len)
{
    uint64_t len = 0;
    for (size_t i = 0; i < nparts; i++) len += parts[i].len;
    cn_container_header(header, kind, version, len);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, CN_CONTAINER_TRAILER);
    crypto_generichash_update(&st, header, CN_CONTAINER_HEADER);
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].len) crypto_generichash_update(&st, parts[i].data, parts[i].len);
    crypto_generichash_final(&st, digest, CN_CONTAINER_TRAILER);
    *payload_len = len;
}

int cn_container_write(const char *path, const char kind[4], uint32_t version,
                       const cn_part *parts, size_t nparts, unsigned mode)
{
    CN_ARG_CHECK(path && (parts || !nparts));
    uint8_t header[CN_CONTAINER_HEADER], digest[CN_CONTAINER_TRAILER];
    uint64_t len;
    frame(kind, version, parts, nparts, header, digest, &len);
    cn_part *all = cn_malloc_array(nparts + 2, sizeof *all);
    if (!all) return CRYPTONN_ERR_NOMEM;
    all[0] = (cn_part){header, sizeof header};
    for (size_t i = 0; i < nparts; i++) all[1 + i] = parts[i];
    all[1 + nparts] = (cn_part){digest, sizeof digest};
    int rc = cn_file_write_atomic(path, all, nparts + 2, mode);
    free(all);
    return rc;
}

int cn_container_wrap(const char kind[4], uint32_t version, const cn_part *parts, size_t nparts,
                      uint8_t **buf, size_t *len)
{
    CN_ARG_CHECK(buf && len && (parts || !nparts));
    uint8_t header[CN_CONTAINER_HEADER], digest[CN_CONTAINER_TRAILER];
    uint64_t plen;
    frame(kind, version, parts, nparts, header, digest, &plen);
    if (plen > SIZE_MAX - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER) return CRYPTONN_ERR_TOO_LARGE;
    size_t total = CN_CONTAINER_HEADER + (size_t)plen + CN_CONTAINER_TRAILER, at = 0;
    uint8_t *b = cn_alloc_large(total);
    if (!b) return CRYPTONN_ERR_NOMEM;
    memcpy(b, header, sizeof header);
    at = sizeof header;
    for (size_t i = 0; i < nparts; i++)
        if (parts[i].len) {
            memcpy(b + at, parts[i].data, parts[i].len);
            at += parts[i].len;
        }
    memcpy(b + at, digest, sizeof digest);
    *buf = b;
    *len = total;
    return CRYPTONN_OK;
}

int cn_container_parse(const uint8_t *buf, size_t len, const char kind[4], uint32_t version,
                       size_t max_payload, const uint8_t **payload, size_t *payload_len)
{
    if (len >= 8 && memcmp(buf, MAGIC, 8) != 0) return CRYPTONN_ERR_FORMAT;
    if (len < CN_CONTAINER_HEADER) return CRYPTONN_ERR_TRUNCATED;
    if (memcmp(buf + 8, kind, 4) != 0) return CRYPTONN_ERR_FORMAT;
    if (cn_load_u32(buf + 12) != version) return CRYPTONN_ERR_VERSION;
    uint64_t plen = cn_load_u64(buf + 16);
    if (plen > max_payload) return CRYPTONN_ERR_TOO_LARGE;
    size_t need = CN_CONTAINER_HEADER + (size_t)plen + CN_CONTAINER_TRAILER;
    if (len < need) return CRYPTONN_ERR_TRUNCATED;
    if (len > need) return CRYPTONN_ERR_FORMAT;
    uint8_t digest[CN_CONTAINER_TRAILER];
    crypto_generichash(digest, sizeof digest, buf, CN_CONTAINER_HEADER + (size_t)plen, NULL, 0);
    if (sodium_memcmp(digest, buf + CN_CONTAINER_HEADER + plen, sizeof digest) != 0)
        return CRYPTONN_ERR_CHECKSUM;
    *payload = buf + CN_CONTAINER_HEADER;
    *payload_len = (size_t)plen;
    return CRYPTONN_OK;
}

int cn_container_parse_any(const uint8_t *buf, size_t len, const char kind[4], uint32_t lo,
                           uint32_t hi, size_t max_payload, uint32_t *version,
                           const uint8_t **payload, size_t *payload_len)
{
    /* a version outside [lo, hi] is checked as lo: the parser then reports
     * what comes first in its order (truncation, magic, kind, version) */
    uint32_t v = len >= CN_CONTAINER_HEADER ? cn_load_u32(buf + 12) : lo;
    if (v < lo || v > hi) v = lo;
    CN_TRY(cn_container_parse(buf, len, kind, v, max_payload, payload, payload_len));
    *version = v;
    return CRYPTONN_OK;
}

int cn_container_read_any(const char *path, const char kind[4], uint32_t lo, uint32_t hi,
                          size_t max_payload, uint32_t *version, uint8_t **file,
                          const uint8_t **payload, size_t *payload_len)
{
    uint8_t *buf;
    size_t len;
    size_t max_file = max_payload > SIZE_MAX - 64 ? SIZE_MAX
                                                  : max_payload + CN_CONTAINER_HEADER + CN_CONTAINER_TRAILER;
    int rc = cn_file_read_all(path, max_file, &buf, &len);
    if (rc != CRYPTONN_OK) return rc;
    rc = cn_container_parse_any(buf, len, kind, lo, hi, max_payload, version, payload, payload_len);
    if (rc != CRYPTONN_OK) {
        cn_wipe(buf, len);
        free(buf);
        return rc;
    }
    *file = buf;
    return CRYPTONN_OK;
}

int cn_container_read(const char *path, const char kind[4], uint32_t version, size_t max_payload,
                      uint8_t **file, const uint8_t **payload, size_t *payload_len)
{
    uint32_t v;
    return cn_container_read_any(path, kind, version, version, max_payload, &v, file, payload,
                                 payload_len);
}

int cn_read_bytes(cn_reader *r, void *out, size_t n)
{
    if (r->left < n) return CRYPTONN_ERR_TRUNCATED;
    memcpy(out, r->p, n);
    r->p += n;
    r->left -= n;
    return CRYPTONN_OK;
}

int cn_read_view(cn_reader *r, const uint8_t **out, size_t n)
{
    if (r->left < n) return CRYPTONN_ERR_TRUNCATED;
    *out = r->p;
    r->p += n;
    r->left -= n;
    return CRYPTONN_OK;
}

int cn_read_u32(cn_reader *r, uint32_t *v)
{
    uint8_t b[4];
    CN_TRY(cn_read_bytes(r, b, 4));
    *v = cn_load_u32(b);
    return CRYPTONN_OK;
}

int cn_read_u64(cn_reader *r, uint64_t *v)
{
    uint8_t b[8];
    CN_TRY(cn_read_bytes(r, b, 8));
    *v = cn_load_u64(b);
    return CRYPTONN_OK;
}
