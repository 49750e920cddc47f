/* Strict numeric option parsing (args.h). */
#include "cli/args.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int cli_parse_u64(const char *cmd, const char *opt, const char *text, uint64_t lo, uint64_t hi,
                  uint64_t *out)
{
    uint64_t v = 0;
    int ok = text && *text;
    for (const char *p = text; ok && *p; p++) {
        if (*p < '0' || *p > '9') ok = 0;
        else if (v > (UINT64_MAX - (uint64_t)(*p - '0')) / 10) ok = 0;
        else v = v * 10 + (uint64_t)(*p - '0');
    }
    if (!ok || v < lo || v > hi) {
        fprintf(stderr, "cryptonn %s: --%s expects an integer in [%llu, %llu], got '%s'\n", cmd,
                opt, (unsigned long long)lo, (unsigned long long)hi, text ? text : "");
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_u32(const char *cmd, const char *opt, const char *text, uint32_t lo, uint32_t hi,
                  uint32_t *out)
{
    uint64_t v;
    if (cli_parse_u64(cmd, opt, text, lo, hi, &v) != 0) return -1;
    *out = (uint32_t)v;
    return 0;
}

int cli_parse_double(const char *cmd, const char *opt, const char *text, double lo, double hi,
                     double *out)
{
    char *end = NULL;
    errno = 0;
    double v = text && *text ? strtod(text, &end) : NAN;
    if (!text || !*text || !end || *end || errno || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "cryptonn %s: --%s expects a number in [%g, %g], got '%s'\n", cmd, opt, lo,
                hi, text ? text : "");
        return -1;
    }
    *out = v;
    return 0;
}
