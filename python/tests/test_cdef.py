"""The bindings' C declarations (cryptonn/_cdef.py) against the public
headers: every function the package calls has the headers' prototype, every
struct the headers' fields at the same offsets, every enum the same values.
A change to include/cryptonn/ that the bindings miss fails here."""
import glob
import os
import re

import pytest
from cffi import FFI

from cryptonn import _cdef
from cryptonn._lib import ffi as ours, lib

INCLUDE = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(__file__))), "include")


def header_declarations() -> str:
    """The public headers as plain declarations: no comments, preprocessor
    lines, C++ guards or attribute macros; integer macros substituted."""
    done, parts = set(), []

    def add(name):  # each header after the headers it includes
        if name in done:
            return
        done.add(name)
        src = open(os.path.join(INCLUDE, "cryptonn", name)).read()
        for inc in re.findall(r'#include "cryptonn/(\w+\.h)"', src):
            add(inc)
        parts.append(src)

    for path in sorted(glob.glob(os.path.join(INCLUDE, "cryptonn", "*.h"))):
        add(os.path.basename(path))
    text = "\n".join(parts)
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S).replace("\\\n", " ")
    defines = dict(re.findall(r"^#define\s+(\w+)\s+(\d+)\s*$", text, flags=re.M))
    out, skip = [], 0
    for line in text.splitlines():
        s = line.strip()
        if s.startswith("#if"):
            skip += (s.startswith("#ifdef __cplusplus") or s.startswith("#if defined(__GNUC__)")
                     or skip > 0)
            continue
        if s.startswith("#endif"):
            skip = max(0, skip - 1)
            continue
        if skip or s.startswith("#"):
            continue
        out.append(line)
    body = "\n".join(out)
    body = re.sub(r"\bCRYPTONN_(API|WARN_UNUSED)\b", "", body)
    for name, value in defines.items():
        body = re.sub(rf"\b{name}\b", value, body)
    return body


@pytest.fixture(scope="module")
def theirs():
    if not os.path.isdir(os.path.join(INCLUDE, "cryptonn")):
        pytest.skip("no include/cryptonn next to this package")
    f = FFI()
    f.cdef(header_declarations(), override=True)  # cryptonn_version is declared twice
    return f


def test_functions_match_headers(theirs):
    names = sorted(set(re.findall(r"\b(cryptonn_\w+)\s*\(", _cdef.CDEF)))
    assert len(names) > 100
    wrong = []
    for name in names:
        want = theirs._parser._declarations.get("function " + name)
        got = ours._parser._declarations.get("function " + name)
        if want is None:
            wrong.append(f"{name}: not in the public headers")
        elif got[0].get_c_name() != want[0].get_c_name():
            wrong.append(f"{name}: {got[0].get_c_name()} here, "
                         f"{want[0].get_c_name()} in the headers")
        elif getattr(lib, name) is None:
            wrong.append(f"{name}: not exported by the library")
    assert not wrong, "\n".join(wrong)


def test_structs_match_headers(theirs):
    names = sorted(set(re.findall(r"}\s*(cryptonn_\w+)\s*;", _cdef.CDEF)))
    assert "cryptonn_model_config" in names and "cryptonn_data_spec" in names
    wrong = []
    for name in names:
        a, b = ours.typeof(name), theirs.typeof(name)
        if a.kind == "enum" or b.kind == "enum":
            if a.kind != b.kind or a.elements != b.elements:
                wrong.append(f"{name}: enum values differ")
            continue
        fa = [(n, f.offset, f.type.cname) for n, f in a.fields]
        fb = [(n, f.offset, f.type.cname) for n, f in b.fields]
        if ours.sizeof(a) != theirs.sizeof(b) or fa != fb:
            wrong.append(f"{name}: fields {fa} here, {fb} in the headers")
    assert not wrong, "\n".join(wrong)
