"""The plaintext model (include/cryptonn/nn.h): model files, train, predict.

    >>> m = Model.from_file("models/breast_cancer.json", seed=1)
    >>> m.train_epoch(x, y, batch=32, lr=0.05)
    >>> m.predict(x_test)

Models are the ones the CLI writes and reads (`cryptonn train --out`,
model.bin): Model.load reads them, Model.save writes them. Records are
float32 rows (images N×C×H×W or flattened); labels are class indices
(softmax models) or N×outputs targets (linear models)."""
from __future__ import annotations

import json
import os
import tempfile
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ._arrays import float32_matrix, ptr
from ._lib import check, ffi, lib, message, path_arg
from .errors import CryptonnError

PathLike = "os.PathLike[str] | str"
_MSG = 512

_KIND_NAMES = {lib.CRYPTONN_LAYER_DENSE: "dense", lib.CRYPTONN_LAYER_CONV2D: "conv2d",
               lib.CRYPTONN_LAYER_MAXPOOL: "maxpool", lib.CRYPTONN_LAYER_AVGPOOL: "avgpool",
               lib.CRYPTONN_LAYER_RELU: "relu", lib.CRYPTONN_LAYER_TANH: "tanh",
               lib.CRYPTONN_LAYER_SIGMOID: "sigmoid", lib.CRYPTONN_LAYER_FLATTEN: "flatten",
               lib.CRYPTONN_LAYER_DROPOUT: "dropout"}


def _layer_dict(spec: Any) -> Dict[str, Any]:
    """One layer of a config as a model file writes it."""
    kind = _KIND_NAMES[spec.kind]
    d: Dict[str, Any] = {"type": kind}
    if kind == "dense":
        d["units"] = int(spec.units)
    elif kind == "conv2d":
        d.update(filters=int(spec.units), kernel=int(spec.kernel), stride=int(spec.stride),
                 padding=int(spec.pad))
    elif kind in ("maxpool", "avgpool"):
        d.update(kernel=int(spec.kernel), stride=int(spec.stride))
    elif kind == "dropout":
        d["rate"] = float(spec.rate)
    return d


def _builtin_layers(cfg: Any) -> Tuple[List[Dict[str, Any]], Tuple[int, ...]]:
    """The layer list a built-in architecture (LeNet-5, MLP) stands for."""
    act = {"type": {v: k for k, v in _ACTS.items()}[cfg.act]}
    if cfg.arch == lib.CRYPTONN_ARCH_MLP:
        return ([{"type": "dense", "units": int(cfg.hidden)}, act,
                 {"type": "dense", "units": int(cfg.classes)}], (int(cfg.in_dim),))
    pool = {"type": "maxpool" if cfg.pool == lib.CRYPTONN_POOL_MAX else "avgpool",
            "kernel": 2, "stride": 2}
    f1 = int(cfg.conv1_filters) or 6
    conv = lambda f: {"type": "conv2d", "filters": f, "kernel": 5, "stride": 1, "padding": 0}
    return ([conv(f1), act, pool, conv(16), act, pool, {"type": "flatten"},
             {"type": "dense", "units": 120}, act, {"type": "dense", "units": 84}, act,
             {"type": "dense", "units": int(cfg.classes)}], (1, 28, 28))


def _pick(name: str, value: Any, table: Dict[str, int]) -> int:
    if value not in table:
        raise ValueError(f"{name}: one of {', '.join(table)}, got {value!r}")
    return table[value]


_ARCHS = {"mlp": lib.CRYPTONN_ARCH_MLP, "lenet5": lib.CRYPTONN_ARCH_LENET5}
_ACTS = {"sigmoid": lib.CRYPTONN_ACT_SIGMOID, "relu": lib.CRYPTONN_ACT_RELU,
         "tanh": lib.CRYPTONN_ACT_TANH}
_LOSSES = {"ce": lib.CRYPTONN_LOSS_CE, "mse": lib.CRYPTONN_LOSS_MSE}
_REDUCTIONS = {"mean": lib.CRYPTONN_REDUCE_MEAN, "sum": lib.CRYPTONN_REDUCE_SUM}
_POOLS = {"max": lib.CRYPTONN_POOL_MAX, "avg": lib.CRYPTONN_POOL_AVG}
_INITS = {"torch": lib.CRYPTONN_INIT_TORCH, "xavier": lib.CRYPTONN_INIT_XAVIER}


