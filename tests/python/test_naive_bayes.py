"""Naive Bayes (issue 12, item 4): GaussianNB, MultinomialNB, ComplementNB, BernoulliNB and
CategoricalNB export, and ferry's numpy kernels and its C++ engine (the built CLI: ``ferry
predict --proba`` on every row, ``ferry verify`` on the embedded rows and on every row in
blocks of 16) reproduce scikit-learn's predict and predict_proba: labels identical, values
within 1e-9 relative.

MultinomialNB, ComplementNB and BernoulliNB compute ``X @ feature_log_prob_.T`` with the BLAS,
so their last bits depend on the BLAS; the tests hold a tolerance, never bits. ``PARITY``
holds the largest relative differences measured, which docs/supported.md quotes.
"""

from __future__ import annotations

import csv
import io
import pathlib
import subprocess

import numpy as np
import pytest
from sklearn import datasets
from sklearn.naive_bayes import BernoulliNB, CategoricalNB, ComplementNB, GaussianNB, MultinomialNB
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import KBinsDiscretizer, MinMaxScaler, StandardScaler

import ferry
from ferry import exporter
from ferry.converters import ESTIMATORS

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL = 1e-9
CREATED = "2026-01-01T00:00:00Z"
PARITY: dict = {}


def _far(X: np.ndarray) -> np.ndarray:
    """Adversarial rows: 3 ranges beyond each side of every column, alternating sides, and the
    column minima and maxima."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    even = np.arange(X.shape[1]) % 2 == 0
    return np.vstack([hi + 3 * span, lo - 3 * span, np.where(even, hi + 3 * span, lo - 3 * span), lo, hi])


def _counts():
    """Word-count-like data: digits pixels (0..16), every 6th row, 3 classes, 16 columns."""
    X, y = datasets.load_digits(return_X_y=True)
    keep = y < 3
    X, y = X[keep][::3, 20:36], y[keep][::3]
    far = np.vstack([np.full(16, 160.0), np.zeros(16), np.where(np.arange(16) % 2 == 0, 160.0, 0.0)])
    return X, y, np.vstack([X, far])


def _counts_binary():
    X, y, X_all = _counts()
    keep = y < 2
    return X[keep], np.where(y[keep] == 0, "zero", "one"), np.vstack([X[keep], X_all[-3:]])


def _indicators():
    """0/1 data for BernoulliNB(binarize=None), which takes its input as is; adversarial rows
    of all zeros and all ones."""
    X, y, _ = _counts()
    X = (X > 4).astype(np.float64)
    return X, y, np.vstack([X, np.zeros(16), np.ones(16), np.arange(16) % 2])


def _continuous():
    X, y = datasets.load_wine(return_X_y=True)
    X, y = X[::2, :6], y[::2]
    return X, y, np.vstack([X, _far(X)])


def _continuous_binary():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    X, y = X[::5, :5], y[::5]
    return X, y, np.vstack([X, _far(X)])


def _categories():
    """Category indices 0..4 in 4 columns, a column that never shows index 4 at fit."""
    rng = np.random.default_rng(12)
    X = rng.integers(0, 5, size=(90, 4)).astype(np.float64)
    X[:, 2] = np.minimum(X[:, 2], 3)
    y = (X[:, 0] + X[:, 1] + rng.integers(0, 3, 90)) % 3
    extra = np.array([[0, 0, 0, 0], [4, 4, 3, 4], [4.9, 0.5, 3.99, 1.2], [-0.5, 2, 1, 3]], dtype=np.float64)
    return X, y.astype(np.int64), np.vstack([X, extra])


def _iris_binned():
    X, y = datasets.load_iris(return_X_y=True)
    return X, y, np.vstack([X, _far(X)])


# id -> (model factory, data) — every class and option of the item 4.
CASES = {
    "GaussianNB": (lambda: GaussianNB(), _continuous),
    "GaussianNB-binary-scaled": (lambda: make_pipeline(StandardScaler(), GaussianNB()), _continuous_binary),
    "GaussianNB-priors-smoothing": (lambda: GaussianNB(priors=[0.5, 0.3, 0.2], var_smoothing=1e-3), _continuous),
    "MultinomialNB": (lambda: MultinomialNB(), _counts),
    "MultinomialNB-alpha-per-feature": (lambda: MultinomialNB(alpha=np.linspace(0.1, 2.0, 16), force_alpha=True),
                                        _counts),
    "MultinomialNB-no-prior-binary": (lambda: MultinomialNB(alpha=0.3, fit_prior=False), _counts_binary),
    "MultinomialNB-class-prior": (lambda: MultinomialNB(class_prior=[0.2, 0.3, 0.5]), _counts),
    "MultinomialNB-minmax": (lambda: make_pipeline(MinMaxScaler(), MultinomialNB()), _continuous),
    "ComplementNB": (lambda: ComplementNB(), _counts),
    "ComplementNB-norm": (lambda: ComplementNB(norm=True, alpha=0.5), _counts),
    "ComplementNB-binary": (lambda: ComplementNB(), _counts_binary),
    "BernoulliNB": (lambda: BernoulliNB(), _counts),
    "BernoulliNB-threshold": (lambda: BernoulliNB(binarize=4.5, alpha=0.2), _counts),
    "BernoulliNB-scaled-binary": (lambda: make_pipeline(StandardScaler(), BernoulliNB(binarize=0.0)),
                                  _continuous_binary),
    "BernoulliNB-binarize-none": (lambda: BernoulliNB(binarize=None, alpha=0.7), _indicators),
    "CategoricalNB": (lambda: CategoricalNB(), _categories),
    "CategoricalNB-min-categories": (lambda: CategoricalNB(alpha=0.3, min_categories=[5, 6, 5, 7], fit_prior=False),
                                     _categories),
    "CategoricalNB-binned": (lambda: Pipeline([("bins", KBinsDiscretizer(n_bins=5, encode="ordinal")),
                                               ("nb", CategoricalNB(class_prior=[0.2, 0.3, 0.5]))]), _iris_binned),
}


def _fit(case_id):
    make, data = CASES[case_id]
    X, y, X_all = data()
    return make().fit(X, y), X, X_all


def _sklearn(model, X):
    assert not hasattr(model, "decision_function")
    return {"predict": np.asarray(model.predict(X)), "predict_proba": np.asarray(model.predict_proba(X))}


def _relative(got, want):
    """Largest |got - want| / |want|; an entry whose |want| is below 1e-300 is measured
    absolutely (a probability that underflows to 0 in both)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


