/* The owners' file parsers under mutated input: CSV records, .npy records
 * and labels, data specs and model files. Each valid seed file is damaged
 * (bytes flipped or set to the format's own syntax characters, ranges cut
 * out or repeated, the file truncated) and read again. Every read must end
 * in CRYPTONN_OK or a documented error status with a NUL-terminated,
 * non-empty reason (no crash, no sanitizer report); what is accepted must
 * hold the invariants readers promise (finite values, positive scales,
 * shapes that multiply out, a model config that passes its own check). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/data.h"
#include "cryptonn/nn.h"
#include "testutil.h"

#define MSG 512

static const char CSV[] = "a,b,\"c, d\",label\n"
                          "1.5,-2,3e-1,sick\n"
                          "0,4.25,\"7\",well\n"
                          "-1e2,0.5,2,sick\n"
                          "3,3,3,well\n";

static const char MODEL[] =
    "{\"input\": [2, 4, 4], \"output\": \"softmax\", \"loss\": \"ce\",\n"
    " \"layers\": [{\"type\": \"conv2d\", \"filters\": 3, \"kernel\": 3, \"stride\": 1,"
    " \"padding\": 1},\n"
    "  {\"type\": \"relu\"}, {\"type\": \"maxpool\", \"kernel\": 2}, {\"type\": \"flatten\"},\n"
    "  {\"type\": \"dropout\", \"rate\": 0.25}, {\"type\": \"dense\", \"units\": 3}]}\n";

/* syntax characters of the four formats: the mutations most likely to reach
 * a parser's corners */
static const char SYNTAX[] = ",\"\n\r\0-+.eE9{}[]:'\\ x";

static uint8_t *mutate(const void *in, size_t len, size_t *out_len)
{
    uint8_t *b = malloc(2 * len + 16);
    memcpy(b, in, len);
    size_t n = len;
    for (int k = (int)t_rand_range(1, 4); k > 0; k--) {
        size_t at = n ? (size_t)t_rand_range(0, (int64_t)n - 1) : 0;
        switch (t_rand_range(0, 4)) {
        case 0: /* a random byte */
            if (n) b[at] = (uint8_t)t_rand64();
            break;
        case 1: /* a syntax character */
            if (n) b[at] = (uint8_t)SYNTAX[t_rand_range(0, (int64_t)sizeof SYNTAX - 2)];
            break;
        case 2: { /* a range cut out */
            size_t m = (size_t)t_rand_range(0, (int64_t)(n - at < 16 ? n - at : 16));
            memmove(b + at, b + at + m, n - at - m);
            n -= m;
            break;
        }
        case 3: { /* a range repeated (bounded growth) */
            size_t m = (size_t)t_rand_range(0, (int64_t)(n - at < 16 ? n - at : 16));
            if (n + m > 2 * len + 16) break;
            memmove(b + at + m, b + at, n - at);
            n += m;
            break;
        }
        default: /* truncated */
            n = at;
        }
    }
    *out_len = n;
    return b;
}

static void write_file(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK_EQ_INT(fwrite(b, 1, n, f), n);
    fclose(f);
}

static uint8_t *read_file(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long len = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)len + 1);
    *n = fread(b, 1, (size_t)len, f);
    fclose(f);
    return b;
}

/* A damaged copy of seed at path. */
static void write_mutant(const char *path, const void *seed, size_t len)
{
    size_t n;
    uint8_t *m = mutate(seed, len, &n);
    write_file(path, m, n);
    free(m);
}

static long accepted, refused;

/* A documented status, and a reason exactly when it failed. */
static int clean(int rc, const char *msg)
{
    if (rc == CRYPTONN_OK) accepted++;
    else refused++;
    int known = rc == CRYPTONN_OK || (rc <= CRYPTONN_ERR_ARG && rc >= CRYPTONN_ERR_VERSION);
    int terminated = memchr(msg, 0, MSG) != NULL;
    return known && terminated && (rc == CRYPTONN_OK || msg[0] != 0);
}

