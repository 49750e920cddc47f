/* Bounded discrete log: baby-step table + giant steps (dlog.h).
 *
 * Cost of one solve: one fingerprint per giant step tried (two points per
 * step, one each direction), plus one multiplication to confirm a hit found
 * by a giant step. FE results mostly fall inside the table, so the
 * common case is one fingerprint and one probe; the batch form shares one
 * field inversion among all the elements of a batch. */
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dlog/dlog.h"
#include "util/util.h"

#define DLOG_GROUP_RISTRETTO255 1u
#define DLOG_CACHE_VERSION 1u
#define DLOG_BUILD_CHUNK 1024
#define DLOG_DEFAULT_T ((uint64_t)1 << 18)

struct cryptonn_dlog {
    uint64_t bound;
    uint64_t T;
    uint64_t step;   /* 2T+1 */
    uint64_t giants; /* giant steps per direction */
    ge25519 G;       /* step·g */
    /* One u64 per slot: the high bits of the tag above vbits, k + T below
     * (one cache line touched per probe). 0 = empty. */
    uint64_t *slots;
    uint64_t vmask;
    size_t mask;
    int from_cache;
};

struct dlog_ws {
    size_t cap;
    ge25519 *pts;       /* 2·cap: pairs (P - sG, P + sG) */
    uint8_t (*fp)[32];  /* 2·cap */
    fe25519 *scratch;   /* 2·cap */
    uint32_t *pending;  /* cap */
};

static size_t hash_index(const cryptonn_dlog *d, uint64_t tag)
{
    return (size_t)((tag ^ (tag >> 29)) * 0xBF58476D1CE4E5B9ull >> 20) & d->mask;
}

/* The stored part of a tag: its bits above vmask, never all zero. */
static uint64_t high_tag(const cryptonn_dlog *d, uint64_t tag)
{
    uint64_t h = tag & ~d->vmask;
    return h ? h : d->vmask + 1;
}

/* Returns 1 and *k when the tag is a baby step. */
static int lookup(const cryptonn_dlog *d, uint64_t tag, int64_t *k)
{
    uint64_t h = high_tag(d, tag);
    size_t i = hash_index(d, tag);
    for (;;) {
        uint64_t e = d->slots[i];
        if (e == 0) return 0;
        if ((e & ~d->vmask) == h) {
            *k = (int64_t)(e & d->vmask) - (int64_t)d->T;
            return 1;
        }
        i = (i + 1) & d->mask;
    }
}

static void insert(cryptonn_dlog *d, uint64_t tag, int64_t k)
{
    uint64_t h = high_tag(d, tag);
    size_t i = hash_index(d, tag);
    while (d->slots[i] != 0) {
        if ((d->slots[i] & ~d->vmask) == h) return; /* tag collision: keep the first */
        i = (i + 1) & d->mask;
    }
    d->slots[i] = h | (uint64_t)(k + (int64_t)d->T);
}

/* The zeroed slot array, in 2 MiB pages where the kernel allows: every
 * probe is a random access into tens of MB, and with 4 KiB pages each one
 * also missed the TLB (a page walk on top of the cache miss). */
static uint64_t *slots_alloc(size_t cap)
{
    const size_t huge = (size_t)2 << 20, bytes = (cap * sizeof(uint64_t) + huge - 1) / huge * huge;
    uint64_t *s = aligned_alloc(huge, bytes);
    if (!s) return NULL;
    (void)madvise(s, bytes, MADV_HUGEPAGE); /* advice only: 4 KiB pages work too */
    memset(s, 0, bytes);
    return s;
}

static void point_of_i64(ge25519 *r, int64_t k)
{
    sc25519 s;
    sc25519_from_i64(&s, k);
    ge25519_scalarmult_base(r, &s);
}

/* ordered[i] = tag of g^{i-T}, i in [0, 2T]. Chunks start from an
 * independent multiplication, so they run in parallel. */
