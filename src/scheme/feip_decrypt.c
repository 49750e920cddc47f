/* FEIP decryption: the server's hot path (feip.h), variable time.
 *
 * Per result: Σ y_j·ct_{idx_j} (small signed scalars over the key's support)
 * minus sk·ct_0, then the bounded discrete log. Shared work is hoisted:
 * a prepared ciphertext carries digit tables (group.h: combs) for ct_0 and
 * for its slots, so a key costs one table addition per non-zero digit and
 * no doubling — about 32 for sk (window 8) and at most two per 8-bit weight
 * (window 5) — and the whole result is one flat sum; the group core runs
 * eight keys' sums at once. Results are normalized in batches (one
 * inversion) for the discrete log. */
#include <stdlib.h>
#include <string.h>

#include <omp.h>

#include "dlog/dlog.h"
#include "scheme/feip_internal.h"
#include "scheme/feip_slice.h"
#include "util/util.h"

/* Window 8: 32 terms per sk from a 508 KiB table built in ~0.2 ms, against
 * 43 terms for window 6; the table serves thousands of keys. */
#define FEIP_COMB_WINDOW 8
/* Window 5: an 8-bit weight is two digits (24 entries a slot). */
#define FEIP_SLOT_WINDOW 5
#define FEIP_DEFAULT_KEY_BITS 8
/* Slot tables cost ~24 entries of 128 bytes per slot: beyond this width (a
 * whole batch as one ciphertext) they would take hundreds of MB, and such
 * ciphertexts meet long keys, which bucket MSMs serve better. */
#define FEIP_PREPARE_MAX_SLOTS 8192
/* Beyond this support a bucket MSM beats the per-point tables. */
#define FEIP_LARGE_KEY 1024
/* The bucket MSM's copy of the slots costs 128 bytes a slot: beyond this
 * width (128 MiB) long keys gather their points instead. */
#define FEIP_POINTS_MAX_SLOTS ((size_t)1 << 20)

struct cryptonn_feip_prepared {
    const cryptonn_feip_ct *ct; /* NULL until set */
    size_t n;
    ge25519_comb *c0;
    /* Narrow ciphertexts: digit tables of the slots. Wide ones (a whole
     * batch as one ciphertext, met by the gradient's long keys): the slots
     * themselves as table entries (bits 1), for bucket MSMs. */
    ge25519_comb *slots;
};

typedef struct {
    dlog_ws *w;
    ge25519_sums *sums;
    ge25519 *res;
    ge25519 *gpts; /* gathered support points, grows to the largest key seen */
    size_t gcap;
    uint32_t *sidx; /* a key's indices shifted into a slice (feip_slice.h) */
    size_t scap;
} feip_tws;

struct cryptonn_feip_decryptor {
    const cryptonn_dlog *d;
    size_t batch;
    int nthreads;
    feip_tws *tws;
};

int cryptonn_feip_decryptor_create(cryptonn_feip_decryptor **out, const cryptonn_dlog *d,
                                   size_t batch)
{
    CN_ARG_CHECK(out != NULL && d != NULL);
    *out = NULL;
    if (batch == 0) batch = 128;
    if (batch > ((size_t)1 << 20)) return CRYPTONN_ERR_ARG;
    cryptonn_feip_decryptor *dec = calloc(1, sizeof *dec);
    if (!dec) return CRYPTONN_ERR_NOMEM;
    dec->d = d;
    dec->batch = batch;
    dec->nthreads = omp_get_max_threads();
    if (dec->nthreads < 1) dec->nthreads = 1;
    dec->tws = calloc((size_t)dec->nthreads, sizeof *dec->tws);
    int oom = dec->tws == NULL;
    for (int t = 0; !oom && t < dec->nthreads; t++) {
        dec->tws[t].w = dlog_ws_create(batch);
        dec->tws[t].sums = ge25519_sums_create();
        dec->tws[t].res = cn_malloc_array(batch, sizeof(ge25519));
        oom = !dec->tws[t].w || !dec->tws[t].sums || !dec->tws[t].res;
    }
    if (oom) {
        cryptonn_feip_decryptor_destroy(dec);
        return CRYPTONN_ERR_NOMEM;
    }
    *out = dec;
    return CRYPTONN_OK;
}

