/* `cryptonn server`: the training server as a service, and its remote
 * control by the operator.
 *   serve   HTTP service (server_http.h): uploads from the data owners, each
 *           with its own token (the owners list), training on request with
 *           a checkpoint after every batch, status, secure prediction. Keys
 *           come from the authority over HTTP, retried with backoff while it
 *           is unreachable.
 *   train   asks a running server to train (POST /v1/train); --wait follows
 *           the status and fetches the model.
 *   stop    stops the running job after its current batch.
 *   status  prints GET /v1/status; parts prints GET /v1/parts. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "protocol/server_http.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn server serve --state DIR --token-file F --owners FILE [options]\n"
            "       cryptonn server train --server URL --token-file F [job options] [--wait]\n"
            "       cryptonn server stop|status|parts --server URL --token-file F\n\n"
            "serve: the training server as an HTTP service. Data owners upload encrypted\n"
            "parts with their own tokens (cryptonn client upload); training runs when the\n"
            "operator asks, with a checkpoint after every batch, and resumes after a crash\n"
            "when the service starts again.\n"
            "  --state DIR             the server's directory (created)\n"
            "  --listen HOST:PORT      (127.0.0.1:8471; port 0: any free port)\n"
            "  --authority URL         the key authority (http://127.0.0.1:8470)\n"
            "  --token-file F          the server's token towards the authority\n"
            "                          (tokens/server.token from keygen); not accepted here\n"
            "  --owners FILE           the owners list (owners.list from `authority add-owner`),\n"
            "                          re-read when it changes; without it no upload is accepted\n"
            "  --operator-token-file F the operator's token (DIR/operator.token, created when\n"
            "                          missing): the only one that trains, stops, reads status\n"
            "  --quota-parts N --quota-batches N --quota-bytes N --quota-requests N\n"
            "                          per owner (32, 4096, 17179869184, 4)\n"
            "  --header-timeout S --body-timeout S   absolute deadlines of a request's headers\n"
            "                          and body (10, 120); --timeout S: idle (120)\n"
            "  --max-conns N --per-address N   connection caps (256, 32)\n"
            "  --cert PEM --key PEM    serve HTTPS;  --cacert PEM: trust it for the authority\n"
            "  --retry-for S           keep retrying an unreachable authority for S s (300)\n"
            "  --port-file F           write the bound port there\n"
            "  --threads T             decryption threads (2)\n\n"
            "train (operator token): --model lenet5|mlp|FILE (a model file, docs/DATA.md)\n"
            "  --activation tanh|relu|sigmoid\n"
            "  --epochs N --lr X --momentum M --seed S --hidden H --max-batches N\n"
            "  --freeze-first-layer --w-bits B --dz-bits B --on-bad-part skip|stop (stop);\n"
            "  --wait: follow until done; --out F: then save the model\n");
}

enum { O_STATE = 256, O_LISTEN, O_AUTH, O_TOKEN, O_OWNERS, O_OPTOKEN, O_QPARTS, O_QBATCHES,
       O_QBYTES, O_QREQ, O_HEADT, O_BODYT, O_IDLE, O_MAXC, O_PERADDR, O_CERT, O_KEY, O_CACERT,
       O_RETRY, O_PORTF, O_THREADS, O_SERVER, O_MODEL, O_ACT, O_EPOCHS, O_LR, O_MOM, O_SEED,
       O_HIDDEN, O_MAXB, O_FREEZE, O_WB, O_DZB, O_DLOG, O_BADPART, O_WAIT, O_OUT, O_HELP };

typedef struct {
    const char *state, *listen, *auth, *token_file, *owners, *op_file, *port_file, *cacert;
    uint32_t retry, threads;
    cn_server_quota q;
    cn_http_service_opts so;
} serve_args;

/* 0 parsed, else the exit status. */
static int parse_serve(int argc, char **argv, serve_args *a)
{
    static const struct option lo[] = {
        {"state", 1, 0, O_STATE},          {"listen", 1, 0, O_LISTEN},
        {"authority", 1, 0, O_AUTH},       {"token-file", 1, 0, O_TOKEN},
        {"owners", 1, 0, O_OWNERS},        {"operator-token-file", 1, 0, O_OPTOKEN},
        {"quota-parts", 1, 0, O_QPARTS},   {"quota-batches", 1, 0, O_QBATCHES},
        {"quota-bytes", 1, 0, O_QBYTES},   {"quota-requests", 1, 0, O_QREQ},
        {"header-timeout", 1, 0, O_HEADT}, {"body-timeout", 1, 0, O_BODYT},
        {"timeout", 1, 0, O_IDLE},         {"max-conns", 1, 0, O_MAXC},
        {"per-address", 1, 0, O_PERADDR},  {"cert", 1, 0, O_CERT},
        {"key", 1, 0, O_KEY},              {"cacert", 1, 0, O_CACERT},
        {"retry-for", 1, 0, O_RETRY},      {"port-file", 1, 0, O_PORTF},
        {"threads", 1, 0, O_THREADS},      {"help", 0, 0, O_HELP},
        {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->listen = "127.0.0.1:8471";
    a->auth = "http://127.0.0.1:8470";
    a->retry = 300;
    a->threads = 2;
    cn_server_quota_default(&a->q);
    a->so.timeout_s = 120;
    cn_http_service_opts *so = &a->so;
    const char *S = "server serve";
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_STATE: a->state = optarg; break;
        case O_LISTEN: a->listen = optarg; break;
        case O_AUTH: a->auth = optarg; break;
        case O_TOKEN: a->token_file = optarg; break;
        case O_OWNERS: a->owners = optarg; break;
        case O_OPTOKEN: a->op_file = optarg; break;
        case O_QPARTS: bad |= cli_parse_u32(S, "quota-parts", optarg, 1, 1u << 20, &a->q.parts); break;
        case O_QBATCHES:
            bad |= cli_parse_u64(S, "quota-batches", optarg, 1, 1ull << 32, &a->q.batches);
            break;
        case O_QBYTES: bad |= cli_parse_u64(S, "quota-bytes", optarg, 1, 1ull << 50, &a->q.bytes); break;
        case O_QREQ: bad |= cli_parse_u32(S, "quota-requests", optarg, 1, 256, &a->q.requests); break;
        case O_HEADT: bad |= cli_parse_u32(S, "header-timeout", optarg, 1, 3600, &so->header_timeout_s); break;
        case O_BODYT: bad |= cli_parse_u32(S, "body-timeout", optarg, 1, 86400, &so->body_timeout_s); break;
        case O_IDLE: bad |= cli_parse_u32(S, "timeout", optarg, 1, 86400, &so->timeout_s); break;
        case O_MAXC: bad |= cli_parse_u32(S, "max-conns", optarg, 8, 65536, &so->max_conns); break;
        case O_PERADDR: bad |= cli_parse_u32(S, "per-address", optarg, 1, 65536, &so->per_address); break;
        case O_CERT: so->cert_file = optarg; break;
        case O_KEY: so->key_file = optarg; break;
        case O_CACERT: a->cacert = optarg; break;
        case O_RETRY: bad |= cli_parse_u32(S, "retry-for", optarg, 0, 86400, &a->retry); break;
        case O_PORTF: a->port_file = optarg; break;
        case O_THREADS: bad |= cli_parse_u32(S, "threads", optarg, 1, 64, &a->threads); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !a->state || !a->token_file) {
        fprintf(stderr, "cryptonn server serve: --state and --token-file are required\n\n");
        usage(stderr);
        return 2;
    }
    if (a->owners && access(a->owners, R_OK) != 0) {
        fprintf(stderr, "cryptonn server serve: cannot read the owners list %s\n", a->owners);
        return 2;
    }
    return -1;
}

/* The operator's token: distinct from the authority token and from every
 * owner's, so no other credential can drive training. */
static int operator_token(const serve_args *a, const char *token, cn_owner_db *owners,
                          char out[65])
{
    char path[4200], who[CN_OWNER_NAME_MAX + 1];
    if (!a->op_file) snprintf(path, sizeof path, "%s/operator.token", a->state);
    if (mkdir(a->state, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cryptonn server serve: cannot create %s\n", a->state);
        return 1;
    }
    if (cli_operator_token(a->op_file ? a->op_file : path, out)) return 1;
    if (!strcmp(out, token) || (owners && cn_owner_db_find(owners, out, 64, who))) {
        fprintf(stderr, "cryptonn server serve: the operator token must differ from the "
                        "authority token and from every owner's\n");
        cn_wipe(out, 65);
        return 1;
    }
    return 0;
}

static int serve(int argc, char **argv)
{
    serve_args a;
    int r = parse_serve(argc, argv, &a);
    if (r >= 0) return r;
    char token[65], optok[65];
    if (cli_load_token(a.token_file, token) != CRYPTONN_OK) return 1;
    cn_owner_db *owners = NULL;
    if (a.owners && cn_owner_db_open(&owners, a.owners) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn server serve: %s is not an owners list\n", a.owners);
        cn_wipe(token, sizeof token);
        return 1;
    }
    if (!a.owners)
        fprintf(stderr, "cryptonn server: warning: no --owners list: no upload is accepted\n");
    if (operator_token(&a, token, owners, optok)) {
        cn_wipe(token, sizeof token);
        cn_owner_db_close(owners);
        return 1;
    }
    cli_block_signals();
    cn_http_client_opts ao = {.base = a.auth, .token = token, .cacert = a.cacert, .timeout_s = 600,
                              .retry_for_s = a.retry, .backoff_ms = 100};
    cn_server_http *s = NULL;
    char msg[512] = "";
    int rc = cn_server_http_create(&s, a.state, &ao, a.threads, &a.q, msg, sizeof msg);
    cn_wipe(token, sizeof token);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn server: %s: %s\n", cryptonn_status_str(rc), msg);
        cn_wipe(optok, sizeof optok);
        cn_owner_db_close(owners);
        return 1;
    }
    if (msg[0]) fprintf(stderr, "cryptonn server: warning: %s\n", msg);
    a.so.listen = a.listen;
    a.so.token[CN_ROLE_OPERATOR] = optok;
    a.so.owners = owners;
    cn_server_http_bind(s, &a.so);
    cn_http_service *svc = NULL;
    rc = cn_http_service_start(&svc, &a.so, msg, sizeof msg);
    cn_wipe(optok, sizeof optok);
    int code = 1;
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn server: %s\n", msg);
    else if (cli_announce("server", a.listen, cn_http_service_port(svc), a.so.cert_file != NULL,
                          a.port_file) == 0) {
        int sig = cli_wait_for_signal();
        fprintf(stderr, "cryptonn server: %s: stopping (training resumes from its checkpoint)\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        code = 0;
    }
    cn_http_service_stop(svc);
    cn_server_http_destroy(s);
    cn_owner_db_close(owners);
    return code;
}

static int remote(const char *server, const char *token_file, const char *cacert,
                  cn_http_client **c)
{
    return cli_http_client(server, token_file, cacert, 60, 30, c);
}

/* One call whose answer is printed (or returned in *out); 0 on want. */
static int call(cn_http_client *c, const char *method, const char *path, const char *body,
                long want, char **out)
{
    long st = 0;
    char msg[512];
    uint8_t *b = NULL;
    int rc = cn_http_call(c, method, path, body ? "application/json" : NULL,
                          (const uint8_t *)body, body ? strlen(body) : 0, &st, &b, NULL, msg,
                          sizeof msg);
    if (rc != CRYPTONN_OK || st != want) {
        fprintf(stderr, "cryptonn server: %s %s: %s\n", method, path,
                rc != CRYPTONN_OK ? msg : b ? (char *)b : "");
        free(b);
        return 1;
    }
    if (out) *out = (char *)b;
    else free(b);
    return 0;
}

/* A job option given on the command line, as JSON for the server, which
 * validates it. */
static int add_option(char *body, size_t cap, size_t *w, const char *key, const char *val, int str)
{
    for (const char *q = val; *q; q++)
        if (*q == '"' || *q == '\\' || (unsigned char)*q < 0x20) {
            fprintf(stderr, "cryptonn server train: bad value for --%s\n", key);
            return 2;
        }
    *w += (size_t)snprintf(body + *w, cap - *w, "%s\"%s\":%s%s%s", *w > 1 ? "," : "", key,
                           str ? "\"" : "", val, str ? "\"" : "");
    if (*w >= cap - 2) {
        fprintf(stderr, "cryptonn server train: options too long\n");
        return 2;
    }
    return 0;
}

/* A model file travels in the job as "model_file": the server checks it. */
static int add_model_file(char *body, size_t cap, size_t *w, const char *path)
{
    uint8_t *b;
    size_t len;
    int rc = cn_file_read_all(path, 3000, &b, &len);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn server train: %s: %s (a model file of at most 3000 bytes)\n",
                path, cryptonn_status_str(rc));
        return 2;
    }
    *w += (size_t)snprintf(body + *w, cap - *w, "%s\"model\":\"file\",\"model_file\":%.*s",
                           *w > 1 ? "," : "", (int)len, (const char *)b);
    free(b);
    if (*w >= cap - 2) {
        fprintf(stderr, "cryptonn server train: options too long\n");
        return 2;
    }
    return 0;
}

