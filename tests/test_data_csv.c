/* data: the CSV reader. A file with every allowed liberty (byte order mark,
 * CRLF, quotes, blanks, a trailing blank line) reads exactly; each kind of
 * bad file is refused with the file, line, column and column name. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/data.h"
#include "testutil.h"

static char path[512];

static void write_text(const char *text, size_t len)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    fwrite(text, 1, len, f);
    fclose(f);
}

/* Refused with rc and a message holding the path and both fragments; the
 * table comes back zeroed. */
static void refused_bytes(const char *text, size_t len, const char *label, int rc,
                          const char *frag1, const char *frag2)
{
    write_text(text, len);
    cryptonn_table t;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_csv_read(path, label, &t, msg, sizeof msg), rc);
    int ok = strstr(msg, path) && strstr(msg, frag1) && (!frag2 || strstr(msg, frag2));
    if (!ok) fprintf(stderr, "message '%s' lacks '%s' / '%s'\n", msg, frag1, frag2 ? frag2 : "");
    CHECK(ok);
    CHECK(t.n == 0 && t.x == NULL && t.names == NULL && t.labels == NULL);
}

static void refused(const char *text, const char *label, int rc, const char *frag1,
                    const char *frag2)
{
    refused_bytes(text, strlen(text), label, rc, frag1, frag2);
}

static void good(void)
{
    const char text[] = "\xEF\xBB\xBF" "a, \"b, with comma\" ,label,c\r\n"
                        "1.5,-2,yes,3e2\r\n"
                        " 0 ,\"4\", \"no, \"\"really\"\"\" ,-0.25\n"
                        "7,8,yes,9\n\n\n";
    write_text(text, sizeof text - 1);
    cryptonn_table t;
    char msg[256] = "";
    int rc = cryptonn_csv_read(path, "label", &t, msg, sizeof msg);
    CHECK_EQ_INT(rc, CRYPTONN_OK);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "%s\n", msg);
        return;
    }
    CHECK_EQ_INT(t.n, 3);
    CHECK_EQ_INT(t.cols, 3);
    CHECK(t.named && t.shape[0] == 3 && t.shape[1] == 1 && t.shape[2] == 1);
    CHECK(!strcmp(t.names[0], "a") && !strcmp(t.names[1], "b, with comma") &&
          !strcmp(t.names[2], "c") && !strcmp(t.label_name, "label"));
    const double want[9] = {1.5, -2, 300, 0, 4, -0.25, 7, 8, 9};
    CHECK(memcmp(t.x, want, sizeof want) == 0);
    CHECK(!strcmp(t.labels[0], "yes") && !strcmp(t.labels[1], "no, \"really\"") &&
          !strcmp(t.labels[2], "yes"));
    CHECK(t.line[0] == 2 && t.line[1] == 3 && t.line[2] == 4);
    CHECK(!strcmp(t.path, path));
    cryptonn_table_free(&t);
    CHECK(t.x == NULL && t.n == 0);
    /* Without a label column every column is a feature; a quoted newline
     * is part of its field and lines keep counting. */
    const char text2[] = "p,q\n1,2\n\"3\",4\n";
    write_text(text2, sizeof text2 - 1);
    CHECK_EQ_INT(cryptonn_table_read(path, NULL, NULL, &t, msg, sizeof msg), CRYPTONN_OK);
    CHECK(t.n == 2 && t.cols == 2 && t.labels == NULL && t.x[2] == 3);
    cryptonn_table_free(&t);
    const char text3[] = "p,y\n1,\"two\nlines\"\n2,x\n";
    write_text(text3, sizeof text3 - 1);
    CHECK_EQ_INT(cryptonn_csv_read(path, "y", &t, msg, sizeof msg), CRYPTONN_OK);
    CHECK(t.n == 2 && !strcmp(t.labels[0], "two\nlines") && t.line[1] == 4);
    cryptonn_table_free(&t);
}

/* Old Mac line ends: a CR alone ends a record too; more records than LF
 * bytes once overflowed the table the reader sized by counting LFs (found
 * by test_data_fuzz). */
