/* `cryptonn bench group`: the ristretto255 core against libdecaf and
 * libsodium, on the same inputs in one run.
 *
 * Peers and what their rows include:
 *   - libdecaf (decaf_255_*): its 255-bit group is ristretto255 with its own
 *     point type, so add/double/multiplications compare like for like.
 *   - libsodium has no point type: crypto_core_ristretto255_add and
 *     crypto_scalarmult_ristretto255 take and return encodings, so their rows
 *     include a decode (and an encode); the "+ decode + encode" row of ours is
 *     the like-for-like comparison for those.
 *   - Where no peer has the operation (MSM, fingerprints), the peer row is
 *     what a caller would otherwise do (one multiplication per term, one
 *     encoding per point); rows marked "extrapolated" time 256 terms and scale
 *     to n, since timing 36,864 naive multiplications per repetition would
 *     take seconds. */
#include <decaf.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "group/ge25519_var.h"

enum { NP = 256, SLOTS = 784, BIG = 36864, FPB = 1024 };

typedef struct {
    ge25519 p[NP], r;
    sc25519 k[NP];
    uint8_t enc[NP][32], kb[NP][32], out[32], enc_b[NP][32];
    ge25519 dec_b[NP];
    int64_t k8[25], k16[BIG];
    uint32_t idx[25];
    ge25519 *big;          /* BIG points */
    ge25519 *fp_pts;       /* FPB points */
    uint8_t (*fp_out)[32]; /* FPB fingerprints */
    fe25519 *fp_scratch;
    ge25519_comb *comb8;           /* one point, window 8, full scalars (ct_0's table) */
    ge25519_comb *slots;           /* 784 points, window 5, 8-bit scalars (a ciphertext's slots) */
    ge25519_sums *sums, *sumsp;    /* default backend, portable backend */
    ge25519_comb *bigpts;          /* the BIG points as table entries (bits 1) */
    decaf_255_point_t dp[NP], dr;
    decaf_255_scalar_t dk[NP], dk8[25];
    decaf_255_precomputed_s *dpre;
    unsigned sink;
} ctx;

/* Operations per repetition of each timed function. */
enum { N_ADD = 2000, N_MUL = 16, N_SODIUM = 64, N_COMB = 256, N_ENC = 256 };

/* ---- point add and double ---- */
static void add_ours(void *v)
{
    ctx *c = v;
    ge25519 r = c->p[0];
    for (int i = 0; i < N_ADD; i++) ge25519_add(&r, &r, &c->p[i % NP]);
    c->r = r;
}
static void add_decaf(void *v)
{
    ctx *c = v;
    decaf_255_point_copy(c->dr, c->dp[0]);
    for (int i = 0; i < N_ADD; i++) decaf_255_point_add(c->dr, c->dr, c->dp[i % NP]);
}
static void add_sodium(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_SODIUM; i++) c->sink += (unsigned)crypto_core_ristretto255_add(c->out, c->enc[i], c->enc[i + 1]);
}
static void dbl_ours(void *v)
{
    ctx *c = v;
    ge25519 r = c->p[0];
    for (int i = 0; i < N_ADD; i++) ge25519_dbl(&r, &r);
    c->r = r;
}
static void dbl_decaf(void *v)
{
    ctx *c = v;
    decaf_255_point_copy(c->dr, c->dp[0]);
    for (int i = 0; i < N_ADD; i++) decaf_255_point_double(c->dr, c->dr);
}

