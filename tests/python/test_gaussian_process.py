"""Gaussian processes (issue 12, item 7): GaussianProcessRegressor's posterior mean for every
stationary kernel ferry runs (RBF, Matern 0.5 / 1.5 / 2.5 / inf, RationalQuadratic,
ExpSineSquared, DotProduct, WhiteKernel, ConstantKernel, their sums, products and powers) and
GaussianProcessClassifier (binary, and one-vs-rest over binary ones). ferry's numpy kernel and its
C++ engine (``ferry predict`` on every row, ``ferry verify`` on every row in blocks of 16) are
compared with scikit-learn 1.2.1: labels identical, values within 1e-9 relative. scikit-learn
multiplies ``K @ alpha_`` with the BLAS and solves with LAPACK, ferry sums in training-row order:
the tests hold a tolerance, never bits; ``PARITY`` holds the largest differences measured.
"""

from __future__ import annotations

import csv
import io
import pathlib
import subprocess
import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process.kernels import (
    RBF,
    ConstantKernel,
    DotProduct,
    ExpSineSquared,
    Matern,
    RationalQuadratic,
    WhiteKernel,
)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import exporter
from ferry import format as fmt

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL = 1e-9
CREATED = "2026-01-01T00:00:00Z"
PARITY: dict = {}


def _far(X):
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.vstack([hi + 3 * span, lo - 3 * span, lo, hi])


def _regression():
    X, y = datasets.load_diabetes(return_X_y=True)
    return X[:60, :4], y[:60] / 100.0


def _two_targets():
    X, y = _regression()
    return X, np.column_stack([y, y * y])


def _binary():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    return X[::12, :4], y[::12]


def _iris():
    X, y = datasets.load_iris(return_X_y=True)
    return X[::4], y[::4]


CASES = {
    "RBF-anisotropic-White-normalized": (lambda: GaussianProcessRegressor(
        ConstantKernel() * RBF([1.0] * 4) + WhiteKernel(), normalize_y=True), _regression),
    "Matern-0.5": (lambda: GaussianProcessRegressor(Matern(nu=0.5) + WhiteKernel()), _regression),
    "Matern-1.5": (lambda: GaussianProcessRegressor(ConstantKernel() * Matern(nu=1.5), normalize_y=True), _regression),
    "Matern-2.5": (lambda: GaussianProcessRegressor(Matern([1.0] * 4, nu=2.5) + WhiteKernel()), _regression),
    "Matern-inf": (lambda: GaussianProcessRegressor(Matern(nu=np.inf) + WhiteKernel(), normalize_y=True), _regression),
    "RationalQuadratic": (lambda: GaussianProcessRegressor(RationalQuadratic() + WhiteKernel(), normalize_y=True),
                          _regression),
    "ExpSineSquared": (lambda: GaussianProcessRegressor(ExpSineSquared() + WhiteKernel()), _regression),
    "DotProduct-squared": (lambda: GaussianProcessRegressor(DotProduct() ** 2 + WhiteKernel()), _regression),
    "RBF-times-DotProduct": (lambda: GaussianProcessRegressor(RBF() * DotProduct() + WhiteKernel(),
                                                              normalize_y=True), _regression),
    "two-targets": (lambda: GaussianProcessRegressor(RBF() + WhiteKernel(), normalize_y=True), _two_targets),
    "Classifier-binary": (lambda: make_pipeline(StandardScaler(), GaussianProcessClassifier(1.0 * RBF(1.0))),
                          _binary),
    "Classifier-one-vs-rest": (lambda: make_pipeline(StandardScaler(), GaussianProcessClassifier(
        1.0 * Matern(1.0, nu=1.5))), _iris),
}


def _fit(case_id):
    make, data = CASES[case_id]
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(X, y)
    return model, X, np.vstack([X, _far(X)])


