/* nn: the generic engine against PyTorch (tests/torch_match.py). The same
 * model file, initial weights, records, batches, loss and SGD: after a few
 * steps the weights and every step's loss must agree within float
 * tolerance. A small CNN on digits, an MLP on breast cancer and a
 * regression MLP on diabetes, from data/ (tools/fetch-data); where those
 * files are missing, records of the same shapes are made up here (said on
 * stdout). Skipped, with a message, where /usr/bin/python3 has no torch. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cryptonn/data.h"
#include "testutil.h"

#define STEPS 12
#define BATCH 32

static int skipped;

static int write_raw(const char *dir, const char *name, const void *p, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    int ok = f && fwrite(p, 1, len, f) == len;
    if (f) ok &= fclose(f) == 0;
    return ok;
}

static int read_raw(const char *dir, const char *name, void *p, size_t len)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    int ok = f && fread(p, 1, len, f) == len && fgetc(f) == EOF;
    if (f) fclose(f);
    return ok;
}

/* The dataset's records: data/<name>.csv if present, else made up with the
 * same columns, labels and shape. */
static int records(const char *name, const cryptonn_describe_opts *o, cryptonn_records *r)
{
    char path[1024], msg[512] = "";
    t_src_path(path, sizeof path, "data");
    snprintf(path + strlen(path), sizeof path - strlen(path), "/%s.csv", name);
    cryptonn_table t;
    int have = access(path, R_OK) == 0;
    if (!have) {
        /* 400 records of the real width; labels 0..k−1 or a real target. */
        const int cols = !strcmp(name, "digits") ? 64 : !strcmp(name, "diabetes") ? 10 : 30;
        snprintf(path, sizeof path, "%s/%s.csv", t_tmpdir(), name);
        FILE *f = fopen(path, "w");
        if (!f) return 0;
        for (int j = 0; j < cols; j++) fprintf(f, "f%d,", j);
        fprintf(f, "target\n");
        for (int i = 0; i < 400; i++) {
            double s = 0;
            for (int j = 0; j < cols; j++) {
                double v = (double)(t_rand64() % 17);
                s += j % 3 ? v : -v;
                fprintf(f, "%g,", v);
            }
            if (!strcmp(name, "diabetes")) fprintf(f, "%g\n", 100 + s);
            else fprintf(f, "%d\n", !strcmp(name, "digits") ? i % 10 : i % 2);
        }
        fclose(f);
        printf("test_nn_torch: %s.csv not in data/ (tools/fetch-data): made-up records of its shape\n",
               name);
    }
    cryptonn_data_spec s;
    int rc = cryptonn_table_read(path, "target", NULL, &t, msg, sizeof msg);
    if (rc == CRYPTONN_OK) {
        rc = cryptonn_spec_describe(&t, o, &s, msg, sizeof msg);
        if (rc == CRYPTONN_OK) rc = cryptonn_spec_apply(&s, &t, r, msg, sizeof msg);
        cryptonn_spec_free(&s);
        cryptonn_table_free(&t);
    }
    if (rc != CRYPTONN_OK) fprintf(stderr, "%s\n", msg);
    return rc == CRYPTONN_OK;
}

static void write_meta(const char *dir, const char *model, const cryptonn_model_config *c,
                       const cryptonn_sgd *opt, uint32_t n)
{
    char meta[2048];
    snprintf(meta, sizeof meta,
             "{\"model\": \"%s\", \"input\": [%u, %u, %u], \"n\": %u, \"batch\": %d, \"steps\": %d, "
             "\"lr\": %.9g, \"momentum\": %.9g, \"weight_decay\": %.9g, \"loss\": \"%s\", "
             "\"reduction\": \"%s\", \"output\": \"%s\"}\n",
             model, c->in_c, c->in_h, c->in_w, n, BATCH, STEPS, (double)opt->lr,
             (double)opt->momentum, (double)opt->weight_decay,
             c->loss == CRYPTONN_LOSS_CE ? "ce" : "mse",
             c->reduction == CRYPTONN_REDUCE_MEAN ? "mean" : "sum",
             c->output == CRYPTONN_OUTPUT_LINEAR ? "linear" : "softmax");
    CHECK(write_raw(dir, "meta.json", meta, strlen(meta)));
}

/* Runs torch_match.py on dir; 1 when it ran, 0 when torch is missing. */
static int run_torch(const char *dir)
{
    char script[1024], cmd[4200];
    t_src_path(script, sizeof script, "tests/torch_match.py");
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    snprintf(cmd, sizeof cmd, "%s '%s' '%s' >'%s/torch.log' 2>&1", py, script, dir, dir);
    int st = system(cmd);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 3) return 0;
    if (st != 0) {
        snprintf(cmd, sizeof cmd, "cat '%s/torch.log' >&2", dir);
        if (system(cmd) != 0) fprintf(stderr, "torch_match.py failed\n");
    }
    CHECK_EQ_INT(st, 0);
    return st == 0;
}

