"""KBinsDiscretizer, PowerTransformer, QuantileTransformer, SplineTransformer: converters,
numpy kernels against scikit-learn, and the reader's checks of docs/format.md 4.3-4.6."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes, load_wine
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import KBinsDiscretizer, PowerTransformer, QuantileTransformer, SplineTransformer

import ferry
from ferry import format as fmt
from ferry.converters import KERNELS, PREPROCESSORS, ConversionError
from ferry.exporter import evaluate
from conftest import ROOT, spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:120, :5], y[:120]


def far_rows(X, factors=(-1e3, -1.0, 1.0, 1e3)):
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    return np.vstack([X] + [lo + f * span if f < 0 else hi + f * span for f in factors])


def kernel_output(est, X):
    """The converted step run through its numpy kernel."""
    step = PREPROCESSORS[type(est)].convert(est, "t")
    header = {"type": step.type, "params": step.params}
    return KERNELS[step.type](header, step.tensors, X)


def assert_close_to_sklearn(est, X, tol=1e-12):
    want = est.transform(X)
    got = kernel_output(est, X)
    assert got.shape == want.shape
    scale = np.maximum(1.0, np.abs(want).max(axis=0))
    assert np.all(np.abs(got - want) / scale <= tol), np.max(np.abs(got - want) / scale)


# ----------------------------------------------------------------------------- kernels vs scikit-learn


@pytest.mark.parametrize("strategy, encode, n_bins", itertools.product(
    ["uniform", "quantile", "kmeans"], ["ordinal", "onehot-dense"], [2, 5]))
def test_kbins_kernel_matches_sklearn(diabetes, strategy, encode, n_bins):
    X, _ = diabetes
    X = np.c_[X, np.full(len(X), 7.0)]  # a constant column: one bin
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = KBinsDiscretizer(n_bins=n_bins, encode=encode, strategy=strategy).fit(X)
    edges = np.vstack([[e[1] if len(e) > 2 else 0.0 for e in est.bin_edges_]])
    T = np.vstack([far_rows(X), edges])  # far away and exactly on an edge
    np.testing.assert_array_equal(kernel_output(est, T), est.transform(T))


@pytest.mark.parametrize("method, standardize", itertools.product(["yeo-johnson", "box-cox"], [True, False]))
def test_power_kernel_matches_sklearn(method, standardize):
    X, _ = load_breast_cancer(return_X_y=True)
    X = X[::4, :6]
    if method == "yeo-johnson":
        X = X - X.mean(axis=0)  # both signs
        T = far_rows(X, (-3.0, 3.0))
    else:
        T = np.vstack([X, X.max(axis=0) * 1e3, X.min(axis=0) * 1e-3])
    est = PowerTransformer(method=method, standardize=standardize).fit(X)
    assert_close_to_sklearn(est, T)


@pytest.mark.parametrize("dist, n_quantiles", itertools.product(["uniform", "normal"], [1, 2, 10, 1000]))
def test_quantile_kernel_matches_sklearn(diabetes, dist, n_quantiles):
    X, _ = diabetes
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        est = QuantileTransformer(n_quantiles=n_quantiles, output_distribution=dist).fit(X)
    q = est.quantiles_
    T = np.vstack([far_rows(X), q[0], q[-1], q[0] + 5e-8, q[-1] - 5e-8])
    np.testing.assert_array_equal(kernel_output(est, T), est.transform(T))


SPLINE_GRID = [
    (degree, n_knots, knots, extrapolation, include_bias)
    for degree, n_knots, knots, extrapolation, include_bias in itertools.product(
        [0, 1, 2, 3], [2, 4, 7], ["uniform", "quantile"],
        ["error", "constant", "linear", "continue", "periodic"], [True, False])
    if not (extrapolation == "constant" and degree == 0)
    and not (extrapolation == "linear" and degree <= 1)  # refused on several columns
    and not (extrapolation == "periodic" and n_knots <= degree)
]


@pytest.mark.parametrize("degree, n_knots, knots, extrapolation, include_bias", SPLINE_GRID)
def test_spline_kernel_matches_sklearn(diabetes, degree, n_knots, knots, extrapolation, include_bias):
    X, _ = diabetes
    X = X[:, [0, 2, 3]]  # continuous columns: no repeated quantile knots
    est = SplineTransformer(degree=degree, n_knots=n_knots, knots=knots, extrapolation=extrapolation,
                            include_bias=include_bias).fit(X)
    T = X if extrapolation == "error" else far_rows(X, (-3.0, -0.1, 0.1, 3.0))
    np.testing.assert_array_equal(kernel_output(est, T), est.transform(T))


@pytest.mark.parametrize("degree", [0, 1])
def test_spline_linear_low_degree_on_one_column(diabetes, degree):
    X, _ = diabetes
    est = SplineTransformer(degree=degree, n_knots=4, extrapolation="linear").fit(X[:, [2]])
    T = far_rows(X[:, [2]], (-3.0, 3.0))
    np.testing.assert_array_equal(kernel_output(est, T), est.transform(T))


def test_kernels_refuse_what_scikit_learn_refuses():
    X = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.5]])
    est = PowerTransformer(method="box-cox").fit(X)
    with pytest.raises(ValueError, match=r"row 1, column 0: -1\.0 is not strictly positive"):
        kernel_output(est, np.array([[1.0, 2.0], [-1.0, 2.0]]))
    est = SplineTransformer(extrapolation="error").fit(X)
    with pytest.raises(ValueError, match=r"row 0, column 1: 9\.0 is outside the spline knots"):
        kernel_output(est, np.array([[1.0, 9.0]]))


# ----------------------------------------------------------------------------- converters refuse


def test_kbins_sparse_onehot_and_float32_are_refused(diabetes, tmp_path):
    X, y = diabetes
    X = X[:, [0, 2, 3]]  # continuous columns: no bins removed
    model = Pipeline([("b", KBinsDiscretizer(n_bins=3, encode="onehot")), ("r", Ridge())]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match=r"steps\[0\]: KBinsDiscretizer \(encode='onehot' "
                                                          r"returns a sparse matrix.*'onehot-dense'"):
        ferry.export(model, tmp_path / "m.ferry")
    est = KBinsDiscretizer(n_bins=3, encode="ordinal", dtype=np.float32).fit(X)
    with pytest.raises(ConversionError, match=r"dtype=float32 rounds the input"):
        PREPROCESSORS[KBinsDiscretizer].convert(est, "steps[0]: KBinsDiscretizer")


def test_spline_options_scikit_learn_mishandles_are_refused(diabetes, tmp_path):
    X, y = diabetes
    cases = [
        (SplineTransformer(degree=0, extrapolation="constant"), X, "degree=0: scikit-learn itself fails"),
        (SplineTransformer(degree=1, extrapolation="linear"), X, "raises its local degree inside the loop"),
        (SplineTransformer(degree=2, n_knots=5, knots="quantile", extrapolation="linear"), X[:, [1]],
         "knot repeated more than degree times in column 0"),  # column 1 (sex) has two values
    ]
    for est, data, message in cases:
        model = Pipeline([("s", est), ("r", Ridge())]).fit(data, y)
        with pytest.raises(ferry.UnsupportedModelError, match=r"steps\[0\]: SplineTransformer \(") as ei:
            ferry.export(model, tmp_path / "m.ferry")
        assert message in str(ei.value)
    # A constant column: scikit-learn's own periodic transform gives NaN (x % 0).
    est = SplineTransformer(extrapolation="periodic").fit(np.c_[X[:, 0], np.zeros(len(X))])
    with pytest.raises(ConversionError, match=r"steps\[0\]: SplineTransformer: .*period of zero in column 1"):
        PREPROCESSORS[SplineTransformer].convert(est, "steps[0]: SplineTransformer")


# ----------------------------------------------------------------------------- export end to end


@pytest.mark.parametrize("make", [
    lambda: KBinsDiscretizer(n_bins=4, encode="onehot-dense", strategy="quantile"),
    lambda: PowerTransformer(),
    lambda: QuantileTransformer(n_quantiles=30, output_distribution="normal"),
    lambda: SplineTransformer(degree=3, n_knots=5, extrapolation="continue"),
], ids=["kbins", "power", "quantile", "spline"])
def test_export_reproduces_scikit_learn(tmp_path, make):
    X, y = load_wine(return_X_y=True)
    X, y = X[:, :4], y
    model = Pipeline([("t", make()), ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    T = far_rows(X, (-2.0, 2.0))
    got = evaluate(art, T)
    np.testing.assert_allclose(got["predict_proba"], model.predict_proba(T), rtol=0, atol=1e-12)
    spec = spec_evaluate(art.header, art.tensors, T)  # tests/python/conftest.py, written from the spec
    np.testing.assert_allclose(spec["predict_proba"], model.predict_proba(T), rtol=0, atol=1e-12)
    assert art.pipeline[0]["feature_names_out"] == list(model[0].get_feature_names_out())


# ----------------------------------------------------------------------------- reader checks


def shipped(case):
    art = ferry.read(ROOT / "tests/data" / case / "model.ferry")
    return art.header, dict(art.tensors)


def reader_error(header, tensors):
    data = fmt.dumps(header, tensors, validate=False)
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(data)
    return ei.value


def edit_step(case, change):
    header, tensors = shipped(case)
    change(header["pipeline"][0], tensors)
    return reader_error(header, tensors)


def set_item(d, key, value):
    d[key] = value


def set_width_out(step, n):
    """n_features_out and feature_names_out together, so the step's own rule is what fails."""
    step["n_features_out"] = n
    step["feature_names_out"] = [f"f{j}" for j in range(n)]


