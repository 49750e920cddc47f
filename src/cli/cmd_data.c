/* `cryptonn data`: the owners' tools for their own records.
 *   describe FILE --label NAME   a data spec (JSON) from the file's statistics
 *   check FILE --spec SPEC       does every record fit the spec?
 *   split FILE --label NAME      a seeded held-out test split, and the rest
 *                                cut into parts (one per owner)
 * Records are CSV with a header row, or .npy with labels in a second .npy
 * (docs/DATA.md). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/args.h"
#include "cli/commands.h"
#include "cli/datamodel.h"
#include "cryptonn/data.h"
#include "cryptonn/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: cryptonn data describe FILE (--label NAME | --labels Y.npy) [options]\n"
            "       cryptonn data check FILE --spec SPEC [--labels Y.npy]\n"
            "       cryptonn data split FILE.csv --label NAME --out PREFIX [options]\n\n"
            "describe: prints a data spec (JSON) computed from FILE, for the owners to\n"
            "agree on and edit: feature names and order, offset and scale per feature,\n"
            "the bound on scaled values, input shape, fixed point, and the task.\n"
            "  --label NAME        CSV: the label column\n"
            "  --labels Y.npy      .npy: the labels file\n"
            "  --task classification|regression   (default: classes when the labels are\n"
            "                      text, or at most 20 distinct integers)\n"
            "  --shape CxHxW       records are images (default: flat, or the .npy's shape)\n"
            "  --normalize standard|range|none    per-feature mean and standard deviation,\n"
            "                      one min..max range for all, or raw (default: range for\n"
            "                      images, else standard)\n"
            "  --fixed-point B^D   scale of encrypted values, 2^D or 10^D (default 2^8)\n"
            "  --bound X           every |scaled value| of every owner's records must be at\n"
            "                      most X (default: 1.5 x this file's largest): owners whose\n"
            "                      records reach further agree on a larger one\n"
            "  --out SPEC          write the spec there (atomically) instead of stdout\n\n"
            "check: applies SPEC to every record of FILE; names the first that does\n"
            "not fit.\n\n"
            "split: a seeded shuffle; the first --test-fraction of it goes to\n"
            "PREFIX-test.csv, the rest to PREFIX-train.csv or, with --parts N, to\n"
            "PREFIX-part1.csv .. PREFIX-partN.csv (records kept verbatim, in file order).\n"
            "  --test-fraction F   (0.2)\n"
            "  --parts N           (1)\n"
            "  --seed S            (1)\n");
}

static int parse_shape(const char *s, uint32_t *sh)
{
    char tail;
    return sscanf(s, "%ux%ux%u%c", &sh[0], &sh[1], &sh[2], &tail) == 3 && sh[0] && sh[1] && sh[2];
}

static int parse_fixed(const char *s, cryptonn_describe_opts *o)
{
    char tail;
    return sscanf(s, "%u^%u%c", &o->base, &o->digits, &tail) == 2 && (o->base == 2 || o->base == 10);
}

/* Writes text to path atomically, or to stdout when path is NULL. */
static int emit(const char *path, const char *text)
{
    if (!path) return fputs(text, stdout) >= 0 && fputc('\n', stdout) != EOF ? CRYPTONN_OK : CRYPTONN_ERR_IO;
    cryptonn_part parts[2] = {{text, strlen(text)}, {"\n", 1}};
    return cryptonn_file_write_atomic(path, parts, 2, 0644);
}

