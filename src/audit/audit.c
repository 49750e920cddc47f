/* The audit's orchestration (audit.h): replay what the server holds, run the
 * selected attacks, score each against the originals. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "util/util.h"

static const char *const NAMES[CN_AUDIT_ATTACKS] = {"linear", "lp", "decoder"};

void cn_audit_opts_default(cn_audit_opts *o)
{
    o->samples = 100;
    o->attacks = CN_AUDIT_ALL;
    o->aux_limit = 0;
    o->decoder_hidden = 512;
    o->decoder_epochs = 8;
    o->reference_epochs = 3;
    o->close_tol = 8;
    o->grid_max = 255;
    o->threads = 2;
    o->seed = 1;
    o->progress = 0;
}

void cn_audit_result_free(cn_audit_result *res)
{
    if (!res) return;
    cn_audit_data_free(&res->originals);
    for (int a = 0; a < CN_AUDIT_ATTACKS; a++) free(res->attack[a].recon);
    memset(res, 0, sizeof *res);
}

/* The first n records of d, bounds and labels included. */
static int copy_head(cn_audit_data *dst, const cn_audit_data *d, uint32_t n)
{
    *dst = *d;
    dst->n = n;
    dst->v = cn_malloc_array((size_t)n * d->dim + 1, sizeof *dst->v);
    dst->lo = cn_malloc_array(d->dim, sizeof *dst->lo);
    dst->hi = cn_malloc_array(d->dim, sizeof *dst->hi);
    dst->label = d->label ? cn_malloc_array(n + 1, 1) : NULL;
    if (!dst->v || !dst->lo || !dst->hi || (d->label && !dst->label)) {
        cn_audit_data_free(dst);
        return CRYPTONN_ERR_NOMEM;
    }
    memcpy(dst->v, d->v, (size_t)n * d->dim * sizeof *d->v);
    memcpy(dst->lo, d->lo, d->dim * sizeof *d->lo);
    memcpy(dst->hi, d->hi, d->dim * sizeof *d->hi);
    if (d->label) memcpy(dst->label, d->label, n);
    return CRYPTONN_OK;
}

static int fail(cn_audit_result *res, int rc, const char *what)
{
    snprintf(res->msg, sizeof res->msg, "%s: %s", what, cryptonn_status_str(rc));
    return rc;
}

typedef struct {
    const cn_audit_opts *o;
    const cn_audit_view *v;
    const cn_audit_data *aux;
    cn_audit_result *res;
    const int64_t *z;
    cn_linear *lin;
    cn_reference *ref;
} run_ctx;

static int run_linear(run_ctx *c, int32_t *x)
{
    const cn_audit_data *d = &c->res->originals;
    return cn_linear_attack(c->lin, c->z, d->n, d->lo, d->hi, x);
}

static int run_lp(run_ctx *c, int32_t *x)
{
    const cn_audit_data *d = &c->res->originals;
    uint32_t failed;
    /* the linear reconstruction stands in for a record whose LP fails */
    CN_TRY(cn_linear_attack(c->lin, c->z, d->n, d->lo, d->hi, x));
    CN_TRY(cn_lp_attack(c->v, c->z, d->n, d->lo, d->hi, c->o->threads, x, &failed));
    if (failed && c->o->progress)
        fprintf(stderr, "audit: the LP failed on %u records (linear reconstruction used)\n",
                failed);
    return CRYPTONN_OK;
}

static int run_decoder(run_ctx *c, int32_t *x)
{
    const cn_audit_data *d = &c->res->originals, *aux = c->aux;
    const uint32_t r = cn_linear_rank(c->lin), k = c->v->keys->nkeys;
    if (!aux || !aux->n) return CRYPTONN_ERR_ARG;
    int64_t *z_aux = cn_malloc_array((size_t)aux->n * k, sizeof *z_aux);
    double *c_aux = cn_malloc_array((size_t)aux->n * r + 1, sizeof *c_aux);
    double *cr = cn_malloc_array((size_t)d->n * r + 1, sizeof *cr);
    int rc = CRYPTONN_ERR_NOMEM;
    if (z_aux && c_aux && cr && r) {
        cn_audit_project(c->v, aux, z_aux);
        cn_linear_coords(c->lin, z_aux, aux->n, c_aux);
        cn_linear_coords(c->lin, c->z, d->n, cr);
        cn_decoder_opts dopt = {c->o->decoder_hidden, c->o->decoder_epochs, 64, 1e-3f, c->o->seed,
                                c->o->progress};
        rc = cn_decoder_attack(&dopt, c_aux, aux, r, cr, d->n, x);
    } else if (!r) {
        rc = CRYPTONN_ERR_ARG;
    }
    free(z_aux), free(c_aux), free(cr);
    return rc;
}

