"""The C API (include/ferry/ferry.h) through ctypes, and examples/c_host, a plain C program.

Every all-numeric golden case is scored through the C boundary and compared with
scikit-learn's outputs in expected.csv (labels identical; values within the golden tolerance:
1e-12 relative, or the artifact's own, looser, verification tolerance for XGBoost's float32).
Errors come back as status codes with the same message the C++ API gives.
"""

from __future__ import annotations

import csv
import ctypes
import pathlib
import subprocess
import threading

import numpy as np
import pytest

import ferry

ROOT = pathlib.Path(__file__).resolve().parents[2]
BUILD = ROOT / "build" / "release" / "tests"
LIBRARY = BUILD / "libferry_ctypes.so"
C_HOST = BUILD / "c_host"

OK, IO, FORMAT, CHECKSUM, UNSUPPORTED, SCHEMA, SHAPE, VALUE, ARGUMENT = 0, 1, 2, 3, 5, 6, 7, 8, 10
PREDICT, PREDICT_PROBA, DECISION_FUNCTION, EXPLAIN = 0, 1, 2, 3

pytestmark = pytest.mark.skipif(not LIBRARY.exists(), reason=f"{LIBRARY.relative_to(ROOT)} is not built")

_double_p = ctypes.POINTER(ctypes.c_double)


@pytest.fixture(scope="module")
def lib():
    c = ctypes.CDLL(str(LIBRARY))
    c.ferry_last_error.restype = ctypes.c_char_p
    c.ferry_status_name.restype = ctypes.c_char_p
    c.ferry_model_load.argtypes = [ctypes.c_char_p, ctypes.c_int, ctypes.POINTER(ctypes.c_void_p)]
    c.ferry_model_load_from_memory.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_int,
                                               ctypes.POINTER(ctypes.c_void_p)]
    c.ferry_model_free.argtypes = [ctypes.c_void_p]
    for name in ("ferry_model_name", "ferry_model_version"):
        getattr(c, name).argtypes = [ctypes.c_void_p]
        getattr(c, name).restype = ctypes.c_char_p
    for name in ("ferry_model_n_inputs", "ferry_model_n_classes"):
        getattr(c, name).argtypes = [ctypes.c_void_p]
        getattr(c, name).restype = ctypes.c_size_t
    c.ferry_model_is_classifier.argtypes = [ctypes.c_void_p]
    for name in ("ferry_model_input_name", "ferry_model_class_label"):
        getattr(c, name).argtypes = [ctypes.c_void_p, ctypes.c_size_t]
        getattr(c, name).restype = ctypes.c_char_p
    c.ferry_model_input_is_text.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
    c.ferry_model_output_width.argtypes = [ctypes.c_void_p, ctypes.c_int]
    c.ferry_model_output_width.restype = ctypes.c_size_t
    c.ferry_compute_d.argtypes = [ctypes.c_void_p, ctypes.c_int, _double_p, ctypes.c_size_t, ctypes.c_size_t,
                                  _double_p, ctypes.c_size_t]
    c.ferry_compute_f.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.POINTER(ctypes.c_float), ctypes.c_size_t,
                                  ctypes.c_size_t, _double_p, ctypes.c_size_t]
    c.ferry_explain_d.argtypes = [ctypes.c_void_p, _double_p, ctypes.c_size_t, ctypes.c_size_t, _double_p,
                                  ctypes.c_size_t, _double_p, ctypes.c_size_t]
    return c


class Handle:
    def __init__(self, lib, path=None, data=None, verify=1):
        self.lib, self.ptr = lib, ctypes.c_void_p()
        if data is not None:
            status = lib.ferry_model_load_from_memory(data, len(data), verify, ctypes.byref(self.ptr))
        else:
            status = lib.ferry_model_load(str(path).encode(), verify, ctypes.byref(self.ptr))
        self.status = status

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.lib.ferry_model_free(self.ptr)

    def width(self, output):
        return self.lib.ferry_model_output_width(self.ptr, output)

    def compute(self, output, X, width=None):
        X = np.ascontiguousarray(X, dtype=np.float64)
        w = self.width(output) if width is None else width
        out = np.full((X.shape[0], max(w, 1)), np.nan)
        status = self.lib.ferry_compute_d(self.ptr, output, X.ctypes.data_as(_double_p), X.shape[0], X.shape[1],
                                          out.ctypes.data_as(_double_p), X.shape[0] * w)
        return status, out[:, :w]


