/* FEIP: exact inner products (negatives, 0, ±bound, n from 1 to 784), sparse
 * keys = dense keys, batched = single decryption, prepared objects rebuilt
 * in place, an exhaustive sweep of a tiny case, and every way a key or
 * ciphertext can be wrong. */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/feip.h"
#include "scheme/feip_internal.h"
#include "testutil.h"

#define BOUND 100000

static cryptonn_dlog *D;
static cryptonn_feip_decryptor *DEC;

static int64_t dot(const int64_t *x, const int64_t *y, size_t n)
{
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) s += x[i] * y[i];
    return s;
}

static void rand_vec(int64_t *v, size_t n, int64_t mag)
{
    for (size_t i = 0; i < n; i++) v[i] = t_rand_range(-mag, mag);
}

/* Random vectors of width n, magnitudes chosen so n·X·Y stays in the bound. */
static void test_width(size_t n, int reps)
{
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, n), CRYPTONN_OK);
    cryptonn_feip_encryptor *enc;
    CHECK_EQ_INT(cryptonn_feip_encryptor_create(&enc, mpk), CRYPTONN_OK);
    cryptonn_feip_ct *ct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, n), CRYPTONN_OK);
    cryptonn_feip_keys *keys;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    int64_t *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    int64_t mag = 1;
    while ((int64_t)n * (mag + 1) * (mag + 1) <= BOUND) mag++;
    int ok = 1;
    for (int r = 0; r < reps; r++) {
        rand_vec(x, n, mag);
        rand_vec(y, n, mag);
        if (cryptonn_feip_encrypt(enc, ct, x, n, 20) != CRYPTONN_OK) ok = 0;
        cryptonn_feip_keys_clear(keys);
        if (cryptonn_feip_keygen(msk, keys, y, n) != CRYPTONN_OK) ok = 0;
        int64_t v;
        int rc = cryptonn_feip_decrypt_var(DEC, ct, keys, 0, &v);
        if (rc != CRYPTONN_OK || v != dot(x, y, n)) {
            ok = 0;
            fprintf(stderr, "n=%zu rc=%d got %lld want %lld\n", n, rc, (long long)v,
                    (long long)dot(x, y, n));
        }
    }
    CHECK(ok);

    /* ±bound and one beyond, through slot n-1. */
    memset(x, 0, n * sizeof *x);
    memset(y, 0, n * sizeof *y);
    const int64_t xs[] = {BOUND, -BOUND, BOUND + 1, -(BOUND + 1), 0};
    for (size_t c = 0; c < 5; c++) {
        x[n - 1] = xs[c];
        y[n - 1] = 1;
        CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(mpk, ct, x, n, 20), CRYPTONN_OK);
        cryptonn_feip_keys_clear(keys);
        CHECK_EQ_INT(cryptonn_feip_keygen(msk, keys, y, n), CRYPTONN_OK);
        int64_t v = 99;
        int rc = cryptonn_feip_decrypt_var(DEC, ct, keys, 0, &v);
        if (c == 2 || c == 3) {
            CHECK_EQ_INT(rc, CRYPTONN_ERR_RANGE);
            CHECK_EQ_INT(v, 0);
        } else {
            CHECK_EQ_INT(rc, CRYPTONN_OK);
            CHECK_EQ_INT(v, xs[c]);
        }
    }
    free(x);
    free(y);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
}

/* LeNet-5 conv1 shaped keys: a 5×5 filter at each position of a 28×28
 * image, sparse; batched over a prepared ciphertext = single decryptions =
 * plaintext. Also one key on many ciphertexts. */
