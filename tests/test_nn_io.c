/* nn: model files. A save/load round trip predicts bit for bit the same;
 * corrupted, truncated, foreign, future-version, inconsistent and
 * mismatched files are refused with their own status. */
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "testutil.h"
#include "util/util.h"

static int write_raw(const char *path, const uint8_t *b, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t w = fwrite(b, 1, n, f);
    fclose(f);
    return w == n ? 0 : -1;
}

static int try_load(const char *path)
{
    cryptonn_model *m = (cryptonn_model *)&m; /* must come back NULL on failure */
    int rc = cryptonn_model_load(path, 4, 1, &m);
    if (rc != CRYPTONN_OK) CHECK(m == NULL);
    cryptonn_model_destroy(m);
    return rc;
}

/* A container with a valid checksum around a payload we choose. */
static void craft(const char *path, const char *kind, uint32_t version, const uint8_t *pl, size_t n)
{
    cn_part part = {pl, n};
    CHECK_EQ_INT(cn_container_write(path, kind, version, &part, 1, 0644), CRYPTONN_OK);
}

static void roundtrip(const cryptonn_model_config *cfg, const char *path)
{
    cryptonn_model *a, *b;
    CHECK_EQ_INT(cryptonn_model_create(cfg, 8, 2, &a), CRYPTONN_OK);
    if (!a) return;
    size_t in = cryptonn_model_input_size(a);
    float *x = malloc(sizeof(float) * in * 8), *pa = malloc(sizeof(float) * 8 * cfg->classes);
    uint8_t lab[8];
    for (size_t i = 0; i < in * 8; i++) x[i] = (float)(t_rand64() % 256) / 255.0f;
    for (int i = 0; i < 8; i++) lab[i] = (uint8_t)(t_rand64() % cfg->classes);
    cryptonn_sgd opt = {0.05f, 0.9f, 0};
    for (int s = 0; s < 3; s++) cryptonn_model_train_step(a, x, lab, 8, &opt, NULL, NULL);
    memcpy(pa, cryptonn_model_forward(a, x, 8), sizeof(float) * 8 * cfg->classes);
    CHECK_EQ_INT(cryptonn_model_save(a, path), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_load(path, 8, 2, &b), CRYPTONN_OK);
    if (b) {
        CHECK(memcmp(cryptonn_model_get_config(a), cryptonn_model_get_config(b),
                     sizeof(cryptonn_model_config)) == 0);
        CHECK(memcmp(cryptonn_model_params(a), cryptonn_model_params(b),
                     sizeof(float) * cryptonn_model_param_count(a)) == 0);
        CHECK(memcmp(pa, cryptonn_model_forward(b, x, 8), sizeof(float) * 8 * cfg->classes) == 0);
    }
    /* load_into a fresh model of the same architecture gives the same params. */
    cryptonn_model *c;
    cryptonn_model_config other = *cfg;
    other.seed += 99;
    CHECK_EQ_INT(cryptonn_model_create(&other, 8, 1, &c), CRYPTONN_OK);
    if (c) {
        CHECK_EQ_INT(cryptonn_model_load_into(c, path), CRYPTONN_OK);
        CHECK(memcmp(cryptonn_model_params(a), cryptonn_model_params(c),
                     sizeof(float) * cryptonn_model_param_count(a)) == 0);
    }
    cryptonn_model_destroy(c);
    cryptonn_model_destroy(b);
    cryptonn_model_destroy(a);
    free(x), free(pa);
}

/* conv1_filters: a narrowed LeNet-5 round-trips, is refused by load_into of
 * a 6-filter model, and a version 1 file (written here by removing the field
 * from a version 2 file) loads as the 6-filter model with equal parameters. */
