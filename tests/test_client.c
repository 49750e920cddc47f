/* client: the owner secret's file, and that what the client encrypts
 * decrypts to the right values: the permuted one-hot labels (scaled), the
 * sample pixels and the batch ciphertext's (sample, pixel) slots, read back
 * with keys of two non-zero entries (the policy forbids unit vectors). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cryptonn/dlog.h"
#include "protocol/client.h"
#include "testutil.h"
#include "util/util.h"

#define NS 10
#define B 4
#define K 1000 /* two pixels per key: v = x_i + K·x_j, both < K */

static cryptonn_dlog *D;

static void test_owner_secret(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/owner.key", t_tmpdir());
    cn_owner_secret s, t;
    cn_owner_secret_generate(&s, 10);
    uint8_t seen[10] = {0};
    for (int c = 0; c < 10; c++) seen[s.perm[c] % 10]++;
    for (int c = 0; c < 10; c++) CHECK_EQ_INT(seen[c], 1);
    CHECK_EQ_INT(cn_owner_secret_save(&s, path), CRYPTONN_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(cn_owner_secret_load(&t, path), CRYPTONN_OK);
    CHECK(t.classes == 10 && memcmp(s.perm, t.perm, 10) == 0);
    uint8_t inv[10];
    cn_owner_secret_inverse(&s, inv);
    for (int c = 0; c < 10; c++) CHECK_EQ_INT(inv[s.perm[c]], c);
    /* not a permutation: refused */
    uint8_t pl[4 + 10];
    cn_store_u32(pl, 10);
    for (int c = 0; c < 10; c++) pl[4 + c] = (uint8_t)c;
    pl[4 + 3] = 2;
    cn_part part = {pl, sizeof pl};
    CHECK_EQ_INT(cn_container_write(path, "OWNR", 1, &part, 1, 0600), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owner_secret_load(&t, path), CRYPTONN_ERR_FORMAT);
    pl[4 + 3] = 10; /* out of range */
    CHECK_EQ_INT(cn_container_write(path, "OWNR", 1, &part, 1, 0600), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owner_secret_load(&t, path), CRYPTONN_ERR_FORMAT);
    cn_store_u32(pl, 11); /* count disagrees with the length */
    pl[4 + 3] = 3;
    CHECK_EQ_INT(cn_container_write(path, "OWNR", 1, &part, 1, 0600), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owner_secret_load(&t, path), CRYPTONN_ERR_FORMAT);
    /* two generated permutations of 10 differ with probability 1 - 1/10! */
    cn_owner_secret_generate(&t, 10);
    cn_owner_secret u;
    cn_owner_secret_generate(&u, 10);
    CHECK(memcmp(t.perm, u.perm, 10) != 0);
}

static int64_t pix(const cryptonn_dataset *d, uint32_t s, uint32_t i)
{
    return (int64_t)lrint((double)d->x[(size_t)s * 784 + i] * 255.0); /* round(255·x) */
}

/* Decrypts slots a and b of ct with one key (y_a = 1, y_b = K). */
static int two_slots(const cryptonn_feip_msk *msk, cryptonn_feip_decryptor *dec,
                     const cryptonn_feip_ct *ct, uint32_t a, uint32_t b, int64_t *xa, int64_t *xb)
{
    *xa = *xb = -1;
    cryptonn_feip_keys *keys;
    if (cryptonn_feip_keys_create(&keys)) return -1;
    int swap = a > b; /* key indices must increase */
    uint32_t idx[2] = {swap ? b : a, swap ? a : b};
    int64_t val[2] = {swap ? K : 1, swap ? 1 : K}, v = -1;
    int rc = cryptonn_feip_keygen_sparse(msk, keys, idx, val, 2);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_decrypt_var(dec, ct, keys, 0, &v);
    cryptonn_feip_keys_destroy(keys);
    *xa = v % K;
    *xb = v / K;
    return rc;
}

static cryptonn_feip_decryptor *dec2(void)
{
    static cryptonn_feip_decryptor *d2;
    if (!d2 && cryptonn_feip_decryptor_create(&d2, D, 0) != CRYPTONN_OK) abort();
    return d2;
}

static void test_encrypt(void)
{
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = B;
    cn_enc_mpks k = {0};
    cryptonn_feip_msk *ms, *mb;
    cryptonn_febo_msk *ml;
    CHECK_EQ_INT(cryptonn_feip_setup(&k.samples, &ms, p.slots), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_setup(&k.batch, &mb, (size_t)p.slots * B), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_setup(&k.labels, &ml), CRYPTONN_OK);
    cn_owner_secret s;
    cn_owner_secret_generate(&s, 10);

    cryptonn_dataset d = {NS, 28, 28, calloc(NS * 784, sizeof(float)), calloc(NS, 1)};
    for (size_t i = 0; i < NS * 784; i++) d.x[i] = (float)t_rand_range(0, 1000) / 1000.0f;
    d.x[5] = 1.0f;
    d.x[6] = 0.0f;
    for (uint32_t i = 0; i < NS; i++) d.y[i] = (uint8_t)((i * 3) % 10);

    char dir[512];
    snprintf(dir, sizeof dir, "%s/enc", t_tmpdir());
    /* batch_tables = 1: the batch ciphertexts go through the tables and
     * cryptonn_feip_encrypt_many (3 batches in one group), as a full run does */
    cn_encrypt_opts o = {.part = "owner1", .threads = 2, .labels = 1, .batch_ct = 1,
                         .batch_tables = 1};
    cn_encrypt_stats st;
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d, &o, &st), CRYPTONN_OK);
    CHECK_EQ_INT(st.samples, NS);
    CHECK_EQ_INT(st.batches, 3);
    CHECK(st.bytes_written > NS * 785 * 32);

    cn_encdata *ed;
    uint32_t skipped;
    CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_OK);
    if (!ed) return;
    CHECK_EQ_INT(cn_encdata_batches(ed), 3);
    cryptonn_feip_decryptor *dec;
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&dec, D, 0), CRYPTONN_OK);
    for (uint64_t t = 0; t < 3; t++) {
        cn_enc_batch b;
        CHECK_EQ_INT(cn_encdata_read_batch(ed, t, &b), CRYPTONN_OK);
        uint32_t want_n = t < 2 ? B : NS - 2 * B;
        CHECK_EQ_INT(b.n, want_n);
        if (!b.y || !b.xb) {
            CHECK(0);
            continue;
        }
        for (uint32_t j = 0; j < b.n; j++) {
            uint32_t sample = (uint32_t)t * B + j;
            /* labels: the permuted one-hot, scaled by 2^16; a "−" key with
             * p = 0 reads it */
            for (uint32_t c = 0; c < 10; c++) {
                cryptonn_febo_key *key;
                CHECK_EQ_INT(cryptonn_febo_key_create(&key), CRYPTONN_OK);
                cryptonn_febo_ct *ct = b.y[(size_t)j * 10 + c];
                CHECK_EQ_INT(cryptonn_febo_keygen(ml, key, ct, CRYPTONN_FEBO_SUB, 0), CRYPTONN_OK);
                int64_t v = -1;
                CHECK_EQ_INT(cryptonn_febo_decrypt_var(D, ct, key, &v), CRYPTONN_OK);
                CHECK_EQ_INT(v, c == s.perm[d.y[sample]] ? 65536 : 0);
                cryptonn_febo_key_destroy(key);
            }
            /* sample pixels, two per key, a few positions */
            uint32_t at[4] = {5, 6, (uint32_t)t_rand_range(0, 783), 783};
            for (int q = 0; q < 4; q += 2) {
                int64_t xa, xb;
                CHECK_EQ_INT(two_slots(ms, dec, b.x[j], at[q], at[q + 1], &xa, &xb), CRYPTONN_OK);
                CHECK_EQ_INT(xa, pix(&d, sample, at[q]));
                CHECK_EQ_INT(xb, pix(&d, sample, at[q + 1]));
            }
            /* the batch ciphertext: slot j·784 + i holds pixel i of sample j */
            uint32_t i1 = (uint32_t)t_rand_range(0, 783), i2 = (uint32_t)t_rand_range(0, 783);
            uint32_t jo = (j + 1) % B;
            int64_t xa, xb;
            uint32_t other = jo * 784 + i2;
            if (other == j * 784 + i1) other = (other + 1) % (B * 784);
            CHECK_EQ_INT(two_slots(mb, dec, b.xb, j * 784 + i1, other, &xa, &xb), CRYPTONN_OK);
            CHECK_EQ_INT(xa, pix(&d, sample, i1));
            uint32_t os = (uint32_t)t * B + other / 784;
            CHECK_EQ_INT(xb, other / 784 < b.n ? pix(&d, os, other % 784) : 0);
        }
        /* slots of absent samples (the last batch holds 2 of 4) are zero */
        if (b.n < B) {
            int64_t xa, xb;
            CHECK_EQ_INT(two_slots(mb, dec, b.xb, b.n * 784 + 3, (B - 1) * 784 + 700, &xa, &xb),
                         CRYPTONN_OK);
            CHECK_EQ_INT(xa, 0);
            CHECK_EQ_INT(xb, 0);
        }
        cn_enc_batch_free(&b);
    }
    cryptonn_feip_decryptor_destroy(dec);
    cn_encdata_close(ed);

    /* the same data without batch tables decrypts the same way */
    cn_encrypt_opts ob = {.part = "owner2", .threads = 2, .labels = 1, .batch_ct = 1,
                          .batch_tables = -1};
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d, &ob, &st), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_OK);
    if (ed) {
        CHECK_EQ_INT(cn_encdata_batches(ed), 6);
        cn_enc_batch b;
        CHECK_EQ_INT(cn_encdata_read_batch(ed, 5, &b), CRYPTONN_OK); /* owner2's last */
        if (b.xb) {
            int64_t xa, xb;
            CHECK_EQ_INT(two_slots(mb, dec2(), b.xb, 1 * 784 + 17, 3 * 784 + 5, &xa, &xb), CRYPTONN_OK);
            CHECK_EQ_INT(xa, pix(&d, 2 * B + 1, 17));
            CHECK_EQ_INT(xb, 0);
        }
        cn_enc_batch_free(&b);
        cn_encdata_close(ed);
    }

    /* test-set style: samples only */
    cn_encrypt_opts o2 = {.part = "test", .threads = 1};
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d, &o2, &st), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_OK);
    if (ed) {
        CHECK_EQ_INT(cn_encdata_flags(ed), 0); /* what every part has */
        CHECK_EQ_INT(cn_encdata_samples(ed), 3 * NS);
        cn_encdata_close(ed);
    }
    /* a bad part name and a label outside the classes are refused */
    cn_encrypt_opts o3 = {.part = "../x", .labels = 1};
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d, &o3, &st), CRYPTONN_ERR_ARG);
    d.y[3] = 10;
    o3.part = "bad";
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d, &o3, &st), CRYPTONN_ERR_ARG);

    free(d.x);
    free(d.y);
    cryptonn_feip_msk_destroy(ms);
    cryptonn_feip_msk_destroy(mb);
    cryptonn_febo_msk_destroy(ml);
    cn_enc_mpks_free(&k);
}

int main(void)
{
    t_init("test_client");
    if (cryptonn_dlog_create(&D, (uint64_t)1 << 18, 1 << 12, NULL) != CRYPTONN_OK) return 1;
    test_owner_secret();
    test_encrypt();
    cryptonn_dlog_destroy(D);
    return t_done();
}
