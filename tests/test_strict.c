/* The authority against a malicious server (DESIGN §5, issue 11): every
 * attack of the paper-mode list, run against a strict and a paper
 * authority, in-process and over HTTP.
 *   strict: each attack is refused with a reason naming the policy, nothing
 *           is issued (the issued counters and the server's key set stay as
 *           they were), and the committed layer's own keys are issued and
 *           decrypt to the layer's outputs;
 *   paper:  each attack succeeds (the test recovers the pixels it targets,
 *           from the keys it got), the rank is accounted mod ℓ, and the
 *           report names the attack. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/dlog.h"
#include "group/group.h"
#include "protocol/authority.h"
#include "protocol/services.h"
#include "protocol/labelreg.h"
#include "net_helpers.h"
#include "testutil.h"
#include "util/util.h"

#define B 4
#define W 784

static cryptonn_dlog *D;

/* A key source that keeps the scalars of the last KRSK answer, as a
 * server would (it holds every sk it was given). */
typedef struct {
    cn_keywire inner;
    uint8_t sk[8][32];
    uint32_t n;
} spy;

static int spy_round_trip(void *ctx, const uint8_t *req, size_t len, uint8_t **resp,
                          size_t *resp_len)
{
    spy *s = ctx;
    int rc = s->inner.round_trip(s->inner.ctx, req, len, resp, resp_len);
    s->n = 0;
    if (rc == CRYPTONN_OK && *resp_len >= 32 + CN_CONTAINER_HEADER &&
        !memcmp(*resp + 8, "KRSK", 4)) {
        uint32_t n = cn_load_u32(*resp + CN_CONTAINER_HEADER + 4);
        for (uint32_t i = 0; i < n && i < 8; i++)
            memcpy(s->sk[i], *resp + CN_CONTAINER_HEADER + 8 + 32 * (size_t)i, 32);
        s->n = n < 8 ? n : 8;
    }
    return rc;
}

typedef struct {
    cn_keywire wire; /* the spy */
    cn_keysource ks; /* over wire */
    spy *sp;
    int strict;
    const cn_enc_mpks *k;
    cryptonn_feip_ct *ct;  /* one sample x under the samples mpk */
    cryptonn_feip_ct *bct; /* the batch ciphertext of B samples (paper) */
    int64_t x[W], xb[B * W];
    cryptonn_feip_decryptor *dec;
    cryptonn_feip_keys *keys;
    uint64_t (*issued)(void *ctx, int mpk); /* the authority's counter, or NULL over HTTP */
    void *ctx;
} rig;

static void one_key(cn_feip_keyreq *r, uint32_t mpk, const uint32_t *idx, const int64_t *val,
                    uint32_t nnz)
{
    CHECK_EQ_INT(cn_keyreq_feip_alloc(r, 1, nnz), CRYPTONN_OK);
    r->mpk = mpk;
    r->nkeys = 1;
    r->nnz = nnz;
    r->rowptr[0] = 0;
    r->rowptr[1] = nnz;
    memcpy(r->idx, idx, nnz * sizeof *idx);
    memcpy(r->val, val, nnz * sizeof *val);
}

/* Sends r; in strict mode expects a policy refusal naming `why` and no
 * key, and returns 0; in paper mode expects the keys and returns 1. */
static int ask(rig *g, const cn_feip_keyreq *r, const char *why)
{
    char msg[512] = "";
    const cryptonn_feip_mpk *mpk = r->mpk == CN_MPK_SAMPLES ? g->k->samples : g->k->batch;
    uint64_t before = g->issued ? g->issued(g->ctx, (int)r->mpk) : 0;
    int rc = cn_keysource_feip(&g->ks, r, mpk ? mpk : g->k->samples, g->keys, msg, sizeof msg);
    if (g->strict || !why[0]) {
        CHECK_EQ_INT(rc, CRYPTONN_ERR_POLICY);
        CHECK(strstr(msg, why[0] ? why : "explicit key vectors are refused") != NULL);
        if (!strstr(msg, why[0] ? why : "explicit")) printf("  got: %s\n", msg);
        CHECK_EQ_INT(cryptonn_feip_keys_count(g->keys), 0);
        if (g->issued) CHECK_EQ_INT(g->issued(g->ctx, (int)r->mpk), before);
        return 0;
    }
    CHECK_EQ_INT(rc, CRYPTONN_OK);
    if (rc != CRYPTONN_OK) printf("  refused: %s\n", msg);
    return rc == CRYPTONN_OK;
}

