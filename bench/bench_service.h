/* Shared by the two parts of `cryptonn bench service`: bench_service.c (key
 * requests under load, networked vs in-process training) and
 * bench_owners.c (several owners uploading while the key service is
 * loaded). */
#ifndef CRYPTONN_BENCH_SERVICE_H
#define CRYPTONN_BENCH_SERVICE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "bench.h"

/* Latencies of one route (ms), filled from several threads. */
typedef struct {
    const char *name;
    pthread_mutex_t mu;
    double *v;
    size_t n, cap;
    uint64_t failed;
} bench_lat;
void bench_lat_init(bench_lat *l, const char *name);
void bench_lat_free(bench_lat *l);
/* ms < 0: a failed request. */
void bench_lat_add(bench_lat *l, double ms);
/* Sorts l and returns its q-quantile (0 when empty). */
double bench_lat_q(bench_lat *l, double q);
/* A row (min, median, max) and the values "NAME: requests per second" over
 * wall seconds (none when wall is 0), "NAME: p99" and "NAME: failed". */
void bench_lat_report(bench_report *r, bench_lat *l, double wall);

/* conc keep-alive clients sending key requests (64 keys) to the authority
 * at port until *stop, each request's latency into l. */
typedef struct bench_keyload bench_keyload;
bench_keyload *bench_keyload_start(uint16_t port, const char *token, int conc, uint64_t seed0,
                                   bench_lat *l);
void bench_keyload_stop(bench_keyload *k);

/* Several owners uploading to a training server while the key service is
 * under load (bench_owners.c): dir is scratch, adir the authority's state,
 * aport its port, token the server's token towards it. */
void bench_owners(bench_report *r, const char *dir, const char *adir, uint16_t aport,
                  const char *token, const bench_opts *o);

#endif
