"""The owners' audit from Python: full-rank keys give every record back
exactly, a narrow committed layer does not, an authority's export is
audited against its params.bin, and bad input is refused."""
import json

import numpy as np
import pytest

import cryptonn as cn
from cryptonn import audit


def images(rng, n, side=28):
    """Sparse side×side records on the 1/255 grid, with labels."""
    x = np.zeros((n, side, side), np.float32)
    k = side * side // 16
    for i in range(n):
        x[i, rng.integers(0, side, k), rng.integers(0, side, k)] = rng.integers(1, 256, k) / 255
    return x, rng.integers(0, 10, n)


def test_full_rank_recovers_every_record(rng):
    # 8×8 records keep the rank computation small; the audit is the same for 28×28.
    a = audit.run_layer("dense:64", images(rng, 12, side=8), samples=12, attacks=["linear"])
    s = a.summary()
    assert (s["records"], s["dim"], s["rank"], s["determined"]) == (12, 64, 64, 64)
    assert s["attacks"]["linear"]["exact_fraction"] == 1.0
    assert s["attacks"]["linear"]["mean_abs_error"] == 0.0
    assert set(s["attacks"]) == {"linear"} and a.is_image


def test_narrow_layer_and_the_lp(rng, tmp_path):
    a = audit.run_layer("dense:16", images(rng, 8), samples=8, attacks=["linear", "lp"],
                        layer_seed=3)
    s = a.summary()
    assert s["rank"] == 16 and s["determined"] < 784
    assert s["attacks"]["linear"]["exact_fraction"] == 0.0
    assert set(json.loads(a.json()).keys())  # parses
    assert "linear" in a.text() and "lp" in a.text()
    a.picture(tmp_path / "audit.png")
    assert (tmp_path / "audit.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_authority_export(tmp_path, rng):
    cn.Authority.setup(tmp_path / "auth", first_layer="dense:16", layer_seed=5)
    with cn.Authority.open(tmp_path / "auth") as a:
        assert a.export_keys(tmp_path / "keys.kexp") == 16
    s = audit.run_export(tmp_path / "keys.kexp", tmp_path / "auth" / "params.bin",
                         images(rng, 6), samples=6, attacks=["linear"]).summary()
    assert (s["nkeys"], s["rank"]) == (16, 16)
    cn.Authority.setup(tmp_path / "other", first_layer="dense:16", layer_seed=5)
    with pytest.raises(cn.CryptonnError) as e:  # the export belongs to another params.bin
        audit.run_export(tmp_path / "keys.kexp", tmp_path / "other" / "params.bin",
                         images(rng, 6), samples=6, attacks=["linear"])
    assert e.value.detail


def test_refusals(rng, tmp_path):
    with pytest.raises(ValueError, match="attacks"):
        audit.run_layer("dense:4", images(rng, 2), attacks=["guess"])
    with pytest.raises(cn.CryptonnError) as e:
        audit.run_layer("dense:0", images(rng, 2), attacks=["linear"])
    assert "dense" in str(e.value)
    with pytest.raises(cn.CryptonnError):
        audit.run_export(tmp_path / "none.kexp", tmp_path / "none.bin", images(rng, 2))
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        audit.run_layer("dense:4", (np.full((2, 28, 28), 3.0), [0, 1]))
