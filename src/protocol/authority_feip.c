/* FEIP key requests (authority_internal.h): explicit vectors (KRQI) and
 * gradient requests (KRQG), which the authority expands into vectors
 * itself so that the policy judges exactly the vectors it derives keys for. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/authority_internal.h"
#include "util/util.h"

static uint64_t mpk_width(const cn_authority *a, uint32_t mpk)
{
    if (mpk == CN_MPK_SAMPLES) return a->p.slots;
    return a->strict ? 0 : (uint64_t)a->p.slots * a->p.batch;
}

/* min(keys issued, width): the gradient mpk's bound (exact elimination
 * over 50 K columns per key would cost more than the keys). */
uint64_t cn_auth_batch_bound(const cn_authority *a, uint64_t extra)
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
            CN_TRY(cn_auth_basis_push(&a->basis, r->idx + o, r->val + o, m));
            if (a->pol.max_rank && cn_rank_get(a->rank) > a->pol.max_rank) {
                *over_key = i;
                CN_TRY(cn_auth_rank_rebuild(a, before));
                return CRYPTONN_ERR_BUDGET;
            }
        }
    }
    /* persisted now, so a crash cannot forget what was revealed */
    return grew ? cn_auth_state_save(a) : CRYPTONN_OK;
}

/* Checks a request's vectors against the policy, accounts for them, and
 * answers with their scalars. */
static int issue_feip(cn_authority *a, const cn_feip_keyreq *r, uint8_t **resp, size_t *resp_len)
{
    char why[320];
    int rc = CRYPTONN_OK;
    uint64_t width = mpk_width(a, r->mpk);
    if (a->strict) {
        rc = cn_auth_strict_check(a, r, why, sizeof why);
        if (rc != CRYPTONN_OK) return cn_auth_refuse(a, r->mpk, r->nkeys, rc, why, resp, resp_len);
    }
    const int64_t lim = (int64_t)1 << CRYPTONN_FEIP_MAX_KEY_BITS;
    for (uint64_t j = 0; j < r->nnz && rc == CRYPTONN_OK; j++) {
        if (r->idx[j] >= width) {
            snprintf(why, sizeof why, "slot %u is outside the %s mpk (width %llu)", r->idx[j],
                     CN_MPK_NAME[r->mpk], (unsigned long long)width);
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
        cn_auth_batch_bound(a, r->nkeys) > a->pol.max_rank) {
        snprintf(why, sizeof why,
                 "budget: %u more keys would raise the %s mpk's revealed rank bound to %llu, "
                 "budget is %llu (--max-rank)",
                 r->nkeys, CN_MPK_NAME[r->mpk], (unsigned long long)cn_auth_batch_bound(a, r->nkeys),
                 (unsigned long long)a->pol.max_rank);
        rc = CRYPTONN_ERR_BUDGET;
    }
    if (rc == CRYPTONN_OK && r->mpk == CN_MPK_SAMPLES && !a->strict) {
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
    if (rc != CRYPTONN_OK) return cn_auth_refuse(a, r->mpk, r->nkeys, rc, why, resp, resp_len);
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
        return cn_auth_refuse(a, r->mpk, r->nkeys, rc, why, resp, resp_len);
    }
    a->issued[r->mpk] += r->nkeys;
    if (r->mpk == CN_MPK_SAMPLES && a->strict)
        cn_auth_log(a, "issued %s keys=%u nnz=%llu (committed layer, rank %u/%u)",
                    CN_MPK_NAME[r->mpk], r->nkeys, (unsigned long long)r->nnz, a->layer_rank,
                    a->p.slots);
    else if (r->mpk == CN_MPK_SAMPLES)
        cn_auth_log(a, "issued %s keys=%u nnz=%llu rank=%u/%u", CN_MPK_NAME[r->mpk], r->nkeys,
                 (unsigned long long)r->nnz, cn_rank_get(a->rank), a->p.slots);
    else
        cn_auth_log(a, "issued %s keys=%u nnz=%llu rank<=%llu/%llu", CN_MPK_NAME[r->mpk], r->nkeys,
                 (unsigned long long)r->nnz, (unsigned long long)cn_auth_batch_bound(a, 0),
                 (unsigned long long)width);
    return CRYPTONN_OK;
}

int cn_auth_handle_feip(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                       size_t *resp_len)
{
    cn_feip_keyreq r;
    int rc = cn_keyreq_feip_decode(&r, req, len);
    if (rc != CRYPTONN_OK) {
        char why[256];
        snprintf(why, sizeof why, "malformed FEIP key request: %s", cryptonn_status_str(rc));
        return cn_auth_refuse(a, 3, 0, rc, why, resp, resp_len);
    }
    if (r.mpk == CN_MPK_BATCH && !a->strict) {
        /* A gradient key must come from a gradient request (KRQG), whose
         * vectors the authority derives itself; explicit vectors on the
         * batch mpk would let the server pick any view of a batch. */
        rc = cn_auth_refuse(a, CN_MPK_BATCH, r.nkeys, CRYPTONN_ERR_POLICY,
                            "policy: explicit key vectors are refused on the batch-gradient mpk; "
                            "gradient keys are derived from a gradient request (dZ1 and the "
                            "layer's shape)",
                            resp, resp_len);
    } else {
        rc = issue_feip(a, &r, resp, resp_len);
    }
    cn_keyreq_feip_free(&r);
    return rc;
}

/* A gradient request: the authority expands dZ1 into the key vectors
 * itself, so the policy judges exactly the vectors it derives keys for. */
int cn_auth_handle_grad(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
                       size_t *resp_len)
{
    cn_grad_req g;
    char why[320];
    int rc = cn_gradreq_decode(&g, req, len);
    if (rc == CRYPTONN_OK && a->strict) {
        cn_gradreq_free(&g);
        cn_feip_keyreq none = {.mpk = CN_MPK_BATCH};
        rc = cn_auth_strict_check(a, &none, why, sizeof why);
        return cn_auth_refuse(a, CN_MPK_BATCH, 0, rc, why, resp, resp_len);
    }
    if (rc == CRYPTONN_OK && ((uint64_t)g.in_c * g.in_h * g.in_w != a->p.slots || g.n > a->p.batch))
        rc = CRYPTONN_ERR_MISMATCH;
    if (rc == CRYPTONN_ERR_MISMATCH) {
        cn_gradreq_free(&g);
        return cn_auth_refuse(a, CN_MPK_BATCH, 0, rc,
                      "gradient request: the layer's input or batch does not fit the batch mpk",
                      resp, resp_len);
    }
    if (rc != CRYPTONN_OK) {
        snprintf(why, sizeof why, "malformed gradient key request: %s", cryptonn_status_str(rc));
        return cn_auth_refuse(a, 3, 0, rc, why, resp, resp_len);
    }
    cn_feip_keyreq r;
    if (cn_grad_expand_new(&g, &r, NULL) == CRYPTONN_OK) {
        rc = issue_feip(a, &r, resp, resp_len);
    } else {
        rc = cn_auth_refuse(a, CN_MPK_BATCH, 0, CRYPTONN_ERR_NOMEM, "gradient request: out of memory",
                    resp, resp_len);
    }
    cn_keyreq_feip_free(&r);
    cn_gradreq_free(&g);
    return rc;
}

