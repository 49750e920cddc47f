/* The linear attack (audit.h): what linear algebra alone gets from z = Y·x.
 *
 * Exact part. Features are integers, so a feature j is known exactly as soon
 * as e_j lies in span(Y): x_j = c·z for the c with c·Y = e_j. The span is
 * computed exactly, in reduced row-echelon form modulo a prime p, each
 * basis row carrying its coefficients over the keys that entered the basis
 * (so c is at hand). Residues agree with rational arithmetic unless p
 * divides a minor of Y; p is a random 62-bit prime (below), so that is
 * negligible whoever chose the keys. A determined value outside the
 * feature's bounds would expose such an accident and is not used.
 *
 * The rest. The minimum-norm least-squares solution x_ls = Y⁺z (the
 * projection of x onto the span), from a thin SVD Y = U Σ Vᵀ (LAPACK's
 * dgesdd in OpenBLAS): coordinates c = Σ⁻¹ Uᵀ z in the orthonormal basis V,
 * x_ls = V c. Rounded and clipped to the bounds. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "util/util.h"

/* LAPACK (Fortran calling convention), exported by OpenBLAS. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s,
             double *u, const int *ldu, double *vt, const int *ldvt, double *work,
             const int *lwork, int *iwork, int *info);

/* Arithmetic modulo a prime p < 2^62 drawn at random for each view, in
 * Montgomery form (R = 2^64). A fixed public modulus would let a server
 * choose keys that are independent over Q but dependent modulo it (two
 * vectors whose determinant is the modulus), hiding exact recoveries from
 * the audit; a random 62-bit prime makes that a guess. */
typedef struct {
    uint64_t p, pinv, r2; /* -p^-1 mod 2^64, R^2 mod p */
} qmod;

static inline uint64_t q_redc(const qmod *m, unsigned __int128 t)
{
    uint64_t k = (uint64_t)t * m->pinv;
    unsigned __int128 u = (t + (unsigned __int128)k * m->p) >> 64;
    return u >= m->p ? (uint64_t)(u - m->p) : (uint64_t)u;
}
static inline uint64_t q_mul(const qmod *m, uint64_t a, uint64_t b)
{
    return q_redc(m, (unsigned __int128)a * b);
}
static inline uint64_t q_add(const qmod *m, uint64_t a, uint64_t b)
{
    uint64_t s = a + b;
    return s >= m->p ? s - m->p : s;
}
/* v mod p in Montgomery form */
static inline uint64_t q_of(const qmod *m, int64_t v)
{
    uint64_t a = v >= 0 ? (uint64_t)v % m->p : m->p - 1 - (uint64_t)(-(v + 1)) % m->p;
    return q_mul(m, a, m->r2);
}
static uint64_t q_pow(const qmod *m, uint64_t a, uint64_t e, uint64_t one)
{
    uint64_t r = one;
    for (; e; e >>= 1, a = q_mul(m, a, a))
        if (e & 1) r = q_mul(m, r, a);
    return r;
}
static uint64_t q_inv(const qmod *m, uint64_t a)
{
    return q_pow(m, a, m->p - 2, q_mul(m, 1, m->r2));
}
/* v ← v − f·row over len residues. */
static void q_axpy(const qmod *m, uint64_t *v, uint64_t f, const uint64_t *row, size_t len)
{
    uint64_t g = m->p - f;
    for (size_t c = 0; c < len; c++)
        if (row[c]) v[c] = q_add(m, v[c], q_mul(m, g, row[c]));
}

static uint64_t mulmod_slow(uint64_t a, uint64_t b, uint64_t p)
{
    return (uint64_t)((unsigned __int128)a * b % p);
}
/* Miller–Rabin with the first twelve primes as bases: exact below 3.3·10^24. */
static int is_prime(uint64_t n)
{
    static const uint64_t B[12] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    uint64_t d = n - 1;
    int s = 0;
    for (; !(d & 1); d >>= 1) s++;
    for (int i = 0; i < 12; i++) {
        uint64_t x = 1, b = B[i] % n, e = d;
        for (; e; e >>= 1, b = mulmod_slow(b, b, n))
            if (e & 1) x = mulmod_slow(x, b, n);
        if (x == 1 || x == n - 1) continue;
        int comp = 1;
        for (int r = 1; r < s && comp; r++) comp = (x = mulmod_slow(x, x, n)) != n - 1;
        if (comp) return 0;
    }
    return 1;
}

static void qmod_random(qmod *m)
{
    uint64_t p;
    do {
        cn_random_bytes(&p, sizeof p);
        p = (p >> 2) | ((uint64_t)1 << 61) | 1; /* in [2^61, 2^62), odd */
    } while (!is_prime(p));
    uint64_t inv = p; /* Newton: inv = p^-1 mod 2^64 */
    for (int i = 0; i < 6; i++) inv *= 2 - p * inv;
    m->p = p;
    m->pinv = (uint64_t)0 - inv;
    uint64_t r = ((uint64_t)0 - p) % p; /* R mod p */
    m->r2 = mulmod_slow(r, r, p);
}

