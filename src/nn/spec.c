/* The data spec (data.h): made from a table's statistics, applied to
 * tables, and matched against a model. Its JSON form is specjson.c's. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nn/msg.h"
#include "nn/spec_internal.h"
#include "nn/table.h"
#include "util/util.h"

void cryptonn_spec_free(cryptonn_data_spec *s)
{
    if (!s) return;
    for (uint32_t i = 0; s->names && i < s->features; i++) free(s->names[i]);
    for (uint32_t i = 0; s->class_names && i < s->classes; i++) free(s->class_names[i]);
    free(s->names);
    free(s->class_names);
    free(s->offset);
    free(s->scale);
    free(s->label);
    memset(s, 0, sizeof *s);
}

int nn_spec_alloc(cryptonn_data_spec *s, uint32_t features, uint32_t classes)
{
    s->features = features, s->classes = classes;
    s->names = cn_calloc(features, sizeof(char *));
    s->offset = cn_calloc(features, sizeof(double));
    s->scale = cn_calloc(features, sizeof(double));
    s->class_names = cn_calloc(classes ? classes : 1, sizeof(char *));
    if (s->names && s->offset && s->scale && s->class_names) return CRYPTONN_OK;
    cryptonn_spec_free(s);
    return CRYPTONN_ERR_NOMEM;
}

int nn_fixed_ok(unsigned base, unsigned digits)
{
    return (base == 2 && digits <= 24) || (base == 10 && digits <= 7);
}

static int number(const char *text, double *v) { return nn_decimal(text, strlen(text), v); }

/* Classes in numeric order when both are numbers, else in text order;
 * spellings of one number shortest first ("1" before "01" and "1.0"), so
 * that the class is named by its shortest. */
static int cmp_class(const void *a, const void *b)
{
    const char *x = *(char *const *)a, *y = *(char *const *)b;
    double u, v;
    if (number(x, &u) && number(y, &v)) {
        if (u != v) return u < v ? -1 : 1;
        if (strlen(x) != strlen(y)) return strlen(x) < strlen(y) ? -1 : 1;
    }
    return strcmp(x, y);
}

/* "line 12" (CSV) or "record 12 (from 1)" (.npy, whose readers count
 * from 0: the reminder keeps the two from being confused). */
static void where(const cryptonn_table *t, uint32_t r, char *buf, size_t len)
{
    if (t->line) snprintf(buf, len, "line %u", t->line[r]);
    else snprintf(buf, len, "record %u (from 1)", r + 1);
}

/* One label, however spelt: "1", "1.0" and "01" are the same class. */
static int same_label(const char *x, const char *y)
{
    double u, v;
    return !strcmp(x, y) || (number(x, &u) && number(y, &v) && u == v);
}

/* The distinct labels, sorted, into *out (pointers into t, malloc'd array);
 * returns how many, or -1 when out of memory. */
static int64_t distinct(const cryptonn_table *t, char ***out)
{
    char **sorted = cn_malloc_array(t->n, sizeof(char *));
    if (!(*out = sorted)) return -1;
    memcpy(sorted, t->labels, t->n * sizeof(char *));
    qsort(sorted, t->n, sizeof(char *), cmp_class);
    uint32_t k = 0;
    for (uint32_t i = 0; i < t->n; i++)
        if (i == 0 || !same_label(sorted[k - 1], sorted[i])) sorted[k++] = sorted[i];
    return k;
}

/* The distinct labels, sorted, into s->class_names. */
static int classes_of(const cryptonn_table *t, cryptonn_data_spec *s, char *msg, size_t mlen)
{
    char **sorted;
    int64_t k = distinct(t, &sorted);
    int rc = k < 0 ? CRYPTONN_ERR_NOMEM : CRYPTONN_OK;
    if (rc == CRYPTONN_OK && (k < 2 || k > 256))
        rc = nn_fail(msg, mlen, CRYPTONN_ERR_ARG,
                     "%s: %lld distinct label%s; classification needs 2..256%s", t->path,
                     (long long)k, k == 1 ? "" : "s", k > 256 ? " (--task regression?)" : "");
    if (rc == CRYPTONN_OK) {
        free(s->class_names);
        s->classes = (uint32_t)k;
        s->class_names = cn_calloc((size_t)k, sizeof(char *));
        for (int64_t i = 0; i < k && s->class_names; i++)
            if (!(s->class_names[i] = nn_strndup(sorted[i], strlen(sorted[i])))) rc = CRYPTONN_ERR_NOMEM;
        if (!s->class_names) rc = CRYPTONN_ERR_NOMEM, s->classes = 0;
    }
    free(sorted);
    return rc;
}

static double bound_for(double max_abs)
{
    double b = ceil(1.5 * max_abs);
    return b < 1 ? 1 : b;
}

