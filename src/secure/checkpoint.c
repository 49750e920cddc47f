/* Training checkpoints (train.h): everything a resumed run needs to continue
 * exactly where the interrupted one stopped. The batch order is a function of
 * (seed, epoch), and keys are re-derived from the restored weights, so
 * parameters, momentum and the position suffice. */
#include <stdlib.h>
#include <string.h>

#include "secure/train.h"
#include "util/util.h"

#define CKPT_VERSION 1
#define CKPT_STATS_DOUBLES 7
#define CKPT_STATS_U64 11

static void put_stats(uint8_t *p, const cn_secure_stats *s)
{
    double d[CKPT_STATS_DOUBLES] = {s->t_load, s->t_keys,  s->t_fwd,   s->t_err,
                                    s->t_grad, s->t_plain, s->loss_sum};
    uint64_t u[CKPT_STATS_U64] = {s->batches, s->samples, s->keys_fwd, s->keys_err, s->keys_grad,
                                  s->dec_fwd, s->dec_err, s->dec_grad, s->correct,  0,
                                  0};
    for (int i = 0; i < CKPT_STATS_DOUBLES; i++) {
        uint64_t b;
        memcpy(&b, &d[i], 8);
        cn_store_u64(p + 8 * i, b);
    }
    for (int i = 0; i < CKPT_STATS_U64; i++)
        cn_store_u64(p + 8 * (CKPT_STATS_DOUBLES + i), u[i]);
}

static void get_stats(cn_secure_stats *s, const uint8_t *p)
{
    double d[CKPT_STATS_DOUBLES];
    uint64_t u[CKPT_STATS_U64];
    for (int i = 0; i < CKPT_STATS_DOUBLES; i++) {
        uint64_t b = cn_load_u64(p + 8 * i);
        memcpy(&d[i], &b, 8);
    }
    for (int i = 0; i < CKPT_STATS_U64; i++)
        u[i] = cn_load_u64(p + 8 * (CKPT_STATS_DOUBLES + i));
    *s = (cn_secure_stats){.t_load = d[0],
                           .t_keys = d[1],
                           .t_fwd = d[2],
                           .t_err = d[3],
                           .t_grad = d[4],
                           .t_plain = d[5],
                           .loss_sum = d[6],
                           .batches = u[0],
                           .samples = u[1],
                           .keys_fwd = u[2],
                           .keys_err = u[3],
                           .keys_grad = u[4],
                           .dec_fwd = u[5],
                           .dec_err = u[6],
                           .dec_grad = u[7],
                           .correct = u[8]};
}

#define CKPT_HEAD (4 + 8 + 8 + 8 * (CKPT_STATS_DOUBLES + CKPT_STATS_U64))

int cn_checkpoint_save(const char *path, cryptonn_model *m, uint32_t epoch, uint64_t batches_done,
                       const cn_secure_stats *st)
{
    uint64_t np = cryptonn_model_param_count(m);
    uint8_t head[CKPT_HEAD];
    cn_store_u32(head, epoch);
    cn_store_u64(head + 4, batches_done);
    cn_store_u64(head + 12, np);
    cn_secure_stats zero = {0};
    put_stats(head + 20, st ? st : &zero);
    /* float32 little-endian, as the machine holds them (x86-64, the only
     * target); the checksum catches any damage. */
    cn_part parts[3] = {{head, sizeof head},
                        {cryptonn_model_params(m), np * sizeof(float)},
                        {cryptonn_model_velocity(m), np * sizeof(float)}};
    return cn_container_write(path, "CKPT", CKPT_VERSION, parts, 3, 0600);
}

int cn_checkpoint_load(const char *path, cryptonn_model *m, uint32_t *epoch, uint64_t *batches_done,
                       cn_secure_stats *st)
{
    uint64_t np = cryptonn_model_param_count(m);
    uint8_t *file = NULL;
    const uint8_t *pl;
    size_t len;
    int rc = cn_container_read(path, "CKPT", CKPT_VERSION, CKPT_HEAD + 2 * np * sizeof(float),
                               &file, &pl, &len);
    if (rc == CRYPTONN_ERR_TOO_LARGE) return CRYPTONN_ERR_MISMATCH;
    if (rc != CRYPTONN_OK) return rc;
    if (len != CKPT_HEAD + 2 * np * sizeof(float) || cn_load_u64(pl + 12) != np) {
        free(file);
        return CRYPTONN_ERR_MISMATCH;
    }
    *epoch = cn_load_u32(pl);
    *batches_done = cn_load_u64(pl + 4);
    if (st) get_stats(st, pl + 20);
    memcpy(cryptonn_model_params(m), pl + CKPT_HEAD, np * sizeof(float));
    memcpy(cryptonn_model_velocity(m), pl + CKPT_HEAD + np * sizeof(float), np * sizeof(float));
    free(file);
    return CRYPTONN_OK;
}
