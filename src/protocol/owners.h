/* owners: the data owners' credentials (DESIGN §2, §6).
 *
 * The authority provisions owners (`cryptonn authority add-owner NAME`). Each
 * owner gets a bearer token of its own, STATE/owners/NAME.token (32 random
 * bytes as 64 hex characters, mode 0600, in a 0700 directory), and a line in
 * the public list STATE/owners.list:
 *     cryptonn-owners 1
 *     NAME HASH
 *     ...
 * HASH is the keyed BLAKE2b-256 (key: a fixed context string) of the token's
 * 64 characters, in hex. The list holds no secret: the operator installs a
 * copy on the training server (`server serve --owners FILE`), which then
 * checks tokens without holding them and without the authority online.
 * Revoking an owner removes its line and its token file; a service re-reads
 * the list whenever the file changes, so a revoked token is refused from the
 * next request on. A list that cannot be parsed admits no owner at all (a
 * botched revocation must not leave the revoked owner in).
 *
 * Owner names are [A-Za-z0-9_]{1,24}: no '-', so the server can store a part
 * as OWNER-NAME and split it back unambiguously. */
#ifndef CRYPTONN_PROTOCOL_OWNERS_H
#define CRYPTONN_PROTOCOL_OWNERS_H

#include <stddef.h>
#include <stdint.h>

#define CN_OWNER_NAME_MAX 24
#define CN_OWNERS_MAX 65536

/* 1 if s is a valid owner name. NULL gives 0. */
int cn_owner_name_ok(const char *s);

/* ---- the authority's side ---- */

/* Creates NAME's token (STATE/owners/NAME.token) and adds NAME to
 * STATE/owners.list (written atomically, 0644). CRYPTONN_ERR_ARG for a bad
 * name, CRYPTONN_ERR_MISMATCH if NAME is listed already. token_path (cap
 * bytes) receives the token file's path. */
int cn_owners_add(const char *state, const char *name, char *token_path, size_t cap);
/* Removes NAME from the list, then deletes its token file.
 * CRYPTONN_ERR_NOT_FOUND if NAME is not listed. */
int cn_owners_revoke(const char *state, const char *name);
/* The names in a list file, in file order: *names is malloc'd, n entries of
 * CN_OWNER_NAME_MAX + 1 bytes (free it). A missing file is an empty list. */
int cn_owners_names(const char *list_path, char (**names)[CN_OWNER_NAME_MAX + 1], size_t *n);

/* ---- a service's side ---- */

typedef struct cn_owner_db cn_owner_db;
/* Opens a list file: it must parse, or not exist yet (no owner until it
 * appears). */
int cn_owner_db_open(cn_owner_db **out, const char *list_path);
void cn_owner_db_close(cn_owner_db *db);
/* 1 and the owner's name in name when tok[0..len) is a listed owner's token,
 * else 0. len counts every byte the client sent (NULs included): only a
 * value of exactly the token's 64 characters can match. Every entry is
 * compared, in constant time, whatever matched. Re-reads the list first
 * when the file changed. Thread-safe. */
int cn_owner_db_find(cn_owner_db *db, const char *tok, size_t len,
                     char name[CN_OWNER_NAME_MAX + 1]);

#endif
