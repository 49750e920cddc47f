/* server_store: encrypted uploads (server_http.h). A body is checked in full
 * before it is written: the container (magic, kind, version, length,
 * BLAKE2b checksum), then the batch layout against params.bin, importing
 * every ciphertext (so every group element is a valid encoding); only then
 * is it written, atomically (temporary file, fsync, rename). A part becomes
 * visible to training only when its index arrives, and the index is accepted
 * only when every batch it lists is stored, so training never sees a partial
 * part. */
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

int store_name_ok(const char *s) { return cn_part_name_ok(s); }

int store_dataset_dir(const cn_server_http *s, int test, const char *name, char *out, size_t cap)
{
    int n = test ? snprintf(out, cap, "%s/%s", s->tests, name) : snprintf(out, cap, "%s", s->data);
    return n > 0 && (size_t)n < cap ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
}

static unsigned status_of(int rc, char *msg, size_t msg_len, const char *what)
{
    snprintf(msg, msg_len, "%s: %s", what, cryptonn_status_str(rc));
    return rc == CRYPTONN_ERR_TOO_LARGE ? 413 : rc == CRYPTONN_ERR_NOMEM ? 503 : 400;
}

/* Full validation with the training side's own reader, so an upload is
 * accepted exactly when training could read it (every ciphertext decoded,
 * each under the dataset's mpks): the batch is staged as the only batch of
 * a one-batch part of a scratch dataset that shares params.bin, and read
 * back. On success *staged is the staged file, ready to be renamed into
 * place; the caller removes the scratch directory (stage). */
static int check_batch(cn_server_http *s, int test, const uint8_t *body, size_t len,
                       const uint8_t *pl, size_t plen, char *stage, size_t stage_cap,
                       char *staged, size_t staged_cap, char *msg, size_t msg_len)
{
    cn_reader r = {pl, plen};
    uint32_t n, flags;
    CN_TRY(cn_read_u32(&r, &n));
    CN_TRY(cn_read_u32(&r, &flags));
    uint32_t want = test ? 0 : (CN_ENC_LABELS | CN_ENC_BATCHCT);
    if (n < 1 || n > s->p.batch || flags != want) {
        snprintf(msg, msg_len, "batch of %u samples with flags %u (want 1..%u samples, flags %u: %s)",
                 n, flags, s->p.batch, want, test ? "a test part has no labels" :
                 "a training part has labels and batch ciphertexts");
        return CRYPTONN_ERR_FORMAT;
    }
    char src[2300], dst[2400];
    snprintf(stage, stage_cap, "%s/staging/up-XXXXXX", s->dir);
    if (!mkdtemp(stage)) return CRYPTONN_ERR_IO;
    snprintf(src, sizeof src, "%s/params.bin", s->data);
    snprintf(dst, sizeof dst, "%s/params.bin", stage);
    if (link(src, dst) != 0) return CRYPTONN_ERR_IO;
    snprintf(dst, sizeof dst, "%s/part-chk", stage);
    if (mkdir(dst, 0700) != 0) return CRYPTONN_ERR_IO;
    CN_TRY(cn_encdata_write_index(stage, "chk", n, 1, flags));
    snprintf(staged, staged_cap, "%s/part-chk/batch-000000.bin", stage);
    cn_part part = {body, len};
    CN_TRY(cn_file_write_atomic(staged, &part, 1, 0644));
    cn_encdata *d = NULL;
    uint32_t skipped = 0;
    CN_TRY(cn_encdata_open(&d, stage, &skipped));
    cn_enc_batch b = {0};
    int rc = cn_encdata_read_batch(d, 0, &b);
    cn_enc_batch_free(&b);
    cn_encdata_close(d);
    if (rc != CRYPTONN_OK)
        snprintf(msg, msg_len, "the batch does not decode under this dataset's keys: %s",
                 cryptonn_status_str(rc));
    return rc;
}

static void remove_stage(const char *stage)
{
    char p[2600];
    const char *files[] = {"part-chk/batch-000000.bin", "part-chk/index.bin", "params.bin"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", stage, files[i]);
        unlink(p);
    }
    snprintf(p, sizeof p, "%s/part-chk", stage);
    rmdir(p);
    rmdir(stage);
}

