/* cli: the owners' truth for an encrypted test set (owner_truth.h). Scoring
 * reads the i-th label or target beside the i-th prediction, so records of
 * another task, class count or length would be read past their end or
 * compared with predictions of other records. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli/datamodel.h"
#include "cli/owner_truth.h"

#define MNIST_CLASSES 10

/* regression: "a regression target" (the set's) or "regression" (a task) */
static void task_text(char *buf, size_t len, int regression, uint32_t classes,
                      const char *regression_text)
{
    if (regression) snprintf(buf, len, "%s", regression_text);
    else snprintf(buf, len, "classification with %u classes", classes);
}

/* The task and class count, before any record is read. */
static int task_check(const char *cmd, const char *enc_dir, const cryptonn_encdata_info *info,
                      const char *spec_path, const char *records, const cryptonn_data_spec *spec)
{
    const int regression = spec_path && spec->task == CRYPTONN_TASK_REGRESS;
    const uint32_t classes = spec_path ? spec->classes : MNIST_CLASSES;
    if (regression == !!info->regression && (regression || classes == info->classes))
        return CRYPTONN_OK;
    char set[64], own[64];
    task_text(set, sizeof set, info->regression, info->classes, "a regression target");
    task_text(own, sizeof own, regression, classes, "regression");
    if (spec_path)
        fprintf(stderr, "cryptonn %s: the encrypted test set %s is %s, the spec %s's task is %s: "
                        "they are not the same records\n", cmd, enc_dir, set, spec_path, own);
    else
        fprintf(stderr, "cryptonn %s: the encrypted test set %s is %s, MNIST's test labels in %s "
                        "are %s: pass the data spec its records were encrypted under (--spec)\n",
                cmd, enc_dir, set, records, own);
    return CRYPTONN_ERR_MISMATCH;
}

int cli_truth_load(const char *cmd, const char *enc_dir, const cryptonn_encdata_info *info,
                   const char *spec_path, const char *records, const char *labels_path,
                   uint32_t limit, cli_truth *t)
{
    memset(t, 0, sizeof *t);
    int rc = spec_path ? cli_spec_read(cmd, spec_path, &t->spec) : CRYPTONN_OK;
    if (rc == CRYPTONN_OK) rc = task_check(cmd, enc_dir, info, spec_path, records, &t->spec);
    if (rc == CRYPTONN_OK && spec_path) {
        rc = cli_records_load_unlabeled(cmd, &t->spec, records, labels_path, &t->rec);
        cryptonn_records_view(&t->rec, &t->s);
        if (rc == CRYPTONN_OK && t->s.n != info->samples) {
            fprintf(stderr, "cryptonn %s: the encrypted test set %s has %llu records, %s has %u: "
                            "score the records it was encrypted from\n", cmd, enc_dir,
                    (unsigned long long)info->samples, records, t->s.n);
            rc = CRYPTONN_ERR_MISMATCH;
        }
        /* records to predict may come without labels (new patients):
         * nothing to score, the predictions alone */
        if (rc == CRYPTONN_OK && !t->s.y && !t->s.t) {
            t->s.n = 0;
            fprintf(stderr, "cryptonn %s: %s has no labels: predictions are not scored\n", cmd,
                    records);
        }
    } else if (rc == CRYPTONN_OK) {
        /* the set is MNIST's first test images (cryptonn encrypt --test --limit) */
        const uint64_t want = limit && limit < info->samples ? limit : info->samples;
        char why[256] = "";
        rc = cryptonn_mnist_load(records, 0, (uint32_t)want, &t->mnist, why, sizeof why);
        if (rc != CRYPTONN_OK)
            fprintf(stderr, "cryptonn %s: %s: %s %s\n", cmd, records, cryptonn_status_str(rc), why);
        cryptonn_samples_of(&t->mnist, &t->s);
        if (rc == CRYPTONN_OK && t->s.n < want) {
            fprintf(stderr, "cryptonn %s: the encrypted test set %s has %llu records, MNIST's "
                            "test set in %s only %u\n", cmd, enc_dir,
                    (unsigned long long)info->samples, records, t->s.n);
            rc = CRYPTONN_ERR_MISMATCH;
        }
    }
    if (rc != CRYPTONN_OK) {
        cli_truth_free(t);
        return rc;
    }
    if (limit && t->s.n > limit) t->s.n = limit;
    return CRYPTONN_OK;
}

void cli_truth_free(cli_truth *t)
{
    cryptonn_spec_free(&t->spec);
    cryptonn_records_free(&t->rec);
    cryptonn_dataset_free(&t->mnist);
    memset(t, 0, sizeof *t);
}

double cli_truth_metric(const cryptonn_samples *truth, uint64_t first, uint64_t n,
                        const uint8_t *pred, const float *vals, double t_scale)
{
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (vals) {
            const double e = ((double)vals[i] - (double)truth->t[first + i]) * t_scale;
            sum += e * e;
        } else {
            sum += pred[i] == truth->y[first + i];
        }
    }
    if (!n) return 0;
    return vals ? sqrt(sum / (double)n) : sum / (double)n;
}

int cli_predictions_write(const char *path, uint64_t n, const cryptonn_data_spec *spec,
                          int named, const uint8_t *pred, const float *vals)
{
    FILE *f = fopen(path, "w");
    if (!f) return CRYPTONN_ERR_IO;
    for (uint64_t i = 0; i < n; i++) {
        if (vals && spec) fprintf(f, "%.9g\n", (double)vals[i] * spec->t_scale + spec->t_offset);
        else if (vals) fprintf(f, "%.9g\n", (double)vals[i]);
        else if (spec && named && pred[i] < spec->classes)
            fprintf(f, "%s\n", spec->class_names[pred[i]]);
        else fprintf(f, "%u\n", pred[i]);
    }
    return fclose(f) ? CRYPTONN_ERR_IO : CRYPTONN_OK;
}
