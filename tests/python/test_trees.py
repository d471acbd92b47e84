"""Tree ensembles (docs/format.md section 4.17): the numpy kernel against
scikit-learn's and XGBoost's own outputs, leaf indices against ``apply()``,
refused configurations, the reader's structural checks, and the attribute
layouts of newer scikit-learn versions (synthetic objects)."""

from __future__ import annotations

import copy
import types

import numpy as np
import pytest
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

import ferry
from conftest import build_file
from ferry.converters import ConversionError, estimator_converter
from ferry.converters import tree_ensemble as te
from ferry.converters import trees
from ferry.exporter import UnsupportedModelError, evaluate

# --------------------------------------------------------------------------- data


def _f32_neighbours(t: np.ndarray) -> np.ndarray:
    """t itself, its float32 rounding and that value's float32 neighbours, and t's float64 neighbours."""
    t = np.asarray(t, dtype=np.float64)
    f = t.astype(np.float32)
    return np.concatenate(
        [
            t,
            f.astype(np.float64),
            np.nextafter(f, np.float32(np.inf)).astype(np.float64),
            np.nextafter(f, np.float32(-np.inf)).astype(np.float64),
            np.nextafter(t, np.inf),
            np.nextafter(t, -np.inf),
        ]
    )


def threshold_rows(X: np.ndarray, features: np.ndarray, thresholds: np.ndarray, limit: int = 400) -> np.ndarray:
    """Rows of X with one feature set exactly at a split threshold or at its float32 /
    float64 neighbours: the inputs where a wrong comparison changes the leaf."""
    rng = np.random.default_rng(0)
    keep = features >= 0
    features, thresholds = features[keep], thresholds[keep]
    if features.size > limit // 6:
        pick = rng.choice(features.size, limit // 6, replace=False)
        features, thresholds = features[pick], thresholds[pick]
    values = _f32_neighbours(thresholds)
    cols = np.tile(features, 6)
    rows = X[rng.integers(0, X.shape[0], values.size)].copy()
    rows[np.arange(values.size), cols] = values
    return rows


def sk_thresholds(est):
    members = np.asarray(est.estimators_, dtype=object).ravel() if hasattr(est, "estimators_") else [est]
    f = np.concatenate([m.tree_.feature for m in members])
    t = np.concatenate([m.tree_.threshold for m in members])
    return f, t


def rel_diff(a, b) -> float:
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return float(np.max(np.abs(a - b) / np.maximum(1.0, np.abs(b)))) if a.size else 0.0


def export_and_run(model, X_sample, X, tmp_path):
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X_sample)
    return art, evaluate(art, X)


_diabetes = datasets.load_diabetes(return_X_y=True)
_wine = datasets.load_wine(return_X_y=True)
_cancer = datasets.load_breast_cancer(return_X_y=True)


def _multi_target():
    X, y = _diabetes
    return X, np.column_stack([y, np.sqrt(y), -y])


SKLEARN_CASES = [
    ("tree_reg_deep", lambda: DecisionTreeRegressor(random_state=0), _diabetes),
    ("tree_clf", lambda: DecisionTreeClassifier(max_depth=6, random_state=0), _wine),
    ("rf_reg", lambda: RandomForestRegressor(8, max_depth=6, random_state=0), _diabetes),
    ("rf_reg_multi", lambda: RandomForestRegressor(4, max_depth=5, random_state=0), _multi_target()),
    ("et_reg_multi", lambda: ExtraTreesRegressor(4, max_depth=5, random_state=0), _multi_target()),
    ("rf_clf", lambda: RandomForestClassifier(8, max_depth=5, random_state=0), _wine),
    ("et_clf", lambda: ExtraTreesClassifier(8, max_depth=5, random_state=0), _wine),
    ("et_reg", lambda: ExtraTreesRegressor(8, max_depth=5, random_state=0), _diabetes),
    ("gb_squared", lambda: GradientBoostingRegressor(n_estimators=15, random_state=0), _diabetes),
    ("gb_absolute", lambda: GradientBoostingRegressor(loss="absolute_error", n_estimators=15, random_state=0), _diabetes),
    ("gb_huber", lambda: GradientBoostingRegressor(loss="huber", n_estimators=15, random_state=0), _diabetes),
    ("gb_quantile", lambda: GradientBoostingRegressor(loss="quantile", alpha=0.7, n_estimators=15, random_state=0), _diabetes),
    ("gb_zero", lambda: GradientBoostingRegressor(init="zero", n_estimators=15, random_state=0), _diabetes),
    ("gb_dummy", lambda: GradientBoostingRegressor(init=DummyRegressor(strategy="median"), n_estimators=10), _diabetes),
    ("gb_binary", lambda: GradientBoostingClassifier(n_estimators=15, random_state=0), _cancer),
    ("gb_multi", lambda: GradientBoostingClassifier(n_estimators=8, max_depth=2, random_state=0), _wine),
    ("gb_multi_zero", lambda: GradientBoostingClassifier(init="zero", n_estimators=5, random_state=0), _wine),
    ("hgb_reg", lambda: HistGradientBoostingRegressor(max_iter=15), _diabetes),
    ("hgb_poisson", lambda: HistGradientBoostingRegressor(loss="poisson", max_iter=15), _diabetes),
    ("hgb_quantile", lambda: HistGradientBoostingRegressor(loss="quantile", quantile=0.2, max_iter=15), _diabetes),
    ("hgb_absolute", lambda: HistGradientBoostingRegressor(loss="absolute_error", max_iter=15), _diabetes),
    ("hgb_binary", lambda: HistGradientBoostingClassifier(max_iter=15), _cancer),
    ("hgb_multi", lambda: HistGradientBoostingClassifier(max_iter=8), _wine),
    ("iforest", lambda: IsolationForest(n_estimators=15, max_features=0.6, random_state=0), (_cancer[0], None)),
]


