"""numpy arrays to and from C buffers, with the checks the C side cannot do."""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from ._lib import ffi


def int_matrix(a: Any, name: str, ndim_ok: Tuple[int, ...] = (1, 2)) -> np.ndarray:
    """a as a C-contiguous int64 array. Refuses floats and other non-integer
    dtypes: an FE plaintext or key is an integer, and a silent cast would
    encrypt something else (use cryptonn.Fixed to scale reals)."""
    arr = np.asarray(a)
    if arr.ndim not in ndim_ok:
        raise ValueError(f"{name}: expected {' or '.join(f'{d}-D' for d in ndim_ok)}, "
                         f"got shape {arr.shape}")
    if arr.dtype == np.bool_ or not np.issubdtype(arr.dtype, np.integer):
        if arr.size == 0 and arr.dtype == np.float64:
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name}: integer array needed, got dtype {arr.dtype} "
                            "(scale reals to integers with cryptonn.Fixed)")
    if arr.dtype == np.uint64 and arr.size and int(arr.max()) >= 1 << 63:
        raise ValueError(f"{name}: entry {int(arr.max())} does not fit int64")
    return np.ascontiguousarray(arr, dtype=np.int64)


def float32_matrix(a: Any, name: str, width: int) -> np.ndarray:
    """a as C-contiguous float32 rows of `width` values (any trailing shape
    whose product is width: images may come as N×C×H×W)."""
    arr = np.asarray(a)
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise TypeError(f"{name}: numeric array needed, got dtype {arr.dtype}")
    if arr.ndim == 1 and arr.size == width:
        arr = arr.reshape(1, width)
    if arr.ndim < 2 or int(np.prod(arr.shape[1:])) != width:
        raise ValueError(f"{name}: expected rows of {width} values, got shape {arr.shape}")
    out = np.ascontiguousarray(arr.reshape(arr.shape[0], width), dtype=np.float32)
    if not np.all(np.isfinite(out)):
        raise ValueError(f"{name}: contains a NaN or an infinity")
    return out


def ptr(arr: np.ndarray, ctype: str) -> Any:
    """A C pointer into a contiguous array (valid while arr lives)."""
    return ffi.cast(ctype, ffi.from_buffer(arr))


def dataset(x: Any, y: Any, width: int, classes: int, lo: float = 0.0, hi: float = 1.0,
            hint: str = "") -> Tuple[Any, List[np.ndarray]]:
    """A cryptonn_dataset over records x (N × H × W images or N × width
    rows, every value in [lo, hi]) and class labels y (None: zeros, for
    records without labels). Returns it with the arrays it points into
    (keep them alive while it is used); the first is the float32 copy of x
    (or x itself when it already was one)."""
    X = float32_matrix(x, "x", width)
    if X.size and (X.min() < lo or X.max() > hi):
        raise ValueError(f"x: record values must lie in [{lo:g}, {hi:g}]{hint}")
    if y is None:
        Y = np.zeros(X.shape[0], dtype=np.uint8)
    else:
        Y = np.asarray(y)
        if Y.shape != (X.shape[0],) or not np.issubdtype(Y.dtype, np.integer):
            raise ValueError(f"y: {X.shape[0]} integer class labels needed, got "
                             f"{Y.dtype} {Y.shape}")
        if Y.size and (Y.min() < 0 or Y.max() >= classes):
            raise ValueError(f"y: labels must be 0..{classes - 1}")
        Y = np.ascontiguousarray(Y, dtype=np.uint8)
    shape = np.asarray(x).shape
    rows, cols = (shape[-2], shape[-1]) if len(shape) >= 3 else (1, width)
    d = ffi.new("cryptonn_dataset *", {"n": X.shape[0], "rows": rows, "cols": cols,
                                       "x": ptr(X, "float *"), "y": ptr(Y, "uint8_t *")})
    return d, [X, Y]
