"""PyTorch interop: exported modules compute what the cryptonn model
computes, and PyTorch models come back with their weights."""
import os

import numpy as np
import pytest

import cryptonn as cn

torch = pytest.importorskip("torch")
from cryptonn.torch import from_torch, to_torch  # noqa: E402

MODELS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "models")


def outputs(net, x):
    with torch.no_grad():
        return net(torch.from_numpy(x)).numpy()


@pytest.mark.parametrize("name,shape", [("digits", (1, 8, 8)), ("lenet5", (1, 28, 28)),
                                        ("breast_cancer", (30,)), ("diabetes", (10,))])
def test_export_same_outputs(name, shape, rng):
    m = cn.Model.from_file(os.path.join(MODELS, name + ".json"), seed=4)
    x = rng.random((7,) + shape, dtype=np.float32)
    np.testing.assert_allclose(outputs(to_torch(m), x), m.forward(x), rtol=1e-4, atol=1e-6)


def test_export_after_training_and_logits(rng):
    m = cn.Model.from_layers([{"type": "conv2d", "filters": 2, "kernel": 3, "stride": 2,
                               "padding": 1}, {"type": "tanh"}, {"type": "avgpool", "kernel": 2},
                              {"type": "flatten"}, {"type": "dropout", "rate": 0.25},
                              {"type": "dense", "units": 3}], [2, 9, 9], seed=8)
    x = rng.random((30, 2, 9, 9), dtype=np.float32)
    m.train_epoch(x, rng.integers(0, 3, 30), batch=10, lr=0.5)
    net = to_torch(m, logits=True)
    assert not isinstance(net[-1], torch.nn.Softmax)
    np.testing.assert_allclose(torch.softmax(torch.from_numpy(outputs(net, x)), 1).numpy(),
                               m.forward(x), rtol=1e-4, atol=1e-6)


def test_sigmoid_mlp_exported(rng):
    m = cn.Model.from_layers([{"type": "dense", "units": 6}, {"type": "sigmoid"},
                              {"type": "dense", "units": 2}], [5], seed=1)
    x = rng.random((4, 5), dtype=np.float32)
    np.testing.assert_allclose(outputs(to_torch(m), x), m.forward(x), rtol=1e-5, atol=1e-7)


def test_import_keeps_weights_and_outputs(rng):
    torch.manual_seed(3)
    net = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(4 * 4 * 4, 8)),
        torch.nn.Sigmoid(), torch.nn.Identity(), torch.nn.Linear(8, 3), torch.nn.Softmax(1))
    m = from_torch(net, [1, 8, 8], seed=1)
    want = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).numpy()
    np.testing.assert_array_equal(m.params, want)
    x = rng.random((6, 1, 8, 8), dtype=np.float32)
    np.testing.assert_allclose(m.forward(x), outputs(net, x), rtol=1e-4, atol=1e-6)
    again = to_torch(m)
    np.testing.assert_allclose(outputs(again, x), outputs(net, x), rtol=1e-4, atol=1e-6)


def test_import_trains_from_torch_weights(rng):
    """Training starts from PyTorch's weights: one step of SGD equals PyTorch's step."""
    torch.manual_seed(5)
    net = torch.nn.Sequential(torch.nn.Linear(4, 5), torch.nn.Tanh(), torch.nn.Linear(5, 3))
    m = from_torch(net, [4], seed=99, threads=1)
    x = rng.random((8, 4), dtype=np.float32)
    y = rng.integers(0, 3, 8)
    m.train_epoch(x, y, batch=8, lr=0.1, momentum=0.0, order=np.arange(8))
    opt = torch.optim.SGD(net.parameters(), lr=0.1)
    loss = torch.nn.functional.cross_entropy(net(torch.from_numpy(x)), torch.from_numpy(y))
    loss.backward()
    opt.step()
    want = torch.cat([p.detach().reshape(-1) for p in net.parameters()]).numpy()
    np.testing.assert_allclose(m.params, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mod,why", [
    (lambda: torch.nn.Linear(4, 2, bias=False), "bias"),
    (lambda: torch.nn.Conv2d(1, 2, (3, 2)), "square"),
    (lambda: torch.nn.Conv2d(1, 2, 3, dilation=2), "dilation"),
    (lambda: torch.nn.MaxPool2d(2, padding=1), "padding"),
    (lambda: torch.nn.BatchNorm1d(4), "no cryptonn layer"),
    (lambda: torch.nn.LeakyReLU(), "no cryptonn layer")])
def test_import_refuses(mod, why):
    with pytest.raises(ValueError, match=why):
        from_torch(torch.nn.Sequential(mod()), [1, 4, 4] if "Conv" in str(mod()) or
                   "Pool" in str(mod()) else [4])


def test_import_shape_mismatch():
    with pytest.raises(ValueError, match="parameters"):
        from_torch(torch.nn.Sequential(torch.nn.Linear(5, 2)), [4])
