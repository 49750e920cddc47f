/* Secure matrix computation: XY equals the plaintext product on both
 * decryption paths (column-wise and prepared), the roles run separately
 * through the file formats, and an XY that may not fit is refused first. */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/smc.h"
#include "testutil.h"

static void plain(const int64_t *X, const int64_t *Y, size_t l, size_t n, size_t m, int64_t *Z)
{
    for (size_t i = 0; i < l; i++)
        for (size_t j = 0; j < m; j++) {
            int64_t s = 0;
            for (size_t k = 0; k < n; k++) s += X[i * n + k] * Y[k * m + j];
            Z[i * m + j] = s;
        }
}

static void one(const cryptonn_dlog *d, size_t l, size_t n, size_t m, int64_t mag)
{
    int64_t *X = malloc(l * n * 8), *Y = malloc(n * m * 8), *Z = malloc(l * m * 8),
            *W = malloc(l * m * 8);
    for (size_t i = 0; i < l * n; i++) X[i] = t_rand_range(-mag, mag);
    for (size_t i = 0; i < n * m; i++) Y[i] = t_rand_range(-mag, mag);
    plain(X, Y, l, n, m, Z);
    CHECK_EQ_INT(cryptonn_smc_multiply(d, X, l, n, Y, m, W), CRYPTONN_OK);
    CHECK(memcmp(Z, W, l * m * 8) == 0);
    free(X);
    free(Y);
    free(Z);
    free(W);
}

int main(void)
{
    t_init("test_smc");
    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 1 << 20, 2048, NULL), CRYPTONN_OK);
    one(d, 1, 1, 1, 1000);
    one(d, 3, 4, 2, 50);
    one(d, 5, 25, 40, 30); /* the prepared path */
    one(d, 7, 10, 1, 100);

    /* Too large for the bound: refused before any work. */
    int64_t X[2] = {1 << 20, 1}, Y[2] = {2, 0}, W[1];
    CHECK_EQ_INT(cryptonn_smc_multiply(d, X, 1, 2, Y, 1, W), CRYPTONN_ERR_RANGE);
    uint64_t b;
    CHECK_EQ_INT(cryptonn_smc_bound(X, 1, 2, Y, 1, &b), CRYPTONN_OK);
    CHECK_EQ_INT(b, 2 << 20);

    /* The three roles apart, every object through its file format. */
    const size_t l = 4, n = 6, m = 3;
    int64_t A[24], B[18], Z[12], R[12];
    for (int i = 0; i < 24; i++) A[i] = t_rand_range(-9, 9);
    for (int i = 0; i < 18; i++) B[i] = t_rand_range(-9, 9);
    plain(A, B, l, n, m, Z);
    const char *dir = t_tmpdir();
    char pmpk[512], pmsk[512], pkeys[512], pcts[512];
    snprintf(pmpk, sizeof pmpk, "%s/smc.mpk", dir);
    snprintf(pmsk, sizeof pmsk, "%s/smc.msk", dir);
    snprintf(pkeys, sizeof pkeys, "%s/smc.keys", dir);
    snprintf(pcts, sizeof pcts, "%s/smc.cts", dir);
    { /* authority */
        cryptonn_feip_mpk *mpk;
        cryptonn_feip_msk *msk;
        CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, n), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_mpk_save(mpk, pmpk), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_msk_save(msk, pmsk), CRYPTONN_OK);
        cryptonn_feip_mpk_destroy(mpk);
        cryptonn_feip_msk_destroy(msk);
    }
    { /* Alice */
        cryptonn_feip_mpk *mpk;
        CHECK_EQ_INT(cryptonn_feip_mpk_load(&mpk, pmpk), CRYPTONN_OK);
        cryptonn_feip_encryptor *enc;
        CHECK_EQ_INT(cryptonn_feip_encryptor_create(&enc, mpk), CRYPTONN_OK);
        cryptonn_feip_ct *cts[4];
        for (size_t i = 0; i < l; i++) CHECK_EQ_INT(cryptonn_feip_ct_create(&cts[i], n), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_smc_encrypt_rows(enc, A, l, n, 4, cts), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_ct_batch_save((const cryptonn_feip_ct *const *)cts, l, pcts), CRYPTONN_OK);
        for (size_t i = 0; i < l; i++) cryptonn_feip_ct_destroy(cts[i]);
        cryptonn_feip_encryptor_destroy(enc);
        cryptonn_feip_mpk_destroy(mpk);
    }
    { /* authority issues Bob's keys */
        cryptonn_feip_msk *msk;
        CHECK_EQ_INT(cryptonn_feip_msk_load(&msk, pmsk), CRYPTONN_OK);
        cryptonn_feip_keys *keys;
        CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_smc_keygen_cols(msk, keys, B, n, m), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_keys_save(keys, pkeys), CRYPTONN_OK);
        cryptonn_feip_keys_destroy(keys);
        cryptonn_feip_msk_destroy(msk);
    }
    { /* Bob */
        cryptonn_feip_keys *keys;
        cryptonn_feip_ct **cts;
        size_t count;
        CHECK_EQ_INT(cryptonn_feip_keys_load(&keys, pkeys), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_ct_batch_load(&cts, &count, pcts), CRYPTONN_OK);
        CHECK_EQ_INT(count, l);
        cryptonn_feip_decryptor *dec;
        CHECK_EQ_INT(cryptonn_feip_decryptor_create(&dec, d, 0), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_smc_decrypt(dec, (const cryptonn_feip_ct *const *)cts, l, keys, m, R),
                     CRYPTONN_OK);
        CHECK(memcmp(R, Z, sizeof Z) == 0);
        cryptonn_feip_decryptor_destroy(dec);
        cryptonn_feip_ct_batch_free(cts, count);
        cryptonn_feip_keys_destroy(keys);
    }
    cryptonn_dlog_destroy(d);
    return t_done();
}