void cryptonn_feip_decryptor_destroy(cryptonn_feip_decryptor *dec)
{
    if (!dec) return;
    for (int t = 0; dec->tws && t < dec->nthreads; t++) {
        dlog_ws_destroy(dec->tws[t].w);
        ge25519_sums_destroy(dec->tws[t].sums);
        free(dec->tws[t].res);
        free(dec->tws[t].gpts);
        free(dec->tws[t].sidx);
    }
    free(dec->tws);
    free(dec);
}

/* A thread's scratch array buf of *cap elements, grown to at least m (its
 * contents are not kept); NULL when out of memory (buf is then kept). */
static void *grow(void *buf, size_t *cap, size_t m, size_t size)
{
    if (buf && m <= *cap) return buf;
    void *g = cn_malloc_array(m ? m : 1, size);
    if (!g) return NULL;
    free(buf);
    *cap = m ? m : 1;
    return g;
}

static int gather(feip_tws *tw, const ge25519 *slots, const uint32_t *idx, size_t m)
{
    void *g = grow(tw->gpts, &tw->gcap, m, sizeof *tw->gpts);
    if (!g) return CRYPTONN_ERR_NOMEM;
    tw->gpts = g;
    for (size_t j = 0; j < m; j++) tw->gpts[j] = slots[idx[j]];
    return CRYPTONN_OK;
}

/* Σ y_j ct_{idx_j} over m terms without per-ciphertext tables. */
static int support_sum(feip_tws *tw, ge25519 *r, const cryptonn_feip_ct *ct, const uint32_t *idx,
                       const int64_t *val, size_t m)
{
    CN_TRY(gather(tw, ct->c, idx, m));
    ge25519_msm_i64_var(r, val, tw->gpts, m);
    return CRYPTONN_OK;
}

/* g^{<x,y_i>} on a plain ciphertext. */
static int result_point(feip_tws *tw, ge25519 *r, const cryptonn_feip_ct *ct,
                        const cryptonn_feip_keys *k, size_t i)
{
    ge25519 s, q;
    size_t a = k->off[i];
    CN_TRY(support_sum(tw, &s, ct, k->idx + a, k->val + a, k->off[i + 1] - a));
    ge25519_scalarmult_var(&q, &ct->c0, &k->sk[i]);
    ge25519_sub(r, &s, &q);
    return CRYPTONN_OK;
}

/* Opens a sum of the thread's sums into *r (computed by the next flush)
 * that starts with Σ y_j ct_{idx_j} over m terms of at most `bits` bits on
 * a prepared ciphertext: slot-table terms in the flat sum itself; keys too
 * large or too wide for the slot tables start from their support sum
 * instead. */
static int queue_support(feip_tws *tw, ge25519 *r, const cryptonn_feip_prepared *p,
                         const uint32_t *idx, const int64_t *val, size_t m, unsigned bits)
{
    const unsigned tbits = p->slots ? ge25519_comb_bits(p->slots) : 0;
    if (tbits > 1 && m <= FEIP_LARGE_KEY && bits <= tbits) {
        if (ge25519_sums_begin_var(tw->sums, r, NULL) ||
            ge25519_sums_add_i64_var(tw->sums, p->slots, idx, val, m))
            return CRYPTONN_ERR_NOMEM;
        return CRYPTONN_OK;
    }
    ge25519 s;
    if (tbits == 1) {
        if (ge25519_sums_msm_var(tw->sums, &s, p->slots, idx, val, m)) return CRYPTONN_ERR_NOMEM;
    } else {
        CN_TRY(support_sum(tw, &s, p->ct, idx, val, m));
    }
    return ge25519_sums_begin_var(tw->sums, r, &s) ? CRYPTONN_ERR_NOMEM : CRYPTONN_OK;
}

