#!/bin/sh
# mpirun -np N cryptonn train --secure on a small MNIST subset: the model of
# 2 and 3 ranks is byte for byte the model of one process, in paper mode
# (LeNet-5, and a model file whose first layer has stride 2 and padding 2) and
# strict mode, with the authority's key account unchanged (rank 0 alone asks
# for keys); a rank killed mid-epoch ends the job with a note on the
# surviving rank and a checkpoint from which --resume reaches the same model.
# mpirun encrypt writes the same layout and index as one process. mpirun
# server serve: a 2-rank server job's model, prediction and key account are
# one process's.
NAME=cli_mpi
BIN=$1
. "$(dirname "$0")/clilib.sh"
D=${CRYPTONN_SOURCE_DIR:-$(dirname "$0")/..}/data/mnist
[ -f "$D/train-images-idx3-ubyte" ] || { echo "SKIPPED: no MNIST in $D"; exit 0; }
command -v mpirun >/dev/null 2>&1 || { echo "SKIPPED: mpirun not found (tools/install-deps)"; exit 0; }
# CI runs as root, which Open MPI refuses unless told
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# one thread per rank; a waiting rank yields its core (make check runs tests side by side)
MPI="mpirun --oversubscribe --bind-to none --mca mpi_yield_when_idle 1"

expect 0 "paper keygen" -- "$BIN" keygen --mode paper --state "$T/pa" --batch 16 --owners "$T/po"
expect 0 "paper encrypt" -- "$BIN" encrypt --data "$D" --params "$T/po/params.bin" \
    --owner-key "$T/po/owner.key" --out "$T/penc" --limit 48
if "$BIN" train --secure --mpi --enc "$T/penc" --authority "$T/pa" --out "$T/x.bin" \
    --report "$T/x.md" --cache "$T" >"$T/out" 2>"$T/err"; then :; fi
if grep -q "built without MPI" "$T/err"; then
    echo "SKIPPED: this cryptonn was built without MPI (--mpi says so, as it should)"
    exit 0
fi

# run MODE N OUT EPOCHS [ARGS]: training on a fresh copy of the authority's
# state (each run asks for the same keys), N = 1 without mpirun
run() {
    mode=$1 n=$2 out=$3 epochs=$4
    shift 4
    rm -rf "$T/a-$out"
    cp -r "$T/${mode}a0" "$T/a-$out"
    launch=""
    [ "$n" = 1 ] || launch="$MPI -np $n"
    expect 0 "$mode mode, $n rank(s)" -- $launch "$BIN" train --secure --enc "$T/${mode}enc" \
        --authority "$T/a-$out" --threads 1 --dlog-bits 16 --cache "$T" --epochs "$epochs" \
        --out "$T/$out.bin" --report "$T/$out.md" "$@"
}
# the key account of a report: keys and revealed rank per mpk
account() { grep '^| \(samples\|batch\|labels\) |' "$1"; }
same_model() { # same_model A B WHAT
    if cmp -s "$T/$1.bin" "$T/$2.bin"; then ok; else bad "$3: models differ"; fi
    if [ "$(account "$T/$1.md")" = "$(account "$T/$2.md")" ] && [ -n "$(account "$T/$1.md")" ]; then
        ok
    else
        bad "$3: the authority's key account differs"
        account "$T/$1.md" >&2
        account "$T/$2.md" >&2
    fi
}

# Paper mode: the server trains conv1 (forward, output error and gradient
# keys every batch).
cp -r "$T/pa" "$T/pa0"
run p 1 p1 1
run p 2 p2 1
contains "$T/out" "2 ranks" "the job says how many ranks"
same_model p1 p2 "paper mode, 2 ranks"
run p 3 p3 1
same_model p1 p3 "paper mode, 3 ranks"
# A trained first layer with stride 2 and padding 2: the ranks' slices of
# the gradient keys drop the taps in the padding where the authority does.
cat >"$T/strided.json" <<'EOF'
{"input": [1, 28, 28], "output": "softmax", "loss": "ce",
 "layers": [{"type": "conv2d", "filters": 2, "kernel": 5, "stride": 2, "padding": 2},
            {"type": "relu"}, {"type": "flatten"}, {"type": "dense", "units": 10}]}
EOF
run p 1 ps1 1 --model "$T/strided.json" --min-support 1
run p 2 ps2 1 --model "$T/strided.json" --min-support 1
same_model ps1 ps2 "paper mode, strided padded conv, 2 ranks"

