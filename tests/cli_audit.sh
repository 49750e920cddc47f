#!/bin/sh
# `cryptonn audit` through the command line: a what-if strict layer audited
# on MNIST (LP exact under a 1-filter conv, JSON of the documented shape, a
# PNG), and clear errors for bad options, an unreadable or foreign export and
# data of the wrong shape. Skips (passing) without data/mnist.
set -u
BIN=${1:?usage: cli_audit.sh path/to/cryptonn}
NAME=cli_audit
. "$(dirname "$0")/clilib.sh"
MNIST="$(dirname "$0")/../data/mnist"
expect 0 "help" -- "$BIN" audit --help
contains "$T/out" "--picture" "help lists --picture"
expect 2 "no keys" -- "$BIN" audit --layer conv:1x5 --keys x.kexp
expect 2 "export without params" -- "$BIN" audit --keys x.kexp
expect 2 "bad attack name" -- "$BIN" audit --layer dense:16 --attacks linear,magic
contains "$T/err" "--attacks expects" "bad attack named"
expect 2 "non-numeric samples" -- "$BIN" audit --layer dense:16 --samples 1x

if [ ! -f "$MNIST/train-images-idx3-ubyte" ]; then
    echo "SKIPPED the MNIST part of cli_audit: $MNIST missing (run tools/fetch-mnist)"
    finish
fi

expect 0 "conv1 LP audit" -- "$BIN" audit --data "$MNIST" --layer conv:1x5 --samples 4 \
    --aux-limit 300 --attacks linear,lp --json --quiet --picture "$T/a.png"
contains "$T/out" '"records": 4' "JSON records"
contains "$T/out" '"name": "lp", "exact_fraction": 1,' "LP exact on every record"
contains "$T/out" '"reference_accuracy": ' "JSON reference accuracy"
python3 -c "import json,sys; j=json.load(open(sys.argv[1])); assert [a['name'] for a in j['attacks']] == ['linear','lp']" "$T/out" \
    && ok || bad "JSON does not parse or lacks the attacks"
if [ "$(head -c 8 "$T/a.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ]; then ok; else bad "picture is not a PNG"; fi

expect 0 "text table" -- "$BIN" audit --data "$MNIST" --layer dense:16 --samples 3 \
    --aux-limit 200 --attacks linear --quiet
contains "$T/out" "linear" "table row"

printf 'CRYPTONNKEXP' >"$T/bad.kexp"
"$BIN" keygen --state "$T/auth" --batch 1 >/dev/null 2>&1 || bad "keygen"
expect 1 "truncated export" -- "$BIN" audit --data "$MNIST" --keys "$T/bad.kexp" \
    --params "$T/auth/params.bin" --samples 2 --aux-limit 100
contains "$T/err" "not a usable key export: truncated" "truncated export named"
python3 - "$T" <<'PY'
import struct, sys
with open(sys.argv[1] + "/small-images", "wb") as f:
    f.write(struct.pack(">IIII", 0x803, 5, 10, 10) + bytes(500))
with open(sys.argv[1] + "/small-labels", "wb") as f:
    f.write(struct.pack(">II", 0x801, 5) + bytes(5))
PY
expect 1 "auxiliary data of the wrong shape" -- "$BIN" audit --data "$MNIST" --layer conv:1x5 \
    --samples 2 --aux-images "$T/small-images" --aux-labels "$T/small-labels"
contains "$T/err" "auxiliary records are 10x10 but the keys are over 1x28x28" "shape named"
expect 1 "missing records" -- "$BIN" audit --layer dense:16 --images "$T/none" --labels "$T/none"
contains "$T/err" "records data" "missing file named"
finish
