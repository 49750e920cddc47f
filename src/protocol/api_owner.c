/* The public owner API (cryptonn/owner.h): a data owner's parameters and
 * secret, encryption of its records as one part, the label registration, and
 * the mapping of permuted predictions back to classes. */
#include "cryptonn/owner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/api_internal.h"
#include "protocol/labelreg.h"
#include "protocol/specdigest.h"
#include "util/util.h"

int cryptonn_owner_open(cryptonn_owner **out, const char *params, const char *owner_key)
{
    CN_ARG_CHECK(out && (params || owner_key));
    *out = NULL;
    cryptonn_owner *o = calloc(1, sizeof *o);
    if (!o) return CRYPTONN_ERR_NOMEM;
    int rc = params ? cn_encdata_read_params_file(params, &o->p, &o->k) : CRYPTONN_OK;
    if (rc == CRYPTONN_OK && owner_key) {
        rc = cn_owner_secret_load(&o->s, owner_key);
        o->have_secret = rc == CRYPTONN_OK;
        if (!params) o->p.classes = o->s.classes;
        if (rc == CRYPTONN_OK && o->s.classes != o->p.classes) rc = CRYPTONN_ERR_MISMATCH;
    }
    if (rc != CRYPTONN_OK) {
        cryptonn_owner_close(o);
        return rc;
    }
    *out = o;
    return CRYPTONN_OK;
}

void cryptonn_owner_close(cryptonn_owner *o)
{
    if (!o) return;
    cn_enc_mpks_free(&o->k);
    cn_wipe(&o->s, sizeof o->s);
    free(o);
}

cryptonn_mode cryptonn_owner_mode(const cryptonn_owner *o)
{
    return o->p.mode == CN_MODE_STRICT ? CRYPTONN_MODE_STRICT : CRYPTONN_MODE_PAPER;
}

uint32_t cryptonn_owner_classes(const cryptonn_owner *o)
{
    return o->p.classes;
}

uint32_t cryptonn_owner_width(const cryptonn_owner *o)
{
    return o->p.slots;
}

uint32_t cryptonn_owner_batch(const cryptonn_owner *o)
{
    return o->p.batch;
}

int cryptonn_owner_layer(const cryptonn_owner *o, cryptonn_layer_desc *out)
{
    CN_ARG_CHECK(o && out);
    return cn_api_layer_desc(o->k.layer, out);
}

void cryptonn_encrypt_opts_default(cryptonn_encrypt_opts *o)
{
    *o = (cryptonn_encrypt_opts){.part = "owner", .labels = 1};
}

int cryptonn_owner_encrypt(cryptonn_owner *o, const char *dir, const cryptonn_dataset *d,
                           const cryptonn_encrypt_opts *opt, cryptonn_encrypt_stats *st,
                           char *msg, size_t msg_len)
{
    CN_ARG_CHECK(o && dir && d);
    if ((uint64_t)d->rows * d->cols != o->p.slots) {
        snprintf(msg, msg_len, "records of %u x %u values do not fit the keys' %u slots", d->rows,
                 d->cols, o->p.slots);
        return CRYPTONN_ERR_MISMATCH;
    }
    cryptonn_samples v;
    cryptonn_samples_of(d, &v);
    return cryptonn_owner_encrypt_samples(o, dir, &v, opt, st, msg, msg_len);
}

static void stats_out(const cn_encrypt_stats *e, cryptonn_encrypt_stats *o)
{
    *o = (cryptonn_encrypt_stats){e->samples, e->batches, e->bytes_written, e->seconds_total,
                                  e->seconds_tables, e->seconds_samples, e->seconds_labels,
                                  e->seconds_batches, e->seconds_write, e->cpu_tables,
                                  e->cpu_samples, e->cpu_labels, e->cpu_batches, e->cpu_write,
                                  e->cpu_total, e->table_bytes};
}

