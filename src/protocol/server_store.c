/* server_store: the changes to the owners' parts (server_http.h). A part is declared by its
 * index first (declared.bin: samples, batches, flags, checked against
 * params.bin and the owner's quotas), then filled batch by batch (each
 * checked on arrival: container and checksum, its number below the declared
 * count, its sample count and flags the index's), then completed: every
 * batch is read with training's own reader against the index
 * (server_check.c) and only then does declared.bin become index.bin, the
 * file that makes a part visible to training. A part that fails keeps its
 * files and the reason (refused.txt) and stays open: its owner re-sends the
 * batch or deletes the part. Files are written atomically (temporary file,
 * fsync, rename). */
#include "protocol/server_svc.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define V1 1u

/* ---- part locks (under mu) ---- */

static srv_part_lock *lock_find(cn_server_http *s, int test, const char *key)
{
    for (size_t i = 0; i < s->nlocks; i++)
        if (s->locks[i].test == test && !strcmp(s->locks[i].key, key)) return &s->locks[i];
    return NULL;
}

/* 0 when taken, 1 when another request holds it in a conflicting way. */
static int lock_take(cn_server_http *s, int test, const char *key, int exclusive)
{
    srv_part_lock *l = lock_find(s, test, key);
    if (l && (l->exclusive || exclusive)) return 1;
    if (!l) {
        srv_part_lock *q = realloc(s->locks, (s->nlocks + 1) * sizeof *q);
        if (!q) return 1;
        s->locks = q;
        l = &s->locks[s->nlocks++];
        memset(l, 0, sizeof *l);
        l->test = test;
        snprintf(l->key, sizeof l->key, "%s", key);
    }
    if (exclusive) l->exclusive = 1;
    else l->shared++;
    return 0;
}

static void lock_drop(cn_server_http *s, int test, const char *key, int exclusive)
{
    srv_part_lock *l = lock_find(s, test, key);
    if (!l) return;
    if (exclusive) l->exclusive = 0;
    else l->shared--;
    if (!l->exclusive && !l->shared) *l = s->locks[--s->nlocks];
}

/* ---- the routes ---- */

/* Samples in batch i of a part with this index. */
static uint64_t batch_samples(const cn_server_http *s, const srv_index *ix, uint64_t i)
{
    return i + 1 < ix->batches ? s->p.batch : ix->samples - i * s->p.batch;
}

static unsigned status_of(int rc, char *msg, size_t msg_len, const char *what)
{
    snprintf(msg, msg_len, "%s: %s", what, cryptonn_status_str(rc));
    return rc == CRYPTONN_ERR_TOO_LARGE ? 413 : rc == CRYPTONN_ERR_NOMEM ? 503 : 400;
}

/* Under mu: 0 when the part is open (declared, not complete, not in
 * quarantine), else the status to answer, with msg. */
static unsigned must_be_open(cn_server_http *s, int test, const char *key, const char *name,
                             const char *pdir, char *msg, size_t msg_len)
{
    char q[2300];
    srv_quarantine_dir(s, test, key, q, sizeof q);
    if (access(q, F_OK) == 0) {
        snprintf(msg, msg_len, "part '%s' is in quarantine (GET it for the reason); DELETE it and "
                 "upload it again", name);
        return 409;
    }
    if (srv_exists(pdir, "index.bin")) {
        snprintf(msg, msg_len, "part '%s' is complete and cannot change", name);
        return 409;
    }
    if (!srv_exists(pdir, "declared.bin")) {
        snprintf(msg, msg_len, "part '%s' is not declared: PUT its index first", name);
        return 404;
    }
    return 0;
}

/* Under mu: must_be_open, and the declared index into ix. */
static unsigned open_part(cn_server_http *s, int test, const char *key, const char *name,
                          const char *pdir, srv_index *ix, char *msg, size_t msg_len)
{
    unsigned code = must_be_open(s, test, key, name, pdir, msg, msg_len);
    if (code) return code;
    if (srv_index_read(pdir, "declared.bin", ix) != CRYPTONN_OK) {
        snprintf(msg, msg_len, "part '%s': its declared index is unreadable", name);
        return 500;
    }
    return 0;
}

