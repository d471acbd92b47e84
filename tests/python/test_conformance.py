"""tests/conformance/*.json through the Python reader; tests/conformance_test.cpp runs the
same files through the C++ loader, so both readers refuse each file with one code and message.

A case: a valid base artifact, JSON-pointer edits of its header ("add", "replace",
"remove"), tensor replacements (null deletes one) and byte edits of the written file
(see _damage), then the error code and a fragment of the message both readers must give.
"""

import json
import math
import pathlib
import zlib

import numpy as np
import pytest

import ferry
from ferry import format as fmt

ROOT = pathlib.Path(__file__).resolve().parents[2]
CASES = sorted((ROOT / "tests" / "conformance").glob("*.json"))


def _pointer(doc, path):
    """The container holding the pointer's target, and the target's key or index."""
    parts = [p.replace("~1", "/").replace("~0", "~") for p in path.split("/")[1:]]
    for p in parts[:-1]:
        doc = doc[int(p)] if isinstance(doc, list) else doc[p]
    last = parts[-1]
    return doc, (int(last) if isinstance(doc, list) else last)


def _apply(header, op):
    parent, key = _pointer(header, op["path"])
    if op["op"] == "remove":
        del parent[key]
    elif op["op"] == "add" and isinstance(parent, list):
        parent.insert(key, op["value"])
    elif op["op"] in ("add", "replace"):
        parent[key] = op["value"]
    else:
        raise ValueError(f"unknown edit op {op['op']!r}")


def _number(v):
    return {"inf": math.inf, "-inf": -math.inf, "nan": math.nan}[v] if isinstance(v, str) else v


def _values(segments):
    """Numbers, {"repeat": x, "count": n} or {"range": [a, b]}: long tensors stay short to write."""
    out = []
    for s in segments:
        if isinstance(s, dict) and "repeat" in s:
            out += [_number(s["repeat"])] * s["count"]
        elif isinstance(s, dict):
            out += list(range(*s["range"]))
        else:
            out.append(_number(s))
    return out


def _tensor(spec, tensors):
    """A new tensor, or ("like") an existing one with another dtype, shape or some values."""
    if "like" in spec:
        base = tensors[spec["like"]]
        values = base.reshape(-1).astype(np.float64)
        for i, v in spec.get("set", {}).items():
            values[int(i)] = _number(v)
        dtype, shape = spec.get("dtype", base.dtype.name), spec.get("shape", list(base.shape))
    else:
        values, dtype, shape = _values(spec["values"]), spec["dtype"], spec["shape"]
    return np.asarray(values, dtype=np.float64).astype(fmt.DTYPES[dtype]).reshape(shape)


def build(case):
    art = fmt.read(ROOT / case["base"], validate=False)
    header, tensors = art.header, dict(art.tensors)
    for op in case.get("edit", []):
        _apply(header, op)
    for name, spec in case.get("tensors", {}).items():
        if spec is None:
            del tensors[name]
        else:
            tensors[name] = _tensor(spec, art.tensors)
    return _damage(bytearray(fmt.dumps(header, tensors, validate=False)), case)


def _damage(data, case):
    """Byte edits of the written file, for the frame checks: text replaced by text of the same
    length (first occurrence), single bytes set (negative offsets count from the end), and the
    trailer recomputed so that the damage reaches the check it targets."""
    for old, new in case.get("replace_text", []):
        old, new = old.encode(), new.encode()
        assert len(old) == len(new) and old in data, (old, new)
        at = data.index(old)
        data[at: at + len(old)] = new
    for edit in case.get("bytes", []):
        data[edit["at"]] = edit["value"]
    if case.get("fix_trailer"):
        data[-4:] = zlib.crc32(bytes(data[:-4])).to_bytes(4, "little")
    return bytes(data)


def test_there_are_cases():
    assert len(CASES) >= 20


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_conformance(path):
    case = json.loads(path.read_text())
    data = build(case)
    with pytest.raises(ferry.ArtifactError) as ei:
        fmt.loads(data)
    assert ei.value.code == case["code"], ei.value
    assert case["message"] in ei.value.message
