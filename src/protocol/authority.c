/* authority: the key authority (authority.h). Order of work per request:
 * decode (structure), validate against the mpk (indices, values), policy
 * (support, then the rank budget), and only then derive keys, so a refused
 * request has issued nothing and changed no counter but "refused". */
#include "protocol/authority.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/authority_db.h"
#include "secure/client.h"
#include "secure/rank.h"
#include "util/util.h"

#define V1 1u
#define MAX_STATE ((size_t)1 << 32)

void cn_policy_default(cn_policy *p)
{
    p->min_support = 2;
    p->max_rank = 0;
}

/* The key vectors that raised the samples rank, in order: they span what
 * the server has learned, so replaying them restores the tracker (restart)
 * or undoes a refused request (rollback). At most `width` vectors. */
typedef struct {
    uint32_t count, cap;
    uint64_t nnz, nnz_cap;
    uint64_t *off; /* count + 1 */
    uint32_t *idx;
    int64_t *val;
} basis_list;

struct cn_authority {
    char *dir;
    cn_policy pol;
    cn_enc_params p;
    cn_enc_mpks k;
    cryptonn_feip_msk *msk[2]; /* CN_MPK_SAMPLES, CN_MPK_BATCH */
    cryptonn_febo_msk *msk_labels;
    cn_rank *rank;
    basis_list basis;
    uint64_t issued[3], refused[3];
    FILE *log;
    /* SQLite (authority_db.h) when built with it: the key log, counters and
     * basis, one transaction per request; the rank-samples.bin file
     * otherwise. keys.log stays as the human-readable copy of the log. */
    cn_authority_db *db;
    uint32_t basis_saved; /* basis vectors already in the database */
    int db_failed;        /* a write of this request's transaction failed */
};

static const char *MPK_NAME[3] = {"samples", "batch-gradient", "labels"};
static const char *OP_NAME[4] = {"+", "-", "*", "/"};

static int path_in(char *out, size_t cap, const char *dir, const char *name)
{
    int n = snprintf(out, cap, "%s/%s", dir, name);
    return n > 0 && (size_t)n < cap ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
}

static int exists(const char *dir, const char *name)
{
    char p[4096];
    return path_in(p, sizeof p, dir, name) == CRYPTONN_OK && access(p, F_OK) == 0;
}

/* ---- setup ---- */

int cn_authority_setup(const char *dir, const cn_enc_params *p)
{
    CN_ARG_CHECK(dir && p);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) return CRYPTONN_ERR_IO;
    if (exists(dir, "samples.msk") || exists(dir, "batch.msk") || exists(dir, "labels.msk"))
        return CRYPTONN_ERR_IO; /* never overwrite a master secret */
    cn_enc_mpks k = {0};
    cryptonn_feip_msk *ms = NULL, *mb = NULL;
    cryptonn_febo_msk *ml = NULL;
    char path[4096];
    int rc = cryptonn_feip_setup(&k.samples, &ms, p->slots);
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_setup(&k.batch, &mb, (size_t)p->slots * p->batch);
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_setup(&k.labels, &ml);
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "samples.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_msk_save(ms, path);
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "batch.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_msk_save(mb, path);
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "labels.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_msk_save(ml, path);
    if (rc == CRYPTONN_OK) rc = cn_encdata_init(dir, p, &k);
    if (rc == CRYPTONN_OK) {
        cn_owner_secret s;
        cn_owner_secret_generate(&s, p->classes);
        rc = path_in(path, sizeof path, dir, "owner.key");
        if (rc == CRYPTONN_OK) rc = cn_owner_secret_save(&s, path);
        cn_wipe(&s, sizeof s);
    }
    cryptonn_feip_msk_destroy(ms);
    cryptonn_feip_msk_destroy(mb);
    cryptonn_febo_msk_destroy(ml);
    cn_enc_mpks_free(&k);
    return rc;
}

/* ---- the basis list and the persisted state ---- */

static void basis_free(basis_list *b)
{
    free(b->off);
    free(b->idx);
    free(b->val);
    memset(b, 0, sizeof *b);
}

