/* authority: the key authority (authority.h, authority_internal.h). Order
 * of work per request: decode (structure), validate against the mpk
 * (indices, values), policy (strict: the committed layer and registered
 * labels; paper: support, then the rank budget), and only then derive keys,
 * so a refused request has issued nothing and changed no counter but
 * "refused". */
#include "protocol/authority.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/authority_internal.h"
#include "protocol/client.h"
#include "util/util.h"

const char *const CN_MPK_NAME[3] = {"samples", "batch-gradient", "labels"};

void cn_policy_default(cn_policy *p)
{
    p->min_support = 2;
    p->max_rank = 0;
    p->label_uses = 2;
}

int cn_auth_path(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
}

static int exists(const char *dir, const char *name)
{
    char p[4096];
    return cn_auth_path(p, sizeof p, dir, name) == CRYPTONN_OK && access(p, F_OK) == 0;
}

/* ---- setup ---- */

static int save_feip_msk(const char *dir, const char *name, const cryptonn_feip_msk *m)
{
    char path[4096];
    CN_TRY(cn_auth_path(path, sizeof path, dir, name));
    return cryptonn_feip_msk_save(m, path);
}

int cn_authority_setup(const char *dir, const cn_enc_params *p, const cn_fl_layer *layer)
{
    CN_ARG_CHECK(dir && p && (p->mode == CN_MODE_STRICT) == (layer != NULL));
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return CRYPTONN_ERR_IO;
    if (exists(dir, "samples.msk") || exists(dir, "batch.msk") || exists(dir, "labels.msk"))
        return CRYPTONN_ERR_IO; /* never overwrite a master secret */
    const int strict = p->mode == CN_MODE_STRICT;
    cn_enc_mpks k = {0};
    cn_fl_layer committed = {0};
    cryptonn_feip_msk *ms = NULL, *mb = NULL;
    cryptonn_febo_msk *ml = NULL;
    char path[4096];
    int rc = cryptonn_feip_setup(&k.samples, &ms, p->slots);
    if (rc == CRYPTONN_OK && !strict)
        rc = cryptonn_feip_setup(&k.batch, &mb, (size_t)p->slots * p->batch);
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_setup(&k.labels, &ml);
    if (rc == CRYPTONN_OK) rc = save_feip_msk(dir, "samples.msk", ms);
    if (rc == CRYPTONN_OK && !strict) rc = save_feip_msk(dir, "batch.msk", mb);
    if (rc == CRYPTONN_OK) rc = cn_auth_path(path, sizeof path, dir, "labels.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_msk_save(ml, path);
    if (rc == CRYPTONN_OK && strict) {
        committed = *layer;
        cn_fl_layer_commit(&committed);
        k.layer = &committed;
    }
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(dir, p, &k);
    k.layer = NULL; /* borrowed from the caller */
    if (rc == CRYPTONN_OK) {
        cn_owner_secret s;
        cn_owner_secret_generate(&s, p->classes);
        rc = cn_auth_path(path, sizeof path, dir, "owner.key");
        if (rc == CRYPTONN_OK) rc = cn_owner_secret_save(&s, path);
        cn_wipe(&s, sizeof s);
    }
    cryptonn_feip_msk_destroy(ms);
    cryptonn_feip_msk_destroy(mb);
    cryptonn_febo_msk_destroy(ml);
    cn_enc_mpks_free(&k);
    return rc;
}

/* ---- open / close ---- */

static int check_mpk(const cryptonn_feip_msk *msk, const cryptonn_feip_mpk *mpk)
{
    if (cryptonn_feip_msk_slots(msk) != cryptonn_feip_mpk_slots(mpk)) return CRYPTONN_ERR_MISMATCH;
    cryptonn_feip_mpk *d;
    CN_TRY(cryptonn_feip_mpk_from_msk(&d, msk));
    uint8_t x[16], y[16];
    cryptonn_feip_mpk_id(d, x);
    cryptonn_feip_mpk_id(mpk, y);
    cryptonn_feip_mpk_destroy(d);
    return memcmp(x, y, 16) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
}

int cn_authority_open(cn_authority **out, const char *dir, const cn_policy *pol)
{
    CN_ARG_CHECK(out && dir);
    *out = NULL;
    cn_authority *a = calloc(1, sizeof *a);
    if (!a) return CRYPTONN_ERR_NOMEM;
    a->labels_reg_fd = a->labels_used_fd = -1;
    if (pol) a->pol = *pol;
    else cn_policy_default(&a->pol);
    a->dir = strdup(dir);
    char path[4096];
    int rc = a->dir ? cn_encdata_read_params(dir, &a->p, &a->k) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) rc = cn_auth_path(path, sizeof path, dir, "samples.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_msk_load(&a->msk[CN_MPK_SAMPLES], path);
    a->strict = rc == CRYPTONN_OK && a->p.mode == CN_MODE_STRICT;
    if (rc == CRYPTONN_OK && !a->strict) rc = cn_auth_path(path, sizeof path, dir, "batch.msk");
    if (rc == CRYPTONN_OK && !a->strict)
        rc = cryptonn_feip_msk_load(&a->msk[CN_MPK_BATCH], path);
    if (rc == CRYPTONN_OK) rc = cn_auth_path(path, sizeof path, dir, "labels.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_msk_load(&a->msk_labels, path);
    /* params.bin is public and could be swapped: the msks must match it */
    if (rc == CRYPTONN_OK) rc = check_mpk(a->msk[CN_MPK_SAMPLES], a->k.samples);
    if (rc == CRYPTONN_OK && !a->strict) rc = check_mpk(a->msk[CN_MPK_BATCH], a->k.batch);
    if (rc == CRYPTONN_OK && a->strict) rc = cn_auth_strict_open(a);
    if (rc == CRYPTONN_OK) rc = cn_auth_labels_open(a);
    if (rc == CRYPTONN_OK) {
        int d = cn_adb_open(&a->db, dir);
        if (d == CRYPTONN_OK) rc = cn_auth_db_load(a);
        else if (d == CRYPTONN_ERR_NOT_FOUND) rc = cn_auth_state_load(a); /* built without SQLite */
        else rc = d;
    }
    if (rc == CRYPTONN_OK) rc = cn_auth_path(path, sizeof path, dir, "keys.log");
    if (rc == CRYPTONN_OK) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        a->log = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (!a->log) {
            if (fd >= 0) close(fd);
            rc = CRYPTONN_ERR_IO;
        }
    }
    if (rc != CRYPTONN_OK) {
        cn_authority_close(a);
        return rc;
    }
    *out = a;
    return CRYPTONN_OK;
}

void cn_authority_close(cn_authority *a)
{
    if (!a) return;
    if (a->rank && cn_auth_state_save(a) != CRYPTONN_OK && a->log)
        fprintf(a->log, "warning: could not save rank-samples.bin\n");
    if (a->log) fclose(a->log);
    cn_adb_close(a->db);
    cn_auth_labels_close(a);
    cn_digest_set_free(&a->committed);
    cryptonn_feip_msk_destroy(a->msk[0]);
    cryptonn_feip_msk_destroy(a->msk[1]);
    cryptonn_febo_msk_destroy(a->msk_labels);
    cn_rank_destroy(a->rank);
    cn_auth_basis_free(&a->basis);
    cn_enc_mpks_free(&a->k);
    free(a->dir);
    free(a);
}

/* ---- requests ---- */

void cn_auth_log(cn_authority *a, const char *fmt, ...)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(a->log, "%s %s\n", ts, line);
    fflush(a->log);
    if (a->db && cn_adb_log(a->db, ts, line) != CRYPTONN_OK) a->db_failed = 1;
}

