"""ColumnTransformer and FeatureUnion (column_transformer, docs/format.md 4.20)."""

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer, make_column_selector
from sklearn.datasets import load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Ridge
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.preprocessing import MinMaxScaler, PolynomialFeatures, StandardScaler

import ferry
from ferry.exporter import evaluate
from ferry.format import ArtifactError, dumps, loads


@pytest.fixture
def frame():
    X, y = load_diabetes(return_X_y=True, as_frame=True)
    return X.iloc[:80].copy(), y.iloc[:80]


def _transform(art, X):
    from ferry.exporter import _decode, run_steps

    return np.asarray(run_steps(art.pipeline, _decode(art, X), art.tensors), dtype=np.float64)


@pytest.mark.parametrize(
    "columns",
    [["bmi", "bp"], [2, 3], np.array([False, False, True, True] + [False] * 6), make_column_selector(pattern="^b")],
    ids=["names", "indices", "mask", "selector"],
)
@pytest.mark.parametrize("remainder", ["drop", "passthrough", MinMaxScaler()], ids=["drop", "passthrough", "est"])
@pytest.mark.parametrize("verbose", [True, False])
def test_every_column_spec_and_remainder(tmp_path, frame, columns, remainder, verbose):
    X, y = frame
    ct = ColumnTransformer([("s", StandardScaler(), columns)], remainder=remainder, verbose_feature_names_out=verbose)
    model = Pipeline([("ct", ct), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    step = art.pipeline[0]
    assert step["type"] == "column_transformer"
    assert step["feature_names_out"] == list(ct.get_feature_names_out())
    assert step["params"]["transformers"][0]["columns"] == [2, 3]
    np.testing.assert_array_equal(_transform(art, X.to_numpy()), ct.transform(X))


def test_weights_nested_pipelines_and_feature_union(tmp_path, frame):
    X, y = frame
    ct = ColumnTransformer(
        [("a", make_pipeline(SimpleImputer(), StandardScaler()), ["age", "sex"]), ("p", PolynomialFeatures(2), [4])],
        transformer_weights={"p": 3.0},
    )
    union = FeatureUnion([("ct", ct), ("raw", "passthrough"), ("gone", "drop")], transformer_weights={"raw": 0.5})
    model = Pipeline([("u", union), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    outer = art.pipeline[0]["params"]["transformers"]
    assert [b["name"] for b in outer] == ["ct", "raw"] and outer[1]["weight"] == 0.5
    # a fitted FeatureUnion holds an identity FunctionTransformer for "passthrough"
    assert [(s["type"], s["params"]) for s in outer[1]["steps"]] == [("function_transformer", {"func": "identity"})]
    inner = outer[0]["steps"][0]["params"]["transformers"]
    assert [b["weight"] for b in inner] == [None, 3.0]
    assert [s["type"] for s in inner[0]["steps"]] == ["simple_imputer", "standard_scaler"]
    np.testing.assert_allclose(_transform(art, X.to_numpy()), union.transform(X), rtol=1e-15, atol=0)
    # age and sex are imputed in one branch but passed through raw in another, where a NaN would
    # reach Ridge: not nullable.
    assert not any(i["nullable"] for i in art.schema["inputs"])
    np.testing.assert_allclose(evaluate(art, X.to_numpy())["predict"][:, 0], model.predict(X), rtol=1e-12)


def test_unsupported_inside_is_named_with_its_path(tmp_path, frame):
    from sklearn.kernel_approximation import Nystroem  # (VarianceThreshold is supported now)

    X, y = frame
    ct = ColumnTransformer([("ok", StandardScaler(), [0]), ("bad", make_pipeline(Nystroem(n_components=2)), [1, 2])])
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(Pipeline([("ct", ct), ("r", Ridge())]).fit(X, y), tmp_path / "m.ferry")
    assert ei.value.unsupported == ["steps[0].transformers['bad'].steps[0]: Nystroem"]


def _exported(tmp_path, frame):
    X, y = frame
    ct = ColumnTransformer([("s", StandardScaler(), [0, 1]), ("m", MinMaxScaler(), [2])])
    model = Pipeline([("ct", ct), ("r", Ridge())]).fit(X, y)
    return ferry.export(model, tmp_path / "m.ferry", X_sample=X)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda p: p["transformers"][0].update(columns=[0, 10]), r"columns\[1\] is not a column index below 10"),
        (lambda p: p["transformers"][0].update(columns=[]), "columns is missing, empty"),
        (lambda p: p["transformers"][1].update(weight="2"), "weight is not null or a finite number"),
        (lambda p: p.update(transformers=p["transformers"][:1]), "its transformers give 2 columns but n_features_out is 3"),
        (lambda p: p["transformers"][0]["steps"][0].update(n_features_in=3), "n_features_in 3 != 2 columns"),
    ],
    ids=["column", "empty", "weight", "width", "nested"],
)
def test_reader_rejects_broken_transformers(tmp_path, frame, edit, message):
    art = _exported(tmp_path, frame)
    header = copy.deepcopy(art.header)
    edit(header["pipeline"][0]["params"])
    with pytest.raises(ArtifactError, match=message):
        loads(dumps(header, art.tensors))