static int basis_push(basis_list *b, const uint32_t *idx, const int64_t *val, size_t nnz)
{
    if (b->count + 1 >= b->cap || !b->off) {
        uint32_t c = b->cap ? 2 * b->cap : 64;
        uint64_t *o = realloc(b->off, ((size_t)c + 1) * sizeof *o);
        if (!o) return CRYPTONN_ERR_NOMEM;
        if (!b->off) o[0] = 0;
        b->off = o;
        b->cap = c;
    }
    if (b->nnz + nnz > b->nnz_cap) {
        uint64_t c = b->nnz_cap ? 2 * b->nnz_cap : 4096;
        while (c < b->nnz + nnz) c *= 2;
        uint32_t *i2 = realloc(b->idx, c * sizeof *i2);
        if (i2) b->idx = i2;
        int64_t *v2 = realloc(b->val, c * sizeof *v2);
        if (v2) b->val = v2;
        if (!i2 || !v2) return CRYPTONN_ERR_NOMEM;
        b->nnz_cap = c;
    }
    memcpy(b->idx + b->nnz, idx, nnz * sizeof *idx);
    memcpy(b->val + b->nnz, val, nnz * sizeof *val);
    b->nnz += nnz;
    b->off[++b->count] = b->nnz;
    return CRYPTONN_OK;
}

/* A tracker holding the first `count` basis vectors. */
static int rank_rebuild(cn_authority *a, uint32_t count)
{
    cn_rank *r = cn_rank_create(a->p.slots);
    if (!r) return CRYPTONN_ERR_NOMEM;
    for (uint32_t i = 0; i < count; i++) {
        uint64_t o = a->basis.off[i];
        int g = cn_rank_add(r, a->basis.idx + o, a->basis.val + o, a->basis.off[i + 1] - o);
        if (g != 1) { /* saved vectors are independent by construction */
            cn_rank_destroy(r);
            return g < 0 ? g : CRYPTONN_ERR_FORMAT;
        }
    }
    cn_rank_destroy(a->rank);
    a->rank = r;
    a->basis.count = count;
    a->basis.nnz = count ? a->basis.off[count] : 0;
    return CRYPTONN_OK;
}

/* rank-samples.bin "AUST": u64 issued[3], u64 refused[3], u32 width,
 * u32 count, u64 nnz, u64 off[count+1], u32 idx[nnz], i64 val[nnz]. */
static int state_save(const cn_authority *a)
{
    if (a->db) return CRYPTONN_OK; /* written with each request's transaction */
    const basis_list *b = &a->basis;
    uint8_t head[6 * 8 + 16];
    for (int i = 0; i < 3; i++) {
        cn_store_u64(head + 8 * i, a->issued[i]);
        cn_store_u64(head + 24 + 8 * i, a->refused[i]);
    }
    cn_store_u32(head + 48, a->p.slots);
    cn_store_u32(head + 52, b->count);
    cn_store_u64(head + 56, b->nnz);
    size_t body = 8 * ((size_t)b->count + 1) + 12 * (size_t)b->nnz;
    uint8_t *buf = malloc(body);
    if (!buf) return CRYPTONN_ERR_NOMEM;
    uint8_t *w = buf;
    for (uint32_t i = 0; i <= b->count; i++, w += 8) cn_store_u64(w, b->off ? b->off[i] : 0);
    for (uint64_t j = 0; j < b->nnz; j++, w += 4) cn_store_u32(w, b->idx[j]);
    for (uint64_t j = 0; j < b->nnz; j++, w += 8) cn_store_u64(w, (uint64_t)b->val[j]);
    char path[4096];
    int rc = path_in(path, sizeof path, a->dir, "rank-samples.bin");
    cn_part parts[2] = {{head, sizeof head}, {buf, body}};
    if (rc == CRYPTONN_OK) rc = cn_container_write(path, "AUST", V1, parts, 2, 0600);
    free(buf);
    return rc;
}

