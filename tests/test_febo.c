/* FEBO: the four operations on random signed values, ÷ by a non-divisor is
 * NOT_INTEGER (never a number), out of range, keys bound to their
 * ciphertext, and the batch form against the single one. */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/febo.h"
#include "testutil.h"

#define BOUND 20000

int main(void)
{
    t_init("test_febo");
    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, BOUND, 1024, NULL), CRYPTONN_OK);
    cryptonn_febo_mpk *mpk;
    cryptonn_febo_msk *msk;
    CHECK_EQ_INT(cryptonn_febo_setup(&mpk, &msk), CRYPTONN_OK);
    cryptonn_febo_ct *ct, *ct2;
    cryptonn_febo_key *key;
    CHECK_EQ_INT(cryptonn_febo_ct_create(&ct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_ct_create(&ct2), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_key_create(&key), CRYPTONN_OK);

    int ok = 1, nonint = 0;
    for (int i = 0; i < t_iters(300, 40); i++) {
        int64_t x = t_rand_range(-100, 100), y = t_rand_range(-100, 100);
        if (i == 0) x = 0;
        if (i == 1) y = 0;
        if (cryptonn_febo_encrypt(mpk, ct, x, 8) != CRYPTONN_OK) ok = 0;
        for (int op = 0; op < 4; op++) {
            if (op == CRYPTONN_FEBO_DIV && y == 0) {
                CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, op, y), CRYPTONN_ERR_ARG);
                continue;
            }
            if (cryptonn_febo_keygen(msk, key, ct, (cryptonn_febo_op)op, y) != CRYPTONN_OK) ok = 0;
            int64_t v = 12345, want = 0;
            int want_rc = CRYPTONN_OK;
            switch (op) {
            case CRYPTONN_FEBO_ADD: want = x + y; break;
            case CRYPTONN_FEBO_SUB: want = x - y; break;
            case CRYPTONN_FEBO_MUL: want = x * y; break;
            default:
                if (x % y == 0) want = x / y;
                else {
                    want_rc = CRYPTONN_ERR_NOT_INTEGER;
                    nonint++;
                }
            }
            int rc = cryptonn_febo_decrypt_var(d, ct, key, &v);
            if (rc != want_rc || v != want) {
                ok = 0;
                fprintf(stderr, "x=%lld y=%lld op=%d rc=%d v=%lld\n", (long long)x, (long long)y, op,
                        rc, (long long)v);
            }
        }
    }
    CHECK(ok);
    CHECK(nonint > 0);

    /* Edges: x·y beyond the bound → RANGE; ÷ when x itself is beyond the
     * bound → RANGE (cannot tell), exact ÷ of a large x works. */
    CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, ct, 150, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, CRYPTONN_FEBO_MUL, 133), CRYPTONN_OK);
    int64_t v;
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, ct, key, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 19950);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, CRYPTONN_FEBO_MUL, 134), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, ct, key, &v), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, ct, 1000000, 24), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, CRYPTONN_FEBO_DIV, 3), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, ct, key, &v), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, CRYPTONN_FEBO_DIV, -100), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, ct, key, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, -10000);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, CRYPTONN_FEBO_SUB, 1000000 - BOUND), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, ct, key, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, BOUND);
    CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, ct, 1 << 8, 8), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, ct, -255, 8), CRYPTONN_OK);

    /* A key is bound to its ciphertext and mpk. */
    CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, ct, 7, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, ct2, 7, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, CRYPTONN_FEBO_ADD, 1), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, ct2, key, &v), CRYPTONN_ERR_MISMATCH);
    cryptonn_febo_mpk *mpk2;
    cryptonn_febo_msk *msk2;
    CHECK_EQ_INT(cryptonn_febo_setup(&mpk2, &msk2), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk2, key, ct, CRYPTONN_FEBO_ADD, 1), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cryptonn_febo_keygen(msk, key, ct, 9, 1), CRYPTONN_ERR_ARG);

    /* Batch: the output error of a 64×10 batch (y − p) plus some ÷. */
    enum { N = 70 };
    cryptonn_febo_ct *cts[N];
    cryptonn_febo_key *keys[N];
    int64_t want[N], out[N];
    int st[N], wst[N];
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(cryptonn_febo_ct_create(&cts[i]), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_febo_key_create(&keys[i]), CRYPTONN_OK);
        int64_t x = t_rand_range(0, 1) * 100, p = t_rand_range(-150, 150);
        CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, cts[i], x, 8), CRYPTONN_OK);
        cryptonn_febo_op op = i % 7 == 3 ? CRYPTONN_FEBO_DIV : CRYPTONN_FEBO_SUB;
        if (op == CRYPTONN_FEBO_DIV) p = i % 2 ? 3 : 50;
        CHECK_EQ_INT(cryptonn_febo_keygen(msk, keys[i], cts[i], op, p), CRYPTONN_OK);
        wst[i] = CRYPTONN_OK;
        want[i] = op == CRYPTONN_FEBO_SUB ? x - p : (x % p ? 0 : x / p);
        if (op == CRYPTONN_FEBO_DIV && x % p) wst[i] = CRYPTONN_ERR_NOT_INTEGER;
    }
    /* One pair from different ciphertexts. */
    const cryptonn_febo_ct *cc[N];
    for (int i = 0; i < N; i++) cc[i] = cts[i];
    cc[5] = cts[6];
    wst[5] = CRYPTONN_ERR_MISMATCH;
    want[5] = 0;
    int rc = cryptonn_febo_decrypt_batch_var(d, cc, (const cryptonn_febo_key *const *)keys, N, out, st);
    CHECK(rc != CRYPTONN_OK);
    ok = 1;
    for (int i = 0; i < N; i++) {
        if (st[i] != wst[i] || out[i] != want[i]) ok = 0;
        int64_t s;
        int r1 = cryptonn_febo_decrypt_var(d, cc[i], keys[i], &s);
        if (r1 != st[i] || s != out[i]) ok = 0;
    }
    CHECK(ok);
    for (int i = 0; i < N; i++) {
        cryptonn_febo_ct_destroy(cts[i]);
        cryptonn_febo_key_destroy(keys[i]);
    }
    cryptonn_febo_mpk_destroy(mpk2);
    cryptonn_febo_msk_destroy(msk2);
    cryptonn_febo_key_destroy(key);
    cryptonn_febo_ct_destroy(ct);
    cryptonn_febo_ct_destroy(ct2);
    cryptonn_febo_mpk_destroy(mpk);
    cryptonn_febo_msk_destroy(msk);
    cryptonn_dlog_destroy(d);
    return t_done();
}