static void test_conv1(const cryptonn_model_config *lenet, const char *path, const char *bad)
{
    cryptonn_model_config narrow = *lenet;
    narrow.conv1_filters = 1;
    roundtrip(&narrow, path);
    cryptonn_model *six = NULL, *one = NULL;
    CHECK_EQ_INT(cryptonn_model_create(lenet, 4, 1, &six), CRYPTONN_OK);
    CHECK_EQ_INT(cryptonn_model_create(&narrow, 4, 1, &one), CRYPTONN_OK);
    if (!six || !one) return;
    CHECK(cryptonn_model_param_count(one) < cryptonn_model_param_count(six));
    CHECK_EQ_INT(cryptonn_model_load_into(six, path), CRYPTONN_ERR_MISMATCH);
    CHECK_EQ_INT(cryptonn_model_save(six, path), CRYPTONN_OK);
    uint8_t *file;
    size_t len;
    CHECK_EQ_INT(cn_file_read_all(path, 1u << 24, &file, &len), CRYPTONN_OK);
    if (file) {
        const uint8_t *pl = file + CN_CONTAINER_HEADER;
        size_t plen = len - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER;
        CHECK_EQ_INT(cn_load_u32(pl + 40), 0); /* conv1_filters of the default model */
        uint8_t *v1 = malloc(plen);
        memcpy(v1, pl, 40);
        memcpy(v1 + 40, pl + 44, plen - 44);
        craft(bad, "MODL", 1, v1, plen - 4);
        cryptonn_model *old = NULL;
        CHECK_EQ_INT(cryptonn_model_load(bad, 4, 1, &old), CRYPTONN_OK);
        if (old) {
            CHECK_EQ_INT(cryptonn_model_get_config(old)->conv1_filters, 0);
            CHECK_EQ_INT(cryptonn_model_param_count(old), cryptonn_model_param_count(six));
            CHECK(memcmp(cryptonn_model_params(old), cryptonn_model_params(six),
                         sizeof(float) * cryptonn_model_param_count(six)) == 0);
        }
        cryptonn_model_destroy(old);
        free(v1);
        free(file);
    }
    cryptonn_model_destroy(six);
    cryptonn_model_destroy(one);
}

