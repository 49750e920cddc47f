/* keyreq: the server <-> authority messages (keyreq.h). Every decoder first
 * parses the container (checksum, exact length), then checks that each
 * declared count fits in the bytes that remain before it allocates, so a
 * hostile message costs at most its own length in memory. */
#include "protocol/keyreq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "util/util.h"

#define V1 1u
#define V2 2u
/* KRQG: the layer's shape as ten u32 (version 1) or twelve (version 2:
 * stride and padding) ahead of dZ1. */
#define GRAD_HEAD_V1 40
#define GRAD_HEAD_V2 48
#define MAX_MSG ((size_t)1 << 34)
#define MAX_REASON 4096u
/* A FEBO ciphertext / key export is a fixed-size container; anything larger
 * in a message is refused before it is parsed. */
#define MAX_FEBO_ITEM 4096u

/* 1 if buf is a container of this kind (header only; the parser checks the rest). */
static int is_kind(const uint8_t *buf, size_t len, const char kind[4])
{
    return len >= CN_CONTAINER_HEADER && memcmp(buf, "CRYPTONN", 8) == 0 &&
           memcmp(buf + 8, kind, 4) == 0;
}

/* ---- FEIP key requests ---- */

/* The structural rules shared by the encoder (caller bugs) and the decoder
 * (bad input). */
static int feip_structure_ok(const cn_feip_keyreq *r)
{
    if (r->mpk != CN_MPK_SAMPLES && r->mpk != CN_MPK_BATCH) return 0;
    if (r->rowptr[0] != 0 || r->rowptr[r->nkeys] != r->nnz) return 0;
    for (uint32_t k = 0; k < r->nkeys; k++) {
        uint64_t a = r->rowptr[k], b = r->rowptr[k + 1];
        if (b < a || b > r->nnz) return 0;
        for (uint64_t j = a + 1; j < b; j++)
            if (r->idx[j] <= r->idx[j - 1]) return 0;
    }
    return 1;
}

/* Header of a container whose payload is written in place after it. */
static void seal(uint8_t *b, const char kind[4], size_t plen)
{
    memcpy(b, "CRYPTONN", 8);
    memcpy(b + 8, kind, 4);
    cn_store_u32(b + 12, V1);
    cn_store_u64(b + 16, plen);
    crypto_generichash(b + CN_CONTAINER_HEADER + plen, CN_CONTAINER_TRAILER, b,
                       CN_CONTAINER_HEADER + plen, NULL, 0);
}

int cn_keyreq_feip_encode(const cn_feip_keyreq *r, uint8_t **buf, size_t *len)
{
    CN_ARG_CHECK(r && buf && len && r->rowptr && (r->nnz == 0 || (r->idx && r->val)));
    if (!feip_structure_ok(r)) return CRYPTONN_ERR_ARG;
    size_t plen = 16 + 8 * ((size_t)r->nkeys + 1) + 12 * (size_t)r->nnz;
    size_t total = CN_CONTAINER_HEADER + plen + CN_CONTAINER_TRAILER;
    uint8_t *b = cn_alloc_large(total);
    if (!b) return CRYPTONN_ERR_NOMEM;
    uint8_t *w = b + CN_CONTAINER_HEADER;
    cn_store_u32(w, r->mpk);
    cn_store_u32(w + 4, r->nkeys);
    cn_store_u64(w + 8, r->nnz);
    w += 16;
    for (uint32_t k = 0; k <= r->nkeys; k++, w += 8) cn_store_u64(w, r->rowptr[k]);
    for (uint64_t j = 0; j < r->nnz; j++, w += 4) cn_store_u32(w, r->idx[j]);
    for (uint64_t j = 0; j < r->nnz; j++, w += 8) cn_store_u64(w, (uint64_t)r->val[j]);
    seal(b, "KRQI", plen);
    *buf = b;
    *len = total;
    return CRYPTONN_OK;
}

