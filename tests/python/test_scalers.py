"""MinMaxScaler, MaxAbsScaler, RobustScaler, Normalizer and Binarizer: converters,
numpy kernels against scikit-learn, and the reader's rules for their steps
(docs/format.md section 4)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn import datasets
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, MaxAbsScaler, MinMaxScaler, Normalizer, RobustScaler

import ferry
from ferry.converters import KERNELS, ConversionError
from ferry.exporter import evaluate
from conftest import build_file, convert_and_run, minimal_header


def _data(seed=0, n=40, m=7):
    """Training rows, then rows far outside their range, zero and tiny rows, and huge ones."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m)) * 10.0 ** rng.integers(-3, 4, size=m)
    X[:, min(2, m - 1)] = 4.0  # constant column
    test = np.vstack([
        X,
        X.max(axis=0) + 10 * (X.max(axis=0) - X.min(axis=0) + 1),
        X.min(axis=0) - 10 * (X.max(axis=0) - X.min(axis=0) + 1),
        np.zeros(m),
        np.full(m, 1e-17),
        np.where(np.arange(m) % 2 == 0, 1e12, -1e12),
        rng.normal(size=(5, m)) * 1e6,
    ])
    return X, test


ESTIMATORS = [
    MinMaxScaler(),
    MinMaxScaler(feature_range=(-2, 3)),
    MinMaxScaler(feature_range=(-2.5, 0.5), clip=True),
    MinMaxScaler(feature_range=(0, 1), clip=True),
    MaxAbsScaler(),
    RobustScaler(),
    RobustScaler(with_centering=False),
    RobustScaler(with_scaling=False),
    RobustScaler(with_centering=False, with_scaling=False),
    RobustScaler(quantile_range=(5.0, 95.0)),
    RobustScaler(quantile_range=(10.0, 90.0), unit_variance=True),
    RobustScaler(quantile_range=(0.0, 100.0)),
    Normalizer(norm="l1"),
    Normalizer(norm="l2"),
    Normalizer(norm="max"),
    Binarizer(),
    Binarizer(threshold=0.75),
    Binarizer(threshold=-3),
]


@pytest.mark.parametrize("est", ESTIMATORS, ids=repr)
@pytest.mark.parametrize("m", [1, 7, 30, 131, 300])
def test_kernel_is_scikit_learns_transform(est, m):
    X, test = _data(m=m)
    est = clone(est).fit(X)
    step, got = convert_and_run(est, test)
    assert step.n_features_in == step.n_features_out == m
    want = est.transform(test)
    # Bit for bit on a row-major array: the same operations in the same order.
    np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("norm", ["l1", "l2", "max"])
def test_normalizer_on_a_dataframe_is_within_rounding(norm):
    """scikit-learn sums a DataFrame's column-major copy in another order than a
    row-major array; the step follows the row-major order, which differs in the last bits."""
    data = datasets.load_breast_cancer(as_frame=True).data
    est = Normalizer(norm=norm).fit(data)
    _, got = convert_and_run(est, data.to_numpy())
    want = est.transform(data)
    np.testing.assert_allclose(got, want, rtol=1e-15, atol=0)  # docs/supported.md: at most 5.4e-16
    row_major = Normalizer(norm=norm).fit(np.ascontiguousarray(data.to_numpy()))
    np.testing.assert_array_equal(got, row_major.transform(np.ascontiguousarray(data.to_numpy())))


def test_zero_scales_are_replaced_by_one():
    X, _ = _data()
    X[:, 4] = 0.0
    assert convert_and_run(MaxAbsScaler().fit(X), X)[0].tensors["scale"][4] == 1.0
    robust = convert_and_run(RobustScaler().fit(X), X)[0]
    assert robust.tensors["scale"][2] == 1.0 and robust.tensors["scale"][4] == 1.0
    minmax = convert_and_run(MinMaxScaler(feature_range=(-1, 3)).fit(X), X)[0]
    assert minmax.tensors["scale"][2] == 4.0


