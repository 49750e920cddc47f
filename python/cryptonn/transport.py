"""How the training server reaches the authority (include/cryptonn/transport.h):
in process, or over HTTP to `cryptonn authority serve` (or
Authority.serve). Both carry the same bytes, so training gives the same
model either way."""
from __future__ import annotations

import os
from typing import Any, Optional

from ._lib import check, ffi, lib, path_arg, take_bytes
from .authority import Authority


class KeyService:
    """A key service for a Trainer: KeyService.local(authority) or
    KeyService.http(url, token)."""

    def __init__(self, handle: Any, keep: Any = None):
        self._ptr = ffi.gc(handle, lib.cryptonn_keyservice_destroy)
        self._keep = keep  # what the C object borrows

    @classmethod
    def local(cls, authority: Authority) -> "KeyService":
        """Requests go straight to an open authority in this process."""
        out = ffi.new("cryptonn_keyservice **")
        check(lib.cryptonn_keyservice_local(out, authority._h), "in-process key service")
        return cls(out[0], authority)

    @classmethod
    def http(cls, url: str, token: str, cacert: "Optional[os.PathLike[str] | str]" = None,
             retry_s: int = 0) -> "KeyService":
        """An authority service at url ("http://127.0.0.1:PORT", or https://
        with cacert) with the server's bearer token; connection failures and
        5xx answers are retried for retry_s seconds."""
        out = ffi.new("cryptonn_keyservice **")
        check(lib.cryptonn_keyservice_http(out, url.encode(), token.encode(),
                                           path_arg(cacert) if cacert else ffi.NULL, retry_s),
              f"key service {url}")
        return cls(out[0])

    def call(self, request: bytes) -> bytes:
        """One round trip: a key-request message to its response message."""
        out, n = ffi.new("uint8_t **"), ffi.new("size_t *")
        check(lib.cryptonn_keyservice_call(self.handle(), request, len(request), out, n),
              "key service call")
        return take_bytes(out, n)

    def handle(self) -> Any:
        """The C handle, refused once an in-process authority has closed."""
        if isinstance(self._keep, Authority) and self._keep._ptr is None:
            raise ValueError("the key service's authority is closed")
        return self._ptr
