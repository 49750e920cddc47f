/* data: the data spec. Statistics recomputed here from their definitions,
 * the task and class order chosen as documented, the JSON form read back
 * exactly, records mapped onto the fixed-point grid, every record that does
 * not fit refused by name, bad spec files refused by key, and the spec
 * matched against models. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/data.h"
#include "testutil.h"

static char csv[512], spec[512];

static void write_text(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

static int read_csv(const char *text, const char *label, cryptonn_table *t)
{
    write_text(csv, text);
    char msg[256] = "";
    int rc = cryptonn_csv_read(csv, label, t, msg, sizeof msg);
    if (rc != CRYPTONN_OK) fprintf(stderr, "%s\n", msg);
    return rc;
}

#define DATA                                                                                \
    "a,b,c,y\n1,10,5,2\n2,20,5,10\n3,30,5,2\n6,60,5,10\n4,-20,5,2\n"

static void describe_classification(void)
{
    cryptonn_table t;
    CHECK_EQ_INT(read_csv(DATA, "y", &t), CRYPTONN_OK);
    cryptonn_describe_opts o = {0};
    cryptonn_data_spec s;
    char msg[256] = "";
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(s.task, CRYPTONN_TASK_CLASSIFY);
    /* Numeric order: "2" before "10". */
    CHECK(s.classes == 2 && !strcmp(s.class_names[0], "2") && !strcmp(s.class_names[1], "10"));
    CHECK(s.features == 3 && !strcmp(s.names[1], "b") && !strcmp(s.label, "y"));
    CHECK(s.base == 2 && s.digits == 8 && s.records == 5);
    /* Mean and population standard deviation, by their definitions. */
    double max_abs = 0;
    for (int j = 0; j < 3; j++) {
        double m = 0, v = 0;
        for (int i = 0; i < 5; i++) m += t.x[i * 3 + j] / 5;
        for (int i = 0; i < 5; i++) v += (t.x[i * 3 + j] - m) * (t.x[i * 3 + j] - m) / 5;
        double sd = v > 0 ? sqrt(v) : 1; /* constant c: scale 1 */
        CHECK(fabs(s.offset[j] - m) < 1e-12 && fabs(s.scale[j] - sd) < 1e-12);
        for (int i = 0; i < 5; i++) max_abs = fmax(max_abs, fabs((t.x[i * 3 + j] - m) / sd));
    }
    CHECK(s.bound == ceil(1.5 * max_abs));
    /* Apply: the fixed-point grid of 2^-8, labels as class indices. */
    cryptonn_records r;
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &t, &r, msg, sizeof msg), CRYPTONN_OK);
    CHECK(r.n == 5 && r.size == 3 && r.y && !r.t);
    for (int i = 0; r.x && i < 15; i++) {
        double want = round((t.x[i] - s.offset[i % 3]) / s.scale[i % 3] * 256) / 256;
        CHECK(r.x[i] == (float)want);
    }
    CHECK(r.y && r.y[0] == 0 && r.y[1] == 1 && r.y[3] == 1);
    cryptonn_samples v;
    cryptonn_records_view(&r, &v);
    CHECK(v.n == 5 && v.x == r.x && v.y == r.y);
    cryptonn_records_free(&r);

    /* The JSON form reads back to the same spec. */
    char *text = cryptonn_spec_to_json(&s);
    CHECK(text != NULL);
    if (text) write_text(spec, text);
    free(text);
    cryptonn_data_spec s2;
    CHECK_EQ_INT(cryptonn_spec_read(spec, &s2, msg, sizeof msg), CRYPTONN_OK);
    CHECK(s2.features == 3 && s2.classes == 2 && s2.task == s.task && s2.bound == s.bound);
    CHECK(memcmp(s2.offset, s.offset, 3 * sizeof(double)) == 0);
    CHECK(memcmp(s2.scale, s.scale, 3 * sizeof(double)) == 0);
    CHECK(s2.shape[0] == 3 && s2.shape[1] == 1 && !strcmp(s2.class_names[1], "10"));
    cryptonn_spec_free(&s2);

    /* Records that do not fit: an unknown class, a value past the bound,
     * other columns. */
    cryptonn_table u;
    CHECK_EQ_INT(read_csv("a,b,c,y\n1,10,5,2\n2,20,5,7\n", "y", &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &u, &r, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, csv) && strstr(msg, "line 3") && strstr(msg, "'7'"));
    CHECK(r.x == NULL);
    cryptonn_table_free(&u);
    CHECK_EQ_INT(read_csv("a,b,c,y\n1,10,5,2\n2,2000,5,2\n", "y", &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &u, &r, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "line 3") && strstr(msg, "feature 'b'") && strstr(msg, "bound"));
    cryptonn_table_free(&u);
    CHECK_EQ_INT(read_csv("a,c,b,y\n1,10,5,2\n", "y", &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &u, &r, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "feature 2 is 'c'") != NULL);
    cryptonn_table_free(&u);
    CHECK_EQ_INT(read_csv("a,b,y\n1,10,2\n", "y", &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &u, &r, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "2 features, the spec has 3") != NULL);
    cryptonn_table_free(&u);
    CHECK_EQ_INT(read_csv("a,b,c\n1,10,5\n", NULL, &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &u, &r, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "no labels (the spec's label column is 'y')") != NULL);
    cryptonn_table_free(&u);

    /* Models: the spec gives the input, and must agree with the output. */
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_LAYERS, cfg.nlayers = 1, cfg.classes = 2;
    cfg.layers[0] = (cryptonn_layer_spec){CRYPTONN_LAYER_DENSE, 2, 0, 0, 0, 0};
    CHECK_EQ_INT(cryptonn_spec_fit_model(&s, &cfg, msg, sizeof msg), CRYPTONN_OK);
    CHECK(cfg.in_c == 3 && cfg.in_h == 1 && cfg.in_w == 1);
    cfg.in_c = 4;
    CHECK_EQ_INT(cryptonn_spec_fit_model(&s, &cfg, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "4×1×1") != NULL);
    cfg.in_c = 3, cfg.classes = cfg.layers[0].units = 3;
    CHECK_EQ_INT(cryptonn_spec_fit_model(&s, &cfg, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "2 classes") != NULL);
    cryptonn_spec_free(&s);
    cryptonn_table_free(&t);
}

