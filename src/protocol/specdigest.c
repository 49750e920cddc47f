#include "protocol/specdigest.h"

#include <string.h>

#include <sodium.h>

#include "util/util.h"

static void put_u64(crypto_generichash_state *st, uint64_t v)
{
    uint8_t b[8];
    cn_store_u64(b, v);
    crypto_generichash_update(st, b, 8);
}

/* IEEE-754 bits: -0.0 and 0.0 differ, which no describe output produces */
static void put_f64(crypto_generichash_state *st, double d)
{
    uint64_t v;
    memcpy(&v, &d, 8);
    put_u64(st, v);
}

/* length-prefixed, NULL distinct from "" */
static void put_str(crypto_generichash_state *st, const char *s)
{
    put_u64(st, s ? strlen(s) + 1 : 0);
    if (s) crypto_generichash_update(st, (const uint8_t *)s, strlen(s));
}

int cn_spec_digest(const cryptonn_data_spec *s, uint8_t out[CN_SPEC_DIGEST_BYTES])
{
    CN_ARG_CHECK(s && out && (s->features == 0 || (s->names && s->offset && s->scale)));
    crypto_generichash_state st;
    crypto_generichash_init(&st, (const uint8_t *)"cryptonn spec v1", 16, CN_SPEC_DIGEST_BYTES);
    put_u64(&st, s->features);
    for (int i = 0; i < 3; i++) put_u64(&st, s->shape[i]);
    for (uint32_t f = 0; f < s->features; f++) {
        put_str(&st, s->names[f]);
        put_f64(&st, s->offset[f]);
        put_f64(&st, s->scale[f]);
    }
    put_f64(&st, s->bound);
    put_u64(&st, s->base);
    put_u64(&st, s->digits);
    put_str(&st, s->label);
    put_u64(&st, (uint64_t)s->task);
    put_u64(&st, s->classes);
    for (uint32_t c = 0; c < s->classes && s->class_names; c++) put_str(&st, s->class_names[c]);
    put_f64(&st, s->t_offset);
    put_f64(&st, s->t_scale);
    put_f64(&st, s->t_bound);
    put_u64(&st, s->t_base);
    put_u64(&st, s->t_digits);
    crypto_generichash_final(&st, out, CN_SPEC_DIGEST_BYTES);
    return CRYPTONN_OK;
}
