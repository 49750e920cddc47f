#!/bin/sh
# Layering (STYLE.md): a layer of src/ includes only the layers below it and
# the public headers; the command-line tool includes only the public headers
# (include/cryptonn/) and its own (src/cli/).
set -u
src=$(dirname "$0")/../src
order="util group dlog scheme nn secure protocol audit cli"
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
            bad=$(grep -n '^#include "' "$f" | grep -v '"cryptonn/\|"cli/') && {
                echo "layering: src/cli/$base includes internal headers:"; echo "$bad"; fail=1; }
        fi
    done
    below="$below $layer"
done
[ $fail = 0 ] && echo "cli_layering: every layer includes only lower layers; the CLI only public headers"
exit $fail
