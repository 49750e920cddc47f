/* The public encrypted-dataset API (cryptonn/encdata.h). */
#include "cryptonn/encdata.h"

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
