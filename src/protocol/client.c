/* client: the data owner's encryption of one part of a dataset (client.h).
 * Plaintext (pixels, labels, π) is only ever computed on in constant time:
 * pixel rounding is branch-free, the permuted label is selected with masks
 * rather than an index, and every buffer that held plaintext is wiped. */
#include "protocol/client.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "secure/dist.h"
#include "util/util.h"

#define V1 1u
#define V2 2u

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- the owners' secret permutation ---- */

/* 1 when a == b, without a branch or a secret-dependent index. */
static inline uint64_t ct_eq(uint32_t a, uint32_t b)
{
    uint64_t d = (uint64_t)(a ^ b);
    return ((d - 1) >> 63) & 1; /* d < 2^32, so d - 1 wraps only at 0 */
}


static uint32_t uniform_below(uint32_t n)
{
    /* rejection sampling: no modulo bias */
    uint32_t lim = UINT32_MAX - UINT32_MAX % n, v;
    do cn_random_bytes(&v, sizeof v);
    while (v >= lim);
    return v % n;
}

void cn_owner_secret_generate(cn_owner_secret *s, uint32_t classes)
{
    CN_ARG_CHECK(s && classes >= 1 && classes <= 256);
    memset(s, 0, sizeof *s);
    s->classes = classes;
    for (uint32_t i = 0; i < classes; i++) s->perm[i] = (uint8_t)i;
    for (uint32_t i = classes - 1; i > 0; i--) { /* Fisher–Yates */
        uint32_t j = uniform_below(i + 1);
        uint8_t t = s->perm[i];
        s->perm[i] = s->perm[j];
        s->perm[j] = t;
    }
}

int cn_owner_secret_save(const cn_owner_secret *s, const char *path)
{
    CN_ARG_CHECK(s && path && s->classes >= 1 && s->classes <= 256);
    uint8_t pl[4 + 256 + 32];
    cn_store_u32(pl, s->classes);
    memcpy(pl + 4, s->perm, s->classes);
    size_t len = 4 + (size_t)s->classes;
    if (s->has_spec) {
        memcpy(pl + len, s->spec, 32);
        len += 32;
    }
    cn_part part = {pl, len};
    int rc = cn_container_write(path, "OWNR", s->has_spec ? V2 : V1, &part, 1, 0600);
    cn_wipe(pl, sizeof pl);
    return rc;
}

int cn_owner_secret_load(cn_owner_secret *s, const char *path)
{
    CN_ARG_CHECK(s && path);
    memset(s, 0, sizeof *s);
    uint8_t *file;
    const uint8_t *pl;
    size_t plen, tail = 0;
    int rc = cn_container_read(path, "OWNR", V1, 4 + 256, &file, &pl, &plen);
    if (rc == CRYPTONN_ERR_VERSION) {
        rc = cn_container_read(path, "OWNR", V2, 4 + 256 + 32, &file, &pl, &plen);
        tail = 32;
    }
    CN_TRY(rc);
    uint32_t classes = plen >= 4 ? cn_load_u32(pl) : 0;
    if (plen < 4) rc = CRYPTONN_ERR_TRUNCATED;
    else if (classes < 1 || classes > 256 || plen != 4 + (size_t)classes + tail)
        rc = CRYPTONN_ERR_FORMAT;
    else {
        /* a permutation iff every class value occurs exactly once; counted
         * with masks, not by indexing with or branching on the secret */
        uint32_t bad = 0;
        for (uint32_t v = 0; v < classes; v++) {
            uint32_t cnt = 0;
            for (uint32_t i = 0; i < classes; i++) cnt += (uint32_t)ct_eq(pl[4 + i], v);
            bad |= cnt ^ 1;
        }
        if (bad) rc = CRYPTONN_ERR_FORMAT;
        if (rc == CRYPTONN_OK) {
            s->classes = classes;
            memcpy(s->perm, pl + 4, classes);
            s->has_spec = tail != 0;
            if (tail) memcpy(s->spec, pl + 4 + classes, tail);
        }
    }
    cn_free_secret(file, CN_CONTAINER_HEADER + plen + CN_CONTAINER_TRAILER);
    return rc;
}

void cn_owner_secret_inverse(const cn_owner_secret *s, uint8_t *inv)
{
    CN_ARG_CHECK(s && inv);
    for (uint32_t c = 0; c < s->classes; c++) inv[s->perm[c]] = (uint8_t)c;
}

/* ---- encryption ---- */

