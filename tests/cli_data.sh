#!/bin/sh
# Your own data through the command line: `cryptonn data` describe, check
# and split, `cryptonn model check`, and plaintext `train` on CSV and .npy
# records under a data spec, for classification and regression; bad data
# and bad model files refused with the file, line or layer named, and
# nothing half-written.
set -u
BIN=${1:?usage: cli_data.sh path/to/cryptonn}
NAME=cli_data
. "$(dirname "$0")/clilib.sh"
SRC=$(cd "$(dirname "$0")/.." && pwd)
contains() { # contains FILE TEXT DESCRIPTION
    if grep -qF -- "$2" "$1"; then ok; else bad "$3: no '$2' in $(head -c 300 "$1")"; fi
}

# 240 records, 3 classes by the sign pattern of two of four features.
awk 'BEGIN {
    srand(7); print "f1,f2,noise,scale,label"
    for (i = 0; i < 240; i++) {
        a = rand() * 2 - 1; b = rand() * 2 - 1
        k = a > 0 ? (b > 0 ? "high" : "mid") : "low"
        printf "%.4f,%.4f,%.4f,%.1f,%s\n", a, b, rand(), 1000 + 50 * a, k
    }
}' >"$T/d.csv"

expect 0 "describe" -- "$BIN" data describe "$T/d.csv" --label label --out "$T/spec.json"
contains "$T/spec.json" '"task": "classification"' "text labels are classes"
contains "$T/spec.json" '"high"' "class names"
contains "$T/spec.json" '"name": "scale"' "feature names"
expect 0 "describe to stdout" -- "$BIN" data describe "$T/d.csv" --label label
if cmp -s "$T/out" "$T/spec.json"; then ok; else bad "stdout and --out differ"; fi
expect 0 "check" -- "$BIN" data check "$T/d.csv" --spec "$T/spec.json"
contains "$T/out" "240 records fit" "check counts the records"

# Splits: disjoint, complete, header kept.
expect 0 "split" -- "$BIN" data split "$T/d.csv" --label label --test-fraction 0.25 --parts 2 --seed 3 --out "$T/s"
contains "$T/out" "s-test.csv: 60 records" "test size"
tail -n +2 "$T/d.csv" | sort >"$T/all"
tail -q -n +2 "$T/s-test.csv" "$T/s-part1.csv" "$T/s-part2.csv" | sort >"$T/union"
if cmp -s "$T/all" "$T/union"; then ok; else bad "the split's parts are not the records"; fi
if [ "$(head -n 1 "$T/s-part2.csv")" = "$(head -n 1 "$T/d.csv")" ]; then ok; else bad "part header"; fi
expect 0 "split again" -- "$BIN" data split "$T/d.csv" --label label --test-fraction 0.25 --parts 2 --seed 3 --out "$T/r"
if cmp -s "$T/s-part1.csv" "$T/r-part1.csv"; then ok; else bad "the same seed splits alike"; fi