/* ---- multiplications ---- */
static void base_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) ge25519_scalarmult_base(&c->r, &c->k[i]);
}
static void base_decaf(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) decaf_255_precomputed_scalarmul(c->dr, decaf_255_precomputed_base, c->dk[i]);
}
static void base_sodium(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) c->sink += (unsigned)crypto_scalarmult_ristretto255_base(c->out, c->kb[i]);
}
static void var_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) ge25519_scalarmult_var(&c->r, &c->p[i], &c->k[i]);
}
static void var_portable(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) gev_scalarmult_var_portable(&c->r, &c->p[i], &c->k[i]);
}
static void ct_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) ge25519_scalarmult(&c->r, &c->p[i], &c->k[i]);
}
static void var_decaf(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) decaf_255_point_scalarmul(c->dr, c->dp[i], c->dk[i]);
}
static void var_sodium(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) c->sink += (unsigned)crypto_scalarmult_ristretto255(c->out, c->kb[i], c->enc[i]);
}
static void var_enc_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_MUL; i++) {
        ge25519 p;
        c->sink += (unsigned)ge25519_decode(&p, c->enc[i]);
        ge25519_scalarmult_var(&p, &p, &c->k[i]);
        ge25519_encode(c->out, &p);
    }
}

/* ---- digit tables (comb) and flat sums ---- */
static void comb_build(ctx *c, int vec) { gev_comb_set_backend_var(c->comb8, &c->p[1], vec); }
static void comb_build_ours(void *v) { comb_build(v, gev_have_ifma()); }
static void comb_build_portable(void *v) { comb_build(v, 0); }
static void slots_build(ctx *c, int vec) { gev_comb_set_backend_var(c->slots, c->big + BIG - SLOTS, vec); }
static void slots_build_ours(void *v) { slots_build(v, gev_have_ifma()); }
static void slots_build_portable(void *v) { slots_build(v, 0); }
static void comb_build_decaf(void *v)
{
    ctx *c = v;
    decaf_255_precompute(c->dpre, c->dp[1]);
}
static void comb_one(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_COMB; i++) ge25519_comb_mul_var(&c->r, c->comb8, 0, &c->k[i]);
}
/* N_COMB multiplications as flat sums (eight at a time on IFMA). */
static void comb_sums(ctx *c, ge25519_sums *s)
{
    static ge25519 out[N_COMB];
    for (int i = 0; i < N_COMB; i++) {
        c->sink += (unsigned)ge25519_sums_begin_var(s, &out[i], NULL);
        c->sink += (unsigned)ge25519_sums_add_scalar_var(s, c->comb8, 0, &c->k[i], 0);
    }
    ge25519_sums_flush_var(s);
    c->r = out[N_COMB - 1];
}
static void comb_ours(void *v) { comb_sums(v, ((ctx *)v)->sums); }
static void comb_portable(void *v) { comb_sums(v, ((ctx *)v)->sumsp); }
static void comb_decaf(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_COMB; i++) decaf_255_precomputed_scalarmul(c->dr, c->dpre, c->dk[i]);
}

/* ---- MSM ---- */
static void msm25_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < 64; i++) ge25519_msm_i64_var(&c->r, c->k8, &c->p[i], 25);
}
/* 64 sums of 25 slot terms over the slot tables. */
static void msm25_slots(ctx *c, ge25519_sums *s)
{
    static ge25519 out[64];
    for (int i = 0; i < 64; i++) {
        c->sink += (unsigned)ge25519_sums_begin_var(s, &out[i], NULL);
        c->sink += (unsigned)ge25519_sums_add_i64_var(s, c->slots, c->idx, c->k8, 25);
    }
    ge25519_sums_flush_var(s);
    c->r = out[63];
}
static void msm25_prepared(void *v) { msm25_slots(v, ((ctx *)v)->sums); }
static void msm25_prepared_portable(void *v) { msm25_slots(v, ((ctx *)v)->sumsp); }
static void msm_big_portable(void *v)
{
    ctx *c = v;
    gev_msm_pippenger_var(&c->r, NULL, c->k16, c->big, BIG, 0);
}
static void msm25_decaf(void *v)
{
    ctx *c = v;
    decaf_255_point_t t;
    decaf_255_point_copy(c->dr, decaf_255_point_identity);
    for (int i = 0; i < 25; i++) {
        decaf_255_point_scalarmul(t, c->dp[i], c->dk8[i]);
        decaf_255_point_add(c->dr, c->dr, t);
    }
}
static void msm_big_ours(void *v)
{
    ctx *c = v;
    ge25519_msm_i64_var(&c->r, c->k16, c->big, BIG);
}
static void msm_big_sums(void *v)
{
    ctx *c = v;
    c->sink += (unsigned)ge25519_sums_msm_var(c->sums, &c->r, c->bigpts, NULL, c->k16, BIG);
}
static void msm_big_sums_portable(void *v)
{
    ctx *c = v;
    c->sink += (unsigned)ge25519_sums_msm_var(c->sumsp, &c->r, c->bigpts, NULL, c->k16, BIG);
}
static void bigpts_build(void *v)
{
    ctx *c = v;
    ge25519_comb_set_var(c->bigpts, c->big);
}
/* 256 naive terms with 16-bit scalars (the k[] rows are reused; decaf's
 * multiplication is constant time, so the scalar size does not matter). */
