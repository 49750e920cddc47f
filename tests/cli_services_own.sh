#!/bin/sh
# Own records with a regression target through the networked services
# (authority and training server on 127.0.0.1): two owners upload their
# halves of the diabetes records under one spec with `client upload --spec`,
# the operator trains, and `client predict` reports the RMSE in the target's
# units: the figure and the targets `cryptonn predict` gives on the same
# model, close to a plaintext run. Where numpy is installed, an owner's half
# uploaded as .npy with --labels trains the very same model, and a test set
# uploaded as .npy predicts the very same targets. Skipped without
# data/diabetes.csv (tools/fetch-data).
NAME=cli_services_own
. "$(dirname "$0")/clilib.sh"
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1") # absolute: the test runs in $T
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${CRYPTONN_DATA_DIR:-$ROOT/data}/diabetes.csv
if [ ! -r "$DATA" ]; then
    echo "$NAME: skipped: $DATA missing (tools/fetch-data)"
    exit 0
fi
PIDS=""
trap 'for p in $PIDS; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$T"' EXIT
cd "$T" || exit 1
await() { i=0; while [ ! -s "$1" ]; do i=$((i + 1)); [ $i -le 300 ] || { bad "$1 never appeared"; finish; }; sleep 0.1; done; }
# serve DIR: a training server in DIR; $SRV is its URL
serve() {
    "$BIN" server serve --state "$1" --listen 127.0.0.1:0 --port-file "$1.port" --authority "$AUTH" \
        --token-file auth/tokens/server.token --owners auth/owners.list >"$1.log" 2>&1 &
    PIDS="$PIDS $!"
    await "$1.port"
    await "$1/operator.token"
    SRV=http://127.0.0.1:$(cat "$1.port")
}
# train DIR OUT: the operator trains the diabetes model on DIR's parts
train() {
    expect 0 "the operator trains on $1" -- "$BIN" server train --server "$SRV" \
        --token-file "$1/operator.token" --model "$ROOT/models/diabetes.json" --epochs 3 \
        --lr 0.05 --seed 1 --dlog-bits 16 --wait --out "$2"
}
rmse() { sed -n 's/.*RMSE \([0-9.e+-]*\).*/\1/p' "$1" | tail -n 1; }
# close A B REL: |A - B| <= REL * B, both numbers
close() { awk -v a="$1" -v b="$2" -v r="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(a != "" && b != "" && b > 0 && d <= r * b) }'; }

"$BIN" data split "$DATA" --label target --test-fraction 0.2 --parts 2 --seed 7 --out db >/dev/null
"$BIN" data describe db-part1.csv --label target --bound 40 --out spec.json 2>/dev/null
"$BIN" keygen --state auth --mode paper --spec spec.json --batch 32 >/dev/null
"$BIN" authority add-owner --state auth a >/dev/null
"$BIN" authority add-owner --state auth b >/dev/null
"$BIN" authority serve --state auth --listen 127.0.0.1:0 --port-file auth.port --min-support 1 \
    --label-uses 10 >auth.log 2>&1 &
PIDS="$PIDS $!"
await auth.port
AUTH=http://127.0.0.1:$(cat auth.port)
serve srv1
SRV1_PID=$!
K="--params auth/params.bin --owner-key auth/owner.key --spec spec.json"

# each owner encrypts its half locally and uploads it with its own token
expect 0 "owner a uploads regression records" -- "$BIN" client upload --server "$SRV" \
    --token-file auth/owners/a.token $K --data db-part1.csv --work wa --part ha
contains "$T/out" "part 'ha' complete on the server" "owner a's part is complete"
expect 0 "owner b uploads regression records" -- "$BIN" client upload --server "$SRV" \
    --token-file auth/owners/b.token $K --data db-part2.csv --work wb --part hb
train srv1 m1.bin
expect 0 "owner a uploads the test set" -- "$BIN" client upload --test --server "$SRV" \
    --token-file auth/owners/a.token $K --data db-test.csv --work wa --part t
expect 0 "client predict of a regression part" -- "$BIN" client predict --server "$SRV" \
    --token-file auth/owners/a.token --part t --spec spec.json --data db-test.csv --out p1.txt
cp "$T/out" client.out
contains client.out "88 secure predictions, RMSE .* in the target's units" "the owner scores the targets"
SECURE=$(rmse client.out)
[ "$(wc -l <p1.txt)" = 88 ] && ok || bad "--out writes one target per test record"
# targets in their units: diabetes progression is 25..346, its mean ~150
if awk '{ s += $1 } END { exit !(NR && s / NR > 100 && s / NR < 200) }' p1.txt; then ok
else bad "--out's targets are not in the target's units (mean $(awk '{ s += $1 } END { print s / NR }' p1.txt))"; fi

# the same model predicted in process: the same figure and targets
expect 0 "cryptonn predict on the server's model" -- "$BIN" predict --model m1.bin \
    --encrypted wa/test --authority auth --spec spec.json --data db-test.csv --dlog-bits 16 \
    --cache cache --out p2.txt
LOCAL=$(rmse "$T/out")
[ -n "$SECURE" ] && [ "$SECURE" = "$LOCAL" ] && ok \
    || bad "client predict's RMSE '$SECURE' is not cryptonn predict's '$LOCAL'"
cmp -s p1.txt p2.txt && ok || bad "client predict --out differs from cryptonn predict --out"

# a restarted server predicts with the finished job's model file (its
# options come back from train/job.json; it used to rebuild LeNet-5)
kill "$SRV1_PID"
wait "$SRV1_PID" 2>/dev/null
rm -f srv1.port
serve srv1
expect 0 "client predict after the server restarts" -- "$BIN" client predict --server "$SRV" \
    --token-file auth/owners/a.token --part t --spec spec.json --data db-test.csv --out p4.txt
cmp -s p1.txt p4.txt && ok || bad "the restarted server predicts other targets"

# new records without their target (new patients): uploaded as a test part
# and predicted, not scored; the same records give the same targets
python3 -c 'import csv,sys; r=list(csv.reader(open("db-test.csv"))); k=r[0].index("target"); csv.writer(sys.stdout, lineterminator="\n").writerows([x[:k]+x[k+1:] for x in r])' >new.csv
expect 0 "records without their target as a test part" -- "$BIN" client upload --test \
    --server "$SRV" --token-file auth/owners/a.token $K --data new.csv --work wn --part new
expect 0 "client predict of unlabeled records" -- "$BIN" client predict --server "$SRV" \
    --token-file auth/owners/a.token --part new --spec spec.json --data new.csv --out p5.txt
contains "$T/out" "88 secure predictions; new.csv has no labels: not scored" "unlabeled: not scored"
cmp -s p1.txt p5.txt && ok || bad "the unlabeled records predict other targets"

# and close to the same model trained in plaintext (finite: awk compares numbers)
{ cat db-part1.csv; tail -n +2 db-part2.csv; } >train.csv
"$BIN" train --model "$ROOT/models/diabetes.json" --spec spec.json --data train.csv \
    --test db-test.csv --epochs 3 --batch 32 --lr 0.05 --seed 1 --out plain.bin >plain.out 2>&1
PLAIN=$(rmse plain.out)
close "$SECURE" "$PLAIN" 0.1 && ok || bad "secure RMSE '$SECURE' not within 10% of plaintext '$PLAIN'"

# refusals, each naming the problem
expect 1 "a regression part without --spec" -- "$BIN" client predict --server "$SRV" \
    --token-file auth/owners/a.token --part t --owner-key auth/owner.key --data db-test.csv
contains "$T/err" "regression target" "the missing spec is named"
expect 2 "--labels without --spec" -- "$BIN" client upload --server "$SRV" \
    --token-file auth/owners/b.token --params auth/params.bin --owner-key auth/owner.key \
    --data db-part2.csv --labels y.npy --work wx --part hx
contains "$T/err" "labels needs --spec" "the missing spec is named"

# .npy records, written by numpy itself where it is installed
PY=/usr/bin/python3
if [ -x "$PY" ] && "$PY" -c 'import numpy' 2>/dev/null; then
    "$PY" - <<'EOF'
import numpy as np
for name, csv in (("b", "db-part2.csv"), ("t", "db-test.csv")):
    d = np.loadtxt(csv, delimiter=",", skiprows=1)
    np.save(name + "-x.npy", d[:, :-1])
    np.save(name + "-y.npy", d[:, -1])
EOF
    serve srv2
    expect 1 ".npy records without --labels" -- "$BIN" client upload --server "$SRV" \
        --token-file auth/owners/b.token $K --data b-x.npy --work wn --part hb
    [ ! -f wn/train/part-hb/index.bin ] && ok || bad "a refused upload left a complete part"
    expect 0 "owner a uploads its encrypted part again" -- "$BIN" client upload --server "$SRV" \
        --token-file auth/owners/a.token $K --data db-part1.csv --work wa --part ha
    contains "$T/out" "already holds the encrypted part 'ha'" "the local part is reused"
    expect 0 "owner b uploads .npy records with --labels" -- "$BIN" client upload --server "$SRV" \
        --token-file auth/owners/b.token $K --data b-x.npy --labels b-y.npy --work wn --part hb
    train srv2 m2.bin
    cmp -s m1.bin m2.bin && ok || bad "the .npy half trains another model than its CSV"
    expect 0 "a .npy test set" -- "$BIN" client upload --test --server "$SRV" \
        --token-file auth/owners/a.token $K --data t-x.npy --labels t-y.npy --work wn --part t
    expect 0 "client predict scored with .npy labels" -- "$BIN" client predict --server "$SRV" \
        --token-file auth/owners/a.token --part t --spec spec.json --data t-x.npy \
        --labels t-y.npy --out p3.txt
    [ "$(rmse "$T/out")" = "$SECURE" ] && ok || bad "the .npy test set scores '$(rmse "$T/out")', not '$SECURE'"
    cmp -s p1.txt p3.txt && ok || bad "the .npy test set predicts other targets than its CSV"
else
    echo "$NAME: .npy uploads skipped: no numpy for $PY"
fi
finish