int cn_auth_refuse(cn_authority *a, uint32_t mpk, uint64_t nkeys, int status, const char *reason,
                  uint8_t **resp, size_t *resp_len)
{
    if (mpk < 3) {
        a->refused[mpk] += nkeys;
        cn_auth_log(a, "REFUSED %s keys=%llu status=%s: %s", CN_MPK_NAME[mpk],
                 (unsigned long long)nkeys, cryptonn_status_str(status), reason);
    } else cn_auth_log(a, "REFUSED malformed request: %s", reason);
    return cn_keyresp_error_encode(status, reason, resp, resp_len);
}

int cn_authority_handle(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                        size_t *resp_len)
{
    CN_ARG_CHECK(a && (req || len == 0) && resp && resp_len);
    *resp = NULL;
    *resp_len = 0;
    int rc;
    a->db_failed = a->db && cn_adb_begin(a->db) != CRYPTONN_OK;
    if (len >= 12 && memcmp(req + 8, "KRQI", 4) == 0) rc = cn_auth_handle_feip(a, req, len, resp, resp_len);
    else if (len >= 12 && memcmp(req + 8, "KRQG", 4) == 0)
        rc = cn_auth_handle_grad(a, req, len, resp, resp_len);
    else if (len >= 12 && memcmp(req + 8, "KRQB", 4) == 0)
        rc = cn_auth_handle_febo(a, req, len, resp, resp_len);
    else rc = cn_auth_refuse(a, 3, 0, CRYPTONN_ERR_FORMAT, "unknown message kind", resp, resp_len);
    /* The record is durable before any key leaves: if it cannot be
     * written, the keys are withheld (the in-memory counters keep them, an
     * over-count, which errs on the safe side). */
    if (a->db) {
        int d = a->db_failed ? CRYPTONN_ERR_IO : cn_auth_db_save(a);
        if (d == CRYPTONN_OK) d = cn_adb_commit(a->db);
        if (d == CRYPTONN_OK) a->basis_saved = a->basis.count;
        else {
            cn_adb_rollback(a->db);
            if (*resp) cn_free_secret(*resp, *resp_len);
            *resp = NULL;
            rc = cn_keyresp_error_encode(CRYPTONN_ERR_IO,
                                         "the authority cannot write its key log (authority.db); "
                                         "no key was issued", resp, resp_len);
        }
    }
    /* a response that could not even be built is the only failure */
    return *resp ? CRYPTONN_OK : (rc != CRYPTONN_OK ? rc : CRYPTONN_ERR_NOMEM);
}

