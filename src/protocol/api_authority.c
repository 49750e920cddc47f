/* The public authority API (cryptonn/authority.h) over the protocol's
 * authority (authority.h): setup with its first-layer draw and tokens, the
 * handle's requests, registrations, exports and the leakage report. */
#include "cryptonn/authority.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol/api_internal.h"
#include "protocol/authority_internal.h"
#include "protocol/http.h"
#include "protocol/specdigest.h"
#include "util/util.h"

void cryptonn_setup_opts_default(cryptonn_setup_opts *o)
{
    cn_enc_params p;
    cn_enc_params_default(&p);
    *o = (cryptonn_setup_opts){.mode = CRYPTONN_MODE_STRICT,
                               .first_layer = "conv:6x5",
                               .layer_bits = 8,
                               .batch = p.batch,
                               .label_bits = p.label_scale_bits};
}

/* The networked roles' bearer token for the server (owners get theirs from
 * cn_owners_add). */
static int create_server_token(const char *dir)
{
    char tdir[4096], path[4200];
    snprintf(tdir, sizeof tdir, "%s/tokens", dir);
    if (mkdir(tdir, 0700) != 0 && errno != EEXIST) return CRYPTONN_ERR_IO;
    snprintf(path, sizeof path, "%s/server.token", tdir);
    return cn_token_create(path);
}

/* owner.key remembers the spec keygen was given (its digest), so that an
 * owner encrypting under another spec is refused (cryptonn_owner_check_spec). */
static int bind_spec(const char *dir, const cryptonn_data_spec *spec)
{
    char path[4096];
    cn_owner_secret s;
    CN_TRY(cn_auth_path(path, sizeof path, dir, "owner.key"));
    CN_TRY(cn_owner_secret_load(&s, path));
    int rc = cn_spec_digest(spec, s.spec);
    s.has_spec = 1;
    if (rc == CRYPTONN_OK) rc = cn_owner_secret_save(&s, path);
    cn_wipe(&s, sizeof s);
    return rc;
}

