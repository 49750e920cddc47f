"""The training server's side (include/cryptonn/server.h, encdata.h): an
encrypted dataset, a Trainer that trains a model whose first layer runs
under encryption with keys from a KeyService, secure prediction, and
checkpoints.

    >>> ds = EncryptedDataset("enc")
    >>> t = Trainer(ds, KeyService.local(authority), lr=0.05, seed=1)
    >>> model = t.model(Config.builtin("mlp", activation="tanh"))
    >>> for e in range(2): t.epoch(model, e)
    >>> t.predict(model, EncryptedDataset("enc-test"))   # permuted classes

Everything the trainer learns about the records comes through the keys
the authority issued (DESIGN.md §3, §5: what that reveals in each mode)."""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from ._arrays import ptr
from ._lib import check, ffi, lib, message, path_arg
from .authority import MODE_NAMES
from .nn import Config, Model
from .transport import KeyService

PathLike = "os.PathLike[str] | str"
_MSG = 512


class EncryptedDataset:
    """The complete parts of an encrypted dataset directory (incomplete
    ones are skipped and counted in .skipped). Nothing in it is plaintext."""

    def __init__(self, directory: PathLike):
        out, skipped = ffi.new("cryptonn_encdata **"), ffi.new("uint32_t *")
        check(lib.cryptonn_encdata_open(out, path_arg(directory), skipped),
              f"opening encrypted dataset {directory}")
        self._ptr = ffi.gc(out[0], lib.cryptonn_encdata_close)
        self.directory = os.fspath(directory)
        self.skipped = int(skipped[0])

    def info(self) -> Dict[str, Any]:
        """Mode, record shape, slots, batch, classes, value and label bits,
        samples, batches, whether it has labels (training data), whether the
        task is regression, and the fixed point of records (x_den, x_max) and
        labels (y_den, y_max)."""
        i = ffi.new("cryptonn_encdata_info *")
        lib.cryptonn_encdata_describe(self._ptr, i)
        return {"mode": MODE_NAMES[i.mode], "shape": (int(i.channels), int(i.height),
                                                      int(i.width)),
                "slots": int(i.slots), "batch": int(i.batch), "classes": int(i.classes),
                "value_bits": int(i.value_bits), "label_bits": int(i.label_bits),
                "samples": int(i.samples), "batches": int(i.batches), "labels": bool(i.labels),
                "regression": bool(i.regression), "x_den": int(i.x_den), "x_max": int(i.x_max),
                "y_den": int(i.y_den), "y_max": int(i.y_max)}

    def __len__(self) -> int:
        return self.info()["samples"]

    def check_batch(self, i: int) -> int:
        """Reads batch i and checks it against the parameters and keys;
        returns its sample count (CryptonnError NOT_FOUND past the end)."""
        n = ffi.new("uint32_t *")
        check(lib.cryptonn_encdata_check_batch(self._ptr, i, n), f"batch {i} of {self.directory}")
        return int(n[0])


def _stats(st: Any) -> Dict[str, float]:
    out = {name: (float if name.startswith("seconds") or name == "loss_sum" else int)(
        getattr(st, name)) for name, _ in ffi.typeof("cryptonn_train_stats").fields}
    seen = max(out["samples"], 1)
    out["loss"] = out["loss_sum"] / seen
    out["accuracy"] = out["correct"] / seen
    return out


