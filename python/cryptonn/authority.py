"""The key authority (include/cryptonn/authority.h, transport.h): holds the
master secret keys in a state directory, answers the training server's key
requests under its policy, logs every key it issues, and reports what the
server can learn.

    >>> Authority.setup("auth", first_layer="dense:16", layer_seed=5, batch=8)
    >>> with Authority.open("auth") as a:
    ...     a.register_file("enc/clinic.lreg")   # strict mode: the owners' labels
    ...     print(a.report())

Modes (DESIGN.md §5): "strict" (the authority draws and commits the first
layer; the only keys it issues are that layer's and label keys for
registered ciphertexts) or "paper" (the paper's protocol, in which the
server can recover every training record; for comparison only)."""
from __future__ import annotations

import os
import weakref
from typing import TYPE_CHECKING, Any, Dict, Optional

from ._lib import check, ffi, free, lib, message, path_arg, take_bytes

if TYPE_CHECKING:
    from .data import Spec

PathLike = "os.PathLike[str] | str"
_MSG = 512
MODES = {"paper": lib.CRYPTONN_MODE_PAPER, "strict": lib.CRYPTONN_MODE_STRICT}
MODE_NAMES = {v: k for k, v in MODES.items()}


def _opt_path(path: Optional[PathLike]) -> Any:
    return path_arg(path) if path is not None else ffi.NULL


class Authority:
    """An open authority state directory. Single-threaded: one request at
    a time. Close it (or use `with`) to save its accounting state."""

    def __init__(self, handle: Any, directory: str):
        self._ptr = handle
        self.directory = directory
        self._services: "weakref.WeakSet[AuthorityService]" = weakref.WeakSet()

    @staticmethod
    def setup(directory: PathLike, mode: str = "strict", first_layer: Optional[str] = None,
              layer_bits: int = 8, layer_seed: Optional[int] = None, batch: int = 64,
              label_bits: int = 16, spec: "Optional[Spec]" = None) -> None:
        """Creates the state directory (0700) with fresh master keys (0600),
        params.bin (for owners and the server), owner.key (the owners' class
        permutation, never for the server) and the roles' bearer tokens.

        first_layer (strict): "dense:K" or "conv:FxK[sS][pP]" (default
        "conv:6x5"); layer_seed draws it reproducibly (public), None from the
        system CSPRNG. spec: the owners' data spec (cryptonn.data.Spec): keys
        for its records; None: MNIST's 1×28×28 images and 10 classes. Never
        overwrites keys (CryptonnError(IO))."""
        o = ffi.new("cryptonn_setup_opts *")
        lib.cryptonn_setup_opts_default(o)
        if mode not in MODES:
            raise ValueError(f"mode: strict or paper, got {mode!r}")
        o.mode, o.layer_bits, o.batch, o.label_bits = MODES[mode], layer_bits, batch, label_bits
        keep = ffi.new("char[]", first_layer.encode()) if first_layer else None
        if keep is not None:
            o.first_layer = keep
        if layer_seed is not None:
            o.layer_seeded, o.layer_seed = 1, layer_seed
        if spec is not None:
            o.spec = spec._spec
        msg = ffi.new("char[]", _MSG)
        check(lib.cryptonn_authority_setup(path_arg(directory), o, msg, _MSG),
              f"authority setup in {directory}", message(msg))

    @classmethod
    def open(cls, directory: PathLike, min_support: Optional[int] = None,
             max_rank: Optional[int] = None, label_uses: Optional[int] = None) -> "Authority":
        """Opens a state directory under a policy: min_support and max_rank
        (paper mode: the least non-zeros of a key, the revealed-rank budget,
        0 none), label_uses (strict mode: label keys per registered
        ciphertext, i.e. epochs). None keeps the library's default."""
        pol = ffi.new("cryptonn_policy *")
        lib.cryptonn_policy_default(pol)
        if min_support is not None:
            pol.min_support = min_support
        if max_rank is not None:
            pol.max_rank = max_rank
        if label_uses is not None:
            pol.label_uses = label_uses
        out = ffi.new("cryptonn_authority **")
        check(lib.cryptonn_authority_open(out, path_arg(directory), pol),
              f"opening authority {directory}")
        return cls(out[0], os.fspath(directory))

    def close(self) -> None:
        """Saves the accounting state and frees the handle (idempotent). Its
        HTTP services stop first; in-process key services fail from then on."""
        for svc in list(self._services):
            svc.stop()
        if self._ptr is not None:
            lib.cryptonn_authority_close(self._ptr)
            self._ptr = None

    def __enter__(self) -> "Authority":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    @property
    def _h(self) -> Any:
        if self._ptr is None:
            raise ValueError("the authority is closed")
        return self._ptr

    @property
    def mode(self) -> str:
        return MODE_NAMES[lib.cryptonn_authority_mode(self._h)]

    @property
    def params_path(self) -> str:
        """params.bin: what owners and the server get."""
        return os.path.join(self.directory, "params.bin")

    @property
    def owner_key_path(self) -> str:
        """owner.key: the owners' secret; never for the server."""
        return os.path.join(self.directory, "owner.key")

    def token_path(self, role: str) -> str:
        """The bearer token file of a networked role ("server", ...)."""
        return os.path.join(self.directory, "tokens", f"{role}.token")

    def layer(self) -> Dict[str, Any]:
        """Strict mode: the committed first layer: its spec ("dense:16"), the
        first 16 hex digits of its commitment, its key vectors and bits."""
        d = ffi.new("cryptonn_layer_desc *")
        check(lib.cryptonn_authority_layer(self._h, d), "the committed layer")
        return layer_desc(d)

    def handle(self, request: bytes) -> bytes:
        """Answers one key-request message (a refusal is an answer too)."""
        out, n = ffi.new("uint8_t **"), ffi.new("size_t *")
        check(lib.cryptonn_authority_handle(self._h, request, len(request), out, n),
              "key request")
        return take_bytes(out, n)

    def register_labels(self, registration: bytes) -> int:
        """Registers an owner's label ciphertexts (a registration message);
        returns how many are new. Idempotent and durable."""
        added, why = ffi.new("uint64_t *"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_authority_register_labels(self._h, registration, len(registration),
                                                     added, why, _MSG),
              "label registration", message(why))
        return int(added[0])

    def register_file(self, path: PathLike) -> int:
        """The same from a registration file (Owner.encrypt writes PART.lreg)."""
        added, why = ffi.new("uint64_t *"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_authority_register_file(self._h, path_arg(path), added, why, _MSG),
              f"label registration {path}", message(why))
        return int(added[0])

    def export_keys(self, path: PathLike) -> int:
        """Writes the key vectors the server holds ("KEXP"): what the owners'
        audit replays. Returns their count."""
        n = ffi.new("uint64_t *")
        check(lib.cryptonn_authority_export_keys(self._h, path_arg(path), n),
              f"exporting keys to {path}")
        return int(n[0])

    def counts(self) -> Dict[str, Dict[str, int]]:
        """Keys issued and refused, and the revealed rank, per master key:
        "samples", "batch" (paper mode's gradient key) and "labels"."""
        kc = ffi.new("cryptonn_keycount[3]")
        lib.cryptonn_authority_counts(self._h, kc)
        return {name: {"width": int(k.width), "rank": int(k.rank),
                       "rank_is_bound": bool(k.rank_is_bound),
                       "keys_issued": int(k.keys_issued), "keys_refused": int(k.keys_refused)}
                for name, k in zip(("samples", "batch", "labels"), kc)}

    def report(self) -> str:
        """The leakage report (Markdown) for this mode and these counters."""
        text = ffi.new("char **")
        check(lib.cryptonn_authority_report(self._h, text), "leakage report")
        try:
            return ffi.string(text[0]).decode()
        finally:
            free(text[0])

    def serve(self, listen: str = "127.0.0.1:0", token_file: Optional[PathLike] = None,
              cert_file: Optional[PathLike] = None, key_file: Optional[PathLike] = None,
              timeout_s: int = 0) -> "AuthorityService":
        """Runs the authority's HTTP service in this process (what `cryptonn
        authority serve` runs) until stop(): POST /v1/keys for the server's
        token, /v1/labels and GET /v1/keys/export for the owners'. Port 0:
        any free port (see .port, .url)."""
        return AuthorityService(self, listen, token_file, cert_file, key_file, timeout_s)

    def __repr__(self) -> str:
        state = "closed" if self._ptr is None else self.mode
        return f"Authority({self.directory!r}, {state})"