static void test_conv_batch(void)
{
    const size_t n = 784;
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, n), CRYPTONN_OK);
    cryptonn_feip_encryptor *enc;
    CHECK_EQ_INT(cryptonn_feip_encryptor_create(&enc, mpk), CRYPTONN_OK);
    int64_t x[784];
    for (size_t i = 0; i < n; i++) x[i] = t_rand_range(0, 100);
    cryptonn_feip_ct *ct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct, x, n, 8), CRYPTONN_OK);

    int64_t w[25];
    for (int i = 0; i < 25; i++) w[i] = t_rand_range(-40, 40);
    cryptonn_feip_keys *keys, *dense;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_create(&dense), CRYPTONN_OK);
    size_t npos = (size_t)t_iters(24 * 24, 60);
    int64_t *want = malloc(npos * sizeof *want);
    for (size_t p = 0; p < npos; p++) {
        size_t r0 = (p / 24) % 24, c0 = p % 24;
        uint32_t idx[25];
        int64_t val[25], yd[784] = {0};
        for (int a = 0; a < 5; a++)
            for (int b = 0; b < 5; b++) {
                idx[a * 5 + b] = (uint32_t)((r0 + a) * 28 + c0 + b);
                val[a * 5 + b] = w[a * 5 + b];
                yd[(r0 + a) * 28 + c0 + b] = w[a * 5 + b];
            }
        CHECK_EQ_INT(cryptonn_feip_keygen_sparse(msk, keys, idx, val, 25), CRYPTONN_OK);
        if (p < 20) CHECK_EQ_INT(cryptonn_feip_keygen(msk, dense, yd, n), CRYPTONN_OK);
        want[p] = dot(x, yd, n);
    }
    CHECK_EQ_INT(cryptonn_feip_keys_count(keys), npos);
    /* Sparse and dense keygen give the same key. */
    int same = 1;
    for (size_t p = 0; p < 20; p++) {
        const uint32_t *i1, *i2;
        const int64_t *v1, *v2;
        size_t m1 = cryptonn_feip_keys_get(keys, p, &i1, &v1);
        size_t m2 = cryptonn_feip_keys_get(dense, p, &i2, &v2);
        if (m1 != m2 || memcmp(i1, i2, m1 * 4) || memcmp(v1, v2, m1 * 8) ||
            memcmp(&keys->sk[p], &dense->sk[p], 32))
            same = 0;
    }
    CHECK(same);

    cryptonn_feip_prepared *prep;
    CHECK_EQ_INT(cryptonn_feip_prepare_var(&prep, ct), CRYPTONN_OK);
    int64_t *got = malloc(npos * sizeof *got);
    int *st = malloc(npos * sizeof *st);
    CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, prep, keys, 0, npos, got, st), CRYPTONN_OK);
    int ok = 1;
    for (size_t p = 0; p < npos; p++)
        if (got[p] != want[p] || st[p] != CRYPTONN_OK) ok = 0;
    CHECK(ok);
    /* A sub-range, and singles agree. */
    CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, prep, keys, 7, 13, got, NULL), CRYPTONN_OK);
    ok = 1;
    for (size_t p = 0; p < 13; p++) {
        int64_t v;
        if (got[p] != want[7 + p]) ok = 0;
        if (cryptonn_feip_decrypt_var(DEC, ct, keys, 7 + p, &v) != CRYPTONN_OK || v != want[7 + p]) ok = 0;
    }
    CHECK(ok);

    /* One key on many ciphertexts. */
    enum { NC = 21 };
    cryptonn_feip_ct *cts[NC];
    int64_t xs[NC][784], out[NC];
    for (int j = 0; j < NC; j++) {
        for (size_t i = 0; i < n; i++) xs[j][i] = t_rand_range(-100, 100);
        CHECK_EQ_INT(cryptonn_feip_ct_create(&cts[j], n), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_encrypt(enc, cts[j], xs[j], n, 8), CRYPTONN_OK);
    }
    CHECK_EQ_INT(cryptonn_feip_decrypt_cts_var(DEC, (const cryptonn_feip_ct *const *)cts, NC, dense,
                                               3, out, NULL),
                 CRYPTONN_OK);
    ok = 1;
    const uint32_t *di;
    const int64_t *dv;
    size_t dm = cryptonn_feip_keys_get(dense, 3, &di, &dv);
    for (int j = 0; j < NC; j++) {
        int64_t s = 0;
        for (size_t k = 0; k < dm; k++) s += xs[j][di[k]] * dv[k];
        if (out[j] != s) ok = 0;
    }
    CHECK(ok);

    /* Independent (ciphertext, key) pairs with batched dlogs. */
    {
        const cryptonn_feip_ct *pc[NC];
        uint32_t pk[NC];
        int64_t po[NC];
        for (int j = 0; j < NC; j++) {
            pc[j] = cts[(j * 5) % NC];
            pk[j] = (uint32_t)(j % 20);
        }
        CHECK_EQ_INT(cryptonn_feip_decrypt_pairs_var(DEC, pc, dense, pk, NC, po, NULL), CRYPTONN_OK);
        ok = 1;
        for (int j = 0; j < NC; j++) {
            int64_t s1;
            if (cryptonn_feip_decrypt_var(DEC, pc[j], dense, pk[j], &s1) != CRYPTONN_OK || s1 != po[j])
                ok = 0;
        }
        CHECK(ok);
    }

    /* A large-support key (the gradient case) on the prepared ciphertext
     * takes the bucket path: dense y over all 784 slots, and more. */
    cryptonn_feip_ct *wide;
    size_t wn = 8300; /* beyond the slot-table limit: comb only */
    cryptonn_feip_mpk *wmpk;
    cryptonn_feip_msk *wmsk;
    CHECK_EQ_INT(cryptonn_feip_setup(&wmpk, &wmsk, wn), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_ct_create(&wide, wn), CRYPTONN_OK);
    int64_t *wx = malloc(wn * 8), *wy = malloc(wn * 8);
    rand_vec(wx, wn, 8);
    rand_vec(wy, wn, 8);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(wmpk, wide, wx, wn, 4), CRYPTONN_OK);
    cryptonn_feip_keys *wk;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&wk), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keygen(wmsk, wk, wy, wn), CRYPTONN_OK);
    uint32_t si[3] = {1, 4000, 8299};
    int64_t sv[3] = {5, -7, 3};
    CHECK_EQ_INT(cryptonn_feip_keygen_sparse(wmsk, wk, si, sv, 3), CRYPTONN_OK);
    int64_t sw = 5 * wx[1] - 7 * wx[4000] + 3 * wx[8299];
    wy[0] = -wy[0] + 1;
    CHECK_EQ_INT(cryptonn_feip_keygen(wmsk, wk, wy, wn), CRYPTONN_OK);
    cryptonn_feip_prepared *wp;
    CHECK_EQ_INT(cryptonn_feip_prepare_var(&wp, wide), CRYPTONN_OK);
    int64_t wo[3];
    CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, wp, wk, 0, 3, wo, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(wo[1], sw);
    CHECK_EQ_INT(wo[2], dot(wx, wy, wn));
    wy[0] = -(wy[0] - 1);
    CHECK_EQ_INT(wo[0], dot(wx, wy, wn));
    cryptonn_feip_prepared_destroy(wp);
    cryptonn_feip_keys_destroy(wk);
    cryptonn_feip_ct_destroy(wide);
    cryptonn_feip_msk_destroy(wmsk);
    cryptonn_feip_mpk_destroy(wmpk);
    free(wx);
    free(wy);

    /* Wrong keys: a damaged sk, damaged values → RANGE (never a value);
     * a ciphertext of another mpk → MISMATCH, and → RANGE if the id is forged. */
    int64_t v = 5;
    keys->sk[2].v[0] ^= 1;
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct, keys, 2, &v), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, prep, keys, 0, 5, got, st), CRYPTONN_ERR_RANGE);
    CHECK(st[2] == CRYPTONN_ERR_RANGE && st[1] == CRYPTONN_OK && got[1] == want[1] && got[2] == 0);
    keys->sk[2].v[0] ^= 1;
    keys->val[keys->off[4]] += 1;
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct, keys, 4, &v), CRYPTONN_ERR_RANGE);
    keys->val[keys->off[4]] -= 1;
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct, keys, 4, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, want[4]);

    cryptonn_feip_mpk *mpk2;
    cryptonn_feip_msk *msk2;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk2, &msk2, n), CRYPTONN_OK);
    cryptonn_feip_ct *ct2;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct2, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(mpk2, ct2, x, n, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct2, keys, 0, &v), CRYPTONN_ERR_MISMATCH);
    memcpy(ct2->id, ct->id, FEIP_ID_BYTES);
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct2, keys, 0, &v), CRYPTONN_ERR_RANGE);
    /* Keys of two mpks do not mix in one set. */
    CHECK_EQ_INT(cryptonn_feip_keygen(msk2, keys, x, n), CRYPTONN_ERR_MISMATCH);
    /* Wrong widths and ranges. */
    CHECK_EQ_INT(cryptonn_feip_keygen(msk, keys, x, n - 1), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct, x, n - 1, 8), CRYPTONN_ERR_MISMATCH);
    x[100] = 256;
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct, x, n, 8), CRYPTONN_ERR_RANGE);
    x[100] = INT64_MIN;
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct, x, n, 62), CRYPTONN_ERR_RANGE);
    uint32_t bi[2] = {5, 5};
    int64_t bv[2] = {1, 1};
    CHECK_EQ_INT(cryptonn_feip_keygen_sparse(msk, keys, bi, bv, 2), CRYPTONN_ERR_ARG);
    bi[1] = 784;
    CHECK_EQ_INT(cryptonn_feip_keygen_sparse(msk, keys, bi, bv, 2), CRYPTONN_ERR_ARG);
    bi[1] = 6;
    bv[1] = (int64_t)1 << 31;
    CHECK_EQ_INT(cryptonn_feip_keygen_sparse(msk, keys, bi, bv, 2), CRYPTONN_ERR_RANGE);
    /* The zero key gives 0. */
    size_t zi = cryptonn_feip_keys_count(keys);
    CHECK_EQ_INT(cryptonn_feip_keygen_sparse(msk, keys, NULL, NULL, 0), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct, keys, zi, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 0);

    cryptonn_feip_ct_destroy(ct2);
    cryptonn_feip_msk_destroy(msk2);
    cryptonn_feip_mpk_destroy(mpk2);
    for (int j = 0; j < NC; j++) cryptonn_feip_ct_destroy(cts[j]);
    free(got);
    free(st);
    free(want);
    cryptonn_feip_prepared_destroy(prep);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_keys_destroy(dense);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
}

