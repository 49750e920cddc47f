/* Helpers of the service commands (cmd_server_common.h). */
#include "cli/cmd_server_common.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "cryptonn/status.h"
#include "protocol/http.h"
#include "util/util.h"

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
    cn_part p = {b, (size_t)len};
    if (cn_file_write_atomic(port_file, &p, 1, 0644) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn: cannot write %s\n", port_file);
        return 1;
    }
    return 0;
}

int cli_load_token(const char *path, char out[65])
{
    int rc = cn_token_load(path, out);
    if (rc == CRYPTONN_ERR_AUTH)
        fprintf(stderr, "cryptonn: %s is readable by others: a token must be mode 0600\n", path);
    else if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: cannot read the token %s: %s (cryptonn keygen writes them)\n",
                path, cryptonn_status_str(rc));
    return rc;
}

int cli_create_tokens(const char *state)
{
    char dir[4096], path[4200];
    snprintf(dir, sizeof dir, "%s/tokens", state);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cryptonn: cannot create %s\n", dir);
        return CRYPTONN_ERR_IO;
    }
    static const char *const ROLE[2] = {"server", "client"};
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/%s.token", dir, ROLE[i]);
        int rc = cn_token_create(path);
        if (rc != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn: cannot create %s (it exists, or the directory is not "
                            "writable)\n", path);
            return rc;
        }
    }
    printf("bearer tokens in %s: server.token (give it to the training server), client.token "
           "(to the data owners), mode 0600\n", dir);
    return CRYPTONN_OK;
}
