#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cryptonn/cryptonn.h"

int t_passed, t_failed;
uint64_t t_seed;
static uint64_t state;
static const char *test_name;
static char tmpdir[256];

void t_init(const char *name)
{
    test_name = name;
    const char *s = getenv("CRYPTONN_TEST_SEED");
    t_seed = s ? strtoull(s, NULL, 0) : (uint64_t)time(NULL) ^ ((uint64_t)clock() << 32);
    state = t_seed;
    printf("%s: seed %llu (replay with CRYPTONN_TEST_SEED=%llu)\n", name, (unsigned long long)t_seed,
           (unsigned long long)t_seed);
    if (cryptonn_init() != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn_init failed\n");
        exit(1);
    }
}

uint64_t t_rand64(void)
{
    uint64_t z = (state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void t_rand_bytes(void *out, size_t n)
{
    uint8_t *p = out;
    for (size_t i = 0; i < n; i++) p[i] = (uint8_t)t_rand64();
}

int64_t t_rand_range(int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)(hi - lo) + 1;
    return span ? lo + (int64_t)(t_rand64() % span) : (int64_t)t_rand64();
}

long t_iters(long normal, long min)
{
#ifdef CRYPTONN_SANITIZE
    long n = normal / 4;
    return n < min ? min : n;
#else
    (void)min;
    return normal;
#endif
}

const char *t_src_path(char *buf, size_t len, const char *rel)
{
    const char *root = getenv("CRYPTONN_SOURCE_DIR");
    snprintf(buf, len, "%s/%s", root ? root : CRYPTONN_TEST_SOURCE_DIR, rel);
    return buf;
}

const char *t_tmpdir(void)
{
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "/tmp/cryptonn-test-XXXXXX");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(1);
        }
    }
    return tmpdir;
}

int t_done(void)
{
    if (tmpdir[0]) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
        if (system(cmd) != 0) fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    }
    printf("%s: %d passed, %d failed\n", test_name, t_passed, t_failed);
    return t_failed ? 1 : 0;
}
