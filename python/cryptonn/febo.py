"""FE for one basic operation x Δ y (FEBO, include/cryptonn/febo.h).

    >>> mpk, msk = setup()
    >>> ct = mpk.encrypt(42)
    >>> key = msk.keygen(ct, "-", 40)    # a key for this ciphertext only
    >>> decrypt(DLog(1000), ct, key)     # 2

Δ is one of "+", "-", "*", "/"; "/" raises CryptonnError(NOT_INTEGER) when
y does not divide x, never a wrong number."""
from __future__ import annotations

from typing import Sequence, Tuple

import numpy as np

from ._arrays import ptr
from ._lib import check, ffi, lib
from ._objects import CObject
from .dlog import DLog

OPS = {"+": lib.CRYPTONN_FEBO_ADD, "-": lib.CRYPTONN_FEBO_SUB,
       "*": lib.CRYPTONN_FEBO_MUL, "/": lib.CRYPTONN_FEBO_DIV}


class Ciphertext(CObject):
    """One encrypted integer; a key is bound to it."""
    _C, _NAME = "cryptonn_febo_ct", "FEBO ciphertext"


class Key(CObject):
    """A function key for x Δ y on one ciphertext."""
    _C, _NAME = "cryptonn_febo_key", "FEBO key"


class PublicKey(CObject):
    """The FEBO master public key."""
    _C, _NAME = "cryptonn_febo_mpk", "FEBO mpk"

    def encrypt(self, x: int, bits: int = 31) -> Ciphertext:
        """x, |x| < 2^bits, under fresh randomness."""
        ct = Ciphertext._new("FEBO ciphertext")
        check(lib.cryptonn_febo_encrypt(self._ptr, ct._ptr, int(x), bits),
              f"FEBO encryption (|x| < 2^{bits})")
        return ct


class MasterKey(CObject):
    """The FEBO master secret: the authority's only; wiped when freed, saved
    0600, never in bytes."""
    _C, _NAME = "cryptonn_febo_msk", "FEBO msk"

    def keygen(self, ct: Ciphertext, op: str, y: int) -> Key:
        """The key revealing x op y for this ciphertext's x."""
        if op not in OPS:
            raise ValueError(f"op must be one of {' '.join(OPS)}, got {op!r}")
        key = Key._new("FEBO key")
        check(lib.cryptonn_febo_keygen(self._ptr, key._ptr, ct._ptr, OPS[op], int(y)),
              f"FEBO keygen for x {op} {y}")
        return key


def setup() -> Tuple[PublicKey, MasterKey]:
    """Fresh FEBO keys."""
    mpk, msk = ffi.new("cryptonn_febo_mpk **"), ffi.new("cryptonn_febo_msk **")
    check(lib.cryptonn_febo_setup(mpk, msk), "FEBO setup")
    return PublicKey(mpk[0]), MasterKey(msk[0])


def decrypt_many(dlog: DLog, cts: Sequence[Ciphertext], keys: Sequence[Key]) -> np.ndarray:
    """x_j Δ_j y_j for each ciphertext and its key, with one batch
    normalization; raises on the first failure."""
    if len(cts) != len(keys):
        raise ValueError(f"{len(cts)} ciphertexts but {len(keys)} keys")
    out = np.zeros(len(cts), dtype=np.int64)
    if len(cts):
        check(lib.cryptonn_febo_decrypt_batch_var(
            dlog._ptr, ffi.new("cryptonn_febo_ct *[]", [c._ptr for c in cts]),
            ffi.new("cryptonn_febo_key *[]", [k._ptr for k in keys]), len(cts),
            ptr(out, "int64_t *"), ffi.NULL), "FEBO decryption")
    return out


def decrypt(dlog: DLog, ct: Ciphertext, key: Key) -> int:
    """x Δ y for the ciphertext and its key."""
    return int(decrypt_many(dlog, [ct], [key])[0])
