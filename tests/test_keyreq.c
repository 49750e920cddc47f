/* keyreq: round trips of every message, then thousands of mutated and
 * truncated messages through every parser. A mutation that keeps the
 * checksum valid (we re-seal the container) reaches the inner parser, which
 * must answer with a clean status, never crash or over-read (run under ASan). */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/keyreq.h"
#include "testutil.h"
#include "util/util.h"

/* Recomputes the container's length field and checksum after a mutation. */
static void reseal(uint8_t *b, size_t len)
{
    if (len < CN_CONTAINER_HEADER + CN_CONTAINER_TRAILER) return;
    size_t plen = len - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER;
    cn_store_u64(b + 16, plen);
    crypto_generichash(b + len - 32, 32, b, len - 32, NULL, 0);
}

static int clean_status(int rc)
{
    return rc == CRYPTONN_OK || (rc < 0 && rc >= CRYPTONN_ERR_VERSION);
}

static void make_req(cn_feip_keyreq *r, uint32_t nkeys, uint32_t width)
{
    r->mpk = CN_MPK_SAMPLES;
    r->nkeys = nkeys;
    r->rowptr = calloc(nkeys + 1, sizeof *r->rowptr);
    r->idx = malloc(nkeys * 8 * sizeof *r->idx);
    r->val = malloc(nkeys * 8 * sizeof *r->val);
    uint64_t at = 0;
    for (uint32_t k = 0; k < nkeys; k++) {
        uint32_t m = (uint32_t)t_rand_range(0, 8), pos = (uint32_t)t_rand_range(0, 10);
        for (uint32_t j = 0; j < m && pos < width; j++) {
            r->idx[at] = pos;
            r->val[at] = t_rand_range(-1000, 1000);
            at++;
            pos += (uint32_t)t_rand_range(1, 50);
        }
        r->rowptr[k + 1] = at;
    }
    r->nnz = at;
}

/* Mutates a copy of buf (flips, a field overwrite, truncation or extension,
 * resealed half of the time) and returns it with its length. */
static uint8_t *mutate(const uint8_t *buf, size_t len, size_t *out_len)
{
    size_t ml = len + (size_t)(t_rand64() % 3 == 0 ? t_rand_range(0, 16) : 0);
    uint8_t *m = malloc(ml);
    memcpy(m, buf, len < ml ? len : ml);
    if (ml > len) t_rand_bytes(m + len, ml - len);
    int flips = (int)t_rand_range(1, 4);
    for (int f = 0; f < flips; f++) {
        size_t at = (size_t)t_rand_range(0, (int64_t)ml - 1);
        if (t_rand64() & 1 && at >= CN_CONTAINER_HEADER && at + 48 < ml) {
            size_t fld = CN_CONTAINER_HEADER + 4 * (size_t)t_rand_range(0, 9);
            cn_store_u32(m + fld, (uint32_t)t_rand_range(0, 3) ? (uint32_t)t_rand_range(0, 40)
                                                               : (uint32_t)t_rand64());
        } else m[at] ^= (uint8_t)t_rand_range(1, 255);
    }
    if (t_rand64() % 4 == 0) ml = (size_t)t_rand_range(0, (int64_t)ml);
    if (t_rand64() & 1) reseal(m, ml);
    *out_len = ml;
    return m;
}

