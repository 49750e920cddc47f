/* server_parts: what the server knows of the owners' parts (server_svc.h):
 * where a part lives, its index, each owner's use (parts, declared
 * batches, stored bytes: counted from the disk once at start, then kept
 * up to date by every change, so a request costs no directory scan), and
 * the JSON of a part's state and of the listings. */
#include "protocol/server_svc.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

#define V1 1u

int srv_name_ok(const char *s) { return cn_part_name_ok(s) && strlen(s) <= SRV_NAME_MAX; }

void srv_key(const char *owner, const char *name, char *key)
{
    snprintf(key, SRV_KEY_MAX + 1, "%s-%s", owner, name);
}

int srv_dataset_dir(const cn_server_http *s, int test, const char *key, char *out, size_t cap)
{
    int n = test ? snprintf(out, cap, "%s/%s", s->tests, key) : snprintf(out, cap, "%s", s->data);
    return n > 0 && (size_t)n < cap ? CRYPTONN_OK : CRYPTONN_ERR_ARG;
}

void srv_part_dir(const cn_server_http *s, int test, const char *key, char *out, size_t cap)
{
    char ds[2300];
    if (srv_dataset_dir(s, test, key, ds, sizeof ds) != CRYPTONN_OK) ds[0] = 0;
    snprintf(out, cap, "%s/part-%s", ds, key);
}

int srv_exists(const char *dir, const char *file)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    return access(p, F_OK) == 0;
}

int srv_index_parse(const uint8_t *pl, size_t plen, srv_index *ix)
{
    if (plen != 20) return CRYPTONN_ERR_FORMAT;
    ix->samples = cn_load_u64(pl);
    ix->batches = cn_load_u64(pl + 8);
    ix->flags = cn_load_u32(pl + 16);
    return CRYPTONN_OK;
}

int srv_index_read(const char *dir, const char *file, srv_index *ix)
{
    char p[4200];
    snprintf(p, sizeof p, "%s/%s", dir, file);
    uint8_t *b;
    const uint8_t *pl;
    size_t plen;
    CN_TRY(cn_container_read(p, "EDIX", V1, 20, &b, &pl, &plen));
    int rc = srv_index_parse(pl, plen, ix);
    free(b);
    return rc;
}

uint64_t srv_dir_bytes(const char *dir)
{
    uint64_t n = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    char p[4200];
    struct stat st;
    while (d && (e = readdir(d)))
        if (!strncmp(e->d_name, "batch-", 6)) {
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (stat(p, &st) == 0) n += (uint64_t)st.st_size;
        }
    if (d) closedir(d);
    return n;
}

uint64_t srv_part_batches(const char *pdir)
{
    srv_index ix;
    if (srv_index_read(pdir, "index.bin", &ix) == CRYPTONN_OK ||
        srv_index_read(pdir, "declared.bin", &ix) == CRYPTONN_OK)
        return ix.batches;
    return 0;
}

/* ---- per-owner use ---- */

void *srv_owner_slot(void **table, size_t *n, size_t size, const char *owner)
{
    char *t = *table;
    for (size_t i = 0; i < *n; i++)
        if (!strcmp(t + i * size, owner)) return t + i * size;
    t = realloc(t, (*n + 1) * size);
    if (!t) return NULL;
    *table = t;
    char *e = t + (*n)++ * size;
    memset(e, 0, size);
    snprintf(e, CN_OWNER_NAME_MAX + 1, "%s", owner);
    return e;
}

srv_owner_use *srv_use_of(cn_server_http *s, const char *owner)
{
    return srv_owner_slot((void **)&s->use, &s->nuse, sizeof *s->use, owner);
}

/* Where parts are: training parts, test parts, and both in quarantine. */
typedef struct {
    const char *dir, *prefix;
    int test, quarantined;
} place;

static void places(const cn_server_http *s, place out[4])
{
    out[0] = (place){s->data, "part-", 0, 0};
    out[1] = (place){s->tests, "", 1, 0};
    out[2] = (place){s->quar, "train-", 0, 1};
    out[3] = (place){s->quar, "test-", 1, 1};
}

/* Calls fn for every part directory: its key and its path. */
static void each_part(const cn_server_http *s, void (*fn)(void *, const place *, const char *,
                                                         const char *), void *ctx)
{
    place pl[4];
    places(s, pl);
    char p[4200];
    for (int w = 0; w < 4; w++) {
        DIR *d = opendir(pl[w].dir);
        struct dirent *e;
        size_t n = strlen(pl[w].prefix);
        while (d && (e = readdir(d))) {
            const char *key = e->d_name + n;
            if (strncmp(e->d_name, pl[w].prefix, n) || !cn_part_name_ok(key)) continue;
            if (pl[w].test) snprintf(p, sizeof p, "%s/%s/part-%s", pl[w].dir, e->d_name, key);
            else snprintf(p, sizeof p, "%s/%s", pl[w].dir, e->d_name);
            fn(ctx, &pl[w], key, p);
        }
        if (d) closedir(d);
    }
}

static void count_part(void *ctx, const place *pl, const char *key, const char *pdir)
{
    (void)pl;
    cn_server_http *s = ctx;
    const char *dash = strchr(key, '-');
    char owner[CN_OWNER_NAME_MAX + 1];
    if (!dash || (size_t)(dash - key) > CN_OWNER_NAME_MAX) return; /* not an owner's */
    snprintf(owner, sizeof owner, "%.*s", (int)(dash - key), key);
    srv_owner_use *u = srv_use_of(s, owner);
    if (!u) return;
    u->parts++;
    u->batches += srv_part_batches(pdir);
    u->bytes += srv_dir_bytes(pdir);
}

