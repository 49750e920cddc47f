#!/usr/bin/env python3
"""PyTorch side of tests/test_nn_torch.c: builds the network a cryptonn model
file lists (docs/DATA.md) as a torch.nn.Sequential, loads the initial weights
cryptonn drew, trains on the same records in the same batches with the same
loss and optimiser, and writes the weights and the per-step losses back for
the C test to compare.

Reads DIR/meta.json (written by the C test), DIR/init.f32, DIR/x.f32,
DIR/y.u8 or DIR/t.f32, DIR/order.u32; writes DIR/torch.f32 (parameters in
cryptonn's order, which is parameters() order) and DIR/torch_loss.f64 (the
summed per-sample loss of every step). Exit 3: torch is not installed."""
import json
import os
import sys

try:
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError as e:  # the C test reports the skip
    print(f"torch_match: {e}", file=sys.stderr)
    sys.exit(3)


def build(layers, shape):
    """The Sequential for the model file's layers on input shape (C, H, W)."""
    mods = []
    c, h, w = shape
    for i, l in enumerate(layers):
        t = l["type"]
        if t == "conv2d":
            k, s, p = l["kernel"], l.get("stride", 1), l.get("padding", 0)
            mods.append(nn.Conv2d(c, l["filters"], k, s, p))
            c, h, w = l["filters"], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif t in ("maxpool", "avgpool"):
            k, s = l["kernel"], l.get("stride", l["kernel"])
            mods.append((nn.MaxPool2d if t == "maxpool" else nn.AvgPool2d)(k, s))
            h, w = (h - k) // s + 1, (w - k) // s + 1
        elif t == "dense":
            if h != 1 or w != 1 or len(mods) == 0:
                mods.append(nn.Flatten())  # cryptonn's dense flattens its input
            mods.append(nn.Linear(c * h * w, l["units"]))
            c, h, w = l["units"], 1, 1
        elif t == "flatten":
            mods.append(nn.Flatten())
            c, h, w = c * h * w, 1, 1
        elif t == "dropout":
            if l["rate"] != 0:
                raise SystemExit(f"layer {i + 1}: dropout draws differ from PyTorch's; use rate 0")
            mods.append(nn.Dropout(0.0))
        else:
            mods.append({"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[t]())
    return nn.Sequential(*mods)


def loss_fn(meta, z, y, t):
    mean = meta["reduction"] == "mean"
    if meta["output"] == "linear":
        per = 0.5 * ((z - t) ** 2).sum(1)
    elif meta["loss"] == "ce":
        per = F.cross_entropy(z, y, reduction="none")
    else:  # the paper's E = ½ Σ (softmax − onehot)²
        per = 0.5 * ((torch.softmax(z, 1) - F.one_hot(y, z.shape[1]).float()) ** 2).sum(1)
    return per.mean() if mean else per.sum(), per.sum().item()


def main():
    d = sys.argv[1]
    meta = json.load(open(os.path.join(d, "meta.json")))
    with open(meta["model"]) as f:
        layers = json.load(f)["layers"]
    torch.set_num_threads(1)
    model = build(layers, meta["input"])
    flat = torch.from_numpy(np.fromfile(os.path.join(d, "init.f32"), dtype="<f4"))
    params = list(model.parameters())
    if flat.numel() != sum(p.numel() for p in params):
        raise SystemExit(f"{flat.numel()} initial weights do not fit the model")
    with torch.no_grad():
        at = 0
        for p in params:
            p.copy_(flat[at:at + p.numel()].view_as(p))
            at += p.numel()
    n = meta["n"]
    x = torch.from_numpy(np.fromfile(os.path.join(d, "x.f32"), dtype="<f4")).view(n, *meta["input"])
    y = t = None
    if meta["output"] == "linear":
        t = torch.from_numpy(np.fromfile(os.path.join(d, "t.f32"), dtype="<f4")).view(n, -1)
    else:
        y = torch.from_numpy(np.fromfile(os.path.join(d, "y.u8"), dtype="u1").astype(np.int64))
    order = torch.from_numpy(np.fromfile(os.path.join(d, "order.u32"), dtype="<u4").astype(np.int64))
    opt = torch.optim.SGD(model.parameters(), lr=meta["lr"], momentum=meta["momentum"],
                          weight_decay=meta["weight_decay"])
    b, losses = meta["batch"], []
    for s in range(meta["steps"]):
        idx = order[s * b:(s + 1) * b]
        opt.zero_grad()
        loss, total = loss_fn(meta, model(x[idx]), y[idx] if y is not None else None,
                              t[idx] if t is not None else None)
        loss.backward()
        opt.step()
        losses.append(total)
    out = torch.cat([p.detach().flatten() for p in model.parameters()]).numpy().astype("<f4")
    out.tofile(os.path.join(d, "torch.f32"))
    np.array(losses, dtype="<f8").tofile(os.path.join(d, "torch_loss.f64"))
    print(json.dumps({"torch": torch.__version__, "steps": meta["steps"], "params": int(out.size)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
