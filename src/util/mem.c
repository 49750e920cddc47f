#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include <sodium.h>

#include "util/util.h"

void cn_illegal_argument(const char *what, const char *file, int line)
{
    fprintf(stderr, "cryptonn: illegal argument: %s (%s:%d)\n", what, file, line);
    abort();
}

void cn_wipe(void *p, size_t len)
{
    if (p && len) sodium_memzero(p, len);
}

void cn_free_secret(void *p, size_t len)
{
    if (!p) return;
    cn_wipe(p, len);
    free(p);
}

void cn_random_bytes(void *out, size_t len) { randombytes_buf(out, len); }

void *cn_calloc(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) cn_illegal_argument("n*size overflows", __FILE__, __LINE__);
    return calloc(n ? n : 1, size ? size : 1);
}

void *cn_malloc_array(size_t n, size_t size)
{
    if (size && n > SIZE_MAX / size) cn_illegal_argument("n*size overflows", __FILE__, __LINE__);
    size_t total = n * size;
    return malloc(total ? total : 1);
}

void *cn_alloc_large(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < 4 * huge) return malloc(n ? n : 1);
    size_t rounded = (n + huge - 1) / huge * huge;
    void *p = aligned_alloc(huge, rounded);
    if (p) (void)madvise(p, rounded, MADV_HUGEPAGE);
    return p;
}

uint64_t cn_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}
