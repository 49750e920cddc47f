#!/bin/sh
# Bounds checked before training, and nothing half-written when training
# fails: keygen and encrypt refuse a regression target whose output error
# can never fit the server's discrete-log bound (2^36), with the arithmetic;
# train --secure refuses such a dataset before any key is issued; a secure run
# refused before its first step leaves --out as it was and writes no
# checkpoint (also when resuming), while one refused after a step keeps that
# step; train --plain takes --freeze-first-layer (and the old
# --frozen-first-layer).
NAME=cli_bounds
. "$(dirname "$0")/clilib.sh"
BIN=$1
cd "$T" || exit 1
# 48 records of 3 features, target 2a − b + 5
awk 'BEGIN { srand(3); print "a,b,c,y"; for (i = 0; i < 48; i++) { a = rand() * 2 - 1;
    b = rand() * 2 - 1; printf "%.3f,%.3f,%.3f,%.3f\n", a, b, rand(), 2 * a - b + 5 } }' >all.csv
head -n 41 all.csv >train.csv
cat >reg.json <<'M'
{"name": "reg", "output": "linear", "loss": "mse",
 "layers": [{"type": "dense", "units": 4}, {"type": "tanh"}, {"type": "dense", "units": 1}]}
M
expect 0 "describe" -- "$BIN" data describe train.csv --label y --task regression --out spec.json
# the target's bound b at fixed point 2^24: |Y − P| up to 2·⌈b·2^24⌉ against 2^36
target() { # target BOUND OUT
    sed '/"target": {/,/}/{s/"bound": [0-9.e+]*/"bound": '"$1"'/
                           s/"digits": [0-9]*/"digits": 24/}' spec.json >"$2"
}
target 3000 over.json
target 2048 edge.json
target 2049 past.json
contains over.json '"bound": 3000' "the target's bound was edited"
contains over.json '"digits": 24' "the target's digits were edited"

# 3000·2^24 = 50331648000, twice that 100663296000 > 2^36 = 68719476736
expect 2 "keygen refuses a target beyond the bound" -- \
    "$BIN" keygen --state over --mode paper --spec over.json --batch 8
contains "$T/err" \
    "over.json: label entries up to 100663296000 exceed the discrete-log bound 68719476736 (2^36)" \
    "keygen names the spec and the arithmetic"
contains "$T/err" "2·⌈bound·scale⌉ = 2·50331648000 at the target's fixed-point scale 16777216" \
    "keygen explains where the largest |Y - P| comes from"
[ ! -e over/params.bin ] && ok || bad "a refused keygen left over/params.bin"
# 2048·2^24 = 2^35: the output error reaches 2^36 exactly, which still fits
expect 0 "keygen accepts a target exactly at the bound" -- \
    "$BIN" keygen --state edge --mode paper --spec edge.json --batch 8
expect 2 "keygen refuses a target just past the bound" -- \
    "$BIN" keygen --state past --mode paper --spec past.json --batch 8
contains "$T/err" "label entries up to 68753031168 exceed" "2·⌈2049·2^24⌉ is named"

expect 0 "keygen" -- "$BIN" keygen --state auth --mode paper --spec spec.json --batch 8
K="--params auth/params.bin --owner-key auth/owner.key"
expect 2 "encrypt refuses a target beyond the bound" -- \
    "$BIN" encrypt $K --spec over.json --data train.csv --out over-enc
contains "$T/err" "label entries up to 100663296000 exceed" "encrypt gives the arithmetic"
[ ! -e over-enc ] && ok || bad "a refused encrypt left over-enc"
expect 0 "encrypt" -- "$BIN" encrypt $K --spec spec.json --data train.csv --out enc

# A params.bin already beyond the bound (MNIST labels one-hot × 2^40, from
# tiny IDX files): refused when the model is fitted, before any key request.
mkdir idx
I=idx/train-images-idx3-ubyte
printf '\000\000\010\003\000\000\000\010\000\000\000\034\000\000\000\034' >$I
head -c 6272 /dev/zero >>$I
printf '\000\000\010\001\000\000\000\010\000\001\002\003\004\005\006\007' \
    >idx/train-labels-idx1-ubyte
expect 0 "keygen --label-bits 40" -- \
    "$BIN" keygen --state big --mode paper --batch 8 --label-bits 40
