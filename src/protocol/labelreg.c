/* Label ciphertext registrations (labelreg.h). */
#include "protocol/labelreg.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/keyreq.h"
#include "util/util.h"

#define V1 1u

void cn_label_digest_bytes(const uint8_t *export_bytes, size_t len, uint8_t out[16])
{
    crypto_generichash(out, 16, export_bytes, len, NULL, 0);
}

int cn_label_digest(const cryptonn_febo_ct *ct, uint8_t out[16])
{
    uint8_t *e = NULL;
    size_t el = 0;
    CN_TRY(cryptonn_febo_ct_export(ct, &e, &el));
    cn_label_digest_bytes(e, el, out);
    free(e);
    return CRYPTONN_OK;
}

int cn_labelreg_add(cn_labelreg *r, const uint8_t d[16])
{
    if (r->n == r->cap) {
        uint64_t c = r->cap ? 2 * r->cap : 1024;
        uint8_t *q = realloc(r->d, (size_t)c * 16);
        if (!q) return CRYPTONN_ERR_NOMEM;
        r->d = q;
        r->cap = c;
    }
    memcpy(r->d + 16 * r->n++, d, 16);
    return CRYPTONN_OK;
}

void cn_labelreg_free(cn_labelreg *r)
{
    if (!r) return;
    free(r->d);
    memset(r, 0, sizeof *r);
}

static int payload(const cn_labelreg *r, uint8_t **buf, size_t *len, uint8_t head[24])
{
    memcpy(head, r->mpk_id, 16);
    cn_store_u64(head + 16, r->n);
    *buf = r->d;
    *len = (size_t)r->n * 16;
    return CRYPTONN_OK;
}

int cn_labelreg_encode(const cn_labelreg *r, uint8_t **buf, size_t *len)
{
    uint8_t head[24], *d;
    size_t dl;
    payload(r, &d, &dl, head);
    cn_part parts[2] = {{head, sizeof head}, {d, dl}};
    return cn_container_wrap("LREG", V1, parts, 2, buf, len);
}

int cn_labelreg_decode(cn_labelreg *r, const uint8_t *buf, size_t len)
{
    memset(r, 0, sizeof *r);
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "LREG", V1, 24 + (size_t)CN_LABELREG_MAX * 16, &pl, &plen));
    if (plen < 24) return CRYPTONN_ERR_TRUNCATED;
    uint64_t n = cn_load_u64(pl + 16);
    if (n > CN_LABELREG_MAX || n > (plen - 24) / 16) return CRYPTONN_ERR_TRUNCATED;
    if (plen != 24 + 16 * n) return CRYPTONN_ERR_FORMAT;
    memcpy(r->mpk_id, pl, 16);
    r->d = malloc(n ? (size_t)n * 16 : 1);
    if (!r->d) return CRYPTONN_ERR_NOMEM;
    if (n) memcpy(r->d, pl + 24, (size_t)n * 16);
    r->n = r->cap = n;
    return CRYPTONN_OK;
}

int cn_labelreg_write(const char *path, const cn_labelreg *r)
{
    uint8_t head[24], *d;
    size_t dl;
    payload(r, &d, &dl, head);
    cn_part parts[2] = {{head, sizeof head}, {d, dl}};
    return cn_container_write(path, "LREG", V1, parts, 2, 0644);
}
