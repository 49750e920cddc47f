/* Power-of-two fixed point for the tensors the server sends into keys, and the
 * seeded batch order (train.h). */
#include <math.h>

#include "secure/train.h"

int cn_quant_exponent(const float *v, size_t n, unsigned bits)
{
    float mx = 0;
    for (size_t i = 0; i < n; i++) {
        float a = fabsf(v[i]);
        if (a > mx) mx = a;
    }
    if (!(mx > 0) || !isfinite(mx)) return 0;
    double limit = ldexp(1.0, (int)bits) - 1;
    /* Largest e with mx·2^e <= limit. */
    int e = (int)floor(log2(limit / (double)mx));
    while (e > -30 && (double)mx * ldexp(1.0, e) > limit)
        e--;
    if (e < -30) e = -30;
    if (e > 40) e = 40;
    return e;
}

void cn_quant(const float *v, size_t n, int e, int64_t *out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (int64_t)llround(ldexp((double)v[i], e));
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void cn_batch_order(uint64_t seed, uint32_t epoch, uint64_t nbatches, uint64_t *order)
{
    uint64_t s = seed ^ ((uint64_t)epoch * 0xD1B54A32D192ED03ull);
    for (uint64_t i = 0; i < nbatches; i++)
        order[i] = i;
    for (uint64_t i = nbatches; i > 1; i--) {
        uint64_t j = splitmix(&s) % i;
        uint64_t t = order[i - 1];
        order[i - 1] = order[j];
        order[j] = t;
    }
}
