"""Secure matrix computation and fixed point from Python."""
import numpy as np
import pytest

import cryptonn as cn
from conftest import read_matrix, write_csv


def test_multiply_equals_numpy(rng):
    X = rng.integers(-300, 300, size=(4, 9))
    Y = rng.integers(-30, 30, size=(9, 3))
    np.testing.assert_array_equal(cn.smc.multiply(X, Y), X @ Y)


def test_roles_in_three_steps(rng):
    X = rng.integers(-50, 50, size=(3, 5))
    Y = rng.integers(-50, 50, size=(5, 2))
    mpk, msk = cn.feip.setup(5)
    cts = cn.smc.encrypt_rows(mpk, X)                        # Alice
    keys = cn.smc.keygen_cols(msk, Y)                        # authority
    bob = cn.feip.Decryptor(cn.DLog(cn.smc.bound(X, Y)))     # Bob
    np.testing.assert_array_equal(cn.smc.decrypt(bob, cts, keys), X @ Y)


def test_bound_is_the_worst_case():
    X = np.array([[1, -7], [3, 2]])
    Y = np.array([[2, 0], [-5, 1]])
    assert cn.smc.bound(X, Y) == 7 * 7  # max |X_ij| times the largest column 1-norm


def test_same_as_cli(tmp_path, cli, rng):
    X = rng.integers(-99, 99, size=(3, 4))
    Y = rng.integers(-99, 99, size=(4, 2))
    out = cli("smc", write_csv(tmp_path / "X.csv", X), write_csv(tmp_path / "Y.csv", Y),
              "--scale", 0, "--quiet").stdout
    np.testing.assert_array_equal(read_matrix(out), cn.smc.multiply(X, Y))


def test_solver_too_small_fails_before_work():
    with pytest.raises(cn.CryptonnError) as e:
        cn.smc.multiply([[100, 100]], [[100], [100]], dlog=cn.DLog(1000))
    assert e.value.status == cn.Status.RANGE


def test_shapes_refused():
    with pytest.raises(ValueError, match="cannot be multiplied"):
        cn.smc.multiply(np.ones((2, 3), int), np.ones((2, 3), int))
    with pytest.raises(TypeError):
        cn.smc.multiply(np.ones((2, 2)), np.ones((2, 2)))


def test_fixed_point():
    f = cn.Fixed(10, 2)
    assert f.scale == 100
    np.testing.assert_array_equal(f.encode([[1.234, -2.345], [0.005, -0.005]]),
                                  [[123, -235], [1, -1]])  # half away from zero
    np.testing.assert_allclose(f.decode([150, -1]), [1.5, -0.01])
    g = cn.Fixed(2, 4)
    x, y = np.array([0.5, -1.25]), np.array([2.0, 0.75])
    ip = cn.smc.multiply(f.encode(x)[None, :], g.encode(y)[:, None])
    np.testing.assert_allclose(f.decode_product(g, ip)[0, 0], x @ y)


def test_fixed_point_refuses():
    with pytest.raises(cn.CryptonnError) as e:
        cn.Fixed(10, 2).encode([[0.0, 1.0], [np.nan, 2.0]])
    assert e.value.status == cn.Status.RANGE and "(1, 0)" in str(e.value)
    with pytest.raises(cn.CryptonnError) as e:
        cn.Fixed(10, 2).encode([5.0], max_abs=100)
    assert e.value.status == cn.Status.RANGE
    with pytest.raises(cn.CryptonnError) as e:
        cn.Fixed(3, 2)
    assert e.value.status == cn.Status.ARG