int cryptonn_owner_encrypt_samples(cryptonn_owner *o, const char *dir, const cryptonn_samples *d,
                                   const cryptonn_encrypt_opts *opt, cryptonn_encrypt_stats *st,
                                   char *msg, size_t msg_len)
{
    CN_ARG_CHECK(o && dir && d);
    cryptonn_encrypt_opts def;
    if (!opt) {
        cryptonn_encrypt_opts_default(&def);
        opt = &def;
    }
    if (msg_len) msg[0] = 0;
    if (!cn_part_name_ok(opt->part)) {
        snprintf(msg, msg_len, "the part name must match [A-Za-z0-9_-]{1,64}");
        return CRYPTONN_ERR_ARG;
    }
    if (d->size != o->p.slots) {
        snprintf(msg, msg_len, "records of %zu values do not fit the keys' %u slots", d->size,
                 o->p.slots);
        return CRYPTONN_ERR_MISMATCH;
    }
    if (!o->k.samples) {
        snprintf(msg, msg_len, "encryption needs the parameters (params.bin)");
        return CRYPTONN_ERR_ARG;
    }
    const int regress = o->p.task == CN_TASK_REGRESS;
    if (opt->labels && !regress && !o->have_secret) {
        snprintf(msg, msg_len, "training data needs the owners' key (owner.key) for its labels");
        return CRYPTONN_ERR_ARG;
    }
    const int strict = o->p.mode == CN_MODE_STRICT;
    cn_labelreg reg = {0};
    cn_encrypt_opts eo = {.part = opt->part, .threads = opt->threads, .labels = opt->labels,
                          .batch_ct = opt->labels && !strict, .progress = opt->progress,
                          .reg = strict && opt->labels ? &reg : NULL,
                          .table_bytes_max = (opt->table_mb ? opt->table_mb : 4096) << 20};
    cn_encrypt_stats es;
    int rc = cn_client_encrypt_samples(dir, &o->p, &o->k, o->have_secret ? &o->s : NULL, d, &eo,
                                       &es);
    if (rc == CRYPTONN_ERR_ARG)
        snprintf(msg, msg_len, "the records lack their %s, a label is beyond the %u classes, "
                 "or the set is empty", regress ? "targets" : "labels", o->p.classes);
    if (rc == CRYPTONN_ERR_MISMATCH)
        snprintf(msg, msg_len, "%s holds a dataset under other keys or parameters (every owner "
                 "must use the same params.bin)", dir);
    /* under mpirun every rank holds the whole registration: one writes it */
    if (rc == CRYPTONN_OK && eo.reg && cn_dist_rank() == 0) {
        char path[4096];
        if (opt->registration) snprintf(path, sizeof path, "%s", opt->registration);
        else snprintf(path, sizeof path, "%s/%s.lreg", dir, opt->part);
        if ((rc = cn_labelreg_write(path, &reg)) != CRYPTONN_OK)
            snprintf(msg, msg_len, "cannot write the label registration %s", path);
    }
    cn_labelreg_free(&reg);
    if (rc == CRYPTONN_OK && st) stats_out(&es, st);
    return rc;
}

int cryptonn_owner_check_spec(const cryptonn_owner *o, const cryptonn_data_spec *spec, char *msg,
                              size_t msg_len)
{
    CN_ARG_CHECK(o && spec);
    if (msg_len) msg[0] = 0;
    cn_enc_params q;
    CN_TRY(cn_enc_params_from_spec(&q, spec, o->p.batch, msg, msg_len));
    if (!cn_enc_params_same_records(&o->p, &q)) {
        snprintf(msg, msg_len, "the authority's params.bin was made for other records (shape, "
                               "bound, fixed point, labels or target): use the spec it was "
                               "made for");
        return CRYPTONN_ERR_MISMATCH;
    }
    /* the same shape, other statistics: records scaled unlike the other
     * owners' would train silently wrong */
    uint8_t d[CN_SPEC_DIGEST_BYTES];
    CN_TRY(cn_spec_digest(spec, d));
    if (o->have_secret && o->s.has_spec && memcmp(d, o->s.spec, sizeof d) != 0) {
        snprintf(msg, msg_len, "this is not the spec keygen was given (owner.key keeps its "
                               "digest): another offset, scale, bound, name or class; every "
                               "owner encrypts under that same spec file");
        return CRYPTONN_ERR_MISMATCH;
    }
    return CRYPTONN_OK;
}

int cryptonn_owner_key_save(const char *path, const uint8_t *perm, uint32_t classes)
{
    CN_ARG_CHECK(path && perm);
    if (classes < 1 || classes > 256) return CRYPTONN_ERR_ARG;
    cn_owner_secret s = {.classes = classes};
    uint8_t seen[256] = {0};
    for (uint32_t c = 0; c < classes; c++) {
        if (perm[c] >= classes || seen[perm[c]]++) return CRYPTONN_ERR_ARG;
        s.perm[c] = perm[c];
    }
    int rc = cn_owner_secret_save(&s, path);
    cn_wipe(&s, sizeof s);
    cn_wipe(seen, sizeof seen);
    return rc;
}

int cryptonn_owner_unpermute(const cryptonn_owner *o, uint8_t *pred, uint64_t n)
{
    CN_ARG_CHECK(o && (pred || !n));
    if (!o->have_secret) return CRYPTONN_ERR_ARG;
    uint8_t inv[256];
    cn_owner_secret_inverse(&o->s, inv);
    for (uint64_t i = 0; i < n; i++)
        if (pred[i] >= o->s.classes) return CRYPTONN_ERR_ARG;
    for (uint64_t i = 0; i < n; i++) pred[i] = inv[pred[i]];
    cn_wipe(inv, sizeof inv);
    return CRYPTONN_OK;
}
