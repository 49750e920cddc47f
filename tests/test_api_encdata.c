/* The encrypted dataset's ciphertexts through the public API (encdata.h:
 * iterate, index, keys), checked against the defining equations: with keys
 * made here from the authority's master secrets, every sample ciphertext
 * decrypts to the record's integers, the batch ciphertext holds sample j at
 * slots j·slots.., and each label is a one-hot of the owners' permuted
 * class. Public headers only. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/cryptonn.h"
#include "api_records.h"
#include "testutil.h"

#define B 4
#define N_A 6 /* part "a": batches of 4 and 2 */
#define N_B 4 /* part "b": one batch of 4 */

static int64_t pixel(const cryptonn_dataset *d, uint32_t i, uint32_t s)
{
    return (int64_t)lroundf(d->x[(size_t)i * 784 + s] * 255.0f);
}

/* <x, y> of one ciphertext for the key of y (sparse), made from msk here. */
static int64_t inner(const cryptonn_feip_msk *msk, cryptonn_feip_decryptor *dec,
                     const cryptonn_feip_ct *ct, const uint32_t *idx, const int64_t *val,
                     size_t nnz)
{
    cryptonn_feip_keys *k = NULL;
    int64_t v = INT64_MIN;
    if (cryptonn_feip_keys_create(&k) == CRYPTONN_OK &&
        cryptonn_feip_keygen_sparse(msk, k, idx, val, nnz) == CRYPTONN_OK &&
        cryptonn_feip_decrypt_var(dec, ct, k, 0, &v) != CRYPTONN_OK)
        v = INT64_MIN;
    cryptonn_feip_keys_destroy(k);
    return v;
}

/* Every sample of batch b (records rec[0..n)) against its ciphertexts. */
static void check_batch(const cryptonn_encbatch *b, const cryptonn_dataset *d, uint32_t first,
                        const cryptonn_feip_msk *ms, const cryptonn_feip_msk *mb,
                        cryptonn_feip_decryptor *dec)
{
    for (uint32_t j = 0; j < cryptonn_encbatch_size(b); j++) {
        const cryptonn_feip_ct *ct = cryptonn_encbatch_sample(b, j);
        CHECK(ct && cryptonn_feip_ct_slots(ct) == 784);
        if (!ct) continue;
        /* three unit vectors at non-zero pixels, and a mixed vector */
        uint32_t idx[784];
        int64_t val[784], want = 0;
        size_t nnz = 0;
        int units = 0;
        for (uint32_t s = 0; s < 784; s++) {
            int64_t x = pixel(d, first + j, s);
            if (x && units < 3) {
                int64_t one = 1;
                CHECK_EQ_INT(inner(ms, dec, ct, &s, &one, 1), x);
                units++;
            }
            if (s % 7 == 0) {
                idx[nnz] = s;
                val[nnz] = (int64_t)(s % 5) - 2;
                want += val[nnz] * x;
                nnz++;
            }
        }
        CHECK(units > 0);
        CHECK_EQ_INT(inner(ms, dec, ct, idx, val, nnz), want);
        /* the same sample in the batch ciphertext, at slots j·784.. */
        const cryptonn_feip_ct *w = cryptonn_encbatch_whole(b);
        CHECK(w && cryptonn_feip_ct_slots(w) == B * 784);
        if (w) {
            for (size_t k = 0; k < nnz; k++) idx[k] += j * 784;
            CHECK_EQ_INT(inner(mb, dec, w, idx, val, nnz), want);
        }
    }
    CHECK(cryptonn_encbatch_sample(b, cryptonn_encbatch_size(b)) == NULL);
}

/* Each label entry decrypts (x − 0) to 0 or 2^bits, one per sample, at a
 * position that is a function of the class: the owners' permutation. */
static void check_labels(const cryptonn_encbatch *b, const cryptonn_dataset *d, uint32_t first,
                         const cryptonn_febo_msk *ml, const cryptonn_dlog *dl, uint32_t bits,
                         int pos_of[10])
{
    for (uint32_t j = 0; j < cryptonn_encbatch_size(b); j++) {
        int hot = -1, hits = 0;
        for (uint32_t k = 0; k < 10; k++) {
            const cryptonn_febo_ct *ct = cryptonn_encbatch_label(b, j, k);
            CHECK(ct != NULL);
            cryptonn_febo_key *key = NULL;
            int64_t v = -1;
            if (ct && cryptonn_febo_key_create(&key) == CRYPTONN_OK &&
                cryptonn_febo_keygen(ml, key, ct, CRYPTONN_FEBO_SUB, 0) == CRYPTONN_OK)
                CHECK_EQ_INT(cryptonn_febo_decrypt_var(dl, ct, key, &v), CRYPTONN_OK);
            cryptonn_febo_key_destroy(key);
            CHECK(v == 0 || v == ((int64_t)1 << bits));
            if (v > 0) hot = (int)k, hits++;
        }
        CHECK_EQ_INT(hits, 1);
        int cls = d->y[first + j];
        if (pos_of[cls] < 0) pos_of[cls] = hot;
        CHECK_EQ_INT(pos_of[cls], hot);
    }
    CHECK(cryptonn_encbatch_label(b, 0, 10) == NULL);
}

