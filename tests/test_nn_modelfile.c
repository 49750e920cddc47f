/* nn: model files. Every file in models/ reads and checks; each kind of bad
 * file is refused with a message that names the file and, where there is
 * one, the layer (counted from 1) or the line and column. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cryptonn/nn.h"
#include "testutil.h"

static char path[512];

static void write_text(const char *text)
{
    FILE *f = fopen(path, "w");
    CHECK(f != NULL);
    if (!f) return;
    fputs(text, f);
    fclose(f);
}

/* The file is refused with status rc and a message holding the file name
 * and every one of the (up to two) fragments. */
static void refused(const char *text, int rc, const char *frag1, const char *frag2)
{
    write_text(text);
    cryptonn_model_config cfg;
    char msg[512] = "";
    int got = cryptonn_model_config_read(path, &cfg, msg, sizeof msg);
    CHECK_EQ_INT(got, rc);
    int ok = strstr(msg, path) && strstr(msg, frag1) && (!frag2 || strstr(msg, frag2));
    if (!ok) fprintf(stderr, "message '%s' lacks '%s' / '%s'\n", msg, frag1, frag2 ? frag2 : "");
    CHECK(ok);
}

#define HEAD "{\"input\": [1, 8, 8], \"layers\": ["
#define TAIL ", {\"type\": \"flatten\"}, {\"type\": \"dense\", \"units\": 3}]}"

static void bad_files(void)
{
    /* JSON syntax: line and column. */
    refused("{\n  \"input\": [1, 8, 8],\n  \"layers\": [\n    {\"type\": \"dense\" \"units\": 3}\n]}",
            CRYPTONN_ERR_FORMAT, ":4:", NULL);
    refused("[1, 2]", CRYPTONN_ERR_FORMAT, "not a JSON object", NULL);
    refused("{\"layers\": [{\"type\": \"dense\", \"units\": 2}], \"lr\": 1}", CRYPTONN_ERR_FORMAT,
            "unknown key 'lr'", NULL);
    refused("{\"layers\": [{\"type\": \"dense\", \"units\": 2, \"units\": 3}]}",
            CRYPTONN_ERR_FORMAT, "duplicate", NULL);
    refused("{\"layers\": []}", CRYPTONN_ERR_FORMAT, "'layers'", NULL);
    refused("{\"input\": [8, 8], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
            CRYPTONN_ERR_FORMAT, "'input'", NULL);
    refused("{\"input\": [0], \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
            CRYPTONN_ERR_FORMAT, "'input'", NULL);
    refused("{\"output\": \"sigmoid\", \"layers\": [{\"type\": \"dense\", \"units\": 2}]}",
            CRYPTONN_ERR_FORMAT, "'output'", "softmax");
    /* Layers: the type, its keys and their values. */
    refused(HEAD "{\"type\": \"conv\", \"filters\": 2, \"kernel\": 3}" TAIL, CRYPTONN_ERR_FORMAT,
            "layer 1", "conv2d");
    refused(HEAD "{\"filters\": 2}" TAIL, CRYPTONN_ERR_FORMAT, "layer 1 'type'", "(missing)");
    refused(HEAD "{\"type\": \"bogus\"}" TAIL, CRYPTONN_ERR_FORMAT, "layer 1 'type' must be one of",
            "(got 'bogus')");
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": 2}" TAIL, CRYPTONN_ERR_FORMAT,
            "layer 1 (conv2d)", "'kernel'");
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 2.5}" TAIL,
            CRYPTONN_ERR_FORMAT, "layer 1 (conv2d)", "'kernel'");
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3, \"units\": 4}" TAIL,
            CRYPTONN_ERR_FORMAT, "layer 1 (conv2d)", "unknown key 'units'");
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": -2, \"kernel\": 3}" TAIL,
            CRYPTONN_ERR_FORMAT, "layer 1 (conv2d)", "'filters'");
    refused(HEAD "{\"type\": \"dense\", \"units\": 4}, {\"type\": \"dropout\", \"rate\": 1}" TAIL,
            CRYPTONN_ERR_FORMAT, "layer 2 (dropout)", "'rate'");
    refused(HEAD "{\"type\": \"dense\", \"units\": 4}, {\"type\": \"relu\", \"kernel\": 2}" TAIL,
            CRYPTONN_ERR_FORMAT, "layer 2 (relu)", "unknown key 'kernel'");
    refused(HEAD "{\"type\": \"dense\", \"units\": 4}, \"relu\"" TAIL, CRYPTONN_ERR_FORMAT,
            "layer 2", "not an object");
    /* Shapes: checked when the input is known. */
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 9}" TAIL, CRYPTONN_ERR_ARG,
            "layer 1 (conv2d)", "larger than its 1×8×8 input");
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3, \"padding\": 3}" TAIL,
            CRYPTONN_ERR_ARG, "layer 1 (conv2d)", "padding");
    refused(HEAD "{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 5}, {\"type\": \"maxpool\", "
                 "\"kernel\": 2}, {\"type\": \"maxpool\", \"kernel\": 3}" TAIL,
            CRYPTONN_ERR_ARG, "layer 3 (maxpool)", "2×2×2 input");
    refused(HEAD "{\"type\": \"relu\"}" TAIL, CRYPTONN_ERR_ARG, "layer 1 (relu)",
            "dense or conv2d");
    refused(HEAD "{\"type\": \"dense\", \"units\": 4}, {\"type\": \"relu\"}]}", CRYPTONN_ERR_ARG,
            "layer 2 (relu)", "last layer must be dense");
    refused("{\"input\": [4], \"layers\": [{\"type\": \"dense\", \"units\": 1}]}", CRYPTONN_ERR_ARG,
            "output of 1 unit:", NULL);
    refused("{\"input\": [4], \"output\": \"linear\", \"loss\": \"ce\", \"layers\": [{\"type\": "
            "\"dense\", \"units\": 1}]}",
            CRYPTONN_ERR_ARG, "MSE", NULL);
    /* Too many layers, and not a file at all. */
    char many[4096] = "{\"input\": [4], \"layers\": [";
    for (int i = 0; i < CRYPTONN_MAX_LAYERS; i++) strcat(many, "{\"type\": \"relu\"}, ");
    strcat(many, "{\"type\": \"dense\", \"units\": 2}]}");
    refused(many, CRYPTONN_ERR_FORMAT, "'layers'", "1..32");
    refused("", CRYPTONN_ERR_FORMAT, path, NULL);
    char *big = malloc((1u << 20) + 2);
    memset(big, ' ', (1u << 20) + 1);
    big[(1u << 20) + 1] = 0;
    refused(big, CRYPTONN_ERR_TOO_LARGE, path, NULL);
    free(big);
    cryptonn_model_config cfg;
    char missing[600], msg[700] = "";
    snprintf(missing, sizeof missing, "%s/none.json", t_tmpdir());
    CHECK_EQ_INT(cryptonn_model_config_read(missing, &cfg, msg, sizeof msg), CRYPTONN_ERR_NOT_FOUND);
    CHECK(strstr(msg, missing) != NULL);
}