/* Attack 1: y1 = e_a + e_b, y2 = e_a + 2e_b pass min-support, and
 * sk(y2) − sk(y1) = sk(e_b) is a unit key for pixel b. */
static void attack_linear(rig *g)
{
    const uint32_t a = 300, b = 301, idx[2] = {a, b};
    const int64_t v1[2] = {1, 1}, v2[2] = {1, 2};
    cn_feip_keyreq r1, r2;
    one_key(&r1, CN_MPK_SAMPLES, idx, v1, 2);
    one_key(&r2, CN_MPK_SAMPLES, idx, v2, 2);
    uint8_t sk1[32], sk2[32];
    int got = ask(g, &r1, "not a vector of the committed first layer");
    if (got) memcpy(sk1, g->sp->sk[0], 32);
    got &= ask(g, &r2, "not a vector of the committed first layer");
    if (got) {
        memcpy(sk2, g->sp->sk[0], 32);
        sc25519 s1, s2, d;
        memcpy(s1.v, sk1, 32);
        memcpy(s2.v, sk2, 32);
        sc25519_sub(&d, &s2, &s1);
        uint8_t skb[32];
        memcpy(skb, d.v, 32);
        const int64_t one = 1;
        cryptonn_feip_keys_clear(g->keys);
        CHECK_EQ_INT(cryptonn_feip_keys_append(g->keys, g->k->samples, &b, &one, 1, skb),
                     CRYPTONN_OK);
        int64_t px = -1;
        CHECK_EQ_INT(cryptonn_feip_decrypt_var(g->dec, g->ct, g->keys, 0, &px), CRYPTONN_OK);
        CHECK_EQ_INT(px, g->x[b]); /* the unit key the policy meant to forbid */
    }
    cn_keyreq_feip_free(&r1);
    cn_keyreq_feip_free(&r2);
}

/* Attack 2: taps (256, 1) reveal 256·x_a + x_b, i.e. both pixels. */
static void attack_packing(rig *g)
{
    const uint32_t idx[2] = {400, 401};
    const int64_t v[2] = {256, 1};
    cn_feip_keyreq r;
    one_key(&r, CN_MPK_SAMPLES, idx, v, 2);
    if (ask(g, &r, "not a vector of the committed first layer")) {
        int64_t z = -1;
        CHECK_EQ_INT(cryptonn_feip_decrypt_var(g->dec, g->ct, g->keys, 0, &z), CRYPTONN_OK);
        CHECK_EQ_INT(z / 256, g->x[400]);
        CHECK_EQ_INT(z % 256, g->x[401]);
    }
    cn_keyreq_feip_free(&r);
}

/* Attack 5: (2^30, 1 − 2^30) and (1, 2^31 − 1): determinant 2^61 − 1, which
 * a tracker mod 2^61 − 1 counted as rank 1; independent mod ℓ. */
static void attack_undercount(rig *g, uint64_t (*rank)(void *), void *ctx)
{
    const uint32_t idx[2] = {500, 501};
    const int64_t v1[2] = {(int64_t)1 << 30, 1 - ((int64_t)1 << 30)};
    const int64_t v2[2] = {1, ((int64_t)1 << 31) - 1};
    cn_feip_keyreq r1, r2;
    one_key(&r1, CN_MPK_SAMPLES, idx, v1, 2);
    one_key(&r2, CN_MPK_SAMPLES, idx, v2, 2);
    uint64_t before = rank ? rank(ctx) : 0;
    int got = ask(g, &r1, "not a vector of the committed first layer");
    got &= ask(g, &r2, "not a vector of the committed first layer");
    if (got && rank) CHECK_EQ_INT(rank(ctx), before + 2);
    cn_keyreq_feip_free(&r1);
    cn_keyreq_feip_free(&r2);
}