static int build_tags(uint64_t T, uint64_t *ordered)
{
    uint64_t count = 2 * T + 1;
    uint64_t nchunks = (count + DLOG_BUILD_CHUNK - 1) / DLOG_BUILD_CHUNK;
    int failed = 0;
#pragma omp parallel
    {
        ge25519 *pts = cn_malloc_array(DLOG_BUILD_CHUNK, sizeof *pts);
        uint8_t (*fp)[32] = cn_malloc_array(DLOG_BUILD_CHUNK, 32);
        fe25519 *scratch = cn_malloc_array(DLOG_BUILD_CHUNK, sizeof *scratch);
        if (!pts || !fp || !scratch) {
#pragma omp atomic write
            failed = 1;
        } else {
            ge25519 g;
            ge25519_base(&g);
#pragma omp for schedule(dynamic, 4)
            for (uint64_t c = 0; c < nchunks; c++) {
                uint64_t lo = c * DLOG_BUILD_CHUNK;
                size_t len = (size_t)(count - lo < DLOG_BUILD_CHUNK ? count - lo : DLOG_BUILD_CHUNK);
                point_of_i64(&pts[0], (int64_t)lo - (int64_t)T);
                for (size_t i = 1; i < len; i++) ge25519_add(&pts[i], &pts[i - 1], &g);
                ge25519_fingerprint_batch_var(fp, pts, len, scratch);
                for (size_t i = 0; i < len; i++) ordered[lo + i] = dlog_tag(fp[i]);
            }
        }
        free(pts);
        free(fp);
        free(scratch);
    }
    return failed ? CRYPTONN_ERR_NOMEM : CRYPTONN_OK;
}

/* A cache is trusted only if its checksum holds AND a few entries recomputed
 * here agree: that catches a table written by a build whose fingerprint
 * differs (the checksum alone would not). */
static int spot_check(uint64_t T, const uint8_t *tags)
{
    int64_t probes[19] = {-(int64_t)T, 0, (int64_t)T};
    uint8_t rnd[16 * 8];
    cn_random_bytes(rnd, sizeof rnd);
    for (int i = 0; i < 16; i++)
        probes[3 + i] = (int64_t)(cn_load_u64(rnd + 8 * i) % (2 * T + 1)) - (int64_t)T;
    ge25519 p[19];
    uint8_t fp[19][32];
    fe25519 scratch[19];
    for (int i = 0; i < 19; i++) point_of_i64(&p[i], probes[i]);
    ge25519_fingerprint_batch_var(fp, p, 19, scratch);
    for (int i = 0; i < 19; i++)
        if (cn_load_u64(tags + 8 * (size_t)(probes[i] + (int64_t)T)) != dlog_tag(fp[i]))
            return CRYPTONN_ERR_FORMAT;
    return CRYPTONN_OK;
}

static int load_cache(cryptonn_dlog *d, const char *path)
{
    uint64_t count = 2 * d->T + 1;
    size_t want = 16 + (size_t)count * 8;
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_read(path, "DLOG", DLOG_CACHE_VERSION, want, &file, &pl, &plen));
    int rc = CRYPTONN_OK;
    if (plen != want || cn_load_u32(pl) != DLOG_GROUP_RISTRETTO255 || cn_load_u32(pl + 4) != 0 ||
        cn_load_u64(pl + 8) != d->T)
        rc = CRYPTONN_ERR_FORMAT;
    if (rc == CRYPTONN_OK) rc = spot_check(d->T, pl + 16);
    if (rc == CRYPTONN_OK)
        for (uint64_t i = 0; i < count; i++) {
            uint64_t t = cn_load_u64(pl + 16 + 8 * i);
            if (t == 0) {
                rc = CRYPTONN_ERR_FORMAT;
                break;
            }
            insert(d, t, (int64_t)i - (int64_t)d->T);
        }
    free(file);
    return rc;
}

