/* The public training-server API (cryptonn/server.h) over the secure
 * layer's server (train.h): options, the model that fits the dataset's mode,
 * epochs, prediction and checkpoints. */
#include "cryptonn/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/api_internal.h"
#include "util/util.h"

void cryptonn_trainer_opts_default(cryptonn_trainer_opts *o)
{
    cn_secure_opts s;
    cn_secure_opts_default(&s);
    *o = (cryptonn_trainer_opts){.sgd = s.sgd, .w_bits = s.w_bits, .dz_bits = s.dz_bits,
                                 .seed = s.seed, .threads = s.threads,
                                 .dlog_table_bits = s.dlog_table_bits,
                                 .z1_cache_mb = s.z1_cache_mb};
}

/* The caller's on_batch without the internal stats. */
static int on_batch(void *ctx, uint32_t epoch, uint64_t done, const cn_secure_stats *so_far)
{
    (void)so_far;
    const cryptonn_trainer *t = ctx;
    return t->on_batch(t->on_batch_ctx, epoch, done);
}

int cryptonn_trainer_create(cryptonn_trainer **out, const cryptonn_encdata *train,
                            cryptonn_keyservice *ks, const cryptonn_trainer_opts *o)
{
    CN_ARG_CHECK(out && train && ks);
    *out = NULL;
    cryptonn_trainer_opts d;
    if (!o) {
        cryptonn_trainer_opts_default(&d);
        o = &d;
    }
    cryptonn_trainer *t = calloc(1, sizeof *t);
    if (t && !(t->rep = calloc(1, sizeof *t->rep))) {
        free(t);
        t = NULL;
    }
    if (!t) return CRYPTONN_ERR_NOMEM;
    cn_secure_opts_default(&t->o);
    t->o.sgd = o->sgd;
    t->o.w_bits = o->w_bits;
    t->o.dz_bits = o->dz_bits;
    t->o.seed = o->seed;
    t->o.threads = o->threads ? o->threads : 2;
    t->o.max_batches = o->max_batches;
    t->o.progress = o->progress;
    t->o.dlog_table_bits = o->dlog_table_bits;
    t->o.z1_cache_mb = o->z1_cache_mb;
    if (o->on_batch) {
        t->on_batch = o->on_batch;
        t->on_batch_ctx = o->on_batch_ctx;
        t->o.on_batch = on_batch;
        t->o.on_batch_ctx = t;
    }
    t->train = train;
    int rc = cn_server_create(&t->srv, train->d, &ks->ks, &t->o, o->cache_dir);
    if (rc != CRYPTONN_OK) {
        free(t->rep);
        free(t);
        return rc;
    }
    *out = t;
    return CRYPTONN_OK;
}

void cryptonn_trainer_destroy(cryptonn_trainer *t)
{
    if (!t) return;
    cn_server_destroy(t->srv);
    free(t->rep);
    free(t);
}

int cryptonn_trainer_fit_config(const cryptonn_trainer *t, cryptonn_model_config *cfg, char *msg,
                                size_t msg_len)
{
    CN_ARG_CHECK(t && cfg);
    if (msg_len) msg[0] = 0;
    const cn_enc_params *p = cn_encdata_params(t->train->d);
    CN_TRY(cn_enc_fit_model(p, cfg, msg, msg_len));
    const cn_fl_layer *layer = cn_encdata_mpks(t->train->d)->layer;
    return layer ? cn_fl_fit_model(layer, cfg, msg, msg_len) : CRYPTONN_OK;
}

int cryptonn_trainer_model_create(cryptonn_trainer *t, const cryptonn_model_config *cfg,
                                  cryptonn_model **m, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(t && cfg && m);
    if (msg_len) msg[0] = 0;
    int rc = cryptonn_model_create(cfg, cn_encdata_params(t->train->d)->batch, t->o.threads, m);
    if (rc != CRYPTONN_OK) snprintf(msg, msg_len, "cannot create the model: %s",
                                    cryptonn_status_str(rc));
    return rc;
}

void cryptonn_trainer_set_start_batch(cryptonn_trainer *t, uint64_t batch)
{
    cn_server_set_start_batch(t->srv, batch);
}

static void stats_out(const cn_secure_stats *s, cryptonn_train_stats *o)
{
    *o = (cryptonn_train_stats){s->t_load, s->t_keys, s->t_fwd, s->t_err, s->t_grad, s->t_plain,
                                s->batches, s->samples, s->keys_fwd, s->keys_err, s->keys_grad,
                                s->loss_sum, s->correct};
}

int cryptonn_trainer_epoch(cryptonn_trainer *t, cryptonn_model *m, uint32_t epoch,
                           cryptonn_train_stats *st, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(t && m);
    cn_secure_stats s = {0};
    int rc = cn_server_train_epoch(t->srv, m, epoch, &s, msg, msg_len);
    if (st) stats_out(&s, st);
    if (epoch < CN_REPORT_MAX_EPOCHS) {
        t->rep->epoch[epoch] = s;
        t->rep->test_accuracy[epoch] = -1;
        t->rep->epochs = epoch + 1;
    }
    return rc;
}

int cryptonn_trainer_predict(cryptonn_trainer *t, cryptonn_model *m, const cryptonn_encdata *test,
                             uint8_t *pred, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(t && m && test && pred);
    return cryptonn_trainer_predict_outputs(t, m, test, pred, NULL, NULL, msg, msg_len);
}

int cryptonn_trainer_predict_outputs(cryptonn_trainer *t, cryptonn_model *m,
                                     const cryptonn_encdata *test, uint8_t *pred, float *outputs,
                                     cryptonn_train_stats *st, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(t && m && test && (pred || outputs));
    cn_secure_stats s = {0};
    cryptonn_model_set_training(m, 0); /* no dropout in predictions */
    int rc = cn_server_predict_outputs(t->srv, m, test->d, pred, outputs, &s, msg, msg_len);
    cryptonn_model_set_training(m, 1);
    if (st) stats_out(&s, st);
    return rc;
}

int cryptonn_checkpoint_save(const char *path, cryptonn_model *m, uint32_t epoch,
                             uint64_t batches_done)
{
    CN_ARG_CHECK(path && m);
    return cn_checkpoint_save(path, m, epoch, batches_done, NULL);
}

int cryptonn_checkpoint_load(const char *path, cryptonn_model *m, uint32_t *epoch,
                             uint64_t *batches_done)
{
    CN_ARG_CHECK(path && m);
    uint32_t e = 0;
    uint64_t b = 0;
    int rc = cn_checkpoint_load(path, m, &e, &b, NULL);
    if (rc == CRYPTONN_OK) {
        if (epoch) *epoch = e;
        if (batches_done) *batches_done = b;
    }
    return rc;
}
