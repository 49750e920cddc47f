/* The training server (train.h): key requests, batched decryption, and the
 * plaintext model in between. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <omp.h>

#include "secure/dist.h"
#include "secure/server_internal.h"
#include "util/util.h"

/* CN_ENC_DLOG_BOUND: forward keys reach 255·||w||_1 ≤ 255·784·2^10 < 2^28,
 * gradient keys 255·36,864·2^12 < 2^36. Baby steps ±2^21 (a 2^22-entry
 * table, built once and cached) leave at most 2^14 giant steps for the
 * largest gradient. */
#define SERVER_DLOG_TABLE_BITS 21

void cn_secure_opts_default(cn_secure_opts *o)
{
    memset(o, 0, sizeof *o);
    o->sgd.lr = 0.01f;
    o->sgd.momentum = 0.9f;
    o->w_bits = 8; /* the paper: two decimal digits (~7 bits); 10 costs ~14% more time */
    o->dz_bits = 12;
    o->seed = 1;
    o->threads = 2;
    o->dlog_table_bits = SERVER_DLOG_TABLE_BITS;
    o->z1_cache_mb = 2048;
}

const cryptonn_dlog *cn_server_dlog(const cn_server *s)
{
    return s->dlog;
}

void cn_server_set_start_batch(cn_server *s, uint64_t batch)
{
    s->o.start_batch = batch;
}

int cn_server_create(cn_server **out, const cn_encdata *ds, cn_keysource *ks,
                     const cn_secure_opts *o, const char *cache_dir)
{
    *out = NULL;
    if (o->w_bits < 2 || o->w_bits > 20 || o->dz_bits < 2 || o->dz_bits > 20)
        return CRYPTONN_ERR_ARG;
    cn_server *s = calloc(1, sizeof *s);
    if (!s) return CRYPTONN_ERR_NOMEM;
    s->ds = ds;
    s->ks = ks;
    s->o = *o;
    if (s->o.threads == 0) s->o.threads = 2;
    if (cn_dist_rank() != 0) s->o.progress = 0; /* one progress line per job */
    const cn_enc_params *p = cn_encdata_params(ds);
    s->p = *p;
    unsigned tb = s->o.dlog_table_bits ? s->o.dlog_table_bits : SERVER_DLOG_TABLE_BITS;
    if (tb < 8 || tb > 25) {
        free(s);
        return CRYPTONN_ERR_ARG;
    }
    char path[4096];
    const char *cache = NULL;
    if (cache_dir) {
        snprintf(path, sizeof path, "%s/dlog-%u.bin", cache_dir, tb);
        cache = path;
    }
    int rc = cryptonn_dlog_create(&s->dlog, CN_ENC_DLOG_BOUND, (uint64_t)1 << tb, cache);
    if (rc != CRYPTONN_OK) {
        cn_server_destroy(s);
        return rc;
    }
    s->ndec = (int)s->o.threads;
    s->dec = calloc((size_t)s->ndec, sizeof *s->dec);
    s->prep = calloc((size_t)s->ndec, sizeof *s->prep);
    if (!s->dec || !s->prep) {
        cn_server_destroy(s);
        return CRYPTONN_ERR_NOMEM;
    }
    for (int t = 0; t < s->ndec; t++) {
        rc = cryptonn_feip_decryptor_create(&s->dec[t], s->dlog, 256);
        if (rc == CRYPTONN_OK)
            rc = cryptonn_feip_prepared_create_var(&s->prep[t], p->slots, s->o.w_bits);
        if (rc != CRYPTONN_OK) {
            cn_server_destroy(s);
            return rc;
        }
    }
    /* the key sets keep their memory from batch to batch (~66 MB for the
     * gradient keys: fresh pages would cost more than filling them) */
    rc = cryptonn_feip_keys_create(&s->fwd_keys);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_keys_create(&s->grad_keys);
    if (rc != CRYPTONN_OK) {
        cn_server_destroy(s);
        return rc;
    }
    size_t nlab = (size_t)p->batch * p->classes;
    s->febo_keys = calloc(nlab, sizeof *s->febo_keys);
    s->lab_int = calloc(nlab, sizeof *s->lab_int);
    s->lab_dec = calloc(nlab, sizeof *s->lab_dec);
    s->lab_status = calloc(nlab, sizeof *s->lab_status);
    s->err = calloc(nlab, sizeof *s->err);
    if (!s->febo_keys || !s->lab_int || !s->lab_dec || !s->lab_status || !s->err) {
        cn_server_destroy(s);
        return CRYPTONN_ERR_NOMEM;
    }
    for (size_t i = 0; i < nlab; i++)
        if ((rc = cryptonn_febo_key_create(&s->febo_keys[i])) != CRYPTONN_OK) {
            cn_server_destroy(s);
            return rc;
        }
    *out = s;
    return CRYPTONN_OK;
}

