/* FEBO key requests and the label registry (authority_internal.h).
 *
 * labels.reg holds one 16-byte digest per registered label ciphertext and
 * labels.used one per FEBO key issued; both are append-only and synced
 * before the response leaves, so a crash can only over-count a use, never
 * forget one. A torn last record is ignored on open. In strict mode a
 * request is answered only when every ciphertext in it is registered and
 * below policy.label_uses keys; paper mode answers any ciphertext of the
 * labels mpk (the report names that oracle). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "protocol/authority_internal.h"
#include "protocol/labelreg.h"
#include "util/util.h"

static const char *OP_NAME[4] = {"+", "-", "*", "/"};

#define MAX_LOG ((size_t)1 << 34)

static int open_log(cn_authority *a, const char *name, int *fd)
{
    char path[4096];
    CN_TRY(cn_auth_path(path, sizeof path, a->dir, name));
    *fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    return *fd >= 0 ? CRYPTONN_OK : CRYPTONN_ERR_IO;
}

/* Calls f on every whole 16-byte record of the log. */
static int replay(const char *dir, const char *name, digest_set *s, int count)
{
    char path[4096];
    CN_TRY(cn_auth_path(path, sizeof path, dir, name));
    uint8_t *b;
    size_t len;
    int rc = cn_file_read_all(path, MAX_LOG, &b, &len);
    if (rc == CRYPTONN_ERR_NOT_FOUND) return CRYPTONN_OK;
    if (rc != CRYPTONN_OK) return rc;
    for (size_t i = 0; i + 16 <= len && rc == CRYPTONN_OK; i += 16) {
        long slot = count ? cn_digest_set_find(s, b + i) : cn_digest_set_add(s, b + i);
        if (slot < -1) rc = (int)slot;
        else if (count && slot >= 0) s->uses[slot]++;
    }
    free(b);
    return rc;
}

int cn_auth_labels_open(cn_authority *a)
{
    CN_TRY(replay(a->dir, "labels.reg", &a->labels, 0));
    a->labels_registered = a->labels.n;
    CN_TRY(replay(a->dir, "labels.used", &a->labels, 1));
    CN_TRY(open_log(a, "labels.reg", &a->labels_reg_fd));
    return open_log(a, "labels.used", &a->labels_used_fd);
}

void cn_auth_labels_close(cn_authority *a)
{
    if (a->labels_reg_fd >= 0) close(a->labels_reg_fd);
    if (a->labels_used_fd >= 0) close(a->labels_used_fd);
    a->labels_reg_fd = a->labels_used_fd = -1;
    cn_digest_set_free(&a->labels);
}

static int append_sync(int fd, const uint8_t *b, size_t n)
{
    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return CRYPTONN_ERR_IO;
        b += w;
        n -= (size_t)w;
    }
    return fdatasync(fd) == 0 ? CRYPTONN_OK : CRYPTONN_ERR_IO;
}

int cn_authority_register_labels(cn_authority *a, const uint8_t *msg, size_t len, uint64_t *added,
                                 char *why, size_t why_len)
{
    CN_ARG_CHECK(a && (msg || !len));
    *added = 0;
    cn_labelreg r;
    int rc = cn_labelreg_decode(&r, msg, len);
    if (rc != CRYPTONN_OK) {
        snprintf(why, why_len, "malformed label registration: %s", cryptonn_status_str(rc));
        return rc;
    }
    uint8_t id[16];
    rc = cn_enc_labels_id(a->k.labels, id);
    if (rc == CRYPTONN_OK && memcmp(id, r.mpk_id, 16) != 0) {
        snprintf(why, why_len, "the registration is for another labels mpk (other params.bin)");
        rc = CRYPTONN_ERR_MISMATCH;
    }
    /* new digests only, in one append, then into the set */
    uint8_t *fresh = rc == CRYPTONN_OK ? malloc(r.n ? (size_t)r.n * 16 : 1) : NULL;
    if (rc == CRYPTONN_OK && !fresh) rc = CRYPTONN_ERR_NOMEM;
    /* a digest twice in one message is appended once: the message's own
     * set, beside the registered one */
    uint64_t nf = 0;
    digest_set seen = {0};
    for (uint64_t i = 0; rc == CRYPTONN_OK && i < r.n; i++) {
        const uint8_t *d = r.d + 16 * i;
        if (cn_digest_set_find(&a->labels, d) >= 0 || cn_digest_set_find(&seen, d) >= 0) continue;
        long slot = cn_digest_set_add(&seen, d);
        if (slot < 0) rc = (int)slot;
        else memcpy(fresh + 16 * nf++, d, 16);
    }
    cn_digest_set_free(&seen);
    if (rc == CRYPTONN_OK && nf) rc = append_sync(a->labels_reg_fd, fresh, (size_t)nf * 16);
    for (uint64_t i = 0; rc == CRYPTONN_OK && i < nf; i++) {
        long s = cn_digest_set_add(&a->labels, fresh + 16 * i);
        if (s < 0) rc = (int)s;
    }
    if (rc == CRYPTONN_OK) {
        a->labels_registered = a->labels.n;
        *added = nf;
        cn_auth_log(a, "registered %llu label ciphertexts (%llu in all)", (unsigned long long)nf,
                    (unsigned long long)a->labels_registered);
    } else if (rc == CRYPTONN_ERR_IO || rc == CRYPTONN_ERR_NOMEM) {
        snprintf(why, why_len, "cannot record the registration: %s", cryptonn_status_str(rc));
    }
    free(fresh);
    cn_labelreg_free(&r);
    return rc;
}

