/* server_job: the training job of the service (server_http.h). One job at a
 * time on a thread of its own. Its options are saved (train/job.json) before
 * it starts and a checkpoint (cn_checkpoint_save: parameters, momentum,
 * position, statistics) after every batch, so a killed server resumes where
 * it stopped and ends with the model an uninterrupted run would have: the
 * batch order is a function of (seed, epoch), the keys of the requested
 * vectors, and the checkpoint holds the rest of the state.
 *
 * A stored part training cannot read never leaves the server unable to
 * train: before the first epoch every training part's files are checked
 * against their checksums, and when an epoch fails on its data anyway every
 * part is read in full; a bad part is moved to quarantine/ (its owner sees
 * why) and the job either goes on without it, restarting the epoch over the
 * remaining parts from the model of the last completed batch (on_bad_part
 * "skip"), or stops saying which part it was ("stop"; the next job trains
 * without it). */
#include "protocol/server_svc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cryptonn/dist.h"
#include "cryptonn/nn.h"
#include "protocol/services.h"
#include "secure/dist.h"
#include "secure/train.h"
#include "util/util.h"

#ifdef CRYPTONN_HAVE_JANSSON
#include <jansson.h>

void srv_job_opts_default(job_opts *o)
{
    memset(o, 0, sizeof *o);
    snprintf(o->model, sizeof o->model, "lenet5");
    snprintf(o->act, sizeof o->act, "tanh");
    o->epochs = 1;
    o->hidden = 128;
    o->lr = 0.05;
    o->momentum = 0.9;
    o->seed = 1;
    o->dlog_bits = 21;
    cn_secure_opts so; /* the precisions of the in-process trainer */
    cn_secure_opts_default(&so);
    o->w_bits = so.w_bits;
    o->dz_bits = so.dz_bits;
}

/* A model file sent in the job (its "model_file" object): kept as compact
 * JSON in o->model_json if it reads as a model file. */
static int model_file_ok(json_t *mfile, job_opts *o, char *msg, size_t msg_len)
{
    char *text = json_dumps(mfile, JSON_COMPACT | JSON_REAL_PRECISION(17));
    size_t len = text ? strlen(text) : 0;
    cryptonn_model_config cfg;
    int ok = 0;
    if (!text || len >= sizeof o->model_json)
        snprintf(msg, msg_len, "model_file: not an object of under %zu bytes",
                 sizeof o->model_json);
    else if (cryptonn_model_config_parse("model_file", text, len, &cfg, msg, msg_len) ==
             CRYPTONN_OK) {
        memcpy(o->model_json, text, len + 1);
        ok = 1;
    }
    free(text);
    return ok;
}

unsigned srv_job_parse(const uint8_t *body, size_t len, job_opts *o, char *msg, size_t msg_len)
{
    srv_job_opts_default(o);
    json_error_t err;
    json_t *root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &err);
    if (!root) {
        snprintf(msg, msg_len, "malformed JSON: %s (line %d)", err.text, err.line);
        return 400;
    }
    const char *model = "lenet5", *act = "tanh"; /* not o->model: copied back into it below */
    const char *bad_part = "stop";
    json_int_t epochs = o->epochs, hidden = o->hidden, seed = (json_int_t)o->seed, maxb = 0,
               dlog = o->dlog_bits, wb = o->w_bits, dzb = o->dz_bits, threads = 0;
    int freeze = 0;
    json_t *mfile = NULL;
    /* "!": an unknown key is an error, not silently ignored */
    int bad = json_unpack_ex(root, &err, JSON_STRICT,
                             "{s?s, s?s, s?I, s?I, s?F, s?F, s?I, s?I, s?I, s?I, s?I, s?I, s?b, s?s, "
                             "s?o}",
                             "model", &model, "activation", &act, "epochs", &epochs, "hidden",
                             &hidden, "lr", &o->lr, "momentum", &o->momentum, "seed", &seed,
                             "max_batches", &maxb, "dlog_bits", &dlog, "w_bits", &wb, "dz_bits",
                             &dzb, "threads", &threads, "freeze_first_layer", &freeze,
                             "on_bad_part", &bad_part, "model_file", &mfile);
    unsigned code = 0;
    if (!bad && mfile && !model_file_ok(mfile, o, msg, msg_len)) bad = -1;
    if (bad < 0) ; /* model_file_ok said why */
    else if (bad) snprintf(msg, msg_len, "bad training options: %s", err.text);
    else if (strcmp(bad_part, "skip") && strcmp(bad_part, "stop"))
        snprintf(msg, msg_len, "on_bad_part must be skip or stop");
    else if (strcmp(model, "lenet5") && strcmp(model, "mlp") &&
             (strcmp(model, "file") || !mfile))
        snprintf(msg, msg_len, "model must be lenet5, mlp, or file with a model_file");
    else if (strcmp(act, "tanh") && strcmp(act, "relu") && strcmp(act, "sigmoid"))
        snprintf(msg, msg_len, "activation must be tanh, relu or sigmoid");
    else if (epochs < 1 || epochs > 64 || hidden < 1 || hidden > 4096 || seed < 0 || maxb < 0 ||
             dlog < 8 || dlog > 25 || wb < 2 || wb > 20 || dzb < 2 || dzb > 20 || threads < 0 ||
             threads > 64 || !(o->lr > 0 && o->lr < 100) || !(o->momentum >= 0 && o->momentum < 1))
        snprintf(msg, msg_len, "an option is out of range (epochs 1..64, hidden 1..4096, "
                               "dlog_bits 8..25, w_bits/dz_bits 2..20, 0 < lr < 100, "
                               "0 <= momentum < 1)");
    else code = 202;
    if (code) {
        snprintf(o->model, sizeof o->model, "%s", mfile ? "file" : model);
        snprintf(o->act, sizeof o->act, "%s", act);
        o->epochs = (uint32_t)epochs;
        o->hidden = (uint32_t)hidden;
        o->seed = (uint64_t)seed;
        o->max_batches = (uint64_t)maxb;
        o->dlog_bits = (unsigned)dlog;
        o->w_bits = (unsigned)wb;
        o->dz_bits = (unsigned)dzb;
        o->threads = (uint32_t)threads;
        o->freeze = freeze;
        o->skip_bad = !strcmp(bad_part, "skip");
    }
    json_decref(root);
    return code ? code : 400;
}

