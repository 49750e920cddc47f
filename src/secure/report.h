/* report: the final Markdown report of a secure training run: settings,
 * accuracy per epoch, time per phase, and the leakage report. */
#ifndef CRYPTONN_SECURE_REPORT_H
#define CRYPTONN_SECURE_REPORT_H

#include <stdio.h>

#include "secure/leakage.h"
#include "secure/train.h"

#define CN_REPORT_MAX_EPOCHS 64

typedef struct {
    const char *title;
    const char *settings; /* free text, one "key: value" per line */
    uint32_t epochs;
    cn_secure_stats epoch[CN_REPORT_MAX_EPOCHS]; /* per epoch, not cumulative */
    double test_accuracy[CN_REPORT_MAX_EPOCHS];  /* < 0: not measured */
    double seconds_encrypt;                      /* client side, < 0: not measured here */
    cn_leak_report leak;
} cn_train_report;

void cn_report_write_markdown(FILE *f, const cn_train_report *r);
/* Phase times of one stats block on one line, for the terminal. */
void cn_report_phase_line(FILE *f, const char *label, const cn_secure_stats *s);
int cn_report_save(const char *path, const cn_train_report *r);

#endif