def triple_first_knot(t):
    knots = t["steps.0.knots"].copy()
    knots[1:3] = knots[0]
    t["steps.0.knots"] = knots


BAD = [
    # (case, edit, message) -- the same rules and order as the C++ loader
    ("dist_kbins_quantile_onehot", lambda s, t: set_item(s["params"], "encode", "onehot"), "params.encode 'onehot'"),
    ("dist_kbins_quantile_onehot", lambda s, t: s["params"]["n_bins"].pop(), "one count per input column"),
    ("dist_kbins_quantile_onehot", lambda s, t: set_item(s["params"]["n_bins"], 1, 0), "n_bins[1] must be an integer"),
    ("dist_kbins_quantile_onehot", lambda s, t: set_width_out(s, 5), "n_features_out is 5"),
    ("dist_kbins_quantile_onehot", lambda s, t: set_item(t, "steps.0.edges", t["steps.0.edges"][::-1].copy()),
     "'edges' decreases within column 0"),
    ("dist_kbins_quantile_onehot", lambda s, t: set_item(t, "steps.0.edges", t["steps.0.edges"][:-1]),
     "tensor 'edges'"),
    ("dist_power_box_cox", lambda s, t: set_item(s["params"], "method", "box_cox"), "params.method 'box_cox'"),
    ("dist_power_box_cox", lambda s, t: set_item(s["params"], "standardize", 1), "params.standardize"),
    ("dist_power_box_cox", lambda s, t: set_item(s["params"], "standardize", False),
     "tensor 'mean' must be present exactly when params.standardize"),
    ("dist_power_box_cox", lambda s, t: set_item(t, "steps.0.scale", np.array([1.0, 0.0, 1.0, 1.0])),
     "'scale' has a zero"),
    ("dist_power_box_cox", lambda s, t: set_item(t, "steps.0.lambdas", np.array([np.inf, 0, 0, 0.0])),
     "'lambdas' has a non-finite value"),
    ("dist_power_box_cox", lambda s, t: set_width_out(s, 3), "n_features_out 3 != n_features_in 4"),
    ("dist_quantile_uniform", lambda s, t: set_item(s["params"], "output_distribution", "gaussian"),
     "params.output_distribution 'gaussian'"),
    ("dist_quantile_uniform", lambda s, t: set_item(s["params"], "n_quantiles", 0), "params.n_quantiles"),
    ("dist_quantile_uniform", lambda s, t: set_item(s["params"], "n_quantiles", 19), "tensor 'references'"),
    ("dist_quantile_uniform", lambda s, t: set_item(t, "steps.0.references", np.linspace(0, 1.5, 20)),
     "'references' must increase strictly within [0, 1]"),
    ("dist_quantile_uniform", lambda s, t: set_item(t, "steps.0.quantiles", t["steps.0.quantiles"][::-1].copy()),
     "'quantiles' decreases within a column"),
    ("dist_spline_linear", lambda s, t: set_item(s["params"], "degree", -1), "params.degree"),
    ("dist_spline_linear", lambda s, t: set_item(s["params"], "extrapolation", "wrap"), "params.extrapolation 'wrap'"),
    ("dist_spline_error", lambda s, t: set_item(s["params"], "extrapolation", "constant"),
     "extrapolation 'constant' needs degree >= 1"),
    ("dist_spline_linear", lambda s, t: set_item(s["params"], "include_bias", "no"), "params.include_bias"),
    ("dist_spline_linear", lambda s, t: set_item(s["params"], "n_knots", 1), "params.n_knots must be at least 2"),
    ("dist_spline_linear", lambda s, t: set_item(s["params"], "include_bias", True), "n_features_out is 12"),
    ("dist_spline_linear", lambda s, t: set_item(t, "steps.0.knots", t["steps.0.knots"][::-1].copy()),
     "'knots' decreases within a column"),
    ("dist_spline_linear", lambda s, t: triple_first_knot(t), "repeats a knot more than degree times"),
    ("dist_spline_periodic", lambda s, t: set_item(t, "steps.0.knots", np.ones_like(t["steps.0.knots"])),
     "period of zero"),
]


@pytest.mark.parametrize("case, edit, message", BAD, ids=[f"{c}:{m[:30]}" for c, _, m in BAD])
def test_reader_rejects(case, edit, message):
    e = edit_step(case, edit)
    assert e.code == "format"
    assert message in e.message, e.message


@pytest.mark.parametrize("case", sorted(p.name for p in (ROOT / "tests/data").iterdir() if p.name.startswith("dist_")))
def test_shipped_cases_pass_the_reader(case):
    header, tensors = shipped(case)
    ferry.read(fmt.dumps(header, tensors))  # validate on write and on read
