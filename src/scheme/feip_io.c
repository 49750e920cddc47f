/* FEIP file and wire formats (feip.h). Each payload starts with
 * u32 group id (1 = ristretto255) and u32 width n; readers validate every
 * size against the bytes present before allocating, and every point and
 * scalar encoding. All integers little-endian.
 *
 *   IPMK v1: group, n, h[n] (32 each)
 *   IPSK v1: group, n, mpk id[16], s[n] (canonical scalars)      mode 0600
 *   IPFK v1: group, n, id[16], u64 count, u64 nnz,
 *            count × { u32 m, sk[32], idx[m] u32, val[m] i64 }
 *   IPCT v1: group, n, id[16], c0, c[n]
 *   IPCB v1: group, n, id[16], u64 count, count × { c0, c[n] } */
#include <stdlib.h>
#include <string.h>

#include "scheme/fe_codec.h"
#include "scheme/feip_internal.h"
#include "scheme/feip_slice.h"
#include "util/util.h"

#define V1 1u
#define MAX_FILE ((size_t)1 << 34)

static int check_head(cn_reader *r, uint32_t *n, int allow_zero)
{
    uint32_t g;
    CN_TRY(cn_read_u32(r, &g));
    CN_TRY(cn_read_u32(r, n));
    if (g != FE_GROUP_RISTRETTO255) return CRYPTONN_ERR_FORMAT;
    if ((*n == 0 && !allow_zero) || *n > CRYPTONN_FEIP_MAX_SLOTS) return CRYPTONN_ERR_FORMAT;
    return CRYPTONN_OK;
}

/* Appends the encodings of n points; batched (sixteen inverse square roots at
 * a time where the CPU has IFMA) and parallel for big inputs. */
static void put_points(cn_buf *b, const ge25519 *p, size_t n)
{
    uint8_t *dst = cn_buf_extend(b, 32 * n);
    if (!dst) return;
    const size_t chunk = 256;
#pragma omp parallel for if (n >= 4096) schedule(static)
    for (size_t i = 0; i < n; i += chunk)
        ge25519_encode_batch(dst + 32 * i, p + i, n - i < chunk ? n - i : chunk);
}

/* Decodes n consecutive encodings (batched, and parallel for big inputs). */
static int decode_points(ge25519 *out, const uint8_t *enc, size_t n)
{
    const size_t chunk = 256;
    int bad = 0;
#pragma omp parallel for if (n >= 4096) schedule(static) reduction(| : bad)
    for (size_t i = 0; i < n; i += chunk)
        bad |= ge25519_decode_batch(out + i, enc + 32 * i, n - i < chunk ? n - i : chunk) !=
               CRYPTONN_OK;
    return bad ? CRYPTONN_ERR_ENCODING : CRYPTONN_OK;
}

static int save(const char *path, int (*exp)(const void *, uint8_t **, size_t *), const void *obj,
                unsigned mode)
{
    uint8_t *buf;
    size_t len;
    CN_TRY(exp(obj, &buf, &len));
    int rc = fe_write_bytes(path, buf, len, mode);
    if (mode == 0600) cn_wipe(buf, len);
    free(buf);
    return rc;
}

/* ---- mpk ---- */

int cryptonn_feip_mpk_export(const cryptonn_feip_mpk *mpk, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 8 + 32 * mpk->n, 0);
    cn_buf_u32(&b, FE_GROUP_RISTRETTO255);
    cn_buf_u32(&b, (uint32_t)mpk->n);
    put_points(&b, mpk->h, mpk->n);
    return cn_buf_finish(&b, "IPMK", V1, buf, len);
}

