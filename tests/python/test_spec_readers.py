"""Both readers against spec/steps.json, case by case generated from the spec itself.

For every step and estimator type of the spec and every tensor role it declares, a shipped
artifact that holds such a step is damaged in two ways the spec rules out: the tensor gets
another dtype, or one more dimension. The Python reader (``ferry.format``) and the C++ loader
(through ``ferry verify``) must both refuse the file with a ``format`` error. The hand-written
conformance files (tests/conformance/) pin the wording of chosen messages; these cases make
sure that no tensor of any type is left unchecked by either reader, including types added
after those files were written.
"""

from __future__ import annotations

import pathlib
import subprocess

import numpy as np
import pytest

import ferry
from ferry import format as fmt
from ferry import spec

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
#: a dtype the spec's dtype is not (the values converted, so only the type is wrong)
OTHER_DTYPE = {"float64": "int64", "float32": "float64", "int64": "float64", "int32": "int64", "uint8": "int64"}


def _steps(header):
    """Every step of a header with the pipeline it sits in: top level, column_transformer
    branches, then the estimator."""
    def walk(steps):
        for step in steps:
            yield step
            if step["type"] == "column_transformer":
                for branch in step["params"]["transformers"]:
                    yield from walk(branch["steps"])

    yield from walk(header["pipeline"])
    yield header["estimator"]


def _sites():
    """(step type, tensor role) -> (artifact path, the tensor's name in that file), from the
    first shipped artifact holding such a step with that tensor."""
    sites = {}
    for path in sorted((ROOT / "artifacts").glob("*/model.ferry")) + sorted((ROOT / "tests/data").glob("*/model.ferry")):
        header = fmt.read(path).header
        for step in _steps(header):
            for role, name in step.get("tensors", {}).items():
                sites.setdefault((step["type"], role), (path, name))
    return sites


SITES = _sites()
CASES = [
    (stype, role, damage)
    for stype, entry in spec.STEPS.items()
    for role in entry["tensors"]
    if (stype, role) in SITES
    for damage in ("dtype", "rank")
]


def test_most_tensor_roles_have_a_shipped_site():
    # A role no shipped artifact holds (an optional tensor of a rare option) is not exercised;
    # the share of such roles stays small.
    roles = [(t, r) for t, e in spec.STEPS.items() for r in e["tensors"]]
    covered = [x for x in roles if x in SITES]
    assert len(covered) >= 0.8 * len(roles), sorted(set(roles) - set(covered))


def _damaged(tmp_path, stype, role, damage) -> pathlib.Path:
    path, name = SITES[(stype, role)]
    art = fmt.read(path)
    tensors = dict(art.tensors)
    t = tensors[name]
    if damage == "dtype":
        want = spec.STEPS[stype]["tensors"][role]["dtype"]
        other = fmt.DTYPES[OTHER_DTYPE[want]]
        tensors[name] = np.nan_to_num(t.astype(np.float64)).astype(other)
    else:
        tensors[name] = t.reshape(list(t.shape) + [1])
    out = tmp_path / f"{stype}_{role}_{damage}.ferry"
    out.write_bytes(fmt.dumps(art.header, tensors, validate=False))
    return out


@pytest.mark.parametrize("stype, role, damage", CASES, ids=[f"{t}-{r}-{d}" for t, r, d in CASES])
def test_both_readers_refuse(tmp_path, stype, role, damage):
    path = _damaged(tmp_path, stype, role, damage)
    with pytest.raises(ferry.ArtifactError) as python_error:
        fmt.read(path)
    assert python_error.value.code == "format", python_error.value
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")
    run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 1, (run.stdout, run.stderr)
    assert run.stderr.startswith("ferry format error"), run.stderr
