"""The three roles from Python (authority, owners, training server), in
process and over HTTP: strict mode end to end, training equal to `cryptonn
train --secure` on the same seed, paper mode from a PyTorch model's initial
weights, and bad input raising clear errors."""
import os
import shutil

import numpy as np
import pytest

import cryptonn as cn

N_TRAIN, N_TEST = 24, 8


def records(rng, n):
    """Sparse 28×28 records whose class is the row band of their pixels."""
    x = np.zeros((n, 28, 28), np.float32)
    y = rng.integers(0, 10, n)
    for i in range(n):
        rows = y[i] * 2 + rng.integers(0, 4, 12)
        x[i, rows, rng.integers(0, 28, 12)] = rng.integers(1, 256, 12) / 255
    return x, y


@pytest.fixture(scope="module")
def strict(tmp_path_factory):
    """A strict authority (committed dense:16, batches of 8), one owner's
    encrypted training part and test part, not yet registered."""
    d = tmp_path_factory.mktemp("strict")
    rng = np.random.default_rng(11)
    cn.Authority.setup(d / "auth", first_layer="dense:16", layer_seed=5, batch=8)
    owner = cn.Owner(d / "auth" / "params.bin", d / "auth" / "owner.key")
    x, y = records(rng, N_TRAIN)
    xt, yt = records(rng, N_TEST)
    st = owner.encrypt(d / "enc", x, y, part="clinic-a")
    assert st["samples"] == N_TRAIN and st["batches"] == N_TRAIN // 8
    owner.encrypt(d / "test", xt, part="t")
    shutil.copytree(d / "auth", d / "auth0")  # as set up, for tests that start afresh
    return {"dir": d, "owner": owner, "x": x, "y": y, "yt": yt}


def trainer(ds, ks, **kw):
    opts = dict(seed=7, threads=2, dlog_table_bits=14, lr=0.05)
    opts.update(kw)
    return cn.Trainer(ds, ks, **opts)


def mlp():
    return cn.Config.builtin("mlp", activation="tanh", seed=7)


def test_strict_in_process_and_http(strict):
    d, owner = strict["dir"], strict["owner"]
    with cn.Authority.open(d / "auth", label_uses=3) as a:
        assert a.mode == "strict" and owner.mode == "strict"
        layer = a.layer()
        assert layer["spec"] == "dense:16" and layer["keys"] == 16 and len(layer["commit"]) == 16
        assert owner.layer() == layer
        ds = cn.EncryptedDataset(d / "enc")
        info = ds.info()
        assert (info["samples"], info["batches"], info["batch"], info["slots"]) == (24, 3, 8, 784)
        assert info["labels"] and ds.skipped == 0 and ds.check_batch(2) == 8
        local = cn.KeyService.local(a)

        # label keys are refused until the owner's ciphertexts are registered
        with pytest.raises(cn.CryptonnError) as e:
            t = trainer(ds, local)
            t.epoch(t.model(mlp()), 0)
        assert e.value.status == cn.Status.POLICY
        assert a.counts()["labels"]["keys_issued"] == 0
        assert a.counts()["labels"]["keys_refused"] > 0
        assert a.register_file(d / "enc" / "clinic-a.lreg") == N_TRAIN * 10
        assert a.register_file(d / "enc" / "clinic-a.lreg") == 0

        t = trainer(ds, local)
        m1 = t.model(mlp())
        st = t.epoch(m1, 0)
        assert st["samples"] == N_TRAIN and st["keys_output_error"] == N_TRAIN * 10
        assert st["keys_gradient"] == 0  # strict: the first layer is frozen

        with a.serve() as svc:
            token = cn.load_token(a.token_path("server"))
            t2 = trainer(ds, cn.KeyService.http(svc.url, token))
            m2 = t2.model(mlp())
            t2.epoch(m2, 0)
            np.testing.assert_array_equal(m1.params, m2.params)  # same bytes, same model
            with pytest.raises(cn.CryptonnError) as e:
                t3 = trainer(ds, cn.KeyService.http(svc.url, "00" * 32))
                t3.epoch(t3.model(mlp()), 0)
            assert e.value.status == cn.Status.AUTH, str(e.value)
            assert svc.counts()["ok"] > 0

        pred = t.predict(m1, cn.EncryptedDataset(d / "test"))
        assert pred.shape == (N_TEST,) and pred.max() < 10
        back = owner.unpermute(pred)
        assert np.array_equal(pred[:, None] == pred[None, :], back[:, None] == back[None, :])
        assert a.export_keys(d / "keys.kexp") == 16
        report = a.report()
        assert "dense:16" in report and layer["commit"] in report


