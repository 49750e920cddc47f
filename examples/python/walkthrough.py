#!/usr/bin/env python3
# %% [markdown]
# # cryptonn from Python: a walk-through
#
# A notebook as a plain script: each `# %%` cell runs on its own in an
# editor that knows the markers, or run the whole file. It goes from the
# encryption schemes up to secure training, in the order DESIGN.md tells
# the story. Needs the library (CRYPTONN_LIB or a build of this checkout);
# PyTorch only for cell 5.
#
# usage: examples/python/walkthrough.py [--quick] [--workdir DIR]

# %%
import os
import sys
import tempfile

import numpy as np

import cryptonn as cn

QUICK = "--quick" in sys.argv
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = (sys.argv[sys.argv.index("--workdir") + 1] if "--workdir" in sys.argv
        else tempfile.mkdtemp(prefix="cryptonn-walkthrough-"))
rng = np.random.default_rng(0)
os.makedirs(WORK, exist_ok=True)
print("libcryptonn", cn.library_version(), "in", WORK)

# %% [markdown]
# ## 1. Inner-product encryption (FEIP)
# The authority holds the master secret key; an owner encrypts a vector x
# with the public key; the server holds a function key for y and learns
# <x, y>, and nothing else about x. Entries are integers.

# %%
mpk, msk = cn.feip.setup(5)
x = np.array([[3, -1, 4, 1, -5]])
keys = msk.keygen([[1, 1, 1, 1, 1], [2, 0, 0, 0, 1]])  # two functions the server may compute
cts = mpk.encrypt(x)
dec = cn.feip.Decryptor(cn.DLog(bound=1 << 16))  # decryption ends in a bounded discrete log
print("<x, y> for each key:", dec.decrypt(cts, keys)[0], "=", (x @ keys.vectors().T)[0])

# A result beyond the solver's bound is an error, never a wrong number:
try:
    cn.feip.Decryptor(cn.DLog(bound=1)).decrypt(cts, keys)
except cn.CryptonnError as e:
    print("refused:", e, "| status", e.status.name)

# %% [markdown]
# ## 2. Reals, and a secure matrix product
# Reals travel as fixed-point integers. In a secure matrix computation Alice's
# X stays encrypted, and Bob, holding one key per column of Y, learns XY.

# %%
fx, fy = cn.Fixed(10, 2), cn.Fixed(10, 2)
X = rng.normal(size=(3, 4))
Y = rng.normal(size=(4, 2))
XY = fx.decode_product(fy, cn.smc.multiply(fx.encode(X), fy.encode(Y)))
# The difference is the rounding to two decimal digits, not the encryption:
print("secure XY - numpy XY, largest difference:", np.abs(XY - X @ Y).max())
print("exact on the rounded inputs:",
      np.allclose(XY, np.round(X, 2) @ np.round(Y, 2), rtol=0, atol=1e-9))

# %% [markdown]
# ## 3. One operation on one number (FEBO)
# This is how the server gets the output error y - p without seeing the label
# y: a key for "x - p" bound to one ciphertext.

# %%
pk, sk = cn.febo.setup()
label = pk.encrypt(1 << 16)  # a one-hot entry, scaled
key = sk.keygen(label, "-", 40_000)  # the server's prediction p, fixed point
print("y - p =", cn.febo.decrypt(cn.DLog(1 << 20), label, key))

# %% [markdown]
# ## 4. The plaintext model
# Models come from the model files the CLI reads (models/*.json), train with
# SGD, and save in the CLI's format.

# %%
spec = cn.data.Spec.describe(os.path.join(ROOT, "data", "breast_cancer.csv"), label="target")
x, y = spec.load(os.path.join(ROOT, "data", "breast_cancer.csv"))
model = cn.Model.from_file(os.path.join(ROOT, "models", "breast_cancer.json"), seed=1)
for stats in model.fit(x, y, epochs=2 if QUICK else 5, batch=32, lr=0.05):
    print(f"loss {stats['loss']:.4f}, training accuracy {stats['accuracy']:.3f}")
model.save(os.path.join(WORK, "model.bin"))  # `cryptonn` reads it as it is
print(model, model.describe()["layers"])

# %% [markdown]
# ## 5. PyTorch, both ways
# Export the trained model as a torch.nn.Sequential (same outputs), or start
# from a PyTorch model's layers and weights.

# %%
try:
    import torch
    from cryptonn.torch import from_torch, to_torch
    net = to_torch(model)
    with torch.no_grad():
        diff = np.abs(net(torch.from_numpy(x[:8])).numpy() - model.forward(x[:8])).max()
    print("PyTorch and cryptonn outputs differ by at most", diff)
    back = from_torch(net, [30])
    print("and back:", back, "same weights:", np.array_equal(back.params, model.params))
except ImportError:
    print("PyTorch is not installed: skipping cell 5")

# %% [markdown]
# ## 6. The three roles: secure training
# The authority (strict mode) commits to a random first layer (the model's own
# first layer, dense:16: a model must begin with it) and issues keys for it alone;
# the owner encrypts its records and registers its label
# ciphertexts; the server trains on ciphertexts and predicts on encrypted
# records, in classes permuted by a secret only the owners hold.

# %%
auth = os.path.join(WORK, "auth")
cn.Authority.setup(auth, spec=spec, first_layer="dense:16", batch=32)
with cn.Authority.open(auth, min_support=1, label_uses=3) as authority:
    owner = cn.Owner(os.path.join(auth, "params.bin"), os.path.join(auth, "owner.key"))
    print("committed first layer:", owner.layer())
    n = 128 if QUICK else 400
    owner.encrypt(os.path.join(WORK, "enc"), x[:n], y[:n], part="owner", spec=spec)
    authority.register_file(os.path.join(WORK, "enc", "owner.lreg"))
    trainer = cn.Trainer(cn.EncryptedDataset(os.path.join(WORK, "enc")),
                         cn.KeyService.local(authority), lr=0.05, dlog_table_bits=16)
    secure = trainer.model(cn.Config.from_file(os.path.join(ROOT, "models", "breast_cancer.json")))
    for e in range(2 if QUICK else 3):
        print("epoch", e + 1, {k: round(v, 3) for k, v in trainer.epoch(secure, e).items()
                               if k in ("loss", "accuracy", "keys_output_error")})
    owner.encrypt(os.path.join(WORK, "test"), x[n:], part="test", spec=spec)
    permuted = trainer.predict(secure, cn.EncryptedDataset(os.path.join(WORK, "test")))
    print("secure test accuracy:", (owner.unpermute(permuted) == y[n:]).mean())
    # What the server could learn, as the authority accounts for it:
    print("\n".join(authority.report().splitlines()[:8]))