struct cn_linear {
    uint32_t width, nkeys, rank;
    qmod q;
    /* exact part: ndet features, each x_feat[i] = Σ_s coef[i][s] · z[sel[s]] mod p */
    uint32_t ndet, nsel;
    uint32_t *feat, *sel;
    uint64_t *coef; /* ndet × nsel */
    /* least squares: r numerical rank, P = Σ⁻¹Uᵀ (r × nkeys), V (width × r) */
    uint32_t r;
    double *P, *V;
};

void cn_linear_destroy(cn_linear *l)
{
    if (!l) return;
    free(l->feat);
    free(l->sel);
    free(l->coef);
    free(l->P);
    free(l->V);
    free(l);
}

uint32_t cn_linear_rank(const cn_linear *l)
{
    return l->rank;
}

uint32_t cn_linear_determined(const cn_linear *l)
{
    return l->ndet;
}

/* The exact span: rows of length width + width (the key coefficients of the
 * at most width keys that enter the basis). */
static int exact_span(cn_linear *l, const cn_feip_keyreq *y, uint32_t threads)
{
    const size_t w = l->width, len = 2 * w;
    uint64_t *rows = cn_malloc_array(w * len, sizeof *rows);
    uint32_t *pivot = cn_malloc_array(w, sizeof *pivot);
    uint32_t *sel = cn_malloc_array(w, sizeof *sel);
    uint64_t *v = cn_malloc_array(len, sizeof *v);
    if (!rows || !pivot || !sel || !v) {
        free(rows), free(pivot), free(sel), free(v);
        return CRYPTONN_ERR_NOMEM;
    }
    const uint64_t one = q_mul(&l->q, 1, l->q.r2);
    uint32_t rank = 0;
    for (uint32_t k = 0; k < y->nkeys && rank < w; k++) {
        memset(v, 0, len * sizeof *v);
        for (uint64_t j = y->rowptr[k]; j < y->rowptr[k + 1]; j++) v[y->idx[j]] = q_of(&l->q, y->val[j]);
        v[w + rank] = one; /* this key's coefficient, if it enters */
        const size_t used = w + rank + 1; /* columns past the keys seen so far are zero */
        for (uint32_t i = 0; i < rank; i++)
            if (v[pivot[i]]) q_axpy(&l->q, v, v[pivot[i]], rows + i * len, used);
        uint32_t p = 0;
        while (p < w && v[p] == 0) p++;
        if (p == w) continue; /* in the span already */
        uint64_t inv = q_inv(&l->q, v[p]);
        uint64_t *nrow = rows + (size_t)rank * len;
        for (size_t c = 0; c < len; c++) nrow[c] = v[c] ? q_mul(&l->q, v[c], inv) : 0;
        /* keep the basis reduced: clear column p in every other row */
#pragma omp parallel for num_threads(threads) schedule(static)
        for (uint32_t i = 0; i < rank; i++) {
            uint64_t *row = rows + (size_t)i * len;
            if (row[p]) q_axpy(&l->q, row, row[p], nrow, used);
        }
        pivot[rank] = p;
        sel[rank++] = k;
    }
    l->rank = rank;
    l->nsel = rank;
    /* e_p lies in the span iff p's basis row has no other feature column. */
    uint32_t ndet = 0;
    uint8_t *is_pivot = cn_calloc(w, 1);
    l->feat = cn_malloc_array(rank ? rank : 1, sizeof *l->feat);
    l->coef = cn_malloc_array((size_t)rank * rank + 1, sizeof *l->coef);
    int rc = is_pivot && l->feat && l->coef ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    for (uint32_t i = 0; rc == CRYPTONN_OK && i < rank; i++) is_pivot[pivot[i]] = 1;
    for (uint32_t i = 0; rc == CRYPTONN_OK && i < rank; i++) {
        const uint64_t *row = rows + (size_t)i * len;
        int unit = 1;
        for (size_t c = 0; c < w && unit; c++)
            if (!is_pivot[c] && row[c]) unit = 0;
        if (!unit) continue;
        l->feat[ndet] = pivot[i];
        memcpy(l->coef + (size_t)ndet * rank, row + w, rank * sizeof *l->coef);
        ndet++;
    }
    l->ndet = ndet;
    l->sel = sel;
    free(is_pivot), free(rows), free(pivot), free(v);
    return rc;
}

