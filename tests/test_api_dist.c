/* The public MPI API (cryptonn/dist.h) through the public headers only.
 *
 * Without arguments (ctest, one process): one rank before any start; "built
 * without MPI" where MPI is missing; rank 0's model handed to the job is a
 * no-op that keeps the status; and a trainer whose key service is wrapped
 * for the ranks trains the same model bit for bit as one on the local key
 * service, asking the authority for the same keys.
 *
 * With a directory (tests/cli_mpi.sh): the same small strict-mode job on
 * every rank of `mpirun -np N test_api_dist DIR`, rank 0 writing
 * DIR/model-N.bin; run once without mpirun first (which sets up DIR), the
 * script compares the models of 1 and N ranks byte for byte. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cryptonn/cryptonn.h"
#include "api_strict.h"
#include "testutil.h"

#define N_TRAIN 24

/* Two epochs on dir/enc, keys from ks (NULL on ranks other than 0, which
 * take rank 0's answers), the model saved to out on rank 0. */
static int train(const char *dir, cryptonn_keyservice *ks, const char *out)
{
    char enc[600], msg[512] = "";
    snprintf(enc, sizeof enc, "%s/enc", dir);
    cryptonn_encdata *ds = NULL;
    cryptonn_trainer *t = NULL;
    cryptonn_model *m = NULL;
    int rc = cryptonn_encdata_open(&ds, enc, NULL);
    cryptonn_trainer_opts o;
    cryptonn_trainer_opts_default(&o);
    o.threads = 1;
    o.dlog_table_bits = 12;
    o.seed = 3;
    if (rc == CRYPTONN_OK) rc = cryptonn_trainer_create(&t, ds, ks, &o);
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_MLP;
    cfg.seed = 5;
    if (rc == CRYPTONN_OK && cryptonn_dist_rank() == 0) {
        rc = cryptonn_trainer_fit_config(t, &cfg, msg, sizeof msg);
        if (rc == CRYPTONN_OK) rc = cryptonn_trainer_model_create(t, &cfg, &m, msg, sizeof msg);
    }
    uint32_t epoch = 0;
    uint64_t done = 0;
    rc = cryptonn_dist_share_model(rc, &cfg, &m, 8, 1, &epoch, &done);
    for (uint32_t e = 0; rc == CRYPTONN_OK && e < 2; e++)
        rc = cryptonn_trainer_epoch(t, m, e, NULL, msg, sizeof msg);
    if (rc == CRYPTONN_OK && cryptonn_dist_rank() == 0) rc = cryptonn_model_save(m, out);
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "rank %d: %s: %s\n", cryptonn_dist_rank(), cryptonn_status_str(rc), msg);
    cryptonn_model_destroy(m);
    cryptonn_trainer_destroy(t);
    cryptonn_encdata_close(ds);
    return rc;
}

/* Trains through the ranks' key service (or the local one) and returns
 * the status; *keys gets the sample keys the authority issued for it. */
static int run(const char *dir, int wrapped, const char *out, uint64_t *keys)
{
    char auth[600];
    snprintf(auth, sizeof auth, "%s/auth", dir);
    cryptonn_authority *a = NULL;
    cryptonn_keyservice *local = NULL, *ks = NULL;
    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    pol.label_uses = 64;
    int rc = CRYPTONN_OK;
    if (cryptonn_dist_rank() == 0) {
        rc = cryptonn_authority_open(&a, auth, &pol);
        if (rc == CRYPTONN_OK) rc = cryptonn_keyservice_local(&local, a);
    }
    if (rc == CRYPTONN_OK && wrapped) rc = cryptonn_keyservice_dist(&ks, local);
    uint64_t before = 0;
    cryptonn_keycount kc[3];
    if (a) {
        cryptonn_authority_counts(a, kc);
        before = kc[0].keys_issued;
    }
    rc = cryptonn_dist_agree(rc);
    if (rc == CRYPTONN_OK) rc = train(dir, wrapped ? ks : local, out);
    if (a) {
        cryptonn_authority_counts(a, kc);
        *keys = kc[0].keys_issued - before;
    }
    cryptonn_keyservice_destroy(ks);
    cryptonn_keyservice_destroy(local);
    cryptonn_authority_close(a);
    return rc;
}

