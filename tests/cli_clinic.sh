#!/bin/sh
# examples/clinic/run end to end (services on 127.0.0.1, two hospitals,
# secure training and prediction), short: its last line has the promised
# form and the secure accuracy is within a few points of the plaintext one.
# Skipped without the breast-cancer CSV (tools/fetch-data); the leakage
# account and the owners' audit (exact recovery in paper mode) are checked
# where curl is installed.
NAME=cli_clinic
. "$(dirname "$0")/clilib.sh"
BIN=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${CRYPTONN_DATA_DIR:-$ROOT/data}/breast_cancer.csv
if [ ! -r "$DATA" ]; then
    echo "$NAME: skipped: $DATA missing (tools/fetch-data)"
    exit 0
fi
CRYPTONN=$BIN CLINIC_DATA=$DATA CLINIC_EPOCHS=4 "$ROOT/examples/clinic/run" "$T/w" >"$T/run.out" 2>"$T/run.err"
rc=$?
if [ $rc = 0 ]; then ok; else bad "examples/clinic/run exited $rc"; tail -n 20 "$T/run.err" >&2; fi
last=$(tail -n 1 "$T/run.out")
if echo "$last" | grep -Eq '^clinic: secure test accuracy [0-9]+\.[0-9]+% \(plaintext [0-9]+\.[0-9]+%\)$'; then
    ok
else
    bad "last line has another form: '$last'"
fi
secure=$(echo "$last" | sed -n 's/.*accuracy \([0-9.]*\)%.*/\1/p')
plain=$(echo "$last" | sed -n 's/.*plaintext \([0-9.]*\)%.*/\1/p')
if awk -v s="$secure" -v p="$plain" 'BEGIN { d = s - p; if (d < 0) d = -d; exit !(s != "" && p != "" && d <= 5 && s >= 80) }'; then
    ok
else
    bad "secure $secure% is not within 5 points of plaintext $plain% (or below 80%)"
fi
if command -v curl >/dev/null; then
    contains "$T/run.out" "samples: rank 30 of 30" "the leakage account names the samples key's full rank"
    # the owners' audit is an attack: in paper mode the server's keys span
    # every feature, so the linear solve recovers all 50 audited records
    if grep -Eq '^ +linear +100% +100% +0\.00 +exact' "$T/run.out"; then ok
    else bad "the audit did not recover hospital A's records exactly in paper mode"; fi
    contains "$T/run.out" "30 keys revealing a span of rank 30" "the audit replays the 30 revealed keys"
fi
finish