def _cases():
    out = []
    for path in sorted((ROOT / "artifacts").glob("*/model.ferry")) + sorted((ROOT / "tests/data").glob("*/model.ferry")):
        if not (path.parent / "expected.csv").exists():
            continue
        header = ferry.read(path).header
        if any(i["kind"] != "numeric" for i in header["schema"]["inputs"]):
            continue
        out.append(path.parent)
    return out


CASES = _cases()


def _read(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


def _numbers(rows, columns):
    return np.array([[float("nan") if r[j] == "" else float(r[j]) for j in columns] for r in rows])


def test_there_are_cases():
    assert len(CASES) > 50


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_every_numeric_case_matches_scikit_learn(lib, case):
    header = ferry.read(case / "model.ferry").header
    verification = header.get("verification") or {}
    rtol = max(1e-12, verification.get("rtol", 0.0))
    atol = verification.get("atol", 0.0)
    _, rows = _read(case / "input.csv")
    X = _numbers(rows, range(len(rows[0])))
    names, expected = _read(case / "expected.csv")
    with Handle(lib, path=case / "model.ferry") as m:
        assert m.status == OK, lib.ferry_last_error()
        assert lib.ferry_model_n_inputs(m.ptr) == X.shape[1]
        status, predicted = m.compute(PREDICT, X)
        assert status == OK, lib.ferry_last_error()
        if lib.ferry_model_is_classifier(m.ptr):
            labels = [lib.ferry_model_class_label(m.ptr, int(k)).decode() for k in predicted[:, 0]]
            assert labels == [r[0] for r in expected]
        else:
            want = _numbers(expected, [j for j, n in enumerate(names) if n.startswith("prediction")])
            np.testing.assert_allclose(predicted, want, rtol=rtol, atol=atol)
        for prefix, output in (("proba_", PREDICT_PROBA), ("decision_", DECISION_FUNCTION)):
            columns = [j for j, n in enumerate(names) if n.startswith(prefix)]
            if not columns:
                continue
            status, got = m.compute(output, X)
            assert status == OK, lib.ferry_last_error()
            np.testing.assert_allclose(got, _numbers(expected, columns), rtol=rtol, atol=atol)


def test_float_input_is_the_double_path(lib):
    path = ROOT / "artifacts" / "iris" / "model.ferry"
    _, rows = _read(path.parent / "input.csv")
    X32 = np.ascontiguousarray(_numbers(rows, range(4)), dtype=np.float32)
    with Handle(lib, path=path) as m:
        out = np.empty((X32.shape[0], 3))
        status = lib.ferry_compute_f(m.ptr, PREDICT_PROBA, X32.ctypes.data_as(ctypes.POINTER(ctypes.c_float)),
                                     X32.shape[0], 4, out.ctypes.data_as(_double_p), out.size)
        assert status == OK
        _, want = m.compute(PREDICT_PROBA, X32.astype(np.float64))
        assert np.array_equal(out, want)


def test_metadata_and_widths(lib):
    with Handle(lib, path=ROOT / "artifacts" / "iris" / "model.ferry") as m:
        assert lib.ferry_model_name(m.ptr) == b"iris"
        assert lib.ferry_model_input_name(m.ptr, 0) == b"sepal length (cm)"
        assert lib.ferry_model_input_name(m.ptr, 4) is None
        assert [lib.ferry_model_class_label(m.ptr, c) for c in range(3)] == [b"setosa", b"versicolor", b"virginica"]
        assert [m.width(o) for o in (PREDICT, PREDICT_PROBA, DECISION_FUNCTION, EXPLAIN)] == [1, 3, 3, 3]
    with Handle(lib, path=ROOT / "tests" / "data" / "linear_multioutput" / "model.ferry") as m:
        assert [m.width(o) for o in (PREDICT, PREDICT_PROBA, DECISION_FUNCTION, EXPLAIN)] == [2, 0, 0, 2]
        assert lib.ferry_model_n_classes(m.ptr) == 0


def test_explanations_add_up_to_the_scores(lib):
    for path in (ROOT / "artifacts" / "iris" / "model.ferry", ROOT / "artifacts" / "breast_cancer" / "model.ferry",
                 ROOT / "tests" / "data" / "tree_gb_multiclass" / "model.ferry"):
        _, rows = _read(path.parent / "input.csv")
        X = np.ascontiguousarray(_numbers(rows, range(len(rows[0]))))
        with Handle(lib, path=path) as m:
            k, n, r = m.width(EXPLAIN), X.shape[1], X.shape[0]
            values, base = np.empty((k, r, n)), np.empty((r, k))
            status = lib.ferry_explain_d(m.ptr, X.ctypes.data_as(_double_p), r, n, values.ctypes.data_as(_double_p),
                                         values.size, base.ctypes.data_as(_double_p), base.size)
            assert status == OK, lib.ferry_last_error()
            _, scores = m.compute(DECISION_FUNCTION, X)
            np.testing.assert_allclose(base + values.sum(axis=2).T, scores, rtol=1e-12, atol=1e-12)


def test_errors_are_statuses_with_the_cpp_message(lib):
    iris = ROOT / "artifacts" / "iris" / "model.ferry"
    with Handle(lib, path=ROOT / "no" / "such.ferry") as m:
        assert m.status == IO and b"no/such.ferry" in lib.ferry_last_error()
        assert not m.ptr.value  # nothing to free
    data = bytearray(iris.read_bytes())
    data[len(data) // 2] ^= 0xFF
    with Handle(lib, data=bytes(data)) as m:
        assert m.status in (FORMAT, CHECKSUM), lib.ferry_last_error()
        assert lib.ferry_last_error().startswith(b"ferry ")
    with Handle(lib, path=iris) as m:
        status, _ = m.compute(PREDICT, np.zeros((2, 3)), width=1)
        assert status == SHAPE and b"3 columns" in lib.ferry_last_error()
        status, _ = m.compute(PREDICT_PROBA, np.zeros((4, 4)), width=2)  # buffer of 8 for 4 x 3
        assert status == SHAPE and b"buffer holds 8" in lib.ferry_last_error()
        X = np.zeros((3, 4))
        X[1, 2] = np.nan
        status, _ = m.compute(PREDICT, X)
        assert status == VALUE and b"row 1" in lib.ferry_last_error()
        status, _ = m.compute(EXPLAIN, np.zeros((1, 4)))  # explain has its own entry point
        assert status == ARGUMENT
        assert lib.ferry_status_name(VALUE) == b"value"
        status = lib.ferry_compute_d(None, PREDICT, None, 0, 4, None, 0)
        assert status == ARGUMENT and b"model is null" in lib.ferry_last_error()
        assert lib.ferry_model_load(None, 0, ctypes.byref(ctypes.c_void_p())) == ARGUMENT
    with Handle(lib, path=ROOT / "tests" / "data" / "linear_multioutput" / "model.ferry") as m:
        status, _ = m.compute(PREDICT_PROBA, np.zeros((1, m.lib.ferry_model_n_inputs(m.ptr))), width=1)
        assert status == UNSUPPORTED and b"predict_proba" in lib.ferry_last_error()
    with Handle(lib, path=ROOT / "artifacts" / "churn" / "model.ferry") as m:
        assert lib.ferry_model_input_is_text(m.ptr, 2) or lib.ferry_model_input_is_text(m.ptr, 3)
        status, _ = m.compute(PREDICT, np.zeros((1, lib.ferry_model_n_inputs(m.ptr))))
        assert status == SCHEMA


def test_the_last_error_is_per_thread(lib):
    iris = ROOT / "artifacts" / "iris" / "model.ferry"
    with Handle(lib, path=iris) as m:
        assert m.compute(PREDICT, np.zeros((1, 3)), width=1)[0] == SHAPE
        seen = []
        t = threading.Thread(target=lambda: seen.append(lib.ferry_last_error()))
        t.start()
        t.join()
        assert seen == [b""]
        assert b"3 columns" in lib.ferry_last_error()


@pytest.mark.skipif(not C_HOST.exists(), reason="examples/c_host is not built")
@pytest.mark.parametrize("case", ["artifacts/iris", "artifacts/breast_cancer", "tests/data/linear_multioutput"])
def test_the_c_host(case):
    run = subprocess.run([str(C_HOST), str(ROOT / case / "model.ferry"), str(ROOT / case / "input.csv")],
                         capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    names, expected = _read(ROOT / case / "expected.csv")
    got = [line.split(",") for line in run.stdout.splitlines()]
    assert len(got) == len(expected)
    if ferry.read(ROOT / case / "model.ferry").schema["task"] == "classification":
        assert [g[0] for g in got] == [e[0] for e in expected]
        got = [g[1:] for g in got]
        expected = [[v for v, n in zip(e, names) if n.startswith("proba_")] for e in expected]
    np.testing.assert_allclose(np.array(got, dtype=float), np.array(expected, dtype=float), rtol=1e-12)
