"""FEIP from Python: results equal numpy's products, files and bytes round
trip with the CLI's `cryptonn fe`, and every bad input raises."""
import os
import stat

import numpy as np
import pytest

import cryptonn as cn
from conftest import read_matrix, write_csv


def test_decrypt_is_the_inner_product(rng):
    X = rng.integers(-1000, 1000, size=(5, 7))
    Y = rng.integers(-50, 50, size=(4, 7))
    mpk, msk = cn.feip.setup(7)
    got = cn.feip.Decryptor(cn.DLog(1 << 22)).decrypt(mpk.encrypt(X), msk.keygen(Y))
    np.testing.assert_array_equal(got, X @ Y.T)


def test_zero_bound_and_one_slot():
    mpk, msk = cn.feip.setup(1)
    keys = msk.keygen([[3], [0], [-1]])
    got = cn.feip.Decryptor(cn.DLog(300)).decrypt(mpk.encrypt([[0], [100], [-100]]), keys)
    np.testing.assert_array_equal(got, [[0, 0, 0], [300, 0, -100], [-300, 0, 100]])


def test_pairs(rng):
    mpk, msk = cn.feip.setup(3)
    X = rng.integers(-9, 9, size=(6, 3))
    Y = rng.integers(-9, 9, size=(2, 3))
    idx = np.array([0, 1, 1, 0, 1, 0])
    got = cn.feip.Decryptor(cn.DLog(1000)).decrypt_pairs(mpk.encrypt(X), msk.keygen(Y), idx)
    np.testing.assert_array_equal(got, np.einsum("ij,ij->i", X, Y[idx]))


def test_key_vectors_are_kept(rng):
    Y = rng.integers(-5, 5, size=(3, 6))
    Y[1] = 0
    keys = cn.feip.setup(6)[1].keygen(Y)
    assert len(keys) == 3 and keys.slots == 6
    np.testing.assert_array_equal(keys.vectors(), Y)


def test_bytes_and_files_round_trip(tmp_path, rng):
    mpk, msk = cn.feip.setup(5)
    X = rng.integers(-100, 100, size=(3, 5))
    Y = rng.integers(-10, 10, size=(2, 5))
    msk.save(tmp_path / "msk")
    assert stat.S_IMODE(os.stat(tmp_path / "msk").st_mode) == 0o600
    msk2 = cn.feip.MasterKey.load(tmp_path / "msk")
    assert msk2.public_key().id == mpk.id
    mpk2 = cn.feip.PublicKey.from_bytes(mpk.to_bytes())
    assert mpk2.id == mpk.id and mpk2.slots == 5
    keys = cn.feip.Keys.from_bytes(msk2.keygen(Y).to_bytes())
    cts = mpk2.encrypt(X)
    cts.save(tmp_path / "cts")
    cts2 = cn.feip.Ciphertexts.load(tmp_path / "cts")
    assert len(cts2) == 3 and cts2.slots == 5
    np.testing.assert_array_equal(cn.feip.Decryptor(cn.DLog(1 << 16)).decrypt(cts2, keys), X @ Y.T)


def test_cli_files_read_by_python(tmp_path, cli, rng):
    """The CLI sets up, issues keys and encrypts; Python decrypts."""
    X = rng.integers(-500, 500, size=(4, 6))
    Y = rng.integers(-20, 20, size=(3, 6))
    t = str(tmp_path)
    cli("fe", "setup", "--slots", 6, "--mpk", f"{t}/mpk", "--msk", f"{t}/msk")
    cli("fe", "keygen", "--msk", f"{t}/msk", "--keys", f"{t}/keys", write_csv(f"{t}/Y.csv", Y))
    cli("fe", "encrypt", "--mpk", f"{t}/mpk", "--out", f"{t}/cts", write_csv(f"{t}/X.csv", X))
    keys, cts = cn.feip.Keys.load(f"{t}/keys"), cn.feip.Ciphertexts.load(f"{t}/cts")
    np.testing.assert_array_equal(keys.vectors(), Y)
    got = cn.feip.Decryptor(cn.DLog(1 << 20)).decrypt(cts, keys)
    np.testing.assert_array_equal(got, X @ Y.T)
    mpk = cn.feip.PublicKey.load(f"{t}/mpk")
    assert cn.feip.MasterKey.load(f"{t}/msk").public_key().id == mpk.id