/* Attack 3: a gradient request for a dense 784 → 1 layer whose dZ1 the
 * server chose as 256^b for sample b: every key reveals pixel x of all B
 * samples at once (Σ_b 256^b·x_b[x]). */
static void attack_gradient(rig *g)
{
    int64_t dz[B];
    for (int b = 0; b < B; b++) dz[b] = (int64_t)1 << (8 * b);
    cn_grad_req q = {.conv = 0, .n = B, .in_c = W, .in_h = 1, .in_w = 1, .k = 1, .out_c = 1,
                     .out_h = 1, .out_w = 1, .stride = 1, .dz = dz};
    cn_feip_keyreq e;
    uint32_t map[W];
    CHECK_EQ_INT(cn_grad_expand_new(&q, &e, map), CRYPTONN_OK);
    char msg[512] = "";
    uint64_t before = g->issued ? g->issued(g->ctx, CN_MPK_BATCH) : 0;
    const cryptonn_feip_mpk *mpk = g->k->batch ? g->k->batch : g->k->samples;
    int rc = cn_keysource_grad(&g->ks, &q, &e, mpk, g->keys, msg, sizeof msg);
    if (g->strict) {
        CHECK_EQ_INT(rc, CRYPTONN_ERR_POLICY);
        CHECK(strstr(msg, "no batch-gradient mpk") != NULL);
        CHECK_EQ_INT(cryptonn_feip_keys_count(g->keys), 0);
        if (g->issued) CHECK_EQ_INT(g->issued(g->ctx, CN_MPK_BATCH), before);
    } else {
        CHECK_EQ_INT(rc, CRYPTONN_OK);
        int ok = 1;
        for (uint32_t x = 0; x < W && rc == CRYPTONN_OK; x += 37) {
            int64_t z = -1;
            if (map[x] == UINT32_MAX) continue; /* a pixel that is 0 in every sample... */
            CHECK_EQ_INT(cryptonn_feip_decrypt_var(g->dec, g->bct, g->keys, map[x], &z),
                         CRYPTONN_OK);
            for (int b = 0; b < B; b++) ok &= ((z >> (8 * b)) & 255) == g->xb[b * W + x];
        }
        CHECK(ok); /* every sample's pixels, from one gradient request */
    }
    cn_keyreq_feip_free(&e);
}

/* Attack 4: explicit vectors on the batch mpk (refused in both modes). */
static void attack_explicit_batch(rig *g)
{
    const uint32_t idx[2] = {10, W + 10};
    const int64_t v[2] = {1, 256};
    cn_feip_keyreq r;
    one_key(&r, CN_MPK_BATCH, idx, v, 2);
    if (g->strict) ask(g, &r, "no batch-gradient mpk");
    else ask(g, &r, "");
    cn_keyreq_feip_free(&r);
}

/* The committed layer's own keys are issued, twice with the same scalars,
 * and decrypt to the layer's outputs. */
static void committed_keys(rig *g, const cn_fl_layer *L)
{
    cn_feip_keyreq r;
    CHECK_EQ_INT(cn_fl_keys(&L->spec, L->w, &r), CRYPTONN_OK);
    char msg[512] = "";
    CHECK_EQ_INT(cn_keysource_feip(&g->ks, &r, g->k->samples, g->keys, msg, sizeof msg),
                 CRYPTONN_OK);
    size_t n = cryptonn_feip_keys_count(g->keys);
    CHECK_EQ_INT(n, r.nkeys);
    uint8_t first[8][32];
    memcpy(first, g->sp->sk, sizeof first);
    int64_t *want = malloc(sizeof *want * cn_fl_outputs(&L->spec));
    cn_fl_apply(&L->spec, L->w, g->x, want);
    int same = 1;
    for (size_t i = 0; i < n; i += 7) {
        int64_t z = 0;
        CHECK_EQ_INT(cryptonn_feip_decrypt_var(g->dec, g->ct, g->keys, i, &z), CRYPTONN_OK);
        same &= z == want[i];
    }
    CHECK(same);
    CHECK_EQ_INT(cn_keysource_feip(&g->ks, &r, g->k->samples, g->keys, msg, sizeof msg),
                 CRYPTONN_OK);
    CHECK(cryptonn_feip_keys_count(g->keys) == n && g->sp->n == 8);
    CHECK(memcmp(first, g->sp->sk, sizeof first) == 0); /* re-issuing reveals nothing new */
    free(want);
    cn_keyreq_feip_free(&r);
}

