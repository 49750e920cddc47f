/* FE formats: round trips of every object, msk files 0600, and a fuzz pass
 * per reader: thousands of mutated inputs (bit flips, truncations,
 * extensions, and payload edits with the checksum and length recomputed so
 * they reach the payload validation). Only clean statuses may come back; the
 * ASan build turns any overread into a failure. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "cryptonn/febo.h"
#include "cryptonn/feip.h"
#include "scheme/feip_internal.h"
#include "testutil.h"
#include "util/util.h"

static int clean(int rc)
{
    switch (rc) {
    case CRYPTONN_OK:
    case CRYPTONN_ERR_FORMAT:
    case CRYPTONN_ERR_TRUNCATED:
    case CRYPTONN_ERR_CHECKSUM:
    case CRYPTONN_ERR_TOO_LARGE:
    case CRYPTONN_ERR_ENCODING:
    case CRYPTONN_ERR_VERSION: return 1;
    default: return 0;
    }
}

/* Sets the length field and the checksum to match len bytes. */
static void refix(uint8_t *b, size_t len)
{
    if (len < CN_CONTAINER_HEADER + CN_CONTAINER_TRAILER) return;
    cn_store_u64(b + 16, len - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER);
    crypto_generichash(b + len - 32, 32, b, len - 32, NULL, 0);
}

/* One mutant of src into dst (capacity len + 64); returns its length. */
static size_t mutate(uint8_t *dst, const uint8_t *src, size_t len)
{
    memcpy(dst, src, len);
    size_t n = len;
    switch (t_rand64() % 6) {
    case 0: /* bit flips anywhere */
        for (int k = 0, f = (int)t_rand_range(1, 4); k < f; k++)
            dst[t_rand64() % n] ^= (uint8_t)(1u << (t_rand64() % 8));
        break;
    case 1: /* truncation */
        n = (size_t)t_rand_range(0, (int64_t)len - 1);
        break;
    case 2: /* extension */
        n = len + (size_t)t_rand_range(1, 64);
        t_rand_bytes(dst + len, n - len);
        break;
    case 3: /* payload edits that pass the checksum */
        for (int k = 0, f = (int)t_rand_range(1, 3); k < f; k++) {
            size_t at = CN_CONTAINER_HEADER + t_rand64() % (len - CN_CONTAINER_HEADER - 32);
            dst[at] = t_rand64() % 3 == 0 ? 0xff : (uint8_t)t_rand64();
        }
        refix(dst, n);
        break;
    case 4: /* payload shortened or lengthened, checksum recomputed */
        if (t_rand64() % 2) {
            size_t cut = (size_t)t_rand_range(1, 40);
            if (cut > len - 56) cut = len - 56;
            memmove(dst + len - 32 - cut, dst + len - 32, 32);
            n = len - cut;
        } else {
            size_t add = (size_t)t_rand_range(1, 40);
            memmove(dst + len - 32 + add, dst + len - 32, 32);
            t_rand_bytes(dst + len - 32, add);
            n = len + add;
        }
        refix(dst, n);
        break;
    default: /* a size field in the payload set to something large */
        if (len > CN_CONTAINER_HEADER + 16) {
            size_t at = CN_CONTAINER_HEADER + 4 * (t_rand64() % 8);
            if (at + 4 <= len - 32) cn_store_u32(dst + at, (uint32_t)t_rand64());
        }
        refix(dst, n);
        break;
    }
    return n;
}

typedef int (*reader_fn)(const uint8_t *, size_t); /* imports and frees */

