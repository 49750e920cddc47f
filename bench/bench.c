/* Timing and reporting shared by the benchmark suites. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "util/util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

bench_stat bench_measure(void (*fn)(void *), void *ctx, int reps, double ops)
{
    double *t = malloc(sizeof(double) * (size_t)reps);
    fn(ctx); /* warm caches and tables */
    for (int i = 0; i < reps; i++) {
        uint64_t a = cn_now_ns();
        fn(ctx);
        t[i] = (double)(cn_now_ns() - a) / ops;
    }
    qsort(t, (size_t)reps, sizeof(double), cmp_double);
    bench_stat s = {t[0], t[reps / 2], t[reps - 1], reps};
    free(t);
    return s;
}

typedef struct {
    char op[64], impl[32], unit[16];
    bench_stat s;
    double ratio; /* peer median / ours median; 0 for ours */
} row;

struct bench_report {
    bench_opts o;
    char suite[32];
    row rows[128];
    int nrows;
    char names[64][64];
    char units[64][16];
    double values[64];
    int nvalues;
    char notes[32][256];
    int nnotes;
};

void bench_machine(char *buf, size_t len)
{
    char model[160] = "unknown CPU";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        while (fgets(line, sizeof line, f))
            if (!strncmp(line, "model name", 10)) {
                char *c = strchr(line, ':');
                if (c) {
                    snprintf(model, sizeof model, "%s", c + 2);
                    model[strcspn(model, "\n")] = 0;
                }
                break;
            }
        fclose(f);
    }
    snprintf(buf, len, "%s, %ld cores", model, sysconf(_SC_NPROCESSORS_ONLN));
}

bench_report *bench_report_open(const char *suite, const bench_opts *o)
{
    bench_report *r = calloc(1, sizeof *r);
    r->o = *o;
    snprintf(r->suite, sizeof r->suite, "%s", suite);
    if (!o->json) {
        char m[256];
        bench_machine(m, sizeof m);
        printf("cryptonn bench %s  (%s; %d threads)\n", suite, m, o->threads);
        printf("%-44s %-10s %12s %12s %12s %8s\n", "operation", "impl", "median", "min", "max",
               "ratio");
    }
    return r;
}

static void fmt_ns(char *b, size_t n, double ns, const char *unit)
{
    if (unit && *unit) snprintf(b, n, "%.4g %s", ns, unit);
    else if (ns >= 1e9) snprintf(b, n, "%.3f s", ns / 1e9);
    else if (ns >= 1e6) snprintf(b, n, "%.3f ms", ns / 1e6);
    else if (ns >= 1e3) snprintf(b, n, "%.3f us", ns / 1e3);
    else snprintf(b, n, "%.1f ns", ns);
}

void bench_row(bench_report *r, const char *op, const char *impl, bench_stat s, const char *unit)
{
    if (r->nrows >= 128) return;
    row *w = &r->rows[r->nrows++];
    snprintf(w->op, sizeof w->op, "%s", op);
    snprintf(w->impl, sizeof w->impl, "%s", impl);
    snprintf(w->unit, sizeof w->unit, "%s", unit ? unit : "");
    w->s = s;
    w->ratio = 0;
    for (int i = 0; i < r->nrows - 1; i++)
        if (!strcmp(r->rows[i].op, op) && !strcmp(r->rows[i].impl, "ours") && strcmp(impl, "ours"))
            w->ratio = s.median_ns / r->rows[i].s.median_ns;
    if (!r->o.json) {
        char a[32], b[32], c[32], d[16] = "";
        fmt_ns(a, sizeof a, s.median_ns, unit);
        fmt_ns(b, sizeof b, s.min_ns, unit);
        fmt_ns(c, sizeof c, s.max_ns, unit);
        if (w->ratio > 0) snprintf(d, sizeof d, "%.2fx", w->ratio);
        printf("%-44s %-10s %12s %12s %12s %8s\n", op, impl, a, b, c, d);
        fflush(stdout);
    }
}

void bench_value(bench_report *r, const char *name, double value, const char *unit)
{
    if (r->nvalues >= 64) return;
    snprintf(r->names[r->nvalues], 64, "%s", name);
    snprintf(r->units[r->nvalues], 16, "%s", unit ? unit : "");
    r->values[r->nvalues++] = value;
    if (!r->o.json) printf("%-44s %.6g %s\n", name, value, unit ? unit : "");
}

void bench_note(bench_report *r, const char *text)
{
    if (r->nnotes < 32) snprintf(r->notes[r->nnotes++], 256, "%s", text);
    if (!r->o.json) printf("note: %s\n", text);
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        if (*s == '"' || *s == '\\') printf("\\%c", *s);
        else if ((unsigned char)*s < 0x20) printf("\\u%04x", *s);
        else putchar(*s);
    }
    putchar('"');
}

void bench_report_close(bench_report *r)
{
    if (r->o.json) {
        char m[256];
        bench_machine(m, sizeof m);
        printf("{\"suite\":");
        json_str(r->suite);
        printf(",\"machine\":");
        json_str(m);
        printf(",\"threads\":%d,\"rows\":[", r->o.threads);
        for (int i = 0; i < r->nrows; i++) {
            row *w = &r->rows[i];
            printf("%s{\"op\":", i ? "," : "");
            json_str(w->op);
            printf(",\"impl\":");
            json_str(w->impl);
            printf(",\"unit\":");
            json_str(w->unit[0] ? w->unit : "ns");
            printf(",\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,\"reps\":%d", w->s.median_ns,
                   w->s.min_ns, w->s.max_ns, w->s.reps);
            if (w->ratio > 0) printf(",\"ratio_vs_ours\":%.4f", w->ratio);
            printf("}");
        }
        printf("],\"values\":[");
        for (int i = 0; i < r->nvalues; i++) {
            printf("%s{\"name\":", i ? "," : "");
            json_str(r->names[i]);
            printf(",\"value\":%.6g,\"unit\":", r->values[i]);
            json_str(r->units[i]);
            printf("}");
        }
        printf("],\"notes\":[");
        for (int i = 0; i < r->nnotes; i++) {
            if (i) putchar(',');
            json_str(r->notes[i]);
        }
        printf("]}\n");
    }
    free(r);
}
