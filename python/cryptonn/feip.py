"""Inner-product functional encryption (FEIP, include/cryptonn/feip.h).

    >>> mpk, msk = setup(4)
    >>> cts = mpk.encrypt([[1, 2, 3, 4]])
    >>> keys = msk.keygen([[1, 0, 0, 1], [0, 1, 1, 0]])
    >>> Decryptor(DLog(1000)).decrypt(cts, keys)      # [[5, 5]]

The authority holds the MasterKey and issues Keys; owners encrypt with the
PublicKey; the server decrypts <x, y> for every key y it holds and learns
nothing else about x (DESIGN.md §1, §5 for what that still reveals).
Files and bytes use the library's checksummed containers, so the CLI's
`cryptonn fe` files load here and the other way round."""
from __future__ import annotations

import os
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ._arrays import int_matrix, ptr
from ._lib import check, ffi, free, lib, path_arg, take_bytes
from ._objects import CObject
from .dlog import DLog

PathLike = "os.PathLike[str] | str"
MAX_BITS = 62


class PublicKey(CObject):
    """The master public key (mpk) of `slots` slots: what owners encrypt with."""
    _C, _NAME = "cryptonn_feip_mpk", "FEIP mpk"

    def __init__(self, handle: Any):
        super().__init__(handle)
        self._enc: Any = None

    @property
    def slots(self) -> int:
        return int(lib.cryptonn_feip_mpk_slots(self._ptr))

    @property
    def id(self) -> bytes:
        """The 16 bytes binding keys and ciphertexts to this key."""
        out = ffi.new("uint8_t[16]")
        lib.cryptonn_feip_mpk_id(self._ptr, out)
        return bytes(out)

    def _encryptor(self) -> Any:
        if self._enc is None:
            out = ffi.new("cryptonn_feip_encryptor **")
            check(lib.cryptonn_feip_encryptor_create(out, self._ptr), "FEIP encryptor tables")
            self._enc = ffi.gc(out[0], lib.cryptonn_feip_encryptor_destroy)
        return self._enc

    def encrypt(self, x: Any, bits: int = 31) -> "Ciphertexts":
        """One ciphertext per row of x (a vector is one row), each with fresh
        randomness. Entries are integers with |x_i| < 2^bits."""
        X = int_matrix(x, "x")
        if X.ndim == 1:
            X = X.reshape(1, -1)
        if X.shape[1] != self.slots:
            raise ValueError(f"x: rows of {X.shape[1]} values for a {self.slots}-slot key")
        if not 1 <= bits <= MAX_BITS:
            raise ValueError(f"bits must be 1..{MAX_BITS}, got {bits}")
        cts = Ciphertexts.empty(X.shape[0], self.slots)
        enc = self._encryptor()
        for lo in range(0, X.shape[0], 256):  # the library's batch limit
            hi = min(lo + 256, X.shape[0])
            rows = [ptr(X[i], "int64_t *") for i in range(lo, hi)]
            check(lib.cryptonn_feip_encrypt_many(enc, cts._array(lo, hi),
                                                 ffi.new("int64_t *[]", rows), hi - lo,
                                                 self.slots, bits),
                  f"FEIP encryption (|x| < 2^{bits})")
        return cts

    def __repr__(self) -> str:
        return f"feip.PublicKey(slots={self.slots})"


class MasterKey(CObject):
    """The master secret key (msk): the authority's only. Wiped when freed;
    saved files are mode 0600. No bytes form: it never travels."""
    _C, _NAME = "cryptonn_feip_msk", "FEIP msk"

    @property
    def slots(self) -> int:
        return int(lib.cryptonn_feip_msk_slots(self._ptr))

    def public_key(self) -> PublicKey:
        out = ffi.new("cryptonn_feip_mpk **")
        check(lib.cryptonn_feip_mpk_from_msk(out, self._ptr), "FEIP mpk from msk")
        return PublicKey(out[0])

    def keygen(self, y: Any, keys: "Optional[Keys]" = None) -> "Keys":
        """One function key per row of y (a vector is one key), appended to
        keys when given, else to a new set. |y_i| < 2^31."""
        Y = int_matrix(y, "y")
        if Y.ndim == 1:
            Y = Y.reshape(1, -1)
        if Y.shape[1] != self.slots:
            raise ValueError(f"y: rows of {Y.shape[1]} values for a {self.slots}-slot key")
        keys = keys if keys is not None else Keys.new()
        for row in Y:
            check(lib.cryptonn_feip_keygen(self._ptr, keys._ptr, ptr(row, "int64_t *"),
                                           self.slots), "FEIP keygen")
        return keys

    def __repr__(self) -> str:
        return f"feip.MasterKey(slots={self.slots})"


def setup(slots: int) -> Tuple[PublicKey, MasterKey]:
    """Fresh keys for vectors of `slots` entries."""
    if slots < 1:
        raise ValueError(f"slots must be at least 1, got {slots}")
    mpk, msk = ffi.new("cryptonn_feip_mpk **"), ffi.new("cryptonn_feip_msk **")
    check(lib.cryptonn_feip_setup(mpk, msk, slots), f"FEIP setup of {slots} slots")
    return PublicKey(mpk[0]), MasterKey(msk[0])


