/* Randomized cross-checks of the ristretto255 core against two independent
 * oracles, libsodium (crypto_core_ristretto255_*, crypto_scalarmult_ristretto255*)
 * and libdecaf (decaf_255_*; its 255-bit group is ristretto255). Every case
 * compares canonical encodings, so a wrong representative cannot hide.
 *
 * Covered, each ≥ 10,000 cases in the release build (t_iters scales the count
 * down under sanitizers): from_uniform, encode/decode round trips (also of
 * other representatives of the same element), decode of random and of
 * almost-valid strings (same accept/reject as both oracles), add, sub, dbl,
 * neg, the four constant-time multiplications (base table, fixed table,
 * no table, base_small with negative values) and the batched fixed-table
 * one (k·P + v·B, eight lanes at a time), scalar arithmetic, identity;
 * and the field arithmetic against a schoolbook mod-p reference (10× the
 * count), with inputs at the documented limb bounds. */
#include <decaf.h>
#include <sodium.h>
#include <string.h>

#include "cryptonn/status.h"
#include "group/ge25519_internal.h"
#include "testutil.h"

static long iters;

/* A random element: ours from 64 uniform bytes, checked against libsodium's
 * implementation of the same RFC 9496 map. */
static void rand_point(ge25519 *p, uint8_t enc[32])
{
    uint8_t h[64], want[32];
    t_rand_bytes(h, sizeof h);
    ge25519_from_uniform(p, h);
    ge25519_encode(enc, p);
    crypto_core_ristretto255_from_hash(want, h);
    CHECK(memcmp(enc, want, 32) == 0);
}

/* Another representative of the same element: a random projective scale and,
 * at random, one of the 4-torsion points (0,-1), (±i, 0) added. */
static void rerepresent(ge25519 *r, const ge25519 *p)
{
    static const fe25519 sqrt_m1 = FE25519_SQRT_M1_INIT;
    uint8_t b[32];
    fe25519 lambda;
    ge25519 t, q;
    unsigned which = (unsigned)(t_rand64() % 4);
    ge25519_identity(&t);
    if (which == 1) fe25519_neg(&t.Y, &t.Y);
    if (which >= 2) {
        t.X = sqrt_m1;
        if (which == 3) fe25519_neg(&t.X, &t.X);
        fe25519_0(&t.Y);
    }
    ge25519_add(&q, p, &t);
    t_rand_bytes(b, sizeof b);
    b[0] |= 1;
    fe25519_frombytes(&lambda, b);
    fe25519_mul(&r->X, &q.X, &lambda);
    fe25519_mul(&r->Y, &q.Y, &lambda);
    fe25519_mul(&r->Z, &q.Z, &lambda);
    fe25519_mul(&r->T, &q.T, &lambda);
}

static int decaf_decode(decaf_255_point_t p, const uint8_t enc[32])
{
    return decaf_255_point_decode(p, enc, DECAF_TRUE) == DECAF_SUCCESS;
}

/* The generator in libdecaf, from our encoding of it. */
static void decaf_base(decaf_255_point_t db)
{
    ge25519 b;
    uint8_t be[32];
    ge25519_base(&b);
    ge25519_encode(be, &b);
    CHECK(decaf_decode(db, be));
}

static int enc_eq(const ge25519 *p, const uint8_t want[32])
{
    uint8_t got[32];
    ge25519_encode(got, p);
    return memcmp(got, want, 32) == 0;
}

/* A random scalar; every 16th is special (0, 1, -1, small, 2^k). */
static void rand_scalar(sc25519 *k, decaf_255_scalar_t dk)
{
    uint8_t wide[64];
    t_rand_bytes(wide, sizeof wide);
    sc25519_reduce64(k, wide);
    decaf_255_scalar_decode_long(dk, wide, sizeof wide);
    uint8_t denc[32];
    decaf_255_scalar_encode(denc, dk);
    CHECK(memcmp(denc, k->v, 32) == 0);
    if (t_rand64() % 16 == 0) {
        switch (t_rand64() % 5) {
        case 0:
            sc25519_from_i64(k, 0);
            break;
        case 1:
            sc25519_from_i64(k, 1);
            break;
        case 2:
            sc25519_from_i64(k, -1);
            break;
        case 3:
            sc25519_from_i64(k, t_rand_range(-20, 20));
            break;
        default:
            memset(k->v, 0, 32);
            k->v[t_rand64() % 32] = (uint8_t)(1u << (t_rand64() % 8));
            k->v[31] &= 0x0f;
        }
        CHECK(decaf_255_scalar_decode(dk, k->v) == DECAF_SUCCESS);
    }
}

