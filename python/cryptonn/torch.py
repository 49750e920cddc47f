"""PyTorch interop: a cryptonn model as a torch.nn.Module, and a PyTorch
model's layers and weights as a cryptonn model (to train it securely).

PyTorch is optional: it is imported only inside these functions.

Layer for layer: dense = nn.Linear (a dense layer after an image flattens it
first, as torch.flatten(x, 1) does), conv2d = nn.Conv2d (square kernel,
zero padding, bias), maxpool/avgpool = nn.MaxPool2d/nn.AvgPool2d (no
padding), relu/tanh/sigmoid, flatten = nn.Flatten, dropout = nn.Dropout.
Parameters line up one to one: cryptonn's order (each layer's weights then
its bias) is parameters() order, with the same tensor layouts."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from .nn import Model


def _torch() -> Any:
    try:
        import torch
    except ImportError as e:
        raise ImportError("PyTorch is not installed (Debian: apt-get install python3-torch)"
                          ) from e
    return torch


def _modules(layers: List[Dict[str, Any]], shape: Tuple[int, ...]) -> List[Any]:
    nn = _torch().nn
    c, h, w = (shape + (1, 1))[:3] if len(shape) == 1 else shape
    mods: List[Any] = []
    for spec in layers:
        t = spec["type"]
        if t == "dense":
            if (h, w) != (1, 1):
                mods.append(nn.Flatten())
            mods.append(nn.Linear(c * h * w, spec["units"]))
            c, h, w = spec["units"], 1, 1
        elif t == "conv2d":
            k, s, p = spec["kernel"], spec["stride"], spec["padding"]
            mods.append(nn.Conv2d(c, spec["filters"], k, s, p))
            c, h, w = spec["filters"], (h + 2 * p - k) // s + 1, (w + 2 * p - k) // s + 1
        elif t in ("maxpool", "avgpool"):
            k, s = spec["kernel"], spec["stride"]
            mods.append((nn.MaxPool2d if t == "maxpool" else nn.AvgPool2d)(k, s))
            h, w = (h - k) // s + 1, (w - k) // s + 1
        elif t == "flatten":
            mods.append(nn.Flatten())
            c, h, w = c * h * w, 1, 1
        elif t == "dropout":
            mods.append(nn.Dropout(spec["rate"]))
        else:
            mods.append({"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid}[t]())
    return mods


def to_torch(model: Model, logits: bool = False) -> Any:
    """The model as a torch.nn.Sequential holding a copy of its weights, in
    eval mode. It takes float32 input of shape (N, *input_shape) and returns
    what Model.forward returns: class probabilities (a final nn.Softmax) for
    a softmax model, unless logits=True drops that softmax (for
    nn.CrossEntropyLoss); the predicted targets for a linear model."""
    torch = _torch()
    layers, shape = model.layers()
    mods = _modules(layers, tuple(shape))
    if model.output == "softmax" and not logits:
        mods.append(torch.nn.Softmax(dim=1))
    net = torch.nn.Sequential(*mods)
    flat = torch.from_numpy(model.params)
    params = list(net.parameters())
    if sum(p.numel() for p in params) != flat.numel():  # a layer mapping out of step
        raise RuntimeError(f"{flat.numel()} cryptonn parameters, {sum(p.numel() for p in params)} "
                           "in the PyTorch module")
    with torch.no_grad():
        at = 0
        for p in params:
            p.copy_(flat[at:at + p.numel()].view_as(p))
            at += p.numel()
    return net.eval()


def _flat_modules(module: Any) -> List[Any]:
    nn = _torch().nn
    if isinstance(module, nn.Sequential):
        return [m for sub in module for m in _flat_modules(sub)]
    return [module]


def _layer_of(m: Any, i: int) -> Optional[Dict[str, Any]]:
    """The model-file layer of one PyTorch module; None for a module with
    no arithmetic (Identity)."""
    nn = _torch().nn

    def need(ok: bool, why: str) -> None:
        if not ok:
            raise ValueError(f"module {i} ({type(m).__name__}): {why}")

    def one(v: Any) -> int:
        vals = v if isinstance(v, tuple) else (v, v)
        need(vals[0] == vals[1], f"{vals} is not square")
        return int(vals[0])

    if isinstance(m, nn.Linear):
        need(m.bias is not None, "a cryptonn dense layer has a bias")
        return {"type": "dense", "units": m.out_features}
    if isinstance(m, nn.Conv2d):
        need(m.bias is not None, "a cryptonn convolution has a bias")
        need(m.groups == 1 and one(m.dilation) == 1, "groups and dilation must be 1")
        need(m.padding_mode == "zeros" and not isinstance(m.padding, str),
             "only numeric zero padding")
        return {"type": "conv2d", "filters": m.out_channels, "kernel": one(m.kernel_size),
                "stride": one(m.stride), "padding": one(m.padding)}
    if isinstance(m, (nn.MaxPool2d, nn.AvgPool2d)):
        need(one(m.padding) == 0 and not m.ceil_mode, "no padding, no ceil_mode")
        if isinstance(m, nn.MaxPool2d):
            need(one(m.dilation) == 1, "dilation must be 1")
        stride = m.stride if m.stride is not None else m.kernel_size
        return {"type": "maxpool" if isinstance(m, nn.MaxPool2d) else "avgpool",
                "kernel": one(m.kernel_size), "stride": one(stride)}
    if isinstance(m, nn.Flatten):
        need(m.start_dim == 1 and m.end_dim == -1, "only Flatten(1, -1)")
        return {"type": "flatten"}
    if isinstance(m, nn.Dropout):
        return {"type": "dropout", "rate": float(m.p)}
    for cls, name in ((nn.ReLU, "relu"), (nn.Tanh, "tanh"), (nn.Sigmoid, "sigmoid")):
        if isinstance(m, cls):
            return {"type": name}
    if isinstance(m, nn.Identity):
        return None
    raise ValueError(f"module {i} ({type(m).__name__}) has no cryptonn layer")


def from_torch(module: Any, input_shape: Sequence[int], output: str = "softmax",
               loss: Optional[str] = None, reduction: str = "mean", **kw: Any) -> Model:
    """A cryptonn model with the layers and current weights of a PyTorch
    nn.Sequential (nested Sequentials are unrolled; a final Softmax or
    LogSoftmax is dropped: a softmax model applies its own). input_shape is
    [F] or [C, H, W]. Other keywords go to Model.from_layers (seed,
    max_batch, threads, frozen_first_layer). Save it and train it securely
    from these weights."""
    torch = _torch()
    mods = _flat_modules(module)
    while mods and isinstance(mods[-1], (torch.nn.Softmax, torch.nn.LogSoftmax)):
        mods.pop()
    layers, weights = [], []
    for i, m in enumerate(mods):
        spec = _layer_of(m, i)
        # Records reach the first layer flat or as images alike: a Flatten
        # before it is the dense layer's own flattening.
        if spec is None or (spec["type"] == "flatten" and not layers):
            continue
        layers.append(spec)
        weights += [p.detach().cpu().reshape(-1).numpy() for p in m.parameters(recurse=False)]
    model = Model.from_layers(layers, input_shape, output=output, loss=loss,
                              reduction=reduction, **kw)
    flat = np.concatenate(weights).astype(np.float32) if weights else np.zeros(0, np.float32)
    if flat.size != model.param_count:
        raise ValueError(f"the PyTorch module has {flat.size} parameters, the cryptonn model "
                         f"of its layers {model.param_count}: an input_shape that does not fit?")
    model.params = flat
    return model