static int32_t peak_of(const cn_audit_data *d)
{
    int32_t p = 1;
    for (uint32_t j = 0; j < d->dim; j++)
        if (d->hi[j] - d->lo[j] > p) p = d->hi[j] - d->lo[j];
    return p;
}

static int run_attacks(run_ctx *c)
{
    static int (*const RUN[CN_AUDIT_ATTACKS])(run_ctx *, int32_t *) = {run_linear, run_lp,
                                                                         run_decoder};
    cn_audit_result *res = c->res;
    const cn_audit_data *d = &res->originals;
    for (int a = 0; a < CN_AUDIT_ATTACKS; a++) {
        cn_audit_attack *at = &res->attack[a];
        at->name = NAMES[a];
        at->recognizability = NAN;
        if (!(c->o->attacks & (1u << a))) continue;
        at->recon = cn_malloc_array((size_t)d->n * d->dim + 1, sizeof *at->recon);
        if (!at->recon) return fail(res, CRYPTONN_ERR_NOMEM, NAMES[a]);
        if (c->o->progress) fprintf(stderr, "audit: %s attack on %u records\n", NAMES[a], d->n);
        uint64_t t0 = cn_now_ns();
        int rc = RUN[a](c, at->recon);
        if (rc != CRYPTONN_OK) return fail(res, rc, NAMES[a]);
        at->seconds = (double)(cn_now_ns() - t0) * 1e-9;
        at->ran = 1;
        cn_audit_score(d->v, at->recon, d->n, d->dim, peak_of(d), c->o->close_tol, at);
        if (c->ref)
            at->recognizability =
                cn_reference_accuracy(c->ref, at->recon, d->label, d->n, d->lo, d->hi);
    }
    return CRYPTONN_OK;
}

int cn_audit_run_view(const cn_audit_opts *o, const cn_audit_view *v, const cn_audit_data *records,
                      const cn_audit_data *aux, cn_audit_result *res)
{
    CN_ARG_CHECK(o && v && v->keys && records && res);
    memset(res, 0, sizeof *res);
    res->reference_accuracy = NAN;
    int rc = cn_audit_check_view(v, records, res->msg, sizeof res->msg);
    if (rc != CRYPTONN_OK) return rc;
    if (aux && aux->dim != records->dim) {
        snprintf(res->msg, sizeof res->msg,
                 "the auxiliary data has %u features, the audited records %u", aux->dim,
                 records->dim);
        return CRYPTONN_ERR_MISMATCH;
    }
    if ((o->attacks & CN_AUDIT_DECODER) && (!aux || !aux->n)) {
        snprintf(res->msg, sizeof res->msg, "the decoder attack needs auxiliary data (--aux)");
        return CRYPTONN_ERR_ARG;
    }
    uint32_t n = o->samples < records->n ? o->samples : records->n;
    if (!n) {
        snprintf(res->msg, sizeof res->msg, "no records to audit");
        return CRYPTONN_ERR_ARG;
    }
    rc = copy_head(&res->originals, records, n);
    if (rc != CRYPTONN_OK) return fail(res, rc, "records");
    res->records = n;
    res->dim = records->dim;
    res->nkeys = v->keys->nkeys;
    run_ctx c = {o, v, aux, res, NULL, NULL, NULL};
    int64_t *z = cn_malloc_array((size_t)n * v->keys->nkeys, sizeof *z);
    if (!z) return fail(res, CRYPTONN_ERR_NOMEM, "projections");
    cn_audit_project(v, &res->originals, z);
    c.z = z;
    if (o->progress) fprintf(stderr, "audit: the revealed span of %u keys\n", res->nkeys);
    rc = cn_linear_create(&c.lin, v, o->threads);
    if (rc != CRYPTONN_OK) {
        free(z);
        return fail(res, rc, "the revealed span");
    }
    res->rank = cn_linear_rank(c.lin);
    res->determined = cn_linear_determined(c.lin);
    if (aux && aux->label && records->label && aux->classes >= 2) {
        rc = cn_reference_train(&c.ref, aux, o->reference_epochs, o->seed, o->progress);
        if (rc != CRYPTONN_OK) {
            cn_linear_destroy(c.lin);
            free(z);
            return fail(res, rc, "the reference classifier");
        }
        res->reference_accuracy =
            cn_reference_accuracy(c.ref, res->originals.v, res->originals.label, n,
                                  res->originals.lo, res->originals.hi);
    }
    rc = run_attacks(&c);
    cn_reference_destroy(c.ref);
    cn_linear_destroy(c.lin);
    free(z);
    return rc;
}

