"""ferry.export: pipeline walking, conversion, metadata, schema, verification."""

from __future__ import annotations

import hashlib
import re
import warnings
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.kernel_approximation import RBFSampler
from sklearn.preprocessing import StandardScaler
from sklearn.decomposition import FastICA
from sklearn.semi_supervised import LabelSpreading

import ferry
from conftest import spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    return X, y


@pytest.fixture(scope="module")
def cancer():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:, :6], y


@pytest.fixture(scope="module")
def diabetes():
    return load_diabetes(return_X_y=True)


def export(tmp_path, model, fname="m.ferry", **kw):
    kw.setdefault("created", CREATED)
    path = tmp_path / fname
    art = ferry.export(model, path, **kw)
    again = ferry.read(path)
    assert again.header == art.header
    return art


def assert_matches_sklearn(art, model, X, *, tol=1e-12):
    """Evaluate the artifact's tensors with numpy (conftest, from the spec) and
    compare with scikit-learn on every row."""
    got = spec_evaluate(art.header, art.tensors, X)
    schema = art.header["schema"]
    if schema["task"] == "classification":
        proba = model.predict_proba(X)
        np.testing.assert_allclose(got["predict_proba"], proba, rtol=tol, atol=tol)
        dec = np.asarray(model.decision_function(X)).reshape(len(X), -1)
        np.testing.assert_allclose(got["decision_function"], dec, rtol=tol, atol=tol)
        labels = np.asarray(model.predict(X))
        values = schema["classes"]["values"]
        assert [values[i] for i in got["predict"]] == [v.item() if hasattr(v, "item") else v for v in labels]
    else:
        pred = np.asarray(model.predict(X), dtype=np.float64).reshape(len(X), -1)
        np.testing.assert_allclose(got["predict"], pred, rtol=tol, atol=tol)


# ----------------------------------------------------------------------------- linear links


@pytest.mark.parametrize(
    "kind, make, link, k",
    [
        ("binary auto", lambda: LogisticRegression(max_iter=1000), "logistic", 1),
        ("binary ovr", lambda: LogisticRegression(multi_class="ovr", max_iter=1000), "logistic", 1),
        ("binary multinomial", lambda: LogisticRegression(multi_class="multinomial", max_iter=1000), "softmax", 1),
        ("binary liblinear", lambda: LogisticRegression(solver="liblinear"), "logistic", 1),
    ],
)
def test_binary_links(tmp_path, cancer, kind, make, link, k):
    X, y = cancer
    model = Pipeline([("s", StandardScaler()), ("lr", make())]).fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    est = art.header["estimator"]
    assert est["params"]["link"] == link and est["n_features_out"] == k
    assert art.tensors["estimator.coef"].shape == (k, X.shape[1])
    assert art.header["schema"]["n_outputs"] == 2
    assert_matches_sklearn(art, model, X)


@pytest.mark.parametrize(
    "kind, make, link",
    [
        ("multi auto lbfgs", lambda: LogisticRegression(max_iter=1000), "softmax"),
        ("multi multinomial", lambda: LogisticRegression(multi_class="multinomial", max_iter=1000), "softmax"),
        ("multi ovr", lambda: LogisticRegression(multi_class="ovr", max_iter=1000), "ovr"),
        ("multi auto liblinear", lambda: LogisticRegression(solver="liblinear"), "ovr"),
        ("multi saga multinomial", lambda: LogisticRegression(solver="saga", max_iter=5000, tol=1e-6), "softmax"),
    ],
)
def test_multiclass_links(tmp_path, iris, kind, make, link):
    X, y = iris
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # saga may not fully converge; irrelevant for parity
        model = make().fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    est = art.header["estimator"]
    assert est["params"]["link"] == link and est["n_features_out"] == 3
    assert art.header["schema"]["n_outputs"] == 3
    assert_matches_sklearn(art, model, X)


def test_logistic_without_intercept(tmp_path, iris):
    X, y = iris
    model = LogisticRegression(fit_intercept=False, max_iter=1000).fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    np.testing.assert_array_equal(art.tensors["estimator.intercept"], np.zeros(3))
    assert_matches_sklearn(art, model, X)