int cn_keyreq_feip_decode(cn_feip_keyreq *r, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(r && (buf || len == 0));
    memset(r, 0, sizeof *r);
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "KRQI", V1, MAX_MSG, &pl, &plen));
    cn_reader rd = {pl, plen};
    uint32_t mpk, nkeys;
    uint64_t nnz;
    CN_TRY(cn_read_u32(&rd, &mpk));
    CN_TRY(cn_read_u32(&rd, &nkeys));
    CN_TRY(cn_read_u64(&rd, &nnz));
    /* The body's size follows from the counts: check it exactly before
     * allocating anything sized by them. */
    if (nnz > rd.left / 12) return CRYPTONN_ERR_TRUNCATED;
    if ((uint64_t)nkeys + 1 > (rd.left - 12 * nnz) / 8) return CRYPTONN_ERR_TRUNCATED;
    if (rd.left != 8 * ((uint64_t)nkeys + 1) + 12 * nnz) return CRYPTONN_ERR_FORMAT;
    CN_TRY(cn_keyreq_feip_alloc(r, nkeys, nnz));
    r->mpk = mpk;
    r->nkeys = nkeys;
    r->nnz = nnz;
    const uint8_t *p = rd.p;
    for (uint32_t k = 0; k <= nkeys; k++, p += 8) r->rowptr[k] = cn_load_u64(p);
    for (uint64_t j = 0; j < nnz; j++, p += 4) r->idx[j] = cn_load_u32(p);
    for (uint64_t j = 0; j < nnz; j++, p += 8) r->val[j] = (int64_t)cn_load_u64(p);
    if (!feip_structure_ok(r)) {
        cn_keyreq_feip_free(r);
        return CRYPTONN_ERR_FORMAT;
    }
    return CRYPTONN_OK;
}

/* ---- FEBO key requests and responses ---- */

/* Appends u64 len, the bytes, and `extra` more bytes of room for the caller
 * (written at the returned offset), growing the buffer as needed. Returns
 * the offset just after the bytes, or 0 on OOM (offsets are never 0). */
static size_t put_blob(uint8_t **p, size_t *cap, size_t at, const uint8_t *e, size_t el,
                       size_t extra)
{
    if (at + 8 + el + extra > *cap) {
        size_t nc = 2 * *cap + 8 + el + extra;
        uint8_t *q = realloc(*p, nc);
        if (!q) return 0;
        *p = q;
        *cap = nc;
    }
    cn_store_u64(*p + at, el);
    memcpy(*p + at + 8, e, el);
    return at + 8 + el;
}

int cn_keyreq_febo_encode(cryptonn_febo_op op, const cryptonn_febo_ct *const *cts,
                          const int64_t *y, uint32_t n, uint8_t **buf, size_t *len)
{
    CN_ARG_CHECK(buf && len && (n == 0 || (cts && y)));
    if ((unsigned)op > CRYPTONN_FEBO_DIV) return CRYPTONN_ERR_ARG;
    size_t cap = 8 + (size_t)n * (16 + 140), at = 0;
    uint8_t *p = malloc(cap);
    if (!p) return CRYPTONN_ERR_NOMEM;
    cn_store_u32(p, (uint32_t)op);
    cn_store_u32(p + 4, n);
    at = 8;
    int rc = CRYPTONN_OK;
    for (uint32_t i = 0; i < n && rc == CRYPTONN_OK; i++) {
        uint8_t *e;
        size_t el;
        rc = cryptonn_febo_ct_export(cts[i], &e, &el);
        if (rc != CRYPTONN_OK) break;
        size_t next = put_blob(&p, &cap, at, e, el, 8);
        if (!next) rc = CRYPTONN_ERR_NOMEM;
        else {
            cn_store_u64(p + next, (uint64_t)y[i]);
            at = next + 8;
        }
        free(e);
    }
    if (rc == CRYPTONN_OK) {
        cn_part part = {p, at};
        rc = cn_container_wrap("KRQB", V1, &part, 1, buf, len);
    }
    free(p);
    return rc;
}

