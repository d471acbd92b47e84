"""The linear family (issue 12, item 1): every class exports, and ferry's numpy kernels and its
C++ engine (the built CLI: ``ferry predict --proba`` on every row, ``ferry verify`` on the
embedded rows, every row of a classifier in blocks of 16) reproduce scikit-learn's predict,
predict_proba and decision_function: labels identical, values within 1e-9 relative.

Values are compared within a tolerance, never bit for bit: scikit-learn's own products go
through the BLAS, whose summation order differs between libraries and CPUs. ``PARITY`` holds
the largest relative differences measured, which docs/supported.md quotes.
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
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import (
    ARDRegression,
    BayesianRidge,
    ElasticNet,
    ElasticNetCV,
    GammaRegressor,
    HuberRegressor,
    Lars,
    LarsCV,
    Lasso,
    LassoCV,
    LassoLars,
    LassoLarsCV,
    LassoLarsIC,
    LinearRegression,
    LogisticRegressionCV,
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
    OrthogonalMatchingPursuit,
    OrthogonalMatchingPursuitCV,
    PassiveAggressiveClassifier,
    PassiveAggressiveRegressor,
    Perceptron,
    PoissonRegressor,
    QuantileRegressor,
    RANSACRegressor,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TheilSenRegressor,
    TweedieRegressor,
)
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import exporter
from ferry.converters import ConversionError

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL = 1e-9
CREATED = "2026-01-01T00:00:00Z"


def _far(X: np.ndarray) -> np.ndarray:
    """Adversarial rows: 3 ranges beyond each side of every column, alternating signs."""
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    even = np.arange(X.shape[1]) % 2 == 0
    return np.vstack([hi + 3 * span, lo - 3 * span, np.where(even, hi + 3 * span, lo - 3 * span), lo, hi])


def _regression(targets: int = 1):
    X, y = datasets.load_diabetes(return_X_y=True)
    X, y = X[:150, :6], y[:150]
    if targets == 2:
        y = np.column_stack([y, X[:, 0] * 300 - y / 2])
    return X, y


def _binary():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    return X[::4, :6], y[::4]


def _multiclass():
    X, y = datasets.load_iris(return_X_y=True)
    return X, y


def _scaled(est):
    return make_pipeline(StandardScaler(), est)


# id -> (model factory, data) — every class of the item 1, some inside a pipeline.
CASES = {
    "Lasso": (lambda: _scaled(Lasso(alpha=0.5)), _regression),
    "ElasticNet": (lambda: ElasticNet(alpha=0.01, l1_ratio=0.3), _regression),
    "Lars": (lambda: _scaled(Lars(n_nonzero_coefs=4)), _regression),
    "LassoLars": (lambda: LassoLars(alpha=0.05), _regression),
    "LassoLarsIC": (lambda: _scaled(LassoLarsIC(criterion="bic")), _regression),
    "OrthogonalMatchingPursuit": (lambda: _scaled(OrthogonalMatchingPursuit(n_nonzero_coefs=3)), _regression),
    "LassoCV": (lambda: _scaled(LassoCV(cv=3)), _regression),
    "ElasticNetCV": (lambda: ElasticNetCV(cv=3, l1_ratio=[0.2, 0.8]), _regression),
    "LarsCV": (lambda: _scaled(LarsCV(cv=3)), _regression),
    "LassoLarsCV": (lambda: LassoLarsCV(cv=3), _regression),
    "OrthogonalMatchingPursuitCV": (lambda: _scaled(OrthogonalMatchingPursuitCV(cv=3)), _regression),
    "MultiTaskLasso": (lambda: _scaled(MultiTaskLasso(alpha=0.5)), lambda: _regression(2)),
    "MultiTaskElasticNet": (lambda: MultiTaskElasticNet(alpha=0.01), lambda: _regression(2)),
    "MultiTaskLassoCV": (lambda: _scaled(MultiTaskLassoCV(cv=3)), lambda: _regression(2)),
    "MultiTaskElasticNetCV": (lambda: MultiTaskElasticNetCV(cv=3, l1_ratio=[0.5]), lambda: _regression(2)),
    "BayesianRidge": (lambda: _scaled(BayesianRidge()), _regression),
    "ARDRegression": (lambda: ARDRegression(), _regression),
    "HuberRegressor": (lambda: _scaled(HuberRegressor(max_iter=1000)), _regression),
    "QuantileRegressor": (lambda: _scaled(QuantileRegressor(quantile=0.7, alpha=0.01, solver="highs")), _regression),
    "TheilSenRegressor": (lambda: _scaled(TheilSenRegressor(random_state=0, max_subpopulation=200)), _regression),
    "RANSACRegressor": (lambda: _scaled(RANSACRegressor(random_state=0)), _regression),
    "RANSACRegressor(Lasso)": (lambda: RANSACRegressor(Lasso(alpha=0.1), min_samples=20, random_state=1), _regression),
    "SGDRegressor": (lambda: _scaled(SGDRegressor(random_state=0)), _regression),
    "PassiveAggressiveRegressor": (lambda: _scaled(PassiveAggressiveRegressor(random_state=0)), _regression),
    "RidgeCV": (lambda: _scaled(RidgeCV(alphas=[0.1, 1.0, 10.0])), lambda: _regression(2)),
    "PoissonRegressor": (lambda: _scaled(PoissonRegressor(alpha=0.1)), _regression),
    "GammaRegressor": (lambda: _scaled(GammaRegressor(alpha=0.1)), _regression),
    "TweedieRegressor(power=1.5, log)": (lambda: _scaled(TweedieRegressor(power=1.5, alpha=0.1)), _regression),
    "TweedieRegressor(power=0, auto=identity)": (lambda: _scaled(TweedieRegressor(power=0, alpha=0.1)), _regression),
    "TweedieRegressor(power=0, log)": (lambda: _scaled(TweedieRegressor(power=0, link="log", alpha=0.1)), _regression),
    "TweedieRegressor(power=1, identity)": (lambda: _scaled(TweedieRegressor(power=1, link="identity", alpha=0.1)),
                                            _regression),
    "Perceptron binary": (lambda: _scaled(Perceptron(random_state=0)), _binary),
    "Perceptron": (lambda: _scaled(Perceptron(random_state=0)), _multiclass),
    "PassiveAggressiveClassifier binary": (lambda: _scaled(PassiveAggressiveClassifier(random_state=0)), _binary),
    "PassiveAggressiveClassifier": (lambda: _scaled(PassiveAggressiveClassifier(random_state=0)), _multiclass),
    "RidgeClassifier binary": (lambda: _scaled(RidgeClassifier()), _binary),
    "RidgeClassifier": (lambda: RidgeClassifier(alpha=0.1), _multiclass),
    "RidgeClassifierCV": (lambda: _scaled(RidgeClassifierCV()), _multiclass),
    "LogisticRegressionCV binary": (lambda: _scaled(LogisticRegressionCV(cv=3, max_iter=2000)), _binary),
    "LogisticRegressionCV": (lambda: _scaled(LogisticRegressionCV(cv=3, max_iter=2000)), _multiclass),
    "LogisticRegressionCV ovr": (lambda: _scaled(LogisticRegressionCV(cv=3, multi_class="ovr", max_iter=2000)),
                                 _multiclass),
    "LinearDiscriminantAnalysis binary": (lambda: LinearDiscriminantAnalysis(), _binary),
    "LinearDiscriminantAnalysis": (lambda: _scaled(LinearDiscriminantAnalysis()), _multiclass),
    "LinearDiscriminantAnalysis(eigen, shrinkage)": (
        lambda: LinearDiscriminantAnalysis(solver="eigen", shrinkage="auto"), _multiclass),
    "LinearDiscriminantAnalysis(lsqr)": (lambda: LinearDiscriminantAnalysis(solver="lsqr"), _multiclass),
    "LinearDiscriminantAnalysis transform": (
        lambda: Pipeline([("s", StandardScaler()), ("lda", LinearDiscriminantAnalysis(n_components=2)),
                          ("clf", Perceptron(random_state=0))]), _multiclass),
    "LinearDiscriminantAnalysis(eigen) transform": (
        lambda: Pipeline([("lda", LinearDiscriminantAnalysis(solver="eigen")),
                          ("clf", LinearDiscriminantAnalysis())]), _multiclass),
    "QuadraticDiscriminantAnalysis binary": (lambda: QuadraticDiscriminantAnalysis(), _binary),
    "QuadraticDiscriminantAnalysis": (lambda: _scaled(QuadraticDiscriminantAnalysis(reg_param=0.01)), _multiclass),
    "QuadraticDiscriminantAnalysis(priors)": (
        lambda: QuadraticDiscriminantAnalysis(priors=[0.2, 0.5, 0.3]), _multiclass),
}
SGD_LOSSES = ["hinge", "log_loss", "log", "modified_huber", "squared_hinge", "perceptron", "squared_error", "huber",
              "epsilon_insensitive", "squared_epsilon_insensitive"]
for _loss in SGD_LOSSES:
    for _name, _data in (("binary", _binary), ("multiclass", _multiclass)):
        CASES[f"SGDClassifier({_loss}) {_name}"] = (
            lambda loss=_loss: _scaled(SGDClassifier(loss=loss, random_state=0, max_iter=50, tol=None)), _data)

#: cases of regressors (no decision_function)
CLASSIFIER_FREE = (
    "Lasso", "ElasticNet", "Lars", "LassoLars", "OrthogonalMatchingPursuit", "MultiTask", "BayesianRidge",
    "ARDRegression", "HuberRegressor", "QuantileRegressor", "TheilSenRegressor", "RANSACRegressor", "SGDRegressor",
    "PassiveAggressiveRegressor", "RidgeCV", "PoissonRegressor", "GammaRegressor", "TweedieRegressor",
)

#: the largest relative difference measured per case and method (filled as the tests run)
PARITY: dict = {}


def _fit(case_id):
    make, data = CASES[case_id]
    X, y = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence and deprecation (loss="log") warnings
        model = make().fit(X, y)
    return model, X, np.vstack([X, _far(X)])


def _sklearn(model, X):
    out = {"predict": np.asarray(model.predict(X))}
    if hasattr(model, "predict_proba"):
        out["predict_proba"] = np.asarray(model.predict_proba(X), dtype=np.float64)
    if hasattr(model, "decision_function"):
        out["decision_function"] = np.asarray(model.decision_function(X), dtype=np.float64).reshape(len(X), -1)
    return out


def _relative(got, want):
    """Largest |got - want| / |want|, entries whose |want| is below 1e-12 of their column's
    largest magnitude measured against that instead (a decision value near 0 carries the
    rounding of its terms, not its own)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    got, want = got.reshape(len(want), -1), want.reshape(len(want), -1)
    floor = 1e-12 * np.abs(want).max(axis=0)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), np.maximum(floor, 1e-300))))


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
            path = tmp_path_factory.mktemp("linear") / "model.ferry"
            art = ferry.export(model, path, X_sample=X_fit, created=CREATED)
            cache[case_id] = (model, X, path, art)
        return cache[case_id]

    return get


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernel_matches_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    want = _sklearn(model, X)
    got = exporter.evaluate(art, X)
    if art.schema["task"] == "classification":
        classes = np.asarray(art.schema["classes"]["values"])
        assert np.array_equal(classes[got["predict"]], want["predict"]), case_id
        assert set(got) - {"predict"} == set(want) - {"predict"}, (sorted(got), sorted(want))
        for key in ("predict_proba", "decision_function"):
            if key in want:
                _check(case_id, key, got[key], want[key])
    else:
        _check(case_id, "predict", got["predict"], want["predict"])