int cryptonn_feip_mpk_import(cryptonn_feip_mpk **out, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(out != NULL && (buf != NULL || len == 0));
    *out = NULL;
    const uint8_t *pl, *enc;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "IPMK", V1, MAX_FILE, &pl, &plen));
    cn_reader r = {pl, plen};
    uint32_t n;
    CN_TRY(check_head(&r, &n, 0));
    if (r.left != 32 * (size_t)n) return r.left < 32 * (size_t)n ? CRYPTONN_ERR_TRUNCATED : CRYPTONN_ERR_FORMAT;
    CN_TRY(cn_read_view(&r, &enc, 32 * (size_t)n));
    cryptonn_feip_mpk *m = feip_mpk_alloc(n);
    if (!m) return CRYPTONN_ERR_NOMEM;
    int rc = decode_points(m->h, enc, n);
    if (rc != CRYPTONN_OK) {
        cryptonn_feip_mpk_destroy(m);
        return rc;
    }
    feip_compute_id(m->id, m->h, n);
    *out = m;
    return CRYPTONN_OK;
}

static int mpk_exp(const void *o, uint8_t **b, size_t *l) { return cryptonn_feip_mpk_export(o, b, l); }
int cryptonn_feip_mpk_save(const cryptonn_feip_mpk *mpk, const char *path)
{
    return save(path, mpk_exp, mpk, 0644);
}

int cryptonn_feip_mpk_load(cryptonn_feip_mpk **mpk, const char *path)
{
    *mpk = NULL;
    uint8_t *buf;
    size_t len;
    CN_TRY(fe_read_bytes(path, MAX_FILE, &buf, &len));
    int rc = cryptonn_feip_mpk_import(mpk, buf, len);
    free(buf);
    return rc;
}

/* ---- msk ---- */

static int msk_export(const cryptonn_feip_msk *msk, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 24 + 32 * msk->n, 1);
    cn_buf_u32(&b, FE_GROUP_RISTRETTO255);
    cn_buf_u32(&b, (uint32_t)msk->n);
    cn_buf_put(&b, msk->id, FEIP_ID_BYTES);
    for (size_t i = 0; i < msk->n; i++) cn_buf_put(&b, msk->s[i].v, 32);
    return cn_buf_finish(&b, "IPSK", V1, buf, len);
}

static int msk_exp(const void *o, uint8_t **b, size_t *l) { return msk_export(o, b, l); }
int cryptonn_feip_msk_save(const cryptonn_feip_msk *msk, const char *path)
{
    CN_ARG_CHECK(msk != NULL && path != NULL);
    return save(path, msk_exp, msk, 0600);
}

static int msk_import(cryptonn_feip_msk **out, const uint8_t *buf, size_t len)
{
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "IPSK", V1, MAX_FILE, &pl, &plen));
    cn_reader r = {pl, plen};
    uint32_t n;
    CN_TRY(check_head(&r, &n, 0));
    uint8_t id[FEIP_ID_BYTES];
    CN_TRY(cn_read_bytes(&r, id, sizeof id));
    if (r.left != 32 * (size_t)n) return r.left < 32 * (size_t)n ? CRYPTONN_ERR_TRUNCATED : CRYPTONN_ERR_FORMAT;
    cryptonn_feip_msk *m = feip_msk_alloc(n);
    if (!m) return CRYPTONN_ERR_NOMEM;
    memcpy(m->id, id, sizeof id);
    int bad = 0;
    for (size_t i = 0; i < n; i++) {
        memcpy(m->s[i].v, r.p + 32 * i, 32);
        bad |= !sc25519_is_canonical(m->s[i].v);
    }
    if (bad) {
        cryptonn_feip_msk_destroy(m);
        return CRYPTONN_ERR_ENCODING;
    }
    *out = m;
    return CRYPTONN_OK;
}

int cryptonn_feip_msk_load(cryptonn_feip_msk **msk, const char *path)
{
    CN_ARG_CHECK(msk != NULL && path != NULL);
    *msk = NULL;
    uint8_t *buf;
    size_t len;
    CN_TRY(fe_read_bytes(path, MAX_FILE, &buf, &len));
    int rc = msk_import(msk, buf, len);
    cn_free_secret(buf, len);
    return rc;
}

/* ---- key sets ---- */