static void describe_other_tasks(void)
{
    cryptonn_table t;
    cryptonn_describe_opts o = {0};
    cryptonn_data_spec s;
    char msg[256] = "";
    /* Non-integer numbers: regression, the target standardised. */
    CHECK_EQ_INT(read_csv("a,y\n1,0.5\n2,1.5\n3,4\n", "y", &t), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(s.task, CRYPTONN_TASK_REGRESS);
    double m = 2, sd = sqrt(((1.5 * 1.5) + 0.25 + 4) / 3);
    CHECK(fabs(s.t_offset - m) < 1e-12 && fabs(s.t_scale - sd) < 1e-12);
    cryptonn_records r;
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &t, &r, msg, sizeof msg), CRYPTONN_OK);
    CHECK(r.t && r.outputs == 1 && r.t[2] == (float)(round((4 - m) / sd * 256) / 256));
    cryptonn_records_free(&r);
    char *text = cryptonn_spec_to_json(&s);
    if (text) write_text(spec, text);
    free(text);
    cryptonn_data_spec s2;
    CHECK_EQ_INT(cryptonn_spec_read(spec, &s2, msg, sizeof msg), CRYPTONN_OK);
    CHECK(s2.task == CRYPTONN_TASK_REGRESS && s2.t_offset == s.t_offset && s2.t_scale == s.t_scale);
    cryptonn_spec_free(&s2);
    cryptonn_table u;
    CHECK_EQ_INT(read_csv("a,y\n1,0.5\n2,high\n", "y", &u), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &u, &r, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "line 3") && strstr(msg, "'high'"));
    cryptonn_table_free(&u);
    /* A classification model does not take a regression spec. */
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_LAYERS, cfg.nlayers = 1, cfg.classes = 2;
    cfg.layers[0] = (cryptonn_layer_spec){CRYPTONN_LAYER_DENSE, 2, 0, 0, 0, 0};
    CHECK_EQ_INT(cryptonn_spec_fit_model(&s, &cfg, msg, sizeof msg), CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "regression") != NULL);
    cryptonn_spec_free(&s);
    /* ... and forced to classification it has too few or many classes. */
    o.task = CRYPTONN_TASK_CLASSIFY;
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    CHECK(s.classes == 3 && !strcmp(s.class_names[0], "0.5"));
    cryptonn_spec_free(&s);
    cryptonn_table_free(&t);
    /* Text labels: classes in text order. */
    o.task = 0;
    CHECK_EQ_INT(read_csv("a,y\n1,malignant\n2,benign\n3,benign\n", "y", &t), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    CHECK(s.task == CRYPTONN_TASK_CLASSIFY && !strcmp(s.class_names[0], "benign"));
    cryptonn_spec_free(&s);
    o.task = CRYPTONN_TASK_REGRESS;
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "line 2") && strstr(msg, "'malignant'"));
    cryptonn_table_free(&t);
    /* Images: one range for every pixel; the shape must hold the features. */
    o.task = 0;
    CHECK_EQ_INT(read_csv("p0,p1,p2,p3,y\n0,4,8,16,1\n2,2,2,2,0\n", "y", &t), CRYPTONN_OK);
    o.shape[0] = 1, o.shape[1] = 2, o.shape[2] = 2;
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    CHECK(s.shape[1] == 2 && s.offset[3] == 0 && s.scale[0] == 16 && s.scale[3] == 16 && s.bound == 2);
    cryptonn_spec_free(&s);
    o.shape[2] = 3;
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "1×2×3") != NULL);
    cryptonn_table_free(&t);
    /* One class only. */
    o.shape[0] = 0;
    CHECK_EQ_INT(read_csv("a,y\n1,1\n2,1\n", "y", &t), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "1 distinct label;") != NULL);
    cryptonn_table_free(&t);
}

