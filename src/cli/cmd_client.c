/* `cryptonn client`: a data owner against the networked services, with its
 * own token (`cryptonn authority add-owner`), through the public owner API
 * (cryptonn/owner.h):
 *   upload    encrypts locally into a work directory (the plaintext never
 *             leaves this process) and uploads the part; resumable.
 *   predict   asks for the secure prediction of an uploaded test part and
 *             maps the permuted classes back with the owners' permutation,
 *             or a regression's targets back to their units with the spec.
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
#include "cli/datamodel.h"
#include "cli/owner_truth.h"
#include "cryptonn/cryptonn.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn client upload --server URL --token-file F --params P --owner-key K\n"
            "                              [--data DIR | --spec S --data FILE [--labels Y.npy]]\n"
            "                              [--part NAME] [--offset N] [--limit N] [--test]\n"
            "                              [--work DIR] [--cacert PEM] [--threads T]\n"
            "       cryptonn client predict --server URL --token-file F --part NAME [--owner-key K]\n"
            "                              [--data DIR | --spec S --data FILE [--labels Y.npy]]\n"
            "                              [--offset N] [--out FILE] [--cacert PEM]\n"
            "       cryptonn client delete --server URL --token-file F --part NAME [--test]\n"
            "       cryptonn client parts --server URL --token-file F\n"
            "       cryptonn client register --authority URL --token-file F FILE\n\n"
            "upload: encrypts MNIST samples, or the owner's records under a data spec,\n"
            "locally as part NAME (as cryptonn encrypt does) and uploads them to the\n"
            "training server: declares the part, sends its batches, and completes it once\n"
            "the server has read every batch as training will; an interrupted upload\n"
            "resumes with what the server lacks. --test uploads a test part (samples only).\n"
            "predict: secure prediction of an uploaded test part; the owner maps the\n"
            "server's permuted classes back (--owner-key) and scores them against the true\n"
            "labels, or for a regression target (--spec) maps the predicted targets back to\n"
            "the target's units and reports their RMSE.\n"
            "delete: removes an open or refused part of this owner (not a complete one).\n"
            "register: sends a label registration (strict mode: upload writes WORK/PART.lreg)\n"
            "to the authority, which issues label keys only for registered ciphertexts.\n\n"
            "  --server URL       the training server (http://127.0.0.1:PORT)\n"
            "  --token-file F     this owner's token (owners/NAME.token from the authority)\n"
            "  --params P         params.bin; --owner-key K: owner.key (from keygen)\n"
            "  --data DIR         MNIST (data/mnist); with --spec the owner's records file\n"
            "  --spec FILE        the owners' data spec (docs/DATA.md): upload encrypts the\n"
            "                     records of --data (CSV or .npy; class labels or a\n"
            "                     regression target) under it; predict scores against\n"
            "                     their true labels or targets (records without them:\n"
            "                     --out only; upload --test takes them too)\n"
            "  --labels Y.npy     with --spec and a .npy --data: the labels or targets\n"
            "  --part NAME        (main)\n"
            "  --offset N --limit N   which samples (owners splitting the data); predict:\n"
            "                     the record of --data the test part starts with\n"
            "  --out FILE         predict: one class per line (its name with --spec), or\n"
            "                     one predicted target in the target's units\n"
            "  --work DIR         local encrypted copy (client-work)\n"
            "  --table-mb M       fixed-base tables for the batch ciphertexts (4096)\n");
}

enum { O_SERVER = 256, O_TOKEN, O_PARAMS, O_OKEY, O_DATA, O_PART, O_OFFSET, O_LIMIT, O_TEST,
       O_WORK, O_CACERT, O_THREADS, O_TABLE, O_HELP, O_SPEC, O_LABELS, O_OUT };

typedef struct {
    const char *server, *token_file, *params, *okey, *data, *part, *work, *cacert, *spec;
    const char *labels, *out;
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
        {"labels", 1, 0, O_LABELS},  {"out", 1, 0, O_OUT},         {0, 0, 0, 0}};
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
        case O_LABELS: a->labels = optarg; break;
        case O_OUT: a->out = optarg; break;
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
    if (a->labels && !a->spec) {
        fprintf(stderr, "cryptonn client: --labels needs --spec (and a .npy --data)\n");
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

/* The owner's records under the data spec (--spec, --data, --labels) as
 * samples in *v; with o, the spec must be the one params.bin was made for.
 * Training records need their labels; test records and records to predict
 * may come without (then v->y and v->t are NULL). The reason of a failure
 * is printed. */