def test_secure_training_equals_cli(strict, cli, tmp_path):
    """`cryptonn train --secure` and Trainer, same data and seed: the same
    model bit for bit, and the same secure predictions."""
    d = tmp_path
    shutil.copytree(strict["dir"] / "auth0", d / "auth")
    enc = strict["dir"] / "enc"
    cli("authority", "register", "--state", d / "auth", enc / "clinic-a.lreg")
    cli("train", "--secure", "--enc", enc, "--authority", d / "auth", "--model", "mlp",
        "--epochs", 1, "--seed", 7, "--lr", 0.05, "--out", d / "cli.bin", "--dlog-bits", 14,
        "--threads", 2, "--cache", d / "cache", "--report", d / "report.md")
    cli("predict", "--model", d / "cli.bin", "--encrypted", strict["dir"] / "test",
        "--authority", d / "auth", "--out", d / "pred.txt", "--dlog-bits", 14,
        "--cache", d / "cache")
    with cn.Authority.open(d / "auth") as a:
        t = trainer(cn.EncryptedDataset(enc), cn.KeyService.local(a))
        m = t.model(mlp())
        t.epoch(m, 0)
        theirs = cn.Model.load(d / "cli.bin")
        np.testing.assert_array_equal(m.params, theirs.params)
        pred = t.predict(theirs, cn.EncryptedDataset(strict["dir"] / "test"))
    want = np.loadtxt(d / "pred.txt", dtype=np.int64).reshape(-1)
    np.testing.assert_array_equal(pred, want)


def test_checkpoint_round_trip(strict, tmp_path):
    m = cn.Config.builtin("mlp", hidden=16, seed=3).create()
    cn.save_checkpoint(tmp_path / "c.ckpt", m, 2, 5)
    other = cn.Config.builtin("mlp", hidden=16, seed=4).create()
    assert cn.load_checkpoint(tmp_path / "c.ckpt", other) == (2, 5)
    np.testing.assert_array_equal(other.params, m.params)
    wrong = cn.Config.builtin("mlp", hidden=8).create()
    before = wrong.params
    with pytest.raises(cn.CryptonnError):
        cn.load_checkpoint(tmp_path / "c.ckpt", wrong)
    np.testing.assert_array_equal(wrong.params, before)


def test_paper_mode_from_torch_weights(tmp_path):
    """Secure training starts from a PyTorch model's weights (paper mode:
    every layer, the first one too, is the server's)."""
    torch = pytest.importorskip("torch")
    from cryptonn.torch import from_torch, to_torch
    rng = np.random.default_rng(5)
    cn.Authority.setup(tmp_path / "auth", mode="paper", batch=8)
    owner = cn.Owner(tmp_path / "auth" / "params.bin", tmp_path / "auth" / "owner.key")
    assert owner.mode == "paper"
    x, y = records(rng, 16)
    owner.encrypt(tmp_path / "enc", x, y, part="p")
    torch.manual_seed(0)
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 8), torch.nn.Tanh(),
                              torch.nn.Linear(8, 10))
    init = from_torch(net, [1, 28, 28], seed=99)
    with cn.Authority.open(tmp_path / "auth") as a:
        t = trainer(cn.EncryptedDataset(tmp_path / "enc"), cn.KeyService.local(a))
        frozen = t.model(init=from_torch(net, [1, 28, 28], frozen_first_layer=True))
        np.testing.assert_array_equal(frozen.params, init.params)  # paper mode: W1 is PyTorch's
        m = t.model(init=init)
        np.testing.assert_array_equal(m.params, init.params)
        st = t.epoch(m, 0)
        assert st["keys_gradient"] > 0  # paper mode trains the first layer
        assert np.all(np.isfinite(m.params)) and not np.array_equal(m.params, init.params)
        assert a.counts()["batch"]["keys_issued"] > 0
    with torch.no_grad():  # the trained model goes back to PyTorch
        out = to_torch(m)(torch.from_numpy(x[:4].reshape(4, 1, 28, 28))).numpy()
    np.testing.assert_allclose(out, m.forward(x[:4]), rtol=1e-4, atol=1e-6)


