/* owners: per-owner credentials (owners.h). */
#include "protocol/owners.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cryptonn/status.h"
#include "protocol/http.h"
#include "util/util.h"

#define HEADER "cryptonn-owners 1\n"
#define LIST_MAX ((size_t)CN_OWNERS_MAX * 100 + 64)

/* The list is public, so the hash is keyed only to separate it from any
 * other use of the same bytes; the token's 256 random bits are what protect it. */
static const uint8_t HASH_KEY[] = "cryptonn owner token v1";

typedef struct {
    char name[CN_OWNER_NAME_MAX + 1];
    uint8_t hash[32];
} entry;

int cn_owner_name_ok(const char *s)
{
    if (!s) return 0;
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n >= CN_OWNER_NAME_MAX ||
            !((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'))
            return 0;
    }
    return n > 0;
}

static void token_hash(const char *tok, uint8_t out[32])
{
    crypto_generichash(out, 32, (const uint8_t *)tok, 64, HASH_KEY, sizeof HASH_KEY - 1);
}

/* Parses a whole list file: the header line, then "NAME HEX64\n" lines with
 * distinct names. */
static int parse_list(const uint8_t *b, size_t len, entry **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t hl = sizeof HEADER - 1;
    if (len < hl || memcmp(b, HEADER, hl) != 0) return CRYPTONN_ERR_FORMAT;
    size_t cap = 0, cnt = 0;
    entry *e = NULL;
    int rc = CRYPTONN_OK;
    for (size_t at = hl; at < len && rc == CRYPTONN_OK;) {
        const uint8_t *nl = memchr(b + at, '\n', len - at);
        const uint8_t *sp = memchr(b + at, ' ', len - at);
        size_t nlen = sp ? (size_t)(sp - (b + at)) : 0;
        if (!nl || !sp || sp > nl || nlen == 0 || nlen > CN_OWNER_NAME_MAX ||
            (size_t)(nl - sp) != 65 || cnt == CN_OWNERS_MAX) {
            rc = CRYPTONN_ERR_FORMAT;
            break;
        }
        if (cnt == cap) {
            cap = cap ? 2 * cap : 16;
            entry *q = realloc(e, cap * sizeof *q);
            if (!q) {
                rc = CRYPTONN_ERR_NOMEM;
                break;
            }
            e = q;
        }
        memcpy(e[cnt].name, b + at, nlen);
        e[cnt].name[nlen] = 0;
        size_t bin = 0;
        if (!cn_owner_name_ok(e[cnt].name) ||
            sodium_hex2bin(e[cnt].hash, 32, (const char *)sp + 1, 64, NULL, &bin, NULL) != 0 ||
            bin != 32)
            rc = CRYPTONN_ERR_FORMAT;
        for (size_t i = 0; i < cnt && rc == CRYPTONN_OK; i++)
            if (!strcmp(e[i].name, e[cnt].name)) rc = CRYPTONN_ERR_FORMAT;
        cnt++;
        at = (size_t)(nl - b) + 1;
    }
    if (rc != CRYPTONN_OK) {
        free(e);
        return rc;
    }
    *out = e;
    *n = cnt;
    return CRYPTONN_OK;
}

static int read_list(const char *path, entry **out, size_t *n)
{
    uint8_t *b;
    size_t len;
    int rc = cn_file_read_all(path, LIST_MAX, &b, &len);
    if (rc != CRYPTONN_OK) return rc;
    rc = parse_list(b, len, out, n);
    free(b);
    return rc;
}

static int write_list(const char *path, const entry *e, size_t n)
{
    size_t cap = sizeof HEADER + n * (CN_OWNER_NAME_MAX + 67);
    char *b = malloc(cap);
    if (!b) return CRYPTONN_ERR_NOMEM;
    size_t w = (size_t)snprintf(b, cap, "%s", HEADER);
    for (size_t i = 0; i < n; i++) {
        w += (size_t)snprintf(b + w, cap - w, "%s ", e[i].name);
        sodium_bin2hex(b + w, cap - w, e[i].hash, 32);
        w += 64;
        b[w++] = '\n';
    }
    cn_part p = {b, w};
    int rc = cn_file_write_atomic(path, &p, 1, 0644);
    free(b);
    return rc;
}

static void paths(const char *state, const char *name, char *list, char *tok, size_t cap)
{
    snprintf(list, cap, "%s/owners.list", state);
    if (name) snprintf(tok, cap, "%s/owners/%s.token", state, name);
}

static int load_or_empty(const char *list, entry **e, size_t *n)
{
    if (access(list, F_OK) != 0) {
        *e = NULL;
        *n = 0;
        return CRYPTONN_OK;
    }
    return read_list(list, e, n);
}

int cn_owners_add(const char *state, const char *name, char *token_path, size_t cap)
{
    if (!cn_owner_name_ok(name)) return CRYPTONN_ERR_ARG;
    char list[4096], tok[4096], dir[4096], hex[65];
    paths(state, name, list, tok, sizeof list);
    entry *e = NULL;
    size_t n = 0;
    CN_TRY(load_or_empty(list, &e, &n));
    int rc = CRYPTONN_OK;
    for (size_t i = 0; i < n; i++)
        if (!strcmp(e[i].name, name)) rc = CRYPTONN_ERR_MISMATCH;
    entry *q = rc == CRYPTONN_OK ? realloc(e, (n + 1) * sizeof *e) : NULL;
    if (rc == CRYPTONN_OK && !q) rc = CRYPTONN_ERR_NOMEM;
    if (q) e = q;
    snprintf(dir, sizeof dir, "%s/owners", state);
    if (rc == CRYPTONN_OK && mkdir(dir, 0700) != 0 && errno != EEXIST) rc = CRYPTONN_ERR_IO;
    /* a token file of an unlisted name is a leftover of an add that stopped
     * before the list was written: nobody can use it */
    if (rc == CRYPTONN_OK) unlink(tok);
    if (rc == CRYPTONN_OK) rc = cn_token_create(tok);
    if (rc == CRYPTONN_OK) rc = cn_token_load(tok, hex);
    if (rc == CRYPTONN_OK) {
        snprintf(e[n].name, sizeof e[n].name, "%s", name);
        token_hash(hex, e[n].hash);
        rc = write_list(list, e, n + 1);
        if (rc != CRYPTONN_OK) unlink(tok);
    }
    cn_wipe(hex, sizeof hex);
    free(e);
    if (rc == CRYPTONN_OK) snprintf(token_path, cap, "%s", tok);
    return rc;
}

int cn_owners_revoke(const char *state, const char *name)
{
    if (!cn_owner_name_ok(name)) return CRYPTONN_ERR_ARG;
    char list[4096], tok[4096];
    paths(state, name, list, tok, sizeof list);
    entry *e = NULL;
    size_t n = 0;
    CN_TRY(load_or_empty(list, &e, &n));
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, name)) e[k++] = e[i];
    /* the list first: once it is written the token is dead everywhere the
     * list is installed, whatever happens to the file */
    int rc = k == n ? CRYPTONN_ERR_NOT_FOUND : write_list(list, e, k);
    free(e);
    if (rc == CRYPTONN_OK && unlink(tok) != 0 && errno != ENOENT) rc = CRYPTONN_ERR_IO;
    return rc;
}

