/* authority_db: SQLite persistence of the key authority (authority_db.h). */
#include "protocol/authority_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/status.h"
#include "util/util.h"

#ifdef CRYPTONN_HAVE_SQLITE
#include <sqlite3.h>

struct cn_authority_db {
    sqlite3 *h;
    sqlite3_stmt *log, *counter, *basis;
    int open;          /* a transaction is open */
    int deferred;      /* commits join the open group (cn_adb_defer) */
    int group;         /* the open transaction holds deferred requests */
    int broken;        /* a group was lost: records of answered requests may be missing */
    uint64_t appended; /* requests committed into groups so far */
};

static const char SCHEMA[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "CREATE TABLE IF NOT EXISTS keylog(id INTEGER PRIMARY KEY, time TEXT NOT NULL, line TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS counters(mpk INTEGER PRIMARY KEY, issued INTEGER NOT NULL,"
    " refused INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS basis(mpk INTEGER NOT NULL, seq INTEGER NOT NULL, idx BLOB NOT NULL,"
    " val BLOB NOT NULL, PRIMARY KEY(mpk, seq));";

int cn_adb_open(cn_authority_db **out, const char *dir)
{
    *out = NULL;
    cn_authority_db *db = calloc(1, sizeof *db);
    if (!db) return CRYPTONN_ERR_NOMEM;
    char path[4096];
    snprintf(path, sizeof path, "%s/authority.db", dir);
    int rc = sqlite3_open_v2(path, &db->h, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                             SQLITE_OPEN_FULLMUTEX, NULL);
    if (rc == SQLITE_OK) sqlite3_busy_timeout(db->h, 5000);
    if (rc == SQLITE_OK) rc = sqlite3_exec(db->h, SCHEMA, NULL, NULL, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db->h, "INSERT INTO keylog(time, line) VALUES(?, ?)", -1, &db->log, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO counters VALUES(?, ?, ?)", -1,
                                &db->counter, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_prepare_v2(db->h, "INSERT OR REPLACE INTO basis VALUES(0, ?, ?, ?)", -1,
                                &db->basis, NULL);
    if (rc != SQLITE_OK) {
        cn_adb_close(db);
        return CRYPTONN_ERR_IO;
    }
    *out = db;
    return CRYPTONN_OK;
}

void cn_adb_close(cn_authority_db *db)
{
    if (!db) return;
    sqlite3_finalize(db->log);
    sqlite3_finalize(db->counter);
    sqlite3_finalize(db->basis);
    sqlite3_close(db->h);
    free(db);
}

static int ok(int rc) { return rc == SQLITE_OK || rc == SQLITE_DONE ? CRYPTONN_OK : CRYPTONN_ERR_IO; }

void cn_adb_rollback(cn_authority_db *db)
{
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    /* a group holds other requests' records too: none of them may count
     * as written any more */
    if (db->group) db->broken = 1;
    db->open = db->group = 0;
}

int cn_adb_flush(cn_authority_db *db)
{
    if (db->broken) return CRYPTONN_ERR_IO;
    if (!db->open) return CRYPTONN_OK;
    if (ok(sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL)) == CRYPTONN_OK) {
        db->open = db->group = 0;
        return CRYPTONN_OK;
    }
    cn_adb_rollback(db);
    return CRYPTONN_ERR_IO;
}

int cn_adb_begin(cn_authority_db *db)
{
    if (db->open && db->deferred) return db->broken ? CRYPTONN_ERR_IO : CRYPTONN_OK;
    /* an open group is written before a request of its own starts */
    CN_TRY(cn_adb_flush(db));
    CN_TRY(ok(sqlite3_exec(db->h, "BEGIN IMMEDIATE", NULL, NULL, NULL)));
    db->open = 1;
    return CRYPTONN_OK;
}

int cn_adb_commit(cn_authority_db *db)
{
    if (db->deferred) {
        db->group = 1;
        db->appended++;
        return db->broken ? CRYPTONN_ERR_IO : CRYPTONN_OK;
    }
    return cn_adb_flush(db);
}

void cn_adb_defer(cn_authority_db *db, int on) { db->deferred = on; }
uint64_t cn_adb_appended(const cn_authority_db *db) { return db->appended; }

static int step(sqlite3_stmt *s)
{
    int rc = sqlite3_step(s);
    sqlite3_reset(s);
    sqlite3_clear_bindings(s);
    return ok(rc);
}

int cn_adb_log(cn_authority_db *db, const char *time, const char *line)
{
    sqlite3_bind_text(db->log, 1, time, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(db->log, 2, line, -1, SQLITE_TRANSIENT);
    return step(db->log);
}

int cn_adb_save_counters(cn_authority_db *db, const uint64_t issued[3], const uint64_t refused[3])
{
    for (int i = 0; i < 3; i++) {
        sqlite3_bind_int(db->counter, 1, i);
        sqlite3_bind_int64(db->counter, 2, (sqlite3_int64)issued[i]);
        sqlite3_bind_int64(db->counter, 3, (sqlite3_int64)refused[i]);
        CN_TRY(step(db->counter));
    }
    return CRYPTONN_OK;
}

int cn_adb_add_basis(cn_authority_db *db, uint32_t seq, const uint32_t *idx, const int64_t *val,
                     size_t nnz)
{
    uint8_t *b = malloc(12 * nnz + 1);
    if (!b) return CRYPTONN_ERR_NOMEM;
    for (size_t j = 0; j < nnz; j++) {
        cn_store_u32(b + 4 * j, idx[j]);
        cn_store_u64(b + 4 * nnz + 8 * j, (uint64_t)val[j]);
    }
    sqlite3_bind_int64(db->basis, 1, seq);
    sqlite3_bind_blob(db->basis, 2, b, (int)(4 * nnz), SQLITE_TRANSIENT);
    sqlite3_bind_blob(db->basis, 3, b + 4 * nnz, (int)(8 * nnz), SQLITE_TRANSIENT);
    int rc = step(db->basis);
    free(b);
    return rc;
}

int cn_adb_load(cn_authority_db *db, uint32_t width, uint64_t issued[3], uint64_t refused[3],
                int *found, int (*row)(void *, const uint32_t *, const int64_t *, size_t),
                void *ctx)
{
    *found = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT mpk, issued, refused FROM counters", -1, &s, NULL))
        return CRYPTONN_ERR_IO;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        int m = sqlite3_column_int(s, 0);
        if (m < 0 || m > 2) continue;
        issued[m] = (uint64_t)sqlite3_column_int64(s, 1);
        refused[m] = (uint64_t)sqlite3_column_int64(s, 2);
        *found = 1;
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) return CRYPTONN_ERR_IO;
    if (sqlite3_prepare_v2(db->h, "SELECT seq, idx, val FROM basis WHERE mpk = 0 ORDER BY seq", -1,
                           &s, NULL))
        return CRYPTONN_ERR_IO;
    int status = CRYPTONN_OK;
    int64_t expect = 0;
    while (status == CRYPTONN_OK && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        const uint8_t *bi = sqlite3_column_blob(s, 1), *bv = sqlite3_column_blob(s, 2);
        size_t li = (size_t)sqlite3_column_bytes(s, 1), lv = (size_t)sqlite3_column_bytes(s, 2);
        size_t nnz = li / 4;
        /* the rows must be 0, 1, 2, ... with matching blobs: anything else is
         * a damaged database, not something to guess around */
        if (sqlite3_column_int64(s, 0) != expect++ || li % 4 || lv != 8 * nnz || nnz > width ||
            (nnz && (!bi || !bv))) {
            status = CRYPTONN_ERR_FORMAT;
            break;
        }
        uint32_t *ix = malloc(4 * nnz + 4);
        int64_t *vv = malloc(8 * nnz + 8);
        if (!ix || !vv) status = CRYPTONN_ERR_NOMEM;
        for (size_t j = 0; status == CRYPTONN_OK && j < nnz; j++) {
            ix[j] = cn_load_u32(bi + 4 * j);
            vv[j] = (int64_t)cn_load_u64(bv + 8 * j);
            if (ix[j] >= width) status = CRYPTONN_ERR_FORMAT;
        }
        if (status == CRYPTONN_OK) status = row(ctx, ix, vv, nnz);
        free(ix);
        free(vv);
    }
    sqlite3_finalize(s);
    if (status == CRYPTONN_OK && rc != SQLITE_DONE) status = CRYPTONN_ERR_IO;
    if (status == CRYPTONN_OK && expect > 0) *found = 1;
    return status;
}

#else

int cn_adb_open(cn_authority_db **out, const char *dir)
{
    (void)dir;
    *out = NULL;
    return CRYPTONN_ERR_NOT_FOUND;
}
void cn_adb_close(cn_authority_db *db) { (void)db; }
int cn_adb_begin(cn_authority_db *db) { (void)db; return CRYPTONN_ERR_IO; }
int cn_adb_commit(cn_authority_db *db) { (void)db; return CRYPTONN_ERR_IO; }
void cn_adb_rollback(cn_authority_db *db) { (void)db; }
int cn_adb_flush(cn_authority_db *db) { (void)db; return CRYPTONN_ERR_IO; }
void cn_adb_defer(cn_authority_db *db, int on) { (void)db, (void)on; }
uint64_t cn_adb_appended(const cn_authority_db *db) { (void)db; return 0; }
int cn_adb_log(cn_authority_db *db, const char *time, const char *line)
{
    (void)db, (void)time, (void)line;
    return CRYPTONN_ERR_IO;
}
int cn_adb_save_counters(cn_authority_db *db, const uint64_t issued[3], const uint64_t refused[3])
{
    (void)db, (void)issued, (void)refused;
    return CRYPTONN_ERR_IO;
}
int cn_adb_add_basis(cn_authority_db *db, uint32_t seq, const uint32_t *idx, const int64_t *val,
                     size_t nnz)
{
    (void)db, (void)seq, (void)idx, (void)val, (void)nnz;
    return CRYPTONN_ERR_IO;
}
int cn_adb_load(cn_authority_db *db, uint32_t width, uint64_t issued[3], uint64_t refused[3],
                int *found, int (*row)(void *, const uint32_t *, const int64_t *, size_t),
                void *ctx)
{
    (void)db, (void)width, (void)issued, (void)refused, (void)row, (void)ctx;
    *found = 0;
    return CRYPTONN_ERR_IO;
}

#endif