/* "1" and "1.0" are one class, whichever spelling the spec lists. */
static void label_spellings(void)
{
    cryptonn_table t;
    cryptonn_describe_opts o = {0};
    cryptonn_data_spec s;
    cryptonn_records r;
    char msg[256] = "";
    CHECK_EQ_INT(read_csv("a,y\n1,1\n2,1.0\n3,0\n4,0.0\n5,01\n", "y", &t), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    CHECK(s.task == CRYPTONN_TASK_CLASSIFY && s.classes == 2);
    CHECK(s.classes == 2 && !strcmp(s.class_names[0], "0") && !strcmp(s.class_names[1], "1"));
    CHECK_EQ_INT(cryptonn_spec_apply(&s, &t, &r, msg, sizeof msg), CRYPTONN_OK);
    const uint8_t want[5] = {1, 1, 0, 0, 1};
    CHECK(r.y && memcmp(r.y, want, 5) == 0);
    cryptonn_records_free(&r);
    cryptonn_spec_free(&s);
    cryptonn_table_free(&t);
}

/* Records whose labels are not needed (a test set, records to predict):
 * the label column may be left out, and is read when it is there. */
static void unlabeled(void)
{
    cryptonn_table t;
    cryptonn_describe_opts o = {0};
    cryptonn_data_spec s;
    cryptonn_records r, u;
    char msg[512] = "";
    CHECK_EQ_INT(read_csv(DATA, "y", &t), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_table_free(&t);
    CHECK_EQ_INT(cryptonn_spec_load(&s, csv, NULL, &r, msg, sizeof msg), CRYPTONN_OK);
    /* The same records without their label column. */
    write_text(csv, "a,b,c\n1,10,5\n2,20,5\n3,30,5\n6,60,5\n4,-20,5\n");
    CHECK_EQ_INT(cryptonn_spec_load(&s, csv, NULL, &u, msg, sizeof msg), CRYPTONN_ERR_FORMAT);
    CHECK(strstr(msg, "no column named 'y'") != NULL);
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, csv, NULL, &u, msg, sizeof msg), CRYPTONN_OK);
    CHECK(u.n == 5 && u.size == 3 && u.y == NULL && u.t == NULL);
    CHECK(u.x && r.x && memcmp(u.x, r.x, 15 * sizeof(float)) == 0);
    cryptonn_records_free(&u);
    /* Labels that are there are read, and checked. */
    write_text(csv, DATA);
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, csv, NULL, &u, msg, sizeof msg), CRYPTONN_OK);
    CHECK(u.y && r.y && memcmp(u.y, r.y, 5) == 0);
    cryptonn_records_free(&u);
    write_text(csv, "a,b,c,y\n1,10,5,2\n2,20,5,7\n");
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, csv, NULL, &u, msg, sizeof msg),
                 CRYPTONN_ERR_MISMATCH);
    CHECK(strstr(msg, "line 3: label '7' is not one of the spec's classes") != NULL);
    /* A labels file beside a CSV would be ignored: refused. */
    CHECK_EQ_INT(cryptonn_spec_load(&s, csv, "y.npy", &u, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, csv) &&
          strstr(msg, "a labels file (y.npy) goes with .npy records only; a CSV's labels are "
                      "its column 'y'"));
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, csv, "y.npy", &u, msg, sizeof msg),
                 CRYPTONN_ERR_ARG);
    cryptonn_records_free(&r);
    cryptonn_spec_free(&s);
    /* Regression: no targets. */
    CHECK_EQ_INT(read_csv("a,y\n1,0.5\n2,1.5\n3,4\n", "y", &t), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_spec_describe(&t, &o, &s, msg, sizeof msg), CRYPTONN_OK);
    cryptonn_table_free(&t);
    write_text(csv, "a\n2\n");
    CHECK_EQ_INT(cryptonn_spec_load_unlabeled(&s, csv, NULL, &u, msg, sizeof msg), CRYPTONN_OK);
    CHECK(u.n == 1 && u.outputs == 1 && u.t == NULL && u.y == NULL && u.x &&
          u.x[0] == (float)(round((2 - s.offset[0]) / s.scale[0] * 256) / 256));
    cryptonn_records_free(&u);
    cryptonn_spec_free(&s);
}