static int r_mpk(const uint8_t *b, size_t n)
{
    cryptonn_feip_mpk *m;
    int rc = cryptonn_feip_mpk_import(&m, b, n);
    if (rc == CRYPTONN_OK) cryptonn_feip_mpk_destroy(m);
    else if (m) rc = -1000;
    return rc;
}
static int r_keys(const uint8_t *b, size_t n)
{
    cryptonn_feip_keys *k;
    int rc = cryptonn_feip_keys_import(&k, b, n);
    if (rc == CRYPTONN_OK) cryptonn_feip_keys_destroy(k);
    else if (k) rc = -1000;
    return rc;
}
static int r_ct(const uint8_t *b, size_t n)
{
    cryptonn_feip_ct *c;
    int rc = cryptonn_feip_ct_import(&c, b, n);
    if (rc == CRYPTONN_OK) cryptonn_feip_ct_destroy(c);
    else if (c) rc = -1000;
    return rc;
}
static int r_batch(const uint8_t *b, size_t n)
{
    cryptonn_feip_ct **c;
    size_t cnt;
    int rc = cryptonn_feip_ct_batch_import(&c, &cnt, b, n);
    if (rc == CRYPTONN_OK) cryptonn_feip_ct_batch_free(c, cnt);
    else if (c || cnt) rc = -1000;
    return rc;
}
static int r_bo_mpk(const uint8_t *b, size_t n)
{
    cryptonn_febo_mpk *m;
    int rc = cryptonn_febo_mpk_import(&m, b, n);
    if (rc == CRYPTONN_OK) cryptonn_febo_mpk_destroy(m);
    return rc;
}
static int r_bo_ct(const uint8_t *b, size_t n)
{
    cryptonn_febo_ct *c;
    int rc = cryptonn_febo_ct_import(&c, b, n);
    if (rc == CRYPTONN_OK) cryptonn_febo_ct_destroy(c);
    return rc;
}
static int r_bo_key(const uint8_t *b, size_t n)
{
    cryptonn_febo_key *k;
    int rc = cryptonn_febo_key_import(&k, b, n);
    if (rc == CRYPTONN_OK) cryptonn_febo_key_destroy(k);
    return rc;
}

static char FPATH[512];
static int write_raw(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = n ? fwrite(b, 1, n, f) : 0;
    fclose(f);
    return w == n ? 0 : -1;
}
static int r_msk_file(const uint8_t *b, size_t n)
{
    write_raw(FPATH, b, n);
    cryptonn_feip_msk *m;
    int rc = cryptonn_feip_msk_load(&m, FPATH);
    if (rc == CRYPTONN_OK) cryptonn_feip_msk_destroy(m);
    return rc;
}
static int r_bo_msk_file(const uint8_t *b, size_t n)
{
    write_raw(FPATH, b, n);
    cryptonn_febo_msk *m;
    int rc = cryptonn_febo_msk_load(&m, FPATH);
    if (rc == CRYPTONN_OK) cryptonn_febo_msk_destroy(m);
    return rc;
}

static void fuzz(const char *name, reader_fn rd, const uint8_t *good, size_t len, long iters)
{
    uint8_t *m = malloc(len + 128);
    int ok = 1, accepted = 0, rejected = 0;
    ok &= rd(good, len) == CRYPTONN_OK;
    /* wrong magic, wrong version: named errors */
    memcpy(m, good, len);
    m[0] ^= 1;
    ok &= rd(m, len) == CRYPTONN_ERR_FORMAT;
    memcpy(m, good, len);
    cn_store_u32(m + 12, 2);
    ok &= rd(m, len) == CRYPTONN_ERR_VERSION;
    memcpy(m, good, len);
    cn_store_u64(m + 16, (uint64_t)1 << 62);
    ok &= rd(m, len) == CRYPTONN_ERR_TOO_LARGE;
    ok &= rd(good, len - 1) == CRYPTONN_ERR_TRUNCATED;
    ok &= rd(good, 0) == CRYPTONN_ERR_TRUNCATED;
    for (long i = 0; i < iters; i++) {
        size_t n = mutate(m, good, len);
        int rc = rd(m, n);
        if (!clean(rc)) {
            if (ok) fprintf(stderr, "%s: unclean status %d\n", name, rc);
            ok = 0;
        }
        if (rc == CRYPTONN_OK) accepted++;
        else rejected++;
    }
    if (!ok) fprintf(stderr, "fuzz %s failed\n", name);
    CHECK(ok);
    CHECK(rejected > accepted);
    free(m);
}