void cn_server_destroy(cn_server *s)
{
    if (!s) return;
    for (int t = 0; s->dec && t < s->ndec; t++)
        cryptonn_feip_decryptor_destroy(s->dec[t]);
    for (int t = 0; s->prep && t < s->ndec; t++)
        cryptonn_feip_prepared_destroy(s->prep[t]);
    free(s->dec);
    free(s->prep);
    cryptonn_feip_prepared_destroy(s->prep_b);
    free(s->parts);
    if (s->febo_keys)
        for (size_t i = 0; i < (size_t)s->p.batch * s->p.classes; i++)
            cryptonn_febo_key_destroy(s->febo_keys[i]);
    free(s->febo_keys);
    free(s->lab_int);
    free(s->lab_dec);
    free(s->lab_status);
    free(s->err);
    cryptonn_feip_keys_destroy(s->fwd_keys);
    cryptonn_feip_keys_destroy(s->grad_keys);
    cn_server_free_buffers(s);
    cn_z1_cache_free(&s->cache_train);
    cn_z1_cache_free(&s->cache_test);
    cryptonn_dlog_destroy(s->dlog);
    free(s);
}

int cn_server_decrypt_labels(cn_server *s, const cn_enc_batch *b, size_t nl)
{
    uint64_t lo, hi;
    cn_dist_share(nl, &lo, &hi);
    int rc = cryptonn_febo_decrypt_batch_var(
        s->dlog, (const cryptonn_febo_ct *const *)b->y + lo,
        (const cryptonn_febo_key *const *)s->febo_keys + lo, hi - lo, s->lab_dec + lo,
        s->lab_status + lo);
    rc = cn_dist_agree(rc);
    if (rc == CRYPTONN_OK) rc = cn_dist_gather_rows(s->lab_dec, sizeof *s->lab_dec, nl);
    return rc;
}

uint64_t cn_server_cpu_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Moves first-layer samples off rank 0 (s->lead) by the work it did beyond
 * the others in this batch: in process, rank 0 also runs the authority,
 * while the others wait. Every rank gathers the same figures (CPU seconds
 * outside transfers, CPU seconds per first-layer sample) and computes the
 * same share; half the measured difference is moved each batch, so noise
 * does not make it swing. */
static int rebalance(cn_server *s, double busy)
{
    const int P = cn_dist_size();
    double *v = calloc(2 * (size_t)P, sizeof *v);
    if (!v) return CRYPTONN_ERR_NOMEM;
    v[2 * cn_dist_rank()] = busy;
    v[2 * cn_dist_rank() + 1] = s->fl_n ? s->fl_cpu / s->fl_n : 0;
    int rc = cn_dist_gather_rows(v, 2 * sizeof *v, (uint64_t)P);
    double others = 0, per = 0;
    for (int r = 1; r < P; r++) others += v[2 * r] / (P - 1);
    for (int r = 0; r < P; r++)
        if (v[2 * r + 1] > per) per = v[2 * r + 1];
    if (rc == CRYPTONN_OK && per > 0) {
        /* k samples moved off rank 0 narrow the gap by k·per·P/(P − 1) */
        const double k = 0.5 * (v[0] - others) * (P - 1) / (per * P);
        double f = (s->lead ? s->lead : 65536.0 / P) / 65536.0 - k / s->p.batch;
        f = f < 0 ? 0 : f > 1.0 / P ? 1.0 / P : f;
        s->lead = (uint32_t)(f * 65536.0) | 1u; /* 0 would mean the even split */
    }
    free(v);
    return rc;
}

