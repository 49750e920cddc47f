/* `cryptonn server`: the training server as a service, and its remote
 * control by the operator.
 *   serve   HTTP service (cryptonn_server_service_*): uploads from the data owners, each
 *           with its own token (the owners list), training on request with
 *           a checkpoint after every batch, status, secure prediction. Keys
 *           come from the authority over HTTP, retried with backoff while it
 *           is unreachable.
 *   train   asks a running server to train (POST /v1/train); --wait follows
 *           the status and fetches the model.
 *   stop    stops the running job after its current batch.
 *   status  prints GET /v1/status; parts prints GET /v1/parts. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "cryptonn/cryptonn.h"

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
    const char *state, *port_file;
    cryptonn_server_service_opts so;
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
    cryptonn_server_service_opts *so = &a->so;
    cryptonn_server_service_opts_default(so);
    so->listen = "127.0.0.1:8471";
    const char *S = "server serve";
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_STATE: a->state = optarg; break;
        case O_LISTEN: so->listen = optarg; break;
        case O_AUTH: so->authority = optarg; break;
        case O_TOKEN: so->token_file = optarg; break;
        case O_OWNERS: so->owners_file = optarg; break;
        case O_OPTOKEN: so->operator_token_file = optarg; break;
        case O_QPARTS: bad |= cli_parse_u32(S, "quota-parts", optarg, 1, 1u << 20, &so->quota_parts); break;
        case O_QBATCHES:
            bad |= cli_parse_u64(S, "quota-batches", optarg, 1, 1ull << 32, &so->quota_batches);
            break;
        case O_QBYTES: bad |= cli_parse_u64(S, "quota-bytes", optarg, 1, 1ull << 50, &so->quota_bytes); break;
        case O_QREQ: bad |= cli_parse_u32(S, "quota-requests", optarg, 1, 256, &so->quota_requests); break;
        case O_HEADT: bad |= cli_parse_u32(S, "header-timeout", optarg, 1, 3600, &so->header_timeout_s); break;
        case O_BODYT: bad |= cli_parse_u32(S, "body-timeout", optarg, 1, 86400, &so->body_timeout_s); break;
        case O_IDLE: bad |= cli_parse_u32(S, "timeout", optarg, 1, 86400, &so->timeout_s); break;
        case O_MAXC: bad |= cli_parse_u32(S, "max-conns", optarg, 8, 65536, &so->max_conns); break;
        case O_PERADDR: bad |= cli_parse_u32(S, "per-address", optarg, 1, 65536, &so->per_address); break;
        case O_CERT: so->cert_file = optarg; break;
        case O_KEY: so->key_file = optarg; break;
        case O_CACERT: so->cacert = optarg; break;
        case O_RETRY: bad |= cli_parse_u32(S, "retry-for", optarg, 0, 86400, &so->retry_s); break;
        case O_PORTF: a->port_file = optarg; break;
        case O_THREADS: bad |= cli_parse_u32(S, "threads", optarg, 1, 64, &so->threads); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !a->state || !so->token_file) {
        fprintf(stderr, "cryptonn server serve: --state and --token-file are required\n\n");
        usage(stderr);
        return 2;
    }
    if (so->owners_file && access(so->owners_file, R_OK) != 0) {
        fprintf(stderr, "cryptonn server serve: cannot read the owners list %s\n", so->owners_file);
        return 2;
    }
    return -1;
}

/* Ranks 1..N-1 of `mpirun -np N cryptonn server serve`: no service, rank
 * 0's jobs. mpirun's SIGTERM is left to rank 0, which ends the job in
 * progress after its batch and then lets these ranks go. */
static int work(const serve_args *a)
{
    cli_block_signals();
    char msg[512] = "";
    int rc = cryptonn_server_service_work(a->state, msg, sizeof msg);
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn server: %s\n", msg);
    cryptonn_dist_stop();
    return rc != CRYPTONN_OK;
}

