"""spec/steps.json against what it describes: the C++ kernels and the numpy ones, src/spec_limits.hpp (via
the gtest SpecLimits), the Python reader and docs/format.md's step and limit tables.

The doc tables are prose, so the check is on what they must name rather than on their
exact words: every parameter and tensor role of a step in its section, each tensor's dtype,
and every limit with its value.
"""

import pathlib
import re

import pytest

from ferry import format as fmt
from ferry import spec

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC = (ROOT / "docs" / "format.md").read_text()
DTYPES = "float64|float32|int64|int32|uint8"


def _factories(folder):
    """Step types whose make_<type> factory a file of src/<folder> defines."""
    found = set()
    for path in (ROOT / "src" / folder).glob("*.cpp"):
        found |= set(re.findall(r"^std::unique_ptr<\w+> make_([a-z_0-9]+)\(const StepInputs&", path.read_text(), re.M))
    return found - {"step", "estimator"}  # registry.cpp: the lookups by type


def test_every_spec_type_has_a_kernel_and_no_other():
    # The C++ tables are generated from the spec (cmake/FerrySpecTypes.cmake); the factories
    # they name must exist, and no kernel may be unreachable.
    assert _factories("pipeline") == set(spec.PREPROCESSING_TYPES)
    assert _factories("models") == set(spec.ESTIMATOR_TYPES)
    from ferry.converters import KERNELS

    assert set(KERNELS) == set(spec.STEPS) - {"column_transformer"}  # the exporter evaluates branches itself


def test_every_entry_states_every_flag():
    # true, false, or a condition on one of the step's own parameters (spec.flag)
    names = {"text_input", "carries_nan", "handles_missing", "passes_missing", "per_column"}
    for stype, entry in spec.STEPS.items():
        assert set(entry["flags"]) == names, stype
        for name, rule in entry["flags"].items():
            if isinstance(rule, dict):
                assert set(rule) == {"param", "equals"} and rule["param"] in entry["params"], (stype, name)
            else:
                assert isinstance(rule, bool), (stype, name)


def test_the_python_reader_knows_the_spec_types():
    assert set(fmt.PREPROCESSING_TYPES) == set(spec.PREPROCESSING_TYPES)
    assert set(fmt.ESTIMATOR_TYPES) == set(spec.ESTIMATOR_TYPES)


def test_shape_rules_only_use_known_names():
    for stype, entry in spec.STEPS.items():
        # n_dual, n_pairs: support_vector's max(n_classes - 1, 1) and number of class pairs;
        # n_weights: mlp's Σ of consecutive layer widths' products
        names = {"n_in", "n_out", "N", "C", "B", "k", "n_numeric", "n_categories", "n_dual", "n_pairs", "n_weights",
                 # text_vectorizer's strings and Unicode tables (docs/format.md 4.45)
                 "n_bytes", "n_stop", "n_stop_bytes", "m", "n_mapped", *entry["params"]}
        for role, t in entry["tensors"].items():
            for e in t["shape"]:
                used = set(re.findall(r"[A-Za-z_]\w*", e)) - {"sum"}
                assert used <= names, (stype, role, e)


def test_limits_name_their_spec_bounds():
    for stype, entry in spec.STEPS.items():
        for key, p in entry["params"].items():
            for bound in ("min", "max"):
                if isinstance(p.get(bound), str):
                    assert p[bound] in spec.LIMITS, (stype, key, p[bound])


def _sections():
    """step type -> (section number, text up to the next heading)"""
    out = {}
    for m in re.finditer(r"^### (4\.\d+) `([a-z_0-9]+)`.*?$(.*?)(?=^##)", DOC, re.M | re.S):
        out[m.group(2)] = (m.group(1), m.group(3))
    return out


SECTIONS = _sections()


def test_every_step_section_is_a_spec_type_and_back():
    assert set(SECTIONS) == set(spec.STEPS)
    for stype, entry in spec.STEPS.items():
        assert SECTIONS[stype][0] == entry["section"], stype


