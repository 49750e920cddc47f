/* Secure matrix computation on FEIP (smc.h). */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/fixedpoint.h"
#include "cryptonn/smc.h"
#include "util/util.h"

/* Below this many keys a comb table per ciphertext costs more than it saves:
 * decrypt column by column instead. */
#define SMC_PREPARE_MIN_KEYS 32

int cryptonn_smc_encrypt_rows(const cryptonn_feip_encryptor *enc, const int64_t *X, size_t l,
                              size_t n, unsigned bits, cryptonn_feip_ct *const *cts)
{
    CN_ARG_CHECK(enc != NULL && (l == 0 || (X && cts)));
    int rc = CRYPTONN_OK;
#pragma omp parallel for schedule(dynamic, 1) if (l > 1)
    for (size_t i = 0; i < l; i++) {
        int r = cryptonn_feip_encrypt(enc, cts[i], X + i * n, n, bits);
        if (r != CRYPTONN_OK) {
#pragma omp critical(smc_rc)
            if (rc == CRYPTONN_OK) rc = r;
        }
    }
    return rc;
}

int cryptonn_smc_keygen_cols(const cryptonn_feip_msk *msk, cryptonn_feip_keys *keys,
                             const int64_t *Y, size_t n, size_t m)
{
    CN_ARG_CHECK(msk != NULL && keys != NULL && (m == 0 || Y != NULL));
    int64_t *col = cn_malloc_array(n, sizeof *col);
    if (!col) return CRYPTONN_ERR_NOMEM;
    int rc = CRYPTONN_OK;
    for (size_t j = 0; j < m && rc == CRYPTONN_OK; j++) {
        for (size_t i = 0; i < n; i++) col[i] = Y[i * m + j];
        rc = cryptonn_feip_keygen(msk, keys, col, n);
    }
    free(col);
    return rc;
}

int cryptonn_smc_decrypt(cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts, size_t l,
                         const cryptonn_feip_keys *keys, size_t m, int64_t *XY)
{
    CN_ARG_CHECK(dec != NULL && keys != NULL && m <= cryptonn_feip_keys_count(keys));
    CN_ARG_CHECK(l == 0 || m == 0 || (cts && XY));
    int rc = CRYPTONN_OK;
    if (m >= SMC_PREPARE_MIN_KEYS) {
        for (size_t i = 0; i < l && rc == CRYPTONN_OK; i++) {
            cryptonn_feip_prepared *p;
            rc = cryptonn_feip_prepare_var(&p, cts[i]);
            if (rc != CRYPTONN_OK) break;
            rc = cryptonn_feip_decrypt_keys_var(dec, p, keys, 0, m, XY + i * m, NULL);
            cryptonn_feip_prepared_destroy(p);
        }
        return rc;
    }
    int64_t *col = cn_malloc_array(l, sizeof *col);
    if (!col) return CRYPTONN_ERR_NOMEM;
    for (size_t j = 0; j < m && rc == CRYPTONN_OK; j++) {
        rc = cryptonn_feip_decrypt_cts_var(dec, cts, l, keys, j, col, NULL);
        for (size_t i = 0; i < l; i++) XY[i * m + j] = col[i];
    }
    free(col);
    return rc;
}

int cryptonn_smc_bound(const int64_t *X, size_t l, size_t n, const int64_t *Y, size_t m,
                       uint64_t *bound)
{
    CN_ARG_CHECK(bound != NULL);
    uint64_t xmax = 0, best = 0;
    for (size_t i = 0; i < l * n; i++) {
        uint64_t a = X[i] < 0 ? (uint64_t)0 - (uint64_t)X[i] : (uint64_t)X[i];
        if (a > xmax) xmax = a;
    }
    int64_t *col = cn_malloc_array(n, sizeof *col);
    if (!col) return CRYPTONN_ERR_NOMEM;
    int rc = CRYPTONN_OK;
    for (size_t j = 0; j < m && rc == CRYPTONN_OK; j++) {
        for (size_t i = 0; i < n; i++) col[i] = Y[i * m + j];
        uint64_t b;
        rc = cryptonn_fixed_key_bound(xmax, col, n, &b);
        if (rc == CRYPTONN_OK && b > best) best = b;
    }
    free(col);
    *bound = rc == CRYPTONN_OK ? best : UINT64_MAX;
    return rc;
}

int cryptonn_smc_multiply(const cryptonn_dlog *d, const int64_t *X, size_t l, size_t n,
                          const int64_t *Y, size_t m, int64_t *XY)
{
    CN_ARG_CHECK(d != NULL && n >= 1);
    uint64_t bound;
    CN_TRY(cryptonn_smc_bound(X, l, n, Y, m, &bound));
    CN_TRY(cryptonn_fixed_check_fits(bound, d));
    uint64_t xmax = 0;
    for (size_t i = 0; i < l * n; i++) {
        uint64_t a = X[i] < 0 ? (uint64_t)0 - (uint64_t)X[i] : (uint64_t)X[i];
        if (a > xmax) xmax = a;
    }
    unsigned bits = 1;
    while (bits < 62 && (xmax >> bits) != 0) bits++;
    if ((xmax >> bits) != 0) return CRYPTONN_ERR_RANGE;

    cryptonn_feip_mpk *mpk = NULL;
    cryptonn_feip_msk *msk = NULL;
    cryptonn_feip_encryptor *enc = NULL;
    cryptonn_feip_keys *keys = NULL;
    cryptonn_feip_decryptor *dec = NULL;
    cryptonn_feip_ct **cts = calloc(l ? l : 1, sizeof *cts);
    int rc = cts ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_setup(&mpk, &msk, n);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_encryptor_create(&enc, mpk);
    for (size_t i = 0; i < l && rc == CRYPTONN_OK; i++) rc = cryptonn_feip_ct_create(&cts[i], n);
    if (rc == CRYPTONN_OK) rc = cryptonn_smc_encrypt_rows(enc, X, l, n, bits, cts);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_keys_create(&keys);
    if (rc == CRYPTONN_OK) rc = cryptonn_smc_keygen_cols(msk, keys, Y, n, m);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_decryptor_create(&dec, d, 0);
    if (rc == CRYPTONN_OK)
        rc = cryptonn_smc_decrypt(dec, (const cryptonn_feip_ct *const *)cts, l, keys, m, XY);
    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_feip_keys_destroy(keys);
    if (cts)
        for (size_t i = 0; i < l; i++) cryptonn_feip_ct_destroy(cts[i]);
    free(cts);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
    return rc;
}
