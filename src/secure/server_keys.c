/* What the server asks the authority for: key vectors built from its own
 * plaintext model (W1 for the forward pass, dZ1 for the gradient). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/fixedpoint.h"
#include "secure/server_internal.h"
#include "util/util.h"

void cn_secure_stats_add(cn_secure_stats *a, const cn_secure_stats *b)
{
    a->t_load += b->t_load;
    a->t_keys += b->t_keys;
    a->t_fwd += b->t_fwd;
    a->t_err += b->t_err;
    a->t_grad += b->t_grad;
    a->t_plain += b->t_plain;
    a->batches += b->batches;
    a->samples += b->samples;
    a->keys_fwd += b->keys_fwd;
    a->keys_err += b->keys_err;
    a->keys_grad += b->keys_grad;
    a->dec_fwd += b->dec_fwd;
    a->dec_err += b->dec_err;
    a->dec_grad += b->dec_grad;
    a->loss_sum += b->loss_sum;
    a->correct += b->correct;
}

void cn_server_free_buffers(cn_server *s)
{
    free(s->z_int);
    free(s->z1);
    free(s->dz_int);
    cn_grad_terms_free(&s->gt);
    free(s->dw);
    free(s->kout);
    s->kout = NULL;
    free(s->fwd_key);
    free(s->grad_key);
    s->fwd_key = s->grad_key = NULL;
    free(s->req.rowptr);
    free(s->req.idx);
    free(s->req.val);
    s->z_int = s->dz_int = NULL;
    s->z1 = s->dw = NULL;
    memset(&s->req, 0, sizeof s->req);
    s->req_cap_keys = s->req_cap_nnz = 0;
}

int cn_server_check_model(cn_server *s, const cryptonn_model *m, char *msg, size_t msg_len)
{
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    size_t in = (size_t)fl.in_c * fl.in_h * fl.in_w;
    if (in != s->p.slots || (fl.is_conv && (fl.in_h != s->p.rows || fl.in_w != s->p.cols)) ||
        cryptonn_model_get_config(m)->classes != s->p.classes ||
        (cryptonn_model_get_config(m)->output == CRYPTONN_OUTPUT_LINEAR) !=
            (s->p.task == CN_TASK_REGRESS)) {
        if (msg)
            snprintf(msg, msg_len,
                     "the model's input (%zu) or outputs do not match the "
                     "encrypted dataset (%u slots, %u %s)",
                     in, s->p.slots, s->p.classes,
                     s->p.task == CN_TASK_REGRESS ? "regression target" : "classes");
        return CRYPTONN_ERR_MISMATCH;
    }
    if (cryptonn_model_max_batch(m) < s->p.batch) {
        if (msg) snprintf(msg, msg_len, "model batch capacity below the dataset's batch size");
        return CRYPTONN_ERR_MISMATCH;
    }
    if (s->z1_size == fl.z1_size && s->nw == fl.nw && s->z_int) return CRYPTONN_OK;
    cn_server_free_buffers(s);
    s->z1_size = fl.z1_size;
    s->nfwd = fl.z1_size;
    s->nw = fl.nw;
    size_t zb = (size_t)s->p.batch * fl.z1_size;
    s->z_int = cn_malloc_array(zb, sizeof(int64_t));
    s->z1 = cn_malloc_array(zb, sizeof(float));
    s->dz_int = cn_malloc_array(zb, sizeof(int64_t));
    int terms = cn_grad_terms_alloc(&s->gt, zb, fl.nw, fl.z1_size);
    s->dw = cn_malloc_array(fl.nw, sizeof(float));
    s->fwd_key = cn_malloc_array(fl.z1_size, sizeof(uint32_t));
    s->grad_key = cn_malloc_array(fl.nw, sizeof(uint32_t));
    s->kout = cn_malloc_array(zb > fl.nw ? zb : fl.nw, sizeof(int64_t));
    if (!s->kout || !s->z_int || !s->z1 || !s->dz_int || !s->dw || !s->fwd_key ||
        !s->grad_key || terms != CRYPTONN_OK)
        return CRYPTONN_ERR_NOMEM;
    s->fwd_valid = 0;
    return CRYPTONN_OK;
}

int cn_server_req_reserve(cn_server *s, size_t nkeys, size_t nnz)
{
    if (nkeys + 1 > s->req_cap_keys) {
        uint64_t *r = realloc(s->req.rowptr, sizeof(uint64_t) * (nkeys + 1));
        if (!r) return CRYPTONN_ERR_NOMEM;
        s->req.rowptr = r;
        s->req_cap_keys = nkeys + 1;
    }
    if (nnz > s->req_cap_nnz) {
        uint32_t *i = realloc(s->req.idx, sizeof(uint32_t) * nnz);
        if (!i) return CRYPTONN_ERR_NOMEM;
        s->req.idx = i;
        int64_t *v = realloc(s->req.val, sizeof(int64_t) * nnz);
        if (!v) return CRYPTONN_ERR_NOMEM;
        s->req.val = v;
        s->req_cap_nnz = nnz;
    }
    return CRYPTONN_OK;
}

int cn_server_check_bound(cn_server *s, uint64_t worst, char *msg, size_t msg_len,
                          const char *what)
{
    if (cryptonn_fixed_check_fits(worst, s->dlog) != CRYPTONN_OK) {
        if (msg)
            snprintf(msg, msg_len,
                     "%s: inner products up to %llu exceed the discrete-log bound "
                     "%llu; lower the precision",
                     what, (unsigned long long)worst,
                     (unsigned long long)cryptonn_dlog_bound(s->dlog));
        return CRYPTONN_ERR_RANGE;
    }
    return CRYPTONN_OK;
}

int cn_server_check_bounds(cn_server *s, char *msg, size_t msg_len, const char *what)
{
    uint64_t maxx = cn_enc_x_max(&s->p), worst = 0;
    for (uint32_t k = 0; k < s->req.nkeys; k++) {
        uint64_t a = s->req.rowptr[k], e = s->req.rowptr[k + 1], b;
        if (cryptonn_fixed_key_bound(maxx, s->req.val + a, (size_t)(e - a), &b) != CRYPTONN_OK)
            b = UINT64_MAX;
        if (b > worst) worst = b;
    }
    return cn_server_check_bound(s, worst, msg, msg_len, what);
}

/* The first layer as a firstlayer.h shape: the committed one in strict
 * mode, the model's own otherwise (dense: one row of in_c slots). Both use
 * the same convolution (stride, zero padding), so the keys match Z1. */