static int state_load(cn_authority *a)
{
    char path[4096];
    CN_TRY(path_in(path, sizeof path, a->dir, "rank-samples.bin"));
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_read(path, "AUST", V1, MAX_STATE, &file, &pl, &plen);
    if (rc == CRYPTONN_ERR_NOT_FOUND) return rank_rebuild(a, 0); /* a fresh authority */
    if (rc != CRYPTONN_OK) return rc;
    rc = CRYPTONN_ERR_FORMAT;
    if (plen >= 64) {
        uint32_t width = cn_load_u32(pl + 48), count = cn_load_u32(pl + 52);
        uint64_t nnz = cn_load_u64(pl + 56);
        size_t rest = plen - 64;
        if (width == a->p.slots && count <= width && nnz <= rest / 12 &&
            rest == 8 * ((uint64_t)count + 1) + 12 * nnz) {
            for (int i = 0; i < 3; i++) {
                a->issued[i] = cn_load_u64(pl + 8 * i);
                a->refused[i] = cn_load_u64(pl + 24 + 8 * i);
            }
            const uint8_t *q = pl + 64;
            const uint8_t *qi = q + 8 * ((size_t)count + 1), *qv = qi + 4 * nnz;
            rc = CRYPTONN_OK;
            uint64_t prev = 0;
            for (uint32_t i = 0; i < count && rc == CRYPTONN_OK; i++) {
                uint64_t lo = cn_load_u64(q + 8 * i), hi = cn_load_u64(q + 8 * (i + 1));
                if (lo != prev || hi < lo || hi > nnz) {
                    rc = CRYPTONN_ERR_FORMAT;
                    break;
                }
                prev = hi;
                uint32_t *ix = malloc((hi - lo) * 4 + 4);
                int64_t *vv = malloc((hi - lo) * 8 + 8);
                if (!ix || !vv) rc = CRYPTONN_ERR_NOMEM;
                for (uint64_t j = lo; rc == CRYPTONN_OK && j < hi; j++) {
                    ix[j - lo] = cn_load_u32(qi + 4 * j);
                    vv[j - lo] = (int64_t)cn_load_u64(qv + 8 * j);
                    if (ix[j - lo] >= width) rc = CRYPTONN_ERR_FORMAT;
                }
                if (rc == CRYPTONN_OK) rc = basis_push(&a->basis, ix, vv, hi - lo);
                free(ix);
                free(vv);
            }
            if (rc == CRYPTONN_OK && prev != nnz) rc = CRYPTONN_ERR_FORMAT;
            if (rc == CRYPTONN_OK) rc = rank_rebuild(a, count);
        }
    }
    free(file);
    return rc;
}

/* ---- the database ---- */

static int db_row(void *ctx, const uint32_t *idx, const int64_t *val, size_t nnz)
{
    return basis_push(&((cn_authority *)ctx)->basis, idx, val, nnz);
}

/* Everything since the last commit: counters and the new basis vectors. */
static int db_save(cn_authority *a)
{
    CN_TRY(cn_adb_save_counters(a->db, a->issued, a->refused));
    for (uint32_t i = a->basis_saved; i < a->basis.count; i++) {
        uint64_t o = a->basis.off[i];
        CN_TRY(cn_adb_add_basis(a->db, i, a->basis.idx + o, a->basis.val + o,
                                (size_t)(a->basis.off[i + 1] - o)));
    }
    return CRYPTONN_OK;
}

/* The state from authority.db; a database without rows (first start, or an
 * authority that kept rank-samples.bin so far) is filled from the file. */
static int db_load(cn_authority *a)
{
    int found = 0;
    CN_TRY(cn_adb_load(a->db, a->p.slots, a->issued, a->refused, &found, db_row, a));
    if (found) {
        CN_TRY(rank_rebuild(a, a->basis.count));
        a->basis_saved = a->basis.count;
        return CRYPTONN_OK;
    }
    basis_free(&a->basis);
    cn_authority_db *db = a->db;
    a->db = NULL; /* state_load reads the file */
    int rc = state_load(a);
    a->db = db;
    if (rc != CRYPTONN_OK) return rc;
    CN_TRY(cn_adb_begin(a->db));
    rc = db_save(a);
    if (rc == CRYPTONN_OK) rc = cn_adb_commit(a->db);
    else cn_adb_rollback(a->db);
    if (rc == CRYPTONN_OK) a->basis_saved = a->basis.count;
    return rc;
}

/* ---- open / close ---- */

static int check_mpk(const cryptonn_feip_msk *msk, const cryptonn_feip_mpk *mpk)
{
    if (cryptonn_feip_msk_slots(msk) != cryptonn_feip_mpk_slots(mpk)) return CRYPTONN_ERR_MISMATCH;
    cryptonn_feip_mpk *d;
    CN_TRY(cryptonn_feip_mpk_from_msk(&d, msk));
    uint8_t x[16], y[16];
    cryptonn_feip_mpk_id(d, x);
    cryptonn_feip_mpk_id(mpk, y);
    cryptonn_feip_mpk_destroy(d);
    return memcmp(x, y, 16) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
}

