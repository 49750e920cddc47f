"""Loading libcryptonn.so and turning its status codes into exceptions.

The library is found, in this order, at $CRYPTONN_LIB (a path to the .so),
in the build tree of the checkout this package sits in (build*/libcryptonn.so,
newest first), then by the system's loader (an installed libcryptonn.so.0)."""
from __future__ import annotations

import glob
import os
from typing import Any, Optional

from cffi import FFI

from ._cdef import CDEF
from .errors import CryptonnError, Status

ffi = FFI()
ffi.cdef(CDEF)


def _candidates() -> list:
    env = os.environ.get("CRYPTONN_LIB")
    if env:
        return [env]
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    found = glob.glob(os.path.join(repo, "build*", "libcryptonn.so"))
    found.sort(key=os.path.getmtime, reverse=True)
    # The repository's default build directory first when it has one.
    found.sort(key=lambda p: os.path.basename(os.path.dirname(p)) != "build")
    return found + ["libcryptonn.so.0", "libcryptonn.so"]


def _open() -> Any:
    tried = []
    for path in _candidates():
        try:
            return ffi.dlopen(path)
        except OSError as e:
            tried.append(f"{path}: {e}")
            if os.environ.get("CRYPTONN_LIB"):
                break
    raise ImportError("cannot load libcryptonn.so (set CRYPTONN_LIB to its path, or build "
                      "the checkout with `make build`); tried:\n  " + "\n  ".join(tried))


lib = _open()


def free(p: Any) -> None:
    """Frees what the library allocated for the caller."""
    lib.cryptonn_free(p)


def check(status: int, what: str, detail: Optional[str] = None) -> None:
    """Raises CryptonnError for a failed call; `what` names the operation."""
    if status != 0:
        raise CryptonnError(status, what, detail)


def message(buf: Any) -> Optional[str]:
    """The NUL-terminated reason a C function wrote into a char buffer."""
    text = ffi.string(buf).decode("utf-8", "replace").strip()
    return text or None


def take_bytes(pbuf: Any, plen: Any) -> bytes:
    """Copies a buffer the library allocated for the caller and frees it."""
    try:
        return bytes(ffi.buffer(pbuf[0], plen[0]))
    finally:
        free(pbuf[0])


def path_arg(path: "os.PathLike[str] | str") -> bytes:
    return os.fsencode(os.fspath(path))


check(lib.cryptonn_init(), "library initialisation")
__all__ = ["ffi", "lib", "check", "free", "message", "take_bytes", "path_arg", "Status"]
