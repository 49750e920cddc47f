/* rank: the authority's account of what a key set reveals.
 *
 * Every FEIP key y issued under an mpk lets the server learn ⟨x, y⟩ for every
 * ciphertext x of that mpk, and its secret sk_y = ⟨s, y⟩ mod ℓ is linear in y
 * modulo the group order ℓ: from keys y_1..y_r the server can derive the key
 * of every vector in their span mod ℓ, and once that span is the whole
 * width it solves for the master secret s itself. The tracker keeps the rank
 * of that span, exactly, modulo ℓ = 2^252 + 27742317777372353535851937790883648493.
 * (An earlier tracker worked modulo 2^61 − 1, where vectors such as
 * (2^30, 1 − 2^30) and (1, 2^31 − 1), whose determinant is 2^61 − 1, count
 * as dependent although their keys are independent.)
 *
 * Representation: a basis in reduced row-echelon form, one dense row of `width`
 * residues mod ℓ (Montgomery form, four 64-bit limbs) per basis vector, each
 * with a pivot column at which it is 1 and every other basis row is 0.
 * Reducing a new vector costs O(rank × width) multiplications mod ℓ; once
 * rank == width the tracker is full and adding is O(1). Key vectors are
 * public, so the arithmetic is variable-time. */
#ifndef CRYPTONN_SECURE_RANK_H
#define CRYPTONN_SECURE_RANK_H

#include <stddef.h>
#include <stdint.h>

typedef struct cn_rank cn_rank;

/* NULL on OOM. Memory grows with the rank, at most width^2 × 32 bytes. */
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