int cn_authority_open(cn_authority **out, const char *dir, const cn_policy *pol)
{
    CN_ARG_CHECK(out && dir);
    *out = NULL;
    cn_authority *a = calloc(1, sizeof *a);
    if (!a) return CRYPTONN_ERR_NOMEM;
    if (pol) a->pol = *pol;
    else cn_policy_default(&a->pol);
    a->dir = strdup(dir);
    char path[4096];
    int rc = a->dir ? cn_encdata_read_params(dir, &a->p, &a->k) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "samples.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_msk_load(&a->msk[CN_MPK_SAMPLES], path);
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "batch.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_feip_msk_load(&a->msk[CN_MPK_BATCH], path);
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "labels.msk");
    if (rc == CRYPTONN_OK) rc = cryptonn_febo_msk_load(&a->msk_labels, path);
    /* params.bin is public and could be swapped: the msks must match it */
    if (rc == CRYPTONN_OK) rc = check_mpk(a->msk[CN_MPK_SAMPLES], a->k.samples);
    if (rc == CRYPTONN_OK) rc = check_mpk(a->msk[CN_MPK_BATCH], a->k.batch);
    if (rc == CRYPTONN_OK) {
        int d = cn_adb_open(&a->db, dir);
        if (d == CRYPTONN_OK) rc = db_load(a);
        else if (d == CRYPTONN_ERR_NOT_FOUND) rc = state_load(a); /* built without SQLite */
        else rc = d;
    }
    if (rc == CRYPTONN_OK) rc = path_in(path, sizeof path, dir, "keys.log");
    if (rc == CRYPTONN_OK) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
        a->log = fd >= 0 ? fdopen(fd, "a") : NULL;
        if (!a->log) {
            if (fd >= 0) close(fd);
            rc = CRYPTONN_ERR_IO;
        }
    }
    if (rc != CRYPTONN_OK) {
        cn_authority_close(a);
        return rc;
    }
    *out = a;
    return CRYPTONN_OK;
}

void cn_authority_close(cn_authority *a)
{
    if (!a) return;
    if (a->rank && state_save(a) != CRYPTONN_OK && a->log)
        fprintf(a->log, "warning: could not save rank-samples.bin\n");
    if (a->log) fclose(a->log);
    cn_adb_close(a->db);
    cryptonn_feip_msk_destroy(a->msk[0]);
    cryptonn_feip_msk_destroy(a->msk[1]);
    cryptonn_febo_msk_destroy(a->msk_labels);
    cn_rank_destroy(a->rank);
    basis_free(&a->basis);
    cn_enc_mpks_free(&a->k);
    free(a->dir);
    free(a);
}

/* ---- requests ---- */

static void log_line(cn_authority *a, const char *fmt, ...)
{
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(a->log, "%s %s\n", ts, line);
    fflush(a->log);
    if (a->db && cn_adb_log(a->db, ts, line) != CRYPTONN_OK) a->db_failed = 1;
}

static int refuse(cn_authority *a, uint32_t mpk, uint64_t nkeys, int status, const char *reason,
                  uint8_t **resp, size_t *resp_len)
{
    if (mpk < 3) {
        a->refused[mpk] += nkeys;
        log_line(a, "REFUSED %s keys=%llu status=%s: %s", MPK_NAME[mpk],
                 (unsigned long long)nkeys, cryptonn_status_str(status), reason);
    } else log_line(a, "REFUSED malformed request: %s", reason);
    return cn_keyresp_error_encode(status, reason, resp, resp_len);
}

static uint64_t mpk_width(const cn_authority *a, uint32_t mpk)
{
    return mpk == CN_MPK_SAMPLES ? a->p.slots : (uint64_t)a->p.slots * a->p.batch;
}

/* min(keys issued, width): the gradient mpk's bound (exact elimination
 * over 50 K columns per key would cost more than the keys). */
static uint64_t batch_bound(const cn_authority *a, uint64_t extra)
{
    uint64_t w = mpk_width(a, CN_MPK_BATCH), k = a->issued[CN_MPK_BATCH] + extra;
    return k < w ? k : w;
}

/* Adds the request's keys to the samples tracker; on a budget overrun puts
 * the tracker back as it was and returns CRYPTONN_ERR_BUDGET. */