static int same_files(const char *a, const char *b)
{
    uint8_t *x = NULL, *y = NULL;
    size_t nx = 0, ny = 0;
    int same = cryptonn_file_read(a, 1 << 26, &x, &nx) == CRYPTONN_OK &&
               cryptonn_file_read(b, 1 << 26, &y, &ny) == CRYPTONN_OK && nx == ny && nx > 0 &&
               memcmp(x, y, nx) == 0;
    cryptonn_free(x);
    cryptonn_free(y);
    return same;
}

/* mpirun -np N test_api_dist DIR (or one process first). */
static int job(const char *dir)
{
    char msg[256] = "", out[600], auth[600];
    if (cryptonn_dist_launched() && cryptonn_dist_start(msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "cannot join the ranks: %s\n", msg);
        return 1;
    }
    snprintf(auth, sizeof auth, "%s/auth", dir);
    struct stat st;
    int rc = CRYPTONN_OK;
    if (cryptonn_dist_rank() == 0 && stat(auth, &st) != 0)
        rc = api_strict_setup(dir, "dense:12", N_TRAIN, NULL);
    snprintf(out, sizeof out, "%s/model-%d.bin", dir, cryptonn_dist_size());
    uint64_t keys = 0;
    if ((rc = cryptonn_dist_agree(rc)) == CRYPTONN_OK) rc = run(dir, 1, out, &keys);
    if (rc != CRYPTONN_OK) cryptonn_dist_abort(1);
    cryptonn_dist_stop();
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2) return job(argv[1]);
    t_init("test_api_dist");
    CHECK_EQ_INT(cryptonn_dist_rank(), 0);
    CHECK_EQ_INT(cryptonn_dist_size(), 1);
    CHECK_EQ_INT(cryptonn_dist_agree(CRYPTONN_ERR_IO), CRYPTONN_ERR_IO);
    if (!cryptonn_dist_available()) {
        char msg[128] = "";
        CHECK_EQ_INT(cryptonn_dist_start(msg, sizeof msg), CRYPTONN_ERR_ARG);
        CHECK(strstr(msg, "built without MPI") != NULL);
        CHECK_EQ_INT(cryptonn_dist_size(), 1);
    }

    /* one rank: rank 0's model stays as it is, the status passes through */
    cryptonn_model_config cfg;
    cryptonn_model_config_default(&cfg);
    cfg.arch = CRYPTONN_ARCH_MLP;
    cryptonn_model *m = NULL;
    CHECK_EQ_INT(cryptonn_model_create(&cfg, 4, 1, &m), CRYPTONN_OK);
    if (!m) return t_done();
    const size_t np = cryptonn_model_param_count(m);
    float *p0 = malloc(np * sizeof *p0);
    memcpy(p0, cryptonn_model_params(m), np * sizeof *p0);
    uint32_t epoch = 3;
    uint64_t done = 5;
    cryptonn_model *same = m;
    CHECK_EQ_INT(cryptonn_dist_share_model(CRYPTONN_ERR_IO, &cfg, &m, 4, 1, &epoch, &done),
                 CRYPTONN_ERR_IO);
    CHECK_EQ_INT(cryptonn_dist_share_model(CRYPTONN_OK, &cfg, &m, 4, 1, &epoch, &done),
                 CRYPTONN_OK);
    CHECK(m == same && epoch == 3 && done == 5);
    CHECK(memcmp(p0, cryptonn_model_params(m), np * sizeof *p0) == 0);
    free(p0);
    cryptonn_model_destroy(m);

    /* the wrapped key service: the same model, the same keys asked for */
    const char *dir = t_tmpdir();
    CHECK_EQ_INT(api_strict_setup(dir, "dense:12", N_TRAIN, NULL), CRYPTONN_OK);
    char local[600], wrapped[600];
    snprintf(local, sizeof local, "%s/local.bin", dir);
    snprintf(wrapped, sizeof wrapped, "%s/wrapped.bin", dir);
    uint64_t k_local = 0, k_wrapped = 0;
    CHECK_EQ_INT(run(dir, 0, local, &k_local), CRYPTONN_OK);
    CHECK_EQ_INT(run(dir, 1, wrapped, &k_wrapped), CRYPTONN_OK);
    CHECK(k_local > 0);
    CHECK_EQ_INT(k_wrapped, k_local);
    CHECK(same_files(local, wrapped));
    return t_done();
}