/* Attack 6: FEBO keys for a ciphertext nobody registered; in strict mode
 * then registered (accepted), used label_uses times, then refused. reg
 * registers an LREG message (in-process or over HTTP). */
static void attack_febo(rig *g, int (*reg)(void *, const uint8_t *, size_t), void *rctx,
                        uint32_t uses)
{
    cryptonn_febo_ct *ct;
    cryptonn_febo_key *key = NULL;
    CHECK_EQ_INT(cryptonn_febo_ct_create(&ct), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_encrypt(g->k->labels, ct, 65536, 18), CRYPTONN_OK);
    const int64_t p = 1234;
    char msg[512] = "";
    int rc = cn_keysource_febo(&g->ks, CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)&ct, &p,
                               1, &key, msg, sizeof msg);
    if (!g->strict) {
        CHECK_EQ_INT(rc, CRYPTONN_OK); /* the unbound oracle of paper mode */
    } else {
        CHECK_EQ_INT(rc, CRYPTONN_ERR_POLICY);
        CHECK(strstr(msg, "not registered") != NULL);
        cn_labelreg lr = {0};
        uint8_t dg[16];
        CHECK_EQ_INT(cn_enc_labels_id(g->k->labels, lr.mpk_id), CRYPTONN_OK);
        CHECK_EQ_INT(cn_label_digest(ct, dg), CRYPTONN_OK);
        CHECK_EQ_INT(cn_labelreg_add(&lr, dg), CRYPTONN_OK);
        uint8_t *m;
        size_t ml;
        CHECK_EQ_INT(cn_labelreg_encode(&lr, &m, &ml), CRYPTONN_OK);
        CHECK_EQ_INT(reg(rctx, m, ml), CRYPTONN_OK);
        free(m);
        cn_labelreg_free(&lr);
        for (uint32_t u = 0; u < uses; u++) {
            rc = cn_keysource_febo(&g->ks, CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)&ct,
                                   &p, 1, &key, msg, sizeof msg);
            CHECK_EQ_INT(rc, CRYPTONN_OK);
            int64_t d = 0;
            int st = 0;
            CHECK_EQ_INT(cryptonn_febo_decrypt_batch_var(D, (const cryptonn_febo_ct *const *)&ct,
                                                         (const cryptonn_febo_key *const *)&key, 1,
                                                         &d, &st),
                         CRYPTONN_OK);
            CHECK_EQ_INT(d, 65536 - p);
        }
        rc = cn_keysource_febo(&g->ks, CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)&ct, &p,
                               1, &key, msg, sizeof msg);
        CHECK_EQ_INT(rc, CRYPTONN_ERR_BUDGET);
        CHECK(strstr(msg, "--label-uses") != NULL);
    }
    cryptonn_febo_key_destroy(key);
    cryptonn_febo_ct_destroy(ct);
}

/* ---- the two authorities ---- */

static void make_state(const char *dir, int strict, cn_fl_layer *L)
{
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = B;
    p.mode = strict ? CN_MODE_STRICT : CN_MODE_PAPER;
    if (strict) {
        char msg[128];
        memset(L, 0, sizeof *L);
        CHECK_EQ_INT(cn_fl_spec_parse("conv:2x5s2", 1, 28, 28, &L->spec, msg, sizeof msg),
                     CRYPTONN_OK);
        L->bits = 8;
        L->scale_exp = cn_fl_scale_exp(&L->spec, 8);
        L->w = malloc(sizeof *L->w * cn_fl_weights(&L->spec));
        uint8_t seed[32] = {7};
        CHECK_EQ_INT(cn_fl_draw(&L->spec, 8, seed, L->w), CRYPTONN_OK);
    }
    CHECK_EQ_INT(cn_authority_setup(dir, &p, strict ? L : NULL), CRYPTONN_OK);
}