def test_params_and_tensors():
    X, _ = _data()
    s = convert_and_run(MinMaxScaler(feature_range=(-2, 3), clip=True).fit(X), X)[0]
    assert s.type == "min_max_scaler" and s.params == {"feature_range": [-2.0, 3.0], "clip": True}
    assert sorted(s.tensors) == ["min", "scale"]
    s = convert_and_run(RobustScaler(with_centering=False).fit(X), X)[0]
    assert s.params == {"with_centering": False, "with_scaling": True} and sorted(s.tensors) == ["scale"]
    s = convert_and_run(RobustScaler(with_scaling=False).fit(X), X)[0]
    assert sorted(s.tensors) == ["center"]
    assert convert_and_run(Normalizer("max").fit(X), X)[0].params == {"norm": "max"}
    s = convert_and_run(Binarizer(threshold=2).fit(X), X)[0]
    assert s.params == {"threshold": 2.0} and isinstance(s.params["threshold"], float) and s.tensors == {}


# ----------------------------------------------------------------- refused at export


def test_converters_refuse_what_they_cannot_represent():
    X, _ = _data()
    with pytest.raises(ConversionError, match=r"steps\[0\]: Binarizer: threshold=inf is not supported"):
        convert_and_run(Binarizer(threshold=np.inf).fit(X), X)
    with pytest.raises(ConversionError, match="threshold=nan"):
        convert_and_run(Binarizer(threshold=float("nan")).fit(X), X)
    est = Normalizer().fit(X)
    est.norm = "l3"
    with pytest.raises(ConversionError, match="norm='l3' is not supported; use one of l1, l2, max"):
        convert_and_run(est, X)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ConversionError, match=r"feature_range=\(0, inf\) must be finite"):
            convert_and_run(MinMaxScaler(feature_range=(0, np.inf)).fit(X), X)
        # unit_variance with an empty quantile range divides by zero: scale_ is infinite.
        est = RobustScaler(quantile_range=(50.0, 50.0), unit_variance=True).fit(X)
        with pytest.raises(ConversionError, match=r"scale_ is not finite \(unit_variance=True with quantile_range"):
            convert_and_run(est, X)
        # A column without any value: nan statistics.
        Xn = X.copy()
        Xn[:, 1] = np.nan
        with pytest.raises(ConversionError, match="RobustScaler: center_ is not finite"):
            convert_and_run(RobustScaler().fit(Xn), X)
        with pytest.raises(ConversionError, match="MinMaxScaler: scale_ is not finite"):
            convert_and_run(MinMaxScaler().fit(Xn), X)
        with pytest.raises(ConversionError, match="MaxAbsScaler: scale_ is not finite"):
            convert_and_run(MaxAbsScaler().fit(Xn), X)