static void msm_big_decaf(void *v)
{
    ctx *c = v;
    decaf_255_point_t t;
    decaf_255_point_copy(c->dr, decaf_255_point_identity);
    for (int i = 0; i < NP; i++) {
        decaf_255_point_scalarmul(t, c->dp[i], c->dk[i]);
        decaf_255_point_add(c->dr, c->dr, t);
    }
}
static void msm64_ours(void *v)
{
    ctx *c = v;
    ge25519_msm_var(&c->r, c->k, c->p, 64);
}
static void msm64_decaf(void *v)
{
    ctx *c = v;
    decaf_255_point_t t;
    decaf_255_point_copy(c->dr, decaf_255_point_identity);
    for (int i = 0; i < 64; i++) {
        decaf_255_point_scalarmul(t, c->dp[i], c->dk[i]);
        decaf_255_point_add(c->dr, c->dr, t);
    }
}

/* ---- fingerprints, encode, decode ---- */
static void fp_ours(void *v)
{
    ctx *c = v;
    ge25519_fingerprint_batch_var(c->fp_out, c->fp_pts, FPB, c->fp_scratch);
}
static void encode_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_ENC; i++) ge25519_encode(c->enc[i], &c->p[i]);
}
static void encode_batch_ours(void *v)
{
    ctx *c = v;
    ge25519_encode_batch(c->enc_b[0], c->p, N_ENC);
}
static void decode_batch_ours(void *v)
{
    ctx *c = v;
    c->sink += (unsigned)ge25519_decode_batch(c->dec_b, c->enc[0], N_ENC);
}
static void encode_decaf(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_ENC; i++) decaf_255_point_encode(c->out, c->dp[i]);
}
static void decode_ours(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_ENC; i++) c->sink += (unsigned)ge25519_decode(&c->r, c->enc[i]);
}
static void decode_decaf(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_ENC; i++) c->sink += (unsigned)decaf_255_point_decode(c->dr, c->enc[i], DECAF_TRUE);
}
static void decode_sodium(void *v)
{
    ctx *c = v;
    for (int i = 0; i < N_ENC; i++) c->sink += (unsigned)crypto_core_ristretto255_is_valid_point(c->enc[i]);
}

static void rand_bytes(void *out, size_t n) { randombytes_buf(out, n); }

