/* The networked roles' parsers without a network: the training options of
 * POST /v1/train (valid, out of range, unknown keys, random bytes, mutated
 * JSON: always 202 or 400, never a crash — the sanitizer build runs it too),
 * and token files (mode, length, alphabet). The owners list is
 * test_net_owners_db.c's. */
#include <string.h>
#include <sys/stat.h>

#include "protocol/http.h"
#include "protocol/server_svc.h"
#include "testutil.h"
#include "util/util.h"

static unsigned parse(const char *s, job_opts *o)
{
    char msg[256];
    return srv_job_parse((const uint8_t *)s, strlen(s), o, msg, sizeof msg);
}

int main(void)
{
    t_init("test_net_parse");
#ifndef CRYPTONN_HAVE_JANSSON
    printf("SKIPPED: built without jansson\n");
    return t_done();
#else
    job_opts o;
    CHECK_EQ_INT(parse("{}", &o), 202);
    CHECK(!strcmp(o.model, "lenet5") && !strcmp(o.act, "tanh") && o.epochs == 1);
    CHECK_EQ_INT(parse("{\"model\":\"mlp\",\"activation\":\"relu\",\"epochs\":3,\"lr\":0.5,"
                       "\"hidden\":64,\"seed\":9,\"freeze_first_layer\":true,\"dlog_bits\":12}", &o),
                 202);
    CHECK(!strcmp(o.model, "mlp") && !strcmp(o.act, "relu") && o.epochs == 3 && o.hidden == 64 &&
          o.seed == 9 && o.freeze && o.dlog_bits == 12 && o.lr == 0.5);
    CHECK(!o.skip_bad); /* on_bad_part: stop unless asked */
    CHECK_EQ_INT(parse("{\"on_bad_part\":\"skip\"}", &o), 202);
    CHECK(o.skip_bad);
    CHECK_EQ_INT(parse("{\"on_bad_part\":\"stop\"}", &o), 202);
    CHECK(!o.skip_bad);
    const char *bad[] = {"", "[]", "{", "{\"epochs\":0}", "{\"epochs\":65}", "{\"model\":\"vgg\"}",
                         "{\"lr\":0}", "{\"lr\":-1}", "{\"momentum\":1}", "{\"dlog_bits\":40}",
                         "{\"epochs\":\"2\"}", "{\"unknown\":1}", "{\"epochs\":1,\"epochs\":2}",
                         "{\"seed\":-1}", "{\"hidden\":0}", "null", "{\"model\":null}",
                         "{\"on_bad_part\":\"ignore\"}", "{\"on_bad_part\":1}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        unsigned c = parse(bad[i], &o);
        CHECK_EQ_INT(c, 400);
        if (c != 400) fprintf(stderr, "accepted: %s\n", bad[i]);
    }
    /* random bytes and mutations of a valid message */
    const char *good = "{\"model\":\"lenet5\",\"epochs\":2,\"lr\":0.05,\"seed\":5,\"dlog_bits\":14}";
    size_t gl = strlen(good);
    long iters = t_iters(20000, 2000);
    int odd = 0;
    for (long it = 0; it < iters; it++) {
        uint8_t buf[128];
        size_t n;
        if (it & 1) {
            n = (size_t)t_rand_range(0, sizeof buf);
            t_rand_bytes(buf, n);
        } else {
            memcpy(buf, good, gl);
            n = gl;
            int flips = (int)t_rand_range(1, 3);
            for (int f = 0; f < flips; f++) buf[t_rand_range(0, (int64_t)gl - 1)] = (uint8_t)t_rand64();
            if (t_rand64() & 1) n = (size_t)t_rand_range(0, (int64_t)gl);
        }
        char msg[256];
        unsigned c = srv_job_parse(buf, n, &o, msg, sizeof msg);
        if (c != 202 && c != 400) odd++;
        if (c == 202 && (o.epochs < 1 || o.epochs > 64 || o.dlog_bits < 8 || o.dlog_bits > 25)) odd++;
    }
    CHECK_EQ_INT(odd, 0);

    /* tokens: created 0600 and 64 hex; refused when others may read them */
    char path[600], tok[65];
    snprintf(path, sizeof path, "%s/t.token", t_tmpdir());
    CHECK_EQ_INT(cn_token_create(path), CRYPTONN_OK);
    CHECK_EQ_INT(cn_token_create(path), CRYPTONN_ERR_IO); /* never replaced */
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK_EQ_INT(cn_token_load(path, tok), CRYPTONN_OK);
    CHECK_EQ_INT(strlen(tok), 64);
    chmod(path, 0644);
    CHECK_EQ_INT(cn_token_load(path, tok), CRYPTONN_ERR_AUTH);
    const char *forms[] = {"abc\n", "0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef\n",
                           "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef00\n"};
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/bad%d.token", t_tmpdir(), i);
        cn_part p = {forms[i], strlen(forms[i])};
        CHECK_EQ_INT(cn_file_write_atomic(path, &p, 1, 0600), CRYPTONN_OK);
        CHECK_EQ_INT(cn_token_load(path, tok), CRYPTONN_ERR_FORMAT);
    }
    snprintf(path, sizeof path, "%s/none.token", t_tmpdir());
    CHECK_EQ_INT(cn_token_load(path, tok), CRYPTONN_ERR_NOT_FOUND);
    return t_done();
#endif
}
