/* The training server's role through the installed library, with the other
 * roles in the same process so the program runs alone: an authority (strict
 * mode), an owner's encrypted records and registration, then secure training
 * through a key service and secure prediction that the owner maps back to
 * its classes. The task is learnable (the class is where a record's ink
 * is), so the model must beat chance; exits non-zero otherwise.
 *   cc server.c $(pkg-config --cflags --libs cryptonn) */
#include <stdio.h>
#include <stdlib.h>

#include <cryptonn/cryptonn.h>

#define TRAIN 128
#define TEST 32

/* Records first..first+n-1 of one stream: class c lights rows 2c..2c+2 of
 * the image, every third pixel from an offset that varies with the record. */
static void records(cryptonn_dataset *d, uint32_t n, uint32_t first)
{
    *d = (cryptonn_dataset){.n = n, .rows = 28, .cols = 28};
    d->x = calloc((size_t)n * 784, sizeof *d->x);
    d->y = calloc(n, 1);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t g = first + i, c = (g * 7) % 10;
        d->y[i] = (uint8_t)c;
        for (uint32_t r = 2 * c; r < 2 * c + 3; r++)
            for (uint32_t k = (g + r) % 4; k < 28; k += 3) d->x[(size_t)i * 784 + r * 28 + k] = 1.0f;
    }
}

int main(void)
{
    if (cryptonn_init() != CRYPTONN_OK) return 1;
    char dir[] = "/tmp/cryptonn-server-XXXXXX", st[64], params[80], okey[80], tr[64], te[64];
    char reg[96], msg[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(st, sizeof st, "%s/authority", dir);
    snprintf(params, sizeof params, "%s/params.bin", st);
    snprintf(okey, sizeof okey, "%s/owner.key", st);
    snprintf(tr, sizeof tr, "%s/train", dir);
    snprintf(te, sizeof te, "%s/test", dir);
    snprintf(reg, sizeof reg, "%s/owner.lreg", tr);

    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.first_layer = "dense:32";
    so.layer_seeded = 1; /* a public, reproducible layer: the example's figures repeat */
    so.layer_seed = 11;
    so.batch = 16;
    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    pol.label_uses = 6;
    cryptonn_authority *a = NULL;
    cryptonn_owner *o = NULL;
    cryptonn_dataset dtr, dte;
    records(&dtr, TRAIN, 0);
    records(&dte, TEST, TRAIN); /* held out */
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    int ok = cryptonn_authority_setup(st, &so, msg, sizeof msg) == CRYPTONN_OK &&
             cryptonn_authority_open(&a, st, &pol) == CRYPTONN_OK &&
             cryptonn_owner_open(&o, params, okey) == CRYPTONN_OK &&
             cryptonn_owner_encrypt(o, tr, &dtr, &eo, NULL, msg, sizeof msg) == CRYPTONN_OK &&
             cryptonn_authority_register_file(a, reg, NULL, msg, sizeof msg) == CRYPTONN_OK;
    eo.labels = 0;
    ok = ok && cryptonn_owner_encrypt(o, te, &dte, &eo, NULL, msg, sizeof msg) == CRYPTONN_OK;
    if (!ok) {
        fprintf(stderr, "setting up the roles: %s\n", msg);
        return 1;
    }

    /* the server: an encrypted dataset, a key service, a model fitted to the mode */
    cryptonn_encdata *train = NULL, *test = NULL;
    cryptonn_keyservice *ks = NULL;
    cryptonn_trainer *t = NULL;
    cryptonn_model *m = NULL;
    cryptonn_trainer_opts to;
    cryptonn_trainer_opts_default(&to);
    to.sgd.lr = 0.5f;
    to.dlog_table_bits = 16;
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    ok = cryptonn_encdata_open(&train, tr, NULL) == CRYPTONN_OK &&
         cryptonn_encdata_open(&test, te, NULL) == CRYPTONN_OK &&
         cryptonn_keyservice_local(&ks, a) == CRYPTONN_OK &&
         cryptonn_trainer_create(&t, train, ks, &to) == CRYPTONN_OK &&
         cryptonn_trainer_fit_config(t, &cfg, msg, sizeof msg) == CRYPTONN_OK &&
         cryptonn_trainer_model_create(t, &cfg, &m, msg, sizeof msg) == CRYPTONN_OK;
    for (uint32_t e = 0; ok && e < 6; e++) {
        cryptonn_train_stats s;
        ok = cryptonn_trainer_epoch(t, m, e, &s, msg, sizeof msg) == CRYPTONN_OK;
        if (ok) printf("epoch %u: loss %.3f, training accuracy %.0f%%, %llu label keys\n", e + 1,
                       s.loss_sum / (double)s.samples, 100.0 * (double)s.correct / (double)s.samples,
                       (unsigned long long)s.keys_output_error);
    }
    uint8_t pred[TEST];
    ok = ok && cryptonn_trainer_predict(t, m, test, pred, msg, sizeof msg) == CRYPTONN_OK &&
         cryptonn_owner_unpermute(o, pred, TEST) == CRYPTONN_OK;
    if (!ok) fprintf(stderr, "training: %s\n", msg);
    uint32_t hits = 0;
    for (uint32_t i = 0; ok && i < TEST; i++) hits += pred[i] == dte.y[i];
    printf("secure test accuracy %u/%u (chance: %u)\n", hits, TEST, TEST / 10);
    ok = ok && hits > TEST / 2;

    cryptonn_model_destroy(m);
    cryptonn_trainer_destroy(t);
    cryptonn_keyservice_destroy(ks);
    cryptonn_encdata_close(train);
    cryptonn_encdata_close(test);
    cryptonn_owner_close(o);
    cryptonn_authority_close(a);
    cryptonn_dataset_free(&dtr);
    cryptonn_dataset_free(&dte);
    printf("server example: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
