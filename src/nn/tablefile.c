/* A records file read whole (tablefile.h). */
#include <sys/stat.h>

#include "nn/msg.h"
#include "nn/table.h"
#include "nn/tablefile.h"
#include "util/util.h"

int nn_table_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t mlen)
{
    struct stat st;
    /* Reading a directory fails with a bare "input/output error": say what
     * it is, and where a directory of MNIST files does go. */
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return nn_fail(msg, mlen, CRYPTONN_ERR_IO,
                       "%s is a directory: records are one CSV or .npy file (a directory of "
                       "MNIST IDX files is read by `cryptonn encrypt --data DIR` without --spec)",
                       path);
    int rc = cn_file_read_all(path, NN_TABLE_MAX_FILE, buf, len);
    if (rc != CRYPTONN_OK) return nn_fail(msg, mlen, rc, "%s: %s", path, cryptonn_status_str(rc));
    return CRYPTONN_OK;
}
