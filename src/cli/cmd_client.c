/* `cryptonn client`: a data owner against the networked training server,
 * with its own token (`cryptonn authority add-owner`).
 *   upload   encrypts locally (cn_client_encrypt into a work directory; the
 *            plaintext never leaves this process) and uploads the part, one
 *            step after the other: ask what the server has, declare the part
 *            (its index), send the batches it lacks, complete it (the server
 *            reads every batch as training will before accepting it).
 *            Resumable: a second run sends only what is missing.
 *   predict  asks for the secure prediction of an uploaded test part and maps
 *            the permuted classes back with the owners' permutation.
 *   delete   removes one of the owner's open or refused parts.
 *   parts    lists the owner's parts on the server. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <omp.h>

#include "cli/args.h"
#include "cli/cmd_server_common.h"
#include "cli/commands.h"
#include "cryptonn/nn.h"
#include "protocol/http.h"
#include "secure/client.h"
#include "secure/owner.h"
#include "secure/labelreg.h"
#include "util/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn client upload --server URL --token-file F --params P --owner-key K\n"
            "                              [--data DIR] [--part NAME] [--offset N] [--limit N]\n"
            "                              [--test] [--work DIR] [--cacert PEM] [--threads T]\n"
            "       cryptonn client predict --server URL --token-file F --part NAME --owner-key K\n"
            "                              [--data DIR] [--cacert PEM]\n"
            "       cryptonn client delete --server URL --token-file F --part NAME [--test]\n"
            "       cryptonn client parts --server URL --token-file F\n"
            "       cryptonn client register --authority URL --token-file F FILE\n\n"
            "upload: encrypts MNIST samples locally as part NAME (as cryptonn encrypt does)\n"
            "and uploads them to the training server: declares the part, sends its batches,\n"
            "and completes it once the server has read every batch as training will; an\n"
            "interrupted upload resumes with what the server lacks. --test uploads a test\n"
            "part (samples only).\n"
            "predict: secure prediction of an uploaded test part; the owner maps the\n"
            "server's permuted classes back and scores them against the true labels.\n"
            "delete: removes an open or refused part of this owner (not a complete one).\n"
            "register: sends a label registration (strict mode: upload writes WORK/PART.lreg)\n"
            "to the authority, which issues label keys only for registered ciphertexts.\n\n"
            "  --server URL       the training server (http://127.0.0.1:PORT)\n"
            "  --token-file F     this owner's token (owners/NAME.token from the authority)\n"
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
    uint32_t offset, limit, threads, table_mb;
    int test;
} client_args;

static int parse(int argc, char **argv, client_args *a, int need_key)
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
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_SERVER: a->server = optarg; break;
        case O_TOKEN: a->token_file = optarg; break;
        case O_PARAMS: a->params = optarg; break;
        case O_OKEY: a->okey = optarg; break;
        case O_DATA: a->data = optarg; break;
        case O_PART: a->part = optarg; break;
        case O_OFFSET: bad |= cli_parse_u32("client", "offset", optarg, 0, 100000000, &a->offset); break;
        case O_LIMIT: bad |= cli_parse_u32("client", "limit", optarg, 0, 100000000, &a->limit); break;
        case O_TEST: a->test = 1; break;
        case O_WORK: a->work = optarg; break;
        case O_CACERT: a->cacert = optarg; break;
        case O_THREADS: bad |= cli_parse_u32("client", "threads", optarg, 1, 64, &a->threads); break;
        case O_TABLE: bad |= cli_parse_u32("client", "table-mb", optarg, 0, 1u << 20, &a->table_mb); break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !a->server || !a->token_file || (need_key && !a->okey)) {
        usage(stderr);
        return 2;
    }
    return -1;
}

static int make_client(const client_args *a, cn_http_client **c)
{
    return cli_http_client(a->server, a->token_file, a->cacert, 300, 60, c);
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
    uint32_t want = a->limit ? a->offset + a->limit : 0;
    rc = cryptonn_mnist_load(a->data, !a->test, want, &d, msg, sizeof msg);
    if (rc != CRYPTONN_OK || a->offset >= d.n) {
        fprintf(stderr, "cryptonn client: %s\n", rc != CRYPTONN_OK ? msg : "--offset leaves no samples");
        if (rc == CRYPTONN_OK) cryptonn_dataset_free(&d);
        cn_enc_mpks_free(&k);
        cn_wipe(&s, sizeof s);
        return 1;
    }
    cryptonn_dataset v = d;
    v.n = d.n - a->offset;
    v.x = d.x + (size_t)a->offset * d.rows * d.cols;
    v.y = d.y + a->offset;
    omp_set_num_threads((int)a->threads);
    cn_encrypt_opts o = {.part = a->part, .threads = a->threads, .labels = !a->test,
                         .batch_ct = !a->test && p.mode != CN_MODE_STRICT, .progress = 1,
                         .table_bytes_max = a->table_mb ? (uint64_t)a->table_mb << 20 : 1};
    cn_encrypt_stats st;
    cn_labelreg reg = {0};
    if (p.mode == CN_MODE_STRICT && !a->test) o.reg = &reg;
    rc = cn_encdata_init(dir, &p, &k);
    if (rc == CRYPTONN_OK) rc = cn_client_encrypt(dir, &p, &k, &s, &v, &o, &st);
    if (rc == CRYPTONN_OK && o.reg) {
        char rpath[4200];
        snprintf(rpath, sizeof rpath, "%s/%s.lreg", a->work, a->part);
        rc = cn_labelreg_write(rpath, &reg);
        if (rc == CRYPTONN_OK)
            printf("client: strict mode: label registration in %s; send it to the authority "
                   "(cryptonn client register --authority URL --token-file F %s)\n",
                   rpath, rpath);
    }
    cn_labelreg_free(&reg);
    cryptonn_dataset_free(&d);
    cn_enc_mpks_free(&k);
    cn_wipe(&s, sizeof s);
    if (rc != CRYPTONN_OK) return cli_fail("encrypt", rc);
    printf("client: encrypted %llu samples in %llu batches (%.1f s)\n",
           (unsigned long long)st.samples, (unsigned long long)st.batches, st.seconds_total);
    return 0;
}

/* One request; on an answer other than want (or 200 when want is 201),
 * msg holds it. */