/* Queues g^{<x,y_i>} on a prepared ciphertext into *r: one flat sum of the
 * support and the negated digits of sk. */
static int queue_result_prepared(feip_tws *tw, ge25519 *r, const cryptonn_feip_prepared *p,
                                 const cryptonn_feip_keys *k, size_t i)
{
    size_t a = k->off[i];
    CN_TRY(queue_support(tw, r, p, k->idx + a, k->val + a, k->off[i + 1] - a, k->bits[i]));
    if (ge25519_sums_add_scalar_var(tw->sums, p->c0, 0, &k->sk[i], 1)) return CRYPTONN_ERR_NOMEM;
    return CRYPTONN_OK;
}

static int same_mpk(const cryptonn_feip_ct *ct, const cryptonn_feip_keys *k)
{
    return k->n == ct->n && memcmp(k->id, ct->id, FEIP_ID_BYTES) == 0;
}

int cryptonn_feip_decrypt_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *ct,
                              const cryptonn_feip_keys *keys, size_t i, int64_t *out)
{
    CN_ARG_CHECK(dec != NULL && ct != NULL && keys != NULL && out != NULL && i < keys->count);
    *out = 0;
    if (!same_mpk(ct, keys)) return CRYPTONN_ERR_MISMATCH;
    ge25519 r;
    CN_TRY(result_point(&dec->tws[0], &r, ct, keys, i));
    return dlog_solve_point_var(dec->d, out, &r);
}

int cryptonn_feip_prepared_create_var(cryptonn_feip_prepared **out, size_t slots, unsigned key_bits)
{
    CN_ARG_CHECK(out != NULL);
    *out = NULL;
    if (slots == 0 || slots > CRYPTONN_FEIP_MAX_SLOTS || key_bits == 0 ||
        key_bits > CRYPTONN_FEIP_MAX_KEY_BITS)
        return CRYPTONN_ERR_ARG;
    cryptonn_feip_prepared *p = calloc(1, sizeof *p);
    if (!p) return CRYPTONN_ERR_NOMEM;
    p->n = slots;
    p->c0 = ge25519_comb_create_var(1, FEIP_COMB_WINDOW, 253);
    if (slots <= FEIP_PREPARE_MAX_SLOTS)
        p->slots = ge25519_comb_create_var(slots, FEIP_SLOT_WINDOW, key_bits);
    else if (slots <= FEIP_POINTS_MAX_SLOTS)
        p->slots = ge25519_comb_create_var(slots, 2, 1);
    if (!p->c0 || (slots <= FEIP_POINTS_MAX_SLOTS && !p->slots)) {
        cryptonn_feip_prepared_destroy(p);
        return CRYPTONN_ERR_NOMEM;
    }
    *out = p;
    return CRYPTONN_OK;
}

int cryptonn_feip_prepared_set_var(cryptonn_feip_prepared *p, const cryptonn_feip_ct *ct)
{
    CN_ARG_CHECK(p != NULL && ct != NULL);
    if (ct->n != p->n) return CRYPTONN_ERR_MISMATCH;
    ge25519_comb_set_var(p->c0, &ct->c0);
    if (p->slots) ge25519_comb_set_var(p->slots, ct->c);
    p->ct = ct;
    return CRYPTONN_OK;
}

int cryptonn_feip_prepare_var(cryptonn_feip_prepared **out, const cryptonn_feip_ct *ct)
{
    CN_ARG_CHECK(out != NULL && ct != NULL);
    CN_TRY(cryptonn_feip_prepared_create_var(out, ct->n, FEIP_DEFAULT_KEY_BITS));
    int rc = cryptonn_feip_prepared_set_var(*out, ct);
    if (rc != CRYPTONN_OK) {
        cryptonn_feip_prepared_destroy(*out);
        *out = NULL;
    }
    return rc;
}

void cryptonn_feip_prepared_destroy(cryptonn_feip_prepared *p)
{
    if (!p) return;
    ge25519_comb_destroy(p->c0);
    ge25519_comb_destroy(p->slots);
    free(p);
}