expect 0 "encrypt under it" -- \
    "$BIN" encrypt --params big/params.bin --owner-key big/owner.key --data idx --out big-enc
echo previous >big.bin
expect 1 "train refuses labels beyond the bound" -- "$BIN" train --secure --enc big-enc \
    --authority big --model mlp --hidden 4 --out big.bin --report big.md --cache cache \
    --dlog-bits 10
contains "$T/err" "label entries up to 1099511627776 exceed the discrete-log bound 68719476736" \
    "train gives the arithmetic"
expect 0 "export the issued keys" -- "$BIN" authority export-keys --state big --out big-keys
contains "$T/out" "big-keys: 0 key vectors" "no key was issued before the refusal"
[ "$(cat big.bin)" = previous ] && ok || bad "the refused run changed --out"
[ ! -e big.bin.ckpt ] && [ ! -e big.md ] && ok || bad "the refused run wrote a checkpoint or report"

S="--enc enc --authority auth --model reg.json --epochs 1 --cache cache --dlog-bits 10"
# refused at the first forward key (3 non-zeros < 100): no step completed
echo previous >kept.bin
expect 1 "a run refused at batch 1" -- "$BIN" train --secure $S --min-support 100 --out kept.bin
contains "$T/err" "minimum is 100 (--min-support)" "the refusal is named"
contains "$T/err" "no training step completed: kept.bin and kept.bin.ckpt were not written" \
    "the message says nothing was written"
[ "$(cat kept.bin)" = previous ] && ok || bad "a run refused at batch 1 replaced --out"
[ ! -e kept.bin.ckpt ] && ok || bad "a run refused at batch 1 wrote a checkpoint"
expect 1 "the same without a previous --out" -- \
    "$BIN" train --secure $S --min-support 100 --out fresh.bin
[ ! -e fresh.bin ] && [ ! -e fresh.bin.ckpt ] && ok || bad "a run refused at batch 1 created --out"

# a rank budget of 12 lets batch 1's 12 gradient keys (4 units × 3 inputs)
# through and refuses batch 2's: one step completed, kept
echo previous >step.bin
expect 1 "a run refused at batch 2" -- "$BIN" train --secure $S --max-rank 12 --out step.bin
contains "$T/err" "checkpoint of the last completed step saved to step.bin.ckpt" \
    "the checkpoint of the completed step is named"
[ "$(cat step.bin)" != previous ] && ok || bad "the completed step was not saved to --out"
[ -s step.bin.ckpt ] && ok || bad "the completed step has no checkpoint"
cp step.bin.ckpt ckpt.before
# resumed under the same budget: refused at its first batch, nothing written
echo previous >resumed.bin
expect 1 "a resumed run refused at its first batch" -- "$BIN" train --secure $S --max-rank 12 \
    --resume step.bin.ckpt --out resumed.bin
contains "$T/out" "resuming at epoch 1, batch 1" "the run resumed after the completed step"
contains "$T/err" "no training step completed" "the resumed run says nothing was written"
[ "$(cat resumed.bin)" = previous ] && ok || bad "a refused resumed run replaced --out"
[ ! -e resumed.bin.ckpt ] && ok || bad "a refused resumed run wrote a checkpoint"
cmp -s step.bin.ckpt ckpt.before && ok || bad "a refused resumed run changed its checkpoint"

# train --plain: --freeze-first-layer, in --help once, the old spelling an alias
expect 0 "train --help" -- "$BIN" train --help
[ "$(grep -c -- '--freeze-first-layer' "$T/out")" = 1 ] && ok ||
    bad "--freeze-first-layer not in train --help once"
grep -q -- '--frozen-first-layer' "$T/out" && bad "the alias is shown in --help" || ok
P="--model reg.json --spec spec.json --data train.csv --epochs 2 --batch 8 --lr 0.1"
expect 0 "train --plain --freeze-first-layer" -- \
    "$BIN" train --plain $P --freeze-first-layer --out f.bin
expect 0 "train --plain --frozen-first-layer" -- \
    "$BIN" train --plain $P --frozen-first-layer --out g.bin
expect 0 "train --plain, first layer trained" -- "$BIN" train --plain $P --out h.bin
cmp -s f.bin g.bin && ok || bad "--freeze-first-layer and --frozen-first-layer train differently"
cmp -s f.bin h.bin && bad "--freeze-first-layer changed nothing" || ok
finish