static void save_cache(const cryptonn_dlog *d, const char *path, const uint64_t *ordered)
{
    uint64_t count = 2 * d->T + 1;
    uint8_t head[16];
    cn_store_u32(head, DLOG_GROUP_RISTRETTO255);
    cn_store_u32(head + 4, 0);
    cn_store_u64(head + 8, d->T);
    uint8_t *body = cn_malloc_array((size_t)count, 8);
    if (!body) return;
    for (uint64_t i = 0; i < count; i++) cn_store_u64(body + 8 * i, ordered[i]);
    cn_part parts[2] = {{head, sizeof head}, {body, (size_t)count * 8}};
    /* Best effort: a read-only cache directory only costs a rebuild next time. */
    (void)!cn_container_write(path, "DLOG", DLOG_CACHE_VERSION, parts, 2, 0644);
    free(body);
}

int cryptonn_dlog_create(cryptonn_dlog **out, uint64_t bound, uint64_t table_half,
                         const char *cache_path)
{
    CN_ARG_CHECK(out != NULL);
    *out = NULL;
    if (bound == 0 || bound > CRYPTONN_DLOG_MAX_BOUND || table_half > CRYPTONN_DLOG_MAX_TABLE)
        return CRYPTONN_ERR_ARG;
    uint64_t T = table_half ? table_half : DLOG_DEFAULT_T;
    if (T > bound) T = bound;

    cryptonn_dlog *d = calloc(1, sizeof *d);
    if (!d) return CRYPTONN_ERR_NOMEM;
    d->bound = bound;
    d->T = T;
    d->step = 2 * T + 1;
    d->giants = bound > T ? (bound - T + d->step - 1) / d->step : 0;
    point_of_i64(&d->G, (int64_t)d->step);

    uint64_t count = 2 * T + 1;
    size_t cap = 16;
    while (cap < count + count / 2) cap <<= 1;
    d->mask = cap - 1;
    unsigned vbits = 1;
    while ((count >> vbits) != 0) vbits++;
    d->vmask = ((uint64_t)1 << vbits) - 1;
    d->slots = slots_alloc(cap);
    if (!d->slots) {
        cryptonn_dlog_destroy(d);
        return CRYPTONN_ERR_NOMEM;
    }

    if (cache_path && load_cache(d, cache_path) == CRYPTONN_OK) {
        d->from_cache = 1;
        *out = d;
        return CRYPTONN_OK;
    }
    memset(d->slots, 0, cap * sizeof *d->slots); /* a rejected cache may have filled some */

    uint64_t *ordered = cn_malloc_array((size_t)count, sizeof *ordered);
    int rc = ordered ? build_tags(T, ordered) : CRYPTONN_ERR_NOMEM;
    if (rc != CRYPTONN_OK) {
        free(ordered);
        cryptonn_dlog_destroy(d);
        return rc;
    }
    for (uint64_t i = 0; i < count; i++) insert(d, ordered[i], (int64_t)i - (int64_t)T);
    if (cache_path) save_cache(d, cache_path, ordered);
    free(ordered);
    *out = d;
    return CRYPTONN_OK;
}

void cryptonn_dlog_destroy(cryptonn_dlog *d)
{
    if (!d) return;
    free(d->slots);
    free(d);
}

uint64_t cryptonn_dlog_bound(const cryptonn_dlog *d) { return d->bound; }
uint64_t cryptonn_dlog_table_half(const cryptonn_dlog *d) { return d->T; }
int cryptonn_dlog_from_cache(const cryptonn_dlog *d) { return d->from_cache; }