static void model_spec(const cryptonn_first_layer *fl, cn_fl_spec *sp)
{
    if (fl->is_conv)
        *sp = (cn_fl_spec){1, fl->out_c, fl->k, fl->stride, fl->pad, fl->in_c, fl->in_h, fl->in_w};
    else
        *sp = (cn_fl_spec){0, fl->out_c, 0, 1, 0, 1, 1, fl->in_c};
}

int cn_server_install_layer(cn_server *s, cryptonn_model *m, char *msg, size_t msg_len)
{
    const cn_fl_layer *L = cn_encdata_mpks(s->ds)->layer;
    if (!L) return CRYPTONN_OK;
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    const cn_fl_spec *c = &L->spec;
    cn_fl_spec sp;
    model_spec(&fl, &sp);
    int fits = c->conv == sp.conv && c->out == sp.out && cn_fl_weights(c) == fl.nw &&
               cn_fl_outputs(c) == fl.z1_size &&
               (!c->conv || (c->k == sp.k && c->stride == sp.stride && c->pad == sp.pad &&
                             c->in_c == sp.in_c && c->in_h == sp.in_h && c->in_w == sp.in_w));
    if (!fits || !cryptonn_model_get_config(m)->frozen_first_layer) {
        char want[64];
        cn_fl_spec_format(c, want, sizeof want);
        if (msg)
            snprintf(msg, msg_len,
                     "strict mode: the model's first layer must be the authority's committed "
                     "layer %s, frozen (e.g. --model %s%s --freeze-first-layer, or a model "
                     "file whose first layer has that shape)",
                     want, c->conv ? "lenet5 --conv1-filters " : "mlp --hidden ",
                     c->conv ? (c->out == 6 ? "6" : "N") : "K");
        return CRYPTONN_ERR_MISMATCH;
    }
    float *w = cryptonn_model_params(m) + (fl.w - cryptonn_model_params(m));
    const float scale = ldexpf(1.0f, -L->scale_exp);
    for (size_t i = 0; i < fl.nw; i++) w[i] = (float)L->w[i] * scale;
    return CRYPTONN_OK;
}

