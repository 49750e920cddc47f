/* Strict parsing of numeric command-line values: the whole string must be a
 * number in range. A bare strtoul turns "x" into 0 and "-1" into a huge
 * value, which once silently switched a policy off; these never do. */
#ifndef CRYPTONN_CLI_ARGS_H
#define CRYPTONN_CLI_ARGS_H

#include <stdint.h>

/* Decimal digits only (no sign, no spaces, no suffix), lo <= value <= hi.
 * On failure prints "cryptonn CMD: --OPT expects an integer in [lo, hi],
 * got 'TEXT'" to stderr and returns -1; *out is unchanged. */
int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t lo, uint64_t hi,
                  uint64_t *out);
int cli_parse_u32(const char *cmd, const char *opt, const char *text, uint32_t lo, uint32_t hi,
                  uint32_t *out);
/* A finite decimal number (strtod syntax, whole string), lo <= value <= hi. */
int cli_parse_double(const char *cmd, const char *opt, const char *text, double lo, double hi,
                     double *out);

#endif