static int target_stats(const cryptonn_table *t, cryptonn_data_spec *s, char *msg, size_t mlen)
{
    double sum = 0, sq = 0, v, lo = INFINITY, hi = -INFINITY;
    for (uint32_t i = 0; i < t->n; i++) {
        if (!number(t->labels[i], &v)) {
            char w[48];
            where(t, i, w, sizeof w);
            return nn_fail(msg, mlen, CRYPTONN_ERR_ARG,
                           "%s: %s: label '%.40s' is not a number (a regression target)", t->path,
                           w, t->labels[i]);
        }
        sum += v, sq += v * v;
        lo = fmin(lo, v), hi = fmax(hi, v);
    }
    double mean = sum / t->n, var = sq / t->n - mean * mean;
    s->t_offset = mean;
    s->t_scale = var > 1e-24 * (1 + mean * mean) ? sqrt(var) : 1;
    s->t_bound = bound_for(fmax(fabs(lo - mean), fabs(hi - mean)) / s->t_scale);
    s->t_base = 2, s->t_digits = 8;
    return CRYPTONN_OK;
}

/* Offsets and scales per the normalisation, and the bound. */
static void feature_stats(const cryptonn_table *t, cryptonn_norm norm, cryptonn_data_spec *s)
{
    const uint32_t f = t->cols;
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = 0; i < (size_t)t->n * f; i++) lo = fmin(lo, t->x[i]), hi = fmax(hi, t->x[i]);
    for (uint32_t j = 0; j < f; j++) {
        double sum = 0, sq = 0;
        for (uint32_t i = 0; i < t->n; i++) {
            double v = t->x[(size_t)i * f + j];
            sum += v, sq += v * v;
        }
        double mean = sum / t->n, var = sq / t->n - mean * mean;
        if (norm == CRYPTONN_NORM_STANDARD) {
            s->offset[j] = mean;
            s->scale[j] = var > 1e-24 * (1 + mean * mean) ? sqrt(var) : 1;
        } else if (norm == CRYPTONN_NORM_RANGE) {
            s->offset[j] = lo;
            s->scale[j] = hi > lo ? hi - lo : 1;
        } else {
            s->offset[j] = 0, s->scale[j] = 1;
        }
    }
    double m = 0;
    for (size_t i = 0; i < (size_t)t->n * f; i++) {
        uint32_t j = (uint32_t)(i % f);
        m = fmax(m, fabs((t->x[i] - s->offset[j]) / s->scale[j]));
    }
    s->bound = bound_for(m);
}

static int describe(const cryptonn_table *t, const cryptonn_describe_opts *o, cryptonn_data_spec *s,
                    char *msg, size_t mlen)
{
    uint32_t sh[3] = {t->shape[0], t->shape[1], t->shape[2]};
    if (o->shape[0]) memcpy(sh, o->shape, sizeof sh);
    if ((uint64_t)sh[0] * sh[1] * sh[2] != t->cols)
        return nn_fail(msg, mlen, CRYPTONN_ERR_ARG, "%s: shape %u×%u×%u does not hold its %u features",
                       t->path, sh[0], sh[1], sh[2], t->cols);
    const unsigned base = o->base ? o->base : 2, digits = o->base ? o->digits : 8;
    if (!nn_fixed_ok(base, digits))
        return nn_fail(msg, mlen, CRYPTONN_ERR_ARG,
                       "fixed point %u^%u: base 2 up to 24 digits, or 10 up to 7", base, digits);
    cryptonn_task task = o->task;
    if (!task) {
        /* Integer labels with few values are classes; other numbers are a
         * quantity; any text makes them classes. */
        int numeric = 1, integral = 1;
        double v;
        for (uint32_t i = 0; i < t->n; i++) {
            numeric &= number(t->labels[i], &v);
            integral &= numeric && v == floor(v);
        }
        task = CRYPTONN_TASK_REGRESS;
        if (!numeric) task = CRYPTONN_TASK_CLASSIFY;
        else if (integral) {
            char **sorted;
            int64_t k = distinct(t, &sorted);
            free(sorted);
            if (k < 0) return CRYPTONN_ERR_NOMEM;
            if (k <= 20) task = CRYPTONN_TASK_CLASSIFY;
        }
    }
    CN_TRY(nn_spec_alloc(s, t->cols, 0));
    memcpy(s->shape, sh, sizeof sh);
    s->base = base, s->digits = digits, s->task = task, s->records = t->n;
    for (uint32_t j = 0; j < t->cols; j++)
        if (!(s->names[j] = nn_strndup(t->names[j], strlen(t->names[j])))) return CRYPTONN_ERR_NOMEM;
    if (t->label_name && !(s->label = nn_strndup(t->label_name, strlen(t->label_name))))
        return CRYPTONN_ERR_NOMEM;
    cryptonn_norm norm = o->norm ? o->norm
                         : sh[1] > 1 || sh[2] > 1 ? CRYPTONN_NORM_RANGE
                                                  : CRYPTONN_NORM_STANDARD;
    feature_stats(t, norm, s);
    return task == CRYPTONN_TASK_CLASSIFY ? classes_of(t, s, msg, mlen) : target_stats(t, s, msg, mlen);
}