/* Every x and y in [-3,3]^2: 49 ciphertexts × 49 keys. */
static void test_exhaustive_small(void)
{
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, 2), CRYPTONN_OK);
    cryptonn_feip_encryptor *enc;
    CHECK_EQ_INT(cryptonn_feip_encryptor_create(&enc, mpk), CRYPTONN_OK);
    cryptonn_feip_keys *keys;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    for (int a = -3; a <= 3; a++)
        for (int b = -3; b <= 3; b++) {
            int64_t y[2] = {a, b};
            CHECK_EQ_INT(cryptonn_feip_keygen(msk, keys, y, 2), CRYPTONN_OK);
        }
    cryptonn_feip_ct *ct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, 2), CRYPTONN_OK);
    int ok = 1;
    for (int a = -3; a <= 3; a++)
        for (int b = -3; b <= 3; b++) {
            int64_t x[2] = {a, b}, out[49];
            if (cryptonn_feip_encrypt(enc, ct, x, 2, 2) != CRYPTONN_OK) ok = 0;
            cryptonn_feip_prepared *p;
            if (cryptonn_feip_prepare_var(&p, ct) != CRYPTONN_OK) {
                ok = 0;
                continue;
            }
            if (cryptonn_feip_decrypt_keys_var(DEC, p, keys, 0, 49, out, NULL) != CRYPTONN_OK) ok = 0;
            for (int k = 0; k < 49; k++) {
                int64_t ya = k / 7 - 3, yb = k % 7 - 3;
                if (out[k] != a * ya + b * yb) ok = 0;
            }
            cryptonn_feip_prepared_destroy(p);
        }
    CHECK(ok);
    /* The scheme's equations directly: ct_i = h_i^r g^{x_i} with
     * ct_0 = g^r, so ct_i - s_i·ct_0 = x_i·g. */
    int64_t x[2] = {3, -2};
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct, x, 2, 2), CRYPTONN_OK);
    for (int i = 0; i < 2; i++) {
        ge25519 t, gx;
        ge25519_scalarmult(&t, &ct->c0, &msk->s[i]);
        ge25519_sub(&t, &ct->c[i], &t);
        ge25519_scalarmult_base_small(&gx, x[i], 2);
        CHECK(ge25519_eq(&t, &gx));
        ge25519_scalarmult_base(&gx, &msk->s[i]);
        CHECK(ge25519_eq(&gx, &mpk->h[i]));
    }
    /* Two encryptions of one x never share r. */
    cryptonn_feip_ct *ct2;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct2, 2), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct2, x, 2, 2), CRYPTONN_OK);
    CHECK(!ge25519_eq(&ct->c0, &ct2->c0));
    cryptonn_feip_ct_destroy(ct2);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
}

