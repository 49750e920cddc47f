/* cryptonn audit: what the training server could reconstruct of the owners'
 * records, measured on the owners' side by running the strongest attacks we
 * know on the keys the server holds (docs/PRIVACY.md): exact linear solving
 * over the revealed span, a bounded LP (COIN-OR CLP), and a decoder trained
 * on public data of the same kind. The owners hold the records; nothing here
 * goes to the server. */
#ifndef CRYPTONN_AUDIT_H
#define CRYPTONN_AUDIT_H

#include <stddef.h>
#include <stdint.h>

#include "cryptonn/data.h"
#include "cryptonn/nn.h"
#include "cryptonn/status.h"

#ifdef __cplusplus
extern "C" {
#endif

enum { CRYPTONN_AUDIT_LINEAR = 1, CRYPTONN_AUDIT_LP = 2, CRYPTONN_AUDIT_DECODER = 4,
       CRYPTONN_AUDIT_ALL = 7 };

typedef struct {
    uint32_t samples;          /* records attacked (100) */
    uint32_t attacks;          /* CRYPTONN_AUDIT_* mask (all) */
    uint32_t aux_limit;        /* public auxiliary records used (0: all) */
    uint32_t decoder_hidden;   /* width of the decoder's hidden layers (512) */
    uint32_t decoder_epochs;   /* (8) */
    uint32_t threads;          /* (2) */
    uint64_t seed;             /* decoder and reference initialisation (1) */
    int progress;              /* progress lines on stderr (0) */
} cryptonn_audit_opts;

CRYPTONN_API void cryptonn_audit_opts_default(cryptonn_audit_opts *o);

typedef struct cryptonn_audit cryptonn_audit;

/* The keys the server holds: an export (`cryptonn authority export-keys`,
 * cryptonn_authority_export_keys) checked against the params.bin the owners
 * got, or — to ask "what if" before a setup — the keys of a strict layer
 * spec drawn from seed. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_audit_run_export(
    cryptonn_audit **out, const cryptonn_audit_opts *o, const char *keys_path,
    const char *params_path, const cryptonn_dataset *records, const cryptonn_dataset *aux,
    char *msg, size_t msg_len);
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_audit_run_layer(
    cryptonn_audit **out, const cryptonn_audit_opts *o, const char *layer_spec, uint64_t seed,
    const cryptonn_dataset *records, const cryptonn_dataset *aux, char *msg, size_t msg_len);
/* The same for records of the owners' data spec (cryptonn_spec_load), any
 * shape and task: the integers the owners encrypt under params.bin. aux (may
 * be NULL: no decoder, no recognizability) is public data of the same kind. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_audit_run_records(
    cryptonn_audit **out, const cryptonn_audit_opts *o, const char *keys_path,
    const char *params_path, const cryptonn_records *records, const cryptonn_records *aux,
    char *msg, size_t msg_len);
CRYPTONN_API void cryptonn_audit_destroy(cryptonn_audit *a);

typedef struct {
    const char *name;        /* "linear", "lp", "decoder" */
    int ran;
    double exact_fraction;   /* records recovered exactly */
    double close_fraction;   /* records within a few grid steps on every feature */
    double mean_abs_error;   /* per feature, in grid steps */
    double psnr_db;          /* INFINITY when exact */
    double recognizability;  /* a reference classifier's accuracy on the reconstructions */
    double seconds;
} cryptonn_audit_attack;

typedef struct {
    uint32_t records, dim, nkeys;
    uint32_t rank;           /* of the revealed span */
    uint32_t determined;     /* features the span determines exactly */
    double reference_accuracy;
    cryptonn_audit_attack attack[3]; /* linear, lp, decoder */
} cryptonn_audit_summary;

CRYPTONN_API void cryptonn_audit_summarize(const cryptonn_audit *a, cryptonn_audit_summary *out);

typedef enum { CRYPTONN_AUDIT_TEXT = 0, CRYPTONN_AUDIT_JSON = 1, CRYPTONN_AUDIT_MARKDOWN = 2,
               CRYPTONN_AUDIT_FEATURES = 3 } cryptonn_audit_format;
/* The result as text (a table), JSON, a Markdown report section (naming the
 * picture if not NULL) or, for tabular records, each feature's error: *out
 * NUL-terminated, free with cryptonn_free. */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_audit_format_result(const cryptonn_audit *a,
                                                                   cryptonn_audit_format fmt,
                                                                   const char *picture,
                                                                   char **out);
/* Originals over reconstructions as a PNG (image records only:
 * CRYPTONN_ERR_ARG otherwise). */
CRYPTONN_API CRYPTONN_WARN_UNUSED int cryptonn_audit_picture(const cryptonn_audit *a,
                                                             const char *png_path,
                                                             uint32_t max_cols);
/* 1 when the records are images (the picture applies), 0 for tabular ones. */
CRYPTONN_API int cryptonn_audit_is_image(const cryptonn_audit *a);

#ifdef __cplusplus
}
#endif
#endif
