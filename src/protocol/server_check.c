/* server_check: reading stored parts the way training will (server_svc.h).
 * A part is verified in a scratch dataset under staging/ that hard-links
 * params.bin, the index and every batch file, so the very reader training
 * uses (cn_encdata_open, cn_encdata_read_batch: container, checksum, sample
 * count against the index, flags, every ciphertext decoded under the
 * dataset's mpks) judges it, and nothing is copied. Verifying costs one
 * decoding of every point of the part, so each batch is a turn in a queue
 * between owners, one turn at a time: the owner with fewer verifications
 * under way goes first, so a flood of one owner's completions delays a
 * lighter owner's turn by the turn in progress only, and an owner kept
 * waiting a second goes first whatever its load. */
#include "protocol/server_svc.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define V1 1u

/* ---- the fair queue ---- */

/* An owner kept waiting this long goes first, whatever its queue: a crowd
 * of light owners cannot starve a heavy one. */
#define STARVED_NS 1000000000ull

static srv_gate_owner *gate_of(cn_server_http *s, const char *owner)
{
    return srv_owner_slot((void **)&s->gate, &s->ngate, sizeof *s->gate, owner);
}

/* 1 if a should go before b: a starved owner first (the longest starved),
 * then the one with fewer verifications under way (the lighter user), then
 * the one whose last turn is older. */
static int before(const srv_gate_owner *a, const srv_gate_owner *b, uint64_t now)
{
    int sa = now - a->since > STARVED_NS, sb = now - b->since > STARVED_NS;
    if (sa != sb) return sa;
    if (sa) return a->since < b->since;
    if (a->pending != b->pending) return a->pending < b->pending;
    return a->last < b->last;
}

/* Under gmu: the owner whose waiting request goes next. */
static const srv_gate_owner *next_in_line(const cn_server_http *s, uint64_t now)
{
    const srv_gate_owner *best = NULL;
    for (size_t i = 0; i < s->ngate; i++)
        if (s->gate[i].waiting && (!best || before(&s->gate[i], best, now))) best = &s->gate[i];
    return best;
}

/* Under gmu: waits until owner (g) is next and takes the turn. */
static void take_turn(cn_server_http *s, const char *owner, srv_gate_owner *g)
{
    if (g && g->waiting++ == 0) g->since = cn_now_ns();
    while (!s->gate_free || (g && next_in_line(s, cn_now_ns()) != g)) {
        pthread_cond_wait(&s->gcv, &s->gmu);
        if (g) g = gate_of(s, owner); /* the table may have moved */
    }
    if (g) {
        g->waiting--;
        g->since = cn_now_ns(); /* its next waiting request waits from now */
    }
    s->gate_free = 0;
}

/* Under gmu: the turn in progress ends. */
static void end_turn(cn_server_http *s, srv_gate_owner *g)
{
    if (g) g->last = ++s->gate_clock;
    s->gate_free = 1;
    pthread_cond_broadcast(&s->gcv);
}

static void gate_enter(cn_server_http *s, const char *owner)
{
    pthread_mutex_lock(&s->gmu);
    take_turn(s, owner, gate_of(s, owner)); /* NULL (out of memory): any free turn */
    pthread_mutex_unlock(&s->gmu);
}

static void gate_leave(cn_server_http *s, const char *owner)
{
    pthread_mutex_lock(&s->gmu);
    end_turn(s, gate_of(s, owner));
    pthread_mutex_unlock(&s->gmu);
}

/* The turn in progress ends and owner asks for the next in one step, so
 * it keeps the queue when it would be next anyway: between the two no
 * other request can slip in. */
static void gate_next(cn_server_http *s, const char *owner)
{
    pthread_mutex_lock(&s->gmu);
    srv_gate_owner *g = gate_of(s, owner);
    end_turn(s, g);
    take_turn(s, owner, g);
    pthread_mutex_unlock(&s->gmu);
}

/* A verification of owner's begins or ends (its turns count as one
 * request's). */
static void gate_pending(cn_server_http *s, const char *owner, int delta)
{
    pthread_mutex_lock(&s->gmu);
    srv_gate_owner *g = gate_of(s, owner);
    if (g) g->pending = (uint32_t)((int)g->pending + delta);
    pthread_mutex_unlock(&s->gmu);
}

