/* Helpers of the service commands (cmd_server_common.h). */
#include "cli/cmd_server_common.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

static sigset_t waitset;

void cli_block_signals(void)
{
    sigemptyset(&waitset);
    sigaddset(&waitset, SIGTERM);
    sigaddset(&waitset, SIGINT);
    pthread_sigmask(SIG_BLOCK, &waitset, NULL);
    signal(SIGPIPE, SIG_IGN);
}

int cli_wait_for_signal(void)
{
    int sig = 0;
    while (sigwait(&waitset, &sig) != 0) {
    }
    return sig;
}

int cli_announce(const char *role, const char *listen, uint16_t port, int tls, const char *port_file)
{
    char host[64];
    const char *colon = strrchr(listen, ':');
    size_t n = colon ? (size_t)(colon - listen) : 0;
    if (n >= sizeof host) n = sizeof host - 1;
    memcpy(host, listen, n);
    host[n] = 0;
    printf("%s listening on %s://%s:%u\n", role, tls ? "https" : "http", host, port);
    fflush(stdout);
    if (!port_file) return 0;
    char b[16];
    int len = snprintf(b, sizeof b, "%u\n", port);
    cryptonn_part p = {b, (size_t)len};
    if (cryptonn_file_write_atomic(port_file, &p, 1, 0644) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn: cannot write %s\n", port_file);
        return 1;
    }
    return 0;
}

int cli_load_token(const char *path, char out[65])
{
    int rc = cryptonn_token_load(path, out);
    if (rc == CRYPTONN_ERR_AUTH)
        fprintf(stderr, "cryptonn: %s is readable by others: a token must be mode 0600\n", path);
    else if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: cannot read the token %s: %s (cryptonn keygen writes them)\n",
                path, cryptonn_status_str(rc));
    return rc;
}
