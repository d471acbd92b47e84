"""SimpleImputer and MissingIndicator: converters, numpy kernels against scikit-learn,
nullable inputs in the exporter, and the reader's rules for their steps
(docs/format.md sections 3.2 and 4)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import datasets
from sklearn.base import clone
from sklearn.impute import MissingIndicator, SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Normalizer, StandardScaler

import ferry
from ferry.converters import KERNELS, ConversionError
from ferry.exporter import evaluate
from conftest import build_file, convert_and_run, minimal_header


def _data(seed=0, n=60, m=6):
    """Training rows with NaN in some columns, one all-NaN column (4), a whole NaN row; test
    rows adding missing values in every column, far-out values and all-NaN rows."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, m)) * 10.0 ** rng.integers(-2, 3, size=m)
    X[:, 1] = np.round(X[:, 1])  # ties for most_frequent
    for j in (0, 1, 3):
        X[rng.random(n) < 0.25, j] = np.nan
    X[:, 4] = np.nan
    X[7, :] = np.nan
    test = np.vstack([X, np.full((2, m), np.nan), X[:5] * 1e6, np.where(np.eye(m, dtype=bool), np.nan, 1.0)])
    return X, test


IMPUTERS = [
    SimpleImputer(),
    SimpleImputer(add_indicator=True),
    SimpleImputer(strategy="median"),
    SimpleImputer(strategy="median", add_indicator=True),
    SimpleImputer(strategy="most_frequent"),
    SimpleImputer(strategy="most_frequent", add_indicator=True),
    SimpleImputer(strategy="constant", fill_value=-2.5),
    SimpleImputer(strategy="constant", fill_value=0, add_indicator=True),
    SimpleImputer(strategy="constant"),  # fill_value None: 0 for numbers
    SimpleImputer(keep_empty_features=True),
    SimpleImputer(strategy="median", keep_empty_features=True, add_indicator=True),
]


@pytest.mark.parametrize("est", IMPUTERS, ids=repr)
def test_simple_imputer_kernel_is_scikit_learns_transform(est):
    X, test = _data()
    est = clone(est).fit(X)
    step, Z = convert_and_run(est, test)
    want = est.transform(test)
    assert Z.shape == want.shape == (len(test), step.n_features_out)
    np.testing.assert_array_equal(Z, want)  # copies and comparisons only: exact
    assert not np.any(np.isnan(Z))


def test_simple_imputer_drops_columns_all_missing_at_fit():
    X, test = _data()
    est = SimpleImputer(add_indicator=True).fit(X)
    step, _ = convert_and_run(est, test)
    assert list(step.tensors["keep"]) == [1, 1, 1, 1, 0, 1]
    assert step.tensors["statistics"][4] == 0.0
    assert list(step.tensors["indicator_features"]) == [0, 1, 2, 3, 4, 5]  # the whole NaN row
    assert step.n_features_out == 5 + 6
    assert step.tensors["keep"].dtype == np.int64 and step.tensors["statistics"].dtype == np.float64


@pytest.mark.parametrize("est", [MissingIndicator(), MissingIndicator(features="all"),
                                 MissingIndicator(error_on_new=False)], ids=repr)
def test_missing_indicator_kernel_is_scikit_learns_transform(est):
    X, test = _data()
    X = X.copy()
    X[7, :] = 1.0  # no NaN in columns 2 and 5 at fit
    est = clone(est).fit(X)
    ok = test[:, [2, 5]]
    rows = test[~np.any(np.isnan(ok), axis=1)] if est.error_on_new else test
    _, Z = convert_and_run(est, rows)
    np.testing.assert_array_equal(Z, est.transform(rows).astype(np.float64))
    if est.features == "missing-only" and est.error_on_new:
        with pytest.raises(ValueError):
            est.transform(test)
        with pytest.raises(ValueError, match="error_on_new"):
            convert_and_run(est, test)


