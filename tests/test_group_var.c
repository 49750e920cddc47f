/* The variable-time half of the group core (src/group/{wnaf,comb,sums,msm,
 * fingerprint}.c) against independent computations:
 *   - k·P: comb tables (windows 2..10) = wNAF (portable and AVX-512 IFMA
 *     backends) = the constant-time
 *     multiplications (no table, fixed table, base table) = libsodium's
 *     crypto_scalarmult_ristretto255 (which refuses identity results: then ours
 *     must be the identity), on >= 10,000 cases;
 *   - MSM: every n from 1 to 64 and n = 40,000, full and small signed scalars
 *     (zero, negative, extreme), both algorithms forced and the automatic
 *     choice, = the naive sum of constant-time multiplications;
 *   - flat sums over digit tables (every window, 1 to 253-bit scalars,
 *     both table builds, rebuilt in place, both sums backends) = naive,
 *     and the bucket MSM built on them = the plain MSM;
 *   - fingerprints: equal exactly when the elements are equal — the four
 *     representatives P + E[4] (the 4-torsion points worked out and their
 *     orders checked), random projective scales, identity, ±P, small
 *     multiples, and whole batches against equality of RFC encodings.
 * Elements are compared by their RFC 9496 encodings, never by coordinates. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/status.h"
#include "group/ge25519_var.h"
#include "testutil.h"

static void rand_point(ge25519 *p)
{
    uint8_t h[64];
    t_rand_bytes(h, sizeof h);
    ge25519_from_uniform(p, h);
}

static int same(const ge25519 *p, const ge25519 *q)
{
    uint8_t a[32], b[32];
    ge25519_encode(a, p);
    ge25519_encode(b, q);
    return memcmp(a, b, 32) == 0;
}

static int is_identity_enc(const ge25519 *p)
{
    static const uint8_t zero[32];
    uint8_t a[32];
    ge25519_encode(a, p);
    return memcmp(a, zero, 32) == 0;
}

/* The points of E[4]: (0,1) (order 1), (0,-1) (order 2), (±sqrt(-1), 0)
 * (order 4: x^2 = -1 satisfies -x^2 + 0 = 1 + 0). T = xy = 0 for all. */
static void torsion4(ge25519 *t, unsigned which)
{
    static const fe25519 sqrt_m1 = FE25519_SQRT_M1_INIT;
    ge25519_identity(t);
    if (which == 1) fe25519_neg(&t->Y, &t->Y);
    if (which >= 2) {
        t->X = sqrt_m1;
        if (which == 3) fe25519_neg(&t->X, &t->X);
        fe25519_0(&t->Y);
    }
}

/* Exact Edwards identity (0 : λ : λ : 0), not just the ristretto coset. */
static int is_edwards_identity(const ge25519 *p)
{
    return fe25519_iszero(&p->X) && fe25519_eq(&p->Y, &p->Z);
}

/* Another representative of p: one of E[4] added and a random projective scale. */
static void rerepresent(ge25519 *r, const ge25519 *p, unsigned which)
{
    uint8_t b[32];
    fe25519 lambda;
    ge25519 t, q;
    torsion4(&t, which);
    ge25519_add(&q, p, &t);
    t_rand_bytes(b, sizeof b);
    b[0] |= 1;
    b[31] &= 0x7f;
    fe25519_frombytes(&lambda, b);
    fe25519_mul(&r->X, &q.X, &lambda);
    fe25519_mul(&r->Y, &q.Y, &lambda);
    fe25519_mul(&r->Z, &q.Z, &lambda);
    fe25519_mul(&r->T, &q.T, &lambda);
}

/* 1 in 8 scalars is special: 0, 1, -1, 2, ℓ-2, 2^k, small, or 2^252 + small. */
static void rand_scalar(sc25519 *k)
{
    uint8_t wide[64];
    t_rand_bytes(wide, sizeof wide);
    sc25519_reduce64(k, wide);
    if (t_rand64() % 8) return;
    switch (t_rand64() % 8) {
    case 0: sc25519_from_i64(k, 0); break;
    case 1: sc25519_from_i64(k, 1); break;
    case 2: sc25519_from_i64(k, -1); break;
    case 3: sc25519_from_i64(k, 2); break;
    case 4: sc25519_from_i64(k, -2); break;
    case 5:
        memset(k->v, 0, 32);
        {
            unsigned b = (unsigned)(t_rand64() % 253);
            k->v[b / 8] = (uint8_t)(1u << (b % 8));
        }
        break;
    case 6: sc25519_from_i64(k, t_rand_range(-1000, 1000)); break;
    default:
        sc25519_from_i64(k, t_rand_range(0, 1000));
        k->v[31] |= 0x10; /* 2^252 + small < ℓ */
        break;
    }
}

