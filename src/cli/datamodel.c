/* cli: the owners' files, errors printed (datamodel.h). */
#include <stdio.h>

#include "cli/datamodel.h"

int cli_spec_read(const char *cmd, const char *path, cryptonn_data_spec *s)
{
    char msg[512] = "";
    int rc = cryptonn_spec_read(path, s, msg, sizeof msg);
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn %s: %s\n", cmd, msg);
    return rc;
}

int cli_model_file(const char *cmd, const char *path, const cryptonn_data_spec *spec,
                   cryptonn_model_config *cfg)
{
    char msg[512] = "";
    int rc = cryptonn_model_config_read(path, cfg, msg, sizeof msg);
    if (rc != CRYPTONN_OK) {
        fprintf(stderr, "cryptonn %s: %s\n", cmd, msg);
    } else if (spec) {
        if ((rc = cryptonn_spec_fit_model(spec, cfg, msg, sizeof msg)) != CRYPTONN_OK)
            fprintf(stderr, "cryptonn %s: %s does not fit the data spec: %s\n", cmd, path, msg);
    } else if (!cfg->in_c) {
        fprintf(stderr, "cryptonn %s: %s gives no \"input\" shape: pass --spec\n", cmd, path);
        rc = CRYPTONN_ERR_ARG;
    }
    return rc;
}

static int records_load(const char *cmd, const cryptonn_data_spec *spec, const char *path,
                        const char *labels_path, int labels_optional, cryptonn_records *r)
{
    char msg[512] = "";
    int rc = labels_optional
                 ? cryptonn_spec_load_unlabeled(spec, path, labels_path, r, msg, sizeof msg)
                 : cryptonn_spec_load(spec, path, labels_path, r, msg, sizeof msg);
    if (rc != CRYPTONN_OK) fprintf(stderr, "cryptonn %s: %s\n", cmd, msg);
    return rc;
}

int cli_records_load(const char *cmd, const cryptonn_data_spec *spec, const char *path,
                     const char *labels_path, cryptonn_records *r)
{
    return records_load(cmd, spec, path, labels_path, 0, r);
}

int cli_records_load_unlabeled(const char *cmd, const cryptonn_data_spec *spec, const char *path,
                               const char *labels_path, cryptonn_records *r)
{
    return records_load(cmd, spec, path, labels_path, 1, r);
}