/* A turn for owner (none without one): the next one if it holds one. */
static void turn(cn_server_http *s, const char *owner, int *in)
{
    if (owner && *in) gate_next(s, owner);
    else if (owner) gate_enter(s, owner);
    *in = owner != NULL;
}

static void turn_end(cn_server_http *s, const char *owner, int *in)
{
    if (*in) gate_leave(s, owner);
    *in = 0;
}

/* ---- verification ---- */

static int link_into(const char *from_dir, const char *from, const char *to_dir, const char *to)
{
    char a[2800], b[2800];
    snprintf(a, sizeof a, "%s/%s", from_dir, from);
    snprintf(b, sizeof b, "%s/%s", to_dir, to);
    return link(a, b) == 0 ? CRYPTONN_OK : errno == ENOENT ? CRYPTONN_ERR_NOT_FOUND : CRYPTONN_ERR_IO;
}

/* The scratch dataset: params.bin, part-KEY/index.bin and the batches. */
static int stage_part(cn_server_http *s, const char *ds_dir, const char *key,
                      const char *index_file, char *stage, size_t cap, char *why, size_t why_len)
{
    char pdir[2600], sdir[2600], f[40];
    snprintf(stage, cap, "%s/staging/verify-XXXXXX", s->dir);
    if (!mkdtemp(stage)) return snprintf(why, why_len, "cannot create a scratch directory"), CRYPTONN_ERR_IO;
    snprintf(pdir, sizeof pdir, "%s/part-%s", ds_dir, key);
    snprintf(sdir, sizeof sdir, "%s/part-%s", stage, key);
    uint8_t *b;
    const uint8_t *pl;
    size_t plen;
    char ip[2700];
    snprintf(ip, sizeof ip, "%s/%s", pdir, index_file);
    int rc = cn_container_read(ip, "EDIX", V1, 20, &b, &pl, &plen);
    uint64_t batches = rc == CRYPTONN_OK && plen == 20 ? cn_load_u64(pl + 8) : 0;
    if (rc == CRYPTONN_OK) free(b);
    if (rc != CRYPTONN_OK || plen != 20 || batches > ((uint64_t)1 << 32))
        return snprintf(why, why_len, "the index: %s",
                        cryptonn_status_str(rc ? rc : CRYPTONN_ERR_FORMAT)), rc ? rc : CRYPTONN_ERR_FORMAT;
    if (mkdir(sdir, 0700) != 0 || link_into(ds_dir, "params.bin", stage, "params.bin") ||
        link_into(pdir, index_file, sdir, "index.bin"))
        return snprintf(why, why_len, "cannot prepare the verification"), CRYPTONN_ERR_IO;
    for (uint64_t i = 0; i < batches; i++) {
        snprintf(f, sizeof f, "batch-%06llu.bin", (unsigned long long)i);
        if ((rc = link_into(pdir, f, sdir, f)) != CRYPTONN_OK)
            return snprintf(why, why_len, "batch %llu: %s", (unsigned long long)i,
                            rc == CRYPTONN_ERR_NOT_FOUND ? "missing" : "cannot be linked"), rc;
    }
    return CRYPTONN_OK;
}

int srv_verify_part(cn_server_http *s, const char *ds_dir, const char *key,
                    const char *index_file, const char *owner, char *why, size_t why_len)
{
    char stage[2300] = "";
    int rc = stage_part(s, ds_dir, key, index_file, stage, sizeof stage, why, why_len);
    cn_encdata *d = NULL;
    uint32_t skipped = 0;
    int in = 0;
    if (owner) gate_pending(s, owner, 1);
    /* opening decodes the dataset's mpks: CPU work, so within the first turn */
    if (rc == CRYPTONN_OK) turn(s, owner, &in);
    if (rc == CRYPTONN_OK && (rc = cn_encdata_open(&d, stage, &skipped)) != CRYPTONN_OK)
        snprintf(why, why_len, "the index or the parameters: %s", cryptonn_status_str(rc));
    uint64_t n = d ? cn_encdata_batches(d) : 0;
    for (uint64_t i = 0; i < n && rc == CRYPTONN_OK; i++) {
        cn_enc_batch b = {0};
        if (i) turn(s, owner, &in);
        rc = cn_encdata_read_batch(d, i, &b);
        cn_enc_batch_free(&b);
        if (rc != CRYPTONN_OK)
            snprintf(why, why_len, "batch %llu: %s", (unsigned long long)i, cryptonn_status_str(rc));
    }
    turn_end(s, owner, &in);
    if (owner) gate_pending(s, owner, -1);
    cn_encdata_close(d);
    if (stage[0]) srv_remove_tree(stage);
    return rc;
}

