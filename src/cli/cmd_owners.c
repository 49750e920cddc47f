/* `cryptonn authority add-owner | revoke-owner | list-owners`: the data
 * owners' credentials (owners.h). The authority provisions them; the
 * operator copies STATE/owners.list to the training server (server serve
 * --owners FILE) after every change. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cryptonn/authority.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn authority add-owner --state DIR NAME\n"
            "       cryptonn authority revoke-owner --state DIR NAME\n"
            "       cryptonn authority list-owners --state DIR\n\n"
            "add-owner: a bearer token of its own for data owner NAME ([A-Za-z0-9_]{1,24}),\n"
            "DIR/owners/NAME.token (mode 0600: give it to that owner only), and NAME in the\n"
            "public list DIR/owners.list (hashes of the tokens, no secret).\n"
            "revoke-owner: removes NAME from the list and deletes its token.\n"
            "After either, install the new owners.list on the training server: it re-reads\n"
            "the file when it changes, and refuses a revoked token from then on.\n");
}

int cli_authority_owner(int argc, char **argv)
{
    const char *sub = argv[0];
    int add = !strcmp(sub, "add-owner"), revoke = !strcmp(sub, "revoke-owner");
    if (!add && !revoke && strcmp(sub, "list-owners")) return -1;
    static const struct option lo[] = {{"state", 1, 0, 's'}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *state = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == 's') state = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    int operands = add || revoke ? 1 : 0;
    if (!state || argc - optind != operands) {
        usage(stderr);
        return 2;
    }
    const char *name = operands ? argv[optind] : NULL;
    if (name && !cryptonn_owner_name_ok(name)) {
        fprintf(stderr, "cryptonn authority %s: '%s' is not an owner name ([A-Za-z0-9_]{1,%d})\n",
                sub, name, CRYPTONN_OWNER_NAME_MAX);
        return 2;
    }
    char list[4096], tok[4096];
    snprintf(list, sizeof list, "%s/owners.list", state);
    int rc;
    if (add) {
        rc = cryptonn_authority_add_owner(state, name, tok, sizeof tok);
        if (rc == CRYPTONN_ERR_MISMATCH) {
            fprintf(stderr, "cryptonn authority add-owner: '%s' is an owner already\n", name);
            return 1;
        }
        if (rc != CRYPTONN_OK) return cli_fail(list, rc);
        printf("owner '%s': token %s (0600, for that owner only); list %s updated: install it "
               "on the training server\n", name, tok, list);
        return 0;
    }
    if (revoke) {
        rc = cryptonn_authority_revoke_owner(state, name);
        if (rc == CRYPTONN_ERR_NOT_FOUND) {
            fprintf(stderr, "cryptonn authority revoke-owner: no owner '%s'\n", name);
            return 1;
        }
        if (rc != CRYPTONN_OK) return cli_fail(list, rc);
        printf("owner '%s' revoked; list %s updated: install it on the training server\n", name,
               list);
        return 0;
    }
    char *names = NULL;
    if ((rc = cryptonn_authority_list_owners(state, &names)) != CRYPTONN_OK) return cli_fail(list, rc);
    fputs(names, stdout);
    cryptonn_free(names);
    return 0;
}