int cn_authority_register_at(const char *dir, const cn_labelreg *reg, uint64_t *added, char *why,
                             size_t why_len)
{
    cn_authority *a = NULL;
    uint8_t *m = NULL;
    size_t ml = 0;
    *added = 0;
    why[0] = 0;
    int rc = cn_authority_open(&a, dir, NULL);
    if (rc == CRYPTONN_OK) rc = cn_labelreg_encode(reg, &m, &ml);
    if (rc == CRYPTONN_OK) rc = cn_authority_register_labels(a, m, ml, added, why, why_len);
    free(m);
    cn_authority_close(a);
    return rc;
}

/* Strict mode: every ciphertext registered and under its use limit. The
 * digests of the request go to dg (n × 16). */
static int check_bound(cn_authority *a, cryptonn_febo_ct *const *cts, uint32_t n, uint8_t *dg,
                       char *why, size_t len)
{
    for (uint32_t i = 0; i < n; i++) CN_TRY(cn_label_digest(cts[i], dg + 16 * (size_t)i));
    if (!a->strict) return CRYPTONN_OK;
    for (uint32_t i = 0; i < n; i++) {
        long s = cn_digest_set_find(&a->labels, dg + 16 * (size_t)i);
        if (s < 0) {
            snprintf(why, len,
                     "policy (strict mode): label ciphertext %u is not registered by any data "
                     "owner; nothing was issued",
                     i);
            return CRYPTONN_ERR_POLICY;
        }
        uint32_t in_req = 0; /* the same ciphertext twice in one request counts twice */
        for (uint32_t j = 0; j < i; j++) in_req += !memcmp(dg + 16 * (size_t)j, dg + 16 * (size_t)i, 16);
        if (a->labels.uses[s] + in_req >= a->pol.label_uses) {
            snprintf(why, len,
                     "policy (strict mode): label ciphertext %u already had %u key%s, the "
                     "training schedule allows %u (--label-uses); nothing was issued",
                     i, a->labels.uses[s] + in_req, a->labels.uses[s] + in_req == 1 ? "" : "s",
                     a->pol.label_uses);
            return CRYPTONN_ERR_BUDGET;
        }
    }
    return CRYPTONN_OK;
}

static int record_uses(cn_authority *a, const uint8_t *dg, uint32_t n)
{
    if (!a->strict) return CRYPTONN_OK;
    CN_TRY(append_sync(a->labels_used_fd, dg, (size_t)n * 16));
    for (uint32_t i = 0; i < n; i++) {
        long s = cn_digest_set_find(&a->labels, dg + 16 * (size_t)i);
        if (s >= 0) a->labels.uses[s]++;
    }
    return CRYPTONN_OK;
}

int cn_auth_handle_febo(cn_authority *a, const uint8_t *req, size_t len, uint8_t **resp,
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
        return cn_auth_refuse(a, 3, 0, rc, why, resp, resp_len);
    }
    uint8_t *dg = malloc(n ? 16 * (size_t)n : 1);
    cryptonn_febo_key **keys = calloc(n ? n : 1, sizeof *keys);
    if (!keys || !dg) rc = CRYPTONN_ERR_NOMEM;
    int policy = CRYPTONN_OK;
    if (rc == CRYPTONN_OK) {
        policy = check_bound(a, cts, n, dg, why, sizeof why);
        if (policy == CRYPTONN_ERR_NOMEM) rc = policy;
    }
    for (uint32_t i = 0; i < n && rc == CRYPTONN_OK && policy == CRYPTONN_OK; i++)
        rc = cryptonn_febo_key_create(&keys[i]);
    /* cmt^s per key: independent, so both cores share them */
    int bad = CRYPTONN_OK;
    uint32_t bad_at = 0;
    if (rc == CRYPTONN_OK && policy == CRYPTONN_OK) {
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
    if (rc == CRYPTONN_OK && policy == CRYPTONN_OK) rc = record_uses(a, dg, n);
    if (rc == CRYPTONN_OK && policy == CRYPTONN_OK)
        rc = cn_keyresp_febo_encode((const cryptonn_febo_key *const *)keys, n, resp, resp_len);
    if (keys)
        for (uint32_t i = 0; i < n; i++) cryptonn_febo_key_destroy(keys[i]);
    free(keys);
    free(dg);
    for (uint32_t i = 0; i < n; i++) cryptonn_febo_ct_destroy(cts[i]);
    free(cts);
    free(y);
    if (policy != CRYPTONN_OK && rc == CRYPTONN_OK)
        return cn_auth_refuse(a, CN_MPK_LABELS, n, policy, why, resp, resp_len);
    if (rc != CRYPTONN_OK) {
        snprintf(why, sizeof why, "FEBO key %u: %s", bad_at,
                 rc == CRYPTONN_ERR_MISMATCH ? "ciphertext of another mpk" : cryptonn_status_str(rc));
        return cn_auth_refuse(a, CN_MPK_LABELS, n, rc, why, resp, resp_len);
    }
    a->issued[CN_MPK_LABELS] += n;
    cn_auth_log(a, "issued labels keys=%u op=%s", n, OP_NAME[op]);
    return CRYPTONN_OK;
}
