/* ct_mult: constant-time multiplication by secret scalars.
 *
 * Tables (scalarmult_base, fixed_mul, base_small): signed radix-16 digits
 * e_i in [-8, 8] and a table whose row i holds j·16^i·P for j = 1..8 in niels
 * (affine) form, so k·P = Σ_i e_i·16^i·P is 64 mixed additions (7M each) and
 * no doublings. A row lookup reads all 8 entries with masked moves and
 * negates with a masked move: memory access and branches never depend on the
 * scalar. One table is 64·8·120 = 61,440 bytes (a 784-slot mpk: 48 MB); a
 * table half that size (ref10's 32 rows + 4 doublings) would cost 4 doublings
 * more per multiplication. base_small uses only the first ceil(bits/4) + 1
 * rows of the base table, so its time depends on bits alone.
 *
 * No table (scalarmult): the same digits, top down, 4 doublings (3 of them
 * without T) and one cached addition from 1P..8P per digit.
 *
 * Scalars must be canonical (< ℓ, as every sc25519 producer leaves them):
 * the top digit is then at most 8. A caller's non-canonical scalar is not
 * detected here, since checking would branch on the secret.
 *
 * One-time initialisation: the base-point table (61,440 bytes) is built on the
 * first call that needs it, under pthread_once. This is the library's one
 * allowed piece of global mutable state; after the init it is read only and
 * shared by all threads. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "group/ge25519_internal.h"
#include "util/util.h"

struct ge25519_fixed {
    ge25519_niels row[64][8];
};

/* Builds the 64×8 niels table of p. p is public, so this may take any time.
 * Returns 0, or -1 when the 100 KB of temporaries cannot be allocated. */
static int build_table(ge25519_niels (*table)[8], const ge25519 *p)
{
    enum { N = 64 * 8 };
    ge25519 *pts = cn_malloc_array(N, sizeof *pts);
    fe25519 *scratch = cn_malloc_array(N, sizeof *scratch);
    if (!pts || !scratch) {
        free(pts);
        free(scratch);
        return -1;
    }
    ge25519 q = *p; /* 16^i·p */
    for (int i = 0; i < 64; i++) {
        ge25519 *row = pts + 8 * i;
        row[0] = q;
        for (int j = 1; j < 8; j++) {
            if (j & 1)
                ge25519_dbl(&row[j], &row[j / 2]); /* (j+1) even: double */
            else
                ge25519_add(&row[j], &row[j - 1], &q);
        }
        ge25519_dbl(&q, &row[7]); /* 16·16^i·p */
    }
    ge25519_batch_to_niels(&table[0][0], sizeof(ge25519_niels), pts, N, scratch);
    free(pts);
    free(scratch);
    return 0;
}

static ge25519_niels base_table[64][8];
static pthread_once_t base_once = PTHREAD_ONCE_INIT;

static void base_table_init(void)
{
    ge25519 b;
    ge25519_base(&b);
    /* Nothing to return an error to inside pthread_once: out of memory on the
     * first base multiplication is fatal. */
    if (build_table(base_table, &b) != 0)
        cn_illegal_argument("memory for the base-point table", __FILE__, __LINE__);
}

const ge25519_niels (*ge25519_base_table(void))[8]
{
    pthread_once(&base_once, base_table_init);
    return (const ge25519_niels(*)[8])base_table;
}

/* 1 if a == b, for small non-negative ints; no branch. */
static inline unsigned ct_eq_u32(uint32_t a, uint32_t b)
{
    return (uint32_t)((uint64_t)(a ^ b) - 1) >> 31 & 1;
}

/* out = e·(row entry), reading all 8 entries. The masked move runs over the
 * entry as 12 + 3 words, the 12 as GCC/Clang generic 4×64-bit vectors loaded
 * straight from the table (one AVX2 register each; plain 64-bit code without
 * AVX2). may_alias + aligned(8): the entries are arrays of uint64_t. */
typedef uint64_t ct_u64x4 __attribute__((vector_size(32), aligned(8), may_alias));