# Strict mode: the authority's committed layer, frozen; two epochs so the
# second one takes its first layer from the gathered Z1 cache.
expect 0 "strict keygen" -- "$BIN" keygen --state "$T/sa0" --batch 16 --owners "$T/so" \
    --first-layer conv:1x5s2 --layer-seed 3
expect 0 "strict encrypt" -- "$BIN" encrypt --data "$D" --params "$T/so/params.bin" \
    --owner-key "$T/so/owner.key" --out "$T/senc" --limit 48 --registration "$T/reg.lreg"
expect 0 "strict register" -- "$BIN" authority register --state "$T/sa0" "$T/reg.lreg"
run s 1 s1 2
run s 2 s2 2
same_model s1 s2 "strict mode, 2 ranks"
run s 3 s3 2
same_model s1 s3 "strict mode, 3 ranks"

# A dead rank: rank 1 is killed once the first checkpoint is written; the
# job ends, the surviving rank says where the checkpoint is, and resuming
# from it gives the uninterrupted model.
rm -rf "$T/a-dead"
cp -r "$T/pa0" "$T/a-dead"
$MPI -np 2 "$BIN" train --secure --enc "$T/penc" --authority "$T/a-dead" --threads 1 \
    --dlog-bits 16 --cache "$T" --out "$T/dead.bin" --report "$T/dead.md" --epochs 1 \
    --checkpoint-every 1 >"$T/dead.out" 2>"$T/dead.err" &
