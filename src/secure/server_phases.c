/* The server's decryption phases (train.h steps 1, 3 and 5) and secure
 * prediction. Decryption is variable time: it handles only what the keys
 * reveal to the server anyway. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "secure/dist.h"
#include "secure/server_internal.h"
#include "util/util.h"

int cn_server_decrypt_z1(cn_server *s, const cn_enc_batch *b)
{
    const size_t nk = s->nfwd_keys, nz = s->z1_size;
    int rc = CRYPTONN_OK;
    uint64_t lo, hi; /* this rank's samples (dist.h) */
    cn_dist_range(b->n, s->lead, cn_dist_rank(), cn_dist_size(), &lo, &hi);
    const uint64_t c0 = cn_server_cpu_ns();
    if (nk) {
#pragma omp parallel for num_threads(s->ndec) schedule(dynamic, 1)
        for (uint32_t i = (uint32_t)lo; i < (uint32_t)hi; i++) {
            int t = omp_get_thread_num();
            int r = cryptonn_feip_prepared_set_var(s->prep[t], b->x[i]);
            if (r == CRYPTONN_OK)
                r = cryptonn_feip_decrypt_keys_var(s->dec[t], s->prep[t], s->fwd_keys, 0, nk,
                                                   s->kout + (size_t)i * nk, NULL);
            if (r != CRYPTONN_OK) {
#pragma omp critical(server_rc)
                rc = r;
            }
        }
    }
    s->fl_cpu = (double)(cn_server_cpu_ns() - c0) / 1e9;
    s->fl_n = (uint32_t)(hi - lo);
    rc = cn_dist_agree(rc);
    if (rc == CRYPTONN_OK && nk)
        rc = cn_dist_gather_lead(s->kout, nk * sizeof *s->kout, b->n, s->lead);
    if (rc != CRYPTONN_OK) return rc;
    const double unscale = ldexp(1.0, -s->w_exp) / (double)cn_enc_x_den(&s->p);
    for (uint32_t i = 0; i < b->n; i++)
        for (size_t k = 0; k < nz; k++) {
            uint32_t key = s->fwd_key[k];
            int64_t v = key == NO_KEY ? 0 : s->kout[(size_t)i * nk + key];
            s->z_int[(size_t)i * nz + k] = v;
            s->z1[(size_t)i * nz + k] = (float)((double)v * unscale);
        }
    return CRYPTONN_OK;
}

/* Regression: one target entry per record, y − p decrypted as Y − P on the
 * target's grid; the loss is ½(p − t)², no accuracy. P is clamped to the
 * targets' range so that |Y − P| stays within cn_enc_err_max. */
static void regress_error(cn_server *s, uint32_t n, cn_secure_stats *st)
{
    const double S = (double)cn_enc_y_den(&s->p);
    for (uint32_t i = 0; i < n; i++) {
        double d = (double)s->lab_dec[i] / S;
        s->err[i] = (float)-d;
        st->loss_sum += 0.5 * d * d;
    }
}