def _check(case_id, method, got, want):
    err = _relative(got, want)
    PARITY[(case_id, method)] = max(err, PARITY.get((case_id, method), 0.0))
    assert err <= RTOL, f"{case_id} {method}: relative difference {err:.3g}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = {}

    def get(case_id):
        if case_id not in cache:
            model, X_fit, X = _fit(case_id)
            path = tmp_path_factory.mktemp("nb") / "model.ferry"
            art = ferry.export(model, path, X_sample=X_fit, created=CREATED)
            cache[case_id] = (model, X, path, art)
        return cache[case_id]

    return get


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernel_matches_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    want = _sklearn(model, X)
    got = exporter.evaluate(art, X)
    classes = np.asarray(art.schema["classes"]["values"])
    assert np.array_equal(classes[got["predict"]], want["predict"]), case_id
    assert set(got) == {"predict", "predict_proba"}
    _check(case_id, "numpy predict_proba", got["predict_proba"], want["predict_proba"])


def _cli_predict(path, X, names):
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(names)
    w.writerows([[repr(float(v)) for v in row] for row in X])
    run = subprocess.run([str(CLI), "predict", str(path), "-", "--proba"], input=text.getvalue(),
                         capture_output=True, text=True)
    return run


def _need_cli():
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_matches_scikit_learn(case_id, exported):
    _need_cli()
    model, X, path, art = exported(case_id)
    run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    want = _sklearn(model, X)
    names = [i["name"] for i in art.header["schema"]["inputs"]]
    run = _cli_predict(path, X, names)
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))[1:]
    assert [r[0] for r in rows] == [str(v.item()) for v in want["predict"]], case_id
    _check(case_id, "C++ predict_proba", np.array([[float(v) for v in r[1:]] for r in rows]), want["predict_proba"])


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_verifies_every_row(case_id, exported, tmp_path):
    """predict and predict_proba of the C++ engine on every row, adversarial rows included: each
    block of 16 rows becomes the embedded verification rows of an export, which `ferry verify`
    checks within rtol 1e-9; no decision_function is embedded (scikit-learn has none)."""
    _need_cli()
    model, X, _, _ = exported(case_id)
    for start in range(0, len(X), 16):
        path = tmp_path / f"rows{start}.ferry"
        art = ferry.export(model, path, X_sample=X[start:start + 16], created=CREATED, background_rows=0)
        assert set(art.header["verification"]["outputs"]) == {"predict", "predict_proba"}
        run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, (start, run.stderr)


