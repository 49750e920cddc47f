/* The public audit API (cryptonn/audit.h) over the audit layer. */
#include "cryptonn/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "util/util.h"

struct cryptonn_audit {
    cn_audit_result res;
};

void cryptonn_audit_opts_default(cryptonn_audit_opts *o)
{
    cn_audit_opts d;
    cn_audit_opts_default(&d);
    *o = (cryptonn_audit_opts){d.samples, d.attacks, d.aux_limit, d.decoder_hidden,
                               d.decoder_epochs, d.threads, d.seed, 0};
}

static void opts_in(const cryptonn_audit_opts *o, cn_audit_opts *co)
{
    cn_audit_opts_default(co);
    if (!o) return;
    co->samples = o->samples;
    co->attacks = o->attacks;
    co->aux_limit = o->aux_limit;
    co->decoder_hidden = o->decoder_hidden;
    co->decoder_epochs = o->decoder_epochs;
    co->threads = o->threads;
    co->seed = o->seed;
    co->progress = o->progress;
}

/* Hands a finished run to the caller, or on failure its reason in msg and
 * nothing. */
static int hand_over(cryptonn_audit *a, int rc, cryptonn_audit **out, char *msg, size_t msg_len)
{
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%s", a->res.msg);
        cryptonn_audit_destroy(a);
        return rc;
    }
    *out = a;
    return CRYPTONN_OK;
}

static int run(cryptonn_audit **out, const cryptonn_audit_opts *o, const cn_keyexport *e,
               const cryptonn_dataset *records, const cryptonn_dataset *aux, char *msg,
               size_t msg_len)
{
    cn_audit_opts co;
    opts_in(o, &co);
    cryptonn_audit *a = calloc(1, sizeof *a);
    if (!a) return CRYPTONN_ERR_NOMEM;
    return hand_over(a, cn_audit_run(&co, e, records, aux, &a->res), out, msg, msg_len);
}

/* The export at keys_path, checked against the owners' params.bin; freed
 * on failure (msg says why). */
static int read_export(const char *keys_path, const char *params_path, cn_keyexport *e,
                       char *msg, size_t msg_len)
{
    int rc = cn_keyexport_read(keys_path, e);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%s: not a usable key export: %s", keys_path,
                 cryptonn_status_str(rc));
        return rc;
    }
    rc = cn_audit_check_export(e, params_path, msg, msg_len);
    if (rc != CRYPTONN_OK) cn_keyexport_free(e);
    return rc;
}

int cryptonn_audit_run_export(cryptonn_audit **out, const cryptonn_audit_opts *o,
                              const char *keys_path, const char *params_path,
                              const cryptonn_dataset *records, const cryptonn_dataset *aux,
                              char *msg, size_t msg_len)
{
    CN_ARG_CHECK(out && keys_path && params_path && records);
    *out = NULL;
    if (msg_len) msg[0] = 0;
    cn_keyexport e;
    int rc = read_export(keys_path, params_path, &e, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    rc = run(out, o, &e, records, aux, msg, msg_len);
    cn_keyexport_free(&e);
    return rc;
}

int cryptonn_audit_run_layer(cryptonn_audit **out, const cryptonn_audit_opts *o,
                             const char *layer_spec, uint64_t seed,
                             const cryptonn_dataset *records, const cryptonn_dataset *aux,
                             char *msg, size_t msg_len)
{
    CN_ARG_CHECK(out && layer_spec && records);
    *out = NULL;
    if (msg_len) msg[0] = 0;
    cn_keyexport e;
    memset(&e, 0, sizeof e);
    e.in_c = 1, e.in_h = records->rows, e.in_w = records->cols, e.mode = 1;
    int rc = cn_audit_layer_keys(layer_spec, 1, records->rows, records->cols, 8, seed, &e.keys,
                                 msg, msg_len);
    if (rc == CRYPTONN_OK) rc = run(out, o, &e, records, aux, msg, msg_len);
    cn_keyexport_free(&e);
    return rc;
}

int cryptonn_audit_run_records(cryptonn_audit **out, const cryptonn_audit_opts *o,
                               const char *keys_path, const char *params_path,
                               const cryptonn_records *records, const cryptonn_records *aux,
                               char *msg, size_t msg_len)
{
    CN_ARG_CHECK(out && keys_path && params_path && records);
    *out = NULL;
    if (msg_len) msg[0] = 0;
    cn_keyexport e;
    int rc = read_export(keys_path, params_path, &e, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    cn_enc_params p;
    cn_enc_mpks k = {0};
    rc = cn_encdata_read_params_file(params_path, &p, &k);
    cn_enc_mpks_free(&k);
    cryptonn_audit *a = rc == CRYPTONN_OK ? calloc(1, sizeof *a) : NULL;
    if (rc == CRYPTONN_OK && !a) rc = CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) {
        cn_audit_opts co;
        opts_in(o, &co);
        rc = hand_over(a, cn_audit_run_records(&co, &e, &p, records, aux, &a->res), out, msg,
                       msg_len);
    }
    cn_keyexport_free(&e);
    return rc;
}

void cryptonn_audit_destroy(cryptonn_audit *a)
{
    if (!a) return;
    cn_audit_result_free(&a->res);
    free(a);
}

void cryptonn_audit_summarize(const cryptonn_audit *a, cryptonn_audit_summary *out)
{
    CN_ARG_CHECK(a && out);
    const cn_audit_result *r = &a->res;
    *out = (cryptonn_audit_summary){r->records, r->dim, r->nkeys, r->rank, r->determined,
                                    r->reference_accuracy, {{0}}};
    for (int i = 0; i < 3; i++) {
        const cn_audit_attack *t = &r->attack[i];
        out->attack[i] = (cryptonn_audit_attack){t->name, t->ran, t->exact_fraction,
                                                 t->close_fraction, t->mean_abs_error,
                                                 t->psnr_db, t->recognizability, t->seconds};
    }
}

int cryptonn_audit_format_result(const cryptonn_audit *a, cryptonn_audit_format fmt,
                                 const char *picture, char **out)
{
    CN_ARG_CHECK(a && out);
    size_t len = 0;
    FILE *f = open_memstream(out, &len);
    if (!f) return CRYPTONN_ERR_NOMEM;
    int w = fmt == CRYPTONN_AUDIT_JSON       ? cn_audit_write_json(f, &a->res)
            : fmt == CRYPTONN_AUDIT_MARKDOWN ? cn_audit_write_markdown(f, &a->res, picture)
            : fmt == CRYPTONN_AUDIT_FEATURES ? cn_audit_write_feature_errors(f, &a->res)
                                             : cn_audit_write_text(f, &a->res);
    int c = fclose(f);
    if (w || c) {
        free(*out);
        *out = NULL;
        return CRYPTONN_ERR_NOMEM;
    }
    return CRYPTONN_OK;
}

int cryptonn_audit_picture(const cryptonn_audit *a, const char *png_path, uint32_t max_cols)
{
    CN_ARG_CHECK(a && png_path);
    return cn_audit_picture(png_path, &a->res, max_cols);
}

int cryptonn_audit_is_image(const cryptonn_audit *a)
{
    return a->res.originals.h >= 2;
}