/* perm[y] read by scanning every entry (y is the secret label). */
static uint32_t ct_lookup(const cn_owner_secret *s, uint32_t y)
{
    uint32_t r = 0;
    for (uint32_t c = 0; c < s->classes; c++) r |= (uint32_t)(0 - ct_eq(c, y)) & s->perm[c];
    return r;
}

/* X = round(x·x_den) within the params' range: [0, x_max] for MNIST's
 * pixels, [−x_max, x_max] for generic records. The owners' spec already put
 * x on that grid and within its bound; the clamp only keeps a value the
 * caller did not check from leaving the range the server's bounds assume. */
static void values_to_int(int64_t *out, const float *x, size_t n, const cn_enc_params *p)
{
    const double den = (double)cn_enc_x_den(p), hi = (double)cn_enc_x_max(p);
    const double lo = p->x_max ? -hi : 0.0;
    for (size_t i = 0; i < n; i++) /* minsd/maxsd/cvtsd2si: no data-dependent branch */
        out[i] = (int64_t)lrint(fmin(fmax((double)x[i] * den, lo), hi));
}


/* Batch ciphertexts are made GROUP at a time, slot by slot
 * (cryptonn_feip_encrypt_many): each slot's table is then fetched once per
 * group instead of once per batch, which halves their cost once the 3 GB of
 * tables outgrow the caches (per slot, measured: 1 at a time 17.8 µs, 4: 10.2,
 * 8: 9.3, 16: 9.7). */
#define GROUP 8

typedef struct {
    cryptonn_feip_ct **x;
    cryptonn_febo_ct **y;
    cryptonn_feip_ct *xb[GROUP];
    int64_t *plain_b[GROUP]; /* B × slots each, wiped after each group */
    int64_t *plain_s;        /* B × slots, the samples of one batch, wiped after it */
    cryptonn_feip_encryptor *enc, *benc;
} work;

static void work_free(work *w, const cn_enc_params *p)
{
    if (w->x)
        for (uint32_t b = 0; b < p->batch; b++) cryptonn_feip_ct_destroy(w->x[b]);
    if (w->y)
        for (size_t j = 0; j < (size_t)p->batch * p->classes; j++) cryptonn_febo_ct_destroy(w->y[j]);
    free(w->x);
    free(w->y);
    const size_t plain = (size_t)p->batch * p->slots * sizeof(int64_t);
    for (int g = 0; g < GROUP; g++) {
        cryptonn_feip_ct_destroy(w->xb[g]);
        if (w->plain_b[g]) cn_free_secret(w->plain_b[g], plain);
    }
    if (w->plain_s) cn_free_secret(w->plain_s, plain);
    cryptonn_feip_encryptor_destroy(w->enc);
    cryptonn_feip_encryptor_destroy(w->benc);
}

static int work_alloc(work *w, const cn_enc_params *p, const cn_enc_mpks *k,
                      const cn_encrypt_opts *o, uint64_t nbatches, cn_encrypt_stats *st)
{
    memset(w, 0, sizeof *w);
    w->x = calloc(p->batch, sizeof *w->x);
    if (!w->x) return CRYPTONN_ERR_NOMEM;
    for (uint32_t b = 0; b < p->batch; b++) CN_TRY(cryptonn_feip_ct_create(&w->x[b], p->slots));
    if (o->labels) {
        w->y = calloc((size_t)p->batch * p->classes, sizeof *w->y);
        if (!w->y) return CRYPTONN_ERR_NOMEM;
        for (size_t j = 0; j < (size_t)p->batch * p->classes; j++)
            CN_TRY(cryptonn_febo_ct_create(&w->y[j]));
    }
    uint64_t t0 = cn_now_ns();
    double c0 = cpu_now();
    CN_TRY(cryptonn_feip_encryptor_create(&w->enc, k->samples));
    w->plain_s = cn_calloc((size_t)p->batch * p->slots, sizeof *w->plain_s);
    if (!w->plain_s) return CRYPTONN_ERR_NOMEM;
    if (o->batch_ct) {
        size_t width = (size_t)p->batch * p->slots;
        for (int g = 0; g < GROUP; g++) {
            CN_TRY(cryptonn_feip_ct_create(&w->xb[g], width));
            w->plain_b[g] = cn_calloc(width, sizeof *w->plain_b[g]);
            if (!w->plain_b[g]) return CRYPTONN_ERR_NOMEM;
        }
        /* Per-slot tables make each slot ~4x cheaper (measured: 14 µs vs
         * 61 µs) but cost ~0.6 ms and 60 KB per slot to build: worth it from
         * about 13 batches on, if the memory budget allows. */
        uint64_t budget = o->table_bytes_max ? o->table_bytes_max : (uint64_t)4 << 30;
        uint64_t need = (uint64_t)width * (cryptonn_feip_encryptor_bytes(w->enc) / p->slots);
        int want = o->batch_tables > 0 || (o->batch_tables == 0 && nbatches >= 16 && need <= budget);
        if (want) CN_TRY(cryptonn_feip_encryptor_create(&w->benc, k->batch));
    }
    st->seconds_tables = (double)(cn_now_ns() - t0) / 1e9;
    st->cpu_tables = cpu_now() - c0;
    st->table_bytes = cryptonn_feip_encryptor_bytes(w->enc) +
                      (w->benc ? cryptonn_feip_encryptor_bytes(w->benc) : 0);
    return CRYPTONN_OK;
}

