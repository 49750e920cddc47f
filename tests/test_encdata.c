/* encdata: a dataset with two parts written and read back; damaged,
 * foreign and future files refused with the right status; a part without
 * index skipped; a second owner with other mpks refused. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/client.h"
#include "testutil.h"
#include "util/util.h"

#define NS 10
#define B 4

static char dir[512];

static int setup_keys(cn_enc_mpks *k, const cn_enc_params *p)
{
    cryptonn_feip_msk *a, *b;
    cryptonn_febo_msk *c;
    int rc = cryptonn_feip_setup(&k->samples, &a, p->slots);
    if (!rc) rc = cryptonn_feip_setup(&k->batch, &b, (size_t)p->slots * p->batch);
    if (!rc) rc = cryptonn_febo_setup(&k->labels, &c);
    if (!rc) {
        cryptonn_feip_msk_destroy(a);
        cryptonn_feip_msk_destroy(b);
        cryptonn_febo_msk_destroy(c);
    }
    return rc;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *b = NULL;
    if (cn_file_read_all(path, (size_t)1 << 30, &b, len) != CRYPTONN_OK) return NULL;
    return b;
}

static void spit(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f) return;
    if (len && fwrite(b, 1, len, f) != len) perror("fwrite");
    fclose(f);
}

/* Reading global batch i after damaging its file gives status want. */
static void damaged(cn_encdata *ed, uint64_t i, const char *path, const uint8_t *orig, size_t len,
                    int how, int want)
{
    uint8_t *m = malloc(len + 8);
    memcpy(m, orig, len);
    size_t ml = len;
    if (how == 0) ml = len - 40;                            /* truncated */
    else if (how == 1) m[len / 2] ^= 0x20;                  /* a flipped bit */
    else if (how == 2) cn_store_u32(m + 12, 2);              /* a future version */
    else if (how == 3) memcpy(m + 8, "EDIX", 4);            /* another kind */
    else if (how == 4) { memset(m + len, 0, 8); ml = len + 8; } /* trailing bytes */
    spit(path, m, ml);
    cn_enc_batch b;
    int rc = cn_encdata_read_batch(ed, i, &b);
    CHECK_EQ_INT(rc, want);
    if (rc == CRYPTONN_OK) cn_enc_batch_free(&b);
    CHECK(b.x == NULL && b.y == NULL && b.xb == NULL); /* nothing half-read */
    spit(path, orig, len);
    free(m);
}