def _thresholds_of(model):
    if hasattr(model, "_predictors"):
        nodes = [p.nodes for it in model._predictors for p in it]
        f = np.concatenate([np.where(n["is_leaf"], -1, n["feature_idx"].astype(np.int64)) for n in nodes])
        t = np.concatenate([n["num_threshold"] for n in nodes])
        ok = np.isfinite(t)
        return f[ok], t[ok]
    return sk_thresholds(model)


@pytest.mark.parametrize("name, make, data", SKLEARN_CASES, ids=[c[0] for c in SKLEARN_CASES])
def test_sklearn_parity(name, make, data, tmp_path):
    X, y = data
    model = make().fit(X) if y is None else make().fit(X, y)
    X_test = np.vstack([X, threshold_rows(X, *_thresholds_of(model))])
    if hasattr(model, "_predictors"):  # NaN in every feature
        nan_rows = np.repeat(X[:1], X.shape[1], axis=0)
        nan_rows[np.arange(X.shape[1]), np.arange(X.shape[1])] = np.nan
        X_test = np.vstack([X_test, nan_rows])
    art, got = export_and_run(model, X, X_test, tmp_path)
    assert art.header["verification"]["rtol"] == 1e-9
    if name == "tree_reg_deep":
        assert model.get_depth() >= 20
    if name == "iforest":
        assert np.array_equal(got["decision_function"][:, 0], model.decision_function(X_test))
        assert np.array_equal(got["score_samples"], model.score_samples(X_test))
        assert np.array_equal(np.array([-1, 1])[got["predict"]], model.predict(X_test))
        return
    if art.schema["task"] == "classification":
        assert np.array_equal(model.classes_[got["predict"]], model.predict(X_test))
        assert rel_diff(got["predict_proba"], model.predict_proba(X_test)) <= 1e-12
        if hasattr(model, "decision_function"):
            dec = np.asarray(model.decision_function(X_test)).reshape(len(X_test), -1)
            assert rel_diff(got["decision_function"], dec) <= 1e-12
        else:
            assert "decision_function" not in got
    else:
        pred = np.asarray(model.predict(X_test)).reshape(len(X_test), -1)
        assert rel_diff(got["predict"], pred) <= 1e-12


@pytest.mark.parametrize(
    "make, data",
    [
        (lambda: RandomForestClassifier(5, max_depth=6, random_state=0), _wine),
        (lambda: ExtraTreesRegressor(5, random_state=0), _diabetes),
        (lambda: DecisionTreeRegressor(random_state=0), _diabetes),
        (lambda: GradientBoostingClassifier(n_estimators=4, random_state=0), _wine),
        (lambda: IsolationForest(n_estimators=5, max_features=0.5, random_state=0), (_cancer[0], None)),
    ],
)
def test_leaf_indices_equal_apply(make, data):
    X, y = data
    model = make().fit(X) if y is None else make().fit(X, y)
    X_test = np.vstack([X, threshold_rows(X, *sk_thresholds(model))])
    conv = estimator_converter(type(model)).convert(model, "m")
    step = {"type": conv.type, "params": conv.params}
    leaves = te.leaf_indices(step, conv.tensors, X_test)
    if isinstance(model, IsolationForest):
        want = np.column_stack(
            [t.apply(X_test[:, f].astype(np.float32)) for t, f in zip(model.estimators_, model.estimators_features_)]
        )
    else:
        want = np.asarray(model.apply(X_test)).reshape(len(X_test), -1)
    assert np.array_equal(leaves, want)


def test_pipeline_scaler_then_forest(tmp_path):
    X, y = _wine
    model = Pipeline([("s", StandardScaler()), ("rf", RandomForestClassifier(5, random_state=0))]).fit(X, y)
    art, got = export_and_run(model, X, X, tmp_path)
    assert rel_diff(got["predict_proba"], model.predict_proba(X)) <= 1e-12
    assert not art.schema["inputs"][0]["nullable"]  # forests in scikit-learn 1.2 refuse NaN


# --------------------------------------------------------------------------- HistGradientBoosting categorical