/* Under mu: owner's use, if it may start one more request (else *code
 * and msg say why). */
static srv_owner_use *use_admit(cn_server_http *s, const char *owner, unsigned *code, char *msg,
                                size_t msg_len)
{
    srv_owner_use *u = srv_use_of(s, owner);
    if (!u) {
        snprintf(msg, msg_len, "out of memory");
        *code = 503;
    } else if (u->inflight >= s->q.requests) {
        snprintf(msg, msg_len, "owner '%s' has %u requests in progress, its limit "
                 "(--quota-requests); retry when one ends", owner, u->inflight);
        *code = 429;
        u = NULL;
    }
    return u;
}

static int same_file(const char *path, const uint8_t *body, size_t len)
{
    uint8_t *b;
    size_t l;
    if (cn_file_read_all(path, len, &b, &l) != CRYPTONN_OK) return 0;
    int same = l == len && memcmp(b, body, len) == 0;
    free(b);
    return same;
}

static int mkdir_ok(const char *path)
{
    return mkdir(path, 0700) == 0 || errno == EEXIST ? CRYPTONN_OK : CRYPTONN_ERR_IO;
}

/* The part's directory (and a test part's dataset with its params.bin). */
static int create_part(cn_server_http *s, int test, const char *key, const char *pdir)
{
    if (test) {
        char ds[2300], pp[2400], src[2400];
        CN_TRY(srv_dataset_dir(s, test, key, ds, sizeof ds));
        CN_TRY(mkdir_ok(ds));
        snprintf(pp, sizeof pp, "%s/params.bin", ds);
        snprintf(src, sizeof src, "%s/params.bin", s->data);
        if (access(pp, F_OK) != 0 && link(src, pp) != 0) return CRYPTONN_ERR_IO;
    }
    return mkdir_ok(pdir);
}

unsigned srv_store_declare(cn_server_http *s, int test, const char *owner, const char *name,
                           const uint8_t *body, size_t len, char *msg, size_t msg_len)
{
    const uint8_t *pl;
    size_t plen;
    srv_index ix;
    int rc = cn_container_parse(body, len, "EDIX", V1, 20, &pl, &plen);
    if (rc == CRYPTONN_OK) rc = srv_index_parse(pl, plen, &ix);
    if (rc != CRYPTONN_OK) return status_of(rc, msg, msg_len, "not an index file");
    /* training parts have labels, and batch ciphertexts unless strict mode
     * has no gradient keys to use them */
    uint32_t want = test ? 0 : CN_ENC_LABELS | (s->p.mode == CN_MODE_STRICT ? 0 : CN_ENC_BATCHCT);
    if (ix.samples == 0 || ix.samples > ((uint64_t)1 << 32) ||
        ix.batches != (ix.samples + s->p.batch - 1) / s->p.batch || ix.flags != want) {
        snprintf(msg, msg_len, "index of %llu samples in %llu batches, flags %u, does not fit "
                 "batches of %u (flags %u)", (unsigned long long)ix.samples,
                 (unsigned long long)ix.batches, ix.flags, s->p.batch, want);
        return 400;
    }
    char key[SRV_KEY_MAX + 1], pdir[2500], q[2300], path[2600];
    srv_key(owner, name, key);
    srv_part_dir(s, test, key, pdir, sizeof pdir);
    srv_quarantine_dir(s, test, key, q, sizeof q);
    unsigned code = 201;
    pthread_mutex_lock(&s->mu);
    srv_owner_use *u = srv_use_of(s, owner);
    const char *have = srv_exists(pdir, "index.bin") ? "index.bin" : srv_exists(pdir, "declared.bin") ? "declared.bin" : NULL;
    if (access(q, F_OK) == 0) {
        code = 409;
        snprintf(msg, msg_len, "part '%s' is in quarantine: DELETE it first", name);
    } else if (have) {
        snprintf(path, sizeof path, "%s/%s", pdir, have);
        code = same_file(path, body, len) ? 200 : 409;
        snprintf(msg, msg_len, code == 200 ? "part '%s' is %s with this index"
                 : "part '%s' is %s with another index (DELETE an open part to start again)",
                 name, have[0] == 'i' ? "complete" : "declared");
    } else if (!u) {
        code = 503;
        snprintf(msg, msg_len, "out of memory");
    } else if (u->parts + 1 > s->q.parts) {
        code = 429;
        snprintf(msg, msg_len, "owner '%s' has %u parts, its quota (--quota-parts %u): delete one "
                 "first", owner, u->parts, s->q.parts);
    } else if (u->batches + ix.batches > s->q.batches) {
        code = 413;
        snprintf(msg, msg_len, "part '%s' declares %llu batches; owner '%s' has %llu of its quota "
                 "of %llu (--quota-batches)", name, (unsigned long long)ix.batches, owner,
                 (unsigned long long)u->batches, (unsigned long long)s->q.batches);
    } else {
        cn_part part = {body, len};
        snprintf(path, sizeof path, "%s/declared.bin", pdir);
        if (create_part(s, test, key, pdir) != CRYPTONN_OK ||
            cn_file_write_atomic(path, &part, 1, 0644) != CRYPTONN_OK) {
            code = 500;
            snprintf(msg, msg_len, "cannot store the index");
        } else {
            u->parts++;
            u->batches += ix.batches;
            snprintf(msg, msg_len, "part '%s' declared: %llu samples in %llu batches; PUT batches "
                     "0..%llu, then POST its /complete", name, (unsigned long long)ix.samples,
                     (unsigned long long)ix.batches, (unsigned long long)(ix.batches - 1));
        }
    }
    pthread_mutex_unlock(&s->mu);
    return code;
}

