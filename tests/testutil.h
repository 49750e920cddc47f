/* Shared test helpers: checks that count failures, a seeded PRNG whose seed is
 * printed so a failure can be replayed (CRYPTONN_TEST_SEED=...), and the
 * closing "N passed, N failed" line. */
#ifndef CRYPTONN_TESTUTIL_H
#define CRYPTONN_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

extern int t_passed, t_failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) t_passed++;                                                          \
        else {                                                                         \
            t_failed++;                                                                \
            if (t_failed <= 20)                                                        \
                fprintf(stderr, "FAIL %s:%d: %s (seed %llu)\n", __FILE__, __LINE__, #cond, \
                        (unsigned long long)t_seed);                                   \
        }                                                                              \
    } while (0)
#define CHECK_EQ_INT(a, b)                                                             \
    do {                                                                               \
        long long ta_ = (long long)(a), tb_ = (long long)(b);                          \
        if (ta_ == tb_) t_passed++;                                                    \
        else {                                                                         \
            t_failed++;                                                                \
            if (t_failed <= 20)                                                        \
                fprintf(stderr, "FAIL %s:%d: %s == %s (%lld vs %lld, seed %llu)\n", __FILE__, \
                        __LINE__, #a, #b, ta_, tb_, (unsigned long long)t_seed);       \
        }                                                                              \
    } while (0)

extern uint64_t t_seed;
/* Seeds from CRYPTONN_TEST_SEED or the clock; prints the seed; calls cryptonn_init. */
void t_init(const char *name);
/* Prints "NAME: N passed, N failed" and returns the exit status. */
int t_done(void);
/* Deterministic PRNG (splitmix64), seeded by t_init. Not for secrets. */
uint64_t t_rand64(void);
void t_rand_bytes(void *out, size_t n);
/* Uniform in [lo, hi]. */
int64_t t_rand_range(int64_t lo, int64_t hi);
/* Scales an iteration count down under sanitizers (never below min). */
long t_iters(long normal, long min);
/* Path under the source tree (CRYPTONN_SOURCE_DIR, else the tree the test
 * was built from) into buf. */
const char *t_src_path(char *buf, size_t len, const char *rel);
/* A fresh temporary directory for this test (removed by t_done). */
const char *t_tmpdir(void);

#endif