int main(void)
{
    t_init("test_fe_io");
    snprintf(FPATH, sizeof FPATH, "%s/fuzz.bin", t_tmpdir());
    const size_t n = 5;
    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 10000, 256, NULL), CRYPTONN_OK);
    cryptonn_feip_decryptor *dec;
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&dec, d, 0), CRYPTONN_OK);
    cryptonn_feip_mpk *mpk, *mpk2;
    cryptonn_feip_msk *msk, *msk2;
    CHECK_EQ_INT(cryptonn_feip_setup(&mpk, &msk, n), CRYPTONN_OK);

    /* mpk round trip keeps the id (keys and ciphertexts still match). */
    uint8_t *b_mpk, *b_keys, *b_ct, *b_batch;
    size_t l_mpk, l_keys, l_ct, l_batch;
    CHECK_EQ_INT(cryptonn_feip_mpk_export(mpk, &b_mpk, &l_mpk), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_mpk_import(&mpk2, b_mpk, l_mpk), CRYPTONN_OK);
    uint8_t id1[16], id2[16];
    cryptonn_feip_mpk_id(mpk, id1);
    cryptonn_feip_mpk_id(mpk2, id2);
    CHECK(memcmp(id1, id2, 16) == 0);

    /* msk file: 0600, round trip gives identical keys. */
    char path[512];
    snprintf(path, sizeof path, "%s/a.msk", t_tmpdir());
    CHECK_EQ_INT(cryptonn_feip_msk_save(msk, path), CRYPTONN_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(cryptonn_feip_msk_load(&msk2, path), CRYPTONN_OK);
    CHECK(memcmp(msk->s, msk2->s, n * 32) == 0 && memcmp(msk->id, msk2->id, 16) == 0);
    uint8_t *b_msk;
    size_t l_msk;
    CHECK_EQ_INT(cn_file_read_all(path, 1 << 20, &b_msk, &l_msk), CRYPTONN_OK);

    cryptonn_feip_keys *keys, *keys2;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    int64_t y1[5] = {1, -2, 0, 4, 0}, y2[5] = {0, 0, 0, 0, -7}, y0[5] = {0};
    CHECK_EQ_INT(cryptonn_feip_keygen(msk2, keys, y1, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keygen(msk2, keys, y0, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keygen(msk, keys, y2, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_export(keys, &b_keys, &l_keys), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_import(&keys2, b_keys, l_keys), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_count(keys2), 3);
    CHECK(keys2->nnz == keys->nnz && memcmp(keys->sk, keys2->sk, 3 * 32) == 0 &&
          memcmp(keys->val, keys2->val, keys->nnz * 8) == 0 &&
          memcmp(keys->idx, keys2->idx, keys->nnz * 4) == 0 &&
          memcmp(keys->off, keys2->off, 4 * sizeof(size_t)) == 0);
    /* An empty key set round-trips too. */
    cryptonn_feip_keys *ek, *ek2;
    uint8_t *b_ek;
    size_t l_ek;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&ek), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_export(ek, &b_ek, &l_ek), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_import(&ek2, b_ek, l_ek), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_count(ek2), 0);
    cryptonn_feip_keys_destroy(ek);
    cryptonn_feip_keys_destroy(ek2);
    free(b_ek);

    int64_t x[5] = {3, 1, -4, 1, -5};
    cryptonn_feip_ct *ct, *ct2, *cts[3];
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(mpk2, ct, x, n, 4), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_ct_export(ct, &b_ct, &l_ct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_ct_import(&ct2, b_ct, l_ct), CRYPTONN_OK);
    int64_t v;
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, ct2, keys2, 0, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 3 - 2 + 4);
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, ct2, keys2, 1, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 0);
    CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, ct2, keys2, 2, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 35);
    for (int j = 0; j < 3; j++) {
        CHECK_EQ_INT(cryptonn_feip_ct_create(&cts[j], n), CRYPTONN_OK);
        x[0] = j;
        CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(mpk, cts[j], x, n, 4), CRYPTONN_OK);
    }
    CHECK_EQ_INT(cryptonn_feip_ct_batch_export((const cryptonn_feip_ct *const *)cts, 3, &b_batch, &l_batch), CRYPTONN_OK);
    cryptonn_feip_ct **bc;
    size_t bcount;
    CHECK_EQ_INT(cryptonn_feip_ct_batch_import(&bc, &bcount, b_batch, l_batch), CRYPTONN_OK);
    CHECK_EQ_INT(bcount, 3);
    int64_t outs[3];
    CHECK_EQ_INT(cryptonn_feip_decrypt_cts_var(dec, (const cryptonn_feip_ct *const *)bc, 3, keys2, 0, outs, NULL), CRYPTONN_OK);
    CHECK(outs[0] == 0 - 2 + 4 && outs[1] == 1 - 2 + 4 && outs[2] == 2 - 2 + 4);
    /* Batches mix no mpks. */
    cryptonn_feip_mpk *other;
    cryptonn_feip_msk *othersk;
    CHECK_EQ_INT(cryptonn_feip_setup(&other, &othersk, n), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(other, cts[1], x, n, 4), CRYPTONN_OK);
    uint8_t *bad;
    size_t lbad;
    CHECK_EQ_INT(cryptonn_feip_ct_batch_export((const cryptonn_feip_ct *const *)cts, 3, &bad, &lbad), CRYPTONN_ERR_MISMATCH);

    /* FEBO objects. */
    cryptonn_febo_mpk *bmpk, *bmpk2;
    cryptonn_febo_msk *bmsk, *bmsk2;
    CHECK_EQ_INT(cryptonn_febo_setup(&bmpk, &bmsk), CRYPTONN_OK);
    uint8_t *b_bmpk, *b_bct, *b_bkey, *b_bmsk;
    size_t l_bmpk, l_bct, l_bkey, l_bmsk;
    CHECK_EQ_INT(cryptonn_febo_mpk_export(bmpk, &b_bmpk, &l_bmpk), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_mpk_import(&bmpk2, b_bmpk, l_bmpk), CRYPTONN_OK);
    snprintf(path, sizeof path, "%s/b.msk", t_tmpdir());
    CHECK_EQ_INT(cryptonn_febo_msk_save(bmsk, path), CRYPTONN_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK_EQ_INT(cryptonn_febo_msk_load(&bmsk2, path), CRYPTONN_OK);
    CHECK_EQ_INT(cn_file_read_all(path, 1 << 20, &b_bmsk, &l_bmsk), CRYPTONN_OK);
    cryptonn_febo_ct *bct, *bct2;
    cryptonn_febo_key *bkey, *bkey2;
    CHECK_EQ_INT(cryptonn_febo_ct_create(&bct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_key_create(&bkey), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_encrypt(bmpk2, bct, -42, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_ct_export(bct, &b_bct, &l_bct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_ct_import(&bct2, b_bct, l_bct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_keygen(bmsk2, bkey, bct2, CRYPTONN_FEBO_DIV, -6), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_key_export(bkey, &b_bkey, &l_bkey), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_key_import(&bkey2, b_bkey, l_bkey), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_decrypt_var(d, bct, bkey2, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 7);

    long it = t_iters(3000, 600);
    fuzz("mpk", r_mpk, b_mpk, l_mpk, it);
    fuzz("keys", r_keys, b_keys, l_keys, it);
    fuzz("ct", r_ct, b_ct, l_ct, it);
    fuzz("batch", r_batch, b_batch, l_batch, it);
    fuzz("febo mpk", r_bo_mpk, b_bmpk, l_bmpk, it);
    fuzz("febo ct", r_bo_ct, b_bct, l_bct, it);
    fuzz("febo key", r_bo_key, b_bkey, l_bkey, it);
    fuzz("msk file", r_msk_file, b_msk, l_msk, it / 5);
    fuzz("febo msk file", r_bo_msk_file, b_bmsk, l_bmsk, it / 5);
    /* A missing file is an I/O error, not a crash. */
    cryptonn_feip_mpk *nm;
    CHECK(cryptonn_feip_mpk_load(&nm, "/nonexistent/x.mpk") != CRYPTONN_OK && nm == NULL);

    free(b_mpk);
    free(b_keys);
    free(b_ct);
    free(b_batch);
    free(b_msk);
    free(b_bmpk);
    free(b_bct);
    free(b_bkey);
    free(b_bmsk);
    cryptonn_febo_ct_destroy(bct);
    cryptonn_febo_ct_destroy(bct2);
    cryptonn_febo_key_destroy(bkey);
    cryptonn_febo_key_destroy(bkey2);
    cryptonn_febo_mpk_destroy(bmpk);
    cryptonn_febo_mpk_destroy(bmpk2);
    cryptonn_febo_msk_destroy(bmsk);
    cryptonn_febo_msk_destroy(bmsk2);
    cryptonn_feip_mpk_destroy(other);
    cryptonn_feip_msk_destroy(othersk);
    cryptonn_feip_ct_batch_free(bc, bcount);
    for (int j = 0; j < 3; j++) cryptonn_feip_ct_destroy(cts[j]);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_ct_destroy(ct2);
    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_keys_destroy(keys2);
    cryptonn_feip_msk_destroy(msk);
    cryptonn_feip_msk_destroy(msk2);
    cryptonn_feip_mpk_destroy(mpk);
    cryptonn_feip_mpk_destroy(mpk2);
    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_dlog_destroy(d);
    return t_done();
}
