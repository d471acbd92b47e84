"""The explain section (docs/format.md 3.5): the exporter's background mean and the reader's checks."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes, load_iris
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import ferry
import ferry.format as fmt
from conftest import build_file, minimal_header


def test_linear_export_stores_the_mean_of_what_the_estimator_receives(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    model = Pipeline([("s", StandardScaler()), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert art.minor == 1
    mean = art.tensors[art.header["explain"]["background_mean"]]
    # scikit-learn's own transform, not ferry's kernels, as the reference
    np.testing.assert_allclose(mean, model[:-1].transform(X).mean(axis=0), rtol=0, atol=1e-15)
    # Linear SHAP with it adds up to scikit-learn's predictions.
    Z = model[:-1].transform(X)
    w, b = model[-1].coef_, model[-1].intercept_
    phi = w * (Z - mean)
    np.testing.assert_allclose(phi.sum(axis=1) + b + w @ mean, model.predict(X), rtol=1e-12, atol=1e-12)


def test_one_hot_pipeline_mean_is_over_the_encoded_columns(tmp_path):
    rng = np.random.default_rng(1)
    X = np.column_stack([rng.integers(0, 3, 200), rng.normal(size=200)])
    y = (X[:, 0] == 1) ^ (X[:, 1] > 0)
    ct = ColumnTransformer([("oh", OneHotEncoder(), [0]), ("s", StandardScaler(), [1])])
    model = Pipeline([("ct", ct), ("clf", LogisticRegression())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    mean = art.tensors["explain.background_mean"]
    assert mean.shape == (4,)
    np.testing.assert_allclose(mean, model[:-1].transform(X).mean(axis=0), atol=1e-15)


def test_no_sample_or_no_linear_estimator_means_no_section(tmp_path):
    X, y = load_iris(return_X_y=True)
    art = ferry.export(LogisticRegression(max_iter=1000).fit(X, y), tmp_path / "a.ferry")
    assert "explain" not in art.header and art.minor == 0
    art = ferry.export(RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0).fit(X, y),
                       tmp_path / "b.ferry", X_sample=X)
    assert "explain" not in art.header and art.minor == 0


def _with_mean(value):
    header, tensors = minimal_header()
    header["explain"] = {"background_mean": "explain.background_mean"}
    tensors["explain.background_mean"] = value
    return header, tensors


def test_reader_accepts_a_valid_section():
    header, tensors = _with_mean(np.array([0.5, -1.0]))
    art = ferry.read(build_file(header, tensors, minor=1))
    np.testing.assert_array_equal(art.tensors["explain.background_mean"], [0.5, -1.0])


@pytest.mark.parametrize(
    "value, message",
    [
        (np.zeros(3), "expected float64 [2]"),
        (np.zeros(2, dtype=np.float32), "expected float64 [2]"),
        (np.array([0.0, np.nan]), "non-finite value at index 1"),
    ],
)
def test_reader_refuses_a_bad_background_mean(value, message):
    header, tensors = _with_mean(value)
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors, minor=1))
    assert ei.value.code == "format" and message in str(ei.value)


def test_reader_refuses_a_missing_tensor():
    header, tensors = _with_mean(np.zeros(2))
    header["explain"]["background_mean"] = "explain.nope"
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors, minor=1))
    assert ei.value.code == "format" and "explain.nope" in str(ei.value)


def test_writer_writes_the_lowest_minor():
    header, tensors = _with_mean(np.zeros(2))
    assert ferry.read(fmt.dumps(header, tensors)).minor == 1
    header, tensors = minimal_header()
    assert ferry.read(fmt.dumps(header, tensors)).minor == 0
