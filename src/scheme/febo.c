/* FEBO: one basic operation on an encrypted integer (febo.h).
 * Keys are bound to a ciphertext by a tag of its commitment, so a key used
 * on another ciphertext is refused (MISMATCH) instead of decrypting to noise. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cryptonn/febo.h"
#include "dlog/dlog.h"
#include "scheme/fe_codec.h"
#include "util/util.h"

#define TAG 16
#define GROUP 1u
#define V1 1u

struct cryptonn_febo_mpk {
    uint8_t id[TAG];
    ge25519 h;
};
struct cryptonn_febo_msk {
    uint8_t id[TAG];
    sc25519 s;
};
struct cryptonn_febo_ct {
    uint8_t id[TAG];
    uint8_t tag[TAG]; /* of cmt */
    ge25519 cmt, c;
};
struct cryptonn_febo_key {
    uint8_t id[TAG];
    uint8_t tag[TAG];
    uint32_t op;
    int64_t y;
    ge25519 sk;
};

static void hash_point(uint8_t out[TAG], const char *domain, const ge25519 *p)
{
    uint8_t e[32];
    ge25519_encode(e, p);
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, TAG);
    crypto_generichash_update(&st, (const uint8_t *)domain, strlen(domain) + 1);
    crypto_generichash_update(&st, e, 32);
    crypto_generichash_final(&st, out, TAG);
}

int cryptonn_febo_setup(cryptonn_febo_mpk **mpk, cryptonn_febo_msk **msk)
{
    CN_ARG_CHECK(mpk != NULL && msk != NULL);
    *mpk = calloc(1, sizeof **mpk);
    *msk = calloc(1, sizeof **msk);
    if (!*mpk || !*msk) {
        free(*mpk);
        free(*msk);
        *mpk = NULL;
        *msk = NULL;
        return CRYPTONN_ERR_NOMEM;
    }
    sc25519_random(&(*msk)->s);
    ge25519_scalarmult_base(&(*mpk)->h, &(*msk)->s);
    hash_point((*mpk)->id, "cryptonn febo mpk v1", &(*mpk)->h);
    memcpy((*msk)->id, (*mpk)->id, TAG);
    return CRYPTONN_OK;
}

void cryptonn_febo_mpk_destroy(cryptonn_febo_mpk *mpk) { free(mpk); }
void cryptonn_febo_msk_destroy(cryptonn_febo_msk *msk) { cn_free_secret(msk, sizeof *msk); }

int cryptonn_febo_ct_create(cryptonn_febo_ct **ct)
{
    CN_ARG_CHECK(ct != NULL);
    *ct = calloc(1, sizeof **ct);
    if (!*ct) return CRYPTONN_ERR_NOMEM;
    ge25519_identity(&(*ct)->cmt);
    ge25519_identity(&(*ct)->c);
    return CRYPTONN_OK;
}
void cryptonn_febo_ct_destroy(cryptonn_febo_ct *ct) { free(ct); }

int cryptonn_febo_key_create(cryptonn_febo_key **key)
{
    CN_ARG_CHECK(key != NULL);
    *key = calloc(1, sizeof **key);
    if (!*key) return CRYPTONN_ERR_NOMEM;
    ge25519_identity(&(*key)->sk);
    return CRYPTONN_OK;
}
void cryptonn_febo_key_destroy(cryptonn_febo_key *key) { free(key); }

int cryptonn_febo_encrypt(const cryptonn_febo_mpk *mpk, cryptonn_febo_ct *ct, int64_t x,
                          unsigned bits)
{
    CN_ARG_CHECK(mpk != NULL && ct != NULL && bits >= 1 && bits <= 62);
    /* Out of range: encrypt 0 instead and report it, without a branch on x. */
    uint64_t sign = (uint64_t)(x >> 63);
    uint64_t hi = ((((uint64_t)x ^ sign) - sign) >> bits);
    uint64_t bad = 0 - ((hi | (0 - hi)) >> 63);
    x = (int64_t)((uint64_t)x & ~bad);
    sc25519 r;
    ge25519 a, gx;
    sc25519_random(&r);
    ge25519_scalarmult_base(&ct->cmt, &r);
    ge25519_scalarmult(&a, &mpk->h, &r);
    ge25519_scalarmult_base_small(&gx, x, bits);
    ge25519_add(&ct->c, &a, &gx);
    memcpy(ct->id, mpk->id, TAG);
    hash_point(ct->tag, "cryptonn febo cmt v1", &ct->cmt);
    cn_wipe(&r, sizeof r);
    cn_wipe(&a, sizeof a);
    cn_wipe(&gx, sizeof gx);
    return (int)((uint64_t)CRYPTONN_ERR_RANGE & bad);
}

