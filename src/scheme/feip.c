/* FEIP setup, keygen and encryption: the secret-handling side (feip.h).
 * Everything here is constant time in msk, r and x; only sizes, key vectors
 * (public to the server anyway) and the bits bound steer branches. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "scheme/feip_internal.h"
#include "scheme/feip_sk.h"
#include "util/util.h"

struct cryptonn_feip_encryptor {
    size_t n;
    uint8_t id[FEIP_ID_BYTES];
    ge25519_fixed **t;
};

void feip_compute_id(uint8_t id[FEIP_ID_BYTES], const ge25519 *h, size_t n)
{
    static const char DOMAIN[] = "cryptonn feip mpk v1";
    crypto_generichash_state st;
    uint8_t b[32 * 64];
    crypto_generichash_init(&st, NULL, 0, FEIP_ID_BYTES);
    crypto_generichash_update(&st, (const uint8_t *)DOMAIN, sizeof DOMAIN);
    cn_store_u64(b, (uint64_t)n);
    crypto_generichash_update(&st, b, 8);
    for (size_t i = 0; i < n; i += 64) {
        size_t m = n - i < 64 ? n - i : 64;
        ge25519_encode_batch(b, h + i, m);
        crypto_generichash_update(&st, b, 32 * m);
    }
    crypto_generichash_final(&st, id, FEIP_ID_BYTES);
}

cryptonn_feip_mpk *feip_mpk_alloc(size_t n)
{
    cryptonn_feip_mpk *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->n = n;
    m->h = cn_malloc_array(n, sizeof *m->h);
    if (!m->h) {
        free(m);
        return NULL;
    }
    return m;
}

cryptonn_feip_msk *feip_msk_alloc(size_t n)
{
    cryptonn_feip_msk *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->n = n;
    m->s = cn_calloc(n, sizeof *m->s);
    if (!m->s) {
        free(m);
        return NULL;
    }
    return m;
}

static void derive_mpk(cryptonn_feip_mpk *mpk, const cryptonn_feip_msk *msk)
{
#pragma omp parallel for if (msk->n >= 256) schedule(static)
    for (size_t i = 0; i < msk->n; i++) ge25519_scalarmult_base(&mpk->h[i], &msk->s[i]);
    feip_compute_id(mpk->id, mpk->h, mpk->n);
}

int cryptonn_feip_setup(cryptonn_feip_mpk **mpk, cryptonn_feip_msk **msk, size_t n)
{
    CN_ARG_CHECK(mpk != NULL && msk != NULL);
    *mpk = NULL;
    *msk = NULL;
    if (n == 0 || n > CRYPTONN_FEIP_MAX_SLOTS) return CRYPTONN_ERR_ARG;
    cryptonn_feip_msk *s = feip_msk_alloc(n);
    cryptonn_feip_mpk *p = feip_mpk_alloc(n);
    if (!s || !p) {
        cryptonn_feip_msk_destroy(s);
        cryptonn_feip_mpk_destroy(p);
        return CRYPTONN_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++) sc25519_random(&s->s[i]);
    derive_mpk(p, s);
    memcpy(s->id, p->id, FEIP_ID_BYTES);
    *mpk = p;
    *msk = s;
    return CRYPTONN_OK;
}

int cryptonn_feip_mpk_from_msk(cryptonn_feip_mpk **mpk, const cryptonn_feip_msk *msk)
{
    CN_ARG_CHECK(mpk != NULL && msk != NULL);
    *mpk = feip_mpk_alloc(msk->n);
    if (!*mpk) return CRYPTONN_ERR_NOMEM;
    derive_mpk(*mpk, msk);
    return CRYPTONN_OK;
}

void cryptonn_feip_mpk_destroy(cryptonn_feip_mpk *mpk)
{
    if (!mpk) return;
    free(mpk->h);
    free(mpk);
}

void cryptonn_feip_msk_destroy(cryptonn_feip_msk *msk)
{
    if (!msk) return;
    cn_free_secret(msk->s, msk->n * sizeof *msk->s);
    cn_free_secret(msk, sizeof *msk);
}

size_t cryptonn_feip_mpk_slots(const cryptonn_feip_mpk *mpk) { return mpk->n; }
size_t cryptonn_feip_msk_slots(const cryptonn_feip_msk *msk) { return msk->n; }
void cryptonn_feip_mpk_id(const cryptonn_feip_mpk *mpk, uint8_t id[16])
{
    memcpy(id, mpk->id, FEIP_ID_BYTES);
}

/* ---- key sets ---- */

