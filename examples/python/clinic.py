#!/usr/bin/env python3
"""Two hospitals train one diagnostic model without showing the server their
patients' records (the CryptoNN paper's clinic), all three roles in this
process:

  - the breast-cancer records are split into a held-out test set and one
    half for each hospital; the hospitals agree on a data spec;
  - the authority sets up keys for the spec's records (strict mode: it
    commits to a random first layer and issues keys for it alone);
  - each hospital encrypts its half and registers its label ciphertexts;
  - the server trains on ciphertexts; hospital A gets secure predictions for
    its encrypted test records and scores them with the labels it holds;
  - the authority's account of every key it issued, and the same model
    trained in plaintext for comparison.

usage: examples/python/clinic.py [--epochs N] [--mode strict|paper] [--workdir DIR]
The last line is: clinic: secure test accuracy X% (plaintext Y%)"""
import argparse
import json
import os
import tempfile

import numpy as np

import cryptonn as cn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
p.add_argument("--data", default=os.path.join(ROOT, "data", "breast_cancer.csv"))
p.add_argument("--model", default=os.path.join(ROOT, "models", "breast_cancer.json"))
p.add_argument("--epochs", type=int, default=6)
p.add_argument("--mode", choices=("strict", "paper"), default="strict")
p.add_argument("--workdir", default=None)
args = p.parse_args()
W = args.workdir or tempfile.mkdtemp(prefix="cryptonn-clinic-")
os.makedirs(W, exist_ok=True)
say = lambda *a: print("clinic:", *a)

# The records: a held-out test set (20%), then one half per hospital.
lines = open(args.data).read().splitlines()
order = np.random.default_rng(7).permutation(len(lines) - 1) + 1
n_test = len(order) // 5
split = {"test": order[:n_test], "a": order[n_test::2], "b": order[n_test + 1::2]}
for name, rows in split.items():
    with open(os.path.join(W, f"{name}.csv"), "w") as f:
        f.write("\n".join([lines[0]] + [lines[i] for i in sorted(rows)]) + "\n")

# The spec: hospital A's statistics, the bound widened so B's records fit too.
spec = json.loads(cn.data.Spec.describe(os.path.join(W, "a.csv"), label="target").to_json())
spec["bound"] = 40.0
with open(os.path.join(W, "spec.json"), "w") as f:
    json.dump(spec, f)
spec = cn.data.Spec.read(os.path.join(W, "spec.json"))

say(f"the authority: keys for {spec.features}-feature records ({args.mode} mode)")
auth = os.path.join(W, "auth")
cn.Authority.setup(auth, mode=args.mode, spec=spec, batch=32, first_layer="dense:16",
                   layer_seed=1)
authority = cn.Authority.open(auth, min_support=1, label_uses=args.epochs)

enc = os.path.join(W, "enc")
for h in ("a", "b"):  # each hospital, on its own machine in real life
    owner = cn.Owner(os.path.join(auth, "params.bin"), os.path.join(auth, "owner.key"))
    x, y = spec.load(os.path.join(W, f"{h}.csv"))
    owner.encrypt(enc, x, y, part=f"hospital_{h}", spec=spec)
    if args.mode == "strict":
        authority.register_file(os.path.join(enc, f"hospital_{h}.lreg"))
    say(f"hospital {h} encrypted its {len(y)} records")

# The server: ciphertexts, keys from the authority, a plaintext model.
trainer = cn.Trainer(cn.EncryptedDataset(enc), cn.KeyService.local(authority), lr=0.05,
                     seed=1, dlog_table_bits=16)
model = trainer.model(cn.Config.from_file(args.model))
initial = model.params
for e in range(args.epochs):
    st = trainer.epoch(model, e)
    say(f"epoch {e + 1}: loss {st['loss']:.4f}, train accuracy {100 * st['accuracy']:.1f}% "
        "(in the permuted classes)")

# Hospital A: secure predictions of its encrypted test records.
hospital_a = cn.Owner(os.path.join(auth, "params.bin"), os.path.join(auth, "owner.key"))
xt, yt = spec.load(os.path.join(W, "test.csv"))
hospital_a.encrypt(os.path.join(W, "test-enc"), xt, part="test", spec=spec)
test_set = cn.EncryptedDataset(os.path.join(W, "test-enc"))
pred = hospital_a.unpermute(trainer.predict(model, test_set))
secure = float((pred == yt).mean())

# What the server learned, by the authority's account.
for key, c in authority.counts().items():
    if c["width"]:
        say(f"{key}: rank {c['rank']} of {c['width']}, {c['keys_issued']} keys issued")
authority.close()

# The same model and start in plaintext (same layers, same initial weights).
twin = model.config.create()
twin.params = initial
xs, ys = zip(*(spec.load(os.path.join(W, f"{h}.csv")) for h in ("a", "b")))
twin.fit(np.concatenate(xs), np.concatenate(ys), epochs=args.epochs, batch=32, lr=0.05, seed=1)
plain = twin.evaluate(xt, yt)
say(f"secure test accuracy {100 * secure:.1f}% (plaintext {100 * plain:.1f}%)")