/* The wire form of a key: keygen_sk gives the scalar keygen_sparse would
 * put in the set (checked against sk = Σ y_i s_i computed here with the
 * scalar arithmetic, and by decryption), and keys_append rebuilds a working
 * key from it; a wrong scalar decrypts to RANGE, a non-canonical one or a
 * set of another mpk is refused. */
static void test_sk_wire(void)
{
    const size_t n = 100;
    cryptonn_feip_mpk *mpk, *other;
    cryptonn_feip_msk *msk, *omsk;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_setup(&other, &omsk, n), CRYPTONN_OK);
    cryptonn_feip_ct *ct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, n), CRYPTONN_OK);
    cryptonn_feip_keys *keys;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    int64_t x[100];
    rand_vec(x, n, 30);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(mpk, ct, x, n, 20), CRYPTONN_OK);
    for (int r = 0; r < 20; r++) {
        uint32_t idx[12];
        int64_t val[12];
        uint32_t pos = (uint32_t)t_rand_range(0, 5);
        size_t m = 0;
        for (; m < 12 && pos < n; m++, pos += (uint32_t)t_rand_range(1, 8)) {
            idx[m] = pos;
            val[m] = r == 0 ? ((int64_t)1 << 31) - 1 : t_rand_range(-30, 30);
        }
        uint8_t sk[32];
        CHECK_EQ_INT(cryptonn_feip_keygen_sk(msk, idx, val, m, sk), CRYPTONN_OK);
        sc25519 want, t, acc;
        memset(&acc, 0, sizeof acc);
        for (size_t j = 0; j < m; j++) {
            sc25519_from_i64(&t, val[j]);
            sc25519_mul(&t, &t, &msk->s[idx[j]]);
            sc25519_add(&acc, &acc, &t);
        }
        want = acc;
        CHECK(memcmp(want.v, sk, 32) == 0);
        if (r == 0) continue; /* beyond the dlog bound; the scalar is what was checked */
        cryptonn_feip_keys_clear(keys);
        CHECK_EQ_INT(cryptonn_feip_keys_append(keys, mpk, idx, val, m, sk), CRYPTONN_OK);
        int64_t v = 0, dx = 0;
        for (size_t j = 0; j < m; j++) dx += val[j] * x[idx[j]];
        CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct, keys, 0, &v), CRYPTONN_OK);
        CHECK_EQ_INT(v, dx);
        /* a scalar for another vector: decryption fails, never a wrong value */
        sk[0] ^= 1;
        CHECK_EQ_INT(cryptonn_feip_keys_append(keys, mpk, idx, val, m, sk), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, ct, keys, 1, &v), CRYPTONN_ERR_RANGE);
        /* the set holds mpk's keys: another mpk's are refused */
        CHECK_EQ_INT(cryptonn_feip_keys_append(keys, other, idx, val, m, sk), CRYPTONN_ERR_MISMATCH);
    }
    uint8_t big[32];
    memset(big, 0xff, sizeof big); /* above l */
    uint32_t i2[2] = {3, 9};
    int64_t v2[2] = {1, 2};
    CHECK_EQ_INT(cryptonn_feip_keys_append(keys, mpk, i2, v2, 2, big), CRYPTONN_ERR_ENCODING);
    uint8_t ok[32] = {1};
    uint32_t bad_idx[2] = {9, 3};
    CHECK_EQ_INT(cryptonn_feip_keys_append(keys, mpk, bad_idx, v2, 2, ok), CRYPTONN_ERR_ARG);
    uint32_t far[2] = {3, 100};
    CHECK_EQ_INT(cryptonn_feip_keys_append(keys, mpk, far, v2, 2, ok), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_feip_keygen_sk(msk, far, v2, 2, ok), CRYPTONN_ERR_ARG);
    int64_t huge[2] = {1, (int64_t)1 << 31};
    CHECK_EQ_INT(cryptonn_feip_keys_append(keys, mpk, i2, huge, 2, ok), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(cryptonn_feip_keygen_sk(msk, i2, huge, 2, ok), CRYPTONN_ERR_RANGE);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
    cryptonn_feip_msk_destroy(omsk);
    cryptonn_feip_mpk_destroy(other);
}

