/* `cryptonn client`: a data owner against the networked services, with its
 * own token (`cryptonn authority add-owner`), through the public owner API
 * (cryptonn/owner.h):
 *   upload    encrypts locally into a work directory (the plaintext never
 *             leaves this process) and uploads the part; resumable.
 *   predict   asks for the secure prediction of an uploaded test part and
 *             maps the permuted classes back with the owners' permutation.
 *   delete    removes one of the owner's open or refused parts.
 *   parts     lists the owner's parts on the server.
 *   register  sends a label registration to the authority (strict mode). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <omp.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cryptonn/cryptonn.h"

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
            "  --data DIR         MNIST (data/mnist); with --spec the owner's records file\n"
            "  --spec FILE        the owners' data spec (docs/DATA.md): upload encrypts the\n"
            "                     class-labelled records of --data (CSV or .npy) under it;\n"
            "                     predict scores against their true labels\n"
            "  --part NAME        (main)\n"
            "  --offset N --limit N   which samples (owners splitting the data)\n"
            "  --work DIR         local encrypted copy (client-work)\n"
            "  --table-mb M       fixed-base tables for the batch ciphertexts (4096)\n");
}

enum { O_SERVER = 256, O_TOKEN, O_PARAMS, O_OKEY, O_DATA, O_PART, O_OFFSET, O_LIMIT, O_TEST,
       O_WORK, O_CACERT, O_THREADS, O_TABLE, O_HELP, O_SPEC };

typedef struct {
    const char *server, *token_file, *params, *okey, *data, *part, *work, *cacert, *spec;
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
        {"table-mb", 1, 0, O_TABLE}, {"help", 0, 0, O_HELP},       {"spec", 1, 0, O_SPEC},
        {0, 0, 0, 0}};
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
        case O_SPEC: a->spec = optarg; break;
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

/* The owner's token, read from --token-file (0600); wiped by the caller. */
static int load_token(const client_args *a, char token[65])
{
    int rc = cryptonn_token_load(a->token_file, token);
    if (rc == CRYPTONN_ERR_AUTH)
        fprintf(stderr, "cryptonn: %s is readable by others: a token must be mode 0600\n",
                a->token_file);
    else if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: cannot read the token %s: %s\n", a->token_file,
                cryptonn_status_str(rc));
    return rc == CRYPTONN_OK ? 0 : 1;
}

/* The owner's true labels: its records under the data spec. */
static int load_records(const char *spec_path, const char *data, cryptonn_records *r, char *msg,
                        size_t msg_len)
{
    cryptonn_data_spec spec;
    int rc = cryptonn_spec_read(spec_path, &spec, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    rc = cryptonn_spec_load(&spec, data, NULL, r, msg, msg_len);
    cryptonn_spec_free(&spec);
    return rc;
}

/* The owner's class-labelled records under the spec, viewed as one row of
 * values each (what the owner API encrypts; the values become the spec's
 * integers under params.bin's fixed point). Regression targets do not fit
 * that view. */
static int spec_records(const char *spec_path, const char *data, cryptonn_records *r,
                        cryptonn_dataset *d, char *msg, size_t msg_len)
{
    int rc = load_records(spec_path, data, r, msg, msg_len);
    if (rc == CRYPTONN_OK && !r->y) {
        snprintf(msg, msg_len, "%s: a regression target: encrypt with `cryptonn encrypt --spec "
                 "--out WORK/train` and upload that part with --work WORK", spec_path);
        cryptonn_records_free(r);
        rc = CRYPTONN_ERR_ARG;
    }
    if (rc == CRYPTONN_OK)
        *d = (cryptonn_dataset){.n = r->n, .rows = 1, .cols = (uint32_t)r->size, .x = r->x,
                                .y = r->y};
    return rc;
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
    cryptonn_owner *o = NULL;
    int rc = cryptonn_owner_open(&o, a->params, a->okey);
    if (rc != CRYPTONN_OK) return cli_fail(a->params, rc);
    char msg[512];
    cryptonn_dataset d = {0};
    cryptonn_records rec = {0};
    uint32_t want = a->limit ? a->offset + a->limit : 0;
    if (a->spec) rc = spec_records(a->spec, a->data, &rec, &d, msg, sizeof msg);
    else rc = cryptonn_mnist_load(a->data, !a->test, want, &d, msg, sizeof msg);
    if (rc != CRYPTONN_OK || a->offset >= d.n) {
        fprintf(stderr, "cryptonn client: %s\n", rc != CRYPTONN_OK ? msg : "--offset leaves no samples");
        if (!a->spec) cryptonn_dataset_free(&d);
        cryptonn_records_free(&rec);
        cryptonn_owner_close(o);
        return 1;
    }
    cryptonn_dataset v = d;
    v.n = d.n - a->offset;
    if (a->limit && a->limit < v.n) v.n = a->limit;
    v.x = d.x + (size_t)a->offset * d.rows * d.cols;
    v.y = d.y + a->offset;
    omp_set_num_threads((int)a->threads);
    char rpath[4200];
    snprintf(rpath, sizeof rpath, "%s/%s.lreg", a->work, a->part);
    const int strict = cryptonn_owner_mode(o) == CRYPTONN_MODE_STRICT;
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    eo.part = a->part;
    eo.labels = !a->test;
    eo.threads = a->threads;
    eo.progress = 1;
    eo.registration = rpath;
    eo.table_mb = a->table_mb ? a->table_mb : 1;
    cryptonn_encrypt_stats st;
    rc = cryptonn_owner_encrypt(o, dir, &v, &eo, &st, msg, sizeof msg);
    if (a->spec) cryptonn_records_free(&rec); /* d only viewed them */
    else cryptonn_dataset_free(&d);
    cryptonn_owner_close(o);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client: encrypt: %s\n", msg[0] ? msg : cryptonn_status_str(rc));
        return 1;
    }
    if (strict && !a->test)
        printf("client: strict mode: label registration in %s; send it to the authority "
               "(cryptonn client register --authority URL --token-file F %s)\n", rpath, rpath);
    printf("client: encrypted %llu samples in %llu batches (%.1f s)\n",
           (unsigned long long)st.samples, (unsigned long long)st.batches, st.seconds);
    return 0;
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
    char dir[4096], msg[1024] = "", token[65];
    snprintf(dir, sizeof dir, "%s/%s", a.work, a.test ? "test" : "train");
    if (mkdir(a.work, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "cryptonn client: cannot create %s\n", a.work);
        return 1;
    }
    if (encrypt_local(&a, dir) || load_token(&a, token)) return 1;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    uint64_t sent = 0, present = 0;
    int rc = cryptonn_owner_upload(a.server, token, a.cacert, dir, a.part, a.test, &sent, &present,
                                   msg, sizeof msg);
    cryptonn_wipe(token, sizeof token);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (rc == CRYPTONN_OK)
        printf("client: part '%s' complete on the server: %llu batches sent, %llu already there "
               "(%.1f s)\n", a.part, (unsigned long long)sent, (unsigned long long)present,
               (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    else fprintf(stderr, "cryptonn client: upload of part '%s' failed: %s\n", a.part, msg);
    return rc == CRYPTONN_OK ? 0 : 1;
}

/* delete and parts: one request each. */
static int simple(int del, int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a, 0);
    if (r >= 0) return r;
    char msg[1024] = "", *js = NULL, token[65];
    if (load_token(&a, token)) return 1;
    int rc = del ? cryptonn_owner_delete(a.server, token, a.cacert, a.part, a.test, msg, sizeof msg)
                 : cryptonn_owner_parts(a.server, token, a.cacert, &js, msg, sizeof msg);
    cryptonn_wipe(token, sizeof token);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client: %s\n", msg);
        return 1;
    }
    if (del) printf("client: part '%s' deleted\n", a.part);
    else printf("%s", js);
    cryptonn_free(js);
    return 0;
}