int cryptonn_feip_keys_create(cryptonn_feip_keys **out)
{
    CN_ARG_CHECK(out != NULL);
    *out = calloc(1, sizeof **out);
    if (!*out) return CRYPTONN_ERR_NOMEM;
    (*out)->off = calloc(1, sizeof *(*out)->off);
    if (!(*out)->off) {
        free(*out);
        *out = NULL;
        return CRYPTONN_ERR_NOMEM;
    }
    return CRYPTONN_OK;
}

void cryptonn_feip_keys_destroy(cryptonn_feip_keys *k)
{
    if (!k) return;
    free(k->off);
    free(k->bits);
    free(k->sk);
    free(k->idx);
    free(k->val);
    free(k);
}

int cryptonn_feip_keys_reserve(cryptonn_feip_keys *k, size_t nkeys, size_t nnz)
{
    if (nkeys > k->cap) {
        size_t *off = realloc(k->off, (nkeys + 1) * sizeof *off);
        if (off) k->off = off;
        uint8_t *bits = realloc(k->bits, nkeys * sizeof *bits);
        if (bits) k->bits = bits;
        sc25519 *sk = realloc(k->sk, nkeys * sizeof *sk);
        if (sk) k->sk = sk;
        if (!off || !bits || !sk) return CRYPTONN_ERR_NOMEM;
        k->cap = nkeys;
    }
    if (nnz > k->nnz_cap) {
        uint32_t *idx = realloc(k->idx, nnz * sizeof *idx);
        if (idx) k->idx = idx;
        int64_t *val = realloc(k->val, nnz * sizeof *val);
        if (val) k->val = val;
        if (!idx || !val) return CRYPTONN_ERR_NOMEM;
        k->nnz_cap = nnz;
    }
    return CRYPTONN_OK;
}

void cryptonn_feip_keys_clear(cryptonn_feip_keys *k)
{
    k->count = 0;
    k->nnz = 0;
    k->n = 0;
    k->off[0] = 0;
    memset(k->id, 0, sizeof k->id);
}

size_t cryptonn_feip_keys_count(const cryptonn_feip_keys *k) { return k->count; }
size_t cryptonn_feip_keys_slots(const cryptonn_feip_keys *k) { return k->n; }

size_t cryptonn_feip_keys_get(const cryptonn_feip_keys *k, size_t i, const uint32_t **idx,
                              const int64_t **val)
{
    CN_ARG_CHECK(i < k->count);
    *idx = k->idx + k->off[i];
    *val = k->val + k->off[i];
    return k->off[i + 1] - k->off[i];
}

static int grow_for(cryptonn_feip_keys *k, size_t nnz)
{
    size_t need_keys = k->count + 1, need_nnz = k->nnz + nnz;
    size_t nk = k->cap, nz = k->nnz_cap;
    if (need_keys > nk) nk = need_keys > 2 * nk ? need_keys : 2 * nk;
    if (need_nnz > nz) nz = need_nnz > 2 * nz ? need_nnz : 2 * nz;
    return cryptonn_feip_keys_reserve(k, nk, nz);
}

int feip_keys_append_raw(cryptonn_feip_keys *k, const uint32_t *idx, const int64_t *val,
                         size_t nnz, const sc25519 *sk)
{
    CN_TRY(grow_for(k, nnz));
    uint64_t maxabs = 0;
    size_t w = k->nnz;
    for (size_t j = 0; j < nnz; j++) {
        if (val[j] == 0) continue;
        k->idx[w] = idx[j];
        k->val[w] = val[j];
        uint64_t a = val[j] < 0 ? (uint64_t)(-val[j]) : (uint64_t)val[j];
        if (a > maxabs) maxabs = a;
        w++;
    }
    unsigned bits = 0;
    while (bits < 64 && (maxabs >> bits) != 0) bits++;
    k->bits[k->count] = (uint8_t)bits;
    k->sk[k->count] = *sk;
    k->count++;
    k->nnz = w;
    k->off[k->count] = w;
    return CRYPTONN_OK;
}

static int bind_keys(cryptonn_feip_keys *k, const cryptonn_feip_msk *msk)
{
    if (k->count == 0 && k->n == 0) {
        k->n = msk->n;
        memcpy(k->id, msk->id, FEIP_ID_BYTES);
        return CRYPTONN_OK;
    }
    if (k->n != msk->n || memcmp(k->id, msk->id, FEIP_ID_BYTES) != 0) return CRYPTONN_ERR_MISMATCH;
    return CRYPTONN_OK;
}