static int follow(cn_http_client *cl, const char *out)
{
    for (;;) {
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
        char *js = NULL;
        if (call(cl, "GET", "/v1/status", NULL, 200, &js)) return 1;
        fprintf(stderr, "\r%-150.150s", js);
        int done = strstr(js, "\"state\":\"done\"") != NULL;
        int failed = strstr(js, "\"state\":\"failed\"") || strstr(js, "\"state\":\"stopped\"");
        if (done || failed) fprintf(stderr, "\n%s\n", js);
        free(js);
        if (failed) return 1;
        if (done) break;
    }
    if (!out) return 0;
    uint8_t *b = NULL;
    size_t len = 0;
    long st = 0;
    char msg[256];
    int rc = cn_http_call(cl, "GET", "/v1/model", NULL, NULL, 0, &st, &b, &len, msg, sizeof msg);
    cn_part p = {b, len};
    int code = rc != CRYPTONN_OK || st != 200 || cn_file_write_atomic(out, &p, 1, 0644) != CRYPTONN_OK;
    if (code) fprintf(stderr, "cryptonn server train: cannot fetch the model to %s\n", out);
    else printf("model saved to %s\n", out);
    free(b);
    return code;
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
        {"on-bad-part", 1, 0, O_BADPART},
        {"wait", 0, 0, O_WAIT},      {"out", 1, 0, O_OUT},          {"help", 0, 0, O_HELP},
        {0, 0, 0, 0}};
    static const struct {
        int opt;
        const char *key;
        int str;
    } KEYS[] = {{O_MODEL, "model", 1},   {O_ACT, "activation", 1}, {O_EPOCHS, "epochs", 0},
                {O_LR, "lr", 0},         {O_MOM, "momentum", 0},   {O_SEED, "seed", 0},
                {O_HIDDEN, "hidden", 0}, {O_MAXB, "max_batches", 0}, {O_WB, "w_bits", 0},
                {O_DZB, "dz_bits", 0},   {O_DLOG, "dlog_bits", 0}, {O_BADPART, "on_bad_part", 1},
                {O_FREEZE, "freeze_first_layer", 0}};
    const char *server = NULL, *token_file = NULL, *cacert = NULL, *out = NULL;
    char body[4096];
    size_t w = (size_t)snprintf(body, sizeof body, "{");
    int wait = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == O_SERVER) server = optarg;
        else if (c == O_TOKEN) token_file = optarg;
        else if (c == O_CACERT) cacert = optarg;
        else if (c == O_WAIT) wait = 1;
        else if (c == O_OUT) out = optarg;
        else if (c == O_HELP || c == 'h') return usage(stdout), 0;
        else {
            size_t k = 0;
            while (k < sizeof KEYS / sizeof KEYS[0] && KEYS[k].opt != c) k++;
            if (k == sizeof KEYS / sizeof KEYS[0]) return usage(stderr), 2;
            const char *val = c == O_FREEZE ? "true" : optarg;
            if (c == O_MODEL && strcmp(optarg, "lenet5") && strcmp(optarg, "mlp")) {
                if (add_model_file(body, sizeof body, &w, optarg)) return 2;
            } else if (add_option(body, sizeof body, &w, KEYS[k].key, val, KEYS[k].str)) {
                return 2;
            }
        }
    }
    snprintf(body + w, sizeof body - w, "}");
    if (optind != argc || !server || !token_file) {
        usage(stderr);
        return 2;
    }
    cn_http_client *cl = NULL;
    if (remote(server, token_file, cacert, &cl)) return 1;
    int code = call(cl, "POST", "/v1/train", body, 202, NULL);
    if (!code) printf("training started on %s\n", server);
    if (!code && wait) code = follow(cl, out);
    cn_http_client_destroy(cl);
    return code;
}

