/* Atomic whole-file writes and bounded whole-file reads. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/util.h"

static int write_full(int fd, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR) continue;
            return CRYPTONN_ERR_IO;
        }
        p += n;
        len -= (size_t)n;
    }
    return CRYPTONN_OK;
}

static void fsync_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (!copy) return;
    int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    free(copy);
}

int cn_file_write_atomic(const char *path, const cn_part *parts, size_t nparts, unsigned mode)
{
    CN_ARG_CHECK(path != NULL);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) return CRYPTONN_ERR_NOMEM;
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", 12);
    /* mkstemp creates with 0600; widen afterwards only if asked, so a secret
     * is never readable by others even for an instant. */
    int fd = mkstemp(tmp);
    if (fd < 0) {
        free(tmp);
        return CRYPTONN_ERR_IO;
    }
    int rc = CRYPTONN_OK;
    if (fchmod(fd, (mode_t)mode) != 0) rc = CRYPTONN_ERR_IO;
    for (size_t i = 0; rc == CRYPTONN_OK && i < nparts; i++)
        if (parts[i].len) rc = write_full(fd, parts[i].data, parts[i].len);
    if (rc == CRYPTONN_OK && fsync(fd) != 0) rc = CRYPTONN_ERR_IO;
    if (close(fd) != 0 && rc == CRYPTONN_OK) rc = CRYPTONN_ERR_IO;
    if (rc == CRYPTONN_OK && rename(tmp, path) != 0) rc = CRYPTONN_ERR_IO;
    if (rc != CRYPTONN_OK) {
        int saved = errno;
        unlink(tmp);
        errno = saved;
    } else {
        fsync_parent_dir(path);
    }
    free(tmp);
    return rc;
}

int cn_file_read_all(const char *path, size_t max_len, uint8_t **out, size_t *out_len)
{
    CN_ARG_CHECK(path && out && out_len);
    *out = NULL;
    *out_len = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0) return errno == ENOENT ? CRYPTONN_ERR_NOT_FOUND : CRYPTONN_ERR_IO;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return CRYPTONN_ERR_IO;
    }
    if ((uint64_t)st.st_size > max_len) {
        close(fd);
        return CRYPTONN_ERR_TOO_LARGE;
    }
    size_t len = (size_t)st.st_size;
    uint8_t *buf = malloc(len ? len : 1);
    if (!buf) {
        close(fd);
        return CRYPTONN_ERR_NOMEM;
    }
    size_t got = 0;
    while (got < len) {
        ssize_t n = read(fd, buf + got, len - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += (size_t)n;
    }
    close(fd);
    if (got != len) {
        free(buf);
        return CRYPTONN_ERR_IO;
    }
    *out = buf;
    *out_len = len;
    return CRYPTONN_OK;
}