static uint64_t issued_of(void *ctx, int mpk)
{
    cn_leak_mpk l[3];
    cn_authority_leakage(ctx, l);
    return l[mpk].keys_issued;
}
static uint64_t rank_of(void *ctx)
{
    cn_leak_mpk l[3];
    cn_authority_leakage(ctx, l);
    return l[0].rank;
}
static int reg_inproc(void *ctx, const uint8_t *m, size_t len)
{
    uint64_t added;
    char why[256];
    return cn_authority_register_labels(ctx, m, len, &added, why, sizeof why);
}

static void rig_data(rig *g, const cn_enc_mpks *k)
{
    for (int i = 0; i < W; i++) g->x[i] = t_rand_range(0, 255);
    for (int i = 0; i < B * W; i++) g->xb[i] = t_rand_range(0, 255);
    CHECK_EQ_INT(cryptonn_feip_ct_create(&g->ct, W), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(k->samples, g->ct, g->x, W, 9), CRYPTONN_OK);
    if (k->batch) {
        CHECK_EQ_INT(cryptonn_feip_ct_create(&g->bct, B * W), CRYPTONN_OK);
        CHECK_EQ_INT(cryptonn_feip_encrypt_mpk(k->batch, g->bct, g->xb, B * W, 9), CRYPTONN_OK);
    }
    CHECK_EQ_INT(cryptonn_feip_decryptor_create(&g->dec, D, 64), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_keys_create(&g->keys), CRYPTONN_OK);
}

static void rig_free(rig *g)
{
    cryptonn_feip_ct_destroy(g->ct);
    cryptonn_feip_ct_destroy(g->bct);
    cryptonn_feip_decryptor_destroy(g->dec);
    cryptonn_feip_keys_destroy(g->keys);
}

static void run_attacks(rig *g, const cn_fl_layer *L, uint64_t (*rank)(void *), void *rctx,
                        int (*reg)(void *, const uint8_t *, size_t), void *regctx)
{
    attack_linear(g);
    attack_packing(g);
    attack_undercount(g, rank, rctx);
    attack_gradient(g);
    attack_explicit_batch(g);
    attack_febo(g, reg, regctx, 2);
    if (g->strict) committed_keys(g, L);
}