int cn_server_output_error(cn_server *s, const cn_enc_batch *b, const float *prob,
                           cn_secure_stats *st, char *msg, size_t msg_len)
{
    const uint32_t C = s->p.classes;
    const size_t nl = (size_t)b->n * C;
    const int64_t S = (int64_t)cn_enc_y_den(&s->p);
    const int regress = s->p.task == CN_TASK_REGRESS;
    /* checked before any key is asked for, so an overflow stops training
     * before a step, never with a wrapped value */
    CN_TRY(cn_enc_check_err_bound(&s->p, msg, msg_len));
    const double lo = regress ? -(double)cn_enc_y_max(&s->p) : 0.0;
    const double hi = regress ? (double)cn_enc_y_max(&s->p) : (double)S;
    for (size_t i = 0; i < nl; i++)
        s->lab_int[i] = (int64_t)llround(fmin(fmax((double)prob[i] * (double)S, lo), hi));
    int rc = cn_keysource_febo(s->ks, CRYPTONN_FEBO_SUB, (const cryptonn_febo_ct *const *)b->y,
                               s->lab_int, (uint32_t)nl, s->febo_keys, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    st->keys_err += nl;
    rc = cn_server_decrypt_labels(s, b, nl);
    if (rc != CRYPTONN_OK) {
        if (msg) snprintf(msg, msg_len, "output error: %s", cryptonn_status_str(rc));
        return rc;
    }
    st->dec_err += nl;
    if (regress) {
        regress_error(s, b->n, st);
        return CRYPTONN_OK;
    }
    for (uint32_t i = 0; i < b->n; i++) {
        /* y·S = (y·S − p_int) + p_int must be 0 or S with exactly one S. */
        int y = -1, ones = 0, best = 0;
        for (uint32_t c = 0; c < C; c++) {
            size_t k = (size_t)i * C + c;
            int64_t ys = s->lab_dec[k] + s->lab_int[k];
            if (ys == S) {
                y = (int)c;
                ones++;
            } else if (ys != 0) {
                ones = 2;
            }
            s->err[k] = (float)((double)-s->lab_dec[k] / (double)S);
            if (prob[k] > prob[(size_t)i * C + best]) best = (int)c;
        }
        if (ones != 1) {
            if (msg) snprintf(msg, msg_len, "a label decrypted to something other than one-hot");
            return CRYPTONN_ERR_FORMAT;
        }
        double py = prob[(size_t)i * C + y];
        st->loss_sum += -log(py > 1e-12 ? py : 1e-12);
        st->correct += best == y;
    }
    return CRYPTONN_OK;
}

int cn_server_predict(cn_server *s, cryptonn_model *m, const cn_encdata *test, uint8_t *out,
                      cn_secure_stats *st, char *msg, size_t msg_len)
{
    return cn_server_predict_outputs(s, m, test, out, NULL, st, msg, msg_len);
}

int cn_server_predict_outputs(cn_server *s, cryptonn_model *m, const cn_encdata *test,
                              uint8_t *out, float *outputs, cn_secure_stats *st, char *msg,
                              size_t msg_len)
{
    int rc = cn_server_check_model(s, m, msg, msg_len);
    if (rc == CRYPTONN_OK) rc = cn_server_install_layer(s, m, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    const int frozen = cryptonn_model_get_config(m)->frozen_first_layer;
    uint8_t id_a[16], id_b[16];
    cryptonn_feip_mpk_id(cn_encdata_mpks(test)->samples, id_a);
    cryptonn_feip_mpk_id(cn_encdata_mpks(s->ds)->samples, id_b);
    if (memcmp(id_a, id_b, 16) != 0 || cn_encdata_params(test)->slots != s->p.slots) {
        if (msg) snprintf(msg, msg_len, "the test set is encrypted under other keys");
        return CRYPTONN_ERR_MISMATCH;
    }
    uint64_t t0 = cn_now_ns();
    if (!s->fwd_valid) {
        rc = cn_server_request_fwd_keys(s, m, msg, msg_len);
        if (rc != CRYPTONN_OK) return rc;
        st->keys_fwd += s->nfwd_keys;
    }
    st->t_keys += (double)(cn_now_ns() - t0) / 1e9;
    const uint32_t C = s->p.classes;
    uint64_t done = 0, nb = cn_encdata_batches(test);
    cn_progress pr;
    cn_progress_start(&pr, "secure predict", nb);
    if (!s->o.progress) pr.enabled = 0;
    for (uint64_t i = 0; i < nb; i++) {
        cn_enc_batch b = {0};
        uint64_t a = cn_now_ns();
        const int cached = frozen && s->fwd_valid && s->cache_test.ds == test &&
                           s->cache_test.z && s->cache_test.z[i];
        rc = cached ? cn_encdata_read_batch_labels(test, i, &b)
                    : cn_encdata_read_batch_part(test, i, (uint32_t)cn_dist_rank(),
                                                 (uint32_t)cn_dist_size(), s->lead, &b);
        uint64_t c = cn_now_ns();
        st->t_load += (double)(c - a) / 1e9;
        if (rc == CRYPTONN_OK && b.n > s->p.batch) rc = CRYPTONN_ERR_FORMAT;
        rc = cn_dist_agree(rc);
        if (rc == CRYPTONN_OK && cached) cn_z1_cache_get(s, &s->cache_test, test, i, b.n);
        else if (rc == CRYPTONN_OK) {
            rc = cn_server_decrypt_z1(s, &b);
            if (rc == CRYPTONN_OK) st->dec_fwd += (uint64_t)b.n * s->nfwd_keys;
            if (rc == CRYPTONN_OK && frozen) cn_z1_cache_put(s, &s->cache_test, test, i, b.n);
        }
        if (rc != CRYPTONN_OK) {
            cn_enc_batch_free(&b);
            if (msg)
                snprintf(msg, msg_len, "test batch %llu: %s", (unsigned long long)i,
                         cryptonn_status_str(rc));
            return rc;
        }
        uint64_t d = cn_now_ns();
        const float *prob = cryptonn_model_forward_from_z1(m, s->z1, b.n);
        if (outputs) memcpy(outputs + done * C, prob, sizeof(float) * b.n * C);
        for (uint32_t k = 0; out && k < b.n; k++) {
            uint32_t best = 0;
            for (uint32_t c2 = 1; c2 < C; c2++)
                if (prob[(size_t)k * C + c2] > prob[(size_t)k * C + best]) best = c2;
            out[done + k] = (uint8_t)best;
        }
        st->t_fwd += (double)(d - c) / 1e9;
        st->t_plain += (double)(cn_now_ns() - d) / 1e9;
        st->samples += b.n;
        done += b.n;
        cn_enc_batch_free(&b);
        cn_progress_update(&pr, i + 1, NULL);
    }
    cn_progress_finish(&pr, NULL);
    return CRYPTONN_OK;
}

/* ---- the Z1 cache (server_internal.h) ---- */

void cn_z1_cache_free(z1_cache *c)
{
    if (c->z)
        for (uint64_t i = 0; i < c->nbatches; i++) free(c->z[i]);
    free(c->z);
    memset(c, 0, sizeof *c);
}

static int cache_bind(cn_server *s, z1_cache *c, const cn_encdata *ds)
{
    if (c->ds == ds && c->z) return 1;
    cn_z1_cache_free(c);
    c->cap = s->o.z1_cache_mb << 20;
    if (!c->cap) return 0;
    c->nbatches = cn_encdata_batches(ds);
    c->z = calloc(c->nbatches ? c->nbatches : 1, sizeof *c->z);
    if (!c->z) return 0;
    c->ds = ds;
    return 1;
}

int cn_z1_cache_get(cn_server *s, z1_cache *c, const cn_encdata *ds, uint64_t g, uint32_t n)
{
    if (!s->fwd_valid || c->ds != ds || !c->z || g >= c->nbatches || !c->z[g]) return 0;
    const size_t nz = s->z1_size;
    const double unscale = ldexp(1.0, -s->w_exp) / (double)cn_enc_x_den(&s->p);
    for (size_t k = 0; k < (size_t)n * nz; k++) {
        s->z_int[k] = c->z[g][k];
        s->z1[k] = (float)((double)c->z[g][k] * unscale);
    }
    return 1;
}

void cn_z1_cache_put(cn_server *s, z1_cache *c, const cn_encdata *ds, uint64_t g, uint32_t n)
{
    if (!cache_bind(s, c, ds) || g >= c->nbatches || c->z[g]) return;
    const size_t cnt = (size_t)n * s->z1_size;
    if (c->bytes + cnt * 4 > c->cap) return;
    for (size_t k = 0; k < cnt; k++)
        if (s->z_int[k] < INT32_MIN || s->z_int[k] > INT32_MAX) return;
    int32_t *z = malloc(cnt * 4);
    if (!z) return;
    for (size_t k = 0; k < cnt; k++) z[k] = (int32_t)s->z_int[k];
    c->z[g] = z;
    c->bytes += cnt * 4;
}