int cn_owners_names(const char *list_path, char (**names)[CN_OWNER_NAME_MAX + 1], size_t *n)
{
    *names = NULL;
    entry *e = NULL;
    CN_TRY(load_or_empty(list_path, &e, n));
    *names = malloc((*n ? *n : 1) * sizeof **names);
    if (!*names) {
        free(e);
        return CRYPTONN_ERR_NOMEM;
    }
    for (size_t i = 0; i < *n; i++) memcpy((*names)[i], e[i].name, sizeof e[i].name);
    free(e);
    return CRYPTONN_OK;
}

struct cn_owner_db {
    pthread_mutex_t mu;
    char *path;
    entry *e;
    size_t n;
    struct stat seen; /* the file as last read (or found unreadable) */
};

static int same_stat(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int cn_owner_db_open(cn_owner_db **out, const char *list_path)
{
    *out = NULL;
    cn_owner_db *db = calloc(1, sizeof *db);
    if (!db) return CRYPTONN_ERR_NOMEM;
    db->path = strdup(list_path);
    int rc = db->path ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK && stat(list_path, &db->seen) == 0)
        rc = read_list(list_path, &db->e, &db->n);
    else memset(&db->seen, 0, sizeof db->seen); /* no owner yet */
    if (rc != CRYPTONN_OK) {
        free(db->path);
        free(db);
        return rc;
    }
    pthread_mutex_init(&db->mu, NULL);
    *out = db;
    return CRYPTONN_OK;
}

void cn_owner_db_close(cn_owner_db *db)
{
    if (!db) return;
    pthread_mutex_destroy(&db->mu);
    free(db->e);
    free(db->path);
    free(db);
}

/* Under mu: the list as it is on disk now. */
static void refresh(cn_owner_db *db)
{
    struct stat st;
    int ok = stat(db->path, &st) == 0;
    if (ok && same_stat(&st, &db->seen)) return;
    if (!ok) memset(&st, 0, sizeof st);
    if (!ok && db->seen.st_ino == 0) return; /* still missing: already reported */
    db->seen = st;
    free(db->e);
    db->e = NULL;
    db->n = 0;
    int rc = ok ? read_list(db->path, &db->e, &db->n) : CRYPTONN_ERR_NOT_FOUND;
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: the owners list %s: %s; every owner token is refused until "
                        "it is fixed\n", db->path, cryptonn_status_str(rc));
}

int cn_owner_db_find(cn_owner_db *db, const char *tok, size_t len,
                     char name[CN_OWNER_NAME_MAX + 1])
{
    if (len != 64) return 0; /* the length is not the secret */
    uint8_t h[32];
    token_hash(tok, h);
    pthread_mutex_lock(&db->mu);
    refresh(db);
    size_t hit = db->n;
    for (size_t i = 0; i < db->n; i++) {
        /* no early exit: the position of a match is not revealed either */
        size_t m = (size_t)0 - (size_t)(sodium_memcmp(h, db->e[i].hash, 32) == 0);
        hit = (hit & ~m) | (i & m);
    }
    int found = hit < db->n;
    if (found) memcpy(name, db->e[hit].name, CN_OWNER_NAME_MAX + 1);
    pthread_mutex_unlock(&db->mu);
    return found;
}
