/* cryptonn version: the numbers the headers were installed with, for
 * compile-time checks, and cryptonn_version() for the library actually loaded.
 *
 * This header is the one place the version is written: CMake reads the three
 * numbers below for project(VERSION), the SONAME, pkg-config and the CMake
 * package version. A program built against one release and run against a
 * newer shared library of the same major version keeps working (see
 * docs/LIBRARY.md); compare CRYPTONN_VERSION_STRING with cryptonn_version()
 * to tell which one it loaded. */
#ifndef CRYPTONN_VERSION_H
#define CRYPTONN_VERSION_H

#include "cryptonn/status.h"

#define CRYPTONN_VERSION_MAJOR 0
#define CRYPTONN_VERSION_MINOR 1
#define CRYPTONN_VERSION_PATCH 0

/* One integer for #if comparisons: MAJOR * 10000 + MINOR * 100 + PATCH. */
#define CRYPTONN_VERSION_NUMBER \
    (CRYPTONN_VERSION_MAJOR * 10000 + CRYPTONN_VERSION_MINOR * 100 + CRYPTONN_VERSION_PATCH)

#define CRYPTONN_VERSION_STR_(a, b, c) #a "." #b "." #c
#define CRYPTONN_VERSION_XSTR_(a, b, c) CRYPTONN_VERSION_STR_(a, b, c)
/* "MAJOR.MINOR.PATCH" of these headers. */
#define CRYPTONN_VERSION_STRING \
    CRYPTONN_VERSION_XSTR_(CRYPTONN_VERSION_MAJOR, CRYPTONN_VERSION_MINOR, CRYPTONN_VERSION_PATCH)

#ifdef __cplusplus
extern "C" {
#endif

/* The version of the library loaded at run time, "MAJOR.MINOR.PATCH"; static
 * storage, never NULL. (Also declared in status.h.) */
CRYPTONN_API const char *cryptonn_version(void);

#ifdef __cplusplus
}
#endif
#endif
