/* The leakage report: facts from the authority's counters, then what they
 * imply in each mode, in words a data owner can act on (DESIGN §5). */
#include "secure/leakage.h"

static int full(const cn_leak_mpk *m)
{
    return !m->rank_is_bound && m->width && m->rank >= m->width;
}

static const char *meaning(const cn_leak_report *r, int i)
{
    const cn_leak_mpk *m = &r->mpks[i];
    if (i == 2)
        return r->strict ? "keys only for label ciphertexts the owners registered: each reveals "
                           "that sample's (permuted) label"
                         : "each key reveals y - p, hence the (permuted) label; keys are issued "
                           "for any ciphertext of this mpk";
    if (i == 1)
        return !m->width ? "does not exist in strict mode: no gradient keys"
                         : "bound min(keys, width) for an honest server; a server that chooses "
                           "dZ1 reaches every slot of every batch ciphertext";
    if (full(m))
        return "full rank: every training image is solvable exactly, and so is the samples "
               "master secret (it decrypts every ciphertext under this mpk)";
    return r->strict ? "the committed layer's view of each sample; what it reveals is measured "
                       "by the audit, not by this rank"
                     : "a linear view of this rank; sparse, bounded images are recovered from "
                       "far fewer projections, and the rank grows as the layer is trained";
}

static void table(FILE *f, const cn_leak_report *r, int md)
{
    for (int i = 0; i < r->nmpks; i++) {
        const cn_leak_mpk *m = &r->mpks[i];
        char rank[64] = "—", width[32] = "—";
        if (m->width && i < 2) {
            snprintf(rank, sizeof rank, "%s%llu", m->rank_is_bound ? (md ? "≤ " : "<= ") : "",
                     (unsigned long long)m->rank);
            snprintf(width, sizeof width, "%llu", (unsigned long long)m->width);
        }
        if (md)
            fprintf(f, "| %s | %s | %s | %llu | %llu | %s |\n", m->name, width, rank,
                    (unsigned long long)m->keys_issued, (unsigned long long)m->keys_refused,
                    meaning(r, i));
        else
            fprintf(f, "  %-15s rank %s / %s, %llu keys issued, %llu refused\n    -> %s\n", m->name,
                    rank, width, (unsigned long long)m->keys_issued,
                    (unsigned long long)m->keys_refused, meaning(r, i));
    }
}

static void prose_strict(FILE *f, const cn_leak_report *r, const char *b)
{
    const cn_leak_mpk *sm = r->nmpks > 0 ? &r->mpks[0] : NULL;
    fprintf(f,
            "%sStrict mode: the authority drew the first layer (%s, commitment %s) and issues "
            "keys for exactly its %u outputs and nothing else; any other key request is refused "
            "(%llu samples keys refused in this run). The server learns each sample's view "
            "through that fixed layer, which it could not choose or steer.\n",
            b, r->layer ? r->layer : "?", r->commit ? r->commit : "?", r->first_layer_width,
            sm ? (unsigned long long)sm->keys_refused : 0ULL);
    if (sm && full(sm))
        fprintf(f,
                "%sThat layer spans all %llu dimensions (rank %llu mod ℓ): the server can solve "
                "for every training image exactly and for the samples master secret. Choose a "
                "narrower first layer (docs/PRIVACY.md) to protect anything.\n",
                b, (unsigned long long)sm->width, (unsigned long long)sm->rank);
    else if (sm)
        fprintf(f,
                "%sIts rank is %llu of %llu (mod ℓ). Rank alone bounds nothing for sparse, "
                "bounded data: what this view reveals is what the owners' audit measures "
                "(`cryptonn audit`, below when it ran).\n",
                b, (unsigned long long)sm->rank, (unsigned long long)sm->width);
    fprintf(f,
            "%sLabel keys are issued only for label ciphertexts the owners registered, at most "
            "%u per ciphertext; the server learns each sample's label up to the owners' secret "
            "permutation (which samples share a class, not which class).\n",
            b, r->label_uses);
}

