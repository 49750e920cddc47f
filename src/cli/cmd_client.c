/* `cryptonn client`: a data owner against the networked training server.
 *   upload   encrypts locally (cn_client_encrypt into a work directory; the
 *            plaintext never leaves this process) and uploads the part's
 *            files; resumable: it asks the server which batches it has and
 *            sends only the others, then the index that completes the part.
 *   predict  asks for the secure prediction of an uploaded test part and maps
 *            the permuted classes back with the owners' permutation. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "cryptonn/nn.h"
#include "protocol/http.h"
#include "secure/client.h"
#include "secure/owner.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn client upload --server URL --token-file F --params P --owner-key K\n"
            "                              [--data DIR] [--part NAME] [--offset N] [--limit N]\n"
            "                              [--test] [--work DIR] [--cacert PEM] [--threads T]\n"
            "       cryptonn client predict --server URL --token-file F --part NAME --owner-key K\n"
            "                              [--data DIR] [--cacert PEM]\n\n"
            "upload: encrypts MNIST samples locally as part NAME (as cryptonn encrypt does)\n"
            "and uploads them to the training server; an interrupted upload resumes with\n"
            "the batches the server does not have. --test uploads a test part (samples only).\n"
            "predict: secure prediction of an uploaded test part; the owner maps the\n"
            "server's permuted classes back and scores them against the true labels.\n\n"
            "  --server URL       the training server (http://127.0.0.1:PORT)\n"
            "  --token-file F     the data owners' token (tokens/client.token from keygen)\n"
            "  --params P         params.bin; --owner-key K: owner.key (from keygen)\n"
            "  --data DIR         MNIST (data/mnist)\n"
            "  --part NAME        (main)\n"
            "  --offset N --limit N   which samples (owners splitting the data)\n"
            "  --work DIR         local encrypted copy (client-work)\n"
            "  --table-mb M       fixed-base tables for the batch ciphertexts (4096)\n");
}

enum { O_SERVER = 256, O_TOKEN, O_PARAMS, O_OKEY, O_DATA, O_PART, O_OFFSET, O_LIMIT, O_TEST,
       O_WORK, O_CACERT, O_THREADS, O_TABLE, O_HELP };

typedef struct {
    const char *server, *token_file, *params, *okey, *data, *part, *work, *cacert;
    long offset, limit, threads, table_mb;
    int test;
} client_args;

static int parse(int argc, char **argv, client_args *a)
{
    static const struct option lo[] = {
        {"server", 1, 0, O_SERVER}, {"token-file", 1, 0, O_TOKEN}, {"params", 1, 0, O_PARAMS},
        {"owner-key", 1, 0, O_OKEY}, {"data", 1, 0, O_DATA},       {"part", 1, 0, O_PART},
        {"offset", 1, 0, O_OFFSET},  {"limit", 1, 0, O_LIMIT},      {"test", 0, 0, O_TEST},
        {"work", 1, 0, O_WORK},      {"cacert", 1, 0, O_CACERT},   {"threads", 1, 0, O_THREADS},
        {"table-mb", 1, 0, O_TABLE}, {"help", 0, 0, O_HELP},       {0, 0, 0, 0}};
    memset(a, 0, sizeof *a);
    a->data = "data/mnist";
    a->part = "main";
    a->work = "client-work";
    a->threads = 2;
    a->table_mb = 4096;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_SERVER: a->server = optarg; break;
        case O_TOKEN: a->token_file = optarg; break;
        case O_PARAMS: a->params = optarg; break;
        case O_OKEY: a->okey = optarg; break;
        case O_DATA: a->data = optarg; break;
        case O_PART: a->part = optarg; break;
        case O_OFFSET: a->offset = atol(optarg); break;
        case O_LIMIT: a->limit = atol(optarg); break;
        case O_TEST: a->test = 1; break;
        case O_WORK: a->work = optarg; break;
        case O_CACERT: a->cacert = optarg; break;
        case O_THREADS: a->threads = atol(optarg); break;
        case O_TABLE: a->table_mb = atol(optarg); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind != argc || !a->server || !a->token_file || !a->okey) {
        usage(stderr);
        return 2;
    }
    if (a->offset < 0 || a->limit < 0 || a->limit > 100000000L || a->offset > 100000000L ||
        a->threads < 1 || a->threads > 64 || a->table_mb < 0) {
        fprintf(stderr, "cryptonn client: --offset/--limit must be >= 0, --threads 1..64\n");
        return 2;
    }
    return -1;
}

static int make_client(const client_args *a, cn_http_client **c)
{
    char token[65];
    if (cli_load_token(a->token_file, token) != CRYPTONN_OK) return 1;
    cn_http_client_opts o = {.base = a->server, .token = token, .cacert = a->cacert,
                             .timeout_s = 300, .retry_for_s = 60};
    int rc = cn_http_client_create(c, &o);
    cn_wipe(token, sizeof token);
    return rc == CRYPTONN_OK ? 0 : cli_fail("http client", rc);
}

/* Local encryption into work/, unless a complete local part is there. */
static int encrypt_local(const client_args *a, const char *dir)
{
    char idx[4200];
    snprintf(idx, sizeof idx, "%s/part-%s/index.bin", dir, a->part);
    if (access(idx, F_OK) == 0) {
        printf("client: %s already holds the encrypted part '%s'; uploading it\n", dir, a->part);
        return 0;
    }
    cn_enc_params p;
    cn_enc_mpks k = {0};
    int rc = cn_encdata_read_params_file(a->params, &p, &k);
    if (rc != CRYPTONN_OK) return cli_fail(a->params, rc);
    cn_owner_secret s;
    if ((rc = cn_owner_secret_load(&s, a->okey)) != CRYPTONN_OK) {
        cn_enc_mpks_free(&k);
        return cli_fail(a->okey, rc);
    }
    char msg[512];
    cryptonn_dataset d;
    uint32_t want = a->limit ? (uint32_t)(a->offset + a->limit) : 0;
    rc = cryptonn_mnist_load(a->data, !a->test, want, &d, msg, sizeof msg);
    if (rc != CRYPTONN_OK || (uint64_t)a->offset >= d.n) {
        fprintf(stderr, "cryptonn client: %s\n", rc != CRYPTONN_OK ? msg : "--offset leaves no samples");
        if (rc == CRYPTONN_OK) cryptonn_dataset_free(&d);
        cn_enc_mpks_free(&k);
        cn_wipe(&s, sizeof s);
        return 1;
    }
    cryptonn_dataset v = d;
    v.n = d.n - (uint32_t)a->offset;
    v.x = d.x + (size_t)a->offset * d.rows * d.cols;
    v.y = d.y + a->offset;
    omp_set_num_threads((int)a->threads);
    cn_encrypt_opts o = {.part = a->part, .threads = (uint32_t)a->threads, .labels = !a->test,
                         .batch_ct = !a->test, .progress = 1,
                         .table_bytes_max = a->table_mb ? (uint64_t)a->table_mb << 20 : 1};
    cn_encrypt_stats st;
    rc = cn_encdata_init(dir, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt(dir, &p, &k, &s, &v, &o, &st);
    cryptonn_dataset_free(&d);
    cn_enc_mpks_free(&k);
    cn_wipe(&s, sizeof s);
    if (rc != CRYPTONN_OK) return cli_fail("encrypt", rc);
    printf("client: encrypted %llu samples in %llu batches (%.1f s)\n",
           (unsigned long long)st.samples, (unsigned long long)st.batches, st.seconds_total);
    return 0;
}

static int put_file(cn_http_client *c, const char *path, const char *url, long *status, char *msg,
                    size_t msg_len)
{
    uint8_t *b;
    size_t len;
    int rc = cn_file_read_all(path, (size_t)1 << 31, &b, &len);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%s: %s", path, cryptonn_status_str(rc));
        return rc;
    }
    uint8_t *resp = NULL;
    rc = cn_http_call(c, "PUT", url, "application/octet-stream", b, len, status, &resp, NULL, msg,
                      msg_len);
    free(b);
    if (rc == CRYPTONN_OK && *status >= 300)
        snprintf(msg, msg_len, "%s: HTTP %ld %s", url, *status, resp ? (char *)resp : "");
    free(resp);
    return rc;
}

