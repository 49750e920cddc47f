/* Strict mode's samples policy (authority_internal.h): the authority keeps
 * the digest of every key vector of its committed first layer and issues a
 * samples key only for a vector among them. Linear combinations, packed
 * taps, unit vectors and any vector of the server's choosing are refused
 * before anything is derived. Re-issuing a committed key gives the same
 * scalar (sk_y = ⟨s, y⟩) and so reveals nothing new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "protocol/authority_internal.h"
#include "util/util.h"

#define V1 1u

void cn_key_digest(const uint32_t *idx, const int64_t *val, size_t nnz, uint8_t out[16])
{
    /* the canonical sparse form: zero entries are never stored by requests
     * (cn_keyreq_close_key) nor by cn_fl_keys */
    crypto_generichash_state st;
    crypto_generichash_init(&st, NULL, 0, 16);
    for (size_t j = 0; j < nnz; j++) {
        if (!val[j]) continue;
        uint8_t e[12];
        cn_store_u32(e, idx[j]);
        cn_store_u64(e + 4, (uint64_t)val[j]);
        crypto_generichash_update(&st, e, sizeof e);
    }
    crypto_generichash_final(&st, out, 16);
}

/* ---- digest sets: linear probing over the digest's first 8 bytes ---- */

void cn_digest_set_free(digest_set *s)
{
    free(s->keys);
    free(s->uses);
    free(s->used);
    memset(s, 0, sizeof *s);
}

static size_t home(const digest_set *s, const uint8_t d[16])
{
    return (size_t)(cn_load_u64(d) & (s->cap - 1));
}

long cn_digest_set_find(const digest_set *s, const uint8_t d[16])
{
    if (!s->cap) return -1;
    for (size_t i = home(s, d);; i = (i + 1) & (s->cap - 1)) {
        if (!s->used[i]) return -1;
        if (!memcmp(s->keys + 16 * i, d, 16)) return (long)i;
    }
}

static int grow(digest_set *s)
{
    digest_set t = {0};
    t.cap = s->cap ? 2 * s->cap : 1024;
    t.keys = malloc(t.cap * 16);
    t.uses = calloc(t.cap, sizeof *t.uses);
    t.used = calloc(t.cap, 1);
    if (!t.keys || !t.uses || !t.used) {
        cn_digest_set_free(&t);
        return CRYPTONN_ERR_NOMEM;
    }
    for (size_t i = 0; i < s->cap; i++) {
        if (!s->used[i]) continue;
        size_t j = home(&t, s->keys + 16 * i);
        while (t.used[j]) j = (j + 1) & (t.cap - 1);
        memcpy(t.keys + 16 * j, s->keys + 16 * i, 16);
        t.uses[j] = s->uses[i];
        t.used[j] = 1;
    }
    t.n = s->n;
    cn_digest_set_free(s);
    *s = t;
    return CRYPTONN_OK;
}

long cn_digest_set_add(digest_set *s, const uint8_t d[16])
{
    long f = cn_digest_set_find(s, d);
    if (f >= 0) return f;
    if (2 * (s->n + 1) > s->cap) CN_TRY(grow(s));
    size_t i = home(s, d);
    while (s->used[i]) i = (i + 1) & (s->cap - 1);
    memcpy(s->keys + 16 * i, d, 16);
    s->uses[i] = 0;
    s->used[i] = 1;
    s->n++;
    return (long)i;
}

/* ---- the committed layer ---- */

/* layer-rank.bin "FLRK": the commitment and the rank, so that the
 * elimination (seconds for a layer spanning all 784 slots) runs once. */
static int layer_rank(cn_authority *a, const cn_feip_keyreq *r)
{
    char path[4096];
    CN_TRY(cn_auth_path(path, sizeof path, a->dir, "layer-rank.bin"));
    uint8_t *file;
    const uint8_t *pl;
    size_t plen;
    if (cn_container_read(path, "FLRK", V1, 36, &file, &pl, &plen) == CRYPTONN_OK) {
        int hit = plen == 36 && !memcmp(pl, a->k.layer->commit, 32);
        uint32_t rank = hit ? cn_load_u32(pl + 32) : 0;
        free(file);
        if (hit && rank <= a->p.slots) {
            a->layer_rank = rank;
            return CRYPTONN_OK;
        }
    }
    cn_rank *t = cn_rank_create(a->p.slots);
    if (!t) return CRYPTONN_ERR_NOMEM;
    for (uint32_t i = 0; i < r->nkeys && cn_rank_get(t) < a->p.slots; i++) {
        int g = cn_rank_add(t, r->idx + r->rowptr[i], r->val + r->rowptr[i],
                            (size_t)(r->rowptr[i + 1] - r->rowptr[i]));
        if (g < 0) {
            cn_rank_destroy(t);
            return g;
        }
    }
    a->layer_rank = cn_rank_get(t);
    cn_rank_destroy(t);
    uint8_t b[36];
    memcpy(b, a->k.layer->commit, 32);
    cn_store_u32(b + 32, a->layer_rank);
    cn_part part = {b, sizeof b};
    return cn_container_write(path, "FLRK", V1, &part, 1, 0644);
}

int cn_auth_strict_open(cn_authority *a)
{
    cn_feip_keyreq r;
    CN_TRY(cn_fl_keys(&a->k.layer->spec, a->k.layer->w, &r));
    int rc = CRYPTONN_OK;
    for (uint32_t i = 0; i < r.nkeys && rc == CRYPTONN_OK; i++) {
        uint8_t d[16];
        cn_key_digest(r.idx + r.rowptr[i], r.val + r.rowptr[i],
                      (size_t)(r.rowptr[i + 1] - r.rowptr[i]), d);
        long s = cn_digest_set_add(&a->committed, d);
        if (s < 0) rc = (int)s;
    }
    if (rc == CRYPTONN_OK) rc = layer_rank(a, &r);
    cn_keyreq_feip_free(&r);
    return rc;
}

int cn_auth_strict_check(const cn_authority *a, const cn_feip_keyreq *r, char *why, size_t len)
{
    char hex[17];
    cn_fl_layer_commit_hex(a->k.layer, hex);
    if (r->mpk != CN_MPK_SAMPLES) {
        snprintf(why, len,
                 "policy (strict mode): there is no batch-gradient mpk; the first layer is the "
                 "authority's committed layer (%s) and is not trained",
                 hex);
        return CRYPTONN_ERR_POLICY;
    }
    for (uint32_t i = 0; i < r->nkeys; i++) {
        uint8_t d[16];
        cn_key_digest(r->idx + r->rowptr[i], r->val + r->rowptr[i],
                      (size_t)(r->rowptr[i + 1] - r->rowptr[i]), d);
        if (cn_digest_set_find(&a->committed, d) < 0) {
            snprintf(why, len,
                     "policy (strict mode): key %u is not a vector of the committed first layer "
                     "(commitment %s); only its keys are issued, nothing was issued",
                     i, hex);
            return CRYPTONN_ERR_POLICY;
        }
    }
    return CRYPTONN_OK;
}
