/* nn internals: strict reading of the JSON files the owners write (model
 * files, data specs). Every refusal names the file and where in it
 * ("layer 3 (conv2d)", "'features' entry 2"): the caller passes that place
 * as `where`. Only with jansson. */
#ifndef CRYPTONN_NN_JSON_H
#define CRYPTONN_NN_JSON_H

#ifdef CRYPTONN_HAVE_JANSSON
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

typedef struct {
    const char *path;
    char *msg;
    size_t len;
} nn_json;

/* The file's JSON (duplicate keys refused), or NULL with *rc and a message
 * (syntax errors name line and column). */
json_t *nn_json_load(const nn_json *c, size_t max_len, int *rc);
/* 1 when every key of o is in keys (NULL-terminated); else 0 and a message. */
int nn_json_keys(const nn_json *c, const char *where, json_t *o, const char *const *keys);
/* The index of v's text in names (NULL-terminated), or -1 and a message. */
int nn_json_pick(const nn_json *c, const char *where, json_t *v, const char *const *names);
/* o[key] as an integer in [lo, hi]; absent: dflt, or an error when dflt < 0. */
int nn_json_uint(const nn_json *c, const char *where, json_t *o, const char *key, long long lo,
                 long long hi, long long dflt, uint32_t *out);
/* o[key] as a finite number; positive: > 0 too. */
int nn_json_real(const nn_json *c, const char *where, json_t *o, const char *key, int positive,
                 double *out);
/* o[key] as a non-empty string (not copied), or NULL and a message. */
const char *nn_json_text(const nn_json *c, const char *where, json_t *o, const char *key);
#endif

#endif