static inline void select_niels(ge25519_niels *out, const ge25519_niels row[8], int8_t e)
{
    _Static_assert(sizeof(ge25519_niels) == 15 * sizeof(uint64_t), "niels is 15 words");
    const uint32_t neg = (uint32_t)((uint8_t)e >> 7);
    const uint32_t babs = ((uint32_t)(int32_t)e ^ ((uint32_t)0 - neg)) + neg; /* |e| */
    /* start from the identity (1, 1, 0): words 0 and 5 are 1 */
    ct_u64x4 v0 = {1, 0, 0, 0}, v1 = {0, 1, 0, 0}, v2 = {0, 0, 0, 0};
    uint64_t w0 = 0, w1 = 0, w2 = 0;
    for (uint32_t j = 0; j < 8; j++) {
        const ct_u64x4 *sv = (const ct_u64x4 *)&row[j];
        const uint64_t *sw = (const uint64_t *)&row[j] + 12;
        const uint64_t m = (uint64_t)0 - (uint64_t)ct_eq_u32(babs, j + 1);
        const ct_u64x4 mv = {m, m, m, m};
        v0 ^= mv & (v0 ^ sv[0]);
        v1 ^= mv & (v1 ^ sv[1]);
        v2 ^= mv & (v2 ^ sv[2]);
        w0 ^= m & (w0 ^ sw[0]);
        w1 ^= m & (w1 ^ sw[1]);
        w2 ^= m & (w2 ^ sw[2]);
    }
    ct_u64x4 *ov = (ct_u64x4 *)out;
    uint64_t *ow = (uint64_t *)out + 12;
    ov[0] = v0;
    ov[1] = v1;
    ov[2] = v2;
    ow[0] = w0;
    ow[1] = w1;
    ow[2] = w2;
    ge25519_niels_cneg(out, neg);
}

/* Installed builds are portable (no -march=native): an AVX2 clone keeps the
 * constant-time row scan at native speed where the CPU has it. */
__attribute__((target_clones("avx2", "default")))
void ge25519_table_mul(ge25519 *r, const ge25519_niels (*table)[8], const int8_t *e, size_t rows)
{
    ge25519_niels n;
    ge25519_p1p1 t;
    ge25519_identity(r);
    for (size_t i = 0; i < rows; i++) {
        select_niels(&n, table[i], e[i]);
        ge25519_add_niels(&t, r, &n);
        ge25519_p1p1_to_p3(r, &t);
    }
    cn_wipe(&n, sizeof n);
    cn_wipe(&t, sizeof t);
}

void ge25519_scalarmult_base(ge25519 *r, const sc25519 *k)
{
    int8_t e[64];
    sc25519_recode_radix16(e, k);
    ge25519_table_mul(r, ge25519_base_table(), e, 64);
    cn_wipe(e, sizeof e);
}

unsigned ge25519_small_digits(int8_t e[17], uint64_t *sign, int64_t v, unsigned bits)
{
    CN_ARG_CHECK(bits <= 62);
    *sign = (uint64_t)0 - ((uint64_t)v >> 63);
    uint64_t mag = ((uint64_t)v ^ *sign) - *sign;
    /* |v| < 2^bits has ceil(bits/4) nibbles; the recoding carries into one more. */
    const unsigned nd = (bits + 3) / 4 + 1;
    for (unsigned i = 0; i < nd; i++)
        e[i] = (int8_t)(i < 16 ? (mag >> (4 * i)) & 15 : 0);
    int8_t carry = 0;
    for (unsigned i = 0; i + 1 < nd; i++) {
        e[i] = (int8_t)(e[i] + carry);
        carry = (int8_t)((e[i] + 8) >> 4);
        e[i] = (int8_t)(e[i] - carry * 16);
    }
    e[nd - 1] = (int8_t)(e[nd - 1] + carry);
    cn_wipe(&mag, sizeof mag);
    return nd;
}

void ge25519_scalarmult_base_small(ge25519 *r, int64_t v, unsigned bits)
{
    int8_t e[17];
    uint64_t sign;
    const unsigned nd = ge25519_small_digits(e, &sign, v, bits);
    ge25519_table_mul(r, ge25519_base_table(), e, nd);
    /* -(|v|·B) for negative v: negate x and t under a mask. */
    fe25519_cneg(&r->X, &r->X, (unsigned)(sign & 1));
    fe25519_cneg(&r->T, &r->T, (unsigned)(sign & 1));
    cn_wipe(e, sizeof e);
    cn_wipe(&sign, sizeof sign);
}

void sc25519_to_radix16(sc25519_radix16 *d, const sc25519 *k)
{
    sc25519_recode_radix16(d->e, k);
}

