/* rank: the authority's account of what a key set reveals.
 *
 * Every FEIP key y issued under an mpk lets the server learn ⟨x, y⟩ for every
 * ciphertext x of that mpk; what the server can learn about x is therefore its
 * projection onto span(all keys issued). The tracker keeps that span's rank.
 *
 * Arithmetic is modulo the Mersenne prime q = 2^61 - 1: key vectors are small
 * integers, and a set of integer vectors that is independent over Q is
 * independent mod q except with probability about (rank)/q, so the rank mod q
 * is a lower bound that equals the rational rank in all but negligible cases.
 * (It can only under-count, never over-count: reported as exact.)
 *
 * Representation: a basis in reduced row-echelon form, one dense row of `width`
 * residues per basis vector, each with a pivot column at which it is 1 and
 * every other basis row is 0. Reducing a new vector costs O(rank × width);
 * once rank == width the tracker is full and adding is O(1). */
#ifndef CRYPTONN_SECURE_RANK_H
#define CRYPTONN_SECURE_RANK_H

#include <stddef.h>
#include <stdint.h>

typedef struct cn_rank cn_rank;

/* NULL on OOM. Memory grows with the rank, at most width^2 × 8 bytes. */
cn_rank *cn_rank_create(uint32_t width);
void cn_rank_destroy(cn_rank *r);
uint32_t cn_rank_get(const cn_rank *r);
uint32_t cn_rank_width(const cn_rank *r);

/* Would the sparse vector (idx[j], val[j]), j < nnz, raise the rank? (0/1)
 * idx == NULL means val is dense of length nnz. Does not change the tracker. */
int cn_rank_would_grow(const cn_rank *r, const uint32_t *idx, const int64_t *val, size_t nnz);
/* Adds the vector to the span; returns 1 if the rank grew, 0 if not, and a
 * negative status on OOM or an index >= width. */
int cn_rank_add(cn_rank *r, const uint32_t *idx, const int64_t *val, size_t nnz);

#endif
