/* data: the .npy reader, on files written here byte by byte as
 * numpy.lib.format lays them out: every supported dtype in both byte
 * orders and the three header versions, the record shapes, labels, and
 * each kind of bad file. (tests/cli_data.sh also reads files numpy itself
 * wrote, where numpy is installed.) */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/data.h"
#include "testutil.h"

static char xpath[512], ypath[512];

/* A .npy file: version major, the dict text, then len data bytes. */
static void write_npy(const char *p, unsigned major, const char *dict, const void *data, size_t len)
{
    char hdr[512];
    size_t pre = major == 1 ? 10 : 12, n = strlen(dict);
    size_t total = (pre + n + 1 + 63) / 64 * 64; /* padded to 64 with blanks and a newline */
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, dict, n);
    hdr[total - pre - 1] = '\n';
    size_t hlen = total - pre;
    uint8_t head[12] = {0x93, 'N', 'U', 'M', 'P', 'Y', (uint8_t)major, 0};
    for (size_t b = 0; b < (major == 1 ? 2u : 4u); b++) head[8 + b] = (uint8_t)(hlen >> (8 * b));
    FILE *f = fopen(p, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fwrite(head, 1, pre, f);
    fwrite(hdr, 1, hlen, f);
    fwrite(data, 1, len, f);
    fclose(f);
}

/* value as `size` bytes of dtype kind in the given byte order. */
static void put(uint8_t *p, char kind, unsigned size, int big, double v)
{
    uint64_t u;
    if (kind == 'f' && size == 4) {
        float f = (float)v;
        uint32_t w;
        memcpy(&w, &f, 4);
        u = w;
    } else if (kind == 'f') {
        memcpy(&u, &v, 8);
    } else {
        u = (uint64_t)(int64_t)v;
    }
    for (unsigned b = 0; b < size; b++) p[big ? size - 1 - b : b] = (uint8_t)(u >> (8 * b));
}

static void dtypes(void)
{
    const struct {
        char kind;
        unsigned size;
    } types[] = {{'u', 1}, {'i', 1}, {'u', 2}, {'i', 2}, {'u', 4}, {'i', 4},
                 {'u', 8}, {'i', 8}, {'f', 4}, {'f', 8}};
    enum { N = 3, F = 4 };
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
        for (int big = 0; big < 2; big++) {
            char kind = types[k].kind;
            unsigned size = types[k].size;
            uint8_t buf[N * F * 8];
            double want[N * F];
            for (int i = 0; i < N * F; i++) {
                /* Extremes of the type where it has them, else small values. */
                double v = kind == 'f' ? (i - 5) * 0.375 : (double)(i * 7 % 100);
                if (kind == 'i' && i == 1) v = -(double)((uint64_t)1 << (8 * size - 1));
                if (kind == 'u' && i == 2 && size < 8) v = (double)(((uint64_t)1 << (8 * size)) - 1);
                want[i] = v;
                put(buf + i * size, kind, size, big, v);
            }
            char dict[128];
            snprintf(dict, sizeof dict, "{'descr': '%c%c%u', 'fortran_order': False, 'shape': (%d, %d), }",
                     size == 1 ? '|' : big ? '>' : '<', kind, size, N, F);
            write_npy(xpath, 1 + (unsigned)(k % 3), dict, buf, (size_t)N * F * size);
            cryptonn_table t;
            char msg[256] = "";
            int rc = cryptonn_npy_read(xpath, NULL, &t, msg, sizeof msg);
            CHECK_EQ_INT(rc, CRYPTONN_OK);
            if (rc != CRYPTONN_OK) {
                fprintf(stderr, "%s: %s\n", dict, msg);
                continue;
            }
            CHECK(t.n == N && t.cols == F && !t.named && !strcmp(t.names[3], "x3"));
            CHECK(memcmp(t.x, want, sizeof want) == 0);
            cryptonn_table_free(&t);
        }
}

static void shapes_and_labels(void)
{
    uint8_t img[2 * 3 * 4 * 5];
    for (size_t i = 0; i < sizeof img; i++) img[i] = (uint8_t)i;
    write_npy(xpath, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3, 4, 5), }", img,
              sizeof img);
    int64_t lab[2] = {7, -1};
    write_npy(ypath, 1, "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }", lab, sizeof lab);
    cryptonn_table t;
    char msg[256] = "";
    CHECK_EQ_INT(cryptonn_table_read(xpath, NULL, ypath, &t, msg, sizeof msg), CRYPTONN_OK);
    CHECK(t.n == 2 && t.cols == 60 && t.shape[0] == 3 && t.shape[1] == 4 && t.shape[2] == 5);
    CHECK(t.x && t.x[59] == 59 && t.x[60 + 1] == 61);
    CHECK(t.labels && !strcmp(t.labels[0], "7") && !strcmp(t.labels[1], "-1"));
    cryptonn_table_free(&t);
    write_npy(xpath, 2, "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 6, 10), }", img,
              120);
    float flab[2] = {0.25f, 3};
    write_npy(ypath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 1), }", flab,
              sizeof flab);
    CHECK_EQ_INT(cryptonn_npy_read(xpath, ypath, &t, msg, sizeof msg), CRYPTONN_OK);
    CHECK(t.shape[0] == 1 && t.shape[1] == 6 && t.shape[2] == 10);
    CHECK(t.labels && !strcmp(t.labels[0], "0.25") && !strcmp(t.labels[1], "3"));
    cryptonn_table_free(&t);
}

static void refused(const char *which, int rc, const char *frag)
{
    cryptonn_table t;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_npy_read(xpath, ypath, &t, msg, sizeof msg), rc);
    int ok = strstr(msg, which) && strstr(msg, frag);
    if (!ok) fprintf(stderr, "message '%s' lacks '%s' / '%s'\n", msg, which, frag);
    CHECK(ok);
    CHECK(t.n == 0 && t.x == NULL && t.labels == NULL);
}

