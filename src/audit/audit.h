/* audit: the data owner's measurement of what a server could reconstruct
 * from the first-layer keys it received (DESIGN §5, docs/PRIVACY.md).
 *
 * The server holds, for every record x (integers on the encryption's grid),
 * the revealed projections z = Y·x, Y the key vectors of the samples mpk
 * (exported by the authority, protocol/keyexport.h). The audit replays exactly
 * that on the owner's own records and runs the strongest attacks we have:
 *   linear   exact modular solve over the revealed span: every feature whose
 *            unit vector lies in span(Y) is recovered exactly; the rest from
 *            the minimum-norm least-squares solution, rounded and clipped;
 *   lp       min Σx subject to Y·x = z and the features' bounds (COIN-OR
 *            CLP), rounded to the grid;
 *   decoder  an MLP from the revealed view to x trained on auxiliary public
 *            data of the same kind (never the audited records).
 * Each attack is scored per record against the original: exact (every
 * feature equal), close (every feature within ±8 grid steps), mean absolute
 * error and PSNR in grid units, and recognizability: the accuracy of a
 * reference classifier, trained by the audit on the auxiliary data, on the
 * reconstructions (next to its accuracy on the originals).
 *
 * Representation: a record set is a row-major n × dim matrix of int32 grid
 * values with per-feature bounds [lo, hi] (MNIST: 0..255, what the owner
 * encrypts), optional labels, and an optional image shape for pictures.
 * Any data source that yields that (IDX, CSV, NumPy) can be audited. */
#ifndef CRYPTONN_AUDIT_AUDIT_H
#define CRYPTONN_AUDIT_AUDIT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cryptonn/data.h"
#include "cryptonn/nn.h"
#include "protocol/keyexport.h"
#include "secure/encdata.h"

typedef struct {
    uint32_t n, dim;
    uint32_t c, h, w;   /* image shape (c·h·w = dim); h = 0 for tabular data */
    int32_t *v;         /* n × dim grid values */
    int32_t *lo, *hi;   /* dim bounds each (lo ≤ v ≤ hi) */
    uint8_t *label;     /* n class labels, or NULL (no recognizability) */
    uint32_t classes;
} cn_audit_data;

/* The first `limit` records of ds (0: all) on the grid 0..vmax: v =
 * round(x·vmax), the integers the owner encrypts (cryptonn_dataset holds
 * pixel/255 for 8-bit pixels). CRYPTONN_ERR_NOMEM leaves d empty. */
int cn_audit_data_from_dataset(cn_audit_data *d, const cryptonn_dataset *ds, uint32_t limit,
                               int32_t vmax, uint32_t classes);
/* The first `limit` records of r (a data spec's records, x' on its grid) as
 * the integers the owner encrypts under p: v = round(x'·x_den), each within
 * ±x_max; image shape from p (h = 0 for tabular records); class labels for a
 * classification spec. */
int cn_audit_data_from_records(cn_audit_data *d, const cryptonn_records *r, uint32_t limit,
                               const cn_enc_params *p);
void cn_audit_data_free(cn_audit_data *d);

/* The keys as the audit uses them: compressed rows over `width` features. */
typedef struct {
    const cn_feip_keyreq *keys;
    uint32_t width;
} cn_audit_view;

/* Checks that an export belongs to the owner's dataset: its mpk id equals
 * the samples mpk id of params.bin at params_path, and its shape matches
 * the parameters. CRYPTONN_ERR_MISMATCH (with the reason in msg) if not. */
int cn_audit_check_export(const cn_keyexport *e, const char *params_path, char *msg,
                          size_t msg_len);
/* Checks that records of dimension dim can be audited under view v and
 * that no revealed value can overflow 62 bits; MISMATCH / RANGE with a reason. */
int cn_audit_check_view(const cn_audit_view *v, const cn_audit_data *d, char *msg,
                        size_t msg_len);