def test_python_files_read_by_cli(tmp_path, cli, rng):
    """Python sets up, issues keys and encrypts; the CLI decrypts."""
    X = rng.integers(-500, 500, size=(3, 4))
    Y = rng.integers(-20, 20, size=(2, 4))
    mpk, msk = cn.feip.setup(4)
    msk.keygen(Y).save(tmp_path / "keys")
    mpk.encrypt(X).save(tmp_path / "cts")
    out = cli("fe", "decrypt", "--keys", tmp_path / "keys", "--cts", tmp_path / "cts").stdout
    np.testing.assert_array_equal(read_matrix(out), X @ Y.T)


# ---- bad input ----

def test_keys_of_another_mpk():
    mpk, _ = cn.feip.setup(3)
    _, other = cn.feip.setup(3)
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.Decryptor(cn.DLog(100)).decrypt(mpk.encrypt([1, 2, 3]), other.keygen([1, 1, 1]))
    assert e.value.status == cn.Status.MISMATCH and str(e.value).startswith("FEIP decryption: ")


def test_result_beyond_the_bound():
    mpk, msk = cn.feip.setup(2)
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.Decryptor(cn.DLog(100, table_half=16)).decrypt(mpk.encrypt([100, 1]),
                                                              msk.keygen([1, 1]))
    assert e.value.status == cn.Status.RANGE
    assert "FEIP decryption" in str(e.value)


def test_plaintext_beyond_bits():
    mpk, _ = cn.feip.setup(2)
    with pytest.raises(cn.CryptonnError) as e:
        mpk.encrypt([8, 0], bits=3)
    assert e.value.status == cn.Status.RANGE and "2^3" in str(e.value)


def test_key_entry_beyond_31_bits():
    _, msk = cn.feip.setup(2)
    with pytest.raises(cn.CryptonnError) as e:
        msk.keygen([1 << 31, 0])
    assert e.value.status == cn.Status.RANGE


@pytest.mark.parametrize("bad", [[1.5, 2.0], [True, False], ["1", "2"]])
def test_non_integer_plaintext(bad):
    mpk, _ = cn.feip.setup(2)
    with pytest.raises(TypeError, match="integer"):
        mpk.encrypt(bad)


def test_wrong_width():
    mpk, msk = cn.feip.setup(3)
    with pytest.raises(ValueError, match="3-slot"):
        mpk.encrypt([1, 2])
    with pytest.raises(ValueError, match="3-slot"):
        msk.keygen([[1, 2, 3, 4]])


def test_corrupted_truncated_and_wrong_kind():
    mpk, msk = cn.feip.setup(3)
    data = bytearray(mpk.encrypt([[1, 2, 3]]).to_bytes())
    data[-1] ^= 1
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.Ciphertexts.from_bytes(bytes(data))
    assert e.value.status == cn.Status.CHECKSUM
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.Ciphertexts.from_bytes(bytes(data[:len(data) // 2]))
    assert e.value.status == cn.Status.TRUNCATED
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.Keys.from_bytes(mpk.to_bytes())
    assert e.value.status == cn.Status.FORMAT


def test_missing_and_corrupted_files(tmp_path):
    mpk, _ = cn.feip.setup(2)
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.PublicKey.load(tmp_path / "nope")
    assert e.value.status in (cn.Status.IO, cn.Status.NOT_FOUND)
    assert "nope" in str(e.value)
    mpk.save(tmp_path / "mpk")
    good = (tmp_path / "mpk").read_bytes()
    (tmp_path / "mpk").write_bytes(good[:-3])
    with pytest.raises(cn.CryptonnError) as e:
        cn.feip.PublicKey.load(tmp_path / "mpk")
    assert e.value.status == cn.Status.TRUNCATED


def test_msk_has_no_bytes_form():
    with pytest.raises(TypeError, match="no export"):
        cn.feip.setup(2)[1].to_bytes()


def test_setup_refuses_zero_slots():
    with pytest.raises(ValueError):
        cn.feip.setup(0)
