/* The data owners' credentials without a network (owners.h): tokens made
 * 0600 in a 0700 directory, the public list holding only hashes, a token
 * found under its owner's name and no other, revocation and additions seen
 * by an open list as soon as the file changes, and a list that does not
 * parse (each kind of damage) admitting nobody until it is fixed. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/http.h"
#include "protocol/owners.h"
#include "testutil.h"
#include "util/util.h"

static char state[600], list[700];

static void token_of(const char *name, char out[65])
{
    char p[800];
    snprintf(p, sizeof p, "%s/owners/%s.token", state, name);
    if (cn_token_load(p, out) != CRYPTONN_OK) out[0] = 0;
}

static int finds(cn_owner_db *db, const char *tok, const char *want)
{
    char name[CN_OWNER_NAME_MAX + 1] = "";
    int f = cn_owner_db_find(db, tok, strlen(tok), name);
    return want ? f && !strcmp(name, want) : !f;
}

static void write_list(const char *text)
{
    /* a distinct mtime even within one clock tick */
    struct timespec ts = {0, 20000000L};
    nanosleep(&ts, NULL);
    cn_part p = {text, strlen(text)};
    CHECK_EQ_INT(cn_file_write_atomic(list, &p, 1, 0644), CRYPTONN_OK);
}

int main(void)
{
    t_init("test_net_owners_db");
    snprintf(state, sizeof state, "%s/auth", t_tmpdir());
    snprintf(list, sizeof list, "%s/owners.list", state);
    CHECK(mkdir(state, 0700) == 0);
    char path[800], alice[65], bob[65], carol[65];

    /* names: the alphabet, the length, no '-' (the server splits OWNER-NAME) */
    const char *bad[] = {"", "a-b", "a/b", "a b", "../x", "abcdefghijklmnopqrstuvwxy", "a.b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(!cn_owner_name_ok(bad[i]));
        CHECK_EQ_INT(cn_owners_add(state, bad[i], path, sizeof path), CRYPTONN_ERR_ARG);
    }
    CHECK(cn_owner_name_ok("abcdefghijklmnopqrstuvwx") && cn_owner_name_ok("Clinic_7"));

    /* a missing list: no owner yet, and the list is picked up once it exists */
    cn_owner_db *db = NULL;
    CHECK_EQ_INT(cn_owner_db_open(&db, list), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owners_add(state, "alice", path, sizeof path), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owners_add(state, "bob", path, sizeof path), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owners_add(state, "alice", path, sizeof path), CRYPTONN_ERR_MISMATCH);
    token_of("alice", alice);
    token_of("bob", bob);
    CHECK(alice[0] && bob[0] && strcmp(alice, bob));
    struct stat sb;
    snprintf(path, sizeof path, "%s/owners/alice.token", state);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    snprintf(path, sizeof path, "%s/owners", state);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0700);
    CHECK(finds(db, alice, "alice") && finds(db, bob, "bob"));

    /* the list holds names and hashes, never a token */
    uint8_t *b = NULL;
    size_t len = 0;
    CHECK_EQ_INT(cn_file_read_all(list, 1 << 20, &b, &len), CRYPTONN_OK);
    CHECK(b && !memmem(b, len, alice, 64) && !memmem(b, len, bob, 64));
    CHECK(b && memmem(b, len, "alice ", 6) && memmem(b, len, "bob ", 4));
    char good[2048];
    snprintf(good, sizeof good, "%.*s", (int)len, b);
    free(b);
    char (*names)[CN_OWNER_NAME_MAX + 1] = NULL;
    size_t n = 0;
    CHECK_EQ_INT(cn_owners_names(list, &names, &n), CRYPTONN_OK);
    CHECK(n == 2 && !strcmp(names[0], "alice") && !strcmp(names[1], "bob"));
    free(names);

    /* only the whole token: one byte off, a prefix, a longer value */
    char t[80];
    snprintf(t, sizeof t, "%s", alice);
    t[10] ^= 1;
    CHECK(finds(db, t, NULL));
    CHECK(!cn_owner_db_find(db, alice, 63, t));
    snprintf(t, sizeof t, "%s0", alice);
    CHECK(finds(db, t, NULL));

    /* revoked: refused from the next lookup on, the token file gone */
    CHECK_EQ_INT(cn_owners_revoke(state, "bob"), CRYPTONN_OK);
    CHECK_EQ_INT(cn_owners_revoke(state, "bob"), CRYPTONN_ERR_NOT_FOUND);
    snprintf(path, sizeof path, "%s/owners/bob.token", state);
    CHECK(access(path, F_OK) != 0);
    CHECK(finds(db, bob, NULL) && finds(db, alice, "alice"));
    /* added while open */
    CHECK_EQ_INT(cn_owners_add(state, "carol", path, sizeof path), CRYPTONN_OK);
    token_of("carol", carol);
    CHECK(finds(db, carol, "carol"));
    /* bob again: a new token, the old one stays dead */
    CHECK_EQ_INT(cn_owners_add(state, "bob", path, sizeof path), CRYPTONN_OK);
    CHECK(finds(db, bob, NULL));

    /* damaged lists admit nobody, until the file is right again */
    CHECK_EQ_INT(cn_file_read_all(list, 1 << 20, &b, &len), CRYPTONN_OK);
    snprintf(good, sizeof good, "%.*s", (int)len, b);
    free(b);
    const char *hash = strchr(strstr(good, "alice "), ' ') + 1;
    char dup[4096], bad_hex[4096], no_nl[4096], long_name[4096];
    snprintf(dup, sizeof dup, "%salice %.64s\n", good, hash);
    snprintf(bad_hex, sizeof bad_hex, "cryptonn-owners 1\nalice %.63sg\n", hash);
    snprintf(no_nl, sizeof no_nl, "cryptonn-owners 1\nalice %.64s", hash);
    snprintf(long_name, sizeof long_name, "cryptonn-owners 1\nabcdefghijklmnopqrstuvwxy %.64s\n", hash);
    const char *damaged[] = {"", "cryptonn-owners 2\n", good + 1, dup, bad_hex, no_nl, long_name,
                             "cryptonn-owners 1\nalice\n"};
    for (size_t i = 0; i < sizeof damaged / sizeof damaged[0]; i++) {
        write_list(damaged[i]);
        CHECK(finds(db, alice, NULL));
        write_list(good);
        CHECK(finds(db, alice, "alice"));
    }
    /* a list removed: nobody */
    unlink(list);
    CHECK(finds(db, alice, NULL));
    write_list(good);
    CHECK(finds(db, alice, "alice"));
    cn_owner_db_close(db);
    /* opening a damaged list fails */
    write_list("cryptonn-owners 1\nx");
    CHECK(cn_owner_db_open(&db, list) != CRYPTONN_OK);
    return t_done();
}
