"""Secure matrix computation (CryptoNN paper §III-C, include/cryptonn/smc.h):
Alice's X stays encrypted; Bob learns XY and nothing else about X."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from . import feip
from ._arrays import int_matrix, ptr
from ._lib import check, ffi, lib
from .dlog import DLog


def _shapes(X: np.ndarray, Y: np.ndarray) -> None:
    if X.ndim != 2 or Y.ndim != 2 or X.shape[1] != Y.shape[0] or 0 in X.shape + Y.shape:
        raise ValueError(f"X {X.shape} and Y {Y.shape} cannot be multiplied")


def bound(x: Any, y: Any) -> int:
    """The worst |(XY)_ij| the data allows: what a solver's bound must cover."""
    X, Y = int_matrix(x, "X", (2,)), int_matrix(y, "Y", (2,))
    _shapes(X, Y)
    out = ffi.new("uint64_t *")
    check(lib.cryptonn_smc_bound(ptr(X, "int64_t *"), X.shape[0], X.shape[1],
                                 ptr(Y, "int64_t *"), Y.shape[1], out), "SMC bound")
    return int(out[0])


def multiply(x: Any, y: Any, dlog: Optional[DLog] = None) -> np.ndarray:
    """XY with all three roles in this process and a fresh mpk. Without a
    solver, one sized to the data's bound is made. CryptonnError(RANGE)
    before any work when XY may not fit the solver."""
    X, Y = int_matrix(x, "X", (2,)), int_matrix(y, "Y", (2,))
    _shapes(X, Y)
    d = dlog if dlog is not None else DLog(max(1, bound(X, Y)))
    out = np.zeros((X.shape[0], Y.shape[1]), dtype=np.int64)
    check(lib.cryptonn_smc_multiply(d._ptr, ptr(X, "int64_t *"), X.shape[0], X.shape[1],
                                    ptr(Y, "int64_t *"), Y.shape[1], ptr(out, "int64_t *")),
          "secure matrix product")
    return out


def encrypt_rows(mpk: feip.PublicKey, x: Any, bits: int = 31) -> feip.Ciphertexts:
    """Alice: one ciphertext per row of X."""
    return mpk.encrypt(int_matrix(x, "X", (2,)), bits)


def keygen_cols(msk: feip.MasterKey, y: Any) -> feip.Keys:
    """The authority: one key per column of Y (n×m)."""
    Y = int_matrix(y, "Y", (2,))
    if Y.shape[0] != msk.slots:
        raise ValueError(f"Y has {Y.shape[0]} rows for a {msk.slots}-slot key")
    keys = feip.Keys.new()
    check(lib.cryptonn_smc_keygen_cols(msk._ptr, keys._ptr, ptr(Y, "int64_t *"), Y.shape[0],
                                       Y.shape[1]), "SMC column keys")
    return keys


def decrypt(dec: feip.Decryptor, cts: feip.Ciphertexts, keys: feip.Keys) -> np.ndarray:
    """Bob: XY from the row ciphertexts and the column keys."""
    return dec.decrypt(cts, keys)
