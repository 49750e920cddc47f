/* Built by tests/cli_library.sh against libcryptonn.a and libsodium.a, both
 * static: a program that uses cryptonn's FEIP and libsodium's own
 * ristretto255, so both archives' group code (each with a ge25519_add, a
 * sc25519_mul, ...) lands in one executable. Exits 0 only if both compute
 * right: libsodium's 2·B by multiplication and by addition agree, and an FEIP
 * decryption yields the plaintext inner product. */
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "cryptonn/cryptonn.h"

#define N 3

static int feip_inner_product(int64_t *got)
{
    const int64_t x[N] = {7, -3, 12}, y[N] = {-2, 5, 4};
    cryptonn_dlog *dlog = NULL;
    cryptonn_feip_mpk *mpk = NULL;
    cryptonn_feip_msk *msk = NULL;
    cryptonn_feip_encryptor *enc = NULL;
    cryptonn_feip_ct *ct = NULL;
    cryptonn_feip_keys *keys = NULL;
    cryptonn_feip_decryptor *dec = NULL;
    int rc = cryptonn_dlog_create(&dlog, 1000, 0, NULL);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_setup(&mpk, &msk, N);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_encryptor_create(&enc, mpk);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_ct_create(&ct, N);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_encrypt(enc, ct, x, N, 8);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_keys_create(&keys);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_keygen(msk, keys, y, N);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_decryptor_create(&dec, dlog, 0);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_decrypt_var(dec, ct, keys, 0, got);
    if (dec) cryptonn_feip_decryptor_destroy(dec);
    if (keys) cryptonn_feip_keys_destroy(keys);
    if (ct) cryptonn_feip_ct_destroy(ct);
    if (enc) cryptonn_feip_encryptor_destroy(enc);
    if (msk) cryptonn_feip_msk_destroy(msk);
    if (mpk) cryptonn_feip_mpk_destroy(mpk);
    if (dlog) cryptonn_dlog_destroy(dlog);
    return rc;
}

int main(void)
{
    if (sodium_init() < 0 || cryptonn_init() != CRYPTONN_OK) {
        fprintf(stderr, "link_sodium: initialisation failed\n");
        return 1;
    }
    unsigned char one[32] = {1}, two[32] = {2}, b[32], twice[32], sum[32];
    if (crypto_scalarmult_ristretto255_base(b, one) != 0 ||
        crypto_scalarmult_ristretto255_base(twice, two) != 0 ||
        crypto_core_ristretto255_add(sum, b, b) != 0 || memcmp(twice, sum, 32) != 0) {
        fprintf(stderr, "link_sodium: libsodium's ristretto255 gives 2B != B + B\n");
        return 1;
    }
    int64_t got = 0;
    const int rc = feip_inner_product(&got);
    if (rc != CRYPTONN_OK || got != 7 * -2 + -3 * 5 + 12 * 4) {
        fprintf(stderr, "link_sodium: FEIP gave %lld (%s), wanted 19\n", (long long)got,
                cryptonn_status_str(rc));
        return 1;
    }
    printf("libsodium ristretto255 and cryptonn FEIP both right in one static executable\n");
    return 0;
}
