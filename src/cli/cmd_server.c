/* `cryptonn server`: the training server as a service, and its remote
 * control.
 *   serve   HTTP service (server_http.h): uploads from the data owners,
 *           training on request with a checkpoint after every batch,
 *           status, secure prediction. Keys come from the authority over
 *           HTTP, retried with backoff while it is unreachable.
 *   train   asks a running server to train (POST /v1/train); --wait follows
 *           the status and fetches the model.
 *   status  prints GET /v1/status. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "protocol/server_http.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn server serve --state DIR --authority URL [options]\n"
            "       cryptonn server train --server URL --token-file F [job options] [--wait]\n"
            "       cryptonn server status --server URL --token-file F\n\n"
            "serve: the training server as an HTTP service. Data owners upload encrypted\n"
            "parts (cryptonn client upload); training runs on request with a checkpoint\n"
            "after every batch and resumes after a crash when the service starts again.\n"
            "  --state DIR           the server's directory (created)\n"
            "  --listen HOST:PORT    (127.0.0.1:8471; port 0: any free port)\n"
            "  --authority URL       the key authority (http://127.0.0.1:8470)\n"
            "  --token-file F        the server role's token (tokens/server.token): sent to\n"
            "                        the authority, and accepted for train/status\n"
            "  --client-token-file F the data owners' token (tokens/client.token), accepted\n"
            "                        for uploads (without it no upload is accepted)\n"
            "  --cert PEM --key PEM  serve HTTPS;  --cacert PEM: trust it for the authority\n"
            "  --retry-for S         keep retrying an unreachable authority for S s (300)\n"
            "  --port-file F         write the bound port there\n"
            "  --threads T           decryption threads (2)\n\n"
            "train: --model lenet5|mlp --activation tanh|relu|sigmoid --epochs N --lr X\n"
            "  --momentum M --seed S --hidden H --max-batches N --freeze-first-layer\n"
            "  --w-bits B --dz-bits B; --wait: follow until done; --out F: then save the model\n");
}

enum { O_STATE = 256, O_LISTEN, O_AUTH, O_TOKEN, O_CTOKEN, O_CERT, O_KEY, O_CACERT, O_RETRY,
       O_PORTF, O_THREADS, O_SERVER, O_MODEL, O_ACT, O_EPOCHS, O_LR, O_MOM, O_SEED, O_HIDDEN,
       O_MAXB, O_FREEZE, O_WB, O_DZB, O_DLOG, O_WAIT, O_OUT, O_HELP };

static int serve(int argc, char **argv)
{
    static const struct option lo[] = {
        {"state", 1, 0, O_STATE},     {"listen", 1, 0, O_LISTEN},   {"authority", 1, 0, O_AUTH},
        {"token-file", 1, 0, O_TOKEN}, {"client-token-file", 1, 0, O_CTOKEN},
        {"cert", 1, 0, O_CERT},       {"key", 1, 0, O_KEY},         {"cacert", 1, 0, O_CACERT},
        {"retry-for", 1, 0, O_RETRY}, {"port-file", 1, 0, O_PORTF}, {"threads", 1, 0, O_THREADS},
        {"help", 0, 0, O_HELP},       {0, 0, 0, 0}};
    const char *state = NULL, *listen = "127.0.0.1:8471", *auth = "http://127.0.0.1:8470";
    const char *token_file = NULL, *ctoken_file = NULL, *port_file = NULL, *cacert = NULL;
    unsigned retry = 300, threads = 2;
    cn_http_service_opts so = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_STATE: state = optarg; break;
        case O_LISTEN: listen = optarg; break;
        case O_AUTH: auth = optarg; break;
        case O_TOKEN: token_file = optarg; break;
        case O_CTOKEN: ctoken_file = optarg; break;
        case O_CERT: so.cert_file = optarg; break;
        case O_KEY: so.key_file = optarg; break;
        case O_CACERT: cacert = optarg; break;
        case O_RETRY: retry = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_PORTF: port_file = optarg; break;
        case O_THREADS: threads = (unsigned)strtoul(optarg, NULL, 10); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !state || !token_file || threads < 1 || threads > 64) {
        fprintf(stderr, "cryptonn server serve: --state and --token-file are required\n\n");
        usage(stderr);
        return 2;
    }
    char token[65], ctoken[65];
    if (cli_load_token(token_file, token) != CRYPTONN_OK) return 1;
    if (ctoken_file && cli_load_token(ctoken_file, ctoken) != CRYPTONN_OK) {
        cn_wipe(token, sizeof token);
        return 1;
    }
    cli_block_signals();
    cn_http_client_opts ao = {.base = auth, .token = token, .cacert = cacert, .timeout_s = 600,
                              .retry_for_s = retry, .backoff_ms = 100};
    cn_server_http *s = NULL;
    char msg[512] = "";
    int rc = cn_server_http_create(&s, state, &ao, threads, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn server: %s: %s\n", cryptonn_status_str(rc), msg);
        cn_wipe(token, sizeof token);
        cn_wipe(ctoken, sizeof ctoken);
        return 1;
    }
    if (msg[0]) fprintf(stderr, "cryptonn server: warning: %s\n", msg);
    so.listen = listen;
    so.timeout_s = 120;
    so.token[CN_ROLE_SERVER] = token;
    so.token[CN_ROLE_CLIENT] = ctoken_file ? ctoken : NULL;
    cn_server_http_bind(s, &so);
    cn_http_service *svc = NULL;
    rc = cn_http_service_start(&svc, &so, msg, sizeof msg);
    cn_wipe(token, sizeof token);
    cn_wipe(ctoken, sizeof ctoken);
    int code = 1;
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn server: %s\n", msg);
    else if (cli_announce("server", listen, cn_http_service_port(svc), so.cert_file != NULL,
                          port_file) == 0) {
        int sig = cli_wait_for_signal();
        fprintf(stderr, "cryptonn server: %s: stopping (training resumes from its checkpoint)\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        code = 0;
    }
    cn_http_service_stop(svc);
    cn_server_http_destroy(s);
    return code;
}

static int remote(const char *server, const char *token_file, const char *cacert,
                  cn_http_client **c)
{
    char token[65];
    if (cli_load_token(token_file, token) != CRYPTONN_OK) return 1;
    cn_http_client_opts o = {.base = server, .token = token, .cacert = cacert, .timeout_s = 60,
                             .retry_for_s = 30};
    int rc = cn_http_client_create(c, &o);
    cn_wipe(token, sizeof token);
    return rc == CRYPTONN_OK ? 0 : cli_fail("http client", rc);
}

static int get_status(cn_http_client *c, char **out)
{
    long st = 0;
    char msg[512];
    uint8_t *b = NULL;
    int rc = cn_http_call(c, "GET", "/v1/status", NULL, NULL, 0, &st, &b, NULL, msg, sizeof msg);
    if (rc != CRYPTONN_OK || st != 200) {
        fprintf(stderr, "cryptonn server: status: %s\n", rc != CRYPTONN_OK ? msg : b ? (char *)b : "");
        free(b);
        return 1;
    }
    *out = (char *)b;
    return 0;
}

static int train(int argc, char **argv)
{
    static const struct option lo[] = {
        {"server", 1, 0, O_SERVER},  {"token-file", 1, 0, O_TOKEN}, {"cacert", 1, 0, O_CACERT},
        {"model", 1, 0, O_MODEL},    {"activation", 1, 0, O_ACT},   {"epochs", 1, 0, O_EPOCHS},
        {"lr", 1, 0, O_LR},          {"momentum", 1, 0, O_MOM},     {"seed", 1, 0, O_SEED},
        {"hidden", 1, 0, O_HIDDEN},  {"max-batches", 1, 0, O_MAXB},
        {"freeze-first-layer", 0, 0, O_FREEZE}, {"w-bits", 1, 0, O_WB}, {"dz-bits", 1, 0, O_DZB},
        {"dlog-bits", 1, 0, O_DLOG}, /* hidden: small tables for tests */
        {"wait", 0, 0, O_WAIT},      {"out", 1, 0, O_OUT},          {"help", 0, 0, O_HELP},
        {0, 0, 0, 0}};
    const char *server = NULL, *token_file = NULL, *cacert = NULL, *out = NULL;
    char body[1024];
    size_t w = (size_t)snprintf(body, sizeof body, "{");
    int wait = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        const char *key = NULL;
        int str = 0;
        switch (c) {
        case O_SERVER: server = optarg; break;
        case O_TOKEN: token_file = optarg; break;
        case O_CACERT: cacert = optarg; break;
        case O_WAIT: wait = 1; break;
        case O_OUT: out = optarg; break;
        case O_MODEL: key = "model", str = 1; break;
        case O_ACT: key = "activation", str = 1; break;
        case O_EPOCHS: key = "epochs"; break;
        case O_LR: key = "lr"; break;
        case O_MOM: key = "momentum"; break;
        case O_SEED: key = "seed"; break;
        case O_HIDDEN: key = "hidden"; break;
        case O_MAXB: key = "max_batches"; break;
        case O_WB: key = "w_bits"; break;
        case O_DZB: key = "dz_bits"; break;
        case O_DLOG: key = "dlog_bits"; break;
        case O_FREEZE:
            w += (size_t)snprintf(body + w, sizeof body - w, "%s\"freeze_first_layer\":true",
                                  w > 1 ? "," : "");
            break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
        if (key) {
            /* values go to the server as JSON; it validates them */
            for (const char *q = optarg; *q; q++)
                if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20) {
                    fprintf(stderr, "cryptonn server train: bad value for --%s\n", key);
                    return 2;
                }
            w += (size_t)snprintf(body + w, sizeof body - w, "%s\"%s\":%s%s%s", w > 1 ? "," : "",
                                  key, str ? "\"" : "", optarg, str ? "\"" : "");
        }
        if (w >= sizeof body - 2) {
            fprintf(stderr, "cryptonn server train: options too long\n");
            return 2;
        }
    }
    snprintf(body + w, sizeof body - w, "}");
    if (optind != argc || !server || !token_file) {
        usage(stderr);
        return 2;
    }
    cn_http_client *cl = NULL;
    if (remote(server, token_file, cacert, &cl)) return 1;
    long st = 0;
    char msg[512];
    uint8_t *b = NULL;
    int rc = cn_http_call(cl, "POST", "/v1/train", "application/json", (const uint8_t *)body,
                          strlen(body), &st, &b, NULL, msg, sizeof msg);
    if (rc != CRYPTONN_OK || st != 202) {
        fprintf(stderr, "cryptonn server train: %s\n", rc != CRYPTONN_OK ? msg : b ? (char *)b : "");
        free(b);
        cn_http_client_destroy(cl);
        return 1;
    }
    free(b);
    printf("training started on %s\n", server);
    int code = 0;
    while (wait) {
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
        char *js = NULL;
        if (get_status(cl, &js)) {
            code = 1;
            break;
        }
        fprintf(stderr, "\r%-150.150s", js);
        int done = strstr(js, "\"state\":\"done\"") != NULL;
        int failed = strstr(js, "\"state\":\"failed\"") || strstr(js, "\"state\":\"stopped\"");
        if (done || failed) fprintf(stderr, "\n%s\n", js);
        free(js);
        if (failed) code = 1;
        if (done || failed) break;
    }
    if (wait && !code && out) {
        b = NULL;
        size_t len = 0;
        rc = cn_http_call(cl, "GET", "/v1/model", NULL, NULL, 0, &st, &b, &len, msg, sizeof msg);
        cn_part p = {b, len};
        if (rc != CRYPTONN_OK || st != 200 || cn_file_write_atomic(out, &p, 1, 0644) != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn server train: cannot fetch the model to %s\n", out);
            code = 1;
        } else printf("model saved to %s\n", out);
        free(b);
    }
    cn_http_client_destroy(cl);
    return code;
}

static int status(int argc, char **argv)
{
    static const struct option lo[] = {{"server", 1, 0, O_SERVER}, {"token-file", 1, 0, O_TOKEN},
                                       {"cacert", 1, 0, O_CACERT}, {0, 0, 0, 0}};
    const char *server = NULL, *token_file = NULL, *cacert = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == O_SERVER) server = optarg;
        else if (c == O_TOKEN) token_file = optarg;
        else if (c == O_CACERT) cacert = optarg;
        else {
            usage(c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : 2;
        }
    }
    if (!server || !token_file) {
        usage(stderr);
        return 2;
    }
    cn_http_client *cl = NULL;
    if (remote(server, token_file, cacert, &cl)) return 1;
    char *js = NULL;
    int code = get_status(cl, &js);
    if (!code) printf("%s\n", js);
    free(js);
    cn_http_client_destroy(cl);
    return code;
}

int cli_server(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve")) return serve(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "train")) return train(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "status")) return status(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
