/* A data owner's role through the installed library: with the params.bin
 * and owner.key an authority handed out, encrypt records as one part of an
 * encrypted dataset and write the label registration the authority needs
 * before it issues label keys (strict mode). Then read the dataset back as the
 * server will. Exits non-zero when a figure is wrong.
 *   cc owner.c $(pkg-config --cflags --libs cryptonn) */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <cryptonn/cryptonn.h>

#define RECORDS 40

int main(void)
{
    if (cryptonn_init() != CRYPTONN_OK) return 1;
    char dir[] = "/tmp/cryptonn-owner-XXXXXX", state[64], params[80], okey[80], out[64], msg[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(state, sizeof state, "%s/authority", dir);
    snprintf(params, sizeof params, "%s/params.bin", state);
    snprintf(okey, sizeof okey, "%s/owner.key", state);
    snprintf(out, sizeof out, "%s/encrypted", dir);

    /* the authority's part, done elsewhere in a real deployment */
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.first_layer = "dense:8";
    so.batch = 16;
    if (cryptonn_authority_setup(state, &so, msg, sizeof msg) != CRYPTONN_OK) return 1;

    cryptonn_owner *o = NULL;
    if (cryptonn_owner_open(&o, params, okey) != CRYPTONN_OK) return 1;
    /* records as the loaders give them: 28x28 values in [0, 1], class labels */
    cryptonn_dataset d = {.n = RECORDS, .rows = 28, .cols = 28};
    d.x = calloc((size_t)RECORDS * 784, sizeof *d.x);
    d.y = calloc(RECORDS, 1);
    for (uint32_t i = 0; i < RECORDS; i++) {
        d.y[i] = (uint8_t)(i % 10);
        for (uint32_t k = 0; k < 784; k += 7 + i % 5) d.x[(size_t)i * 784 + k] = 0.5f;
    }
    cryptonn_encrypt_opts eo;
    cryptonn_encrypt_opts_default(&eo);
    eo.part = "hospital-a";
    cryptonn_encrypt_stats st;
    int rc = cryptonn_owner_encrypt(o, out, &d, &eo, &st, msg, sizeof msg);
    cryptonn_wipe(d.x, (size_t)RECORDS * 784 * sizeof *d.x); /* plaintext records */
    free(d.x);
    free(d.y);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "encrypt: %s\n", msg);
        return 1;
    }
    printf("encrypted %llu records in %llu batches (%.2f s)\n", (unsigned long long)st.samples,
           (unsigned long long)st.batches, st.seconds);

    char reg[96];
    struct stat sb;
    snprintf(reg, sizeof reg, "%s/hospital-a.lreg", out);
    int ok = st.samples == RECORDS && st.batches == (RECORDS + 15) / 16 && stat(reg, &sb) == 0;
    printf("label registration for the authority: %s\n", reg);

    cryptonn_encdata *e = NULL;
    ok = ok && cryptonn_encdata_open(&e, out, NULL) == CRYPTONN_OK;
    if (e) {
        cryptonn_encdata_info info;
        cryptonn_encdata_describe(e, &info);
        uint32_t n = 0;
        ok = ok && info.samples == RECORDS && info.mode == CRYPTONN_MODE_STRICT && info.labels &&
             cryptonn_encdata_check_batch(e, info.batches - 1, &n) == CRYPTONN_OK &&
             n == RECORDS % 16;
        cryptonn_encdata_close(e);
    }
    cryptonn_owner_close(o);
    printf("owner example: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
