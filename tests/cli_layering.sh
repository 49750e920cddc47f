#!/bin/sh
# Layering (STYLE.md): a layer of src/ includes only the layers below it and
# the public headers; the command-line tool includes only the public headers
# (include/cryptonn/) and its own (src/cli/), except the files listed in
# CLI_INTERNAL below, which still reach internal headers (each names what it
# waits for). A new internal include anywhere else fails this test.
set -u
src=$(dirname "$0")/../src
order="util group dlog scheme nn secure protocol audit cli"
# Commands not yet on the public API: encryption of spec records and
# under mpirun (cmd_encrypt),
# the in-process secure run with its MPI ranks and report (secure_run,
# train_dist, cmd_demo) and the spec-to-params helper (datamodel.h).
CLI_INTERNAL="cmd_demo.c cmd_encrypt.c
secure_run.c secure_run.h train_dist.c datamodel.h"
fail=0
below=""
for layer in $order; do
    for f in "$src/$layer"/*.c "$src/$layer"/*.h; do
        [ -e "$f" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z_0-9]*\)\/.*/\1/p' "$f" | sort -u); do
            case " cryptonn $layer $below " in
            *" $inc "*) ;;
            *) echo "layering: ${f#$src/} includes $inc/ (above $layer)"; fail=1 ;;
            esac
        done
        if [ "$layer" = cli ]; then
            base=$(basename "$f")
            case " $(echo $CLI_INTERNAL) " in *" $base "*) continue ;; esac
            bad=$(grep -n '^#include "' "$f" | grep -v '"cryptonn/\|"cli/') && {
                echo "layering: src/cli/$base includes internal headers:"; echo "$bad"; fail=1; }
        fi
    done
    below="$below $layer"
done
# The exemption list must not outlive its files' internal includes.
for base in $CLI_INTERNAL; do
    f="$src/cli/$base"
    [ -e "$f" ] || { echo "layering: $base is exempted but does not exist"; fail=1; continue; }
    grep -q '^#include "\(util\|group\|dlog\|scheme\|nn\|secure\|audit\|protocol\)/' "$f" ||
        { echo "layering: $base uses only public headers now: remove it from CLI_INTERNAL"; fail=1; }
done
[ $fail = 0 ] && echo "cli_layering: every layer includes only lower layers; the CLI only public headers outside CLI_INTERNAL"
exit $fail