def test_export_refuses_through_the_exporter(tmp_path):
    X, _ = _data()
    y = X[:, 0]
    model = Pipeline([("b", Binarizer(threshold=-np.inf)), ("r", Ridge())]).fit(X, y)
    with pytest.raises(ConversionError, match=r"steps\[0\]: Binarizer: threshold=-inf"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert not (tmp_path / "m.ferry").exists()


def test_unfitted_stateless_steps_are_refused(tmp_path):
    X, _ = _data()
    model = Pipeline([("n", Normalizer()), ("r", Ridge())])
    model.steps[1] = ("r", Ridge().fit(X, X[:, 0]))
    with pytest.raises(Exception, match="not fitted: steps\\[0\\]: Normalizer"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


@pytest.mark.parametrize("est", ESTIMATORS, ids=repr)
def test_export_round_trip(tmp_path, est):
    data = datasets.load_wine(as_frame=True)
    X, y = data.data.iloc[::3], data.target.iloc[::3]
    model = Pipeline([("s", clone(est)), ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created="2026-01-01T00:00:00Z")
    step = art.pipeline[0]
    assert step["name"] == f"steps[0]: {type(est).__name__}"
    assert step["feature_names_out"] == list(X.columns)
    got = evaluate(art, X.to_numpy())
    np.testing.assert_allclose(got["predict_proba"], model.predict_proba(X), rtol=0, atol=1e-12)
    if isinstance(est, (MinMaxScaler, MaxAbsScaler)):
        assert art.metadata["training"]["n_rows"] == len(X)


# ----------------------------------------------------------------- the reader's rules


def _file(step_type, params, tensors, n=3):
    header, all_tensors = minimal_header(n=n, with_scaler=False)
    refs = {}
    for role, arr in tensors.items():
        all_tensors[f"steps.0.{role}"] = np.asarray(arr, dtype=np.float64)
        refs[role] = f"steps.0.{role}"
    header["pipeline"] = [{
        "type": step_type, "name": "steps[0]: X", "n_features_in": n, "n_features_out": n,
        "params": params, "tensors": refs, "feature_names_out": [f"x{i}" for i in range(n)],
    }]
    return header, all_tensors


VALID = {
    "min_max_scaler": ({"feature_range": [0.0, 1.0], "clip": False}, {"scale": [1.0, 2.0, 3.0], "min": [0.0, 0.5, 1.0]}),
    "max_abs_scaler": ({}, {"scale": [1.0, 2.0, 3.0]}),
    "robust_scaler": ({"with_centering": True, "with_scaling": True}, {"center": [0.0, 1.0, 2.0], "scale": [1.0, 2.0, 3.0]}),
    "normalizer": ({"norm": "l2"}, {}),
    "binarizer": ({"threshold": 0.5}, {}),
}


def _read_error(header, tensors):
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors))
    return ei.value


@pytest.mark.parametrize("step_type", sorted(VALID))
def test_valid_steps_read(step_type):
    params, tensors = VALID[step_type]
    art = ferry.read(build_file(*_file(step_type, params, tensors)))
    assert art.pipeline[0]["type"] == step_type
    X = np.array([[0.0, 0.0, 0.0], [1.0, -2.0, 3.5]])
    step = art.pipeline[0]
    Z = KERNELS[step_type](step, {r: art.tensors[t] for r, t in step["tensors"].items()}, X)
    assert Z.shape == X.shape


BAD = [
    ("min_max_scaler", {"feature_range": [1.0, 0.0], "clip": False}, None, "feature_range must be finite with min < max"),
    ("min_max_scaler", {"feature_range": [1.0, 1.0], "clip": False}, None, "feature_range must be finite with min < max"),
    ("min_max_scaler", {"feature_range": [0.0], "clip": False}, None, "feature_range is missing or not an array of two"),
    ("min_max_scaler", {"feature_range": [0.0, True], "clip": False}, None, "feature_range is missing or not an array"),
    ("min_max_scaler", {"feature_range": [0, 10**400], "clip": False}, None, "feature_range must be finite"),
    ("min_max_scaler", {"clip": False}, None, "feature_range is missing"),
    ("min_max_scaler", {"feature_range": [0.0, 1.0], "clip": 1}, None, "params.clip is missing or not a boolean"),
    ("min_max_scaler", {"feature_range": [0.0, 1.0], "clip": False}, {"scale": [1.0, 2.0, 3.0]}, "missing tensor 'min'"),
    ("min_max_scaler", {"feature_range": [0.0, 1.0], "clip": False}, {"scale": [1.0, np.nan, 3.0], "min": [0.0] * 3},
     "tensor 'scale' has a non-finite value"),
    ("min_max_scaler", {"feature_range": [0.0, 1.0], "clip": False}, {"scale": [1.0, 2.0], "min": [0.0] * 3},
     "tensor 'scale' ('steps.0.scale') is float64 [2], expected float64 [3]"),
    ("max_abs_scaler", {}, {"scale": [1.0, 0.0, 3.0]}, "tensor 'scale' has a zero or non-finite value"),
    ("max_abs_scaler", {}, {"scale": [1.0, np.inf, 3.0]}, "tensor 'scale' has a zero or non-finite value"),
    ("max_abs_scaler", {}, {}, "missing tensor 'scale'"),
    ("robust_scaler", {"with_centering": True, "with_scaling": True}, {"center": [0.0] * 3, "scale": [0.0, 1.0, 1.0]},
     "tensor 'scale' has a zero or non-finite value"),
    ("robust_scaler", {"with_centering": True, "with_scaling": True}, {"center": [np.nan] * 3, "scale": [1.0] * 3},
     "tensor 'center' has a non-finite value"),
    ("robust_scaler", {"with_centering": False, "with_scaling": True}, {"center": [0.0] * 3, "scale": [1.0] * 3},
     "tensor 'center' present although params.with_centering is false"),
    ("robust_scaler", {"with_centering": True, "with_scaling": False}, {"center": [0.0] * 3, "scale": [1.0] * 3},
     "tensor 'scale' present although params.with_scaling is false"),
    ("robust_scaler", {"with_centering": True, "with_scaling": True}, {"scale": [1.0] * 3}, "missing tensor 'center'"),
    ("robust_scaler", {"with_centering": "yes", "with_scaling": True}, {"scale": [1.0] * 3},
     "params.with_centering is missing or not a boolean"),
    ("robust_scaler", {"with_centering": True}, {"center": [0.0] * 3}, "params.with_scaling is missing"),
    ("normalizer", {"norm": "l3"}, {}, "params.norm 'l3' is not one of l1, l2, max"),
    ("normalizer", {"norm": 2}, {}, "params.norm 2 is not one of"),
    ("normalizer", {}, {}, "params.norm None is not one of"),
    ("binarizer", {"threshold": "0.5"}, {}, "params.threshold is missing or not a number"),
    ("binarizer", {"threshold": False}, {}, "params.threshold is missing or not a number"),
    ("binarizer", {}, {}, "params.threshold is missing or not a number"),
    ("binarizer", {"threshold": 10**400}, {}, "params.threshold must be finite"),
]


@pytest.mark.parametrize("step_type, params, tensors, message", BAD, ids=[f"{b[0]}-{b[3][:40]}" for b in BAD])
def test_reader_rejects(step_type, params, tensors, message):
    if tensors is None:
        tensors = VALID[step_type][1]
    e = _read_error(*_file(step_type, params, tensors))
    assert e.code == "format"
    assert e.message.startswith("pipeline[0] (steps[0]: X): ")
    assert message in e.message


@pytest.mark.parametrize("step_type", sorted(VALID))
def test_reader_rejects_a_width_change(step_type):
    params, tensors = VALID[step_type]
    header, all_tensors = _file(step_type, params, tensors)
    header["pipeline"][0]["n_features_out"] = 4
    header["pipeline"][0]["feature_names_out"].append("x3")
    header["estimator"]["n_features_in"] = 4
    all_tensors["estimator.coef"] = np.ones((1, 4))
    e = _read_error(header, all_tensors)
    assert e.code == "format" and "n_features_out 4 != n_features_in 3" in e.message


@pytest.mark.parametrize("step_type", ["normalizer", "binarizer"])
def test_unknown_roles_still_name_a_tensor(step_type):
    params, tensors = VALID[step_type]
    header, all_tensors = _file(step_type, params, tensors)
    header["pipeline"][0]["tensors"]["future"] = "steps.0.nothing"
    e = _read_error(header, all_tensors)
    assert e.code == "format" and "tensor 'future' names a tensor that does not exist" in e.message
    all_tensors["steps.0.nothing"] = np.zeros(2)
    ferry.read(build_file(header, all_tensors))  # referenced by an unknown role: accepted