static uint32_t classes_of(const cryptonn_dataset *d)
{
    uint32_t c = 2;
    for (uint32_t i = 0; d->y && i < d->n; i++)
        if (d->y[i] + 1u > c) c = d->y[i] + 1u;
    return c;
}

/* The attacks on records converted to grid integers (rc: how the conversion
 * went); frees them. */
static int run_converted(const cn_audit_opts *o, const cn_keyexport *e, uint64_t width, int rc,
                         cn_audit_data *rd, cn_audit_data *ad, cn_audit_result *res)
{
    if (rc == CRYPTONN_OK) {
        cn_audit_view v = {&e->keys, (uint32_t)width};
        rc = cn_audit_run_view(o, &v, rd, ad, res);
    } else {
        fail(res, rc, "records");
    }
    cn_audit_data_free(rd);
    if (ad) cn_audit_data_free(ad);
    return rc;
}

int cn_audit_run(const cn_audit_opts *o, const cn_keyexport *e, const cryptonn_dataset *records,
                 const cryptonn_dataset *aux, cn_audit_result *res)
{
    CN_ARG_CHECK(o && e && records && res);
    memset(res, 0, sizeof *res);
    uint64_t width = (uint64_t)e->in_c * e->in_h * e->in_w;
    const cryptonn_dataset *sets[2] = {records, aux};
    for (int i = 0; i < 2; i++)
        if (sets[i] && (e->in_c != 1 || sets[i]->rows != e->in_h || sets[i]->cols != e->in_w)) {
            snprintf(res->msg, sizeof res->msg,
                     "the %s are %ux%u but the keys are over %ux%ux%u (%llu slots)",
                     i ? "auxiliary records" : "records", sets[i]->rows, sets[i]->cols, e->in_c,
                     e->in_h, e->in_w, (unsigned long long)width);
            return CRYPTONN_ERR_MISMATCH;
        }
    uint32_t classes = classes_of(records);
    if (aux && classes_of(aux) > classes) classes = classes_of(aux);
    cn_audit_data rd = {0}, ad = {0};
    uint32_t limit = o->samples ? o->samples : 1;
    if (o->grid_max < 1) {
        snprintf(res->msg, sizeof res->msg, "the grid maximum must be at least 1");
        return CRYPTONN_ERR_ARG;
    }
    int rc = cn_audit_data_from_dataset(&rd, records, limit, o->grid_max, classes);
    if (rc == CRYPTONN_OK && aux)
        rc = cn_audit_data_from_dataset(&ad, aux, o->aux_limit, o->grid_max, classes);
    return run_converted(o, e, width, rc, &rd, aux ? &ad : NULL, res);
}

int cn_audit_run_records(const cn_audit_opts *o, const cn_keyexport *e, const cn_enc_params *p,
                         const cryptonn_records *records, const cryptonn_records *aux,
                         cn_audit_result *res)
{
    CN_ARG_CHECK(o && e && p && records && res);
    memset(res, 0, sizeof *res);
    uint64_t width = (uint64_t)e->in_c * e->in_h * e->in_w;
    const cryptonn_records *sets[2] = {records, aux};
    for (int i = 0; i < 2; i++)
        if (sets[i] && (sets[i]->size != width || width != p->slots)) {
            snprintf(res->msg, sizeof res->msg, "the %s have %zu features but the keys are over "
                     "%llu slots", i ? "auxiliary records" : "records", sets[i]->size,
                     (unsigned long long)width);
            return CRYPTONN_ERR_MISMATCH;
        }
    cn_audit_data rd = {0}, ad = {0};
    int rc = cn_audit_data_from_records(&rd, records, o->samples ? o->samples : 1, p);
    if (rc == CRYPTONN_OK && aux) rc = cn_audit_data_from_records(&ad, aux, o->aux_limit, p);
    return run_converted(o, e, width, rc, &rd, aux ? &ad : NULL, res);
}
