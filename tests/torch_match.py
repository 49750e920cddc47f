#!/usr/bin/env python3
"""PyTorch side of tests/test_nn_torch.c: builds the network a cryptonn model
file lists (docs/DATA.md) as a torch.nn.Sequential and, at every step of the
C engine's training run, recomputes in float64 from the C engine's own
weights what the step should have been:

- each sample's loss and gradient (torch's autograd), and the sample's
  margin: how close any ReLU input or max-pool window came to a tie (the
  smallest |x| over nonzero ReLU inputs and the smallest nonzero gap between
  a window's two largest values, each over that layer's largest |value|),
  since there float32 and float64 may legitimately take different branches;
- the SGD step torch.optim.SGD takes from those weights, the C engine's
  momentum buffer and its batch gradient.

Starting every step from the C engine's weights keeps float rounding from
compounding over steps, and the margins say which disagreements are ties
rather than errors; the C test makes the comparison.

Reads DIR/meta.json, DIR/x.f32, DIR/y.u8 or DIR/t.f32, DIR/order.u32,
DIR/theta.f32 (steps + 1 parameter vectors, in cryptonn's order, which is
parameters() order), DIR/vel.f32 (the momentum buffer before each step) and
DIR/grad.f32 (the C engine's batch gradient of each step). Writes
DIR/torch_grad.f64 (steps × batch per-sample gradients), DIR/torch_loss.f64
(steps × batch per-sample losses), DIR/torch_margin.f64 (steps × batch) and
DIR/torch_step.f64 (steps parameter vectors after torch's SGD step).
Exit 3: torch is not installed."""
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
    """One sample's loss (z: 1 × outputs)."""
    if meta["output"] == "linear":
        return 0.5 * ((z - t) ** 2).sum()
    if meta["loss"] == "ce":
        return F.cross_entropy(z, y, reduction="sum")
    # the paper's E = ½ Σ (softmax − onehot)²
    return 0.5 * ((torch.softmax(z, 1) - F.one_hot(y, z.shape[1]).double()) ** 2).sum()


def smallest_nonzero(v):
    v = v[v > 0]
    return v.min().item() if v.numel() else float("inf")


def margin(model, x):
    """How near one sample's forward pass comes to a tie (see the module
    docstring): inf when nothing is near."""
    m = float("inf")
    for mod in model:
        if isinstance(mod, nn.ReLU):
            scale = x.abs().max().item()
            if scale > 0:
                m = min(m, smallest_nonzero(x.abs().flatten()) / scale)
        elif isinstance(mod, nn.MaxPool2d):
            k, s = mod.kernel_size, mod.stride
            win = x.unfold(2, k, s).unfold(3, k, s).flatten(-2)
            top = win.topk(2, dim=-1).values
            scale = x.abs().max().item()
            if scale > 0:
                m = min(m, smallest_nonzero((top[..., 0] - top[..., 1]).flatten()) / scale)
        x = mod(x)
    return m


def load_params(params, flat):
    with torch.no_grad():
        at = 0
        for p in params:
            p.copy_(flat[at:at + p.numel()].view_as(p))
            at += p.numel()


def main():
    d = sys.argv[1]
    meta = json.load(open(os.path.join(d, "meta.json")))
    with open(meta["model"]) as f:
        layers = json.load(f)["layers"]
    torch.set_num_threads(1)
    model = build(layers, meta["input"]).double()
    params = list(model.parameters())
    npar = sum(p.numel() for p in params)
    steps, b, n = meta["steps"], meta["batch"], meta["n"]

    def f32(name, *shape):
        a = np.fromfile(os.path.join(d, name), dtype="<f4").astype(np.float64)
        return torch.from_numpy(a).view(*shape)

    theta = f32("theta.f32", steps + 1, -1)
    if theta.shape[1] != npar:
        raise SystemExit(f"{theta.shape[1]} weights do not fit the model's {npar}")
    vel, grad = f32("vel.f32", steps, npar), f32("grad.f32", steps, npar)
    x = f32("x.f32", n, *meta["input"])
    y = t = None
    if meta["output"] == "linear":
        t = f32("t.f32", n, 1)
    else:
        y = torch.from_numpy(np.fromfile(os.path.join(d, "y.u8"), dtype="u1").astype(np.int64))
    order = np.fromfile(os.path.join(d, "order.u32"), dtype="<u4").astype(np.int64)

    grads = np.zeros((steps, b, npar))
    losses = np.zeros((steps, b))
    margins = np.zeros((steps, b))
    after = np.zeros((steps, npar))
    model.eval()  # dropout is rate 0 (checked in build); eval keeps it inert
    for s in range(steps):
        load_params(params, theta[s])
        for i, k in enumerate(order[s * b:(s + 1) * b]):
            xi = x[k:k + 1]
            model.zero_grad()
            loss = loss_fn(meta, model(xi), y[k:k + 1] if y is not None else None,
                           t[k:k + 1] if t is not None else None)
            loss.backward()
            grads[s, i] = torch.cat([p.grad.flatten() for p in params]).numpy()
            losses[s, i] = loss.item()
            with torch.no_grad():
                margins[s, i] = margin(model, xi)
        # torch's own SGD step from the C engine's state: weights, momentum
        # buffer (none before the first step, as in torch) and batch gradient.
        opt = torch.optim.SGD(params, lr=meta["lr"], momentum=meta["momentum"],
                              weight_decay=meta["weight_decay"])
        at = 0
        for p in params:
            p.grad = grad[s, at:at + p.numel()].reshape(p.shape).clone()
            if s > 0 and meta["momentum"] != 0:
                opt.state[p]["momentum_buffer"] = vel[s, at:at + p.numel()].reshape(p.shape).clone()
            at += p.numel()
        opt.step()
        after[s] = torch.cat([p.detach().flatten() for p in params]).numpy()

    grads.astype("<f8").tofile(os.path.join(d, "torch_grad.f64"))
    losses.astype("<f8").tofile(os.path.join(d, "torch_loss.f64"))
    margins.astype("<f8").tofile(os.path.join(d, "torch_margin.f64"))
    after.astype("<f8").tofile(os.path.join(d, "torch_step.f64"))
    print(json.dumps({"torch": torch.__version__, "steps": steps, "params": npar}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
