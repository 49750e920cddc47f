"""The plaintext model from Python: the CLI's models and data specs read
here and the other way round, Python training equal to `cryptonn train`,
and bad input raising clear errors."""
import json
import os

import numpy as np
import pytest

import cryptonn as cn


@pytest.fixture(scope="module")
def bc(repo, tmp_path_factory):
    """The breast-cancer records under a spec the CLI wrote."""
    d = tmp_path_factory.mktemp("bc")
    return {"csv": os.path.join(repo, "data", "breast_cancer.csv"),
            "model": os.path.join(repo, "models", "breast_cancer.json"), "dir": d}


def test_spec_same_as_cli(bc, cli):
    cli("data", "describe", bc["csv"], "--label", "target", "--out", bc["dir"] / "cli.spec")
    ours = cn.data.Spec.describe(bc["csv"], label="target")
    assert ours.to_dict() == json.loads((bc["dir"] / "cli.spec").read_text())
    assert ours.features == 30 and ours.classes == 2 and ours.shape == (30,)


def test_unlabeled_records(bc):
    spec = cn.data.Spec.describe(bc["csv"], label="target")
    x, y = spec.load(bc["csv"])
    with open(bc["csv"]) as f:
        rows = f.read().splitlines()
    k = rows[0].split(",").index("target")
    drop = [",".join(c for i, c in enumerate(r.split(",")) if i != k) for r in rows]
    (bc["dir"] / "new.csv").write_text("\n".join(drop) + "\n")
    xu, yu = spec.load(bc["dir"] / "new.csv", labeled=False)
    assert yu is None
    np.testing.assert_array_equal(x, xu)
    # training records must have their labels
    with pytest.raises(cn.CryptonnError) as e:
        spec.load(bc["dir"] / "new.csv")
    assert "target" in str(e.value)
    # labels that are there are still read
    xl, yl = spec.load(bc["csv"], labeled=False)
    np.testing.assert_array_equal(y, yl)


def test_training_equals_cli(bc, cli):
    d = bc["dir"]
    cli("data", "describe", bc["csv"], "--label", "target", "--out", d / "spec")
    cli("train", "--model", bc["model"], "--data", bc["csv"], "--spec", d / "spec",
        "--epochs", 2, "--seed", 5, "--batch", 32, "--lr", 0.05, "--momentum", 0.5,
        "--out", d / "cli.bin", "--threads", 2)
    x, y = cn.data.Spec.read(d / "spec").load(bc["csv"])
    assert x.shape == (569, 30) and y.shape == (569,)
    m = cn.Model.from_file(bc["model"], seed=5, max_batch=32, threads=2)
    stats = m.fit(x, y, epochs=2, batch=32, lr=0.05, momentum=0.5, seed=5)
    assert stats[1]["loss"] < stats[0]["loss"]
    theirs = cn.Model.load(d / "cli.bin")
    np.testing.assert_array_equal(m.params, theirs.params)
    np.testing.assert_array_equal(m.predict(x), theirs.predict(x))
    assert theirs.describe() == m.describe()


def test_saved_model_round_trip(tmp_path, rng):
    m = cn.Model.from_file(os_path("models/digits.json"), seed=9)
    m.save(tmp_path / "m.bin")
    back = cn.Model.load(tmp_path / "m.bin")
    x = rng.random((5, 1, 8, 8), dtype=np.float32)
    np.testing.assert_array_equal(back.forward(x), m.forward(x))
    np.testing.assert_allclose(back.forward(x).sum(axis=1), 1, rtol=1e-5)


def test_python_model_evaluated_by_cli(tmp_path, cli, repo):
    """A model trained and saved from Python scores the same in `cryptonn evaluate`."""
    mnist = os.path.join(repo, "data", "mnist")
    if not os.path.exists(os.path.join(mnist, "t10k-images-idx3-ubyte")):
        pytest.skip("no MNIST (tools/fetch-mnist)")
    x, y = cn.load_mnist(mnist, train=False, limit=300)
    m = cn.Model.from_layers([{"type": "dense", "units": 10}], [784], seed=2)
    m.fit(x[:200], y[:200], epochs=2, batch=20, lr=0.1)
    m.save(tmp_path / "m.bin")
    acc = m.evaluate(x, y)
    out = cli("evaluate", tmp_path / "m.bin", "--data", mnist, "--limit", 300).stdout
    assert f"{100 * acc:.2f}%" in out, out


def test_layers_and_first_layer():
    m = cn.Model.from_layers([{"type": "conv2d", "filters": 3, "kernel": 3, "padding": 1},
                              {"type": "relu"}, {"type": "maxpool", "kernel": 2},
                              {"type": "dense", "units": 4}], [2, 6, 6], seed=1)
    fl = m.first_layer()
    assert fl["conv"] and fl["output"] == (3, 6, 6) and fl["w"].size == 3 * 2 * 3 * 3
    np.testing.assert_array_equal(m.params[:fl["w"].size], fl["w"])
    assert m.param_count == 3 * 2 * 9 + 3 + 3 * 3 * 3 * 4 + 4
    layers, shape = m.layers()
    assert shape == (2, 6, 6) and [l["type"] for l in layers] == ["conv2d", "relu", "maxpool",
                                                                  "dense"]