static int encrypt_samples(work *w, const cn_enc_params *p, const cryptonn_samples *d, uint64_t first,
                           uint32_t n)
{
    const int64_t *xs[4096];
    for (uint32_t b = 0; b < n; b++) {
        int64_t *row = w->plain_s + (size_t)b * p->slots;
        values_to_int(row, d->x + (first + b) * p->slots, p->slots, p);
        xs[b] = row;
    }
    /* slot-major over the batch's samples (at most 256 per call), parallel
     * across slots */
    int rc = CRYPTONN_OK;
    for (uint32_t b = 0; b < n && rc == CRYPTONN_OK; b += 256)
        rc = cryptonn_feip_encrypt_many(w->enc, w->x + b, xs + b, n - b < 256 ? n - b : 256,
                                        p->slots, p->pixel_bits);
    cn_wipe(w->plain_s, (size_t)n * p->slots * sizeof *w->plain_s);
    return rc;
}

static int encrypt_labels(work *w, const cn_enc_params *p, const cn_enc_mpks *k,
                          const cn_owner_secret *s, const cryptonn_samples *d, uint64_t first,
                          uint32_t n, int threads)
{
    int rc = CRYPTONN_OK;
    const int64_t n_items = (int64_t)n * p->classes;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 16)
    for (int64_t j = 0; j < n_items; j++) {
        uint32_t b = (uint32_t)(j / p->classes), c = (uint32_t)(j % p->classes);
        int64_t v;
        if (p->task == CN_TASK_REGRESS) { /* the target on its grid, in range */
            const double ym = (double)cn_enc_y_max(p), t = (double)d->t[first + b];
            v = (int64_t)lrint(fmin(fmax(t * (double)cn_enc_y_den(p), -ym), ym));
        } else {
            uint32_t cls = ct_lookup(s, d->y[first + b]);
            v = (int64_t)(ct_eq(cls, c) * cn_enc_y_den(p));
        }
        int my = cryptonn_febo_encrypt(k->labels, w->y[j], v, p->label_scale_bits + 1);
        if (my != CRYPTONN_OK) {
#pragma omp critical
            rc = my;
        }
    }
    return rc;
}

/* The batch ciphertexts of batches [t, t + m), m <= GROUP. */
static int encrypt_batch_cts(work *w, const cn_enc_params *p, const cn_enc_mpks *k,
                             const cryptonn_samples *d, uint64_t t, uint32_t m)
{
    size_t width = (size_t)p->batch * p->slots;
    const int64_t *xs[GROUP];
    for (uint32_t g = 0; g < m; g++) {
        uint64_t first = (t + g) * p->batch;
        uint32_t n = (uint32_t)(d->n - first < p->batch ? d->n - first : p->batch);
        memset(w->plain_b[g], 0, width * sizeof *w->plain_b[g]); /* samples b >= n stay zero */
        for (uint32_t b = 0; b < n; b++)
            values_to_int(w->plain_b[g] + (size_t)b * p->slots, d->x + (first + b) * p->slots,
                          p->slots, p);
        xs[g] = w->plain_b[g];
    }
    int rc = CRYPTONN_OK;
    if (w->benc) rc = cryptonn_feip_encrypt_many(w->benc, w->xb, xs, m, width, p->pixel_bits);
    else /* without tables there is nothing to share: one at a time */
        for (uint32_t g = 0; g < m && rc == CRYPTONN_OK; g++)
            rc = cryptonn_feip_encrypt_mpk(k->batch, w->xb[g], xs[g], width, p->pixel_bits);
    for (uint32_t g = 0; g < m; g++) cn_wipe(w->plain_b[g], width * sizeof *w->plain_b[g]);
    return rc;
}

