/* audit on synthetic data with known answers, and the key export's format:
 * full-rank keys → the linear attack recovers every record exactly; a random
 * 64-wide dense projection of random dense data → it does not, and reports
 * the error; unit keys inside a random view → exactly those features
 * recovered; KEXP round trips, truncations and mutations; an export from
 * another mpk, a truncated export, data of the wrong shape → clear errors. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "secure/encdata.h"
#include "protocol/keyexport.h"
#include "testutil.h"
#include "util/util.h"

/* nkeys dense random keys in [-127, 127] over width features, the first
 * `units` of them unit vectors e_0, e_1, ... */
static void random_keys(cn_feip_keyreq *r, uint32_t nkeys, uint32_t width, uint32_t units)
{
    CHECK_EQ_INT(cn_keyreq_feip_alloc(r, nkeys, (uint64_t)nkeys * width), CRYPTONN_OK);
    r->mpk = CN_MPK_SAMPLES;
    r->nkeys = nkeys;
    uint64_t at = 0;
    for (uint32_t k = 0; k < nkeys; k++) {
        r->rowptr[k] = at;
        for (uint32_t j = 0; j < width; j++) {
            int64_t v = k < units ? (j == k) : t_rand_range(-127, 127);
            if (!v) continue;
            r->idx[at] = j;
            r->val[at++] = v;
        }
    }
    r->rowptr[nkeys] = r->nnz = at;
}

static void random_data(cn_audit_data *d, uint32_t n, uint32_t dim)
{
    memset(d, 0, sizeof *d);
    d->n = n, d->dim = dim, d->c = 1, d->h = 1, d->w = dim;
    d->v = calloc((size_t)n * dim, sizeof *d->v);
    d->lo = calloc(dim, sizeof *d->lo);
    d->hi = calloc(dim, sizeof *d->hi);
    for (uint32_t j = 0; j < dim; j++) d->hi[j] = 255;
    for (size_t i = 0; i < (size_t)n * dim; i++) d->v[i] = (int32_t)t_rand_range(0, 255);
}

static void linear_only(cn_audit_opts *o, uint32_t samples)
{
    cn_audit_opts_default(o);
    o->attacks = CN_AUDIT_LINEAR;
    o->samples = samples;
}

/* The linear attack on n random records of dim features under nkeys random
 * keys (the first `units` unit vectors); d keeps the records. */
static void linear_case(uint32_t nkeys, uint32_t dim, uint32_t units, uint32_t n,
                        cn_audit_data *d, cn_audit_result *res)
{
    cn_feip_keyreq y;
    random_keys(&y, nkeys, dim, units);
    random_data(d, n, dim);
    cn_audit_view v = {&y, dim};
    cn_audit_opts o;
    linear_only(&o, n);
    CHECK_EQ_INT(cn_audit_run_view(&o, &v, d, NULL, res), CRYPTONN_OK);
    CHECK(res->attack[0].ran && !res->attack[1].ran && !res->attack[2].ran);
    cn_keyreq_feip_free(&y);
}

static void test_full_rank(void)
{
    cn_audit_data d;
    cn_audit_result res;
    linear_case(40, 32, 0, 20, &d, &res);
    CHECK_EQ_INT(res.rank, 32);
    CHECK_EQ_INT(res.determined, 32);
    CHECK(res.attack[0].exact_fraction == 1.0);
    CHECK(res.attack[0].mean_abs_error == 0.0);
    CHECK(memcmp(res.attack[0].recon, d.v, 20 * 32 * sizeof(int32_t)) == 0);
    /* tabular records: no picture, a per-feature table (a header, a title, 32 rows of 0.00) */
    char path[600];
    snprintf(path, sizeof path, "%s/none.png", t_tmpdir());
    CHECK_EQ_INT(cn_audit_picture(path, &res, 10), CRYPTONN_ERR_ARG);
    FILE *f = tmpfile();
    CHECK_EQ_INT(cn_audit_write_feature_errors(f, &res), 0);
    rewind(f);
    char line[256];
    int lines = 0, zero = 0;
    while (fgets(line, sizeof line, f)) lines++, zero += strstr(line, " 0.00") != NULL;
    fclose(f);
    CHECK_EQ_INT(lines, 34);
    CHECK_EQ_INT(zero, 32);
    cn_audit_result_free(&res);
    cn_audit_data_free(&d);
}

static void test_dense_projection(void)
{
    cn_audit_data d;
    cn_audit_result res;
    linear_case(64, 128, 0, 30, &d, &res);
    CHECK_EQ_INT(res.rank, 64);
    CHECK_EQ_INT(res.determined, 0);
    CHECK(res.attack[0].exact_fraction == 0.0);
    CHECK(res.attack[0].close_fraction == 0.0);
    /* half the dimensions are lost: the error of uniform data is tens of units */
    CHECK(res.attack[0].mean_abs_error > 10.0);
    CHECK(res.attack[0].psnr_db > 0 && res.attack[0].psnr_db < 30);
    cn_audit_result_free(&res);
    cn_audit_data_free(&d);
}