static void table_ok(const cryptonn_table *t, int labelled)
{
    CHECK(t->n >= 1 && t->cols >= 1);
    CHECK((uint64_t)t->shape[0] * t->shape[1] * t->shape[2] == t->cols);
    int finite = 1;
    for (size_t i = 0; i < (size_t)t->n * t->cols; i++) finite &= isfinite(t->x[i]) != 0;
    CHECK(finite);
    CHECK(!labelled || t->labels != NULL);
}

/* .npy seed: version 1.0 header padded to 64 bytes, then the data */
static size_t npy_seed(uint8_t *out, const char *descr, const char *shape, const void *data,
                       size_t data_len)
{
    char hdr[128];
    int h = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
                     descr, shape);
    size_t total = 10 + (size_t)h + 1;
    size_t pad = (64 - total % 64) % 64;
    memcpy(out, "\x93NUMPY\x01\x00", 8);
    out[8] = (uint8_t)((h + 1 + pad) & 0xff);
    out[9] = (uint8_t)((h + 1 + pad) >> 8);
    memcpy(out + 10, hdr, (size_t)h);
    memset(out + 10 + h, ' ', pad);
    out[10 + h + pad] = '\n';
    memcpy(out + total + pad, data, data_len);
    return total + pad + data_len;
}

static void fuzz_csv(long iters, const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/f.csv", dir);
    for (long it = 0; it < iters; it++) {
        write_mutant(path, CSV, sizeof CSV - 1);
        cryptonn_table t;
        char msg[MSG] = "";
        int rc = cryptonn_csv_read(path, "label", &t, msg, sizeof msg);
        CHECK(clean(rc, msg));
        if (rc == CRYPTONN_OK) table_ok(&t, 1);
        cryptonn_table_free(&t);
    }
}

static void fuzz_npy(long iters, const char *dir)
{
    const float x[12] = {1, 2, 3, 4, -1, 0.5f, 7, 8, 9, 10, 11, 12};
    const int32_t y[3] = {0, 1, 0};
    uint8_t seed[256], lseed[256];
    size_t sn = npy_seed(seed, "<f4", "(3, 4)", x, sizeof x);
    size_t ln = npy_seed(lseed, "<i4", "(3,)", y, sizeof y);
    char xp[600], yp[600];
    snprintf(xp, sizeof xp, "%s/x.npy", dir);
    snprintf(yp, sizeof yp, "%s/y.npy", dir);
    /* the seeds themselves are valid */
    write_file(xp, seed, sn);
    write_file(yp, lseed, ln);
    cryptonn_table t;
    char msg[MSG] = "";
    CHECK_EQ_INT(cryptonn_npy_read(xp, yp, &t, msg, sizeof msg), CRYPTONN_OK);
    if (t.x) CHECK(t.n == 3 && t.cols == 4 && t.x[5] == 0.5);
    cryptonn_table_free(&t);
    for (long it = 0; it < iters; it++) {
        int labels = it % 2; /* damage the records or the labels */
        write_mutant(labels ? yp : xp, labels ? lseed : seed, labels ? ln : sn);
        msg[0] = 0;
        int rc = cryptonn_npy_read(xp, yp, &t, msg, sizeof msg);
        CHECK(clean(rc, msg));
        if (rc == CRYPTONN_OK) table_ok(&t, 1);
        cryptonn_table_free(&t);
        write_file(labels ? yp : xp, labels ? lseed : seed, labels ? ln : sn);
    }
}

static void spec_ok(const cryptonn_data_spec *s)
{
    CHECK(s->features >= 1);
    CHECK((uint64_t)s->shape[0] * s->shape[1] * s->shape[2] == s->features);
    int good = isfinite(s->bound) && s->bound > 0;
    for (uint32_t f = 0; f < s->features; f++)
        good &= isfinite(s->offset[f]) && isfinite(s->scale[f]) && s->scale[f] > 0;
    CHECK(good);
}