int main(void)
{
    t_init("test_encdata");
    snprintf(dir, sizeof dir, "%s/enc", t_tmpdir());
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = B;
    cn_enc_mpks k = {0}, k2 = {0};
    CHECK_EQ_INT(setup_keys(&k, &p), CRYPTONN_OK);
    CHECK_EQ_INT(setup_keys(&k2, &p), CRYPTONN_OK);

    /* params: created, idempotent, and refused for other keys or params */
    CHECK_EQ_INT(cn_encdata_init(dir, &p, &k), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_init(dir, &p, &k), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_init(dir, &p, &k2), CRYPTONN_ERR_MISMATCH);
    cn_enc_params p2 = p;
    p2.label_scale_bits = 12;
    CHECK_EQ_INT(cn_encdata_init(dir, &p2, &k), CRYPTONN_ERR_MISMATCH);
    cn_enc_params rp;
    cn_enc_mpks rk = {0};
    CHECK_EQ_INT(cn_encdata_read_params(dir, &rp, &rk), CRYPTONN_OK);
    CHECK(memcmp(&rp, &p, sizeof p) == 0);
    uint8_t id1[16], id2[16];
    cryptonn_feip_mpk_id(k.batch, id1);
    cryptonn_feip_mpk_id(rk.batch, id2);
    CHECK(memcmp(id1, id2, 16) == 0);
    cn_enc_mpks_free(&rk);

    /* two owners' parts */
    cryptonn_dataset d = {NS, 28, 28, calloc(NS * 784, sizeof(float)), calloc(NS, 1)};
    for (size_t i = 0; i < NS * 784; i++) d.x[i] = (float)t_rand_range(0, 255) / 255.0f;
    for (uint32_t i = 0; i < NS; i++) d.y[i] = (uint8_t)(i % 10);
    cn_owner_secret s;
    cn_owner_secret_generate(&s, 10);
    cn_encrypt_opts o = {.part = "alice", .threads = 2, .labels = 1, .batch_ct = 1};
    cn_encrypt_stats st;
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d, &o, &st), CRYPTONN_OK);
    cryptonn_dataset d6 = d;
    d6.n = 6;
    o.part = "bob";
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k, &s, &d6, &o, &st), CRYPTONN_OK);
    /* a second owner with other mpks is refused and writes nothing */
    o.part = "mallory";
    CHECK_EQ_INT(cn_client_encrypt(dir, &p, &k2, &s, &d6, &o, &st), CRYPTONN_ERR_MISMATCH);
    char path[1024];
    snprintf(path, sizeof path, "%s/part-mallory", dir);
    struct stat sb;
    CHECK(stat(path, &sb) != 0);

    cn_encdata *ed = NULL;
    uint32_t skipped = 9;
    CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_OK);
    if (!ed) return t_done();
    CHECK_EQ_INT(skipped, 0);
    CHECK_EQ_INT(cn_encdata_samples(ed), NS + 6);
    CHECK_EQ_INT(cn_encdata_batches(ed), 3 + 2);
    CHECK_EQ_INT(cn_encdata_flags(ed), CN_ENC_LABELS | CN_ENC_BATCHCT);
    CHECK(cn_encdata_params(ed)->batch == B);
    const uint32_t want_n[5] = {4, 4, 2, 4, 2}; /* alice 4,4,2 then bob 4,2 */
    for (uint64_t i = 0; i < 5; i++) {
        cn_enc_batch b;
        CHECK_EQ_INT(cn_encdata_read_batch(ed, i, &b), CRYPTONN_OK);
        CHECK_EQ_INT(b.n, want_n[i]);
        CHECK(b.x && b.y && b.xb && b.classes == 10);
        if (b.xb) CHECK_EQ_INT(cryptonn_feip_ct_slots(b.xb), B * 784);
        if (b.x) CHECK_EQ_INT(cryptonn_feip_ct_slots(b.x[b.n - 1]), 784);
        cn_enc_batch_free(&b);
    }
    cn_enc_batch nb;
    CHECK_EQ_INT(cn_encdata_read_batch(ed, 5, &nb), CRYPTONN_ERR_ARG);

    /* damaged batch files: alice's batch 1 */
    snprintf(path, sizeof path, "%s/part-alice/batch-000001.bin", dir);
    size_t len;
    uint8_t *orig = slurp(path, &len);
    CHECK(orig != NULL);
    if (orig) {
        damaged(ed, 1, path, orig, len, 0, CRYPTONN_ERR_TRUNCATED);
        damaged(ed, 1, path, orig, len, 1, CRYPTONN_ERR_CHECKSUM);
        damaged(ed, 1, path, orig, len, 2, CRYPTONN_ERR_VERSION);
        damaged(ed, 1, path, orig, len, 3, CRYPTONN_ERR_FORMAT);
        /* a full batch is already the largest file the reader accepts */
        damaged(ed, 1, path, orig, len, 4, CRYPTONN_ERR_TOO_LARGE);
        /* a valid batch in the wrong place: batch 2 (n = 2) as batch 1 (n = 4) */
        char p2path[1024];
        snprintf(p2path, sizeof p2path, "%s/part-alice/batch-000002.bin", dir);
        size_t l2;
        uint8_t *b2 = slurp(p2path, &l2);
        if (b2) damaged(ed, 1, path, b2, l2, 5, CRYPTONN_ERR_FORMAT);
        spit(path, orig, len);
        free(b2);
        /* a batch of another dataset (other mpks), same shape */
        char odir[600];
        snprintf(odir, sizeof odir, "%s/other", t_tmpdir());
        o.part = "alice";
        CHECK_EQ_INT(cn_client_encrypt(odir, &p, &k2, &s, &d, &o, &st), CRYPTONN_OK);
        snprintf(p2path, sizeof p2path, "%s/part-alice/batch-000001.bin", odir);
        uint8_t *fb = slurp(p2path, &l2);
        if (fb) damaged(ed, 1, path, fb, l2, 5, CRYPTONN_ERR_MISMATCH);
        free(fb);
        free(orig);
    }
    cn_encdata_close(ed);

    /* a part without an index (an interrupted run) is skipped */
    snprintf(path, sizeof path, "%s/part-carol", dir);
    CHECK(mkdir(path, 0755) == 0);
    CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_OK);
    CHECK_EQ_INT(skipped, 1);
    if (ed) CHECK_EQ_INT(cn_encdata_samples(ed), NS + 6);
    cn_encdata_close(ed);
    /* a damaged index is an error, not a silent skip */
    snprintf(path, sizeof path, "%s/part-bob/index.bin", dir);
    orig = slurp(path, &len);
    if (orig) {
        uint8_t *m = malloc(len);
        memcpy(m, orig, len);
        m[30] ^= 1;
        spit(path, m, len);
        CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_ERR_CHECKSUM);
        spit(path, orig, len);
        free(m);
        free(orig);
    }

    /* params.bin: truncated, corrupted, future version */
    snprintf(path, sizeof path, "%s/params.bin", dir);
    orig = slurp(path, &len);
    if (orig) {
        uint8_t *m = malloc(len);
        spit(path, orig, len - 100);
        CHECK_EQ_INT(cn_encdata_read_params(dir, &rp, NULL), CRYPTONN_ERR_TRUNCATED);
        memcpy(m, orig, len);
        m[100] ^= 4;
        spit(path, m, len);
        CHECK_EQ_INT(cn_encdata_read_params(dir, &rp, &rk), CRYPTONN_ERR_CHECKSUM);
        memcpy(m, orig, len);
        cn_store_u32(m + 12, 7);
        spit(path, m, len);
        CHECK_EQ_INT(cn_encdata_open(&ed, dir, &skipped), CRYPTONN_ERR_VERSION);
        spit(path, orig, len);
        CHECK_EQ_INT(cn_encdata_read_params(dir, &rp, NULL), CRYPTONN_OK);
        free(m);
        free(orig);
    }
    free(d.x);
    free(d.y);
    cn_enc_mpks_free(&k);
    cn_enc_mpks_free(&k2);
    return t_done();
}