static int setup(ctx *c)
{
    for (int i = 0; i < NP; i++) {
        uint8_t h[64];
        rand_bytes(h, sizeof h);
        ge25519_from_uniform(&c->p[i], h);
        ge25519_encode(c->enc[i], &c->p[i]);
        if (decaf_255_point_decode(c->dp[i], c->enc[i], DECAF_TRUE) != DECAF_SUCCESS) return -1;
        sc25519_random(&c->k[i]);
        memcpy(c->kb[i], c->k[i].v, 32);
        if (decaf_255_scalar_decode(c->dk[i], c->k[i].v) != DECAF_SUCCESS) return -1;
    }
    for (int i = 0; i < 25; i++) {
        /* 8-bit signed weights, never 0 (libsodium-style naive peers would refuse) */
        int64_t w = (int64_t)(randombytes_uniform(255)) + 1;
        c->k8[i] = randombytes_uniform(2) ? w : -w;
        sc25519 s;
        sc25519_from_i64(&s, c->k8[i]);
        if (decaf_255_scalar_decode(c->dk8[i], s.v) != DECAF_SUCCESS) return -1;
        c->idx[i] = randombytes_uniform(SLOTS);
    }
    c->big = malloc(BIG * sizeof *c->big);
    c->fp_pts = malloc(FPB * sizeof *c->fp_pts);
    c->fp_out = malloc(FPB * 32);
    c->fp_scratch = malloc(FPB * sizeof *c->fp_scratch);
    void *pre = NULL;
    if (posix_memalign(&pre, decaf_255_alignof_precomputed_s < sizeof(void *) ? sizeof(void *)
                                                                             : decaf_255_alignof_precomputed_s,
                       decaf_255_sizeof_precomputed_s) != 0)
        return -1;
    c->dpre = pre;
    if (!c->big || !c->fp_pts || !c->fp_out || !c->fp_scratch || !c->dpre) return -1;
    /* Large inputs as multiples of the NP random points by random 20-bit
     * scalars: random-looking elements at a fraction of from_uniform's cost. */
    for (int i = 0; i < BIG; i++) {
        sc25519 s;
        sc25519_from_i64(&s, (int64_t)randombytes_uniform(1u << 20) + 1);
        ge25519_scalarmult_var(&c->big[i], &c->p[i % NP], &s);
        c->k16[i] = (int64_t)randombytes_uniform(1u << 16) - (1 << 15);
    }
    for (int i = 0; i < FPB; i++) c->fp_pts[i] = c->big[i];
    c->comb8 = ge25519_comb_create_var(1, 8, 253);
    c->slots = ge25519_comb_create_var(SLOTS, 5, 8);
    c->sums = ge25519_sums_create();
    c->sumsp = ge25519_sums_create();
    c->bigpts = ge25519_comb_create_var(BIG, 2, 1);
    if (!c->comb8 || !c->slots || !c->sums || !c->sumsp || !c->bigpts) return -1;
    ge25519_comb_set_var(c->bigpts, c->big);
    gev_sums_set_portable(c->sumsp, 1);
    ge25519_comb_set_var(c->comb8, &c->p[1]);
    ge25519_comb_set_var(c->slots, c->big + BIG - SLOTS);
    decaf_255_precompute(c->dpre, c->dp[1]);
    return 0;
}

