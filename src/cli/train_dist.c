/* The ranks of `mpirun ... cryptonn train --secure` (train_dist.h). */
#include "cli/train_dist.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "secure/dist.h"
#include "secure/report.h"

/* Under mpirun a checkpoint every this many batches unless --checkpoint-every
 * says otherwise: a rank that dies then costs at most these batches. */
#define DIST_CHECKPOINT_EVERY 16

int cli_checkpoint_on_batch(void *ctx, uint32_t epoch, uint64_t done, const cn_secure_stats *st)
{
    const cli_ckpt_every *c = ctx;
    if (!c->every || done % c->every) return CRYPTONN_OK;
    int rc = cn_checkpoint_save(c->path, c->m, epoch, done, st);
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn: %s: cannot save the checkpoint: %s\n", c->path,
                cryptonn_status_str(rc));
    return rc;
}

int cli_dist_sync(int rc, cryptonn_model_config *cfg, cryptonn_model **m, uint32_t batch,
                  uint32_t threads, uint32_t *first_epoch, uint64_t *start_batch)
{
    if (cn_dist_size() == 1) return rc;
    if ((rc = cn_dist_agree(rc)) != CRYPTONN_OK) return rc;
    rc = cn_dist_bcast(cfg, sizeof *cfg);
    if (rc == CRYPTONN_OK && cn_dist_rank() != 0) rc = cryptonn_model_create(cfg, batch, threads, m);
    if ((rc = cn_dist_agree(rc)) != CRYPTONN_OK) return rc;
    const size_t np = cryptonn_model_param_count(*m);
    uint64_t pos[2] = {*first_epoch, *start_batch};
    rc = cn_dist_bcast(cryptonn_model_params(*m), np * sizeof(float));
    if (rc == CRYPTONN_OK) rc = cn_dist_bcast(cryptonn_model_velocity(*m), np * sizeof(float));
    if (rc == CRYPTONN_OK) rc = cn_dist_bcast(pos, sizeof pos);
    *first_epoch = (uint32_t)pos[0];
    *start_batch = pos[1];
    return rc;
}

/* Ranks 1..N-1: rank 0's epochs and secure predictions, in lockstep. */
static int worker(const cli_secure_job *j)
{
    cn_encdata *ds = NULL, *ts = NULL;
    cn_server *srv = NULL;
    cryptonn_model *m = NULL;
    uint32_t skipped = 0;
    const char *what = j->enc_dir;
    int rc = cn_encdata_open(&ds, j->enc_dir, &skipped);
    if (rc == CRYPTONN_OK && j->test_dir) {
        what = j->test_dir;
        rc = cn_encdata_open(&ts, j->test_dir, &skipped);
    }
    cn_dist_keysource_ctx kd;
    cn_keysource ks = cn_dist_keysource(&kd, NULL);
    if (rc == CRYPTONN_OK) {
        what = "server";
        rc = cn_server_create(&srv, ds, &ks, &j->so, j->cache);
    }
    if (rc != CRYPTONN_OK)
        fprintf(stderr, "cryptonn (rank %d of %d): %s: %s\n", cn_dist_rank(), cn_dist_size(),
                what, cryptonn_status_str(rc));
    cryptonn_model_config cfg;
    memset(&cfg, 0, sizeof cfg);
    uint32_t first_epoch = 0;
    uint64_t start_batch = 0;
    rc = cli_dist_sync(rc, &cfg, &m, ds ? cn_encdata_params(ds)->batch : 0, j->so.threads,
                       &first_epoch, &start_batch);
    uint64_t ntest = ts ? cn_encdata_samples(ts) : 0;
    uint8_t *pred = malloc(ntest ? ntest : 1);
    if (!pred) rc = CRYPTONN_ERR_NOMEM;
    char msg[512] = "";
    for (uint32_t e = first_epoch; rc == CRYPTONN_OK && e < j->epochs && e < CN_REPORT_MAX_EPOCHS;
         e++) {
        cn_secure_stats st = {0}, pst = {0};
        cn_server_set_start_batch(srv, e == first_epoch ? start_batch : 0);
        rc = cn_server_train_epoch(srv, m, e, &st, msg, sizeof msg);
        if (rc == CRYPTONN_OK && ts) rc = cn_server_predict(srv, m, ts, pred, &pst, msg, sizeof msg);
    }
    free(pred);
    cn_server_destroy(srv);
    cryptonn_model_destroy(m);
    cn_encdata_close(ds);
    cn_encdata_close(ts);
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
                     cn_dist_rank(), cn_dist_size(), (unsigned long long)j->checkpoint_every,
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
    const int launched = cn_dist_launched();
    if (!want_mpi && !launched) return cli_secure_run(j, NULL);
    char msg[256] = "";
    if (cn_dist_start(msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn train: %s: %s\n", launched ? "launched by mpirun" : "--mpi", msg);
        return 2;
    }
    cli_secure_job jj = *j;
    if (cn_dist_size() > 1 && !jj.checkpoint_every) jj.checkpoint_every = DIST_CHECKPOINT_EVERY;
    if (cn_dist_size() > 1) note_termination(&jj);
    if (cn_dist_rank() == 0)
        printf("[server] %d ranks: each decrypts its share of every batch; rank 0 alone asks "
               "the authority for keys and writes the files\n",
               cn_dist_size());
    int code = cn_dist_rank() == 0 ? cli_secure_run(&jj, NULL) : worker(&jj);
    /* a rank that stops early would leave the others waiting for it */
    if (code != 0 && cn_dist_size() > 1) {
        fflush(stdout);
        cn_dist_abort(code);
    }
    cn_dist_stop();
    return code;
}