void cn_authority_leakage(const cn_authority *a, cn_leak_mpk out[3])
{
    /* strict: what the server can hold is the committed layer, whatever it
     * has fetched so far */
    out[0] = (cn_leak_mpk){CN_MPK_NAME[0], a->p.slots,
                           a->strict ? a->layer_rank : cn_rank_get(a->rank), 0, a->issued[0],
                           a->refused[0]};
    out[1] = (cn_leak_mpk){CN_MPK_NAME[1], a->strict ? 0 : (uint64_t)a->p.slots * a->p.batch,
                           cn_auth_batch_bound(a, 0), 1, a->issued[1], a->refused[1]};
    /* FEBO keys are bound to one ciphertext each: no span to track; the
     * report states what the "−" keys reveal (the permuted labels). */
    out[2] = (cn_leak_mpk){CN_MPK_NAME[2], 0, 0, 0, a->issued[2], a->refused[2]};
}

int cn_authority_mode(const cn_authority *a)
{
    return a->strict ? CN_MODE_STRICT : CN_MODE_PAPER;
}

const cn_fl_layer *cn_authority_layer(const cn_authority *a)
{
    return a->k.layer;
}

int cn_authority_export_keys(const cn_authority *a, cn_feip_keyreq *r)
{
    if (a->strict) return cn_fl_keys(&a->k.layer->spec, a->k.layer->w, r);
    const basis_list *b = &a->basis;
    CN_TRY(cn_keyreq_feip_alloc(r, b->count, b->nnz));
    r->mpk = CN_MPK_SAMPLES;
    r->nkeys = b->count;
    r->nnz = b->nnz;
    for (uint32_t i = 0; i <= b->count; i++) r->rowptr[i] = b->off ? b->off[i] : 0;
    if (b->nnz) {
        memcpy(r->idx, b->idx, (size_t)b->nnz * sizeof *r->idx);
        memcpy(r->val, b->val, (size_t)b->nnz * sizeof *r->val);
    }
    return CRYPTONN_OK;
}

int cn_authority_export(const cn_authority *a, cn_keyexport *e)
{
    memset(e, 0, sizeof *e);
    cryptonn_feip_mpk_id(a->k.samples, e->mpk_id);
    e->in_c = cn_enc_channels(&a->p);
    e->in_h = a->p.rows;
    e->in_w = a->p.cols;
    e->mode = a->strict ? CN_MODE_STRICT : CN_MODE_PAPER;
    return cn_authority_export_keys(a, &e->keys);
}

static int ks_round_trip(void *ctx, const uint8_t *req, size_t req_len, uint8_t **resp,
                         size_t *resp_len)
{
    return cn_authority_handle(ctx, req, req_len, resp, resp_len);
}

cn_keywire cn_authority_keywire(cn_authority *a)
{
    return (cn_keywire){a, ks_round_trip};
}
