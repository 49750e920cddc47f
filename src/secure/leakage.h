/* leakage: the exact account of what the training server could learn, for the
 * training report and the demo (DESIGN §5). It states facts derived from the
 * authority's counters; it never guesses in the server's favour. */
#ifndef CRYPTONN_SECURE_LEAKAGE_H
#define CRYPTONN_SECURE_LEAKAGE_H

#include <stdint.h>
#include <stdio.h>

typedef struct {
    const char *name;     /* "samples", "batch-gradient", "labels" */
    uint64_t width;       /* slots of the mpk */
    uint64_t rank;        /* rank of span(keys issued), or an upper bound */
    int rank_is_bound;    /* 1: rank is min(keys, width), not an exact rank */
    uint64_t keys_issued; /* every key the authority derived under this mpk */
    uint64_t keys_refused;
} cn_leak_mpk;

typedef struct {
    int first_layer_conv; /* 1: convolution, 0: dense */
    int frozen_first_layer;
    uint32_t first_layer_width; /* dense: H; conv: filters × positions */
    uint32_t batch;             /* samples per batch ciphertext */
    int labels_via_febo;        /* output error through FEBO "−" keys */
    int label_permutation;      /* classes relabelled by the owners' secret π */
    uint64_t samples;
    const cn_leak_mpk *mpks;
    int nmpks;
} cn_leak_report;

/* Writes the report as Markdown (a "## What the server learned" section). */
void cn_leak_write_markdown(FILE *f, const cn_leak_report *r);
/* Writes a short plain-text version for the terminal. */
void cn_leak_write_text(FILE *f, const cn_leak_report *r);

#endif