/* The keys of a first layer drawn as a strict-mode authority draws it
 * (secure/firstlayer.h: spec "dense:K" or "conv:FxK[sS][pP]", integer
 * weights of `bits` bits from a stream seeded by seed) over in_c × in_h ×
 * in_w features, into a fresh r (cn_keyreq_feip_free). A bad spec fails
 * with the reason in msg. */
int cn_audit_layer_keys(const char *spec, uint32_t in_c, uint32_t in_h, uint32_t in_w,
                        unsigned bits, uint64_t seed, cn_feip_keyreq *r, char *msg, size_t msg_len);
/* z[r·nkeys + k] = key_k · record_r, exactly (checked by cn_audit_check_view). */
void cn_audit_project(const cn_audit_view *v, const cn_audit_data *d, int64_t *z);

enum { CN_AUDIT_LINEAR = 1, CN_AUDIT_LP = 2, CN_AUDIT_DECODER = 4, CN_AUDIT_ALL = 7 };
enum { CN_AUDIT_ATTACKS = 3 };

typedef struct {
    uint32_t samples;          /* records audited (100) */
    uint32_t attacks;          /* CN_AUDIT_* mask (all) */
    uint32_t aux_limit;        /* auxiliary records used (0: all) */
    uint32_t decoder_hidden;   /* width of the decoder's two hidden layers (512) */
    uint32_t decoder_epochs;   /* (8) */
    uint32_t reference_epochs; /* (3) */
    uint32_t close_tol;        /* "close": every feature within this many grid steps (8) */
    int32_t grid_max;          /* cn_audit_run: features x in [0, 1] become round(x·grid_max),
                                * the integers the owner encrypts (255: 8-bit pixels) */
    uint32_t threads;          /* OpenMP threads for the LP and the linear algebra (2) */
    uint64_t seed;             /* decoder and reference initialisation (1) */
    int progress;              /* progress lines on stderr */
} cn_audit_opts;
void cn_audit_opts_default(cn_audit_opts *o);

typedef struct {
    const char *name;          /* "linear", "lp", "decoder" */
    int ran;
    double exact_fraction;     /* records recovered exactly */
    double close_fraction;     /* records within ±close_tol on every feature */
    double mean_abs_error;     /* per feature, grid units */
    double psnr_db;            /* of the pooled mean squared error; INFINITY when exact */
    double recognizability;    /* reference accuracy on the reconstructions; NAN: no labels */
    double seconds;            /* wall time of the attack, setup included */
    int32_t *recon;            /* records × dim reconstructions */
} cn_audit_attack;

typedef struct {
    uint32_t records, dim, nkeys;
    uint32_t rank;             /* of the revealed span (over Q; computed mod 2^61 − 1) */
    uint32_t determined;       /* features whose unit vector lies in the span */
    double reference_accuracy; /* on the audited originals; NAN without labels */
    cn_audit_data originals;   /* the audited records (a copy) */
    cn_audit_attack attack[CN_AUDIT_ATTACKS]; /* linear, lp, decoder */
    char msg[256];             /* the reason of a failure */
} cn_audit_result;

/* Runs the attacks selected in o on the first o->samples records under view
 * v. aux (may be NULL when neither the decoder nor recognizability is
 * wanted) trains the decoder and the reference classifier; it must have
 * the records' dimension and bounds. On failure res->msg says why. */
int cn_audit_run_view(const cn_audit_opts *o, const cn_audit_view *v, const cn_audit_data *records,
                      const cn_audit_data *aux, cn_audit_result *res);
/* The same from an export and datasets (features = pixel/255, re-gridded to
 * 0..o->grid_max), checking shapes first. */
int cn_audit_run(const cn_audit_opts *o, const cn_keyexport *e, const cryptonn_dataset *records,
                 const cryptonn_dataset *aux, cn_audit_result *res);
/* The same for a data spec's records under the parameters p of params.bin
 * (aux may be NULL: no decoder, no recognizability). */