static void test_feip_roundtrip(void)
{
    cn_feip_keyreq r, q;
    make_req(&r, 20, 784);
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_keyreq_feip_encode(&r, &buf, &len), CRYPTONN_OK);
    CHECK_EQ_INT(cn_keyreq_feip_decode(&q, buf, len), CRYPTONN_OK);
    CHECK(q.mpk == r.mpk && q.nkeys == r.nkeys && q.nnz == r.nnz);
    CHECK(memcmp(q.rowptr, r.rowptr, 8 * (r.nkeys + 1)) == 0);
    CHECK(r.nnz == 0 || memcmp(q.idx, r.idx, 4 * r.nnz) == 0);
    CHECK(r.nnz == 0 || memcmp(q.val, r.val, 8 * r.nnz) == 0);
    cn_keyreq_feip_free(&q);
    /* a FEIP request is not a FEBO request or an error */
    cryptonn_febo_op op;
    cryptonn_febo_ct **cts;
    int64_t *y;
    uint32_t n;
    CHECK_EQ_INT(cn_keyreq_febo_decode(buf, len, &op, &cts, &y, &n), CRYPTONN_ERR_FORMAT);
    char why[64];
    CHECK_EQ_INT(cn_keyresp_error_decode(buf, len, why, sizeof why), CRYPTONN_OK);

    /* fuzz: mutate, truncate, extend; resealed half of the time */
    long iters = t_iters(4000, 2000);
    for (long it = 0; it < iters; it++) {
        size_t ml;
        uint8_t *m = mutate(buf, len, &ml);
        int rc = cn_keyreq_feip_decode(&q, m, ml);
        CHECK(clean_status(rc));
        if (rc == CRYPTONN_OK) cn_keyreq_feip_free(&q);
        free(m);
    }
    free(buf);
    cn_keyreq_feip_free(&r);

    /* hand-made hostile counts: huge nkeys / nnz with a short body */
    uint8_t pl[16 + 8];
    cn_store_u32(pl, 0);
    cn_store_u32(pl + 4, 0xffffffffu);
    cn_store_u64(pl + 8, (uint64_t)1 << 60);
    cn_store_u64(pl + 16, 0);
    uint8_t msg[24 + sizeof pl + 32];
    memcpy(msg, "CRYPTONN", 8);
    memcpy(msg + 8, "KRQI", 4);
    cn_store_u32(msg + 12, 1);
    memcpy(msg + 24, pl, sizeof pl);
    reseal(msg, sizeof msg);
    CHECK_EQ_INT(cn_keyreq_feip_decode(&q, msg, sizeof msg), CRYPTONN_ERR_TRUNCATED);
    /* non-increasing indices within a key */
    cn_feip_keyreq bad = {CN_MPK_SAMPLES, 1, 2, (uint64_t[]){0, 2}, (uint32_t[]){5, 5},
                          (int64_t[]){1, 1}};
    CHECK_EQ_INT(cn_keyreq_feip_encode(&bad, &buf, &len), CRYPTONN_ERR_ARG);
    bad.idx[1] = 6;
    bad.mpk = CN_MPK_LABELS; /* FEIP keys only for the FEIP mpks */
    CHECK_EQ_INT(cn_keyreq_feip_encode(&bad, &buf, &len), CRYPTONN_ERR_ARG);
}