static void fuzz_spec(long iters, const char *dir)
{
    char csv[600], path[600];
    snprintf(csv, sizeof csv, "%s/seed.csv", dir);
    snprintf(path, sizeof path, "%s/spec.json", dir);
    write_file(csv, (const uint8_t *)CSV, sizeof CSV - 1);
    cryptonn_table t;
    cryptonn_data_spec s;
    char msg[MSG] = "";
    CHECK_EQ_INT(cryptonn_csv_read(csv, "label", &t, msg, sizeof msg), CRYPTONN_OK);
    const cryptonn_describe_opts o = {0};
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_table_free(&t);
    char *json = cryptonn_spec_to_json(&s);
    cryptonn_spec_free(&s);
    CHECK(json != NULL);
    if (!json) return;
    const size_t jn = strlen(json);
    for (long it = 0; it < iters; it++) {
        write_mutant(path, json, jn);
        msg[0] = 0;
        int rc = cryptonn_spec_read(path, &s, msg, sizeof msg);
        CHECK(clean(rc, msg));
        if (rc == CRYPTONN_OK) {
            spec_ok(&s);
            /* applying an accepted spec to the seed records ends cleanly too */
            cryptonn_records r;
            char m2[MSG] = "";
            int lr = cryptonn_spec_load(&s, csv, NULL, &r, m2, sizeof m2);
            CHECK(clean(lr, m2));
            if (lr == CRYPTONN_OK) cryptonn_records_free(&r);
            cryptonn_spec_free(&s);
        }
    }
    free(json);
}

static void fuzz_model(long iters, const char *dir)
{
    char path[600];
    snprintf(path, sizeof path, "%s/model.json", dir);
    cryptonn_model_config c;
    char msg[MSG] = "", why[MSG];
    CHECK_EQ_INT(cryptonn_model_config_parse("seed", MODEL, sizeof MODEL - 1, &c, msg, sizeof msg),
                 CRYPTONN_OK);
    for (long it = 0; it < iters; it++) {
        write_mutant(path, MODEL, sizeof MODEL - 1);
        msg[0] = 0;
        int rc = cryptonn_model_config_read(path, &c, msg, sizeof msg);
        CHECK(clean(rc, msg));
        if (rc == CRYPTONN_OK) {
            /* an accepted file describes a model the engine accepts */
            why[0] = 0;
            int cr = cryptonn_model_config_check(&c, why, sizeof why);
            CHECK_EQ_INT(cr, CRYPTONN_OK);
            if (cr != CRYPTONN_OK) fprintf(stderr, "accepted but failed its check: %s\n", why);
        }
    }
    /* the models shipped in models/ parse and pass their check */
    static const char *const shipped[] = {"models/lenet5.json", "models/mlp.json",
                                          "models/breast_cancer.json", "models/digits.json",
                                          "models/diabetes.json", "models/wine.json"};
    for (size_t i = 0; i < sizeof shipped / sizeof shipped[0]; i++) {
        char p[1024];
        size_t n = 0;
        uint8_t *b = read_file(t_src_path(p, sizeof p, shipped[i]), &n);
        CHECK(b != NULL);
        if (!b) continue;
        free(b);
        CHECK_EQ_INT(cryptonn_model_config_read(p, &c, msg, sizeof msg), CRYPTONN_OK);
    }
}

int main(void)
{
    t_init("test_data_fuzz");
    const char *dir = t_tmpdir();
    const long iters = t_iters(10000, 2000);
    void (*const fuzz[])(long, const char *) = {fuzz_csv, fuzz_npy, fuzz_spec, fuzz_model};
    static const char *const name[] = {"CSV", ".npy", "spec", "model"};
    for (int f = 0; f < 4; f++) {
        accepted = refused = 0;
        fuzz[f](iters, dir);
        /* both sides reached: the mutations neither all miss nor all break */
        CHECK(accepted >= 1 && refused > iters / 10);
        printf("test_data_fuzz: %s: %ld accepted, %ld refused\n", name[f], accepted, refused);
    }
    return t_done();
}
