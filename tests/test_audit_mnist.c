/* audit on MNIST: the LP attack recovers records exactly from a frozen
 * 1-filter 5×5 convolution (576 keys, rank 576 < 784); the decoder's
 * reconstructions from a full-rank view are recognized about as often as
 * the originals, from a 16-wide random view clearly less; the picture is a
 * PNG that libpng reads back at the expected size. Skips (passing) when
 * data/mnist is missing. */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "testutil.h"

static cryptonn_dataset train, test;

static int load_mnist(void)
{
    char dir[512], msg[256];
    t_src_path(dir, sizeof dir, "data/mnist");
    if (cryptonn_mnist_load(dir, 1, 200, &train, msg, sizeof msg) != CRYPTONN_OK ||
        cryptonn_mnist_load(dir, 0, 3000, &test, msg, sizeof msg) != CRYPTONN_OK) {
        printf("SKIPPED test_audit_mnist: %s (run tools/fetch-mnist)\n", msg);
        return 0;
    }
    return 1;
}

/* The audit of spec's strict layer on `samples` training records. */
static int audit_layer(const char *spec, uint32_t attacks, uint32_t samples, uint32_t aux_limit,
                       cn_audit_result *res)
{
    cn_keyexport e;
    memset(&e, 0, sizeof e);
    e.in_c = 1, e.in_h = 28, e.in_w = 28, e.mode = 1;
    char msg[256];
    CHECK_EQ_INT(cn_audit_layer_keys(spec, 1, 28, 28, 8, 7, &e.keys, msg, sizeof msg),
                 CRYPTONN_OK);
    cn_audit_opts o;
    cn_audit_opts_default(&o);
    o.attacks = attacks;
    o.samples = samples;
    o.aux_limit = aux_limit;
    o.decoder_hidden = 256;
    o.decoder_epochs = 4;
    int rc = cn_audit_run(&o, &e, &train, &test, res);
    if (rc != CRYPTONN_OK) fprintf(stderr, "audit of %s: %s\n", spec, res->msg);
    cn_keyexport_free(&e);
    return rc;
}

static void test_lp_conv1(void)
{
    cn_audit_result res;
    uint32_t n = (uint32_t)t_iters(6, 3);
    CHECK_EQ_INT(audit_layer("conv:1x5", CN_AUDIT_LINEAR | CN_AUDIT_LP, n, 500, &res),
                 CRYPTONN_OK);
    CHECK_EQ_INT(res.nkeys, 576);
    CHECK_EQ_INT(res.rank, 576);
    CHECK(res.attack[1].ran && res.attack[1].exact_fraction == 1.0);
    /* linear algebra alone does not get there: the span misses 208 dimensions */
    CHECK(res.attack[0].exact_fraction < 1.0);
    cn_audit_result_free(&res);
}

static void read_png_size(const char *path, uint32_t *w, uint32_t *h)
{
    *w = *h = 0;
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, path)) return;
    img.format = PNG_FORMAT_GRAY;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    if (buf && png_image_finish_read(&img, NULL, buf, 0, NULL)) *w = img.width, *h = img.height;
    free(buf);
    png_image_free(&img);
}

static void test_decoder_and_picture(void)
{
    uint32_t n = (uint32_t)t_iters(100, 60), aux = (uint32_t)t_iters(2000, 1000);
    cn_audit_result full, narrow;
    CHECK_EQ_INT(audit_layer("dense:784", CN_AUDIT_DECODER, n, aux, &full), CRYPTONN_OK);
    CHECK_EQ_INT(audit_layer("dense:16", CN_AUDIT_DECODER, n, aux, &narrow), CRYPTONN_OK);
    double ref = full.reference_accuracy, rf = full.attack[2].recognizability,
           rn = narrow.attack[2].recognizability;
    printf("reference %.2f, decoder from 784 keys %.2f, from 16 keys %.2f\n", ref, rf, rn);
    CHECK(ref > 0.7);
    CHECK(rf >= ref - 0.12);
    CHECK(rn <= rf - 0.15);
    CHECK(full.attack[2].mean_abs_error < narrow.attack[2].mean_abs_error);

    char path[600];
    snprintf(path, sizeof path, "%s/audit.png", t_tmpdir());
    CHECK_EQ_INT(cn_audit_picture(path, &full, 10), CRYPTONN_OK);
    uint32_t w, h;
    read_png_size(path, &w, &h);
    /* a label column, then 10 images of 56 px with 4 px gaps; two rows */
    CHECK_EQ_INT(w, 104 + 10 * (56 + 4) + 4);
    CHECK_EQ_INT(h, 2 * (56 + 4) + 4);
    cn_audit_result_free(&full);
    cn_audit_result_free(&narrow);
}

int main(void)
{
    t_init("test_audit_mnist");
    if (load_mnist()) {
        test_lp_conv1();
        test_decoder_and_picture();
    }
    cryptonn_dataset_free(&train);
    cryptonn_dataset_free(&test);
    return t_done();
}