static void in_process(const char *dir, int strict, const cn_fl_layer *L)
{
    cn_authority *a = NULL;
    cn_policy pol;
    cn_policy_default(&pol);
    CHECK_EQ_INT(cn_authority_open(&a, dir, &pol), CRYPTONN_OK);
    if (!a) return;
    cn_enc_params p;
    cn_enc_mpks k = {0};
    CHECK_EQ_INT(cn_encdata_read_params(dir, &p, &k), CRYPTONN_OK);
    spy sp = {.inner = cn_authority_keywire(a)};
    rig g = {.wire = {&sp, spy_round_trip}, .sp = &sp, .strict = strict, .k = &k,
             .issued = issued_of, .ctx = a};
    g.ks = cn_keywire_source(&g.wire);
    rig_data(&g, &k);
    run_attacks(&g, L, strict ? NULL : rank_of, a, reg_inproc, a);
    cn_leak_mpk lk[3];
    cn_authority_leakage(a, lk);
    if (strict) {
        CHECK_EQ_INT(lk[0].keys_issued, 2 * cn_fl_outputs(&L->spec));
        CHECK_EQ_INT(lk[0].keys_refused, 5); /* linear pair, packing, under-count pair */
        CHECK_EQ_INT(lk[1].keys_issued, 0);
        CHECK_EQ_INT(lk[1].width, 0);
        /* 70 digests, each twice in one registration, count once each;
         * registered again, not at all */
        cn_labelreg lr = {0};
        uint8_t dg[70][16];
        t_rand_bytes(dg, sizeof dg);
        CHECK_EQ_INT(cn_enc_labels_id(k.labels, lr.mpk_id), CRYPTONN_OK);
        for (int i = 0; i < 140; i++) CHECK_EQ_INT(cn_labelreg_add(&lr, dg[i % 70]), CRYPTONN_OK);
        uint8_t *m;
        size_t ml;
        uint64_t added = 9;
        char why[256];
        CHECK_EQ_INT(cn_labelreg_encode(&lr, &m, &ml), CRYPTONN_OK);
        CHECK_EQ_INT(cn_authority_register_labels(a, m, ml, &added, why, sizeof why), CRYPTONN_OK);
        CHECK_EQ_INT(added, 70);
        CHECK_EQ_INT(cn_authority_register_labels(a, m, ml, &added, why, sizeof why), CRYPTONN_OK);
        CHECK_EQ_INT(added, 0);
        free(m);
        cn_labelreg_free(&lr);
        /* the export holds exactly the committed layer */
        cn_keyexport e;
        CHECK_EQ_INT(cn_authority_export(a, &e), CRYPTONN_OK);
        CHECK_EQ_INT(e.keys.nkeys, cn_fl_outputs(&L->spec));
        CHECK_EQ_INT(e.mode, CN_MODE_STRICT);
        cn_keyexport_free(&e);
    }
    /* the report names what each mode gives away */
    char *buf = NULL;
    size_t blen = 0;
    FILE *f = open_memstream(&buf, &blen);
    cn_leak_report rep = {.strict = strict, .layer = "conv:2x5s2", .commit = "x",
                          .label_uses = 2, .first_layer_conv = 1, .frozen_first_layer = strict,
                          .first_layer_width = 288, .batch = B, .labels_via_febo = 1,
                          .label_permutation = 1, .samples = 1, .mpks = lk, .nmpks = 3};
    cn_leak_write_markdown(f, &rep);
    fclose(f);
    if (strict) {
        CHECK(strstr(buf, "any other key request is refused") != NULL);
        CHECK(strstr(buf, "Rank alone bounds nothing") != NULL);
    } else {
        CHECK(strstr(buf, "differences of keys are keys") != NULL);
        CHECK(strstr(buf, "packed taps") != NULL);
        CHECK(strstr(buf, "crafted dZ1") != NULL);
        CHECK(strstr(buf, "Diffie-Hellman oracle") != NULL);
        CHECK(strstr(buf, "rank is not protection") != NULL);
    }
    free(buf);
    rig_free(&g);
    cn_enc_mpks_free(&k);
    cn_authority_close(a);
}

/* ---- over HTTP ---- */

typedef struct {
    cn_http_client *owner;
} http_ctx;

static int reg_http(void *ctx, const uint8_t *m, size_t len)
{
    http_ctx *h = ctx;
    return net_call(h->owner, "POST", "/v1/labels", m, len, NULL) == 200 ? CRYPTONN_OK
                                                                         : CRYPTONN_ERR_POLICY;
}

static void over_http(const char *dir, int strict, const cn_fl_layer *L)
{
    char port_file[600], log[600], tok[600], ctok[600];
    snprintf(port_file, sizeof port_file, "%s/port", dir);
    snprintf(log, sizeof log, "%s.log", dir);
    const char *args[] = {"authority", "serve", "--state", dir, "--listen", "127.0.0.1:0",
                          "--port-file", port_file, NULL};
    pid_t pid = net_spawn(log, args);
    unsigned port = net_wait_port(port_file, pid);
    CHECK(port > 0);
    if (!port) {
        net_print_log(log);
        return;
    }
    char token[65], ctoken[65];
    snprintf(tok, sizeof tok, "%s/tokens/server.token", dir);
    snprintf(ctok, sizeof ctok, "%s/owners/clinic.token", dir);
    net_read_token(tok, token);
    net_read_token(ctok, ctoken);
    cn_http_client *c = net_client(port, token);
    http_ctx h = {net_client(port, ctoken)};
    cn_enc_params p;
    cn_enc_mpks k = {0};
    CHECK_EQ_INT(cn_encdata_read_params(dir, &p, &k), CRYPTONN_OK);
    spy sp = {.inner = cn_http_keywire(c)};
    rig g = {.wire = {&sp, spy_round_trip}, .sp = &sp, .strict = strict, .k = &k};
    g.ks = cn_keywire_source(&g.wire);
    rig_data(&g, &k);
    run_attacks(&g, L, NULL, NULL, reg_http, &h);
    /* a refusal is HTTP 403 */
    cn_feip_keyreq r;
    const uint32_t idx[2] = {1, 2};
    const int64_t v[2] = {256, 1};
    one_key(&r, CN_MPK_SAMPLES, idx, v, 2);
    uint8_t *body;
    size_t blen;
    CHECK_EQ_INT(cn_keyreq_feip_encode(&r, &body, &blen), CRYPTONN_OK);
    CHECK_EQ_INT(net_call(c, "POST", "/v1/keys", body, blen, NULL), strict ? 403 : 200);
    free(body);
    cn_keyreq_feip_free(&r);
    /* the owners' routes need an owner's token */
    CHECK_EQ_INT(net_call(c, "GET", "/v1/keys/export", NULL, 0, NULL), 401);
    char *exp = NULL;
    CHECK_EQ_INT(net_call(h.owner, "GET", "/v1/keys/export", NULL, 0, &exp), 200);
    free(exp);
    rig_free(&g);
    cn_enc_mpks_free(&k);
    cn_http_client_destroy(c);
    cn_http_client_destroy(h.owner);
    CHECK_EQ_INT(net_stop(pid, SIGTERM), 0);
}

