/* The bench subcommand of cryptonn_cli_public (CMakeLists.txt): the
 * benchmarks call internal functions, so the build that links the commands
 * against libcryptonn.so alone goes without them. */
#include <stdio.h>

#include "cli/commands.h"

int cli_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "cryptonn bench: not in this build (it links the public library only)\n");
    return 2;
}
