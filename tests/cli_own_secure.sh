#!/bin/sh
# Secure training on the owners' own records from the command line, in
# process: keygen --spec, encrypt --spec by two owners, train --secure with a
# model file and predict with the spec (classification and regression), and
# the refusals: a spec other than params.bin's, a record beyond the spec's
# bound (nothing complete on disk), a model that does not fit the records; a
# trained padded convolution; the owners' audit of the records after
# training, in paper mode (exact recovery) and strict mode (none exact).
NAME=cli_own_secure
. "$(dirname "$0")/clilib.sh"
BIN=$1
cd "$T" || exit 1
# 60 records of 4 features: class 1 when x0 + x1 > 0; target 3·x0 − x2 + 10
awk 'BEGIN { srand(7); print "x0,x1,x2,x3,label,y";
    for (i = 0; i < 60; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1; c = rand() * 2 - 1; d = rand();
        printf "%.3f,%.3f,%.3f,%.3f,%s,%.3f\n", a, b, c, d, (a + b > 0) ? "sick" : "well", 3 * a - c + 10 } }' >all.csv
head -n 41 all.csv >train.csv
{ head -n 1 all.csv; tail -n 20 all.csv; } >test.csv
head -n 21 train.csv >a.csv
{ head -n 1 train.csv; tail -n 20 train.csv; } >b.csv
cut -d, -f1-5 train.csv >cls.csv; cut -d, -f1-5 test.csv >cls-test.csv
cut -d, -f1-5 a.csv >cls-a.csv; cut -d, -f1-5 b.csv >cls-b.csv
cat >mlp.json <<'M'
{"name": "tiny", "output": "softmax", "loss": "ce",
 "layers": [{"type": "dense", "units": 6}, {"type": "relu"}, {"type": "dense", "units": 2}]}
M
cat >reg.json <<'M'
{"name": "tiny-reg", "output": "linear", "loss": "mse",
 "layers": [{"type": "dense", "units": 6}, {"type": "tanh"}, {"type": "dense", "units": 1}]}
M
cat >conv.json <<'M'
{"name": "conv", "input": [1, 2, 2], "output": "softmax", "loss": "ce",
 "layers": [{"type": "conv2d", "filters": 2, "kernel": 2, "padding": 1}, {"type": "flatten"},
            {"type": "dense", "units": 2}]}
M
expect 0 "describe" -- "$BIN" data describe cls.csv --label label --bound 6 --out spec.json
expect 0 "keygen --spec" -- "$BIN" keygen --state auth --mode paper --spec spec.json --batch 8
contains "$T/out" "samples.msk (4 slots)" "keygen: the samples key is as wide as a record"
K="--params auth/params.bin --owner-key auth/owner.key"
expect 0 "owner A encrypts" -- "$BIN" encrypt $K --spec spec.json --data cls-a.csv --out enc --part a
expect 0 "owner B encrypts" -- "$BIN" encrypt $K --spec spec.json --data cls-b.csv --out enc --part b
expect 0 "test set" -- "$BIN" encrypt $K --spec spec.json --data cls-test.csv --out test --test
# another spec: other features, refused before anything is written
cut -d, -f1-3,5 train.csv >three.csv
"$BIN" data describe three.csv --label label --out spec3.json 2>/dev/null
expect 1 "a spec other than params.bin's" -- "$BIN" encrypt $K --spec spec3.json --data three.csv --out enc --part c
contains "$T/err" "made for other records" "the mismatch is named"
[ ! -d enc/part-c ] && ok || bad "a refused spec left part-c"
# a record beyond the bound: named by line, no complete part
sed '5s/^[^,]*,/99,/' cls-b.csv >far.csv
expect 1 "a record beyond the bound" -- "$BIN" encrypt $K --spec spec.json --data far.csv --out enc --part far
contains "$T/err" "line 5" "the record is named by its line"
[ ! -f enc/part-far/index.bin ] && ok || bad "a refused record left a complete part"
S="--enc enc --authority auth --test-enc test --owner-key auth/owner.key --spec spec.json \
   --data cls-test.csv --epochs 3 --lr 0.1 --dlog-bits 12 --cache cache --min-support 1"
expect 0 "train --secure --model FILE" -- "$BIN" train --secure $S --model mlp.json --out m.bin \
    --report r.md --audit-records cls.csv
contains "$T/out" "secure test accuracy" "the owners score the secure predictions"
contains "$T/out" "40 encrypted samples in 6 fixed batches" "two owners' parts are trained on together"
# the audit is an attack: in paper mode the trained layer's keys span all 4
# features, so the linear solve and the LP recover every audited record
contains "$T/out" "owners' audit of that view (the first 20 records of cls.csv)" "the audit names its records"
for a in linear lp; do
    grep -Eq "^ +$a +100% +100% +0\.00 +exact" "$T/out" && ok || bad "paper mode: $a did not recover every record"
