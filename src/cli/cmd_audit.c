/* `cryptonn audit`: the data owner's measurement of what the training
 * server could reconstruct of the owner's records from the first-layer keys
 * it received (src/audit/audit.h). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cryptonn/audit.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn audit --keys EXPORT --params FILE [options]\n"
            "       cryptonn audit --layer SPEC [options]\n\n"
            "Replays what the training server holds for a sample of your records (the\n"
            "revealed projections z = Y x of the key vectors it was given) and runs the\n"
            "strongest reconstruction attacks we have: an exact linear solve with least\n"
            "squares for the rest, a bounded linear program (min sum x, Yx = z, 0..255), and\n"
            "a decoder trained on public data. Reports per attack the records recovered\n"
            "exactly, within +-8, the mean absolute error, PSNR, and how often a reference\n"
            "classifier recognizes the reconstructions.\n\n"
            "  --keys FILE        the key export (`cryptonn authority export-keys`)\n"
            "  --params FILE      your dataset's params.bin: the export must belong to it\n"
            "  --layer SPEC       instead of an export: audit a first layer a strict-mode\n"
            "                     authority would draw (dense:K, conv:FxK[sS][pP])\n"
            "  --layer-seed N     seed of that layer's weights (1)\n"
            "  --data DIR         MNIST directory (data/mnist): records from the training\n"
            "                     split, auxiliary public data from the test split\n"
            "  --images F --labels F          the audited records (IDX files)\n"
            "  --aux-images F --aux-labels F  the auxiliary data (IDX files)\n"
            "  --spec FILE --records F [--aux F]  your own records (CSV or .npy, docs/DATA.md)\n"
            "                     under your data spec, with --keys and --params; --aux:\n"
            "                     public records of the same kind (decoder, recognizability)\n"
            "  --samples N        records audited (100)\n"
            "  --aux-limit N      auxiliary records used (0: all)\n"
            "  --attacks LIST     comma-separated: linear,lp,decoder (all)\n"
            "  --epochs N         decoder training epochs (8)\n"
            "  --hidden N         decoder hidden width (512)\n"
            "  --seed N           decoder and reference classifier seed (1)\n"
            "  --threads N        threads (2)\n"
            "  --picture FILE     PNG: originals on top, each attack's reconstructions below\n"
            "  --markdown FILE    the report section in Markdown\n"
            "  --json             machine-readable output on stdout\n"
            "  --quiet            no progress on stderr\n");
}

typedef struct {
    const char *keys, *params, *layer, *data, *images, *labels, *aux_images, *aux_labels;
    const char *spec, *records, *aux;
    const char *picture, *markdown;
    uint64_t layer_seed;
    int json, quiet;
    cryptonn_audit_opts o;
} audit_args;

static int parse_attacks(const char *s, uint32_t *mask)
{
    *mask = 0;
    char buf[64];
    snprintf(buf, sizeof buf, "%s", s);
    for (char *t = strtok(buf, ","); t; t = strtok(NULL, ",")) {
        if (!strcmp(t, "linear")) *mask |= CRYPTONN_AUDIT_LINEAR;
        else if (!strcmp(t, "lp")) *mask |= CRYPTONN_AUDIT_LP;
        else if (!strcmp(t, "decoder")) *mask |= CRYPTONN_AUDIT_DECODER;
        else return -1;
    }
    return *mask ? 0 : -1;
}

/* 0 ok, 1 to exit 0 (help), 2 usage error. */
static int parse(int argc, char **argv, audit_args *a)
{
    static const struct option lo[] = {
        {"keys", 1, 0, 'k'},       {"params", 1, 0, 'P'},     {"layer", 1, 0, 'L'},
        {"layer-seed", 1, 0, 'S'}, {"data", 1, 0, 'd'},       {"images", 1, 0, 'i'},
        {"labels", 1, 0, 'l'},     {"aux-images", 1, 0, 'I'}, {"aux-labels", 1, 0, 'B'},
        {"samples", 1, 0, 'n'},    {"aux-limit", 1, 0, 'a'},  {"attacks", 1, 0, 'A'},
        {"epochs", 1, 0, 'e'},     {"hidden", 1, 0, 'H'},     {"seed", 1, 0, 's'},
        {"threads", 1, 0, 't'},    {"picture", 1, 0, 'p'},    {"markdown", 1, 0, 'm'},
        {"spec", 1, 0, 'D'},       {"records", 1, 0, 'R'},    {"aux", 1, 0, 'X'},
        {"json", 0, 0, 'j'},       {"quiet", 0, 0, 'q'},      {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    const char *C = "cryptonn audit";
    memset(a, 0, sizeof *a);
    cryptonn_audit_opts_default(&a->o);
    a->data = "data/mnist";
    a->layer_seed = 1;
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
        switch (c) {
        case 'k': a->keys = optarg; break;
        case 'P': a->params = optarg; break;
        case 'L': a->layer = optarg; break;
        case 'S': bad |= cli_parse_u64(C, "--layer-seed", optarg, 0, UINT64_MAX, &a->layer_seed); break;
        case 'd': a->data = optarg; break;
        case 'D': a->spec = optarg; break;
        case 'R': a->records = optarg; break;
        case 'X': a->aux = optarg; break;
        case 'i': a->images = optarg; break;
        case 'l': a->labels = optarg; break;
        case 'I': a->aux_images = optarg; break;
        case 'B': a->aux_labels = optarg; break;
        case 'n': bad |= cli_parse_u32(C, "--samples", optarg, 1, 1000000, &a->o.samples); break;
        case 'a': bad |= cli_parse_u32(C, "--aux-limit", optarg, 0, 10000000, &a->o.aux_limit); break;
        case 'e': bad |= cli_parse_u32(C, "--epochs", optarg, 0, 1000, &a->o.decoder_epochs); break;
        case 'H': bad |= cli_parse_u32(C, "--hidden", optarg, 1, 8192, &a->o.decoder_hidden); break;
        case 's': bad |= cli_parse_u64(C, "--seed", optarg, 0, UINT64_MAX, &a->o.seed); break;
        case 't': bad |= cli_parse_u32(C, "--threads", optarg, 1, 256, &a->o.threads); break;
        case 'p': a->picture = optarg; break;
        case 'm': a->markdown = optarg; break;
        case 'j': a->json = 1; break;
        case 'q': a->quiet = 1; break;
        case 'A':
            if (parse_attacks(optarg, &a->o.attacks)) {
                fprintf(stderr, "%s: --attacks expects linear,lp,decoder (comma-separated), got "
                                "'%s'\n", C, optarg);
                bad = 1;
            }
            break;
        case 'h': usage(stdout); return 1;
        default: usage(stderr); return 2;
        }
    }
    if (bad) return 2;
    if (optind != argc || !!a->keys + !!a->layer != 1 || (a->keys && !a->params) ||
        !a->images != !a->labels || !a->aux_images != !a->aux_labels || !a->spec != !a->records ||
        (a->aux && !a->spec) || (a->spec && !a->keys)) {
        fprintf(stderr, "%s: give --keys EXPORT with --params FILE, or --layer SPEC; IDX image "
                        "files with their label files\n\n", C);
        usage(stderr);
        return 2;
    }
    a->o.progress = !a->quiet;
    return 0;
}

static int load_set(const audit_args *a, int aux, uint32_t limit, cryptonn_dataset *d)
{
    const char *img = aux ? a->aux_images : a->images, *lab = aux ? a->aux_labels : a->labels;
    char msg[512];
    int rc = img ? cryptonn_idx_load(img, lab, limit, d, msg, sizeof msg)
                 : cryptonn_mnist_load(a->data, !aux, limit, d, msg, sizeof msg);
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn audit: %s data: %s%s\n", aux ? "auxiliary" : "records", msg,
                img ? "" : " (run tools/fetch-mnist)");
    return rc;
}