job=$!
i=0
while [ ! -s "$T/dead.bin.ckpt" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done
killed=""
for p in $(pgrep -P $job); do
    if tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null | grep -q '^OMPI_COMM_WORLD_RANK=1$'; then
        kill -9 "$p" && killed=$p
    fi
done
wait $job
code=$?
[ -n "$killed" ] && ok || bad "no rank 1 process found to kill"
[ "$code" != 0 ] && ok || bad "the job with a dead rank exited 0"
contains "$T/dead.err" "rank 0 of 2): the job was ended" "the surviving rank says the job ended"
contains "$T/dead.err" "resume $T/dead.bin.ckpt" "the note names the checkpoint"
[ ! -s "$T/dead.bin" ] && ok || bad "the killed job wrote a final model"
expect 0 "resume after the dead rank" -- $MPI -np 2 "$BIN" train --secure --enc "$T/penc" \
    --authority "$T/a-dead" --threads 1 --dlog-bits 16 --cache "$T" --out "$T/dead.bin" \
    --report "$T/dead.md" --epochs 1 --resume "$T/dead.bin.ckpt"
contains "$T/out" "resuming at epoch 1, batch [12]" "the resumed job starts after the checkpoint"
cmp -s "$T/dead.bin" "$T/p1.bin" && ok || bad "the resumed model differs from the uninterrupted one"

# mpirun encrypt: the ranks split the batches; the same files and index as
# one process (the ciphertexts differ by their randomness), and they train.
expect 0 "encrypt on 3 ranks" -- $MPI -np 3 "$BIN" encrypt --data "$D" \
    --params "$T/po/params.bin" --owner-key "$T/po/owner.key" --out "$T/penc3" --limit 48
cmp -s "$T/penc/part-main/index.bin" "$T/penc3/part-main/index.bin" && ok || bad "another index"
[ "$(ls "$T/penc/part-main")" = "$(ls "$T/penc3/part-main")" ] && ok || bad "other batch files"
rm -rf "$T/a-enc3"
cp -r "$T/pa0" "$T/a-enc3"
expect 0 "training on the 3-rank encryption" -- "$BIN" train --secure --enc "$T/penc3" \
    --authority "$T/a-enc3" --threads 1 --dlog-bits 16 --cache "$T" --epochs 1 \
    --out "$T/e3.bin" --report "$T/e3.md"
# strict mode: rank 0 writes the registration of every rank's label ciphertexts
expect 0 "strict encrypt on 2 ranks" -- $MPI -np 2 "$BIN" encrypt --data "$D" \
    --params "$T/so/params.bin" --owner-key "$T/so/owner.key" --out "$T/senc2" --limit 40 \
    --registration "$T/reg2.lreg"
expect 0 "register the 2-rank labels" -- "$BIN" authority register --state "$T/sa0" "$T/reg2.lreg"
contains "$T/out" "400 new label ciphertexts registered" "every rank's label ciphertexts registered"

# mpirun server serve: the networked server's job on 2 ranks trains the
# model of a 1-process server job, byte for byte, and its secure
# prediction of a test part is the same. The parts are placed in the state
# directory as an upload leaves them (data/part-OWNER-NAME, test/OWNER-NAME/).
expect 0 "owner for the server tests" -- "$BIN" authority add-owner --state "$T/pa0" op
expect 0 "test part" -- "$BIN" encrypt --data "$D" --params "$T/po/params.bin" \
    --owner-key "$T/po/owner.key" --out "$T/ptest" --limit 20 --test --part t
# await FILE: a service's port file, at most 60 s
await() { i=0; while [ ! -s "$1" ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i + 1)); done; }
# serve TAG LAUNCH...: an authority and a server (launched by LAUNCH), one
# job and one prediction; the model in TAG.bin, the prediction in TAG.pred
serve() {
    tag=$1
    shift
    rm -rf "$T/a-$tag" "$T/s-$tag"
    cp -r "$T/pa0" "$T/a-$tag"
    mkdir -p "$T/s-$tag/data" "$T/s-$tag/test/op-t"
    cp -r "$T/penc/part-main" "$T/s-$tag/data/part-op-main"
    cp "$T/ptest/params.bin" "$T/s-$tag/test/op-t/"
    cp -r "$T/ptest/part-t" "$T/s-$tag/test/op-t/part-op-t"
    "$BIN" authority serve --state "$T/a-$tag" --listen 127.0.0.1:0 \
        --port-file "$T/a-$tag.port" >"$T/a-$tag.log" 2>&1 &
    apid=$!
    await "$T/a-$tag.port"
    "$@" "$BIN" server serve --state "$T/s-$tag" --listen 127.0.0.1:0 --threads 1 \
        --port-file "$T/s-$tag.port" --authority "http://127.0.0.1:$(cat "$T/a-$tag.port")" \
        --token-file "$T/a-$tag/tokens/server.token" --owners "$T/a-$tag/owners.list" \
        >"$T/s-$tag.log" 2>&1 &
    spid=$!
    await "$T/s-$tag.port"
    url="http://127.0.0.1:$(cat "$T/s-$tag.port")"
    expect 0 "server job, $tag" -- timeout 300 "$BIN" server train --server "$url" \
        --token-file "$T/s-$tag/operator.token" --epochs 2 --seed 3 --dlog-bits 16 --wait \
        --out "$T/$tag.bin"
    expect 0 "server prediction, $tag" -- timeout 300 "$BIN" client predict --server "$url" \
        --token-file "$T/a-$tag/owners/op.token" --part t --owner-key "$T/po/owner.key" \
        --data "$D"
    cp "$T/out" "$T/$tag.pred"
    # the authority's account of what it issued (keys and revealed rank per mpk)
    curl -sf -H "Authorization: Bearer $(cat "$T/a-$tag/tokens/server.token")" \
        "http://127.0.0.1:$(cat "$T/a-$tag.port")/v1/leakage" >"$T/$tag.leak" || true
    kill "$spid" "$apid"
    wait "$spid" "$apid"
}
serve srv1
serve srv2 $MPI -np 2
contains "$T/s-srv2.log" "2 ranks: rank 0 serves" "the server says how many ranks"
cmp -s "$T/srv1.bin" "$T/srv2.bin" && ok || bad "the 2-rank server job's model differs"
if [ -s "$T/srv1.pred" ] && cmp -s "$T/srv1.pred" "$T/srv2.pred"; then ok; else
    bad "the 2-rank server's prediction differs"
fi
# rank 0 alone asks for keys: the authority issued the same keys to both
if grep -q '"issued"' "$T/srv1.leak" 2>/dev/null && cmp -s "$T/srv1.leak" "$T/srv2.leak"; then ok; else
    bad "the authority's account differs between the 1-process and the 2-rank server job"
    cat "$T/srv1.leak" "$T/srv2.leak" >&2
fi

# The public API's ranks (cryptonn/dist.h): test_api_dist's job gives one
# process's model on 2 ranks.
API=$(dirname "$BIN")/test_api_dist
if [ -x "$API" ]; then
    mkdir -p "$T/api"
    expect 0 "the public API's job, 1 process" -- "$API" "$T/api"
    expect 0 "the public API's job, 2 ranks" -- $MPI -np 2 "$API" "$T/api"
    cmp -s "$T/api/model-1.bin" "$T/api/model-2.bin" && ok || bad "the public API's 2-rank model differs"
fi

expect 2 "a non-numeric --checkpoint-every" -- "$BIN" train --secure --enc "$T/penc" \
    --authority "$T/pa0" --checkpoint-every x
finish
