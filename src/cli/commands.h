/* cli: one file per subcommand, each `int cli_NAME(int argc, char **argv)`
 * returning the process exit status (0 ok, 1 failure, 2 usage error). */
#ifndef CRYPTONN_CLI_COMMANDS_H
#define CRYPTONN_CLI_COMMANDS_H

int cli_bench(int argc, char **argv);
int cli_keygen(int argc, char **argv);
int cli_encrypt(int argc, char **argv);
int cli_train(int argc, char **argv);
int cli_evaluate(int argc, char **argv);
int cli_smc(int argc, char **argv);
int cli_fe(int argc, char **argv);
int cli_train_secure(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_demo(int argc, char **argv);
/* the owners' own data and models (cmd_data.c, cmd_model.c) */
int cli_data(int argc, char **argv);
int cli_model(int argc, char **argv);
int cli_audit(int argc, char **argv);
/* the networked roles (cmd_authority.c, cmd_server.c, cmd_client.c) */
int cli_authority(int argc, char **argv);
int cli_server(int argc, char **argv);
int cli_client(int argc, char **argv);

/* Prints "cryptonn: <what>: <status text>" to stderr and returns 1. */
int cli_fail(const char *what, int status);
/* Returns a failing status from the enclosing function. */
#define CLI_TRY(expr)                                                          \
    do {                                                                       \
        int cli_try_rc_ = (expr);                                              \
        if (cli_try_rc_ != CRYPTONN_OK) return cli_try_rc_;                    \
    } while (0)

#endif