static int print_result(const cryptonn_audit *au, cryptonn_audit_format fmt, const char *pic,
                        FILE *f)
{
    char *text = NULL;
    int rc = cryptonn_audit_format_result(au, fmt, pic, &text);
    if (rc == CRYPTONN_OK) fputs(text, f);
    cryptonn_free(text);
    return rc;
}

static int report(const audit_args *a, const cryptonn_audit *au)
{
    if (a->picture) {
        int rc = cryptonn_audit_picture(au, a->picture, 10);
        if (rc == CRYPTONN_ERR_ARG) {
            fprintf(stderr, "cryptonn audit: %s: the records are not images; the per-feature "
                            "error table replaces the picture\n", a->picture);
        } else if (rc != CRYPTONN_OK) {
            return cli_fail(a->picture, rc);
        }
    }
    if (a->markdown) {
        FILE *f = fopen(a->markdown, "w");
        int bad = !f || print_result(au, CRYPTONN_AUDIT_MARKDOWN, a->picture, f) != CRYPTONN_OK;
        if ((f && fclose(f)) || bad) {
            fprintf(stderr, "cryptonn audit: cannot write %s\n", a->markdown);
            return 1;
        }
    }
    if (print_result(au, a->json ? CRYPTONN_AUDIT_JSON : CRYPTONN_AUDIT_TEXT, NULL, stdout) !=
        CRYPTONN_OK)
        return 1;
    if (!a->json && !cryptonn_audit_is_image(au))
        print_result(au, CRYPTONN_AUDIT_FEATURES, NULL, stdout);
    if (a->picture && !a->json) printf("picture: %s (top row: originals)\n", a->picture);
    return 0;
}