int main(void)
{
    t_init("test_strict");
    if (cryptonn_dlog_create(&D, (uint64_t)1 << 34, 1 << 14, NULL) != CRYPTONN_OK) return 1;
    char sdir[512], pdir[512], hs[512], hp[512];
    snprintf(sdir, sizeof sdir, "%s/strict", t_tmpdir());
    snprintf(pdir, sizeof pdir, "%s/paper", t_tmpdir());
    snprintf(hs, sizeof hs, "%s/strict-http", t_tmpdir());
    snprintf(hp, sizeof hp, "%s/paper-http", t_tmpdir());
    cn_fl_layer L, L2;
    make_state(sdir, 1, &L);
    make_state(pdir, 0, NULL);
    in_process(sdir, 1, &L);
    in_process(pdir, 0, NULL);
    if (net_init(120)) {
        make_state(hs, 1, &L2);
        make_state(hp, 0, NULL);
        /* keygen's server token (the CLI makes it; here the test does) and
         * a data owner created by the authority */
        char cmd[1200], olog[600];
        snprintf(cmd, sizeof cmd, "mkdir -p %s/tokens %s/tokens", hs, hp);
        CHECK_EQ_INT(system(cmd), 0);
        snprintf(olog, sizeof olog, "%s/owners.log", t_tmpdir());
        const char *dirs[2] = {hs, hp};
        for (int i = 0; i < 2; i++) {
            char path[700];
            snprintf(path, sizeof path, "%s/tokens/server.token", dirs[i]);
            CHECK_EQ_INT(cn_token_create(path), CRYPTONN_OK);
            const char *add[] = {"authority", "add-owner", "--state", dirs[i], "clinic", NULL};
            CHECK_EQ_INT(net_run(olog, add), 0);
        }
        over_http(hs, 1, &L2);
        over_http(hp, 0, NULL);
        /* attack 7: a policy flag that does not parse is an error, never 0
         * (which switched the support policy off) */
        char log[600];
        snprintf(log, sizeof log, "%s/flags.log", t_tmpdir());
        const char *bad[][8] = {
            {"authority", "serve", "--state", hp, "--min-support", "x", NULL},
            {"authority", "serve", "--state", hp, "--max-rank", "-1", NULL},
            {"authority", "serve", "--state", hp, "--label-uses", "1e3", NULL},
            {"keygen", "--state", hs, "--batch", "64x", NULL},
        };
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            CHECK_EQ_INT(net_run(log, bad[i]), 2);
        uint8_t *lg = NULL;
        size_t ll = 0;
        CHECK_EQ_INT(cn_file_read_all(log, 1 << 20, &lg, &ll), CRYPTONN_OK);
        if (lg) {
            lg[ll - 1] = 0;
            CHECK(strstr((char *)lg, "--min-support expects an integer") != NULL);
            CHECK(strstr((char *)lg, "got 'x'") != NULL);
            free(lg);
        }
        cn_fl_layer_free(&L2);
    }
    cn_fl_layer_free(&L);
    cryptonn_dlog_destroy(D);
    return t_done();
}
