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
    }
    free(dec->tws);
    free(dec);
}

static int gather(feip_tws *tw, const ge25519 *slots, const uint32_t *idx, size_t m)
{
    if (m > tw->gcap) {
        ge25519 *g = cn_malloc_array(m, sizeof *g);
        if (!g) return CRYPTONN_ERR_NOMEM;
        free(tw->gpts);
        tw->gpts = g;
        tw->gcap = m;
    }
    for (size_t j = 0; j < m; j++) tw->gpts[j] = slots[idx[j]];
    return CRYPTONN_OK;
}

/* Σ y_j ct_{idx_j} for key i without per-ciphertext tables. */
static int support_sum(feip_tws *tw, ge25519 *r, const cryptonn_feip_ct *ct,
                       const cryptonn_feip_keys *k, size_t i)
{
    size_t a = k->off[i], m = k->off[i + 1] - a;
    CN_TRY(gather(tw, ct->c, k->idx + a, m));
    ge25519_msm_i64_var(r, k->val + a, tw->gpts, m);
    return CRYPTONN_OK;
}

/* g^{<x,y_i>} on a plain ciphertext. */
static int result_point(feip_tws *tw, ge25519 *r, const cryptonn_feip_ct *ct,
                        const cryptonn_feip_keys *k, size_t i)
{
    ge25519 s, q;
    CN_TRY(support_sum(tw, &s, ct, k, i));
    ge25519_scalarmult_var(&q, &ct->c0, &k->sk[i]);
    ge25519_sub(r, &s, &q);
    return CRYPTONN_OK;
}

/* Queues g^{<x,y_i>} on a prepared ciphertext into *r (computed by the
 * next flush of the thread's sums): one flat sum of slot-table terms and
 * the negated digits of sk. Keys too large or too wide for the slot tables
 * start from their support sum instead. */
static int queue_result_prepared(feip_tws *tw, ge25519 *r, const cryptonn_feip_prepared *p,
                                 const cryptonn_feip_keys *k, size_t i)
{
    size_t a = k->off[i], m = k->off[i + 1] - a;
    const unsigned tbits = p->slots ? ge25519_comb_bits(p->slots) : 0;
    if (tbits > 1 && m <= FEIP_LARGE_KEY && k->bits[i] <= tbits) {
        if (ge25519_sums_begin_var(tw->sums, r, NULL) ||
            ge25519_sums_add_i64_var(tw->sums, p->slots, k->idx + a, k->val + a, m))
            return CRYPTONN_ERR_NOMEM;
    } else {
        ge25519 s;
        if (tbits == 1) {
            if (ge25519_sums_msm_var(tw->sums, &s, p->slots, k->idx + a, k->val + a, m))
                return CRYPTONN_ERR_NOMEM;
        } else {
            CN_TRY(support_sum(tw, &s, p->ct, k, i));
        }
        if (ge25519_sums_begin_var(tw->sums, r, &s)) return CRYPTONN_ERR_NOMEM;
    }
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

int cryptonn_feip_decrypt_keys_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_prepared *p,
                                   const cryptonn_feip_keys *keys, size_t first, size_t count,
                                   int64_t *out, int *status)
{
    CN_ARG_CHECK(dec != NULL && p != NULL && keys != NULL && (count == 0 || out != NULL));
    CN_ARG_CHECK(first <= keys->count && count <= keys->count - first && p->ct != NULL);
    if (count == 0) return CRYPTONN_OK;
    if (!same_mpk(p->ct, keys)) return CRYPTONN_ERR_MISMATCH;
    size_t B = chunk_size(dec, count), nchunks = (count + B - 1) / B;
    int rc = CRYPTONN_OK;
#pragma omp parallel num_threads(dec->nthreads) if (nchunks > 1)
    {
        feip_tws *tw = &dec->tws[thread_slot(dec)];
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunks; c++) {
            size_t lo = c * B, len = count - lo < B ? count - lo : B;
            int r = CRYPTONN_OK;
            for (size_t j = 0; j < len && r == CRYPTONN_OK; j++)
                r = queue_result_prepared(tw, &tw->res[j], p, keys, first + lo + j);
            ge25519_sums_flush_var(tw->sums);
            finish_chunk(dec, tw, r, out + lo, status ? status + lo : NULL, len, &rc);
        }
    }
    return rc;
}

int cryptonn_feip_decrypt_cts_var(cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts,
                                  size_t ncts, const cryptonn_feip_keys *keys, size_t i,
                                  int64_t *out, int *status)
{
    CN_ARG_CHECK(dec != NULL && keys != NULL && i < keys->count && (ncts == 0 || (cts && out)));
    for (size_t j = 0; j < ncts; j++)
        if (!same_mpk(cts[j], keys)) return CRYPTONN_ERR_MISMATCH;
    size_t B = chunk_size(dec, ncts), nchunks = (ncts + B - 1) / B;
    int rc = CRYPTONN_OK;
#pragma omp parallel num_threads(dec->nthreads) if (nchunks > 1)
    {
        feip_tws *tw = &dec->tws[thread_slot(dec)];
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunks; c++) {
            size_t lo = c * B, len = ncts - lo < B ? ncts - lo : B;
            int r = CRYPTONN_OK;
            for (size_t j = 0; j < len && r == CRYPTONN_OK; j++)
                r = result_point(tw, &tw->res[j], cts[lo + j], keys, i);
            finish_chunk(dec, tw, r, out + lo, status ? status + lo : NULL, len, &rc);
        }
    }
    return rc;
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
    size_t B = chunk_size(dec, n), nchunks = (n + B - 1) / B;
    int rc = CRYPTONN_OK;
#pragma omp parallel num_threads(dec->nthreads) if (nchunks > 1)
    {
        feip_tws *tw = &dec->tws[thread_slot(dec)];
#pragma omp for schedule(dynamic, 1)
        for (size_t c = 0; c < nchunks; c++) {
            size_t lo = c * B, len = n - lo < B ? n - lo : B;
            int r = CRYPTONN_OK;
            for (size_t j = 0; j < len && r == CRYPTONN_OK; j++)
                r = result_point(tw, &tw->res[j], cts[lo + j], keys, key_index[lo + j]);
            finish_chunk(dec, tw, r, out + lo, status ? status + lo : NULL, len, &rc);
        }
    }
    return rc;
}
