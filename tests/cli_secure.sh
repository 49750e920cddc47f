#!/bin/sh
# The secure workflow through the command line, on tiny synthetic IDX files:
# keygen, encrypt (two owners), train --secure stopped by a rank budget (clear
# message, checkpoint kept), a full run with report and leakage, predict with
# owner-side scoring, and clean errors for bad input.
set -u
BIN=${1:?usage: cli_secure.sh path/to/cryptonn}
NAME=cli_secure
. "$(dirname "$0")/clilib.sh"
# IDX files: N images of 28x28 (class blobs + noise) and their labels.
mkidx() { # mkidx DIR PREFIX N
    python3 - "$1" "$2" "$3" <<'PY'
import os, random, struct, sys
d, prefix, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
os.makedirs(d, exist_ok=True)
rng = random.Random(7)
labels = [i % 10 for i in range(n)]
with open(f"{d}/{prefix}-images-idx3-ubyte", "wb") as f:
    f.write(struct.pack(">IIII", 0x803, n, 28, 28))
    for y in labels:
        f.write(bytes(200 if abs(r - 6 - 2 * y) < 4 and abs(c - 14) < 6 else rng.randrange(30)
                      for r in range(28) for c in range(28)))
with open(f"{d}/{prefix}-labels-idx1-ubyte", "wb") as f:
    f.write(struct.pack(">II", 0x801, n) + bytes(labels))
PY
}
mkidx "$T/data" train 24
mkidx "$T/data" t10k 8

for c in keygen encrypt train predict demo evaluate bench; do
    expect 0 "$c --help" -- "$BIN" $c --help
done
expect 2 "unknown command" -- "$BIN" no-such-command
expect 2 "unknown option" -- "$BIN" train --secure --no-such-option

expect 0 keygen -- "$BIN" keygen --mode paper --state "$T/auth" --batch 8 --owners "$T/owners"
expect 1 "keygen refuses to overwrite keys" -- "$BIN" keygen --state "$T/auth" --batch 8
[ "$(stat -c %a "$T/owners/owner.key")" = 600 ] && ok || bad "owner.key is not 0600"

P="--params $T/owners/params.bin --owner-key $T/owners/owner.key --data $T/data"
expect 0 "encrypt owner A" -- "$BIN" encrypt $P --out "$T/enc" --part a --limit 16
expect 0 "encrypt owner B" -- "$BIN" encrypt $P --out "$T/enc" --part b --offset 16 --limit 8
expect 0 "encrypt test" -- "$BIN" encrypt $P --out "$T/enctest" --test

S="--enc $T/enc --authority $T/auth --dlog-bits 12 --cache $T --epochs 1"
# A rank budget that conv1's gradient keys (150 a batch) pass for five steps
# and exceed at the sixth: a clear refusal, and the checkpoint of the fifth is there.
expect 1 "budget stops training" -- "$BIN" train --secure $S --epochs 2 --max-rank 784 \
    --out "$T/m0.bin" --report "$T/r0.md"
contains "$T/err" "max-rank" "budget message names the policy"
contains "$T/err" "checkpoint" "budget message names the checkpoint"
[ -s "$T/m0.bin" ] && ok || bad "no model file after the budget stop"
[ -s "$T/m0.bin.ckpt" ] && ok || bad "no checkpoint after the budget stop"
expect 0 "resume from the checkpoint" -- "$BIN" train --secure $S --epochs 2 \
    --resume "$T/m0.bin.ckpt" --out "$T/m1.bin" --report "$T/r1.md"
contains "$T/out" "resuming at epoch 2, batch 2" "resume reports its position"
expect 1 "a damaged checkpoint is refused" -- sh -c "head -c 100 '$T/m0.bin.ckpt' > '$T/bad.ckpt' && \
    '$BIN' train --secure $S --resume '$T/bad.ckpt' --out '$T/m3.bin'"
expect 0 "evaluate reads the checkpoint" -- "$BIN" evaluate "$T/m0.bin" --data "$T/data"

expect 0 "secure training" -- "$BIN" train --secure $S --out "$T/m.bin" --report "$T/r.md" \
    --log "$T/log.csv" --test-enc "$T/enctest" --owner-key "$T/owners/owner.key" --data "$T/data"
contains "$T/out" "secure test accuracy" "per-epoch secure test accuracy"
contains "$T/r.md" "What the server learned" "report has the leakage section"
contains "$T/r.md" "| samples | 784 | 784 |" "report: conv1 keys reach full rank"
contains "$T/out" "24 encrypted samples" "both owners' parts are trained on"
[ "$(wc -l <"$T/log.csv")" = 2 ] && ok || bad "CSV log should have a header and one epoch"

expect 0 predict -- "$BIN" predict --model "$T/m.bin" --encrypted "$T/enctest" --authority "$T/auth" \
    --owner-key "$T/owners/owner.key" --data "$T/data" --dlog-bits 12 --cache "$T" --out "$T/pred.txt"
contains "$T/out" "owners' side: accuracy" "predict scores on the owners' side"
[ "$(wc -l <"$T/pred.txt")" = 8 ] && ok || bad "one prediction per test sample"

# A frozen one-filter conv1 (the narrowed first layer): its 576 keys, shifts of
# one generic 5x5 filter, are linearly independent (each has its own top-left
# pixel), so the authority's exact rank is 576 of 784, and it stays there:
# no gradient keys.
expect 0 "keygen for the frozen run" -- "$BIN" keygen --mode paper --state "$T/authf" --batch 8
expect 0 "encrypt for the frozen run" -- "$BIN" encrypt --params "$T/authf/params.bin" \
    --owner-key "$T/authf/owner.key" --data "$T/data" --out "$T/encf" --limit 16
expect 0 "frozen narrowed conv1" -- "$BIN" train --secure --enc "$T/encf" --authority "$T/authf" \
    --dlog-bits 12 --cache "$T" --epochs 2 --freeze-first-layer --conv1-filters 1 \
    --out "$T/mf.bin" --report "$T/rf.md"
contains "$T/rf.md" "| samples | 784 | 576 |" "frozen 1-filter conv1 reveals rank 576"
contains "$T/rf.md" "| batch-gradient | 6272 | ≤ 0 | 0 |" "no gradient keys when frozen"
contains "$T/rf.md" "rank 576 of 784." "the prose states the bounded rank"

# Bad input: a corrupted batch file and a foreign params file are refused cleanly.
f=$(ls "$T"/enc/part-a/batch-* | head -1)
cp "$f" "$T/keep"
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
expect 1 "corrupted batch refused" -- "$BIN" train --secure $S --out "$T/m2.bin" --report "$T/r2.md"
contains "$T/err" "checksum" "the error names the corruption"
cp "$T/keep" "$f"
expect 1 "missing authority state" -- "$BIN" train --secure --enc "$T/enc" --authority "$T/nope"

finish
