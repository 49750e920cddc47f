/* IDX files (the MNIST format): big-endian header
 *   u8 0, u8 0, u8 type (0x08: unsigned byte), u8 ndims, u32 dims[ndims]
 * then the data, exactly prod(dims) bytes. Images are 3-D, labels 1-D. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "nn/msg.h"
#include "util/util.h"

#define IDX_MAX_FILE ((size_t)1 << 31)
#define IDX_MAX_SIDE 4096u

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Checks the header of buf for ndims unsigned-byte dimensions and the exact
 * length; dims receives them. */
static int check_idx(const char *path, const uint8_t *buf, size_t len, unsigned ndims,
                     uint32_t *dims, char *msg, size_t mlen)
{
    size_t hdr = 4 + 4 * (size_t)ndims;
    if (len < 4) return nn_fail(msg, mlen, CRYPTONN_ERR_TRUNCATED, "%s: shorter than an IDX header", path);
    if (buf[0] || buf[1] || buf[2] != 0x08 || buf[3] != ndims)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT,
                    "%s: bad magic %02x%02x%02x%02x (expected 000008%02x)", path, buf[0], buf[1],
                    buf[2], buf[3], ndims);
    if (len < hdr) return nn_fail(msg, mlen, CRYPTONN_ERR_TRUNCATED, "%s: header truncated", path);
    uint64_t total = 1;
    for (unsigned i = 0; i < ndims; i++) {
        dims[i] = be32(buf + 4 + 4 * i);
        if (i > 0 && (dims[i] == 0 || dims[i] > IDX_MAX_SIDE))
            return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: dimension %u is %u", path, i, dims[i]);
        total *= dims[i];
    }
    if (dims[0] == 0) return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: no items", path);
    if (total > IDX_MAX_FILE)
        return nn_fail(msg, mlen, CRYPTONN_ERR_TOO_LARGE, "%s: declares %llu bytes", path,
                    (unsigned long long)total);
    if (len - hdr < total)
        return nn_fail(msg, mlen, CRYPTONN_ERR_TRUNCATED, "%s: %zu data bytes, header declares %llu",
                    path, len - hdr, (unsigned long long)total);
    if (len - hdr > total)
        return nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: %zu trailing bytes", path,
                    len - hdr - (size_t)total);
    return CRYPTONN_OK;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t mlen)
{
    int rc = cn_file_read_all(path, IDX_MAX_FILE, buf, len);
    if (rc != CRYPTONN_OK)
        return nn_fail(msg, mlen, rc, "%s: %s", path, cryptonn_status_str(rc));
    return CRYPTONN_OK;
}

void cryptonn_dataset_free(cryptonn_dataset *d)
{
    if (!d) return;
    free(d->x);
    free(d->y);
    memset(d, 0, sizeof *d);
}

int cryptonn_idx_load(const char *images_path, const char *labels_path, uint32_t limit,
                      cryptonn_dataset *out, char *msg, size_t mlen)
{
    CN_ARG_CHECK(images_path && labels_path && out);
    memset(out, 0, sizeof *out);
    if (msg && mlen) msg[0] = 0;
    uint8_t *ib = NULL, *lb = NULL;
    size_t il, ll;
    uint32_t idims[3] = {0}, ldims[1] = {0};
    int rc = read_file(images_path, &ib, &il, msg, mlen);
    if (rc == CRYPTONN_OK) rc = check_idx(images_path, ib, il, 3, idims, msg, mlen);
    if (rc == CRYPTONN_OK) rc = read_file(labels_path, &lb, &ll, msg, mlen);
    if (rc == CRYPTONN_OK) rc = check_idx(labels_path, lb, ll, 1, ldims, msg, mlen);
    if (rc == CRYPTONN_OK && idims[0] != ldims[0])
        rc = nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH, "%u images but %u labels", idims[0], ldims[0]);
    uint32_t n = 0;
    if (rc == CRYPTONN_OK) {
        n = limit && limit < idims[0] ? limit : idims[0];
        for (uint32_t i = 0; i < idims[0]; i++)
            if (lb[8 + i] > 9) {
                rc = nn_fail(msg, mlen, CRYPTONN_ERR_FORMAT, "%s: label %u of item %u is not a digit",
                          labels_path, lb[8 + i], i);
                break;
            }
    }
    if (rc == CRYPTONN_OK) {
        size_t px = (size_t)idims[1] * idims[2];
        out->x = cn_malloc_array((size_t)n * px, sizeof(float));
        out->y = cn_malloc_array(n, 1);
        if (!out->x || !out->y) {
            cryptonn_dataset_free(out);
            rc = nn_fail(msg, mlen, CRYPTONN_ERR_NOMEM, "out of memory for %u images", n);
        } else {
            const uint8_t *src = ib + 16;
            for (size_t i = 0; i < (size_t)n * px; i++) out->x[i] = (float)src[i] / 255.0f;
            memcpy(out->y, lb + 8, n);
            out->n = n, out->rows = idims[1], out->cols = idims[2];
        }
    }
    free(ib);
    free(lb);
    return rc;
}

int cryptonn_mnist_load(const char *dir, int train, uint32_t limit, cryptonn_dataset *out,
                        char *msg, size_t mlen)
{
    CN_ARG_CHECK(dir && out);
    char ip[4096], lp[4096];
    const char *pre = train ? "train" : "t10k";
    snprintf(ip, sizeof ip, "%s/%s-images-idx3-ubyte", dir, pre);
    snprintf(lp, sizeof lp, "%s/%s-labels-idx1-ubyte", dir, pre);
    return cryptonn_idx_load(ip, lp, limit, out, msg, mlen);
}
