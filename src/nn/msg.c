/* nn_fail (msg.h). */
#include <stdarg.h>
#include <stdio.h>

#include "nn/msg.h"

int nn_fail(char *msg, size_t len, int rc, const char *fmt, ...)
{
    if (msg && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, len, fmt, ap);
        va_end(ap);
    }
    return rc;
}
