/* nn: the IDX (MNIST) loader on small synthetic files: a valid pair loads
 * exactly; bad magic, bad dimensions, truncation, trailing bytes, count
 * mismatch and non-digit labels are each refused with their status and a
 * message naming the file. The real MNIST is not needed. */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "testutil.h"

static char dir[512], ip[600], lp[600];

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void put(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (!f) return;
    CHECK(fwrite(b, 1, n, f) == n);
    fclose(f);
}

/* n images of r × c and n labels; returns the image file's length. */
static size_t make(uint8_t *img, uint8_t *lab, uint32_t n, uint32_t r, uint32_t c)
{
    be32(img, 0x803), be32(img + 4, n), be32(img + 8, r), be32(img + 12, c);
    for (size_t i = 0; i < (size_t)n * r * c; i++) img[16 + i] = (uint8_t)(i * 37 + 11);
    be32(lab, 0x801), be32(lab + 4, n);
    for (uint32_t i = 0; i < n; i++) lab[8 + i] = (uint8_t)(i % 10);
    return 16 + (size_t)n * r * c;
}

static int load(cryptonn_dataset *d, uint32_t limit, char *msg)
{
    int rc = cryptonn_idx_load(ip, lp, limit, d, msg, 256);
    if (rc != CRYPTONN_OK) {
        CHECK(d->x == NULL && d->y == NULL && d->n == 0);
        CHECK(msg[0] != 0);
    }
    return rc;
}

int main(void)
{
    t_init("test_mnist_idx");
    snprintf(dir, sizeof dir, "%s", t_tmpdir());
    snprintf(ip, sizeof ip, "%s/train-images-idx3-ubyte", dir);
    snprintf(lp, sizeof lp, "%s/train-labels-idx1-ubyte", dir);
    enum { N = 12, R = 5, C = 4 };
    uint8_t img[16 + N * R * C + 8], lab[8 + N + 8];
    size_t il = make(img, lab, N, R, C), ll = 8 + N;
    char msg[256];
    cryptonn_dataset d;

    put(ip, img, il), put(lp, lab, ll);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_OK);
    CHECK_EQ_INT(d.n, N);
    CHECK_EQ_INT(d.rows, R);
    CHECK_EQ_INT(d.cols, C);
    int same = 1;
    for (size_t i = 0; i < (size_t)N * R * C; i++) same &= d.x[i] == (float)img[16 + i] / 255.0f;
    CHECK(same);
    CHECK(memcmp(d.y, lab + 8, N) == 0);
    cryptonn_dataset_free(&d);
    CHECK(d.x == NULL && d.n == 0);
    CHECK_EQ_INT(load(&d, 5, msg), CRYPTONN_OK);
    CHECK_EQ_INT(d.n, 5);
    cryptonn_dataset_free(&d);
    /* The directory form finds the same files. */
    CHECK_EQ_INT(cryptonn_mnist_load(dir, 1, 0, &d, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(d.n, N);
    cryptonn_dataset_free(&d);
    CHECK(cryptonn_mnist_load(dir, 0, 0, &d, msg, sizeof msg) != CRYPTONN_OK); /* no t10k files */
    CHECK(strstr(msg, "t10k-images-idx3-ubyte") != NULL);

    /* Images: magic, type, ndims. */
    uint8_t bad[sizeof img];
    memcpy(bad, img, il), bad[2] = 0x09; /* signed byte */
    put(ip, bad, il);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    CHECK(strstr(msg, "magic") != NULL && strstr(msg, ip) != NULL);
    memcpy(bad, img, il), bad[3] = 1; /* a label file given as images */
    put(ip, bad, il);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    put(ip, lab, ll);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    memcpy(bad, img, il), bad[0] = 0x1f; /* gzip-compressed file left as is */
    put(ip, bad, il);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    /* Dimensions. */
    memcpy(bad, img, il), be32(bad + 8, 0);
    put(ip, bad, il);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    memcpy(bad, img, il), be32(bad + 4, 0);
    put(ip, bad, 16);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    memcpy(bad, img, il), be32(bad + 12, 100000);
    put(ip, bad, il);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    memcpy(bad, img, il), be32(bad + 4, 0xffffffffu), be32(bad + 8, 4096), be32(bad + 12, 4096);
    put(ip, bad, il);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_TOO_LARGE);
    /* Lengths. */
    put(ip, img, il - 1);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_TRUNCATED);
    CHECK(strstr(msg, "declares") != NULL);
    put(ip, img, 10);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_TRUNCATED);
    put(ip, img, 2);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_TRUNCATED);
    put(ip, img, 0);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_TRUNCATED);
    memcpy(bad, img, il), bad[il] = 0;
    put(ip, bad, il + 1);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    CHECK(strstr(msg, "trailing") != NULL);
    put(ip, img, il);

    /* Labels. */
    put(lp, lab, ll - 1);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_TRUNCATED);
    CHECK(strstr(msg, lp) != NULL);
    uint8_t lb[sizeof lab];
    memcpy(lb, lab, ll), lb[8 + 3] = 10;
    put(lp, lb, ll);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    CHECK(strstr(msg, "label") != NULL);
    memcpy(lb, lab, ll), be32(lb + 4, N - 1);
    put(lp, lb, ll - 1);
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_MISMATCH);
    put(lp, img, il); /* images given as labels */
    CHECK_EQ_INT(load(&d, 0, msg), CRYPTONN_ERR_FORMAT);
    remove(lp);
    CHECK(load(&d, 0, msg) != CRYPTONN_OK);

    /* Random garbage of random lengths never loads and never crashes. */
    put(lp, lab, ll);
    uint8_t junk[256];
    for (int i = 0; i < (int)t_iters(200, 50); i++) {
        size_t n = (size_t)(t_rand64() % sizeof junk);
        t_rand_bytes(junk, n);
        if (n > 4 && (t_rand64() & 1)) junk[0] = junk[1] = 0, junk[2] = 8, junk[3] = 3;
        put(ip, junk, n);
        if (load(&d, 0, msg) == CRYPTONN_OK) cryptonn_dataset_free(&d);
    }
    return t_done();
}