static int request(cn_http_client *c, const char *method, const char *url, const uint8_t *body,
                   size_t len, long want, char **out, char *msg, size_t msg_len)
{
    long status = 0;
    uint8_t *resp = NULL;
    int rc = cn_http_call(c, method, url, "application/octet-stream", body, len, &status, &resp,
                          NULL, msg, msg_len);
    if (rc == CRYPTONN_OK && status != want && !(want == 201 && status == 200)) {
        snprintf(msg, msg_len, "%s %s: HTTP %ld %s", method, url, status, resp ? (char *)resp : "");
        rc = CRYPTONN_ERR_NET;
    }
    if (rc == CRYPTONN_OK && out) *out = (char *)resp;
    else free(resp);
    return rc;
}

static int put_file(cn_http_client *c, const char *path, const char *url, char *msg,
                    size_t msg_len)
{
    uint8_t *b;
    size_t len;
    int rc = cn_file_read_all(path, (size_t)1 << 31, &b, &len);
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "%.900s: %s", path, cryptonn_status_str(rc));
        return rc;
    }
    rc = request(c, "PUT", url, b, len, 201, NULL, msg, msg_len);
    free(b);
    return rc;
}

/* What the server holds of the part (GET /v1/{parts,tests}/NAME). */
typedef struct {
    char state[16]; /* absent, open, complete, quarantined */
    uint8_t *stored; /* per local batch: the server has it */
} remote_part;

static int remote_state(cn_http_client *c, const char *url, uint64_t nb, remote_part *rp,
                        char *msg, size_t msg_len)
{
    char *js = NULL;
    CN_TRY(request(c, "GET", url, NULL, 0, 200, &js, msg, msg_len));
    const char *st = strstr(js, "\"state\":\"");
    snprintf(rp->state, sizeof rp->state, "%.*s", st ? (int)strcspn(st + 9, "\"") : 0,
             st ? st + 9 : "");
    rp->stored = calloc(nb ? nb : 1, 1);
    const char *lb = strstr(js, "\"stored\":[");
    for (const char *q = lb ? lb + 10 : NULL; rp->stored && q && *q && *q != ']';) {
        char *e;
        unsigned long long i = strtoull(q, &e, 10);
        if (e == q) break;
        if (i < nb) rp->stored[i] = 1;
        q = *e == ',' ? e + 1 : e;
    }
    if (!strcmp(rp->state, "quarantined"))
        snprintf(msg, msg_len, "the server put part in quarantine (damaged there): %s; `cryptonn "
                 "client delete` it and upload again", js);
    free(js);
    if (!rp->stored) return CRYPTONN_ERR_NOMEM;
    return strcmp(rp->state, "quarantined") ? CRYPTONN_OK : CRYPTONN_ERR_MISMATCH;
}

/* The local part's batch count, from its index. */
static uint64_t local_batches(const char *dir, const char *part)
{
    char path[4200];
    uint8_t *ix;
    const uint8_t *pl;
    size_t plen;
    uint64_t nb = 0;
    snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, part);
    if (cn_container_read(path, "EDIX", 1, 20, &ix, &pl, &plen) == CRYPTONN_OK) {
        if (plen == 20) nb = cn_load_u64(pl + 8);
        free(ix);
    }
    return nb;
}

static int send_batches(cn_http_client *c, const char *dir, const char *part, const char *base,
                        uint64_t nb, const remote_part *rp, uint64_t *sent, char *msg,
                        size_t msg_len)
{
    char path[4200], url[600];
    for (uint64_t i = 0; i < nb; i++) {
        if (rp->stored[i]) continue;
        snprintf(path, sizeof path, "%s/part-%s/batch-%06llu.bin", dir, part, (unsigned long long)i);
        snprintf(url, sizeof url, "%s/batches/%llu", base, (unsigned long long)i);
        CN_TRY(put_file(c, path, url, msg, msg_len));
        (*sent)++;
    }
    return CRYPTONN_OK;
}