static int remove_index(const char *dir, const char *part)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, part);
    if (n <= 0 || (size_t)n >= sizeof path) return CRYPTONN_ERR_ARG;
    if (unlink(path) != 0 && errno != ENOENT) return CRYPTONN_ERR_IO;
    return CRYPTONN_OK;
}

int cn_client_encrypt(const char *dir, const cn_enc_params *p, const cn_enc_mpks *k,
                      const cn_owner_secret *s, const cryptonn_dataset *d,
                      const cn_encrypt_opts *o, cn_encrypt_stats *st)
{
    CN_ARG_CHECK(d);
    if ((uint64_t)d->rows * d->cols != p->slots) return CRYPTONN_ERR_ARG;
    cryptonn_samples v;
    cryptonn_samples_of(d, &v);
    return cn_client_encrypt_samples(dir, p, k, s, &v, o, st);
}

/* Under mpirun each rank registered the label ciphertexts of its own batches
 * (after reg0); every rank ends with those of all batches in batch order,
 * the registration one process would have made. */
static int gather_registration(cn_labelreg *reg, uint64_t reg0, const cn_enc_params *p, uint64_t n,
                               uint64_t nb)
{
    if (cn_dist_size() == 1) return CRYPTONN_OK;
    const size_t row = (size_t)p->batch * p->classes * 16;
    uint64_t lo, hi;
    cn_dist_share(nb, &lo, &hi);
    uint8_t *all = calloc(nb ? nb : 1, row);
    int rc = cn_dist_agree(all ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM);
    if (rc == CRYPTONN_OK) {
        memcpy(all + lo * row, reg->d + reg0 * 16, (reg->n - reg0) * 16);
        rc = cn_dist_gather_rows(all, row, nb);
    }
    reg->n = reg0;
    for (uint64_t t = 0; rc == CRYPTONN_OK && t < nb; t++) {
        uint64_t first = t * p->batch;
        uint64_t cnt = (n - first < p->batch ? n - first : p->batch) * p->classes;
        for (uint64_t j = 0; rc == CRYPTONN_OK && j < cnt; j++)
            rc = cn_labelreg_add(reg, all + t * row + j * 16);
    }
    free(all);
    return rc;
}

