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
else
    echo "cli_data: .npy from numpy skipped: /usr/bin/python3 has no numpy (tools/install-deps --with-peers)"
fi

expect 2 "data without a subcommand" -- "$BIN" data
expect 0 "data --help" -- "$BIN" data --help
expect 0 "model --help" -- "$BIN" model --help
finish
