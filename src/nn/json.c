/* Strict JSON reading (json.h). */
#ifdef CRYPTONN_HAVE_JANSSON
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/json.h"
#include "nn/msg.h"
#include "util/util.h"

json_t *nn_json_load(const nn_json *c, size_t max_len, int *rc)
{
    uint8_t *buf;
    size_t len;
    *rc = cn_file_read_all(c->path, max_len, &buf, &len);
    if (*rc != CRYPTONN_OK) {
        nn_fail(c->msg, c->len, *rc, "%s: %s", c->path, cryptonn_status_str(*rc));
        return NULL;
    }
    json_error_t err;
    json_t *root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
    free(buf);
    if (!root)
        *rc = nn_fail(c->msg, c->len, CRYPTONN_ERR_FORMAT, "%s:%d:%d: %s", c->path, err.line,
                      err.column, err.text);
    return root;
}

int nn_json_keys(const nn_json *c, const char *where, json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach(o, k, v) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++) ok = !strcmp(k, keys[i]);
        if (!ok) return nn_fail(c->msg, c->len, 0, "%s: %s: unknown key '%s'", c->path, where, k);
    }
    return 1;
}

int nn_json_pick(const nn_json *c, const char *where, json_t *v, const char *const *names)
{
    if (json_is_string(v))
        for (int i = 0; names[i]; i++)
            if (!strcmp(json_string_value(v), names[i])) return i;
    char known[160] = "";
    for (int i = 0; names[i]; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s", i ? ", " : "",
                 names[i]);
    char got[64];
    if (!v)
        snprintf(got, sizeof got, "missing");
    else if (json_is_string(v))
        snprintf(got, sizeof got, "got '%.40s'", json_string_value(v));
    else
        snprintf(got, sizeof got, "not a string");
    nn_fail(c->msg, c->len, 0, "%s: %s must be one of: %s (%s)", c->path, where, known, got);
    return -1;
}

int nn_json_uint(const nn_json *c, const char *where, json_t *o, const char *key, long long lo,
                 long long hi, long long dflt, uint32_t *out)
{
    json_t *v = json_object_get(o, key);
    if (!v && dflt >= 0) {
        *out = (uint32_t)dflt;
        return 1;
    }
    if (!v || !json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return nn_fail(c->msg, c->len, 0, "%s: %s: '%s' must be an integer in %lld..%lld%s",
                       c->path, where, key, lo, hi, v ? "" : " (missing)");
    *out = (uint32_t)json_integer_value(v);
    return 1;
}

int nn_json_real(const nn_json *c, const char *where, json_t *o, const char *key, int positive,
                 double *out)
{
    json_t *v = json_object_get(o, key);
    double d = json_is_number(v) ? json_number_value(v) : NAN;
    if (!isfinite(d) || (positive && !(d > 0)))
        return nn_fail(c->msg, c->len, 0, "%s: %s: '%s' must be a %snumber%s", c->path, where,
                       key, positive ? "positive " : "", v ? "" : " (missing)");
    *out = d;
    return 1;
}

const char *nn_json_text(const nn_json *c, const char *where, json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (json_is_string(v) && json_string_length(v) > 0 && !memchr(json_string_value(v), 0, json_string_length(v)))
        return json_string_value(v);
    nn_fail(c->msg, c->len, 0, "%s: %s: '%s' must be a non-empty string%s", c->path, where, key,
            v ? "" : " (missing)");
    return NULL;
}
#endif