int main(void)
{
    t_init("test_nn_io");
    char path[512], bad[512];
    snprintf(path, sizeof path, "%s/m.bin", t_tmpdir());
    snprintf(bad, sizeof bad, "%s/bad.bin", t_tmpdir());

    cryptonn_model_config mlp, lenet;
    cryptonn_model_config_default(&mlp);
    mlp.arch = CRYPTONN_ARCH_MLP, mlp.hidden = 16, mlp.act = CRYPTONN_ACT_TANH;
    cryptonn_model_config_default(&lenet);
    lenet.act = CRYPTONN_ACT_SIGMOID, lenet.init = CRYPTONN_INIT_XAVIER;
    lenet.frozen_first_layer = 1, lenet.loss = CRYPTONN_LOSS_MSE;
    roundtrip(&lenet, path);
    test_conv1(&lenet, path, bad);
    roundtrip(&mlp, path); /* path now holds the MLP */

    uint8_t *file;
    size_t len;
    CHECK_EQ_INT(cn_file_read_all(path, 1u << 24, &file, &len), CRYPTONN_OK);

    /* Every single-byte corruption of a sample of offsets is caught. */
    int caught = 0, tries = (int)t_iters(64, 16);
    for (int i = 0; i < tries; i++) {
        size_t at = (size_t)(t_rand64() % len);
        file[at] ^= (uint8_t)(1u << (t_rand64() % 8));
        CHECK_EQ_INT(write_raw(bad, file, len), 0);
        caught += try_load(bad) != CRYPTONN_OK;
        file[at] = 0; /* restore below from a fresh read */
        free(file);
        CHECK_EQ_INT(cn_file_read_all(path, 1u << 24, &file, &len), CRYPTONN_OK);
    }
    CHECK_EQ_INT(caught, tries);
    /* A flip in the parameters, where only the checksum can notice. */
    file[len - 40] ^= 1;
    CHECK_EQ_INT(write_raw(bad, file, len), 0);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_CHECKSUM);
    file[len - 40] ^= 1;

    /* Truncations. */
    CHECK_EQ_INT(write_raw(bad, file, len - 1), 0);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_TRUNCATED);
    CHECK_EQ_INT(write_raw(bad, file, 10), 0);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_TRUNCATED);
    CHECK_EQ_INT(write_raw(bad, file, 0), 0);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_TRUNCATED);
    char missing[600];
    snprintf(missing, sizeof missing, "%s/none.bin", t_tmpdir());
    CHECK(try_load(missing) != CRYPTONN_OK);

    /* Right checksum, wrong contents. */
    const uint8_t *pl = file + CN_CONTAINER_HEADER;
    size_t plen = len - CN_CONTAINER_HEADER - CN_CONTAINER_TRAILER;
    uint8_t *q = malloc(plen + 8);
    memcpy(q, pl, plen);
    craft(bad, "MPK ", 1, q, plen);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_FORMAT);
    craft(bad, "MODL", 3, q, plen);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_VERSION);
    /* a version 1 file (no conv1_filters field) still loads */
    uint8_t *v1 = malloc(plen);
    memcpy(v1, q, 40);
    memcpy(v1 + 40, q + 44, plen - 44);
    craft(bad, "MODL", 1, v1, plen - 4);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_OK);
    craft(bad, "MODL", 2, v1, plen - 4); /* ... but not labelled version 2 */
    CHECK(try_load(bad) != CRYPTONN_OK);
    free(v1);
    craft(bad, "MODL", 2, q, plen - 4); /* one parameter short */
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_TRUNCATED);
    craft(bad, "MODL", 2, q, 20); /* header cut */
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_TRUNCATED);
    memset(q + plen, 0, 8);
    craft(bad, "MODL", 2, q, plen + 4); /* trailing bytes */
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_FORMAT);
    cn_store_u32(q + 40, 65); /* more conv1 filters than allowed */
    craft(bad, "MODL", 2, q, plen);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_FORMAT);
    cn_store_u32(q + 40, 0);
    cn_store_u32(q, 7); /* unknown architecture */
    craft(bad, "MODL", 2, q, plen);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_FORMAT);
    cn_store_u32(q, CRYPTONN_ARCH_MLP);
    cn_store_u32(q + 24, 17); /* hidden 16 → 17: the parameter count no longer fits */
    craft(bad, "MODL", 2, q, plen);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_ERR_MISMATCH);
    cn_store_u32(q + 24, 16);
    craft(bad, "MODL", 2, q, plen);
    CHECK_EQ_INT(try_load(bad), CRYPTONN_OK); /* the crafted copy of the original is fine */

    /* load_into a model of another architecture. */
    cryptonn_model *m;
    CHECK_EQ_INT(cryptonn_model_create(&lenet, 4, 1, &m), CRYPTONN_OK);
    if (m) {
        float first = cryptonn_model_params(m)[0];
        CHECK_EQ_INT(cryptonn_model_load_into(m, path), CRYPTONN_ERR_MISMATCH);
        CHECK(cryptonn_model_params(m)[0] == first);
    }
    cryptonn_model_destroy(m);
    cryptonn_model_config wide = mlp;
    wide.hidden = 32;
    CHECK_EQ_INT(cryptonn_model_create(&wide, 4, 1, &m), CRYPTONN_OK);
    if (m) CHECK_EQ_INT(cryptonn_model_load_into(m, path), CRYPTONN_ERR_MISMATCH);
    cryptonn_model_destroy(m);

    /* Invalid configurations are refused at creation. */
    cryptonn_model_config c = mlp;
    c.classes = 1;
    m = (cryptonn_model *)&m;
    CHECK_EQ_INT(cryptonn_model_create(&c, 4, 1, &m), CRYPTONN_ERR_ARG);
    CHECK(m == NULL);
    c = mlp, c.act = 0;
    CHECK_EQ_INT(cryptonn_model_create(&c, 4, 1, &m), CRYPTONN_ERR_ARG);
    CHECK_EQ_INT(cryptonn_model_create(&mlp, 0, 1, &m), CRYPTONN_ERR_ARG);

    free(q);
    free(file);
    return t_done();
}