@pytest.mark.parametrize("case_id", ["GaussianNB", "MultinomialNB", "BernoulliNB-binarize-none", "CategoricalNB-binned"])
def test_binding_scores_explain_and_no_decision_function(case_id, exported):
    """Through the Python binding: the scores are scikit-learn's joint log likelihood, the
    explanation (model-agnostic) adds up to them, and decision_function is refused as
    scikit-learn has none."""
    from ferry.runtime import native_available

    if not native_available():
        pytest.skip("the native module is not built")
    model, X, path, _ = exported(case_id)
    m = ferry.Model.load(path)
    rows = X[:6]
    details = m.predict_details(rows)
    final, Xt = (model[-1], model[:-1].transform(rows)) if isinstance(model, Pipeline) else (model, rows)
    jll = final.predict_joint_log_proba(Xt)
    assert _relative(details["scores"], jll) <= RTOL
    np.testing.assert_array_equal(m.predict(rows), model.predict(rows))
    with pytest.raises(ferry.FerryError, match="decision_function"):
        m.decision_function(rows)
    e = m.explain(rows)
    total = e.base_values + e.values.sum(axis=2).T
    scale = np.maximum(1.0, np.maximum(np.abs(jll), np.abs(e.values).sum(axis=2).T))
    assert np.all(np.abs(total - details["scores"]) <= 1e-9 * scale), e.method


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
@pytest.mark.parametrize("value, column", [(5.0, 0), (4.0, 2), (-1.0, 1), (1e300, 3)])
def test_categorical_index_out_of_range_is_a_value_error(value, column, exported):
    """scikit-learn raises IndexError (beyond the fitted categories) or ValueError (negative);
    ferry refuses the row with a value error naming the row and the column."""
    _need_cli()
    model, X, path, art = exported("CategoricalNB")
    row = X[:3].copy()
    row[1, column] = value
    with pytest.raises((IndexError, ValueError)):
        model.predict(row)
    names = [i["name"] for i in art.header["schema"]["inputs"]]
    run = _cli_predict(path, row, names)
    assert run.returncode == 1, run.stdout
    assert "value error" in run.stderr and "row 1" in run.stderr and f'column "{names[column]}"' in run.stderr, run.stderr
    with pytest.raises(ValueError, match=f"row 1, column {column}"):
        exporter.evaluate(art, row)


def test_categorical_truncates_like_scikit_learn(exported):
    """check_array(dtype=int) truncates toward zero: 4.9 is category 4, -0.5 is category 0."""
    _need_cli()
    model, X, path, art = exported("CategoricalNB")
    rows = np.array([[4.9, 0.5, 3.99, 1.2], [-0.5, 2.7, 1.0, 3.5]])
    want = _sklearn(model, rows)
    names = [i["name"] for i in art.header["schema"]["inputs"]]
    run = _cli_predict(path, rows, names)
    assert run.returncode == 0, run.stderr
    got = np.array([[float(v) for v in r[1:]] for r in list(csv.reader(io.StringIO(run.stdout)))[1:]])
    _check("CategoricalNB", "C++ predict_proba", got, want["predict_proba"])


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_refusals(tmp_path):
    X, y, _ = _counts()
    with pytest.raises(ValueError, match="not finite"):
        ferry.export(BernoulliNB(binarize=None).fit(X, y), tmp_path / "m.ferry", X_sample=X[:5])
    with pytest.raises(ValueError, match="not finite"):
        ferry.export(MultinomialNB(class_prior=[0.0, 0.5, 0.5]).fit(X, y), tmp_path / "m.ferry", X_sample=X[:5])
    with pytest.raises(ValueError, match="single class"):
        ferry.export(GaussianNB().fit(X, np.zeros(len(X))), tmp_path / "m.ferry", X_sample=X[:5])


def test_every_class_is_registered_and_covered():
    covered = set()
    for make, _ in CASES.values():
        model = make()
        covered |= {type(s) for s in ([s for _, s in model.steps] if isinstance(model, Pipeline) else [model])}
    for cls in (GaussianNB, MultinomialNB, ComplementNB, BernoulliNB, CategoricalNB):
        assert cls in ESTIMATORS and cls in covered, cls.__name__


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    """With ``-s``, prints the largest relative difference per case and output at the end."""
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:40s} {method:22s} {err:.2g}")