/* ---- k·P: comb = wNAF = constant time = libsodium ---- */

static void test_scalarmult(void)
{
    static const unsigned windows[] = {2, 3, 4, 5, 6, 7, 8, 9, 10};
    enum { NW = sizeof windows / sizeof windows[0], PER_W = 2, NT = NW * PER_W };
    ge25519 pts[NT];
    ge25519_comb *tabs[NT];
    ge25519_fixed *fixed[NT];
    for (int i = 0; i < NT; i++) {
        if (i == 0) ge25519_identity(&pts[i]);       /* the identity gets a table too */
        else if (i == 1) ge25519_base(&pts[i]);
        else if (i % 3 == 0) {
            ge25519 q;
            rand_point(&q);
            rerepresent(&pts[i], &q, (unsigned)(t_rand64() % 4)); /* non-normalised, torsion */
        } else rand_point(&pts[i]);
        /* both builds: the portable one for odd i, IFMA (when present) for even */
        tabs[i] = ge25519_comb_create_var(1, windows[i / PER_W], 253);
        fixed[i] = ge25519_fixed_create(&pts[i]);
        CHECK(tabs[i] != NULL && fixed[i] != NULL);
        if (!tabs[i]) continue;
        gev_comb_set_backend_var(tabs[i], &pts[i], !(i & 1) && gev_have_ifma());
        CHECK(ge25519_comb_bytes(tabs[i]) > 0 && ge25519_comb_points(tabs[i]) == 1);
    }

    const long n = t_iters(10000, 1000);
    long sodium_refused = 0;
    for (long c = 0; c < n; c++) {
        const int i = (int)(c % NT);
        sc25519 k;
        rand_scalar(&k);
        ge25519 a, b, d, e;
        ge25519_comb_mul_var(&a, tabs[i], 0, &k);
        ge25519_scalarmult_var(&b, &pts[i], &k);
        ge25519_scalarmult(&d, &pts[i], &k);
        ge25519_fixed_mul(&e, fixed[i], &k);
        CHECK(same(&a, &b));
        CHECK(same(&a, &d));
        CHECK(same(&a, &e));
        uint8_t penc[32], want[32], got[32];
        ge25519_encode(penc, &pts[i]);
        ge25519_encode(got, &a);
        if (crypto_scalarmult_ristretto255(want, k.v, penc) == 0) {
            CHECK(memcmp(got, want, 32) == 0);
        } else {
            sodium_refused++;
            CHECK(is_identity_enc(&a));
        }
        if (i == 1) {
            ge25519_scalarmult_base(&d, &k);
            CHECK(same(&a, &d));
        }
        /* both backends of the wNAF multiplication */
        gev_scalarmult_var_portable(&b, &pts[i], &k);
        CHECK(same(&a, &b));
        if (gev_scalarmult_var_ifma(&b, &pts[i], &k)) CHECK(same(&a, &b));
        /* aliasing: r = k·r */
        b = pts[i];
        ge25519_scalarmult_var(&b, &b, &k);
        CHECK(same(&a, &b));
    }
    CHECK(sodium_refused > 0); /* the identity cases did run */
    printf("  scalar multiplication: %ld cases (%ld identity results), IFMA backend %s\n", n, sodium_refused,
           gev_have_ifma() ? "tested" : "absent (portable only)");
    for (int i = 0; i < NT; i++) {
        ge25519_comb_destroy(tabs[i]);
        ge25519_fixed_destroy(fixed[i]);
    }
}

/* ---- MSM = naive ---- */

static void naive_msm(ge25519 *r, const sc25519 *k, const ge25519 *p, size_t n)
{
    ge25519_identity(r);
    for (size_t i = 0; i < n; i++) {
        ge25519 t;
        ge25519_scalarmult(&t, &p[i], &k[i]);
        ge25519_add(r, r, &t);
    }
}