def _relative(got, want):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def _check(case_id, method, got, want):
    err = _relative(np.asarray(got).reshape(np.shape(want)), want)
    PARITY[(case_id, method)] = max(err, PARITY.get((case_id, method), 0.0))
    assert err <= RTOL, f"{case_id} {method}: relative difference {err:.3g}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = {}

    def get(case_id):
        if case_id not in cache:
            model, X_fit, X = _fit(case_id)
            path = tmp_path_factory.mktemp("gp") / "model.ferry"
            art = ferry.export(model, path, X_sample=X_fit, created=CREATED)
            cache[case_id] = (model, X, path, art)
        return cache[case_id]

    return get


def _want(model, X):
    out = {"predict": np.asarray(model.predict(X))}
    if hasattr(model, "predict_proba"):
        out["predict_proba"] = model.predict_proba(X)
    return out


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernel_matches_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    got, want = exporter.evaluate(art, X), _want(model, X)
    if art.schema["task"] == "classification":
        labels = np.asarray(art.schema["classes"]["values"])
        np.testing.assert_array_equal(labels[got["predict"]], want["predict"])
        _check(case_id, "predict_proba", got["predict_proba"], want["predict_proba"])
    else:
        _check(case_id, "predict", got["predict"], want["predict"].reshape(len(X), -1))


def _need_cli():
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_matches_scikit_learn(case_id, exported, tmp_path):
    _need_cli()
    model, X, path, art = exported(case_id)
    names = [i["name"] for i in art.header["schema"]["inputs"]]
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(names)
    w.writerows([[repr(float(v)) for v in row] for row in X])
    classification = art.schema["task"] == "classification"
    run = subprocess.run([str(CLI), "predict", str(path), "-"] + (["--proba"] if classification else []),
                         input=text.getvalue(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))[1:]
    want = _want(model, X)
    if classification:
        assert [r[0] for r in rows] == [str(v) for v in want["predict"]]
        _check(case_id, "C++ predict_proba", np.array([[float(v) for v in r[1:]] for r in rows]), want["predict_proba"])
    else:
        _check(case_id, "C++ predict", np.array([[float(v) for v in r] for r in rows]), want["predict"].reshape(len(X), -1))
    for start in range(0, len(X), 16):  # every row as embedded verification rows
        p = tmp_path / f"rows{start}.ferry"
        ferry.export(model, p, X_sample=X[start:start + 16], created=CREATED, background_rows=0)
        run = subprocess.run([str(CLI), "verify", str(p)], capture_output=True, text=True)
        assert run.returncode == 0, (start, run.stderr)


def test_an_unsupported_matern_nu_is_refused(tmp_path):
    X, y = _regression()
    model = GaussianProcessRegressor(Matern(nu=0.7)).fit(X, y)
    with pytest.raises(ValueError, match="Bessel"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_one_vs_one_classification_is_refused(tmp_path):
    X, y = _iris()
    model = GaussianProcessClassifier(multi_class="one_vs_one").fit(X, y)
    with pytest.raises(ValueError, match="one_vs_one"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_a_kernel_nested_too_deep_is_refused_by_both_readers(tmp_path, exported):
    _, _, _, art = exported("Matern-0.5")
    header = {k: v for k, v in art.header.items() if k != "tensors"}
    expr = header["estimator"]["params"]["kernel"]
    for _ in range(fmt.MAX_KERNEL_DEPTH + 1):
        expr = {"op": "power", "exponent": 1.0, "terms": [expr]}
    header["estimator"]["params"]["kernel"] = expr
    header.pop("verification")
    tensors = {n: t for n, t in art.tensors.items() if not n.startswith("verification.")}
    path = tmp_path / "deep.ferry"
    path.write_bytes(fmt.dumps(header, tensors, validate=False))
    with pytest.raises(ferry.ArtifactError) as e:
        fmt.read(path)
    assert e.value.code == "format" and "nested deeper than 16" in e.value.message
    if CLI.exists():
        run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True)
        assert run.returncode == 1 and "nested deeper than 16" in run.stderr, run.stderr


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:40s} {method:20s} {err:.2g}")
