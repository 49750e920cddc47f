"""Shared fixtures: the repository, the `cryptonn` binary of the build the
library came from, and a CLI runner. The package is imported from this
checkout (python/), whatever is installed."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import List

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.dirname(HERE))


def _cli_path() -> str:
    """CRYPTONN_BIN, else the cryptonn next to CRYPTONN_LIB, else build/cryptonn."""
    if os.environ.get("CRYPTONN_BIN"):
        return os.environ["CRYPTONN_BIN"]
    lib = os.environ.get("CRYPTONN_LIB")
    if lib and os.path.exists(os.path.join(os.path.dirname(lib), "cryptonn")):
        return os.path.join(os.path.dirname(lib), "cryptonn")
    return os.path.join(REPO, "build", "cryptonn")


@pytest.fixture(scope="session")
def repo() -> str:
    return REPO


@pytest.fixture(scope="session")
def cli():
    """run(args...) -> CompletedProcess of the cryptonn binary (skips when
    there is none); run(..., ok=False) for a run that must fail."""
    path = _cli_path()
    if not os.access(path, os.X_OK):
        pytest.skip(f"no cryptonn binary at {path} (set CRYPTONN_BIN)")

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        p = subprocess.run([path, *map(str, args)], capture_output=True, text=True, cwd=REPO)
        if ok and p.returncode != 0:
            raise AssertionError(f"cryptonn {' '.join(map(str, args))}: exit {p.returncode}\n"
                                 f"{p.stderr}")
        if not ok and p.returncode == 0:
            raise AssertionError(f"cryptonn {' '.join(map(str, args))} succeeded")
        return p
    return run


@pytest.fixture
def rng(request) -> np.random.Generator:
    """A seeded generator; the seed is printed when a test fails."""
    seed = int(os.environ.get("CRYPTONN_TEST_SEED", "20261201"))
    print(f"seed {seed} (CRYPTONN_TEST_SEED)")
    return np.random.default_rng(seed)


def write_csv(path: str, rows: np.ndarray, header: List[str] = None) -> str:
    with open(path, "w") as f:
        if header:
            f.write(",".join(header) + "\n")
        for r in np.atleast_2d(rows):
            f.write(",".join(str(v) for v in r) + "\n")
    return str(path)


def read_matrix(text: str) -> np.ndarray:
    """A CSV matrix the CLI printed (skipping blank and # lines)."""
    rows = [l for l in text.splitlines() if l.strip() and not l.startswith("#")]
    return np.array([[int(v) for v in l.split(",")] for l in rows], dtype=np.int64)