static int predict(int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a, 1);
    if (r >= 0) return r;
    cryptonn_owner *o = NULL;
    char msg[1024] = "", token[65];
    int rc = cryptonn_owner_open(&o, NULL, a.okey);
    if (rc != CRYPTONN_OK) return cli_fail(a.okey, rc);
    if (load_token(&a, token)) {
        cryptonn_owner_close(o);
        return 1;
    }
    uint8_t *pred = NULL;
    uint64_t n = 0;
    rc = cryptonn_owner_predict(a.server, token, a.cacert, a.part, &pred, &n, msg, sizeof msg);
    cryptonn_wipe(token, sizeof token);
    if (rc == CRYPTONN_OK && (rc = cryptonn_owner_unpermute(o, pred, n)) != CRYPTONN_OK)
        snprintf(msg, sizeof msg, "a prediction is not a class of these parameters");
    cryptonn_owner_close(o);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client: prediction failed: %s\n", msg);
        cryptonn_free(pred);
        return 1;
    }
    cryptonn_samples d = {0};
    cryptonn_dataset mn = {0};
    cryptonn_records rec = {0};
    rc = a.spec ? load_records(a.spec, a.data, &rec, msg, sizeof msg)
                : cryptonn_mnist_load(a.data, 0, (uint32_t)(a.offset + n), &mn, msg, sizeof msg);
    if (rc == CRYPTONN_OK && a.spec) cryptonn_records_view(&rec, &d);
    else if (rc == CRYPTONN_OK) cryptonn_samples_of(&mn, &d);
    int code = 1;
    if (rc == CRYPTONN_OK && !d.y) {
        rc = CRYPTONN_ERR_ARG;
        snprintf(msg, sizeof msg, "the records have no class labels to score against");
    }
    if (rc == CRYPTONN_OK && d.n >= a.offset + n) {
        uint64_t hits = 0;
        for (uint64_t i = 0; i < n; i++) hits += pred[i] == d.y[a.offset + i];
        printf("client: %llu secure predictions, accuracy %.2f%% (scored by the owner)\n",
               (unsigned long long)n, n ? 100.0 * (double)hits / (double)n : 0.0);
        code = 0;
    } else fprintf(stderr, "cryptonn client: cannot score: %s\n", rc != CRYPTONN_OK ? msg : "too few labels");
    cryptonn_dataset_free(&mn);
    cryptonn_records_free(&rec);
    cryptonn_free(pred);
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
    char msg[1024] = "", token[65];
    if (load_token(&a, token)) return 1;
    uint64_t added = 0;
    int rc = cryptonn_owner_register(a.server, token, a.cacert, argv[optind], &added, msg,
                                     sizeof msg);
    cryptonn_wipe(token, sizeof token);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client register: %s\n", msg);
        return 1;
    }
    printf("client: registration accepted: {\"registered\":%llu}\n", (unsigned long long)added);
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