def _categorical_data(n=1500, seed=0):
    rng = np.random.default_rng(seed)
    c = rng.integers(0, 60, n).astype(float)  # more than 32 categories: a multi-word bit set
    c2 = rng.integers(0, 5, n).astype(float)
    x = rng.normal(size=n)
    y = (((c % 4 == 0) | (c > 50)) ^ (c2 == 2)).astype(int)
    X = np.column_stack([c, x, c2])
    X[rng.random(X.shape) < 0.1] = np.nan
    X[c == 7, 0] = np.nan  # category 7 never seen in training
    return X, y


def _category_probes():
    return np.array(
        [
            [v, w, u]
            for v in [-1, -0.5, 0, 0.5, 3, 7, 7.9, 59, 60, 61, 100, 254, 255, np.nan]
            for w in [-1, 0.1, np.nan]
            for u in [0, 2, 4, 5, -2, 2.5, np.nan]
        ]
    )


@pytest.mark.parametrize("cls", [HistGradientBoostingClassifier, HistGradientBoostingRegressor])
def test_hgb_categorical_nan_and_unseen_categories(cls, tmp_path):
    X, y = _categorical_data()
    model = cls(max_iter=15, categorical_features=[0, 2], random_state=0).fit(X, y)
    probes = _category_probes()
    art, got = export_and_run(model, X[:300], probes, tmp_path)
    assert all(inp["nullable"] for inp in art.schema["inputs"])
    assert "categorical" in art.estimator["tensors"]
    if cls is HistGradientBoostingClassifier:
        assert np.array_equal(got["decision_function"][:, 0], model.decision_function(probes))
        assert np.array_equal(model.classes_[got["predict"]], model.predict(probes))
    else:
        assert np.array_equal(got["predict"][:, 0], model.predict(probes))


def test_hgb_category_values_beyond_a_byte_take_the_missing_way():
    """scikit-learn 1.2 casts a category to a byte (256 -> 0); ferry routes it like any unknown category."""
    X, y = _categorical_data()
    model = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0, 2], random_state=0).fit(X, y)
    conv = estimator_converter(type(model)).convert(model, "m")
    step = {"type": conv.type, "params": conv.params}
    big = np.array([[256.0, 0.1, 1.0], [1e9, 0.1, 1.0]])
    nan = np.array([[np.nan, 0.1, 1.0]] * 2)
    assert np.array_equal(te.raw_scores(step, conv.tensors, big), te.raw_scores(step, conv.tensors, nan))


# --------------------------------------------------------------------------- XGBoost

xgb = pytest.importorskip("xgboost")


def _xgb_data(n=800, seed=0, nan=True):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    if nan:
        X[rng.random(X.shape) < 0.1] = np.nan
    z = np.nan_to_num(X[:, 0]) + 0.5 * np.nan_to_num(X[:, 1])
    return X, z, rng


def _xgb_thresholds(booster):
    import json

    model = json.loads(bytes(booster.save_raw("json")))
    f, t = [], []
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        left = np.asarray(tree["left_children"])
        f.append(np.where(left < 0, -1, tree["split_indices"]))
        t.append(np.asarray(tree["split_conditions"], dtype=np.float32).astype(np.float64))
    return np.concatenate(f), np.concatenate(t)


def _xgb_margin(booster, X):
    dm = xgb.DMatrix(X, feature_names=booster.feature_names, feature_types=booster.feature_types, enable_categorical=True)
    return booster.predict(dm, output_margin=True).reshape(len(X), -1)


XGB_CASES = [
    ("squarederror", lambda: xgb.XGBRegressor(n_estimators=25, max_depth=4), "reg"),
    ("logistic_reg", lambda: xgb.XGBRegressor(objective="reg:logistic", n_estimators=20, base_score=0.3), "prob"),
    ("binary", lambda: xgb.XGBClassifier(n_estimators=25, max_depth=4, base_score=0.77), "binary"),
    ("softprob", lambda: xgb.XGBClassifier(n_estimators=8, max_depth=3), "multi"),
    ("softmax", lambda: xgb.XGBClassifier(objective="multi:softmax", n_estimators=8, max_depth=3), "multi"),
    ("poisson", lambda: xgb.XGBRegressor(objective="count:poisson", n_estimators=20), "count"),
    ("gamma", lambda: xgb.XGBRegressor(objective="reg:gamma", n_estimators=20, base_score=0.9), "positive"),
    ("tweedie", lambda: xgb.XGBRegressor(objective="reg:tweedie", n_estimators=20), "positive"),
    ("forest", lambda: xgb.XGBRegressor(n_estimators=3, num_parallel_tree=4, subsample=0.7), "reg"),
    ("exact_pruned", lambda: xgb.XGBRegressor(n_estimators=10, tree_method="exact", gamma=50.0), "reg"),
]


def _xgb_target(kind, z, rng):
    if kind in ("binary", "prob"):
        return (z + rng.normal(size=z.size) > 0).astype(int)
    if kind == "multi":
        return np.digitize(z + rng.normal(size=z.size) * 0.3, [-0.5, 0.5])
    if kind == "count":
        return rng.poisson(np.exp(0.5 * z))
    if kind == "positive":
        return np.exp(0.3 * z) + rng.random(z.size) * 0.1
    return z + rng.normal(size=z.size) * 0.1


