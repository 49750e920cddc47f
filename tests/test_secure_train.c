/* CryptoNN end to end, in process: authority, client and server on a small
 * synthetic dataset, checked against an independent plaintext computation.
 *
 * The reference below trains the same model (same seed, same fixed batches,
 * same batch order, same quantization) with the first layer, the output error
 * and the first-layer gradient computed in plaintext integers, exactly what
 * the decryptions must return. Every float operation after that is the same
 * code in the same order, so the weights must agree bit for bit: the
 * tolerance is zero. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/authority.h"
#include "protocol/client.h"
#include "secure/encdata.h"
#include "secure/train.h"
#include "testutil.h"

#define N 20 /* samples: batches of 8, 8, 4 */
#define B 8

static void make_data(cryptonn_dataset *d, uint32_t n)
{
    d->n = n;
    d->rows = d->cols = 28;
    d->x = calloc((size_t)n * 784, sizeof(float));
    d->y = calloc(n, 1);
    for (uint32_t i = 0; i < n; i++) {
        d->y[i] = (uint8_t)(i % 10);
        /* A class-dependent blob plus noise, pixel values on the 1/255 grid. */
        for (int p = 0; p < 784; p++) {
            int r = p / 28, c = p % 28;
            int on = abs(r - 6 - 2 * d->y[i]) < 4 && abs(c - 14) < 6;
            int v = on ? 200 + (int)(t_rand64() % 56) : (int)(t_rand64() % 30);
            d->x[(size_t)i * 784 + p] = (float)v / 255.0f;
        }
    }
}

/* The plaintext reference of one secure step (train.h steps 1-6). */
static void reference_step(cryptonn_model *m, const cn_secure_opts *o, const cn_enc_params *pp,
                           const int64_t *xi, const uint8_t *y, uint32_t n)
{
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    int64_t *wq = malloc(sizeof(int64_t) * fl.nw);
    int we = cn_quant_exponent(fl.w, fl.nw, o->w_bits);
    cn_quant(fl.w, fl.nw, we, wq);
    float *z1 = malloc(sizeof(float) * n * fl.z1_size);
    const double unw = ldexp(1.0, -we) / 255.0;
    for (uint32_t b = 0; b < n; b++)
        for (uint32_t f = 0; f < fl.out_c; f++)
            for (uint32_t i = 0; i < fl.out_h; i++)
                for (uint32_t j = 0; j < fl.out_w; j++) {
                    int64_t acc = 0;
                    for (uint32_t u = 0; u < fl.k; u++)
                        for (uint32_t v = 0; v < fl.k; v++)
                            acc += wq[(f * fl.k + u) * fl.k + v] *
                                   xi[(size_t)b * 784 + (i + u) * 28 + (j + v)];
                    z1[(size_t)b * fl.z1_size + (f * fl.out_h + i) * fl.out_w + j] =
                        (float)((double)acc * unw);
                }
    const float *p = cryptonn_model_forward_from_z1(m, z1, n);
    const int64_t S = (int64_t)1 << pp->label_scale_bits;
    float *err = malloc(sizeof(float) * n * 10);
    for (uint32_t b = 0; b < n; b++)
        for (int c = 0; c < 10; c++) {
            int64_t pint = (int64_t)llround((double)p[b * 10 + c] * (double)S);
            int64_t dec = (y[b] == c ? S : 0) - pint;
            err[b * 10 + c] = (float)((double)-dec / (double)S);
        }
    const float *dz = cryptonn_model_backward_from_error(m, err, n);
    size_t nz = (size_t)n * fl.z1_size;
    int64_t *dzq = malloc(sizeof(int64_t) * nz);
    int de = cn_quant_exponent(dz, nz, o->dz_bits);
    cn_quant(dz, nz, de, dzq);
    float *dw = malloc(sizeof(float) * fl.nw);
    const double und = ldexp(1.0, -de) / 255.0;
    for (uint32_t f = 0; f < fl.out_c; f++)
        for (uint32_t u = 0; u < fl.k; u++)
            for (uint32_t v = 0; v < fl.k; v++) {
                int64_t acc = 0;
                for (uint32_t b = 0; b < n; b++)
                    for (uint32_t i = 0; i < fl.out_h; i++)
                        for (uint32_t j = 0; j < fl.out_w; j++)
                            acc += dzq[(size_t)b * fl.z1_size + (f * fl.out_h + i) * fl.out_w + j] *
                                   xi[(size_t)b * 784 + (i + u) * 28 + (j + v)];
                dw[(f * fl.k + u) * fl.k + v] = (float)((double)acc * und);
            }
    cryptonn_model_set_first_layer_grad(m, dw, NULL);
    cryptonn_model_sgd_step(m, &o->sgd);
    free(wq);
    free(z1);
    free(err);
    free(dzq);
    free(dw);
}