class Keys(CObject):
    """A set of function keys of one mpk, in issue order (Keys.new() for an
    empty one)."""
    _C, _NAME = "cryptonn_feip_keys", "FEIP keys"

    @classmethod
    def new(cls) -> "Keys":
        return cls._new("FEIP key set")

    def __len__(self) -> int:
        return int(lib.cryptonn_feip_keys_count(self._ptr))

    @property
    def slots(self) -> int:
        return int(lib.cryptonn_feip_keys_slots(self._ptr))

    def vector(self, i: int) -> np.ndarray:
        """Key i's vector y, dense (its holder knows it)."""
        if not 0 <= i < len(self):
            raise IndexError(f"key {i} of {len(self)}")
        idx, val = ffi.new("const uint32_t **"), ffi.new("const int64_t **")
        nnz = lib.cryptonn_feip_keys_get(self._ptr, i, idx, val)
        y = np.zeros(self.slots, dtype=np.int64)
        if nnz:
            at = np.frombuffer(ffi.buffer(idx[0], 4 * nnz), dtype=np.uint32)
            y[at] = np.frombuffer(ffi.buffer(val[0], 8 * nnz), dtype=np.int64)
        return y

    def vectors(self) -> np.ndarray:
        """Every key's vector, one row each."""
        return np.stack([self.vector(i) for i in range(len(self))]) if len(self) else \
            np.zeros((0, self.slots), dtype=np.int64)

    def __repr__(self) -> str:
        return f"feip.Keys({len(self)} keys, slots={self.slots})"


class Ciphertexts(Sequence[Any]):
    """FEIP ciphertexts of one mpk, in order (a batch file holds them all)."""

    def __init__(self, handles: List[Any]):
        self._cts = [ffi.gc(h, lib.cryptonn_feip_ct_destroy) for h in handles]

    @classmethod
    def empty(cls, count: int, slots: int) -> "Ciphertexts":
        handles = []
        for _ in range(count):
            out = ffi.new("cryptonn_feip_ct **")
            check(lib.cryptonn_feip_ct_create(out, slots), "FEIP ciphertext")
            handles.append(out[0])
        return cls(handles)

    def _array(self, lo: int = 0, hi: Optional[int] = None) -> Any:
        return ffi.new("cryptonn_feip_ct *[]", self._cts[lo:hi])

    def __len__(self) -> int:
        return len(self._cts)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            sub = Ciphertexts([])
            sub._cts = self._cts[i]
            return sub
        return self._cts[i]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._cts)

    @property
    def slots(self) -> int:
        return int(lib.cryptonn_feip_ct_slots(self._cts[0])) if self._cts else 0

    def to_bytes(self) -> bytes:
        buf, n = ffi.new("uint8_t **"), ffi.new("size_t *")
        check(lib.cryptonn_feip_ct_batch_export(self._array(), len(self), buf, n),
              "FEIP ciphertexts export")
        return take_bytes(buf, n)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Ciphertexts":
        arr, n = ffi.new("cryptonn_feip_ct ***"), ffi.new("size_t *")
        check(lib.cryptonn_feip_ct_batch_import(arr, n, data, len(data)), "FEIP ciphertexts")
        return _adopt(arr, n)

    def save(self, path: PathLike) -> None:
        check(lib.cryptonn_feip_ct_batch_save(self._array(), len(self), path_arg(path)),
              f"saving {path}")

    @classmethod
    def load(cls, path: PathLike) -> "Ciphertexts":
        arr, n = ffi.new("cryptonn_feip_ct ***"), ffi.new("size_t *")
        check(lib.cryptonn_feip_ct_batch_load(arr, n, path_arg(path)),
              f"loading FEIP ciphertexts {path}")
        return _adopt(arr, n)

    def __repr__(self) -> str:
        return f"feip.Ciphertexts({len(self)}, slots={self.slots})"


def _adopt(arr: Any, n: Any) -> Ciphertexts:
    """Takes over the ciphertexts of a loaded batch; frees its array."""
    cts = Ciphertexts([arr[0][j] for j in range(n[0])])
    free(arr[0])
    return cts


class Decryptor:
    """The server's side: <x, y> for ciphertexts x and keys y it holds.

    Borrows the DLog solver (kept alive with the decryptor); one call at a
    time."""

    def __init__(self, dlog: DLog, batch: int = 0):
        self.dlog = dlog
        out = ffi.new("cryptonn_feip_decryptor **")
        check(lib.cryptonn_feip_decryptor_create(out, dlog._ptr, batch), "FEIP decryptor")
        self._ptr = ffi.gc(out[0], lib.cryptonn_feip_decryptor_destroy)

    def decrypt(self, cts: Ciphertexts, keys: Keys) -> np.ndarray:
        """The matrix of <x_i, y_j> (rows: ciphertexts, columns: keys), as
        `cryptonn fe decrypt` prints it. Raises CryptonnError(MISMATCH) for
        keys of another mpk and RANGE beyond the solver's bound."""
        out = np.zeros((len(cts), len(keys)), dtype=np.int64)
        if out.size:
            check(lib.cryptonn_smc_decrypt(self._ptr, cts._array(), len(cts), keys._ptr,
                                           len(keys), ptr(out, "int64_t *")),
                  "FEIP decryption")
        return out

    def decrypt_pairs(self, cts: Ciphertexts, keys: Keys, key_index: Any) -> np.ndarray:
        """out[j] = <x_j, y_{key_index[j]}>: one key per ciphertext."""
        idx = np.ascontiguousarray(key_index, dtype=np.uint32)
        if idx.shape != (len(cts),):
            raise ValueError(f"key_index: {len(cts)} entries needed, got shape {idx.shape}")
        if idx.size and int(idx.max()) >= len(keys):
            raise IndexError(f"key_index: key {int(idx.max())} of {len(keys)}")
        out = np.zeros(len(cts), dtype=np.int64)
        if out.size:
            check(lib.cryptonn_feip_decrypt_pairs_var(self._ptr, cts._array(), keys._ptr,
                                                      ptr(idx, "uint32_t *"), len(cts),
                                                      ptr(out, "int64_t *"), ffi.NULL),
                  "FEIP decryption")
        return out