static void bad(void)
{
    float x[6] = {1, 2, 3, 4, 5, 6};
    uint8_t y[2] = {0, 1};
    const char *good_y = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }";
    write_npy(ypath, 1, good_y, y, 2);
    write_npy(xpath, 1, "{'descr': '<c8', 'fortran_order': False, 'shape': (2, 3), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "dtype '<c8'");
    write_npy(xpath, 1, "{'descr': '|O', 'fortran_order': False, 'shape': (2, 3), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "dtype '|O'");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 3), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "C-ordered");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, 20);
    refused(xpath, CRYPTONN_ERR_TRUNCATED, "20 data bytes");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "8 trailing bytes");
    write_npy(xpath, 4, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, 24);
    refused(xpath, CRYPTONN_ERR_VERSION, "version 4");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (6,), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "N×F");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 0), }", x, 0);
    refused(xpath, CRYPTONN_ERR_FORMAT, "shape (2, 0) has a size of 0");
    /* Too big, malformed and too many dimensions are told apart. */
    write_npy(xpath, 1,
              "{'descr': '<f4', 'fortran_order': False, 'shape': (2147483648, 2147483648), }", x,
              24);
    refused(xpath, CRYPTONN_ERR_TOO_LARGE,
            "shape (2147483648, 2147483648) holds more than 134217728 values");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, three), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "shape (2, three) is not a tuple of sizes");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, -3), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "shape (2, -3) is not a tuple of sizes");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 2, 3, 1), }",
              x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "shape (1, 1, 2, 3, 1) has more than 4 dimensions");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False}", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "without a shape");
    x[4] = NAN;
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, 24);
    refused(xpath, CRYPTONN_ERR_FORMAT, "record 2 (from 1), feature x1 is not finite");
    x[4] = 5;
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", x, 24);
    refused(ypath, CRYPTONN_ERR_MISMATCH, "for the 3 records");
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", x, 24);
    float yf[2] = {0, INFINITY};
    write_npy(ypath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", yf, 8);
    refused(ypath, CRYPTONN_ERR_FORMAT, "the label of record 2 (from 1) is not finite");
    FILE *f = fopen(xpath, "wb");
    if (f) {
        fwrite("\x93NUMPZ\x01\x00\x10\x00", 1, 10, f);
        fclose(f);
    }
    refused(xpath, CRYPTONN_ERR_FORMAT, "not a .npy");
    f = fopen(xpath, "wb");
    if (f) {
        fwrite("\x93NUMPY\x01\x00\xff\x00{'descr'", 1, 18, f);
        fclose(f);
    }
    refused(xpath, CRYPTONN_ERR_TRUNCATED, "a header of 255 bytes, but the file ends 8 bytes into it");
    /* A header over the limit is not "cut": the message says it is too long. */
    enum { H = 70068 };
    uint8_t *big = calloc(1, 12 + H);
    CHECK(big != NULL);
    if (big && (f = fopen(xpath, "wb"))) {
        memcpy(big, "\x93NUMPY\x02\x00", 8);
        big[8] = H & 0xff, big[9] = (H >> 8) & 0xff, big[10] = (uint8_t)(H >> 16);
        memset(big + 12, ' ', H);
        fwrite(big, 1, 12 + H, f);
        fclose(f);
    }
    free(big);
    refused(xpath, CRYPTONN_ERR_TOO_LARGE, "a header of 70068 bytes, longer than the 65536");
    /* A directory is named as one, not "input/output error". */
    cryptonn_table t;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_npy_read(t_tmpdir(), NULL, &t, msg, sizeof msg), CRYPTONN_ERR_IO);
    CHECK(strstr(msg, t_tmpdir()) && strstr(msg, "is a directory"));
}

/* .npy records under a spec: without labels when they are not needed, and
 * a record named counting from 1, as CSV lines are. */
static void under_spec(void)
{
    float x[6] = {0, 1, 2, 3, 4, 5};
    uint8_t y[3] = {0, 1, 1};
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", x, 24);
    write_npy(ypath, 1, "{'descr': '|u1', 'fortran_order': False, 'shape': (3,), }", y, 3);
    cryptonn_table t;
    cryptonn_data_spec s;
    cryptonn_describe_opts o = {0};
    cryptonn_records r, u;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_npy_read(xpath, ypath, &t, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_table_free(&t);
    CHECK_EQ_INT(cryptonn_spec_load(&s, xpath, ypath, &r, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_load(&s, xpath, NULL, &u, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "x.npy: no labels (a .npy's labels are a second .npy file: --labels Y.npy)"));
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, xpath, NULL, &u, msg, sizeof msg), CRYPTONN_OK);
    CHECK(u.n == 3 && u.y == NULL && u.t == NULL && u.x && r.x &&
          memcmp(u.x, r.x, sizeof x) == 0);
    cryptonn_records_free(&u);
    cryptonn_records_free(&r);
    x[3] = 1000; /* record 2 (from 1), feature x1: beyond the bound */
    write_npy(xpath, 1, "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 2), }", x, 24);
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, xpath, NULL, &u, msg, sizeof msg),
                 CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "record 2 (from 1): feature 'x1' = 1000") != NULL);
    cryptonn_spec_free(&s);
}

int main(void)
{
    t_init("test_data_npy");
    snprintf(xpath, sizeof xpath, "%s/x.npy", t_tmpdir());
    snprintf(ypath, sizeof ypath, "%s/y.npy", t_tmpdir());
    dtypes();
    shapes_and_labels();
    bad();
    under_spec();
    return t_done();
}