static void seterr(char *msg, size_t len, const char *fmt, const char *a, int rc)
{
    if (msg && len) snprintf(msg, len, fmt, a, cryptonn_status_str(rc));
}

/* Steps 1-6 of train.h for one loaded batch (global index g; cached: its
 * Z1 is in the cache and b holds no sample ciphertexts). */
static int train_batch(cn_server *s, cryptonn_model *m, const cn_enc_batch *b, uint64_t g,
                       int cached, cn_secure_stats *st, char *msg, size_t msg_len)
{
    int rc;
    const cryptonn_model_config *cfg = cryptonn_model_get_config(m);
    uint64_t t0 = cn_now_ns();
    if (!cached && !s->fwd_valid) {
        rc = cn_server_request_fwd_keys(s, m, msg, msg_len);
        if (rc != CRYPTONN_OK) return rc;
        st->keys_fwd += s->nfwd;
    }
    uint64_t t1 = cn_now_ns();
    if (cached) {
        cn_z1_cache_get(s, &s->cache_train, s->ds, g, b->n);
    } else {
        rc = cn_server_decrypt_z1(s, b);
        if (rc != CRYPTONN_OK) {
            seterr(msg, msg_len, "%s: %s", "first-layer decryption", rc);
            return rc;
        }
        st->dec_fwd += (uint64_t)b->n * s->nfwd;
        if (cfg->frozen_first_layer) cn_z1_cache_put(s, &s->cache_train, s->ds, g, b->n);
    }
    uint64_t t2 = cn_now_ns();
    const float *prob = cryptonn_model_forward_from_z1(m, s->z1, b->n);
    uint64_t t3 = cn_now_ns();
    rc = cn_server_output_error(s, b, prob, st, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    uint64_t t4 = cn_now_ns();
    const float *dz1 = cryptonn_model_backward_from_error(m, s->err, b->n);
    uint64_t t5 = cn_now_ns();
    if (!cfg->frozen_first_layer) {
        rc = cn_server_first_layer_grad(s, m, b, dz1, st, msg, msg_len);
        if (rc != CRYPTONN_OK) return rc;
    }
    uint64_t t6 = cn_now_ns();
    cryptonn_model_sgd_step(m, &s->o.sgd);
    if (!cfg->frozen_first_layer) s->fwd_valid = 0; /* W1 moved: new keys next batch */
    uint64_t t7 = cn_now_ns();
    st->t_keys += (double)(t1 - t0) / 1e9;
    st->t_fwd += (double)(t2 - t1) / 1e9;
    st->t_err += (double)(t4 - t3) / 1e9;
    st->t_grad += (double)(t6 - t5) / 1e9;
    st->t_plain += (double)((t3 - t2) + (t5 - t4) + (t7 - t6)) / 1e9;
    st->batches++;
    st->samples += b->n;
    return CRYPTONN_OK;
}

int cn_server_train_epoch(cn_server *s, cryptonn_model *m, uint32_t epoch, cn_secure_stats *st,
                          char *msg, size_t msg_len)
{
    const cn_encdata *ds = s->ds;
    if (!(cn_encdata_flags(ds) & CN_ENC_LABELS)) {
        if (msg) snprintf(msg, msg_len, "the encrypted dataset has no labels (a test set?)");
        return CRYPTONN_ERR_ARG;
    }
    const cryptonn_model_config *cfg = cryptonn_model_get_config(m);
    if (!cfg->frozen_first_layer && !(cn_encdata_flags(ds) & CN_ENC_BATCHCT)) {
        if (msg)
            snprintf(msg, msg_len,
                     "the encrypted dataset has no batch ciphertexts: "
                     "train with a frozen first layer or re-encrypt");
        return CRYPTONN_ERR_ARG;
    }
    const uint64_t width = (uint64_t)s->p.batch * s->p.slots;
    if ((cn_encdata_flags(ds) & CN_ENC_BATCHCT) && (uint64_t)cn_dist_size() > width) {
        if (msg)
            snprintf(msg, msg_len,
                     "%d ranks for a batch ciphertext of %llu slots: use at most %llu ranks",
                     cn_dist_size(), (unsigned long long)width, (unsigned long long)width);
        return CRYPTONN_ERR_ARG;
    }
    int rc = cn_server_check_model(s, m, msg, msg_len);
    if (rc == CRYPTONN_OK) rc = cn_server_install_layer(s, m, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    uint64_t nb = cn_encdata_batches(ds);
    uint64_t *order = cn_malloc_array(nb ? nb : 1, sizeof *order);
    if (!order) return CRYPTONN_ERR_NOMEM;
    cn_batch_order(s->o.seed, epoch, nb, order);
    if (s->o.max_batches && s->o.max_batches < nb) nb = s->o.max_batches;
    cn_progress pr;
    cn_progress_start(&pr, "secure train", nb);
    if (!s->o.progress) pr.enabled = 0;
    cn_secure_stats ep = {0};
    for (uint64_t i = s->o.start_batch; i < nb; i++) {
        cn_enc_batch b = {0};
        uint64_t t0 = cn_now_ns(), c0 = cn_server_cpu_ns(), w0 = cn_dist_wait_cpu_ns();
        const uint64_t g = order[i];
        const int cached = cfg->frozen_first_layer && s->fwd_valid &&
                           s->cache_train.ds == ds && s->cache_train.z && s->cache_train.z[g];
        /* each rank decodes only what it decrypts (its samples, its slots) */
        rc = cached ? cn_encdata_read_batch_labels(ds, g, &b)
                    : cn_encdata_read_batch_part(ds, g, (uint32_t)cn_dist_rank(),
                                                 (uint32_t)cn_dist_size(), s->lead, &b);
        st->t_load += (double)(cn_now_ns() - t0) / 1e9;
        rc = cn_dist_agree(rc); /* a batch one rank cannot read stops every rank */
        if (rc != CRYPTONN_OK) {
            if (msg)
                snprintf(msg, msg_len, "batch %llu: %s", (unsigned long long)order[i],
                         cryptonn_status_str(rc));
            break;
        }
        rc = train_batch(s, m, &b, g, cached, &ep, msg, msg_len);
        cn_enc_batch_free(&b);
        /* the same condition on every rank: cached is the same everywhere */
        if (rc == CRYPTONN_OK && !cached && cn_dist_size() > 1)
            rc = rebalance(s, (double)(cn_server_cpu_ns() - c0 - (cn_dist_wait_cpu_ns() - w0)) / 1e9);
        if (rc != CRYPTONN_OK) break;
        char extra[128];
        snprintf(extra, sizeof extra, "loss %.4f acc %.2f%%", ep.loss_sum / (double)ep.samples,
                 100.0 * (double)ep.correct / (double)ep.samples);
        cn_progress_update(&pr, i + 1, extra);
        if (s->o.on_batch) rc = s->o.on_batch(s->o.on_batch_ctx, epoch, i + 1, &ep);
        if ((rc = cn_dist_agree(rc)) != 0) {
            if (msg) snprintf(msg, msg_len, "stopped after batch %llu", (unsigned long long)(i + 1));
            break;
        }
    }
    if (rc == CRYPTONN_OK)
        cn_progress_finish(&pr, NULL);
    else if (pr.enabled)
        fprintf(stderr, "\n");
    free(order);
    cn_secure_stats_add(st, &ep);
    return rc;
}
