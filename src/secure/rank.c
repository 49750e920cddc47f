/* Incremental rank of a span of integer vectors modulo ℓ (rank.h). */
#include "secure/rank.h"

#include <stdlib.h>
#include <string.h>

#include "util/util.h"

/* ℓ in four little-endian 64-bit limbs. */
static const uint64_t L[4] = {0x5812631a5cf5d3edull, 0x14def9dea2f79cd6ull, 0,
                              0x1000000000000000ull};

typedef struct {
    uint64_t v[4];
} res; /* a residue mod ℓ in Montgomery form (a·2^256 mod ℓ), fully reduced */

struct cn_rank {
    uint32_t width, rank, cap;
    uint64_t n0;       /* −ℓ^−1 mod 2^64 */
    res r2;            /* 2^512 mod ℓ: converts into Montgomery form */
    res one;           /* 2^256 mod ℓ: Montgomery form of 1 */
    res *rows;         /* rank rows of width residues */
    uint32_t *pivot;   /* pivot column of each row */
    res *tmp;          /* width scratch */
};

static int is_zero(const res *a)
{
    return (a->v[0] | a->v[1] | a->v[2] | a->v[3]) == 0;
}

static int geq_l(const uint64_t a[4])
{
    for (int i = 3; i >= 0; i--) {
        if (a[i] != L[i]) return a[i] > L[i];
    }
    return 1;
}

static void sub_l(uint64_t a[4])
{
    unsigned __int128 borrow = 0;
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)a[i] - L[i] - borrow;
        a[i] = (uint64_t)d;
        borrow = (d >> 64) ? 1 : 0;
    }
}

static void add_mod(res *r, const res *a, const res *b)
{
    unsigned __int128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (unsigned __int128)a->v[i] + b->v[i];
        r->v[i] = (uint64_t)c;
        c >>= 64;
    }
    /* a, b < ℓ < 2^253: the sum fits 4 limbs */
    if (geq_l(r->v)) sub_l(r->v);
}

static void sub_mod(res *r, const res *a, const res *b)
{
    unsigned __int128 borrow = 0;
    uint64_t t[4];
    for (int i = 0; i < 4; i++) {
        unsigned __int128 d = (unsigned __int128)a->v[i] - b->v[i] - borrow;
        t[i] = (uint64_t)d;
        borrow = (d >> 64) ? 1 : 0;
    }
    if (borrow) { /* add ℓ back */
        unsigned __int128 c = 0;
        for (int i = 0; i < 4; i++) {
            c += (unsigned __int128)t[i] + L[i];
            t[i] = (uint64_t)c;
            c >>= 64;
        }
    }
    memcpy(r->v, t, sizeof t);
}

/* Montgomery product a·b·2^−256 mod ℓ (CIOS). */
static void mont_mul(const cn_rank *k, res *r, const res *a, const res *b)
{
    uint64_t t[6] = {0};
    for (int i = 0; i < 4; i++) {
        unsigned __int128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (unsigned __int128)a->v[j] * b->v[i] + t[j];
            t[j] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[4] = (uint64_t)c;
        t[5] = (uint64_t)(c >> 64);
        uint64_t m = t[0] * k->n0;
        c = (unsigned __int128)m * L[0] + t[0];
        c >>= 64;
        for (int j = 1; j < 4; j++) {
            c += (unsigned __int128)m * L[j] + t[j];
            t[j - 1] = (uint64_t)c;
            c >>= 64;
        }
        c += t[4];
        t[3] = (uint64_t)c;
        t[4] = t[5] + (uint64_t)(c >> 64);
    }
    memcpy(r->v, t, 4 * sizeof(uint64_t));
    if (t[4] || geq_l(r->v)) sub_l(r->v);
}

static void from_i64(const cn_rank *k, res *r, int64_t v)
{
    /* |v| in unsigned arithmetic so INT64_MIN does not overflow */
    uint64_t a = v < 0 ? (uint64_t)(-(v + 1)) + 1 : (uint64_t)v;
    res x = {{a, 0, 0, 0}};
    mont_mul(k, r, &x, &k->r2);
    if (v < 0 && !is_zero(r)) {
        res z = {{0}};
        sub_mod(r, &z, r);
    }
}