int cryptonn_feip_keys_export(const cryptonn_feip_keys *k, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 48 + k->count * 36 + k->nnz * 12, 0);
    cn_buf_u32(&b, FE_GROUP_RISTRETTO255);
    cn_buf_u32(&b, (uint32_t)k->n);
    cn_buf_put(&b, k->id, FEIP_ID_BYTES);
    cn_buf_u64(&b, k->count);
    cn_buf_u64(&b, k->nnz);
    for (size_t i = 0; i < k->count; i++) {
        size_t a = k->off[i], m = k->off[i + 1] - a;
        cn_buf_u32(&b, (uint32_t)m);
        cn_buf_put(&b, k->sk[i].v, 32);
        for (size_t j = 0; j < m; j++) cn_buf_u32(&b, k->idx[a + j]);
        for (size_t j = 0; j < m; j++) cn_buf_u64(&b, (uint64_t)k->val[a + j]);
    }
    return cn_buf_finish(&b, "IPFK", V1, buf, len);
}

int cryptonn_feip_keys_import(cryptonn_feip_keys **out, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(out != NULL && (buf != NULL || len == 0));
    *out = NULL;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "IPFK", V1, MAX_FILE, &pl, &plen));
    cn_reader r = {pl, plen};
    uint32_t n;
    uint8_t id[FEIP_ID_BYTES];
    uint64_t count, nnz;
    CN_TRY(check_head(&r, &n, 1));
    CN_TRY(cn_read_bytes(&r, id, sizeof id));
    CN_TRY(cn_read_u64(&r, &count));
    CN_TRY(cn_read_u64(&r, &nnz));
    /* Sizes against the bytes present, before any allocation. */
    if (count > r.left / 36 || nnz > r.left / 12) return CRYPTONN_ERR_TRUNCATED;
    if (count * 36 + nnz * 12 != r.left) return count * 36 + nnz * 12 > r.left ? CRYPTONN_ERR_TRUNCATED : CRYPTONN_ERR_FORMAT;
    if (n == 0 && count != 0) return CRYPTONN_ERR_FORMAT;
    cryptonn_feip_keys *k;
    CN_TRY(cryptonn_feip_keys_create(&k));
    int rc = cryptonn_feip_keys_reserve(k, (size_t)count, (size_t)nnz);
    k->n = n;
    memcpy(k->id, id, sizeof id);
    uint64_t seen = 0;
    for (uint64_t i = 0; i < count && rc == CRYPTONN_OK; i++) {
        uint32_t m;
        sc25519 sk;
        const uint8_t *ib, *vb;
        if ((rc = cn_read_u32(&r, &m)) != CRYPTONN_OK) break;
        if ((rc = cn_read_bytes(&r, sk.v, 32)) != CRYPTONN_OK) break;
        if (m > nnz - seen) {
            rc = CRYPTONN_ERR_FORMAT;
            break;
        }
        if ((rc = cn_read_view(&r, &ib, 4 * (size_t)m)) != CRYPTONN_OK) break;
        if ((rc = cn_read_view(&r, &vb, 8 * (size_t)m)) != CRYPTONN_OK) break;
        if (!sc25519_is_canonical(sk.v)) {
            rc = CRYPTONN_ERR_ENCODING;
            break;
        }
        size_t a = k->nnz;
        for (uint32_t j = 0; j < m && rc == CRYPTONN_OK; j++) {
            uint32_t ix = cn_load_u32(ib + 4 * j);
            int64_t v = (int64_t)cn_load_u64(vb + 8 * j);
            int64_t lim = (int64_t)1 << CRYPTONN_FEIP_MAX_KEY_BITS;
            if (ix >= n || (j > 0 && ix <= k->idx[a + j - 1]) || v == 0 || v <= -lim || v >= lim)
                rc = CRYPTONN_ERR_FORMAT;
            k->idx[a + j] = ix;
            k->val[a + j] = v;
        }
        if (rc == CRYPTONN_OK) rc = feip_keys_append_raw(k, k->idx + a, k->val + a, m, &sk);
        seen += m;
    }
    if (rc == CRYPTONN_OK && seen != nnz) rc = CRYPTONN_ERR_FORMAT;
    if (rc != CRYPTONN_OK) {
        cryptonn_feip_keys_destroy(k);
        return rc;
    }
    *out = k;
    return CRYPTONN_OK;
}

