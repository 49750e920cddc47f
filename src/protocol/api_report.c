/* The public report of a training run (cryptonn/server.h): the epochs a
 * trainer ran, the owners' test figures, and the leakage account of the
 * authority that answered it, over the secure layer's report (report.h). */
#include "cryptonn/server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/api_internal.h"
#include "util/util.h"

void cryptonn_train_stats_line(const cryptonn_train_stats *st, const char *label, char *buf,
                               size_t len)
{
    CN_ARG_CHECK(st && label && buf && len);
    cn_secure_stats s = {.t_load = st->seconds_load, .t_keys = st->seconds_keys,
                         .t_fwd = st->seconds_first_layer, .t_err = st->seconds_output_error,
                         .t_grad = st->seconds_gradient, .t_plain = st->seconds_plain};
    char *text = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&text, &n);
    if (f) {
        cn_report_phase_line(f, label, &s);
        fclose(f);
    }
    snprintf(buf, len, "%s", text ? text : "");
    free(text);
}

void cryptonn_trainer_note_test(cryptonn_trainer *t, uint32_t epoch, double metric)
{
    CN_ARG_CHECK(t);
    if (epoch < CN_REPORT_MAX_EPOCHS) t->rep->test_accuracy[epoch] = metric;
}

int cryptonn_trainer_report(const cryptonn_trainer *t, const cryptonn_authority *a,
                            const cryptonn_model *m, const cryptonn_report_opts *o,
                            cryptonn_report_format fmt, char **text)
{
    CN_ARG_CHECK(t && a && m && text &&
                 (fmt == CRYPTONN_REPORT_MARKDOWN || fmt == CRYPTONN_REPORT_TEXT));
    *text = NULL;
    cn_train_report *r = malloc(sizeof *r);
    if (!r) return CRYPTONN_ERR_NOMEM;
    *r = *t->rep;
    r->title = o && o->title ? o->title : NULL;
    r->settings = o ? o->settings : NULL;
    r->seconds_encrypt = o ? o->seconds_encrypt : -1;
    cn_leak_mpk lk[3];
    char spec[64], hex[17];
    cn_api_leak_report(a, lk, spec, hex, &r->leak);
    /* the model's own first layer: paper mode has no committed one */
    cryptonn_first_layer fl;
    cryptonn_model_first_layer(m, &fl);
    r->leak.first_layer_conv = fl.is_conv;
    r->leak.frozen_first_layer = (int)cryptonn_model_get_config(m)->frozen_first_layer;
    r->leak.first_layer_width = (uint32_t)fl.z1_size;
    r->leak.samples = cn_encdata_samples(t->train->d);
    r->leak.audit_md = o ? o->audit_markdown : NULL;
    r->leak.audit_text = o ? o->audit_text : NULL;
    size_t len = 0;
    FILE *f = open_memstream(text, &len);
    if (!f) {
        free(r);
        return CRYPTONN_ERR_NOMEM;
    }
    if (fmt == CRYPTONN_REPORT_MARKDOWN) cn_report_write_markdown(f, r);
    else cn_leak_write_text(f, &r->leak);
    free(r);
    return fclose(f) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
}