def _cli_predict(path, X, names, proba):
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(names)
    w.writerows([[repr(float(v)) for v in row] for row in X])
    cmd = [str(CLI), "predict", str(path), "-"] + (["--proba"] if proba else [])
    run = subprocess.run(cmd, input=text.getvalue(), capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    return rows[0], rows[1:]


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_matches_scikit_learn(case_id, exported):
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")
    model, X, path, art = exported(case_id)
    # the embedded rows: predict, predict_proba and decision_function within rtol 1e-9
    run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    want = _sklearn(model, X)
    names = [i["name"] for i in art.header["schema"]["inputs"]]
    classification = art.schema["task"] == "classification"
    has_proba = "predict_proba" in want
    header, rows = _cli_predict(path, X, names, classification and has_proba)
    if classification:
        assert [r[0] for r in rows] == [str(v.item()) for v in want["predict"]], case_id
        if has_proba:
            _check(case_id, "predict_proba", np.array([[float(v) for v in r[1:]] for r in rows]), want["predict_proba"])
        else:  # scikit-learn has no predict_proba: neither has ferry
            run = subprocess.run([str(CLI), "predict", str(path), "-", "--proba"], input=",".join(names) + "\n",
                                 capture_output=True, text=True)
            assert run.returncode == 1 and "predict_proba" in run.stderr, run.stderr
    else:
        _check(case_id, "predict", np.array([[float(v) for v in r] for r in rows]), want["predict"])


@pytest.mark.parametrize("case_id", [c for c in CASES if not c.startswith(CLASSIFIER_FREE)])
def test_cpp_decision_function_on_every_row(case_id, exported, tmp_path):
    """decision_function (and predict_proba) of the C++ engine on every row, adversarial rows
    included: each block of 16 rows becomes the embedded verification rows of an export, which
    `ferry verify` checks within rtol 1e-9."""
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")
    model, X, _, _ = exported(case_id)
    for start in range(0, len(X), 16):
        path = tmp_path / f"rows{start}.ferry"
        art = ferry.export(model, path, X_sample=X[start:start + 16], created=CREATED, background_rows=0)
        assert art.header["verification"]["rows"] == len(X[start:start + 16])
        assert "decision_function" in art.header["verification"]["outputs"]
        run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True)
        assert run.returncode == 0, (start, run.stderr)


