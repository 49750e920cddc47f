/* `cryptonn bench audit [--json] [--quick]`: what an owner-side audit
 * (src/audit/audit.h) costs for the MNIST first layers docs/PRIVACY.md
 * compares, per attack:
 *   linear setup   the exact span and the SVD, once per key set;
 *   linear         per record, given the setup;
 *   lp             per record, one core (the audit spreads records over
 *                  --threads cores);
 *   decoder        one training epoch over 1,000 auxiliary records (the
 *                  audit trains 8 epochs on the 10,000 test images), then
 *                  the reconstruction is a forward pass per record.
 * Peer: GLPK's dual simplex on the same LP as CLP for the 1-filter 5×5
 * convolution, the measurement that chose CLP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "bench.h"
#ifdef CRYPTONN_HAVE_GLPK
#include <glpk.h>
#endif

static const char *const SHAPES[] = {"dense:16",  "dense:32", "dense:64",   "dense:128", "dense:256",
                                     "conv:6x5",  "conv:1x5", "conv:1x5s2", "conv:2x5s2"};

typedef struct {
    cn_audit_view v;
    const cn_audit_data *rec, *aux;
    int64_t *z, *z_aux;
    double *c, *c_aux;
    int32_t *x, *x_aux;
    cn_linear *lin;
    int failed;
} bctx;

static void f_setup(void *p)
{
    bctx *b = p;
    cn_linear *l;
    if (cn_linear_create(&l, &b->v, 2) != CRYPTONN_OK) b->failed = 1;
    else cn_linear_destroy(l);
}
static void f_linear(void *p)
{
    bctx *b = p;
    if (cn_linear_attack(b->lin, b->z, b->rec->n, b->rec->lo, b->rec->hi, b->x)) b->failed = 1;
}
static void f_lp(void *p)
{
    bctx *b = p;
    uint32_t fails;
    if (cn_lp_attack(&b->v, b->z, b->rec->n, b->rec->lo, b->rec->hi, 1, b->x, &fails) || fails)
        b->failed = 1;
}
static void f_decoder(void *p)
{
    bctx *b = p;
    cn_decoder_opts o = {512, 1, 64, 1e-3f, 1, 0};
    if (cn_decoder_attack(&o, b->c_aux, b->aux, cn_linear_rank(b->lin), b->c_aux, b->aux->n,
                          b->x_aux))
        b->failed = 1;
}

#ifdef CRYPTONN_HAVE_GLPK
/* The same LP through GLPK, its fastest setting here (dual simplex, no presolve). */
static void f_glpk(void *p)
{
    bctx *b = p;
    const cn_feip_keyreq *y = b->v.keys;
    const int w = (int)b->v.width;
    int *ind = malloc((w + 1) * sizeof *ind);
    double *val = malloc((w + 1) * sizeof *val);
    for (uint32_t s = 0; s < b->rec->n; s++) {
        glp_prob *lp = glp_create_prob();
        glp_set_obj_dir(lp, GLP_MIN);
        glp_add_rows(lp, (int)y->nkeys);
        glp_add_cols(lp, w);
        for (int c = 0; c < w; c++) {
            glp_set_col_bnds(lp, c + 1, GLP_DB, b->rec->lo[c], b->rec->hi[c]);
            glp_set_obj_coef(lp, c + 1, 1.0);
        }
        for (uint32_t k = 0; k < y->nkeys; k++) {
            double z = (double)b->z[(size_t)s * y->nkeys + k];
            glp_set_row_bnds(lp, (int)k + 1, GLP_FX, z, z);
            int n = 0;
            for (uint64_t j = y->rowptr[k]; j < y->rowptr[k + 1]; j++, n++) {
                ind[n + 1] = (int)y->idx[j] + 1;
                val[n + 1] = (double)y->val[j];
            }
            glp_set_mat_row(lp, (int)k + 1, n, ind, val);
        }
        glp_smcp parm;
        glp_init_smcp(&parm);
        parm.msg_lev = GLP_MSG_OFF;
        parm.meth = GLP_DUAL;
        if (glp_simplex(lp, &parm) != 0) b->failed = 1;
        glp_delete_prob(lp);
    }
    free(ind), free(val);
}
#endif