static int upload(int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a);
    if (r >= 0) return r;
    if (!a.params) {
        fprintf(stderr, "cryptonn client upload: --params is required\n");
        return 2;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/%s", a.work, a.test ? "test" : "train");
    if (mkdir(a.work, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cryptonn client: cannot create %s\n", a.work);
        return 1;
    }
    if (encrypt_local(&a, dir)) return 1;
    cn_http_client *c = NULL;
    if (make_client(&a, &c)) return 1;
    const char *kind = a.test ? "tests" : "parts";
    char url[512], msg[1024], path[4200];
    long status = 0;
    uint8_t *have = NULL;
    size_t have_len = 0;
    snprintf(url, sizeof url, "/v1/%s/%s", kind, a.part);
    int rc = cn_http_call(c, "GET", url, NULL, NULL, 0, &status, &have, &have_len, msg, sizeof msg);
    if (rc != CRYPTONN_OK || status != 200) {
        fprintf(stderr, "cryptonn client: cannot ask the server what it has: %s\n",
                rc != CRYPTONN_OK ? msg : have ? (char *)have : "");
        free(have);
        cn_http_client_destroy(c);
        return 1;
    }
    /* the batches the server has, from {"batches":[...]} */
    uint64_t nb = 0;
    {
        cn_enc_params p;
        if (cn_encdata_read_params(dir, &p, NULL) != CRYPTONN_OK) p.batch = 1;
        uint8_t *ix;
        const uint8_t *pl;
        size_t plen;
        snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, a.part);
        if (cn_container_read(path, "EDIX", 1, 20, &ix, &pl, &plen) == CRYPTONN_OK && plen == 20) {
            nb = cn_load_u64(pl + 8);
            free(ix);
        }
    }
    uint8_t *got = calloc(nb ? nb : 1, 1);
    const char *lb = have ? strstr((char *)have, "\"batches\":[") : NULL;
    for (const char *q = lb ? lb + 11 : NULL; q && *q && *q != ']';) {
        char *e;
        unsigned long long i = strtoull(q, &e, 10);
        if (e == q) break;
        if (i < nb && got) got[i] = 1;
        q = *e == ',' ? e + 1 : e;
    }
    int complete = have && strstr((char *)have, "\"complete\":true") != NULL;
    free(have);
    uint64_t sent = 0, skipped = 0;
    int code = 0;
    uint64_t t0 = cn_now_ns();
    for (uint64_t i = 0; i < nb && !complete && got; i++) {
        if (got[i]) {
            skipped++;
            continue;
        }
        snprintf(path, sizeof path, "%s/part-%s/batch-%06llu.bin", dir, a.part, (unsigned long long)i);
        snprintf(url, sizeof url, "/v1/%s/%s/batches/%llu", kind, a.part, (unsigned long long)i);
        rc = put_file(c, path, url, &status, msg, sizeof msg);
        if (rc != CRYPTONN_OK || status >= 300) {
            fprintf(stderr, "cryptonn client: upload of batch %llu failed: %s\n",
                    (unsigned long long)i, msg);
            code = 1;
            break;
        }
        sent++;
    }
    if (!code && !complete) {
        snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, a.part);
        snprintf(url, sizeof url, "/v1/%s/%s/index", kind, a.part);
        rc = put_file(c, path, url, &status, msg, sizeof msg);
        if (rc != CRYPTONN_OK || status >= 300) {
            fprintf(stderr, "cryptonn client: the index was refused: %s\n", msg);
            code = 1;
        }
    }
    if (!code)
        printf("client: part '%s' complete on the server: %llu batches sent, %llu already there "
               "(%.1f s)\n", a.part, (unsigned long long)sent,
               (unsigned long long)(complete ? nb : skipped), (double)(cn_now_ns() - t0) / 1e9);
    free(got);
    cn_http_client_destroy(c);
    return code;
}