static void test_febo(void)
{
    cryptonn_febo_mpk *mpk;
    cryptonn_febo_msk *msk;
    CHECK_EQ_INT(cryptonn_febo_setup(&mpk, &msk), CRYPTONN_OK);
    enum { N = 5 };
    cryptonn_febo_ct *cts[N];
    int64_t y[N];
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(cryptonn_febo_ct_create(&cts[i]), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_febo_encrypt(mpk, cts[i], i * 7, 8), CRYPTONN_OK);
        y[i] = t_rand_range(-100, 100);
    }
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_keyreq_febo_encode(CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)cts, y,
                                       N, &buf, &len),
                 CRYPTONN_OK);
    cryptonn_febo_op op;
    cryptonn_febo_ct **dc;
    int64_t *dy;
    uint32_t n;
    CHECK_EQ_INT(cn_keyreq_febo_decode(buf, len, &op, &dc, &dy, &n), CRYPTONN_OK);
    CHECK(op == CRYPTONN_FEBO_SUB && n == N);
    for (uint32_t i = 0; i < n && n == N; i++) {
        CHECK_EQ_INT(dy[i], y[i]);
        uint8_t *a, *b;
        size_t al, bl;
        CHECK_EQ_INT(cryptonn_febo_ct_export(dc[i], &a, &al), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_febo_ct_export(cts[i], &b, &bl), CRYPTONN_OK);
        CHECK(al == bl && memcmp(a, b, al) == 0);
        free(a);
        free(b);
        cryptonn_febo_ct_destroy(dc[i]);
    }
    free(dc);
    free(dy);

    long iters = t_iters(3000, 1500);
    for (long it = 0; it < iters; it++) {
        size_t ml = len;
        uint8_t *m = malloc(ml);
        memcpy(m, buf, ml);
        int flips = (int)t_rand_range(1, 3);
        for (int f = 0; f < flips; f++) {
            size_t at = (size_t)t_rand_range(0, (int64_t)ml - 1);
            if (t_rand64() & 1 && ml > CN_CONTAINER_HEADER + 8) {
                /* a length or count field: the n, or an item length */
                size_t fld = t_rand64() & 1 ? CN_CONTAINER_HEADER + 4 : CN_CONTAINER_HEADER + 8;
                cn_store_u32(m + fld, (uint32_t)t_rand64() >> (t_rand64() % 32));
            } else m[at] ^= (uint8_t)t_rand_range(1, 255);
        }
        if (t_rand64() % 4 == 0) ml = (size_t)t_rand_range(0, (int64_t)ml);
        if (t_rand64() & 1) reseal(m, ml);
        int rc = cn_keyreq_febo_decode(m, ml, &op, &dc, &dy, &n);
        CHECK(clean_status(rc));
        if (rc == CRYPTONN_OK) {
            for (uint32_t i = 0; i < n; i++) cryptonn_febo_ct_destroy(dc[i]);
            free(dc);
            free(dy);
        }
        free(m);
    }
    free(buf);

    /* the response: keys round trip, and fuzzing its parser */
    cryptonn_febo_key *keys[N], *got[N];
    for (int i = 0; i < N; i++) {
        CHECK_EQ_INT(cryptonn_febo_key_create(&keys[i]), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_febo_keygen(msk, keys[i], cts[i], CRYPTONN_FEBO_SUB, y[i]), CRYPTONN_OK);
    }
    CHECK_EQ_INT(cn_keyresp_febo_encode((const cryptonn_febo_key *const *)keys, N, &buf, &len),
                 CRYPTONN_OK);
    for (int i = 0; i < N; i++) CHECK_EQ_INT(cryptonn_febo_key_create(&got[i]), CRYPTONN_OK);
    /* pre-created objects are replaced (ASan's leak check sees the old ones freed) */
    CHECK_EQ_INT(cn_keyresp_febo_decode(buf, len, got, N), CRYPTONN_OK);
    for (int i = 0; i < N; i++) {
        uint8_t *a, *b;
        size_t al, bl;
        CHECK_EQ_INT(cryptonn_febo_key_export(got[i], &a, &al), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_febo_key_export(keys[i], &b, &bl), CRYPTONN_OK);
        CHECK(al == bl && memcmp(a, b, al) == 0);
        free(a);
        free(b);
        cryptonn_febo_key_destroy(got[i]);
    }
    CHECK_EQ_INT(cn_keyresp_febo_decode(buf, len, got, N - 1), CRYPTONN_ERR_MISMATCH);
    for (long it = 0; it < iters; it++) {
        size_t ml = len;
        uint8_t *m = malloc(ml);
        memcpy(m, buf, ml);
        size_t at = (size_t)t_rand_range(0, (int64_t)ml - 1);
        m[at] ^= (uint8_t)t_rand_range(1, 255);
        if (t_rand64() % 4 == 0) ml = (size_t)t_rand_range(0, (int64_t)ml);
        if (t_rand64() & 1) reseal(m, ml);
        for (int i = 0; i < N; i++) got[i] = NULL;
        int rc = cn_keyresp_febo_decode(m, ml, got, N);
        CHECK(clean_status(rc));
        for (int i = 0; i < N; i++) {
            if (rc != CRYPTONN_OK) CHECK(got[i] == NULL); /* unchanged on failure */
            cryptonn_febo_key_destroy(got[i]);
        }
        free(m);
    }
    free(buf);
    for (int i = 0; i < N; i++) {
        cryptonn_febo_key_destroy(keys[i]);
        cryptonn_febo_ct_destroy(cts[i]);
    }
    cryptonn_febo_mpk_destroy(mpk);
    cryptonn_febo_msk_destroy(msk);
}

