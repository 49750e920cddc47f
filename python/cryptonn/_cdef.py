"""The C declarations the bindings use, copied from include/cryptonn/*.h
without the export and warn-unused-result macros (cffi's ABI mode reads them
as they are). python/tests/test_cdef.py checks every one of them against the
headers, so a change of a public type or prototype fails a test rather than
corrupting memory at run time."""

CDEF = r"""
/* status.h */
const char *cryptonn_status_str(int s);
int cryptonn_init(void);
const char *cryptonn_version(void);

/* dlog.h */
typedef struct cryptonn_dlog cryptonn_dlog;
int cryptonn_dlog_create(cryptonn_dlog **out, uint64_t bound, uint64_t table_half,
                         const char *cache_path);
void cryptonn_dlog_destroy(cryptonn_dlog *d);
uint64_t cryptonn_dlog_bound(const cryptonn_dlog *d);
uint64_t cryptonn_dlog_table_half(const cryptonn_dlog *d);
int cryptonn_dlog_from_cache(const cryptonn_dlog *d);
int cryptonn_dlog_solve_var(const cryptonn_dlog *d, const uint8_t enc[32], int64_t *m);

/* feip.h */
typedef struct cryptonn_feip_mpk cryptonn_feip_mpk;
typedef struct cryptonn_feip_msk cryptonn_feip_msk;
typedef struct cryptonn_feip_keys cryptonn_feip_keys;
typedef struct cryptonn_feip_ct cryptonn_feip_ct;
typedef struct cryptonn_feip_encryptor cryptonn_feip_encryptor;
typedef struct cryptonn_feip_decryptor cryptonn_feip_decryptor;
int cryptonn_feip_setup(cryptonn_feip_mpk **mpk, cryptonn_feip_msk **msk, size_t n);
int cryptonn_feip_mpk_from_msk(cryptonn_feip_mpk **mpk, const cryptonn_feip_msk *msk);
void cryptonn_feip_mpk_destroy(cryptonn_feip_mpk *mpk);
void cryptonn_feip_msk_destroy(cryptonn_feip_msk *msk);
size_t cryptonn_feip_mpk_slots(const cryptonn_feip_mpk *mpk);
size_t cryptonn_feip_msk_slots(const cryptonn_feip_msk *msk);
void cryptonn_feip_mpk_id(const cryptonn_feip_mpk *mpk, uint8_t id[16]);
int cryptonn_feip_keys_create(cryptonn_feip_keys **out);
void cryptonn_feip_keys_destroy(cryptonn_feip_keys *keys);
int cryptonn_feip_keys_reserve(cryptonn_feip_keys *keys, size_t nkeys, size_t nnz);
size_t cryptonn_feip_keys_count(const cryptonn_feip_keys *keys);
size_t cryptonn_feip_keys_slots(const cryptonn_feip_keys *keys);
size_t cryptonn_feip_keys_get(const cryptonn_feip_keys *keys, size_t i, const uint32_t **idx,
                              const int64_t **val);
int cryptonn_feip_keygen(const cryptonn_feip_msk *msk, cryptonn_feip_keys *keys,
                         const int64_t *y, size_t n);
int cryptonn_feip_ct_create(cryptonn_feip_ct **out, size_t n);
void cryptonn_feip_ct_destroy(cryptonn_feip_ct *ct);
size_t cryptonn_feip_ct_slots(const cryptonn_feip_ct *ct);
int cryptonn_feip_encryptor_create(cryptonn_feip_encryptor **out, const cryptonn_feip_mpk *mpk);
void cryptonn_feip_encryptor_destroy(cryptonn_feip_encryptor *enc);
int cryptonn_feip_encrypt_many(const cryptonn_feip_encryptor *enc, cryptonn_feip_ct *const *cts,
                               const int64_t *const *xs, size_t count, size_t n, unsigned bits);
int cryptonn_feip_decryptor_create(cryptonn_feip_decryptor **out, const cryptonn_dlog *d,
                                   size_t batch);
void cryptonn_feip_decryptor_destroy(cryptonn_feip_decryptor *dec);
int cryptonn_feip_decrypt_pairs_var(cryptonn_feip_decryptor *dec,
                                    const cryptonn_feip_ct *const *cts,
                                    const cryptonn_feip_keys *keys, const uint32_t *key_index,
                                    size_t n, int64_t *out, int *status);
int cryptonn_feip_mpk_export(const cryptonn_feip_mpk *mpk, uint8_t **buf, size_t *len);
int cryptonn_feip_mpk_import(cryptonn_feip_mpk **mpk, const uint8_t *buf, size_t len);
int cryptonn_feip_mpk_save(const cryptonn_feip_mpk *mpk, const char *path);
int cryptonn_feip_mpk_load(cryptonn_feip_mpk **mpk, const char *path);
int cryptonn_feip_msk_save(const cryptonn_feip_msk *msk, const char *path);
int cryptonn_feip_msk_load(cryptonn_feip_msk **msk, const char *path);
int cryptonn_feip_keys_export(const cryptonn_feip_keys *keys, uint8_t **buf, size_t *len);
int cryptonn_feip_keys_import(cryptonn_feip_keys **keys, const uint8_t *buf, size_t len);
int cryptonn_feip_keys_save(const cryptonn_feip_keys *keys, const char *path);
int cryptonn_feip_keys_load(cryptonn_feip_keys **keys, const char *path);
int cryptonn_feip_ct_batch_export(const cryptonn_feip_ct *const *cts, size_t count, uint8_t **buf,
                                  size_t *len);
int cryptonn_feip_ct_batch_import(cryptonn_feip_ct ***cts, size_t *count, const uint8_t *buf,
                                  size_t len);
int cryptonn_feip_ct_batch_save(const cryptonn_feip_ct *const *cts, size_t count, const char *path);
int cryptonn_feip_ct_batch_load(cryptonn_feip_ct ***cts, size_t *count, const char *path);
void cryptonn_feip_ct_batch_free(cryptonn_feip_ct **cts, size_t count);

/* febo.h */
typedef enum {
    CRYPTONN_FEBO_ADD = 0, CRYPTONN_FEBO_SUB = 1, CRYPTONN_FEBO_MUL = 2, CRYPTONN_FEBO_DIV = 3
} cryptonn_febo_op;
typedef struct cryptonn_febo_mpk cryptonn_febo_mpk;
typedef struct cryptonn_febo_msk cryptonn_febo_msk;
typedef struct cryptonn_febo_ct cryptonn_febo_ct;
typedef struct cryptonn_febo_key cryptonn_febo_key;
int cryptonn_febo_setup(cryptonn_febo_mpk **mpk, cryptonn_febo_msk **msk);
void cryptonn_febo_mpk_destroy(cryptonn_febo_mpk *mpk);
void cryptonn_febo_msk_destroy(cryptonn_febo_msk *msk);
int cryptonn_febo_ct_create(cryptonn_febo_ct **ct);
void cryptonn_febo_ct_destroy(cryptonn_febo_ct *ct);
int cryptonn_febo_key_create(cryptonn_febo_key **key);
void cryptonn_febo_key_destroy(cryptonn_febo_key *key);
int cryptonn_febo_encrypt(const cryptonn_febo_mpk *mpk, cryptonn_febo_ct *ct, int64_t x,
                          unsigned bits);
int cryptonn_febo_keygen(const cryptonn_febo_msk *msk, cryptonn_febo_key *key,
                         const cryptonn_febo_ct *ct, cryptonn_febo_op op, int64_t y);
int cryptonn_febo_decrypt_batch_var(const cryptonn_dlog *d, const cryptonn_febo_ct *const *cts,
                                    const cryptonn_febo_key *const *keys, size_t n, int64_t *out,
                                    int *status);
int cryptonn_febo_mpk_export(const cryptonn_febo_mpk *mpk, uint8_t **buf, size_t *len);
int cryptonn_febo_mpk_import(cryptonn_febo_mpk **mpk, const uint8_t *buf, size_t len);
int cryptonn_febo_msk_save(const cryptonn_febo_msk *msk, const char *path);
int cryptonn_febo_msk_load(cryptonn_febo_msk **msk, const char *path);
int cryptonn_febo_ct_export(const cryptonn_febo_ct *ct, uint8_t **buf, size_t *len);
int cryptonn_febo_ct_import(cryptonn_febo_ct **ct, const uint8_t *buf, size_t len);
int cryptonn_febo_key_export(const cryptonn_febo_key *key, uint8_t **buf, size_t *len);
int cryptonn_febo_key_import(cryptonn_febo_key **key, const uint8_t *buf, size_t len);

/* fixedpoint.h */
typedef struct {
    unsigned base;
    unsigned digits;
    int64_t scale;
} cryptonn_fixed;
int cryptonn_fixed_init(cryptonn_fixed *f, unsigned base, unsigned digits);
int cryptonn_fixed_encode(const cryptonn_fixed *f, int64_t *out, const double *in, size_t n,
                          int64_t max_abs, size_t *bad);
void cryptonn_fixed_decode(const cryptonn_fixed *f, double *out, const int64_t *in, size_t n);

/* smc.h */
int cryptonn_smc_encrypt_rows(const cryptonn_feip_encryptor *enc, const int64_t *X, size_t l,
                              size_t n, unsigned bits, cryptonn_feip_ct *const *cts);
int cryptonn_smc_keygen_cols(const cryptonn_feip_msk *msk, cryptonn_feip_keys *keys,
                             const int64_t *Y, size_t n, size_t m);
int cryptonn_smc_decrypt(cryptonn_feip_decryptor *dec, const cryptonn_feip_ct *const *cts,
                         size_t l, const cryptonn_feip_keys *keys, size_t m, int64_t *XY);
int cryptonn_smc_bound(const int64_t *X, size_t l, size_t n, const int64_t *Y, size_t m,
                       uint64_t *bound);
int cryptonn_smc_multiply(const cryptonn_dlog *d, const int64_t *X, size_t l, size_t n,
                          const int64_t *Y, size_t m, int64_t *XY);

/* nn.h */
typedef enum { CRYPTONN_ARCH_MLP = 1, CRYPTONN_ARCH_LENET5 = 2, CRYPTONN_ARCH_LAYERS = 3 }
    cryptonn_arch;
typedef enum { CRYPTONN_ACT_SIGMOID = 1, CRYPTONN_ACT_RELU = 2, CRYPTONN_ACT_TANH = 3 }
    cryptonn_activation;
typedef enum { CRYPTONN_LOSS_CE = 1, CRYPTONN_LOSS_MSE = 2 } cryptonn_loss;
typedef enum { CRYPTONN_REDUCE_MEAN = 1, CRYPTONN_REDUCE_SUM = 2 } cryptonn_reduction;
typedef enum { CRYPTONN_POOL_MAX = 1, CRYPTONN_POOL_AVG = 2 } cryptonn_pool;
typedef enum { CRYPTONN_INIT_TORCH = 1, CRYPTONN_INIT_XAVIER = 2 } cryptonn_init_scheme;
typedef enum { CRYPTONN_OUTPUT_SOFTMAX = 0, CRYPTONN_OUTPUT_LINEAR = 1 } cryptonn_output;
typedef enum {
    CRYPTONN_LAYER_DENSE = 1, CRYPTONN_LAYER_CONV2D = 2, CRYPTONN_LAYER_MAXPOOL = 3,
    CRYPTONN_LAYER_AVGPOOL = 4, CRYPTONN_LAYER_RELU = 5, CRYPTONN_LAYER_TANH = 6,
    CRYPTONN_LAYER_SIGMOID = 7, CRYPTONN_LAYER_FLATTEN = 8, CRYPTONN_LAYER_DROPOUT = 9
} cryptonn_layer_kind;
typedef struct {
    cryptonn_layer_kind kind;
    uint32_t units;
    uint32_t kernel, stride, pad;
    float rate;
} cryptonn_layer_spec;
#define CRYPTONN_MAX_LAYERS 32
const char *cryptonn_layer_kind_name(int kind);
typedef struct {
    cryptonn_arch arch;
    cryptonn_activation act;
    cryptonn_loss loss;
    cryptonn_reduction reduction;
    cryptonn_pool pool;
    uint32_t in_dim;
    uint32_t hidden;
    uint32_t classes;
    uint32_t frozen_first_layer;
    uint32_t conv1_filters;
    cryptonn_init_scheme init;
    uint64_t seed;
    cryptonn_output output;
    uint32_t in_c, in_h, in_w;
    uint32_t nlayers;
    cryptonn_layer_spec layers[32];
} cryptonn_model_config;
void cryptonn_model_config_default(cryptonn_model_config *cfg);
typedef struct cryptonn_model cryptonn_model;
int cryptonn_model_create(const cryptonn_model_config *cfg, uint32_t max_batch, uint32_t threads,
                          cryptonn_model **out);
void cryptonn_model_destroy(cryptonn_model *m);
int cryptonn_model_config_check(const cryptonn_model_config *cfg, char *msg, size_t msg_len);
typedef struct {
    cryptonn_layer_kind kind;
    uint32_t in_c, in_h, in_w;
    uint32_t out_c, out_h, out_w;
    size_t params;
} cryptonn_layer_info;
int cryptonn_model_config_layers(const cryptonn_model_config *cfg, cryptonn_layer_info *info,
                                 char *msg, size_t msg_len);
int cryptonn_model_config_read(const char *path, cryptonn_model_config *cfg, char *msg,
                               size_t msg_len);
const cryptonn_model_config *cryptonn_model_get_config(const cryptonn_model *m);
uint32_t cryptonn_model_max_batch(const cryptonn_model *m);
size_t cryptonn_model_input_size(const cryptonn_model *m);
size_t cryptonn_model_param_count(const cryptonn_model *m);
float *cryptonn_model_params(cryptonn_model *m);
const float *cryptonn_model_forward(cryptonn_model *m, const float *x, uint32_t n);
void cryptonn_model_set_training(cryptonn_model *m, int on);
typedef struct {
    float lr;
    float momentum;
    float weight_decay;
} cryptonn_sgd;
typedef struct {
    int is_conv;
    uint32_t in_c, in_h, in_w;
    uint32_t out_c, out_h, out_w;
    uint32_t k;
    uint32_t stride, pad;
    size_t z1_size;
    size_t nw, nb;
    const float *w;
    const float *b;
} cryptonn_first_layer;
void cryptonn_model_first_layer(const cryptonn_model *m, cryptonn_first_layer *out);
int cryptonn_model_save(const cryptonn_model *m, const char *path);
int cryptonn_model_load(const char *path, uint32_t max_batch, uint32_t threads,
                        cryptonn_model **out);
typedef struct {
    uint32_t n, rows, cols;
    float *x;
    uint8_t *y;
} cryptonn_dataset;
int cryptonn_idx_load(const char *images_path, const char *labels_path, uint32_t limit,
                      cryptonn_dataset *out, char *msg, size_t msg_len);
void cryptonn_dataset_free(cryptonn_dataset *d);
typedef struct {
    double loss_sum;
    uint64_t correct;
    uint64_t seen;
} cryptonn_epoch_stats;
typedef void (*cryptonn_batch_cb)(void *ctx, uint64_t batch_index, uint64_t batches,
                                  const cryptonn_epoch_stats *so_far);
void cryptonn_shuffle_order(uint64_t seed, uint32_t n, uint32_t *order);
typedef struct {
    uint32_t n;
    size_t size;
    uint32_t outputs;
    const float *x;
    const uint8_t *y;
    const float *t;
} cryptonn_samples;
int cryptonn_model_train_samples(cryptonn_model *m, const cryptonn_samples *s, uint32_t batch,
                                 const cryptonn_sgd *opt, const uint32_t *order,
                                 cryptonn_batch_cb cb, void *cb_ctx, cryptonn_epoch_stats *stats);
int cryptonn_model_evaluate_samples(cryptonn_model *m, const cryptonn_samples *s, double *metric,
                                    uint64_t *confusion);

/* data.h */
typedef struct {
    char *path;
    uint32_t n;
    uint32_t cols;
    uint32_t shape[3];
    int named;
    char **names;
    double *x;
    char *label_name;
    char **labels;
    uint32_t *line;
} cryptonn_table;
int cryptonn_table_read(const char *path, const char *label, const char *labels_path,
                        cryptonn_table *out, char *msg, size_t msg_len);
void cryptonn_table_free(cryptonn_table *t);
typedef enum { CRYPTONN_TASK_CLASSIFY = 1, CRYPTONN_TASK_REGRESS = 2 } cryptonn_task;
typedef enum { CRYPTONN_NORM_STANDARD = 1, CRYPTONN_NORM_RANGE = 2, CRYPTONN_NORM_NONE = 3 }
    cryptonn_norm;
typedef struct {
    uint32_t features;
    uint32_t shape[3];
    char **names;
    double *offset, *scale;
    double bound;
    unsigned base, digits;
    char *label;
    cryptonn_task task;
    uint32_t classes;
    char **class_names;
    double t_offset, t_scale, t_bound;
    unsigned t_base, t_digits;
    uint32_t records;
} cryptonn_data_spec;
typedef struct {
    cryptonn_task task;
    cryptonn_norm norm;
    uint32_t shape[3];
    unsigned base, digits;
} cryptonn_describe_opts;
int cryptonn_spec_describe(const cryptonn_table *t, const cryptonn_describe_opts *o,
                           cryptonn_data_spec *out, char *msg, size_t msg_len);
char *cryptonn_spec_to_json(const cryptonn_data_spec *s);
int cryptonn_spec_read(const char *path, cryptonn_data_spec *out, char *msg, size_t msg_len);
void cryptonn_spec_free(cryptonn_data_spec *s);
typedef struct {
    uint32_t n;
    size_t size;
    uint32_t outputs;
    float *x;
    uint8_t *y;
    float *t;
} cryptonn_records;
int cryptonn_spec_load(const cryptonn_data_spec *s, const char *path, const char *labels_path,
                       cryptonn_records *out, char *msg, size_t msg_len);
int cryptonn_spec_load_unlabeled(const cryptonn_data_spec *s, const char *path,
                                 const char *labels_path, cryptonn_records *out, char *msg,
                                 size_t msg_len);
void cryptonn_records_free(cryptonn_records *r);

/* authority.h */
typedef enum { CRYPTONN_MODE_PAPER = 0, CRYPTONN_MODE_STRICT = 1 } cryptonn_mode;
typedef struct {
    cryptonn_mode mode;
    const char *first_layer;
    unsigned layer_bits;
    int layer_seeded;
    uint64_t layer_seed;
    uint32_t batch;
    uint32_t label_bits;
    const cryptonn_data_spec *spec;
} cryptonn_setup_opts;
void cryptonn_setup_opts_default(cryptonn_setup_opts *o);
int cryptonn_authority_setup(const char *dir, const cryptonn_setup_opts *o, char *msg,
    size_t msg_len);
typedef struct {
    uint32_t min_support;
    uint64_t max_rank;
    uint32_t label_uses;
} cryptonn_policy;
void cryptonn_policy_default(cryptonn_policy *p);
typedef struct cryptonn_authority cryptonn_authority;
int cryptonn_authority_open(cryptonn_authority **out, const char *dir, const cryptonn_policy *pol);
void cryptonn_authority_close(cryptonn_authority *a);
cryptonn_mode cryptonn_authority_mode(const cryptonn_authority *a);
typedef struct {
    char spec[64];
    char commit[17];
    uint64_t keys;
    unsigned bits;
} cryptonn_layer_desc;
int cryptonn_authority_layer(const cryptonn_authority *a, cryptonn_layer_desc *out);
int cryptonn_authority_handle(cryptonn_authority *a, const uint8_t *req, size_t len,
    uint8_t **resp,
    size_t *resp_len);
int cryptonn_authority_register_labels(cryptonn_authority *a, const uint8_t *msg, size_t len,
    uint64_t *added, char *why, size_t why_len);
int cryptonn_authority_register_file(cryptonn_authority *a, const char *path, uint64_t *added,
    char *why, size_t why_len);
int cryptonn_authority_export_keys(const cryptonn_authority *a, const char *path,
    uint64_t *nkeys);
typedef struct {
    uint64_t width;
    uint64_t rank;
    int rank_is_bound;
    uint64_t keys_issued;
    uint64_t keys_refused;
} cryptonn_keycount;
void cryptonn_authority_counts(const cryptonn_authority *a, cryptonn_keycount out[3]);
int cryptonn_authority_report(const cryptonn_authority *a, char **text);
void cryptonn_free(void *p);

/* transport.h */
typedef struct cryptonn_keyservice cryptonn_keyservice;
int cryptonn_keyservice_local(cryptonn_keyservice **ks, cryptonn_authority *a);
int cryptonn_keyservice_http(cryptonn_keyservice **ks, const char *url, const char *token,
    const char *cacert, unsigned retry_s);
void cryptonn_keyservice_destroy(cryptonn_keyservice *ks);
int cryptonn_keyservice_call(cryptonn_keyservice *ks, const uint8_t *req, size_t len,
    uint8_t **resp, size_t *resp_len);
int cryptonn_token_load(const char *path, char out[65]);
typedef struct {
    const char *listen;
    const char *token_file;
    const char *cert_file;
    const char *key_file;
    unsigned timeout_s;
} cryptonn_service_opts;
void cryptonn_service_opts_default(cryptonn_service_opts *o);
typedef struct cryptonn_authority_service cryptonn_authority_service;
int cryptonn_authority_service_start(cryptonn_authority_service **out, cryptonn_authority *a,
    const char *state_dir, const cryptonn_service_opts *o, char *msg, size_t msg_len);
uint16_t cryptonn_authority_service_port(const cryptonn_authority_service *s);
void cryptonn_authority_service_counts(const cryptonn_authority_service *s, uint64_t *ok,
    uint64_t *refused, uint64_t *failed);
void cryptonn_authority_service_stop(cryptonn_authority_service *s);

/* encdata.h */
typedef struct cryptonn_encdata cryptonn_encdata;
int cryptonn_encdata_open(cryptonn_encdata **out, const char *dir, uint32_t *skipped);
void cryptonn_encdata_close(cryptonn_encdata *d);
typedef struct {
    cryptonn_mode mode;
    uint32_t channels, height, width;
    uint32_t slots;
    uint32_t batch;
    uint32_t classes;
    uint32_t value_bits;
    uint32_t label_bits;
    uint64_t samples, batches;
    int labels;
    int regression;
    uint64_t x_den, x_max;
    uint64_t y_den, y_max;
} cryptonn_encdata_info;
void cryptonn_encdata_describe(const cryptonn_encdata *d, cryptonn_encdata_info *out);
int cryptonn_encdata_check_batch(const cryptonn_encdata *d, uint64_t i, uint32_t *n);

/* owner.h */
typedef struct cryptonn_owner cryptonn_owner;
int cryptonn_owner_open(cryptonn_owner **out, const char *params, const char *owner_key);
void cryptonn_owner_close(cryptonn_owner *o);
cryptonn_mode cryptonn_owner_mode(const cryptonn_owner *o);
uint32_t cryptonn_owner_classes(const cryptonn_owner *o);
uint32_t cryptonn_owner_width(const cryptonn_owner *o);
int cryptonn_owner_layer(const cryptonn_owner *o, cryptonn_layer_desc *out);
typedef struct {
    const char *part;
    int labels;
    uint32_t threads;
    int progress;
    const char *registration;
    uint64_t table_mb;
} cryptonn_encrypt_opts;
void cryptonn_encrypt_opts_default(cryptonn_encrypt_opts *o);
typedef struct {
    uint64_t samples, batches, bytes_written;
    double seconds;
    double seconds_tables, seconds_samples, seconds_labels, seconds_batches, seconds_write;
    double cpu_tables, cpu_samples, cpu_labels, cpu_batches, cpu_write, cpu_total;
    uint64_t table_bytes;
} cryptonn_encrypt_stats;
int cryptonn_owner_encrypt(cryptonn_owner *o, const char *dir, const cryptonn_dataset *d,
    const cryptonn_encrypt_opts *opt, cryptonn_encrypt_stats *st, char *msg, size_t msg_len);
int cryptonn_owner_unpermute(const cryptonn_owner *o, uint8_t *pred, uint64_t n);
int cryptonn_owner_upload(const char *url, const char *token, const char *cacert, const char *dir,
    const char *part, int test, uint64_t *sent, uint64_t *present, char *msg, size_t msg_len);
int cryptonn_owner_predict(const char *url, const char *token, const char *cacert,
    const char *part,
    uint8_t **pred, uint64_t *n, char *msg, size_t msg_len);
int cryptonn_owner_predict_outputs(const char *url, const char *token, const char *cacert,
    const char *part, uint8_t **pred, float **targets, uint64_t *n, char *msg, size_t msg_len);
int cryptonn_owner_delete(const char *url, const char *token, const char *cacert, const char *part,
    int test, char *msg, size_t msg_len);
int cryptonn_owner_parts(const char *url, const char *token, const char *cacert, char **json,
    char *msg, size_t msg_len);
int cryptonn_owner_register(const char *url, const char *token, const char *cacert,
    const char *registration, uint64_t *added, char *msg, size_t msg_len);

/* server.h */
typedef struct {
    cryptonn_sgd sgd;
    unsigned w_bits;
    unsigned dz_bits;
    uint64_t seed;
    uint32_t threads;
    uint64_t max_batches;
    int progress;
    unsigned dlog_table_bits;
    uint64_t z1_cache_mb;
    const char *cache_dir;
    int (*on_batch)(void *ctx, uint32_t epoch, uint64_t batches_done);
    void *on_batch_ctx;
} cryptonn_trainer_opts;
void cryptonn_trainer_opts_default(cryptonn_trainer_opts *o);
typedef struct {
    double seconds_load, seconds_keys, seconds_first_layer, seconds_output_error,
        seconds_gradient, seconds_plain;
    uint64_t batches, samples;
    uint64_t keys_first_layer, keys_output_error, keys_gradient;
    double loss_sum;
    uint64_t correct;
} cryptonn_train_stats;
typedef struct cryptonn_trainer cryptonn_trainer;
int cryptonn_trainer_create(cryptonn_trainer **out, const cryptonn_encdata *train,
    cryptonn_keyservice *ks, const cryptonn_trainer_opts *o);
void cryptonn_trainer_destroy(cryptonn_trainer *t);
int cryptonn_trainer_fit_config(const cryptonn_trainer *t, cryptonn_model_config *cfg, char *msg,
    size_t msg_len);
int cryptonn_trainer_model_create(cryptonn_trainer *t, const cryptonn_model_config *cfg,
    cryptonn_model **m, char *msg, size_t msg_len);
void cryptonn_trainer_set_start_batch(cryptonn_trainer *t, uint64_t batch);
int cryptonn_trainer_epoch(cryptonn_trainer *t, cryptonn_model *m, uint32_t epoch,
    cryptonn_train_stats *st, char *msg, size_t msg_len);
int cryptonn_trainer_predict(cryptonn_trainer *t, cryptonn_model *m, const cryptonn_encdata *test,
    uint8_t *pred, char *msg, size_t msg_len);
int cryptonn_checkpoint_save(const char *path, cryptonn_model *m, uint32_t epoch,
    uint64_t batches_done);
int cryptonn_checkpoint_load(const char *path, cryptonn_model *m, uint32_t *epoch,
    uint64_t *batches_done);

/* audit.h */
enum { CRYPTONN_AUDIT_LINEAR = 1, CRYPTONN_AUDIT_LP = 2, CRYPTONN_AUDIT_DECODER = 4,
       CRYPTONN_AUDIT_ALL = 7 };
typedef struct {
    uint32_t samples;
    uint32_t attacks;
    uint32_t aux_limit;
    uint32_t decoder_hidden;
    uint32_t decoder_epochs;
    uint32_t threads;
    uint64_t seed;
    int progress;
} cryptonn_audit_opts;
void cryptonn_audit_opts_default(cryptonn_audit_opts *o);
typedef struct cryptonn_audit cryptonn_audit;
int cryptonn_audit_run_export(cryptonn_audit **out, const cryptonn_audit_opts *o,
    const char *keys_path, const char *params_path, const cryptonn_dataset *records,
    const cryptonn_dataset *aux, char *msg, size_t msg_len);
int cryptonn_audit_run_layer(cryptonn_audit **out, const cryptonn_audit_opts *o,
    const char *layer_spec, uint64_t seed, const cryptonn_dataset *records,
    const cryptonn_dataset *aux, char *msg, size_t msg_len);
void cryptonn_audit_destroy(cryptonn_audit *a);
typedef struct {
    const char *name;
    int ran;
    double exact_fraction;
    double close_fraction;
    double mean_abs_error;
    double psnr_db;
    double recognizability;
    double seconds;
} cryptonn_audit_attack;
typedef struct {
    uint32_t records, dim, nkeys;
    uint32_t rank;
    uint32_t determined;
    double reference_accuracy;
    cryptonn_audit_attack attack[3];
} cryptonn_audit_summary;
void cryptonn_audit_summarize(const cryptonn_audit *a, cryptonn_audit_summary *out);
typedef enum { CRYPTONN_AUDIT_TEXT = 0, CRYPTONN_AUDIT_JSON = 1, CRYPTONN_AUDIT_MARKDOWN = 2,
               CRYPTONN_AUDIT_FEATURES = 3 } cryptonn_audit_format;
int cryptonn_audit_format_result(const cryptonn_audit *a, cryptonn_audit_format fmt,
    const char *picture, char **out);
int cryptonn_audit_picture(const cryptonn_audit *a, const char *png_path, uint32_t max_cols);
int cryptonn_audit_is_image(const cryptonn_audit *a);
"""