void ge25519_fixed_mul_many(ge25519 *const *r, const ge25519_fixed *t, const sc25519_radix16 *k,
                            const int64_t *v, unsigned bits, size_t count)
{
    CN_ARG_CHECK(bits >= 1 && bits <= 62);
    size_t j = 0;
    if (gev_have_ifma())
        for (; j < count; j += 8)
            gev_fixed_mul_many_ifma(r + j, (const ge25519_niels(*)[8])t->row, k + j, v + j, bits,
                                    count - j < 8 ? count - j : 8);
    for (; j < count; j++) {
        ge25519 a, g;
        ge25519_table_mul(&a, (const ge25519_niels(*)[8])t->row, k[j].e, 64);
        ge25519_scalarmult_base_small(&g, v[j], bits);
        ge25519_add(r[j], &a, &g);
        cn_wipe(&a, sizeof a);
        cn_wipe(&g, sizeof g);
    }
}

ge25519_fixed *ge25519_fixed_create(const ge25519 *p)
{
    ge25519_fixed *t = aligned_alloc(64, sizeof *t);
    if (!t) return NULL;
    if (build_table(t->row, p) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

void ge25519_fixed_destroy(ge25519_fixed *t)
{
    free(t);
}

size_t ge25519_fixed_bytes(void)
{
    return sizeof(ge25519_fixed);
}

void ge25519_fixed_mul(ge25519 *r, const ge25519_fixed *t, const sc25519 *k)
{
    int8_t e[64];
    sc25519_recode_radix16(e, k);
    ge25519_table_mul(r, (const ge25519_niels(*)[8])t->row, e, 64);
    cn_wipe(e, sizeof e);
}

/* The same masked selection for the 20-word cached form (8 entries). */
static inline void select_cached(ge25519_cached *out, const ge25519_cached multiples[8], int8_t e)
{
    _Static_assert(sizeof(ge25519_cached) == 20 * sizeof(uint64_t), "cached is 20 words");
    const uint32_t neg = (uint32_t)((uint8_t)e >> 7);
    const uint32_t babs = ((uint32_t)(int32_t)e ^ ((uint32_t)0 - neg)) + neg;
    /* the identity (1, 1, 1, 0): words 0, 5 and 10 are 1 */
    ct_u64x4 v[5] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
    for (uint32_t j = 0; j < 8; j++) {
        const ct_u64x4 *src = (const ct_u64x4 *)&multiples[j];
        const uint64_t m = (uint64_t)0 - (uint64_t)ct_eq_u32(babs, j + 1);
        const ct_u64x4 mv = {m, m, m, m};
        for (int i = 0; i < 5; i++)
            v[i] ^= mv & (v[i] ^ src[i]);
    }
    ct_u64x4 *o = (ct_u64x4 *)out;
    for (int i = 0; i < 5; i++)
        o[i] = v[i];
    ge25519_cached_cneg(out, neg);
}

/* Fixed 4-bit signed window, no table beyond 1P..8P: 4 doublings and one
 * cached addition per digit, from the top digit down. */
void ge25519_scalarmult(ge25519 *r, const ge25519 *p, const sc25519 *k)
{
    ge25519_cached multiples[8], c;
    ge25519 q;
    ge25519_p1p1 t;
    ge25519_p2 s;
    int8_t e[64];

    ge25519_to_cached(&multiples[0], p);
    q = *p;
    for (int j = 1; j < 8; j++) {
        ge25519_add_cached(&t, &q, &multiples[0]);
        ge25519_p1p1_to_p3(&q, &t);
        ge25519_to_cached(&multiples[j], &q); /* (j+1)·p */
    }
    sc25519_recode_radix16(e, k);

    ge25519_identity(&q);
    for (int i = 63; i >= 0; i--) {
        if (i != 63) {
            ge25519_p3_to_p2(&s, &q);
            for (int d = 0; d < 3; d++) {
                ge25519_p2_dbl(&t, &s);
                ge25519_p1p1_to_p2(&s, &t);
            }
            ge25519_p2_dbl(&t, &s);
            ge25519_p1p1_to_p3(&q, &t);
        }
        select_cached(&c, multiples, e[i]);
        ge25519_add_cached(&t, &q, &c);
        ge25519_p1p1_to_p3(&q, &t);
    }
    *r = q;
    cn_wipe(e, sizeof e);
    cn_wipe(&c, sizeof c);
    cn_wipe(&t, sizeof t);
    cn_wipe(&s, sizeof s);
    cn_wipe(&q, sizeof q);
}