/* ---- quarantine ---- */

void srv_quarantine_dir(const cn_server_http *s, int test, const char *key, char *out, size_t cap)
{
    snprintf(out, cap, "%s/%s-%s", s->quar, test ? "test" : "train", key);
}

int srv_quarantine(cn_server_http *s, int test, const char *key, const char *reason)
{
    char from[2500], to[2400], r[2500];
    if (test) snprintf(from, sizeof from, "%s/%s", s->tests, key);
    else snprintf(from, sizeof from, "%s/part-%s", s->data, key);
    srv_quarantine_dir(s, test, key, to, sizeof to);
    srv_remove_tree(to); /* an older quarantined copy under the same name */
    if (rename(from, to) != 0) return CRYPTONN_ERR_IO;
    snprintf(r, sizeof r, "%s/reason.txt", to);
    cn_part p = {reason, strlen(reason)};
    return cn_file_write_atomic(r, &p, 1, 0644);
}

/* Quick: every file's container and checksum. */
static int quick_check(const cn_server_http *s, const char *key, char *why, size_t why_len)
{
    char pdir[2300], f[2400];
    snprintf(pdir, sizeof pdir, "%s/part-%s", s->data, key);
    snprintf(f, sizeof f, "%s/index.bin", pdir);
    uint8_t *b;
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_read(f, "EDIX", V1, 20, &b, &pl, &plen);
    if (rc != CRYPTONN_OK || plen != 20) {
        if (rc == CRYPTONN_OK) free(b);
        return snprintf(why, why_len, "the index: %s", cryptonn_status_str(rc ? rc : CRYPTONN_ERR_FORMAT)),
               rc ? rc : CRYPTONN_ERR_FORMAT;
    }
    uint64_t batches = cn_load_u64(pl + 8);
    free(b);
    for (uint64_t i = 0; i < batches; i++) {
        snprintf(f, sizeof f, "%s/batch-%06llu.bin", pdir, (unsigned long long)i);
        rc = cn_container_read(f, "EBAT", V1, s->batch_max, &b, &pl, &plen);
        if (rc != CRYPTONN_OK)
            return snprintf(why, why_len, "batch %llu: %s", (unsigned long long)i,
                            cryptonn_status_str(rc)), rc;
        free(b);
    }
    return CRYPTONN_OK;
}

unsigned srv_check_training_parts(cn_server_http *s, int full, char *report, size_t report_len)
{
    report[0] = 0;
    DIR *d = opendir(s->data);
    if (!d) return 0;
    char (*keys)[SRV_KEY_MAX + 1] = NULL;
    size_t n = 0;
    struct dirent *e;
    char f[2600];
    while ((e = readdir(d))) {
        if (strncmp(e->d_name, "part-", 5) || !cn_part_name_ok(e->d_name + 5)) continue;
        snprintf(f, sizeof f, "%s/%s/index.bin", s->data, e->d_name);
        if (access(f, F_OK) != 0) continue; /* not complete: not training's */
        void *k = realloc(keys, (n + 1) * sizeof *keys);
        if (!k) break;
        keys = k;
        snprintf(keys[n++], SRV_KEY_MAX + 1, "%s", e->d_name + 5);
    }
    closedir(d);
    unsigned bad = 0;
    size_t w = 0;
    for (size_t i = 0; i < n; i++) {
        char why[400] = "";
        int rc = full ? srv_verify_part(s, s->data, keys[i], "index.bin", NULL, why, sizeof why)
                      : quick_check(s, keys[i], why, sizeof why);
        if (rc == CRYPTONN_OK) continue;
        pthread_mutex_lock(&s->mu);
        if (srv_quarantine(s, 0, keys[i], why) != CRYPTONN_OK)
            fprintf(stderr, "cryptonn server: cannot move part %s to quarantine/\n", keys[i]);
        pthread_mutex_unlock(&s->mu);
        if (w < report_len)
            w += (size_t)snprintf(report + w, report_len - w, "%s%s (%s)", bad ? ", " : "", keys[i],
                                  why);
        bad++;
    }
    free(keys);
    return bad;
}
