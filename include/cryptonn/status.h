/* cryptonn status codes: every fallible public function returns one.
 * 0 is success; failures are negative and cryptonn_status_str() names them.
 * Misuse by the caller (NULL pointers, impossible sizes) is not a status:
 * it aborts with a message, as libsecp256k1's illegal-argument callback does. */
#ifndef CRYPTONN_STATUS_H
#define CRYPTONN_STATUS_H

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__)
#define CRYPTONN_API __attribute__((visibility("default")))
#define CRYPTONN_WARN_UNUSED __attribute__((warn_unused_result))
#else
#define CRYPTONN_API
#define CRYPTONN_WARN_UNUSED
#endif

typedef enum {
    CRYPTONN_OK = 0,
    CRYPTONN_ERR_ARG = -1,          /* an argument is out of its documented range */
    CRYPTONN_ERR_NOMEM = -2,        /* allocation failed */
    CRYPTONN_ERR_IO = -3,           /* open/read/write/fsync/rename failed (errno kept) */
    CRYPTONN_ERR_FORMAT = -4,       /* wrong magic, version, kind or layout */
    CRYPTONN_ERR_TRUNCATED = -5,    /* input ends before its declared size */
    CRYPTONN_ERR_CHECKSUM = -6,     /* BLAKE2b checksum mismatch: corrupted data */
    CRYPTONN_ERR_TOO_LARGE = -7,    /* declared size exceeds the reader's limit */
    CRYPTONN_ERR_ENCODING = -8,     /* not a valid ristretto255 encoding (RFC 9496) */
    CRYPTONN_ERR_RANGE = -9,        /* discrete log outside its bound, or overflow */
    CRYPTONN_ERR_NOT_INTEGER = -10, /* FEBO division whose quotient is not an integer */
    CRYPTONN_ERR_MISMATCH = -11,    /* objects that do not belong together (key vs mpk, model shape) */
    CRYPTONN_ERR_POLICY = -12,      /* refused by the authority's key-request policy */
    CRYPTONN_ERR_AUTH = -13,        /* missing or wrong bearer token */
    CRYPTONN_ERR_NET = -14,         /* transport failure */
    CRYPTONN_ERR_RANDOM = -15,      /* the system RNG is unavailable */
    CRYPTONN_ERR_INTERNAL = -16,    /* an internal invariant failed: a bug */
    CRYPTONN_ERR_NOT_FOUND = -17,   /* a named object (file, key, sample) does not exist */
    CRYPTONN_ERR_BUDGET = -18,      /* the authority's --max-rank budget would be exceeded */
    CRYPTONN_ERR_VERSION = -19      /* a file or message of an unsupported format version */
} cryptonn_status;

/* A short English description of s; never NULL, static storage. */
CRYPTONN_API const char *cryptonn_status_str(int s);

/* One-time initialisation (libsodium, CPU feature detection). Safe to call more
 * than once and from several threads; every other function assumes it ran.
 * Returns CRYPTONN_OK or CRYPTONN_ERR_RANDOM. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_init(void);

/* Frees a buffer a cryptonn_ function allocated and handed to the caller
 * (NULL is allowed). */
CRYPTONN_API void cryptonn_free(void *p);


#ifdef __cplusplus
}
#endif
#endif