/* Under mu: what a batch upload may do, 0 to go on. */
static unsigned batch_admit(cn_server_http *s, int test, const char *owner, const char *name,
                            const char *key, const char *pdir, uint64_t index, uint32_t n,
                            uint32_t flags, size_t len, char *msg, size_t msg_len)
{
    srv_index ix;
    unsigned code = open_part(s, test, key, name, pdir, &ix, msg, msg_len);
    if (code) return code;
    if (index >= ix.batches) {
        snprintf(msg, msg_len, "batch %llu is beyond the %llu batches part '%s' declares",
                 (unsigned long long)index, (unsigned long long)ix.batches, name);
        return 400;
    }
    uint64_t want = batch_samples(s, &ix, index);
    if (n != want || flags != ix.flags) {
        snprintf(msg, msg_len, "batch %llu holds %u samples with flags %u; the index of part '%s' "
                 "declares %llu with flags %u", (unsigned long long)index, n, flags, name,
                 (unsigned long long)want, ix.flags);
        return 400;
    }
    srv_owner_use *u = use_admit(s, owner, &code, msg, msg_len);
    if (!u) return code;
    if (u->bytes + u->reserved + len > s->q.bytes) {
        snprintf(msg, msg_len, "owner '%s' stores %llu bytes; %zu more pass its quota of %llu "
                 "(--quota-bytes)", owner, (unsigned long long)(u->bytes + u->reserved), len,
                 (unsigned long long)s->q.bytes);
        return 413;
    }
    if (lock_take(s, test, key, 0)) {
        snprintf(msg, msg_len, "part '%s' is being completed or deleted", name);
        return 409;
    }
    u->inflight++;
    u->reserved += len;
    return 0;
}

