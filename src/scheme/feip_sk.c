/* sk_y = <y, s> mod ℓ for small signed y: the authority's hot loop (a
 * gradient key has ~36,864 terms, and a batch needs 150 of them).
 *
 * Instead of a modular multiplication per term, the products |y_j|·s_j
 * (|y_j| < 2^31, s_j < 2^253: under 2^284) are summed in two 320-bit
 * accumulators, one for positive and one for negative y_j, and reduced mod ℓ
 * once at the end. 320 bits hold 2^36 such products, far above the widest
 * mpk (2^24 slots). The sign of y_j is public (the key vector is given to
 * the server), so choosing the accumulator by it leaks nothing; the limbs of
 * s_j only ever pass through multiplications and carries: constant time. */
#include <string.h>

#include "scheme/feip_sk.h"
#include "util/util.h"

typedef unsigned __int128 u128;

static inline void mac(uint64_t acc[5], uint64_t y, const uint64_t s[4])
{
    u128 c = 0;
    for (int i = 0; i < 4; i++) {
        c += (u128)y * s[i] + acc[i];
        acc[i] = (uint64_t)c;
        c >>= 64;
    }
    acc[4] += (uint64_t)c;
}

static void reduce320(sc25519 *r, const uint64_t acc[5])
{
    uint8_t wide[64] = {0};
    for (int i = 0; i < 5; i++) cn_store_u64(wide + 8 * i, acc[i]);
    sc25519_reduce64(r, wide);
    cn_wipe(wide, sizeof wide);
}

void feip_inner_sk(sc25519 *sk, const sc25519 *s, const uint32_t *idx, const int64_t *val,
                   size_t nnz)
{
    uint64_t pos[5] = {0}, neg[5] = {0}, limbs[4];
    for (size_t j = 0; j < nnz; j++) {
        const uint8_t *b = s[idx ? idx[j] : j].v;
        for (int i = 0; i < 4; i++) limbs[i] = cn_load_u64(b + 8 * i);
        int64_t v = val[j];
        if (v >= 0) mac(pos, (uint64_t)v, limbs);
        else mac(neg, (uint64_t)0 - (uint64_t)v, limbs);
    }
    sc25519 p, n;
    reduce320(&p, pos);
    reduce320(&n, neg);
    sc25519_sub(sk, &p, &n);
    cn_wipe(pos, sizeof pos);
    cn_wipe(neg, sizeof neg);
    cn_wipe(limbs, sizeof limbs);
    cn_wipe(&p, sizeof p);
    cn_wipe(&n, sizeof n);
}
