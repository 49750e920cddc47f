#!/usr/bin/env python3
"""PyTorch peer of `cryptonn bench nn`: the same LeNet-5 (conv 6@5x5 -> pool ->
conv 16@5x5 -> pool -> 120 -> 84 -> 10), the same loss, optimiser, batch size
and epochs, trained on MNIST read from the same IDX files. Batches are sliced
from tensors held in memory (no DataLoader), the fastest way PyTorch offers, so
the comparison is against PyTorch at its best. Prints one JSON object."""
import argparse
import json
import os
import struct
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def load_idx(path, ndims):
    with open(path, "rb") as f:
        raw = f.read()
    magic = struct.unpack(">I", raw[:4])[0]
    if magic != 0x800 + ndims:
        raise SystemExit(f"{path}: bad IDX magic {magic:#x}")
    dims = struct.unpack(">" + "I" * ndims, raw[4:4 + 4 * ndims])
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndims)
    if data.size != int(np.prod(dims)):
        raise SystemExit(f"{path}: length does not match its header")
    return data.reshape(dims)


def mnist(d, split, limit):
    x = load_idx(os.path.join(d, f"{split}-images-idx3-ubyte"), 3)
    y = load_idx(os.path.join(d, f"{split}-labels-idx1-ubyte"), 1)
    if limit:
        x, y = x[:limit], y[:limit]
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(y.astype(np.int64))


class LeNet5(nn.Module):
    def __init__(self, act, pool):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.c2 = nn.Conv2d(6, 16, 5)
        self.f1 = nn.Linear(256, 120)
        self.f2 = nn.Linear(120, 84)
        self.f3 = nn.Linear(84, 10)
        self.act = {"relu": torch.relu, "sigmoid": torch.sigmoid, "tanh": torch.tanh}[act]
        self.pool = F.max_pool2d if pool == "max" else F.avg_pool2d

    def forward(self, x):
        x = self.pool(self.act(self.c1(x)), 2)
        x = self.pool(self.act(self.c2(x)), 2)
        x = x.flatten(1)
        x = self.act(self.f1(x))
        x = self.act(self.f2(x))
        return self.f3(x)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", default="data/mnist")
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=0.01)
    ap.add_argument("--momentum", type=float, default=0.9)
    ap.add_argument("--activation", default="relu", choices=["relu", "sigmoid", "tanh"])
    ap.add_argument("--pool", default="max", choices=["max", "avg"])
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0)
    ap.add_argument("--init", help="initial parameters: float32 in parameters() order "
                    "(cryptonn's model layout), to start from the same weights")
    ap.add_argument("--order", help="sample order: uint32, epochs x samples, to train "
                    "on the same batches")
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    xtr, ytr = mnist(a.data, "train", a.limit)
    xte, yte = mnist(a.data, "t10k", 0)
    model = LeNet5(a.activation, a.pool)
    n = xtr.shape[0]
    if a.init:
        flat = torch.from_numpy(np.fromfile(a.init, dtype="<f4"))
        if flat.numel() != sum(p.numel() for p in model.parameters()):
            raise SystemExit(f"{a.init}: {flat.numel()} floats do not fit the model")
        with torch.no_grad():
            at = 0
            for p in model.parameters():
                p.copy_(flat[at:at + p.numel()].view_as(p))
                at += p.numel()
    orders = None
    if a.order:
        orders = torch.from_numpy(np.fromfile(a.order, dtype="<u4").astype(np.int64))
        if orders.numel() != a.epochs * n:
            raise SystemExit(f"{a.order}: not {a.epochs} x {n} indices")
        orders = orders.view(a.epochs, n)
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=a.momentum)
    times, accs = [], []
    for e in range(a.epochs):
        model.train()
        t0 = time.perf_counter()
        perm = orders[e] if orders is not None else torch.randperm(n)
        for i in range(0, n, a.batch):
            idx = perm[i:i + a.batch]
            opt.zero_grad(set_to_none=True)
            loss = F.cross_entropy(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
        model.eval()
        with torch.no_grad():
            correct = 0
            for i in range(0, xte.shape[0], 1000):
                correct += (model(xte[i:i + 1000]).argmax(1) == yte[i:i + 1000]).sum().item()
        accs.append(correct / xte.shape[0])
    print(json.dumps({"torch": torch.__version__, "threads": torch.get_num_threads(),
                      "samples": n, "epoch_seconds": times, "test_accuracy": accs}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