@pytest.mark.parametrize("name, make, kind", XGB_CASES, ids=[c[0] for c in XGB_CASES])
def test_xgboost_parity(name, make, kind, tmp_path):
    X, z, rng = _xgb_data()
    model = make().fit(X, _xgb_target(kind, z, rng))
    booster = model.get_booster()
    nan_rows = np.repeat(X[:1], 5, axis=0)
    nan_rows[np.arange(5), np.arange(5)] = np.nan
    X_test = np.vstack([X, threshold_rows(np.nan_to_num(X), *_xgb_thresholds(booster)), nan_rows])
    art, got = export_and_run(model, X, X_test, tmp_path)
    ver = art.header["verification"]
    assert (ver["rtol"], ver["atol"]) == (1e-6, 1e-7)
    assert all(inp["nullable"] for inp in art.schema["inputs"])  # XGBoost routes NaN itself
    # the margin is XGBoost's float32 sum, bit for bit
    assert np.array_equal(got["decision_function"], _xgb_margin(booster, X_test).astype(np.float64))
    if kind in ("binary", "multi"):
        proba = model.predict_proba(X_test)
        assert np.allclose(got["predict_proba"], proba, rtol=1e-6, atol=1e-7)
        assert np.array_equal(model.classes_[got["predict"]], model.predict(X_test))
    else:
        assert np.allclose(got["predict"][:, 0], model.predict(X_test), rtol=1e-6, atol=0)


def test_xgboost_raw_booster_and_early_stopping(tmp_path):
    X, z, rng = _xgb_data()
    y = _xgb_target("binary", z, rng)
    booster = xgb.train({"objective": "binary:logistic", "max_depth": 3}, xgb.DMatrix(X, y), num_boost_round=12)
    art, got = export_and_run(booster, X, X, tmp_path)
    assert art.schema["classes"] == {"dtype": "int64", "values": [0, 1]}
    assert np.array_equal(got["decision_function"], _xgb_margin(booster, X).astype(np.float64))

    model = xgb.XGBRegressor(n_estimators=200, early_stopping_rounds=3, learning_rate=0.5)
    model.fit(X[:600], z[:600], eval_set=[(X[600:], z[600:])], verbose=False)
    assert model.best_iteration + 1 < 200
    art, got = export_and_run(model, X, X, tmp_path)
    assert art.estimator["params"]["n_trees"] == model.best_iteration + 1
    assert np.array_equal(got["predict"][:, 0], model.predict(X).astype(np.float64))


@pytest.mark.parametrize("onehot", [1, 64])
def test_xgboost_categorical_follows_its_own_rule(onehot, tmp_path):
    """XGBoost 1.7: the stored set goes right, other categories below the bit field's size
    left, negative and larger values (and NaN) the default way; fractions truncate."""
    import pandas as pd

    rng = np.random.default_rng(1)
    n = 2000
    c = rng.integers(0, 40, n)
    d = rng.integers(0, 3, n)
    x = rng.normal(size=n)
    y = ((c % 3 == 0) | (c > 30)).astype(float) + 0.3 * x + (d == 1)
    df = pd.DataFrame(
        {"c": pd.Categorical(c, categories=range(40)), "x": x, "d": pd.Categorical(d, categories=range(3))}
    )
    model = xgb.XGBRegressor(
        n_estimators=15, max_depth=4, tree_method="hist", enable_categorical=True, max_cat_to_onehot=onehot
    ).fit(df, y)
    X_num = np.column_stack([c, x, d]).astype(float)
    probes = np.array(
        [
            [v, 0.1, w]
            for v in [-1, -0.5, 0, 0.5, 1.7, 29, 29.5, 30, 31, 31.9, 32, 33, 39, 40, 63, 64, 100, 2**24, np.nan]
            for w in [0, 1, 2, 2.5, 3, -1, np.nan]
        ]
    )
    art, got = export_and_run(model, pd.DataFrame(X_num[:200], columns=["c", "x", "d"]), probes, tmp_path)
    assert "categorical" in art.estimator["tensors"]
    assert np.array_equal(got["decision_function"], _xgb_margin(model.get_booster(), probes).astype(np.float64))


@pytest.mark.parametrize(
    "make, fit_kw, message",
    [
        (lambda: xgb.XGBRegressor(n_estimators=2, booster="dart"), {}, "'dart'"),
        (lambda: xgb.XGBRegressor(n_estimators=2, booster="gblinear"), {}, "'gblinear'"),
        (lambda: xgb.XGBClassifier(n_estimators=2, objective="binary:hinge"), {}, "objective 'binary:hinge'"),
        (lambda: xgb.XGBRegressor(n_estimators=2, missing=0.0), {}, "missing=0.0"),
    ],
)
def test_xgboost_refusals(make, fit_kw, message, tmp_path):
    X, z, rng = _xgb_data(nan=False)
    y = (z > 0).astype(int)
    model = make().fit(X, y, **fit_kw)
    with pytest.raises(UnsupportedModelError, match=message):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


