/* firstlayer: the strict mode's committed first layer (DESIGN §5).
 *
 * In strict mode the authority, not the server, chooses the only functions
 * of the samples that ever get keys: it draws the first layer's integer
 * weights from its own randomness, publishes them in params.bin with a
 * commitment (BLAKE2b-256 of the spec and weights), and issues keys for
 * exactly the vectors this file derives from them, one per dense row or per
 * conv filter and output position. The server trains every later layer.
 *
 * Shapes. Input: in_c × in_h × in_w slots, slot c·H·W + r·W + col.
 *   dense k:   output o = Σ_slot w[o][slot] · x[slot]                (k outputs)
 *   conv F×K, stride S, padding P:
 *     out_h = (in_h + 2P − K)/S + 1 (likewise out_w), output (o, i, j) =
 *     Σ_{c,u,v} w[o][c][u][v] · x[c][i·S+u−P][j·S+v−P], zero outside the image,
 *     in the order o, i, j (NCHW) — the definition cryptonn_first_layer uses.
 * Weights are integers in [−(2^(bits−1)−1), 2^(bits−1)−1]; the model's float
 * weights are w · 2^−scale_exp, with scale_exp chosen so that the floats
 * match PyTorch's default initialisation range U(±1/√fan_in). */
#ifndef CRYPTONN_SECURE_FIRSTLAYER_H
#define CRYPTONN_SECURE_FIRSTLAYER_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/nn.h"
#include "secure/keyreq.h"

typedef struct {
    uint32_t conv;           /* 0 dense, 1 convolution */
    uint32_t out;            /* dense width, or conv filters */
    uint32_t k, stride, pad; /* conv only (dense: 0, 1, 0) */
    uint32_t in_c, in_h, in_w;
} cn_fl_spec;

/* Parses "dense:K" or "conv:FxK[sS][pP]" (e.g. "conv:6x5", "conv:1x5s2",
 * "conv:2x5s2p2") for an input of in_c × in_h × in_w. Rejects anything
 * else, and shapes with no output or more than 2^20 outputs, with a reason
 * in msg. */
int cn_fl_spec_parse(const char *s, uint32_t in_c, uint32_t in_h, uint32_t in_w, cn_fl_spec *out,
                     char *msg, size_t msg_len);
/* The canonical text of a spec (what cn_fl_spec_parse accepts). */
void cn_fl_spec_format(const cn_fl_spec *s, char *buf, size_t len);
/* 1 if the spec's fields are in range (as a parsed one would be). */
int cn_fl_spec_ok(const cn_fl_spec *s);

uint32_t cn_fl_out_h(const cn_fl_spec *s); /* dense: 1 */
uint32_t cn_fl_out_w(const cn_fl_spec *s);
uint64_t cn_fl_outputs(const cn_fl_spec *s); /* keys: out·out_h·out_w */
uint64_t cn_fl_weights(const cn_fl_spec *s); /* dense: out·in; conv: out·in_c·k·k */
uint64_t cn_fl_fan_in(const cn_fl_spec *s);

/* Integer weights uniform in [−(2^(bits−1)−1), 2^(bits−1)−1] (bits 2..16)
 * from the system CSPRNG, or, when seed is not NULL, from a ChaCha20 stream
 * keyed by the 32-byte seed (reproducible demos and tests; the layer is
 * public either way, what matters is that the server did not choose it).
 * Returns the scale exponent. */
int cn_fl_draw(const cn_fl_spec *s, unsigned bits, const uint8_t *seed32, int32_t *w);
int32_t cn_fl_scale_exp(const cn_fl_spec *s, unsigned bits);

/* The layer's key vectors into a freshly allocated r (cn_keyreq_feip_free),
 * one per output in the order above, zero weights skipped; r->mpk =
 * CN_MPK_SAMPLES. */
int cn_fl_keys(const cn_fl_spec *s, const int32_t *w, cn_feip_keyreq *r);

/* out[o] = Σ key_o · x (exact integers; the plaintext equivalent of the
 * secure first layer, for tests and the strict accuracy runs). x holds
 * in_c·in_h·in_w integers, out cn_fl_outputs. */
void cn_fl_apply(const cn_fl_spec *s, const int32_t *w, const int64_t *x, int64_t *out);

/* The committed layer as params.bin carries it. */
typedef struct {
    cn_fl_spec spec;
    uint32_t bits;
    int32_t scale_exp;
    int32_t *w;          /* cn_fl_weights(spec) */
    uint8_t commit[32];  /* BLAKE2b-256 of the serialized spec and weights */
} cn_fl_layer;

/* Fills l for spec s: bits, scale_exp and weights drawn by cn_fl_draw from
 * the CSPRNG, or, when seed is not NULL, from a 32-byte stream seed derived
 * from *seed (keygen --layer-seed, the demo). l->w is malloc'd
 * (cn_fl_layer_free); the commitment is left to cn_fl_layer_commit. */
int cn_fl_layer_draw(cn_fl_layer *l, const cn_fl_spec *s, unsigned bits, const uint64_t *seed);

/* Serialization (inside params.bin): u32 conv, out, k, stride, pad, in_c,
 * in_h, in_w, bits, i32 scale_exp, u64 nw, i32 w[nw]. The commitment is the
 * hash of exactly these bytes. */
int cn_fl_layer_encode(const cn_fl_layer *l, uint8_t **buf, size_t *len);
/* Decodes and recomputes the commitment; FORMAT for a bad spec or weights
 * out of range. l->w is malloc'd (cn_fl_layer_free). */
int cn_fl_layer_decode(cn_fl_layer *l, const uint8_t *buf, size_t len);
void cn_fl_layer_commit(cn_fl_layer *l);
void cn_fl_layer_free(cn_fl_layer *l);
/* The commitment's first 8 bytes in hex (16 characters + NUL), for reports. */
void cn_fl_layer_commit_hex(const cn_fl_layer *l, char out[17]);

/* Strict mode: fits a model configuration to the committed layer l, frozen.
 * A LeNet-5 or MLP config whose first layer has l's shape keeps its shape; a
 * layer list (a model file) must begin with l (its kind, units, kernel,
 * stride, padding and input shape); anything else becomes l, ReLU, dense
 * `hidden` (128 if 0), ReLU, dense `classes` (the head docs/PRIVACY.md
 * measures). CRYPTONN_ERR_MISMATCH with the reason in msg. */
int cn_fl_fit_model(const cn_fl_layer *l, cryptonn_model_config *cfg, char *msg, size_t msg_len);

#endif
