#!/bin/sh
# The owners score the server's predictions record by record, so the records
# they give (--spec, --data) must be the encrypted test set's: predict and
# train --secure refuse another task (both ways), another class count and
# another record count, naming both sides, before any key is asked for and
# with nothing written (an existing --out keeps its content); MNIST's labels
# (--data without --spec) likewise; the matching records still score.
NAME=cli_own_mismatch
. "$(dirname "$0")/clilib.sh"
BIN=$1
cd "$T" || exit 1
# 60 records of 4 features: class 1 when x0 + x1 > 0, a third class when
# x3 > 0.5; target 3·x0 − x2 + 10
awk 'BEGIN { srand(11); print "x0,x1,x2,x3,label,y,three";
    for (i = 0; i < 60; i++) { a = rand() * 2 - 1; b = rand() * 2 - 1; c = rand() * 2 - 1; d = rand();
        k = (a + b > 0) ? "sick" : "well";
        printf "%.3f,%.3f,%.3f,%.3f,%s,%.3f,%s\n", a, b, c, d, k, 3 * a - c + 10, (d > 0.5) ? "odd" : k } }' >all.csv
head -n 41 all.csv >train.csv
{ head -n 1 all.csv; tail -n 20 all.csv; } >test.csv
cut -d, -f1-5 train.csv >cls.csv; cut -d, -f1-5 test.csv >cls-test.csv
cut -d, -f1-4,6 train.csv >reg.csv; cut -d, -f1-4,6 test.csv >reg-test.csv
cut -d, -f1-4,7 test.csv >three-test.csv
cat >mlp.json <<'M'
{"name": "tiny", "output": "softmax", "loss": "ce",
 "layers": [{"type": "dense", "units": 4}, {"type": "relu"}, {"type": "dense", "units": 2}]}
M
cat >lin.json <<'M'
{"name": "tiny-reg", "output": "linear", "loss": "mse",
 "layers": [{"type": "dense", "units": 4}, {"type": "tanh"}, {"type": "dense", "units": 1}]}
M
"$BIN" data describe cls.csv --label label --bound 6 --out spec.json 2>/dev/null
"$BIN" data describe reg.csv --label y --task regression --bound 6 --out rspec.json 2>/dev/null
"$BIN" data describe three-test.csv --label three --bound 6 --out spec3.json 2>/dev/null
tr -d ' \n' <spec3.json | grep -q '"classes":\["odd","sick","well"\]' && ok ||
    bad "the three-class spec has 3 classes"
for s in c r; do
    sp=spec.json; data=cls; [ $s = r ] && sp=rspec.json && data=reg
    expect 0 "keygen $s" -- "$BIN" keygen --state $s-auth --mode paper --spec $sp --batch 8
    K="--params $s-auth/params.bin --owner-key $s-auth/owner.key --spec $sp"
    expect 0 "encrypt $s" -- "$BIN" encrypt $K --data $data.csv --out $s-enc
    expect 0 "encrypt $s test" -- "$BIN" encrypt $K --data $data-test.csv --out $s-test --test
