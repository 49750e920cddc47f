/* The secure training report (report.h). */
#include "secure/report.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

void cn_report_phase_line(FILE *f, const char *label, const cn_secure_stats *s)
{
    double total = s->t_load + s->t_keys + s->t_fwd + s->t_err + s->t_grad + s->t_plain;
    fprintf(f,
            "%s: %.1f s = load %.1f + keys %.1f + first layer %.1f + output error %.1f + "
            "gradient %.1f + plaintext %.1f\n",
            label, total, s->t_load, s->t_keys, s->t_fwd, s->t_err, s->t_grad, s->t_plain);
}

void cn_report_write_markdown(FILE *f, const cn_train_report *r)
{
    fprintf(f, "# %s\n\n", r->title ? r->title : "Secure training report");
    if (r->settings) {
        fprintf(f, "## Settings\n\n");
        const char *p = r->settings;
        while (*p) {
            const char *e = strchr(p, '\n');
            size_t n = e ? (size_t)(e - p) : strlen(p);
            fprintf(f, "- %.*s\n", (int)n, p);
            p += n + (e ? 1 : 0);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "## Accuracy and time per epoch\n\n");
    fprintf(f, "| epoch | samples | train loss | train acc | test acc (secure prediction) | "
               "load s | keys s | first layer s | output error s | gradient s | plaintext s | "
               "total s |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    cn_secure_stats all = {0};
    for (uint32_t e = 0; e < r->epochs && e < CN_REPORT_MAX_EPOCHS; e++) {
        const cn_secure_stats *s = &r->epoch[e];
        cn_secure_stats_add(&all, s);
        double total = s->t_load + s->t_keys + s->t_fwd + s->t_err + s->t_grad + s->t_plain;
        char acc[32] = "—";
        if (r->test_accuracy[e] >= 0)
            snprintf(acc, sizeof acc, "%.2f%%", 100 * r->test_accuracy[e]);
        fprintf(
            f,
            "| %u | %llu | %.4f | %.2f%% | %s | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f | %.1f |\n",
            e + 1, (unsigned long long)s->samples,
            s->samples ? s->loss_sum / (double)s->samples : 0.0,
            s->samples ? 100.0 * (double)s->correct / (double)s->samples : 0.0, acc, s->t_load,
            s->t_keys, s->t_fwd, s->t_err, s->t_grad, s->t_plain, total);
    }
    fprintf(f,
            "\nKeys received: %llu first-layer, %llu output-error, %llu gradient; results "
            "decrypted: %llu, %llu, %llu.\n",
            (unsigned long long)all.keys_fwd, (unsigned long long)all.keys_err,
            (unsigned long long)all.keys_grad, (unsigned long long)all.dec_fwd,
            (unsigned long long)all.dec_err, (unsigned long long)all.dec_grad);
    if (r->seconds_encrypt >= 0)
        fprintf(f, "Client-side encryption of the training set: %.1f s.\n", r->seconds_encrypt);
    fprintf(f, "\n");
    cn_leak_write_markdown(f, &r->leak);
}

int cn_report_save(const char *path, const cn_train_report *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) return CRYPTONN_ERR_NOMEM;
    cn_report_write_markdown(m, r);
    fclose(m);
    cn_part part = {buf, len};
    int rc = cn_file_write_atomic(path, &part, 1, 0644);
    free(buf);
    return rc;
}