static void cr_only(void)
{
    const char text[] = "a,label\r1,x\r2,y\r\n3,x\r4,y";
    write_text(text, sizeof text - 1);
    cryptonn_table t;
    char msg[256] = "";
    CHECK_EQ_INT(cryptonn_csv_read(path, "label", &t, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(t.n, 4);
    if (t.n == 4) CHECK(t.x[0] == 1 && t.x[3] == 4 && !strcmp(t.labels[3], "y"));
    cryptonn_table_free(&t);
}

static void bad(void)
{
    refused("a,b,y\n1,2,0\n3,,1\n", "y", CRYPTONN_ERR_FORMAT, "line 3, column 2 ('b')",
            "missing value");
    refused("a,b,y\n1,2,0\n3,abc,1\n", "y", CRYPTONN_ERR_FORMAT, "line 3, column 2 ('b')",
            "'abc' is not a finite number");
    refused("a,b,y\n1,0x10,0\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 2", "0x10");
    refused("a,b,y\n1,inf,0\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 2", "'inf'");
    refused("a,b,y\n1,nan,0\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 2", "'nan'");
    refused("a,b,y\n1,1e999,0\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 2", "1e999");
    refused("a,b,y\n1,2,0\n3,4\n", "y", CRYPTONN_ERR_FORMAT, "line 3", "2 fields, the header has 3");
    refused("a,b,y\n1,2,0,9\n", "y", CRYPTONN_ERR_FORMAT, "line 2", "4 fields, the header has 3");
    refused("a,b,y\n1,2,0\n\n3,4,1\n", "y", CRYPTONN_ERR_FORMAT, "line 3", "empty line");
    refused("a,b,y\n1,2,\"0\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 3", "unterminated quote");
    refused("a,b,y\n1,\"2\"x,0\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 2",
            "after a closing quote");
    refused("a,b,a\n1,2,0\n", NULL, CRYPTONN_ERR_FORMAT, "line 1", "'a' appears twice");
    refused("a,,y\n1,2,0\n", "y", CRYPTONN_ERR_FORMAT, "line 1, column 2", "empty name");
    refused("a,b,y\n1,2,\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 3 ('y')", "missing value");
    refused("a,b,y\n1,2,\"\"\n", "y", CRYPTONN_ERR_FORMAT, "line 2, column 3 ('y')", "empty label");
    refused("a,b,y\n1,2,0\n", "target", CRYPTONN_ERR_FORMAT, "no column named 'target'", NULL);
    refused("y\n1\n", "y", CRYPTONN_ERR_FORMAT, "no feature columns", NULL);
    refused("a,b,y\n", "y", CRYPTONN_ERR_FORMAT, "no records", NULL);
    refused("", "y", CRYPTONN_ERR_FORMAT, "empty file", NULL);
    const char nul[] = "a,b,y\n1,2\0,0\n";
    write_text(nul, sizeof nul - 1);
    cryptonn_table t;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_csv_read(path, "y", &t, msg, sizeof msg), CRYPTONN_ERR_FORMAT);
    CHECK(strstr(msg, "line 2") && strstr(msg, "NUL"));
    /* Binary files: said what they look like, not "line 1: a NUL byte". */
    const char idx[] = "\0\0\x08\x03\0\0\xea\x60\0\0\0\x1c\0\0\0\x1c\0\0\0";
    refused_bytes(idx, sizeof idx - 1, "x", CRYPTONN_ERR_FORMAT,
                  "looks like an MNIST IDX file (magic 00 00 08 03)",
                  "records are a CSV file with a header row, or a .npy file; IDX files are read "
                  "by `cryptonn encrypt --data DIR` without --spec");
    const char npy[] = "\x93NUMPY\x01\0\x10\0{'descr': '<f4'";
    refused_bytes(npy, sizeof npy - 1, "x", CRYPTONN_ERR_FORMAT, "is a NumPy .npy file",
                  "name ending in .npy");
    const char bin[] = "PK\x03\x04\0\0\x08\0\nmore\n";
    refused_bytes(bin, sizeof bin - 1, "x", CRYPTONN_ERR_FORMAT,
                  "is binary (a NUL byte at offset 4, in the first line), not CSV text", NULL);
    /* A directory is named as one, not "input/output error". */
    CHECK_EQ_INT(cryptonn_csv_read(t_tmpdir(), "y", &t, msg, sizeof msg), CRYPTONN_ERR_IO);
    CHECK(strstr(msg, t_tmpdir()) && strstr(msg, "is a directory: records are one CSV or .npy file"));
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.csv", t_tmpdir());
    CHECK_EQ_INT(cryptonn_csv_read(missing, "y", &t, msg, sizeof msg), CRYPTONN_ERR_NOT_FOUND);
    CHECK(strstr(msg, missing) != NULL);
}

/* Random numbers printed with %.17g read back bit for bit. */
static void round_trip(void)
{
    enum { N = 50, C = 7 };
    double v[N * C];
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (int j = 0; j < C; j++) fprintf(f, "%sf%d", j ? "," : "", j);
    fprintf(f, ",y\n");
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < C; j++) {
            uint64_t r = t_rand64();
            v[i * C + j] = ldexp((double)(r >> 11) / 9007199254740992.0 - 0.5, (int)(r % 40));
            fprintf(f, "%.17g,", v[i * C + j]);
        }
        fprintf(f, "%d\n", i % 3);
    }
    fclose(f);
    cryptonn_table t;
    CHECK_EQ_INT(cryptonn_csv_read(path, "y", &t, NULL, 0), CRYPTONN_OK);
    if (t.x) CHECK(memcmp(t.x, v, sizeof v) == 0);
    cryptonn_table_free(&t);
}

int main(void)
{
    t_init("test_data_csv");
    snprintf(path, sizeof path, "%s/data.csv", t_tmpdir());
    good();
    cr_only();
    bad();
    round_trip();
    return t_done();
}
