/* util: the container's every rejection path, atomic writes and modes. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "testutil.h"
#include "util/util.h"

static int write_raw(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static int reread(const char *path, size_t max)
{
    uint8_t *file;
    const uint8_t *pl;
    size_t pll;
    int rc = cn_container_read(path, "TEST", 3, max, &file, &pl, &pll);
    if (rc == CRYPTONN_OK) free(file);
    return rc;
}

int main(void)
{
    t_init("test_util");
    char path[512];
    snprintf(path, sizeof path, "%s/c.bin", t_tmpdir());

    uint8_t payload[1000];
    t_rand_bytes(payload, sizeof payload);
    cn_part part = {payload, sizeof payload};
    CHECK_EQ_INT(cn_container_write(path, "TEST", 3, &part, 1, 0600), CRYPTONN_OK);
    struct stat st;
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600);

    uint8_t *file;
    const uint8_t *pl;
    size_t pll;
    CHECK_EQ_INT(cn_container_read(path, "TEST", 3, 1 << 20, &file, &pl, &pll), CRYPTONN_OK);
    CHECK(pll == sizeof payload && memcmp(pl, payload, pll) == 0);
    size_t flen = CN_CONTAINER_HEADER + sizeof payload + CN_CONTAINER_TRAILER;
    uint8_t *orig = malloc(flen);
    memcpy(orig, file, flen);
    free(file);

    CHECK_EQ_INT(cn_container_read(path, "XXXX", 3, 1 << 20, &file, &pl, &pll), CRYPTONN_ERR_FORMAT);
    CHECK_EQ_INT(cn_container_read(path, "TEST", 4, 1 << 20, &file, &pl, &pll), CRYPTONN_ERR_VERSION);
    CHECK_EQ_INT(reread(path, 999), CRYPTONN_ERR_TOO_LARGE);

    /* Every truncation is rejected. */
    int trunc_ok = 1;
    for (size_t n = 0; n < flen; n += 7) {
        write_raw(path, orig, n);
        int rc = reread(path, 1 << 20);
        if (rc != CRYPTONN_ERR_TRUNCATED) trunc_ok = 0;
    }
    CHECK(trunc_ok);
    /* Every single-bit flip is rejected, with the error for the field it hit. */
    int flips_ok = 1;
    uint8_t *m = malloc(flen + 1);
    for (size_t i = 0; i < flen; i++) {
        memcpy(m, orig, flen);
        m[i] ^= (uint8_t)(1u << (t_rand64() % 8));
        write_raw(path, m, flen);
        int rc = reread(path, 1 << 20);
        int want = i < 12 ? CRYPTONN_ERR_FORMAT
                   : i < 16 ? CRYPTONN_ERR_VERSION
                   : i < 24 ? -100 /* length: too large, truncated or trailing */
                            : CRYPTONN_ERR_CHECKSUM;
        if (want == -100 ? rc == CRYPTONN_OK : rc != want) flips_ok = 0;
    }
    CHECK(flips_ok);
    /* Trailing bytes are rejected. */
    memcpy(m, orig, flen);
    m[flen] = 0;
    write_raw(path, m, flen + 1);
    CHECK_EQ_INT(reread(path, 1 << 20), CRYPTONN_ERR_FORMAT);
    /* A missing file is NOT_FOUND. */
    snprintf(path, sizeof path, "%s/nope.bin", t_tmpdir());
    CHECK_EQ_INT(reread(path, 1 << 20), CRYPTONN_ERR_NOT_FOUND);

    /* An atomic write over an existing file replaces it whole and keeps the mode asked. */
    snprintf(path, sizeof path, "%s/pub.bin", t_tmpdir());
    CHECK_EQ_INT(cn_container_write(path, "TEST", 3, &part, 1, 0644), CRYPTONN_OK);
    CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0644);
    /* A failing write (directory does not exist) leaves nothing behind. */
    CHECK(cn_container_write("/nonexistent-dir/x.bin", "TEST", 3, &part, 1, 0600) == CRYPTONN_ERR_IO);

    /* Status strings exist for every code. */
    for (int s = 0; s >= CRYPTONN_ERR_VERSION; s--)
        CHECK(strcmp(cryptonn_status_str(s), "unknown status") != 0);

    /* The bounded reader never reads past the end. */
    uint8_t buf[6] = {1, 0, 0, 0, 9, 9};
    cn_reader r = {buf, sizeof buf};
    uint32_t v32;
    uint64_t v64;
    CHECK_EQ_INT(cn_read_u32(&r, &v32), CRYPTONN_OK);
    CHECK(v32 == 1);
    CHECK_EQ_INT(cn_read_u64(&r, &v64), CRYPTONN_ERR_TRUNCATED);
    free(m);
    free(orig);
    /* One container, three ways: written from parts (more than 62 of them),
     * wrapped in memory, and built in a cn_buf; the same bytes, and the
     * checksum is an independent BLAKE2b-256 of header and payload. */
    {
        enum { NP = 100 };
        cn_part parts[NP];
        cn_buf b;
        cn_buf_init(&b, 0, 0);
        for (int i = 0; i < NP; i++) {
            parts[i] = (cn_part){payload + 10 * i, 10};
            if (i % 2) cn_buf_put(&b, payload + 10 * i, 10);
            else cn_buf_u64(&b, cn_load_u64(payload + 10 * i)), cn_buf_put(&b, payload + 10 * i + 8, 2);
        }
        CHECK_EQ_INT(cn_container_write(path, "MANY", 7, parts, NP, 0644), CRYPTONN_OK);
        uint8_t *whole = NULL, *wrapped = NULL, *built = NULL;
        size_t wholelen = 0, wlen = 0, blen = 0;
        CHECK_EQ_INT(cn_file_read_all(path, 1 << 20, &whole, &wholelen), CRYPTONN_OK);
        CHECK_EQ_INT(cn_container_wrap("MANY", 7, parts, NP, &wrapped, &wlen), CRYPTONN_OK);
        CHECK_EQ_INT(cn_buf_finish(&b, "MANY", 7, &built, &blen), CRYPTONN_OK);
        CHECK(wholelen == 24 + 1000 + 32 && wlen == wholelen && blen == wholelen);
        CHECK(whole && wrapped && built && !memcmp(whole, wrapped, wholelen) && !memcmp(whole, built, wholelen));
        uint8_t want[32];
        if (whole) crypto_generichash(want, 32, whole, 24 + 1000, NULL, 0);
        CHECK(whole && !memcmp(want, whole + 24 + 1000, 32) && !memcmp(whole, "CRYPTONNMANY", 12));
        const uint8_t *view = NULL;
        size_t viewlen = 0;
        CHECK_EQ_INT(cn_container_parse(wrapped, wlen, "MANY", 7, 1 << 20, &view, &viewlen), CRYPTONN_OK);
        CHECK(viewlen == 1000 && view && !memcmp(view, payload, 1000));
        /* any version of a range: the declared one back, read once; outside
         * the range VERSION, and the earlier checks keep their order */
        uint32_t v = 0;
        CHECK_EQ_INT(cn_container_parse_any(wrapped, wlen, "MANY", 6, 8, 1 << 20, &v, &view,
                                            &viewlen), CRYPTONN_OK);
        CHECK(v == 7 && viewlen == 1000);
        CHECK_EQ_INT(cn_container_parse_any(wrapped, wlen, "MANY", 1, 6, 1 << 20, &v, &view,
                                            &viewlen), CRYPTONN_ERR_VERSION);
        CHECK_EQ_INT(cn_container_parse_any(wrapped, wlen, "MANX", 1, 9, 1 << 20, &v, &view,
                                            &viewlen), CRYPTONN_ERR_FORMAT);
        CHECK_EQ_INT(cn_container_parse_any(wrapped, 20, "MANY", 1, 9, 1 << 20, &v, &view,
                                            &viewlen), CRYPTONN_ERR_TRUNCATED);
        uint8_t *fbuf = NULL;
        CHECK_EQ_INT(cn_container_read_any(path, "MANY", 7, 7, 1 << 20, &v, &fbuf, &view, &viewlen),
                     CRYPTONN_OK);
        CHECK(v == 7 && fbuf && view == fbuf + 24 && viewlen == 1000);
        free(fbuf);
        CHECK_EQ_INT(cn_container_read_any(path, "MANY", 8, 9, 1 << 20, &v, &fbuf, &view, &viewlen),
                     CRYPTONN_ERR_VERSION);
        free(whole);
        free(wrapped);
        free(built);
        /* cn_buf_take gives the bare payload */
        cn_buf_init(&b, 0, 1);
        cn_buf_put(&b, payload, 5);
        cn_buf_u32(&b, 0x01020304u);
        uint8_t *raw = NULL;
        size_t rlen = 0;
        CHECK_EQ_INT(cn_buf_take(&b, &raw, &rlen), CRYPTONN_OK);
        CHECK(rlen == 9 && raw && !memcmp(raw, payload, 5) && raw[5] == 4 && raw[8] == 1);
        free(raw);
    }
    return t_done();
}