int cn_audit_run_records(const cn_audit_opts *o, const cn_keyexport *e, const cn_enc_params *p,
                         const cryptonn_records *records, const cryptonn_records *aux,
                         cn_audit_result *res);
void cn_audit_result_free(cn_audit_result *res);

/* Output (report.c): a short table, the JSON of `cryptonn audit --json`, a
 * Markdown section for training reports. Return 0, or -1 on a write error. */
int cn_audit_write_text(FILE *f, const cn_audit_result *res);
int cn_audit_write_json(FILE *f, const cn_audit_result *res);
int cn_audit_write_markdown(FILE *f, const cn_audit_result *res, const char *picture);
/* For tabular data: each feature's mean absolute error under each attack. */
int cn_audit_write_feature_errors(FILE *f, const cn_audit_result *res);
/* PNG grid: originals in the first row, each attack's reconstructions in
 * the rows below, each row labelled; at most max_cols records (0: 10).
 * Image data only (h > 1; CRYPTONN_ERR_ARG for tabular records, which get
 * cn_audit_write_feature_errors instead). */
int cn_audit_picture(const char *path, const cn_audit_result *res, uint32_t max_cols);

/* ---- the attacks and measures, one file each (used by cn_audit_run_view,
 * the tests and the benchmark) ---- */

/* linear.c. The span's structure, computed once per view: */
typedef struct cn_linear cn_linear;
int cn_linear_create(cn_linear **out, const cn_audit_view *v, uint32_t threads);
void cn_linear_destroy(cn_linear *l);
uint32_t cn_linear_rank(const cn_linear *l);
/* Features whose unit vector lies in the span (known exactly from z). */
uint32_t cn_linear_determined(const cn_linear *l);
/* Orthonormal coordinates of x's projection onto the span, from z (n
 * records): c[r·rank + i]. The decoder's input. */
void cn_linear_coords(const cn_linear *l, const int64_t *z, uint32_t n, double *c);
/* The linear attack on n records: exact values where determined, the rest
 * from least squares, rounded and clipped to [lo, hi]. */
int cn_linear_attack(const cn_linear *l, const int64_t *z, uint32_t n, const int32_t *lo,
                     const int32_t *hi, int32_t *x);

/* lp.c: min Σx, Y·x = z, lo ≤ x ≤ hi for each of n records (in parallel),
 * rounded. A record whose LP fails gets the clipped least-squares fallback
 * of x on entry (the caller fills x first) and counts in *failed. */
int cn_lp_attack(const cn_audit_view *v, const int64_t *z, uint32_t n, const int32_t *lo,
                 const int32_t *hi, uint32_t threads, int32_t *x, uint32_t *failed);

/* decoder.c: trains on aux coordinates (n_aux × in) → aux values, then
 * reconstructs n records. */
typedef struct {
    uint32_t hidden, epochs, batch;
    float lr;
    uint64_t seed;
    int progress;
} cn_decoder_opts;
int cn_decoder_attack(const cn_decoder_opts *o, const double *c_aux, const cn_audit_data *aux,
                      uint32_t in, const double *c, uint32_t n, int32_t *x);

/* reference.c: the classifier that scores recognizability. */
typedef struct cn_reference cn_reference;
int cn_reference_train(cn_reference **out, const cn_audit_data *aux, uint32_t epochs,
                       uint64_t seed, int progress);
void cn_reference_destroy(cn_reference *r);
/* Accuracy on n records x (grid values) against labels. */
double cn_reference_accuracy(cn_reference *r, const int32_t *x, const uint8_t *labels,
                             uint32_t n, const int32_t *lo, const int32_t *hi);

/* metrics.c: scores n reconstructions against the originals (recognizability
 * is left to the caller). */
void cn_audit_score(const int32_t *orig, const int32_t *rec, uint32_t n, uint32_t dim,
                    int32_t peak, uint32_t close_tol, cn_audit_attack *a);

#endif