static int account_samples(cn_authority *a, const cn_feip_keyreq *r, uint32_t *over_key)
{
    uint32_t before = a->basis.count, width = a->p.slots;
    int grew = 0;
    for (uint32_t i = 0; i < r->nkeys && cn_rank_get(a->rank) < width; i++) {
        uint64_t o = r->rowptr[i];
        size_t m = (size_t)(r->rowptr[i + 1] - o);
        int g = cn_rank_add(a->rank, r->idx + o, r->val + o, m);
        if (g < 0) return g;
        if (g == 1) {
            grew = 1;
            CN_TRY(basis_push(&a->basis, r->idx + o, r->val + o, m));
            if (a->pol.max_rank && cn_rank_get(a->rank) > a->pol.max_rank) {
                *over_key = i;
                CN_TRY(rank_rebuild(a, before));
                return CRYPTONN_ERR_BUDGET;
            }
        }
    }
    /* persisted now, so a crash cannot forget what was revealed */
    return grew ? state_save(a) : CRYPTONN_OK;
}

/* Checks a request's vectors against the policy, accounts for them, and
 * answers with their scalars. */
static int issue_feip(cn_authority *a, const cn_feip_keyreq *r, uint8_t **resp, size_t *resp_len)
{
    char why[256];
    int rc = CRYPTONN_OK;
    uint64_t width = mpk_width(a, r->mpk);
    const int64_t lim = (int64_t)1 << CRYPTONN_FEIP_MAX_KEY_BITS;
    for (uint64_t j = 0; j < r->nnz && rc == CRYPTONN_OK; j++) {
        if (r->idx[j] >= width) {
            snprintf(why, sizeof why, "slot %u is outside the %s mpk (width %llu)", r->idx[j],
                     MPK_NAME[r->mpk], (unsigned long long)width);
            rc = CRYPTONN_ERR_ARG;
        } else if (r->val[j] <= -lim || r->val[j] >= lim) {
            snprintf(why, sizeof why, "key value %lld does not fit 31 bits", (long long)r->val[j]);
            rc = CRYPTONN_ERR_RANGE;
        }
    }
    /* Support policy: a key with one non-zero entry reveals one slot (a
     * pixel) outright. The zero key reveals nothing and is allowed (a dead
     * unit's gradient row is all zero). */
    for (uint32_t i = 0; i < r->nkeys && rc == CRYPTONN_OK; i++) {
        uint32_t nz = 0;
        for (uint64_t j = r->rowptr[i]; j < r->rowptr[i + 1]; j++) nz += r->val[j] != 0;
        if (nz > 0 && nz < a->pol.min_support) {
            snprintf(why, sizeof why,
                     "policy: key %u has %u non-zero entr%s, minimum is %u (--min-support)", i, nz,
                     nz == 1 ? "y" : "ies", a->pol.min_support);
            rc = CRYPTONN_ERR_POLICY;
        }
    }
    if (rc == CRYPTONN_OK && r->mpk == CN_MPK_BATCH && a->pol.max_rank &&
        batch_bound(a, r->nkeys) > a->pol.max_rank) {
        snprintf(why, sizeof why,
                 "budget: %u more keys would raise the %s mpk's revealed rank bound to %llu, "
                 "budget is %llu (--max-rank)",
                 r->nkeys, MPK_NAME[r->mpk], (unsigned long long)batch_bound(a, r->nkeys),
                 (unsigned long long)a->pol.max_rank);
        rc = CRYPTONN_ERR_BUDGET;
    }
    if (rc == CRYPTONN_OK && r->mpk == CN_MPK_SAMPLES) {
        uint32_t over = 0;
        rc = account_samples(a, r, &over);
        if (rc == CRYPTONN_ERR_BUDGET)
            snprintf(why, sizeof why,
                     "budget: key %u would raise the samples mpk's revealed rank past %llu "
                     "(--max-rank); nothing was issued",
                     over, (unsigned long long)a->pol.max_rank);
        else if (rc != CRYPTONN_OK)
            snprintf(why, sizeof why, "rank accounting failed: %s", cryptonn_status_str(rc));
    }
    if (rc != CRYPTONN_OK) return refuse(a, r->mpk, r->nkeys, rc, why, resp, resp_len);
    uint8_t *sks = malloc(r->nkeys ? 32 * (size_t)r->nkeys : 1);
    if (!sks) rc = CRYPTONN_ERR_NOMEM;
    /* one inner product with the msk per key: independent, both cores */
    int bad = CRYPTONN_OK;
    if (rc == CRYPTONN_OK) {
#pragma omp parallel for schedule(dynamic, 4)
        for (uint32_t i = 0; i < r->nkeys; i++) {
            uint64_t o = r->rowptr[i];
            int s = cryptonn_feip_keygen_sk(a->msk[r->mpk], r->idx + o, r->val + o,
                                            (size_t)(r->rowptr[i + 1] - o), sks + 32 * (size_t)i);
            if (s != CRYPTONN_OK) {
#pragma omp critical(authority_keygen)
                bad = s;
            }
        }
        rc = bad;
    }
    if (rc == CRYPTONN_OK) rc = cn_keyresp_sk_encode(r->mpk, sks, r->nkeys, resp, resp_len);
    if (sks) cn_wipe(sks, 32 * (size_t)r->nkeys);
    free(sks);
    if (rc != CRYPTONN_OK) {
        snprintf(why, sizeof why, "key derivation failed: %s", cryptonn_status_str(rc));
        return refuse(a, r->mpk, r->nkeys, rc, why, resp, resp_len);
    }
    a->issued[r->mpk] += r->nkeys;
    if (r->mpk == CN_MPK_SAMPLES)
        log_line(a, "issued %s keys=%u nnz=%llu rank=%u/%u", MPK_NAME[r->mpk], r->nkeys,
                 (unsigned long long)r->nnz, cn_rank_get(a->rank), a->p.slots);
    else
        log_line(a, "issued %s keys=%u nnz=%llu rank<=%llu/%llu", MPK_NAME[r->mpk], r->nkeys,
                 (unsigned long long)r->nnz, (unsigned long long)batch_bound(a, 0),
                 (unsigned long long)width);
    return CRYPTONN_OK;
}

