/* `cryptonn model check MODEL [--spec SPEC]`: a model file's shapes layer by
 * layer, its parameter count, and what its secure first layer costs and
 * reveals: the keys the server requests per weight update (one per dense
 * unit, or per conv filter and output position) and the rank those keys
 * can reveal of each sample, at most min(keys, input width). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/datamodel.h"
#include "cryptonn/data.h"

static void usage(FILE *f)
{
    fprintf(f, "usage: cryptonn model check MODEL.json [--spec SPEC.json]\n\n"
               "Checks a model file (docs/DATA.md) and prints its layers' shapes, its\n"
               "parameter count, and the secure first layer's key count per update and\n"
               "revealed rank bound. The input shape comes from the file's \"input\" or\n"
               "from the data spec (which must then agree with it).\n\n"
               "  --spec SPEC   data spec (cryptonn data describe): input shape and task\n");
}

static void shape_text(char *b, size_t n, uint32_t c, uint32_t h, uint32_t w)
{
    if (h == 1 && w == 1) snprintf(b, n, "%u", c);
    else snprintf(b, n, "%ux%ux%u", c, h, w);
}

static void report(const char *path, const cryptonn_model_config *cfg,
                   const cryptonn_layer_info *info)
{
    char in[48], out[48];
    const int linear = cfg->output == CRYPTONN_OUTPUT_LINEAR;
    shape_text(in, sizeof in, cfg->in_c, cfg->in_h, cfg->in_w);
    printf("%s: input %s, %s output (%u %s), loss %s (%s), init %s\n", path, in,
           linear ? "linear" : "softmax", cfg->classes,
           linear ? (cfg->classes == 1 ? "target" : "targets") : "classes",
           cfg->loss == CRYPTONN_LOSS_CE ? "cross-entropy" : "MSE",
           cfg->reduction == CRYPTONN_REDUCE_MEAN ? "mean" : "sum",
           cfg->init == CRYPTONN_INIT_TORCH ? "torch" : "xavier");
    printf("%3s  %-8s %-12s %-12s %10s\n", "#", "layer", "input", "output", "parameters");
    uint64_t total = 0;
    for (uint32_t i = 0; i < cfg->nlayers; i++) {
        const cryptonn_layer_info *l = &info[i];
        shape_text(in, sizeof in, l->in_c, l->in_h, l->in_w);
        shape_text(out, sizeof out, l->out_c, l->out_h, l->out_w);
        printf("%3u  %-8s %-12s %-12s %10zu\n", i + 1, cryptonn_layer_kind_name(l->kind), in, out, l->params);
        total += l->params;
    }
    printf("parameters: %llu\n", (unsigned long long)total);
    const cryptonn_layer_info *f = &info[0];
    const uint64_t keys = (uint64_t)f->out_c * f->out_h * f->out_w;
    const uint64_t width = (uint64_t)f->in_c * f->in_h * f->in_w;
    const cryptonn_layer_spec *s = &cfg->layers[0];
    if (s->kind == CRYPTONN_LAYER_CONV2D)
        printf("secure first layer: conv2d %u filters %ux%u, stride %u, padding %u: %u×%u "
               "positions each\n",
               s->units, s->kernel, s->kernel, s->stride, s->pad, f->out_h, f->out_w);
    else
        printf("secure first layer: dense %llu -> %u\n", (unsigned long long)width, s->units);
    printf("  keys per weight update: %llu (one per %s)\n", (unsigned long long)keys,
           s->kind == CRYPTONN_LAYER_CONV2D ? "filter and output position" : "unit");
    printf("  revealed rank per sample: at most min(%llu keys, %llu inputs) = %llu per update\n",
           (unsigned long long)keys, (unsigned long long)width,
           (unsigned long long)(keys < width ? keys : width));
    /* a trained layer's keys change with every update, so their span grows */
    const unsigned long long updates = (width + keys - 1) / keys;
    printf("  trained (paper mode): new keys every update, full rank %llu possible after %llu "
           "update%s (the authority's report counts it); frozen or strict: stays at the bound\n",
           (unsigned long long)width, updates, updates == 1 ? "" : "s");
    printf("  rank bounds no reconstruction of bounded records: cryptonn audit measures it\n");
}

static int check(int argc, char **argv)
{
    static const struct option opts[] = {{"spec", required_argument, 0, 's'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *spec_path = NULL;
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (o) {
        case 's': spec_path = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }
    if (argc - optind != 1) {
        usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    cryptonn_data_spec spec = {0};
    cryptonn_model_config cfg;
    int rc = spec_path ? cli_spec_read("model check", spec_path, &spec) : CRYPTONN_OK;
    if (rc == CRYPTONN_OK)
        rc = cli_model_file("model check", path, spec_path ? &spec : NULL, &cfg);
    cryptonn_layer_info info[CRYPTONN_MAX_LAYERS];
    char msg[512] = "";
    if (rc == CRYPTONN_OK && (rc = cryptonn_model_config_layers(&cfg, info, msg, sizeof msg)))
        fprintf(stderr, "cryptonn model check: %s: %s\n", path, msg);
    if (rc == CRYPTONN_OK) report(path, &cfg, info);
    cryptonn_spec_free(&spec);
    return rc == CRYPTONN_OK ? 0 : 1;
}

int cli_model(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "check")) return check(argc - 1, argv + 1);
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        usage(stdout);
        return 0;
    }
    usage(stderr);
    return 2;
}
