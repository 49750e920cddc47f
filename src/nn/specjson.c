/* Data specs as JSON (data.h; the format is in docs/DATA.md):
 *   {"cryptonn_data_spec": 1, "records": 569, "label": "target",
 *    "task": "classification", "classes": ["0", "1"],
 *    "shape": [30] or [C, H, W], "fixed_point": {"base": 2, "digits": 8},
 *    "bound": 18,
 *    "target": {"offset": .., "scale": .., "bound": .., "fixed_point": {..}}
 *        (regression only, in place of "classes"),
 *    "features": [{"name": "mean radius", "offset": 14.1, "scale": 3.52}, ...]}
 * Numbers are written with 17 significant digits, so a spec read back
 * applies exactly as the one written. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/msg.h"
#include "nn/spec_internal.h"
#include "nn/table.h"
#include "util/util.h"

#define SPEC_FILE_MAX ((size_t)64 << 20)

#ifdef CRYPTONN_HAVE_JANSSON
#include "nn/json.h"

static json_t *fixed_json(unsigned base, unsigned digits)
{
    return json_pack("{s:I, s:I}", "base", (json_int_t)base, "digits", (json_int_t)digits);
}

static json_t *build(const cryptonn_data_spec *s)
{
    json_t *o = json_object(), *shape = json_array(), *feats = json_array();
    if (!o || !shape || !feats) {
        json_decref(o), json_decref(shape), json_decref(feats);
        return NULL;
    }
    int ok = !json_object_set_new(o, "cryptonn_data_spec", json_integer(1)) &&
             !json_object_set_new(o, "records", json_integer(s->records));
    if (s->label) ok = ok && !json_object_set_new(o, "label", json_string(s->label));
    const int cls = s->task == CRYPTONN_TASK_CLASSIFY;
    ok = ok && !json_object_set_new(o, "task", json_string(cls ? "classification" : "regression"));
    if (cls) {
        json_t *names = json_array();
        for (uint32_t i = 0; ok && names && i < s->classes; i++)
            ok = !json_array_append_new(names, json_string(s->class_names[i]));
        ok = ok && !json_object_set_new(o, "classes", names);
    }
    const int flat = s->shape[1] == 1 && s->shape[2] == 1;
    for (int i = 0; ok && i < (flat ? 1 : 3); i++)
        ok = !json_array_append_new(shape, json_integer(s->shape[i]));
    ok = ok && !json_object_set_new(o, "shape", shape) &&
         !json_object_set_new(o, "fixed_point", fixed_json(s->base, s->digits)) &&
         !json_object_set_new(o, "bound", json_real(s->bound));
    if (!cls)
        ok = ok && !json_object_set_new(o, "target",
                                        json_pack("{s:f, s:f, s:f, s:o}", "offset", s->t_offset,
                                                  "scale", s->t_scale, "bound", s->t_bound,
                                                  "fixed_point", fixed_json(s->t_base, s->t_digits)));
    for (uint32_t j = 0; ok && j < s->features; j++)
        ok = !json_array_append_new(feats, json_pack("{s:s, s:f, s:f}", "name", s->names[j],
                                                     "offset", s->offset[j], "scale", s->scale[j]));
    ok = ok && !json_object_set_new(o, "features", feats);
    if (!ok) json_decref(o);
    return ok ? o : NULL;
}

char *cryptonn_spec_to_json(const cryptonn_data_spec *s)
{
    CN_ARG_CHECK(s);
    json_t *o = build(s);
    char *text = o ? json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(17))
                   : NULL;
    json_decref(o);
    return text;
}

static int read_fixed(const nn_json *c, const char *where, json_t *o, unsigned *base,
                      unsigned *digits)
{
    static const char *const keys[] = {"base", "digits", NULL};
    json_t *f = json_object_get(o, "fixed_point");
    uint32_t b, d;
    if (!json_is_object(f))
        return nn_fail(c->msg, c->len, 0, "%s: %s: 'fixed_point' must be {\"base\": 2 or 10, "
                                          "\"digits\": N}", c->path, where);
    if (!nn_json_keys(c, where, f, keys) || !nn_json_uint(c, where, f, "base", 2, 10, -1, &b) ||
        !nn_json_uint(c, where, f, "digits", 0, 24, -1, &d))
        return 0;
    if (!nn_fixed_ok(b, d))
        return nn_fail(c->msg, c->len, 0, "%s: %s: fixed point %u^%u: base 2 up to 24 digits, or "
                                          "10 up to 7", c->path, where, b, d);
    *base = b, *digits = d;
    return 1;
}

static int read_shape(const nn_json *c, json_t *v, uint32_t features, uint32_t *sh)
{
    size_t n = json_array_size(v);
    sh[0] = sh[1] = sh[2] = 1;
    uint64_t prod = 1;
    for (size_t i = 0; i < n && n <= 3 && n != 2; i++) {
        json_t *e = json_array_get(v, i);
        sh[i] = json_is_integer(e) && json_integer_value(e) >= 1 && json_integer_value(e) <= (1 << 24)
                    ? (uint32_t)json_integer_value(e)
                    : 0;
        prod *= sh[i];
    }
    if (!json_is_array(v) || (n != 1 && n != 3) || prod != features)
        return nn_fail(c->msg, c->len, 0,
                       "%s: 'shape' must be [%u] or [C, H, W] with C·H·W = %u features", c->path,
                       features, features);
    return 1;
}

static int read_classes(const nn_json *c, json_t *v, cryptonn_data_spec *s)
{
    for (uint32_t i = 0; i < s->classes; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_string(e) || !json_string_length(e))
            return nn_fail(c->msg, c->len, 0, "%s: class %u must be a non-empty string", c->path,
                           i + 1);
        if (!(s->class_names[i] = nn_strndup(json_string_value(e), json_string_length(e))))
            return nn_fail(c->msg, c->len, 0, "out of memory");
    }
    int nomem;
    const char *dup = nn_names_dup(s->class_names, s->classes, &nomem);
    if (dup) return nn_fail(c->msg, c->len, 0, "%s: class '%s' is listed twice", c->path, dup);
    return !nomem;
}

static int read_features(const nn_json *c, json_t *v, cryptonn_data_spec *s)
{
    static const char *const keys[] = {"name", "offset", "scale", NULL};
    for (uint32_t j = 0; j < s->features; j++) {
        json_t *e = json_array_get(v, j);
        char where[64];
        snprintf(where, sizeof where, "feature %u", j + 1);
        const char *name;
        if (!json_is_object(e))
            return nn_fail(c->msg, c->len, 0, "%s: %s is not an object", c->path, where);
        if (!nn_json_keys(c, where, e, keys) || !(name = nn_json_text(c, where, e, "name")))
            return 0;
        snprintf(where, sizeof where, "feature %u ('%.30s')", j + 1, name);
        if (!nn_json_real(c, where, e, "offset", 0, &s->offset[j]) ||
            !nn_json_real(c, where, e, "scale", 1, &s->scale[j]))
            return 0;
        if (!(s->names[j] = nn_strndup(name, strlen(name))))
            return nn_fail(c->msg, c->len, 0, "out of memory");
    }
    int nomem;
    const char *dup = nn_names_dup(s->names, s->features, &nomem);
    if (dup) return nn_fail(c->msg, c->len, 0, "%s: feature '%s' is listed twice", c->path, dup);
    return !nomem;
}

static int parse(const nn_json *c, json_t *o, cryptonn_data_spec *s)
{
    static const char *const keys[] = {"cryptonn_data_spec", "records", "label", "task",
                                       "classes", "target", "shape", "fixed_point", "bound",
                                       "features", NULL};
    static const char *const tasks[] = {"classification", "regression", NULL};
    static const char *const tkeys[] = {"offset", "scale", "bound", "fixed_point", NULL};
    uint32_t version, records;
    if (!json_is_object(o)) return nn_fail(c->msg, c->len, 0, "%s: not a JSON object", c->path);
    if (!nn_json_keys(c, "spec", o, keys) ||
        !nn_json_uint(c, "spec", o, "cryptonn_data_spec", 1, 1, -1, &version) ||
        !nn_json_uint(c, "spec", o, "records", 0, UINT32_MAX, 0, &records))
        return 0;
    int task = nn_json_pick(c, "'task'", json_object_get(o, "task"), tasks);
    json_t *feats = json_object_get(o, "features"), *classes = json_object_get(o, "classes");
    json_t *target = json_object_get(o, "target");
    size_t nf = json_array_size(feats), nc = json_array_size(classes);
    if (task < 0) return 0;
    if (!json_is_array(feats) || nf < 1 || nf > (1u << 24))
        return nn_fail(c->msg, c->len, 0, "%s: 'features' must be a non-empty list", c->path);
    if (task == 0 ? !json_is_array(classes) || nc < 2 || nc > 256 || target
                  : classes || !json_is_object(target))
        return nn_fail(c->msg, c->len, 0,
                       task == 0 ? "%s: classification needs 'classes': 2..256 names, no 'target'"
                                 : "%s: regression needs 'target' and no 'classes'",
                       c->path);
    if (nn_spec_alloc(s, (uint32_t)nf, task == 0 ? (uint32_t)nc : 0) != CRYPTONN_OK)
        return nn_fail(c->msg, c->len, 0, "out of memory");
    s->task = task == 0 ? CRYPTONN_TASK_CLASSIFY : CRYPTONN_TASK_REGRESS;
    s->records = records;
    json_t *label = json_object_get(o, "label");
    if (label && !nn_json_text(c, "spec", o, "label")) return 0;
    if (label && !(s->label = nn_strndup(json_string_value(label), json_string_length(label))))
        return nn_fail(c->msg, c->len, 0, "out of memory");
    if (!read_shape(c, json_object_get(o, "shape"), s->features, s->shape) ||
        !read_fixed(c, "spec", o, &s->base, &s->digits) ||
        !nn_json_real(c, "spec", o, "bound", 1, &s->bound) || !read_features(c, feats, s))
        return 0;
    if (task == 0) return read_classes(c, classes, s);
    return nn_json_keys(c, "'target'", target, tkeys) &&
           nn_json_real(c, "'target'", target, "offset", 0, &s->t_offset) &&
           nn_json_real(c, "'target'", target, "scale", 1, &s->t_scale) &&
           nn_json_real(c, "'target'", target, "bound", 1, &s->t_bound) &&
           read_fixed(c, "'target'", target, &s->t_base, &s->t_digits);
}

int cryptonn_spec_read(const char *path, cryptonn_data_spec *out, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(path && out);
    memset(out, 0, sizeof *out);
    nn_json c = {path, msg, msg_len};
    int rc;
    json_t *root = nn_json_load(&c, SPEC_FILE_MAX, &rc);
    if (!root) return rc;
    rc = parse(&c, root, out) ? CRYPTONN_OK : CRYPTONN_ERR_FORMAT;
    json_decref(root);
    if (rc != CRYPTONN_OK) cryptonn_spec_free(out);
    return rc;
}

#else

char *cryptonn_spec_to_json(const cryptonn_data_spec *s)
{
    CN_ARG_CHECK(s);
    return NULL;
}

int cryptonn_spec_read(const char *path, cryptonn_data_spec *out, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(path && out);
    memset(out, 0, sizeof *out);
    return nn_fail(msg, msg_len, CRYPTONN_ERR_ARG, "%s: built without jansson: no data specs",
                   path);
}

#endif