# --------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    "model, message",
    [
        (GradientBoostingRegressor(init=LinearRegression(), n_estimators=3), "init=LinearRegression is not supported"),
        (GradientBoostingClassifier(loss="exponential", n_estimators=3), "loss='exponential' is not supported"),
        (
            GradientBoostingClassifier(init=DummyClassifier(strategy="stratified"), n_estimators=3),
            "strategy='stratified'",
        ),
        (IsolationForest(n_estimators=3, max_samples=1), "max_samples=1"),
        (RandomForestClassifier(3), "multi-output classification is not supported"),
    ],
)
def test_sklearn_refusals(model, message, tmp_path):
    X, y = _cancer
    if isinstance(model, IsolationForest):
        model.fit(X)
    elif isinstance(model, RandomForestClassifier):
        model.fit(X, np.column_stack([y, 1 - y]))
    else:
        model.fit(X, y)
    with pytest.raises(UnsupportedModelError) as ei:
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert message in str(ei.value)


def test_nan_is_refused_by_trees_that_refuse_it():
    X, y = _diabetes
    model = RandomForestRegressor(3, max_depth=3, random_state=0).fit(X, y)
    conv = estimator_converter(type(model)).convert(model, "m")
    assert conv.params["missing"] == "error"
    step = {"type": conv.type, "params": conv.params}
    for j in (int(model.estimators_[0].tree_.feature[0]), 9):  # a split column or any other
        rows = X[:3].copy()
        rows[2, j] = np.nan
        with pytest.raises(ValueError, match=f"row 2, column {j}: a missing value"):
            te.tree_ensemble(step, conv.tensors, rows, "regression")
    rows = X[:3].copy()
    rows[1, 4] = -3.5e38  # beyond float32: scikit-learn's check_array refuses it
    with pytest.raises(ValueError, match="row 1, column 4: .*too large for float32"):
        te.tree_ensemble(step, conv.tensors, rows, "regression")
    rows[1, 4] = -3.4e38  # still a float32
    te.tree_ensemble(step, conv.tensors, rows, "regression")


# --------------------------------------------------------------------------- reader


@pytest.fixture(scope="module")
def tree_artifact(tmp_path_factory):
    X, y = _categorical_data(n=600)
    model = HistGradientBoostingClassifier(max_iter=3, max_depth=3, categorical_features=[0], random_state=0)
    model.fit(X, y)
    art = ferry.export(model, tmp_path_factory.mktemp("t") / "m.ferry", X_sample=X[:50])
    return art


def _broken(art, edit):
    header = copy.deepcopy(art.header)
    tensors = {k: v.copy() for k, v in art.tensors.items()}
    edit(header, tensors)
    return build_file(header, tensors)


def _t(name):
    return f"estimator.{name}"


def _first_inner(t):
    return int(np.flatnonzero(t[_t("feature")] >= 0)[1])


def _set(name, index, value):
    def edit(h, t):
        t[_t(name)][index(t) if callable(index) else index] = value

    return edit


def _param(key, value):
    return lambda h, t: h["estimator"]["params"].update({key: value})


READER_CASES = [
    ("n_trees", _param("n_trees", 0), "n_trees"),
    ("aggregation", _param("aggregation", "median"), "aggregation"),
    ("comparison", _param("comparison", "lt"), "comparison"),
    ("missing", _param("missing", "zero"), "params.missing"),
    ("accumulate", _param("accumulate", "float16"), "accumulate"),
    ("float32 mean", lambda h, t: h["estimator"]["params"].update(accumulate="float32", aggregation="mean"), "accumulate float32 needs aggregation sum"),
    ("link", _param("link", "probit"), "link"),
    ("isolation without link", _param("isolation", {"offset": 0, "scale": 1}), "isolation"),
    ("link vs task", _param("link", "identity"), "not valid for classification"),
    ("offsets start", _set("tree_offsets", 0, 1), "tree_offsets"),
    ("offsets order", lambda h, t: t[_t("tree_offsets")].__setitem__(1, t[_t("tree_offsets")][2]), "tree_offsets"),
    ("group", _set("tree_group", 0, 5), "output group 5"),
    ("feature range", _set("feature", 0, 99), "feature 99 outside"),
    ("threshold finite", _set("threshold", 0, np.inf), "non-finite"),
    ("leaf with children", lambda h, t: t[_t("left")].__setitem__(int(np.flatnonzero(t[_t("feature")] < 0)[0]), 1), "has children"),
    ("child before parent", lambda h, t: t[_t("left")].__setitem__(_first_inner(t), 0), "not after its parent"),
    ("child out of tree", lambda h, t: t[_t("right")].__setitem__(0, 10**6), "not after its parent"),
    ("two parents", lambda h, t: t[_t("right")].__setitem__(0, t[_t("left")][0]), "exactly one parent"),
    ("default_left value", _set("default_left", 0, 2), "default_left is not 0 or 1"),
    ("cover negative", _set("cover", 0, -1.0), "cover is negative"),
    ("cover above parent", lambda h, t: t[_t("cover")].__setitem__(int(t[_t("left")][0]), 2 * t[_t("cover")][0] + 1), "exceeds its parent's"),
    ("value finite", _set("value", 0, np.nan), "non-finite"),
    ("base finite", _set("base_score", 0, np.inf), "non-finite"),
    ("category set index", lambda h, t: t[_t("categorical")].__setitem__(int(np.argmax(t[_t("categorical")] >= 0)), 10**6), "category set"),
    ("category offsets", lambda h, t: t[_t("category_offsets")].__setitem__(-1, 10**6), "category_offsets"),
    ("leaf with set", lambda h, t: t[_t("categorical")].__setitem__(int(np.argmax(t[_t("feature")] < 0)), 0), "a leaf has a category set"),
    ("value width", lambda h, t: t.__setitem__(_t("value"), np.zeros((t[_t("value")].shape[0], 2))), "value"),
    ("default_left missing", lambda h, t: h["estimator"]["tensors"].pop("default_left") and t.pop(_t("default_left")), "default_left"),
    ("default_left extra", _param("missing", "error"), "default_left"),
    ("sets without bits", lambda h, t: h["estimator"]["tensors"].pop("category_bits") and t.pop(_t("category_bits")), "category_bits"),
]


