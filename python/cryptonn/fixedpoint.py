"""Fixed-point scaling of reals for FE (include/cryptonn/fixedpoint.h)."""
from __future__ import annotations

from typing import Any

import numpy as np

from ._arrays import ptr
from ._lib import check, ffi, lib


class Fixed:
    """Reals carried as integers round(v · base^digits), half away from zero.

    An inner product of tensors with scales Sx and Sy has scale Sx·Sy:
    decode it with `decode_product`."""

    def __init__(self, base: int = 10, digits: int = 2):
        self._f = ffi.new("cryptonn_fixed *")
        check(lib.cryptonn_fixed_init(self._f, base, digits),
              f"fixed point base {base} digits {digits}")

    @property
    def scale(self) -> int:
        return int(self._f.scale)

    def encode(self, values: Any, max_abs: int = 0) -> np.ndarray:
        """Integers of the same shape; CryptonnError(RANGE) names the first
        non-finite or too-large entry (|out| <= max_abs; 0: 2^62 - 1)."""
        arr = np.ascontiguousarray(values, dtype=np.float64)
        out = np.zeros(arr.shape, dtype=np.int64)
        bad = ffi.new("size_t *")
        rc = lib.cryptonn_fixed_encode(self._f, ptr(out, "int64_t *"), ptr(arr, "double *"),
                                       arr.size, max_abs, bad)
        if rc != 0:
            at = np.unravel_index(int(bad[0]), arr.shape) if arr.shape else ()
            check(rc, "fixed-point encoding", f"entry {tuple(int(i) for i in at)} = "
                                              f"{arr.reshape(-1)[bad[0]]!r}")
        return out

    def decode(self, ints: Any) -> np.ndarray:
        """Reals of the same shape: ints / scale."""
        arr = np.ascontiguousarray(ints, dtype=np.int64)
        out = np.zeros(arr.shape, dtype=np.float64)
        lib.cryptonn_fixed_decode(self._f, ptr(out, "double *"), ptr(arr, "int64_t *"), arr.size)
        return out

    def decode_product(self, other: "Fixed", ints: Any) -> np.ndarray:
        """Inner products of a tensor at this scale with one at other's."""
        return np.asarray(ints, dtype=np.float64) / (float(self.scale) * float(other.scale))

    def __repr__(self) -> str:
        return f"Fixed(base={self._f.base}, digits={self._f.digits})"
