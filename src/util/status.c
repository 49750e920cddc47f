#include "cryptonn/status.h"
#include "cryptonn/version.h"

#include <sodium.h>

const char *cryptonn_status_str(int s)
{
    switch (s) {
    case CRYPTONN_OK: return "success";
    case CRYPTONN_ERR_ARG: return "invalid argument";
    case CRYPTONN_ERR_NOMEM: return "out of memory";
    case CRYPTONN_ERR_IO: return "input/output error";
    case CRYPTONN_ERR_FORMAT: return "bad file format (magic, version or layout)";
    case CRYPTONN_ERR_TRUNCATED: return "truncated input";
    case CRYPTONN_ERR_CHECKSUM: return "checksum mismatch (corrupted data)";
    case CRYPTONN_ERR_TOO_LARGE: return "input exceeds size limit";
    case CRYPTONN_ERR_ENCODING: return "invalid ristretto255 encoding";
    case CRYPTONN_ERR_RANGE: return "value outside the discrete-log bound";
    case CRYPTONN_ERR_NOT_INTEGER: return "not an integer quotient";
    case CRYPTONN_ERR_MISMATCH: return "objects do not match (wrong key, mpk or shape)";
    case CRYPTONN_ERR_POLICY: return "refused by key-request policy";
    case CRYPTONN_ERR_AUTH: return "authentication failed";
    case CRYPTONN_ERR_NET: return "network error";
    case CRYPTONN_ERR_RANDOM: return "random number generator unavailable";
    case CRYPTONN_ERR_INTERNAL: return "internal error";
    case CRYPTONN_ERR_NOT_FOUND: return "not found";
    case CRYPTONN_ERR_BUDGET: return "rank budget exceeded";
    case CRYPTONN_ERR_VERSION: return "unsupported format version";
    default: return "unknown status";
    }
}

int cryptonn_init(void)
{
    /* sodium_init is itself idempotent and thread-safe; it is the only
     * one-time global initialisation the library has. */
    return sodium_init() < 0 ? CRYPTONN_ERR_RANDOM : CRYPTONN_OK;
}

const char *cryptonn_version(void) { return CRYPTONN_VERSION_STRING; }
