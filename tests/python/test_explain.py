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
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, baseline_bins=0)
    assert art.minor == 2  # with the background rows (and no drift baselines, which are 1.3)
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


def test_no_sample_means_no_section_and_no_linear_estimator_no_mean(tmp_path):
    X, y = load_iris(return_X_y=True)
    art = ferry.export(LogisticRegression(max_iter=1000).fit(X, y), tmp_path / "a.ferry")
    assert "explain" not in art.header and art.minor == 0
    art = ferry.export(RandomForestRegressor(n_estimators=2, max_depth=2, random_state=0).fit(X, y),
                       tmp_path / "b.ferry", X_sample=X, baseline_bins=0)
    assert set(art.header["explain"]) == {"background", "background_weights"} and art.minor == 2
    art = ferry.export(LogisticRegression(max_iter=1000).fit(X, y), tmp_path / "c.ferry", X_sample=X,
                       background_rows=0, baseline_bins=0)
    assert set(art.header["explain"]) == {"background_mean"} and art.minor == 1


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


# --------------------------------------------------------------------------- background rows


def test_background_is_weighted_medoids_of_the_sample(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    model = Pipeline([("s", StandardScaler()), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, background_rows=20)
    rows = art.tensors[art.header["explain"]["background"]]
    weights = art.tensors[art.header["explain"]["background_weights"]]
    assert rows.shape == (20, X.shape[1]) and weights.shape == (20,)
    # Each row is an actual sample row; the weights are cluster shares of the whole sample.
    for r in rows:
        assert np.any(np.all(X == r, axis=1))
    assert abs(weights.sum() - 1.0) < 1e-12 and np.all(weights > 0)
    assert np.all(np.isclose(weights * len(X), np.round(weights * len(X))))
    # The weighted background stays near the sample mean (k-means keeps the mass in place).
    assert np.abs(weights @ rows - X.mean(axis=0)).max() < 0.5 * X.std(axis=0).min()


def test_small_or_repetitive_samples_are_stored_exactly(tmp_path):
    X, y = load_iris(return_X_y=True)
    X = np.vstack([X[:3]] * 4 + [X[3:5]])  # 3 rows 4 times, 2 rows once
    model = LogisticRegression(max_iter=1000).fit(X, np.arange(len(X)) % 2)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    rows = art.tensors["explain.background"]
    np.testing.assert_array_equal(rows, X[[0, 1, 2, 12, 13]])  # each distinct row where it first appears
    np.testing.assert_allclose(art.tensors["explain.background_weights"], [4 / 14] * 3 + [1 / 14] * 2)


def test_text_background_holds_category_indices(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"color": rng.choice(["red", "green", "blue"], 300).astype(object),
                          "size": rng.normal(size=300)})
    frame.loc[::7, "color"] = np.nan
    y = (frame["color"] == "red") ^ (frame["size"] > 0)
    from sklearn.impute import SimpleImputer

    ct = ColumnTransformer([("c", Pipeline([("i", SimpleImputer(strategy="most_frequent")),
                                           ("oh", OneHotEncoder())]), ["color"]),
                            ("s", StandardScaler(), ["size"])])
    model = Pipeline([("ct", ct), ("clf", LogisticRegression())]).fit(frame, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=frame, background_rows=12)
    rows = art.tensors["explain.background"]
    codes = rows[:, 0]
    assert set(codes[~np.isnan(codes)]) <= {0.0, 1.0, 2.0}
    assert art.header["schema"]["inputs"][0]["categories"] == ["blue", "green", "red"]


def test_background_rows_out_of_range_is_refused(tmp_path):
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="background_rows must be in"):
        ferry.export(LogisticRegression(max_iter=1000).fit(X, y), tmp_path / "m.ferry", X_sample=X,
                     background_rows=5000)


def _with_background(rows, weights, inputs=None):
    header, tensors = minimal_header()
    if inputs is not None:
        header["schema"]["inputs"] = inputs
    header["explain"] = {"background": "explain.background", "background_weights": "explain.background_weights"}
    tensors["explain.background"] = np.asarray(rows, dtype=np.float64)
    tensors["explain.background_weights"] = np.asarray(weights, dtype=np.float64)
    return header, tensors


def test_reader_accepts_a_valid_background():
    header, tensors = _with_background([[0.0, 1.0], [2.0, 3.0]], [0.25, 0.75])
    art = ferry.read(build_file(header, tensors, minor=2))
    np.testing.assert_array_equal(art.tensors["explain.background_weights"], [0.25, 0.75])


@pytest.mark.parametrize(
    "rows, weights, message",
    [
        ([[0.0, np.nan]], [1.0], "background row 0 holds nan"),
        ([[0.0, np.inf]], [1.0], "background row 0 holds inf"),
        ([[0.0, 1.0], [2.0, 3.0]], [0.5, 0.25], "sum to 1"),
        ([[0.0, 1.0], [2.0, 3.0]], [1.5, -0.5], "> 0"),
        ([[0.0, 1.0, 2.0]], [1.0], "expected float64 [1, 2]"),
        (np.zeros((0, 2)), np.zeros(0), "1 <= B <= 1024"),
    ],
)
def test_reader_refuses_a_bad_background(rows, weights, message):
    header, tensors = _with_background(rows, weights)
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors, minor=2))
    assert ei.value.code == "format" and message in str(ei.value)


def test_reader_refuses_half_a_background():
    header, tensors = _with_background([[0.0, 1.0]], [1.0])
    del header["explain"]["background_weights"]
    del tensors["explain.background_weights"]
    with pytest.raises(ferry.ArtifactError, match="come together"):
        ferry.read(build_file(header, tensors, minor=2))