# ----------------------------------------------------------------------------- regressors


def test_regressor_variants(tmp_path, diabetes):
    X, y = diabetes
    Y2 = np.column_stack([y, X[:, 2] * 100 + 3])
    cases = [
        (LinearRegression(), y, 1),
        (LinearRegression(fit_intercept=False), y, 1),
        (LinearRegression(), Y2, 2),
        (LinearRegression(fit_intercept=False), Y2, 2),
        (Ridge(alpha=0.3), y, 1),
        (Ridge(alpha=0.3), y[:, None], 1),  # coef_ (1, n), intercept_ (1,)
        (Ridge(alpha=0.3), Y2, 2),
        (Ridge(alpha=0.3, fit_intercept=False), Y2, 2),  # intercept_ is the scalar 0.0
        (Ridge(alpha=0.3, solver="lsqr"), y, 1),
    ]
    for i, (est, target, k) in enumerate(cases):
        model = Pipeline([("s", StandardScaler()), ("r", est)]).fit(X, target)
        art = export(tmp_path, model, fname=f"r{i}.ferry", X_sample=X)
        h = art.header
        assert h["schema"]["task"] == "regression" and h["schema"]["classes"] is None
        assert h["schema"]["n_outputs"] == k and h["estimator"]["n_features_out"] == k
        assert h["estimator"]["params"] == {"link": "identity"}
        assert art.tensors["estimator.coef"].shape == (k, X.shape[1])
        assert art.tensors["estimator.intercept"].shape == (k,)
        if not est.fit_intercept:
            assert np.all(art.tensors["estimator.intercept"] == 0.0)
        assert art.tensors["verification.predict"].shape == (16, k)
        assert "predict_proba" not in h["verification"]["outputs"]
        assert_matches_sklearn(art, model, X)


# ----------------------------------------------------------------------------- scalers


@pytest.mark.parametrize("with_mean, with_std", [(True, True), (False, True), (True, False), (False, False)])
def test_standard_scaler_flags(tmp_path, diabetes, with_mean, with_std):
    X, y = diabetes
    X = X.copy()
    X[:, 3] = 2.5  # a constant column: scikit-learn stores scale 1.0
    model = Pipeline([("s", StandardScaler(with_mean=with_mean, with_std=with_std)), ("r", Ridge())]).fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    step = art.header["pipeline"][0]
    assert step["type"] == "standard_scaler"
    assert step["params"] == {"with_mean": with_mean, "with_std": with_std}
    assert ("mean" in step["tensors"]) == with_mean
    assert ("scale" in step["tensors"]) == with_std
    if with_std:
        assert art.tensors["steps.0.scale"][3] == 1.0
    if with_mean:
        np.testing.assert_array_equal(art.tensors["steps.0.mean"], model[0].mean_)
    assert art.header["metadata"]["training"]["n_rows"] == len(X)
    assert_matches_sklearn(art, model, X)


def test_two_scalers_and_passthrough(tmp_path, diabetes):
    X, y = diabetes
    model = Pipeline([
        ("a", StandardScaler()),
        ("skip", "passthrough"),
        ("none", None),
        ("inner", Pipeline([("b", StandardScaler(with_mean=False)), ("p", "passthrough")])),
        ("r", Ridge()),
    ]).fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    h = art.header
    assert [s["name"] for s in h["pipeline"]] == ["steps[0]: StandardScaler", "steps[3].steps[0]: StandardScaler"]
    assert h["estimator"]["name"] == "steps[4]: Ridge"
    assert h["pipeline"][1]["tensors"] == {"scale": "steps.1.scale"}
    assert sorted(art.tensors) == sorted([
        "steps.0.mean", "steps.0.scale", "steps.1.scale", "estimator.coef", "estimator.intercept",
        "verification.input", "verification.predict", "explain.background_mean",
        "explain.background", "explain.background_weights",
    ])
    assert all(re.fullmatch(r"[A-Za-z0-9._-]{1,128}", n) for n in art.tensors)
    assert_matches_sklearn(art, model, X)


