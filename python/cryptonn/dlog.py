"""Bounded discrete logarithms: every decryption ends in one."""
from __future__ import annotations

import os
from typing import Optional

from ._lib import check, ffi, lib, path_arg


class DLog:
    """A solver for g^m with |m| <= bound (cryptonn_dlog).

    Args:
        bound: the largest |m| a decryption may return; a result beyond it
            raises CryptonnError(RANGE), never a wrong value.
        table_half: baby-step table half-width T (0: min(bound, 2^18)).
        cache: a file to load the table from or save it to (None: no cache).

    Read-only after creation; decryptors borrow it."""

    def __init__(self, bound: int = 1 << 24, table_half: int = 0,
                 cache: "Optional[os.PathLike[str] | str]" = None):
        if bound <= 0:
            raise ValueError(f"bound must be positive, got {bound}")
        out = ffi.new("cryptonn_dlog **")
        check(lib.cryptonn_dlog_create(out, bound, table_half,
                                       path_arg(cache) if cache is not None else ffi.NULL),
              f"discrete-log solver for bound {bound}")
        self._ptr = ffi.gc(out[0], lib.cryptonn_dlog_destroy)

    @property
    def bound(self) -> int:
        return int(lib.cryptonn_dlog_bound(self._ptr))

    @property
    def table_half(self) -> int:
        return int(lib.cryptonn_dlog_table_half(self._ptr))

    @property
    def from_cache(self) -> bool:
        """True when the table came from the cache file."""
        return bool(lib.cryptonn_dlog_from_cache(self._ptr))

    def solve(self, encoding: bytes) -> int:
        """m for a 32-byte ristretto255 encoding of g^m."""
        if len(encoding) != 32:
            raise ValueError(f"a group element is 32 bytes, got {len(encoding)}")
        m = ffi.new("int64_t *")
        check(lib.cryptonn_dlog_solve_var(self._ptr, encoding, m), "discrete log")
        return int(m[0])

    def __repr__(self) -> str:
        return f"DLog(bound={self.bound}, table_half={self.table_half})"