/* A small signed scalar of a random bit length; extremes and zero included. */
static int64_t rand_i64(unsigned maxbits)
{
    switch (t_rand64() % 16) {
    case 0: return 0;
    case 1: return INT64_MAX;
    case 2: return INT64_MIN;
    case 3: return ((int64_t)1 << 62) - 1;
    case 4: return -(((int64_t)1 << 62) - 1);
    case 5: return t_rand64() & 1 ? 1 : -1;
    default: {
        const unsigned b = 1 + (unsigned)(t_rand64() % maxbits);
        const int64_t v = (int64_t)(t_rand64() >> (64 - b));
        return t_rand64() & 1 ? -v : v;
    }
    }
}

static void check_msm(const sc25519 *k, const int64_t *ki, const ge25519 *p, size_t n)
{
    sc25519 *kk = malloc(n * sizeof *kk);
    for (size_t i = 0; i < n; i++) {
        if (ki) sc25519_from_i64(&kk[i], ki[i]);
        else kk[i] = k[i];
    }
    ge25519 want, a, b, c;
    naive_msm(&want, kk, p, n);
    if (ki) ge25519_msm_i64_var(&a, ki, p, n);
    else ge25519_msm_var(&a, k, p, n);
    CHECK(same(&a, &want));
    /* both algorithms on both backends */
    for (int vec = 0; vec <= gev_have_ifma(); vec++) {
        gev_msm_straus_var(&b, k, ki, p, n, vec);
        gev_msm_pippenger_var(&c, k, ki, p, n, vec);
        CHECK(same(&b, &want));
        CHECK(same(&c, &want));
    }
    free(kk);
}

static void test_msm(void)
{
    enum { NMAX = 64 };
    ge25519 p[NMAX];
    sc25519 k[NMAX];
    int64_t ki[NMAX];
    for (size_t n = 1; n <= NMAX; n++) {
        for (size_t i = 0; i < n; i++) {
            if (t_rand64() % 16 == 0) ge25519_identity(&p[i]);
            else if (t_rand64() % 4 == 0 && i > 0) p[i] = p[i - 1]; /* repeated points */
            else rand_point(&p[i]);
            rand_scalar(&k[i]);
        }
        check_msm(k, NULL, p, n);
        /* small scalars of 1, 8, 16, 62 bits and the extremes */
        static const unsigned maxbits[] = {1, 8, 16, 62};
        for (int m = 0; m < 4; m++) {
            for (size_t i = 0; i < n; i++) ki[i] = rand_i64(maxbits[m]);
            check_msm(NULL, ki, p, n);
        }
        /* all-zero scalars: the identity */
        ge25519 r;
        memset(ki, 0, sizeof ki);
        ge25519_msm_i64_var(&r, ki, p, n);
        CHECK(is_identity_enc(&r));
    }
    ge25519 r;
    ge25519_msm_var(&r, k, p, 0);
    CHECK(is_identity_enc(&r));
    ge25519_msm_i64_var(&r, ki, p, 0);
    CHECK(is_identity_enc(&r));

    /* n = 40,000: the gradient-step size (~16-bit scalars) and full scalars. */
    const size_t big = 40000;
    ge25519 *bp = malloc(big * sizeof *bp);
    sc25519 *bk = malloc(big * sizeof *bk);
    int64_t *bki = malloc(big * sizeof *bki);
    /* Random points cost a from_uniform each; multiples of a few random
     * points with fresh scalars are as good for an MSM and cheaper. */
    ge25519 seed[64];
    for (int i = 0; i < 64; i++) rand_point(&seed[i]);
    for (size_t i = 0; i < big; i++) {
        sc25519 s;
        sc25519_from_i64(&s, t_rand_range(1, 1 << 20));
        ge25519_scalarmult_var(&bp[i], &seed[i % 64], &s);
        rand_scalar(&bk[i]);
        bki[i] = i % 1000 == 0 ? rand_i64(62) : t_rand_range(-65535, 65535);
    }
    ge25519 want, got;
    naive_msm(&want, bk, bp, big);
    ge25519_msm_var(&got, bk, bp, big);
    CHECK(same(&got, &want));
    for (size_t i = 0; i < big; i++) sc25519_from_i64(&bk[i], bki[i]);
    naive_msm(&want, bk, bp, big);
    ge25519_msm_i64_var(&got, bki, bp, big);
    CHECK(same(&got, &want));
    free(bp);
    free(bk);
    free(bki);
}

/* ---- prepared points ---- */

/* ---- flat sums over digit tables = naive ---- */