static void free_cts(cryptonn_febo_ct **cts, uint32_t n)
{
    if (!cts) return;
    for (uint32_t i = 0; i < n; i++) cryptonn_febo_ct_destroy(cts[i]);
    free(cts);
}

int cn_keyreq_febo_decode(const uint8_t *buf, size_t len, cryptonn_febo_op *op,
                          cryptonn_febo_ct ***cts, int64_t **y, uint32_t *n)
{
    CN_ARG_CHECK((buf || len == 0) && op && cts && y && n);
    *cts = NULL;
    *y = NULL;
    *n = 0;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "KRQB", V1, MAX_MSG, &pl, &plen));
    cn_reader rd = {pl, plen};
    uint32_t o, count;
    CN_TRY(cn_read_u32(&rd, &o));
    CN_TRY(cn_read_u32(&rd, &count));
    if (o > CRYPTONN_FEBO_DIV) return CRYPTONN_ERR_FORMAT;
    /* every item takes at least a length, a container and a value */
    if (count > rd.left / (16 + CN_CONTAINER_HEADER + CN_CONTAINER_TRAILER))
        return CRYPTONN_ERR_TRUNCATED;
    cryptonn_febo_ct **c = calloc(count ? count : 1, sizeof *c);
    int64_t *v = malloc(count ? 8 * (size_t)count : 8);
    int rc = c && v ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    for (uint32_t i = 0; i < count && rc == CRYPTONN_OK; i++) {
        uint64_t el, yv;
        const uint8_t *e;
        rc = cn_read_u64(&rd, &el);
        if (rc == CRYPTONN_OK && el > MAX_FEBO_ITEM) rc = CRYPTONN_ERR_FORMAT;
        if (rc == CRYPTONN_OK) rc = cn_read_view(&rd, &e, (size_t)el);
        if (rc == CRYPTONN_OK) rc = cn_read_u64(&rd, &yv);
        if (rc == CRYPTONN_OK) rc = cryptonn_febo_ct_import(&c[i], e, (size_t)el);
        if (rc == CRYPTONN_OK) v[i] = (int64_t)yv;
    }
    if (rc == CRYPTONN_OK && rd.left != 0) rc = CRYPTONN_ERR_FORMAT;
    if (rc != CRYPTONN_OK) {
        free_cts(c, count);
        free(v);
        return rc;
    }
    *op = (cryptonn_febo_op)o;
    *cts = c;
    *y = v;
    *n = count;
    return CRYPTONN_OK;
}

int cn_keyresp_febo_encode(const cryptonn_febo_key *const *keys, uint32_t n, uint8_t **buf,
                           size_t *len)
{
    CN_ARG_CHECK(buf && len && (n == 0 || keys));
    size_t cap = 4 + (size_t)n * 200, at = 4;
    uint8_t *p = malloc(cap);
    if (!p) return CRYPTONN_ERR_NOMEM;
    cn_store_u32(p, n);
    int rc = CRYPTONN_OK;
    for (uint32_t i = 0; i < n && rc == CRYPTONN_OK; i++) {
        uint8_t *e;
        size_t el;
        rc = cryptonn_febo_key_export(keys[i], &e, &el);
        if (rc != CRYPTONN_OK) break;
        size_t next = put_blob(&p, &cap, at, e, el, 0);
        if (!next) rc = CRYPTONN_ERR_NOMEM;
        else at = next;
        free(e);
    }
    if (rc == CRYPTONN_OK) {
        cn_part part = {p, at};
        rc = cn_container_wrap("BOKS", V1, &part, 1, buf, len);
    }
    free(p);
    return rc;
}

