/* The model's fork-join pool (workers.h). */
#include <stdlib.h>

#include "nn/workers.h"

/* Spin this many polls before sleeping: long enough to bridge the gap
 * between two passes of one training step, short enough to give the core
 * away quickly when the machine is busy. */
#define SPIN_POLLS 4000

typedef struct {
    nn_workers *w;
    int t;
} worker_arg;

static void *worker_main(void *p)
{
    worker_arg a = *(worker_arg *)p;
    free(p);
    nn_workers *w = a.w;
    uint64_t seen = 0;
    for (;;) {
        for (int i = 0; i < SPIN_POLLS && atomic_load(&w->generation) == seen; i++)
            __builtin_ia32_pause();
        pthread_mutex_lock(&w->mu);
        while (atomic_load(&w->generation) == seen && !w->stop) pthread_cond_wait(&w->wake, &w->mu);
        if (w->stop) {
            pthread_mutex_unlock(&w->mu);
            return NULL;
        }
        seen = atomic_load(&w->generation);
        nn_work_fn fn = w->fn;
        void *ctx = w->ctx;
        pthread_mutex_unlock(&w->mu);
        fn(ctx, a.t, w->n);
        if (atomic_fetch_sub(&w->pending, 1) == 1) {
            pthread_mutex_lock(&w->mu);
            pthread_cond_signal(&w->done);
            pthread_mutex_unlock(&w->mu);
        }
    }
}

int nn_workers_start(nn_workers *w, int n)
{
    w->n = n < 1 ? 1 : n;
    w->stop = 0;
    w->fn = NULL;
    w->ctx = NULL;
    atomic_init(&w->generation, 0);
    atomic_init(&w->pending, 0);
    w->tid = calloc((size_t)w->n, sizeof(pthread_t));
    if (!w->tid) return -1;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->wake, NULL);
    pthread_cond_init(&w->done, NULL);
    for (int t = 1; t < w->n; t++) {
        worker_arg *a = malloc(sizeof *a);
        if (a) *a = (worker_arg){w, t};
        if (!a || pthread_create(&w->tid[t], NULL, worker_main, a) != 0) {
            free(a);
            w->n = t; /* stop exactly the threads that exist */
            nn_workers_stop(w);
            return -1;
        }
    }
    return 0;
}

void nn_workers_stop(nn_workers *w)
{
    if (!w->tid) return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
    for (int t = 1; t < w->n; t++) pthread_join(w->tid[t], NULL);
    pthread_cond_destroy(&w->wake);
    pthread_cond_destroy(&w->done);
    pthread_mutex_destroy(&w->mu);
    free(w->tid);
    w->tid = NULL;
}

void nn_workers_run(nn_workers *w, nn_work_fn fn, void *ctx)
{
    if (w->n == 1) {
        fn(ctx, 0, 1);
        return;
    }
    pthread_mutex_lock(&w->mu);
    w->fn = fn;
    w->ctx = ctx;
    atomic_store(&w->pending, w->n - 1);
    atomic_fetch_add(&w->generation, 1);
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->mu);
    fn(ctx, 0, w->n);
    for (int i = 0; i < SPIN_POLLS && atomic_load(&w->pending) > 0; i++) __builtin_ia32_pause();
    pthread_mutex_lock(&w->mu);
    while (atomic_load(&w->pending) > 0) pthread_cond_wait(&w->done, &w->mu);
    pthread_mutex_unlock(&w->mu);
}