int bench_group(int argc, char **argv, const bench_opts *o)
{
    (void)argc;
    (void)argv;
    if (sodium_init() < 0) return 1;
    ctx *c = calloc(1, sizeof *c);
    if (!c || setup(c) != 0) {
        fprintf(stderr, "cryptonn bench group: set-up failed\n");
        return 1;
    }
    const int q = o->quick, ifma = gev_have_ifma();
    const int reps = q ? 3 : 41, reps_slow = q ? 2 : 11;
    bench_report *r = bench_report_open("group", o);

    bench_row(r, "point add", "ours", bench_measure(add_ours, c, reps, N_ADD), NULL);
    bench_row(r, "point add", "libdecaf", bench_measure(add_decaf, c, reps, N_ADD), NULL);
    bench_row(r, "point add", "libsodium*", bench_measure(add_sodium, c, reps, N_SODIUM), NULL);
    bench_row(r, "point double", "ours", bench_measure(dbl_ours, c, reps, N_ADD), NULL);
    bench_row(r, "point double", "libdecaf", bench_measure(dbl_decaf, c, reps, N_ADD), NULL);

    bench_row(r, "base mult (constant time)", "ours", bench_measure(base_ours, c, reps, N_MUL), NULL);
    bench_row(r, "base mult (constant time)", "libdecaf", bench_measure(base_decaf, c, reps, N_MUL), NULL);
    bench_row(r, "base mult (constant time)", "libsodium*", bench_measure(base_sodium, c, reps, N_MUL), NULL);

    bench_row(r, "variable-base mult (wNAF, _var)", "ours", bench_measure(var_ours, c, reps, N_MUL), NULL);
    if (ifma) bench_row(r, "variable-base mult (wNAF, _var)", "portable", bench_measure(var_portable, c, reps, N_MUL), NULL);
    bench_row(r, "variable-base mult (wNAF, _var)", "libdecaf", bench_measure(var_decaf, c, reps, N_MUL), NULL);
    bench_row(r, "variable-base mult (wNAF, _var)", "libsodium*", bench_measure(var_sodium, c, reps, N_MUL), NULL);
    bench_row(r, "variable-base mult (constant time)", "ours", bench_measure(ct_ours, c, reps, N_MUL), NULL);
    bench_row(r, "variable-base mult (constant time)", "libdecaf", bench_measure(var_decaf, c, reps, N_MUL), NULL);
    bench_row(r, "variable-base mult (constant time)", "libsodium*", bench_measure(var_sodium, c, reps, N_MUL), NULL);
    bench_row(r, "var-base mult + decode + encode", "ours", bench_measure(var_enc_ours, c, reps, N_MUL), NULL);
    bench_row(r, "var-base mult + decode + encode", "libsodium", bench_measure(var_sodium, c, reps, N_MUL), NULL);

    bench_row(r, "comb table build (window 8)", "ours", bench_measure(comb_build_ours, c, reps_slow, 1), NULL);
    if (ifma)
        bench_row(r, "comb table build (window 8)", "portable", bench_measure(comb_build_portable, c, reps_slow, 1), NULL);
    bench_row(r, "comb table build (window 8)", "libdecaf", bench_measure(comb_build_decaf, c, reps_slow, 1), NULL);
    bench_row(r, "comb mult, 8 at a time (window 8)", "ours", bench_measure(comb_ours, c, reps, N_COMB), NULL);
    if (ifma)
        bench_row(r, "comb mult, 8 at a time (window 8)", "portable", bench_measure(comb_portable, c, reps, N_COMB), NULL);
    bench_row(r, "comb mult, 8 at a time (window 8)", "libdecaf", bench_measure(comb_decaf, c, reps, N_COMB), NULL);
    bench_row(r, "comb mult, one at a time (window 8)", "ours", bench_measure(comb_one, c, reps, N_COMB), NULL);
    bench_value(r, "comb table bytes (window 8)", (double)ge25519_comb_bytes(c->comb8), "B");
    bench_value(r, "libdecaf precomputed table bytes", (double)decaf_255_sizeof_precomputed_s, "B");

    bench_row(r, "MSM 25 points, 8-bit scalars", "ours", bench_measure(msm25_ours, c, reps, 64), NULL);
    bench_row(r, "MSM 25 points, 8-bit scalars", "libdecaf", bench_measure(msm25_decaf, c, reps, 1), NULL);
    bench_row(r, "sum of 25 slot terms, 8-bit (w 5), 8 at a time", "ours", bench_measure(msm25_prepared, c, reps, 64), NULL);
    if (ifma)
        bench_row(r, "sum of 25 slot terms, 8-bit (w 5), 8 at a time", "portable",
                  bench_measure(msm25_prepared_portable, c, reps, 64), NULL);
    bench_row(r, "sum of 25 slot terms, 8-bit (w 5), 8 at a time", "libdecaf", bench_measure(msm25_decaf, c, reps, 1), NULL);
    bench_row(r, "slot table build (784 points, 8-bit, w 5)", "ours", bench_measure(slots_build_ours, c, reps_slow, 1), NULL);
    if (ifma)
        bench_row(r, "slot table build (784 points, 8-bit, w 5)", "portable",
                  bench_measure(slots_build_portable, c, reps_slow, 1), NULL);
    bench_row(r, "MSM 64 points, full scalars", "ours", bench_measure(msm64_ours, c, reps, 1), NULL);
    bench_row(r, "MSM 64 points, full scalars", "libdecaf", bench_measure(msm64_decaf, c, reps, 1), NULL);
    bench_row(r, "MSM 36,864 points, 16-bit scalars", "ours", bench_measure(msm_big_ours, c, reps_slow, 1), NULL);
    if (ifma)
        bench_row(r, "MSM 36,864 points, 16-bit scalars", "portable", bench_measure(msm_big_portable, c, reps_slow, 1), NULL);
    bench_row(r, "MSM 36,864 points, 16-bit scalars, flat-sum buckets", "ours",
              bench_measure(msm_big_sums, c, reps_slow, 1), NULL);
    if (ifma)
        bench_row(r, "MSM 36,864 points, 16-bit scalars, flat-sum buckets", "portable",
                  bench_measure(msm_big_sums_portable, c, reps_slow, 1), NULL);
    bench_row(r, "points as table entries (36,864, for the buckets)", "ours",
              bench_measure(bigpts_build, c, reps_slow, 1), NULL);
    bench_row(r, "MSM 36,864 points, 16-bit scalars", "libdecaf~",
              bench_measure(msm_big_decaf, c, reps_slow, (double)NP / BIG), NULL);

    bench_row(r, "fingerprint per point (batch 1,024)", "ours", bench_measure(fp_ours, c, reps, FPB), NULL);
    bench_row(r, "fingerprint per point (batch 1,024)", "libdecaf", bench_measure(encode_decaf, c, reps, N_ENC), NULL);
    bench_row(r, "encode", "ours", bench_measure(encode_ours, c, reps, N_ENC), NULL);
    bench_row(r, "encode", "libdecaf", bench_measure(encode_decaf, c, reps, N_ENC), NULL);
    bench_row(r, "encode, batch of 256 (per point)", "ours", bench_measure(encode_batch_ours, c, reps, N_ENC), NULL);
    bench_row(r, "encode, batch of 256 (per point)", "libdecaf", bench_measure(encode_decaf, c, reps, N_ENC), NULL);
    bench_row(r, "decode", "ours", bench_measure(decode_ours, c, reps, N_ENC), NULL);
    bench_row(r, "decode", "libdecaf", bench_measure(decode_decaf, c, reps, N_ENC), NULL);
    bench_row(r, "decode", "libsodium", bench_measure(decode_sodium, c, reps, N_ENC), NULL);
    bench_row(r, "decode, batch of 256 (per point)", "ours", bench_measure(decode_batch_ours, c, reps, N_ENC), NULL);
    bench_row(r, "decode, batch of 256 (per point)", "libdecaf", bench_measure(decode_decaf, c, reps, N_ENC), NULL);

    bench_note(r, "libsodium* rows take and return encodings: they include a decode (and an encode) per "
                  "operation; compare them with the 'var-base mult + decode + encode' row");
    bench_note(r, "libdecaf rows for MSM are the naive sum (one constant-time scalarmul + add per term); "
                  "libdecaf~ is 256 terms timed and scaled to 36,864");
    bench_note(r, "libdecaf's fingerprint row is one point encoding per point (the per-point canonical key "
                  "a discrete-log table would otherwise use); decode for libsodium is is_valid_point");
    bench_note(r, ifma ? "ours: the AVX-512 IFMA backends (4-way for one point, 8 lanes for tables and flat "
                         "sums; chosen at run time); 'portable' rows: the 64-bit path that CPUs without IFMA run"
                       : "ours: the portable 64-bit backend (this CPU has no AVX-512 IFMA)");
    bench_note(r, "ratio = peer median / ours median (> 1: ours faster)");
    bench_report_close(r);

    ge25519_comb_destroy(c->comb8);
    ge25519_comb_destroy(c->slots);
    ge25519_comb_destroy(c->bigpts);
    ge25519_sums_destroy(c->sums);
    ge25519_sums_destroy(c->sumsp);
    free(c->big);
    free(c->fp_pts);
    free(c->fp_out);
    free(c->fp_scratch);
    free(c->dpre);
    free(c);
    return 0;
}
