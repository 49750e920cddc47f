/* audit input: records on the encryption's grid, the export's fit to the
 * owner's dataset, and the exact projections the server holds (audit.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "secure/encdata.h"
#include "util/util.h"

void cn_audit_data_free(cn_audit_data *d)
{
    if (!d) return;
    free(d->v);
    free(d->lo);
    free(d->hi);
    free(d->label);
    memset(d, 0, sizeof *d);
}

int cn_audit_data_from_dataset(cn_audit_data *d, const cryptonn_dataset *ds, uint32_t limit,
                               int32_t vmax, uint32_t classes)
{
    CN_ARG_CHECK(d && ds && vmax > 0);
    memset(d, 0, sizeof *d);
    uint32_t n = limit && limit < ds->n ? limit : ds->n;
    uint32_t dim = ds->rows * ds->cols;
    d->n = n;
    d->dim = dim;
    d->c = 1, d->h = ds->rows, d->w = ds->cols;
    d->classes = classes;
    d->v = cn_malloc_array((size_t)n * dim, sizeof *d->v);
    d->lo = cn_calloc(dim, sizeof *d->lo);
    d->hi = cn_malloc_array(dim, sizeof *d->hi);
    d->label = ds->y ? cn_malloc_array(n ? n : 1, 1) : NULL;
    if (!d->v || !d->lo || !d->hi || (ds->y && !d->label)) {
        cn_audit_data_free(d);
        return CRYPTONN_ERR_NOMEM;
    }
    for (uint32_t j = 0; j < dim; j++) d->hi[j] = vmax;
    for (size_t i = 0; i < (size_t)n * dim; i++) {
        float f = ds->x[i] * (float)vmax;
        d->v[i] = f <= 0 ? 0 : f >= (float)vmax ? vmax : (int32_t)lrintf(f);
    }
    if (ds->y) memcpy(d->label, ds->y, n);
    return CRYPTONN_OK;
}

int cn_audit_data_from_records(cn_audit_data *d, const cryptonn_records *r, uint32_t limit,
                               const cn_enc_params *p)
{
    CN_ARG_CHECK(d && r && p);
    memset(d, 0, sizeof *d);
    uint32_t n = limit && limit < r->n ? limit : r->n;
    uint64_t den = cn_enc_x_den(p), xmax = cn_enc_x_max(p);
    if (r->size != p->slots || xmax > INT32_MAX) return CRYPTONN_ERR_MISMATCH;
    uint32_t dim = (uint32_t)r->size;
    d->n = n;
    d->dim = dim;
    d->c = cn_enc_channels(p);
    d->h = p->rows >= 2 ? p->rows : 0;
    d->w = p->cols;
    const int labelled = !r->outputs && r->y;
    d->classes = labelled ? p->classes : 0;
    d->v = cn_malloc_array((size_t)n * dim, sizeof *d->v);
    d->lo = cn_malloc_array(dim, sizeof *d->lo);
    d->hi = cn_malloc_array(dim, sizeof *d->hi);
    d->label = labelled ? cn_malloc_array(n ? n : 1, 1) : NULL;
    if (!d->v || !d->lo || !d->hi || (labelled && !d->label)) {
        cn_audit_data_free(d);
        return CRYPTONN_ERR_NOMEM;
    }
    const int32_t m = (int32_t)xmax;
    for (uint32_t j = 0; j < dim; j++) d->lo[j] = -m, d->hi[j] = m;
    for (size_t i = 0; i < (size_t)n * dim; i++) {
        double f = (double)r->x[i] * (double)den;
        d->v[i] = f <= -m ? -m : f >= m ? m : (int32_t)lrint(f);
    }
    if (labelled) memcpy(d->label, r->y, n);
    return CRYPTONN_OK;
}

int cn_audit_check_export(const cn_keyexport *e, const char *params_path, char *msg,
                          size_t msg_len)
{
    cn_enc_params p;
    cn_enc_mpks k = {0};
    int rc = cn_encdata_read_params_file(params_path, &p, &k);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "cannot read the dataset parameters %s: %s", params_path,
                 cryptonn_status_str(rc));
        return rc;
    }
    uint8_t id[16];
    cryptonn_feip_mpk_id(k.samples, id);
    cn_enc_mpks_free(&k);
    if (memcmp(id, e->mpk_id, 16) != 0) {
        snprintf(msg, msg_len,
                 "the key export belongs to another dataset: its mpk id differs from the samples "
                 "mpk of %s (export the keys of this dataset's authority)",
                 params_path);
        return CRYPTONN_ERR_MISMATCH;
    }
    if ((uint64_t)e->in_c * e->in_h * e->in_w != p.slots || e->in_h != p.rows ||
        e->in_w != p.cols) {
        snprintf(msg, msg_len,
                 "the key export's shape %ux%ux%u does not match the dataset's %ux%u pixels",
                 e->in_c, e->in_h, e->in_w, p.rows, p.cols);
        return CRYPTONN_ERR_MISMATCH;
    }
    return CRYPTONN_OK;
}

int cn_audit_check_view(const cn_audit_view *v, const cn_audit_data *d, char *msg,
                        size_t msg_len)
{
    if (d->dim != v->width) {
        snprintf(msg, msg_len,
                 "the records have %u features but the keys are over %u slots (wrong data for "
                 "these keys?)",
                 d->dim, v->width);
        return CRYPTONN_ERR_MISMATCH;
    }
    if (v->keys->nkeys == 0) {
        snprintf(msg, msg_len, "the key export holds no keys: the server learned nothing");
        return CRYPTONN_ERR_ARG;
    }
    /* |key · x| ≤ Σ |y_j| · max|x_j| must stay below 2^62 so every z is exact. */
    const cn_feip_keyreq *r = v->keys;
    for (uint32_t k = 0; k < r->nkeys; k++) {
        double bound = 0;
        for (uint64_t j = r->rowptr[k]; j < r->rowptr[k + 1]; j++) {
            uint32_t c = r->idx[j];
            double m = fmax(fabs((double)d->lo[c]), fabs((double)d->hi[c]));
            bound += fabs((double)r->val[j]) * m;
        }
        if (bound >= 0x1p62) {
            snprintf(msg, msg_len, "key %u is too large to replay exactly (|key·x| may reach %.3g)",
                     k, bound);
            return CRYPTONN_ERR_RANGE;
        }
    }
    return CRYPTONN_OK;
}

void cn_audit_project(const cn_audit_view *v, const cn_audit_data *d, int64_t *z)
{
    const cn_feip_keyreq *r = v->keys;
#pragma omp parallel for schedule(static)
    for (int64_t s = 0; s < (int64_t)d->n; s++) {
        const int32_t *x = d->v + (size_t)s * d->dim;
        for (uint32_t k = 0; k < r->nkeys; k++) {
            int64_t acc = 0;
            for (uint64_t j = r->rowptr[k]; j < r->rowptr[k + 1]; j++)
                acc += r->val[j] * (int64_t)x[r->idx[j]];
            z[(size_t)s * r->nkeys + k] = acc;
        }
    }
}