static int spec_records(const client_args *a, const cryptonn_owner *o, int train,
                        cryptonn_data_spec *spec, cryptonn_records *r, cryptonn_samples *v)
{
    int rc = cli_spec_read("client", a->spec, spec);
    char msg[256] = "";
    if (rc == CRYPTONN_OK && o && (rc = cryptonn_owner_check_spec(o, spec, msg, sizeof msg)))
        fprintf(stderr, "cryptonn client: %s: %s\n", a->spec, msg);
    if (rc == CRYPTONN_OK)
        rc = train ? cli_records_load("client", spec, a->data, a->labels, r)
                   : cli_records_load_unlabeled("client", spec, a->data, a->labels, r);
    if (rc == CRYPTONN_OK) cryptonn_records_view(r, v);
    return rc;
}

/* The owner's samples: its records under --spec, or MNIST's (train: the
 * training set) up to want samples (0: all), in *v. */
static int owner_samples(const client_args *a, const cryptonn_owner *o, int train, uint32_t want,
                         cryptonn_data_spec *spec, cryptonn_records *r, cryptonn_dataset *mn,
                         cryptonn_samples *v)
{
    if (a->spec) return spec_records(a, o, train, spec, r, v);
    char msg[512];
    int rc = cryptonn_mnist_load(a->data, train, want, mn, msg, sizeof msg);
    if (rc == CRYPTONN_OK) cryptonn_samples_of(mn, v);
    else fprintf(stderr, "cryptonn client: %s\n", msg);
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
    cryptonn_data_spec spec = {0};
    cryptonn_records rec = {0};
    cryptonn_dataset mn = {0};
    cryptonn_samples all = {0};
    rc = owner_samples(a, o, !a->test, a->limit ? a->offset + a->limit : 0, &spec, &rec, &mn, &all);
    if (rc == CRYPTONN_OK && a->offset >= all.n) {
        fprintf(stderr, "cryptonn client: --offset %u leaves no samples (there are %u)\n",
                a->offset, all.n);
        rc = CRYPTONN_ERR_ARG;
    }
    char msg[512] = "";
    cryptonn_encrypt_stats st;
    char rpath[4200];
    snprintf(rpath, sizeof rpath, "%s/%s.lreg", a->work, a->part);
    const int strict = cryptonn_owner_mode(o) == CRYPTONN_MODE_STRICT;
    if (rc == CRYPTONN_OK) {
        cryptonn_samples v = all; /* records [offset, offset + limit) */
        v.n = all.n - a->offset;
        if (a->limit && a->limit < v.n) v.n = a->limit;
        v.x = all.x + (size_t)a->offset * all.size;
        if (all.y) v.y = all.y + a->offset;
        if (all.t) v.t = all.t + (size_t)a->offset * all.outputs;
        omp_set_num_threads((int)a->threads);
        cryptonn_encrypt_opts eo;
        cryptonn_encrypt_opts_default(&eo);
        eo.part = a->part;
        eo.labels = !a->test;
        eo.threads = a->threads;
        eo.progress = 1;
        eo.registration = rpath;
        eo.table_mb = a->table_mb ? a->table_mb : 1;
        rc = cryptonn_owner_encrypt_samples(o, dir, &v, &eo, &st, msg, sizeof msg);
        if (rc != CRYPTONN_OK)
            fprintf(stderr, "cryptonn client: encrypt: %s\n", msg[0] ? msg : cryptonn_status_str(rc));
    }
    cryptonn_records_free(&rec);
    cryptonn_dataset_free(&mn);
    cryptonn_spec_free(&spec);
    cryptonn_owner_close(o);
    if (rc != CRYPTONN_OK) return 1;
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

/* The owner's score of n predictions against the true samples from
 * record offset: accuracy of the true classes pred, or the RMSE of the
 * targets vals in the target's units. */
static void score(const cryptonn_samples *d, uint32_t offset, const uint8_t *pred,
                  const float *vals, uint64_t n, const cryptonn_data_spec *spec)
{
    const double m = cli_truth_metric(d, offset, n, pred, vals, vals ? spec->t_scale : 1);
    if (vals)
        printf("client: %llu secure predictions, RMSE %.4g in the target's units (scored by "
               "the owner)\n", (unsigned long long)n, m);
    else
        printf("client: %llu secure predictions, accuracy %.2f%% (scored by the owner)\n",
               (unsigned long long)n, 100.0 * m);
}

static int predict(int argc, char **argv)
{
    client_args a;
    int r = parse(argc, argv, &a, 0);
    if (r >= 0) return r;
    char msg[1024] = "", token[65];
    if (load_token(&a, token)) return 1;
    uint8_t *pred = NULL;
    float *vals = NULL;
    uint64_t n = 0;
    int rc = cryptonn_owner_predict_outputs(a.server, token, a.cacert, a.part, &pred, &vals, &n,
                                            msg, sizeof msg);
    cryptonn_wipe(token, sizeof token);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client: prediction failed: %s\n", msg);
        return 1;
    }
    int code = 1;
    cryptonn_owner *o = NULL;
    cryptonn_data_spec spec = {0};
    cryptonn_records rec = {0};
    cryptonn_dataset mn = {0};
    cryptonn_samples d = {0};
    if (vals && !a.spec) {
        fprintf(stderr, "cryptonn client: part '%s' has a regression target: its predictions "
                        "are mapped back to the target's units with --spec\n", a.part);
        goto out;
    }
    if (pred && !a.okey) {
        fprintf(stderr, "cryptonn client: the server's classes are permuted: mapping them back "
                        "needs --owner-key\n");
        goto out;
    }
    if (pred && ((rc = cryptonn_owner_open(&o, NULL, a.okey)) != CRYPTONN_OK ||
                 (rc = cryptonn_owner_unpermute(o, pred, n)) != CRYPTONN_OK)) {
        if (o) fprintf(stderr, "cryptonn client: a prediction is not a class of %s\n", a.okey);
        else cli_fail(a.okey, rc);
        goto out;
    }
    if (owner_samples(&a, NULL, 0, (uint32_t)(a.offset + n), &spec, &rec, &mn, &d) != CRYPTONN_OK)
        goto out;
    /* records to predict without labels (new patients): --out only */
    const int unlabeled = a.spec && !d.y && !d.t;
    if (!unlabeled && (pred ? !d.y : !d.t)) {
        fprintf(stderr, "cryptonn client: cannot score: the records have no %s\n",
                pred ? "class labels (the part's predictions are classes)"
                     : "regression target (the part's predictions are targets)");
        goto out;
    }
    if (d.n < a.offset + n) {
        fprintf(stderr, "cryptonn client: cannot score: %llu predictions from record %u, "
                        "but %s holds %u records\n", (unsigned long long)n, a.offset, a.data, d.n);
        goto out;
    }
    if (unlabeled)
        printf("client: %llu secure predictions; %s has no labels: not scored\n",
               (unsigned long long)n, a.data);
    else
        score(&d, a.offset, pred, vals, n, &spec);
    code = 0;
    if (a.out && cli_predictions_write(a.out, n, a.spec ? &spec : NULL, 1, pred, vals) !=
                     CRYPTONN_OK) {
        fprintf(stderr, "cryptonn client: cannot write %s: %s\n", a.out, strerror(errno));
        code = 1;
    }
out:
    cryptonn_owner_close(o);
    cryptonn_records_free(&rec);
    cryptonn_dataset_free(&mn);
    cryptonn_spec_free(&spec);
    cryptonn_free(pred);
    cryptonn_free(vals);
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
