"""The owners' side against the networked services on 127.0.0.1: the
authority's HTTP service run from Python (Authority.serve), the training
server as `cryptonn server serve`; owners register, upload (resumably),
list and predict through cryptonn.Remote (a complete part is not deleted), and the server's secure
predictions equal those of an in-process Trainer on the same model."""
import os
import subprocess
import time

import numpy as np
import pytest

import cryptonn as cn
from conftest import _cli_path


def await_file(path, proc, seconds=30):
    end = time.time() + seconds
    while not (os.path.exists(path) and os.path.getsize(path)):
        if proc.poll() is not None:
            raise AssertionError(f"the server exited {proc.returncode}: {proc.stderr.read()}")
        if time.time() > end:
            raise AssertionError(f"{path} never appeared")
        time.sleep(0.1)


def test_owners_over_http(tmp_path, cli, repo):
    csv = os.path.join(repo, "data", "breast_cancer.csv")
    spec = cn.data.Spec.describe(csv, label="target")
    x, y = spec.load(csv)
    auth = tmp_path / "auth"
    cn.Authority.setup(auth, spec=spec, first_layer="dense:8", layer_seed=3, batch=16)
    cli("authority", "add-owner", "--state", auth, "hospital_a")
    token = cn.load_token(auth / "owners" / "hospital_a.token")
    owner = cn.Owner(auth / "params.bin", auth / "owner.key")
    owner.encrypt(tmp_path / "train", x[:64], y[:64], part="ha", spec=spec)
    owner.encrypt(tmp_path / "test", x[64:96], part="t", spec=spec)

    with cn.Authority.open(auth, min_support=1, label_uses=2) as a, a.serve() as svc:
        assert cn.Remote(svc.url, token).register(tmp_path / "train" / "ha.lreg") == 64 * 2
        server = subprocess.Popen(
            [_cli_path(), "server", "serve", "--state", str(tmp_path / "srv"), "--listen",
             "127.0.0.1:0", "--port-file", str(tmp_path / "srv.port"), "--authority", svc.url,
             "--token-file", str(auth / "tokens" / "server.token"), "--owners",
             str(auth / "owners.list")], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True)
        try:
            await_file(tmp_path / "srv.port", server)
            await_file(tmp_path / "srv" / "operator.token", server)
            url = f"http://127.0.0.1:{(tmp_path / 'srv.port').read_text().strip()}"
            remote = cn.Remote(url, token)
            sent, present = remote.upload(tmp_path / "train", "ha")
            assert (sent, present) == (4, 0)
            assert remote.upload(tmp_path / "train", "ha") == (0, 4)  # resumable: nothing twice
            assert "ha" in str(remote.parts())
            with pytest.raises(cn.CryptonnError) as e:
                cn.Remote(url, "00" * 32).upload(tmp_path / "train", "ha")
            assert e.value.status == cn.Status.AUTH

            cli("server", "train", "--server", url, "--token-file",
                tmp_path / "srv" / "operator.token", "--model", "mlp", "--hidden", 8, "--epochs", 1,
                "--lr", 0.05, "--seed", 1, "--dlog-bits", 14, "--freeze-first-layer", "--wait",
                "--out", tmp_path / "model.bin")
            remote.upload(tmp_path / "test", "t", test=True)
            remote_pred = remote.predict("t")
            assert remote_pred.shape == (32,) and remote_pred.dtype == np.uint8
            with pytest.raises(cn.CryptonnError) as e:  # only open or refused parts go
                remote.delete("t", test=True)
            assert "cannot be deleted" in str(e.value)
        finally:
            server.terminate()
            server.wait(timeout=30)
        t = cn.Trainer(cn.EncryptedDataset(tmp_path / "train"), cn.KeyService.local(a),
                       dlog_table_bits=14)
        local_pred = t.predict(cn.Model.load(tmp_path / "model.bin"),
                               cn.EncryptedDataset(tmp_path / "test"))
    np.testing.assert_array_equal(remote_pred, local_pred)
    assert (owner.unpermute(remote_pred) == y[64:96]).mean() > 0.5
