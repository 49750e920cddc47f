"""The one shape of every library object: a handle freed by its _destroy,
bytes through _export/_import, files through _save/_load. The C functions
are found by name: prefix _C ("cryptonn_feip_mpk") plus the action."""
from __future__ import annotations

import os
from typing import Any, Type, TypeVar

from ._lib import check, ffi, lib, path_arg, take_bytes

T = TypeVar("T", bound="CObject")


class CObject:
    _C = ""     # the C prefix of the object's functions
    _NAME = ""  # how errors name it

    def __init__(self, handle: Any):
        self._ptr = ffi.gc(handle, getattr(lib, self._C + "_destroy"))

    @classmethod
    def _fn(cls, action: str) -> Any:
        try:
            return getattr(lib, cls._C + action)
        except AttributeError:
            raise TypeError(f"a {cls._NAME} has no {action.lstrip('_')}") from None

    @classmethod
    def _new(cls: Type[T], what: str) -> T:
        out = ffi.new(cls._C + " **")
        check(cls._fn("_create")(out), what)
        return cls(out[0])

    def to_bytes(self) -> bytes:
        """The object as the library's checksummed container (for the wire)."""
        buf, n = ffi.new("uint8_t **"), ffi.new("size_t *")
        check(self._fn("_export")(self._ptr, buf, n), f"{self._NAME} export")
        return take_bytes(buf, n)

    @classmethod
    def from_bytes(cls: Type[T], data: bytes) -> T:
        """Parses to_bytes's output; CryptonnError names what is wrong with it."""
        out = ffi.new(cls._C + " **")
        check(cls._fn("_import")(out, data, len(data)), cls._NAME)
        return cls(out[0])

    def save(self, path: "os.PathLike[str] | str") -> None:
        """Writes the file atomically (secrets 0600)."""
        check(self._fn("_save")(self._ptr, path_arg(path)), f"saving {path}")

    @classmethod
    def load(cls: Type[T], path: "os.PathLike[str] | str") -> T:
        out = ffi.new(cls._C + " **")
        check(cls._fn("_load")(out, path_arg(path)),
              f"loading {cls._NAME} {path}")
        return cls(out[0])