/* Ciphertexts from encrypt and encrypt_many; a prepared object rebuilt in
 * place for one ciphertext after another (create + set, the server's loop)
 * = plaintext, for keys inside its weight
 * bits (up to ±255 at 8 bits: two digits, the top one at its bound), keys
 * beyond them (which take the support-sum path), a dense key (a long sum)
 * and the zero key; misuse is refused. */
static void test_prepared_reuse(void)
{
    const size_t n = 784;
    enum { NCT = 11, NK = 40 };
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, n), CRYPTONN_OK);
    cryptonn_feip_encryptor *enc;
    CHECK_EQ_INT(cryptonn_feip_encryptor_create(&enc, mpk), CRYPTONN_OK);
    static int64_t x[NCT][784];
    cryptonn_feip_ct *ct[NCT];
    const int64_t *xs[NCT];
    for (int c = 0; c < NCT; c++) {
        for (size_t i = 0; i < n; i++) x[c][i] = t_rand_range(0, 15);
        x[c][0] = 1; /* the wide-weight keys use slot 0 and stay inside the bound */
        xs[c] = x[c];
        CHECK_EQ_INT(cryptonn_feip_ct_create(&ct[c], n), CRYPTONN_OK);
    }
    /* the first by itself, the rest together (eight lanes and a partial group) */
    CHECK_EQ_INT(cryptonn_feip_encrypt(enc, ct[0], x[0], n, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_many(enc, ct + 1, xs + 1, NCT - 1, n, 8), CRYPTONN_OK);
    x[NCT - 1][5] = 256; /* out of 8 bits: refused, whichever lane it is in */
    CHECK_EQ_INT(cryptonn_feip_encrypt_many(enc, ct + 2, xs + 2, NCT - 2, n, 8), CRYPTONN_ERR_RANGE);
    x[NCT - 1][5] = 3;
    CHECK_EQ_INT(cryptonn_feip_encrypt_many(enc, ct + 2, xs + 2, NCT - 2, n, 8), CRYPTONN_OK);
    cryptonn_feip_keys *keys;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    static int64_t y[NK][784];
    memset(y, 0, sizeof y);
    for (int k = 0; k < NK; k++) {
        if (k < 30) { /* conv-shaped, 8-bit weights with the extremes */
            size_t r0 = (size_t)t_rand_range(0, 23), c0 = (size_t)t_rand_range(0, 23);
            for (int a = 0; a < 25; a++) {
                int64_t w = t_rand_range(-255, 255);
                if (a == k % 25) w = k & 1 ? 255 : -255;
                y[k][(r0 + (size_t)a / 5) * 28 + c0 + (size_t)a % 5] = w;
            }
        } else if (k < 37) { /* 9..16-bit weights on slot 0, one small tap elsewhere */
            const int b = 9 + (k - 30);
            y[k][0] = (k & 1 ? -1 : 1) * (((int64_t)1 << b) - 1);
            y[k][1 + (size_t)t_rand_range(0, 700)] = t_rand_range(-3, 3);
        } else if (k == 37) { /* dense */
            for (size_t i = 0; i < n; i++) y[k][i] = t_rand_range(-8, 8);
        } /* 38, 39: the zero key */
        CHECK_EQ_INT(cryptonn_feip_keygen(msk, keys, y[k], n), CRYPTONN_OK);
    }
    cryptonn_feip_prepared *p8b, *p16b;
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&p8b, n, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&p16b, n, 16), CRYPTONN_OK);
    static const int order[] = {0, 1, 2, 0, 9, 10, 7};
    int ok = 1;
    for (size_t o = 0; o < sizeof order / sizeof order[0]; o++) {
        const int c = order[o];
        CHECK_EQ_INT(cryptonn_feip_prepared_set_var(p8b, ct[c]), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_prepared_set_var(p16b, ct[c]), CRYPTONN_OK);
        int64_t got8[NK], got16[NK];
        int st[NK];
        CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, p8b, keys, 0, NK, got8, st), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, p16b, keys, 0, NK, got16, NULL), CRYPTONN_OK);
        for (int k = 0; k < NK; k++) {
            const int64_t want = dot(x[c], y[k], n);
            if (got8[k] != want || got16[k] != want || st[k] != CRYPTONN_OK) ok = 0;
        }
    }
    CHECK(ok);
    /* misuse */
    cryptonn_feip_prepared *bad = (cryptonn_feip_prepared *)1;
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&bad, n, 0), CRYPTONN_ERR_ARG);
    CHECK(bad == NULL);
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&bad, n, 32), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&bad, 0, 8), CRYPTONN_ERR_ARG);
    cryptonn_feip_prepared *narrow;
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&narrow, n - 1, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_prepared_set_var(narrow, ct[0]), CRYPTONN_ERR_MISMATCH);
    cryptonn_feip_prepared_destroy(narrow);
    cryptonn_feip_prepared_destroy(p8b);
    cryptonn_feip_prepared_destroy(p16b);
    cryptonn_feip_keys_destroy(keys);
    for (int c = 0; c < NCT; c++) cryptonn_feip_ct_destroy(ct[c]);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
}

int main(void)
{
    t_init("test_feip");
    CHECK_EQ_INT(cryptonn_dlog_create(&D, BOUND, 4096, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&DEC, D, 16), CRYPTONN_OK);
    cryptonn_feip_mpk *m;
    cryptonn_feip_msk *s;
    CHECK_EQ_INT(cryptonn_feip_setup(&m, &s, 0), CRYPTONN_ERR_ARG);
    const size_t widths[] = {1, 2, 3, 10, 25, 100, 333, 784};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++)
        test_width(widths[i], widths[i] > 100 ? (int)t_iters(4, 1) : (int)t_iters(20, 3));
    test_conv_batch();
    test_prepared_reuse();
    test_exhaustive_small();
    test_sk_wire();
    cryptonn_feip_decryptor_destroy(DEC);
    cryptonn_dlog_destroy(D);
    return t_done();
}
