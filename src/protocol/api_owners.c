/* The public owner-credential functions (cryptonn/authority.h) over
 * owners.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/authority.h"
#include "protocol/owners.h"
#include "util/util.h"

_Static_assert(CRYPTONN_OWNER_NAME_MAX == CN_OWNER_NAME_MAX, "one owner-name limit");

int cryptonn_owner_name_ok(const char *name)
{
    return cn_owner_name_ok(name);
}

int cryptonn_authority_add_owner(const char *state, const char *name, char *token_path,
                                 size_t cap)
{
    CN_ARG_CHECK(state && name && (token_path || !cap));
    char tmp[4096];
    int rc = cn_owners_add(state, name, tmp, sizeof tmp);
    if (rc == CRYPTONN_OK && cap) snprintf(token_path, cap, "%s", tmp);
    return rc;
}

int cryptonn_authority_revoke_owner(const char *state, const char *name)
{
    CN_ARG_CHECK(state && name);
    return cn_owners_revoke(state, name);
}

int cryptonn_authority_list_owners(const char *state, char **names)
{
    CN_ARG_CHECK(state && names);
    *names = NULL;
    char list[4096];
    snprintf(list, sizeof list, "%s/owners.list", state);
    char (*v)[CN_OWNER_NAME_MAX + 1] = NULL;
    size_t n = 0;
    CN_TRY(cn_owners_names(list, &v, &n));
    char *out = cn_malloc_array(n * (CN_OWNER_NAME_MAX + 1) + 1, 1);
    if (!out) {
        free(v);
        return CRYPTONN_ERR_NOMEM;
    }
    size_t at = 0;
    for (size_t i = 0; i < n; i++) at += (size_t)sprintf(out + at, "%s\n", v[i]);
    out[at] = 0;
    free(v);
    *names = out;
    return CRYPTONN_OK;
}