@pytest.mark.parametrize("edit, message", [c[1:] for c in READER_CASES], ids=[c[0] for c in READER_CASES])
def test_reader_rejects(tree_artifact, edit, message):
    data = _broken(tree_artifact, edit)
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(data)
    assert ei.value.code == "format", str(ei.value)
    assert message in str(ei.value)


def test_reader_names_tree_and_node(tree_artifact):
    def edit(h, t):
        off = t[_t("tree_offsets")]
        f = t[_t("feature")]
        g = int(off[2] + np.flatnonzero(f[off[2] : off[3]] >= 0)[0])
        f[g] = 1000

    with pytest.raises(ferry.ArtifactError, match=r"tree 2, node \d+: feature 1000"):
        ferry.read(_broken(tree_artifact, edit))


def test_reader_depth_limit():
    """A chain deeper than 1024 levels is refused; 1024 is accepted."""
    for depth, ok in ((1024, True), (1025, False)):
        n = 2 * depth + 1
        feature = np.full(n, -1, dtype=np.int64)
        left = np.full(n, -1, dtype=np.int64)
        right = np.full(n, -1, dtype=np.int64)
        for d in range(depth):  # node 2d splits into leaf 2d+1 and node 2d+2
            feature[2 * d], left[2 * d], right[2 * d] = 0, 2 * d + 1, 2 * d + 2
        tree = te.Tree(feature, np.zeros(n), left, right, np.zeros((n, 1)), np.ones(n))
        header, tensors = _standalone(tree)
        data = build_file(header, tensors)
        if ok:
            ferry.read(data)
        else:
            with pytest.raises(ferry.ArtifactError, match="deeper than 1024"):
                ferry.read(data)


def _standalone(tree):
    n = tree.feature.shape[0]
    params = {
        "n_trees": 1, "leaf_width": 1, "aggregation": "sum", "comparison": "le_float64", "missing": "error",
        "accumulate": "float64", "link": "identity",
    }
    arrays = {
        "tree_offsets": np.array([0, n]), "tree_group": np.array([0]), "feature": tree.feature,
        "threshold": tree.threshold, "left": tree.left, "right": tree.right, "cover": tree.cover,
        "value": tree.value, "base_score": np.zeros(1),
    }
    header = {
        "metadata": {"name": "deep", "version": "1"},
        "schema": {"inputs": [{"name": "x", "kind": "numeric", "nullable": False, "range": None}],
                   "task": "regression", "n_outputs": 1},
        "pipeline": [],
        "estimator": {"type": "tree_ensemble", "n_features_in": 1, "n_features_out": 1, "params": params,
                      "tensors": {k: f"estimator.{k}" for k in arrays}},
    }
    return header, {f"estimator.{k}": np.asarray(v) for k, v in arrays.items()}


def test_exporter_refuses_too_deep_trees():
    n = 2 * 1025 + 1
    feature = np.full(n, -1, dtype=np.int64)
    left = np.full(n, -1, dtype=np.int64)
    right = np.full(n, -1, dtype=np.int64)
    for d in range(1025):
        feature[2 * d], left[2 * d], right[2 * d] = 0, 2 * d + 1, 2 * d + 2
    tree = te.Tree(feature, np.zeros(n), left, right, np.zeros((n, 1)), np.ones(n))
    with pytest.raises(ConversionError, match="deeper than 1024"):
        te.assemble([tree], [0], np.zeros(1), n_features=1, aggregation="sum", comparison="le_float64",
                    missing="error", accumulate="float64", link="identity", label="m")