/* stop, status, parts: one call each. */
static int simple(const char *what, int argc, char **argv)
{
    static const struct option lo[] = {{"server", 1, 0, O_SERVER}, {"token-file", 1, 0, O_TOKEN},
                                       {"cacert", 1, 0, O_CACERT}, {"help", 0, 0, O_HELP},
                                       {0, 0, 0, 0}};
    const char *server = NULL, *token_file = NULL, *cacert = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        if (c == O_SERVER) server = optarg;
        else if (c == O_TOKEN) token_file = optarg;
        else if (c == O_CACERT) cacert = optarg;
        else {
            usage(c == 'h' || c == O_HELP ? stdout : stderr);
            return c == 'h' || c == O_HELP ? 0 : 2;
        }
    }
    if (optind != argc || !server || !token_file) {
        usage(stderr);
        return 2;
    }
    cn_http_client *cl = NULL;
    if (remote(server, token_file, cacert, &cl)) return 1;
    char *js = NULL;
    int stop = !strcmp(what, "stop");
    int code = call(cl, stop ? "POST" : "GET", stop ? "/v1/stop" : !strcmp(what, "parts") ? "/v1/parts"
                    : "/v1/status", stop ? "{}" : NULL, stop ? 202 : 200, &js);
    if (!code) printf("%s\n", js);
    free(js);
    cn_http_client_destroy(cl);
    return code;
}

int cli_server(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "serve")) return serve(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "train")) return train(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "status") || !strcmp(argv[1], "stop") ||
                      !strcmp(argv[1], "parts")))
        return simple(argv[1], argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