int cn_keyresp_febo_decode(const uint8_t *buf, size_t len, cryptonn_febo_key **keys, uint32_t n)
{
    CN_ARG_CHECK((buf || len == 0) && (n == 0 || keys));
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "BOKS", V1, MAX_MSG, &pl, &plen));
    cn_reader rd = {pl, plen};
    uint32_t count;
    CN_TRY(cn_read_u32(&rd, &count));
    if (count != n) return CRYPTONN_ERR_MISMATCH;
    /* all or nothing: import into a scratch array, swap in only on success */
    cryptonn_febo_key **tmp = calloc(n ? n : 1, sizeof *tmp);
    if (!tmp) return CRYPTONN_ERR_NOMEM;
    int rc = CRYPTONN_OK;
    for (uint32_t i = 0; i < n && rc == CRYPTONN_OK; i++) {
        uint64_t el;
        const uint8_t *e;
        rc = cn_read_u64(&rd, &el);
        if (rc == CRYPTONN_OK && el > MAX_FEBO_ITEM) rc = CRYPTONN_ERR_FORMAT;
        if (rc == CRYPTONN_OK) rc = cn_read_view(&rd, &e, (size_t)el);
        if (rc == CRYPTONN_OK) rc = cryptonn_febo_key_import(&tmp[i], e, (size_t)el);
    }
    if (rc == CRYPTONN_OK && rd.left != 0) rc = CRYPTONN_ERR_FORMAT;
    for (uint32_t i = 0; i < n; i++) {
        if (rc == CRYPTONN_OK) {
            cryptonn_febo_key_destroy(keys[i]);
            keys[i] = tmp[i];
        } else cryptonn_febo_key_destroy(tmp[i]);
    }
    free(tmp);
    return rc;
}

/* ---- key scalar responses ---- */

int cn_keyresp_sk_encode(uint32_t mpk, const uint8_t *sks, uint32_t nkeys, uint8_t **buf,
                         size_t *len)
{
    CN_ARG_CHECK(buf && len && (nkeys == 0 || sks));
    uint8_t head[8];
    cn_store_u32(head, mpk);
    cn_store_u32(head + 4, nkeys);
    cn_part parts[2] = {{head, 8}, {sks, 32 * (size_t)nkeys}};
    return cn_container_wrap("KRSK", V1, parts, 2, buf, len);
}

int cn_keyresp_sk_decode(const uint8_t *buf, size_t len, uint32_t mpk, uint32_t nkeys,
                         const uint8_t **sks)
{
    CN_ARG_CHECK((buf || len == 0) && sks);
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "KRSK", V1, MAX_MSG, &pl, &plen));
    if (plen < 8) return CRYPTONN_ERR_TRUNCATED;
    if (plen != 8 + 32 * (uint64_t)cn_load_u32(pl + 4)) return CRYPTONN_ERR_FORMAT;
    /* keys for another mpk or another number of vectors than asked for
     * would decrypt the wrong functions */
    if (cn_load_u32(pl) != mpk || cn_load_u32(pl + 4) != nkeys) return CRYPTONN_ERR_MISMATCH;
    *sks = pl + 8;
    return CRYPTONN_OK;
}

/* ---- error responses ---- */

int cn_keyresp_error_encode(int status, const char *reason, uint8_t **buf, size_t *len)
{
    CN_ARG_CHECK(buf && len && status < 0);
    if (!reason) reason = "";
    size_t rl = strlen(reason);
    if (rl > MAX_REASON) rl = MAX_REASON;
    uint8_t head[8];
    cn_store_u32(head, (uint32_t)(int32_t)status);
    cn_store_u32(head + 4, (uint32_t)rl);
    cn_part parts[2] = {{head, 8}, {reason, rl}};
    return cn_container_wrap("KERR", V1, parts, 2, buf, len);
}

int cn_keyresp_error_decode(const uint8_t *buf, size_t len, char *reason, size_t reason_len)
{
    CN_ARG_CHECK((buf || len == 0) && (reason || reason_len == 0));
    if (reason_len) reason[0] = '\0';
    if (!is_kind(buf, len, "KERR")) return CRYPTONN_OK;
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_parse(buf, len, "KERR", V1, 8 + MAX_REASON, &pl, &plen);
    /* A damaged error response is still an error, just without a reason. */
    if (rc != CRYPTONN_OK) return rc;
    if (plen < 8) return CRYPTONN_ERR_TRUNCATED;
    int32_t st = (int32_t)cn_load_u32(pl);
    uint32_t rl = cn_load_u32(pl + 4);
    if (rl != plen - 8 || st >= 0 || st < -1000) return CRYPTONN_ERR_FORMAT;
    if (reason_len) {
        size_t n = rl < reason_len - 1 ? rl : reason_len - 1;
        for (size_t i = 0; i < n; i++) {
            /* printable ASCII or UTF-8 bytes only: the reason ends up on a terminal */
            uint8_t c = pl[8 + i];
            reason[i] = (char)(c >= 0x20 && c != 0x7f ? c : '?');
        }
        reason[n] = '\0';
    }
    return st;
}