# ------------------------------------------------------------------------------- special cases


def test_modified_huber_all_zero_rows_are_uniform(tmp_path):
    """Every score at or below -1: scikit-learn's modified_huber probabilities are uniform."""
    X, y = _multiclass()
    model = SGDClassifier(loss="modified_huber", random_state=0).fit(X, y)
    model.intercept_ = model.intercept_ - 50.0  # pushes every score below -1 on some rows
    want = model.predict_proba(X)
    uniform = np.all(want == 1.0 / 3.0, axis=1)
    assert uniform.any() and not uniform.all()
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    got = exporter.evaluate(art, X)
    assert np.array_equal(got["predict_proba"][uniform], want[uniform])
    _check("SGDClassifier(modified_huber) all-zero rows", "predict_proba", got["predict_proba"], want)
    if CLI.exists():
        _, rows = _cli_predict(tmp_path / "m.ferry", X, [i["name"] for i in art.header["schema"]["inputs"]], True)
        proba = np.array([[float(v) for v in r[1:]] for r in rows])
        assert np.array_equal(proba[uniform], want[uniform])
        _check("SGDClassifier(modified_huber) all-zero rows", "predict_proba", proba, want)


def test_ridge_classifier_multilabel_is_refused(tmp_path):
    X, y = _multiclass()
    Y = np.column_stack([y == 0, y == 2]).astype(int)
    model = RidgeClassifier().fit(X, Y)
    with pytest.raises(exporter.UnsupportedModelError, match="multilabel"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_lda_lsqr_as_a_transformer_is_refused(tmp_path):
    """scikit-learn's LinearDiscriminantAnalysis(solver="lsqr") has no transform."""
    X, y = _multiclass()
    lda = LinearDiscriminantAnalysis(solver="lsqr").fit(X, y)
    clf = Perceptron().fit(X[:, :2], y)
    with pytest.raises(exporter.UnsupportedModelError, match="lsqr"):
        ferry.export(Pipeline([("lda", lda), ("clf", clf)]), tmp_path / "m.ferry", X_sample=X)


def test_ransac_with_an_unsupported_estimator_is_refused(tmp_path):
    # KernelRidge: KNeighborsRegressor, the estimator this used, is supported since the
    # nearest neighbours went in
    from sklearn.kernel_ridge import KernelRidge

    X, y = _regression()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = RANSACRegressor(KernelRidge(), min_samples=20, random_state=0).fit(X, y)
    with pytest.raises(exporter.UnsupportedModelError, match="KernelRidge"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_qda_with_a_zero_prior_is_refused(tmp_path):
    """A zero prior makes scikit-learn's log posterior -inf for that class; the export refuses
    the model naming why rather than writing non-finite numbers."""
    X, y = _multiclass()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = QuadraticDiscriminantAnalysis(priors=[0.0, 0.5, 0.5]).fit(X, y)
    with pytest.raises(ConversionError, match="not finite"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_a_glm_with_another_link_is_refused(tmp_path, monkeypatch):
    from sklearn._loss.link import LogitLink

    X, y = _regression()
    model = PoissonRegressor().fit(X, y)
    model._base_loss.link = LogitLink()
    with pytest.raises(ConversionError, match="LogitLink"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_every_class_of_the_item_is_covered():
    """Each class named by issue 12, item 1 has a parity case above and is registered."""
    from ferry.converters import ESTIMATORS, PREPROCESSORS

    classes = [
        Lasso, ElasticNet, Lars, LassoLars, LassoLarsIC, OrthogonalMatchingPursuit, LassoCV, ElasticNetCV, LarsCV,
        LassoLarsCV, OrthogonalMatchingPursuitCV, MultiTaskLasso, MultiTaskElasticNet, MultiTaskLassoCV,
        MultiTaskElasticNetCV, BayesianRidge, ARDRegression, HuberRegressor, QuantileRegressor, TheilSenRegressor,
        RANSACRegressor, SGDRegressor, SGDClassifier, Perceptron, PassiveAggressiveClassifier,
        PassiveAggressiveRegressor, RidgeCV, RidgeClassifier, RidgeClassifierCV, LogisticRegressionCV,
        PoissonRegressor, GammaRegressor, TweedieRegressor, LinearDiscriminantAnalysis,
        QuadraticDiscriminantAnalysis,
    ]
    covered = set()
    for case_id, (make, _) in CASES.items():
        model = make()
        covered |= {type(s) for s in ([s for _, s in model.steps] if isinstance(model, Pipeline) else [model])}
        if isinstance(model, RANSACRegressor) and model.estimator is not None:
            covered.add(type(model.estimator))
    for cls in classes:
        assert cls in ESTIMATORS, cls.__name__
        assert cls in covered, cls.__name__
    assert LinearDiscriminantAnalysis in PREPROCESSORS
    assert LinearRegression in ESTIMATORS


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    """With ``-s``, prints the largest relative difference per case and output at the end."""
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:50s} {method:18s} {err:.2g}")
