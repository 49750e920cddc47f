/* The ranks of `mpirun ... cryptonn train --secure` (train_dist.h). */
#include "cli/train_dist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryptonn/dist.h"
#include "cryptonn/encdata.h"
#include "cryptonn/server.h"
#include "cryptonn/transport.h"

/* Under mpirun a checkpoint every this many batches unless --checkpoint-every
 * says otherwise: a rank that dies then costs at most these batches. */
#define DIST_CHECKPOINT_EVERY 16

/* Ranks 1..N-1: rank 0's epochs and secure predictions, in lockstep. */
static int worker(const cli_secure_job *j)
{
    cryptonn_encdata *ds = NULL, *ts = NULL;
    cryptonn_keyservice *ks = NULL;
    cryptonn_trainer *tr = NULL;
    cryptonn_model *m = NULL;
    uint32_t skipped = 0;
    const char *what = j->enc_dir;
    int rc = cryptonn_encdata_open(&ds, j->enc_dir, &skipped);
    if (rc == CRYPTONN_OK && j->test_dir) {
        what = j->test_dir;
        rc = cryptonn_encdata_open(&ts, j->test_dir, &skipped);
    }
    cryptonn_trainer_opts so = j->so;
    so.cache_dir = j->cache;
    if (rc == CRYPTONN_OK) {
        what = "server";
        rc = cryptonn_keyservice_dist(&ks, NULL);
        if (rc == CRYPTONN_OK) rc = cryptonn_trainer_create(&tr, ds, ks, &so);
    }
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn (rank %d of %d): %s: %s\n", cryptonn_dist_rank(),
                cryptonn_dist_size(), what, cryptonn_status_str(rc));
    cryptonn_model_config cfg;
    memset(&cfg, 0, sizeof cfg);
    uint32_t first_epoch = 0;
    uint64_t start_batch = 0;
    cryptonn_encdata_info info = {0}, tinfo = {0};
    if (ds) cryptonn_encdata_describe(ds, &info);
    if (ts) cryptonn_encdata_describe(ts, &tinfo);
    rc = cryptonn_dist_share_model(rc, &cfg, &m, info.batch, j->so.threads, &first_epoch,
                                   &start_batch);
    uint8_t *pred = malloc(tinfo.samples ? tinfo.samples : 1);
    if (!pred) rc = CRYPTONN_ERR_NOMEM;
    char msg[512] = "";
    for (uint32_t e = first_epoch; rc == CRYPTONN_OK && e < j->epochs; e++) {
        cryptonn_trainer_set_start_batch(tr, e == first_epoch ? start_batch : 0);
        rc = cryptonn_trainer_epoch(tr, m, e, NULL, msg, sizeof msg);
        if (rc == CRYPTONN_OK && ts)
            rc = cryptonn_trainer_predict(tr, m, ts, pred, msg, sizeof msg);
    }
    free(pred);
    cryptonn_trainer_destroy(tr);
    cryptonn_keyservice_destroy(ks);
    cryptonn_model_destroy(m);
    cryptonn_encdata_close(ds);
    cryptonn_encdata_close(ts);
    return rc == CRYPTONN_OK ? 0 : 1;
}

/* What every surviving rank says when mpirun ends the job early (a rank
 * died, or the job was interrupted): written from the signal handler, so
 * composed beforehand. */
static char term_note[1024];
static size_t term_note_len;

static void on_term(int sig)
{
    (void)sig;
    ssize_t w = write(STDERR_FILENO, term_note, term_note_len);
    (void)w;
    _exit(143);
}

static void note_termination(const cli_secure_job *j)
{
    int n = snprintf(term_note, sizeof term_note,
                     "\ncryptonn train (rank %d of %d): the job was ended before training "
                     "finished (a rank died or mpirun was interrupted). The last checkpoint "
                     "(every %llu batches and at each epoch's end) is %s.ckpt: run the same "
                     "command with --resume %s.ckpt to continue to the same model.\n",
                     cryptonn_dist_rank(), cryptonn_dist_size(),
                     (unsigned long long)j->checkpoint_every,
                     j->out, j->out);
    term_note_len = n < 0 ? 0 : (size_t)n < sizeof term_note ? (size_t)n : sizeof term_note - 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
}

int cli_train_dist_run(const cli_secure_job *j, int want_mpi)
{
    const int launched = cryptonn_dist_launched();
    if (!want_mpi && !launched) return cli_secure_run(j, NULL);
    char msg[256] = "";
    if (cryptonn_dist_start(msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn train: %s: %s\n", launched ? "launched by mpirun" : "--mpi", msg);
        return 2;
    }
    cli_secure_job jj = *j;
    if (cryptonn_dist_size() > 1 && !jj.checkpoint_every)
        jj.checkpoint_every = DIST_CHECKPOINT_EVERY;
    if (cryptonn_dist_size() > 1) note_termination(&jj);
    if (cryptonn_dist_rank() == 0)
        printf("[server] %d ranks: each decrypts its share of every batch; rank 0 alone asks "
               "the authority for keys and writes the files\n",
               cryptonn_dist_size());
    int code = cryptonn_dist_rank() == 0 ? cli_secure_run(&jj, NULL) : worker(&jj);
    /* a rank that stops early would leave the others waiting for it */
    if (code != 0 && cryptonn_dist_size() > 1) {
        fflush(stdout);
        cryptonn_dist_abort(code);
    }
    cryptonn_dist_stop();
    return code;
}
