/* The key authority's role through the installed library: set up a strict
 * authority whose first layer it draws itself, open it with a policy, and
 * show what a server could hold: the committed layer, the key vectors the
 * owners' audit replays, and the leakage report. Exits non-zero when a figure
 * is not what the protocol defines.
 *   cc authority.c $(pkg-config --cflags --libs cryptonn) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cryptonn/cryptonn.h>

int main(void)
{
    if (cryptonn_init() != CRYPTONN_OK) return 1;
    char dir[] = "/tmp/cryptonn-authority-XXXXXX", state[64], keys[80], msg[256];
    if (!mkdtemp(dir)) return 1;
    snprintf(state, sizeof state, "%s/state", dir);
    snprintf(keys, sizeof keys, "%s/keys.kexp", dir);

    cryptonn_setup_opts o;
    cryptonn_setup_opts_default(&o);   /* strict mode */
    o.first_layer = "conv:2x5s2";      /* 2 filters of 5x5, stride 2, over 28x28 */
    if (cryptonn_authority_setup(state, &o, msg, sizeof msg) != CRYPTONN_OK) {
        fprintf(stderr, "setup: %s\n", msg);
        return 1;
    }
    cryptonn_policy pol;
    cryptonn_policy_default(&pol);
    pol.label_uses = 3; /* three epochs of label keys per registered ciphertext */
    cryptonn_authority *a = NULL;
    if (cryptonn_authority_open(&a, state, &pol) != CRYPTONN_OK) return 1;

    cryptonn_layer_desc l;
    int ok = cryptonn_authority_layer(a, &l) == CRYPTONN_OK;
    /* 2 filters at 12x12 positions: one key vector each */
    ok = ok && !strcmp(l.spec, "conv:2x5s2") && l.keys == 2 * 12 * 12;
    printf("strict authority in %s: committed %s, %llu keys, commitment %s\n", state, l.spec,
           (unsigned long long)l.keys, l.commit);

    uint64_t n = 0;
    ok = ok && cryptonn_authority_export_keys(a, keys, &n) == CRYPTONN_OK && n == l.keys;
    cryptonn_keycount kc[3];
    cryptonn_authority_counts(a, kc);
    ok = ok && kc[1].width == 0 && kc[0].keys_issued == 0; /* no gradient key exists in strict mode */

    char *report = NULL;
    ok = ok && cryptonn_authority_report(a, &report) == CRYPTONN_OK && strstr(report, l.commit);
    if (report) printf("%.400s...\n", report);
    cryptonn_free(report);
    cryptonn_authority_close(a);
    printf("authority example: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