unsigned srv_store_put_batch(cn_server_http *s, int test, const char *owner, const char *name,
                             uint64_t index, const uint8_t *body, size_t len, char *msg,
                             size_t msg_len)
{
    const uint8_t *pl;
    size_t plen;
    uint32_t n = 0, flags = 0;
    int rc = cn_container_parse(body, len, "EBAT", V1, s->batch_max, &pl, &plen);
    cn_reader r = {pl, plen};
    if (rc == CRYPTONN_OK && (rc = cn_read_u32(&r, &n)) == CRYPTONN_OK) rc = cn_read_u32(&r, &flags);
    if (rc != CRYPTONN_OK) return status_of(rc, msg, msg_len, "not a complete batch file");
    char key[SRV_KEY_MAX + 1], pdir[2500], path[2600];
    srv_key(owner, name, key);
    srv_part_dir(s, test, key, pdir, sizeof pdir);
    snprintf(path, sizeof path, "%s/batch-%06llu.bin", pdir, (unsigned long long)index);
    pthread_mutex_lock(&s->mu);
    unsigned code = batch_admit(s, test, owner, name, key, pdir, index, n, flags, len, msg, msg_len);
    if (code == 0 && access(path, F_OK) == 0 && same_file(path, body, len)) {
        code = 200; /* a retried upload: already stored */
        snprintf(msg, msg_len, "already stored");
        lock_drop(s, test, key, 0);
        srv_owner_use *u = srv_use_of(s, owner);
        u->inflight--;
        u->reserved -= len;
    }
    pthread_mutex_unlock(&s->mu);
    if (code) return code;
    /* the part lock keeps the part open while the file is written */
    struct stat st;
    uint64_t old = stat(path, &st) == 0 ? (uint64_t)st.st_size : 0;
    cn_part part = {body, len};
    rc = cn_file_write_atomic(path, &part, 1, 0644);
    pthread_mutex_lock(&s->mu);
    lock_drop(s, test, key, 0);
    srv_owner_use *u = srv_use_of(s, owner);
    u->inflight--;
    u->reserved -= len;
    if (rc == CRYPTONN_OK) u->bytes += len - old;
    pthread_mutex_unlock(&s->mu);
    if (rc != CRYPTONN_OK) return snprintf(msg, msg_len, "cannot store the batch: %s",
                                           cryptonn_status_str(rc)), 500;
    snprintf(msg, msg_len, "stored");
    return 201;
}

static void fsync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

/* Under mu: the part is ready for its verification, 0 to go on. */
static unsigned complete_admit(cn_server_http *s, int test, const char *owner, const char *name,
                               const char *key, const char *pdir, char *msg, size_t msg_len)
{
    if (srv_exists(pdir, "index.bin")) {
        snprintf(msg, msg_len, "part '%s' is complete", name);
        return 200;
    }
    srv_index ix;
    unsigned code = open_part(s, test, key, name, pdir, &ix, msg, msg_len);
    if (code) return code;
    char f[40];
    for (uint64_t i = 0; i < ix.batches; i++) {
        snprintf(f, sizeof f, "batch-%06llu.bin", (unsigned long long)i);
        if (!srv_exists(pdir, f)) {
            snprintf(msg, msg_len, "batch %llu of part '%s' is missing: upload every batch first",
                     (unsigned long long)i, name);
            return 409;
        }
    }
    srv_owner_use *u = use_admit(s, owner, &code, msg, msg_len);
    if (!u) return code;
    if (lock_take(s, test, key, 1)) {
        snprintf(msg, msg_len, "uploads to part '%s' are in progress", name);
        return 409;
    }
    u->inflight++;
    return 0;
}

