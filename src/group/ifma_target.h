/* ifma_target: switches the rest of the translation unit to AVX-512 IFMA
 * code generation (the build itself targets AVX2: valgrind cannot run
 * AVX-512). Include it first, only from the *_ifma.c files, and end each of
 * them with GEV_IFMA_END (clang scopes its attribute). Callers check
 * gev_have_ifma() at run time before entering any such file. */
#ifndef CRYPTONN_IFMA_TARGET_H
#define CRYPTONN_IFMA_TARGET_H

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512vl,avx512ifma"))), apply_to = function)
#define GEV_IFMA_END _Pragma("clang attribute pop")
#else
#pragma GCC target("avx512f,avx512vl,avx512ifma")
#define GEV_IFMA_END
#endif
#include <immintrin.h>

#endif
