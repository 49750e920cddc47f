/* `cryptonn authority serve`: the key authority as an HTTP service
 * (services.h routes; DESIGN §2, §6). Its state is the directory that
 * `cryptonn keygen` created; the key log and the rank state survive restarts
 * (authority.h). SIGTERM/SIGINT stop it after the requests in progress. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "cryptonn/cryptonn.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn authority serve --state DIR [--listen 127.0.0.1:PORT] [options]\n"
            "       cryptonn authority register --state DIR FILE...\n"
            "       cryptonn authority export-keys --state DIR --out FILE\n\n"
            "register: records the data owners' label registrations (FILE from `cryptonn\n"
            "encrypt`); in strict mode label keys are issued only for registered ciphertexts.\n"
            "export-keys: writes the key vectors the server holds under the samples mpk\n"
            "(public functions, no secret) for the owners' audit (`cryptonn audit --keys`).\n\n"
            "Serves the key authority over HTTP: GET /v1/params (public parameters),\n"
            "POST /v1/keys (key requests of the training server, bearer token required),\n"
            "GET /v1/leakage (revealed rank and keys per mpk), GET /v1/health,\n"
            "POST /v1/labels (owners' label registrations, client token),\n"
            "GET /v1/keys/export (the export-keys file, client token).\n\n"
            "  --state DIR          authority state (cryptonn keygen)\n"
            "  --listen HOST:PORT   IPv4 address and port (127.0.0.1:8470; port 0: any free)\n"
            "  --token-file F       the server role's token (DIR/tokens/server.token)\n"
            "  --cert PEM --key PEM serve HTTPS\n"
            "  --min-support N      refuse keys with fewer non-zeros (2)\n"
            "  --max-rank N         revealed-rank budget per mpk (none)\n"
            "  --label-uses N       strict mode: label keys per registered ciphertext, one\n"
            "                       per epoch of the training schedule (2)\n"
            "  --port-file F        write the bound port there (for scripts and tests)\n"
            "  --timeout S          idle connection timeout (30)\n");
}

enum {
    O_STATE = 256, O_LISTEN, O_TOKEN, O_CERT, O_KEY, O_MINS, O_MAXR, O_PORTF, O_TIMEOUT, O_HELP,
    O_USES, O_OUT
};

static int serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", 1, 0, O_STATE},      {"listen", 1, 0, O_LISTEN},  {"token-file", 1, 0, O_TOKEN},
        {"cert", 1, 0, O_CERT},        {"key", 1, 0, O_KEY},        {"min-support", 1, 0, O_MINS},
        {"max-rank", 1, 0, O_MAXR},    {"port-file", 1, 0, O_PORTF}, {"timeout", 1, 0, O_TIMEOUT},
        {"label-uses", 1, 0, O_USES},  {"help", 0, 0, O_HELP},      {0, 0, 0, 0}};
    const char *state = NULL, *port_file = NULL;
    cryptonn_service_opts so;
    cryptonn_service_opts_default(&so);
    so.listen = "127.0.0.1:8470";
    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_STATE: state = optarg; break;
        case O_LISTEN: so.listen = optarg; break;
        case O_TOKEN: so.token_file = optarg; break;
        case O_CERT: so.cert_file = optarg; break;
        case O_KEY: so.key_file = optarg; break;
        case O_MINS:
            bad |= cli_parse_u32("authority", "min-support", optarg, 0, 1u << 30, &pol.min_support);
            break;
        case O_MAXR:
            bad |= cli_parse_u64("authority", "max-rank", optarg, 0, UINT64_MAX, &pol.max_rank);
            break;
        case O_USES:
            bad |= cli_parse_u32("authority", "label-uses", optarg, 1, 1u << 20, &pol.label_uses);
            break;
        case O_PORTF: port_file = optarg; break;
        case O_TIMEOUT: bad |= cli_parse_u32("authority", "timeout", optarg, 1, 3600, &so.timeout_s); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !state) {
        usage(stderr);
        return 2;
    }
    cryptonn_authority *a = NULL;
    int rc = cryptonn_authority_open(&a, state, &pol);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn authority: cannot open %s: %s\n", state, cryptonn_status_str(rc));
        return 1;
    }
    cli_block_signals();
    cryptonn_authority_service *svc = NULL;
    char msg[512] = "";
    rc = cryptonn_authority_service_start(&svc, a, state, &so, msg, sizeof msg);
    int code = 1;
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn authority: %s\n", msg[0] ? msg : cryptonn_status_str(rc));
    else if (cli_announce("authority", so.listen, cryptonn_authority_service_port(svc),
                          so.cert_file != NULL, port_file) == 0) {
        int sig = cli_wait_for_signal();
        fprintf(stderr, "cryptonn authority: %s: stopping\n", sig == SIGTERM ? "SIGTERM" : "SIGINT");
        code = 0;
    }
    uint64_t ok = 0, refused = 0, failed = 0;
    if (svc) cryptonn_authority_service_counts(svc, &ok, &refused, &failed);
    cryptonn_authority_service_stop(svc);
    cryptonn_authority_close(a);
    if (code == 0)
        printf("authority stopped: %llu key requests answered, %llu refused by policy, %llu "
               "malformed or failed\n",
               (unsigned long long)ok, (unsigned long long)refused, (unsigned long long)failed);
    return code;
}

/* --state DIR (and --out FILE for export-keys) then operands. */
static int state_args(int argc, char **argv, const char **state, const char **out)
{
    static const struct option lo[] = {
        {"state", 1, 0, O_STATE}, {"out", 1, 0, O_OUT}, {"help", 0, 0, O_HELP}, {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_STATE: *state = optarg; break;
        case O_OUT:
            if (!out) {
                usage(stderr);
                return 2;
            }
            *out = optarg;
            break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (!*state || (out && !*out)) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static int open_authority(const char *state, cryptonn_authority **a)
{
    int rc = cryptonn_authority_open(a, state, NULL);
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn authority: cannot open %s: %s\n", state, cryptonn_status_str(rc));
    return rc == CRYPTONN_OK ? 0 : 1;
}

static int cmd_register(int argc, char **argv)
{
    const char *state = NULL;
    int r = state_args(argc, argv, &state, NULL);
    if (r >= 0) return r;
    if (optind == argc) {
        fprintf(stderr, "cryptonn authority register: no registration file given\n");
        return 2;
    }
    cryptonn_authority *a;
    if (open_authority(state, &a)) return 1;
    int code = 0;
    for (int i = optind; i < argc && code == 0; i++) {
        uint64_t added = 0;
        char why[512] = "";
        int rc = cryptonn_authority_register_file(a, argv[i], &added, why, sizeof why);
        if (rc != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn authority register: %s: %s (nothing registered from it)\n",
                    argv[i], why[0] ? why : cryptonn_status_str(rc));
            code = 1;
        } else {
            printf("%s: %llu new label ciphertexts registered\n", argv[i],
                   (unsigned long long)added);
        }
    }
    cryptonn_authority_close(a);
    return code;
}

static int cmd_export(int argc, char **argv)
{
    const char *state = NULL, *out = NULL;
    int r = state_args(argc, argv, &state, &out);
    if (r >= 0) return r;
    if (optind != argc) {
        usage(stderr);
        return 2;
    }
    cryptonn_authority *a;
    if (open_authority(state, &a)) return 1;
    uint64_t n = 0;
    int rc = cryptonn_authority_export_keys(a, out, &n);
    const int strict = cryptonn_authority_mode(a) == CRYPTONN_MODE_STRICT;
    cryptonn_authority_close(a);
    if (rc == CRYPTONN_OK)
        printf("%s: %llu key vectors (%s mode) of the samples mpk\n", out, (unsigned long long)n,
               strict ? "strict" : "paper");
    return rc == CRYPTONN_OK ? 0 : cli_fail(out, rc);
}

int cli_authority(int argc, char **argv)
{
    int owners = argc >= 2 ? cli_authority_owner(argc - 1, argv + 1) : -1;
    if (owners >= 0) return owners;
    if (argc >= 2 && !strcmp(argv[1], "serve")) return serve(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "register")) return cmd_register(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "export-keys")) return cmd_export(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