done
contains r.md "owner-side audit" "the Markdown report has the audit section"
contains r.md "Audited: the first 20 records of cls.csv" "the Markdown report names the audited records"
expect 2 "--audit-records without --spec" -- "$BIN" train --secure --enc enc --authority auth \
    --audit-records cls.csv
contains "$T/err" "audit-records needs --spec" "the missing --spec is named"
expect 0 "predict --spec" -- "$BIN" predict --model m.bin --encrypted test --authority auth \
    --owner-key auth/owner.key --spec spec.json --data cls-test.csv --dlog-bits 12 --out pred.txt
contains "$T/out" "owners' side: accuracy" "predict scores on the owners' side"
[ "$(wc -l <pred.txt)" = 20 ] && grep -qx -e sick -e well pred.txt && ok || bad "predict --out writes 20 class names"
expect 1 "a model for other records" -- "$BIN" train --secure $S --model reg.json --out m2.bin
contains "$T/err" "does not fit the encrypted records" "the misfit is named"
expect 1 "a conv over another image shape" -- "$BIN" train --secure $S --model conv.json \
    --out m3.bin
contains "$T/err" "takes 1x2x2 images, the records are 4x1x1" "the conv's shape misfit is named"
# over the records' own 4x1x1 shape a 2x2 kernel with padding 1 has most taps
# in the padding
sed 's/"input": \[1, 2, 2\], //' conv.json >conv-flat.json
expect 0 "a trained padded conv (its gradient keys leave out the padding)" -- \
    "$BIN" train --secure $S --model conv-flat.json --out m3.bin
contains "$T/out" "secure test accuracy" "the padded conv trains and is scored"
# strict mode: the authority's dense:2 reveals a 2-dimensional view of 4
# features; the audit (of the test records by default) recovers none exactly
cat >strict.json <<'M'
{"name": "tiny-strict", "output": "softmax", "loss": "ce",
 "layers": [{"type": "dense", "units": 2}, {"type": "relu"}, {"type": "dense", "units": 2}]}
M
expect 0 "keygen strict" -- "$BIN" keygen --state sauth --mode strict --spec spec.json --batch 8 \
    --first-layer dense:2
K="--params sauth/params.bin --owner-key sauth/owner.key"
expect 0 "strict encrypt" -- "$BIN" encrypt $K --spec spec.json --data cls.csv --out senc --registration reg.lreg
expect 0 "strict test set" -- "$BIN" encrypt $K --spec spec.json --data cls-test.csv --out stest --test
expect 0 "strict register" -- "$BIN" authority register --state sauth reg.lreg
expect 0 "strict train --secure" -- "$BIN" train --secure --enc senc --authority sauth --test-enc stest \
    --owner-key sauth/owner.key --spec spec.json --data cls-test.csv --model strict.json --epochs 1 \
    --dlog-bits 12 --cache cache --out sm.bin --report sr.md
contains "$T/out" "owners' audit of that view (the first 20 test records of cls-test.csv)" \
    "without --audit-records the test records are audited"
for a in linear lp; do
    grep -Eq "^ +$a +0% " "$T/out" && ok || bad "strict mode: $a recovered a record exactly"
done
contains sr.md "2 keys revealing a span of rank 2" "the audit replays the committed layer's 2 keys"
# regression: the target y, RMSE in its own units
cut -d, -f1-4,6 train.csv >reg.csv; cut -d, -f1-4,6 test.csv >reg-test.csv
expect 0 "describe a regression target" -- "$BIN" data describe reg.csv --label y --task regression --bound 6 --out rspec.json
expect 0 "keygen for regression" -- "$BIN" keygen --state rauth --mode paper --spec rspec.json --batch 8
R="--params rauth/params.bin --owner-key rauth/owner.key"
expect 0 "encrypt targets" -- "$BIN" encrypt $R --spec rspec.json --data reg.csv --out renc
expect 0 "encrypt test" -- "$BIN" encrypt $R --spec rspec.json --data reg-test.csv --out rtest --test
expect 0 "secure regression" -- "$BIN" train --secure --enc renc --authority rauth --test-enc rtest \
    --owner-key rauth/owner.key --spec rspec.json --data reg-test.csv --model reg.json \
    --epochs 3 --lr 0.05 --dlog-bits 12 --cache cache --min-support 1 --out r.bin
contains "$T/out" "secure test RMSE" "regression is scored as RMSE"
expect 0 "predict targets" -- "$BIN" predict --model r.bin --encrypted rtest --authority rauth \
    --spec rspec.json --data reg-test.csv --dlog-bits 12 --out rpred.txt
contains "$T/out" "RMSE" "predict reports the RMSE"
finish
