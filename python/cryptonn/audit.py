"""The owners' audit (include/cryptonn/audit.h): what the training server
could reconstruct of the owners' records from the keys it holds, measured
on the owners' side with the strongest attacks we have (an exact linear
solve, a bounded LP, a decoder trained on public data). Nothing here goes
to the server.

    >>> a = audit.run_export("keys.kexp", "auth/params.bin", (x, y), aux=(xa, ya))
    >>> a.summary()["attacks"]["lp"]["exact_fraction"]
    >>> print(a.text())

Records are images (N × H × W, values in [0, 1]) with class labels, as
the MNIST loaders give them."""
from __future__ import annotations

import math
import os
from typing import Any, Dict, Optional, Sequence, Tuple

from ._arrays import dataset
from ._lib import check, ffi, free, lib, message, path_arg

PathLike = "os.PathLike[str] | str"
Records = Tuple[Any, Any]
_MSG = 512
ATTACKS = {"linear": lib.CRYPTONN_AUDIT_LINEAR, "lp": lib.CRYPTONN_AUDIT_LP,
           "decoder": lib.CRYPTONN_AUDIT_DECODER}
_FORMATS = {"text": lib.CRYPTONN_AUDIT_TEXT, "json": lib.CRYPTONN_AUDIT_JSON,
            "markdown": lib.CRYPTONN_AUDIT_MARKDOWN, "features": lib.CRYPTONN_AUDIT_FEATURES}


def _records(r: Optional[Records], what: str) -> Tuple[Any, list]:
    if r is None:
        return ffi.NULL, []
    x, y = r
    shape = getattr(x, "shape", None)
    if shape is None or len(shape) < 2:
        raise ValueError(f"{what}: records N × H × W (or N × width) needed")
    width = int(math.prod(shape[1:]))
    return dataset(x, y, width, 256)


def _opts(samples: int, attacks: Sequence[str], aux_limit: int, decoder_hidden: Optional[int],
          decoder_epochs: Optional[int], threads: int, seed: int) -> Any:
    o = ffi.new("cryptonn_audit_opts *")
    lib.cryptonn_audit_opts_default(o)
    bad = [a for a in attacks if a not in ATTACKS]
    if bad or not attacks:
        raise ValueError(f"attacks: some of {', '.join(ATTACKS)}, got {list(attacks)}")
    o.samples, o.aux_limit, o.threads, o.seed = samples, aux_limit, threads, seed
    o.attacks = sum(ATTACKS[a] for a in set(attacks))
    if decoder_hidden is not None:
        o.decoder_hidden = decoder_hidden
    if decoder_epochs is not None:
        o.decoder_epochs = decoder_epochs
    return o


class Audit:
    """One audit's result: summary(), the library's text, JSON, Markdown
    and per-feature reports, and a picture of originals over
    reconstructions (image records)."""

    def __init__(self, handle: Any):
        self._ptr = ffi.gc(handle, lib.cryptonn_audit_destroy)

    def summary(self) -> Dict[str, Any]:
        """records, dim, nkeys, rank, determined (features the span fixes
        exactly), reference_accuracy, and per attack that ran: exact and
        close fractions, mean absolute error (grid steps), PSNR (inf when
        exact), recognizability, seconds."""
        s = ffi.new("cryptonn_audit_summary *")
        lib.cryptonn_audit_summarize(self._ptr, s)
        out: Dict[str, Any] = {k: int(getattr(s, k)) for k in
                               ("records", "dim", "nkeys", "rank", "determined")}
        out["reference_accuracy"] = float(s.reference_accuracy)
        out["attacks"] = {}
        for a in s.attack:
            if a.ran:
                out["attacks"][ffi.string(a.name).decode()] = {
                    k: float(getattr(a, k)) for k in ("exact_fraction", "close_fraction",
                                                      "mean_abs_error", "psnr_db",
                                                      "recognizability", "seconds")}
        return out

    def _format(self, fmt: str, picture: Optional[PathLike] = None) -> str:
        out = ffi.new("char **")
        check(lib.cryptonn_audit_format_result(self._ptr, _FORMATS[fmt],
                                               path_arg(picture) if picture else ffi.NULL, out),
              f"audit {fmt} report")
        try:
            return ffi.string(out[0]).decode()
        finally:
            free(out[0])

    def text(self) -> str:
        """The result table, as `cryptonn audit` prints it."""
        return self._format("text")

    def json(self) -> str:
        return self._format("json")

    def markdown(self, picture: Optional[PathLike] = None) -> str:
        """The report section, naming the picture file if given."""
        return self._format("markdown", picture)

    def features(self) -> str:
        """Tabular records: each feature's reconstruction error."""
        return self._format("features")

    @property
    def is_image(self) -> bool:
        return bool(lib.cryptonn_audit_is_image(self._ptr))

    def picture(self, png_path: PathLike, max_cols: int = 16) -> None:
        """Originals over each attack's reconstructions, as a PNG."""
        check(lib.cryptonn_audit_picture(self._ptr, path_arg(png_path), max_cols),
              f"audit picture {png_path}")


def run_export(keys: PathLike, params: PathLike, records: Records,
               aux: Optional[Records] = None, samples: int = 100,
               attacks: Sequence[str] = tuple(ATTACKS), aux_limit: int = 0,
               decoder_hidden: Optional[int] = None, decoder_epochs: Optional[int] = None,
               threads: int = 2, seed: int = 1) -> Audit:
    """Audits the keys the server holds (Authority.export_keys's file),
    checked against the owners' params.bin, on (x, y) records; aux is
    public data of the same kind for the decoder."""
    o = _opts(samples, attacks, aux_limit, decoder_hidden, decoder_epochs, threads, seed)
    r, keep_r = _records(records, "records")
    a, keep_a = _records(aux, "aux")
    out, msg = ffi.new("cryptonn_audit **"), ffi.new("char[]", _MSG)
    check(lib.cryptonn_audit_run_export(out, o, path_arg(keys), path_arg(params), r, a, msg,
                                        _MSG), f"audit of {keys}", message(msg))
    return Audit(out[0])


def run_layer(layer: str, records: Records, aux: Optional[Records] = None, layer_seed: int = 1,
              samples: int = 100, attacks: Sequence[str] = tuple(ATTACKS), aux_limit: int = 0,
              decoder_hidden: Optional[int] = None, decoder_epochs: Optional[int] = None,
              threads: int = 2, seed: int = 1) -> Audit:
    """"What if": audits the first layer a strict authority would draw from
    layer_seed ("dense:K", "conv:FxK[sS][pP]") before any setup."""
    o = _opts(samples, attacks, aux_limit, decoder_hidden, decoder_epochs, threads, seed)
    r, keep_r = _records(records, "records")
    a, keep_a = _records(aux, "aux")
    out, msg = ffi.new("cryptonn_audit **"), ffi.new("char[]", _MSG)
    check(lib.cryptonn_audit_run_layer(out, o, layer.encode(), layer_seed, r, a, msg, _MSG),
          f"audit of layer {layer}", message(msg))
    return Audit(out[0])