unsigned srv_store_complete(cn_server_http *s, int test, const char *owner, const char *name,
                            char *msg, size_t msg_len)
{
    char key[SRV_KEY_MAX + 1], pdir[2500], ds[2300], from[2600], to[2600], why[400] = "";
    srv_key(owner, name, key);
    srv_part_dir(s, test, key, pdir, sizeof pdir);
    if (srv_dataset_dir(s, test, key, ds, sizeof ds) != CRYPTONN_OK)
        return snprintf(msg, msg_len, "bad part name"), 400;
    pthread_mutex_lock(&s->mu);
    unsigned code = complete_admit(s, test, owner, name, key, pdir, msg, msg_len);
    pthread_mutex_unlock(&s->mu);
    if (code) return code;
    int rc = srv_verify_part(s, ds, key, "declared.bin", owner, why, sizeof why);
    pthread_mutex_lock(&s->mu);
    snprintf(from, sizeof from, "%s/declared.bin", pdir);
    snprintf(to, sizeof to, "%s/refused.txt", pdir);
    if (rc == CRYPTONN_OK) {
        unlink(to);
        snprintf(to, sizeof to, "%s/index.bin", pdir);
        if (rename(from, to) != 0) {
            code = 500;
            snprintf(msg, msg_len, "cannot complete part '%s': %s", name, strerror(errno));
        } else {
            fsync_dir(pdir);
            code = 201;
            snprintf(msg, msg_len, "part '%s' complete", name);
        }
    } else {
        cn_part p = {why, strlen(why)};
        if (cn_file_write_atomic(to, &p, 1, 0644) != CRYPTONN_OK)
            fprintf(stderr, "cryptonn server: cannot record why part %s was refused\n", key);
        code = 422;
        snprintf(msg, msg_len, "part '%s' refused, nothing is complete: %s; upload that batch "
                 "again or DELETE the part", name, why);
    }
    lock_drop(s, test, key, 1);
    srv_use_of(s, owner)->inflight--;
    pthread_mutex_unlock(&s->mu);
    return code;
}

void srv_remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4200];
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (e->d_type == DT_DIR) srv_remove_tree(p);
        else unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

unsigned srv_store_delete(cn_server_http *s, int test, const char *owner, const char *name,
                          char *msg, size_t msg_len)
{
    char key[SRV_KEY_MAX + 1], pdir[2500], q[2300], ds[2300];
    srv_key(owner, name, key);
    srv_part_dir(s, test, key, pdir, sizeof pdir);
    srv_quarantine_dir(s, test, key, q, sizeof q);
    unsigned code = 200;
    pthread_mutex_lock(&s->mu);
    if (lock_take(s, test, key, 1)) {
        pthread_mutex_unlock(&s->mu);
        snprintf(msg, msg_len, "part '%s' has requests in progress", name);
        return 409;
    }
    const char *gone = access(q, F_OK) == 0 ? q : pdir; /* the part's files, wherever they are */
    char qpart[2500];
    if (test && gone == q) {
        snprintf(qpart, sizeof qpart, "%s/part-%s", q, key);
        gone = qpart;
    }
    uint64_t batches = srv_part_batches(gone), bytes = srv_dir_bytes(gone);
    if (access(q, F_OK) == 0) srv_remove_tree(q);
    else if (srv_exists(pdir, "index.bin")) {
        code = 409;
        snprintf(msg, msg_len, "part '%s' is complete: it belongs to the training set and cannot "
                 "be deleted", name);
    } else if (access(pdir, F_OK) != 0) {
        code = 404;
        snprintf(msg, msg_len, "no part '%s'", name);
    } else if (test && srv_dataset_dir(s, test, key, ds, sizeof ds) == CRYPTONN_OK)
        srv_remove_tree(ds);
    else srv_remove_tree(pdir);
    srv_owner_use *u = code == 200 ? srv_use_of(s, owner) : NULL;
    if (u) {
        u->parts--;
        u->batches -= batches;
        u->bytes -= bytes;
    }
    if (code == 200) snprintf(msg, msg_len, "part '%s' deleted", name);
    lock_drop(s, test, key, 1);
    pthread_mutex_unlock(&s->mu);
    return code;
}

static void sweep_dir(const char *dir, int depth)
{
    DIR *d = opendir(dir);
    if (!d) return;
    struct dirent *e;
    char p[4096];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        if (strstr(e->d_name, ".tmp.")) unlink(p);
        else if (depth > 0 && e->d_type == DT_DIR) sweep_dir(p, depth - 1);
    }
    closedir(d);
}

void srv_store_sweep(const cn_server_http *s)
{
    char st[2200];
    snprintf(st, sizeof st, "%s/staging", s->dir);
    srv_remove_tree(st);
    if (mkdir(st, 0700) != 0 && errno != EEXIST)
        fprintf(stderr, "cryptonn server: cannot create staging/\n");
    sweep_dir(s->data, 1);
    sweep_dir(s->tests, 2);
    sweep_dir(s->train, 0);
}