static void match(const char *name, const char *model_file, const cryptonn_describe_opts *o,
                  cryptonn_sgd opt)
{
    cryptonn_records r;
    CHECK(records(name, o, &r));
    CHECK(r.n >= STEPS * BATCH);
    if (!r.x || r.n < STEPS * BATCH) {
        cryptonn_records_free(&r);
        return;
    }
    char model[1024], msg[512] = "", dir[1024];
    cryptonn_model_config cfg;
    t_src_path(model, sizeof model, model_file);
    CHECK_EQ_INT(cryptonn_model_config_read(model, &cfg, msg, sizeof msg), CRYPTONN_OK);
    cfg.seed = t_seed;
    cryptonn_model *m = NULL;
    CHECK_EQ_INT(cryptonn_model_create(&cfg, BATCH, 2, &m), CRYPTONN_OK);
    if (!m) {
        fprintf(stderr, "%s\n", msg);
        cryptonn_records_free(&r);
        return;
    }
    snprintf(dir, sizeof dir, "%s/%s", t_tmpdir(), name);
    CHECK(mkdir(dir, 0700) == 0);
    const size_t np = cryptonn_model_param_count(m), in = r.size;
    const int linear = cfg.output == CRYPTONN_OUTPUT_LINEAR;
    uint32_t *order = malloc(sizeof(uint32_t) * r.n);
    cryptonn_shuffle_order(t_seed, r.n, order);
    write_meta(dir, model, &cfg, &opt, r.n);
    CHECK(write_raw(dir, "init.f32", cryptonn_model_params(m), np * 4));
    CHECK(write_raw(dir, "x.f32", r.x, (size_t)r.n * in * 4));
    CHECK(write_raw(dir, linear ? "t.f32" : "y.u8", linear ? (void *)r.t : (void *)r.y,
                    linear ? (size_t)r.n * 4 : r.n));
    CHECK(write_raw(dir, "order.u32", order, (size_t)r.n * 4));

    float *x = malloc(sizeof(float) * BATCH * in), *t = malloc(sizeof(float) * BATCH);
    uint8_t y[BATCH];
    double ours[STEPS], theirs[STEPS];
    for (int s = 0; s < STEPS; s++) {
        for (int b = 0; b < BATCH; b++) {
            uint32_t k = order[s * BATCH + b];
            memcpy(x + b * in, r.x + k * in, sizeof(float) * in);
            if (linear) t[b] = r.t[k];
            else y[b] = r.y[k];
        }
        cryptonn_model_forward(m, x, BATCH);
        if (linear) cryptonn_model_backward_targets(m, t, BATCH, &ours[s]);
        else cryptonn_model_backward(m, y, BATCH, &ours[s], NULL);
        cryptonn_model_sgd_step(m, &opt);
    }
    if (run_torch(dir)) {
        float *tp = malloc(np * 4);
        CHECK(read_raw(dir, "torch.f32", tp, np * 4));
        CHECK(read_raw(dir, "torch_loss.f64", theirs, sizeof theirs));
        const float *p = cryptonn_model_params(m);
        double worst = 0, moved = 0;
        for (size_t i = 0; i < np; i++)
            worst = fmax(worst, fabs((double)p[i] - tp[i]) / (1e-3 + fabs(tp[i])));
        float *init = malloc(np * 4);
        CHECK(read_raw(dir, "init.f32", init, np * 4));
        for (size_t i = 0; i < np; i++) moved = fmax(moved, fabs((double)p[i] - init[i]));
        double lw = 0;
        for (int s = 0; s < STEPS; s++) lw = fmax(lw, fabs(ours[s] - theirs[s]) / (1e-6 + fabs(theirs[s])));
        printf("test_nn_torch: %s: %zu weights after %d steps, largest relative difference %.2g "
               "(weights moved up to %.3g), losses within %.2g\n",
               name, np, STEPS, worst, moved, lw);
        CHECK(moved > 1e-3); /* the comparison is not of untouched weights */
        CHECK(worst < 1e-4);
        CHECK(lw < 1e-5);
        free(tp), free(init);
    } else {
        skipped = 1;
    }
    free(x), free(t), free(order);
    cryptonn_model_destroy(m);
    cryptonn_records_free(&r);
}

int main(void)
{
    t_init("test_nn_torch");
    cryptonn_describe_opts img = {.shape = {1, 8, 8}}, flat = {0};
    cryptonn_sgd opt = {0.05f, 0.9f, 1e-4f};
    match("digits", "models/digits.json", &img, opt);
    match("breast_cancer", "models/breast_cancer.json", &flat, opt);
    opt.weight_decay = 0;
    match("diabetes", "models/diabetes.json", &flat, opt);
    if (skipped) printf("SKIPPED: /usr/bin/python3 has no torch (tools/install-deps --with-peers)\n");
    return t_done();
}
