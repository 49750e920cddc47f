/* `cryptonn bench nn`: one epoch of LeNet-5 (ReLU, max pooling, softmax +
 * cross-entropy, SGD lr 0.01 momentum 0.9, batch 64) on MNIST, ours and then
 * PyTorch's (bench/torch_lenet5.py, same model, optimiser, batch and
 * epochs, torch.set_num_threads(threads), started from our initial weights
 * and fed the same batches) in the same run: epoch times, test accuracies,
 * ratio (PyTorch / ours: > 1 means we are faster). The PyTorch
 * row is skipped with a note when its interpreter or torch is missing.
 *
 *   cryptonn bench nn [--json] [--quick] [--threads N]
 * MNIST comes from $CRYPTONN_MNIST_DIR, else data/mnist under the working
 * directory or beside the build directory (tools/fetch-mnist writes it).
 * --quick trains on the first 12,800 samples only. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "cryptonn/nn.h"
#include "util/util.h"

static void loadavg(char *buf, size_t len)
{
    snprintf(buf, len, "?");
    FILE *f = fopen("/proc/loadavg", "r");
    if (!f) return;
    if (fgets(buf, (int)len, f)) buf[strcspn(buf, " ")] = 0;
    fclose(f);
}

/* The peer script: beside the source tree's bench/, found from the working
 * directory or from the binary's location (build dir → ../bench). */
static int find_script(char *out, size_t len)
{
    const char *rel = "bench/torch_lenet5.py";
    const char *src = getenv("CRYPTONN_SOURCE_DIR");
    if (src) {
        snprintf(out, len, "%s/%s", src, rel);
        if (access(out, R_OK) == 0) return 1;
    }
    snprintf(out, len, "%s", rel);
    if (access(out, R_OK) == 0) return 1;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return 0;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (slash) *slash = 0;
    snprintf(out, len, "%s/../%s", exe, rel);
    return access(out, R_OK) == 0;
}

/* First number after `"key": [` in a JSON line. */
static int json_first(const char *json, const char *key, double *v)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\": [", key);
    const char *p = strstr(json, pat);
    return p && sscanf(p + strlen(pat), "%lf", v) == 1;
}

typedef struct {
    double seconds, accuracy;
} run_result;

static int run_torch(const char *data, uint32_t limit, int epochs, int threads,
                     const char *init, const char *order, run_result *r, char *why, size_t wlen)
{
    char script[PATH_MAX + 64];
    if (!find_script(script, sizeof script)) {
        snprintf(why, wlen, "PyTorch peer skipped: bench/torch_lenet5.py not found");
        return 0;
    }
    /* Debian's python3-torch lives under /usr/bin/python3; a python3 earlier
     * on PATH (pyenv, venv) may lack it. */
    const char *py = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";
    static char cmd[4 * PATH_MAX + 512];
    int len = snprintf(cmd, sizeof cmd,
                       "%s '%s' --data '%s' --epochs %d --threads %d --limit %u --lr 0.01 "
                       "--momentum 0.9 --batch 64 --activation relu --pool max --init '%s' "
                       "--order '%s' 2>&1",
                       py, script, data, epochs, threads, limit, init, order);
    if (len < 0 || (size_t)len >= sizeof cmd || strchr(script, '\'') || strchr(data, '\'')) {
        snprintf(why, wlen, "PyTorch peer skipped: paths too long or quoted");
        return 0;
    }
    FILE *p = popen(cmd, "r");
    if (!p) {
        snprintf(why, wlen, "PyTorch peer skipped: cannot run %s", py);
        return 0;
    }
    char line[4096], last[4096] = "";
    while (fgets(line, sizeof line, p))
        if (line[0] == '{') snprintf(last, sizeof last, "%s", line);
        else snprintf(why, wlen, "PyTorch peer skipped: %.400s", line); /* its last error line */
    int st = pclose(p);
    if (st != 0 || !json_first(last, "epoch_seconds", &r->seconds) ||
        !json_first(last, "test_accuracy", &r->accuracy)) {
        if (strstr(why, "No module named")) snprintf(why, wlen, "PyTorch peer skipped: torch is not installed (tools/install-deps --with-peers)");
        else if (!why[0]) snprintf(why, wlen, "PyTorch peer skipped: the script failed (status %d)", st);
        why[strcspn(why, "\n")] = 0;
        return 0;
    }
    return 1;
}

/* The MNIST directory: $CRYPTONN_MNIST_DIR, ./data/mnist, or data/mnist in
 * the source tree above the binary's build directory. */
static const char *mnist_dir(char *buf, size_t len)
{
    const char *env = getenv("CRYPTONN_MNIST_DIR");
    if (env && *env) return env;
    if (access("data/mnist/train-images-idx3-ubyte", R_OK) == 0) return "data/mnist";
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = 0;
        char *slash = strrchr(exe, '/');
        if (slash) *slash = 0;
        snprintf(buf, len, "%s/../data/mnist", exe);
        return buf;
    }
    return "data/mnist";
}