static void test_error(void)
{
    uint8_t *buf;
    size_t len;
    const char *why = "policy: key 17 has 1 non-zero entry, minimum is 2 (--min-support)";
    CHECK_EQ_INT(cn_keyresp_error_encode(CRYPTONN_ERR_POLICY, why, &buf, &len), CRYPTONN_OK);
    char got[256];
    CHECK_EQ_INT(cn_keyresp_error_decode(buf, len, got, sizeof got), CRYPTONN_ERR_POLICY);
    CHECK(strcmp(got, why) == 0);
    char tiny[8];
    CHECK_EQ_INT(cn_keyresp_error_decode(buf, len, tiny, sizeof tiny), CRYPTONN_ERR_POLICY);
    CHECK(strlen(tiny) == 7);
    long iters = t_iters(3000, 1500);
    for (long it = 0; it < iters; it++) {
        size_t ml = len;
        uint8_t *m = malloc(ml);
        memcpy(m, buf, ml);
        size_t at = (size_t)t_rand_range(0, (int64_t)ml - 1);
        if (t_rand64() & 1) cn_store_u32(m + CN_CONTAINER_HEADER + 4 * (t_rand64() & 1), (uint32_t)t_rand64());
        else m[at] ^= (uint8_t)t_rand_range(1, 255);
        if (t_rand64() % 4 == 0) ml = (size_t)t_rand_range(0, (int64_t)ml);
        if (t_rand64() & 1) reseal(m, ml);
        int rc = cn_keyresp_error_decode(m, ml, got, sizeof got);
        CHECK(clean_status(rc) || (rc < 0 && rc >= -1000));
        CHECK(strlen(got) < sizeof got);
        free(m);
    }
    free(buf);
}

/* Mutated gradient requests decode to a clean status, and whatever decodes
 * has a valid shape. */
static void fuzz_gradreq(const uint8_t *buf, size_t len)
{
    long iters = t_iters(4000, 2000);
    for (long it = 0; it < iters; it++) {
        size_t ml;
        uint8_t *m = mutate(buf, len, &ml);
        cn_grad_req q;
        int rc = cn_gradreq_decode(&q, m, ml);
        CHECK(clean_status(rc));
        if (rc == CRYPTONN_OK) {
            CHECK_EQ_INT(cn_grad_shape_ok(&q), CRYPTONN_OK);
            cn_gradreq_free(&q);
        }
        free(m);
    }
}

/* The structured gradient request: round trip, the expansion against the
 * vectors written out from their definition, shape rules, and fuzzing. */
static void test_grad(void)
{
    int64_t dz[2 * 2 * 3 * 3];
    for (int i = 0; i < 36; i++) dz[i] = i % 5 == 0 ? 0 : t_rand_range(-9, 9) | 1;
    /* 2 samples, 2 filters of 2x2 over a 1x4x4 input: out 3x3 */
    cn_grad_req g = {.conv = 1, .n = 2, .in_c = 1, .in_h = 4, .in_w = 4, .k = 2,
                     .out_c = 2, .out_h = 3, .out_w = 3, .stride = 1, .dz = dz};
    CHECK_EQ_INT(cn_grad_shape_ok(&g), CRYPTONN_OK);
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_gradreq_encode(&g, &buf, &len), CRYPTONN_OK);
    cn_grad_req q;
    CHECK_EQ_INT(cn_gradreq_decode(&q, buf, len), CRYPTONN_OK);
    CHECK(q.conv == 1 && q.n == 2 && q.in_h == 4 && q.k == 2 && q.out_c == 2 && q.out_w == 3);
    CHECK(q.dz && memcmp(q.dz, dz, sizeof dz) == 0);
    cn_gradreq_free(&q);
    /* a gradient request is no FEIP request */
    cn_feip_keyreq fr;
    CHECK_EQ_INT(cn_keyreq_feip_decode(&fr, buf, len), CRYPTONN_ERR_FORMAT);

    uint64_t mk, mz;
    cn_grad_expand_size(&g, &mk, &mz);
    CHECK_EQ_INT(mk, 8);
    CHECK_EQ_INT(mz, 8 * 18);
    cn_feip_keyreq r;
    uint32_t map[8];
    CHECK_EQ_INT(cn_grad_expand_new(&g, &r, map), CRYPTONN_OK);
    /* key for weight (o, u, v): entry dz[b][o][i][j] at slot b·16 + (i+u)·4 + (j+v) */
    uint32_t key = 0;
    for (uint32_t o = 0; o < 2; o++)
        for (uint32_t u = 0; u < 2; u++)
            for (uint32_t v = 0; v < 2; v++) {
                int64_t dense[32] = {0};
                for (uint32_t b = 0; b < 2; b++)
                    for (uint32_t i = 0; i < 3; i++)
                        for (uint32_t j = 0; j < 3; j++)
                            dense[b * 16 + (i + u) * 4 + (j + v)] = dz[b * 18 + o * 9 + i * 3 + j];
                uint32_t w = o * 4 + u * 2 + v;
                CHECK_EQ_INT(map[w], key);
                int64_t got[32] = {0};
                for (uint64_t e = r.rowptr[key]; e < r.rowptr[key + 1]; e++) {
                    CHECK(r.val[e] != 0);
                    CHECK(e == r.rowptr[key] || r.idx[e] > r.idx[e - 1]);
                    got[r.idx[e]] = r.val[e];
                }
                CHECK(memcmp(got, dense, sizeof got) == 0);
                key++;
            }
    CHECK_EQ_INT(r.nkeys, 8);
    cn_keyreq_feip_free(&r);

    /* shapes that break the rules */
    cn_grad_req bad = g;
    bad.out_h = 4;
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT);
    CHECK_EQ_INT(cn_gradreq_encode(&bad, &buf, &len), CRYPTONN_ERR_ARG);
    bad = g;
    bad.conv = 0; /* dense needs 1x1 planes */
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT);
    bad = g;
    bad.k = 0;
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT);
    bad = (cn_grad_req){.conv = 0, .n = 60000, .in_c = 60000, .in_h = 1, .in_w = 1, .k = 1,
                        .out_c = 60000, .out_h = 1, .out_w = 1, .stride = 1};
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_TOO_LARGE);

    fuzz_gradreq(buf, len);
    free(buf);
}