static int upload(int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a, 1);
    if (r >= 0) return r;
    if (!a.params) {
        fprintf(stderr, "cryptonn client upload: --params is required\n");
        return 2;
    }
    char dir[4096], base[512], path[4200], url[600], msg[1024] = "";
    snprintf(dir, sizeof dir, "%s/%s", a.work, a.test ? "test" : "train");
    if (mkdir(a.work, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cryptonn client: cannot create %s\n", a.work);
        return 1;
    }
    if (encrypt_local(&a, dir)) return 1;
    cn_http_client *c = NULL;
    if (make_client(&a, &c)) return 1;
    snprintf(base, sizeof base, "/v1/%s/%s", a.test ? "tests" : "parts", a.part);
    uint64_t nb = local_batches(dir, a.part), sent = 0, t0 = cn_now_ns();
    remote_part rp = {0};
    int rc = remote_state(c, base, nb, &rp, msg, sizeof msg);
    int complete = rc == CRYPTONN_OK && !strcmp(rp.state, "complete");
    if (rc == CRYPTONN_OK && !complete && !strcmp(rp.state, "absent")) {
        snprintf(path, sizeof path, "%s/part-%s/index.bin", dir, a.part);
        snprintf(url, sizeof url, "%s/index", base);
        rc = put_file(c, path, url, msg, sizeof msg);
    }
    if (rc == CRYPTONN_OK && !complete)
        rc = send_batches(c, dir, a.part, base, nb, &rp, &sent, msg, sizeof msg);
    if (rc == CRYPTONN_OK && !complete) {
        snprintf(url, sizeof url, "%s/complete", base);
        rc = request(c, "POST", url, NULL, 0, 201, NULL, msg, sizeof msg);
    }
    if (rc == CRYPTONN_OK)
        printf("client: part '%s' complete on the server: %llu batches sent, %llu already there "
               "(%.1f s)\n", a.part, (unsigned long long)sent, (unsigned long long)(nb - sent),
               (double)(cn_now_ns() - t0) / 1e9);
    else fprintf(stderr, "cryptonn client: upload of part '%s' failed: %s\n", a.part, msg);
    free(rp.stored);
    cn_http_client_destroy(c);
    return rc == CRYPTONN_OK ? 0 : 1;
}

/* delete and parts: one request each. */
static int simple(int del, int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a, 0);
    if (r >= 0) return r;
    cn_http_client *c = NULL;
    if (make_client(&a, &c)) return 1;
    char url[600], msg[1024] = "", *js = NULL;
    snprintf(url, sizeof url, del ? "/v1/%s/%s" : "/v1/parts", a.test ? "tests" : "parts", a.part);
    int rc = request(c, del ? "DELETE" : "GET", url, NULL, 0, 200, &js, msg, sizeof msg);
    cn_http_client_destroy(c);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client: %s\n", msg);
        return 1;
    }
    printf("%s", js);
    free(js);
    return 0;
}

static int predict(int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a, 1);
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
    rc = cryptonn_mnist_load(a.data, 0, (uint32_t)(a.offset + n), &d, msg, sizeof msg);
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

/* register: POST an LREG file to the authority's /v1/labels. */
static int reg_labels(int argc, char **argv)
{
    static const struct option lo[] = {{"authority", 1, 0, O_SERVER}, {"token-file", 1, 0, O_TOKEN},
                                       {"cacert", 1, 0, O_CACERT},     {"help", 0, 0, O_HELP},
                                       {0, 0, 0, 0}};
    client_args a;
    memset(&a, 0, sizeof a);
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case O_SERVER: a.server = optarg; break;
        case O_TOKEN: a.token_file = optarg; break;
        case O_CACERT: a.cacert = optarg; break;
        case O_HELP: case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (optind + 1 != argc || !a.server || !a.token_file) {
        usage(stderr);
        return 2;
    }
    uint8_t *b = NULL;
    size_t len = 0;
    char msg[1024] = "", *out = NULL;
    int rc = cn_file_read_all(argv[optind], (size_t)64 << 20, &b, &len);
    if (rc != CRYPTONN_OK) return cli_fail(argv[optind], rc);
    cn_http_client *h = NULL;
    if (make_client(&a, &h)) {
        free(b);
        return 1;
    }
    rc = request(h, "POST", "/v1/labels", b, len, 200, &out, msg, sizeof msg);
    free(b);
    cn_http_client_destroy(h);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client register: %s\n", msg);
        return 1;
    }
    printf("client: registration accepted: %s", out ? out : "\n");
    free(out);
    return 0;
}

int cli_client(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "register")) return reg_labels(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "upload")) return upload(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "predict")) return predict(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "delete")) return simple(1, argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "parts")) return simple(0, argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