int cn_client_encrypt_samples(const char *dir, const cn_enc_params *p, const cn_enc_mpks *k,
                              const cn_owner_secret *s, const cryptonn_samples *d,
                              const cn_encrypt_opts *o, cn_encrypt_stats *st)
{
    CN_ARG_CHECK(dir && p && k && d && o && st);
    memset(st, 0, sizeof *st);
    uint64_t t_start = cn_now_ns();
    double c_start = cpu_now();
    const int regress = p->task == CN_TASK_REGRESS;
    if (!cn_part_name_ok(o->part) || d->n == 0 || d->size != p->slots) return CRYPTONN_ERR_ARG;
    if (o->labels && (regress ? !d->t || d->outputs != 1 : !d->y || !s)) return CRYPTONN_ERR_ARG;
    if (o->labels && !regress && s->classes != p->classes) return CRYPTONN_ERR_MISMATCH;
    if (o->labels && !regress) {
        /* a label outside the classes would encrypt an all-zero one-hot row */
        uint32_t bad = 0;
        for (uint32_t i = 0; i < d->n; i++) bad |= (uint32_t)(d->y[i] >= p->classes);
        if (bad) return CRYPTONN_ERR_ARG;
    }
    /* Refuses a dataset whose params.bin holds other keys: every owner must
     * encrypt under the same mpks for the server to train on the union. */
    CN_TRY(cn_encdata_init(dir, p, k));
    /* A rerun over an existing part must not leave the old index pointing
     * at a mix of old and new batch files. */
    CN_TRY(remove_index(dir, o->part));
    if (o->reg) CN_TRY(cn_enc_labels_id(k->labels, o->reg->mpk_id));

    int threads = o->threads ? (int)o->threads : 2;
    uint64_t nb = (d->n + p->batch - 1) / p->batch;
    const uint64_t reg0 = o->reg ? o->reg->n : 0;
    uint64_t lo, hi; /* under mpirun this rank's batches (dist.h), else all */
    cn_dist_share(nb, &lo, &hi);
    const int progress = o->progress && cn_dist_rank() == 0;
    work w;
    int rc = work_alloc(&w, p, k, o, hi - lo, st);
    cn_progress prog;
    if (progress) cn_progress_start(&prog, "encrypt", d->n);
    for (uint64_t t = lo; t < hi && rc == CRYPTONN_OK; t++) {
        uint64_t first = t * p->batch;
        uint32_t n = (uint32_t)(d->n - first < p->batch ? d->n - first : p->batch);
        uint32_t g = (uint32_t)((t - lo) % GROUP);
        if (g == 0 && o->batch_ct) {
            uint64_t tb = cn_now_ns();
            double cb = cpu_now();
            uint32_t m = (uint32_t)(hi - t < GROUP ? hi - t : GROUP);
            rc = encrypt_batch_cts(&w, p, k, d, t, m);
            st->seconds_batches += (double)(cn_now_ns() - tb) / 1e9;
            st->cpu_batches += cpu_now() - cb;
            if (rc != CRYPTONN_OK) break;
        }
        uint64_t t0 = cn_now_ns();
        double c0 = cpu_now();
        rc = encrypt_samples(&w, p, d, first, n);
        uint64_t t1 = cn_now_ns();
        double c1 = cpu_now();
        if (rc == CRYPTONN_OK && o->labels) rc = encrypt_labels(&w, p, k, s, d, first, n, threads);
        uint64_t t2 = cn_now_ns();
        double c2 = cpu_now();
        if (rc == CRYPTONN_OK) {
            cn_enc_batch b = {.n = n, .classes = p->classes, .x = w.x,
                              .y = o->labels ? w.y : NULL, .xb = o->batch_ct ? w.xb[g] : NULL};
            rc = cn_encdata_write_batch(dir, o->part, t, p, &b);
        }
        /* the registration names exactly the ciphertexts just written */
        for (size_t j = 0; rc == CRYPTONN_OK && o->labels && o->reg && j < (size_t)n * p->classes;
             j++) {
            uint8_t dg[16];
            rc = cn_label_digest(w.y[j], dg);
            if (rc == CRYPTONN_OK) rc = cn_labelreg_add(o->reg, dg);
        }
        uint64_t t3 = cn_now_ns();
        double c3 = cpu_now();
        st->cpu_samples += c1 - c0;
        st->cpu_labels += c2 - c1;
        st->cpu_write += c3 - c2;
        st->seconds_samples += (double)(t1 - t0) / 1e9;
        st->seconds_labels += (double)(t2 - t1) / 1e9;
        st->seconds_write += (double)(t3 - t2) / 1e9;
        st->samples += n;
        st->batches++;
        if (progress) {
            char extra[64];
            double el = (double)(cn_now_ns() - t_start) / 1e9;
            snprintf(extra, sizeof extra, "%.1f samples/s", (double)(first + n) / (el > 0 ? el : 1));
            cn_progress_update(&prog, first + n, extra);
        }
    }
    uint32_t flags = (o->labels ? CN_ENC_LABELS : 0) | (o->batch_ct ? CN_ENC_BATCHCT : 0);
    /* the index only once every rank's batches are written */
    rc = cn_dist_agree(rc);
    if (rc == CRYPTONN_OK && o->reg) rc = gather_registration(o->reg, reg0, p, d->n, nb);
    if (rc == CRYPTONN_OK && cn_dist_rank() == 0)
        rc = cn_encdata_write_index(dir, o->part, d->n, nb, flags);
    rc = cn_dist_agree(rc);
    if (progress) cn_progress_finish(&prog, rc == CRYPTONN_OK ? "done" : "failed");
    work_free(&w, p);
    st->seconds_total = (double)(cn_now_ns() - t_start) / 1e9;
    st->cpu_total = cpu_now() - c_start;
    /* bytes on disk: what the writer produced, summed from the files' sizes */
    st->bytes_written = 0;
    if (rc == CRYPTONN_OK) {
        for (uint64_t t = lo; t < hi; t++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/part-%s/batch-%06llu.bin", dir, o->part,
                     (unsigned long long)t);
            FILE *f = fopen(path, "rb");
            if (!f) continue;
            if (fseek(f, 0, SEEK_END) == 0) st->bytes_written += (uint64_t)ftell(f);
            fclose(f);
        }
    }
    st->samples = cn_dist_sum_u64(st->samples);
    st->batches = cn_dist_sum_u64(st->batches);
    st->bytes_written = cn_dist_sum_u64(st->bytes_written);
    return rc;
}