/* One table of n points (n < 8 and n >= 8 take different IFMA builds),
 * every window, many bit sizes, both builds, rebuilt in place for new
 * points; sums of small and full scalar terms (and of none), with and
 * without a start point, more than one run queued, on both sums backends. */
static void test_sums(void)
{
    enum { NPTS = 21, MMAX = 40, NSUM = 70 };
    ge25519_sums *sv = ge25519_sums_create(), *sp = ge25519_sums_create();
    CHECK(sv != NULL && sp != NULL);
    if (!sv || !sp) return;
    gev_sums_set_portable(sp, 1);
    static const unsigned bitsv[] = {1, 2, 5, 8, 9, 12, 16, 31, 62, 253};
    const long rounds = t_iters(2, 1);
    long sums = 0;
    for (unsigned w = 2; w <= 10; w++)
        for (unsigned bi = 0; bi < sizeof bitsv / sizeof bitsv[0]; bi++) {
            const unsigned bits = bitsv[bi];
            const size_t n = (w + bi) % 3 == 0 ? 3 : NPTS;
            ge25519_comb *t = ge25519_comb_create_var(n, w, bits);
            CHECK(t != NULL);
            if (!t) continue;
            ge25519 p[NPTS];
            for (long round = 0; round < rounds; round++) {
                for (size_t i = 0; i < n; i++) {
                    if (i == 2 && round == 0) ge25519_identity(&p[i]);
                    else if (i % 4 == 1) {
                        ge25519 q;
                        rand_point(&q);
                        rerepresent(&p[i], &q, (unsigned)(t_rand64() % 4));
                    } else rand_point(&p[i]);
                }
                gev_comb_set_backend_var(t, p, (round & 1) && gev_have_ifma());
                ge25519 got[NSUM], gotp[NSUM], want[NSUM];
                for (int j = 0; j < NSUM; j++) {
                    ge25519 start;
                    const int has_start = j % 3 == 1;
                    if (has_start) rand_point(&start);
                    CHECK(ge25519_sums_begin_var(sv, &got[j], has_start ? &start : NULL) == 0);
                    CHECK(ge25519_sums_begin_var(sp, &gotp[j], has_start ? &start : NULL) == 0);
                    if (has_start) want[j] = start;
                    else ge25519_identity(&want[j]);
                    /* small terms (bits <= 62 only), then full scalars;
                     * every seventh sum has no terms at all */
                    const int empty = j % 7 == 6;
                    const size_t m = bits <= 62 && !empty ? (size_t)(t_rand64() % MMAX) : 0;
                    uint32_t idx[MMAX];
                    int64_t k[MMAX];
                    for (size_t a = 0; a < m; a++) {
                        idx[a] = (uint32_t)(t_rand64() % n); /* repeats allowed */
                        const uint64_t top = bits >= 63 ? UINT64_MAX >> 1 : (((uint64_t)1 << bits) - 1);
                        if (t_rand64() % 8 == 0) k[a] = 0;
                        else if (t_rand64() % 8 == 0) k[a] = (int64_t)top;
                        else k[a] = (int64_t)(t_rand64() & top);
                        if (t_rand64() & 1) k[a] = -k[a];
                        sc25519 kk;
                        ge25519 term;
                        sc25519_from_i64(&kk, k[a]);
                        ge25519_scalarmult_var(&term, &p[idx[a]], &kk);
                        ge25519_add(&want[j], &want[j], &term);
                    }
                    const int use_idx = j % 2 == 0 || m > n;
                    if (!use_idx) { /* idx = NULL: points 0..m-1 */
                        ge25519_identity(&want[j]);
                        if (has_start) want[j] = start;
                        for (size_t a = 0; a < m; a++) {
                            sc25519 kk;
                            ge25519 term;
                            sc25519_from_i64(&kk, k[a]);
                            ge25519_scalarmult_var(&term, &p[a], &kk);
                            ge25519_add(&want[j], &want[j], &term);
                        }
                    }
                    if (bits <= 62) {
                        CHECK(ge25519_sums_add_i64_var(sv, t, use_idx ? idx : NULL, k, m) == 0);
                        CHECK(ge25519_sums_add_i64_var(sp, t, use_idx ? idx : NULL, k, m) == 0);
                    }
                    for (int f = 0; f < (empty ? 0 : 3); f++) {
                        sc25519 kk;
                        if (bits >= 253) rand_scalar(&kk);
                        else if (bits <= 62) sc25519_from_i64(&kk, (int64_t)(t_rand64() >> (64 - bits)));
                        else {
                            t_rand_bytes(kk.v, 32);
                            for (unsigned b = bits; b < 256; b++) kk.v[b / 8] &= (uint8_t)~(1u << (b % 8));
                        }
                        const size_t i = (size_t)(t_rand64() % n);
                        const int neg = (int)(t_rand64() & 1);
                        ge25519 term;
                        ge25519_scalarmult_var(&term, &p[i], &kk);
                        if (neg) ge25519_sub(&want[j], &want[j], &term);
                        else ge25519_add(&want[j], &want[j], &term);
                        CHECK(ge25519_sums_add_scalar_var(sv, t, i, &kk, neg) == 0);
                        CHECK(ge25519_sums_add_scalar_var(sp, t, i, &kk, neg) == 0);
                    }
                }
                ge25519_sums_flush_var(sv);
                ge25519_sums_flush_var(sp);
                for (int j = 0; j < NSUM; j++) {
                    CHECK(same(&got[j], &want[j]));
                    CHECK(same(&gotp[j], &want[j]));
                }
                sums += NSUM;
            }
            ge25519_comb_destroy(t);
        }
    printf("  flat sums: %ld sums on each backend = naive\n", sums);
    ge25519_sums_destroy(sv);
    ge25519_sums_destroy(sp);
}