static int serve(int argc, char **argv)
{
    serve_args a;
    int r = parse_serve(argc, argv, &a);
    if (r >= 0) return r;
    if (cryptonn_dist_launched()) {
        char dmsg[256] = "";
        if (cryptonn_dist_start(dmsg, sizeof dmsg) != CRYPTONN_OK) {
            fprintf(stderr, "cryptonn server serve: launched by mpirun: %s\n", dmsg);
            return 2;
        }
        if (cryptonn_dist_rank() != 0) return work(&a);
    }
    const int ranks = cryptonn_dist_size();
    if (!a.so.owners_file)
        fprintf(stderr, "cryptonn server: warning: no --owners list: no upload is accepted\n");
    char optok[4200];
    snprintf(optok, sizeof optok, "%s/operator.token", a.state);
    const char *op_file = a.so.operator_token_file ? a.so.operator_token_file : optok;
    int op_new = access(op_file, F_OK) != 0;
    cli_block_signals();
    cryptonn_server_service *svc = NULL;
    char msg[512] = "";
    int rc = cryptonn_server_service_start(&svc, a.state, &a.so, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn server: %s: %s\n", cryptonn_status_str(rc), msg);
        cryptonn_dist_stop();
        return 1;
    }
    if (ranks > 1)
        printf("%d ranks: rank 0 serves; every job runs on all of them, each decrypting its "
               "share of every batch\n", ranks);
    if (msg[0]) fprintf(stderr, "cryptonn server: warning: %s\n", msg);
    if (op_new)
        printf("operator token written to %s (mode 0600): it alone starts, stops and configures "
               "training\n", op_file);
    int code = 1;
    if (cli_announce("server", a.so.listen, cryptonn_server_service_port(svc),
                     a.so.cert_file != NULL, a.port_file) == 0) {
        int sig = cli_wait_for_signal();
        fprintf(stderr, "cryptonn server: %s: stopping (training resumes from its checkpoint)\n",
                sig == SIGTERM ? "SIGTERM" : "SIGINT");
        cryptonn_job_status st;
        if (ranks > 1 && cryptonn_server_service_status(svc, &st) == CRYPTONN_OK &&
            st.state == CRYPTONN_JOB_TRAINING)
            fprintf(stderr, "cryptonn server (rank 0 of %d): if mpirun sent it because a rank "
                    "died, the job in progress ends here; it resumes from %s/train/ckpt.bin "
                    "when the service starts again\n", ranks, a.state);
        fflush(stderr);
        code = 0;
    }
    cryptonn_server_service_stop(svc);
    cryptonn_dist_stop();
    return code;
}

/* The operator's control of server, retrying an unreachable one for 30 s;
 * 0, or 1 with a message. */
static int remote(const char *server, const char *token_file, const char *cacert,
                  cryptonn_operator **op)
{
    char token[65];
    if (cli_load_token(token_file, token) != CRYPTONN_OK) return 1;
    int rc = cryptonn_operator_open(op, server, token, cacert, 30);
    cryptonn_wipe(token, sizeof token);
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn server: %s\n", cryptonn_status_str(rc));
    return rc != CRYPTONN_OK;
}

/* 0 when rc is CRYPTONN_OK, else 1 with the service's answer. */
static int said(int rc, const char *what, const char *msg)
{
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn server: %s: %s\n", what, msg[0] ? msg : cryptonn_status_str(rc));
    return rc != CRYPTONN_OK;
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
    int rc = cryptonn_file_read(path, 3000, &b, &len);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn server train: %s: %s (a model file of at most 3000 bytes)\n",
                path, cryptonn_status_str(rc));
        return 2;
    }
    *w += (size_t)snprintf(body + *w, cap - *w, "%s\"model\":\"file\",\"model_file\":%.*s",
                           *w > 1 ? "," : "", (int)len, (const char *)b);
    cryptonn_free(b);
    if (*w >= cap - 2) {
        fprintf(stderr, "cryptonn server train: options too long\n");
        return 2;
    }
    return 0;
}

static int follow(cryptonn_operator *op, const char *out)
{
    char msg[1024];
    for (;;) {
        struct timespec ts = {0, 500000000L};
        nanosleep(&ts, NULL);
        char *js = NULL;
        cryptonn_job_status st;
        if (said(cryptonn_operator_status(op, &st, &js, msg, sizeof msg), "status", msg)) return 1;
        fprintf(stderr, "\r%-150.150s", js);
        int done = st.state == CRYPTONN_JOB_DONE;
        int failed = st.state == CRYPTONN_JOB_FAILED || st.state == CRYPTONN_JOB_STOPPED;
        if (done || failed) fprintf(stderr, "\n%s\n", js);
        cryptonn_free(js);
        if (failed) return 1;
        if (done) break;
    }
    if (!out) return 0;
    if (said(cryptonn_operator_model(op, out, msg, sizeof msg), "cannot fetch the model", msg))
        return 1;
    printf("model saved to %s\n", out);
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
    cryptonn_operator *op = NULL;
    if (remote(server, token_file, cacert, &op)) return 1;
    char msg[1024];
    int code = said(cryptonn_operator_train(op, body, msg, sizeof msg), "train", msg);
    if (!code) printf("training started on %s\n", server);
    if (!code && wait) code = follow(op, out);
    cryptonn_operator_close(op);
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
    cryptonn_operator *op = NULL;
    if (remote(server, token_file, cacert, &op)) return 1;
    char *js = NULL, msg[1024];
    int rc = !strcmp(what, "stop")    ? cryptonn_operator_stop(op, msg, sizeof msg)
             : !strcmp(what, "parts") ? cryptonn_operator_parts(op, &js, msg, sizeof msg)
                                      : cryptonn_operator_status(op, NULL, &js, msg, sizeof msg);
    int code = said(rc, what, msg);
    if (!code) printf("%s\n", js ? js : "stopping after the batch in progress");
    cryptonn_free(js);
    cryptonn_operator_close(op);
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