static void note_failure(int *rc, int r)
{
    if (r == CRYPTONN_OK) return;
#pragma omp critical(feip_rc)
    if (*rc == CRYPTONN_OK) *rc = r;
}

/* Ends a chunk whose result points are in tw->res: solves their discrete logs
 * together, or, if computing the points failed (r), marks every result of
 * the chunk with that failure. */
static void finish_chunk(const cryptonn_feip_decryptor *dec, feip_tws *tw, int r, int64_t *out,
                         int *status, size_t len, int *rc)
{
    if (r == CRYPTONN_OK)
        r = dlog_solve_batch_var(dec->d, out, status, tw->res, len, tw->w);
    else
        for (size_t j = 0; j < len; j++) {
            out[j] = 0;
            if (status) status[j] = r;
        }
    note_failure(rc, r);
}

/* Chunks small enough that every thread gets work, at most one batch. */
static size_t chunk_size(const cryptonn_feip_decryptor *dec, size_t count)
{
    size_t per = (count + (size_t)dec->nthreads - 1) / (size_t)dec->nthreads;
    return per < dec->batch ? (per ? per : 1) : dec->batch;
}

static int thread_slot(const cryptonn_feip_decryptor *dec)
{
    int t = omp_get_thread_num();
    CN_ARG_CHECK(t < dec->nthreads);
    return t;
}

/* Runs fn over the chunks of count results on the decryptor's threads;
 * the first failure of any chunk is returned. */
typedef int (*chunk_fn)(feip_tws *tw, size_t lo, size_t len, void *ctx);
static int run_chunks(cryptonn_feip_decryptor *dec, size_t count, chunk_fn fn, void *ctx)
{
    size_t B = chunk_size(dec, count), nchunks = (count + B - 1) / B;
    int rc = CRYPTONN_OK;
#pragma omp parallel num_threads(dec->nthreads) if (nchunks > 1)
    {
        feip_tws *tw = &dec->tws[thread_slot(dec)];
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunks; c++) {
            size_t lo = c * B;
            note_failure(&rc, fn(tw, lo, count - lo < B ? count - lo : B, ctx));
        }
    }
    return rc;
}

/* What a chunk of results needs: results lo .. lo + len − 1 of a call go
 * to out[lo..] and status[lo..]. */
typedef struct {
    const cryptonn_feip_decryptor *dec;
    const cryptonn_feip_prepared *p;      /* decrypt_keys */
    const cryptonn_feip_ct *const *cts;   /* decrypt_cts, decrypt_pairs */
    const cryptonn_feip_keys *k;
    size_t first;                         /* decrypt_keys: the first key; decrypt_cts: the key */
    const uint32_t *key_index;            /* decrypt_pairs */
    int64_t *out;
    int *status;
    size_t off;                           /* partial: the slice's first slot */
    uint8_t *enc;                         /* partial: the encoded points */
    const uint8_t *parts;                 /* finish: nparts rows of count points */
    size_t nparts, count;
} dec_job;

/* Solves the chunk's result points (or marks the chunk with failure r). */
static int end_chunk(feip_tws *tw, const dec_job *jb, int r, size_t lo, size_t len)
{
    int rc = CRYPTONN_OK;
    finish_chunk(jb->dec, tw, r, jb->out + lo, jb->status ? jb->status + lo : NULL, len, &rc);
    return rc;
}

static int keys_chunk(feip_tws *tw, size_t lo, size_t len, void *ctx)
{
    const dec_job *jb = ctx;
    int r = CRYPTONN_OK;
    for (size_t j = 0; j < len && r == CRYPTONN_OK; j++)
        r = queue_result_prepared(tw, &tw->res[j], jb->p, jb->k, jb->first + lo + j);
    ge25519_sums_flush_var(tw->sums);
    return end_chunk(tw, jb, r, lo, len);
}

