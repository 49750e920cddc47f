/* authority: keys decrypt correctly against the params' mpks; the support
 * policy and the rank budget refuse with the right status, a reason naming
 * the rule, and nothing issued; the rank counter equals cn_rank on the same
 * vectors and survives a restart; FEBO "−" keys give y − p; msks are 0600. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cryptonn/dlog.h"
#include "protocol/authority.h"
#include "secure/rank.h"
#include "testutil.h"
#include "util/util.h"

#define B 4

static cryptonn_dlog *D;
static char dir[512];

/* nkeys random keys of support m over width w (m >= 2: no unit vectors). */
static void random_req(cn_feip_keyreq *r, uint32_t mpk, uint32_t nkeys, uint32_t m, uint32_t w)
{
    r->mpk = mpk;
    r->nkeys = nkeys;
    r->nnz = (uint64_t)nkeys * m;
    r->rowptr = malloc(8 * (nkeys + 1));
    r->idx = malloc(4 * r->nnz);
    r->val = malloc(8 * r->nnz);
    for (uint32_t k = 0; k <= nkeys; k++) r->rowptr[k] = (uint64_t)k * m;
    for (uint32_t k = 0; k < nkeys; k++) {
        uint32_t step = w / m;
        for (uint32_t j = 0; j < m; j++) {
            r->idx[k * m + j] = j * step + (uint32_t)t_rand_range(0, step - 1);
            int64_t v = t_rand_range(-20, 20);
            r->val[k * m + j] = v ? v : 1;
        }
    }
}

static uint64_t rank_of(cn_authority *a, int mpk)
{
    cn_leak_mpk l[3];
    cn_authority_leakage(a, l);
    return l[mpk].rank;
}

static void counters(cn_authority *a, cn_leak_mpk l[3]) { cn_authority_leakage(a, l); }

/* Gradient requests (dZ1 and the shape): every issued key decrypts, on the
 * batch ciphertext, to the weight gradient computed here from its defining
 * sum over samples and positions; shapes that do not fit the batch mpk are
 * refused; a weight whose dZ1 terms are all zero gets no key. */
