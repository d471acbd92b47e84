"""Feature selectors -> select_columns (docs/format.md section 4.21): every selector's transform
is a copy of its get_support() columns, so parity with scikit-learn is exact (array_equal)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.feature_selection import (
    RFE,
    RFECV,
    GenericUnivariateSelect,
    SelectFdr,
    SelectFpr,
    SelectFromModel,
    SelectFwe,
    SelectKBest,
    SelectPercentile,
    SequentialFeatureSelector,
    VarianceThreshold,
    chi2,
    f_classif,
)
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import ferry
from ferry.converters import KERNELS, PREPROCESSORS, ConversionError
from ferry.exporter import evaluate
from conftest import build_file, convert_and_run, minimal_header


def _data():
    X, y = datasets.load_breast_cancer(return_X_y=True)
    return X[::4, :12], y[::4]


SELECTORS = [
    VarianceThreshold(threshold=0.05),
    SelectKBest(f_classif, k=5),
    SelectPercentile(f_classif, percentile=30),
    GenericUnivariateSelect(f_classif, mode="fwe", param=1e-3),
    SelectFpr(f_classif, alpha=1e-4),
    SelectFdr(f_classif, alpha=1e-3),
    SelectFwe(f_classif, alpha=1e-3),
    SelectFromModel(RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0)),
    SelectFromModel(LogisticRegression(max_iter=5000), max_features=4, threshold=-np.inf),
    RFE(LogisticRegression(max_iter=5000), n_features_to_select=3),
    RFECV(LogisticRegression(max_iter=5000), min_features_to_select=2, cv=3),
    SequentialFeatureSelector(LogisticRegression(max_iter=2000), n_features_to_select=2, cv=2),
]


@pytest.mark.parametrize("est", SELECTORS, ids=lambda e: type(e).__name__)
def test_kernel_is_scikit_learns_transform(est):
    X, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est.fit(X, y)
    assert type(est) in PREPROCESSORS
    step, Z = convert_and_run(est, X)
    assert step.type == "select_columns"
    np.testing.assert_array_equal(step.tensors["columns"], np.flatnonzero(est.get_support()))
    assert step.tensors["columns"].dtype == np.int64
    np.testing.assert_array_equal(Z, est.transform(X))  # a copy: bit-identical


def test_allow_nan_follows_scikit_learns_tag():
    X, y = _data()
    assert convert_and_run(VarianceThreshold().fit(X), X)[0].params["allow_nan"] is True
    assert convert_and_run(SelectKBest(k=3).fit(X, y), X)[0].params["allow_nan"] is False
    # HistGradientBoosting has no importances of its own: any getter will do for the tag.
    hgb = SelectFromModel(HistGradientBoostingClassifier(max_iter=3),
                          importance_getter=lambda e: np.arange(e.n_features_in_)).fit(X, y)
    assert convert_and_run(hgb, X)[0].params["allow_nan"] is True
    lr = SelectFromModel(LogisticRegression(max_iter=5000)).fit(X, y)
    assert convert_and_run(lr, X)[0].params["allow_nan"] is False


def test_nan_passes_variance_threshold_and_is_refused_by_kbest():
    X, y = _data()
    Xn = X.copy()
    Xn[::3, 0] = np.nan
    Xn[1::5, 7] = np.nan
    vt = VarianceThreshold(threshold=0.05).fit(Xn)
    step, Z = convert_and_run(vt, Xn)
    np.testing.assert_array_equal(Z, vt.transform(Xn))  # NaN compares equal in assert_array_equal
    kb = SelectKBest(f_classif, k=3).fit(X, y)
    step = PREPROCESSORS[SelectKBest].convert(kb, "kb")
    with pytest.raises(ValueError):
        kb.transform(Xn)
    with pytest.raises(ValueError, match="refuses NaN"):
        KERNELS["select_columns"]({"params": step.params}, step.tensors, Xn)


def test_export_nullable_follows_the_selector(tmp_path):
    X, y = _data()
    Xn = X.copy()
    Xn[::3, 2] = np.nan
    hgb = Pipeline([("vt", VarianceThreshold()), ("clf", HistGradientBoostingClassifier(max_iter=3))]).fit(Xn, y)
    art = ferry.export(hgb, tmp_path / "vt.ferry", X_sample=Xn)
    assert all(i["nullable"] for i in art.header["schema"]["inputs"])
    np.testing.assert_array_equal(evaluate(art, Xn)["predict"].ravel(), hgb.predict(Xn))
    lin = Pipeline([("kb", SelectKBest(k=4)), ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(lin, tmp_path / "kb.ferry", X_sample=X)
    assert not any(i["nullable"] for i in art.header["schema"]["inputs"])


def test_export_after_sparse_one_hot_in_a_column_transformer(tmp_path):
    rng = np.random.default_rng(0)
    words = rng.choice(["red", "green", "blue", "cyan", "gold"], size=(120, 2)).astype(object)
    num = rng.normal(size=(120, 3))
    y = (words[:, 0] == "red") ^ (num[:, 0] > 0)
    import pandas as pd

    X = pd.DataFrame({"a": words[:, 0], "b": words[:, 1], "u": num[:, 0], "v": num[:, 1], "w": num[:, 2]})
    ct = ColumnTransformer([
        ("text", Pipeline([("oh", OneHotEncoder(handle_unknown="ignore")), ("kb", SelectKBest(chi2, k=4))]),
         ["a", "b"]),
        ("num", Pipeline([("sc", StandardScaler()), ("vt", VarianceThreshold())]), ["u", "v", "w"]),
    ])
    model = Pipeline([("ct", ct), ("clf", LogisticRegression())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    names = art.pipeline[0]["feature_names_out"]
    assert names == list(model[:-1].get_feature_names_out())
    from ferry.exporter import _decode, run_steps

    inputs = art.schema["inputs"]
    codes = np.column_stack([
        [i["categories"].index(v) for v in X[i["name"]]] if i["kind"] == "categorical" else X[i["name"]]
        for i in inputs
    ]).astype(np.float64)
    Z = np.asarray(run_steps(art.pipeline, _decode(art, codes), art.tensors), dtype=np.float64)
    want = model[:-1].transform(X)
    np.testing.assert_array_equal(Z, want.toarray() if hasattr(want, "toarray") else want)
    np.testing.assert_array_equal(evaluate(art, codes)["predict"].ravel(), model.predict(X))


def test_export_in_a_feature_union_before_trees(tmp_path):
    X, y = _data()
    union = FeatureUnion([("kb", SelectKBest(k=3)), ("sfm", SelectFromModel(Ridge(), max_features=2))])
    model = Pipeline([("u", union), ("rf", RandomForestClassifier(n_estimators=3, random_state=0))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    np.testing.assert_array_equal(evaluate(art, X)["predict_proba"], model.predict_proba(X))


def test_empty_selection_is_refused(tmp_path):
    X, y = _data()
    vt = VarianceThreshold(threshold=1e12)
    with pytest.raises(ValueError):
        vt.fit(X)  # scikit-learn refuses it at fit already
    kb = SelectFpr(f_classif, alpha=1e-300).fit(X, y)  # fits, selects nothing
    assert not kb.get_support().any()
    with pytest.raises(ConversionError, match="selected no feature"):
        PREPROCESSORS[SelectFpr].convert(kb, "steps[0]: SelectFpr")
    model = Pipeline([("sc", StandardScaler()), ("kb", kb)])
    model.steps.append(("clf", Ridge().fit(X[:, :1], y)))
    with pytest.raises(ferry.UnsupportedModelError, match=r"SelectFpr \(it selected no feature"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_subclass_is_not_supported(tmp_path):
    class MySelector(SelectKBest):
        pass

    X, y = _data()
    model = Pipeline([("s", MySelector(k=3)), ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match="MySelector"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


# ----------------------------------------------------------------- the reader's rules


def _file(params, columns, n=4, n_out=2, dtype=np.int64):
    header, tensors = minimal_header(n=n, with_scaler=False)
    header["estimator"]["n_features_in"] = n_out
    tensors["estimator.coef"] = np.ones((1, n_out))
    refs = {}
    if columns is not None:
        tensors["steps.0.columns"] = np.asarray(columns, dtype=dtype)
        refs["columns"] = "steps.0.columns"
    header["pipeline"] = [{
        "type": "select_columns", "name": "steps[0]: SelectKBest", "n_features_in": n, "n_features_out": n_out,
        "params": params, "tensors": refs, "feature_names_out": [f"y{i}" for i in range(n_out)],
    }]
    return header, tensors


def test_valid_step_reads_and_runs():
    art = ferry.read(build_file(*_file({"allow_nan": True}, [1, 3])))
    step = art.pipeline[0]
    Z = KERNELS["select_columns"](step, {r: art.tensors[t] for r, t in step["tensors"].items()},
                                  np.array([[1.0, np.nan, 3.0, 4.0]]))
    np.testing.assert_array_equal(Z, [[np.nan, 4.0]])


BAD = [
    ({}, [1, 3], 2, np.int64, "params.allow_nan is missing or not a boolean"),
    ({"allow_nan": 1}, [1, 3], 2, np.int64, "params.allow_nan is missing or not a boolean"),
    ({"allow_nan": False}, [3, 1], 2, np.int64, "tensor 'columns' is not strictly increasing at [1]"),
    ({"allow_nan": False}, [1, 1], 2, np.int64, "tensor 'columns' is not strictly increasing at [1]"),
    ({"allow_nan": False}, [1, 4], 2, np.int64, "tensor 'columns' has 4 at [1], outside [0, 4)"),
    ({"allow_nan": False}, [-1, 2], 2, np.int64, "tensor 'columns' has -1 at [0], outside [0, 4)"),
    ({"allow_nan": False}, [1, 3], 2, np.int32, "is int32 [2], expected int64 [2]"),
    ({"allow_nan": False}, [1, 3, 0], 2, np.int64, "is int64 [3], expected int64 [2]"),
    ({"allow_nan": False}, [], 0, np.int64, "'n_features_out' is missing or not an integer >= 1"),
    ({"allow_nan": False}, [0, 1, 2, 3, 3], 5, np.int64, "n_features_out must be between 1 and n_features_in"),
    ({"allow_nan": False}, None, 2, np.int64, "missing tensor 'columns'"),
]


@pytest.mark.parametrize("params, columns, n_out, dtype, message", BAD, ids=[b[4][:40] for b in BAD])
def test_reader_rejects(params, columns, n_out, dtype, message):
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(*_file(params, columns, n_out=n_out, dtype=dtype)))
    assert ei.value.code == "format"
    assert ei.value.message.startswith("pipeline[0] (steps[0]: SelectKBest): ")
    assert message in ei.value.message