static void test_encode_decode(void)
{
    for (long i = 0; i < iters; i++) {
        ge25519 p, q, r;
        uint8_t enc[32], enc2[32];
        decaf_255_point_t dp;
        rand_point(&p, enc);
        CHECK_EQ_INT(ge25519_decode(&q, enc), CRYPTONN_OK);
        CHECK(ge25519_eq(&p, &q));
        CHECK(enc_eq(&q, enc));
        rerepresent(&r, &p);
        CHECK(enc_eq(&r, enc));
        CHECK(ge25519_eq(&r, &p));
        CHECK(crypto_core_ristretto255_is_valid_point(enc) == 1);
        CHECK(decaf_decode(dp, enc));
        decaf_255_point_encode(enc2, dp);
        CHECK(memcmp(enc, enc2, 32) == 0);
    }
}

/* Random strings, and valid encodings with one defect (a flipped bit, the top
 * bit set, s negated, s + p): our verdict must equal both oracles'. */
static void test_decode_verdicts(void)
{
    long accepted = 0, rejected = 0;
    for (long i = 0; i < iters; i++) {
        uint8_t s[32];
        ge25519 p;
        decaf_255_point_t dp;
        if (i % 2 == 0) {
            t_rand_bytes(s, sizeof s);
            if (i % 4 == 0) s[31] &= 0x7f;
            if (i % 8 == 0) s[0] &= 0xfe; /* non-negative and < 2^255: the harder cases */
        } else {
            ge25519 q;
            rand_point(&q, s);
            fe25519 f, g;
            switch (t_rand64() % 5) {
            case 0:
                s[t_rand64() % 32] ^= (uint8_t)(1u << (t_rand64() % 8));
                break;
            case 1:
                s[31] |= 0x80;
                break;
            case 2:
                fe25519_frombytes(&f, s);
                fe25519_neg(&f, &f);
                fe25519_tobytes(s, &f);
                break;
            case 3: /* s + p, non-canonical, when it fits in 255 bits */
                fe25519_frombytes(&f, s);
                fe25519_0(&g);
                (void)g;
                {
                    unsigned c = 0;
                    static const uint8_t pbytes[32] = {
                        0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
                    for (int j = 0; j < 32; j++) {
                        c += (unsigned)s[j] + pbytes[j];
                        s[j] = (uint8_t)c;
                        c >>= 8;
                    }
                }
                break;
            default:
                break; /* unchanged: must be accepted */
            }
        }
        ge25519_identity(&p);
        const int ours = ge25519_decode(&p, s) == CRYPTONN_OK;
        const int sodium = crypto_core_ristretto255_is_valid_point(s) == 1;
        const int decaf = decaf_decode(dp, s);
        /* libsodium 1.0.18 ignores bit 255 (its ristretto255_is_canonical
         * masks it), which RFC 9496 §4.3.1 step 1 rejects; decaf follows the
         * RFC. So libsodium's verdict counts only with bit 255 clear. */
        if (s[31] & 0x80)
            CHECK(!ours);
        else
            CHECK_EQ_INT(ours, sodium);
        CHECK_EQ_INT(ours, decaf);
        if (ours) {
            accepted++;
            CHECK(enc_eq(&p, s));
        } else {
            rejected++;
            CHECK(ge25519_is_identity(&p)); /* r unchanged */
        }
    }
    /* Both verdicts must actually have been exercised. */
    CHECK(accepted > iters / 10);
    CHECK(rejected > iters / 10);
}

static void test_add_sub_dbl(void)
{
    for (long i = 0; i < iters; i++) {
        ge25519 p, q, r, pr, qr;
        uint8_t pe[32], qe[32], want[32];
        decaf_255_point_t dp, dq, dr;
        rand_point(&p, pe);
        if (i % 50 == 0)
            memcpy(qe, pe, 32), q = p; /* P + P through add */
        else
            rand_point(&q, qe);
        rerepresent(&pr, &p);
        rerepresent(&qr, &q);
        CHECK(decaf_decode(dp, pe) && decaf_decode(dq, qe));

        ge25519_add(&r, &pr, &qr);
        CHECK(crypto_core_ristretto255_add(want, pe, qe) == 0);
        CHECK(enc_eq(&r, want));
        decaf_255_point_add(dr, dp, dq);
        decaf_255_point_encode(want, dr);
        CHECK(enc_eq(&r, want));

        ge25519_sub(&r, &pr, &qr);
        CHECK(crypto_core_ristretto255_sub(want, pe, qe) == 0);
        CHECK(enc_eq(&r, want));
        decaf_255_point_sub(dr, dp, dq);
        decaf_255_point_encode(want, dr);
        CHECK(enc_eq(&r, want));

        ge25519_dbl(&r, &pr);
        CHECK(crypto_core_ristretto255_add(want, pe, pe) == 0);
        CHECK(enc_eq(&r, want));
        decaf_255_point_double(dr, dp);
        decaf_255_point_encode(want, dr);
        CHECK(enc_eq(&r, want));

        ge25519_neg(&r, &pr);
        decaf_255_point_negate(dr, dp);
        decaf_255_point_encode(want, dr);
        CHECK(enc_eq(&r, want));

        /* Aliasing: outputs may alias inputs. */
        r = pr;
        ge25519_add(&r, &r, &r);
        CHECK(crypto_core_ristretto255_add(want, pe, pe) == 0);
        CHECK(enc_eq(&r, want));
        r = pr;
        ge25519_sub(&r, &r, &qr);
        CHECK(crypto_core_ristretto255_sub(want, pe, qe) == 0);
        CHECK(enc_eq(&r, want));

        /* Identity: P - P, P + 0, and the cmov. */
        ge25519_sub(&r, &pr, &p);
        CHECK(ge25519_is_identity(&r));
        memset(want, 0, 32);
        CHECK(enc_eq(&r, want));
        ge25519_identity(&r);
        ge25519_add(&r, &r, &pr);
        CHECK(enc_eq(&r, pe));
        CHECK(!ge25519_is_identity(&r));
        ge25519_cmov(&r, &q, 0);
        CHECK(enc_eq(&r, pe));
        ge25519_cmov(&r, &q, 1);
        CHECK(enc_eq(&r, qe));
        CHECK_EQ_INT(ge25519_eq(&p, &q), memcmp(pe, qe, 32) == 0);
    }
}

/* k·P by every constant-time routine against both oracles. libsodium refuses
 * identity results (and returns -1): then we must produce the identity. */
static void test_scalarmult(void)
{
    decaf_255_point_t db;
    decaf_base(db);
    for (long i = 0; i < iters; i++) {
        ge25519 p, pr, r;
        uint8_t pe[32], want[32], dwant[32];
        sc25519 k;
        decaf_255_scalar_t dk;
        decaf_255_point_t dp, dr;
        rand_point(&p, pe);
        if (i % 100 == 0) {
            ge25519_identity(&p);
            memset(pe, 0, 32);
        }
        rerepresent(&pr, &p);
        rand_scalar(&k, dk);
        CHECK(decaf_decode(dp, pe));

        /* variable base */
        decaf_255_point_scalarmul(dr, dp, dk);
        decaf_255_point_encode(dwant, dr);
        if (crypto_scalarmult_ristretto255(want, k.v, pe) != 0) memset(want, 0, 32);
        CHECK(memcmp(want, dwant, 32) == 0);
        ge25519_scalarmult(&r, &pr, &k);
        CHECK(enc_eq(&r, want));
        r = pr;
        ge25519_scalarmult(&r, &r, &k); /* aliasing */
        CHECK(enc_eq(&r, want));
        if (i % 4 == 0) { /* a table per point: 0.2 ms each, so a quarter of the cases */
            ge25519_fixed *t = ge25519_fixed_create(&pr);
            CHECK(t != NULL);
            if (t) {
                ge25519_fixed_mul(&r, t, &k);
                CHECK(enc_eq(&r, want));
                sc25519 k2;
                decaf_255_scalar_t dk2;
                rand_scalar(&k2, dk2);
                ge25519_fixed_mul(&r, t, &k2);
                decaf_255_point_scalarmul(dr, dp, dk2);
                decaf_255_point_encode(dwant, dr);
                CHECK(enc_eq(&r, dwant));
                ge25519_fixed_destroy(t);
            }
        }

        /* base point */
        if (crypto_scalarmult_ristretto255_base(want, k.v) != 0) memset(want, 0, 32);
        decaf_255_point_scalarmul(dr, db, dk);
        decaf_255_point_encode(dwant, dr);
        CHECK(memcmp(want, dwant, 32) == 0);
        ge25519_scalarmult_base(&r, &k);
        CHECK(enc_eq(&r, want));
    }
}

static void test_base_small(void)
{
    decaf_255_point_t db;
    decaf_base(db);
    for (long i = 0; i < iters; i++) {
        const unsigned bits = (unsigned)(t_rand64() % 63);
        const int64_t bound = (int64_t)((1ull << bits) - 1);
        int64_t v = t_rand_range(-bound, bound);
        if (i % 10 == 1) v = bound;
        if (i % 10 == 2) v = -bound;
        ge25519 r;
        sc25519 k;
        uint8_t want[32], dwant[32];
        decaf_255_scalar_t dk;
        decaf_255_point_t dr;
        sc25519_from_i64(&k, v);
        /* decaf's own view of v mod ℓ: |v| set as unsigned, negated if v < 0 */
        decaf_255_scalar_set_unsigned(dk, (uint64_t)(v < 0 ? -(uint64_t)v : (uint64_t)v));
        if (v < 0) decaf_255_scalar_sub(dk, decaf_255_scalar_zero, dk);
        decaf_255_scalar_encode(dwant, dk);
        CHECK(memcmp(dwant, k.v, 32) == 0);
        decaf_255_point_scalarmul(dr, db, dk);
        decaf_255_point_encode(dwant, dr);
        if (crypto_scalarmult_ristretto255_base(want, k.v) != 0) memset(want, 0, 32);
        CHECK(memcmp(want, dwant, 32) == 0);
        ge25519_scalarmult_base_small(&r, v, bits);
        CHECK(enc_eq(&r, want));
        ge25519_scalarmult_base_small(&r, v, 62); /* a looser bound gives the same point */
        CHECK(enc_eq(&r, want));
    }
    /* the extremes of the largest bound */
    ge25519 r, s;
    sc25519 k;
    for (int sign = -1; sign <= 1; sign += 2) {
        const int64_t v = sign * (int64_t)((1ull << 62) - 1);
        sc25519_from_i64(&k, v);
        ge25519_scalarmult_base(&s, &k);
        ge25519_scalarmult_base_small(&r, v, 62);
        CHECK(ge25519_eq(&r, &s));
    }
    sc25519_from_i64(&k, INT64_MIN);
    uint8_t want[32];
    decaf_255_scalar_t dk;
    decaf_255_scalar_set_unsigned(dk, (uint64_t)1 << 63);
    decaf_255_scalar_sub(dk, decaf_255_scalar_zero, dk);
    decaf_255_scalar_encode(want, dk);
    CHECK(memcmp(want, k.v, 32) == 0);
}

static void test_scalars(void)
{
    for (long i = 0; i < iters; i++) {
        sc25519 a, b, r;
        decaf_255_scalar_t da, db, dr;
        uint8_t want[32];
        rand_scalar(&a, da);
        rand_scalar(&b, db);
        sc25519_add(&r, &a, &b);
        decaf_255_scalar_add(dr, da, db);
        decaf_255_scalar_encode(want, dr);
        CHECK(memcmp(want, r.v, 32) == 0);
        sc25519_sub(&r, &a, &b);
        decaf_255_scalar_sub(dr, da, db);
        decaf_255_scalar_encode(want, dr);
        CHECK(memcmp(want, r.v, 32) == 0);
        sc25519_mul(&r, &a, &b);
        decaf_255_scalar_mul(dr, da, db);
        decaf_255_scalar_encode(want, dr);
        CHECK(memcmp(want, r.v, 32) == 0);
        sc25519_neg(&r, &a);
        decaf_255_scalar_sub(dr, decaf_255_scalar_zero, da);
        decaf_255_scalar_encode(want, dr);
        CHECK(memcmp(want, r.v, 32) == 0);
        /* Aliasing: r may be a or b. */
        sc25519 al = a;
        sc25519_mul(&al, &al, &b);
        sc25519_mul(&r, &a, &b);
        CHECK(memcmp(al.v, r.v, 32) == 0);
        al = b;
        sc25519_sub(&al, &a, &al);
        sc25519_sub(&r, &a, &b);
        CHECK(memcmp(al.v, r.v, 32) == 0);
        al = a;
        sc25519_add(&al, &al, &al);
        sc25519_add(&r, &a, &a);
        CHECK(memcmp(al.v, r.v, 32) == 0);
        al = a;
        sc25519_neg(&al, &al);
        sc25519_neg(&r, &a);
        CHECK(memcmp(al.v, r.v, 32) == 0);
        if (!sc25519_is_zero(&b)) {
            al = b;
            CHECK_EQ_INT(sc25519_invert(&al, &al), CRYPTONN_OK);
            sc25519_mul(&r, &al, &b);
            CHECK(r.v[0] == 1 && sc25519_is_canonical(r.v));
            r.v[0] = 0;
            CHECK(sc25519_is_zero(&r));
        }
        CHECK(sc25519_is_canonical(a.v));
        CHECK_EQ_INT(sc25519_is_zero(&a), decaf_255_scalar_eq(da, decaf_255_scalar_zero) != 0);
        if (sc25519_is_zero(&a)) {
            CHECK_EQ_INT(sc25519_invert(&r, &a), CRYPTONN_ERR_ARG);
        } else {
            CHECK_EQ_INT(sc25519_invert(&r, &a), CRYPTONN_OK);
            CHECK(decaf_255_scalar_invert(dr, da) == DECAF_SUCCESS);
            decaf_255_scalar_encode(want, dr);
            CHECK(memcmp(want, r.v, 32) == 0);
        }
        /* Canonicity of raw strings against decaf's decode verdict. */
        uint8_t raw[32];
        t_rand_bytes(raw, sizeof raw);
        if (i % 2) raw[31] &= 0x1f; /* near ℓ: about half canonical */
        if (i % 7 == 0) memcpy(raw, a.v, 32), raw[0] = (uint8_t)(raw[0] + 1);
        CHECK_EQ_INT(sc25519_is_canonical(raw), decaf_255_scalar_decode(dr, raw) == DECAF_SUCCESS);
        /* from_i64 against decaf */
        const int64_t v = (int64_t)t_rand64();
        sc25519_from_i64(&r, v);
        decaf_255_scalar_set_unsigned(dr, v < 0 ? -(uint64_t)v : (uint64_t)v);
        if (v < 0) decaf_255_scalar_sub(dr, decaf_255_scalar_zero, dr);
        decaf_255_scalar_encode(want, dr);
        CHECK(memcmp(want, r.v, 32) == 0);
    }
    static const uint8_t l[32] = {0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
    uint8_t lm1[32];
    memcpy(lm1, l, 32);
    lm1[0]--;
    CHECK(!sc25519_is_canonical(l));
    CHECK(sc25519_is_canonical(lm1));
}

/* ---- the field against a schoolbook reference ----
 * An independent mod-p reference on 64-bit words (integers up to 512 bits,
 * folded with 2^256 ≡ 38). Inputs deliberately sit at the limb bounds that
 * fe25519.h documents, so the bound claims are tested, not only the typical
 * tight values the point tests produce. */
typedef struct {
    uint64_t w[8];
} ref512;

static const uint64_t ref_p[4] = {0xffffffffffffffedull, 0xffffffffffffffffull,
                                  0xffffffffffffffffull, 0x7fffffffffffffffull};

static int ref_geq_p(const uint64_t x[4])
{
    for (int i = 3; i >= 0; i--) {
        if (x[i] != ref_p[i]) return x[i] > ref_p[i];
    }
    return 1;
}

/* x mod p, canonical, into r[4]. */
static void ref_reduce(uint64_t r[4], ref512 x)
{
    for (;;) {
        int high = 0;
        for (int i = 4; i < 8; i++)
            high |= x.w[i] != 0;
        if (!high) break;
        ref512 t = {{0}};
        unsigned __int128 c = 0;
        for (int i = 0; i < 4; i++) {
            c += (unsigned __int128)x.w[i] + (unsigned __int128)x.w[i + 4] * 38;
            t.w[i] = (uint64_t)c;
            c >>= 64;
        }
        t.w[4] = (uint64_t)c;
        x = t;
    }
    uint64_t v[4] = {x.w[0], x.w[1], x.w[2], x.w[3]};
    while (ref_geq_p(v)) {
        unsigned __int128 b = 0;
        for (int i = 0; i < 4; i++) {
            unsigned __int128 d = (unsigned __int128)v[i] - ref_p[i] - b;
            v[i] = (uint64_t)d;
            b = (d >> 64) & 1;
        }
    }
    memcpy(r, v, sizeof v);
}

static ref512 ref_from_fe(const fe25519 *f)
{
    ref512 x = {{0}};
    for (int i = 0; i < 5; i++) { /* add limb_i << 51i */
        const unsigned bit = 51u * (unsigned)i;
        const unsigned word = bit / 64, sh = bit % 64;
        unsigned __int128 add = (unsigned __int128)f->v[i] << sh;
        for (unsigned j = word; j < 8 && add; j++) {
            unsigned __int128 s = (unsigned __int128)x.w[j] + (uint64_t)add;
            x.w[j] = (uint64_t)s;
            add = (add >> 64) + (s >> 64);
        }
    }
    return x;
}

static void ref_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    ref512 x = {{0}};
    for (int i = 0; i < 4; i++) {
        unsigned __int128 c = 0;
        for (int j = 0; j < 4; j++) {
            c += (unsigned __int128)a[i] * b[j] + x.w[i + j];
            x.w[i + j] = (uint64_t)c;
            c >>= 64;
        }
        x.w[i + 4] = (uint64_t)c;
    }
    ref_reduce(r, x);
}

static void ref_of(uint64_t r[4], const fe25519 *f)
{
    ref_reduce(r, ref_from_fe(f));
}

static int fe_matches(const fe25519 *f, const uint64_t want[4])
{
    uint8_t got[32], exp[32];
    fe25519_tobytes(got, f);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            exp[8 * i + j] = (uint8_t)(want[i] >> (8 * j));
    return memcmp(got, exp, 32) == 0;
}

static int fe_tight(const fe25519 *f)
{
    for (int i = 0; i < 5; i++)
        if (f->v[i] >= (1ull << 51) + (1ull << 18)) return 0;
    return 1;
}

/* A limb vector with every limb below 2^bits; a third of the time at the
 * bound itself, a third of the time a canonical value near 0 or p. */
static void rand_fe(fe25519 *f, unsigned bits)
{
    const uint64_t max = (bits >= 64) ? ~0ull : (1ull << bits) - 1;
    switch (t_rand64() % 3) {
    case 0:
        for (int i = 0; i < 5; i++)
            f->v[i] = t_rand64() & max;
        break;
    case 1:
        for (int i = 0; i < 5; i++)
            f->v[i] = max - (t_rand64() % 4);
        break;
    default: { /* p - small, or small */
        const uint64_t s = t_rand64() % 64;
        if (t_rand64() & 1) {
            f->v[0] = 0x7ffffffffffedull - s;
            for (int i = 1; i < 5; i++)
                f->v[i] = FE25519_MASK51;
        } else {
            f->v[0] = s;
            for (int i = 1; i < 5; i++)
                f->v[i] = 0;
        }
    }
    }
}

static void test_field(void)
{
    static const fe25519 sqrt_m1 = FE25519_SQRT_M1_INIT;
    const long n = 10 * iters;
    for (long it = 0; it < n; it++) {
        fe25519 f, g, h;
        uint64_t a[4], b[4], want[4], t[4];

        rand_fe(&f, 54); /* mul/sq accept limbs < 2^54 */
        rand_fe(&g, 54);
        ref_of(a, &f);
        ref_of(b, &g);
        fe25519_mul(&h, &f, &g);
        ref_mul(want, a, b);
        CHECK(fe_matches(&h, want));
        CHECK(fe_tight(&h));
        fe25519_sq(&h, &f);
        ref_mul(want, a, a);
        CHECK(fe_matches(&h, want));
        CHECK(fe_tight(&h));

        rand_fe(&f, 53); /* sq2: 2·f^2 */
        ref_of(a, &f);
        fe25519_sq2(&h, &f);
        ref_mul(t, a, a);
        uint64_t two[4] = {2, 0, 0, 0};
        ref_mul(want, t, two);
        CHECK(fe_matches(&h, want));
        CHECK(fe_tight(&h));

        /* add: any limbs < 2^62; sub: g < 2^53 */
        rand_fe(&f, 62);
        rand_fe(&g, 62);
        ref512 s = ref_from_fe(&f), s2 = ref_from_fe(&g);
        {
            unsigned __int128 c = 0;
            for (int i = 0; i < 8; i++) {
                c += (unsigned __int128)s.w[i] + s2.w[i];
                s.w[i] = (uint64_t)c;
                c >>= 64;
            }
        }
        ref_reduce(want, s);
        fe25519_add(&h, &f, &g);
        CHECK(fe_matches(&h, want));
        CHECK(fe_tight(&h));
        rand_fe(&g, 53);
        if (g.v[0] >= FE25519_4P0) g.v[0] = FE25519_4P0; /* the documented bound is 4p's limbs */
        for (int i = 1; i < 5; i++)
            if (g.v[i] > FE25519_4PI) g.v[i] = FE25519_4PI;
        ref_of(a, &f);
        ref_of(b, &g);
        fe25519_sub(&h, &f, &g);
        {
            fe25519 back;
            fe25519_add(&back, &h, &g); /* (f - g) + g = f */
            CHECK(fe_matches(&back, a));
        }
        CHECK(fe_tight(&h));
        fe25519_neg(&h, &g);
        fe25519_add(&h, &h, &g);
        CHECK(fe25519_iszero(&h));

        /* the lazy forms at their documented bounds */
        rand_fe(&f, 51);
        rand_fe(&g, 51);
        fe25519_mul(&f, &f, &f); /* tight */
        fe25519_mul(&g, &g, &g);
        fe25519 l1, l2, l3;
        fe25519_add_lazy(&l1, &f, &g);   /* < 2^53 */
        fe25519_sub_lazy(&l2, &l1, &g);  /* f + 2p - g: needs tight g, f < 2^52 + 2^16 */
        fe25519_sub_lazy4(&l3, &g, &l1); /* g + 4p - l1: l1 < 2^53 */
        for (int i = 0; i < 5; i++)
            CHECK(l1.v[i] < (1ull << 53) && l3.v[i] < (1ull << 54));
        ref_of(a, &f);
        CHECK(fe_matches(&l2, a));
        fe25519_mul(&h, &l3, &l1); /* lazy values are valid mul inputs */
        ref_of(t, &l3);
        ref_of(b, &l1);
        ref_mul(want, t, b);
        CHECK(fe_matches(&h, want));

        /* mul_small */
        const uint32_t c32 = (uint32_t)t_rand64();
        rand_fe(&f, 54);
        ref_of(a, &f);
        fe25519_mul_small(&h, &f, c32);
        uint64_t cw[4] = {c32, 0, 0, 0};
        ref_mul(want, a, cw);
        CHECK(fe_matches(&h, want));

        /* bytes: frombytes ignores bit 255 and reduces; canonical verdict */
        uint8_t bytes[32], back[32];
        t_rand_bytes(bytes, 32);
        if (it % 4 == 0) { /* near p */
            memset(bytes, 0xff, 32);
            bytes[0] = (uint8_t)(0xed - 2 + t_rand64() % 5);
            bytes[31] = (it % 8 == 0) ? 0xff : 0x7f;
        }
        ref512 xb = {{0}};
        for (int i = 0; i < 4; i++)
            for (int j = 7; j >= 0; j--)
                xb.w[i] = (xb.w[i] << 8) | bytes[8 * i + j];
        xb.w[3] &= 0x7fffffffffffffffull;
        const int canon_ref = !(bytes[31] & 0x80) && !ref_geq_p(xb.w);
        ref_reduce(want, xb);
        CHECK_EQ_INT(fe25519_frombytes_canonical(&f, bytes), canon_ref);
        CHECK(fe_matches(&f, want));
        fe25519_tobytes(back, &f);
        CHECK_EQ_INT(memcmp(back, bytes, 32) == 0, canon_ref);
        CHECK_EQ_INT(fe25519_isnegative(&f), (int)(want[0] & 1));
        CHECK_EQ_INT(fe25519_iszero(&f), (want[0] | want[1] | want[2] | want[3]) == 0);

        /* invert (and 0 -> 0), eq, cmov/cneg/abs */
        rand_fe(&f, 52);
        ref_of(a, &f);
        fe25519_invert(&h, &f);
        ref_of(b, &h);
        ref_mul(want, a, b);
        const int zero = (a[0] | a[1] | a[2] | a[3]) == 0;
        CHECK(zero ? fe25519_iszero(&h) : (want[0] == 1 && !(want[1] | want[2] | want[3])));
        fe25519_abs(&h, &f);
        CHECK(!fe25519_isnegative(&h));
        fe25519_cneg(&g, &f, 1);
        fe25519_add(&g, &g, &f);
        CHECK(fe25519_iszero(&g));
        g = f;
        fe25519_cmov(&g, &h, 0);
        CHECK(fe25519_eq(&g, &f));

        /* sqrt_ratio_m1: v·r^2 = u when u/v is square, = i·u otherwise */
        fe25519 u, v, r, chk, iu;
        rand_fe(&u, 51);
        rand_fe(&v, 51);
        const int sq = fe25519_sqrt_ratio_m1(&r, &u, &v);
        CHECK(!fe25519_isnegative(&r));
        fe25519_sq(&chk, &r);
        fe25519_mul(&chk, &chk, &v);
        fe25519_mul(&iu, &u, &sqrt_m1);
        if (fe25519_iszero(&v))
            CHECK(fe25519_iszero(&r));
        else if (sq)
            CHECK(fe25519_eq(&chk, &u));
        else
            CHECK(fe25519_eq(&chk, &iu));
    }
}

/* ge25519_fixed_mul_many (eight lanes at a time on IFMA, partial groups
 * included) = libdecaf's k·P + v·B, for random, special and extreme k and
 * v, every bit bound, identity and non-normalised P. */
static void test_fixed_many(void)
{
    enum { NPT = 4, MAXC = 24 };
    static const size_t counts[] = {1, 3, 8, 9, 16, 17, 24};
    decaf_255_point_t db;
    decaf_base(db);
    long cases = 0;
    for (int pt = 0; pt < NPT; pt++) {
        ge25519 p, pr;
        uint8_t pe[32];
        if (pt == 0) {
            ge25519_identity(&p);
            ge25519_encode(pe, &p);
        } else {
            rand_point(&p, pe);
        }
        rerepresent(&pr, &p);
        decaf_255_point_t dp;
        CHECK(decaf_decode(dp, pe));
        ge25519_fixed *t = ge25519_fixed_create(&pr);
        CHECK(t != NULL);
        if (!t) continue;
        for (long round = 0; round < iters / 200 + 1; round++) {
            const size_t count = counts[t_rand64() % (sizeof counts / sizeof counts[0])];
            const unsigned bits = 1 + (unsigned)(t_rand64() % 62);
            const int64_t bound = (int64_t)((1ull << bits) - 1);
            sc25519 k[MAXC];
            sc25519_radix16 kd[MAXC];
            decaf_255_scalar_t dk[MAXC];
            int64_t v[MAXC];
            ge25519 got[MAXC];
            ge25519 *out[MAXC];
            for (size_t j = 0; j < count; j++) {
                rand_scalar(&k[j], dk[j]);
                sc25519_to_radix16(&kd[j], &k[j]);
                decaf_255_scalar_decode_long(dk[j], k[j].v, 32);
                v[j] = t_rand_range(-bound, bound);
                if (j % 5 == 1) v[j] = bound;
                if (j % 5 == 2) v[j] = -bound;
                if (j % 5 == 3) v[j] = 0;
                out[j] = &got[j];
            }
            ge25519_fixed_mul_many(out, t, kd, v, bits, count);
            for (size_t j = 0; j < count; j++) {
                decaf_255_scalar_t dv;
                decaf_255_point_t a, c;
                decaf_255_scalar_set_unsigned(dv, (uint64_t)(v[j] < 0 ? -(uint64_t)v[j] : (uint64_t)v[j]));
                if (v[j] < 0) decaf_255_scalar_sub(dv, decaf_255_scalar_zero, dv);
                decaf_255_point_scalarmul(a, dp, dk[j]);
                decaf_255_point_scalarmul(c, db, dv);
                decaf_255_point_add(a, a, c);
                uint8_t want[32];
                decaf_255_point_encode(want, a);
                CHECK(enc_eq(&got[j], want));
                cases++;
            }
        }
        ge25519_fixed_destroy(t);
    }
    printf("  fixed_mul_many: %ld products = libdecaf\n", cases);
}

int main(void)
{
    t_init("test_group_oracle");
    if (sodium_init() < 0) return 1;
    iters = t_iters(10000, 1000);
    test_field();
    test_encode_decode();
    test_decode_verdicts();
    test_add_sub_dbl();
    test_scalarmult();
    test_base_small();
    test_fixed_many();
    test_scalars();
    printf("test_group_oracle: %ld cases per operation\n", iters);
    return t_done();
}