/* A valid spec with one edit applied: refused, the message naming key. */
static void bad_spec(const char *from, const char *to, const char *frag)
{
    const char *good =
        "{\"cryptonn_data_spec\": 1, \"records\": 3, \"label\": \"y\", \"task\": "
        "\"classification\", \"classes\": [\"a\", \"b\"], \"shape\": [2], \"fixed_point\": "
        "{\"base\": 2, \"digits\": 8}, \"bound\": 4, \"features\": [{\"name\": \"u\", "
        "\"offset\": 0.5, \"scale\": 2}, {\"name\": \"v\", \"offset\": 0, \"scale\": 1}]}";
    char text[2048];
    const char *at = strstr(good, from);
    CHECK(at != NULL);
    if (!at) return;
    snprintf(text, sizeof text, "%.*s%s%s", (int)(at - good), good, to, at + strlen(from));
    write_text(spec, text);
    cryptonn_data_spec s;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_spec_read(spec, &s, msg, sizeof msg), CRYPTONN_ERR_FORMAT);
    int ok = strstr(msg, spec) && strstr(msg, frag);
    if (!ok) fprintf(stderr, "message '%s' lacks '%s'\n", msg, frag);
    CHECK(ok);
    CHECK(s.features == 0 && s.names == NULL);
}

static void bad_specs(void)
{
    bad_spec("\"records\": 3", "\"records\": 3, \"owner\": 1", "unknown key 'owner'");
    bad_spec("\"cryptonn_data_spec\": 1", "\"cryptonn_data_spec\": 2", "'cryptonn_data_spec'");
    bad_spec("\"scale\": 2", "\"scale\": 0", "feature 1 ('u'): 'scale' must be a positive");
    bad_spec("\"offset\": 0,", "\"offset\": \"0\",", "feature 2 ('v'): 'offset'");
    bad_spec("\"name\": \"v\"", "\"name\": \"u\"", "feature 'u' is listed twice");
    bad_spec("\"name\": \"v\", ", "", "feature 2: 'name'");
    bad_spec("\"shape\": [2]", "\"shape\": [1, 2, 2]", "'shape'");
    bad_spec("\"base\": 2", "\"base\": 3", "fixed point 3^8");
    bad_spec("\"digits\": 8", "\"digits\": 9, \"base\": 10", "duplicate");
    bad_spec("[\"a\", \"b\"]", "[\"a\", \"a\"]", "class 'a' is listed twice");
    bad_spec("[\"a\", \"b\"]", "[\"a\"]", "'classes'");
    bad_spec("\"classification\"", "\"clustering\"", "'task' must be one of");
    bad_spec("\"classification\"", "\"regression\"", "needs 'target'");
    bad_spec("\"bound\": 4", "\"bound\": -1", "'bound'");
    bad_spec("\"features\": [", "\"features\": 1, \"x\": [", "unknown key 'x'");
    bad_spec("}]}", "}]", "");
}

int main(void)
{
    t_init("test_data_spec");
    snprintf(csv, sizeof csv, "%s/data.csv", t_tmpdir());
    snprintf(spec, sizeof spec, "%s/spec.json", t_tmpdir());
    describe_classification();
    describe_other_tasks();
    label_spellings();
    unlabeled();
    bad_specs();
    return t_done();
}
