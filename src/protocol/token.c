/* token: the per-role bearer tokens (http.h). A token is 32 random bytes
 * written as 64 hex characters, mode 0600; it is a secret and never logged. */
#include "protocol/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "cryptonn/status.h"
#include "util/util.h"

int cn_token_load(const char *path, char out[65])
{
    struct stat sb;
    if (stat(path, &sb) != 0) return CRYPTONN_ERR_NOT_FOUND;
    if (sb.st_mode & 077) return CRYPTONN_ERR_AUTH; /* readable by others: not a secret any more */
    uint8_t *b;
    size_t len;
    CN_TRY(cn_file_read_all(path, 256, &b, &len));
    while (len && (b[len - 1] == '\n' || b[len - 1] == '\r')) len--;
    int rc = len == 64 ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
    for (size_t i = 0; i < len && rc == CRYPTONN_OK; i++)
        if (!((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f'))) rc = CRYPTONN_ERR_FORMAT;
    if (rc == CRYPTONN_OK) {
        memcpy(out, b, 64);
        out[64] = 0;
    }
    cn_free_secret(b, len ? len : 1);
    return rc;
}

int cn_token_create(const char *path)
{
    if (access(path, F_OK) == 0) return CRYPTONN_ERR_IO; /* never replace a token in use */
    uint8_t raw[32];
    char hex[66];
    randombytes_buf(raw, sizeof raw);
    sodium_bin2hex(hex, 65, raw, sizeof raw);
    hex[64] = '\n';
    cn_part p = {hex, 65};
    int rc = cn_file_write_atomic(path, &p, 1, 0600);
    cn_wipe(raw, sizeof raw);
    cn_wipe(hex, sizeof hex);
    return rc;
}