/* The bucket MSM over a table of points (bits 1) = the plain MSM, on both
 * sums backends: lengths 0 to 3,000, scalar sizes 1 to 62 bits, zeros,
 * repeated points, idx NULL. */
static void test_sums_msm(void)
{
    enum { NPTS = 600, MMAX = 3000 };
    static ge25519 p[NPTS], pp[MMAX];
    static uint32_t idx[MMAX];
    static int64_t k[MMAX];
    for (int i = 0; i < NPTS; i++) {
        if (i == 3) ge25519_identity(&p[i]);
        else rand_point(&p[i]);
    }
    ge25519_comb *t = ge25519_comb_create_var(NPTS, 2, 1);
    ge25519_sums *sv = ge25519_sums_create(), *sp = ge25519_sums_create();
    CHECK(t != NULL && sv != NULL && sp != NULL);
    if (!t || !sv || !sp) return;
    gev_sums_set_portable(sp, 1);
    static const size_t sizes[] = {0, 1, 7, 100, 599, 3000};
    static const unsigned bitsv[] = {1, 4, 8, 12, 20, 31, 62};
    long cases = 0;
    for (unsigned si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
        for (unsigned bi = 0; bi < sizeof bitsv / sizeof bitsv[0]; bi++) {
            const size_t m = sizes[si];
            const unsigned bits = bitsv[bi];
            gev_comb_set_backend_var(t, p, (si + bi) % 2 && gev_have_ifma());
            const int use_idx = m > NPTS || bi % 2;
            const uint64_t top = ((uint64_t)1 << bits) - 1;
            for (size_t j = 0; j < m; j++) {
                idx[j] = (uint32_t)(t_rand64() % NPTS);
                const uint64_t r = t_rand64();
                k[j] = r % 5 == 0 ? 0 : r % 7 == 0 ? (int64_t)top : (int64_t)(t_rand64() & top);
                if (t_rand64() & 1) k[j] = -k[j];
                pp[j] = p[use_idx ? idx[j] : j];
            }
            ge25519 want, got, gotp;
            ge25519_msm_i64_var(&want, k, pp, m);
            CHECK(ge25519_sums_msm_var(sv, &got, t, use_idx ? idx : NULL, k, m) == 0);
            CHECK(ge25519_sums_msm_var(sp, &gotp, t, use_idx ? idx : NULL, k, m) == 0);
            CHECK(same(&got, &want));
            CHECK(same(&gotp, &want));
            cases++;
        }
    printf("  bucket MSM: %ld cases on each backend = plain MSM\n", cases);
    ge25519_comb_destroy(t);
    ge25519_sums_destroy(sv);
    ge25519_sums_destroy(sp);
}

/* ---- fingerprints ---- */

static void fp1(uint8_t out[32], const ge25519 *p)
{
    fe25519 scratch[1];
    ge25519_fingerprint_batch_var((uint8_t(*)[32])out, p, 1, scratch);
}

static void test_fingerprint(void)
{
    /* The torsion points: T0 is the identity, 2·T1 = O, 2·T2 = T1 ≠ O, 4·T2 = O. */
    ge25519 t[4], d;
    for (unsigned w = 0; w < 4; w++) torsion4(&t[w], w);
    ge25519_dbl(&d, &t[1]);
    CHECK(is_edwards_identity(&d));
    CHECK(!is_edwards_identity(&t[1]));
    for (unsigned w = 2; w < 4; w++) {
        ge25519_dbl(&d, &t[w]);
        CHECK(!is_edwards_identity(&d)); /* order exactly 4 */
        CHECK(fe25519_iszero(&d.X) && !fe25519_eq(&d.Y, &d.Z)); /* 2·T = (0,-1) */
        ge25519_dbl(&d, &d);
        CHECK(is_edwards_identity(&d));
    }

    /* The identity and its representatives. */
    uint8_t f0[32], f1[32];
    ge25519 id, r;
    ge25519_identity(&id);
    fp1(f0, &id);
    for (unsigned w = 0; w < 4; w++) {
        rerepresent(&r, &id, w);
        fp1(f1, &r);
        CHECK(memcmp(f0, f1, 32) == 0);
        CHECK(is_identity_enc(&r));
    }

    /* Random elements: every representative agrees, -P and others differ. */
    const long n = t_iters(4000, 500);
    for (long c = 0; c < n; c++) {
        ge25519 p, q, neg;
        rand_point(&p);
        fp1(f0, &p);
        for (unsigned w = 0; w < 4; w++) {
            rerepresent(&q, &p, w);
            fp1(f1, &q);
            CHECK(memcmp(f0, f1, 32) == 0);
        }
        ge25519_neg(&neg, &p);
        fp1(f1, &neg);
        CHECK(memcmp(f0, f1, 32) != 0);
        rand_point(&q);
        fp1(f1, &q);
        CHECK((memcmp(f0, f1, 32) == 0) == same(&p, &q));
        ge25519 idr;
        rerepresent(&idr, &id, (unsigned)(t_rand64() % 4));
        fp1(f1, &idr);
        CHECK(memcmp(f0, f1, 32) != 0 || is_identity_enc(&p));
    }

    /* Small multiples k·B, |k| <= 64: all distinct, k and -k included. */
    enum { SM = 129 };
    ge25519 sm[SM], b;
    uint8_t fs[SM][32];
    fe25519 scratch[1024];
    ge25519_base(&b);
    for (int i = 0; i < SM; i++) {
        sc25519 k;
        sc25519_from_i64(&k, i - 64);
        ge25519_scalarmult_var(&sm[i], &b, &k);
    }
    ge25519_fingerprint_batch_var(fs, sm, SM, scratch);
    int distinct = 1;
    for (int i = 0; i < SM; i++)
        for (int j = i + 1; j < SM; j++) distinct &= memcmp(fs[i], fs[j], 32) != 0;
    CHECK(distinct);

    /* Batches of 1,024 with duplicates under other representatives:
     * fingerprint equality must match encoding equality for every pair, and
     * each entry must match its single-point fingerprint. */
    enum { NB = 1024 };
    ge25519 *pts = malloc(NB * sizeof *pts);
    uint8_t(*fb)[32] = malloc(NB * 32);
    uint8_t(*enc)[32] = malloc(NB * 32);
    const int batches = (int)t_iters(8, 2);
    for (int bt = 0; bt < batches; bt++) {
        for (int i = 0; i < NB; i++) {
            const uint64_t u = t_rand64() % 8;
            if (i > 0 && u < 3) rerepresent(&pts[i], &pts[t_rand64() % (uint64_t)i], (unsigned)(t_rand64() % 4));
            else if (u == 3) rerepresent(&pts[i], &id, (unsigned)(t_rand64() % 4));
            else if (i > 0 && u == 4) ge25519_neg(&pts[i], &pts[t_rand64() % (uint64_t)i]);
            else rand_point(&pts[i]);
            ge25519_encode(enc[i], &pts[i]);
        }
        ge25519_fingerprint_batch_var(fb, pts, NB, scratch);
        long mismatches = 0, equal_pairs = 0;
        for (int i = 0; i < NB; i++)
            for (int j = i + 1; j < NB; j++) {
                const int fe = memcmp(fb[i], fb[j], 32) == 0, ee = memcmp(enc[i], enc[j], 32) == 0;
                mismatches += fe != ee;
                equal_pairs += ee;
            }
        CHECK_EQ_INT(mismatches, 0);
        CHECK(equal_pairs > 0);
        for (int i = 0; i < NB; i++) {
            fp1(f1, &pts[i]);
            CHECK(memcmp(f1, fb[i], 32) == 0);
        }
    }
    /* every length 1..40 (the IFMA path takes whole columns of eight from
     * 16 points on, the tail the portable one) = single fingerprints */
    for (int len = 1; len <= 40; len++) {
        ge25519_fingerprint_batch_var(fb, pts + len, (size_t)len, scratch);
        for (int i = 0; i < len; i++) {
            fp1(f1, &pts[len + i]);
            CHECK(memcmp(f1, fb[i], 32) == 0);
        }
    }
    free(pts);
    free(fb);
    free(enc);
}

/* Batched decoding/encoding (sixteen inverse square roots at a time on
 * IFMA) = one at a time, and decoding accepts exactly what libsodium calls
 * a valid encoding: random valid encodings, random bytes (mostly invalid),
 * non-canonical and negative s, every length 0..40 so the sixteen-wide
 * groups and the tails are both hit, and other representatives of each
 * point. */
static void test_batch_codec(void)
{
    long iters = t_iters(300, 60);
    for (long it = 0; it < iters; it++) {
        size_t n = (size_t)(it % 41);
        uint8_t *in = malloc(32 * n + 1), *enc1 = malloc(32 * n + 1), *encb = malloc(32 * n + 1);
        ge25519 *pb = malloc(sizeof *pb * (n + 1)), *ps = malloc(sizeof *ps * (n + 1));
        int want_ok = 1;
        for (size_t i = 0; i < n; i++) {
            ge25519 p;
            int kind = (int)t_rand_range(0, 9);
            if (kind < 7) {
                rand_point(&p);
                ge25519_encode(in + 32 * i, &p);
            } else if (kind == 7) {
                t_rand_bytes(in + 32 * i, 32);
            } else if (t_rand64() & 1) {
                /* a valid encoding with a low bit flipped: s negative, or
                 * another s that may or may not decode */
                rand_point(&p);
                ge25519_encode(in + 32 * i, &p);
                in[32 * i] ^= (uint8_t)(1 + (t_rand64() & 1));
            } else {
                /* p + t for t < 19: the non-canonical field encodings */
                memset(in + 32 * i, 0xff, 32);
                in[32 * i] = (uint8_t)(0xed + t_rand_range(0, 18));
                in[32 * i + 31] = 0x7f;
            }
            /* libsodium (this Debian version) ignores bit 255, which RFC 9496
             * §4.3.1 makes non-canonical: the oracle is libsodium and bit 255 clear */
            int valid = crypto_core_ristretto255_is_valid_point(in + 32 * i) &&
                        !(in[32 * i + 31] & 0x80);
            want_ok &= valid;
            ge25519 q;
            CHECK_EQ_INT(ge25519_decode(&q, in + 32 * i) == CRYPTONN_OK, valid);
        }
        int rc = ge25519_decode_batch(pb, in, n);
        CHECK_EQ_INT(rc == CRYPTONN_OK, want_ok);
        for (size_t i = 0; i < n; i++) {
            if (!crypto_core_ristretto255_is_valid_point(in + 32 * i) || (in[32 * i + 31] & 0x80))
                continue;
            CHECK_EQ_INT(ge25519_decode(&ps[i], in + 32 * i), CRYPTONN_OK);
            /* the decoded point re-encodes to the input */
            uint8_t back[32];
            ge25519_encode(back, &pb[i]);
            CHECK(memcmp(back, in + 32 * i, 32) == 0);
        }
        /* encoding: other representatives, batched = single */
        for (size_t i = 0; i < n; i++) {
            ge25519 p;
            rand_point(&p);
            rerepresent(&ps[i], &p, (unsigned)t_rand_range(0, 3));
            ge25519_encode(enc1 + 32 * i, &ps[i]);
        }
        ge25519_encode_batch(encb, ps, n);
        CHECK(n == 0 || memcmp(enc1, encb, 32 * n) == 0);
        free(in);
        free(enc1);
        free(encb);
        free(pb);
        free(ps);
    }
}

int main(void)
{
    t_init("test_group_var");
    test_batch_codec();
    test_fingerprint();
    test_sums();
    test_sums_msm();
    test_msm();
    test_scalarmult();
    return t_done();
}