/* ---- the first-layer gradient request ---- */

int cn_gradreq_encode(const cn_grad_req *g, uint8_t **buf, size_t *len)
{
    CN_ARG_CHECK(g && g->dz && buf && len);
    if (cn_grad_shape_ok(g) != CRYPTONN_OK) return CRYPTONN_ERR_ARG;
    const int v1 = g->stride == 1 && g->pad == 0;
    const size_t head_len = v1 ? GRAD_HEAD_V1 : GRAD_HEAD_V2;
    uint8_t head[GRAD_HEAD_V2];
    const uint32_t f[12] = {CN_MPK_BATCH, g->conv, g->n,     g->in_c,  g->in_h,   g->in_w,
                            g->k,         g->out_c, g->out_h, g->out_w, g->stride, g->pad};
    for (size_t i = 0; i < head_len / 4; i++) cn_store_u32(head + 4 * i, f[i]);
    size_t count = (size_t)g->n * g->out_c * g->out_h * g->out_w;
    uint8_t *body = malloc(8 * count);
    if (!body) return CRYPTONN_ERR_NOMEM;
    for (size_t i = 0; i < count; i++) cn_store_u64(body + 8 * i, (uint64_t)g->dz[i]);
    cn_part parts[2] = {{head, head_len}, {body, 8 * count}};
    int rc = cn_container_wrap("KRQG", v1 ? V1 : V2, parts, 2, buf, len);
    free(body);
    return rc;
}

int cn_gradreq_decode(cn_grad_req *g, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(g && (buf || len == 0));
    memset(g, 0, sizeof *g);
    const uint8_t *pl;
    size_t plen;
    uint32_t v;
    CN_TRY(cn_container_parse_any(buf, len, "KRQG", V1, V2,
                                  (size_t)8 * CN_GRAD_MAX_EXPANDED + GRAD_HEAD_V2, &v, &pl, &plen));
    const size_t head_len = v == V1 ? GRAD_HEAD_V1 : GRAD_HEAD_V2;
    if (plen < head_len) return CRYPTONN_ERR_TRUNCATED;
    if (cn_load_u32(pl) != CN_MPK_BATCH) return CRYPTONN_ERR_FORMAT;
    cn_grad_req t = {.stride = 1};
    uint32_t *f[11] = {&t.conv,  &t.n,     &t.in_c,  &t.in_h,   &t.in_w, &t.k,
                       &t.out_c, &t.out_h, &t.out_w, &t.stride, &t.pad};
    for (size_t i = 0; i + 1 < head_len / 4; i++) *f[i] = cn_load_u32(pl + 4 * (i + 1));
    CN_TRY(cn_grad_shape_ok(&t));
    /* bounded by the expansion cap (shape_ok), so no product wraps */
    uint64_t count = (uint64_t)t.n * t.out_c * t.out_h * t.out_w, body = plen - head_len;
    if (body / 8 < count) return CRYPTONN_ERR_TRUNCATED;
    if (body % 8 != 0 || body / 8 != count) return CRYPTONN_ERR_FORMAT;
    t.dz = malloc(8 * (size_t)count);
    if (!t.dz) return CRYPTONN_ERR_NOMEM;
    for (uint64_t i = 0; i < count; i++) t.dz[i] = (int64_t)cn_load_u64(pl + head_len + 8 * i);
    *g = t;
    return CRYPTONN_OK;
}
