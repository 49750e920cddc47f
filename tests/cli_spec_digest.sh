#!/bin/sh
# Every owner encrypts under the spec keygen was given: owner.key keeps the
# spec's digest (version 2), and encrypt refuses a spec with the same shape
# but another offset, scale or bound (records scaled unlike the other
# owners' would train silently wrong), naming the problem and writing
# nothing; the same spec re-formatted is accepted. An owner.key made without
# a spec (MNIST) stays version 1, and the digest never reaches params.bin
# (the server's file).
NAME=cli_spec_digest
. "$(dirname "$0")/clilib.sh"
BIN=$1
cd "$T" || exit 1
awk 'BEGIN { srand(5); print "a,b,c,label";
    for (i = 0; i < 24; i++) { x = rand() * 4 - 2; y = rand() * 10; z = rand();
        printf "%.3f,%.3f,%.3f,%s\n", x, y, z, (x + z > 0.5) ? "yes" : "no" } }' >r.csv
"$BIN" data describe r.csv --label label --out spec.json 2>/dev/null
expect 0 "keygen with a spec" -- "$BIN" keygen --state A --mode paper --spec spec.json --batch 8
K="--params A/params.bin --owner-key A/owner.key"
# byte 12 of a container is its version (little-endian u32)
ver() { od -An -tu1 -j12 -N1 "$1" | tr -d ' '; }
[ "$(ver A/owner.key)" = 2 ] && ok || bad "owner.key made with a spec is not version 2"
expect 0 "encrypt under the spec" -- "$BIN" encrypt $K --spec spec.json --data r.csv --out E1

# the same spec, re-formatted (one line, no spaces): the same fields
tr -d ' \n' <spec.json >flat.json
expect 0 "encrypt under the re-formatted spec" -- "$BIN" encrypt $K --spec flat.json --data r.csv \
    --out E2

# another offset for feature b, then another bound: same shape, other scaling
python3 - <<'P'
import json
s = json.load(open("spec.json"))
def find(o):
    if isinstance(o, dict):
        if "offset" in o and isinstance(o["offset"], (int, float)):
            return o
        for v in o.values():
            r = find(v)
            if r: return r
    if isinstance(o, list):
        for v in o:
            r = find(v)
            if r: return r
f = find(s)
f["offset"] = f["offset"] + 0.5
json.dump(s, open("offset.json", "w"), indent=1)
s = json.load(open("spec.json"))
s["bound"] = s["bound"] * 2
json.dump(s, open("bound.json", "w"), indent=1)
P
# (the bound is also in params.bin, whose check speaks first)
for sp in offset bound; do
    why="not the spec keygen was given"
    [ $sp = bound ] && why="params.bin was made for other records (shape, bound"
    cmp -s spec.json $sp.json && bad "$sp.json was not changed"
    expect 1 "encrypt under a spec with another $sp" -- "$BIN" encrypt $K --spec $sp.json \
        --data r.csv --out E-$sp
    contains "$T/err" "$why" "the refusal ($sp) says why"
    [ ! -e E-$sp ] && ok || bad "the refused encryption ($sp) wrote E-$sp"
done
# a scale changed in the spec: the digest's refusal again
sed 's/"scale": \([0-9]\)/"scale": 1\1/' spec.json >scale.json
expect 1 "encrypt under a spec with another scale" -- "$BIN" encrypt $K --spec scale.json \
    --data r.csv --out E-scale
contains "$T/err" "not the spec keygen was given" "the refusal (scale) says why"

# MNIST-style keygen: no spec, owner.key version 1; params.bin never holds the digest
expect 0 "keygen without a spec" -- "$BIN" keygen --state M --mode paper --batch 8
[ "$(ver M/owner.key)" = 1 ] && ok || bad "owner.key without a spec changed version"
D=$(od -An -tx1 -j$(( $(wc -c <A/owner.key) - 32 - 32 )) -N32 A/owner.key | tr -d ' \n')
[ ${#D} = 64 ] && ok || bad "no digest read from owner.key"
if od -An -tx1 -v A/params.bin | tr -d ' \n' | grep -q "$D"; then
    bad "params.bin holds the spec digest"
else
    ok
fi
finish