int cryptonn_spec_describe(const cryptonn_table *t, const cryptonn_describe_opts *o,
                           cryptonn_data_spec *out, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(t && o && out);
    memset(out, 0, sizeof *out);
    if (!t->labels || t->n == 0)
        return nn_fail(msg, msg_len, CRYPTONN_ERR_ARG, "%s: no labels (name the label column)",
                       t->path ? t->path : "table");
    int rc = describe(t, o, out, msg, msg_len);
    if (rc != CRYPTONN_OK) cryptonn_spec_free(out);
    return rc;
}

void cryptonn_records_free(cryptonn_records *r)
{
    if (!r) return;
    free(r->x);
    free(r->y);
    free(r->t);
    memset(r, 0, sizeof *r);
}

void cryptonn_records_view(const cryptonn_records *r, cryptonn_samples *out)
{
    CN_ARG_CHECK(r && out);
    *out = (cryptonn_samples){r->n, r->size, r->outputs, r->x, r->y, r->t};
}

static double grid(double v, unsigned base, unsigned digits)
{
    double s = pow((double)base, (double)digits);
    return round(v * s) / s;
}

/* The table's columns are the spec's features (and it has labels, unless
 * they are optional). */
static int same_columns(const cryptonn_data_spec *s, const cryptonn_table *t, int labels_optional,
                        char *msg, size_t mlen)
{
    if (t->cols != s->features)
        return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH, "%s: %u features, the spec has %u",
                       t->path, t->cols, s->features);
    for (uint32_t j = 0; t->named && j < t->cols; j++)
        if (strcmp(t->names[j], s->names[j]))
            return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH,
                           "%s: feature %u is '%s', the spec's is '%s'", t->path, j + 1,
                           t->names[j], s->names[j]);
    if (!t->labels && !labels_optional && !t->line)
        return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH,
                       "%s: no labels (a .npy's labels are a second .npy file: --labels Y.npy)",
                       t->path);
    if (!t->labels && !labels_optional)
        return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH, "%s: no labels%s%s%s", t->path,
                       s->label ? " (the spec's label column is '" : "", s->label ? s->label : "",
                       s->label ? "')" : "");
    return CRYPTONN_OK;
}

/* The class of a label: its exact spelling first, else a number equal to
 * a class's (a spec may list "1" where a file says "1.0"); s->classes if
 * none. */
static uint32_t class_of(const cryptonn_data_spec *s, const char *label)
{
    uint32_t k = 0;
    while (k < s->classes && strcmp(label, s->class_names[k])) k++;
    for (uint32_t j = 0; k == s->classes && j < s->classes; j++)
        if (same_label(label, s->class_names[j])) k = j;
    return k;
}

static int apply(const cryptonn_data_spec *s, const cryptonn_table *t, int labels_optional,
                 cryptonn_records *r, char *msg, size_t mlen)
{
    CN_TRY(same_columns(s, t, labels_optional, msg, mlen));
    const int cls = s->task == CRYPTONN_TASK_CLASSIFY, lab = t->labels != NULL;
    const uint32_t f = s->features;
    r->n = t->n, r->size = f, r->outputs = cls ? 0 : 1;
    r->x = cn_malloc_array((size_t)t->n * f, sizeof(float));
    if (lab && cls) r->y = cn_malloc_array(t->n, 1);
    if (lab && !cls) r->t = cn_malloc_array(t->n, sizeof(float));
    if (!r->x || (lab && (cls ? !r->y : !r->t))) return CRYPTONN_ERR_NOMEM;
    char w[48];
    for (uint32_t i = 0; i < t->n; i++) {
        for (uint32_t j = 0; j < f; j++) {
            double v = (t->x[(size_t)i * f + j] - s->offset[j]) / s->scale[j];
            if (!(fabs(v) <= s->bound)) {
                where(t, i, w, sizeof w);
                return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH,
                               "%s: %s: feature '%s' = %g is %.3g scaled units out, beyond the "
                               "spec's bound %g",
                               t->path, w, s->names[j], t->x[(size_t)i * f + j], v, s->bound);
            }
            r->x[(size_t)i * f + j] = (float)grid(v, s->base, s->digits);
        }
        if (!lab) continue;
        double v;
        if (cls) {
            const uint32_t k = class_of(s, t->labels[i]);
            r->y[i] = (uint8_t)k;
            if (k < s->classes) continue;
        } else if (number(t->labels[i], &v) &&
                   fabs(v = (v - s->t_offset) / s->t_scale) <= s->t_bound) {
            r->t[i] = (float)grid(v, s->t_base, s->t_digits);
            continue;
        }
        where(t, i, w, sizeof w);
        return nn_fail(msg, mlen, CRYPTONN_ERR_MISMATCH,
                       cls ? "%s: %s: label '%.40s' is not one of the spec's classes"
                           : "%s: %s: label '%.40s' is not a number within the spec's target bound",
                       t->path, w, t->labels[i]);
    }
    return CRYPTONN_OK;
}