static int key_value_ok(int64_t v)
{
    return v > -((int64_t)1 << CRYPTONN_FEIP_MAX_KEY_BITS) && v < ((int64_t)1 << CRYPTONN_FEIP_MAX_KEY_BITS);
}

/* A sparse key vector: indices strictly increasing and below the width n
 * (else ARG), values within the key bound (else RANGE). */
static int check_sparse(const uint32_t *idx, const int64_t *val, size_t nnz, size_t n)
{
    for (size_t j = 0; j < nnz; j++) {
        if (idx[j] >= n || (j > 0 && idx[j] <= idx[j - 1])) return CRYPTONN_ERR_ARG;
        if (!key_value_ok(val[j])) return CRYPTONN_ERR_RANGE;
    }
    return CRYPTONN_OK;
}

int cryptonn_feip_keygen_sparse(const cryptonn_feip_msk *msk, cryptonn_feip_keys *keys,
                                const uint32_t *idx, const int64_t *val, size_t nnz)
{
    CN_ARG_CHECK(msk != NULL && keys != NULL && (nnz == 0 || (idx != NULL && val != NULL)));
    CN_TRY(check_sparse(idx, val, nnz, msk->n));
    CN_TRY(bind_keys(keys, msk));
    /* sk = Σ y_j s_{idx_j}: the indices and y are public, the s_j secret;
     * sc25519 arithmetic is constant time. */
    sc25519 sk;
    feip_inner_sk(&sk, msk->s, idx, val, nnz);
    int rc = feip_keys_append_raw(keys, idx, val, nnz, &sk);
    cn_wipe(&sk, sizeof sk);
    return rc;
}

int cryptonn_feip_keygen_sk(const cryptonn_feip_msk *msk, const uint32_t *idx, const int64_t *val,
                            size_t nnz, uint8_t sk[32])
{
    CN_ARG_CHECK(msk != NULL && sk != NULL && (nnz == 0 || (idx != NULL && val != NULL)));
    CN_TRY(check_sparse(idx, val, nnz, msk->n));
    sc25519 s;
    feip_inner_sk(&s, msk->s, idx, val, nnz);
    memcpy(sk, s.v, 32);
    cn_wipe(&s, sizeof s);
    return CRYPTONN_OK;
}

int cryptonn_feip_keys_append(cryptonn_feip_keys *keys, const cryptonn_feip_mpk *mpk,
                              const uint32_t *idx, const int64_t *val, size_t nnz,
                              const uint8_t sk[32])
{
    CN_ARG_CHECK(keys != NULL && mpk != NULL && sk != NULL &&
                 (nnz == 0 || (idx != NULL && val != NULL)));
    CN_TRY(check_sparse(idx, val, nnz, mpk->n));
    if (!sc25519_is_canonical(sk)) return CRYPTONN_ERR_ENCODING;
    if (keys->count == 0 && keys->n == 0) {
        keys->n = mpk->n;
        memcpy(keys->id, mpk->id, FEIP_ID_BYTES);
    } else if (keys->n != mpk->n || memcmp(keys->id, mpk->id, FEIP_ID_BYTES) != 0) {
        return CRYPTONN_ERR_MISMATCH;
    }
    sc25519 s;
    memcpy(s.v, sk, 32);
    int rc = feip_keys_append_raw(keys, idx, val, nnz, &s);
    cn_wipe(&s, sizeof s);
    return rc;
}

int cryptonn_feip_keygen(const cryptonn_feip_msk *msk, cryptonn_feip_keys *keys, const int64_t *y,
                         size_t n)
{
    CN_ARG_CHECK(msk != NULL && keys != NULL && y != NULL);
    if (n != msk->n) return CRYPTONN_ERR_MISMATCH;
    for (size_t i = 0; i < n; i++)
        if (!key_value_ok(y[i])) return CRYPTONN_ERR_RANGE;
    CN_TRY(bind_keys(keys, msk));
    sc25519 sk;
    feip_inner_sk(&sk, msk->s, NULL, y, n);
    size_t nnz = 0;
    for (size_t i = 0; i < n; i++) nnz += y[i] != 0;
    int rc = grow_for(keys, nnz);
    if (rc == CRYPTONN_OK) {
        /* Append the non-zeros directly: no temporary index array. */
        size_t w = keys->nnz;
        uint64_t maxabs = 0;
        for (size_t i = 0; i < n; i++) {
            if (y[i] == 0) continue;
            keys->idx[w] = (uint32_t)i;
            keys->val[w] = y[i];
            uint64_t a = y[i] < 0 ? (uint64_t)(-y[i]) : (uint64_t)y[i];
            if (a > maxabs) maxabs = a;
            w++;
        }
        unsigned bits = 0;
        while (bits < 64 && (maxabs >> bits) != 0) bits++;
        keys->bits[keys->count] = (uint8_t)bits;
        keys->sk[keys->count] = sk;
        keys->count++;
        keys->nnz = w;
        keys->off[keys->count] = w;
    }
    cn_wipe(&sk, sizeof sk);
    return rc;
}