static int keys_exp(const void *o, uint8_t **b, size_t *l) { return cryptonn_feip_keys_export(o, b, l); }
int cryptonn_feip_keys_save(const cryptonn_feip_keys *keys, const char *path)
{
    return save(path, keys_exp, keys, 0644);
}

int cryptonn_feip_keys_load(cryptonn_feip_keys **keys, const char *path)
{
    *keys = NULL;
    uint8_t *buf;
    size_t len;
    CN_TRY(fe_read_bytes(path, MAX_FILE, &buf, &len));
    int rc = cryptonn_feip_keys_import(keys, buf, len);
    free(buf);
    return rc;
}

/* ---- ciphertexts ---- */

static void put_ct(cn_buf *b, const cryptonn_feip_ct *ct)
{
    put_points(b, &ct->c0, 1);
    put_points(b, ct->c, ct->n);
}

int cryptonn_feip_ct_export(const cryptonn_feip_ct *ct, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 24 + 32 * (ct->n + 1), 0);
    cn_buf_u32(&b, FE_GROUP_RISTRETTO255);
    cn_buf_u32(&b, (uint32_t)ct->n);
    cn_buf_put(&b, ct->id, FEIP_ID_BYTES);
    put_ct(&b, ct);
    return cn_buf_finish(&b, "IPCT", V1, buf, len);
}

/* Slots [lo, hi) of a ciphertext of width n (all of it: 0, n), with ct_0. */
static int read_ct(cn_reader *r, uint32_t n, const uint8_t id[FEIP_ID_BYTES], size_t lo, size_t hi,
                   cryptonn_feip_ct **out)
{
    const uint8_t *enc;
    CN_TRY(cn_read_view(r, &enc, 32 * ((size_t)n + 1)));
    cryptonn_feip_ct *ct;
    CN_TRY(cryptonn_feip_ct_create(&ct, hi - lo));
    memcpy(ct->id, id, FEIP_ID_BYTES);
    int rc = ge25519_decode(&ct->c0, enc);
    if (rc == CRYPTONN_OK) rc = decode_points(ct->c, enc + 32 * (1 + lo), hi - lo);
    if (rc != CRYPTONN_OK) {
        cryptonn_feip_ct_destroy(ct);
        return rc;
    }
    *out = ct;
    return CRYPTONN_OK;
}

/* hi == SIZE_MAX: to the last slot. */
static int import_ct(cryptonn_feip_ct **out, const uint8_t *buf, size_t len, size_t lo, size_t hi)
{
    CN_ARG_CHECK(out != NULL && (buf != NULL || len == 0));
    *out = NULL;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "IPCT", V1, MAX_FILE, &pl, &plen));
    cn_reader r = {pl, plen};
    uint32_t n;
    uint8_t id[FEIP_ID_BYTES];
    CN_TRY(check_head(&r, &n, 0));
    CN_TRY(cn_read_bytes(&r, id, sizeof id));
    if (r.left != 32 * ((size_t)n + 1)) return r.left < 32 * ((size_t)n + 1) ? CRYPTONN_ERR_TRUNCATED : CRYPTONN_ERR_FORMAT;
    if (hi == SIZE_MAX) hi = n;
    if (lo >= hi || hi > n) return CRYPTONN_ERR_ARG;
    return read_ct(&r, n, id, lo, hi, out);
}

int cryptonn_feip_ct_import(cryptonn_feip_ct **out, const uint8_t *buf, size_t len)
{
    return import_ct(out, buf, len, 0, SIZE_MAX);
}

int cn_feip_ct_import_slice(cryptonn_feip_ct **out, const uint8_t *buf, size_t len, size_t lo,
                            size_t hi)
{
    CN_ARG_CHECK(hi != SIZE_MAX);
    return import_ct(out, buf, len, lo, hi);
}

static int ct_exp(const void *o, uint8_t **b, size_t *l) { return cryptonn_feip_ct_export(o, b, l); }
int cryptonn_feip_ct_save(const cryptonn_feip_ct *ct, const char *path)
{
    return save(path, ct_exp, ct, 0644);
}