static void prose_paper(FILE *f, const cn_leak_report *r, const char *b)
{
    const cn_leak_mpk *sm = r->nmpks > 0 ? &r->mpks[0] : NULL;
    fprintf(f,
            "%sPaper mode: the server chooses the first layer%s and the authority derives "
            "whatever keys it asks for within the policy. This mode reproduces the CryptoNN "
            "paper; it does not protect the training images from the server.\n",
            b, r->frozen_first_layer ? " (here frozen at its seeded weights)" : " and trains it");
    if (sm && full(sm))
        fprintf(f,
                "%sThe samples keys reached full rank (%llu): the server can solve for every "
                "training image exactly, and, since sk_y = <s, y> mod ℓ is linear in y, for the "
                "samples master secret s, which decrypts every ciphertext ever made under this "
                "mpk (test images and future uploads included).\n",
                b, (unsigned long long)sm->rank);
    else if (sm)
        fprintf(f,
                "%sThe samples keys span rank %llu of %llu (mod ℓ); rank is not protection: "
                "sparse, bounded images are recovered exactly by a linear program from far "
                "fewer projections (every MNIST image from a frozen 1-filter 5x5 conv's 576).\n",
                b, (unsigned long long)sm->rank, (unsigned long long)sm->width);
    fprintf(f,
            "%sA malicious server gets more, and no policy knob stops it: (1) differences of "
            "keys are keys (sk of y2 - y1), so --min-support does not prevent unit keys; (2) "
            "packed taps such as (256, 1) reveal several bounded pixels per key, about 4R pixels "
            "under --max-rank R; (3) a gradient request with a crafted dZ1 reveals every slot "
            "of the batch ciphertexts, i.e. every training image; (4) label keys are issued for "
            "any ciphertext of the labels mpk, a Diffie-Hellman oracle on the labels secret.\n",
            b);
    if (!r->frozen_first_layer)
        fprintf(f,
                "%sAn honest server's first-layer gradient is revealed as a sum over each batch "
                "of %u samples; for a dense first layer at least as wide as the batch that sum "
                "alone determines the batch's images.\n",
                b, r->batch);
    if (r->labels_via_febo)
        fprintf(f,
                "%sThe output error y - p is decrypted with the server's own prediction p, so the "
                "server learns every sample's label%s.\n",
                b,
                r->label_permutation ? " up to the owners' secret permutation of the classes"
                                     : "");
}

static void prose(FILE *f, const cn_leak_report *r, const char *b)
{
    if (r->strict) prose_strict(f, r, b);
    else prose_paper(f, r, b);
    fprintf(f,
            "%sThe authority sees every key request (in paper mode the first-layer weights at "
            "every update, in both modes the server's outputs through the label keys). The "
            "guarantees assume the authority and the server do not collude.\n",
            b);
}

void cn_leak_write_markdown(FILE *f, const cn_leak_report *r)
{
    fprintf(f, "## What the server learned (%s mode)\n\n", r->strict ? "strict" : "paper");
    fprintf(f, "| key space (mpk) | width | revealed rank (mod ℓ) | keys issued | keys refused | "
               "meaning |\n");
    fprintf(f, "| --- | --- | --- | --- | --- | --- |\n");
    table(f, r, 1);
    fprintf(f, "\n");
    prose(f, r, "- ");
    fprintf(f, "\n");
    if (r->audit_md) fprintf(f, "%s\n", r->audit_md);
}

void cn_leak_write_text(FILE *f, const cn_leak_report *r)
{
    fprintf(f, "What the server learned (%s mode, %llu samples):\n", r->strict ? "strict" : "paper",
            (unsigned long long)r->samples);
    table(f, r, 0);
    prose(f, r, "  * ");
    if (r->audit_text) fprintf(f, "%s", r->audit_text);
}
