/* authority_db: the key authority's durable state in SQLite (DESIGN §2):
 * DIR/authority.db in WAL mode with synchronous=FULL, so a request's record
 * is on disk before its keys leave the authority. Tables:
 *   keylog(id, time, line)        one row per event, the same text as keys.log
 *   counters(mpk, issued, refused)
 *   basis(mpk, seq, idx, val)     the key vectors that raised the samples rank,
 *                                 in order (idx: u32 LE array, val: i64 LE array)
 * The authority writes one transaction per request (authority.c), or, while
 * the key service defers commits, one per group of requests: one fsync for
 * all the requests that arrived while the previous group was being written,
 * and no request's keys leave before its group is on disk
 * (authority_http.c). */
#ifndef CRYPTONN_PROTOCOL_AUTHORITY_DB_H
#define CRYPTONN_PROTOCOL_AUTHORITY_DB_H

#include <stddef.h>
#include <stdint.h>

typedef struct cn_authority_db cn_authority_db;

/* Returns CRYPTONN_ERR_NOT_FOUND when built without SQLite (the authority
 * then keeps its file state). */
int cn_adb_open(cn_authority_db **out, const char *dir);
void cn_adb_close(cn_authority_db *db);
int cn_adb_begin(cn_authority_db *db);
int cn_adb_commit(cn_authority_db *db);
void cn_adb_rollback(cn_authority_db *db);
/* Group commit. While deferred (on = 1), begin joins the open transaction
 * and commit only counts the request into it (cn_adb_appended: its number);
 * a rollback then loses the whole group, and every later flush fails.
 * flush commits the open transaction (CRYPTONN_OK when there is none) and
 * returns CRYPTONN_ERR_IO if that fails or a group was lost; a begin
 * outside deferral flushes first. The caller serialises all calls. */
void cn_adb_defer(cn_authority_db *db, int on);
uint64_t cn_adb_appended(const cn_authority_db *db);
int cn_adb_flush(cn_authority_db *db);
int cn_adb_log(cn_authority_db *db, const char *time, const char *line);
int cn_adb_save_counters(cn_authority_db *db, const uint64_t issued[3], const uint64_t refused[3]);
int cn_adb_add_basis(cn_authority_db *db, uint32_t seq, const uint32_t *idx, const int64_t *val,
                     size_t nnz);
/* Loads the counters (*found = 0 when the database is new) and calls
 * row(ctx, idx, val, nnz) for each basis vector in order; a non-zero return
 * from row stops with that status. Rows are checked (idx < width). */
int cn_adb_load(cn_authority_db *db, uint32_t width, uint64_t issued[3], uint64_t refused[3],
                int *found, int (*row)(void *, const uint32_t *, const int64_t *, size_t),
                void *ctx);

#endif