static void shape_rows(bench_report *r, const bench_opts *o, const char *shape,
                       const cn_audit_data *rec, const cn_audit_data *aux)
{
    char msg[256], op[64];
    bctx b = {{NULL, rec->dim}, rec, aux, NULL, NULL, NULL, NULL, NULL, NULL, NULL, 0};
    cn_feip_keyreq keys;
    if (cn_audit_layer_keys(shape, 1, rec->h, rec->w, 8, 1, &keys, msg, sizeof msg)) {
        bench_note(r, msg);
        return;
    }
    b.v.keys = &keys;
    const size_t k = keys.nkeys;
    b.z = malloc(rec->n * k * sizeof *b.z);
    b.z_aux = malloc(aux->n * k * sizeof *b.z_aux);
    b.x = malloc((size_t)rec->n * rec->dim * sizeof *b.x);
    b.x_aux = malloc((size_t)aux->n * aux->dim * sizeof *b.x_aux);
    if (cn_linear_create(&b.lin, &b.v, 2) == CRYPTONN_OK && b.z && b.z_aux && b.x && b.x_aux) {
        const uint32_t rank = cn_linear_rank(b.lin);
        b.c_aux = malloc((size_t)aux->n * rank * sizeof *b.c_aux);
        cn_audit_project(&b.v, rec, b.z);
        cn_audit_project(&b.v, aux, b.z_aux);
        if (b.c_aux) cn_linear_coords(b.lin, b.z_aux, aux->n, b.c_aux);
        int reps = o->quick ? 1 : 3;
        snprintf(op, sizeof op, "%s linear setup (per key set)", shape);
        bench_row(r, op, "ours", bench_measure(f_setup, &b, reps, 1), NULL);
        snprintf(op, sizeof op, "%s linear (per record)", shape);
        bench_row(r, op, "ours", bench_measure(f_linear, &b, reps, rec->n), NULL);
        snprintf(op, sizeof op, "%s lp (per record, 1 core)", shape);
        bench_row(r, op, "ours", bench_measure(f_lp, &b, reps, rec->n), NULL);
#ifdef CRYPTONN_HAVE_GLPK
        if (!strcmp(shape, "conv:1x5")) bench_row(r, op, "glpk", bench_measure(f_glpk, &b, reps, rec->n), NULL);
#endif
        snprintf(op, sizeof op, "%s decoder epoch (per 1000 aux)", shape);
        if (b.c_aux)
            bench_row(r, op, "ours", bench_measure(f_decoder, &b, 1, aux->n / 1000.0), NULL);
    } else {
        b.failed = 1;
    }
    if (b.failed) bench_note(r, "an attack failed; its row is not meaningful");
    cn_linear_destroy(b.lin);
    free(b.z), free(b.z_aux), free(b.c_aux), free(b.x), free(b.x_aux);
    cn_keyreq_feip_free(&keys);
}

int bench_audit(int argc, char **argv, const bench_opts *o)
{
    (void)argc, (void)argv;
    char msg[512];
    cryptonn_dataset tr, te;
    const uint32_t nrec = o->quick ? 4 : 10, naux = o->quick ? 500 : 2000;
    int rc = cryptonn_mnist_load("data/mnist", 1, nrec, &tr, msg, sizeof msg);
    if (rc == CRYPTONN_OK && (rc = cryptonn_mnist_load("data/mnist", 0, naux, &te, msg, sizeof msg)))
        cryptonn_dataset_free(&tr);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench audit: %s (run from the source tree after tools/fetch-mnist)\n",
                msg);
        return 1;
    }
    cn_audit_data rec, aux;
    rc = cn_audit_data_from_dataset(&rec, &tr, 0, 255, 10);
    if (rc == CRYPTONN_OK && (rc = cn_audit_data_from_dataset(&aux, &te, 0, 255, 10)))
        cn_audit_data_free(&rec);
    cryptonn_dataset_free(&tr);
    cryptonn_dataset_free(&te);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench audit: %s\n", cryptonn_status_str(rc));
        return 1;
    }
    bench_report *r = bench_report_open("audit", o);
    for (size_t i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++)
        shape_rows(r, o, SHAPES[i], &rec, &aux);
    snprintf(msg, sizeof msg, "%u MNIST training records, %u auxiliary test records; decoder "
                              "512 hidden, batch 64",
             rec.n, aux.n);
    bench_note(r, msg);
    bench_report_close(r);
    cn_audit_data_free(&rec);
    cn_audit_data_free(&aux);
    return 0;
}