int cryptonn_febo_keygen(const cryptonn_febo_msk *msk, cryptonn_febo_key *key,
                         const cryptonn_febo_ct *ct, cryptonn_febo_op op, int64_t y)
{
    CN_ARG_CHECK(msk != NULL && key != NULL && ct != NULL);
    if ((unsigned)op > CRYPTONN_FEBO_DIV || (op == CRYPTONN_FEBO_DIV && y == 0))
        return CRYPTONN_ERR_ARG;
    if (memcmp(ct->id, msk->id, TAG) != 0) return CRYPTONN_ERR_MISMATCH;
    sc25519 t, ys;
    sc25519_from_i64(&ys, y);
    /* The exponent applied to cmt: s, s·y or s·y^-1 (y is public). */
    if (op == CRYPTONN_FEBO_MUL) {
        sc25519_mul(&t, &msk->s, &ys);
    } else if (op == CRYPTONN_FEBO_DIV) {
        sc25519 yi;
        if (sc25519_invert(&yi, &ys) != CRYPTONN_OK) return CRYPTONN_ERR_ARG;
        sc25519_mul(&t, &msk->s, &yi);
    } else {
        t = msk->s;
    }
    ge25519_scalarmult(&key->sk, &ct->cmt, &t);
    if (op == CRYPTONN_FEBO_ADD || op == CRYPTONN_FEBO_SUB) {
        ge25519 gy;
        ge25519_scalarmult_base(&gy, &ys);
        if (op == CRYPTONN_FEBO_ADD) ge25519_sub(&key->sk, &key->sk, &gy);
        else ge25519_add(&key->sk, &key->sk, &gy);
    }
    memcpy(key->id, msk->id, TAG);
    memcpy(key->tag, ct->tag, TAG);
    key->op = (uint32_t)op;
    key->y = y;
    cn_wipe(&t, sizeof t);
    return CRYPTONN_OK;
}

/* The element g^{x Δ y}. */
static int result_point(ge25519 *r, const cryptonn_febo_ct *ct, const cryptonn_febo_key *key)
{
    if (memcmp(ct->id, key->id, TAG) != 0 || memcmp(ct->tag, key->tag, TAG) != 0)
        return CRYPTONN_ERR_MISMATCH;
    ge25519 c = ct->c;
    if (key->op == CRYPTONN_FEBO_MUL || key->op == CRYPTONN_FEBO_DIV) {
        sc25519 e;
        sc25519_from_i64(&e, key->y);
        if (key->op == CRYPTONN_FEBO_DIV && sc25519_invert(&e, &e) != CRYPTONN_OK)
            return CRYPTONN_ERR_ARG;
        ge25519_scalarmult_var(&c, &ct->c, &e);
    }
    ge25519_sub(r, &c, &key->sk);
    return CRYPTONN_OK;
}

/* After a failed ÷: tell a non-integer quotient from an out-of-range one.
 * R^y = g^x; if x is in range and y ∤ x the quotient is not an integer. */
static int classify_division(const cryptonn_dlog *d, const ge25519 *r, int64_t y)
{
    ge25519 gx;
    sc25519 e;
    sc25519_from_i64(&e, y);
    ge25519_scalarmult_var(&gx, r, &e);
    int64_t x;
    if (dlog_solve_point_var(d, &x, &gx) != CRYPTONN_OK) return CRYPTONN_ERR_RANGE;
    /* y | x with |x| <= bound means |x/y| <= bound: the first solve would
     * have found it. */
    return x % y != 0 ? CRYPTONN_ERR_NOT_INTEGER : CRYPTONN_ERR_INTERNAL;
}

