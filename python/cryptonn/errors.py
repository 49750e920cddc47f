"""Errors: every failed library call raises CryptonnError with its status."""
from __future__ import annotations

import enum
from typing import Optional


class Status(enum.IntEnum):
    """cryptonn_status (include/cryptonn/status.h)."""
    OK = 0
    ARG = -1
    NOMEM = -2
    IO = -3
    FORMAT = -4
    TRUNCATED = -5
    CHECKSUM = -6
    TOO_LARGE = -7
    ENCODING = -8
    RANGE = -9
    NOT_INTEGER = -10
    MISMATCH = -11
    POLICY = -12
    AUTH = -13
    NET = -14
    RANDOM = -15
    INTERNAL = -16
    NOT_FOUND = -17
    BUDGET = -18
    VERSION = -19


class CryptonnError(Exception):
    """A library call failed.

    Attributes:
        status: the status code (a Status when the library's, else the int).
        text:   cryptonn_status_str(status), the library's description.
        what:   the operation that failed.
        detail: the library's reason naming the file, line, layer... if any.
    """

    def __init__(self, status: int, what: str, detail: Optional[str] = None):
        from ._lib import ffi, lib  # errors.py is imported by _lib first
        try:
            self.status: "Status | int" = Status(status)
        except ValueError:
            self.status = status
        self.text: str = ffi.string(lib.cryptonn_status_str(status)).decode()
        self.what = what
        self.detail = detail
        msg = f"{what}: {self.text}"
        if detail:
            msg += f" ({detail})"
        super().__init__(msg)