/* 10 unit keys among 20 random ones over 50 features: features 0..9 are
 * determined, and recovered exactly in every record, the rest not. */
static void test_partial_span(void)
{
    cn_audit_data d;
    cn_audit_result res;
    linear_case(30, 50, 10, 10, &d, &res);
    CHECK_EQ_INT(res.rank, 30);
    CHECK_EQ_INT(res.determined, 10);
    int unit_ok = 1;
    for (uint32_t s = 0; s < 10; s++)
        for (uint32_t j = 0; j < 10; j++)
            unit_ok &= res.attack[0].recon[s * 50 + j] == d.v[s * 50 + j];
    CHECK(unit_ok);
    CHECK(res.attack[0].exact_fraction == 0.0);
    cn_audit_result_free(&res);
    cn_audit_data_free(&d);
}

/* Keys independent over Q whose determinant is 2^61 − 1: a solver working
 * modulo that fixed prime would call them dependent and miss the recovery. */
static void test_crafted_modulus(void)
{
    cn_feip_keyreq y;
    CHECK_EQ_INT(cn_keyreq_feip_alloc(&y, 2, 4), CRYPTONN_OK);
    y.mpk = CN_MPK_SAMPLES, y.nkeys = 2, y.nnz = 4;
    const int64_t vals[4] = {(int64_t)1 << 30, 1 - ((int64_t)1 << 30), 1, ((int64_t)1 << 31) - 1};
    for (int j = 0; j < 4; j++) y.idx[j] = (uint32_t)(j & 1), y.val[j] = vals[j];
    y.rowptr[0] = 0, y.rowptr[1] = 2, y.rowptr[2] = 4;
    cn_audit_data d;
    random_data(&d, 5, 2);
    cn_audit_view v = {&y, 2};
    cn_audit_opts o;
    linear_only(&o, 5);
    cn_audit_result res;
    CHECK_EQ_INT(cn_audit_run_view(&o, &v, &d, NULL, &res), CRYPTONN_OK);
    CHECK_EQ_INT(res.rank, 2);
    CHECK(res.attack[0].exact_fraction == 1.0);
    cn_audit_result_free(&res);
    cn_audit_data_free(&d);
    cn_keyreq_feip_free(&y);
}

static void sample_export(cn_keyexport *e, uint32_t h, uint32_t w, uint32_t nkeys)
{
    memset(e, 0, sizeof *e);
    t_rand_bytes(e->mpk_id, 16);
    e->in_c = 1, e->in_h = h, e->in_w = w, e->mode = 1;
    random_keys(&e->keys, nkeys, h * w, 0);
}

static int same_export(const cn_keyexport *a, const cn_keyexport *b)
{
    const cn_feip_keyreq *x = &a->keys, *y = &b->keys;
    return !memcmp(a->mpk_id, b->mpk_id, 16) && a->in_c == b->in_c && a->in_h == b->in_h &&
           a->in_w == b->in_w && a->mode == b->mode && x->nkeys == y->nkeys && x->nnz == y->nnz &&
           !memcmp(x->rowptr, y->rowptr, 8 * (x->nkeys + 1)) &&
           !memcmp(x->idx, y->idx, 4 * x->nnz) && !memcmp(x->val, y->val, 8 * x->nnz);
}

static void reseal(uint8_t *b, size_t len)
{
    cn_store_u64(b + 16, len - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER);
    crypto_generichash(b + len - 32, 32, b, len - 32, NULL, 0);
}

