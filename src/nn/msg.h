/* nn internals: the one way readers and checks report why they refuse
 * something. Every message names its subject (file, line, column, layer). */
#ifndef CRYPTONN_NN_MSG_H
#define CRYPTONN_NN_MSG_H

#include <stddef.h>

/* Formats the reason into msg (when msg and len are non-zero) and returns rc. */
int nn_fail(char *msg, size_t len, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
