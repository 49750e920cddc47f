"""FEBO from Python: the four operations against Python's arithmetic, keys
bound to one ciphertext, bytes round trips and bad input."""
import pytest

import cryptonn as cn


@pytest.fixture(scope="module")
def keys():
    return cn.febo.setup()


@pytest.fixture(scope="module")
def dlog():
    return cn.DLog(1 << 16, table_half=1 << 10)


@pytest.mark.parametrize("x,op,y,want", [
    (42, "+", 7, 49), (42, "-", 50, -8), (-6, "*", 7, -42), (42, "/", -7, -6), (0, "*", 9, 0)])
def test_operations(keys, dlog, x, op, y, want):
    mpk, msk = keys
    ct = mpk.encrypt(x)
    assert cn.febo.decrypt(dlog, ct, msk.keygen(ct, op, y)) == want


def test_batch(keys, dlog, rng):
    mpk, msk = keys
    xs = [int(v) for v in rng.integers(-100, 100, size=20)]
    ys = [int(v) for v in rng.integers(-100, 100, size=20)]
    cts = [mpk.encrypt(x) for x in xs]
    got = cn.febo.decrypt_many(dlog, cts, [msk.keygen(c, "-", y) for c, y in zip(cts, ys)])
    assert list(got) == [x - y for x, y in zip(xs, ys)]


def test_bytes_round_trip(keys, dlog):
    mpk, msk = keys
    mpk2 = cn.febo.PublicKey.from_bytes(mpk.to_bytes())
    ct = cn.febo.Ciphertext.from_bytes(mpk2.encrypt(11).to_bytes())
    key = cn.febo.Key.from_bytes(msk.keygen(ct, "*", 3).to_bytes())
    assert cn.febo.decrypt(dlog, ct, key) == 33


def test_msk_file(tmp_path, keys, dlog):
    mpk, msk = keys
    msk.save(tmp_path / "sk")
    ct = mpk.encrypt(5)
    key = cn.febo.MasterKey.load(tmp_path / "sk").keygen(ct, "+", 1)
    assert cn.febo.decrypt(dlog, ct, key) == 6


def test_not_an_integer_quotient(keys, dlog):
    mpk, msk = keys
    ct = mpk.encrypt(42)
    with pytest.raises(cn.CryptonnError) as e:
        cn.febo.decrypt(dlog, ct, msk.keygen(ct, "/", 5))
    assert e.value.status == cn.Status.NOT_INTEGER


def test_key_of_another_ciphertext(keys, dlog):
    mpk, msk = keys
    a, b = mpk.encrypt(1), mpk.encrypt(2)
    with pytest.raises(cn.CryptonnError) as e:
        cn.febo.decrypt(dlog, a, msk.keygen(b, "+", 1))
    assert e.value.status == cn.Status.MISMATCH


def test_bad_arguments(keys):
    mpk, msk = keys
    ct = mpk.encrypt(1)
    with pytest.raises(ValueError, match="op"):
        msk.keygen(ct, "%", 2)
    with pytest.raises(cn.CryptonnError) as e:
        msk.keygen(ct, "/", 0)
    assert e.value.status == cn.Status.ARG
    with pytest.raises(cn.CryptonnError) as e:
        mpk.encrypt(1 << 20, bits=20)
    assert e.value.status == cn.Status.RANGE
    with pytest.raises(ValueError, match="2 keys"):
        cn.febo.decrypt_many(cn.DLog(10), [ct], [msk.keygen(ct, "+", 1)] * 2)


def test_corrupted_ciphertext(keys):
    data = bytearray(keys[0].encrypt(3).to_bytes())
    data[len(data) // 2] ^= 0x40
    with pytest.raises(cn.CryptonnError) as e:
        cn.febo.Ciphertext.from_bytes(bytes(data))
    assert e.value.status == cn.Status.CHECKSUM
