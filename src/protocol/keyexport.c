/* keyexport: the "KEXP" file (keyexport.h). The key body is a KRQI request
 * body, so both directions go through keyreq's encoder and decoder, which
 * already bound every count and check the compressed-row structure; this
 * file adds the header and the checks that need the width. */
#include "protocol/keyexport.h"

#include <stdlib.h>
#include <string.h>

#include "cryptonn/feip.h"
#include "util/util.h"

#define V1 1u /* the version of the key-request messages (keyreq.c) */

#define KEXP_V1 1u
#define HEAD 32     /* mpk id 16 + four u32 */
#define KRQI_MPK 4  /* the field of a KRQI payload this format leaves out */
#define MAX_EXPORT ((size_t)1 << 34)

static uint64_t width_of(const cn_keyexport *e)
{
    return (uint64_t)e->in_c * e->in_h * e->in_w;
}

/* The rules keyreq does not know: the shape, the mode, indexes below the width. */
static int header_ok(const cn_keyexport *e)
{
    if (!e->in_c || !e->in_h || !e->in_w) return 0;
    if (e->in_c > 4096 || e->in_h > 4096 || e->in_w > 4096) return 0;
    if (width_of(e) > CRYPTONN_FEIP_MAX_SLOTS) return 0;
    return e->mode <= 1;
}

static int indexes_ok(const cn_keyexport *e)
{
    uint64_t w = width_of(e);
    for (uint64_t j = 0; j < e->keys.nnz; j++)
        if (e->keys.idx[j] >= w) return 0;
    return 1;
}

int cn_keyexport_encode(const cn_keyexport *e, uint8_t **buf, size_t *len)
{
    CN_ARG_CHECK(e && buf && len);
    if (!header_ok(e) || e->keys.mpk != CN_MPK_SAMPLES || !indexes_ok(e)) return CRYPTONN_ERR_ARG;
    uint8_t *req;
    size_t req_len;
    CN_TRY(cn_keyreq_feip_encode(&e->keys, &req, &req_len));
    uint8_t head[HEAD];
    memcpy(head, e->mpk_id, 16);
    cn_store_u32(head + 16, e->in_c);
    cn_store_u32(head + 20, e->in_h);
    cn_store_u32(head + 24, e->in_w);
    cn_store_u32(head + 28, e->mode);
    size_t body = req_len - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER - KRQI_MPK;
    cn_part parts[2] = {{head, HEAD}, {req + CN_CONTAINER_HEADER + KRQI_MPK, body}};
    int rc = cn_container_wrap("KEXP", V1, parts, 2, buf, len);
    free(req);
    return rc;
}

int cn_keyexport_write(const char *path, const cn_keyexport *e)
{
    CN_ARG_CHECK(path && e);
    uint8_t *buf;
    size_t len;
    CN_TRY(cn_keyexport_encode(e, &buf, &len));
    cn_part part = {buf, len};
    int rc = cn_file_write_atomic(path, &part, 1, 0644);
    free(buf);
    return rc;
}

int cn_keyexport_decode(cn_keyexport *e, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(e && (buf || len == 0));
    memset(e, 0, sizeof *e);
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "KEXP", KEXP_V1, MAX_EXPORT, &pl, &plen));
    if (plen < HEAD) return CRYPTONN_ERR_TRUNCATED;
    memcpy(e->mpk_id, pl, 16);
    e->in_c = cn_load_u32(pl + 16);
    e->in_h = cn_load_u32(pl + 20);
    e->in_w = cn_load_u32(pl + 24);
    e->mode = cn_load_u32(pl + 28);
    if (!header_ok(e)) return CRYPTONN_ERR_FORMAT;
    /* Re-frame the body as the KRQI request it is and let keyreq parse it. */
    uint8_t mpk[KRQI_MPK];
    cn_store_u32(mpk, CN_MPK_SAMPLES);
    cn_part parts[2] = {{mpk, KRQI_MPK}, {pl + HEAD, plen - HEAD}};
    uint8_t *req;
    size_t req_len;
    CN_TRY(cn_container_wrap("KRQI", V1, parts, 2, &req, &req_len));
    int rc = cn_keyreq_feip_decode(&e->keys, req, req_len);
    free(req);
    if (rc == CRYPTONN_OK && !indexes_ok(e)) rc = CRYPTONN_ERR_FORMAT;
    if (rc != CRYPTONN_OK) cn_keyexport_free(e);
    return rc;
}

int cn_keyexport_read(const char *path, cn_keyexport *e)
{
    CN_ARG_CHECK(path && e);
    memset(e, 0, sizeof *e);
    uint8_t *buf;
    size_t len;
    CN_TRY(cn_file_read_all(path, MAX_EXPORT + CN_CONTAINER_HEADER + CN_CONTAINER_TRAILER, &buf,
                            &len));
    int rc = cn_keyexport_decode(e, buf, len);
    free(buf);
    return rc;
}

void cn_keyexport_free(cn_keyexport *e)
{
    if (!e) return;
    cn_keyreq_feip_free(&e->keys);
    memset(e, 0, sizeof *e);
}
