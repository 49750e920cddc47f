/* Constant-time check of the FE secret paths under valgrind: the msk (FEIP
 * s, FEBO s) through keygen, and the client's plaintext x through the range
 * check and encryption, marked undefined so memcheck reports any branch or
 * index that depends on them. (r is covered by ctime_group: the encryption
 * only hands it to ge25519_scalarmult_base / fixed_mul / fixed_mul_many /
 * scalarmult.) */
#include <string.h>
#include <valgrind/memcheck.h>

#include "cryptonn/febo.h"
#include "cryptonn/feip.h"
#include "scheme/feip_internal.h"
#include "testutil.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

int main(void)
{
    t_init("ctime_fe");
    enum { N = 12 };
    cryptonn_feip_mpk *mpk;
    cryptonn_feip_msk *msk;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, N), CRYPTONN_OK);
    cryptonn_feip_encryptor *enc;
    CHECK_EQ_INT(cryptonn_feip_encryptor_create(&enc, mpk), CRYPTONN_OK);
    cryptonn_feip_keys *keys;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_reserve(keys, 4, 4 * N), CRYPTONN_OK);
    cryptonn_feip_ct *ct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, N), CRYPTONN_OK);

    int64_t y[N], x[N];
    for (int i = 0; i < N; i++) {
        y[i] = (i % 3) - 1;
        x[i] = (int64_t)(i * 37 % 200) - 100;
    }
    uint32_t idx[3] = {1, 5, 9};
    int64_t val[3] = {4, -3, 2};

    SECRET(msk->s, N * sizeof *msk->s);
    int rc1 = cryptonn_feip_keygen(msk, keys, y, N);
    int rc2 = cryptonn_feip_keygen_sparse(msk, keys, idx, val, 3);
    PUBLIC(msk->s, N * sizeof *msk->s);
    PUBLIC(keys->sk, keys->count * sizeof *keys->sk);
    CHECK_EQ_INT(rc1, CRYPTONN_OK);
    CHECK_EQ_INT(rc2, CRYPTONN_OK);

    /* encrypt_many: three ciphertexts at once (its eight-lane IFMA path is
     * hidden from valgrind, which runs the portable one) */
    int64_t x2[N], x3[N];
    for (int i = 0; i < N; i++) {
        x2[i] = -x[i];
        x3[i] = i - 6;
    }
    cryptonn_feip_ct *ct2, *ct3;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct2, N), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct3, N), CRYPTONN_OK);
    cryptonn_feip_ct *many[3] = {ct, ct2, ct3};
    const int64_t *xs[3] = {x, x2, x3};

    SECRET(x, sizeof x);
    SECRET(x2, sizeof x2);
    SECRET(x3, sizeof x3);
    int rc3 = cryptonn_feip_encrypt(enc, ct, x, N, 8);
    int rc4 = cryptonn_feip_encrypt_mpk(mpk, ct, x, N, 8);
    int rc6 = cryptonn_feip_encrypt_many(enc, many, xs, 3, N, 8);
    PUBLIC(x, sizeof x);
    PUBLIC(x2, sizeof x2);
    PUBLIC(x3, sizeof x3);
    PUBLIC(&rc3, sizeof rc3); /* the range verdict is the one public bit */
    PUBLIC(&rc4, sizeof rc4);
    PUBLIC(&rc6, sizeof rc6);
    CHECK_EQ_INT(rc3, CRYPTONN_OK);
    CHECK_EQ_INT(rc4, CRYPTONN_OK);
    CHECK_EQ_INT(rc6, CRYPTONN_OK);
    cryptonn_feip_ct_destroy(ct2);
    cryptonn_feip_ct_destroy(ct3);

    cryptonn_febo_mpk *bmpk;
    cryptonn_febo_msk *bmsk;
    CHECK_EQ_INT(cryptonn_febo_setup(&bmpk, &bmsk), CRYPTONN_OK);
    cryptonn_febo_ct *bct;
    cryptonn_febo_key *bkey;
    CHECK_EQ_INT(cryptonn_febo_ct_create(&bct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_key_create(&bkey), CRYPTONN_OK);
    int64_t bx = -77;
    SECRET(&bx, sizeof bx);
    int rc5 = cryptonn_febo_encrypt(bmpk, bct, bx, 8);
    PUBLIC(&rc5, sizeof rc5);
    CHECK_EQ_INT(rc5, CRYPTONN_OK);
    /* The ciphertext is public once made. */
    VALGRIND_MAKE_MEM_DEFINED(bct, 200);
    for (int op = 0; op < 4; op++) {
        /* s follows the 16-byte mpk id in the (private) msk struct. */
        SECRET((uint8_t *)bmsk + 16, 32);
        int rc = cryptonn_febo_keygen(bmsk, bkey, bct, (cryptonn_febo_op)op, 5);
        PUBLIC((uint8_t *)bmsk + 16, 32);
        PUBLIC(&rc, sizeof rc);
        VALGRIND_MAKE_MEM_DEFINED(bkey, 100);
        CHECK_EQ_INT(rc, CRYPTONN_OK);
    }

    cryptonn_febo_key_destroy(bkey);
    cryptonn_febo_ct_destroy(bct);
    cryptonn_febo_mpk_destroy(bmpk);
    cryptonn_febo_msk_destroy(bmsk);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_encryptor_destroy(enc);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_mpk_destroy(mpk);
    return t_done();
}
