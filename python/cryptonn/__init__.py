"""cryptonn: neural networks trained on functionally encrypted data (CryptoNN).

Python bindings over libcryptonn.so (cffi, ABI mode: no compiler needed).

    feip      inner-product FE: setup, keygen, encrypt, decrypt
    febo      FE for one basic operation x Δ y
    smc       secure matrix computation
    Fixed     fixed-point scaling of reals
    DLog      the bounded discrete-log solver decryption ends in
    Model     the plaintext model: model files, train, predict
    Authority, Owner, Remote, EncryptedDataset, KeyService, Trainer
              the three roles of CryptoNN, in process or over HTTP
    audit     what the server could reconstruct, measured on the owners' side
    torch     to_torch / from_torch (PyTorch imported only when used)

Failed library calls raise CryptonnError (status, text). The library is
found through $CRYPTONN_LIB, the checkout's build tree, or the system."""
from __future__ import annotations

from . import audit, data, febo, feip, smc
from .authority import Authority, AuthorityService, load_token
from ._lib import ffi as _ffi, lib as _clib
from .dlog import DLog
from .errors import CryptonnError, Status
from .fixedpoint import Fixed
from .nn import Config, Model, load_idx, load_mnist, shuffle_order
from .owner import Owner, Remote
from .server import EncryptedDataset, Trainer, load_checkpoint, save_checkpoint
from .transport import KeyService


def library_version() -> str:
    """The version of the libcryptonn loaded."""
    return _ffi.string(_clib.cryptonn_version()).decode()


__version__ = "0.1.0"
__all__ = ["audit", "Authority", "AuthorityService", "Config", "CryptonnError", "data", "DLog",
           "EncryptedDataset", "febo", "feip", "Fixed", "KeyService", "library_version",
           "load_checkpoint", "load_idx", "load_mnist", "load_token", "Model", "Owner", "Remote",
           "save_checkpoint", "shuffle_order", "smc", "Status", "Trainer"]