def test_converters_refuse_what_they_cannot_represent():
    X, _ = _data()
    Xz = np.where(np.isnan(X), 0.0, X)
    with pytest.raises(ConversionError, match=r"SimpleImputer: missing_values=0 is not supported; ferry imputes only NaN"):
        convert_and_run(SimpleImputer(missing_values=0).fit(Xz), Xz)
    with pytest.raises(ConversionError, match=r"MissingIndicator: missing_values=-1 is not supported"):
        convert_and_run(MissingIndicator(missing_values=-1).fit(Xz), Xz)
    with pytest.raises(ConversionError, match="fill value is not finite"):
        convert_and_run(SimpleImputer(strategy="constant", fill_value=np.inf).fit(X), X)
    with pytest.raises(ConversionError, match="every column was all-missing"):
        convert_and_run(SimpleImputer().fit(np.full((4, 2), np.nan)), X[:, :2])
    with pytest.raises(ConversionError, match="no column had a missing value at fit"):
        convert_and_run(MissingIndicator().fit(Xz), Xz)
    S = np.array([["a", "b"], ["a", np.nan]], dtype=object)  # text is supported (test_encoders.py), bytes not
    with pytest.raises(ConversionError, match="is neither a number nor text"):
        convert_and_run(SimpleImputer(strategy="constant", fill_value=b"x").fit(S), S)


def test_missing_indicator_sparse_is_refused(tmp_path):
    X, _ = _data()
    model = Pipeline([("i", MissingIndicator(sparse=True)), ("r", Ridge())]).fit(X, np.arange(len(X)))
    with pytest.raises(ferry.UnsupportedModelError, match="sparse=True is not supported"):
        ferry.export(model, tmp_path / "m.ferry")


# ----------------------------------------------------------------- export: nullable inputs