/* The shared solver: pts/fp/scratch hold 2·n, pending n. */
static int solve_core(const cryptonn_dlog *d, int64_t *m, int *status, const ge25519 *p, size_t n,
                      ge25519 *pts, uint8_t (*fp)[32], fe25519 *scratch, uint32_t *pending)
{
    size_t np = 0;
    ge25519_fingerprint_batch_var(fp, p, n, scratch);
    /* The table is far larger than the caches: start every probe's load
     * before the first comparison. */
    for (size_t i = 0; i < n; i++) __builtin_prefetch(&d->slots[hash_index(d, dlog_tag(fp[i]))]);
    for (size_t i = 0; i < n; i++) {
        int64_t k;
        if (lookup(d, dlog_tag(fp[i]), &k)) {
            m[i] = k;
            if (status) status[i] = CRYPTONN_OK;
        } else {
            pending[np] = (uint32_t)i;
            pts[2 * np] = p[i];
            pts[2 * np + 1] = p[i];
            np++;
        }
    }
    for (uint64_t s = 1; s <= d->giants && np > 0; s++) {
        for (size_t j = 0; j < np; j++) {
            ge25519_sub(&pts[2 * j], &pts[2 * j], &d->G);
            ge25519_add(&pts[2 * j + 1], &pts[2 * j + 1], &d->G);
        }
        ge25519_fingerprint_batch_var(fp, pts, 2 * np, scratch);
        size_t keep = 0;
        int64_t off = (int64_t)(s * d->step);
        for (size_t j = 0; j < np; j++) {
            int64_t k, v = 0;
            int hit = 0;
            if (lookup(d, dlog_tag(fp[2 * j]), &k)) { /* P - sG = g^k */
                v = k + off;
                hit = 1;
            } else if (lookup(d, dlog_tag(fp[2 * j + 1]), &k)) { /* P + sG = g^k */
                v = k - off;
                hit = 1;
            }
            /* A giant-step hit is checked against the element itself: a
             * failing (wrong-key) result probes every giant step, and each
             * probe could match a truncated tag by chance. */
            if (hit && (uint64_t)(v < 0 ? -v : v) <= d->bound) {
                ge25519 q;
                point_of_i64(&q, v);
                hit = ge25519_eq(&q, &p[pending[j]]);
            }
            if (hit && (uint64_t)(v < 0 ? -v : v) <= d->bound) {
                m[pending[j]] = v;
                if (status) status[pending[j]] = CRYPTONN_OK;
            } else {
                pending[keep] = pending[j];
                pts[2 * keep] = pts[2 * j];
                pts[2 * keep + 1] = pts[2 * j + 1];
                keep++;
            }
        }
        np = keep;
    }
    for (size_t j = 0; j < np; j++) {
        m[pending[j]] = 0;
        if (status) status[pending[j]] = CRYPTONN_ERR_RANGE;
    }
    return np ? CRYPTONN_ERR_RANGE : CRYPTONN_OK;
}

dlog_ws *dlog_ws_create(size_t cap)
{
    CN_ARG_CHECK(cap > 0 && cap <= UINT32_MAX);
    dlog_ws *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    w->cap = cap;
    w->pts = cn_malloc_array(2 * cap, sizeof *w->pts);
    w->fp = cn_malloc_array(2 * cap, 32);
    w->scratch = cn_malloc_array(2 * cap, sizeof *w->scratch);
    w->pending = cn_malloc_array(cap, sizeof *w->pending);
    if (!w->pts || !w->fp || !w->scratch || !w->pending) {
        dlog_ws_destroy(w);
        return NULL;
    }
    return w;
}

void dlog_ws_destroy(dlog_ws *w)
{
    if (!w) return;
    free(w->pts);
    free(w->fp);
    free(w->scratch);
    free(w->pending);
    free(w);
}

size_t dlog_ws_cap(const dlog_ws *w) { return w->cap; }

int dlog_solve_batch_var(const cryptonn_dlog *d, int64_t *m, int *status, const ge25519 *p,
                         size_t n, dlog_ws *w)
{
    CN_ARG_CHECK(n <= w->cap);
    if (n == 0) return CRYPTONN_OK;
    return solve_core(d, m, status, p, n, w->pts, w->fp, w->scratch, w->pending);
}

int dlog_solve_point_var(const cryptonn_dlog *d, int64_t *m, const ge25519 *p)
{
    ge25519 pts[2];
    uint8_t fp[2][32];
    fe25519 scratch[2];
    uint32_t pending[1];
    return solve_core(d, m, NULL, p, 1, pts, fp, scratch, pending);
}

int cryptonn_dlog_solve_var(const cryptonn_dlog *d, const uint8_t enc[32], int64_t *m)
{
    CN_ARG_CHECK(d != NULL && enc != NULL && m != NULL);
    *m = 0;
    ge25519 p;
    CN_TRY(ge25519_decode(&p, enc));
    return dlog_solve_point_var(d, m, &p);
}