/* ---- ciphertexts and encryption ---- */

int cryptonn_feip_ct_create(cryptonn_feip_ct **out, size_t n)
{
    CN_ARG_CHECK(out != NULL);
    *out = NULL;
    if (n == 0 || n > CRYPTONN_FEIP_MAX_SLOTS) return CRYPTONN_ERR_ARG;
    cryptonn_feip_ct *ct = calloc(1, sizeof *ct);
    if (!ct) return CRYPTONN_ERR_NOMEM;
    ct->n = n;
    ct->c = cn_malloc_array(n, sizeof *ct->c);
    if (!ct->c) {
        free(ct);
        return CRYPTONN_ERR_NOMEM;
    }
    ge25519_identity(&ct->c0);
    for (size_t i = 0; i < n; i++) ge25519_identity(&ct->c[i]);
    *out = ct;
    return CRYPTONN_OK;
}

void cryptonn_feip_ct_destroy(cryptonn_feip_ct *ct)
{
    if (!ct) return;
    free(ct->c);
    free(ct);
}

size_t cryptonn_feip_ct_slots(const cryptonn_feip_ct *ct) { return ct->n; }

int cryptonn_feip_encryptor_create(cryptonn_feip_encryptor **out, const cryptonn_feip_mpk *mpk)
{
    CN_ARG_CHECK(out != NULL && mpk != NULL);
    *out = NULL;
    cryptonn_feip_encryptor *e = calloc(1, sizeof *e);
    if (!e) return CRYPTONN_ERR_NOMEM;
    e->n = mpk->n;
    memcpy(e->id, mpk->id, FEIP_ID_BYTES);
    e->t = calloc(mpk->n, sizeof *e->t);
    if (!e->t) {
        free(e);
        return CRYPTONN_ERR_NOMEM;
    }
    int oom = 0;
#pragma omp parallel for schedule(dynamic, 16) reduction(| : oom)
    for (size_t i = 0; i < mpk->n; i++) {
        e->t[i] = ge25519_fixed_create(&mpk->h[i]);
        oom |= e->t[i] == NULL;
    }
    if (oom) {
        cryptonn_feip_encryptor_destroy(e);
        return CRYPTONN_ERR_NOMEM;
    }
    *out = e;
    return CRYPTONN_OK;
}

void cryptonn_feip_encryptor_destroy(cryptonn_feip_encryptor *e)
{
    if (!e) return;
    for (size_t i = 0; i < e->n; i++) ge25519_fixed_destroy(e->t[i]);
    free(e->t);
    free(e);
}

size_t cryptonn_feip_encryptor_bytes(const cryptonn_feip_encryptor *e)
{
    return e->n * ge25519_fixed_bytes();
}

/* All-ones if |x| >= 2^bits, else 0, without branching on x. */
static uint64_t out_of_bits_mask(int64_t x, unsigned bits)
{
    uint64_t sign = (uint64_t)(x >> 63);
    uint64_t a = ((uint64_t)x ^ sign) - sign; /* |x|; INT64_MIN stays 2^63 */
    uint64_t hi = a >> bits;
    return 0 - ((hi | (0 - hi)) >> 63);
}