def test_renumbering_keeps_predictions():
    """A trainer whose node numbers put a child before its parent (XGBoost reuses pruned
    slots) is renumbered in pre-order; decisions are unchanged."""
    # root 2 -> (leaf 0, node 1); node 1 -> (leaf 3, leaf 4)
    tree = te.Tree(
        feature=np.array([-1, 0, 0, -1, -1]), threshold=np.array([0, 5.0, 1.0, 0, 0]),
        left=np.array([-1, 3, 0, -1, -1]), right=np.array([-1, 4, 1, -1, -1]),
        value=np.array([[10.0], [0], [0], [30.0], [40.0]]), cover=np.ones(5),
    )
    # the format's root is node 0: put the trainer's root first by swapping slots 0 and 2
    swap = np.array([2, 1, 0, 3, 4])
    inv = np.argsort(swap)
    t2 = te.Tree(
        feature=tree.feature[swap], threshold=tree.threshold[swap],
        left=np.where(tree.left[swap] >= 0, inv[np.maximum(tree.left[swap], 0)], -1),
        right=np.where(tree.right[swap] >= 0, inv[np.maximum(tree.right[swap], 0)], -1),
        value=tree.value[swap], cover=tree.cover[swap],
    )
    params, tensors = te.assemble([t2], [0], np.zeros(1), n_features=1, aggregation="sum", comparison="le_float64",
                                  missing="error", accumulate="float64", link="identity", label="m")
    assert np.all(tensors["left"][tensors["feature"] >= 0] > np.flatnonzero(tensors["feature"] >= 0))
    step = {"params": params}
    got = te.raw_scores(step, tensors, np.array([[0.5], [3.0], [7.0]]))[:, 0]
    assert list(got) == [10.0, 30.0, 40.0]


# --------------------------------------------------------------------------- newer scikit-learn


def _tree_copy(tree_, **overrides):
    attrs = {
        k: getattr(tree_, k)
        for k in ("feature", "threshold", "children_left", "children_right", "value", "weighted_n_node_samples",
                  "n_node_samples", "node_count")
    }
    attrs.update(overrides)
    return types.SimpleNamespace(**attrs)


def test_tree_values_as_fractions_since_1_4():
    """scikit-learn >= 1.4 stores class fractions in tree_.value; predict_proba is unchanged."""
    X, y = _wine
    model = RandomForestClassifier(4, max_depth=4, random_state=0).fit(X, y)
    fake = types.SimpleNamespace(
        classes_=model.classes_, n_outputs_=1, n_features_in_=X.shape[1],
        estimators_=[
            types.SimpleNamespace(
                tree_=_tree_copy(e.tree_, value=e.tree_.value / e.tree_.value.sum(axis=2, keepdims=True))
            )
            for e in model.estimators_
        ],
    )
    conv = trees.convert_tree_classifier(fake, "m")
    got = te.tree_ensemble({"params": conv.params}, conv.tensors, X, "classification")
    assert rel_diff(got["predict_proba"], model.predict_proba(X)) <= 1e-12
    assert np.array_equal(got["predict"], np.argmax(model.predict_proba(X), axis=1))


def test_missing_go_to_left_since_1_3():
    """scikit-learn >= 1.3 trees that allow NaN route it by tree_.missing_go_to_left."""
    X, y = _diabetes
    model = DecisionTreeRegressor(max_depth=6, random_state=0).fit(X, y)
    t = model.tree_
    rng = np.random.default_rng(0)
    mgl = rng.integers(0, 2, t.node_count).astype(np.uint8)
    fake = types.SimpleNamespace(
        n_outputs_=1, n_features_in_=X.shape[1], tree_=_tree_copy(t, missing_go_to_left=mgl),
        _get_tags=lambda: {"allow_nan": True},
    )
    conv = trees.convert_tree_regressor(fake, "m")
    assert conv.params["missing"] == "default_left"
    rows = X[:40].copy()
    rows[rng.random(rows.shape) < 0.3] = np.nan

    def sklearn_1_3(row):  # _apply_dense of scikit-learn 1.3
        node = 0
        while t.children_left[node] >= 0:
            v = np.float32(row[t.feature[node]])
            if np.isnan(v):
                node = t.children_left[node] if mgl[node] else t.children_right[node]
            elif v <= t.threshold[node]:
                node = t.children_left[node]
            else:
                node = t.children_right[node]
        return node

    leaves = te.leaf_indices({"params": conv.params}, conv.tensors, rows)[:, 0]
    assert list(leaves) == [sklearn_1_3(r) for r in rows]
    # a tree that does not allow NaN keeps refusing it
    fake._get_tags = lambda: {"allow_nan": False}
    assert trees.convert_tree_regressor(fake, "m").params["missing"] == "error"
    # scikit-learn >= 1.6 says it with __sklearn_tags__
    del fake._get_tags
    for allow in (True, False):
        fake.__sklearn_tags__ = lambda allow=allow: types.SimpleNamespace(
            input_tags=types.SimpleNamespace(allow_nan=allow)
        )
        assert trees.convert_tree_regressor(fake, "m").params["missing"] == ("default_left" if allow else "error")