class AuthorityService:
    """The authority's HTTP service; stop() it (or use `with`) before the
    authority closes."""

    def __init__(self, authority: Authority, listen: str, token_file: Optional[PathLike],
                 cert_file: Optional[PathLike], key_file: Optional[PathLike], timeout_s: int):
        self._ptr = None
        self.authority = authority
        o = ffi.new("cryptonn_service_opts *")
        lib.cryptonn_service_opts_default(o)
        keep = [ffi.new("char[]", listen.encode())]
        o.listen = keep[0]
        for field, value in (("token_file", token_file), ("cert_file", cert_file),
                             ("key_file", key_file)):
            if value is not None:
                keep.append(ffi.new("char[]", path_arg(value)))
                setattr(o, field, keep[-1])
        o.timeout_s = timeout_s
        out, msg = ffi.new("cryptonn_authority_service **"), ffi.new("char[]", _MSG)
        check(lib.cryptonn_authority_service_start(out, authority._h,
                                                   path_arg(authority.directory), o, msg, _MSG),
              f"starting the authority service on {listen}", message(msg))
        self._ptr = out[0]
        self.tls = cert_file is not None
        authority._services.add(self)

    @property
    def port(self) -> int:
        return int(lib.cryptonn_authority_service_port(self._h))

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    @property
    def _h(self) -> Any:
        if self._ptr is None:
            raise ValueError("the service is stopped")
        return self._ptr

    def counts(self) -> Dict[str, int]:
        """Requests answered, refused by policy, and malformed or failed."""
        ok, refused, failed = (ffi.new("uint64_t *") for _ in range(3))
        lib.cryptonn_authority_service_counts(self._h, ok, refused, failed)
        return {"ok": int(ok[0]), "refused": int(refused[0]), "failed": int(failed[0])}

    def stop(self) -> None:
        if self._ptr is not None:
            lib.cryptonn_authority_service_stop(self._ptr)
            self._ptr = None

    def __enter__(self) -> "AuthorityService":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __del__(self) -> None:
        self.stop()


def layer_desc(d: Any) -> Dict[str, Any]:
    return {"spec": ffi.string(d.spec).decode(), "commit": ffi.string(d.commit).decode(),
            "keys": int(d.keys), "bits": int(d.bits)}


def load_token(path: PathLike) -> str:
    """A bearer token file's token."""
    out = ffi.new("char[65]")
    check(lib.cryptonn_token_load(path_arg(path), out), f"reading token {path}")
    return ffi.string(out).decode()