static int mkdir_ok(const char *path)
{
    return mkdir(path, 0755) == 0 || errno == EEXIST ? CRYPTONN_OK : CRYPTONN_ERR_IO;
}

/* DIR/part-NAME, creating it (and a test set's own params.bin). */
static int part_dir(cn_server_http *s, int test, const char *name, char *out, size_t cap)
{
    char ds[2300];
    CN_TRY(store_dataset_dir(s, test, name, ds, sizeof ds));
    if (test) {
        CN_TRY(mkdir_ok(s->tests));
        CN_TRY(mkdir_ok(ds));
        char pp[2400], src[2400];
        snprintf(pp, sizeof pp, "%s/params.bin", ds);
        if (access(pp, F_OK) != 0) {
            snprintf(src, sizeof src, "%s/params.bin", s->data);
            uint8_t *b;
            size_t len;
            CN_TRY(cn_file_read_all(src, (size_t)1 << 31, &b, &len));
            cn_part part = {b, len};
            int rc = cn_file_write_atomic(pp, &part, 1, 0644);
            free(b);
            CN_TRY(rc);
        }
    }
    int k = snprintf(out, cap, "%s/part-%s", ds, name);
    if (k <= 0 || (size_t)k >= cap) return CRYPTONN_ERR_ARG;
    return mkdir_ok(out);
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

unsigned store_put_batch(cn_server_http *s, int test, const char *name, uint64_t index,
                         const uint8_t *body, size_t len, char *msg, size_t msg_len)
{
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_parse(body, len, "EBAT", V1, s->batch_max, &pl, &plen);
    if (rc != CRYPTONN_OK) return status_of(rc, msg, msg_len, "not a complete batch file");
    char why[256] = "", stage[2300] = "", staged[2400] = "";
    rc = check_batch(s, test, body, len, pl, plen, stage, sizeof stage, staged, sizeof staged, why,
                     sizeof why);
    if (rc != CRYPTONN_OK) {
        if (stage[0]) remove_stage(stage);
        return status_of(rc, msg, msg_len, why[0] ? why : "the batch does not parse");
    }
    char dir[2500], path[2600], idx[2600];
    pthread_mutex_lock(&s->mu);
    unsigned code = 201;
    if ((rc = part_dir(s, test, name, dir, sizeof dir)) != CRYPTONN_OK) {
        code = 500;
        snprintf(msg, msg_len, "cannot create the part's directory");
        goto out;
    }
    snprintf(path, sizeof path, "%s/batch-%06llu.bin", dir, (unsigned long long)index);
    snprintf(idx, sizeof idx, "%s/index.bin", dir);
    if (access(path, F_OK) == 0 && same_file(path, body, len)) {
        code = 200; /* a retried upload: already stored */
        snprintf(msg, msg_len, "already stored");
        goto out;
    }
    if (access(idx, F_OK) == 0) {
        code = 409;
        snprintf(msg, msg_len, "part '%s' is complete (it has an index) and cannot change", name);
        goto out;
    }
    /* the staged file is complete and fsynced: renaming it is atomic */
    if (rename(staged, path) != 0) {
        code = 500;
        snprintf(msg, msg_len, "cannot store the batch: %s", strerror(errno));
    } else {
        snprintf(msg, msg_len, "stored");
        int fd = open(dir, O_RDONLY | O_DIRECTORY);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
    }
out:
    pthread_mutex_unlock(&s->mu);
    remove_stage(stage);
    return code;
}

unsigned store_put_index(cn_server_http *s, int test, const char *name, const uint8_t *body,
                         size_t len, char *msg, size_t msg_len)
{
    const uint8_t *pl;
    size_t plen;
    int rc = cn_container_parse(body, len, "EDIX", V1, 20, &pl, &plen);
    if (rc != CRYPTONN_OK) return status_of(rc, msg, msg_len, "not a complete index file");
    if (plen != 20) return status_of(CRYPTONN_ERR_FORMAT, msg, msg_len, "index");
    uint64_t samples = cn_load_u64(pl), batches = cn_load_u64(pl + 8);
    uint32_t flags = cn_load_u32(pl + 16), want = test ? 0 : (CN_ENC_LABELS | CN_ENC_BATCHCT);
    if (samples == 0 || samples > ((uint64_t)1 << 32) ||
        batches != (samples + s->p.batch - 1) / s->p.batch || flags != want) {
        snprintf(msg, msg_len, "index of %llu samples in %llu batches, flags %u, does not fit "
                 "batches of %u (flags %u)", (unsigned long long)samples,
                 (unsigned long long)batches, flags, s->p.batch, want);
        return 400;
    }
    char dir[2500], path[2600];
    unsigned code = 201;
    pthread_mutex_lock(&s->mu);
    if ((rc = part_dir(s, test, name, dir, sizeof dir)) != CRYPTONN_OK) {
        code = 500;
        snprintf(msg, msg_len, "cannot create the part's directory");
        goto out;
    }
    for (uint64_t i = 0; i < batches; i++) {
        snprintf(path, sizeof path, "%s/batch-%06llu.bin", dir, (unsigned long long)i);
        if (access(path, F_OK) != 0) {
            code = 409;
            snprintf(msg, msg_len, "batch %llu of part '%s' is missing: upload every batch first",
                     (unsigned long long)i, name);
            goto out;
        }
    }
    snprintf(path, sizeof path, "%s/index.bin", dir);
    if (access(path, F_OK) == 0) {
        code = same_file(path, body, len) ? 200 : 409;
        snprintf(msg, msg_len, code == 200 ? "already stored" : "part '%s' already has another index",
                 name);
        goto out;
    }
    cn_part part = {body, len};
    if ((rc = cn_file_write_atomic(path, &part, 1, 0644)) != CRYPTONN_OK) {
        code = 500;
        snprintf(msg, msg_len, "cannot store the index: %s", cryptonn_status_str(rc));
    } else snprintf(msg, msg_len, "part '%s' complete: %llu samples", name, (unsigned long long)samples);
out:
    pthread_mutex_unlock(&s->mu);
    return code;
}

unsigned store_list(cn_server_http *s, int test, const char *name, char **json, char *msg,
                    size_t msg_len)
{
    char ds[2300], dir[2500], path[2600];
    *json = NULL;
    if (store_dataset_dir(s, test, name, ds, sizeof ds) != CRYPTONN_OK) return 400;
    snprintf(dir, sizeof dir, "%s/part-%s", ds, name);
    snprintf(path, sizeof path, "%s/index.bin", dir);
    int complete = access(path, F_OK) == 0;
    size_t cap = 256, w = 0;
    char *j = malloc(cap);
    if (!j) return 503;
    w += (size_t)snprintf(j, cap, "{\"name\":\"%s\",\"complete\":%s,\"batches\":[", name,
                          complete ? "true" : "false");
    pthread_mutex_lock(&s->mu);
    DIR *d = opendir(dir);
    int first = 1;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        unsigned long long i;
        char tail[8];
        if (sscanf(e->d_name, "batch-%llu.%7s", &i, tail) != 2 || strcmp(tail, "bin")) continue;
        if (w + 32 > cap) {
            char *k = realloc(j, cap *= 2);
            if (!k) break;
            j = k;
        }
        w += (size_t)snprintf(j + w, cap - w, "%s%llu", first ? "" : ",", i);
        first = 0;
    }
    if (d) closedir(d);
    pthread_mutex_unlock(&s->mu);
    if (w + 8 > cap) {
        char *k = realloc(j, cap + 8);
        if (!k) {
            free(j);
            return 503;
        }
        j = k;
    }
    snprintf(j + w, 8, "]}\n");
    (void)msg, (void)msg_len;
    *json = j;
    return 200;
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

void store_sweep(const cn_server_http *s)
{
    char st[2200];
    snprintf(st, sizeof st, "%s/staging", s->dir);
    DIR *d = opendir(st);
    struct dirent *e;
    char p[2500];
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "up-", 3)) {
            snprintf(p, sizeof p, "%s/%s", st, e->d_name);
            remove_stage(p);
        }
    if (d) closedir(d);
    sweep_dir(s->data, 1);
    sweep_dir(s->tests, 2);
    sweep_dir(s->train, 0);
}
