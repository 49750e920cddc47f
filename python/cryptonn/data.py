"""The owners' records and the data spec they agree on (include/cryptonn/data.h,
docs/DATA.md): CSV or .npy files in, float32 records as a model sees them out.

    >>> spec = Spec.describe("data/wine.csv", label="class")
    >>> spec.save("wine.spec.json")
    >>> x, y = spec.load("data/wine.csv")

The same spec files as `cryptonn data describe` writes; the same records as
`cryptonn train --data FILE --spec SPEC` trains on."""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from ._lib import check, ffi, free, lib, message, path_arg

PathLike = "os.PathLike[str] | str"
_MSG = 512
_TASKS = {None: 0, "classify": lib.CRYPTONN_TASK_CLASSIFY, "regress": lib.CRYPTONN_TASK_REGRESS}
_NORMS = {None: 0, "standard": lib.CRYPTONN_NORM_STANDARD, "range": lib.CRYPTONN_NORM_RANGE,
          "none": lib.CRYPTONN_NORM_NONE}


def _opt(path: Optional[PathLike]) -> Any:
    return path_arg(path) if path is not None else ffi.NULL


class Spec:
    """A data spec: features, their normalisation and bound, the input
    shape, the fixed-point scale and the task."""

    def __init__(self, cdata: Any):
        self._spec = ffi.gc(cdata, lib.cryptonn_spec_free)

    @classmethod
    def read(cls, path: PathLike) -> "Spec":
        """A spec file; errors name the key (and feature) at fault."""
        s = ffi.new("cryptonn_data_spec *")
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_spec_read(path_arg(path), s, msg, _MSG), f"reading spec {path}",
              message(msg))
        return cls(s)

    @classmethod
    def describe(cls, path: PathLike, label: Optional[str] = None,
                 labels_path: Optional[PathLike] = None, task: Optional[str] = None,
                 norm: Optional[str] = None, shape: Optional[Sequence[int]] = None,
                 base: int = 0, digits: int = 0) -> "Spec":
        """A spec from a file's statistics (as `cryptonn data describe`):
        label names the CSV's label column, labels_path a .npy's labels."""
        if task not in _TASKS or norm not in _NORMS:
            raise ValueError(f"task: classify or regress; norm: standard, range or none "
                             f"(got {task!r}, {norm!r})")
        t = ffi.new("cryptonn_table *")
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_table_read(path_arg(path), label.encode() if label else ffi.NULL,
                                      _opt(labels_path), t, msg, _MSG), f"reading {path}",
              message(msg))
        try:
            o = ffi.new("cryptonn_describe_opts *")
            o.task, o.norm, o.base, o.digits = _TASKS[task], _NORMS[norm], base, digits
            if shape is not None:
                o.shape = list(shape) + [0] * (3 - len(shape))
            s = ffi.new("cryptonn_data_spec *")
            check(lib.cryptonn_spec_describe(t, o, s, msg, _MSG), f"describing {path}",
                  message(msg))
            return cls(s)
        finally:
            lib.cryptonn_table_free(t)

    def to_json(self) -> str:
        text = lib.cryptonn_spec_to_json(self._spec)
        if text == ffi.NULL:
            raise MemoryError("spec to JSON")
        try:
            return ffi.string(text).decode()
        finally:
            free(text)

    def to_dict(self) -> Dict[str, Any]:
        return json.loads(self.to_json())

    def save(self, path: PathLike) -> None:
        with open(path, "w") as f:
            f.write(self.to_json())

    @property
    def features(self) -> int:
        return int(self._spec.features)

    @property
    def shape(self) -> Tuple[int, ...]:
        c, h, w = (int(v) for v in self._spec.shape)
        return (c,) if (h, w) == (1, 1) else (c, h, w)

    @property
    def bound(self) -> float:
        """Every scaled value |x'| lies within it."""
        return float(self._spec.bound)

    @property
    def classes(self) -> int:
        """Classes of a classification task; 0 for regression."""
        return int(self._spec.classes) if self._spec.task == lib.CRYPTONN_TASK_CLASSIFY else 0

    def load(self, path: PathLike, labels_path: Optional[PathLike] = None,
             labeled: bool = True) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """(records N × features float32 on the spec's fixed-point grid,
        labels N uint8 class indices or targets N × 1 float32). A record that
        does not fit the spec is an error naming it (and its CSV line).
        labeled=False also takes records without labels (new records to
        predict: no label column, no labels_path); their labels are None."""
        r = ffi.new("cryptonn_records *")
        msg = ffi.new("char[]", _MSG)
        fn = lib.cryptonn_spec_load if labeled else lib.cryptonn_spec_load_unlabeled
        check(fn(self._spec, path_arg(path), _opt(labels_path), r, msg, _MSG),
              f"loading {path}", message(msg))
        try:
            n, size = int(r.n), int(r.size)
            x = np.frombuffer(ffi.buffer(r.x, 4 * n * size), dtype=np.float32)
            x = x.reshape((n,) + self.shape).copy()
            y: Optional[np.ndarray] = None
            if r.y != ffi.NULL:
                y = np.frombuffer(ffi.buffer(r.y, n), dtype=np.uint8).copy()
            elif r.t != ffi.NULL:
                k = int(r.outputs)
                y = np.frombuffer(ffi.buffer(r.t, 4 * n * k), dtype=np.float32).reshape(n, k).copy()
        finally:
            lib.cryptonn_records_free(r)
        return x, y

    def __repr__(self) -> str:
        task = f"{self.classes} classes" if self.classes else "regression"
        return f"Spec({self.features} features, shape {self.shape}, {task})"