static int describe(int argc, char **argv)
{
    static const struct option opts[] = {
        {"label", required_argument, 0, 'l'},     {"labels", required_argument, 0, 'L'},
        {"task", required_argument, 0, 't'},      {"shape", required_argument, 0, 's'},
        {"normalize", required_argument, 0, 'n'}, {"fixed-point", required_argument, 0, 'f'},
        {"out", required_argument, 0, 'o'},       {"help", no_argument, 0, 'h'},
        {"bound", required_argument, 0, 'b'},     {0, 0, 0, 0}};
    const char *label = NULL, *labels = NULL, *out = NULL;
    double bound = 0;
    cryptonn_describe_opts d = {0};
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'l': label = optarg; break;
        case 'L': labels = optarg; break;
        case 'o': out = optarg; break;
        case 't':
            d.task = !strcmp(optarg, "classification") ? CRYPTONN_TASK_CLASSIFY
                     : !strcmp(optarg, "regression")   ? CRYPTONN_TASK_REGRESS
                                                       : 0;
            if (!d.task) goto bad;
            break;
        case 'n':
            d.norm = !strcmp(optarg, "standard") ? CRYPTONN_NORM_STANDARD
                     : !strcmp(optarg, "range")  ? CRYPTONN_NORM_RANGE
                     : !strcmp(optarg, "none")   ? CRYPTONN_NORM_NONE
                                                 : 0;
            if (!d.norm) goto bad;
            break;
        case 's': if (!parse_shape(optarg, d.shape)) goto bad; break;
        case 'f': if (!parse_fixed(optarg, &d)) goto bad; break;
        case 'b':
            if (cli_parse_double("data describe", "bound", optarg, 1, 1e6, &bound) != 0) return 2;
            break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 1 || (!label && !labels)) {
        fprintf(stderr, "cryptonn data describe: give FILE and its labels (--label or --labels)\n");
        return 2;
    }
    cryptonn_table t;
    cryptonn_data_spec s;
    char msg[512] = "";
    int rc = cryptonn_table_read(argv[optind], label, labels, &t, msg, sizeof msg);
    if (rc == CRYPTONN_OK) {
        rc = cryptonn_spec_describe(&t, &d, &s, msg, sizeof msg);
        cryptonn_table_free(&t);
    }
    if (rc == CRYPTONN_OK && bound > 0) {
        if (bound < s.bound)
            fprintf(stderr, "cryptonn data describe: warning: --bound %g is below this file's "
                            "own %g: some of its records will not fit\n", bound, s.bound);
        s.bound = bound;
    }
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn data describe: %s\n", msg);
        return 1;
    }
    char *text = cryptonn_spec_to_json(&s);
    rc = text ? emit(out, text) : CRYPTONN_ERR_NOMEM;
    if (rc != CRYPTONN_OK) cli_fail(out ? out : "writing the spec", rc);
    else
        fprintf(stderr, "%u records, %u features, %s\n", s.records, s.features,
                s.task == CRYPTONN_TASK_CLASSIFY ? "classification" : "regression");
    free(text);
    cryptonn_spec_free(&s);
    return rc == CRYPTONN_OK ? 0 : 1;
bad:
    fprintf(stderr, "cryptonn data describe: bad value '%s' (see --help)\n", optarg);
    return 2;
}

