/* Constant-time check of the group's secret paths, run under valgrind
 * (CMake: valgrind --error-exitcode=42). Secrets (scalars, the plaintexts of
 * base_small) are marked undefined; memcheck then reports every branch or
 * memory index that depends on them. Outputs are marked defined again before
 * they are compared, so the checks below stay meaningful.
 * A deliberately variable-time line (e.g. `if (k.v[0] & 1) ...` on a marked
 * scalar inside ge25519_fixed_mul) makes this fail with exit code 42; that
 * was checked by hand when this test was written. */
#include <string.h>
#include <valgrind/memcheck.h>

#include "cryptonn/status.h"
#include "group/ge25519_internal.h"
#include "testutil.h"

#define SECRET(p, n) VALGRIND_MAKE_MEM_UNDEFINED((p), (n))
#define PUBLIC(p, n) VALGRIND_MAKE_MEM_DEFINED((p), (n))

static int same(const ge25519 *a, const ge25519 *b)
{
    uint8_t ea[32], eb[32];
    ge25519_encode(ea, a);
    ge25519_encode(eb, b);
    return memcmp(ea, eb, 32) == 0;
}

int main(void)
{
    t_init("ctime_group");
    ge25519 b, p, r1, r2, r3;
    sc25519 k, k2, s;
    ge25519_base(&b);
    (void)ge25519_base_table(); /* the one-time init is public work */

    for (int round = 0; round < 4; round++) {
        sc25519_random(&k);
        sc25519_random(&k2);
        if (round == 1) sc25519_from_i64(&k, 0);
        if (round == 2) sc25519_from_i64(&k, -1);
        ge25519_scalarmult_base(&p, &k2); /* a public point for the fixed table */
        ge25519_fixed *t = ge25519_fixed_create(&p);
        CHECK(t != NULL);
        if (!t) break;

        SECRET(&k, sizeof k);
        ge25519_scalarmult_base(&r1, &k);
        ge25519_fixed_mul(&r2, t, &k);
        ge25519_scalarmult(&r3, &p, &k);
        PUBLIC(&r1, sizeof r1);
        PUBLIC(&r2, sizeof r2);
        PUBLIC(&r3, sizeof r3);
        ge25519 want;
        ge25519 kb_check;
        sc25519 kd = k;
        PUBLIC(&kd, sizeof kd);
        ge25519_scalarmult(&want, &p, &kd); /* public copy: the same result */
        CHECK(same(&r3, &want));
        ge25519_scalarmult(&kb_check, &b, &kd);
        CHECK(same(&r1, &kb_check));
        /* the batched form (the portable path: valgrind hides AVX-512):
         * k·p + v·B for secret k and v */
        {
            sc25519_radix16 kd16[3];
            int64_t vs[3] = {-77, 0, 255};
            ge25519 got[3], *out[3] = {&got[0], &got[1], &got[2]};
            sc25519 ks[3] = {k, k2, k};
            SECRET(ks, sizeof ks);
            SECRET(vs, sizeof vs);
            for (int j = 0; j < 3; j++) sc25519_to_radix16(&kd16[j], &ks[j]);
            ge25519_fixed_mul_many(out, t, kd16, vs, 8, 3);
            PUBLIC(got, sizeof got);
            PUBLIC(ks, sizeof ks);
            PUBLIC(vs, sizeof vs);
            for (int j = 0; j < 3; j++) {
                ge25519 a, g;
                ge25519_scalarmult(&a, &p, &ks[j]);
                ge25519_scalarmult_base_small(&g, vs[j], 8);
                ge25519_add(&a, &a, &g);
                CHECK(same(&got[j], &a));
            }
        }
        ge25519_fixed_destroy(t);

        /* fixed_mul of p must equal k·p */
        CHECK(same(&r2, &want));

        /* scalar arithmetic on secrets */
        sc25519 a = k, c = k2;
        SECRET(&a, sizeof a);
        SECRET(&c, sizeof c);
        sc25519 sum, diff, prod, neg;
        sc25519_add(&sum, &a, &c);
        sc25519_sub(&diff, &a, &c);
        sc25519_mul(&prod, &a, &c);
        sc25519_neg(&neg, &a);
        int z = sc25519_is_zero(&a);
        int canon = sc25519_is_canonical(c.v);
        uint8_t wide[64];
        memcpy(wide, a.v, 32);
        memcpy(wide + 32, c.v, 32);
        sc25519_reduce64(&s, wide);
        sc25519 inv;
        int inv_rc = sc25519_invert(&inv, &c);
        PUBLIC(&sum, sizeof sum);
        PUBLIC(&diff, sizeof diff);
        PUBLIC(&prod, sizeof prod);
        PUBLIC(&neg, sizeof neg);
        PUBLIC(&z, sizeof z);
        PUBLIC(&canon, sizeof canon);
        PUBLIC(&s, sizeof s);
        PUBLIC(&inv, sizeof inv);
        PUBLIC(&inv_rc, sizeof inv_rc);
        CHECK(canon == 1);
        CHECK_EQ_INT(z, round == 1);
        sc25519 back;
        sc25519_add(&back, &diff, &k2);
        CHECK(memcmp(back.v, kd.v, 32) == 0);
        sc25519_add(&back, &neg, &kd);
        CHECK(sc25519_is_zero(&back));
        CHECK_EQ_INT(inv_rc, CRYPTONN_OK);
        sc25519_mul(&back, &inv, &k2);
        sc25519 one;
        sc25519_from_i64(&one, 1);
        CHECK(memcmp(back.v, one.v, 32) == 0);
        (void)prod;
    }

    /* sc25519_random and from_i64 on secret values */
    sc25519_random(&s);
    PUBLIC(&s, sizeof s);
    CHECK(sc25519_is_canonical(s.v));
    for (int i = 0; i < 8; i++) {
        int64_t v = t_rand_range(-1000000, 1000000);
        int64_t vs = v;
        SECRET(&vs, sizeof vs);
        sc25519 fv;
        sc25519_from_i64(&fv, vs);
        ge25519 gs, gf;
        ge25519_scalarmult_base_small(&gs, vs, 21);
        PUBLIC(&fv, sizeof fv);
        PUBLIC(&gs, sizeof gs);
        ge25519_scalarmult_base(&gf, &fv);
        CHECK(same(&gs, &gf));
    }
    int64_t big = -(int64_t)((1ull << 62) - 1);
    SECRET(&big, sizeof big);
    ge25519_scalarmult_base_small(&r1, big, 62);
    PUBLIC(&r1, sizeof r1);
    sc25519_from_i64(&k, -(int64_t)((1ull << 62) - 1));
    ge25519_scalarmult_base(&r2, &k);
    CHECK(same(&r1, &r2));
    return t_done();
}