int cryptonn_feip_decrypt_keys_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *p,
                                   const cryptonn_feip_keys *keys, size_t first, size_t count,
                                   int64_t *out, int *status)
{
    CN_ARG_CHECK(dec != NULL && p != NULL && keys != NULL && (count == 0 || out != NULL));
    CN_ARG_CHECK(first <= keys->count && count <= keys->count - first && p->ct != NULL);
    if (count == 0) return CRYPTONN_OK;
    if (!same_mpk(p->ct, keys)) return CRYPTONN_ERR_MISMATCH;
    dec_job jb = {.dec = dec, .p = p, .k = keys, .first = first, .out = out, .status = status};
    return run_chunks(dec, count, keys_chunk, &jb);
}

/* Result j of a chunk: ciphertext j with the one key (cts) or its own key (pairs). */
static int cts_chunk(feip_tws *tw, size_t lo, size_t len, void *ctx)
{
    const dec_job *jb = ctx;
    int r = CRYPTONN_OK;
    for (size_t j = 0; j < len && r == CRYPTONN_OK; j++)
        r = result_point(tw, &tw->res[j], jb->cts[lo + j], jb->k,
                         jb->key_index ? jb->key_index[lo + j] : jb->first);
    return end_chunk(tw, jb, r, lo, len);
}

int cryptonn_feip_decrypt_cts_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts,
                                  size_t ncts, const cryptonn_feip_keys *keys, size_t i,
                                  int64_t *out, int *status)
{
    CN_ARG_CHECK(dec != NULL && keys != NULL && i < keys->count && (ncts == 0 || (cts && out)));
    for (size_t j = 0; j < ncts; j++)
        if (!same_mpk(cts[j], keys)) return CRYPTONN_ERR_MISMATCH;
    dec_job jb = {.dec = dec, .cts = cts, .k = keys, .first = i, .out = out, .status = status};
    return run_chunks(dec, ncts, cts_chunk, &jb);
}

int cryptonn_feip_decrypt_pairs_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts,
                                    const cryptonn_feip_keys *keys, const uint32_t *key_index,
                                    size_t n, int64_t *out, int *status)
{
    CN_ARG_CHECK(dec != NULL && keys != NULL && (n == 0 || (cts && key_index && out)));
    for (size_t j = 0; j < n; j++) {
        CN_ARG_CHECK(key_index[j] < keys->count);
        if (!same_mpk(cts[j], keys)) return CRYPTONN_ERR_MISMATCH;
    }
    dec_job jb = {.dec = dec, .cts = cts, .k = keys, .key_index = key_index, .out = out,
                  .status = status};
    return run_chunks(dec, n, cts_chunk, &jb);
}

/* ---- decryption split by slots (feip_slice.h) ---- */

static size_t lower_bound(const uint32_t *a, size_t n, size_t v)
{
    size_t lo = 0;
    while (n > 0) {
        size_t half = n / 2;
        if (a[lo + half] < v) {
            lo += half + 1;
            n -= half + 1;
        } else {
            n = half;
        }
    }
    return lo;
}

/* Key i's terms inside the slice: its indices are increasing, so they are
 * one run, shifted here to the slice's own numbering. */
static int queue_partial(feip_tws *tw, ge25519 *r, const dec_job *jb, size_t i)
{
    const cryptonn_feip_keys *k = jb->k;
    const size_t a = k->off[i], len = k->off[i + 1] - a;
    const uint32_t *idx = k->idx + a;
    const size_t s = lower_bound(idx, len, jb->off);
    const size_t m = lower_bound(idx + s, len - s, jb->off + jb->p->n);
    void *g = grow(tw->sidx, &tw->scap, m, sizeof *tw->sidx);
    if (!g) return CRYPTONN_ERR_NOMEM;
    tw->sidx = g;
    for (size_t j = 0; j < m; j++) tw->sidx[j] = idx[s + j] - (uint32_t)jb->off;
    return queue_support(tw, r, jb->p, tw->sidx, k->val + a + s, m, k->bits[i]);
}

