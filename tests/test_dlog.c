/* dlog: every value of a range, the ±bound edges, out of range, the batch
 * form against the single one, the cache (built, reused, corrupt → rebuilt,
 * stale → rebuilt) and concurrent readers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/dlog.h"
#include "dlog/dlog.h"
#include "testutil.h"
#include "util/util.h"

static void point_of(ge25519 *r, int64_t k)
{
    sc25519 s;
    sc25519_from_i64(&s, k);
    ge25519_scalarmult_base(r, &s);
}

/* Solves every k in [-M-extra, M+extra] in batches; values beyond M must fail. */
static void sweep(const cryptonn_dlog *d, int64_t M, int64_t extra)
{
    int64_t lo = -M - extra, hi = M + extra;
    size_t n = (size_t)(hi - lo + 1);
    ge25519 *p = malloc(n * sizeof *p);
    int64_t *m = malloc(n * sizeof *m);
    int *st = malloc(n * sizeof *st);
    ge25519 g;
    ge25519_base(&g);
    point_of(&p[0], lo);
    for (size_t i = 1; i < n; i++) ge25519_add(&p[i], &p[i - 1], &g);
    dlog_ws *w = dlog_ws_create(97);
    int good = 1;
    for (size_t off = 0; off < n; off += 97) {
        size_t len = n - off < 97 ? n - off : 97;
        (void)!dlog_solve_batch_var(d, m + off, st + off, p + off, len, w);
    }
    for (size_t i = 0; i < n; i++) {
        int64_t k = lo + (int64_t)i;
        int in = k >= -M && k <= M;
        if (in ? (st[i] != CRYPTONN_OK || m[i] != k) : (st[i] != CRYPTONN_ERR_RANGE || m[i] != 0)) {
            if (good) fprintf(stderr, "sweep: k=%lld st=%d m=%lld\n", (long long)k, st[i], (long long)m[i]);
            good = 0;
        }
    }
    CHECK(good);
    /* The single-element path agrees on a sample. */
    int single = 1;
    for (size_t i = 0; i < n; i += 1 + n / 50) {
        int64_t v;
        int rc = dlog_solve_point_var(d, &v, &p[i]);
        if (rc != st[i] || v != m[i]) single = 0;
    }
    CHECK(single);
    dlog_ws_destroy(w);
    free(p);
    free(m);
    free(st);
}

static int write_raw(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static void test_cache(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/dlog.cache", t_tmpdir());
    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 700, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 0);
    cryptonn_dlog_destroy(d);
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 700, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 1);
    sweep(d, 5000, 3);
    cryptonn_dlog_destroy(d);

    uint8_t *buf;
    size_t len;
    CHECK_EQ_INT(cn_file_read_all(path, 1 << 24, &buf, &len), CRYPTONN_OK);
    /* A flipped byte in the table: checksum fails, rebuilt, rewritten. */
    buf[len / 2] ^= 0x40;
    write_raw(path, buf, len);
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 700, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 0);
    sweep(d, 5000, 2);
    cryptonn_dlog_destroy(d);
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 700, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 1);
    cryptonn_dlog_destroy(d);
    buf[len / 2] ^= 0x40;
    /* Truncated. */
    write_raw(path, buf, len - 100);
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 700, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 0);
    cryptonn_dlog_destroy(d);
    /* A cache for another table size is not used. */
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 600, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 0);
    sweep(d, 5000, 2);
    cryptonn_dlog_destroy(d);
    /* A well-formed container with wrong tags (a stale fingerprint
     * definition, or forged): the spot check refuses it. */
    uint8_t head[16];
    size_t count = 2 * 600 + 1;
    uint8_t *tags = malloc(count * 8);
    t_rand_bytes(tags, count * 8);
    cn_store_u32(head, 1);
    cn_store_u32(head + 4, 0);
    cn_store_u64(head + 8, 600);
    cn_part parts[2] = {{head, 16}, {tags, count * 8}};
    CHECK_EQ_INT(cn_container_write(path, "DLOG", 1, parts, 2, 0644), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 5000, 600, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_dlog_from_cache(d), 0);
    sweep(d, 5000, 1);
    cryptonn_dlog_destroy(d);
    free(tags);
    free(buf);
    /* An unwritable cache path is not an error. */
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 100, 10, "/nonexistent-dir/x/cache"), CRYPTONN_OK);
    sweep(d, 100, 2);
    cryptonn_dlog_destroy(d);
}

/* The cache reader under mutation: whatever the file holds, a solver comes
 * back and solves correctly (from the cache only if the file was intact). */