/* Without "input" the file reads, and the shapes wait for the caller's. */
static void deferred_input(void)
{
    write_text("{\"layers\": [{\"type\": \"conv2d\", \"filters\": 2, \"kernel\": 3, \"stride\": 2, "
               "\"padding\": 1}, {\"type\": \"avgpool\", \"kernel\": 2}, {\"type\": \"flatten\"},"
               " {\"type\": \"dense\", \"units\": 5}], \"output\": \"linear\"}");
    cryptonn_model_config cfg;
    char msg[512] = "";
    CHECK_EQ_INT(cryptonn_model_config_read(path, &cfg, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(cfg.in_c, 0);
    CHECK_EQ_INT(cfg.classes, 5);
    CHECK_EQ_INT(cfg.loss, CRYPTONN_LOSS_MSE);
    CHECK_EQ_INT(cfg.layers[1].stride, 2); /* a pool's stride defaults to its kernel */
    cfg.in_c = 1, cfg.in_h = cfg.in_w = 8;
    cryptonn_layer_info info[4];
    CHECK_EQ_INT(cryptonn_model_config_layers(&cfg, info, msg, sizeof msg), CRYPTONN_OK);
    CHECK_EQ_INT(info[0].out_h, 4); /* (8 + 2 − 3)/2 + 1 */
    CHECK_EQ_INT(info[1].out_h, 2);
    CHECK_EQ_INT(info[2].out_c, 8);
    CHECK_EQ_INT(info[0].params, 2 * 9 + 2);
    CHECK_EQ_INT(info[3].params, 8 * 5 + 5);
    cfg.in_h = cfg.in_w = 2;
    CHECK_EQ_INT(cryptonn_model_config_layers(&cfg, info, msg, sizeof msg), CRYPTONN_ERR_ARG);
    CHECK(strstr(msg, "layer 2 (avgpool)") != NULL);
}

/* Every shipped model file reads, and the models build. */
static void shipped_models(void)
{
    char dir[512];
    t_src_path(dir, sizeof dir, "models");
    DIR *d = opendir(dir);
    CHECK(d != NULL);
    if (!d) return;
    int seen = 0;
    for (struct dirent *e; (e = readdir(d));) {
        size_t n = strlen(e->d_name);
        if (n < 6 || strcmp(e->d_name + n - 5, ".json")) continue;
        char p[1024], msg[512] = "";
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        cryptonn_model_config cfg;
        int rc = cryptonn_model_config_read(p, &cfg, msg, sizeof msg);
        if (rc != CRYPTONN_OK) fprintf(stderr, "%s\n", msg);
        CHECK_EQ_INT(rc, CRYPTONN_OK);
        CHECK(cfg.in_c > 0); /* shipped files state their input */
        cryptonn_model *m = NULL;
        if (rc == CRYPTONN_OK) CHECK_EQ_INT(cryptonn_model_create(&cfg, 4, 1, &m), CRYPTONN_OK);
        cryptonn_model_destroy(m);
        seen++;
    }
    closedir(d);
    CHECK(seen >= 2);
}

int main(void)
{
    t_init("test_nn_modelfile");
    snprintf(path, sizeof path, "%s/model.json", t_tmpdir());
    bad_files();
    deferred_input();
    shipped_models();
    return t_done();
}
