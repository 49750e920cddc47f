/* The audit's output (audit.h): a short table, JSON, a Markdown section. */
#include <math.h>
#include <stdio.h>

#include "audit/audit.h"

/* A figure for JSON: null when it is not a finite number (PSNR of an exact
 * attack, recognizability without labels). */
static void json_num(FILE *f, const char *key, double v, const char *sep)
{
    if (isfinite(v)) fprintf(f, "\"%s\": %.6g%s", key, v, sep);
    else fprintf(f, "\"%s\": null%s", key, sep);
}

static void fmt(char *buf, size_t len, double v, const char *form)
{
    if (isnan(v)) snprintf(buf, len, "-");
    else if (isinf(v)) snprintf(buf, len, "exact");
    else snprintf(buf, len, form, v);
}

int cn_audit_write_json(FILE *f, const cn_audit_result *res)
{
    fprintf(f, "{\"records\": %u, \"features\": %u, \"keys\": %u, \"rank\": %u, "
               "\"determined_features\": %u, \"attacks\": [",
            res->records, res->dim, res->nkeys, res->rank, res->determined);
    int first = 1;
    for (int a = 0; a < CN_AUDIT_ATTACKS; a++) {
        const cn_audit_attack *at = &res->attack[a];
        if (!at->ran) continue;
        fprintf(f, "%s{\"name\": \"%s\", ", first ? "" : ", ", at->name);
        json_num(f, "exact_fraction", at->exact_fraction, ", ");
        json_num(f, "close_fraction", at->close_fraction, ", ");
        json_num(f, "mean_abs_error", at->mean_abs_error, ", ");
        json_num(f, "psnr_db", at->psnr_db, ", ");
        json_num(f, "recognizability", at->recognizability, ", ");
        json_num(f, "seconds", at->seconds, "}");
        first = 0;
    }
    fprintf(f, "], ");
    json_num(f, "reference_accuracy", res->reference_accuracy, "}\n");
    return ferror(f) ? -1 : 0;
}

/* One row per attack; md selects Markdown table syntax. */
static void table(FILE *f, const cn_audit_result *res, int md)
{
    const char *row = md ? "| %-8s | %7s | %7s | %9s | %8s | %9s |\n"
                         : "  %-8s %7s %7s %9s %8s %9s\n";
    fprintf(f, row, "attack", "exact", "±8", "mean |e|", "PSNR dB", "recognized");
    if (md) fprintf(f, "|---|---:|---:|---:|---:|---:|\n");
    for (int a = 0; a < CN_AUDIT_ATTACKS; a++) {
        const cn_audit_attack *at = &res->attack[a];
        if (!at->ran) continue;
        char ex[16], cl[16], me[16], ps[16], rc[16];
        fmt(ex, sizeof ex, 100 * at->exact_fraction, "%.0f%%");
        fmt(cl, sizeof cl, 100 * at->close_fraction, "%.0f%%");
        fmt(me, sizeof me, at->mean_abs_error, "%.2f");
        fmt(ps, sizeof ps, at->psnr_db, "%.1f");
        fmt(rc, sizeof rc, 100 * at->recognizability, "%.0f%%");
        fprintf(f, row, at->name, ex, cl, me, ps, rc);
    }
}

static void summary(FILE *f, const cn_audit_result *res)
{
    fprintf(f, "%u records, %u features, %u keys revealing a span of rank %u; %u features "
               "determined exactly by linear algebra.\n",
            res->records, res->dim, res->nkeys, res->rank, res->determined);
    if (res->rank == res->dim)
        fprintf(f, "The keys span every feature: the server can solve for the master secret of "
                   "this mpk and decrypt every ciphertext made under it.\n");
}

int cn_audit_write_text(FILE *f, const cn_audit_result *res)
{
    summary(f, res);
    table(f, res, 0);
    if (isfinite(res->reference_accuracy))
        fprintf(f, "reference classifier on the originals: %.0f%% (\"recognized\" is its accuracy "
                   "on each attack's reconstructions)\n",
                100 * res->reference_accuracy);
    return ferror(f) ? -1 : 0;
}

int cn_audit_write_markdown(FILE *f, const cn_audit_result *res, const char *picture)
{
    fprintf(f, "## What the server could reconstruct (owner-side audit)\n\n");
    summary(f, res);
    fprintf(f, "\n");
    table(f, res, 1);
    fprintf(f, "\nexact: records recovered exactly; ±8: every value within 8 of the original; "
               "mean |e|: mean absolute error per value (data units)");
    /* without public data there is no reference classifier, and the
     * column holds none */
    if (isfinite(res->reference_accuracy))
        fprintf(f, "; recognized: accuracy of a reference classifier trained on public data on "
                   "the reconstructions (%.0f%% on the originals)",
                100 * res->reference_accuracy);
    fprintf(f, ".\n");
    if (picture)
        fprintf(f, "\n![originals (top row), then each attack's reconstructions](%s)\n", picture);
    return ferror(f) ? -1 : 0;
}

int cn_audit_write_feature_errors(FILE *f, const cn_audit_result *res)
{
    const cn_audit_data *d = &res->originals;
    fprintf(f, "mean absolute error per feature\n  %-8s", "feature");
    for (int a = 0; a < CN_AUDIT_ATTACKS; a++)
        if (res->attack[a].ran) fprintf(f, " %10s", res->attack[a].name);
    fprintf(f, "\n");
    for (uint32_t j = 0; j < d->dim; j++) {
        fprintf(f, "  %-8u", j);
        for (int a = 0; a < CN_AUDIT_ATTACKS; a++) {
            if (!res->attack[a].ran) continue;
            double sum = 0;
            for (uint32_t s = 0; s < d->n; s++) {
                size_t i = (size_t)s * d->dim + j;
                sum += fabs((double)res->attack[a].recon[i] - d->v[i]);
            }
            fprintf(f, " %10.2f", d->n ? sum / d->n : 0.0);
        }
        fprintf(f, "\n");
    }
    return ferror(f) ? -1 : 0;
}