int cryptonn_febo_decrypt_var(const cryptonn_dlog *d, const cryptonn_febo_ct *ct,
                              const cryptonn_febo_key *key, int64_t *out)
{
    CN_ARG_CHECK(d != NULL && ct != NULL && key != NULL && out != NULL);
    *out = 0;
    ge25519 r;
    CN_TRY(result_point(&r, ct, key));
    int rc = dlog_solve_point_var(d, out, &r);
    if (rc == CRYPTONN_ERR_RANGE && key->op == CRYPTONN_FEBO_DIV)
        rc = classify_division(d, &r, key->y);
    return rc;
}

int cryptonn_febo_decrypt_batch_var(const cryptonn_dlog *d, const cryptonn_febo_ct *const *cts,
                                    const cryptonn_febo_key *const *keys, size_t n, int64_t *out,
                                    int *status)
{
    CN_ARG_CHECK(d != NULL && (n == 0 || (cts && keys && out)));
    if (n == 0) return CRYPTONN_OK;
    enum { B = 256 };
    dlog_ws *w = dlog_ws_create(n < B ? n : B);
    ge25519 *pts = cn_malloc_array(n < B ? n : B, sizeof *pts);
    int st[256];
    if (!w || !pts) {
        dlog_ws_destroy(w);
        free(pts);
        return CRYPTONN_ERR_NOMEM;
    }
    int rc = CRYPTONN_OK;
    for (size_t lo = 0; lo < n; lo += B) {
        size_t len = n - lo < B ? n - lo : B;
        for (size_t j = 0; j < len; j++) {
            st[j] = result_point(&pts[j], cts[lo + j], keys[lo + j]);
            /* A refused pair still occupies its slot; its result is discarded. */
            if (st[j] != CRYPTONN_OK) ge25519_identity(&pts[j]);
        }
        int solved[256];
        (void)!dlog_solve_batch_var(d, out + lo, solved, pts, len, w);
        for (size_t j = 0; j < len; j++) {
            int s = st[j] != CRYPTONN_OK ? st[j] : solved[j];
            if (s == CRYPTONN_ERR_RANGE && keys[lo + j]->op == CRYPTONN_FEBO_DIV)
                s = classify_division(d, &pts[j], keys[lo + j]->y);
            if (s != CRYPTONN_OK) {
                out[lo + j] = 0;
                if (rc == CRYPTONN_OK) rc = s;
            }
            if (status) status[lo + j] = s;
        }
    }
    dlog_ws_destroy(w);
    free(pts);
    return rc;
}

/* ---- formats ---- */

static int finish_point(cn_buf *b, const ge25519 *p)
{
    uint8_t e[32];
    ge25519_encode(e, p);
    cn_buf_put(b, e, 32);
    return CRYPTONN_OK;
}

static int open_payload(const uint8_t *buf, size_t len, const char kind[4], size_t want,
                        cn_reader *r)
{
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_parse(buf, len, kind, V1, 4096, &pl, &plen));
    if (plen < want) return CRYPTONN_ERR_TRUNCATED;
    if (plen > want) return CRYPTONN_ERR_FORMAT;
    r->p = pl;
    r->left = plen;
    uint32_t g;
    CN_TRY(cn_read_u32(r, &g));
    return g == GROUP ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
}

static int read_point(cn_reader *r, ge25519 *p)
{
    const uint8_t *e;
    CN_TRY(cn_read_view(r, &e, 32));
    return ge25519_decode(p, e);
}

int cryptonn_febo_mpk_export(const cryptonn_febo_mpk *mpk, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 36, 0);
    cn_buf_u32(&b, GROUP);
    finish_point(&b, &mpk->h);
    return cn_buf_finish(&b, "BOMK", V1, buf, len);
}

int cryptonn_febo_mpk_import(cryptonn_febo_mpk **out, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(out != NULL);
    *out = NULL;
    cn_reader r;
    CN_TRY(open_payload(buf, len, "BOMK", 36, &r));
    cryptonn_febo_mpk m;
    CN_TRY(read_point(&r, &m.h));
    hash_point(m.id, "cryptonn febo mpk v1", &m.h);
    *out = malloc(sizeof m);
    if (!*out) return CRYPTONN_ERR_NOMEM;
    **out = m;
    return CRYPTONN_OK;
}

