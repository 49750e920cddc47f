/* nn internals: a small fork-join pool owned by one model.
 *
 * Why not OpenMP: libgomp's idle threads spin (OMP_WAIT_POLICY can only be
 * set before the process starts), and on a machine shared with other work a
 * spinning thread takes the core from the very thread it waits for: epochs
 * ran 3× slower under load than with a passive wait. Here a waiting thread
 * spins briefly, then sleeps on a condition variable.
 *
 * nn_workers_run(w, fn, ctx) calls fn(ctx, t, n) on every thread t in [0, n)
 * — the caller is thread 0 — and returns when all have returned. One run at
 * a time; not reentrant. */
#ifndef CRYPTONN_NN_WORKERS_H
#define CRYPTONN_NN_WORKERS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

typedef void (*nn_work_fn)(void *ctx, int t, int n);

typedef struct {
    int n; /* threads including the caller */
    pthread_t *tid;
    pthread_mutex_t mu;
    pthread_cond_t wake, done;
    _Atomic uint64_t generation; /* bumped once per run */
    _Atomic int pending;         /* workers still running the current job */
    int stop;
    nn_work_fn fn;
    void *ctx;
} nn_workers;

/* Starts n − 1 threads. Returns 0, or −1 when a thread cannot be created
 * (then nothing is left running). */
int nn_workers_start(nn_workers *w, int n);
void nn_workers_stop(nn_workers *w);
void nn_workers_run(nn_workers *w, nn_work_fn fn, void *ctx);

#endif
