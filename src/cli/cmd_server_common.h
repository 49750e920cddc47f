/* Shared by the service commands (`authority serve`, `server serve`): wait
 * for SIGTERM/SIGINT, announce the address, write the port file, read a
 * token file. */
#ifndef CRYPTONN_CLI_CMD_SERVER_COMMON_H
#define CRYPTONN_CLI_CMD_SERVER_COMMON_H

#include <stdint.h>

#include "cryptonn/cryptonn.h"

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
/* `cryptonn authority add-owner | revoke-owner | list-owners` (cmd_owners.c):
 * argv[0] is the subcommand. Returns -1 when argv[0] is none of them. */
int cli_authority_owner(int argc, char **argv);

#endif