int cryptonn_febo_msk_save(const cryptonn_febo_msk *msk, const char *path)
{
    cn_buf b;
    cn_buf_init(&b, 52, 1);
    cn_buf_u32(&b, GROUP);
    cn_buf_put(&b, msk->id, TAG);
    cn_buf_put(&b, msk->s.v, 32);
    uint8_t *bytes;
    size_t len;
    CN_TRY(cn_buf_finish(&b, "BOSK", V1, &bytes, &len));
    int rc = fe_write_bytes(path, bytes, len, 0600);
    cn_free_secret(bytes, len);
    return rc;
}

int cryptonn_febo_msk_load(cryptonn_febo_msk **out, const char *path)
{
    CN_ARG_CHECK(out != NULL && path != NULL);
    *out = NULL;
    uint8_t *buf;
    size_t len;
    CN_TRY(fe_read_bytes(path, 4096, &buf, &len));
    cn_reader r;
    int rc = open_payload(buf, len, "BOSK", 52, &r);
    cryptonn_febo_msk *m = NULL;
    if (rc == CRYPTONN_OK && !(m = malloc(sizeof *m))) rc = CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) {
        memcpy(m->id, r.p, TAG);
        memcpy(m->s.v, r.p + TAG, 32);
        if (!sc25519_is_canonical(m->s.v)) rc = CRYPTONN_ERR_ENCODING;
    }
    cn_free_secret(buf, len);
    if (rc != CRYPTONN_OK) {
        cryptonn_febo_msk_destroy(m);
        return rc;
    }
    *out = m;
    return CRYPTONN_OK;
}

int cryptonn_febo_ct_export(const cryptonn_febo_ct *ct, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 84, 0);
    cn_buf_u32(&b, GROUP);
    cn_buf_put(&b, ct->id, TAG);
    finish_point(&b, &ct->cmt);
    finish_point(&b, &ct->c);
    return cn_buf_finish(&b, "BOCT", V1, buf, len);
}

int cryptonn_febo_ct_import(cryptonn_febo_ct **out, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(out != NULL);
    *out = NULL;
    cn_reader r;
    CN_TRY(open_payload(buf, len, "BOCT", 84, &r));
    cryptonn_febo_ct c;
    CN_TRY(cn_read_bytes(&r, c.id, TAG));
    CN_TRY(read_point(&r, &c.cmt));
    CN_TRY(read_point(&r, &c.c));
    hash_point(c.tag, "cryptonn febo cmt v1", &c.cmt);
    *out = malloc(sizeof c);
    if (!*out) return CRYPTONN_ERR_NOMEM;
    **out = c;
    return CRYPTONN_OK;
}

int cryptonn_febo_key_export(const cryptonn_febo_key *key, uint8_t **buf, size_t *len)
{
    cn_buf b;
    cn_buf_init(&b, 80, 0);
    cn_buf_u32(&b, GROUP);
    cn_buf_put(&b, key->id, TAG);
    cn_buf_put(&b, key->tag, TAG);
    cn_buf_u32(&b, key->op);
    cn_buf_u64(&b, (uint64_t)key->y);
    finish_point(&b, &key->sk);
    return cn_buf_finish(&b, "BOFK", V1, buf, len);
}

int cryptonn_febo_key_import(cryptonn_febo_key **out, const uint8_t *buf, size_t len)
{
    CN_ARG_CHECK(out != NULL);
    *out = NULL;
    cn_reader r;
    CN_TRY(open_payload(buf, len, "BOFK", 80, &r));
    cryptonn_febo_key k;
    uint64_t y;
    CN_TRY(cn_read_bytes(&r, k.id, TAG));
    CN_TRY(cn_read_bytes(&r, k.tag, TAG));
    CN_TRY(cn_read_u32(&r, &k.op));
    CN_TRY(cn_read_u64(&r, &y));
    k.y = (int64_t)y;
    if (k.op > CRYPTONN_FEBO_DIV || (k.op == CRYPTONN_FEBO_DIV && k.y == 0))
        return CRYPTONN_ERR_FORMAT;
    CN_TRY(read_point(&r, &k.sk));
    *out = malloc(sizeof k);
    if (!*out) return CRYPTONN_ERR_NOMEM;
    **out = k;
    return CRYPTONN_OK;
}