def test_bare_estimator_and_names(tmp_path, iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    art = export(tmp_path, model)
    assert art.header["pipeline"] == []
    assert art.header["estimator"]["name"] == "LogisticRegression"
    assert art.header["metadata"]["name"] == "logisticregression"
    art = export(tmp_path, model, name="flowers", version="2.1.0", description="d")
    md = art.header["metadata"]
    assert (md["name"], md["version"], md["description"]) == ("flowers", "2.1.0", "d")


# ----------------------------------------------------------------------------- unsupported / unfitted


def test_unsupported_lists_every_bad_step_with_paths(iris):
    X, y = iris
    model = Pipeline([
        ("s", StandardScaler()),
        ("q", RBFSampler(n_components=20, random_state=0)),
        ("inner", Pipeline([("a", StandardScaler()), ("proj", FastICA(n_components=2, whiten="unit-variance", random_state=0))])),
        ("clf", LogisticRegression(max_iter=1000)),
    ]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(model, "/nonexistent/never-written.ferry")
    e = ei.value
    assert isinstance(e, ValueError)
    assert e.unsupported == ["steps[1]: RBFSampler", "steps[2].steps[1]: FastICA"]
    msg = str(e)
    assert "steps[1]: RBFSampler" in msg and "steps[2].steps[1]: FastICA" in msg
    assert "docs/supported.md" in msg
    assert "StandardScaler" not in msg and "LogisticRegression" not in msg


def test_unsupported_is_reported_before_fitting_and_for_bare_estimators():
    with pytest.raises(ferry.UnsupportedModelError, match=r"steps\[0\]: RBFSampler"):
        ferry.export(Pipeline([("q", RBFSampler()), ("r", Ridge())]), "/nonexistent/x.ferry")
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(LabelSpreading().fit(X, y), "/nonexistent/x.ferry")
    assert ei.value.unsupported == ["LabelSpreading"]


def test_position_matters():
    X, y = load_diabetes(return_X_y=True)
    model = Pipeline([("r0", Ridge()), ("s", StandardScaler())])
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(model, "/nonexistent/x.ferry")
    assert ei.value.unsupported == [
        "steps[0]: Ridge (supported only as the final estimator)",
        "steps[1]: StandardScaler (a pipeline must end with an estimator)",
    ]
    with pytest.raises(ferry.UnsupportedModelError):
        ferry.export(Pipeline([("s", StandardScaler()), ("p", "passthrough")]).fit(X), "/nonexistent/x.ferry")
    with pytest.raises(ferry.UnsupportedModelError):
        ferry.export(Pipeline([("a", "passthrough"), ("b", None)]), "/nonexistent/x.ferry")


def test_exact_class_checks(tmp_path, diabetes):
    X, y = diabetes

    class MyScaler(StandardScaler):
        pass

    class MyPipeline(Pipeline):
        pass

    class MyRidge(Ridge):
        pass

    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(Pipeline([("s", MyScaler()), ("r", MyRidge())]).fit(X, y), tmp_path / "x.ferry")
    assert ei.value.unsupported == ["steps[0]: MyScaler", "steps[1]: MyRidge"]
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(MyPipeline([("r", Ridge())]).fit(X, y), tmp_path / "x.ferry")
    assert ei.value.unsupported == ["MyPipeline"]
    ct = ColumnTransformer([("s", MyScaler(), [0, 1])])
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(Pipeline([("ct", ct), ("r", Ridge())]).fit(X, y), tmp_path / "x.ferry")
    assert ei.value.unsupported == ["steps[0].transformers['s']: MyScaler"]
    assert not (tmp_path / "x.ferry").exists()


def test_mixed_label_types_are_refused(tmp_path, iris):
    X, y = iris
    model = Pipeline([("s", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))]).fit(X, y)
    model[-1].classes_ = np.array([0, "one", 2], dtype=object)
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(model, tmp_path / "x.ferry")
    assert len(ei.value.unsupported) == 1
    assert ei.value.unsupported[0].startswith("steps[1]: LogisticRegression (class labels mix types")


def test_unfitted_is_a_clear_error(tmp_path):
    with pytest.raises(NotFittedError, match=r"steps\[1\]: Ridge"):
        ferry.export(Pipeline([("s", StandardScaler()), ("r", Ridge())]), tmp_path / "x.ferry")
    with pytest.raises(NotFittedError, match="LogisticRegression"):
        ferry.export(LogisticRegression(), tmp_path / "x.ferry")


# ----------------------------------------------------------------------------- schema


def test_feature_names_from_dataframe_and_default(tmp_path):
    data = load_wine(as_frame=True)
    X, y = data.data, data.target
    model = Pipeline([("s", StandardScaler()), ("lr", LogisticRegression(max_iter=2000))]).fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    assert [i["name"] for i in art.header["schema"]["inputs"]] == list(X.columns)
    assert_matches_sklearn(art, model, X)
    model2 = Pipeline([("s", StandardScaler()), ("lr", LogisticRegression(max_iter=2000))]).fit(X.to_numpy(), y)
    art2 = export(tmp_path, model2, fname="b.ferry", X_sample=X)  # a DataFrame sample for an ndarray model is fine
    assert [i["name"] for i in art2.header["schema"]["inputs"]] == [f"x{i}" for i in range(13)]
    # same numbers, so the same tensors
    for k in ("steps.0.mean", "steps.0.scale", "verification.input"):
        np.testing.assert_array_equal(art.tensors[k], art2.tensors[k])


def test_inputs_ranges_and_training(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    X = X[:50]
    y = y[:50]
    model = Pipeline([("s", StandardScaler()), ("r", Ridge())]).fit(X, y)
    art = export(tmp_path, model, X_sample=X)
    inputs = art.header["schema"]["inputs"]
    for j, inp in enumerate(inputs):
        assert inp["kind"] == "numeric" and inp["nullable"] is False
        assert inp["range"] == [X[:, j].min(), X[:, j].max()]
    tr = art.header["metadata"]["training"]
    assert tr == {
        "n_rows": 50,
        "sample_rows": 50,
        "sample_sha256": hashlib.sha256(np.ascontiguousarray(X, dtype="<f8").tobytes()).hexdigest(),
    }
    assert art.header["schema"]["target"] is None
    art = export(tmp_path, model)
    assert all(i["range"] is None for i in art.header["schema"]["inputs"])
    assert art.header["metadata"]["training"] == {"n_rows": 50, "sample_rows": 0, "sample_sha256": None}
    assert "verification" not in art.header
    assert not any(n.startswith("verification") for n in art.tensors)


def test_n_rows_unknown_without_scaler(tmp_path, iris):
    X, y = iris
    art = export(tmp_path, LogisticRegression(max_iter=1000).fit(X, y), X_sample=X[:10])
    assert art.header["metadata"]["training"]["n_rows"] is None
    assert art.header["metadata"]["training"]["sample_rows"] == 10


def test_x_sample_checks(tmp_path):
    data = load_wine(as_frame=True)
    X, y = data.data, data.target
    model = LogisticRegression(max_iter=5000).fit(X, y)
    with pytest.raises(ValueError, match="column names"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=X.rename(columns={"alcohol": "ALCOHOL"}))
    with pytest.raises(ValueError, match="column names"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=X[list(reversed(X.columns))])
    with pytest.raises(ValueError, match="12 columns"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=X.iloc[:, :12])
    with pytest.raises(ValueError, match="14 columns"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=np.zeros((3, 14)))
    with pytest.raises(ValueError, match="NaN"):
        bad = X.to_numpy().copy()
        bad[2, 2] = np.nan
        ferry.export(model, tmp_path / "x.ferry", X_sample=bad)
    with pytest.raises(ValueError, match="no rows"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=X.iloc[:0])
    with pytest.raises(ValueError, match="2-D"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=np.zeros(13))
    with pytest.raises(ValueError, match="numeric"):
        ferry.export(model, tmp_path / "x.ferry", X_sample=X.assign(alcohol="a lot"))
    assert not (tmp_path / "x.ferry").exists()
    # an ndarray sample for a DataFrame model: width is all that can be checked
    art = export(tmp_path, model, X_sample=X.to_numpy())
    assert [i["name"] for i in art.header["schema"]["inputs"]] == list(X.columns)


# ----------------------------------------------------------------------------- labels


@pytest.mark.parametrize(
    "labels, dtype, values",
    [
        (np.array([3, 7], dtype=np.int32), "int64", [3, 7]),
        (np.array([-5, 2**40], dtype=np.int64), "int64", [-5, 2**40]),
        (np.array([1, 9], dtype=np.uint8), "int64", [1, 9]),
        (np.array(["no", "yes"]), "str", ["no", "yes"]),
        (np.array(["b,ad", 'q"uote'], dtype=object), "str", ["b,ad", 'q"uote']),
        (np.array([False, True]), "bool", [False, True]),
        (np.array([-1.0, 2.0]), "float64", [-1.0, 2.0]),
        (np.array([0.0, 1.0], dtype=np.float32), "float64", [0.0, 1.0]),
    ],
)
def test_label_types(tmp_path, cancer, labels, dtype, values):
    X, y = cancer
    target = labels[y]
    model = Pipeline([("s", StandardScaler()), ("lr", LogisticRegression(max_iter=1000))]).fit(X, target)
    art = export(tmp_path, model, X_sample=X)
    classes = art.header["schema"]["classes"]
    assert classes["dtype"] == dtype
    assert classes["values"] == values
    py_type = {"int64": int, "str": str, "bool": bool, "float64": float}[dtype]
    assert all(type(v) is py_type for v in classes["values"])
    pred = art.tensors["verification.predict"]
    assert pred.dtype == np.int64 and pred.ndim == 1
    rows = art.tensors["verification.input"]
    assert [values[i] for i in pred] == [v.item() if hasattr(v, "item") else v for v in model.predict(rows)]
    assert_matches_sklearn(art, model, X)


def test_multiclass_string_labels(tmp_path, iris):
    X, y = iris
    names = np.array(["setosa", "versicolor", "virginica"], dtype=object)
    model = LogisticRegression(max_iter=1000).fit(X, names[y])
    art = export(tmp_path, model, X_sample=X)
    assert art.header["schema"]["classes"] == {"dtype": "str", "values": list(names)}
    assert_matches_sklearn(art, model, X)


# ----------------------------------------------------------------------------- verification


@pytest.mark.parametrize("n", [1, 2, 5, 16, 17, 100, 569])
def test_verification_rows(tmp_path, n):
    X, y = load_breast_cancer(return_X_y=True)
    X, y = X[:, :4], y
    model = Pipeline([("s", StandardScaler()), ("lr", LogisticRegression())]).fit(X, y)
    art = export(tmp_path, model, X_sample=X[:n])
    idx = np.unique(np.linspace(0, n - 1, min(16, n)).round().astype(int))
    ver = art.header["verification"]
    assert ver["rows"] == len(idx) and ver["rtol"] == 1e-9 and ver["atol"] == 1e-10
    assert ver["input"] == "verification.input"
    assert ver["outputs"] == {
        "predict": "verification.predict",
        "predict_proba": "verification.predict_proba",
        "decision_function": "verification.decision_function",
    }
    rows = X[:n][idx]
    np.testing.assert_array_equal(art.tensors["verification.input"], rows)
    np.testing.assert_array_equal(art.tensors["verification.predict_proba"], model.predict_proba(rows))
    np.testing.assert_array_equal(art.tensors["verification.decision_function"],
                                  model.decision_function(rows).reshape(-1, 1))
    np.testing.assert_array_equal(art.tensors["verification.predict"], model.predict(rows).astype(np.int64))
    assert art.tensors["verification.decision_function"].shape == (len(idx), 1)


def test_compressed_export(tmp_path, iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    a = export(tmp_path, model, fname="a.ferry", X_sample=X)
    b = export(tmp_path, model, fname="b.ferry", X_sample=X, compress=True)
    assert all(e["compression"] == "zlib" for e in b.tensor_table.values())
    assert "tensors" not in b.header
    for k in a.tensors:
        np.testing.assert_array_equal(a.tensors[k], b.tensors[k])


# ----------------------------------------------------------------------------- determinism and created


def _fit_pipeline():
    X, y = load_breast_cancer(return_X_y=True, as_frame=True)
    return Pipeline([("s", StandardScaler()), ("lr", LogisticRegression(max_iter=5000))]).fit(X, y), X


def test_two_exports_are_byte_identical(tmp_path, monkeypatch):
    # The default export: no created= and no SOURCE_DATE_EPOCH, so nothing time-dependent may
    # slip in (a clock reading would make these differ whenever a second boundary passes
    # between the exports; the sleep makes sure one does).
    import time

    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    model, X = _fit_pipeline()
    a = ferry.export(model, tmp_path / "a.ferry", X_sample=X)
    time.sleep(1.1)
    ferry.export(model, tmp_path / "b.ferry", X_sample=X)
    model2, _ = _fit_pipeline()  # refitted from scratch
    ferry.export(model2, tmp_path / "c.ferry", X_sample=X)
    assert "created" not in a.header["metadata"]
    assert ferry.read(tmp_path / "a.ferry").header == a.header  # the reader takes it without
    data = (tmp_path / "a.ferry").read_bytes()
    assert data == (tmp_path / "b.ferry").read_bytes() == (tmp_path / "c.ferry").read_bytes()
    # With a fixed created= the files are identical too, and differ from the default only there.
    ferry.export(model, tmp_path / "d.ferry", X_sample=X, created=CREATED)
    ferry.export(model2, tmp_path / "e.ferry", X_sample=X, created=CREATED)
    assert (tmp_path / "d.ferry").read_bytes() == (tmp_path / "e.ferry").read_bytes() != data
    d = ferry.read(tmp_path / "d.ferry").header
    d["metadata"].pop("created")
    assert d == a.header


def test_source_date_epoch(tmp_path, monkeypatch, iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")
    a = ferry.export(model, tmp_path / "a.ferry", X_sample=X)
    assert a.header["metadata"]["created"] == "2026-01-01T00:00:00Z"
    ferry.export(model, tmp_path / "b.ferry", X_sample=X, created=CREATED)
    assert (tmp_path / "a.ferry").read_bytes() == (tmp_path / "b.ferry").read_bytes()
    # an explicit argument wins over the environment
    c = ferry.export(model, tmp_path / "c.ferry", created="2030-05-06T07:08:09Z")
    assert c.header["metadata"]["created"] == "2030-05-06T07:08:09Z"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "not a number")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH"):
        ferry.export(model, tmp_path / "d.ferry")
    # empty counts as unset (as in reproducible-builds.org's convention of "set and non-empty")
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "")
    assert "created" not in ferry.export(model, tmp_path / "d.ferry").header["metadata"]
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    assert "created" not in ferry.export(model, tmp_path / "d.ferry").header["metadata"]


def test_created_argument_forms(tmp_path, iris):
    X, y = iris
    model = LogisticRegression(max_iter=1000).fit(X, y)
    cet = timezone(timedelta(hours=1))
    for created, expected in [
        (datetime(2026, 1, 1, 1, 0, 0, 999999, tzinfo=cet), "2026-01-01T00:00:00Z"),
        (datetime(2026, 3, 4, 5, 6, 7), "2026-03-04T05:06:07Z"),  # naive = UTC
        ("1999-12-31T23:59:59Z", "1999-12-31T23:59:59Z"),
    ]:
        art = ferry.export(model, tmp_path / "x.ferry", created=created)
        assert art.header["metadata"]["created"] == expected
    for bad in ("2026-01-01", "2026-01-01T00:00:00+01:00", "2026-13-01T00:00:00Z", 1767225600):
        with pytest.raises((ValueError, TypeError)):
            ferry.export(model, tmp_path / "x.ferry", created=bad)


def test_producer_metadata(tmp_path, iris):
    import platform

    import sklearn

    X, y = iris
    art = export(tmp_path, LogisticRegression(max_iter=1000).fit(X, y))
    assert art.header["metadata"]["producer"] == {
        "ferry": ferry.__version__,
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }
    assert ferry.__version__ == "0.1.0"


def test_public_api():
    for name in ("export", "read", "write", "Artifact", "UnsupportedModelError", "ArtifactError", "__version__"):
        assert hasattr(ferry, name)
    assert issubclass(ferry.UnsupportedModelError, ValueError)
    assert issubclass(ferry.ArtifactError, ValueError)