static int handle_feip(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                       size_t *resp_len)
{
    cn_feip_keyreq r;
    int rc = cn_keyreq_feip_decode(&r, req, len);
    if (rc != CRYPTONN_OK) {
        char why[256];
        snprintf(why, sizeof why, "malformed FEIP key request: %s", cryptonn_status_str(rc));
        return refuse(a, 3, 0, rc, why, resp, resp_len);
    }
    rc = issue_feip(a, &r, resp, resp_len);
    cn_keyreq_feip_free(&r);
    return rc;
}

/* A gradient request: the authority expands dZ1 into the key vectors
 * itself, so the policy judges exactly the vectors it derives keys for. */
static int handle_grad(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                       size_t *resp_len)
{
    cn_grad_req g;
    char why[256];
    int rc = cn_gradreq_decode(&g, req, len);
    if (rc == CRYPTONN_OK && ((uint64_t)g.in_c * g.in_h * g.in_w != a->p.slots || g.n > a->p.batch))
        rc = CRYPTONN_ERR_MISMATCH;
    if (rc == CRYPTONN_ERR_MISMATCH) {
        cn_gradreq_free(&g);
        return refuse(a, CN_MPK_BATCH, 0, rc,
                      "gradient request: the layer's input or batch does not fit the batch mpk",
                      resp, resp_len);
    }
    if (rc != CRYPTONN_OK) {
        snprintf(why, sizeof why, "malformed gradient key request: %s", cryptonn_status_str(rc));
        return refuse(a, 3, 0, rc, why, resp, resp_len);
    }
    cn_feip_keyreq r;
    if (cn_grad_expand_new(&g, &r, NULL) == CRYPTONN_OK) {
        rc = issue_feip(a, &r, resp, resp_len);
    } else {
        rc = refuse(a, CN_MPK_BATCH, 0, CRYPTONN_ERR_NOMEM, "gradient request: out of memory",
                    resp, resp_len);
    }
    cn_keyreq_feip_free(&r);
    cn_gradreq_free(&g);
    return rc;
}