/* Records of the owners' data spec: CSV or .npy (docs/DATA.md). */
static int audit_records(const audit_args *a, cryptonn_audit **au, char *msg, size_t msg_len)
{
    cryptonn_data_spec spec;
    cryptonn_records rec = {0}, aux = {0};
    int rc = cryptonn_spec_read(a->spec, &spec, msg, msg_len);
    if (rc != CRYPTONN_OK) return rc;
    rc = cryptonn_spec_load(&spec, a->records, NULL, &rec, msg, msg_len);
    if (rc == CRYPTONN_OK && a->aux) rc = cryptonn_spec_load(&spec, a->aux, NULL, &aux, msg, msg_len);
    if (rc == CRYPTONN_OK)
        rc = cryptonn_audit_run_records(au, &a->o, a->keys, a->params, &rec, a->aux ? &aux : NULL,
                                        msg, msg_len);
    cryptonn_records_free(&rec);
    cryptonn_records_free(&aux);
    cryptonn_spec_free(&spec);
    return rc;
}

int cli_audit(int argc, char **argv)
{
    audit_args a;
    int p = parse(argc, argv, &a);
    if (p) return p == 1 ? 0 : 2;
    if (a.spec) {
        cryptonn_audit *au = NULL;
        char msg[512] = "";
        int rc = audit_records(&a, &au, msg, sizeof msg);
        int status = rc == CRYPTONN_OK ? report(&a, au) : 1;
        if (rc != CRYPTONN_OK)
            fprintf(stderr, "cryptonn audit: %s\n", msg[0] ? msg : cryptonn_status_str(rc));
        cryptonn_audit_destroy(au);
        return status;
    }
    cryptonn_dataset rec = {0}, aux = {0};
    if (load_set(&a, 0, a.o.samples, &rec) != CRYPTONN_OK) return 1;
    if (load_set(&a, 1, a.o.aux_limit, &aux) != CRYPTONN_OK) {
        cryptonn_dataset_free(&rec);
        return 1;
    }
    cryptonn_audit *au = NULL;
    char msg[512] = "";
    int rc = a.keys ? cryptonn_audit_run_export(&au, &a.o, a.keys, a.params, &rec, &aux, msg,
                                                sizeof msg)
                    : cryptonn_audit_run_layer(&au, &a.o, a.layer, a.layer_seed, &rec, &aux, msg,
                                               sizeof msg);
    int status = 1;
    if (rc == CRYPTONN_OK) status = report(&a, au);
    else fprintf(stderr, "cryptonn audit: %s\n", msg[0] ? msg : cryptonn_status_str(rc));
    cryptonn_audit_destroy(au);
    cryptonn_dataset_free(&rec);
    cryptonn_dataset_free(&aux);
    return status;
}