def _hgb_with_preprocessor(categories, masks=False):
    """A scikit-learn 1.2 HistGradientBoosting fitted on what 1.4's own _preprocessor
    gives (an OrdinalEncoder on the categorical columns, placed first), with that
    preprocessor attached, as 1.4 stores it."""
    from sklearn.compose import ColumnTransformer
    from sklearn.preprocessing import OrdinalEncoder

    rng = np.random.default_rng(0)
    n = 800
    raw_cat = rng.choice(np.asarray(categories, dtype=object), n)
    x = rng.normal(size=n)
    X_raw = np.empty((n, 2), dtype=object)
    X_raw[:, 0], X_raw[:, 1] = x, raw_cat
    is_cat = np.array([False, True])
    pre = ColumnTransformer(
        [
            ("encoder", OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=np.nan),
             is_cat if masks else [1]),
            ("numerical", "passthrough", ~is_cat if masks else [0]),
        ],
        sparse_threshold=0,
    )
    Xt = pre.fit_transform(X_raw).astype(np.float64)
    y = (np.isin(raw_cat, list(categories)[::2]) ^ (x > 0)).astype(int)
    model = HistGradientBoostingClassifier(max_iter=5, categorical_features=[0], random_state=0).fit(Xt, y)
    model._preprocessor = pre
    return model, pre, X_raw


@pytest.mark.parametrize("masks", [False, True])  # columns as indices or as boolean masks
def test_hgb_preprocessor_since_1_4_numeric_categories(masks):
    model, pre, X_raw = _hgb_with_preprocessor([3, 10, 42, 77], masks)
    conv = trees.convert_hist_gradient_boosting(model, "m")
    probes = np.array([[v, c] for v in (-1.0, 0.3, 2.0) for c in (3, 10, 42, 77, 5, 0, np.nan)], dtype=np.float64)
    got = te.tree_ensemble({"params": conv.params}, conv.tensors, probes, "classification")
    X_obj = probes.astype(object)
    want = model.decision_function(pre.transform(X_obj).astype(np.float64))
    assert np.array_equal(got["decision_function"][:, 0], want)


def test_hgb_preprocessor_since_1_4_string_categories_are_refused():
    model, _, _ = _hgb_with_preprocessor(["a", "b", "c"])
    reason = trees.check_hist_gradient_boosting(model)
    assert reason is not None and "non-numeric categories" in reason
    with pytest.raises(ConversionError, match="non-numeric categories"):
        trees.convert_hist_gradient_boosting(model, "m")


# --------------------------------------------------------------------------- nullable inputs


@pytest.mark.parametrize(
    "steps, nullable",
    [
        ([], True),
        ([("s", StandardScaler())], True),  # NaN-preserving: HistGradientBoosting still sees the NaN
        ([("p", PCA(3))], False),  # mixes columns: a NaN would spread
    ],
)
def test_inputs_are_nullable_when_the_trees_route_nan(steps, nullable, tmp_path):
    X, y = _diabetes
    X = X[:, :5]
    model = Pipeline(steps + [("hgb", HistGradientBoostingRegressor(max_iter=3))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert [i["nullable"] for i in art.schema["inputs"]] == [nullable] * 5
    if nullable:  # X_sample may then hold NaN, and the artifact reproduces scikit-learn on it
        X_nan = X.copy()
        X_nan[::7, 1] = np.nan
        art = ferry.export(model, tmp_path / "m.ferry", X_sample=X_nan)
        assert np.isnan(art.tensors["verification.input"]).any()
    else:
        with pytest.raises(ValueError, match="NaN"):
            ferry.export(model, tmp_path / "m.ferry", X_sample=np.where(np.eye(len(X), 5, dtype=bool), np.nan, X))


def test_xgboost_after_a_scaler_and_two_class_softprob(tmp_path):
    X, z, rng = _xgb_data()
    model = Pipeline([("s", StandardScaler()), ("xgb", xgb.XGBRegressor(n_estimators=5, max_depth=3))]).fit(X, z)
    art, got = export_and_run(model, X, X, tmp_path)
    assert all(i["nullable"] for i in art.schema["inputs"])
    assert np.allclose(got["predict"][:, 0], model.predict(X), rtol=1e-6, atol=0)

    two = xgb.train({"objective": "multi:softprob", "num_class": 2}, xgb.DMatrix(X, (z > 0).astype(int)), 2)
    with pytest.raises(UnsupportedModelError, match="fewer than 3 classes"):
        ferry.export(two, tmp_path / "m.ferry", X_sample=X)


def test_xgboost_leaf_indices_equal_pred_leaf():
    X, z, rng = _xgb_data()
    model = xgb.XGBClassifier(n_estimators=6, max_depth=4).fit(X, _xgb_target("multi", z, rng))
    booster = model.get_booster()
    X_test = np.vstack([X, threshold_rows(np.nan_to_num(X), *_xgb_thresholds(booster))])
    conv = estimator_converter(type(model)).convert(model, "m")
    leaves = te.leaf_indices({"params": conv.params}, conv.tensors, X_test)
    want = booster.predict(xgb.DMatrix(X_test), pred_leaf=True).reshape(len(X_test), -1)
    assert np.array_equal(leaves, want)


def test_xgboost_is_supported_only_as_the_final_estimator(tmp_path):
    model = Pipeline([("x", xgb.XGBRegressor()), ("r", LinearRegression())])
    with pytest.raises(UnsupportedModelError, match=r"steps\[0\]: XGBRegressor \(supported only as the final estimator\)"):
        ferry.export(model, tmp_path / "m.ferry")