class Config:
    """A model configuration (cryptonn_model_config): the architecture, the
    loss and the initialisation seed. Model.create builds the model; the
    secure Trainer fits a config to its dataset first."""

    def __init__(self, cdata: Any):
        self._cfg = cdata

    @classmethod
    def builtin(cls, arch: str = "lenet5", activation: str = "relu", hidden: int = 128,
                conv1_filters: int = 0, pool: str = "max", loss: str = "ce",
                reduction: str = "mean", init: str = "torch", classes: int = 10,
                in_dim: int = 784, seed: int = 1, frozen_first_layer: bool = False) -> "Config":
        """LeNet-5 on 28×28 images or the MLP in_dim → hidden → classes, as
        `cryptonn train --model lenet5|mlp` builds them."""
        cfg = ffi.new("cryptonn_model_config *")
        lib.cryptonn_model_config_default(cfg)
        cfg.arch = _pick("arch", arch, _ARCHS)
        cfg.act = _pick("activation", activation, _ACTS)
        cfg.pool = _pick("pool", pool, _POOLS)
        cfg.loss = _pick("loss", loss, _LOSSES)
        cfg.reduction = _pick("reduction", reduction, _REDUCTIONS)
        cfg.init = _pick("init", init, _INITS)
        cfg.hidden, cfg.conv1_filters = hidden, conv1_filters
        cfg.classes, cfg.in_dim = classes, in_dim
        cfg.seed, cfg.frozen_first_layer = seed, int(frozen_first_layer)
        return cls(cfg)

    @classmethod
    def from_file(cls, path: PathLike, input_shape: Optional[Sequence[int]] = None,
                  seed: int = 1, init: Optional[str] = None,
                  frozen_first_layer: bool = False) -> "Config":
        """A model file (models/*.json, docs/DATA.md). input_shape ([F] or
        [C, H, W]) is needed when the file has none."""
        cfg = ffi.new("cryptonn_model_config *")
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_model_config_read(path_arg(path), cfg, msg, _MSG),
              f"reading model file {path}", message(msg))
        if input_shape is not None:
            shape = [int(v) for v in input_shape]
            if len(shape) not in (1, 3):
                raise ValueError(f"input_shape: [F] or [C, H, W], got {shape}")
            cfg.in_c, cfg.in_h, cfg.in_w = (shape + [1, 1])[:3] if len(shape) == 1 else shape
        if init is not None:
            cfg.init = _pick("init", init, _INITS)
        cfg.seed = seed
        cfg.frozen_first_layer = int(frozen_first_layer)
        return cls(cfg)

    @classmethod
    def from_layers(cls, layers: List[Dict[str, Any]], input_shape: Sequence[int],
                    output: str = "softmax", loss: Optional[str] = None,
                    reduction: str = "mean", init: str = "torch", **kw: Any) -> "Config":
        """A layer list in the model file's form, e.g.
        [{"type": "dense", "units": 16}, {"type": "relu"},
         {"type": "dense", "units": 2}]. The library's model-file reader
        checks it, so errors name the layer as for a file. Other keywords:
        seed, frozen_first_layer."""
        doc = {"input": [int(v) for v in input_shape], "output": output,
               "loss": loss or ("mse" if output == "linear" else "ce"),
               "reduction": reduction, "init": init, "layers": layers}
        fd, path = tempfile.mkstemp(suffix=".json", prefix="cryptonn-model-")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(doc, f)
            return cls.from_file(path, **kw)
        except CryptonnError as e:  # name the layer list, not the file it went through
            detail = (e.detail or "").replace(path + ": ", "").replace(path, "the layers")
            raise CryptonnError(e.status, "model layers", detail or None) from None
        finally:
            os.unlink(path)

    def copy(self) -> "Config":
        cfg = ffi.new("cryptonn_model_config *")
        ffi.memmove(cfg, self._cfg, ffi.sizeof("cryptonn_model_config"))
        return Config(cfg)

    def check(self) -> None:
        """Raises CryptonnError(ARG) naming the layer at fault, as create would."""
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_model_config_check(self._cfg, msg, _MSG), "model configuration",
              message(msg))

    def create(self, max_batch: int = 64, threads: int = 2) -> "Model":
        """A fresh model, initialised from the config's seed."""
        self.check()
        out = ffi.new("cryptonn_model **")
        check(lib.cryptonn_model_create(self._cfg, max_batch, threads, out), "creating the model")
        return Model(out[0])


