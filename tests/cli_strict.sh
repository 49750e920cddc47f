#!/bin/sh
# Strict mode end to end from the command line: keygen --mode strict commits
# a first layer, an owner encrypts (no batch ciphertexts) and registers its
# labels through a registration file, the server trains and predicts, and
# the authority's key log holds exactly the committed layer's keys: its
# export equals the layer and nothing else was issued under the samples mpk.
NAME=cli_strict
BIN=$1
. "$(dirname "$0")/clilib.sh"
D=${CRYPTONN_SOURCE_DIR:-$(dirname "$0")/..}/data/mnist
[ -f "$D/train-images-idx3-ubyte" ] || { echo "SKIPPED: no MNIST in $D"; exit 0; }

expect 0 "strict keygen" -- "$BIN" keygen --state "$T/auth" --batch 16 --owners "$T/own" \
    --first-layer conv:1x5s2 --layer-seed 3
contains "$T/out" "committed first layer conv:1x5s2 (144 keys" "keygen names the committed layer"
expect 2 "a bad first-layer spec is refused" -- "$BIN" keygen --state "$T/x" --first-layer conv:0x5
expect 2 "paper mode takes no layer" -- "$BIN" keygen --state "$T/x" --mode paper --first-layer dense:8
expect 0 "encrypt (training)" -- "$BIN" encrypt --data "$D" --params "$T/own/params.bin" \
    --owner-key "$T/own/owner.key" --out "$T/enc" --limit 96 --registration "$T/reg.lreg"
[ -e "$T/enc/part-main/batch-000000.bin" ] && ok || bad "no batch file"
expect 0 "encrypt (test)" -- "$BIN" encrypt --test --data "$D" --params "$T/own/params.bin" \
    --owner-key "$T/own/owner.key" --out "$T/test" --limit 48
# before the registration reaches the authority, label keys are refused
expect 1 "training before registration" -- "$BIN" train --secure --enc "$T/enc" \
    --authority "$T/auth" --epochs 1 --out "$T/m0.bin" --report "$T/r0.md" --dlog-bits 16
contains "$T/err" "not registered" "the refusal names the missing registration"
expect 0 "authority register" -- "$BIN" authority register --state "$T/auth" "$T/reg.lreg"
contains "$T/out" "960 new label ciphertexts registered" "every label ciphertext registered"
expect 1 "a truncated registration" -- sh -c "head -c 100 '$T/reg.lreg' > '$T/bad.lreg' &&
    '$BIN' authority register --state '$T/auth' '$T/bad.lreg'"
expect 0 "strict training" -- "$BIN" train --secure --enc "$T/enc" --authority "$T/auth" \
    --test-enc "$T/test" --owner-key "$T/own/owner.key" --data "$D" --test-limit 48 \
    --epochs 2 --out "$T/m.bin" --report "$T/r.md" --dlog-bits 16
contains "$T/out" "strict mode: first layer = the authority's committed conv:1x5s2" "model carries the layer"
contains "$T/r.md" "| samples | 784 | 144 | 288 | 0 |" "the committed keys, issued once per run, nothing refused"
contains "$T/r.md" "does not exist in strict mode" "no batch mpk"
contains "$T/r.md" "owner-side audit" "the report carries the owners' audit"
expect 0 "secure prediction" -- "$BIN" predict --model "$T/m.bin" --encrypted "$T/test" \
    --authority "$T/auth" --owner-key "$T/own/owner.key" --data "$D" --dlog-bits 16
contains "$T/out" "accuracy" "prediction scored by the owners"
expect 0 "export-keys" -- "$BIN" authority export-keys --state "$T/auth" --out "$T/keys.kexp"
contains "$T/out" "144 key vectors (strict mode)" "the export is the committed layer"
# the log: committed keys only, never a refusal of the server's own requests
grep "issued samples" "$T/auth/keys.log" | grep -v "committed layer" >"$T/other"
[ -s "$T/other" ] && bad "the key log holds samples keys outside the committed layer" || ok
expect 2 "train refuses a non-numeric policy flag" -- "$BIN" train --secure --enc "$T/enc" \
    --authority "$T/auth" --report "$T/r1.md" --min-support x
finish