done
C="--dlog-bits 12 --cache cache"
# train --secure: a tiny run; with MODEL and the records to score against
train() { # train SET MODEL SPEC RECORDS
    "$BIN" train --secure --enc $1-enc --authority $1-auth --test-enc $1-test \
        --owner-key $1-auth/owner.key --model $2 --spec $3 --data $4 --epochs 1 --max-batches 1 \
        --audit 0 --min-support 1 $C --out m.bin --report r.md
}
predict() { # predict SET SPEC RECORDS
    "$BIN" predict --model $1.bin --encrypted $1-test --authority $1-auth \
        --owner-key $1-auth/owner.key --spec $2 --data $3 $C --out pred.txt
}
# the matching records score, and give the models the refusals are tried on
expect 0 "train --secure, classes" -- train c mlp.json spec.json cls-test.csv
contains "$T/out" "secure test accuracy" "the owners score the test set"
cp m.bin c.bin
expect 0 "train --secure, regression" -- train r lin.json rspec.json reg-test.csv
contains "$T/out" "secure test RMSE" "the owners score the targets"
cp m.bin r.bin
expect 0 "predict, classes" -- predict c spec.json cls-test.csv
contains "$T/out" "accuracy .* on 20 samples" "predict scores the 20 records"
[ "$(wc -l <pred.txt)" = 20 ] && ok || bad "predict --out writes 20 predictions"
expect 0 "predict, regression" -- predict r rspec.json reg-test.csv
contains "$T/out" "RMSE .* on 20 samples" "predict scores the 20 targets"
# the refusals: exit 1, both sides named, no key asked for, nothing written
keep() { echo keep >pred.txt; cp pred.txt m.bin; rm -f m.bin.ckpt r.md; }
refused() { # refused WHAT MESSAGE: after expect, for predict and train --secure
    contains "$T/err" "$2" "$1: the mismatch is named"
    grep -q "secure prediction\|fixed batches" "$T/out" && bad "$1: the server ran" || ok
    [ "$(cat pred.txt)" = keep ] && ok || bad "$1: predict's --out was written"
    [ "$(cat m.bin)" = keep ] && ok || bad "$1: train's --out (the model file) was written"
    [ ! -e m.bin.ckpt ] && [ ! -e r.md ] && ok || bad "$1: a checkpoint or report was written"
    keep
}
keep
TASK_C="the encrypted test set c-test is classification with 2 classes, the spec rspec.json's task is regression"
TASK_R="the encrypted test set r-test is a regression target, the spec spec.json's task is classification with 2 classes"
CLASSES="the encrypted test set c-test is classification with 2 classes, the spec spec3.json's task is classification with 3 classes"
COUNT="the encrypted test set c-test has 20 records, cls.csv has 40"
expect 1 "predict: regression records for classes" -- predict c rspec.json reg-test.csv
refused "predict, task" "$TASK_C"
expect 1 "predict: class records for a regression set" -- predict r spec.json cls-test.csv
refused "predict, task reversed" "$TASK_R"
expect 1 "predict: 3 classes for 2" -- predict c spec3.json three-test.csv
refused "predict, classes" "$CLASSES"
expect 1 "predict: 40 records for 20" -- predict c spec.json cls.csv
refused "predict, count" "$COUNT"
expect 1 "train: regression records for classes" -- train c mlp.json rspec.json reg-test.csv
refused "train, task" "$TASK_C"
expect 1 "train: class records for a regression set" -- train r lin.json spec.json cls-test.csv
refused "train, task reversed" "$TASK_R"
expect 1 "train: 3 classes for 2" -- train c mlp.json spec3.json three-test.csv
refused "train, classes" "$CLASSES"
expect 1 "train: 40 records for 20" -- train c mlp.json spec.json cls.csv
refused "train, count" "$COUNT"
# without --spec, --data is MNIST's directory: its 10 classes are checked
# before it is read
mkdir mnist
MNIST_R="the encrypted test set r-test is a regression target, MNIST's test labels in mnist are classification with 10 classes"
MNIST_C="the encrypted test set c-test is classification with 2 classes, MNIST's test labels in mnist are classification with 10 classes"
for s in r c; do
    msg=$MNIST_R; [ $s = c ] && msg=$MNIST_C
    expect 1 "predict: MNIST's labels for $s-test" -- "$BIN" predict --model $s.bin --encrypted $s-test \
        --authority $s-auth --owner-key $s-auth/owner.key --data mnist $C --out pred.txt
    refused "predict, MNIST for $s-test" "$msg"
    expect 1 "train: MNIST's labels for $s-test" -- "$BIN" train --secure --enc $s-enc --authority $s-auth \
        --test-enc $s-test --owner-key $s-auth/owner.key --data mnist --epochs 1 --max-batches 1 \
        --audit 0 --min-support 1 $C --out m.bin --report r.md
    refused "train, MNIST for $s-test" "$msg"
done
finish