static int predict(int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a);
    if (r >= 0) return r;
    cn_owner_secret s;
    int rc = cn_owner_secret_load(&s, a.okey);
    if (rc != CRYPTONN_OK) return cli_fail(a.okey, rc);
    cn_http_client *c = NULL;
    if (make_client(&a, &c)) return 1;
    char body[128], msg[1024];
    snprintf(body, sizeof body, "{\"part\":\"%s\"}", a.part);
    long status = 0;
    uint8_t *resp = NULL;
    rc = cn_http_call(c, "POST", "/v1/predict", "application/json", (const uint8_t *)body,
                      strlen(body), &status, &resp, NULL, msg, sizeof msg);
    cn_http_client_destroy(c);
    if (rc != CRYPTONN_OK || status != 200) {
        fprintf(stderr, "cryptonn client: prediction failed: %s\n",
                rc != CRYPTONN_OK ? msg : resp ? (char *)resp : "");
        free(resp);
        return 1;
    }
    const char *lb = strstr((char *)resp, "\"predictions\":[");
    size_t cap = 1024, n = 0;
    uint8_t *pred = malloc(cap);
    for (const char *q = lb ? lb + 15 : NULL; pred && q && *q && *q != ']';) {
        char *e;
        unsigned long v = strtoul(q, &e, 10);
        if (e == q || v >= s.classes) break;
        if (n == cap) {
            uint8_t *k = realloc(pred, cap *= 2);
            if (!k) break;
            pred = k;
        }
        pred[n++] = (uint8_t)v;
        q = *e == ',' ? e + 1 : e;
    }
    free(resp);
    cryptonn_dataset d;
    rc = cryptonn_mnist_load(a.data, 0, (uint32_t)(a.offset + (long)n), &d, msg, sizeof msg);
    int code = 1;
    if (rc == CRYPTONN_OK && d.n >= a.offset + n && pred) {
        double acc = cn_owner_score(&s, pred, d.y + a.offset, n, NULL);
        printf("client: %zu secure predictions, accuracy %.2f%% (scored by the owner)\n", n, 100 * acc);
        code = 0;
    } else fprintf(stderr, "cryptonn client: cannot score: %s\n", rc != CRYPTONN_OK ? msg : "too few labels");
    if (rc == CRYPTONN_OK) cryptonn_dataset_free(&d);
    free(pred);
    cn_wipe(&s, sizeof s);
    return code;
}

int cli_client(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "upload")) return upload(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "predict")) return predict(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