static int encrypt_common(const uint8_t id[FEIP_ID_BYTES], size_t width, const ge25519 *h,
                          ge25519_fixed *const *t, cryptonn_feip_ct *ct, const int64_t *x,
                          size_t n, unsigned bits)
{
    CN_ARG_CHECK(ct != NULL && x != NULL && bits >= 1 && bits <= CRYPTONN_FEIP_MAX_BITS);
    if (n != width || ct->n != width) return CRYPTONN_ERR_MISMATCH;
    /* A fresh r per ciphertext: two ciphertexts sharing r would reveal
     * g^{x_i - x'_i} slot by slot. */
    sc25519 r;
    sc25519_random(&r);
    ge25519_scalarmult_base(&ct->c0, &r);
    /* An entry out of range is replaced by 0 and reported at the end: the
     * work, and every branch, is the same either way; only the verdict is
     * public. */
    uint64_t bad = 0;
#pragma omp parallel for if (n >= 4096) schedule(static) reduction(| : bad)
    for (size_t i = 0; i < n; i++) {
        ge25519 a, gx;
        uint64_t m = out_of_bits_mask(x[i], bits);
        bad |= m;
        if (t) ge25519_fixed_mul(&a, t[i], &r);
        else ge25519_scalarmult(&a, &h[i], &r);
        ge25519_scalarmult_base_small(&gx, (int64_t)((uint64_t)x[i] & ~m), bits);
        ge25519_add(&ct->c[i], &a, &gx);
        cn_wipe(&a, sizeof a);
        cn_wipe(&gx, sizeof gx);
    }
    memcpy(ct->id, id, FEIP_ID_BYTES);
    cn_wipe(&r, sizeof r);
    return (int)((uint64_t)CRYPTONN_ERR_RANGE & bad);
}

int cryptonn_feip_encrypt(const cryptonn_feip_encryptor *enc, cryptonn_feip_ct *ct,
                          const int64_t *x, size_t n, unsigned bits)
{
    CN_ARG_CHECK(enc != NULL);
    return encrypt_common(enc->id, enc->n, NULL, enc->t, ct, x, n, bits);
}

int cryptonn_feip_encrypt_mpk(const cryptonn_feip_mpk *mpk, cryptonn_feip_ct *ct, const int64_t *x,
                              size_t n, unsigned bits)
{
    CN_ARG_CHECK(mpk != NULL);
    return encrypt_common(mpk->id, mpk->n, mpk->h, NULL, ct, x, n, bits);
}

/* The per-slot work of encrypt_common with the loops swapped: slot outer,
 * ciphertext inner, so each slot's 60 KB table is fetched once for all
 * `count` ciphertexts (with the 50,176-slot batch mpk, 3 GB of tables, that
 * halved the time per slot), and the ciphertexts of a slot are computed
 * together (ge25519_fixed_mul_many: eight at a time on AVX-512 IFMA). */
int cryptonn_feip_encrypt_many(const cryptonn_feip_encryptor *enc, cryptonn_feip_ct *const *cts,
                               const int64_t *const *xs, size_t count, size_t n, unsigned bits)
{
    CN_ARG_CHECK(enc != NULL && cts != NULL && xs != NULL && count >= 1 && count <= 256);
    CN_ARG_CHECK(bits >= 1 && bits <= CRYPTONN_FEIP_MAX_BITS);
    if (n != enc->n) return CRYPTONN_ERR_MISMATCH;
    for (size_t j = 0; j < count; j++) {
        CN_ARG_CHECK(cts[j] != NULL && xs[j] != NULL);
        if (cts[j]->n != n) return CRYPTONN_ERR_MISMATCH;
    }
    sc25519 r[256];
    sc25519_radix16 rd[256];
    for (size_t j = 0; j < count; j++) { /* a fresh r per ciphertext, as encrypt_common */
        sc25519_random(&r[j]);
        ge25519_scalarmult_base(&cts[j]->c0, &r[j]);
        sc25519_to_radix16(&rd[j], &r[j]);
    }
    uint64_t bad = 0;
#pragma omp parallel for if (n * count >= 4096) schedule(static) reduction(| : bad)
    for (size_t i = 0; i < n; i++) {
        int64_t v[256];
        ge25519 *out[256];
        for (size_t j = 0; j < count; j++) {
            uint64_t m = out_of_bits_mask(xs[j][i], bits);
            bad |= m;
            v[j] = (int64_t)((uint64_t)xs[j][i] & ~m);
            out[j] = &cts[j]->c[i];
        }
        ge25519_fixed_mul_many(out, enc->t[i], rd, v, bits, count);
        cn_wipe(v, count * sizeof v[0]);
    }
    for (size_t j = 0; j < count; j++) memcpy(cts[j]->id, enc->id, FEIP_ID_BYTES);
    cn_wipe(r, count * sizeof r[0]);
    cn_wipe(rd, count * sizeof rd[0]);
    return (int)((uint64_t)CRYPTONN_ERR_RANGE & bad);
}