int cryptonn_spec_apply(const cryptonn_data_spec *s, const cryptonn_table *t,
                        cryptonn_records *out, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(s && t && out);
    memset(out, 0, sizeof *out);
    int rc = apply(s, t, 0, out, msg, msg_len);
    if (rc != CRYPTONN_OK) cryptonn_records_free(out);
    return rc;
}

static int load(const cryptonn_data_spec *s, const char *path, const char *labels_path,
                int labels_optional, cryptonn_records *out, char *msg, size_t msg_len)
{
    CN_ARG_CHECK(s && path && out);
    memset(out, 0, sizeof *out);
    /* A CSV's labels are its column: a labels file beside it would be
     * ignored without a word. */
    if (labels_path && !nn_is_npy(path))
        return nn_fail(msg, msg_len, CRYPTONN_ERR_ARG,
                       "%s: a labels file (%s) goes with .npy records only; a CSV's labels are "
                       "its column '%s'",
                       path, labels_path, s->label ? s->label : "(the spec names none)");
    cryptonn_table t;
    CN_TRY(nn_table_read(path, s->label, labels_path, labels_optional, &t, msg, msg_len));
    int rc = apply(s, &t, labels_optional, out, msg, msg_len);
    if (rc != CRYPTONN_OK) cryptonn_records_free(out);
    cryptonn_table_free(&t);
    return rc;
}

int cryptonn_spec_load(const cryptonn_data_spec *s, const char *path, const char *labels_path,
                       cryptonn_records *out, char *msg, size_t msg_len)
{
    return load(s, path, labels_path, 0, out, msg, msg_len);
}

int cryptonn_spec_load_unlabeled(const cryptonn_data_spec *s, const char *path,
                                 const char *labels_path, cryptonn_records *out, char *msg,
                                 size_t msg_len)
{
    return load(s, path, labels_path, 1, out, msg, msg_len);
}

int cryptonn_spec_fit_model(const cryptonn_data_spec *s, cryptonn_model_config *c, char *msg,
                            size_t msg_len)
{
    CN_ARG_CHECK(s && c);
    const int cls = s->task == CRYPTONN_TASK_CLASSIFY;
    if (cls != (c->output == CRYPTONN_OUTPUT_SOFTMAX) || c->classes != (cls ? s->classes : 1))
        return nn_fail(msg, msg_len, CRYPTONN_ERR_MISMATCH,
                       "the spec is %s with %u %s, the model has a %s output of %u",
                       cls ? "classification" : "regression", cls ? s->classes : 1,
                       cls ? "classes" : "target", c->output ? "linear" : "softmax", c->classes);
    const uint32_t *sh = s->shape;
    if (c->arch == CRYPTONN_ARCH_LAYERS) {
        if (!c->in_c) c->in_c = sh[0], c->in_h = sh[1], c->in_w = sh[2];
        /* A dense first layer reads the record as one vector: a flat input
         * of the right width fits any shape. */
        int flat_ok = c->in_h == 1 && c->in_w == 1 && c->in_c == s->features &&
                      c->layers[0].kind == CRYPTONN_LAYER_DENSE;
        if (!flat_ok && (c->in_c != sh[0] || c->in_h != sh[1] || c->in_w != sh[2]))
            return nn_fail(msg, msg_len, CRYPTONN_ERR_MISMATCH,
                           "the model's input is %u×%u×%u, the spec's records are %u×%u×%u",
                           c->in_c, c->in_h, c->in_w, sh[0], sh[1], sh[2]);
    } else if (c->arch == CRYPTONN_ARCH_MLP ? c->in_dim != s->features
                                            : sh[0] != 1 || sh[1] != 28 || sh[2] != 28) {
        return nn_fail(msg, msg_len, CRYPTONN_ERR_MISMATCH,
                       "the built-in model does not take the spec's %u×%u×%u records", sh[0],
                       sh[1], sh[2]);
    }
    char why[256];
    if (cryptonn_model_config_check(c, why, sizeof why) != CRYPTONN_OK)
        return nn_fail(msg, msg_len, CRYPTONN_ERR_MISMATCH, "%s", why);
    return CRYPTONN_OK;
}
