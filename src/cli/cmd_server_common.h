/* Shared by the service commands (`authority serve`, `server serve`): wait
 * for SIGTERM/SIGINT, announce the address, write the port file. */
#ifndef CRYPTONN_CLI_CMD_SERVER_COMMON_H
#define CRYPTONN_CLI_CMD_SERVER_COMMON_H

#include <stdint.h>

#include "protocol/http.h"

/* Blocks SIGTERM, SIGINT (and ignores SIGPIPE) in this thread, so threads
 * started afterwards inherit the mask and the signal reaches only
 * cli_wait_for_signal. Call before starting any service thread. */
void cli_block_signals(void);
/* Returns the signal that arrived. */
int cli_wait_for_signal(void);
/* Prints "ROLE listening on SCHEME://127.0.0.1:PORT" and writes PORT to
 * port_file (atomically) when given. Returns 0, or 1 if the file failed. */
int cli_announce(const char *role, const char *listen, uint16_t port, int tls,
                 const char *port_file);
/* A token file's contents, with a message naming the file on failure. */
int cli_load_token(const char *path, char out[65]);
/* A client of server with the token in token_file (timeouts in seconds:
 * per attempt, and retrying while unreachable); 0, or 1 with a message. */
int cli_http_client(const char *server, const char *token_file, const char *cacert,
                    unsigned timeout_s, unsigned retry_s, cn_http_client **c);
/* The operator's token at path, created (0600) when there is none yet. */
int cli_operator_token(const char *path, char out[65]);
/* The data owners' tokens for a service: DIR/owners.list of an authority's
 * state (owners.h; re-read when it changes). NULL (with a message) if it
 * does not parse. */
cn_owner_db *cli_owner_db(const char *state);
/* `cryptonn authority add-owner | revoke-owner | list-owners` (cmd_owners.c):
 * argv[0] is the subcommand. Returns -1 when argv[0] is none of them. */
int cli_authority_owner(int argc, char **argv);

#endif