/* A strided, padded convolution's gradient request: version 2 on the wire
 * (version 1 kept for stride 1 without padding), its expansion against the
 * sum written out from the definition with zeros outside the image, and
 * fuzzing of the longer header. */
static void test_grad_strided(void)
{
    /* 3 samples, 2 filters of 3x3 over 2x6x5, stride 2, padding 1: out 3x3 (the
     * last column reaches into the right padding, the last row does not) */
    enum { NS = 3, OC = 2, IC = 2, IH = 6, IW = 5, K = 3, S = 2, PD = 1, OH = 3, OW = 3 };
    int64_t dz[NS * OC * OH * OW];
    for (size_t i = 0; i < sizeof dz / sizeof dz[0]; i++)
        dz[i] = i % 4 == 1 ? 0 : t_rand_range(-50, 50) | 1;
    /* filter 1 fires only at output (0, 0) of every sample: its taps with
     * u = 0 or v = 0 lie in the padding, so those weights have no key */
    for (int b = 0; b < NS; b++)
        for (int e = 0; e < OH * OW; e++) dz[(b * OC + 1) * OH * OW + e] = e == 0 ? 3 + b : 0;
    cn_grad_req g = {.conv = 1, .n = NS, .in_c = IC, .in_h = IH, .in_w = IW, .k = K,
                     .out_c = OC, .out_h = OH, .out_w = OW, .stride = S, .pad = PD, .dz = dz};
    CHECK_EQ_INT(cn_grad_shape_ok(&g), CRYPTONN_OK);
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_gradreq_encode(&g, &buf, &len), CRYPTONN_OK);
    CHECK(len > 16 && buf[12] == 2); /* version 2, little-endian u32 */
    cn_grad_req q;
    CHECK_EQ_INT(cn_gradreq_decode(&q, buf, len), CRYPTONN_OK);
    CHECK(q.stride == S && q.pad == PD && q.in_h == IH && q.in_w == IW && q.out_h == OH);
    CHECK(q.dz && memcmp(q.dz, dz, sizeof dz) == 0);
    cn_gradreq_free(&q);

    cn_feip_keyreq r;
    uint32_t map[OC * IC * K * K];
    CHECK_EQ_INT(cn_grad_expand_new(&g, &r, map), CRYPTONN_OK);
    const int slots = IC * IH * IW;
    uint32_t key = 0, nokey = 0;
    for (int o = 0; o < OC; o++)
        for (int c = 0; c < IC; c++)
            for (int u = 0; u < K; u++)
                for (int v = 0; v < K; v++) {
                    int64_t want[NS * IC * IH * IW] = {0};
                    int any = 0;
                    for (int b = 0; b < NS; b++)
                        for (int i = 0; i < OH; i++)
                            for (int j = 0; j < OW; j++) {
                                int y = i * S + u - PD, x = j * S + v - PD;
                                int64_t d = dz[((b * OC + o) * OH + i) * OW + j];
                                if (y < 0 || y >= IH || x < 0 || x >= IW || !d) continue;
                                want[b * slots + (c * IH + y) * IW + x] += d;
                                any = 1;
                            }
                    const int w = ((o * IC + c) * K + u) * K + v;
                    if (!any) {
                        CHECK_EQ_INT(map[w], UINT32_MAX);
                        nokey++;
                        continue;
                    }
                    CHECK_EQ_INT(map[w], key);
                    int64_t got[NS * IC * IH * IW] = {0};
                    for (uint64_t e = r.rowptr[key]; e < r.rowptr[key + 1]; e++) {
                        CHECK(r.val[e] != 0 && r.idx[e] < (uint32_t)(NS * slots));
                        CHECK(e == r.rowptr[key] || r.idx[e] > r.idx[e - 1]);
                        if (r.idx[e] < (uint32_t)(NS * slots)) got[r.idx[e]] = r.val[e];
                    }
                    CHECK(memcmp(got, want, sizeof got) == 0);
                    key++;
                }
    CHECK_EQ_INT(r.nkeys, key);
    CHECK_EQ_INT(nokey, IC * (2 * K - 1)); /* filter 1: u = 0 or v = 0 */
    cn_keyreq_feip_free(&r);

    /* the shape rules with stride and padding */
    cn_grad_req bad = g;
    bad.out_h = OH + 1;
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT);
    bad = g;
    bad.pad = K; /* pad < k */
    bad.out_h = (IH + 2 * K - K) / S + 1, bad.out_w = (IW + 2 * K - K) / S + 1;
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT);
    bad = g;
    bad.stride = 0;
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT);
    bad = (cn_grad_req){.conv = 0, .n = 1, .in_c = 4, .in_h = 1, .in_w = 1, .k = 1, .out_c = 2,
                        .out_h = 1, .out_w = 1, .stride = 2, .pad = 0, .dz = dz};
    CHECK_EQ_INT(cn_grad_shape_ok(&bad), CRYPTONN_ERR_FORMAT); /* dense has no stride */

    /* stride 1 without padding stays version 1, byte for byte the old layout */
    cn_grad_req one = {.conv = 1, .n = 1, .in_c = 1, .in_h = 3, .in_w = 3, .k = 2, .out_c = 1,
                       .out_h = 2, .out_w = 2, .stride = 1, .pad = 0, .dz = dz};
    uint8_t *b1;
    size_t l1;
    CHECK_EQ_INT(cn_gradreq_encode(&one, &b1, &l1), CRYPTONN_OK);
    CHECK(l1 == CN_CONTAINER_HEADER + 40 + 4 * 8 + CN_CONTAINER_TRAILER && b1[12] == 1);
    CHECK_EQ_INT(cn_gradreq_decode(&q, b1, l1), CRYPTONN_OK);
    CHECK(q.stride == 1 && q.pad == 0);
    cn_gradreq_free(&q);
    free(b1);

    fuzz_gradreq(buf, len);
    free(buf);
}