static char *opts_json(const job_opts *o)
{
    json_t *j = json_pack("{s:s, s:s, s:I, s:I, s:f, s:f, s:I, s:I, s:I, s:I, s:I, s:I, s:b, s:s}",
                          "model", o->model, "activation", o->act, "epochs", (json_int_t)o->epochs,
                          "hidden", (json_int_t)o->hidden, "lr", o->lr, "momentum", o->momentum,
                          "seed", (json_int_t)o->seed, "max_batches", (json_int_t)o->max_batches,
                          "dlog_bits", (json_int_t)o->dlog_bits, "w_bits", (json_int_t)o->w_bits,
                          "dz_bits", (json_int_t)o->dz_bits, "threads", (json_int_t)o->threads,
                          "freeze_first_layer", o->freeze, "on_bad_part",
                          o->skip_bad ? "skip" : "stop");
    if (j && o->model_json[0]) {
        json_t *m = json_loads(o->model_json, JSON_REJECT_DUPLICATES, NULL);
        if (!m || json_object_set_new(j, "model_file", m) != 0) {
            json_decref(j);
            j = NULL;
        }
    }
    char *s = j ? json_dumps(j, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(j);
    return s;
}

int srv_job_config(unsigned threads, const job_opts *o, const cn_enc_params *p,
                   cryptonn_model_config *cfg, cn_secure_opts *so, char *msg, size_t msg_len)
{
    cryptonn_model_config_default(cfg);
    if (o->model_json[0]) { /* checked when the job was accepted */
        if (cryptonn_model_config_parse("model_file", o->model_json, strlen(o->model_json), cfg,
                                        msg, msg_len) != CRYPTONN_OK)
            return CRYPTONN_ERR_FORMAT;
    } else {
        cfg->arch = !strcmp(o->model, "mlp") ? CRYPTONN_ARCH_MLP : CRYPTONN_ARCH_LENET5;
        cfg->act = !strcmp(o->act, "relu")      ? CRYPTONN_ACT_RELU
                   : !strcmp(o->act, "sigmoid") ? CRYPTONN_ACT_SIGMOID
                                                : CRYPTONN_ACT_TANH;
        cfg->hidden = o->hidden;
    }
    cfg->frozen_first_layer = (uint32_t)o->freeze;
    cfg->seed = o->seed;
    cn_secure_opts_default(so);
    so->sgd.lr = (float)o->lr;
    so->sgd.momentum = (float)o->momentum;
    so->seed = o->seed;
    so->w_bits = o->w_bits;
    so->dz_bits = o->dz_bits;
    so->dlog_table_bits = o->dlog_bits;
    so->max_batches = o->max_batches;
    so->threads = o->threads ? o->threads : threads;
    return cn_enc_fit_model(p, cfg, msg, msg_len);
}

static void set_msg(cn_server_http *s, int state, const char *fmt, const char *a, const char *b)
{
    pthread_mutex_lock(&s->mu);
    s->state = state;
    snprintf(s->message, sizeof s->message, fmt, a, b ? b : "");
    pthread_mutex_unlock(&s->mu);
}

typedef struct {
    cn_server_http *s;
    cryptonn_model *m;
    char ckpt[2200];
    cn_http_client *auth;
} run_ctx;

static int on_batch(void *ctx, uint32_t epoch, uint64_t done, const cn_secure_stats *st)
{
    run_ctx *r = ctx;
    int rc = cn_checkpoint_save(r->ckpt, r->m, epoch, done, st);
    cn_server_http *s = r->s;
    pthread_mutex_lock(&s->mu);
    s->epoch = epoch;
    s->batch = done;
    s->samples_seen = st->samples;
    s->correct = st->correct;
    s->loss_sum = st->loss_sum;
    s->retries = cn_http_client_retries(r->auth);
    int stop = s->cancel;
    pthread_mutex_unlock(&s->mu);
    if (rc != CRYPTONN_OK) return rc;
    return stop ? CRYPTONN_ERR_INTERNAL : 0;
}

/* A failure of the data rather than of the keys: a batch training could not
 * read. */
static int data_error(int rc)
{
    return rc == CRYPTONN_ERR_FORMAT || rc == CRYPTONN_ERR_TRUNCATED ||
           rc == CRYPTONN_ERR_CHECKSUM || rc == CRYPTONN_ERR_ENCODING ||
           rc == CRYPTONN_ERR_MISMATCH || rc == CRYPTONN_ERR_VERSION || rc == CRYPTONN_ERR_IO ||
           rc == CRYPTONN_ERR_NOT_FOUND || rc == CRYPTONN_ERR_TOO_LARGE;
}

/* The job ends failed: failed.txt first, so whoever sees "failed" finds it. */
static void fail_job(cn_server_http *s, const char *why)
{
    char path[2200];
    snprintf(path, sizeof path, "%s/failed.txt", s->train);
    cn_part p = {why, strlen(why)};
    if (cn_file_write_atomic(path, &p, 1, 0644) != CRYPTONN_OK)
        fprintf(stderr, "cryptonn server: cannot write train/failed.txt\n");
    set_msg(s, JOB_FAILED, "%s%s", why, NULL);
}

/* Parts moved to quarantine after a failure (quick check, then a full read
 * if the checksums found nothing); 0 if none was at fault. */
static unsigned find_bad_parts(cn_server_http *s, char *report, size_t len)
{
    unsigned bad = srv_check_training_parts(s, 0, report, len);
    return bad ? bad : srv_check_training_parts(s, 1, report, len);
}

/* Opens the training parts. Under mpirun the other ranks open them too,
 * after rank 0's command to start the job (first) or its choice to restart
 * an epoch, with mu held so that no part completes between rank 0's
 * opening and theirs. */
static int open_dataset(cn_server_http *s, cn_encdata **ds, const srv_cmd *first)
{
    uint32_t skipped = 0;
    pthread_mutex_lock(&s->mu);
    int rc = cn_encdata_open(ds, s->data, &skipped);
    if (rc == CRYPTONN_OK && cn_encdata_batches(*ds) == 0) rc = CRYPTONN_ERR_NOT_FOUND;
    const int mine = rc;
    if (first && rc == CRYPTONN_OK) rc = srv_dist_send(first);
    if (!first || rc == CRYPTONN_OK) rc = srv_dist_same_data(*ds, rc);
    pthread_mutex_unlock(&s->mu);
    if (rc != CRYPTONN_OK) {
        char why[400];
        if (mine != CRYPTONN_OK)
            snprintf(why, sizeof why, "no complete training part to train on (%s)",
                     cryptonn_status_str(mine));
        else
            snprintf(why, sizeof why, "the ranks could not open the same training parts (%s): "
                     "under mpirun every rank reads the one shared state directory",
                     cryptonn_status_str(rc));
        fail_job(s, why);
    }
    return rc;
}

int srv_job_epoch(cn_encdata *ds, cn_keysource *ks, const cn_secure_opts *so, const char *cache,
                  cryptonn_model *m, uint32_t epoch, cn_secure_stats *st, char *msg,
                  size_t msg_len)
{
    cn_server *srv = NULL;
    int rc = cn_dist_agree(cn_server_create(&srv, ds, ks, so, cache));
    if (rc == CRYPTONN_OK) rc = cn_server_train_epoch(srv, m, epoch, st, msg, msg_len);
    cn_server_destroy(srv);
    return rc;
}

static void show_position(cn_server_http *s, const cn_encdata *ds, const cn_secure_opts *so,
                          uint32_t e0, uint64_t d0, const char *what, const char *note)
{
    uint64_t nb = cn_encdata_batches(ds);
    if (so->max_batches && so->max_batches < nb) nb = so->max_batches;
    pthread_mutex_lock(&s->mu);
    s->batches = nb;
    s->epoch = e0;
    s->batch = d0;
    snprintf(s->message, sizeof s->message, "%s at epoch %u, batch %llu of %llu%s%.300s", what,
             e0 + 1, (unsigned long long)d0, (unsigned long long)nb, note[0] ? "; " : "", note);
    pthread_mutex_unlock(&s->mu);
}

/* The job on rank 0 (the only rank under one process). Under mpirun the
 * other ranks run it too (srv_dist_work) from the command open_dataset
 * sends: from then on every failure goes through the ranks' agreement, and
 * after each epoch rank 0 says what follows. */
static void job_run(cn_server_http *s)
{
    uint64_t t0 = cn_now_ns();
    run_ctx r = {.s = s};
    cn_encdata *ds = NULL;
    char msg[512] = "", path[2200], report[1200] = "", note[1300] = "", why[700] = "";
    snprintf(r.ckpt, sizeof r.ckpt, "%s/ckpt.bin", s->train);
    cryptonn_model_config cfg;
    cn_secure_opts so;
    uint32_t e0 = 0;
    uint64_t d0 = 0;
    cn_secure_stats so_far = {0};
    if (srv_check_training_parts(s, 0, report, sizeof report)) {
        snprintf(note, sizeof note, "moved to quarantine, unreadable: %s", report);
        if (!s->jo.skip_bad) {
            char stop[1500];
            snprintf(stop, sizeof stop, "training stopped before it began (on_bad_part stop): parts %s",
                     note);
            fail_job(s, stop);
            goto out;
        }
    }
    const srv_cmd cmd = {.kind = SRV_CMD_TRAIN, .threads = s->threads, .jo = s->jo};
    if (open_dataset(s, &ds, &cmd) != CRYPTONN_OK) goto out;
    int rc = srv_job_config(s->threads, &s->jo, cn_encdata_params(ds), &cfg, &so, msg, sizeof msg);
    const int final = rc != CRYPTONN_OK; /* the next start would fail the same way */
    if (final) {
        snprintf(why, sizeof why, "the model does not fit the uploaded records: %s", msg);
    } else if ((rc = cryptonn_model_create(&cfg, cn_encdata_params(ds)->batch, so.threads, &r.m)) !=
               CRYPTONN_OK) {
        snprintf(why, sizeof why, "cannot create the model: %s", cryptonn_status_str(rc));
    } else if (access(r.ckpt, F_OK) == 0 &&
               (rc = cn_checkpoint_load(r.ckpt, r.m, &e0, &d0, &so_far)) != CRYPTONN_OK) {
        snprintf(why, sizeof why, "cannot resume from the checkpoint: %s", cryptonn_status_str(rc));
    } else {
        cn_http_client_opts ao = s->auth;
        ao.cancel = &s->cancel;
        if ((rc = cn_http_client_create(&r.auth, &ao)) != CRYPTONN_OK)
            snprintf(why, sizeof why, "cannot create the authority client: %s",
                     cryptonn_status_str(rc));
    }
    /* every rank starts from rank 0's model and position */
    rc = r.m ? cryptonn_dist_share_model(rc, &cfg, &r.m, cn_encdata_params(ds)->batch, so.threads,
                                         &e0, &d0)
             : cn_dist_agree(rc);
    if (rc != CRYPTONN_OK) {
        if (!why[0])
            snprintf(why, sizeof why, "another rank could not prepare the job (%s; its stderr says "
                     "why)", cryptonn_status_str(rc));
        if (final) fail_job(s, why);
        else set_msg(s, JOB_FAILED, "%s%s", why, NULL);
        goto out;
    }
    cn_keywire http = cn_http_keywire(r.auth);
    cn_dist_keywire_ctx dctx; /* rank 0 alone asks the authority (one rank: straight through) */
    cn_keywire wire = cn_dist_keywire(&dctx, &http);
    cn_keysource ks = cn_keywire_source(&wire);
    pthread_mutex_lock(&s->mu);
    s->job_auth = r.auth;
    pthread_mutex_unlock(&s->mu);
    so.on_batch = on_batch;
    so.on_batch_ctx = &r;
    show_position(s, ds, &so, e0, d0, d0 || e0 ? "resumed" : "started", note);
    int next = SRV_NEXT_EPOCH;
    for (uint32_t e = e0; e < s->jo.epochs && next != SRV_NEXT_END;) {
        so.start_batch = e == e0 ? d0 : 0;
        cn_secure_stats st = e == e0 ? so_far : (cn_secure_stats){0};
        rc = srv_job_epoch(ds, &ks, &so, s->cache, r.m, e, &st, msg, sizeof msg);
        next = rc == CRYPTONN_OK ? SRV_NEXT_EPOCH : SRV_NEXT_END;
        if (rc != CRYPTONN_OK && !s->cancel && data_error(rc) &&
            find_bad_parts(s, report, sizeof report)) {
            snprintf(note, sizeof note, "moved to quarantine, unreadable: %s", report);
            if (s->jo.skip_bad) next = SRV_NEXT_RESTART;
            else snprintf(msg, sizeof msg, "parts %.480s", note);
        }
        if ((next = srv_dist_next(next, &rc)) == SRV_NEXT_EPOCH) e++;
        if (next != SRV_NEXT_RESTART) continue;
        /* the epoch again, over the remaining parts, from the last
         * completed batch's model (its checkpoint follows the new order) */
        cn_encdata_close(ds);
        ds = NULL;
        if (open_dataset(s, &ds, NULL) != CRYPTONN_OK) goto out;
        so_far = (cn_secure_stats){0};
        e0 = e, d0 = 0;
        show_position(s, ds, &so, e, 0, "restarted without the unreadable parts", note);
    }
    if (s->cancel) {
        pthread_mutex_lock(&s->mu);
        int asked = s->stop_asked;
        pthread_mutex_unlock(&s->mu);
        if (asked) {
            snprintf(path, sizeof path, "%s/stopped.txt", s->train);
            cn_part p = {"stopped by the operator\n", 24};
            if (cn_file_write_atomic(path, &p, 1, 0644) != CRYPTONN_OK)
                fprintf(stderr, "cryptonn server: cannot write train/stopped.txt\n");
        }
        set_msg(s, JOB_STOPPED, "%s%s", asked ? "stopped by the operator; the checkpoint is kept"
                : "stopped; resumes from the checkpoint at the next start", NULL);
        goto out;
    }
    if (rc != CRYPTONN_OK) {
        /* a refusal is final; the checkpoint keeps the last completed step */
        snprintf(why, sizeof why, "training stopped: %s: %s", cryptonn_status_str(rc), msg);
        fail_job(s, why);
        goto out;
    }
    snprintf(path, sizeof path, "%s/model.bin", s->train);
    rc = cryptonn_model_save(r.m, path);
    if (rc != CRYPTONN_OK) set_msg(s, JOB_FAILED, "cannot save the model: %s%s", cryptonn_status_str(rc), NULL);
    else set_msg(s, JOB_DONE, "done: the model is ready (GET /v1/model)%s%.400s", note[0] ? "; " : "", note);
out:
    pthread_mutex_lock(&s->mu);
    s->seconds = (double)(cn_now_ns() - t0) / 1e9;
    if (r.auth) s->retries = cn_http_client_retries(r.auth);
    s->job_auth = NULL;
    pthread_mutex_unlock(&s->mu);
    cn_http_client_destroy(r.auth);
    cryptonn_model_destroy(r.m);
    cn_encdata_close(ds);
}

static void *job_main(void *arg)
{
    cn_server_http *s = arg;
    pthread_mutex_lock(&s->dist_mu);
    job_run(s);
    pthread_mutex_unlock(&s->dist_mu);
    pthread_mutex_lock(&s->mu);
    s->thr_exited = 1;
    pthread_cond_broadcast(&s->exited);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

static unsigned launch(cn_server_http *s, char *msg, size_t msg_len)
{
    s->cancel = 0;
    s->stop_asked = 0;
    s->state = JOB_RUNNING;
    s->epoch = 0;
    s->batch = s->batches = s->samples_seen = s->correct = 0;
    s->loss_sum = 0;
    s->message[0] = 0;
    s->thr_exited = 0;
    if (pthread_create(&s->thr, NULL, job_main, s) != 0) {
        s->state = JOB_FAILED;
        snprintf(msg, msg_len, "cannot start the training thread");
        return 503;
    }
    s->thr_live = 1;
    snprintf(msg, msg_len, "training started");
    return 202;
}

/* With mu held: a job thread that has set its final state still takes mu
 * on its way out, so wait (releasing mu) for its last act before joining. */
static void join_finished(cn_server_http *s)
{
    if (!s->thr_live || s->state == JOB_RUNNING) return;
    while (s->thr_live && !s->thr_exited) pthread_cond_wait(&s->exited, &s->mu);
    if (!s->thr_live) return; /* srv_job_stop joined it meanwhile */
    pthread_join(s->thr, NULL);
    s->thr_live = 0;
}

unsigned srv_job_start(cn_server_http *s, const job_opts *o, char *msg, size_t msg_len)
{
    char *js = opts_json(o);
    if (!js) return 503;
    char path[2200];
    pthread_mutex_lock(&s->mu);
    unsigned code;
    join_finished(s);
    if (s->state == JOB_RUNNING) {
        code = 409;
        snprintf(msg, msg_len, "a training job is running (GET /v1/status)");
        goto out;
    }
    /* a new job starts from scratch: the old checkpoint and model go */
    const char *old[] = {"ckpt.bin", "model.bin", "failed.txt", "stopped.txt"};
    for (int i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", s->train, old[i]);
        unlink(path);
    }
    snprintf(path, sizeof path, "%s/job.json", s->train);
    cn_part p = {js, strlen(js)};
    if (cn_file_write_atomic(path, &p, 1, 0644) != CRYPTONN_OK) {
        code = 500;
        snprintf(msg, msg_len, "cannot write train/job.json");
        goto out;
    }
    s->jo = *o;
    code = launch(s, msg, msg_len);
out:
    pthread_mutex_unlock(&s->mu);
    free(js);
    return code;
}

unsigned srv_job_stop_request(cn_server_http *s, char *msg, size_t msg_len)
{
    pthread_mutex_lock(&s->mu);
    unsigned code = 409;
    if (s->state == JOB_RUNNING) {
        s->stop_asked = 1;
        s->cancel = 1;
        code = 202;
        snprintf(msg, msg_len, "the job stops after the batch in progress (GET /v1/status)");
    } else snprintf(msg, msg_len, "no training job is running");
    pthread_mutex_unlock(&s->mu);
    return code;
}

/* The message of a finished job, from its files. */
static void finished_message(cn_server_http *s, const char *file)
{
    char path[2200];
    uint8_t *b;
    size_t len;
    snprintf(path, sizeof path, "%s/%s", s->train, file);
    if (cn_file_read_all(path, sizeof s->message - 1, &b, &len) != CRYPTONN_OK) return;
    memcpy(s->message, b, len);
    s->message[len] = 0;
    free(b);
}

int srv_job_resume_at_startup(cn_server_http *s)
{
    char path[2200], msg[256];
    static const struct {
        const char *file;
        int state;
    } END[] = {{"model.bin", JOB_DONE}, {"failed.txt", JOB_FAILED}, {"stopped.txt", JOB_STOPPED}};
    /* the last job's options, finished or not: a finished job's model is
     * rebuilt from them for secure predictions after a restart */
    snprintf(path, sizeof path, "%s/job.json", s->train);
    uint8_t *b;
    size_t len;
    if (cn_file_read_all(path, 1 << 16, &b, &len) != CRYPTONN_OK) return 0; /* no job */
    job_opts o;
    unsigned code = srv_job_parse(b, len, &o, msg, sizeof msg);
    free(b);
    if (code != 202) return -1;
    pthread_mutex_lock(&s->mu);
    s->jo = o;
    pthread_mutex_unlock(&s->mu);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/%s", s->train, END[i].file);
        if (access(path, F_OK) != 0) continue;
        s->state = END[i].state;
        if (END[i].state == JOB_DONE)
            snprintf(s->message, sizeof s->message, "done: the model is ready (GET /v1/model)");
        else finished_message(s, END[i].file);
        return 0;
    }
    pthread_mutex_lock(&s->mu);
    code = launch(s, msg, sizeof msg);
    pthread_mutex_unlock(&s->mu);
    return code == 202 ? 1 : -1;
}

void srv_job_stop(cn_server_http *s)
{ /* not stop_asked: the job resumes at the next start */
    pthread_mutex_lock(&s->mu);
    s->cancel = 1;
    int live = s->thr_live;
    s->thr_live = 0;
    pthread_mutex_unlock(&s->mu);
    if (live) pthread_join(s->thr, NULL);
}

char *srv_job_status_json(cn_server_http *s)
{
    static const char *const NAME[] = {"idle", "training", "done", "failed", "stopped"};
    pthread_mutex_lock(&s->mu);
    if (s->job_auth) s->retries = cn_http_client_retries(s->job_auth);
    json_t *j = json_pack(
        "{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:f, s:s}", "state", NAME[s->state],
        "epoch", (json_int_t)s->epoch + (s->batches ? 1 : 0), "epochs",
        (json_int_t)s->jo.epochs, "batch", (json_int_t)s->batch, "batches", (json_int_t)s->batches,
        "samples", (json_int_t)s->samples_seen,
        "loss", s->samples_seen ? s->loss_sum / (double)s->samples_seen : 0.0, "accuracy",
        s->samples_seen ? (double)s->correct / (double)s->samples_seen : 0.0, "authority_retries",
        (json_int_t)s->retries, "seconds", s->seconds, "message", s->message);
    pthread_mutex_unlock(&s->mu);
    char *out = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return out;
}

int srv_pred_open(srv_pred *p, const cn_server_http *s, unsigned threads, const job_opts *jo,
                  const char *key, char *why, size_t why_len)
{
    memset(p, 0, sizeof *p);
    char ds_dir[2300], model[2200];
    uint32_t skipped;
    snprintf(model, sizeof model, "%s/model.bin", s->train);
    int rc = srv_dataset_dir(s, 1, key, ds_dir, sizeof ds_dir);
    if (rc == CRYPTONN_OK) rc = cn_encdata_open(&p->ts, ds_dir, &skipped);
    if (rc == CRYPTONN_OK && cn_encdata_samples(p->ts) == 0) rc = CRYPTONN_ERR_NOT_FOUND;
    if (rc != CRYPTONN_OK) {
        cn_encdata_close(p->ts);
        p->ts = NULL;
        return rc;
    }
    const cn_enc_params *ep = cn_encdata_params(p->ts);
    cryptonn_model_config cfg;
    p->n = cn_encdata_samples(p->ts);
    p->regress = ep->task == CN_TASK_REGRESS;
    if ((rc = srv_job_config(threads, jo, ep, &cfg, &p->so, why, why_len)) ||
        (rc = cryptonn_model_create(&cfg, ep->batch, p->so.threads, &p->m)) ||
        (rc = cryptonn_model_load_into(p->m, model)))
        return rc;
    cryptonn_model_set_training(p->m, 0); /* no dropout in predictions */
    p->pred = malloc(p->n);
    if (p->regress) p->out = malloc(sizeof(float) * p->n);
    return p->pred && (p->out || !p->regress) ? CRYPTONN_OK : CRYPTONN_ERR_NOMEM;
}

int srv_pred_run(srv_pred *p, cn_keysource *ks, const char *cache, char *why, size_t why_len)
{
    cn_server *srv = NULL;
    cn_secure_stats st = {0};
    int rc = cn_dist_agree(cn_server_create(&srv, p->ts, ks, &p->so, cache));
    if (rc == CRYPTONN_OK)
        rc = cn_server_predict_outputs(srv, p->m, p->ts, p->regress ? NULL : p->pred, p->out, &st,
                                       why, why_len);
    cn_server_destroy(srv);
    return rc;
}

void srv_pred_close(srv_pred *p)
{
    free(p->pred);
    free(p->out);
    cryptonn_model_destroy(p->m);
    cn_encdata_close(p->ts);
    memset(p, 0, sizeof *p);
}

/* The predictions as the service answers them. */
static char *pred_json(const srv_pred *p, const char *part)
{
    json_t *arr = json_array();
    for (uint64_t i = 0; i < p->n; i++)
        json_array_append_new(arr, p->regress ? json_real(p->out[i]) : json_integer(p->pred[i]));
    json_t *j = json_pack("{s:s, s:I, s:o, s:s}", "part", part, "samples", (json_int_t)p->n,
                          "predictions", arr, p->regress ? "targets" : "classes",
                          p->regress ? "on the owners' scaled grid: they map them back with "
                                       "their spec's target offset and scale"
                                     : "permuted: the owners map them back with their secret "
                                       "permutation");
    char *js = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return js;
}

unsigned srv_job_predict(cn_server_http *s, const char *owner, const uint8_t *body, size_t len,
                         char **json, char *msg, size_t msg_len)
{
    *json = NULL;
    json_error_t err;
    json_t *root = json_loadb((const char *)body, len, JSON_REJECT_DUPLICATES, &err);
    const char *part = NULL;
    if (!root || json_unpack_ex(root, &err, JSON_STRICT, "{s:s}", "part", &part) ||
        !srv_name_ok(part)) {
        snprintf(msg, msg_len, "want {\"part\": NAME} naming an uploaded test part: %s", err.text);
        json_decref(root);
        return 400;
    }
    char key[SRV_KEY_MAX + 1], why[512] = "";
    srv_key(owner, part, key);
    pthread_mutex_lock(&s->mu);
    const job_opts jo = s->jo;
    int done = s->state == JOB_DONE;
    pthread_mutex_unlock(&s->mu);
    srv_pred p = {0};
    cn_http_client *auth = NULL;
    unsigned code = 500;
    int ranks = 0; /* under mpirun: the other ranks predict with this one */
    if (!done) {
        code = 409;
        snprintf(msg, msg_len, "no trained model yet (GET /v1/status)");
        goto out;
    }
    int rc = srv_pred_open(&p, s, s->threads, &jo, key, why, sizeof why);
    if (!p.ts) {
        code = 404;
        snprintf(msg, msg_len, "no complete test part '%s' (upload it with client upload --test)",
                 part);
        goto out;
    }
    if (rc == CRYPTONN_OK) rc = cn_http_client_create(&auth, &s->auth);
    if (cn_dist_size() > 1) {
        if (pthread_mutex_trylock(&s->dist_mu) != 0) {
            code = 409;
            snprintf(msg, msg_len, "the ranks are busy with a training job or another prediction: "
                     "ask again when it is done");
            goto out;
        }
        ranks = 1;
        srv_cmd c = {.kind = SRV_CMD_PREDICT, .threads = s->threads, .jo = jo};
        memcpy(c.key, key, sizeof c.key);
        int src = srv_dist_send(&c);
        rc = src == CRYPTONN_OK ? cn_dist_agree(rc) : src;
    }
    if (rc != CRYPTONN_OK) {
        snprintf(msg, msg_len, "cannot load the model: %s %s", cryptonn_status_str(rc), why);
        goto out;
    }
    cn_keywire http = cn_http_keywire(auth);
    cn_dist_keywire_ctx dctx;
    cn_keywire wire = cn_dist_keywire(&dctx, &http);
    cn_keysource ks = cn_keywire_source(&wire);
    rc = srv_pred_run(&p, &ks, s->cache, why, sizeof why);
    if (rc != CRYPTONN_OK && data_error(rc)) {
        /* the stored part, not the request: its owner must upload it again */
        char reason[700];
        snprintf(reason, sizeof reason, "%s: %s", cryptonn_status_str(rc), why);
        pthread_mutex_lock(&s->mu);
        int q = srv_quarantine(s, 1, key, reason);
        pthread_mutex_unlock(&s->mu);
        code = 409;
        snprintf(msg, msg_len, "test part '%s' cannot be read (%s)%s", part, reason,
                 q == CRYPTONN_OK ? "; moved to quarantine: DELETE it and upload it again" : "");
        goto out;
    }
    if (rc != CRYPTONN_OK) {
        code = cn_http_status_for(rc) == 500 ? 502 : cn_http_status_for(rc);
        snprintf(msg, msg_len, "secure prediction failed: %s: %s", cryptonn_status_str(rc), why);
        goto out;
    }
    *json = pred_json(&p, part);
    code = *json ? 200 : 503;
out:
    if (ranks) pthread_mutex_unlock(&s->dist_mu);
    json_decref(root);
    srv_pred_close(&p);
    cn_http_client_destroy(auth);
    return code;
}

#else

void srv_job_opts_default(job_opts *o) { memset(o, 0, sizeof *o); }
unsigned srv_job_parse(const uint8_t *body, size_t len, job_opts *o, char *msg, size_t msg_len)
{
    (void)body, (void)len, (void)o;
    snprintf(msg, msg_len, "built without jansson");
    return 501;
}
unsigned srv_job_start(cn_server_http *s, const job_opts *o, char *msg, size_t msg_len)
{
    (void)s, (void)o;
    snprintf(msg, msg_len, "built without jansson");
    return 501;
}
unsigned srv_job_stop_request(cn_server_http *s, char *msg, size_t msg_len)
{
    (void)s;
    snprintf(msg, msg_len, "built without jansson");
    return 501;
}
int srv_job_resume_at_startup(cn_server_http *s) { (void)s; return 0; }
void srv_job_stop(cn_server_http *s) { (void)s; }
char *srv_job_status_json(cn_server_http *s) { (void)s; return NULL; }
unsigned srv_job_predict(cn_server_http *s, const char *owner, const uint8_t *body, size_t len,
                         char **json, char *msg, size_t msg_len)
{
    (void)s, (void)owner, (void)body, (void)len;
    *json = NULL;
    snprintf(msg, msg_len, "built without jansson");
    return 501;
}

#endif
