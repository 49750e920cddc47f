/* The leakage report: facts from the authority's counters, then what they
 * imply, in words a data owner can act on (DESIGN §5). */
#include "secure/leakage.h"

static const char *implication(const cn_leak_report *r, const cn_leak_mpk *m)
{
    if (m->width == 0)
        return "FEBO keys are bound to one label ciphertext each: every key reveals y - p for its "
               "sample and class, hence the (permuted) label itself";
    if (!m->rank_is_bound && m->rank >= m->width)
        return "full rank: the server can solve for every encrypted vector under this key, "
               "exactly (for the samples: every training image)";
    if (m->rank_is_bound)
        return "upper bound min(keys, width); the gradient keys reveal the batch-summed "
               "first-layer gradient each step, and other linear views of other batches";
    if (r->frozen_first_layer)
        return "bounded: the frozen first layer's keys never change, so each image is revealed "
               "only through this many fixed random projections (sparse images may still be "
               "approximately recoverable from fewer than 784 projections)";
    return "partial: each encrypted vector is revealed through its projection onto a space of "
           "this dimension; the rank grows as the first layer is trained";
}

static void table(FILE *f, const cn_leak_report *r, int md)
{
    for (int i = 0; i < r->nmpks; i++) {
        const cn_leak_mpk *m = &r->mpks[i];
        if (md)
            if (m->width == 0)
                fprintf(f, "| %s | — | — | %llu | %llu | %s |\n", m->name,
                        (unsigned long long)m->keys_issued, (unsigned long long)m->keys_refused,
                        implication(r, m));
            else
                fprintf(f, "| %s | %llu | %s%llu | %llu | %llu | %s |\n", m->name,
                        (unsigned long long)m->width, m->rank_is_bound ? "≤ " : "",
                        (unsigned long long)m->rank, (unsigned long long)m->keys_issued,
                        (unsigned long long)m->keys_refused, implication(r, m));
        else
            fprintf(
                f,
                "  %-15s revealed rank %s%llu / %llu, %llu keys issued, %llu refused\n    -> %s\n",
                m->name, m->rank_is_bound ? "<= " : "", (unsigned long long)m->rank,
                (unsigned long long)m->width, (unsigned long long)m->keys_issued,
                (unsigned long long)m->keys_refused, implication(r, m));
    }
}

static void prose(FILE *f, const cn_leak_report *r, const char *bullet)
{
    if (r->first_layer_conv && !r->frozen_first_layer)
        fprintf(f,
                "%sThe first layer is a convolution: its keys (one per filter and position) span "
                "all 784 pixels after the first weight update, so a server that solves the "
                "linear system recovers every training image exactly. The encryption hides the "
                "images from anyone without keys (storage, network); it does not hide them from "
                "the training server.\n",
                bullet);
    else if (!r->frozen_first_layer)
        fprintf(f,
                "%sThe first layer is dense and trained: each update reveals %u new projections "
                "of every image, and these add up across updates to the full image within a "
                "few updates.\n",
                bullet, r->first_layer_width);
    else {
        /* the samples mpk's exact rank, not the key count: 6 conv filters
         * give 3,456 keys but span at most the 784 pixels */
        const cn_leak_mpk *sm = r->nmpks > 0 ? &r->mpks[0] : NULL;
        unsigned long long rank = sm ? (unsigned long long)sm->rank : 0,
                           width = sm ? (unsigned long long)sm->width : 0;
        fprintf(f,
                "%sThe first layer is frozen (seeded random, never trained): its %u keys never "
                "change and no gradient keys are issued; they reveal each image through a space "
                "of rank %llu of %llu%s.\n",
                bullet, r->first_layer_width, rank, width,
                rank >= width ? ", which is full rank: freezing bounds nothing here, every "
                                "training image can be solved for"
                              : "");
    }
    if (!r->frozen_first_layer)
        fprintf(f,
                "%sThe first-layer gradient is revealed only as a sum over each batch of %u "
                "samples; for a dense first layer at least as wide as the batch that sum alone "
                "determines the batch's images.\n",
                bullet, r->batch);
    if (r->labels_via_febo)
        fprintf(f,
                "%sThe output error y - p is decrypted with the server's own prediction p, so "
                "the server learns every sample's label%s.\n",
                bullet,
                r->label_permutation ? " up to the owners' secret permutation of the classes: it "
                                       "knows which samples share a class, not which class it is"
                                     : "");
    fprintf(f,
            "%sThe authority sees every key request: it learns the first-layer weights at every "
            "update and the server's output activations. The guarantee assumes the authority "
            "and the server do not collude.\n",
            bullet);
}

void cn_leak_write_markdown(FILE *f, const cn_leak_report *r)
{
    fprintf(f, "## What the server learned\n\n");
    fprintf(f,
            "| key space (mpk) | width | revealed rank | keys issued | keys refused | meaning |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
    table(f, r, 1);
    fprintf(f, "\n");
    prose(f, r, "- ");
    fprintf(f, "\n");
}

void cn_leak_write_text(FILE *f, const cn_leak_report *r)
{
    fprintf(f, "What the server learned (%llu samples):\n", (unsigned long long)r->samples);
    table(f, r, 0);
    prose(f, r, "  * ");
}