static int partial_chunk(feip_tws *tw, size_t lo, size_t len, void *ctx)
{
    const dec_job *jb = ctx;
    int r = CRYPTONN_OK;
    for (size_t j = 0; j < len && r == CRYPTONN_OK; j++)
        r = queue_partial(tw, &tw->res[j], jb, jb->first + lo + j);
    ge25519_sums_flush_var(tw->sums);
    if (r == CRYPTONN_OK) ge25519_encode_batch(jb->enc + 32 * lo, tw->res, len);
    return r;
}

int cn_feip_partial_keys_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *p,
                             size_t off, const cryptonn_feip_keys *keys, size_t first,
                             size_t count, uint8_t *out)
{
    CN_ARG_CHECK(dec != NULL && p != NULL && keys != NULL && (count == 0 || out != NULL));
    CN_ARG_CHECK(first <= keys->count && count <= keys->count - first && p->ct != NULL);
    if (count == 0) return CRYPTONN_OK;
    if (memcmp(keys->id, p->ct->id, FEIP_ID_BYTES) != 0 || off > keys->n || p->n > keys->n - off)
        return CRYPTONN_ERR_MISMATCH;
    dec_job jb = {.dec = dec, .p = p, .k = keys, .first = first, .off = off, .enc = out};
    return run_chunks(dec, count, partial_chunk, &jb);
}

/* The partial points of len keys from row `row`, decoded into pts. */
static int decode_row(ge25519 *pts, const dec_job *jb, size_t row, size_t lo, size_t len)
{
    return ge25519_decode_batch(pts, jb->parts + 32 * (row * jb->count + lo), len);
}

/* Queues, for each key of the chunk, the sum of its partial points minus sk·ct_0. */
static int finish_points(feip_tws *tw, const dec_job *jb, size_t lo, size_t len)
{
    void *g = grow(tw->gpts, &tw->gcap, len, sizeof *tw->gpts);
    if (!g) return CRYPTONN_ERR_NOMEM;
    tw->gpts = g;
    CN_TRY(decode_row(tw->res, jb, 0, lo, len));
    for (size_t r = 1; r < jb->nparts; r++) {
        CN_TRY(decode_row(tw->gpts, jb, r, lo, len));
        for (size_t j = 0; j < len; j++) ge25519_add(&tw->res[j], &tw->res[j], &tw->gpts[j]);
    }
    for (size_t j = 0; j < len; j++)
        if (ge25519_sums_begin_var(tw->sums, &tw->res[j], &tw->res[j]) ||
            ge25519_sums_add_scalar_var(tw->sums, jb->p->c0, 0, &jb->k->sk[jb->first + lo + j], 1))
            return CRYPTONN_ERR_NOMEM;
    return CRYPTONN_OK;
}

static int finish_keys_chunk(feip_tws *tw, size_t lo, size_t len, void *ctx)
{
    const dec_job *jb = ctx;
    int r = finish_points(tw, jb, lo, len);
    ge25519_sums_flush_var(tw->sums);
    return end_chunk(tw, jb, r, lo, len);
}

int cn_feip_finish_keys_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *p,
                            const cryptonn_feip_keys *keys, size_t first, size_t count,
                            const uint8_t *parts, size_t nparts, int64_t *out, int *status)
{
    CN_ARG_CHECK(dec != NULL && p != NULL && keys != NULL && p->ct != NULL && nparts >= 1);
    CN_ARG_CHECK(first <= keys->count && count <= keys->count - first);
    CN_ARG_CHECK(count == 0 || (parts != NULL && out != NULL));
    if (count == 0) return CRYPTONN_OK;
    if (memcmp(keys->id, p->ct->id, FEIP_ID_BYTES) != 0) return CRYPTONN_ERR_MISMATCH;
    dec_job jb = {.dec = dec, .p = p, .k = keys, .first = first, .out = out, .status = status,
                  .parts = parts, .nparts = nparts, .count = count};
    return run_chunks(dec, count, finish_keys_chunk, &jb);
}