int cryptonn_feip_ct_load(cryptonn_feip_ct **ct, const char *path)
{
    *ct = NULL;
    uint8_t *buf;
    size_t len;
    CN_TRY(fe_read_bytes(path, MAX_FILE, &buf, &len));
    int rc = cryptonn_feip_ct_import(ct, buf, len);
    free(buf);
    return rc;
}

int cryptonn_feip_ct_batch_export(const cryptonn_feip_ct *const *cts, size_t count, uint8_t **buf,
                                  size_t *len)
{
    CN_ARG_CHECK(count >= 1 && cts != NULL);
    size_t n = cts[0]->n;
    for (size_t j = 1; j < count; j++)
        if (cts[j]->n != n || memcmp(cts[j]->id, cts[0]->id, FEIP_ID_BYTES) != 0)
            return CRYPTONN_ERR_MISMATCH;
    cn_buf b;
    cn_buf_init(&b, 32 + count * 32 * (n + 1), 0);
    cn_buf_u32(&b, FE_GROUP_RISTRETTO255);
    cn_buf_u32(&b, (uint32_t)n);
    cn_buf_put(&b, cts[0]->id, FEIP_ID_BYTES);
    cn_buf_u64(&b, count);
    for (size_t j = 0; j < count; j++) put_ct(&b, cts[j]);
    return cn_buf_finish(&b, "IPCB", V1, buf, len);
}

void cryptonn_feip_ct_batch_free(cryptonn_feip_ct **cts, size_t count)
{
    if (!cts) return;
    for (size_t j = 0; j < count; j++) cryptonn_feip_ct_destroy(cts[j]);
    free(cts);
}

int cryptonn_feip_ct_batch_import(cryptonn_feip_ct ***out, size_t *count, const uint8_t *buf,
                                  size_t len)
{
    CN_ARG_CHECK(out != NULL && count != NULL && (buf != NULL || len == 0));
    *out = NULL;
    *count = 0;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, "IPCB", V1, MAX_FILE, &pl, &plen));
    cn_reader r = {pl, plen};
    uint32_t n;
    uint8_t id[FEIP_ID_BYTES];
    uint64_t c;
    CN_TRY(check_head(&r, &n, 0));
    CN_TRY(cn_read_bytes(&r, id, sizeof id));
    CN_TRY(cn_read_u64(&r, &c));
    size_t each = 32 * ((size_t)n + 1);
    if (c == 0) return CRYPTONN_ERR_FORMAT;
    if (c > r.left / each) return CRYPTONN_ERR_TRUNCATED;
    if (c * each != r.left) return CRYPTONN_ERR_FORMAT;
    cryptonn_feip_ct **cts = calloc((size_t)c, sizeof *cts);
    if (!cts) return CRYPTONN_ERR_NOMEM;
    int rc = CRYPTONN_OK;
    for (uint64_t j = 0; j < c && rc == CRYPTONN_OK; j++) rc = read_ct(&r, n, id, 0, n, &cts[j]);
    if (rc != CRYPTONN_OK) {
        cryptonn_feip_ct_batch_free(cts, (size_t)c);
        return rc;
    }
    *out = cts;
    *count = (size_t)c;
    return CRYPTONN_OK;
}

int cryptonn_feip_ct_batch_save(const cryptonn_feip_ct *const *cts, size_t count, const char *path)
{
    uint8_t *buf;
    size_t len;
    CN_TRY(cryptonn_feip_ct_batch_export(cts, count, &buf, &len));
    int rc = fe_write_bytes(path, buf, len, 0644);
    free(buf);
    return rc;
}

int cryptonn_feip_ct_batch_load(cryptonn_feip_ct ***cts, size_t *count, const char *path)
{
    *cts = NULL;
    *count = 0;
    uint8_t *buf;
    size_t len;
    CN_TRY(fe_read_bytes(path, MAX_FILE, &buf, &len));
    int rc = cryptonn_feip_ct_batch_import(cts, count, buf, len);
    free(buf);
    return rc;
}