@pytest.mark.parametrize("stype", sorted(spec.STEPS))
def test_doc_section_names_every_param_and_tensor_with_its_dtype(stype):
    entry = spec.STEPS[stype]
    text = SECTIONS[stype][1]
    rows = "\n".join(line for line in text.splitlines() if line.startswith("|"))
    for key in entry["params"]:
        assert f"`{key}`" in text, f"{stype}: parameter {key} is not in its doc section"
    for role, t in entry["tensors"].items():
        # where the role is described: a row of its own, or "`role`: `dtype [...]`" in a cell
        found = [rows.find(f"| `{role}`"), rows.find(f"`{role}`:"), rows.find(f"`{role}`, "), rows.find(f"`{role}`")]
        at = next((a for a in found if a >= 0), -1)
        assert at >= 0, f"{stype}: tensor {role} is not in its doc table"
        rest = rows[at:].split("\n")[0]
        cell = rest.split("|")[1] if rest.startswith("|") else rest.split("|")[0]
        if "as in" in cell and not re.search(f"`({DTYPES}) ", cell):
            continue  # described in another section
        m = re.search(f"`({DTYPES}) ", rest)
        assert m and m.group(1) == t["dtype"], f"{stype}: tensor {role} is {t['dtype']} in the spec: {rest[:120]}"


def _doc_value(text):
    text = text.replace("−", "-").replace(" bytes", "").strip()
    units = {"MiB": 1 << 20, "GiB": 1 << 30}
    for unit, scale in units.items():
        if text.endswith(unit):
            return int(text[: -len(unit)]) * scale
    m = re.fullmatch(r"2\^(\d+)( - 1)?", text)
    if m:
        return 2 ** int(m.group(1)) - (1 if m.group(2) else 0)
    return float(text) if "e" in text else int(text)


def test_doc_limits_table_equals_the_spec():
    section = DOC[DOC.index("## 6. Limits"):]
    found = {}
    for line in section.splitlines():
        m = re.match(r"\| .*\(`([a-z_0-9]+)`\) \| ([^|]+) \|", line)
        if m:
            found[m.group(1)] = _doc_value(m.group(2))
    assert found == spec.LIMITS


def _shipped():
    return sorted(ROOT.glob("tests/data/*/model.ferry")) + sorted(ROOT.glob("artifacts/*/model.ferry"))


def _steps(steps):
    for step in steps:
        yield step
        if step["type"] == "column_transformer":
            for branch in step["params"]["transformers"]:
                yield from _steps(branch["steps"])


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.parent.name)
def test_shipped_files_use_only_what_the_spec_states(path):
    """Valid files written by the exporter: every parameter and role they use is in the spec,
    with the dtype the spec gives it and, where its rule needs no other tensor, its shape."""
    art = fmt.read(path)
    for step in [*_steps(art.header["pipeline"]), art.header["estimator"]]:
        entry = spec.STEPS[step["type"]]
        assert set(step["params"]) <= set(entry["params"]), (step["type"], set(step["params"]) - set(entry["params"]))
        names = {"n_in": step["n_features_in"], "n_out": step["n_features_out"], **step["params"]}
        for role, name in step["tensors"].items():
            rule = entry["tensors"][role]
            stored = art.tensor_table[name]
            assert stored["dtype"] == rule["dtype"], (step["type"], role)
            try:
                shape = spec.shape_of(rule["shape"], names)
            except KeyError:  # N, C, B, k, ...: read from other tensors
                continue
            assert stored["shape"] == shape, (step["type"], role)


@pytest.mark.parametrize("path", _shipped(), ids=lambda p: p.parent.name)
def test_reader_refuses_a_param_of_the_wrong_type(path):
    """Each boolean, enumerated or integer parameter the spec states, given a value of no
    such type, is refused naming it (tests/conformance_test.cpp does the same in C++)."""
    art = fmt.read(path)
    for step in [*_steps(art.header["pipeline"]), art.header["estimator"]]:
        for key, p in spec.STEPS[step["type"]]["params"].items():
            if p["type"] not in ("boolean", "string", "integer") or key not in step["params"]:
                continue
            old = step["params"][key]
            step["params"][key] = "bogus" if p["type"] != "string" else 3
            try:
                with pytest.raises(fmt.ArtifactError) as ei:
                    fmt.check_sections({**art.header, "tensors": art.tensor_table}, art.tensors, art.minor)
            finally:
                step["params"][key] = old
            assert ei.value.code == "format" and key in ei.value.message, (step["type"], key, ei.value)