int bench_nn(int argc, char **argv, const bench_opts *o)
{
    /* Options are bench's own (--json, --quick, --threads): `cryptonn bench`
     * parses the whole command line before the suite runs. */
    (void)argc, (void)argv;
    char dbuf[PATH_MAX + 32];
    const char *data = mnist_dir(dbuf, sizeof dbuf);
    const long limit = o->quick ? 12800 : 0, epochs = 1;

    char msg[512];
    cryptonn_dataset train, test;
    int rc = cryptonn_mnist_load(data, 1, (uint32_t)limit, &train, msg, sizeof msg);
    if (rc == CRYPTONN_OK && (rc = cryptonn_mnist_load(data, 0, 0, &test, msg, sizeof msg)) != CRYPTONN_OK)
        cryptonn_dataset_free(&train);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn bench nn: %s (run tools/fetch-mnist)\n", msg);
        return 1;
    }
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg); /* LeNet-5, ReLU, max pool, CE mean */
    cryptonn_sgd opt = {0.01f, 0.9f, 0.0f};
    cryptonn_model *m;
    if ((rc = cryptonn_model_create(&cfg, 64, (uint32_t)o->threads, &m)) != CRYPTONN_OK) {
        cryptonn_dataset_free(&train);
        cryptonn_dataset_free(&test);
        fprintf(stderr, "cryptonn bench nn: %s\n", cryptonn_status_str(rc));
        return 1;
    }

    bench_report *r = bench_report_open("nn", o);
    char la0[32], la1[32], op[96], note[256];
    loadavg(la0, sizeof la0);
    snprintf(op, sizeof op, "LeNet-5 ReLU epoch (%u samples, batch 64)", train.n);

    /* Both start from our initial weights (PyTorch's layout and init rule) and
     * see the same batches, so accuracies differ only by rounding. */
    char dir[] = "/tmp/cryptonn-bench-nn-XXXXXX", init[64], order[64];
    uint32_t *orders = cn_malloc_array((size_t)epochs * train.n, sizeof(uint32_t));
    if (!orders || !mkdtemp(dir)) {
        fprintf(stderr, "cryptonn bench nn: cannot prepare the peer's files\n");
        free(orders);
        bench_report_close(r);
        cryptonn_model_destroy(m);
        cryptonn_dataset_free(&train);
        cryptonn_dataset_free(&test);
        return 1;
    }
    snprintf(init, sizeof init, "%s/init.f32", dir);
    snprintf(order, sizeof order, "%s/order.u32", dir);
    for (long e = 0; e < epochs; e++)
        cryptonn_shuffle_order(cfg.seed + (uint64_t)e, train.n, orders + (size_t)e * train.n);
    FILE *f1 = fopen(init, "wb"), *f2 = fopen(order, "wb");
    int wrote = f1 && f2 &&
                fwrite(cryptonn_model_params(m), sizeof(float), cryptonn_model_param_count(m), f1) ==
                    cryptonn_model_param_count(m) &&
                fwrite(orders, sizeof(uint32_t), (size_t)epochs * train.n, f2) ==
                    (size_t)epochs * train.n;
    if (f1) wrote &= fclose(f1) == 0;
    if (f2) wrote &= fclose(f2) == 0;

    double ours_s = 0, ours_acc = 0;
    for (long e = 0; e < epochs; e++) {
        uint64_t t0 = cn_now_ns();
        rc = cryptonn_model_train_epoch_ordered(m, &train, 64, &opt, orders + (size_t)e * train.n,
                                                NULL, NULL, NULL);
        ours_s = (double)(cn_now_ns() - t0) / 1e9; /* the last epoch, as for PyTorch */
        if (rc == CRYPTONN_OK) rc = cryptonn_model_evaluate(m, &test, &ours_acc, NULL);
        if (rc != CRYPTONN_OK) break;
    }
    bench_stat so = {ours_s * 1e9, ours_s * 1e9, ours_s * 1e9, 1};
    if (rc == CRYPTONN_OK) bench_row(r, op, "ours", so, NULL);

    run_result tr;
    char why[512] = "";
    int have_torch = rc == CRYPTONN_OK && wrote &&
                     run_torch(data, (uint32_t)limit, (int)epochs, o->threads, init, order, &tr,
                               why, sizeof why);
    if (!wrote) snprintf(why, sizeof why, "PyTorch peer skipped: cannot write %s", dir);
    remove(init);
    remove(order);
    rmdir(dir);
    free(orders);
    if (have_torch) {
        bench_stat st = {tr.seconds * 1e9, tr.seconds * 1e9, tr.seconds * 1e9, 1};
        bench_row(r, op, "pytorch", st, NULL);
    }
    loadavg(la1, sizeof la1);
    if (rc == CRYPTONN_OK) {
        bench_value(r, "test accuracy, ours", 100 * ours_acc, "%");
        if (have_torch) {
            bench_value(r, "test accuracy, pytorch", 100 * tr.accuracy, "%");
            bench_value(r, "accuracy difference (ours - pytorch)", 100 * (ours_acc - tr.accuracy),
                        "points");
            bench_value(r, "epoch time ratio (pytorch / ours)", tr.seconds / ours_s, "x");
        } else {
            bench_note(r, why);
        }
        snprintf(note, sizeof note,
                 "epochs %ld (times and accuracies after the last), SGD lr 0.01 momentum 0.9, "
                 "same initial weights and batches; %d threads each; 1-minute load average %s "
                 "before, %s after",
                 epochs, o->threads, la0, la1);
        bench_note(r, note);
    } else {
        fprintf(stderr, "cryptonn bench nn: %s\n", cryptonn_status_str(rc));
    }
    bench_report_close(r);
    cryptonn_model_destroy(m);
    cryptonn_dataset_free(&train);
    cryptonn_dataset_free(&test);
    return rc == CRYPTONN_OK ? 0 : 1;
}
