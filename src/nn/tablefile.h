/* nn internals: a records file read whole, for the CSV and .npy readers. */
#ifndef CRYPTONN_NN_TABLEFILE_H
#define CRYPTONN_NN_TABLEFILE_H

#include <stddef.h>
#include <stdint.h>

/* The file at path into *buf (malloc'd) and *len. A failure names the
 * file and what is wrong with it (missing, a directory, too large) in msg.
 * Returns CRYPTONN_OK, _NOT_FOUND, _IO, _TOO_LARGE or _NOMEM. */
int nn_table_file(const char *path, uint8_t **buf, size_t *len, char *msg, size_t mlen);

#endif
