/* Constant-time check of the FEIP authority path under valgrind: with the msk
 * marked undefined, key generation (dense and sparse, positive and negative
 * key values) must not branch on or index by it. The keys' secrets are marked
 * defined again before they are used to decrypt, so the result is checked. */
#include <string.h>
#include <valgrind/memcheck.h>

#include "cryptonn/dlog.h"
#include "cryptonn/feip.h"
#include "scheme/feip_internal.h"
#include "testutil.h"

int main(void)
{
    t_init("ctime_feip");
    enum { N = 64 };
    cryptonn_feip_mpk *mpk = NULL;
    cryptonn_feip_msk *msk = NULL;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, N), CRYPTONN_OK);
    cryptonn_feip_keys *keys = NULL;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    int64_t y[N];
    uint32_t idx[N];
    for (int i = 0; i < N; i++) {
        y[i] = t_rand_range(-1000, 1000);
        idx[i] = (uint32_t)i;
    }
    VALGRIND_MAKE_MEM_UNDEFINED(msk->s, sizeof(sc25519) * N);
    CHECK_EQ_INT(cryptonn_feip_keygen(msk, keys, y, N), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keygen_sparse(msk, keys, idx + 3, y + 3, 20), CRYPTONN_OK);
    uint8_t wire[32]; /* the authority's sk-only response path */
    CHECK_EQ_INT(cryptonn_feip_keygen_sk(msk, idx + 3, y + 3, 20, wire), CRYPTONN_OK);
    VALGRIND_MAKE_MEM_DEFINED(wire, sizeof wire);
    VALGRIND_MAKE_MEM_DEFINED(msk->s, sizeof(sc25519) * N);
    VALGRIND_MAKE_MEM_DEFINED(keys->sk, sizeof(sc25519) * keys->count);
    CHECK(memcmp(wire, keys->sk[1].v, 32) == 0);

    /* The keys still decrypt: <x, y> for a random x. */
    int64_t x[N], want0 = 0, want1 = 0;
    for (int i = 0; i < N; i++) {
        x[i] = t_rand_range(0, 255);
        want0 += x[i] * y[i];
        if (i >= 3 && i < 23) want1 += x[i] * y[i];
    }
    cryptonn_feip_ct *ct = NULL;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, N), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(mpk, ct, x, N, 9), CRYPTONN_OK);
    cryptonn_dlog *d = NULL;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 1 << 24, 1 << 10, NULL), CRYPTONN_OK);
    cryptonn_feip_decryptor *dec = NULL;
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&dec, d, 0), CRYPTONN_OK);
    int64_t got = 0;
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, ct, keys, 0, &got), CRYPTONN_OK);
    CHECK(got == want0);
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, ct, keys, 1, &got), CRYPTONN_OK);
    CHECK(got == want1);
    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_dlog_destroy(d);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
    return t_done();
}
