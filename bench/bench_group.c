#include "bench.h"
int bench_group(int argc, char **argv, const bench_opts *o)
{
    (void)argc; (void)argv; (void)o;
    fprintf(stderr, "cryptonn bench group: not built yet\n");
    return 1;
}