/* Thin SVD of Y (nkeys × width): A = Yᵀ column-major is Y row-major. */
static int least_squares(cn_linear *l, const cn_feip_keyreq *y)
{
    const int m = (int)l->width, n = (int)l->nkeys, mn = m < n ? m : n;
    double *a = cn_calloc((size_t)m * n, sizeof *a);
    double *s = cn_malloc_array(mn, sizeof *s);
    double *u = cn_malloc_array((size_t)m * mn, sizeof *u);   /* right singular vectors of Y */
    double *vt = cn_malloc_array((size_t)mn * n, sizeof *vt); /* left singular vectors of Y */
    int *iwork = cn_malloc_array(8 * (size_t)mn, sizeof *iwork);
    double *work = NULL;
    int rc = CRYPTONN_ERR_NOMEM, info = 0, lwork = -1;
    if (!a || !s || !u || !vt || !iwork) goto out;
    for (uint32_t k = 0; k < l->nkeys; k++)
        for (uint64_t j = y->rowptr[k]; j < y->rowptr[k + 1]; j++)
            a[(size_t)k * m + y->idx[j]] = (double)y->val[j];
    double q;
    dgesdd_("S", &m, &n, a, &m, s, u, &m, vt, &mn, &q, &lwork, iwork, &info);
    lwork = (int)q + 1;
    work = cn_malloc_array((size_t)lwork, sizeof *work);
    if (!work) goto out;
    dgesdd_("S", &m, &n, a, &m, s, u, &m, vt, &mn, work, &lwork, iwork, &info);
    if (info != 0) {
        rc = CRYPTONN_ERR_INTERNAL;
        goto out;
    }
    double tol = s[0] * (m > n ? m : n) * 2.3e-16;
    uint32_t r = 0;
    while ((int)r < mn && s[r] > tol) r++;
    l->r = r;
    l->P = cn_malloc_array((size_t)r * n + 1, sizeof *l->P);
    l->V = cn_malloc_array((size_t)m * r + 1, sizeof *l->V);
    if (!l->P || !l->V) goto out;
    for (uint32_t i = 0; i < r; i++) {
        for (int k = 0; k < n; k++) l->P[(size_t)i * n + k] = vt[(size_t)k * mn + i] / s[i];
        for (int c = 0; c < m; c++) l->V[(size_t)c * r + i] = u[(size_t)i * m + c];
    }
    rc = CRYPTONN_OK;
out:
    free(a), free(s), free(u), free(vt), free(iwork), free(work);
    return rc;
}

int cn_linear_create(cn_linear **out, const cn_audit_view *v, uint32_t threads)
{
    *out = NULL;
    cn_linear *l = calloc(1, sizeof *l);
    if (!l) return CRYPTONN_ERR_NOMEM;
    l->width = v->width;
    l->nkeys = v->keys->nkeys;
    qmod_random(&l->q);
    int rc = exact_span(l, v->keys, threads ? threads : 1);
    if (rc == CRYPTONN_OK) rc = least_squares(l, v->keys);
    if (rc != CRYPTONN_OK) {
        cn_linear_destroy(l);
        return rc;
    }
    *out = l;
    return CRYPTONN_OK;
}

void cn_linear_coords(const cn_linear *l, const int64_t *z, uint32_t n, double *c)
{
    if (!n || !l->r) return;
    double *zd = cn_malloc_array((size_t)n * l->nkeys, sizeof *zd);
    CN_ARG_CHECK(zd);
    for (size_t i = 0; i < (size_t)n * l->nkeys; i++) zd[i] = (double)z[i];
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)l->r, (int)l->nkeys, 1.0, zd,
                (int)l->nkeys, l->P, (int)l->nkeys, 0.0, c, (int)l->r);
    free(zd);
}

static int32_t clip_round(double x, int32_t lo, int32_t hi)
{
    if (!(x > lo)) return lo; /* NaN too */
    if (x >= hi) return hi;
    return (int32_t)lrint(x);
}

int cn_linear_attack(const cn_linear *l, const int64_t *z, uint32_t n, const int32_t *lo,
                     const int32_t *hi, int32_t *x)
{
    const uint32_t w = l->width;
    double *c = cn_malloc_array((size_t)n * l->r + 1, sizeof *c);
    double *xs = cn_calloc((size_t)n * w + 1, sizeof *xs);
    if (!c || !xs) {
        free(c), free(xs);
        return CRYPTONN_ERR_NOMEM;
    }
    cn_linear_coords(l, z, n, c);
    if (l->r)
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, (int)w, (int)l->r, 1.0, c,
                    (int)l->r, l->V, (int)l->r, 0.0, xs, (int)w);
    for (uint32_t s = 0; s < n; s++) {
        int32_t *xr = x + (size_t)s * w;
        const double *ls = xs + (size_t)s * w;
        const int64_t *zr = z + (size_t)s * l->nkeys;
        for (uint32_t j = 0; j < w; j++) xr[j] = clip_round(ls[j], lo[j], hi[j]);
        for (uint32_t i = 0; i < l->ndet; i++) {
            const uint64_t *cf = l->coef + (size_t)i * l->nsel;
            uint64_t acc = 0;
            for (uint32_t t = 0; t < l->nsel; t++)
                if (cf[t]) acc = q_add(&l->q, acc, q_mul(&l->q, cf[t], q_of(&l->q, zr[l->sel[t]])));
            acc = q_redc(&l->q, acc); /* out of Montgomery form */
            const uint64_t p = l->q.p;
            int64_t val = acc > p / 2 ? -(int64_t)(p - acc) : (int64_t)acc;
            uint32_t f = l->feat[i];
            if (val >= lo[f] && val <= hi[f]) xr[f] = (int32_t)val;
        }
    }
    free(c), free(xs);
    return CRYPTONN_OK;
}