class Model:
    """A cryptonn model: its layers, parameters and SGD state.

    Create with from_file, from_layers, Config.create or load. max_batch
    bounds the samples of one pass (larger inputs are cut into passes);
    threads is the model's worker threads (results are reproducible for a
    given seed, batch and thread count)."""

    def __init__(self, handle: Any):
        self._ptr = ffi.gc(handle, lib.cryptonn_model_destroy)

    # ---- creation ----

    @classmethod
    def from_file(cls, path: PathLike, input_shape: Optional[Sequence[int]] = None,
                  seed: int = 1, init: Optional[str] = None, frozen_first_layer: bool = False,
                  max_batch: int = 64, threads: int = 2) -> "Model":
        """A fresh model from a model file, initialised from seed as
        `cryptonn train --model FILE --seed S` is (see Config.from_file)."""
        return Config.from_file(path, input_shape, seed, init,
                                frozen_first_layer).create(max_batch, threads)

    @classmethod
    def from_layers(cls, layers: List[Dict[str, Any]], input_shape: Sequence[int],
                    output: str = "softmax", loss: Optional[str] = None,
                    reduction: str = "mean", init: str = "torch", max_batch: int = 64,
                    threads: int = 2, **kw: Any) -> "Model":
        """A fresh model from a layer list (see Config.from_layers)."""
        return Config.from_layers(layers, input_shape, output, loss, reduction, init,
                                  **kw).create(max_batch, threads)

    @property
    def config(self) -> Config:
        """A copy of the model's configuration."""
        return Config(self._cfg).copy()

    @classmethod
    def load(cls, path: PathLike, max_batch: int = 64, threads: int = 2) -> "Model":
        """A model saved by Model.save or the CLI (`cryptonn train --out`)."""
        out = ffi.new("cryptonn_model **")
        check(lib.cryptonn_model_load(path_arg(path), max_batch, threads, out),
              f"loading model {path}")
        return cls(out[0])

    def save(self, path: PathLike) -> None:
        """Configuration and parameters, atomically, in the CLI's format."""
        check(lib.cryptonn_model_save(self._ptr, path_arg(path)), f"saving model {path}")

    # ---- description ----

    @property
    def _cfg(self) -> Any:
        return lib.cryptonn_model_get_config(self._ptr)

    @property
    def classes(self) -> int:
        """Output width: classes (softmax) or targets (linear)."""
        return int(self._cfg.classes)

    @property
    def output(self) -> str:
        return "linear" if self._cfg.output == lib.CRYPTONN_OUTPUT_LINEAR else "softmax"

    @property
    def input_size(self) -> int:
        return int(lib.cryptonn_model_input_size(self._ptr))

    @property
    def max_batch(self) -> int:
        return int(lib.cryptonn_model_max_batch(self._ptr))

    def layers(self) -> Tuple[List[Dict[str, Any]], Tuple[int, ...]]:
        """(layer list in the model file's form, input shape [F] or [C, H, W])."""
        cfg = self._cfg
        if cfg.arch != lib.CRYPTONN_ARCH_LAYERS:
            return _builtin_layers(cfg)
        shape = (int(cfg.in_c), int(cfg.in_h), int(cfg.in_w))
        layers = [_layer_dict(cfg.layers[i]) for i in range(cfg.nlayers)]
        return layers, shape[:1] if shape[1:] == (1, 1) else shape

    def describe(self) -> Dict[str, Any]:
        """The model as a model file would state it (json.dump-able)."""
        cfg = self._cfg
        layers, shape = self.layers()
        return {"input": list(shape), "output": self.output,
                "loss": "mse" if cfg.loss == lib.CRYPTONN_LOSS_MSE else "ce",
                "reduction": "sum" if cfg.reduction == lib.CRYPTONN_REDUCE_SUM else "mean",
                "init": "xavier" if cfg.init == lib.CRYPTONN_INIT_XAVIER else "torch",
                "layers": layers}

    # ---- parameters ----

    @property
    def param_count(self) -> int:
        return int(lib.cryptonn_model_param_count(self._ptr))

    @property
    def params(self) -> np.ndarray:
        """A copy of every parameter, layer by layer (weights then bias):
        PyTorch's parameters() order for the same layers."""
        n = self.param_count
        return np.frombuffer(ffi.buffer(lib.cryptonn_model_params(self._ptr), 4 * n),
                             dtype=np.float32).copy()

    @params.setter
    def params(self, values: Any) -> None:
        arr = np.ascontiguousarray(values, dtype=np.float32).reshape(-1)
        if arr.size != self.param_count:
            raise ValueError(f"{arr.size} parameters for a model of {self.param_count}")
        if not np.all(np.isfinite(arr)):
            raise ValueError("parameters contain a NaN or an infinity")
        ffi.memmove(lib.cryptonn_model_params(self._ptr), ffi.from_buffer(arr), 4 * arr.size)

    def first_layer(self) -> Dict[str, Any]:
        """The secure first layer: its shape and copies of W1 and b1."""
        fl = ffi.new("cryptonn_first_layer *")
        lib.cryptonn_model_first_layer(self._ptr, fl)
        w = np.frombuffer(ffi.buffer(fl.w, 4 * fl.nw), dtype=np.float32).copy()
        b = np.frombuffer(ffi.buffer(fl.b, 4 * fl.nb), dtype=np.float32).copy()
        return {"conv": bool(fl.is_conv), "input": (fl.in_c, fl.in_h, fl.in_w),
                "output": (fl.out_c, fl.out_h, fl.out_w), "kernel": int(fl.k),
                "stride": int(fl.stride), "padding": int(fl.pad), "w": w, "b": b}

    # ---- inference and training ----

    def forward(self, x: Any) -> np.ndarray:
        """Outputs for every record (N × classes): class probabilities for a
        softmax model, the predicted targets for a linear one. Inference
        passes: dropout off."""
        X = float32_matrix(x, "x", self.input_size)
        out = np.zeros((X.shape[0], self.classes), dtype=np.float32)
        lib.cryptonn_model_set_training(self._ptr, 0)
        try:
            for lo in range(0, X.shape[0], self.max_batch):
                hi = min(lo + self.max_batch, X.shape[0])
                p = lib.cryptonn_model_forward(self._ptr, ptr(X[lo:hi], "float *"), hi - lo)
                out[lo:hi] = np.frombuffer(ffi.buffer(p, 4 * (hi - lo) * self.classes),
                                           dtype=np.float32).reshape(hi - lo, self.classes)
        finally:
            lib.cryptonn_model_set_training(self._ptr, 1)
        return out

    def predict(self, x: Any) -> np.ndarray:
        """Class indices (softmax models) or predicted targets (linear)."""
        p = self.forward(x)
        return p.argmax(axis=1) if self.output == "softmax" else p

    def _samples(self, x: Any, y: Any) -> Tuple[Any, List[np.ndarray]]:
        X = float32_matrix(x, "x", self.input_size)
        s = ffi.new("cryptonn_samples *")
        s.n, s.size, s.x = X.shape[0], self.input_size, ptr(X, "float *")
        keep = [X]
        if self.output == "softmax":
            Y = np.asarray(y)
            if Y.shape != (X.shape[0],) or not np.issubdtype(Y.dtype, np.integer):
                raise ValueError(f"y: {X.shape[0]} integer class labels needed, got "
                                 f"{Y.dtype} {Y.shape}")
            if Y.size and (Y.min() < 0 or Y.max() >= self.classes):
                raise ValueError(f"y: labels must be 0..{self.classes - 1}, got "
                                 f"{int(Y.min())}..{int(Y.max())}")
            Y = np.ascontiguousarray(Y, dtype=np.uint8)
            s.y = ptr(Y, "uint8_t *")
        else:
            Y = float32_matrix(np.asarray(y).reshape(X.shape[0], -1), "targets", self.classes)
            s.outputs, s.t = self.classes, ptr(Y, "float *")
        keep.append(Y)
        return s, keep

    def train_epoch(self, x: Any, y: Any, batch: int = 64, lr: float = 0.01,
                    momentum: float = 0.9, weight_decay: float = 0.0, seed: int = 1,
                    order: Any = None) -> Dict[str, float]:
        """One epoch of plain SGD over the records in a seeded shuffled order
        (`cryptonn train`'s), or in `order` when given. Returns the mean loss
        and the training accuracy (softmax models)."""
        s, keep = self._samples(x, y)
        if batch < 1 or batch > self.max_batch:
            raise ValueError(f"batch must be 1..{self.max_batch} (max_batch), got {batch}")
        if order is None:
            order = shuffle_order(seed, s.n)
        ordr = np.ascontiguousarray(order, dtype=np.uint32)
        if ordr.shape != (s.n,) or (s.n and int(ordr.max()) >= s.n):
            raise ValueError(f"order: a permutation of 0..{s.n - 1} needed")
        opt = ffi.new("cryptonn_sgd *", {"lr": lr, "momentum": momentum,
                                         "weight_decay": weight_decay})
        st = ffi.new("cryptonn_epoch_stats *")
        check(lib.cryptonn_model_train_samples(self._ptr, s, batch, opt, ptr(ordr, "uint32_t *"),
                                               ffi.NULL, ffi.NULL, st), "training epoch")
        seen = max(int(st.seen), 1)
        return {"loss": st.loss_sum / seen, "accuracy": int(st.correct) / seen,
                "seen": int(st.seen)}

    def fit(self, x: Any, y: Any, epochs: int = 1, batch: int = 64, lr: float = 0.01,
            momentum: float = 0.9, weight_decay: float = 0.0, seed: int = 1
            ) -> List[Dict[str, float]]:
        """`cryptonn train`'s epochs: epoch e (from 1) shuffles with seed
        seed·1000003 + e, so the same records, model seed and options give
        the CLI's model bit for bit (same thread count). Returns each
        epoch's train_epoch statistics."""
        return [self.train_epoch(x, y, batch, lr, momentum, weight_decay,
                                 seed=seed * 1000003 + e) for e in range(1, epochs + 1)]

    def evaluate(self, x: Any, y: Any) -> float:
        """Accuracy (softmax models) or root mean squared error (linear)."""
        s, keep = self._samples(x, y)
        metric = ffi.new("double *")
        check(lib.cryptonn_model_evaluate_samples(self._ptr, s, metric, ffi.NULL), "evaluation")
        return float(metric[0])

    def __repr__(self) -> str:
        return (f"Model({self.output}, input {self.input_size}, {self.classes} outputs, "
                f"{self.param_count} parameters)")