# Models.
for m in "$SRC"/models/*.json; do
    expect 0 "model check $(basename "$m")" -- "$BIN" model check "$m"
    contains "$T/out" "keys per weight update" "model check reports the keys"
done
expect 0 "LeNet-5's keys" -- "$BIN" model check "$SRC/models/lenet5.json"
contains "$T/out" "keys per weight update: 3456" "LeNet-5 conv1: 6 x 24 x 24 keys"
contains "$T/out" "= 784" "LeNet-5's rank bound"
contains "$T/out" "parameters: 44426" "LeNet-5's parameter count"
cat >"$T/m.json" <<'EOF'
{"layers": [{"type": "dense", "units": 8}, {"type": "relu"}, {"type": "dropout", "rate": 0.1},
            {"type": "dense", "units": 3}]}
EOF
expect 1 "a model without input or spec" -- "$BIN" model check "$T/m.json"
contains "$T/err" "pass --spec" "says how to give the input"
expect 0 "model check with a spec" -- "$BIN" model check "$T/m.json" --spec "$T/spec.json"
contains "$T/out" "input 4," "the spec gives the input"
sed 's/"units": 3/"units": 4/' "$T/m.json" >"$T/m4.json"
expect 1 "classes differ from the spec" -- "$BIN" model check "$T/m4.json" --spec "$T/spec.json"
contains "$T/err" "3 classes" "names the spec's classes"
printf '{"input": [4], "layers": [{"type": "dense", "units": 8},\n {"type": "maxpool", "kernel": 2},\n {"type": "dense", "units": 3}]}\n' >"$T/bad.json"
expect 1 "a pool on a flat input" -- "$BIN" model check "$T/bad.json"
contains "$T/err" "layer 2 (maxpool)" "names the layer"
contains "$T/err" "$T/bad.json" "names the file"
printf '{"input": [4],\n "layers": [{"type": "dense" "units": 8}]}\n' >"$T/syntax.json"
expect 1 "a JSON syntax error" -- "$BIN" model check "$T/syntax.json"
contains "$T/err" "syntax.json:2:" "names the line"

# Training, classification.
expect 0 "train" -- "$BIN" train --model "$T/m.json" --data "$T/s-part1.csv" --test "$T/s-test.csv" \
    --spec "$T/spec.json" --epochs 30 --batch 16 --lr 0.1 --out "$T/m.bin" --log "$T/log.csv"
acc=$(awk -F, 'END { print int($4 * 100) }' "$T/log.csv")
if [ "$acc" -ge 80 ]; then ok; else bad "test accuracy $acc% < 80%"; fi
[ -s "$T/m.bin" ] && ok || bad "no model file"
expect 2 "--activation with a model file" -- "$BIN" train --model "$T/m.json" --activation tanh \
    --data "$T/d.csv" --spec "$T/spec.json"
expect 1 "records without a spec" -- "$BIN" train --model "$T/m.json" --data "$T/d.csv"
contains "$T/err" "--spec" "asks for the spec"

# Regression: the target is the fourth feature's linear function.
awk 'BEGIN { srand(9); print "a,b,y"; for (i = 0; i < 200; i++) { a = rand(); b = rand(); printf "%.4f,%.4f,%.4f\n", a, b, 3 * a - 2 * b + 10 } }' >"$T/r.csv"
expect 0 "describe a regression" -- "$BIN" data describe "$T/r.csv" --label y --out "$T/rspec.json"
contains "$T/rspec.json" '"task": "regression"' "real labels are a regression"
cat >"$T/r.json" <<'EOF'
{"output": "linear", "layers": [{"type": "dense", "units": 8}, {"type": "tanh"}, {"type": "dense", "units": 1}]}
EOF
expect 0 "train a regression" -- "$BIN" train --model "$T/r.json" --data "$T/r.csv" --spec "$T/rspec.json" \
    --epochs 40 --batch 16 --lr 0.05 --out "$T/r.bin" --log "$T/rlog.csv"
contains "$T/out" "training-set RMSE" "reports the RMSE"
rmse=$(awk -F, 'END { print ($3 < 0.2) ? "small" : $3 }' "$T/rlog.csv")
[ "$rmse" = small ] && ok || bad "regression RMSE $rmse (targets' spread 1.0)"
expect 1 "a regression spec on a softmax model" -- "$BIN" model check "$T/m.json" --spec "$T/rspec.json"
contains "$T/err" "regression" "says why"

# Bad records: named by line and column; nothing half-written.
sed '5s/^[^,]*,/0.5,x1,/' "$T/d.csv" >"$T/bad.csv"
expect 1 "a non-number" -- "$BIN" data check "$T/bad.csv" --spec "$T/spec.json"
contains "$T/err" "line 5, column 2 ('f2')" "names line and column"
sed '7s/,[^,]*$//' "$T/d.csv" >"$T/ragged.csv"
expect 1 "a ragged row" -- "$BIN" data describe "$T/ragged.csv" --label label --out "$T/spec.json"
contains "$T/err" "line 7" "names the line"
expect 0 "the old spec is intact" -- "$BIN" data check "$T/d.csv" --spec "$T/spec.json"
sed '9s/,[a-z]*$/,unknown/' "$T/d.csv" >"$T/cls.csv"
rm -f "$T/none.bin"
expect 1 "a class the spec lacks" -- "$BIN" train --model "$T/m.json" --data "$T/cls.csv" --spec "$T/spec.json" --out "$T/none.bin"
contains "$T/err" "line 9" "names the record's line"
[ -e "$T/none.bin" ] && bad "a model file was written" || ok
sed 's/1000/100000/' "$T/d.csv" | awk -F, 'NR == 4 { $4 = 99999; OFS = "," } { print }' OFS=, >"$T/far.csv"
expect 1 "a value beyond the bound" -- "$BIN" data check "$T/far.csv" --spec "$T/spec.json"
contains "$T/err" "bound" "says it is past the bound"

# .npy written by numpy itself, where it is installed.
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
    "$PY" - "$T" <<'EOF'
import sys
import numpy as np
rng = np.random.default_rng(5)
x = rng.integers(0, 17, size=(120, 1, 6, 6)).astype(np.uint8)
y = (x[:, 0, :3].sum(axis=(1, 2)) > x[:, 0, 3:].sum(axis=(1, 2))).astype(np.int64)
np.save(sys.argv[1] + "/x.npy", x)
np.save(sys.argv[1] + "/y.npy", y)
np.save(sys.argv[1] + "/xf.npy", x.reshape(120, 36).astype(">f8"))
EOF
    expect 0 "describe .npy" -- "$BIN" data describe "$T/x.npy" --labels "$T/y.npy" --out "$T/nspec.json"
    contains "$T/nspec.json" '"shape": [' "a shape"
    if tr -d ' \n' <"$T/nspec.json" | grep -q '"shape":\[1,6,6\]'; then ok; else bad "the .npy's 1x6x6 shape"; fi
    expect 0 "big-endian float64 .npy fits the same spec" -- "$BIN" data check "$T/xf.npy" --labels "$T/y.npy" --spec "$T/nspec.json"
    cat >"$T/c.json" <<'EOF'
{"layers": [{"type": "conv2d", "filters": 4, "kernel": 3, "stride": 1, "padding": 1}, {"type": "relu"},
            {"type": "avgpool", "kernel": 2}, {"type": "flatten"}, {"type": "dense", "units": 2}]}
EOF
    expect 0 "train a CNN on .npy" -- "$BIN" train --model "$T/c.json" --data "$T/x.npy" --labels "$T/y.npy" \
        --spec "$T/nspec.json" --epochs 5 --out "$T/c.bin"
    # .npy records to predict: no labels file
    expect 0 "keygen for the .npy spec" -- "$BIN" keygen --state "$T/nauth" --mode paper --spec "$T/nspec.json" --batch 8
    NK="--params $T/nauth/params.bin --owner-key $T/nauth/owner.key --spec $T/nspec.json"
    expect 0 ".npy test set without --labels" -- "$BIN" encrypt $NK --data "$T/x.npy" --out "$T/nnew" --test
    contains "$T/out" "encrypting 120 test samples" "every .npy record encrypted"
    expect 1 ".npy training set without --labels" -- "$BIN" encrypt $NK --data "$T/x.npy" --out "$T/nbad"
    contains "$T/err" "x.npy: no labels (a .npy's labels are a second .npy file: --labels Y.npy)" "training data needs its labels"
    printf '{"layers": [{"type": "dense", "units": 4}, {"type": "relu"}, {"type": "dense", "units": 2}]}\n' >"$T/nd.json"
    ABS=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
    ( cd "$T" && "$ABS" bench train --quick --model "$T/nd.json" --data "$T/x.npy" --labels "$T/y.npy" \
        --spec "$T/nspec.json" >"$T/out" 2>"$T/err" ) && ok || { bad "bench train --labels"; cat "$T/err" >&2; }
    contains "$T/out" "secure batch: total" "bench trains on .npy records with --labels"
    expect 1 "bench train .npy without --labels" -- "$BIN" bench train --quick --model "$T/nd.json" \
        --data "$T/x.npy" --spec "$T/nspec.json"
    contains "$T/err" "x.npy: no labels (a .npy's labels are a second .npy file: --labels Y.npy)" "bench says how to give the labels"
else
    echo "cli_data: .npy from numpy skipped: /usr/bin/python3 has no numpy (tools/install-deps --with-peers)"
fi

# Files that are not records: said what they are, and what is read.
printf '\000\000\010\003\000\000\352\140\000\000\000\034\000\000\000\034' >"$T/train-images-idx3-ubyte"
expect 1 "an IDX file as records" -- "$BIN" data describe "$T/train-images-idx3-ubyte" --label x
contains "$T/err" "looks like an MNIST IDX file (magic 00 00 08 03)" "says it is IDX"
contains "$T/err" "records are a CSV file with a header row, or a .npy file" "says what is read"
contains "$T/err" "cryptonn encrypt --data DIR" "says where IDX files go"
expect 1 "a directory as records" -- "$BIN" data describe "$T" --label x
contains "$T/err" "$T is a directory: records are one CSV or .npy file" "says it is a directory"
expect 2 "split of a .npy" -- "$BIN" data split "$T/x.npy" --label y --out "$T/n"
contains "$T/err" "split takes a CSV file" "split says it takes CSV"
# One class however spelt: "1" and "1.0" are one label.
printf 'a,y\n1,1\n2,1.0\n3,0\n4,0.0\n5,1\n' >"$T/spell.csv"
expect 0 "labels 1 and 1.0" -- "$BIN" data describe "$T/spell.csv" --label y --out "$T/spell.json"
if tr -d ' \n' <"$T/spell.json" | grep -q '"classes":\["0","1"\]'; then ok; else bad "1 and 1.0 as two classes: $(cat "$T/spell.json")"; fi
printf 'a,y\n1,1\n2,1.0\n' >"$T/one.csv"
expect 1 "one class" -- "$BIN" data describe "$T/one.csv" --label y
contains "$T/err" "1 distinct label; classification needs 2..256" "singular, one class"

# Records to predict carry no labels: a test set encrypts without them,
# and the trained model predicts one class per record.
cut -d, -f1,2,5 "$T/d.csv" | head -n 49 >"$T/p-train.csv"
{ echo "f1,f2"; tail -n 20 "$T/d.csv" | cut -d, -f1,2; } >"$T/p-new.csv"
expect 0 "describe the train part" -- "$BIN" data describe "$T/p-train.csv" --label label --out "$T/pspec.json"
expect 0 "keygen" -- "$BIN" keygen --state "$T/auth" --mode paper --spec "$T/pspec.json" --batch 8
K="--params $T/auth/params.bin --owner-key $T/auth/owner.key --spec $T/pspec.json"
expect 0 "encrypt the train part" -- "$BIN" encrypt $K --data "$T/p-train.csv" --out "$T/penc"
expect 2 "unlabeled records for training" -- "$BIN" encrypt $K --data "$T/p-new.csv" --out "$T/pbad"
contains "$T/err" "no column named 'label'" "training data needs its labels"
expect 0 "unlabeled records as a test set" -- "$BIN" encrypt $K --data "$T/p-new.csv" --out "$T/pnew" --test
contains "$T/out" "encrypting 20 test samples" "every record encrypted"
expect 2 "--labels with a CSV" -- "$BIN" encrypt $K --data "$T/p-train.csv" --labels "$T/y.npy" --out "$T/pbad"
contains "$T/err" "a labels file ($T/y.npy) goes with .npy records only; a CSV's labels are its column 'label'" "--labels with a CSV refused"
[ ! -d "$T/pbad" ] && ok || bad "a refused encrypt wrote $T/pbad"
expect 2 "--labels without --spec" -- "$BIN" encrypt --params "$T/auth/params.bin" \
    --owner-key "$T/auth/owner.key" --labels "$T/y.npy" --out "$T/pbad"
contains "$T/err" "--labels goes with --spec and a .npy --data" "--labels without --spec refused"
printf '{"layers": [{"type": "dense", "units": 4}, {"type": "relu"}, {"type": "dense", "units": 3}]}\n' >"$T/pm.json"
expect 0 "train --secure on the train part" -- "$BIN" train --secure --enc "$T/penc" --authority "$T/auth" \
    --owner-key "$T/auth/owner.key" --spec "$T/pspec.json" --model "$T/pm.json" --epochs 1 \
    --min-support 1 --dlog-bits 12 --cache "$T/cache" --out "$T/pm.bin" --report "$T/pm.md"
expect 0 "predict the unlabeled records" -- "$BIN" predict --model "$T/pm.bin" --encrypted "$T/pnew" \
    --authority "$T/auth" --owner-key "$T/auth/owner.key" --dlog-bits 12 --out "$T/pred.txt"
[ "$(wc -l <"$T/pred.txt")" = 20 ] && ok || bad "predict wrote $(wc -l <"$T/pred.txt") lines for 20 records"
if grep -qvx -e 0 -e 1 -e 2 "$T/pred.txt"; then bad "predictions not classes 0..2"; else ok; fi

expect 0 "predict --spec --data on unlabeled records" -- "$BIN" predict --model "$T/pm.bin" --encrypted "$T/pnew" \
    --authority "$T/auth" --owner-key "$T/auth/owner.key" --spec "$T/pspec.json" --data "$T/p-new.csv" \
    --dlog-bits 12 --out "$T/pred2.txt"
[ "$(wc -l <"$T/pred2.txt")" = 20 ] && ok || bad "predict --spec wrote $(wc -l <"$T/pred2.txt") lines"
if grep -qvx -e high -e mid -e low "$T/pred2.txt"; then bad "not class names: $(head -3 "$T/pred2.txt")"; else ok; fi
if grep -q "owners' side" "$T/out"; then bad "unlabeled records were scored"; else ok; fi
contains "$T/err" "has no labels: predictions are not scored" "predict says the records are not scored"
expect 2 "data without a subcommand" -- "$BIN" data
expect 0 "data --help" -- "$BIN" data --help
expect 0 "model --help" -- "$BIN" model --help
finish