typedef struct {
    const char *path;
    cryptonn_model *m;
    uint64_t stop_after;
} ckpt_ctx;

/* Checkpoints after every batch and "crashes" after stop_after batches. */
static int checkpoint_and_maybe_stop(void *ctx, uint32_t epoch, uint64_t done,
                                     const cn_secure_stats *so_far)
{
    ckpt_ctx *c = ctx;
    int rc = cn_checkpoint_save(c->path, c->m, epoch, done, so_far);
    if (rc != CRYPTONN_OK) return rc;
    return done >= c->stop_after ? CRYPTONN_ERR_INTERNAL : 0;
}

int main(void)
{
    t_init("test_secure_train");
    char state[512], enc[512], testenc[512], cache[512];
    snprintf(state, sizeof state, "%s/authority", t_tmpdir());
    snprintf(enc, sizeof enc, "%s/enc", t_tmpdir());
    snprintf(testenc, sizeof testenc, "%s/enc-test", t_tmpdir());
    snprintf(cache, sizeof cache, "%s", t_tmpdir());

    cn_enc_params pp;
    cn_enc_params_default(&pp);
    pp.batch = B;
    CHECK_EQ_INT(cn_authority_setup(state, &pp, NULL), CRYPTONN_OK);
    cn_policy pol;
    cn_policy_default(&pol);
    cn_authority *auth = NULL;
    CHECK_EQ_INT(cn_authority_open(&auth, state, &pol), CRYPTONN_OK);
    if (!auth) return t_done();

    /* Owners: the public params from the authority's state, and π. */
    char path[600];
    cn_enc_params got;
    cn_enc_mpks mpks = {0};
    CHECK_EQ_INT(cn_encdata_read_params(state, &got, &mpks), CRYPTONN_OK);
    cn_owner_secret own;
    snprintf(path, sizeof path, "%s/owner.key", state);
    CHECK_EQ_INT(cn_owner_secret_load(&own, path), CRYPTONN_OK);

    cryptonn_dataset d;
    make_data(&d, N);
    CHECK_EQ_INT(cn_encdata_init(enc, &got, &mpks), CRYPTONN_OK);
    cn_encrypt_opts eo = {.part = "owner1", .threads = 2, .labels = 1, .batch_ct = 1};
    cn_encrypt_stats es;
    CHECK_EQ_INT(cn_client_encrypt(enc, &got, &mpks, &own, &d, &eo, &es), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_init(testenc, &got, &mpks), CRYPTONN_OK);
    cn_encrypt_opts to = {.part = "test", .threads = 2};
    cryptonn_dataset td = d; /* the first B samples as the test set */
    td.n = B;
    CHECK_EQ_INT(cn_client_encrypt(testenc, &got, &mpks, &own, &td, &to, &es), CRYPTONN_OK);

    cn_encdata *ds = NULL, *ts = NULL;
    uint32_t skipped = 0;
    CHECK_EQ_INT(cn_encdata_open(&ds, enc, &skipped), CRYPTONN_OK);
    CHECK_EQ_INT(cn_encdata_open(&ts, testenc, &skipped), CRYPTONN_OK);
    if (!ds || !ts) return t_done();
    CHECK_EQ_INT(cn_encdata_batches(ds), 3);
    CHECK_EQ_INT(cn_encdata_samples(ds), N);

    cn_keywire w = cn_authority_keywire(auth);
    cn_keysource ks = cn_keywire_source(&w);
    cn_secure_opts o;
    cn_secure_opts_default(&o);
    o.sgd.lr = 0.05f;
    o.dlog_table_bits = 14;
    o.seed = t_seed;
    cn_server *srv = NULL;
    CHECK_EQ_INT(cn_server_create(&srv, ds, &ks, &o, cache), CRYPTONN_OK);

    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_LENET5;
    cfg.act = CRYPTONN_ACT_SIGMOID;
    cfg.seed = t_seed;
    cryptonn_model *ms = NULL, *mr = NULL;
    CHECK_EQ_INT(cryptonn_model_create(&cfg, B, 2, &ms), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(&cfg, B, 2, &mr), CRYPTONN_OK);

    /* Reference inputs: the owner's own integers and permuted labels. */
    int64_t *xi = malloc(sizeof(int64_t) * N * 784);
    uint8_t *yp = malloc(N);
    for (size_t i = 0; i < (size_t)N * 784; i++) xi[i] = (int64_t)llroundf(d.x[i] * 255.0f);
    for (int i = 0; i < N; i++) yp[i] = own.perm[d.y[i]];

    char msg[256] = "";
    /* Two epochs (the second with a new batch order and updated keys); one
     * under the sanitizers, where each epoch takes minutes. */
    const uint32_t epochs = (uint32_t)t_iters(2, 1);
    for (uint32_t epoch = 0; epoch < epochs; epoch++) {
        cn_secure_stats st = {0};
        int rc = cn_server_train_epoch(srv, ms, epoch, &st, msg, sizeof msg);
        CHECK_EQ_INT(rc, CRYPTONN_OK);
        if (rc != CRYPTONN_OK) fprintf(stderr, "train: %s\n", msg);
        CHECK_EQ_INT(st.samples, N);
        CHECK(st.keys_fwd == 6 * 24 * 24 * st.batches); /* fresh keys every update */
        uint64_t order[3];
        cn_batch_order(o.seed, epoch, 3, order);
        for (int k = 0; k < 3; k++) {
            uint32_t first = (uint32_t)order[k] * B, n = first + B <= N ? B : N - first;
            reference_step(mr, &o, &got, xi + (size_t)first * 784, yp + first, n);
        }
        size_t np = cryptonn_model_param_count(ms);
        CHECK(memcmp(cryptonn_model_params(ms), cryptonn_model_params(mr), np * sizeof(float)) == 0);
    }

    /* An interrupted run resumed from its checkpoint ends with the same
     * weights as the uninterrupted one: a new server and a new model, as
     * after kill -9 and a restart. */
    {
        char ck[600];
        snprintf(ck, sizeof ck, "%s/ckpt.bin", t_tmpdir());
        cryptonn_model *mk = NULL;
        CHECK_EQ_INT(cryptonn_model_create(&cfg, B, 2, &mk), CRYPTONN_OK);
        ckpt_ctx cc = {ck, mk, 2};
        cn_secure_opts ko = o;
        ko.on_batch = checkpoint_and_maybe_stop;
        ko.on_batch_ctx = &cc;
        cn_server *s1 = NULL;
        CHECK_EQ_INT(cn_server_create(&s1, ds, &ks, &ko, cache), CRYPTONN_OK);
        cn_secure_stats a = {0};
        CHECK_EQ_INT(cn_server_train_epoch(s1, mk, 0, &a, msg, sizeof msg), CRYPTONN_ERR_INTERNAL);
        cn_server_destroy(s1);
        cryptonn_model_destroy(mk);

        CHECK_EQ_INT(cryptonn_model_create(&cfg, B, 2, &mk), CRYPTONN_OK);
        uint32_t ep = 99;
        uint64_t done = 0;
        cn_secure_stats so_far = {0};
        CHECK_EQ_INT(cn_checkpoint_load(ck, mk, &ep, &done, &so_far), CRYPTONN_OK);
        CHECK_EQ_INT(ep, 0);
        CHECK_EQ_INT(done, 2);
        CHECK_EQ_INT(so_far.batches, 2);
        cn_secure_opts ro = o;
        ro.start_batch = done;
        CHECK_EQ_INT(cn_server_create(&s1, ds, &ks, &ro, cache), CRYPTONN_OK);
        CHECK_EQ_INT(cn_server_train_epoch(s1, mk, 0, &a, msg, sizeof msg), CRYPTONN_OK);
        cn_server_destroy(s1);
        for (uint32_t e = 1; e < epochs; e++) {
            CHECK_EQ_INT(cn_server_create(&s1, ds, &ks, &o, cache), CRYPTONN_OK);
            CHECK_EQ_INT(cn_server_train_epoch(s1, mk, e, &a, msg, sizeof msg), CRYPTONN_OK);
            cn_server_destroy(s1);
        }
        size_t np = cryptonn_model_param_count(ms);
        CHECK(memcmp(cryptonn_model_params(ms), cryptonn_model_params(mk), np * sizeof(float)) == 0);
        /* A checkpoint of another architecture is refused, the model untouched. */
        cryptonn_model_config c2 = cfg;
        c2.arch = CRYPTONN_ARCH_MLP;
        cryptonn_model *other = NULL;
        CHECK_EQ_INT(cryptonn_model_create(&c2, B, 2, &other), CRYPTONN_OK);
        CHECK_EQ_INT(cn_checkpoint_load(ck, other, &ep, &done, NULL), CRYPTONN_ERR_MISMATCH);
        cryptonn_model_destroy(other);
        cryptonn_model_destroy(mk);
    }

    /* Secure prediction = the plaintext prediction of the same model on the
     * same (quantized) inputs; and the owners map the permuted classes back. */
    uint8_t pred[B];
    cn_secure_stats pst = {0};
    CHECK_EQ_INT(cn_server_predict(srv, ms, ts, pred, &pst, msg, sizeof msg), CRYPTONN_OK);
    const float *prob = cryptonn_model_forward(ms, d.x, B);
    int agree = 0;
    for (int i = 0; i < B; i++) {
        int best = 0;
        for (int c = 1; c < 10; c++)
            if (prob[i * 10 + c] > prob[i * 10 + best]) best = c;
        agree += best == pred[i];
    }
    /* Float inputs vs 8-bit quantized weights: allow one flip in 8. */
    CHECK(agree >= B - 1);
    uint8_t inv[256];
    cn_owner_secret_inverse(&own, inv);
    for (int c = 0; c < 10; c++) CHECK_EQ_INT(inv[own.perm[c]], c);

    /* The leakage counters: conv1 keys span all 784 pixels after one update. */
    cn_leak_mpk lk[3];
    cn_authority_leakage(auth, lk);
    CHECK_EQ_INT(lk[CN_MPK_SAMPLES].rank, 784);
    CHECK_EQ_INT(lk[CN_MPK_SAMPLES].width, 784);
    CHECK(lk[CN_MPK_BATCH].rank_is_bound);

    /* A rank budget below what conv1 needs stops training with a clear error. */
    cn_server_destroy(srv);
    cn_authority_close(auth);
    pol.max_rank = 100;
    CHECK_EQ_INT(cn_authority_open(&auth, state, &pol), CRYPTONN_OK);
    w = cn_authority_keywire(auth);
    /* A fresh model: the authority's rank state (784) is kept across restarts. */
    CHECK_EQ_INT(cn_server_create(&srv, ds, &ks, &o, cache), CRYPTONN_OK);
    size_t np = cryptonn_model_param_count(mr);
    float *before = malloc(np * sizeof(float));
    memcpy(before, cryptonn_model_params(mr), np * sizeof(float));
    cn_secure_stats st2 = {0};
    msg[0] = 0;
    int rc = cn_server_train_epoch(srv, mr, 0, &st2, msg, sizeof msg);
    CHECK_EQ_INT(rc, CRYPTONN_ERR_BUDGET);
    CHECK(strstr(msg, "rank") != NULL);
    CHECK(memcmp(before, cryptonn_model_params(mr), np * sizeof(float)) == 0);
    printf("budget refusal: %s\n", msg);

    free(before);
    free(xi);
    free(yp);
    cryptonn_model_destroy(ms);
    cryptonn_model_destroy(mr);
    cn_server_destroy(srv);
    cn_encdata_close(ds);
    cn_encdata_close(ts);
    cn_authority_close(auth);
    cn_enc_mpks_free(&mpks);
    cryptonn_dataset_free(&d);
    return t_done();
}
