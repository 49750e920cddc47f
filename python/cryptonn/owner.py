"""A data owner's side (include/cryptonn/owner.h): encrypt records into an
encrypted dataset, register the label ciphertexts (strict mode), upload to
a training server, and map the server's permuted predictions back.

Plaintext records leave Owner.encrypt only as ciphertexts."""
from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Dict, Optional, Tuple

import numpy as np

from ._arrays import dataset, ptr
from ._lib import check, ffi, free, lib, message, path_arg
from .authority import MODE_NAMES, layer_desc

if TYPE_CHECKING:
    from .data import Spec

PathLike = "os.PathLike[str] | str"
_MSG = 512


def _opt(value: Optional[PathLike]) -> Any:
    return path_arg(value) if value is not None else ffi.NULL


class Owner:
    """An owner holding params.bin and, for training data and for mapping
    predictions back, owner.key (the owners' secret class permutation)."""

    def __init__(self, params: Optional[PathLike], owner_key: Optional[PathLike] = None):
        out = ffi.new("cryptonn_owner **")
        check(lib.cryptonn_owner_open(out, _opt(params), _opt(owner_key)),
              f"opening owner ({params}, {owner_key})")
        self._ptr = ffi.gc(out[0], lib.cryptonn_owner_close)

    @property
    def mode(self) -> str:
        return MODE_NAMES[lib.cryptonn_owner_mode(self._ptr)]

    @property
    def classes(self) -> int:
        return int(lib.cryptonn_owner_classes(self._ptr))

    @property
    def width(self) -> int:
        """Values per record (slots of the samples key)."""
        return int(lib.cryptonn_owner_width(self._ptr))

    def layer(self) -> Dict[str, Any]:
        """Strict mode: the committed first layer as params.bin states it
        (spec, commit, keys, bits): what the owners check against the
        authority's announcement."""
        d = ffi.new("cryptonn_layer_desc *")
        check(lib.cryptonn_owner_layer(self._ptr, d), "the committed layer")
        return layer_desc(d)

    def encrypt(self, directory: PathLike, x: Any, y: Any = None, part: str = "owner",
                spec: "Optional[Spec]" = None, threads: int = 0,
                registration: Optional[PathLike] = None, table_mb: int = 0,
                progress: bool = False) -> Dict[str, float]:
        """Encrypts records x and, for training data, their class labels y
        as part `part` of the encrypted dataset in directory (created with
        its params.bin if needed). Records are N × H × W or N × width: images
        with values in [0, 1] (MNIST's parameters), or, for parameters made
        from a data spec, that spec's records (Spec.load: |x| within its
        bound). y None: test records only. In strict mode the label
        registration goes to registration (default DIR/PART.lreg) for the
        authority. Returns samples, batches, bytes_written, seconds."""
        lo, hi = (-spec.bound, spec.bound) if spec is not None else (0.0, 1.0)
        d, (X, _) = dataset(x, y, self.width, self.classes, lo, hi,
                            "" if spec is not None else " (or pass the data spec)")
        labels = y is not None
        o = ffi.new("cryptonn_encrypt_opts *")
        lib.cryptonn_encrypt_opts_default(o)
        keep = [ffi.new("char[]", part.encode())]
        o.part, o.labels, o.threads, o.progress, o.table_mb = keep[0], int(labels), threads, \
            int(progress), table_mb
        if registration is not None:
            keep.append(ffi.new("char[]", path_arg(registration)))
            o.registration = keep[-1]
        st, msg = ffi.new("cryptonn_encrypt_stats *"), ffi.new("char[]", _MSG)
        try:
            check(lib.cryptonn_owner_encrypt(self._ptr, path_arg(directory), d, o, st, msg, _MSG),
                  f"encrypting part {part} into {directory}", message(msg))
        finally:
            if not np.shares_memory(X, np.asarray(x)):
                X.fill(0)  # the copy of the plaintext made for C, not the caller's
        return {"samples": int(st.samples), "batches": int(st.batches),
                "bytes_written": int(st.bytes_written), "seconds": float(st.seconds)}

    def unpermute(self, predictions: Any) -> np.ndarray:
        """The server's predictions (permuted classes) as true classes."""
        p = np.array(predictions, dtype=np.int64).reshape(-1)
        if p.size and (p.min() < 0 or p.max() >= self.classes):
            raise ValueError(f"predictions must be classes 0..{self.classes - 1}")
        out = np.ascontiguousarray(p, dtype=np.uint8)
        check(lib.cryptonn_owner_unpermute(self._ptr, ptr(out, "uint8_t *"), out.size),
              "mapping predictions back (needs owner.key)")
        return out


class Remote:
    """An owner's connection to the networked services: url
    ("http://127.0.0.1:PORT", or https:// with cacert) and its bearer token."""

    def __init__(self, url: str, token: str, cacert: Optional[PathLike] = None):
        self.url, self.token, self.cacert = url, token, cacert

    def _args(self) -> Tuple[bytes, bytes, Any]:
        return self.url.encode(), self.token.encode(), _opt(self.cacert)

    def upload(self, directory: PathLike, part: str, test: bool = False) -> Tuple[int, int]:
        """Uploads a part of an encrypted dataset to the training server
        (test: as a test set for secure prediction); resumable. Returns
        (batches sent, batches the server already held)."""
        sent, present, msg = ffi.new("uint64_t *"), ffi.new("uint64_t *"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_owner_upload(*self._args(), path_arg(directory), part.encode(),
                                        int(test), sent, present, msg, _MSG),
              f"uploading part {part} to {self.url}", message(msg))
        return int(sent[0]), int(present[0])

    def predict(self, part: str) -> np.ndarray:
        """The server's secure predictions for an uploaded test part: for a
        classification, uint8 classes in its permutation (Owner.unpermute
        maps them back); for a regression target, float32 targets on the
        data spec's scaled grid (t = t'·t_scale + t_offset in its units)."""
        pred, vals = ffi.new("uint8_t **"), ffi.new("float **")
        n, msg = ffi.new("uint64_t *"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_owner_predict_outputs(*self._args(), part.encode(), pred, vals, n, msg,
                                                 _MSG),
              f"predicting part {part} at {self.url}", message(msg))
        try:
            if pred[0] != ffi.NULL:
                return np.frombuffer(ffi.buffer(pred[0], n[0]), dtype=np.uint8).copy()
            return np.frombuffer(ffi.buffer(vals[0], 4 * n[0]), dtype=np.float32).copy()
        finally:
            free(pred[0])
            free(vals[0])

    def delete(self, part: str, test: bool = False) -> None:
        """Removes one of this owner's open or refused parts."""
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_owner_delete(*self._args(), part.encode(), int(test), msg, _MSG),
              f"deleting part {part} at {self.url}", message(msg))

    def parts(self) -> Any:
        """This owner's parts on the server (the server's JSON, parsed)."""
        out, msg = ffi.new("char **"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_owner_parts(*self._args(), out, msg, _MSG),
              f"listing parts at {self.url}", message(msg))
        try:
            return json.loads(ffi.string(out[0]).decode())
        finally:
            free(out[0])

    def register(self, registration: PathLike) -> int:
        """Sends a label registration to the authority service (url is the
        authority's here); returns the digests new to it."""
        added, msg = ffi.new("uint64_t *"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_owner_register(*self._args(), path_arg(registration), added, msg,
                                          _MSG),
              f"registering {registration} at {self.url}", message(msg))
        return int(added[0])