static int handle_febo(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                       size_t *resp_len)
{
    cryptonn_febo_op op;
    cryptonn_febo_ct **cts;
    int64_t *y;
    uint32_t n;
    char why[256];
    int rc = cn_keyreq_febo_decode(req, len, &op, &cts, &y, &n);
    if (rc != CRYPTONN_OK) {
        snprintf(why, sizeof why, "malformed FEBO key request: %s", cryptonn_status_str(rc));
        return refuse(a, 3, 0, rc, why, resp, resp_len);
    }
    cryptonn_febo_key **keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys) rc = CRYPTONN_ERR_NOMEM;
    for (uint32_t i = 0; i < n && rc == CRYPTONN_OK; i++) rc = cryptonn_febo_key_create(&keys[i]);
    /* cmt^s per key: independent, so both cores share them */
    int bad = CRYPTONN_OK;
    uint32_t bad_at = 0;
    if (rc == CRYPTONN_OK) {
#pragma omp parallel for schedule(dynamic, 8)
        for (uint32_t i = 0; i < n; i++) {
            int s = cryptonn_febo_keygen(a->msk_labels, keys[i], cts[i], op, y[i]);
            if (s != CRYPTONN_OK) {
#pragma omp critical
                if (bad == CRYPTONN_OK) {
                    bad = s;
                    bad_at = i;
                }
            }
        }
        rc = bad;
    }
    if (rc == CRYPTONN_OK)
        rc = cn_keyresp_febo_encode((const cryptonn_febo_key *const *)keys, n, resp, resp_len);
    if (keys)
        for (uint32_t i = 0; i < n; i++) cryptonn_febo_key_destroy(keys[i]);
    free(keys);
    for (uint32_t i = 0; i < n; i++) cryptonn_febo_ct_destroy(cts[i]);
    free(cts);
    free(y);
    if (rc != CRYPTONN_OK) {
        snprintf(why, sizeof why, "FEBO key %u: %s", bad_at,
                 rc == CRYPTONN_ERR_MISMATCH ? "ciphertext of another mpk" : cryptonn_status_str(rc));
        return refuse(a, CN_MPK_LABELS, n, rc, why, resp, resp_len);
    }
    a->issued[CN_MPK_LABELS] += n;
    log_line(a, "issued labels keys=%u op=%s", n, OP_NAME[op]);
    return CRYPTONN_OK;
}

int cn_authority_handle(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                        size_t *resp_len)
{
    CN_ARG_CHECK(a && (req || len == 0) && resp && resp_len);
    *resp = NULL;
    *resp_len = 0;
    int rc;
    a->db_failed = a->db && cn_adb_begin(a->db) != CRYPTONN_OK;
    if (len >= 12 && memcmp(req + 8, "KRQI", 4) == 0) rc = handle_feip(a, req, len, resp, resp_len);
    else if (len >= 12 && memcmp(req + 8, "KRQG", 4) == 0)
        rc = handle_grad(a, req, len, resp, resp_len);
    else if (len >= 12 && memcmp(req + 8, "KRQB", 4) == 0)
        rc = handle_febo(a, req, len, resp, resp_len);
    else rc = refuse(a, 3, 0, CRYPTONN_ERR_FORMAT, "unknown message kind", resp, resp_len);
    /* The record is durable before any key leaves: if it cannot be
     * written, the keys are withheld (the in-memory counters keep them, an
     * over-count, which errs on the safe side). */
    if (a->db) {
        int d = a->db_failed ? CRYPTONN_ERR_IO : db_save(a);
        if (d == CRYPTONN_OK) d = cn_adb_commit(a->db);
        if (d == CRYPTONN_OK) a->basis_saved = a->basis.count;
        else {
            cn_adb_rollback(a->db);
            if (*resp) cn_free_secret(*resp, *resp_len);
            *resp = NULL;
            rc = cn_keyresp_error_encode(CRYPTONN_ERR_IO,
                                         "the authority cannot write its key log (authority.db); "
                                         "no key was issued", resp, resp_len);
        }
    }
    /* a response that could not even be built is the only failure */
    return *resp ? CRYPTONN_OK : (rc != CRYPTONN_OK ? rc : CRYPTONN_ERR_NOMEM);
}

void cn_authority_leakage(const cn_authority *a, cn_leak_mpk out[3])
{
    out[0] = (cn_leak_mpk){MPK_NAME[0], a->p.slots, cn_rank_get(a->rank), 0, a->issued[0],
                           a->refused[0]};
    out[1] = (cn_leak_mpk){MPK_NAME[1], mpk_width(a, CN_MPK_BATCH), batch_bound(a, 0), 1,
                           a->issued[1], a->refused[1]};
    /* FEBO keys are bound to one ciphertext each: no span to track; the
     * report states what the "−" keys reveal (the permuted labels). */
    out[2] = (cn_leak_mpk){MPK_NAME[2], 0, 0, 0, a->issued[2], a->refused[2]};
}

static int ks_round_trip(void *ctx, const uint8_t *req, size_t req_len, uint8_t **resp,
                         size_t *resp_len)
{
    return cn_authority_handle(ctx, req, req_len, resp, resp_len);
}

cn_keysource cn_authority_keysource(cn_authority *a)
{
    return (cn_keysource){a, ks_round_trip};
}