def test_builtin_models_described(tmp_path, cli):
    """A built-in architecture from the CLI (train --model mlp) reads as its layer list."""
    csv = tmp_path / "r.csv"
    rows = np.arange(40 * 3).reshape(40, 3) % 7
    with open(csv, "w") as f:
        f.write("a,b,c,label\n")
        for i, r in enumerate(rows):
            f.write(",".join(map(str, r)) + f",{i % 2}\n")
    cli("data", "describe", csv, "--label", "label", "--out", tmp_path / "spec")
    cli("train", "--model", "mlp", "--hidden", 5, "--data", csv, "--spec", tmp_path / "spec",
        "--out", tmp_path / "m.bin", "--epochs", 1)
    m = cn.Model.load(tmp_path / "m.bin")
    layers, shape = m.layers()
    assert shape == (3,) and layers == [{"type": "dense", "units": 5}, {"type": "relu"},
                                        {"type": "dense", "units": 2}]


def test_regression_model(rng):
    m = cn.Model.from_layers([{"type": "dense", "units": 1}], [2], output="linear", seed=3)
    x = rng.random((64, 2), dtype=np.float32)
    t = (x @ np.array([2.0, -1.0]) + 0.5).astype(np.float32)
    for _ in range(30):
        m.train_epoch(x, t, batch=16, lr=0.1)
    assert m.evaluate(x, t) < 0.05
    np.testing.assert_allclose(m.predict(x)[:, 0], t, atol=0.15)


# ---- bad input ----

def os_path(rel):
    return os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), rel)


def test_bad_model_files(tmp_path):
    (tmp_path / "a.json").write_text('{"input": [4], "layers": [{"type": "dense", "units": 2},]}')
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.from_file(tmp_path / "a.json")
    assert e.value.status == cn.Status.FORMAT and "a.json:1:57" in str(e.value)
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.from_layers([{"type": "dense", "units": 2}, {"type": "bogus"}], [4])
    assert e.value.status == cn.Status.FORMAT and "layer 2 'type' must be one of" in str(e.value)
    assert "cryptonn-model-" not in str(e.value)
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.from_layers([{"type": "conv2d", "filters": 2, "kernel": 5},
                              {"type": "dense", "units": 2}], [1, 3, 3])
    assert e.value.status == cn.Status.ARG and "layer 1" in str(e.value)
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.from_file(tmp_path / "missing.json")
    assert e.value.status == cn.Status.NOT_FOUND


def test_bad_model_containers(tmp_path):
    m = cn.Model.from_layers([{"type": "dense", "units": 2}], [3])
    m.save(tmp_path / "m.bin")
    good = (tmp_path / "m.bin").read_bytes()
    (tmp_path / "c.bin").write_bytes(good[:-5] + bytes([good[-5] ^ 1]) + good[-4:])
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.load(tmp_path / "c.bin")
    assert e.value.status == cn.Status.CHECKSUM
    (tmp_path / "t.bin").write_bytes(good[:40])
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.load(tmp_path / "t.bin")
    assert e.value.status == cn.Status.TRUNCATED
    cn.feip.setup(2)[0].save(tmp_path / "mpk")
    with pytest.raises(cn.CryptonnError) as e:
        cn.Model.load(tmp_path / "mpk")
    assert e.value.status == cn.Status.FORMAT


def test_bad_arrays(rng):
    m = cn.Model.from_layers([{"type": "dense", "units": 3}], [4])
    with pytest.raises(ValueError, match="rows of 4"):
        m.forward(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="NaN"):
        m.forward(np.full((1, 4), np.nan, np.float32))
    with pytest.raises(ValueError, match="0..2"):
        m.train_epoch(np.zeros((2, 4)), [0, 3])
    with pytest.raises(ValueError, match="integer class labels"):
        m.train_epoch(np.zeros((2, 4)), [0.5, 1.0])
    with pytest.raises(ValueError, match="parameters"):
        m.params = np.zeros(3)
    with pytest.raises(ValueError, match="batch"):
        m.train_epoch(np.zeros((2, 4)), [0, 1], batch=1000)


def test_spec_refuses_bad_records(tmp_path, bc):
    spec = cn.data.Spec.describe(bc["csv"], label="target")
    lines = open(bc["csv"]).read().splitlines()
    cells = lines[3].split(",")
    cells[2] = "1e9"  # far beyond the bound
    (tmp_path / "bad.csv").write_text("\n".join(lines[:3] + [",".join(cells)] + lines[4:]) + "\n")
    with pytest.raises(cn.CryptonnError) as e:
        spec.load(tmp_path / "bad.csv")
    assert e.value.status == cn.Status.MISMATCH and "line 4" in str(e.value)
    (tmp_path / "s.json").write_text('{"cryptonn_data_spec": 1, "bogus": 2}')
    with pytest.raises(cn.CryptonnError) as e:
        cn.data.Spec.read(tmp_path / "s.json")
    assert e.value.status == cn.Status.FORMAT and "bogus" in str(e.value), str(e.value)
