/* The authority's account of the samples span and its persistence
 * (authority_internal.h): the basis list, the rank tracker rebuilt from it,
 * and the state in rank-samples.bin or authority.db. */
#include <stdlib.h>
#include <string.h>

#include "protocol/authority_internal.h"
#include "util/util.h"

#define V1 1u
#define MAX_STATE ((size_t)1 << 32)

void cn_auth_basis_free(basis_list *b)
{
    free(b->off);
    free(b->idx);
    free(b->val);
    memset(b, 0, sizeof *b);
}

int cn_auth_basis_push(basis_list *b, const uint32_t *idx, const int64_t *val, size_t nnz)
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
int cn_auth_rank_rebuild(cn_authority *a, uint32_t count)
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
int cn_auth_state_save(const cn_authority *a)
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
    int rc = cn_auth_path(path, sizeof path, a->dir, "rank-samples.bin");
    cn_part parts[2] = {{head, sizeof head}, {buf, body}};
    if (rc == CRYPTONN_OK) rc = cn_container_write(path, "AUST", V1, parts, 2, 0600);
    free(buf);
    return rc;
}

int cn_auth_state_load(cn_authority *a)
{
    char path[4096];
    CN_TRY(cn_auth_path(path, sizeof path, a->dir, "rank-samples.bin"));
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_read(path, "AUST", V1, MAX_STATE, &file, &pl, &plen);
    if (rc == CRYPTONN_ERR_NOT_FOUND) return cn_auth_rank_rebuild(a, 0); /* a fresh authority */
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
                if (rc == CRYPTONN_OK) rc = cn_auth_basis_push(&a->basis, ix, vv, hi - lo);
                free(ix);
                free(vv);
            }
            if (rc == CRYPTONN_OK && prev != nnz) rc = CRYPTONN_ERR_FORMAT;
            if (rc == CRYPTONN_OK) rc = cn_auth_rank_rebuild(a, count);
        }
    }
    free(file);
    return rc;
}

/* ---- the database ---- */

static int db_row(void *ctx, const uint32_t *idx, const int64_t *val, size_t nnz)
{
    return cn_auth_basis_push(&((cn_authority *)ctx)->basis, idx, val, nnz);
}

/* Everything since the last commit: counters and the new basis vectors. */
int cn_auth_db_save(cn_authority *a)
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
int cn_auth_db_load(cn_authority *a)
{
    int found = 0;
    CN_TRY(cn_adb_load(a->db, a->p.slots, a->issued, a->refused, &found, db_row, a));
    if (found) {
        CN_TRY(cn_auth_rank_rebuild(a, a->basis.count));
        a->basis_saved = a->basis.count;
        return CRYPTONN_OK;
    }
    cn_auth_basis_free(&a->basis);
    cn_authority_db *db = a->db;
    a->db = NULL; /* state_load reads the file */
    int rc = cn_auth_state_load(a);
    a->db = db;
    if (rc != CRYPTONN_OK) return rc;
    CN_TRY(cn_adb_begin(a->db));
    rc = cn_auth_db_save(a);
    if (rc == CRYPTONN_OK) rc = cn_adb_commit(a->db);
    else cn_adb_rollback(a->db);
    if (rc == CRYPTONN_OK) a->basis_saved = a->basis.count;
    return rc;
}

