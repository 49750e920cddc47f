/* TLS: with --cert/--key the services speak HTTPS only. A self-signed
 * certificate for 127.0.0.1 is made with the openssl tool (skipped when the
 * machine has none); clients trust it through --cacert. The training server
 * fetches the parameters from an HTTPS authority and serves HTTPS itself. */
#include "net_helpers.h"

int main(void)
{
    t_init("test_net_tls");
    if (!net_init(120)) return 0;
    if (system("command -v openssl > /dev/null 2>&1") != 0) {
        printf("SKIPPED: no openssl tool to make a test certificate\n");
        return t_done();
    }
    const char *dir = t_tmpdir();
    char cmd[2048], cert[600], key[600], auth[600], srv[600], log_[600], ap[600], sp[600];
    snprintf(cert, sizeof cert, "%s/cert.pem", dir);
    snprintf(key, sizeof key, "%s/key.pem", dir);
    snprintf(auth, sizeof auth, "%s/auth", dir);
    snprintf(srv, sizeof srv, "%s/srv", dir);
    snprintf(log_, sizeof log_, "%s/log.txt", dir);
    snprintf(ap, sizeof ap, "%s/aport", dir);
    snprintf(sp, sizeof sp, "%s/sport", dir);
    snprintf(cmd, sizeof cmd,
             "openssl req -x509 -newkey rsa:2048 -nodes -keyout '%s' -out '%s' -days 2 "
             "-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 > '%s' 2>&1",
             key, cert, log_);
    if (system(cmd) != 0) {
        printf("SKIPPED: openssl could not make a certificate\n");
        return t_done();
    }
    chmod(key, 0600);
    CHECK_EQ_INT(net_keygen(log_, auth, "4"), 0);
    char stf[700], otf[700], otok[65];
    snprintf(stf, sizeof stf, "%s/tokens/server.token", auth);
    snprintf(otf, sizeof otf, "%s/operator.token", srv);
    pid_t a = net_spawn(log_, (const char *[]){"authority", "serve", "--state", auth, "--listen",
                        "127.0.0.1:0", "--port-file", ap, "--cert", cert, "--key", key, NULL});
    unsigned aport = net_wait_port(ap, a);
    if (!aport) {
        uint8_t *b = NULL;
        size_t l = 0;
        if (cn_file_read_all(log_, 1 << 20, &b, &l) == CRYPTONN_OK && memmem(b, l, "without TLS", 11)) {
            printf("SKIPPED: libmicrohttpd without TLS\n");
            free(b);
            return t_done();
        }
        free(b);
        CHECK(aport != 0);
        net_print_log(log_);
        return t_done();
    }
    char base[64];
    snprintf(base, sizeof base, "https://127.0.0.1:%u", aport);
    cn_http_client_opts o = {.base = base, .cacert = cert, .timeout_s = 20};
    cn_http_client *c = NULL;
    CHECK_EQ_INT(cn_http_client_create(&c, &o), CRYPTONN_OK);
    CHECK_EQ_INT(net_call(c, "GET", "/v1/health", NULL, 0, NULL), 200);
    cn_http_client_destroy(c);
    /* without trusting the certificate, or in plain HTTP: no answer */
    cn_http_client_opts u = {.base = base, .timeout_s = 5};
    CHECK_EQ_INT(cn_http_client_create(&c, &u), CRYPTONN_OK);
    CHECK_EQ_INT(net_call(c, "GET", "/v1/health", NULL, 0, NULL), 0);
    cn_http_client_destroy(c);
    c = net_client(aport, NULL);
    CHECK(net_call(c, "GET", "/v1/health", NULL, 0, NULL) != 200);
    cn_http_client_destroy(c);

    /* the server: parameters from the HTTPS authority, HTTPS itself */
    pid_t s = net_spawn(log_, (const char *[]){"server", "serve", "--state", srv, "--listen",
                        "127.0.0.1:0", "--port-file", sp, "--authority", base, "--cacert", cert,
                        "--token-file", stf, "--cert", cert, "--key", key, NULL});
    unsigned sport = net_wait_port(sp, s);
    CHECK(sport != 0);
    net_read_token(otf, otok);
    char sbase[64];
    snprintf(sbase, sizeof sbase, "https://127.0.0.1:%u", sport);
    cn_http_client_opts so = {.base = sbase, .cacert = cert, .token = otok, .timeout_s = 20};
    CHECK_EQ_INT(cn_http_client_create(&c, &so), CRYPTONN_OK);
    CHECK_EQ_INT(net_call(c, "GET", "/v1/status", NULL, 0, NULL), 200);
    cn_http_client_destroy(c);
    char pp[700];
    snprintf(pp, sizeof pp, "%s/data/params.bin", srv);
    CHECK(net_same_file(pp, (snprintf(cmd, sizeof cmd, "%s/params.bin", auth), cmd)));
    net_stop(s, SIGTERM);
    net_stop(a, SIGTERM);
    if (t_failed) net_print_log(log_);
    return t_done();
}