class Trainer:
    """Secure training on an encrypted dataset with keys from a KeyService.

    Options (cryptonn_trainer_opts): lr, momentum, weight_decay; w_bits
    (first-layer weight precision), dz_bits (paper mode's gradient
    precision); seed (batch order); threads (decryption); max_batches per
    epoch (0: all); dlog_table_bits (baby steps ±2^bits); z1_cache_mb;
    cache_dir (the discrete-log table's cache); progress (stderr).
    Results are bit-for-bit the same for a seed and thread count, whether
    keys come in process or over HTTP."""

    def __init__(self, train: EncryptedDataset, keys: KeyService, lr: Optional[float] = None,
                 momentum: Optional[float] = None, weight_decay: Optional[float] = None,
                 cache_dir: Optional[PathLike] = None, **opts: Any):
        o = ffi.new("cryptonn_trainer_opts *")
        lib.cryptonn_trainer_opts_default(o)
        for name, value in (("lr", lr), ("momentum", momentum), ("weight_decay", weight_decay)):
            if value is not None:
                setattr(o.sgd, name, value)
        fields = {n for n, _ in ffi.typeof("cryptonn_trainer_opts").fields} - {"sgd", "cache_dir"}
        for name, value in opts.items():
            if name not in fields:
                raise TypeError(f"unknown trainer option {name!r} "
                                f"(one of {', '.join(sorted(fields))})")
            setattr(o, name, int(value))
        self._keep = [train, keys]
        if cache_dir is not None:
            self._keep.append(ffi.new("char[]", path_arg(cache_dir)))
            o.cache_dir = self._keep[-1]
        out = ffi.new("cryptonn_trainer **")
        check(lib.cryptonn_trainer_create(out, train._ptr, keys.handle(), o),
              "creating the trainer")
        self._ptr = ffi.gc(out[0], lib.cryptonn_trainer_destroy)
        self.train, self.keys = train, keys

    def fit_config(self, config: Optional[Config] = None) -> Config:
        """The config fitted to the dataset: strict mode installs the
        committed first layer (frozen); paper mode checks the shape.
        None: LeNet-5 with tanh, `cryptonn train --secure`'s default."""
        cfg = (config or Config.builtin("lenet5", activation="tanh")).copy()
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_trainer_fit_config(self._ptr, cfg._cfg, msg, _MSG),
              "fitting the model to the dataset", message(msg))
        return cfg

    def model(self, config: Optional[Config] = None, init: Optional[Model] = None) -> Model:
        """A model for this trainer from a config (fitted first), or from
        init's config and weights (e.g. cryptonn.torch.from_torch(net)): in
        paper mode every weight is init's; in strict mode the first layer is
        the committed one and the layers above it take init's weights."""
        if init is not None:
            config = init.config
        cfg = self.fit_config(config)
        out, msg = ffi.new("cryptonn_model **"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_trainer_model_create(self._ptr, cfg._cfg, out, msg, _MSG),
              "creating the model", message(msg))
        model = Model(out[0])
        if init is not None:
            _take_weights(model, init, committed=self.train.info()["mode"] == "strict")
        return model

    def epoch(self, model: Model, epoch: int) -> Dict[str, float]:
        """One epoch (epoch, from 0, seeds the batch order). On a failure (a
        policy refusal, a bound overflow) the model keeps the last completed
        step's weights and the error names the reason."""
        st, msg = ffi.new("cryptonn_train_stats *"), ffi.new("char[]", _MSG)
        self.keys.handle()
        check(lib.cryptonn_trainer_epoch(self._ptr, model._ptr, epoch, st, msg, _MSG),
              f"secure training epoch {epoch}", message(msg))
        return _stats(st)

    def fit(self, model: Model, epochs: int, first: int = 0) -> List[Dict[str, float]]:
        """Epochs first .. epochs-1, as `cryptonn train --secure` runs them."""
        return [self.epoch(model, e) for e in range(first, epochs)]

    def set_start_batch(self, batch: int) -> None:
        """The next epoch resumes at this batch of its order."""
        lib.cryptonn_trainer_set_start_batch(self._ptr, batch)

    def predict(self, model: Model, test: EncryptedDataset) -> np.ndarray:
        """Secure prediction: the permuted class of every test record
        (the owners map them back with Owner.unpermute)."""
        pred = np.zeros(len(test), dtype=np.uint8)
        msg = ffi.new("char[]", _MSG)
        self.keys.handle()
        check(lib.cryptonn_trainer_predict(self._ptr, model._ptr, test._ptr,
                                           ptr(pred, "uint8_t *"), msg, _MSG),
              "secure prediction", message(msg))
        return pred


def _take_weights(model: Model, init: Model, committed: bool) -> None:
    """init's weights into model, but for a committed first layer (the
    authority's, in strict mode), which stays as the trainer installed it."""
    if model.param_count != init.param_count:
        raise ValueError(f"the initial model has {init.param_count} parameters, the fitted "
                         f"one {model.param_count}: in strict mode the layers must fit the "
                         "committed first layer")
    ours, theirs = model.params, init.params
    fl = model.first_layer()
    keep = fl["w"].size + fl["b"].size if committed else 0
    ours[keep:] = theirs[keep:]
    model.params = ours


def save_checkpoint(path: PathLike, model: Model, epoch: int, batches_done: int) -> None:
    """Parameters, optimizer state and position, atomically."""
    check(lib.cryptonn_checkpoint_save(path_arg(path), model._ptr, epoch, batches_done),
          f"saving checkpoint {path}")


def load_checkpoint(path: PathLike, model: Model) -> Tuple[int, int]:
    """Restores a checkpoint into a model of the same shape; returns
    (epoch, batches done). The model is unchanged on failure."""
    ep, bd = ffi.new("uint32_t *"), ffi.new("uint64_t *")
    check(lib.cryptonn_checkpoint_load(path_arg(path), model._ptr, ep, bd),
          f"loading checkpoint {path}")
    return int(ep[0]), int(bd[0])