/* Key scalar responses: round trip, refusal of another mpk or count, fuzz. */
static void test_sk(void)
{
    uint8_t sks[5 * 32];
    t_rand_bytes(sks, sizeof sks);
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_keyresp_sk_encode(CN_MPK_BATCH, sks, 5, &buf, &len), CRYPTONN_OK);
    const uint8_t *view = NULL;
    CHECK_EQ_INT(cn_keyresp_sk_decode(buf, len, CN_MPK_BATCH, 5, &view), CRYPTONN_OK);
    CHECK(view && memcmp(view, sks, sizeof sks) == 0);
    CHECK_EQ_INT(cn_keyresp_sk_decode(buf, len, CN_MPK_SAMPLES, 5, &view), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cn_keyresp_sk_decode(buf, len, CN_MPK_BATCH, 4, &view), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cn_keyresp_sk_decode(buf, len - 1, CN_MPK_BATCH, 5, &view) < 0, 1);
    long iters = t_iters(2000, 1000);
    for (long it = 0; it < iters; it++) {
        size_t ml;
        uint8_t *m = mutate(buf, len, &ml);
        int rc = cn_keyresp_sk_decode(m, ml, CN_MPK_BATCH, 5, &view);
        CHECK(clean_status(rc));
        if (rc == CRYPTONN_OK) CHECK(view >= m && view + 5 * 32 <= m + ml);
        free(m);
    }
    free(buf);
}

int main(void)
{
    t_init("test_keyreq");
    test_feip_roundtrip();
    test_febo();
    test_error();
    test_grad();
    test_grad_strided();
    test_sk();
    return t_done();
}
