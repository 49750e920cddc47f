/* The public encrypted-dataset API (cryptonn/encdata.h). */
#include "cryptonn/encdata.h"

#include <stdio.h>
#include <stdlib.h>

#include "protocol/api_internal.h"
#include "util/util.h"

int cryptonn_encdata_open(cryptonn_encdata **out, const char *dir, uint32_t *skipped)
{
    CN_ARG_CHECK(out && dir);
    *out = NULL;
    cryptonn_encdata *d = calloc(1, sizeof *d);
    if (!d) return CRYPTONN_ERR_NOMEM;
    uint32_t sk = 0;
    int rc = cn_encdata_open(&d->d, dir, &sk);
    if (skipped) *skipped = sk;
    if (rc != CRYPTONN_OK) {
        free(d);
        return rc;
    }
    *out = d;
    return CRYPTONN_OK;
}

void cryptonn_encdata_close(cryptonn_encdata *d)
{
    if (!d) return;
    cn_encdata_close(d->d);
    free(d);
}

void cryptonn_encdata_describe(const cryptonn_encdata *d, cryptonn_encdata_info *out)
{
    CN_ARG_CHECK(d && out);
    const cn_enc_params *p = cn_encdata_params(d->d);
    *out = (cryptonn_encdata_info){
        .mode = p->mode == CN_MODE_STRICT ? CRYPTONN_MODE_STRICT : CRYPTONN_MODE_PAPER,
        .channels = cn_enc_channels(p),
        .height = p->rows,
        .width = p->cols,
        .slots = p->slots,
        .batch = p->batch,
        .classes = p->classes,
        .value_bits = p->pixel_bits,
        .label_bits = p->label_scale_bits,
        .samples = cn_encdata_samples(d->d),
        .batches = cn_encdata_batches(d->d),
        .labels = (cn_encdata_flags(d->d) & CN_ENC_LABELS) != 0,
        .regression = p->task == CN_TASK_REGRESS,
        .x_den = cn_enc_x_den(p),
        .x_max = cn_enc_x_max(p),
        .y_den = cn_enc_y_den(p),
        .y_max = cn_enc_y_max(p)};
}

int cryptonn_encdata_check_batch(const cryptonn_encdata *d, uint64_t i, uint32_t *n)
{
    CN_ARG_CHECK(d);
    if (i >= cn_encdata_batches(d->d)) return CRYPTONN_ERR_NOT_FOUND;
    cn_enc_batch b = {0};
    int rc = cn_encdata_read_batch(d->d, i, &b);
    if (rc == CRYPTONN_OK && n) *n = b.n;
    cn_enc_batch_free(&b);
    return rc;
}

int cryptonn_encdata_layer(const cryptonn_encdata *d, cryptonn_layer_desc *out)
{
    CN_ARG_CHECK(d && out);
    return cn_api_layer_desc(cn_encdata_mpks(d->d)->layer, out);
}

const cryptonn_feip_mpk *cryptonn_encdata_samples_mpk(const cryptonn_encdata *d)
{
    return d ? cn_encdata_mpks(d->d)->samples : NULL;
}

const cryptonn_feip_mpk *cryptonn_encdata_batch_mpk(const cryptonn_encdata *d)
{
    return d ? cn_encdata_mpks(d->d)->batch : NULL;
}

const cryptonn_febo_mpk *cryptonn_encdata_labels_mpk(const cryptonn_encdata *d)
{
    return d ? cn_encdata_mpks(d->d)->labels : NULL;
}

int cryptonn_encdata_batch_source(const cryptonn_encdata *d, uint64_t i, char part[65],
                                  uint64_t *index)
{
    CN_ARG_CHECK(d && part && index);
    const char *name;
    CN_TRY(cn_encdata_batch_source(d->d, i, &name, index));
    snprintf(part, 65, "%s", name);
    return CRYPTONN_OK;
}

struct cryptonn_encbatch {
    cn_enc_batch b;
};

int cryptonn_encdata_read_batch(const cryptonn_encdata *d, uint64_t i, cryptonn_encbatch **out)
{
    CN_ARG_CHECK(d && out);
    *out = NULL;
    if (i >= cn_encdata_batches(d->d)) return CRYPTONN_ERR_NOT_FOUND;
    cryptonn_encbatch *b = calloc(1, sizeof *b);
    if (!b) return CRYPTONN_ERR_NOMEM;
    int rc = cn_encdata_read_batch(d->d, i, &b->b);
    if (rc != CRYPTONN_OK) {
        free(b);
        return rc;
    }
    *out = b;
    return CRYPTONN_OK;
}

void cryptonn_encbatch_free(cryptonn_encbatch *b)
{
    if (!b) return;
    cn_enc_batch_free(&b->b);
    free(b);
}

uint32_t cryptonn_encbatch_size(const cryptonn_encbatch *b) { return b ? b->b.n : 0; }

const cryptonn_feip_ct *cryptonn_encbatch_sample(const cryptonn_encbatch *b, uint32_t j)
{
    return b && j < b->b.n ? b->b.x[j] : NULL;
}

const cryptonn_feip_ct *cryptonn_encbatch_whole(const cryptonn_encbatch *b)
{
    return b ? b->b.xb : NULL;
}

const cryptonn_febo_ct *cryptonn_encbatch_label(const cryptonn_encbatch *b, uint32_t j, uint32_t k)
{
    if (!b || !b->b.y || j >= b->b.n || k >= b->b.classes) return NULL;
    return b->b.y[(size_t)j * b->b.classes + k];
}
