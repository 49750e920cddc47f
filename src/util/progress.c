/* A one-line progress bar on stderr: done/total, rate, ETA and a caller's
 * extra text. Silent unless stderr is a terminal or CRYPTONN_PROGRESS=1, so
 * logs and CI output stay clean. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/util.h"

void cn_progress_start(cn_progress *p, const char *label, uint64_t total)
{
    const char *force = getenv("CRYPTONN_PROGRESS");
    p->label = label;
    p->total = total;
    p->start_ns = p->last_ns = cn_now_ns();
    p->enabled = force ? atoi(force) != 0 : isatty(STDERR_FILENO);
}

static void draw(cn_progress *p, uint64_t done, const char *extra, int final)
{
    double el = (double)(cn_now_ns() - p->start_ns) / 1e9;
    double rate = el > 0 ? (double)done / el : 0;
    double eta = rate > 0 && p->total > done ? (double)(p->total - done) / rate : 0;
    int width = 24, fill = p->total ? (int)((double)width * (double)done / (double)p->total) : width;
    char bar[32];
    for (int i = 0; i < width; i++) bar[i] = i < fill ? '#' : '.';
    bar[width] = 0;
    fprintf(stderr, "\r%s [%s] %llu/%llu %.0f/s %s %.0fs%s%s\033[K%s", p->label, bar,
            (unsigned long long)done, (unsigned long long)p->total, rate, final ? "in" : "ETA",
            final ? el : eta, extra ? " " : "", extra ? extra : "", final ? "\n" : "");
    fflush(stderr);
}

void cn_progress_update(cn_progress *p, uint64_t done, const char *extra)
{
    if (!p->enabled) return;
    uint64_t now = cn_now_ns();
    if (now - p->last_ns < 200000000u && done < p->total) return;
    p->last_ns = now;
    draw(p, done, extra, 0);
}

void cn_progress_finish(cn_progress *p, const char *extra)
{
    if (!p->enabled) return;
    draw(p, p->total, extra, 1);
}