static void grad_requests(cn_keysource *ks, const cn_enc_mpks *k, const int64_t *xb,
                          const cryptonn_feip_ct *bct, cryptonn_feip_decryptor *dec,
                          cryptonn_feip_keys *keys)
{
    char msg[256];
    /* conv 0: dense; 1: LeNet-5's conv1; 2: stride 2, padding 2 (taps in
     * the padding count as zero pixels) */
    for (int conv = 0; conv < 3; conv++) {
        cn_grad_req g = {.conv = conv != 0, .n = B - 1, .in_c = 784, .in_h = 1, .in_w = 1,
                         .k = 1, .out_c = 3, .out_h = 1, .out_w = 1, .stride = 1};
        if (conv) {
            g.in_c = 1;
            g.in_h = g.in_w = 28;
            g.k = 5;
            g.out_c = 2;
            g.out_h = g.out_w = 24;
        }
        if (conv == 2) g.stride = 2, g.pad = 2, g.out_h = g.out_w = 14;
        size_t z1 = (size_t)g.out_c * g.out_h * g.out_w, nw = (size_t)g.out_c * g.in_c * g.k * g.k;
        g.dz = calloc((size_t)g.n * z1, sizeof *g.dz);
        /* within the test's 2^22 discrete-log bound: 3 samples × 576
         * positions × 255 × |dz| for conv, 3 × 255 × |dz| dense. A dense key
         * has one entry per sample, so its dz are never zero (one non-zero
         * would be a unit vector, refused by --min-support); the conv keys'
         * hundreds of entries take a quarter of zeros. */
        for (size_t i = 0; i < (size_t)g.n * z1; i++) {
            int64_t m = t_rand_range(1, conv ? 15 : 4095);
            g.dz[i] = t_rand_range(0, 1) ? m : -m;
            if (conv && t_rand_range(0, 3) == 0) g.dz[i] = 0;
        }
        /* output unit 1 is dead: every weight of it has the zero vector */
        for (uint32_t b = 0; b < g.n; b++)
            for (size_t q = 0; q < z1 / g.out_c; q++) g.dz[b * z1 + z1 / g.out_c + q] = 0;
        cn_feip_keyreq r;
        uint32_t *map = malloc(4 * nw);
        CHECK_EQ_INT(cn_grad_expand_new(&g, &r, map), CRYPTONN_OK);
        CHECK_EQ_INT(cn_keysource_grad(ks, &g, &r, k->batch, keys, msg, sizeof msg), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_keys_count(keys), r.nkeys);
        size_t checked = 0;
        for (uint32_t o = 0; o < g.out_c; o++)
            for (uint32_t u = 0; u < g.k; u++)
                for (uint32_t v = 0; v < g.k; v++)
                    for (uint32_t c = 0; c < g.in_c; c++) {
                        size_t w = (((size_t)o * g.in_c + c) * g.k + u) * g.k + v;
                        int64_t want = 0, got = -1;
                        for (uint32_t b = 0; b < g.n; b++)
                            for (uint32_t i = 0; i < g.out_h; i++)
                                for (uint32_t j = 0; j < g.out_w; j++) {
                                    long y = (long)(i * g.stride + u) - (long)g.pad,
                                         x = (long)(j * g.stride + v) - (long)g.pad;
                                    if (y < 0 || x < 0 || y >= (long)g.in_h || x >= (long)g.in_w)
                                        continue;
                                    want += g.dz[b * z1 + (o * g.out_h + i) * g.out_w + j] *
                                            xb[b * 784 + c * g.in_h * g.in_w +
                                               (size_t)y * g.in_w + (size_t)x];
                                }
                        if (o == 1) {
                            CHECK_EQ_INT(map[w], UINT32_MAX);
                            continue;
                        }
                        /* dense: sample a few of the 784 × 3 weights */
                        if (!conv && t_rand_range(0, 40)) continue;
                        CHECK(map[w] < r.nkeys);
                        if (map[w] >= r.nkeys) continue;
                        CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, bct, keys, map[w], &got),
                                     CRYPTONN_OK);
                        CHECK_EQ_INT(got, want);
                        checked++;
                    }
        CHECK(checked >= (conv ? 25u : 10u));
        /* a layer whose input is not the mpk's 784 slots, or a batch larger
         * than the mpk's, is refused with the reason */
        cn_grad_req bad = g;
        if (conv) bad.in_h = bad.in_w = 27, bad.out_h = bad.out_w = conv == 2 ? 14 : 23;
        else bad.n = B + 1;
        if (!conv) {
            bad.dz = calloc((size_t)bad.n * z1, sizeof *bad.dz);
            for (size_t i = 0; i < (size_t)bad.n * z1; i++) bad.dz[i] = 7;
        }
        CHECK_EQ_INT(cn_keysource_grad(ks, &bad, &r, k->batch, keys, msg, sizeof msg),
                     CRYPTONN_ERR_MISMATCH);
        CHECK(strstr(msg, "does not fit the batch mpk") != NULL);
        CHECK_EQ_INT(cryptonn_feip_keys_count(keys), 0);
        if (!conv) free(bad.dz);
        free(map);
        cn_keyreq_feip_free(&r);
        free(g.dz);
    }
    /* the policy judges the expanded vectors: one sample's dense gradient
     * gives 784 keys of one entry each, each revealing a pixel: refused */
    int64_t dz1[1] = {5};
    cn_grad_req one = {.conv = 0, .n = 1, .in_c = 784, .in_h = 1, .in_w = 1, .k = 1,
                       .out_c = 1, .out_h = 1, .out_w = 1, .stride = 1, .dz = dz1};
    cn_feip_keyreq r1;
    CHECK_EQ_INT(cn_grad_expand_new(&one, &r1, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(r1.nkeys, 784);
    CHECK_EQ_INT(cn_keysource_grad(ks, &one, &r1, k->batch, keys, msg, sizeof msg),
                 CRYPTONN_ERR_POLICY);
    CHECK(strstr(msg, "--min-support") != NULL);
    cn_keyreq_feip_free(&r1);
}

int main(void)
{
    t_init("test_authority");
    if (cryptonn_dlog_create(&D, (uint64_t)1 << 22, 1 << 12, NULL) != CRYPTONN_OK) return 1;
    snprintf(dir, sizeof dir, "%s/auth", t_tmpdir());
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = B;
    CHECK_EQ_INT(cn_authority_setup(dir, &p, NULL), CRYPTONN_OK);
    CHECK_EQ_INT(cn_authority_setup(dir, &p, NULL), CRYPTONN_ERR_IO); /* never overwrites */
    const char *secret[4] = {"samples.msk", "batch.msk", "labels.msk", "owner.key"};
    for (int i = 0; i < 4; i++) {
        char path[600];
        struct stat sb;
        snprintf(path, sizeof path, "%s/%s", dir, secret[i]);
        CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    }

    cn_policy pol;
    cn_policy_default(&pol);
    CHECK_EQ_INT(pol.min_support, 2);
    cn_authority *a = NULL;
    CHECK_EQ_INT(cn_authority_open(&a, dir, &pol), CRYPTONN_OK);
    if (!a) return t_done();
    cn_keywire w = cn_authority_keywire(a);
    cn_keysource ks = cn_keywire_source(&w);

    /* ciphertexts made by a client with the published mpks */
    cn_enc_params rp;
    cn_enc_mpks k = {0};
    CHECK_EQ_INT(cn_encdata_read_params(dir, &rp, &k), CRYPTONN_OK);
    int64_t x[784], xb[B * 784];
    for (int i = 0; i < 784; i++) x[i] = t_rand_range(0, 255);
    for (int i = 0; i < B * 784; i++) xb[i] = t_rand_range(0, 255);
    cryptonn_feip_ct *ct, *bct;
    CHECK_EQ_INT(cryptonn_feip_ct_create(&ct, 784), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_ct_create(&bct, B * 784), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(k.samples, ct, x, 784, 8), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(k.batch, bct, xb, B * 784, 8), CRYPTONN_OK);
    cryptonn_feip_decryptor *dec;
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&dec, D, 0), CRYPTONN_OK);

    /* samples keys: decrypt to <x, y>; rank equals cn_rank on the same vectors */
    cn_rank *ref = cn_rank_create(784);
    char msg[256];
    cryptonn_feip_keys *keys = NULL;
    CHECK_EQ_INT(cryptonn_feip_keys_create(&keys), CRYPTONN_OK);
    for (int round = 0; round < 3; round++) {
        cn_feip_keyreq r;
        random_req(&r, CN_MPK_SAMPLES, 30, 25, 784);
        CHECK_EQ_INT(cn_keysource_feip(&ks, &r, k.samples, keys, msg, sizeof msg), CRYPTONN_OK);
        for (uint32_t i = 0; keys && i < r.nkeys; i++) {
            int64_t want = 0, got = 0;
            for (uint64_t j = r.rowptr[i]; j < r.rowptr[i + 1]; j++) want += r.val[j] * x[r.idx[j]];
            CHECK_EQ_INT(cryptonn_feip_decrypt_var(dec, ct, keys, i, &got), CRYPTONN_OK);
            CHECK_EQ_INT(got, want);
            CHECK(cn_rank_add(ref, r.idx + r.rowptr[i], r.val + r.rowptr[i], 25) >= 0);
        }
        cn_keyreq_feip_free(&r);
        CHECK_EQ_INT(rank_of(a, CN_MPK_SAMPLES), cn_rank_get(ref));
    }
    CHECK_EQ_INT(rank_of(a, CN_MPK_SAMPLES), 90);

    /* a unit vector is refused by the support policy, with the rule named */
    cn_leak_mpk before[3], after[3];
    counters(a, before);
    cn_feip_keyreq u;
    random_req(&u, CN_MPK_SAMPLES, 3, 2, 784);
    u.val[2 * 2 + 1] = 0; /* key 2 keeps one non-zero entry */
    CHECK_EQ_INT(cn_keysource_feip(&ks, &u, k.samples, keys, msg, sizeof msg), CRYPTONN_ERR_POLICY);
    CHECK_EQ_INT(cryptonn_feip_keys_count(keys), 0); /* a refusal leaves no keys */
    CHECK(strstr(msg, "key 2 has 1 non-zero entry") != NULL);
    CHECK(strstr(msg, "--min-support") != NULL);
    cn_keyreq_feip_free(&u);
    counters(a, after);
    CHECK_EQ_INT(after[0].keys_issued, before[0].keys_issued);
    CHECK_EQ_INT(after[0].keys_refused, before[0].keys_refused + 3);
    CHECK_EQ_INT(after[0].rank, before[0].rank);

    /* explicit vectors on the batch mpk are refused (a malicious server
     * would pick any view of a batch); gradient keys come only from
     * gradient requests, whose vectors the authority derives */
    cn_feip_keyreq g;
    random_req(&g, CN_MPK_BATCH, 6, 40, B * 784);
    counters(a, before);
    CHECK_EQ_INT(cn_keysource_feip(&ks, &g, k.batch, keys, msg, sizeof msg), CRYPTONN_ERR_POLICY);
    CHECK(strstr(msg, "explicit key vectors are refused on the batch-gradient mpk") != NULL);
    CHECK_EQ_INT(cryptonn_feip_keys_count(keys), 0);
    cn_keyreq_feip_free(&g);
    counters(a, after);
    CHECK_EQ_INT(after[1].keys_issued, before[1].keys_issued);
    CHECK_EQ_INT(after[1].keys_refused, before[1].keys_refused + 6);
    CHECK(after[1].rank_is_bound == 1 && after[1].rank == 0 && after[1].width == B * 784);
    grad_requests(&ks, &k, xb, bct, dec, keys);

    /* an index outside the mpk is refused, not issued */
    random_req(&u, CN_MPK_SAMPLES, 1, 2, 784);
    u.idx[1] = 784;
    CHECK_EQ_INT(cn_keysource_feip(&ks, &u, k.samples, keys, msg, sizeof msg), CRYPTONN_ERR_ARG);
    cn_keyreq_feip_free(&u);

    /* FEBO "−": y − p */
    enum { NL = 6 };
    cryptonn_febo_ct *lc[NL];
    cryptonn_febo_key *lk[NL];
    int64_t yv[NL], pv[NL];
    for (int i = 0; i < NL; i++) {
        lk[i] = NULL;
        yv[i] = (i % 2) << 16;
        pv[i] = t_rand_range(-70000, 70000);
        CHECK_EQ_INT(cryptonn_febo_ct_create(&lc[i]), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_febo_encrypt(k.labels, lc[i], yv[i], 17), CRYPTONN_OK);
    }
    CHECK_EQ_INT(cn_keysource_febo(&ks, CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)lc, pv,
                                   NL, lk, msg, sizeof msg),
                 CRYPTONN_OK);
    for (int i = 0; i < NL; i++) {
        int64_t got = 0;
        CHECK(lk[i] != NULL);
        if (lk[i]) CHECK_EQ_INT(cryptonn_febo_decrypt_var(D, lc[i], lk[i], &got), CRYPTONN_OK);
        CHECK_EQ_INT(got, yv[i] - pv[i]);
    }
    /* a label ciphertext of another authority is refused */
    cryptonn_febo_mpk *om;
    cryptonn_febo_msk *os;
    CHECK_EQ_INT(cryptonn_febo_setup(&om, &os), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_encrypt(om, lc[0], 1, 2), CRYPTONN_OK);
    CHECK_EQ_INT(cn_keysource_febo(&ks, CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)lc, pv,
                                   NL, lk, msg, sizeof msg),
                 CRYPTONN_ERR_MISMATCH);
    for (int i = 0; i < NL; i++) CHECK(lk[i] != NULL); /* a refusal leaves them unchanged */
    for (int i = 0; i < NL; i++) cryptonn_febo_key_destroy(lk[i]);
    cryptonn_febo_mpk_destroy(om);
    cryptonn_febo_msk_destroy(os);
    for (int i = 0; i < NL; i++) cryptonn_febo_ct_destroy(lc[i]);
    counters(a, after);
    CHECK_EQ_INT(after[2].keys_issued, NL);
    CHECK_EQ_INT(after[2].keys_refused, NL);

    /* malformed bytes get an error response, never a crash */
    uint8_t *resp;
    size_t rl;
    for (int it = 0; it < 200; it++) {
        uint8_t junkmsg[64];
        t_rand_bytes(junkmsg, sizeof junkmsg);
        if (it % 3 == 1) memcpy(junkmsg, "CRYPTONNKRQI", 12);
        if (it % 3 == 2) memcpy(junkmsg, "CRYPTONNKRQG", 12);
        CHECK_EQ_INT(cn_authority_handle(a, junkmsg, (size_t)t_rand_range(0, 64), &resp, &rl),
                     CRYPTONN_OK);
        CHECK(cn_keyresp_error_decode(resp, rl, msg, sizeof msg) < 0);
        free(resp);
    }

    /* restart: the counters and the rank survive close + open */
    counters(a, before);
    cn_authority_close(a);
    pol.max_rank = before[0].rank + 5;
    CHECK_EQ_INT(cn_authority_open(&a, dir, &pol), CRYPTONN_OK);
    if (!a) return t_done();
    w = cn_authority_keywire(a);
    counters(a, after);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ_INT(after[i].rank, before[i].rank);
        CHECK_EQ_INT(after[i].keys_issued, before[i].keys_issued);
        CHECK_EQ_INT(after[i].keys_refused, before[i].keys_refused);
    }

    /* budget: 10 fresh keys would raise the rank by 10 > 5: refused whole */
    random_req(&u, CN_MPK_SAMPLES, 10, 25, 784);
    CHECK_EQ_INT(cn_keysource_feip(&ks, &u, k.samples, keys, msg, sizeof msg), CRYPTONN_ERR_BUDGET);
    CHECK(strstr(msg, "--max-rank") != NULL);
    cn_keyreq_feip_free(&u);
    counters(a, after);
    CHECK_EQ_INT(after[0].rank, before[0].rank);
    CHECK_EQ_INT(after[0].keys_issued, before[0].keys_issued);
    CHECK_EQ_INT(after[0].keys_refused, before[0].keys_refused + 10);
    /* 5 fresh keys fit the budget exactly; then one more does not */
    random_req(&u, CN_MPK_SAMPLES, 5, 25, 784);
    CHECK_EQ_INT(cn_keysource_feip(&ks, &u, k.samples, keys, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(rank_of(a, CN_MPK_SAMPLES), before[0].rank + 5);
    /* the same vectors again stay within the span: issued */
    CHECK_EQ_INT(cn_keysource_feip(&ks, &u, k.samples, keys, msg, sizeof msg), CRYPTONN_OK);
    cn_keyreq_feip_free(&u);
    random_req(&u, CN_MPK_SAMPLES, 1, 25, 784);
    CHECK_EQ_INT(cn_keysource_feip(&ks, &u, k.samples, keys, msg, sizeof msg), CRYPTONN_ERR_BUDGET);
    cn_keyreq_feip_free(&u);
    CHECK_EQ_INT(rank_of(a, CN_MPK_SAMPLES), before[0].rank + 5);
    /* the batch mpk's budget counts keys (its rank is only bounded): a
     * gradient request's expansion (25 conv keys) */
    {
        int64_t dz[2 * 24 * 24];
        for (int i = 0; i < 2 * 24 * 24; i++) dz[i] = 1 + i % 3;
        cn_grad_req gq = {.conv = 1, .n = 2, .in_c = 1, .in_h = 28, .in_w = 28, .k = 5,
                          .out_c = 1, .out_h = 24, .out_w = 24, .stride = 1, .dz = dz};
        cn_feip_keyreq e;
        CHECK_EQ_INT(cn_grad_expand_new(&gq, &e, NULL), CRYPTONN_OK);
        CHECK_EQ_INT(e.nkeys, 25);
        CHECK(pol.max_rank < 25 + after[1].keys_issued);
        CHECK_EQ_INT(cn_keysource_grad(&ks, &gq, &e, k.batch, keys, msg, sizeof msg),
                     CRYPTONN_ERR_BUDGET);
        CHECK(strstr(msg, "--max-rank") != NULL);
        cn_keyreq_feip_free(&e);
    }
    cn_authority_close(a);

    /* the log names every request, refusals with their reason */
    char path[600];
    snprintf(path, sizeof path, "%s/keys.log", dir);
    uint8_t *log;
    size_t ll;
    CHECK_EQ_INT(cn_file_read_all(path, 1 << 20, &log, &ll), CRYPTONN_OK);
    if (log) {
        log = realloc(log, ll + 1);
        log[ll] = 0;
        CHECK(strstr((char *)log, "issued samples keys=30") != NULL);
        CHECK(strstr((char *)log, "REFUSED samples keys=3") != NULL);
        CHECK(strstr((char *)log, "--max-rank") != NULL);
        free(log);
    }

    cryptonn_feip_keys_destroy(keys);
    cryptonn_feip_decryptor_destroy(dec);
    cryptonn_feip_ct_destroy(ct);
    cryptonn_feip_ct_destroy(bct);
    cn_rank_destroy(ref);
    cn_enc_mpks_free(&k);
    cryptonn_dlog_destroy(D);
    return t_done();
}