static void fuzz_cache(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/fuzz.cache", t_tmpdir());
    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 400, 40, path), CRYPTONN_OK);
    cryptonn_dlog_destroy(d);
    uint8_t *good, *m;
    size_t len;
    CHECK_EQ_INT(cn_file_read_all(path, 1 << 20, &good, &len), CRYPTONN_OK);
    m = malloc(len + 64);
    int ok = 1, reused = 0;
    long iters = t_iters(120, 40);
    for (long i = 0; i < iters; i++) {
        memcpy(m, good, len);
        size_t n = len;
        switch (t_rand64() % 3) {
        case 0: m[t_rand64() % len] ^= (uint8_t)(1u << (t_rand64() % 8)); break;
        case 1: n = (size_t)t_rand_range(0, (int64_t)len - 1); break;
        default: n = len + (size_t)t_rand_range(1, 64); t_rand_bytes(m + len, n - len); break;
        }
        write_raw(path, m, n);
        if (cryptonn_dlog_create(&d, 400, 40, path) != CRYPTONN_OK) {
            ok = 0;
            continue;
        }
        reused += cryptonn_dlog_from_cache(d);
        for (int k = -400; k <= 400; k += 57) {
            ge25519 p;
            int64_t v;
            point_of(&p, k);
            if (dlog_solve_point_var(d, &v, &p) != CRYPTONN_OK || v != k) ok = 0;
        }
        cryptonn_dlog_destroy(d);
    }
    CHECK(ok);
    CHECK(reused < iters);
    free(m);
    free(good);
}

int main(void)
{
    t_init("test_dlog");
    cryptonn_dlog *d;
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 0, 0, NULL), CRYPTONN_ERR_ARG);
    CHECK(d == NULL);
    CHECK_EQ_INT(cryptonn_dlog_create(&d, CRYPTONN_DLOG_MAX_BOUND + 1, 0, NULL), CRYPTONN_ERR_ARG);

    /* Table covers everything; table of 1 (every value a giant step);
     * a middling table whose last giant step overshoots the bound. */
    const uint64_t cfg[][2] = {{300, 300}, {300, 1}, {2000, 37}, {1, 0}, {5000, 5000}};
    for (size_t c = 0; c < sizeof cfg / sizeof cfg[0]; c++) {
        CHECK_EQ_INT(cryptonn_dlog_create(&d, cfg[c][0], cfg[c][1], NULL), CRYPTONN_OK);
        CHECK(cryptonn_dlog_table_half(d) <= cfg[c][0]);
        sweep(d, (int64_t)cfg[c][0], 5);
        cryptonn_dlog_destroy(d);
    }

    /* The public entry point on encodings; a random element is out of range;
     * a bad encoding is an encoding error. */
    CHECK_EQ_INT(cryptonn_dlog_create(&d, 100000, 1000, NULL), CRYPTONN_OK);
    int ok = 1;
    for (int i = 0; i < t_iters(200, 20); i++) {
        int64_t k = t_rand_range(-100000, 100000);
        ge25519 p;
        point_of(&p, k);
        uint8_t e[32];
        ge25519_encode(e, &p);
        int64_t v;
        if (cryptonn_dlog_solve_var(d, e, &v) != CRYPTONN_OK || v != k) ok = 0;
    }
    CHECK(ok);
    ge25519 p;
    point_of(&p, 100001);
    uint8_t e[32];
    ge25519_encode(e, &p);
    int64_t v = 7;
    CHECK_EQ_INT(cryptonn_dlog_solve_var(d, e, &v), CRYPTONN_ERR_RANGE);
    CHECK_EQ_INT(v, 0);
    sc25519 s;
    sc25519_random(&s);
    ge25519_scalarmult_base(&p, &s);
    ge25519_encode(e, &p);
    CHECK_EQ_INT(cryptonn_dlog_solve_var(d, e, &v), CRYPTONN_ERR_RANGE);
    memset(e, 0xff, 32);
    CHECK_EQ_INT(cryptonn_dlog_solve_var(d, e, &v), CRYPTONN_ERR_ENCODING);
    /* The identity is 0. */
    ge25519_identity(&p);
    ge25519_encode(e, &p);
    CHECK_EQ_INT(cryptonn_dlog_solve_var(d, e, &v), CRYPTONN_OK);
    CHECK_EQ_INT(v, 0);

    /* Concurrent readers of one solver. */
    int bad = 0;
#pragma omp parallel for reduction(+ : bad)
    for (int i = 0; i < 64; i++) {
        int64_t k = (int64_t)(i * 3119 % 200001) - 100000, r;
        ge25519 q;
        point_of(&q, k);
        if (dlog_solve_point_var(d, &r, &q) != CRYPTONN_OK || r != k) bad++;
    }
    CHECK_EQ_INT(bad, 0);
    cryptonn_dlog_destroy(d);

    test_cache();
    fuzz_cache();
    return t_done();
}