@pytest.mark.parametrize("steps, nullable", [
    ([SimpleImputer()], True),
    ([StandardScaler(), SimpleImputer(strategy="median")], True),
    ([StandardScaler(), MissingIndicator(features="all")], True),
    ([Normalizer(), SimpleImputer()], False),
    ([StandardScaler()], False),
], ids=lambda v: repr(v) if isinstance(v, bool) else "+".join(type(s).__name__ for s in v))
def test_export_marks_inputs_nullable(tmp_path, steps, nullable):
    data = datasets.load_wine()
    X, y = data.data[::3, :6].copy(), data.target[::3]
    if nullable:
        X[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    model = Pipeline([(f"s{i}", clone(s)) for i, s in enumerate(steps)] +
                     [("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created="2026-01-01T00:00:00Z")
    assert all(inp["nullable"] is nullable for inp in art.header["schema"]["inputs"])
    got = evaluate(art, X)
    np.testing.assert_allclose(got["predict_proba"], model.predict_proba(X), rtol=0, atol=1e-12)
    if nullable:
        assert np.isnan(art.tensors["verification.input"]).any()
        rng = art.header["schema"]["inputs"][0]["range"]
        assert rng == [float(np.nanmin(X[:, 0])), float(np.nanmax(X[:, 0]))]


def test_export_refuses_nan_sample_without_an_imputer(tmp_path):
    X, y = datasets.load_iris(return_X_y=True)
    model = Pipeline([("s", StandardScaler()), ("c", LogisticRegression(max_iter=1000))]).fit(X, y)
    Xn = X.copy()
    Xn[0, 0] = np.nan
    with pytest.raises(ValueError, match="contains NaN; these models cannot take missing values"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=Xn)


def test_export_round_trip_with_a_dropped_column(tmp_path):
    X, _ = _data()
    y = np.nan_to_num(X[:, 0]) + np.nan_to_num(X[:, 2])
    model = Pipeline([("imp", SimpleImputer(add_indicator=True)), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created="2026-01-01T00:00:00Z")
    step = art.pipeline[0]
    assert step["feature_names_out"] == list(model[0].get_feature_names_out())
    assert "x4" not in step["feature_names_out"] and "missingindicator_x4" in step["feature_names_out"]
    assert art.header["schema"]["inputs"][4]["range"] is None
    _, test = _data()
    # Outputs reach 1e8, where a matrix product summed in another order (OpenBLAS, by CPU)
    # moves the last bit: relative to the outputs, far inside the exporter's own 1e-9.
    want = model.predict(test)
    np.testing.assert_allclose(evaluate(art, test)["predict"].ravel(), want, rtol=0, atol=1e-14 * np.abs(want).max())


# ----------------------------------------------------------------- the reader's rules


def _file(step_type, params, tensors, n=3, n_out=3):
    header, all_tensors = minimal_header(n=n, with_scaler=False)
    header["estimator"]["n_features_in"] = n_out
    all_tensors["estimator.coef"] = np.ones((1, n_out))
    for inp in header["schema"]["inputs"]:
        inp["nullable"] = True
    refs = {}
    for role, arr in tensors.items():
        all_tensors[f"steps.0.{role}"] = np.asarray(arr, dtype=np.float64 if role == "statistics" else np.int64)
        refs[role] = f"steps.0.{role}"
    header["pipeline"] = [{
        "type": step_type, "name": "steps[0]: X", "n_features_in": n, "n_features_out": n_out,
        "params": params, "tensors": refs, "feature_names_out": [f"y{i}" for i in range(n_out)],
    }]
    return header, all_tensors


VALID = {
    "simple_imputer": ({"strategy": "mean", "add_indicator": True},
                       {"keep": [1, 0, 1], "statistics": [1.5, 0.0, -2.0], "indicator_features": [1]}, 3),
    "missing_indicator": ({"error_on_new": True}, {"features": [0, 2]}, 2),
}


def _read_error(header, tensors):
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors))
    return ei.value


@pytest.mark.parametrize("step_type", sorted(VALID))
def test_valid_steps_read(step_type):
    params, tensors, n_out = VALID[step_type]
    art = ferry.read(build_file(*_file(step_type, params, tensors, n_out=n_out)))
    step = art.pipeline[0]
    X = np.array([[np.nan, 1.0, np.nan], [1.0, np.nan, 3.5]])
    if step_type == "missing_indicator":
        X[1, 1] = 2.0
    Z = KERNELS[step_type](step, {r: art.tensors[t] for r, t in step["tensors"].items()}, X)
    want = {"simple_imputer": [[1.5, -2.0, 0.0], [1.0, 3.5, 1.0]], "missing_indicator": [[1.0, 1.0], [0.0, 0.0]]}
    np.testing.assert_array_equal(Z, want[step_type])


SI = {"keep": [1, 0, 1], "statistics": [1.5, 0.0, -2.0], "indicator_features": [1]}
BAD = [
    ("simple_imputer", {"strategy": "mode", "add_indicator": True}, SI, 3, "unknown strategy 'mode'"),
    ("simple_imputer", {"strategy": 1, "add_indicator": True}, SI, 3, "params.strategy is missing or not a string"),
    ("simple_imputer", {"strategy": "mean"}, SI, 3, "params.add_indicator is missing or not a boolean"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": False}, SI, 3,
     "tensor 'indicator_features' must be present exactly when add_indicator"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": False}, {"keep": [1, 0, 1], "statistics": [1.0, 0.0, 2.0]},
     3, "n_features_out must equal the number of kept columns without add_indicator"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": True}, {**SI, "keep": [1, 2, 1]}, 3,
     "tensor 'keep' has 2 at [1], expected 0 or 1"),
    ("simple_imputer", {"strategy": "constant", "add_indicator": True}, SI, 3,
     "strategy 'constant' keeps every column, but tensor 'keep' has 0 at [1]"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": True}, {**SI, "statistics": [1.0, np.nan, 2.0]}, 3,
     "tensor 'statistics' has a non-finite value"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": True}, {**SI, "indicator_features": [3]}, 3,
     "tensor 'indicator_features' has 3 at [0], outside [0, 3)"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": True}, {**SI, "indicator_features": [2, 1]}, 4,
     "tensor 'indicator_features' is not strictly increasing at [1]"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": True}, {**SI, "keep": [1, 1]}, 3,
     "tensor 'keep' ('steps.0.keep') is int64 [2], expected int64 [3]"),
    ("simple_imputer", {"strategy": "mean", "add_indicator": True}, SI, 1, "n_features_out 1 is less than the 2 kept"),
    ("missing_indicator", {}, {"features": [0, 2]}, 2, "params.error_on_new is missing or not a boolean"),
    ("missing_indicator", {"error_on_new": True}, {"features": [2, 0]}, 2,
     "tensor 'features' is not strictly increasing at [1]"),
    ("missing_indicator", {"error_on_new": True}, {"features": [0, 3]}, 2, "tensor 'features' has 3 at [1]"),
    ("missing_indicator", {"error_on_new": True}, {"features": [0, 1, 2, 2]}, 4,
     "n_features_out must not exceed n_features_in"),
    ("missing_indicator", {"error_on_new": True}, {}, 2, "missing tensor 'features'"),
]


@pytest.mark.parametrize("step_type, params, tensors, n_out, message", BAD, ids=[f"{b[0]}-{b[4][:40]}" for b in BAD])
def test_reader_rejects(step_type, params, tensors, n_out, message):
    e = _read_error(*_file(step_type, params, tensors, n_out=n_out))
    assert e.code == "format"
    assert e.message.startswith("pipeline[0] (steps[0]: X): ")
    assert message in e.message
