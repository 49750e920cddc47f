/* Secure matrix computation (CryptoNN §III-C), the three roles spelled out.
 *
 * The authority creates an FEIP key pair of width n. Alice encrypts each row
 * of her matrix X (l×n) under the public key. Bob wants XY for his Y (n×m):
 * he asks the authority for one function key per column of Y and decrypts
 * the l·m inner products, learning XY and nothing else about X.
 *
 * Build: part of the cryptonn build (example_smc). Run: ./example_smc */
#include <stdio.h>
#include <stdlib.h>

#include "cryptonn/cryptonn.h"

#define L 3
#define N 4
#define M 2

static int fail(const char *what, int rc)
{
    fprintf(stderr, "example_smc: %s: %s\n", what, cryptonn_status_str(rc));
    return 1;
}

int main(void)
{
    if (cryptonn_init() != CRYPTONN_OK) return 1;
    /* Reals with two decimal digits, as in the paper. */
    const double Xr[L][N] = {{0.5, -1.25, 2.0, 0.0}, {1.0, 1.0, 1.0, 1.0}, {-0.75, 0.33, 0.1, 4.2}};
    const double Yr[N][M] = {{1.0, 0.5}, {-2.0, 0.0}, {0.25, 1.5}, {0.0, -1.0}};
    cryptonn_fixed f;
    int64_t X[L * N], Y[N * M], XY[L * M];
    int rc = cryptonn_fixed_init(&f, 10, 2);
    if (rc == CRYPTONN_OK) rc = cryptonn_fixed_encode(&f, X, &Xr[0][0], L * N, 1000, NULL);
    if (rc == CRYPTONN_OK) rc = cryptonn_fixed_encode(&f, Y, &Yr[0][0], N * M, 1000, NULL);
    if (rc != CRYPTONN_OK) return fail("fixed point", rc);

    /* Bob's discrete-log range must cover every |(XY)_ij|: check first. */
    uint64_t bound;
    cryptonn_dlog *dlog;
    if ((rc = cryptonn_smc_bound(X, L, N, Y, M, &bound)) != CRYPTONN_OK) return fail("bound", rc);
    if ((rc = cryptonn_dlog_create(&dlog, bound, 0, NULL)) != CRYPTONN_OK) return fail("dlog", rc);

    /* Authority. */
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    if ((rc = cryptonn_feip_setup(&mpk, &msk, N)) != CRYPTONN_OK) return fail("setup", rc);

    /* Alice. */
    cryptonn_feip_encryptor *enc;
    cryptonn_feip_ct *cts[L];
    if ((rc = cryptonn_feip_encryptor_create(&enc, mpk)) != CRYPTONN_OK) return fail("encryptor", rc);
    for (int i = 0; i < L; i++)
        if ((rc = cryptonn_feip_ct_create(&cts[i], N)) != CRYPTONN_OK) return fail("ct", rc);
    if ((rc = cryptonn_smc_encrypt_rows(enc, X, L, N, 16, cts)) != CRYPTONN_OK) return fail("encrypt", rc);

    /* Authority issues Bob's column keys. */
    cryptonn_feip_keys *keys;
    if ((rc = cryptonn_feip_keys_create(&keys)) != CRYPTONN_OK) return fail("keys", rc);
    if ((rc = cryptonn_smc_keygen_cols(msk, keys, Y, N, M)) != CRYPTONN_OK) return fail("keygen", rc);

    /* Bob. */
    cryptonn_feip_decryptor *dec;
    if ((rc = cryptonn_feip_decryptor_create(&dec, dlog, 0)) != CRYPTONN_OK) return fail("decryptor", rc);
    rc = cryptonn_smc_decrypt(dec, (const cryptonn_feip_ct *const *)cts, L, keys, M, XY);
    if (rc != CRYPTONN_OK) return fail("decrypt", rc);

    int ok = 1;
    printf("XY =\n");
    for (int i = 0; i < L; i++) {
        for (int j = 0; j < M; j++) {
            int64_t want = 0;
            for (int k = 0; k < N; k++) want += X[i * N + k] * Y[k * M + j];
            ok &= want == XY[i * M + j];
            printf("  %9.4f", cryptonn_fixed_decode_product(&f, &f, XY[i * M + j]));
        }
        printf("\n");
    }
    printf("%s\n", ok ? "matches the plaintext product" : "MISMATCH");

    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_feip_keys_destroy(keys);
    for (int i = 0; i < L; i++) cryptonn_feip_ct_destroy(cts[i]);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
    cryptonn_dlog_destroy(dlog);
    return ok ? 0 : 1;
}
