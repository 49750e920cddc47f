/* Incremental rank of a span of integer vectors modulo 2^61 - 1 (rank.h). */
#include "secure/rank.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

#define Q ((uint64_t)0x1FFFFFFFFFFFFFFFull) /* 2^61 - 1 */

struct cn_rank {
    uint32_t width, rank, cap;
    uint64_t *rows;    /* rank rows of width residues */
    uint32_t *pivot;   /* pivot column of each row */
    uint8_t *is_pivot; /* width flags */
    uint64_t *tmp;     /* width scratch */
};

static inline uint64_t mod_reduce128(unsigned __int128 x)
{
    /* 2^61 ≡ 1 (mod q): fold the high bits twice. */
    uint64_t lo = (uint64_t)x & Q;
    uint64_t hi = (uint64_t)(x >> 61);
    uint64_t s = lo + (hi & Q) + (hi >> 61);
    s = (s & Q) + (s >> 61);
    return s >= Q ? s - Q : s;
}
static inline uint64_t mulmod(uint64_t a, uint64_t b)
{
    return mod_reduce128((unsigned __int128)a * b);
}
static inline uint64_t submod(uint64_t a, uint64_t b)
{
    return a >= b ? a - b : a + Q - b;
}
static inline uint64_t from_i64(int64_t v)
{
    /* |v| computed in unsigned arithmetic so INT64_MIN does not overflow. */
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    a %= Q;
    return v < 0 && a ? Q - a : a;
}

static uint64_t powmod(uint64_t b, uint64_t e)
{
    uint64_t r = 1;
    while (e) {
        if (e & 1) r = mulmod(r, b);
        b = mulmod(b, b);
        e >>= 1;
    }
    return r;
}

cn_rank *cn_rank_create(uint32_t width)
{
    CN_ARG_CHECK(width > 0);
    cn_rank *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->width = width;
    r->is_pivot = calloc(width, 1);
    r->tmp = calloc(width, sizeof(uint64_t));
    r->pivot = calloc(width, sizeof(uint32_t));
    if (!r->is_pivot || !r->tmp || !r->pivot) {
        cn_rank_destroy(r);
        return NULL;
    }
    return r;
}

void cn_rank_destroy(cn_rank *r)
{
    if (!r) return;
    free(r->rows);
    free(r->pivot);
    free(r->is_pivot);
    free(r->tmp);
    free(r);
}

uint32_t cn_rank_get(const cn_rank *r)
{
    return r->rank;
}
uint32_t cn_rank_width(const cn_rank *r)
{
    return r->width;
}

/* Loads the vector into v and reduces it against the basis; returns the first
 * non-zero column after reduction, or width if it lies in the span. */
static int load_reduce(const cn_rank *r, uint64_t *v, const uint32_t *idx, const int64_t *val,
                       size_t nnz, uint32_t *first)
{
    memset(v, 0, sizeof(uint64_t) * r->width);
    for (size_t j = 0; j < nnz; j++) {
        uint32_t c = idx ? idx[j] : (uint32_t)j;
        if (c >= r->width) return CRYPTONN_ERR_ARG;
        v[c] = (v[c] + from_i64(val[j])) % Q;
    }
    for (uint32_t i = 0; i < r->rank; i++) {
        uint64_t f = v[r->pivot[i]];
        if (!f) continue;
        const uint64_t *row = r->rows + (size_t)i * r->width;
        for (uint32_t c = 0; c < r->width; c++)
            if (row[c]) v[c] = submod(v[c], mulmod(f, row[c]));
    }
    uint32_t c = 0;
    while (c < r->width && v[c] == 0)
        c++;
    *first = c;
    return CRYPTONN_OK;
}

int cn_rank_would_grow(const cn_rank *r, const uint32_t *idx, const int64_t *val, size_t nnz)
{
    if (r->rank == r->width) return 0;
    uint32_t first;
    if (load_reduce(r, r->tmp, idx, val, nnz, &first) != CRYPTONN_OK) return 0;
    return first < r->width;
}

int cn_rank_add(cn_rank *r, const uint32_t *idx, const int64_t *val, size_t nnz)
{
    if (r->rank == r->width) {
        for (size_t j = 0; j < nnz; j++)
            if ((idx ? idx[j] : j) >= r->width) return CRYPTONN_ERR_ARG;
        return 0;
    }
    uint32_t p;
    int rc = load_reduce(r, r->tmp, idx, val, nnz, &p);
    if (rc != CRYPTONN_OK) return rc;
    if (p == r->width) return 0;
    if (r->rank == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 16;
        if (cap > r->width) cap = r->width;
        uint64_t *rows = realloc(r->rows, sizeof(uint64_t) * r->width * cap);
        if (!rows) return CRYPTONN_ERR_NOMEM;
        r->rows = rows;
        r->cap = cap;
    }
    uint64_t *nrow = r->rows + (size_t)r->rank * r->width;
    uint64_t inv = powmod(r->tmp[p], Q - 2);
    for (uint32_t c = 0; c < r->width; c++)
        nrow[c] = r->tmp[c] ? mulmod(r->tmp[c], inv) : 0;
    /* Keep the basis fully reduced: clear the new pivot column in every other row. */
    for (uint32_t i = 0; i < r->rank; i++) {
        uint64_t *row = r->rows + (size_t)i * r->width;
        uint64_t f = row[p];
        if (!f) continue;
        for (uint32_t c = 0; c < r->width; c++)
            if (nrow[c]) row[c] = submod(row[c], mulmod(f, nrow[c]));
    }
    r->pivot[r->rank++] = p;
    r->is_pivot[p] = 1;
    return 1;
}
