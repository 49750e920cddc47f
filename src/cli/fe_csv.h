/* CSV matrices for the FE commands (cmd_smc.c, cmd_fe.c). */
#ifndef CRYPTONN_CLI_FE_CSV_H
#define CRYPTONN_CLI_FE_CSV_H

#include <stddef.h>

/* Reads a CSV of numbers (commas, semicolons or blanks between entries, one
 * row per line, '#' starts a comment); every row the same length. On success
 * *out is malloc'd rows×cols, row-major. Prints what is wrong on stderr. */
int cli_read_matrix(const char *path, double **out, size_t *rows, size_t *cols);

#endif
