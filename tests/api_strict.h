/* A strict-mode run's starting point for the public-API tests
 * (test_api_dist.c, test_api_run.c): an authority in DIR/auth with a seeded
 * committed layer, batches of 8, and n of api_records' records encrypted in
 * DIR/enc and registered. Header-only: each test is its own executable. */
#ifndef CRYPTONN_TESTS_API_STRICT_H
#define CRYPTONN_TESTS_API_STRICT_H

#include <stdio.h>

#include "api_records.h"

static int api_strict_setup(const char *dir, const char *layer, uint32_t n, uint64_t *added)
{
    char auth[600], enc[600], params[700], okey[700], reg[700], msg[512] = "";
    snprintf(auth, sizeof auth, "%s/auth", dir);
    snprintf(enc, sizeof enc, "%s/enc", dir);
    snprintf(params, sizeof params, "%s/params.bin", auth);
    snprintf(okey, sizeof okey, "%s/owner.key", auth);
    snprintf(reg, sizeof reg, "%s/owner.lreg", enc);
    cryptonn_setup_opts so;
    cryptonn_setup_opts_default(&so);
    so.first_layer = layer;
    so.layer_seeded = 1;
    so.layer_seed = 7;
    so.batch = 8;
    int rc = cryptonn_authority_setup(auth, &so, msg, sizeof msg);
    cryptonn_owner *ow = NULL;
    if (rc == CRYPTONN_OK) rc = cryptonn_owner_open(&ow, params, okey);
    cryptonn_dataset tr = {0};
    api_records(&tr, n);
    if (rc == CRYPTONN_OK) rc = cryptonn_owner_encrypt(ow, enc, &tr, NULL, NULL, msg, sizeof msg);
    if (rc == CRYPTONN_OK) rc = cryptonn_authority_register_in(auth, reg, added, msg, sizeof msg);
    if (rc != CRYPTONN_OK) fprintf(stderr, "setup: %s: %s\n", cryptonn_status_str(rc), msg);
    cryptonn_owner_close(ow);
    cryptonn_dataset_free(&tr);
    return rc;
}

#endif