void srv_usage_scan(cn_server_http *s)
{
    each_part(s, count_part, s);
}

/* ---- state and listing, as JSON ---- */

typedef struct {
    char *b;
    size_t len, cap;
    int oom;
} jbuf;

static void jput(jbuf *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void jput(jbuf *j, const char *fmt, ...)
{
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = j->oom ? 0 : vsnprintf(j->b + j->len, j->cap - j->len, fmt, ap);
        va_end(ap);
        if (j->oom || (size_t)n < j->cap - j->len) {
            j->len += (size_t)n;
            return;
        }
        char *b = realloc(j->b, j->cap * 2 + (size_t)n);
        if (!b) {
            j->oom = 1;
            return;
        }
        j->b = b;
        j->cap = j->cap * 2 + (size_t)n;
    }
}

/* The finished JSON into *json: 200, or 503 when it ran out of memory. */
static unsigned jdone(jbuf *j, char **json)
{
    if (j->oom) {
        free(j->b);
        return 503;
    }
    *json = j->b;
    return 200;
}

static void jput_text(jbuf *j, const char *key, const char *path)
{
    uint8_t *b;
    size_t len;
    if (cn_file_read_all(path, 4096, &b, &len) != CRYPTONN_OK) return;
    char raw[4100], esc[9000];
    memcpy(raw, b, len);
    raw[len] = 0;
    free(b);
    cn_json_escape(esc, sizeof esc, raw);
    jput(j, ",\"%s\":\"%s\"", key, esc);
}

static const char *state_of(const cn_server_http *s, int test, const char *key, const char *pdir)
{
    char q[2300];
    srv_quarantine_dir(s, test, key, q, sizeof q);
    if (access(q, F_OK) == 0) return "quarantined";
    if (srv_exists(pdir, "index.bin")) return "complete";
    if (srv_exists(pdir, "declared.bin")) return "open";
    return "absent";
}

unsigned srv_store_state(cn_server_http *s, int test, const char *owner, const char *name,
                         char **json)
{
    char key[SRV_KEY_MAX + 1], pdir[2500], q[2300], p[2700];
    srv_key(owner, name, key);
    srv_part_dir(s, test, key, pdir, sizeof pdir);
    jbuf j = {malloc(512), 0, 512, 0};
    *json = NULL;
    if (!j.b) return 503;
    pthread_mutex_lock(&s->mu);
    const char *st = state_of(s, test, key, pdir);
    jput(&j, "{\"name\":\"%s\",\"test\":%s,\"state\":\"%s\"", name, test ? "true" : "false", st);
    srv_index ix;
    if (!strcmp(st, "quarantined")) {
        srv_quarantine_dir(s, test, key, q, sizeof q);
        snprintf(p, sizeof p, "%s/reason.txt", q);
        jput_text(&j, "reason", p);
    } else if (srv_index_read(pdir, st[0] == 'c' ? "index.bin" : "declared.bin", &ix) == CRYPTONN_OK) {
        jput(&j, ",\"samples\":%llu,\"batches\":%llu,\"stored\":[", (unsigned long long)ix.samples,
             (unsigned long long)ix.batches);
        char f[40];
        int first = 1;
        for (uint64_t i = 0; i < ix.batches; i++) {
            snprintf(f, sizeof f, "batch-%06llu.bin", (unsigned long long)i);
            if (!srv_exists(pdir, f)) continue;
            jput(&j, "%s%llu", first ? "" : ",", (unsigned long long)i);
            first = 0;
        }
        jput(&j, "]");
        snprintf(p, sizeof p, "%s/refused.txt", pdir);
        jput_text(&j, "refused", p);
    }
    pthread_mutex_unlock(&s->mu);
    jput(&j, "}\n");
    return jdone(&j, json);
}

typedef struct {
    jbuf *j;
    const char *owner;
    int first;
} list_ctx;

static void list_part(void *ctx, const place *pl, const char *key, const char *pdir)
{
    list_ctx *l = ctx;
    size_t ol = l->owner ? strlen(l->owner) : 0;
    if (l->owner && (strncmp(key, l->owner, ol) || key[ol] != '-')) return;
    const char *dash = strchr(key, '-');
    const char *st = pl->quarantined ? "quarantined" : srv_exists(pdir, "index.bin") ? "complete"
                                                                                   : "open";
    jput(l->j, "%s{\"owner\":\"%.*s\",\"name\":\"%s\",\"test\":%s,\"state\":\"%s\","
         "\"batches\":%llu,\"bytes\":%llu}", l->first ? "" : ",", dash ? (int)(dash - key) : 0,
         key, dash ? dash + 1 : key, pl->test ? "true" : "false", st,
         (unsigned long long)srv_part_batches(pdir), (unsigned long long)srv_dir_bytes(pdir));
    l->first = 0;
}

unsigned srv_store_list(cn_server_http *s, const char *owner, char **json)
{
    jbuf j = {malloc(1024), 0, 1024, 0};
    *json = NULL;
    if (!j.b) return 503;
    jput(&j, "{\"parts\":[");
    list_ctx l = {&j, owner, 1};
    pthread_mutex_lock(&s->mu);
    each_part(s, list_part, &l);
    pthread_mutex_unlock(&s->mu);
    jput(&j, "]}\n");
    return jdone(&j, json);
}