static int check(int argc, char **argv)
{
    static const struct option opts[] = {{"spec", required_argument, 0, 's'},
                                         {"labels", required_argument, 0, 'L'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *spec = NULL, *labels = NULL;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 's': spec = optarg; break;
        case 'L': labels = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 1 || !spec) {
        fprintf(stderr, "cryptonn data check: give FILE and --spec\n");
        return 2;
    }
    cryptonn_data_spec s;
    cryptonn_records r = {0};
    int rc = cli_spec_read("data check", spec, &s);
    if (rc == CRYPTONN_OK && (rc = cli_records_load("data check", &s, argv[optind], labels, &r)) == CRYPTONN_OK)
        printf("%s: %u records fit %s\n", argv[optind], r.n, spec);
    cryptonn_records_free(&r);
    cryptonn_spec_free(&s);
    return rc == CRYPTONN_OK ? 0 : 1;
}

/* Records [0, n) of the table in buf: record i spans from the start of
 * line t->line[i] to the start of the next record (or the end). */
typedef struct {
    const char *buf;
    size_t len;
    size_t *start; /* n + 1 offsets; start[n] = len */
    size_t header;  /* bytes of the header line */
} raw_csv;

static int raw_index(const cryptonn_table *t, const uint8_t *buf, size_t len, raw_csv *r)
{
    r->buf = (const char *)buf, r->len = len;
    if (!(r->start = cryptonn_alloc_array((size_t)t->n + 1, sizeof(size_t)))) return CRYPTONN_ERR_NOMEM;
    uint32_t line = 1, i = 0;
    for (size_t p = 0; p <= len && i < t->n; p++) {
        if (line == t->line[i]) r->start[i++] = p;
        if (p < len && buf[p] == '\n') line++;
    }
    r->start[t->n] = len;
    r->header = t->n ? r->start[0] : len;
    return i == t->n ? CRYPTONN_OK : CRYPTONN_ERR_INTERNAL;
}

/* Writes the header and the records whose pick[] equals which, in file
 * order, to PREFIX-suffix.csv. */
static int write_part(const raw_csv *r, const uint32_t *pick, uint32_t n, uint32_t which,
                      const char *prefix, const char *suffix, uint32_t *count)
{
    cryptonn_part *parts = cryptonn_alloc_array((size_t)n + 2, sizeof(cryptonn_part));
    if (!parts) return CRYPTONN_ERR_NOMEM;
    size_t k = 0;
    parts[k++] = (cryptonn_part){r->buf, r->header};
    if (r->header && r->buf[r->header - 1] != '\n') parts[k++] = (cryptonn_part){"\n", 1};
    *count = 0;
    for (uint32_t i = 0; i < n; i++)
        if (pick[i] == which) {
            size_t a = r->start[i], b = r->start[i + 1];
            parts[k++] = (cryptonn_part){r->buf + a, b - a};
            ++*count;
        }
    char path[4096];
    snprintf(path, sizeof path, "%s-%s.csv", prefix, suffix);
    int rc = cryptonn_file_write_atomic(path, parts, k, 0644);
    if (rc != CRYPTONN_OK) cli_fail(path, rc);
    else printf("%s: %u records\n", path, *count);
    free(parts);
    return rc;
}

static int split(int argc, char **argv)
{
    static const struct option opts[] = {{"label", required_argument, 0, 'l'},
                                         {"out", required_argument, 0, 'o'},
                                         {"test-fraction", required_argument, 0, 'f'},
                                         {"parts", required_argument, 0, 'p'},
                                         {"seed", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *label = NULL, *prefix = NULL;
    double frac = 0.2;
    uint32_t parts = 1;
    uint64_t seed = 1;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 'l': label = optarg; break;
        case 'o': prefix = optarg; break;
        case 'f': if (cli_parse_double("data split", "test-fraction", optarg, 0, 0.9, &frac)) return 2; break;
        case 'p': if (cli_parse_u32("data split", "parts", optarg, 1, 64, &parts)) return 2; break;
        case 's': if (cli_parse_u64("data split", "seed", optarg, 0, UINT64_MAX, &seed)) return 2; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 1 || !label || !prefix) {
        fprintf(stderr, "cryptonn data split: give FILE.csv, --label and --out\n");
        return 2;
    }
    const char *path = argv[optind];
    const size_t pl = strlen(path);
    if (pl >= 4 && !strcmp(path + pl - 4, ".npy")) {
        /* split copies records as text, verbatim */
        fprintf(stderr, "cryptonn data split: %s: split takes a CSV file; split .npy records "
                        "with NumPy (the same rows of X and Y.npy)\n", path);
        return 2;
    }
    cryptonn_table t;
    char msg[512] = "";
    int rc = cryptonn_csv_read(path, label, &t, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn data split: %s\n", msg);
        return 1;
    }
    uint8_t *buf = NULL;
    size_t len = 0;
    raw_csv r = {0};
    uint32_t *order = cryptonn_alloc_array(t.n, sizeof(uint32_t)), *pick = cryptonn_alloc_array(t.n, sizeof(uint32_t));
    rc = order && pick ? cryptonn_file_read(path, (size_t)1 << 30, &buf, &len) : CRYPTONN_ERR_NOMEM;
    if (rc == CRYPTONN_OK) rc = raw_index(&t, buf, len, &r);
    if (rc != CRYPTONN_OK) cli_fail(path, rc);
    const uint32_t ntest = (uint32_t)(frac * t.n + 0.5), rest = t.n - ntest;
    if (rc == CRYPTONN_OK && (rest < parts || (frac > 0 && ntest == 0))) {
        fprintf(stderr, "cryptonn data split: %u records are too few for that split\n", t.n);
        rc = CRYPTONN_ERR_ARG;
    }
    if (rc == CRYPTONN_OK) {
        /* pick 0: test; 1..parts: the parts, as equal as can be. */
        cryptonn_shuffle_order(seed, t.n, order);
        for (uint32_t k = 0; k < t.n; k++)
            pick[order[k]] = k < ntest ? 0 : 1 + (uint32_t)((uint64_t)(k - ntest) * parts / rest);
        uint32_t count;
        if (ntest) rc = write_part(&r, pick, t.n, 0, prefix, "test", &count);
        for (uint32_t p = 1; p <= parts && rc == CRYPTONN_OK; p++) {
            char suffix[32];
            snprintf(suffix, sizeof suffix, parts == 1 ? "train" : "part%u", p);
            rc = write_part(&r, pick, t.n, p, prefix, suffix, &count);
        }
    }
    free(r.start);
    free(buf);
    free(order);
    free(pick);
    cryptonn_table_free(&t);
    return rc == CRYPTONN_OK ? 0 : 1;
}

int cli_data(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "describe")) return describe(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "check")) return check(argc - 1, argv + 1);
    if (argc >= 2 && !strcmp(argv[1], "split")) return split(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