static void invert(const cn_rank *k, res *r, const res *a)
{
    /* a^(ℓ−2) by square-and-multiply over the exponent's bits */
    uint64_t e[4] = {L[0] - 2, L[1], L[2], L[3]};
    res acc = k->one, base = *a;
    for (int i = 0; i < 4; i++)
        for (int b = 0; b < 64; b++) {
            if ((e[i] >> b) & 1) mont_mul(k, &acc, &acc, &base);
            mont_mul(k, &base, &base, &base);
        }
    *r = acc;
}

cn_rank *cn_rank_create(uint32_t width)
{
    CN_ARG_CHECK(width > 0);
    cn_rank *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->width = width;
    r->tmp = calloc(width, sizeof(res));
    r->pivot = calloc(width, sizeof(uint32_t));
    if (!r->tmp || !r->pivot) {
        cn_rank_destroy(r);
        return NULL;
    }
    /* Newton's iteration doubles the correct low bits of ℓ^−1 mod 2^64 */
    uint64_t inv = 1;
    for (int i = 0; i < 6; i++) inv *= 2 - L[0] * inv;
    r->n0 = (uint64_t)0 - inv;
    /* 2^256 and 2^512 mod ℓ by doubling 1 */
    res x = {{1, 0, 0, 0}};
    for (int i = 1; i <= 512; i++) {
        add_mod(&x, &x, &x);
        if (i == 256) r->one = x;
    }
    r->r2 = x;
    return r;
}

void cn_rank_destroy(cn_rank *r)
{
    if (!r) return;
    free(r->rows);
    free(r->pivot);
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

/* Loads the vector into v and reduces it against the basis; *first gets
 * the first non-zero column after reduction, or width if it lies in the span. */
static int load_reduce(const cn_rank *r, res *v, const uint32_t *idx, const int64_t *val,
                       size_t nnz, uint32_t *first)
{
    memset(v, 0, sizeof(res) * r->width);
    for (size_t j = 0; j < nnz; j++) {
        uint32_t c = idx ? idx[j] : (uint32_t)j;
        if (c >= r->width) return CRYPTONN_ERR_ARG;
        res t;
        from_i64(r, &t, val[j]);
        add_mod(&v[c], &v[c], &t);
    }
    for (uint32_t i = 0; i < r->rank; i++) {
        res f = v[r->pivot[i]];
        if (is_zero(&f)) continue;
        const res *row = r->rows + (size_t)i * r->width;
        for (uint32_t c = 0; c < r->width; c++)
            if (!is_zero(&row[c])) {
                res t;
                mont_mul(r, &t, &f, &row[c]);
                sub_mod(&v[c], &v[c], &t);
            }
    }
    uint32_t c = 0;
    while (c < r->width && is_zero(&v[c])) c++;
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
    CN_TRY(load_reduce(r, r->tmp, idx, val, nnz, &p));
    if (p == r->width) return 0;
    if (r->rank == r->cap) {
        uint32_t cap = r->cap ? r->cap * 2 : 16;
        if (cap > r->width) cap = r->width;
        res *rows = realloc(r->rows, sizeof(res) * r->width * cap);
        if (!rows) return CRYPTONN_ERR_NOMEM;
        r->rows = rows;
        r->cap = cap;
    }
    res *nrow = r->rows + (size_t)r->rank * r->width;
    res inv;
    invert(r, &inv, &r->tmp[p]);
    for (uint32_t c = 0; c < r->width; c++) {
        if (is_zero(&r->tmp[c])) memset(&nrow[c], 0, sizeof(res));
        else mont_mul(r, &nrow[c], &r->tmp[c], &inv);
    }
    /* Keep the basis fully reduced: clear the new pivot column in every other row. */
    for (uint32_t i = 0; i < r->rank; i++) {
        res *row = r->rows + (size_t)i * r->width;
        res f = row[p];
        if (is_zero(&f)) continue;
        for (uint32_t c = 0; c < r->width; c++)
            if (!is_zero(&nrow[c])) {
                res t;
                mont_mul(r, &t, &f, &nrow[c]);
                sub_mod(&row[c], &row[c], &t);
            }
    }
    r->pivot[r->rank++] = p;
    return 1;
}
