/* `cryptonn authority serve`: the key authority as an HTTP service
 * (services.h routes; DESIGN §2, §6). Its state is the directory that
 * `cryptonn keygen` created; the key log and the rank state survive restarts
 * (authority.h). SIGTERM/SIGINT stop it after the requests in progress. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "protocol/services.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn authority serve --state DIR [--listen 127.0.0.1:PORT] [options]\n\n"
            "Serves the key authority over HTTP: GET /v1/params (public parameters),\n"
            "POST /v1/keys (key requests of the training server, bearer token required),\n"
            "GET /v1/leakage (revealed rank and keys per mpk), GET /v1/health.\n\n"
            "  --state DIR          authority state (cryptonn keygen)\n"
            "  --listen HOST:PORT   IPv4 address and port (127.0.0.1:8470; port 0: any free)\n"
            "  --token-file F       the server role's token (DIR/tokens/server.token)\n"
            "  --cert PEM --key PEM serve HTTPS\n"
            "  --min-support N      refuse keys with fewer non-zeros (2)\n"
            "  --max-rank N         revealed-rank budget per mpk (none)\n"
            "  --port-file F        write the bound port there (for scripts and tests)\n"
            "  --timeout S          idle connection timeout (30)\n");
}

enum { O_STATE = 256, O_LISTEN, O_TOKEN, O_CERT, O_KEY, O_MINS, O_MAXR, O_PORTF, O_TIMEOUT, O_HELP };

static int serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", 1, 0, O_STATE},      {"listen", 1, 0, O_LISTEN},  {"token-file", 1, 0, O_TOKEN},
        {"cert", 1, 0, O_CERT},        {"key", 1, 0, O_KEY},        {"min-support", 1, 0, O_MINS},
        {"max-rank", 1, 0, O_MAXR},    {"port-file", 1, 0, O_PORTF}, {"timeout", 1, 0, O_TIMEOUT},
        {"help", 0, 0, O_HELP},        {0, 0, 0, 0}};
    const char *state = NULL, *listen = "127.0.0.1:8470", *token_file = NULL, *port_file = NULL;
    cn_http_service_opts so = {0};
    cn_policy pol;
    cn_policy_default(&pol);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_STATE: state = optarg; break;
        case O_LISTEN: listen = optarg; break;
        case O_TOKEN: token_file = optarg; break;
        case O_CERT: so.cert_file = optarg; break;
        case O_KEY: so.key_file = optarg; break;
        case O_MINS: pol.min_support = (uint32_t)strtoul(optarg, NULL, 10); break;
        case O_MAXR: pol.max_rank = strtoull(optarg, NULL, 10); break;
        case O_PORTF: port_file = optarg; break;
        case O_TIMEOUT: so.timeout_s = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !state) {
        usage(stderr);
        return 2;
    }
    char tpath[4096], token[65], params[4096];
    if (!token_file) {
        snprintf(tpath, sizeof tpath, "%s/tokens/server.token", state);
        token_file = tpath;
    }
    if (cli_load_token(token_file, token) != CRYPTONN_OK) return 1;
    snprintf(params, sizeof params, "%s/params.bin", state);
    cn_authority *a = NULL;
    int rc = cn_authority_open(&a, state, &pol);
    if (rc != CRYPTONN_OK) {
        cn_wipe(token, sizeof token);
        fprintf(stderr, "cryptonn authority: cannot open %s: %s\n", state, cryptonn_status_str(rc));
        return 1;
    }
    cn_authority_http *h = NULL;
    if ((rc = cn_authority_http_create(&h, a, params)) != CRYPTONN_OK) {
        cn_authority_close(a);
        cn_wipe(token, sizeof token);
        return cli_fail(params, rc);
    }
    cli_block_signals();
    so.listen = listen;
    so.token[CN_ROLE_SERVER] = token;
    so.owners = cli_owner_db(state); /* the owners' tokens (cmd_owners.c) */
    cn_authority_http_bind(h, &so);
    cn_http_service *svc = NULL;
    char msg[256] = "";
    rc = cn_http_service_start(&svc, &so, msg, sizeof msg);
    cn_wipe(token, sizeof token); /* the service keeps its own copy */
    int code = 1;
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn authority: %s\n", msg);
    else if (cli_announce("authority", listen, cn_http_service_port(svc), so.cert_file != NULL,
                          port_file) == 0) {
        int sig = cli_wait_for_signal();
        fprintf(stderr, "cryptonn authority: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        code = 0;
    }
    cn_http_service_stop(svc);
    cn_owner_db_close(so.owners);
    uint64_t ok, refused, bad;
    cn_authority_http_counts(h, &ok, &refused, &bad);
    cn_authority_http_destroy(h);
    cn_authority_close(a);
    if (code == 0)
        printf("authority stopped: %llu key requests answered, %llu refused by policy, %llu "
               "malformed or failed\n",
               (unsigned long long)ok, (unsigned long long)refused, (unsigned long long)bad);
    return code;
}

int cli_authority(int argc, char **argv)
{
    int owners = argc >= 2 ? cli_authority_owner(argc - 1, argv + 1) : -1;
    if (owners >= 0) return owners;
    if (argc >= 2 && !strcmp(argv[1], "serve")) return serve(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
