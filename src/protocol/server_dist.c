/* The ranks of `mpirun -np N cryptonn server serve` (server_svc.h): rank 0
 * runs the HTTP service and, for each job or secure prediction, sends the
 * other ranks a command (broadcast); for a job they open the same training
 * parts from the shared state directory, take rank 0's model and position,
 * and run the same epochs with their share of every decryption
 * (secure/dist.h), so the model is the one a single process would train.
 * Only rank 0 writes files, talks to the authority (cn_dist_keywire) and
 * answers HTTP. */
#include "protocol/server_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cryptonn/dist.h"
#include "protocol/keyreq.h"
#include "secure/dist.h"
#include "util/util.h"

int srv_dist_send(const srv_cmd *c)
{
    srv_cmd copy = *c;
    return cn_dist_bcast(&copy, sizeof copy);
}

int srv_dist_next(int next, int *rc)
{
    int32_t v = next;
    int brc = cn_dist_bcast(&v, sizeof v);
    if (brc == CRYPTONN_OK) return v;
    *rc = brc;
    return SRV_NEXT_END;
}

/* Which batches the dataset holds, in its global order: their parts and
 * their places in them. */
static void data_digest(const cn_encdata *ds, uint8_t out[32])
{
    crypto_generichash_state h;
    crypto_generichash_init(&h, NULL, 0, 32);
    const uint64_t nb = cn_encdata_batches(ds), head[2] = {cn_encdata_samples(ds), nb};
    crypto_generichash_update(&h, (const uint8_t *)head, sizeof head);
    for (uint64_t i = 0; i < nb; i++) {
        const char *part = "";
        uint64_t local = 0;
        if (cn_encdata_batch_source(ds, i, &part, &local) != CRYPTONN_OK) break;
        crypto_generichash_update(&h, (const uint8_t *)part, strlen(part) + 1);
        crypto_generichash_update(&h, (const uint8_t *)&local, sizeof local);
    }
    crypto_generichash_final(&h, out, 32);
}

int srv_dist_same_data(const cn_encdata *ds, int rc)
{
    if (cn_dist_size() == 1) return rc;
    uint8_t mine[32] = {0}, root[32];
    if (rc == CRYPTONN_OK) data_digest(ds, mine);
    memcpy(root, mine, sizeof root);
    int brc = cn_dist_bcast(root, sizeof root);
    if (brc != CRYPTONN_OK) return brc;
    if (rc == CRYPTONN_OK && memcmp(root, mine, sizeof mine) != 0) {
        fprintf(stderr,
                "cryptonn server (rank %d of %d): this rank's training parts differ from rank "
                "0's: every rank must read the one state directory (shared between nodes)\n",
                cn_dist_rank(), cn_dist_size());
        rc = CRYPTONN_ERR_MISMATCH;
    }
    return cn_dist_agree(rc);
}

void srv_dist_quit(void)
{
    static int sent; /* once: the other ranks have returned after it */
    if (cn_dist_size() == 1 || cn_dist_rank() != 0 || sent) return;
    sent = 1;
    const srv_cmd quit = {.kind = SRV_CMD_QUIT};
    if (srv_dist_send(&quit) != CRYPTONN_OK)
        fprintf(stderr, "cryptonn server: the other ranks could not be told to stop\n");
}

/* A rank's own failure, said once on its stderr (rank 0 reports the job). */
static void say(const char *what, int rc, const char *msg)
{
    fprintf(stderr, "cryptonn server (rank %d of %d): %s: %s%s%s\n", cn_dist_rank(),
            cn_dist_size(), what, cryptonn_status_str(rc), msg[0] ? ": " : "", msg);
}

/* Opens the training parts with rank 0 (open_dataset in server_job.c). */
static int open_parts(const cn_server_http *w, cn_encdata **ds)
{
    uint32_t skipped = 0;
    int rc = cn_encdata_open(ds, w->data, &skipped);
    return srv_dist_same_data(*ds, rc);
}

/* A job on ranks 1..N-1: job_run's collective steps, in its order. */
static void work_train(const cn_server_http *w, const srv_cmd *c)
{
    cn_encdata *ds = NULL;
    cryptonn_model *m = NULL;
    uint32_t e0 = 0;
    uint64_t d0 = 0;
    char msg[512] = "";
    cryptonn_model_config cfg;
    cn_secure_opts so;
    int rc = open_parts(w, &ds);
    if (rc != CRYPTONN_OK) goto out;
    rc = srv_job_config(c->threads, &c->jo, cn_encdata_params(ds), &cfg, &so, msg, sizeof msg);
    rc = cryptonn_dist_share_model(rc, &cfg, &m, cn_encdata_params(ds)->batch, so.threads, &e0,
                                   &d0);
    if (rc != CRYPTONN_OK) goto out;
    cn_dist_keywire_ctx dctx;
    cn_keywire wire = cn_dist_keywire(&dctx, NULL);
    cn_keysource ks = cn_keywire_source(&wire);
    int next = SRV_NEXT_EPOCH;
    for (uint32_t e = e0; e < c->jo.epochs && next != SRV_NEXT_END;) {
        so.start_batch = e == e0 ? d0 : 0;
        cn_secure_stats st = {0};
        rc = srv_job_epoch(ds, &ks, &so, w->cache, m, e, &st, msg, sizeof msg);
        if ((next = srv_dist_next(SRV_NEXT_END, &rc)) == SRV_NEXT_EPOCH) e++;
        if (next != SRV_NEXT_RESTART) continue;
        cn_encdata_close(ds);
        ds = NULL;
        if ((rc = open_parts(w, &ds)) != CRYPTONN_OK) break;
        e0 = e, d0 = 0;
    }
out:
    if (rc != CRYPTONN_OK) say("the job ended before its last epoch (GET /v1/status says why)", rc, msg);
    cryptonn_model_destroy(m);
    cn_encdata_close(ds);
}

/* A secure prediction on ranks 1..N-1: srv_job_predict's collective steps. */
static void work_predict(const cn_server_http *w, const srv_cmd *c)
{
    srv_pred p;
    char why[512] = "";
    int rc = cn_dist_agree(srv_pred_open(&p, w, c->threads, &c->jo, c->key, why, sizeof why));
    if (rc == CRYPTONN_OK) {
        cn_dist_keywire_ctx dctx;
        cn_keywire wire = cn_dist_keywire(&dctx, NULL);
        cn_keysource ks = cn_keywire_source(&wire);
        rc = srv_pred_run(&p, &ks, w->cache, why, sizeof why);
    }
    if (rc != CRYPTONN_OK) say("a secure prediction failed", rc, why);
    srv_pred_close(&p);
}

int srv_dist_work(const char *dir)
{
    cn_server_http *w = calloc(1, sizeof *w);
    if (!w) return CRYPTONN_ERR_NOMEM;
    srv_set_paths(w, dir);
    int rc;
    for (;;) {
        srv_cmd c;
        memset(&c, 0, sizeof c);
        if ((rc = cn_dist_bcast(&c, sizeof c)) != CRYPTONN_OK || c.kind == SRV_CMD_QUIT) break;
        if (c.kind == SRV_CMD_TRAIN) work_train(w, &c);
        else if (c.kind == SRV_CMD_PREDICT) work_predict(w, &c);
    }
    free(w);
    return rc;
}