int cn_server_request_fwd_keys(cn_server *s, const cryptonn_model *m, char *msg, size_t msg_len)
{
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    const cn_fl_layer *L = cn_encdata_mpks(s->ds)->layer;
    cn_fl_spec sp;
    int32_t *wq = NULL;
    const int32_t *w;
    if (L) { /* strict: exactly the committed vectors, nothing of the server's making */
        sp = L->spec;
        w = L->w;
        s->w_exp = L->scale_exp;
    } else {
        model_spec(&fl, &sp);
        int64_t *q = cn_malloc_array(fl.nw, sizeof *q);
        wq = cn_malloc_array(fl.nw, sizeof *wq);
        if (!q || !wq) {
            free(q);
            free(wq);
            return CRYPTONN_ERR_NOMEM;
        }
        s->w_exp = cn_quant_exponent(fl.w, fl.nw, s->o.w_bits);
        cn_quant(fl.w, fl.nw, s->w_exp, q);
        for (size_t i = 0; i < fl.nw; i++) wq[i] = (int32_t)q[i]; /* w_bits <= 20 */
        free(q);
        w = wq;
    }
    /* fwd_key maps one slot per Z1 output: a spec of another shape would
     * write past it */
    if (cn_fl_outputs(&sp) != fl.z1_size) {
        free(wq);
        if (msg) snprintf(msg, msg_len, "first layer: keys and Z1 differ in shape");
        return CRYPTONN_ERR_INTERNAL;
    }
    cn_feip_keyreq all;
    int rc = cn_fl_keys(&sp, w, &all);
    free(wq);
    if (rc != CRYPTONN_OK) return rc;
    rc = cn_server_req_reserve(s, all.nkeys, (size_t)all.nnz);
    if (rc != CRYPTONN_OK) {
        cn_keyreq_feip_free(&all);
        return rc;
    }
    /* zero vectors are not requested: their value is known to be 0 */
    cn_feip_keyreq *r = &s->req;
    r->mpk = CN_MPK_SAMPLES;
    r->rowptr[0] = 0;
    uint64_t nnz = 0;
    uint32_t key = 0;
    for (uint32_t o = 0; o < all.nkeys; o++) {
        uint64_t start = nnz;
        for (uint64_t j = all.rowptr[o]; j < all.rowptr[o + 1]; j++) {
            r->idx[nnz] = all.idx[j];
            r->val[nnz++] = all.val[j];
        }
        cn_keyreq_close_key(r, s->fwd_key, o, &key, start, nnz);
    }
    cn_keyreq_feip_free(&all);
    r->nkeys = key;
    r->nnz = nnz;
    s->nfwd_keys = key;
    rc = cn_server_check_bounds(s, msg, msg_len, "first layer");
    if (rc == CRYPTONN_OK && key)
        rc = cn_keysource_feip(s->ks, r, cn_encdata_mpks(s->ds)->samples, s->fwd_keys, msg,
                               msg_len);
    s->fwd_valid = rc == CRYPTONN_OK;
    return rc;
}