static void test_export_format(void)
{
    cn_keyexport e, back;
    sample_export(&e, 4, 4, 6);
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_keyexport_encode(&e, &buf, &len), CRYPTONN_OK);
    CHECK_EQ_INT(cn_keyexport_decode(&back, buf, len), CRYPTONN_OK);
    CHECK(same_export(&e, &back));
    cn_keyexport_free(&back);
    char path[600];
    snprintf(path, sizeof path, "%s/keys.kexp", t_tmpdir());
    CHECK_EQ_INT(cn_keyexport_write(path, &e), CRYPTONN_OK);
    CHECK_EQ_INT(cn_keyexport_read(path, &back), CRYPTONN_OK);
    CHECK(same_export(&e, &back));
    cn_keyexport_free(&back);
    /* every truncation is refused, none crashes */
    int all_refused = 1;
    for (size_t cut = 0; cut < len; cut++)
        all_refused &= cn_keyexport_decode(&back, buf, cut) != CRYPTONN_OK && back.keys.nkeys == 0;
    CHECK(all_refused);
    /* single-byte mutations of the payload, resealed so the body parser sees them */
    long iters = t_iters(3000, 300), clean = 1;
    uint8_t *m = malloc(len);
    for (long i = 0; i < iters; i++) {
        memcpy(m, buf, len);
        size_t at = CN_CONTAINER_HEADER + (size_t)t_rand_range(0, (int64_t)(len - 65));
        m[at] ^= (uint8_t)t_rand_range(1, 255);
        reseal(m, len);
        int rc = cn_keyexport_decode(&back, m, len);
        clean &= rc == CRYPTONN_OK || (rc < 0 && rc >= CRYPTONN_ERR_VERSION);
        if (rc == CRYPTONN_OK) {
            /* whatever decodes satisfies the rules */
            for (uint64_t j = 0; j < back.keys.nnz; j++) clean &= back.keys.idx[j] < 16;
        }
        cn_keyexport_free(&back);
    }
    CHECK(clean);
    /* an index past the width, a bad mode, a zero dimension */
    memcpy(m, buf, len);
    cn_store_u32(m + CN_CONTAINER_HEADER + 28, 7);
    reseal(m, len);
    CHECK_EQ_INT(cn_keyexport_decode(&back, m, len), CRYPTONN_ERR_FORMAT);
    memcpy(m, buf, len);
    cn_store_u32(m + CN_CONTAINER_HEADER + 20, 0);
    reseal(m, len);
    CHECK_EQ_INT(cn_keyexport_decode(&back, m, len), CRYPTONN_ERR_FORMAT);
    memcpy(m, buf, len);
    cn_store_u32(m + CN_CONTAINER_HEADER + 24, 2); /* width 8 < the indexes used */
    reseal(m, len);
    CHECK_EQ_INT(cn_keyexport_decode(&back, m, len), CRYPTONN_ERR_FORMAT);
    /* the writer refuses what the reader would */
    e.mode = 3;
    CHECK_EQ_INT(cn_keyexport_encode(&e, &m, &len), CRYPTONN_ERR_ARG);
    free(m);
    free(buf);
    cn_keyexport_free(&e);
}

/* A tiny dataset's params.bin (4×4 pixels). */
static void write_params(const char *dir, uint8_t id[16])
{
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.rows = p.cols = 4, p.slots = 16, p.batch = 1;
    cn_enc_mpks k = {0};
    cryptonn_feip_msk *a, *b;
    cryptonn_febo_msk *c;
    CHECK_EQ_INT(cryptonn_feip_setup(&k.samples, &a, 16), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_feip_setup(&k.batch, &b, 16), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_febo_setup(&k.labels, &c), CRYPTONN_OK);
    cryptonn_feip_msk_destroy(a), cryptonn_feip_msk_destroy(b), cryptonn_febo_msk_destroy(c);
    CHECK_EQ_INT(cn_encdata_init(dir, &p, &k), CRYPTONN_OK);
    cryptonn_feip_mpk_id(k.samples, id);
    cn_enc_mpks_free(&k);
}

static void test_bad_input(void)
{
    char dir[600], params[700], msg[256];
    snprintf(dir, sizeof dir, "%s/ds", t_tmpdir());
    snprintf(params, sizeof params, "%s/params.bin", dir);
    uint8_t id[16];
    write_params(dir, id);
    cn_keyexport e;
    sample_export(&e, 4, 4, 6);
    /* another mpk's export */
    CHECK_EQ_INT(cn_audit_check_export(&e, params, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "another dataset") != NULL);
    memcpy(e.mpk_id, id, 16);
    CHECK_EQ_INT(cn_audit_check_export(&e, params, msg, sizeof msg), CRYPTONN_OK);
    /* the right mpk but another shape */
    e.in_h = 2, e.in_w = 8;
    CHECK_EQ_INT(cn_audit_check_export(&e, params, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    e.in_h = 4, e.in_w = 4;
    /* a truncated export file */
    char path[700];
    snprintf(path, sizeof path, "%s/keys.kexp", t_tmpdir());
    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_keyexport_encode(&e, &buf, &len), CRYPTONN_OK);
    cn_part half = {buf, len / 2};
    CHECK_EQ_INT(cn_file_write_atomic(path, &half, 1, 0644), CRYPTONN_OK);
    cn_keyexport back;
    CHECK_EQ_INT(cn_keyexport_read(path, &back), CRYPTONN_ERR_TRUNCATED);
    free(buf);
    /* records of the wrong shape */
    cryptonn_dataset ds = {3, 5, 5, calloc(75, sizeof(float)), NULL};
    cn_audit_opts o;
    linear_only(&o, 3);
    cn_audit_result res;
    CHECK_EQ_INT(cn_audit_run(&o, &e, &ds, NULL, &res), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(res.msg, "5x5") != NULL);
    cn_audit_result_free(&res);
    /* the decoder without auxiliary data */
    ds.rows = ds.cols = 4;
    o.attacks = CN_AUDIT_DECODER;
    CHECK_EQ_INT(cn_audit_run(&o, &e, &ds, NULL, &res), CRYPTONN_ERR_ARG);
    CHECK(strstr(res.msg, "--aux") != NULL);
    cn_audit_result_free(&res);
    free(ds.x);
    cn_keyexport_free(&e);
}

int main(void)
{
    t_init("test_audit");
    test_full_rank();
    test_dense_projection();
    test_partial_span();
    test_crafted_modulus();
    test_export_format();
    test_bad_input();
    return t_done();
}
