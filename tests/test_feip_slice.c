/* FEIP decryption split by slots (scheme/feip_slice.h): the partial points
 * of slices that partition a ciphertext, completed together, give the
 * plaintext inner product for any partition (one slice, even halves, three
 * slices on the digit-table path, uneven random cuts); keys whose terms all
 * fall in one slice; a slice is refused where a whole ciphertext is
 * expected, and every bad slice, offset or encoding is reported. */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/feip.h"
#include "scheme/feip_slice.h"
#include "testutil.h"

/* Wider than the slot tables go (8,192), so halves take the bucket path
 * and thirds the digit tables. */
#define N 17000
#define NKEYS 5
#define BOUND ((uint64_t)1 << 32)

static cryptonn_dlog *D;
static cryptonn_feip_decryptor *DEC;
static cryptonn_feip_mpk *MPK;
static cryptonn_feip_msk *MSK;
static int64_t X[N];
static uint8_t *CT_BYTES;
static size_t CT_LEN;
static cryptonn_feip_keys *KEYS;
static int64_t WANT[NKEYS];

/* Keys: dense 12-bit, dense 8-bit, sparse (a few hundred terms), and two
 * whose terms lie in the first and the last 100 slots only. */
static void make_keys(void)
{
    static int64_t y[NKEYS][N];
    memset(y, 0, sizeof y);
    for (size_t i = 0; i < N; i++) {
        y[0][i] = t_rand_range(-2047, 2047);
        y[1][i] = t_rand_range(-127, 127);
        if (t_rand_range(0, 63) == 0) y[2][i] = t_rand_range(-255, 255);
    }
    for (size_t i = 0; i < 100; i++) {
        y[3][i] = t_rand_range(1, 255);
        y[4][N - 1 - i] = t_rand_range(-255, -1);
    }
    CHECK_EQ_INT(cryptonn_feip_keys_create(&KEYS), CRYPTONN_OK);
    for (int k = 0; k < NKEYS; k++) {
        CHECK_EQ_INT(cryptonn_feip_keygen(MSK, KEYS, y[k], N), CRYPTONN_OK);
        WANT[k] = 0;
        for (size_t i = 0; i < N; i++) WANT[k] += X[i] * y[k][i];
    }
}

static void setup(void)
{
    CHECK_EQ_INT(cryptonn_dlog_create(&D, BOUND, 1 << 16, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&DEC, D, 0), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_setup(&MPK, &MSK, N), CRYPTONN_OK);
    for (size_t i = 0; i < N; i++) X[i] = t_rand_range(0, 255);
    cryptonn_feip_ct *ct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, N), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(MPK, ct, X, N, 9), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_ct_export(ct, &CT_BYTES, &CT_LEN), CRYPTONN_OK);
    cryptonn_feip_ct_destroy(ct);
    make_keys();
}

/* Decrypts every key through the slices [cut[s], cut[s+1]) and completes it
 * with the tables of slice `with`. */
static void check_partition(const size_t *cut, size_t ns, size_t with, const char *what)
{
    uint8_t *parts = malloc(32 * NKEYS * ns);
    cryptonn_feip_ct *sl[16] = {0};
    cryptonn_feip_prepared *pr[16] = {0};
    int ok = parts != NULL;
    for (size_t s = 0; ok && s < ns; s++) {
        ok = cn_feip_ct_import_slice(&sl[s], CT_BYTES, CT_LEN, cut[s], cut[s + 1]) == CRYPTONN_OK &&
             cryptonn_feip_ct_slots(sl[s]) == cut[s + 1] - cut[s] &&
             cryptonn_feip_prepared_create_var(&pr[s], cut[s + 1] - cut[s], 8) == CRYPTONN_OK &&
             cryptonn_feip_prepared_set_var(pr[s], sl[s]) == CRYPTONN_OK &&
             cn_feip_partial_keys_var(DEC, pr[s], cut[s], KEYS, 0, NKEYS,
                                      parts + 32 * NKEYS * s) == CRYPTONN_OK;
    }
    CHECK(ok);
    int64_t got[NKEYS] = {0};
    int st[NKEYS];
    if (ok)
        CHECK_EQ_INT(cn_feip_finish_keys_var(DEC, pr[with], KEYS, 0, NKEYS, parts, ns, got, st),
                     CRYPTONN_OK);
    for (int k = 0; ok && k < NKEYS; k++) {
        if (got[k] != WANT[k] || st[k] != CRYPTONN_OK)
            fprintf(stderr, "%s: key %d got %lld want %lld (status %d)\n", what, k,
                    (long long)got[k], (long long)WANT[k], st[k]);
        CHECK(got[k] == WANT[k] && st[k] == CRYPTONN_OK);
    }
    /* one key alone, from the middle of the set: first/count address the rows */
    if (ok && ns == 1) {
        int64_t one = 0;
        CHECK_EQ_INT(cn_feip_partial_keys_var(DEC, pr[0], 0, KEYS, 2, 1, parts), CRYPTONN_OK);
        CHECK_EQ_INT(cn_feip_finish_keys_var(DEC, pr[0], KEYS, 2, 1, parts, 1, &one, NULL),
                     CRYPTONN_OK);
        CHECK_EQ_INT(one, WANT[2]);
    }
    for (size_t s = 0; s < ns; s++) {
        cryptonn_feip_prepared_destroy(pr[s]);
        cryptonn_feip_ct_destroy(sl[s]);
    }
    free(parts);
}