int cryptonn_authority_setup(const char *dir, const cryptonn_setup_opts *o, char *msg,
                             size_t msg_len)
{
    CN_ARG_CHECK(dir && o);
    if (msg_len) msg[0] = 0;
    if (o->mode != CRYPTONN_MODE_STRICT && o->mode != CRYPTONN_MODE_PAPER) {
        snprintf(msg, msg_len, "mode must be strict or paper");
        return CRYPTONN_ERR_ARG;
    }
    if (o->batch < 1 || o->batch > 4096 || o->label_bits > 40) {
        snprintf(msg, msg_len, "batch must be 1..4096 and label bits 0..40");
        return CRYPTONN_ERR_ARG;
    }
    cn_enc_params p;
    cn_enc_params_default(&p);
    p.batch = o->batch;
    p.label_scale_bits = o->label_bits;
    if (o->spec) CN_TRY(cn_enc_params_from_spec(&p, o->spec, o->batch, msg, msg_len));
    p.mode = o->mode == CRYPTONN_MODE_STRICT ? CN_MODE_STRICT : CN_MODE_PAPER;
    cn_fl_layer layer = {0};
    if (p.mode == CN_MODE_STRICT) {
        cn_fl_spec sp;
        if (o->layer_bits < 2 || o->layer_bits > 16) {
            snprintf(msg, msg_len, "layer bits must be 2..16");
            return CRYPTONN_ERR_ARG;
        }
        int rc = cn_fl_spec_parse(o->first_layer ? o->first_layer : "conv:6x5",
                                  cn_enc_channels(&p), p.rows, p.cols, &sp, msg, msg_len);
        if (rc != CRYPTONN_OK) return rc;
        CN_TRY(cn_fl_layer_draw(&layer, &sp, o->layer_bits, o->layer_seeded ? &o->layer_seed : NULL));
    }
    int rc = cn_authority_setup(dir, &p, p.mode == CN_MODE_STRICT ? &layer : NULL);
    cn_fl_layer_free(&layer);
    if (rc == CRYPTONN_ERR_IO)
        snprintf(msg, msg_len, "cannot set up %s: it already holds keys, or is not writable "
                 "(keys are never overwritten)", dir);
    if (rc == CRYPTONN_OK && o->spec && (rc = bind_spec(dir, o->spec)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "cannot record the spec's digest in %s/owner.key", dir);
    if (rc == CRYPTONN_OK && (rc = create_server_token(dir)) != CRYPTONN_OK)
        snprintf(msg, msg_len, "cannot create %s/tokens/server.token", dir);
    return rc;
}

void cryptonn_policy_default(cryptonn_policy *p)
{
    cn_policy q;
    cn_policy_default(&q);
    *p = (cryptonn_policy){q.min_support, q.max_rank, q.label_uses};
}

int cryptonn_authority_open(cryptonn_authority **out, const char *dir, const cryptonn_policy *pol)
{
    CN_ARG_CHECK(out && dir);
    *out = NULL;
    cn_policy q;
    cn_policy_default(&q);
    if (pol) q = (cn_policy){pol->min_support, pol->max_rank, pol->label_uses};
    cryptonn_authority *a = calloc(1, sizeof *a);
    if (!a) return CRYPTONN_ERR_NOMEM;
    int rc = cn_authority_open(&a->a, dir, &q);
    if (rc != CRYPTONN_OK) {
        free(a);
        return rc;
    }
    a->pol = q;
    *out = a;
    return CRYPTONN_OK;
}

void cryptonn_authority_close(cryptonn_authority *a)
{
    if (!a) return;
    cn_authority_close(a->a);
    free(a);
}

cryptonn_mode cryptonn_authority_mode(const cryptonn_authority *a)
{
    return cn_authority_mode(a->a) == CN_MODE_STRICT ? CRYPTONN_MODE_STRICT : CRYPTONN_MODE_PAPER;
}

int cn_api_layer_desc(const cn_fl_layer *l, cryptonn_layer_desc *out)
{
    memset(out, 0, sizeof *out);
    if (!l) return CRYPTONN_ERR_NOT_FOUND;
    cn_fl_spec_format(&l->spec, out->spec, sizeof out->spec);
    cn_fl_layer_commit_hex(l, out->commit);
    out->keys = cn_fl_outputs(&l->spec);
    out->bits = l->bits;
    return CRYPTONN_OK;
}

int cryptonn_authority_layer(const cryptonn_authority *a, cryptonn_layer_desc *out)
{
    CN_ARG_CHECK(a && out);
    return cn_api_layer_desc(cn_authority_layer(a->a), out);
}

int cryptonn_authority_handle(cryptonn_authority *a, const uint8_t *req, size_t len,
                              uint8_t **resp, size_t *resp_len)
{
    CN_ARG_CHECK(a && (req || !len) && resp && resp_len);
    return cn_authority_handle(a->a, req, len, resp, resp_len);
}

int cryptonn_authority_register_labels(cryptonn_authority *a, const uint8_t *msg, size_t len,
                                       uint64_t *added, char *why, size_t why_len)
{
    CN_ARG_CHECK(a && (msg || !len));
    uint64_t n = 0;
    int rc = cn_authority_register_labels(a->a, msg, len, &n, why, why_len);
    if (added) *added = n;
    return rc;
}

int cryptonn_authority_register_file(cryptonn_authority *a, const char *path, uint64_t *added,
                                     char *why, size_t why_len)
{
    CN_ARG_CHECK(a && path);
    uint8_t *b;
    size_t len;
    if (why_len) why[0] = 0;
    int rc = cn_file_read_all(path, (size_t)1 << 30, &b, &len);
    if (rc != CRYPTONN_OK) {
        snprintf(why, why_len, "cannot read %s: %s", path, cryptonn_status_str(rc));
        return rc;
    }
    rc = cryptonn_authority_register_labels(a, b, len, added, why, why_len);
    free(b);
    return rc;
}

int cryptonn_authority_register_in(const char *dir, const char *path, uint64_t *added,
                                   char *why, size_t why_len)
{
    CN_ARG_CHECK(dir && path);
    if (why_len) why[0] = 0;
    cryptonn_authority *a = NULL;
    int rc = cryptonn_authority_open(&a, dir, NULL);
    if (rc != CRYPTONN_OK) {
        snprintf(why, why_len, "cannot open the authority state %s: %s", dir,
                 cryptonn_status_str(rc));
        return rc;
    }
    rc = cryptonn_authority_register_file(a, path, added, why, why_len);
    cryptonn_authority_close(a);
    return rc;
}

int cryptonn_authority_export_keys(const cryptonn_authority *a, const char *path,
                                   uint64_t *nkeys)
{
    CN_ARG_CHECK(a && path);
    cn_keyexport e;
    CN_TRY(cn_authority_export(a->a, &e));
    int rc = cn_keyexport_write(path, &e);
    if (rc == CRYPTONN_OK && nkeys) *nkeys = e.keys.nkeys;
    cn_keyexport_free(&e);
    return rc;
}

void cryptonn_authority_counts(const cryptonn_authority *a, cryptonn_keycount out[3])
{
    cn_leak_mpk lk[3];
    cn_authority_leakage(a->a, lk);
    for (int i = 0; i < 3; i++)
        out[i] = (cryptonn_keycount){lk[i].width, lk[i].rank, lk[i].rank_is_bound,
                                     lk[i].keys_issued, lk[i].keys_refused};
}

void cn_api_leak_report(const cryptonn_authority *a, cn_leak_mpk lk[3], char spec[64],
                        char hex[17], cn_leak_report *r)
{
    cn_authority_leakage(a->a, lk);
    const cn_fl_layer *l = cn_authority_layer(a->a);
    spec[0] = hex[0] = 0;
    *r = (cn_leak_report){.strict = l != NULL, .layer = spec, .commit = hex,
                          .label_uses = a->pol.label_uses, .batch = a->a->p.batch,
                          .labels_via_febo = 1, .label_permutation = 1,
                          .mpks = lk, .nmpks = 3};
    if (l) {
        cn_fl_spec_format(&l->spec, spec, 64);
        cn_fl_layer_commit_hex(l, hex);
        r->first_layer_conv = (int)l->spec.conv;
        r->frozen_first_layer = 1;
        r->first_layer_width = (uint32_t)cn_fl_outputs(&l->spec);
    }
}

int cryptonn_authority_report(const cryptonn_authority *a, char **text)
{
    CN_ARG_CHECK(a && text);
    *text = NULL;
    cn_leak_mpk lk[3];
    char spec[64], hex[17];
    cn_leak_report r;
    cn_api_leak_report(a, lk, spec, hex, &r);
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    if (!f) return CRYPTONN_ERR_NOMEM;
    cn_leak_write_markdown(f, &r);
    return fclose(f) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
}