int main(void)
{
    t_init("test_api_encdata");
    char auth[512], enc[512], path[700], okey[700], msg[512];
    snprintf(auth, sizeof auth, "%s/auth", t_tmpdir());
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.mode = CRYPTONN_MODE_PAPER;
    so.batch = B;
    CHECK_EQ_INT(cryptonn_authority_setup(auth, &so, msg, sizeof msg), CRYPTONN_OK);

    cryptonn_owner *ow = NULL;
    snprintf(path, sizeof path, "%s/params.bin", auth);
    snprintf(okey, sizeof okey, "%s/owner.key", auth);
    CHECK_EQ_INT(cryptonn_owner_open(&ow, path, okey), CRYPTONN_OK);
    if (!ow) return t_done();
    cryptonn_dataset da = {0}, db = {0};
    api_records(&da, N_A);
    api_records(&db, N_B);
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    eo.part = "b"; /* written first, read second: parts go in name order */
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, enc, &db, &eo, NULL, msg, sizeof msg), CRYPTONN_OK);
    eo.part = "a";
    CHECK_EQ_INT(cryptonn_owner_encrypt(ow, enc, &da, &eo, NULL, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_owner_close(ow);

    cryptonn_encdata *ds = NULL;
    CHECK_EQ_INT(cryptonn_encdata_open(&ds, enc, NULL), CRYPTONN_OK);
    if (!ds) return t_done();
    cryptonn_encdata_info info;
    cryptonn_encdata_describe(ds, &info);
    CHECK_EQ_INT(info.batches, 3);

    /* the index: batches of part a (in its order), then of part b */
    const char *want_part[3] = {"a", "a", "b"};
    const uint64_t want_index[3] = {0, 1, 0};
    const uint32_t want_n[3] = {4, 2, 4}, first[3] = {0, 4, 0};
    char part[65];
    uint64_t index = 99;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(cryptonn_encdata_batch_source(ds, (uint64_t)i, part, &index), CRYPTONN_OK);
        CHECK(!strcmp(part, want_part[i]));
        CHECK_EQ_INT(index, want_index[i]);
    }
    CHECK_EQ_INT(cryptonn_encdata_batch_source(ds, 3, part, &index), CRYPTONN_ERR_NOT_FOUND);
    cryptonn_encbatch *b = NULL;
    CHECK_EQ_INT(cryptonn_encdata_read_batch(ds, 3, &b), CRYPTONN_ERR_NOT_FOUND);
    CHECK(b == NULL);

    /* the authority's master secrets, to make keys for the checks */
    cryptonn_feip_msk *ms = NULL, *mb = NULL;
    cryptonn_febo_msk *ml = NULL;
    snprintf(path, sizeof path, "%s/samples.msk", auth);
    CHECK_EQ_INT(cryptonn_feip_msk_load(&ms, path), CRYPTONN_OK);
    snprintf(path, sizeof path, "%s/batch.msk", auth);
    CHECK_EQ_INT(cryptonn_feip_msk_load(&mb, path), CRYPTONN_OK);
    snprintf(path, sizeof path, "%s/labels.msk", auth);
    CHECK_EQ_INT(cryptonn_febo_msk_load(&ml, path), CRYPTONN_OK);
    CHECK(cryptonn_encdata_samples_mpk(ds) && cryptonn_encdata_batch_mpk(ds) &&
          cryptonn_encdata_labels_mpk(ds));
    cryptonn_dlog *dl = NULL;
    cryptonn_feip_decryptor *dec = NULL;
    CHECK_EQ_INT(cryptonn_dlog_create(&dl, 784 * 255 * 2, 0, NULL), CRYPTONN_OK);
    if (dl) CHECK_EQ_INT(cryptonn_feip_decryptor_create(&dec, dl, 0), CRYPTONN_OK);
    if (!ms || !mb || !ml || !dec) return t_done();

    int pos_of[10];
    for (int c = 0; c < 10; c++) pos_of[c] = -1;
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(cryptonn_encdata_read_batch(ds, (uint64_t)i, &b), CRYPTONN_OK);
        if (!b) continue;
        CHECK_EQ_INT(cryptonn_encbatch_size(b), want_n[i]);
        const cryptonn_dataset *d = i < 2 ? &da : &db;
        check_batch(b, d, first[i], ms, mb, dec);
        check_labels(b, d, first[i], ml, dl, info.label_bits, pos_of);
        cryptonn_encbatch_free(b);
        b = NULL;
    }
    /* the permutation is one: distinct classes sit at distinct positions */
    for (int c = 0; c < 10; c++)
        for (int e = c + 1; e < 10; e++)
            if (pos_of[c] >= 0 && pos_of[e] >= 0) CHECK(pos_of[c] != pos_of[e]);

    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_dlog_destroy(dl);
    cryptonn_feip_msk_destroy(ms);
    cryptonn_feip_msk_destroy(mb);
    cryptonn_febo_msk_destroy(ml);
    cryptonn_encdata_close(ds);
    cryptonn_dataset_free(&da);
    cryptonn_dataset_free(&db);
    return t_done();
}
