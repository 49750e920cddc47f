#!/bin/sh
# The Python package's tests (python/tests, pytest) against this build's
# libcryptonn.so and cryptonn binary. Skipped, with the reason, when the
# interpreter lacks cffi, numpy or pytest (tools/install-deps installs them).
# Usage: tests/cli_python.sh path/to/cryptonn
set -u
BIN=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
SRC=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(dirname "$BIN")/libcryptonn.so
# Debian's interpreter first: its python3-cffi/numpy/pytest are the ones installed.
PY=${CRYPTONN_PYTHON:-}
if [ -z "$PY" ]; then
    if [ -x /usr/bin/python3 ]; then PY=/usr/bin/python3; else PY=python3; fi
fi
if ! missing=$("$PY" -c '
import importlib.util as u
print(" ".join(m for m in ("cffi", "numpy", "pytest") if u.find_spec(m) is None))
' 2>&1) || [ -n "$missing" ]; then
    echo "cli_python: SKIPPED: $PY lacks ${missing:-python}; tools/install-deps installs python3-cffi python3-numpy python3-pytest"
    exit 0
fi
if [ ! -e "$LIB" ]; then
    echo "cli_python: FAIL: no $LIB next to $BIN" >&2
    exit 1
fi
cd "$SRC" || exit 1
CRYPTONN_LIB=$LIB CRYPTONN_BIN=$BIN OMP_NUM_THREADS=${OMP_NUM_THREADS:-2} \
    exec "$PY" -m pytest -q -p no:cacheprovider python
