"""examples/python runs as documented, reduced: the clinic's last line has
its promised form and the secure accuracy is close to the plaintext twin's;
the walk-through runs every cell."""
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def run(script, *args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "python"))
    p = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "python", script), *args],
                       capture_output=True, text=True, env=env, timeout=300)
    assert p.returncode == 0, p.stderr
    return p.stdout


@pytest.mark.parametrize("mode", ["strict"])
def test_clinic(tmp_path, mode):
    out = run("clinic.py", "--epochs", "2" if mode == "strict" else "1", "--mode", mode,
              "--workdir", str(tmp_path))
    last = out.strip().splitlines()[-1]
    m = re.fullmatch(r"clinic: secure test accuracy ([0-9.]+)% \(plaintext ([0-9.]+)%\)", last)
    assert m, last
    secure, plain = float(m.group(1)), float(m.group(2))
    assert secure >= 80 and abs(secure - plain) <= 10, last
    assert "hospital a encrypted" in out and "hospital b encrypted" in out
    assert ("samples: rank 16 of 30" if mode == "strict" else "samples: rank 30 of 30") in out


def test_walkthrough(tmp_path):
    out = run("walkthrough.py", "--quick", "--workdir", str(tmp_path))
    assert "refused: FEIP decryption" in out and "exact on the rounded inputs: True" in out
    assert "secure test accuracy" in out and "What the server learned (strict mode)" in out
    assert (tmp_path / "model.bin").exists()
