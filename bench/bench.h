/* bench: shared timing and reporting for `cryptonn bench SUITE`.
 * Each suite measures ours and its peers side by side in one run and prints a
 * table (or JSON with --json). */
#ifndef CRYPTONN_BENCH_H
#define CRYPTONN_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef struct {
    int json;       /* --json: machine-readable output on stdout */
    int quick;      /* --quick: fewer repetitions (smoke runs) */
    int threads;    /* --threads N */
    const char *ranks; /* --ranks LIST (bench train): MPI ranks to compare, e.g. "1,2" */
    const char *model, *data, *spec; /* (train) a model file; records and their data spec */
    const char *labels; /* (train) --labels Y.npy: the labels of .npy records */
} bench_opts;

typedef struct {
    double min_ns, median_ns, max_ns; /* per operation */
    int reps;
} bench_stat;

/* Runs fn(ctx) `reps` times, each call doing `ops` operations, and returns
 * per-operation statistics. */
bench_stat bench_measure(void (*fn)(void *), void *ctx, int reps, double ops);

/* Reporting: a suite opens a report, adds rows, and closes it. Each row is one
 * measured quantity for one implementation; peer rows carry a ratio against
 * ours (peer / ours: > 1 means we are faster). */
typedef struct bench_report bench_report;
bench_report *bench_report_open(const char *suite, const bench_opts *o);
void bench_row(bench_report *r, const char *op, const char *impl, bench_stat s, const char *unit);
/* A free-form figure (e.g. a paper's number or an accuracy). */
void bench_value(bench_report *r, const char *name, double value, const char *unit);
void bench_note(bench_report *r, const char *text);
void bench_report_close(bench_report *r);

/* One-line machine description (CPU model, cores) for the report header. */
void bench_machine(char *buf, size_t len);

int bench_group(int argc, char **argv, const bench_opts *o);
int bench_fe(int argc, char **argv, const bench_opts *o);
int bench_nn(int argc, char **argv, const bench_opts *o);
int bench_train(int argc, char **argv, const bench_opts *o);
/* bench train --model FILE [--data FILE --spec FILE]: any model (bench_train_model.c) */
int bench_train_model(const bench_opts *o);
/* Rows "secure batch: <phase>" per batch of a secure epoch's statistics (a
 * cn_secure_stats; fwd_name names the first-layer row); returns the total
 * seconds per batch. */
double bench_secure_phases(bench_report *r, const void *stats, const char *fwd_name);
int bench_service(int argc, char **argv, const bench_opts *o);
int bench_audit(int argc, char **argv, const bench_opts *o);

#endif