def test_strict_mode_keeps_the_committed_layer(strict):
    torch = pytest.importorskip("torch")
    from cryptonn.torch import from_torch
    # The strict head the library fits to a committed layer: layer, ReLU, 128, ReLU, classes.
    net = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 16), torch.nn.ReLU(),
                              torch.nn.Linear(16, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    init = from_torch(net, [1, 28, 28])
    with cn.Authority.open(strict["dir"] / "auth") as a:
        t = trainer(cn.EncryptedDataset(strict["dir"] / "enc"), cn.KeyService.local(a))
        m = t.model(init=init)
    fl = m.first_layer()
    k = fl["w"].size + fl["b"].size
    assert not np.array_equal(m.params[:fl["w"].size], init.params[:fl["w"].size])
    np.testing.assert_array_equal(m.params[k:], init.params[k:])


# ---- bad input ----

def test_setup_refusals(tmp_path):
    with pytest.raises(cn.CryptonnError) as e:
        cn.Authority.setup(tmp_path / "a", first_layer="dense:0")
    assert "dense" in str(e.value)
    cn.Authority.setup(tmp_path / "b", first_layer="dense:4")
    assert oct(os.stat(tmp_path / "b" / "samples.msk").st_mode & 0o777) == "0o600"
    with pytest.raises(cn.CryptonnError) as e:
        cn.Authority.setup(tmp_path / "b", first_layer="dense:4")
    assert e.value.status == cn.Status.IO
    with pytest.raises(ValueError, match="mode"):
        cn.Authority.setup(tmp_path / "c", mode="lax")
    with pytest.raises(cn.CryptonnError):
        cn.Authority.open(tmp_path / "missing")


def test_owner_refusals(strict, tmp_path):
    owner = strict["owner"]
    x, y = strict["x"][:8], strict["y"][:8]
    with pytest.raises(cn.CryptonnError) as e:
        owner.encrypt(tmp_path / "e", x, y, part="bad/name")
    assert e.value.status == cn.Status.ARG and "part name" in str(e.value)
    with pytest.raises(ValueError, match="784"):
        owner.encrypt(tmp_path / "e", np.zeros((8, 10, 10), np.float32), y)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        owner.encrypt(tmp_path / "e", x * 300, y)
    with pytest.raises(ValueError, match="0..9"):
        owner.encrypt(tmp_path / "e", x, np.full(8, 12))
    with pytest.raises(ValueError, match="classes"):
        owner.unpermute([3, 10])
    public = cn.Owner(strict["dir"] / "auth" / "params.bin")  # without owner.key
    with pytest.raises(cn.CryptonnError):
        public.unpermute([1, 2])
    with pytest.raises(cn.CryptonnError):
        public.encrypt(tmp_path / "e", x, y)


def test_dataset_refusals(strict, tmp_path):
    with pytest.raises(cn.CryptonnError):
        cn.EncryptedDataset(tmp_path / "nothing")
    shutil.copytree(strict["dir"] / "enc", tmp_path / "enc")
    batch = tmp_path / "enc" / "part-clinic-a" / "batch-000001.bin"
    data = bytearray(batch.read_bytes())
    data[len(data) // 2] ^= 1
    batch.write_bytes(bytes(data))
    ds = cn.EncryptedDataset(tmp_path / "enc")
    assert ds.check_batch(0) == 8
    with pytest.raises(cn.CryptonnError) as e:
        ds.check_batch(1)
    assert e.value.status == cn.Status.CHECKSUM
    with pytest.raises(cn.CryptonnError) as e:
        ds.check_batch(3)
    assert e.value.status == cn.Status.NOT_FOUND


def test_trainer_refusals(strict):
    with cn.Authority.open(strict["dir"] / "auth") as a:
        ds, ks = cn.EncryptedDataset(strict["dir"] / "enc"), cn.KeyService.local(a)
        with pytest.raises(TypeError, match="unknown trainer option"):
            cn.Trainer(ds, ks, epochs=3)
        t = trainer(ds, ks)
        with pytest.raises(cn.CryptonnError) as e:
            t.model(cn.Config.from_layers([{"type": "dense", "units": 4}], [30]))
        assert e.value.status == cn.Status.MISMATCH
    with pytest.raises(ValueError, match="closed"):
        t.epoch(t.model(mlp()), 0)