static void test_partitions(void)
{
    const size_t one[] = {0, N}, halves[] = {0, N / 2, N}, thirds[] = {0, N / 3, 2 * N / 3, N};
    check_partition(one, 1, 0, "one slice");
    check_partition(halves, 2, 1, "halves");
    check_partition(thirds, 3, 2, "thirds");
    for (int r = 0; r < 3; r++) {
        size_t cut[6] = {0, 0, 0, 0, 0, N};
        for (int i = 1; i < 5; i++) cut[i] = cut[i - 1] + 1 + (size_t)t_rand_range(0, N / 5);
        check_partition(cut, 5, (size_t)t_rand_range(0, 4), "uneven cuts");
    }
}

static void test_refusals(void)
{
    cryptonn_feip_ct *sl = NULL;
    CHECK_EQ_INT(cn_feip_ct_import_slice(&sl, CT_BYTES, CT_LEN, 10, 10), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cn_feip_ct_import_slice(&sl, CT_BYTES, CT_LEN, 0, N + 1), CRYPTONN_ERR_ARG);
    CHECK(sl == NULL);
    uint8_t bad = CT_BYTES[CT_LEN / 2];
    CT_BYTES[CT_LEN / 2] ^= 1; /* the container's checksum catches it */
    CHECK(cn_feip_ct_import_slice(&sl, CT_BYTES, CT_LEN, 0, 5) != CRYPTONN_OK);
    CT_BYTES[CT_LEN / 2] = bad;

    CHECK_EQ_INT(cn_feip_ct_import_slice(&sl, CT_BYTES, CT_LEN, 100, 9000), CRYPTONN_OK);
    int64_t v = 1;
    /* a slice is no whole ciphertext: its width differs from the keys' */
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(DEC, sl, KEYS, 0, &v), CRYPTONN_ERR_MISMATCH);
    cryptonn_feip_prepared *pr;
    CHECK_EQ_INT(cryptonn_feip_prepared_create_var(&pr, 8900, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_prepared_set_var(pr, sl), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_decrypt_keys_var(DEC, pr, KEYS, 0, 1, &v, NULL),
                 CRYPTONN_ERR_MISMATCH);
    uint8_t parts[32 * NKEYS];
    /* an offset that puts the slice past the keys' width */
    CHECK_EQ_INT(cn_feip_partial_keys_var(DEC, pr, N - 8899, KEYS, 0, NKEYS, parts),
                 CRYPTONN_ERR_MISMATCH);
    /* keys of another mpk */
    cryptonn_feip_mpk *m2;
    cryptonn_feip_msk *s2;
    cryptonn_feip_keys *k2;
    int64_t y[N] = {0};
    y[200] = 1;
    CHECK_EQ_INT(cryptonn_feip_setup(&m2, &s2, N), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_create(&k2), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keygen(s2, k2, y, N), CRYPTONN_OK);
    CHECK_EQ_INT(cn_feip_partial_keys_var(DEC, pr, 100, k2, 0, 1, parts), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cn_feip_finish_keys_var(DEC, pr, k2, 0, 1, parts, 1, &v, NULL),
                 CRYPTONN_ERR_MISMATCH);
    /* a partial point that is no valid encoding */
    CHECK_EQ_INT(cn_feip_partial_keys_var(DEC, pr, 100, KEYS, 0, NKEYS, parts), CRYPTONN_OK);
    memset(parts + 32, 0xff, 32);
    int st[NKEYS];
    int64_t out[NKEYS];
    CHECK_EQ_INT(cn_feip_finish_keys_var(DEC, pr, KEYS, 0, NKEYS, parts, 1, out, st),
                 CRYPTONN_ERR_ENCODING);
    CHECK_EQ_INT(st[1], CRYPTONN_ERR_ENCODING);
    /* one slice alone is not the whole: its partial points complete to a
     * wrong point, which the bounded discrete log reports, never a value */
    CHECK_EQ_INT(cn_feip_partial_keys_var(DEC, pr, 100, KEYS, 0, 1, parts), CRYPTONN_OK);
    CHECK_EQ_INT(cn_feip_finish_keys_var(DEC, pr, KEYS, 0, 1, parts, 1, out, NULL),
                 CRYPTONN_ERR_RANGE);
    cryptonn_feip_keys_destroy(k2);
    cryptonn_feip_mpk_destroy(m2);
    cryptonn_feip_msk_destroy(s2);
    cryptonn_feip_prepared_destroy(pr);
    cryptonn_feip_ct_destroy(sl);
}

int main(void)
{
    t_init("test_feip_slice");
    setup();
    test_partitions();
    test_refusals();
    cryptonn_feip_keys_destroy(KEYS);
    cryptonn_feip_mpk_destroy(MPK);
    cryptonn_feip_msk_destroy(MSK);
    cryptonn_feip_decryptor_destroy(DEC);
    cryptonn_dlog_destroy(D);
    free(CT_BYTES);
    return t_done();
}