def shuffle_order(seed: int, n: int) -> np.ndarray:
    """The seeded permutation of 0..n-1 an epoch of `cryptonn train` uses."""
    out = np.zeros(n, dtype=np.uint32)
    if n:
        lib.cryptonn_shuffle_order(seed, n, ptr(out, "uint32_t *"))
    return out


def load_idx(images: PathLike, labels: PathLike, limit: int = 0) -> Tuple[np.ndarray, np.ndarray]:
    """MNIST-style IDX files as (N×rows×cols float32 in [0, 1], N uint8 labels)."""
    d = ffi.new("cryptonn_dataset *")
    msg = ffi.new("char[]", _MSG)
    check(lib.cryptonn_idx_load(path_arg(images), path_arg(labels), limit, d, msg, _MSG),
          f"reading {images}", message(msg))
    try:
        n, r, c = int(d.n), int(d.rows), int(d.cols)
        x = np.frombuffer(ffi.buffer(d.x, 4 * n * r * c), dtype=np.float32).reshape(n, r, c).copy()
        y = np.frombuffer(ffi.buffer(d.y, n), dtype=np.uint8).copy()
    finally:
        lib.cryptonn_dataset_free(d)
    return x, y


def load_mnist(directory: PathLike, train: bool = True, limit: int = 0
               ) -> Tuple[np.ndarray, np.ndarray]:
    """The MNIST training or test set from a directory of tools/fetch-mnist."""
    pre = "train" if train else "t10k"
    return load_idx(os.path.join(directory, f"{pre}-images-idx3-ubyte"),
                    os.path.join(directory, f"{pre}-labels-idx1-ubyte"), limit)
