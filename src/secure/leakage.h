/* leakage: the exact account of what the training server could learn, for the
 * training report and the demo (DESIGN §5). It states facts derived from the
 * authority's counters and the mode, names every attack open to a malicious
 * server in that mode, and never presents rank as protection: rank bounds a
 * linear view, and sparse, bounded data is recovered from far fewer
 * projections (measured by the owners' audit, whose figures the report
 * includes when it ran). */
#ifndef CRYPTONN_SECURE_LEAKAGE_H
#define CRYPTONN_SECURE_LEAKAGE_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *name;     /* "samples", "batch-gradient", "labels" */
    uint64_t width;       /* slots of the mpk (0: the mpk does not exist, or FEBO) */
    uint64_t rank;        /* rank mod ℓ of span(keys issued), or an upper bound */
    int rank_is_bound;    /* 1: rank is min(keys, width), not an exact rank */
    uint64_t keys_issued; /* every key the authority derived under this mpk */
    uint64_t keys_refused;
} cn_leak_mpk;

typedef struct {
    int strict;           /* CN_MODE_STRICT: the authority's committed first layer */
    const char *layer;    /* strict: the committed layer's spec ("conv:2x5s2") */
    const char *commit;   /* strict: the commitment (hex) */
    uint32_t label_uses;  /* strict: label keys allowed per registered ciphertext */
    int first_layer_conv; /* 1: convolution, 0: dense */
    int frozen_first_layer;
    uint32_t first_layer_width; /* dense: H; conv: filters × positions */
    uint32_t batch;             /* samples per batch ciphertext */
    int labels_via_febo;        /* output error through FEBO "−" keys */
    int label_permutation;      /* classes relabelled by the owners' secret π */
    uint64_t samples;
    const cn_leak_mpk *mpks;
    int nmpks;
    const char *audit_md;       /* the owners' audit as Markdown, if it ran (may be NULL) */
    const char *audit_text;     /* the same for the terminal */
} cn_leak_report;

/* Writes the report as Markdown (a "## What the server learned" section). */
void cn_leak_write_markdown(FILE *f, const cn_leak_report *r);
/* Writes a short plain-text version for the terminal. */
void cn_leak_write_text(FILE *f, const cn_leak_report *r);

#endif
