/* Helpers of the service commands (cmd_server_common.h). */
#include "cli/cmd_server_common.h"

#include <errno.h>
#include <signal.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

int cli_http_client(const char *server, const char *token_file, const char *cacert,
                    unsigned timeout_s, unsigned retry_s, cn_http_client **c)
{
    char token[65];
    if (cli_load_token(token_file, token) != CRYPTONN_OK) return 1;
    cn_http_client_opts o = {.base = server, .token = token, .cacert = cacert,
                             .timeout_s = timeout_s, .retry_for_s = retry_s};
    int rc = cn_http_client_create(c, &o);
    cn_wipe(token, sizeof token);
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn: http client: %s\n", cryptonn_status_str(rc));
    return rc == CRYPTONN_OK ? 0 : 1;
}

int cli_operator_token(const char *path, char out[65])
{
    if (access(path, F_OK) != 0) {
        int rc = cn_token_create(path);
        if (rc != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn: cannot create the operator token %s\n", path);
            return rc;
        }
        printf("operator token written to %s (mode 0600): it alone starts, stops and configures "
               "training\n", path);
    }
    return cli_load_token(path, out);
}

cn_owner_db *cli_owner_db(const char *state)
{
    char list[4096];
    snprintf(list, sizeof list, "%s/owners.list", state);
    cn_owner_db *db = NULL;
    int rc = cn_owner_db_open(&db, list);
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: %s: %s; no data owner is accepted\n", list,
                cryptonn_status_str(rc));
    return db;
}
