"""OneHotEncoder, OrdinalEncoder and SimpleImputer on text: converters, numpy kernels against
scikit-learn's own transform (strings, numbers, NaN/None, unseen and infrequent categories,
single rows), the exporter's refusals, and the reader's rules (docs/format.md 4.15, 4.18, 4.19)."""

from __future__ import annotations

import itertools
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.decomposition import TruncatedSVD
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, OneHotEncoder, OrdinalEncoder, PolynomialFeatures, StandardScaler

import ferry
from ferry.converters import KERNELS, PREPROCESSORS, ConversionError
from conftest import build_file, convert_and_run, minimal_header

WORDS = np.array(["red", "green", "blue", "", "Grün", "a,b", "zz"], dtype=object)


def _text(seed=0, n=80, missing=np.nan):
    """Two text columns (skewed frequencies so some categories are infrequent), missing values
    in both, and test rows with unseen strings, empty strings and missing values everywhere."""
    rng = np.random.default_rng(seed)
    p = np.array([0.3, 0.25, 0.2, 0.1, 0.08, 0.05, 0.02])
    X = np.column_stack([WORDS[rng.choice(7, n, p=p)], WORDS[rng.choice(7, n, p=p[::-1])]])
    X[rng.random(n) < 0.1, 0] = missing
    X[rng.random(n) < 0.15, 1] = missing
    test = np.array([["red", "zz"], ["purple", "red"], [missing, missing], ["", "nope"], ["zz", ""],
                     ["RED", missing], ["a,b", "Grün"]], dtype=object)
    return X, np.vstack([X[:10], test])


def _numbers(seed=0, n=80):
    rng = np.random.default_rng(seed)
    X = rng.choice([0.0, 1.0, 2.0, 3.5, -4.0, 10.0], size=(n, 3), p=[0.3, 0.3, 0.2, 0.1, 0.06, 0.04])
    X[rng.random(n) < 0.1, 1] = np.nan
    test = np.array([[0.0, 1.0, 2.0], [7.0, np.nan, -0.0], [np.nan, 3.5, 1e300], [2.5, -4.0, 10.0]])
    return X, np.vstack([X[:10], test])


def _dense(Z):
    return np.asarray(Z.toarray() if hasattr(Z, "toarray") else Z, dtype=np.float64)


def _same_as_sklearn(est, X, test):
    """The kernel's output equals scikit-learn's transform, or both refuse the rows."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        est = clone(est).fit(X)
        try:
            want = _dense(est.transform(test))
        except ValueError as e:
            assert "unknown categor" in str(e)
            want = None
    if want is None:
        with pytest.raises(ValueError, match="unknown category"):
            convert_and_run(est, test)
        return None
    step, Z = convert_and_run(est, test)
    assert Z.dtype == np.float64 and Z.shape == want.shape == (len(test), step.n_features_out)
    np.testing.assert_array_equal(Z, want)  # copies and comparisons only: exact
    return step


ONE_HOT = [
    dict(handle_unknown=h, drop=d, min_frequency=f, max_categories=m)
    for h, d, f, m in itertools.product(["error", "ignore", "infrequent_if_exist"], [None, "first", "if_binary"],
                                        [None, 6, 0.1], [None, 3])
]


@pytest.mark.parametrize("kw", ONE_HOT, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items() if v is not None))
@pytest.mark.parametrize("data", ["text_nan", "text_none", "numbers"])
def test_one_hot_kernel_is_scikit_learns_transform(kw, data):
    X, test = {"text_nan": lambda: _text(), "text_none": lambda: _text(missing=None), "numbers": _numbers}[data]()
    est = OneHotEncoder(sparse_output=False, **kw)
    _same_as_sklearn(est, X, test)
    _same_as_sklearn(est, X, test[-3:-2])  # a single row
    _same_as_sklearn(est, X, X)  # the training rows: never unknown


@pytest.mark.parametrize("drop", [["green", np.nan], ["", "zz"], [np.nan, "red"]], ids=repr)
@pytest.mark.parametrize("handle_unknown", ["error", "ignore", "infrequent_if_exist"])
def test_one_hot_explicit_drop(drop, handle_unknown):
    X, test = _text()
    est = OneHotEncoder(sparse_output=False, drop=drop, handle_unknown=handle_unknown,
                        min_frequency=None if handle_unknown == "error" else 3)
    try:
        clone(est).fit(X)
    except ValueError as e:  # dropping an infrequent category
        assert "infrequent" in str(e)
        return
    _same_as_sklearn(est, X, test)


def test_one_hot_fitted_on_a_single_row():
    X, test = _text()
    _same_as_sklearn(OneHotEncoder(sparse_output=False, handle_unknown="ignore"), X[1:2], test)
    with pytest.raises(ConversionError, match="every category is dropped"):
        convert_and_run(OneHotEncoder(sparse_output=False, drop="first").fit(X[1:2]), test)


def test_one_hot_unseen_missing_value_is_unknown():
    X, _ = _numbers()
    X = X[~np.isnan(X).any(axis=1)]
    est = OneHotEncoder(sparse_output=False).fit(X)
    with pytest.raises(ValueError, match=r"unknown category nan in column 1 at row 0"):
        convert_and_run(est, np.array([[0.0, np.nan, 1.0]]))


def test_one_hot_infrequent_outputs():
    X, test = _text()
    est = OneHotEncoder(sparse_output=False, handle_unknown="infrequent_if_exist", max_categories=4).fit(X)
    step = _same_as_sklearn(est, X, test)
    assert list(step.tensors["unknown"]) == [3, 3]  # the infrequent column of each block
    assert step.params["handle_unknown"] == "infrequent_if_exist"
    assert step.params["categories"] == [[str(c) for c in cats if isinstance(c, str)] for cats in est.categories_]
    assert step.params["missing"] == ["nan", "nan"]
    assert "numeric_categories" not in step.tensors


ORDINAL = [
    dict(),
    dict(handle_unknown="use_encoded_value", unknown_value=-1),
    dict(handle_unknown="use_encoded_value", unknown_value=np.nan, encoded_missing_value=-7),
    dict(handle_unknown="use_encoded_value", unknown_value=99, encoded_missing_value=50),
    dict(encoded_missing_value=-1),
]


@pytest.mark.parametrize("kw", ORDINAL, ids=repr)
@pytest.mark.parametrize("data", ["text_nan", "text_none", "numbers"])
def test_ordinal_kernel_is_scikit_learns_transform(kw, data):
    X, test = {"text_nan": lambda: _text(), "text_none": lambda: _text(missing=None), "numbers": _numbers}[data]()
    est = OrdinalEncoder(**kw)
    _same_as_sklearn(est, X, test)
    _same_as_sklearn(est, X, test[-1:])


def test_ordinal_none_category_is_encoded_like_a_category():
    # scikit-learn replaces only a NaN category by encoded_missing_value; None keeps its index.
    X, test = _text(missing=None)
    est = OrdinalEncoder(encoded_missing_value=-1, handle_unknown="use_encoded_value", unknown_value=-5).fit(X)
    step = _same_as_sklearn(est, X, test)
    assert step.params["missing"] == ["none", "none"]
    assert step.params["encoded_missing_value"] == -1 and step.params["unknown_value"] == -5


def test_numeric_categories_tensor():
    X, test = _numbers()
    step = _same_as_sklearn(OrdinalEncoder(handle_unknown="use_encoded_value", unknown_value=-1), X, test)
    fitted = OrdinalEncoder().fit(X).categories_
    assert step.params["categories"] == [int(np.sum(~np.isnan(c))) for c in fitted]
    assert step.params["missing"] == [None, "nan", None]
    cats = step.tensors["numeric_categories"]
    assert cats.dtype == np.float64 and np.all(np.isfinite(cats))


def test_integer_and_bool_categories():
    X = np.array([[1, True], [5, False], [1, True], [-3, True]], dtype=object)
    Xi = X[:, :1].astype(np.int64)
    _same_as_sklearn(OneHotEncoder(sparse_output=False, handle_unknown="ignore"), Xi, np.array([[1], [2], [-3]]))
    _same_as_sklearn(OrdinalEncoder(), X[:, 1:].astype(bool), np.array([[True], [False]]))


# ----------------------------------------------------------------- refusals


def test_converters_refuse_what_they_cannot_represent():
    X, _ = _text()
    both = X.copy()
    both[0, 0], both[1, 0] = None, np.nan
    with pytest.raises(ConversionError, match="both None and NaN"):
        convert_and_run(OneHotEncoder(sparse_output=False).fit(both), X[:2])
    mixed = np.array([["a"], [1]], dtype=object)
    with pytest.raises((ConversionError, TypeError)):
        convert_and_run(OrdinalEncoder().fit(mixed), mixed)
    with pytest.raises(ConversionError, match="dtype=float32 is not supported"):
        convert_and_run(OneHotEncoder(sparse_output=False, dtype=np.float32).fit(X), X[:2])
    big = np.array([[2**60], [1]], dtype=np.int64)
    with pytest.raises(ConversionError, match="not exact in float64"):
        convert_and_run(OrdinalEncoder().fit(big), big)
    assert PREPROCESSORS[OneHotEncoder].check(OneHotEncoder(dtype=np.float32)) is not None
    assert PREPROCESSORS[OrdinalEncoder].check(OrdinalEncoder(dtype=np.int64)) is None


def _regression_data():
    X, _ = _numbers()
    X = np.nan_to_num(X, nan=1.0)
    return X, X @ np.array([1.0, -2.0, 0.5])


@pytest.mark.parametrize("after, ok", [
    ([Ridge()], True),
    ([MaxAbsScaler(), Ridge()], True),
    ([StandardScaler(with_mean=False), Ridge()], True),
    ([TruncatedSVD(n_components=2), Ridge()], True),
    ([PolynomialFeatures(2), Ridge()], False),
])
def test_sparse_output_only_before_steps_that_agree_on_dense(tmp_path, after, ok):
    X, y = _regression_data()
    steps = [("onehot", OneHotEncoder(handle_unknown="ignore"))] + [(f"s{i}", s) for i, s in enumerate(after)]
    model = Pipeline(steps).fit(X, y)
    if ok:
        art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
        assert art.pipeline[0]["type"] == "one_hot_encoder"
    else:
        with pytest.raises(ferry.UnsupportedModelError, match=f"sparse output is followed by {type(after[0]).__name__}"):
            ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_feature_names_follow_scikit_learn(tmp_path):
    X, y = _regression_data()
    model = Pipeline([("onehot", OneHotEncoder(sparse_output=False, handle_unknown="infrequent_if_exist",
                                               min_frequency=10, drop="if_binary")),
                      ("reg", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    names = art.pipeline[0]["feature_names_out"]
    assert names == [str(n) for n in model[0].get_feature_names_out()]
    assert any(n.endswith("_infrequent_sklearn") for n in names)


# ----------------------------------------------------------------- SimpleImputer on text

TEXT_IMPUTERS = [
    SimpleImputer(strategy="most_frequent"),
    SimpleImputer(strategy="most_frequent", add_indicator=True),
    SimpleImputer(strategy="constant", fill_value="missing"),
    SimpleImputer(strategy="constant", add_indicator=True),  # fill_value "missing_value"
    SimpleImputer(strategy="constant", fill_value=""),
]


@pytest.mark.parametrize("est", TEXT_IMPUTERS, ids=repr)
@pytest.mark.parametrize("missing", [np.nan, None], ids=["nan", "none"])
def test_text_imputer_kernel_is_scikit_learns_transform(est, missing):
    X, test = _text(missing=missing)
    est = clone(est).set_params(missing_values=missing).fit(X)
    step, Z = convert_and_run(est, test)
    want = est.transform(test)
    assert Z.shape == want.shape == (len(test), step.n_features_out)
    assert Z.tolist() == want.tolist()
    assert step.params["text_fill"] == [str(v) for v in est.statistics_]
    assert np.all(step.tensors["statistics"] == 0.0)


def test_text_imputer_with_numeric_column_and_all_missing_column():
    X, test = _text()
    X = np.column_stack([X, np.where(np.arange(len(X)) % 3 == 0, np.nan, 2.0).astype(object),
                         np.full(len(X), np.nan, dtype=object)])
    test = np.column_stack([test, np.full(len(test), np.nan, dtype=object), np.full(len(test), "x", dtype=object)])
    est = SimpleImputer(strategy="most_frequent", add_indicator=True).fit(X)
    step, Z = convert_and_run(est, test)
    assert step.params["text_fill"][:2] == [str(v) for v in est.statistics_[:2]]
    assert step.params["text_fill"][2:] == [None, None] and list(step.tensors["keep"]) == [1, 1, 1, 0]
    assert Z.tolist() == est.transform(test).tolist()


def test_text_imputer_then_encoder_matches_the_pipeline():
    X, test = _text()
    pipe = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),
                     ("onehot", OneHotEncoder(sparse_output=False, handle_unknown="ignore"))]).fit(X)
    Z = test
    for est in pipe:
        step, Z = convert_and_run(est, Z)
    np.testing.assert_array_equal(Z, pipe.transform(test))


def test_text_imputer_refuses_other_missing_values():
    X = np.array([["a"], ["?"], ["a"]], dtype=object)
    est = SimpleImputer(strategy="most_frequent", missing_values="?").fit(X)
    with pytest.raises(ConversionError, match="missing_values='\\?' is not supported; ferry imputes only NaN"):
        convert_and_run(est, X)


# ----------------------------------------------------------------- the reader's rules


def _file(step_type, params, tensors, kinds=("categorical", "numeric"), n_out=None):
    n = len(kinds)
    n_out = n if n_out is None else n_out
    header, all_tensors = minimal_header(n=n, with_scaler=False)
    header["estimator"]["n_features_in"] = n_out
    all_tensors["estimator.coef"] = np.ones((1, n_out))
    for inp, kind in zip(header["schema"]["inputs"], kinds):
        inp["nullable"] = True
        if kind == "categorical":
            inp.update(kind="categorical", categories=["a", "b"], range=None)
    refs = {}
    for role, arr in tensors.items():
        all_tensors[f"steps.0.{role}"] = np.asarray(
            arr, dtype=np.float64 if role in ("statistics", "numeric_categories") else np.int64)
        refs[role] = f"steps.0.{role}"
    header["pipeline"] = [{
        "type": step_type, "name": "steps[0]: X", "n_features_in": n, "n_features_out": n_out,
        "params": params, "tensors": refs, "feature_names_out": [f"y{i}" for i in range(n_out)],
    }]
    return header, all_tensors


OH = {"categories": [["a", "b", ""], 2], "missing": ["nan", None], "handle_unknown": "infrequent_if_exist"}
OH_T = {"numeric_categories": [1.0, 2.5], "outputs": [0, 1, 1, -1, 0, 0], "unknown": [1, -1]}
OR = {"categories": [["a", "b"], 2], "missing": [None, "nan"], "handle_unknown": "use_encoded_value",
      "unknown_value": None, "encoded_missing_value": -2}
OR_T = {"numeric_categories": [1.0, 2.5]}


def _read_error(header, tensors):
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors))
    return ei.value


def test_valid_encoder_steps_read_and_run():
    art = ferry.read(build_file(*_file("one_hot_encoder", OH, OH_T, n_out=3)))
    step = art.pipeline[0]
    t = {r: art.tensors[n] for r, n in step["tensors"].items()}
    X = np.array([["a", 1.0], ["", 2.5], [np.nan, 3.0], ["zzz", np.nan]], dtype=object)
    np.testing.assert_array_equal(KERNELS["one_hot_encoder"](step, t, X),
                                  [[1, 0, 1], [0, 1, 1], [0, 0, 0], [0, 1, 0]])
    art = ferry.read(build_file(*_file("ordinal_encoder", OR, OR_T)))
    step = art.pipeline[0]
    t = {r: art.tensors[n] for r, n in step["tensors"].items()}
    np.testing.assert_array_equal(KERNELS["ordinal_encoder"](step, t, X),
                                  [[0, 0], [np.nan, 1], [np.nan, np.nan], [np.nan, -2]])


BAD = [
    ("one_hot_encoder", {**OH, "handle_unknown": "skip"}, OH_T, 3, "params.handle_unknown 'skip' is not one of"),
    ("one_hot_encoder", {**OH, "categories": [["a", "b", ""]]}, OH_T, 3,
     "params.categories is missing or not an array of n_features_in entries"),
    ("one_hot_encoder", {**OH, "missing": ["NaN", None]}, OH_T, 3, "params.missing[0] is not null"),
    ("one_hot_encoder", {**OH, "categories": [["a", "a", ""], 2]}, OH_T, 3, "params.categories[0] repeats a category"),
    ("one_hot_encoder", {**OH, "categories": [["a", 1, ""], 2]}, OH_T, 3, "holds a value that is not a string"),
    ("one_hot_encoder", {**OH, "categories": [3, 2]}, OH_T, 3,
     "params.categories[0] holds numeric categories but input column 0 is text"),
    ("one_hot_encoder", {**OH, "categories": [["a", "b", ""], ["x", "y"]]}, OH_T, 3,
     "params.categories[1] holds text categories but input column 1 is numeric"),
    ("one_hot_encoder", {**OH, "categories": [["a", "b", ""], -1]}, OH_T, 3, "neither an array of strings"),
    ("one_hot_encoder", {**OH, "categories": [[], 2], "missing": [None, None]}, OH_T, 3, "column 0 has no category"),
    ("one_hot_encoder", OH, {**OH_T, "numeric_categories": [2.5, 1.0]}, 3,
     "'numeric_categories' is not strictly increasing in column 1"),
    ("one_hot_encoder", OH, {**OH_T, "numeric_categories": [1.0, np.inf]}, 3,
     "tensor 'numeric_categories' has a non-finite value"),
    ("one_hot_encoder", OH, {k: v for k, v in OH_T.items() if k != "numeric_categories"}, 3,
     "missing tensor 'numeric_categories'"),
    ("one_hot_encoder", OH, {**OH_T, "outputs": [0, 1, 1, -1, 0]}, 3,
     "tensor 'outputs' ('steps.0.outputs') is int64 [5], expected int64 [6]"),
    ("one_hot_encoder", OH, {**OH_T, "outputs": [0, 1, 1, -2, 0, 0]}, 3, "has a value below -1 in column 0"),
    ("one_hot_encoder", OH, {**OH_T, "outputs": [0, 2, 2, -1, 0, 0]}, 4,
     "column 0: output column 1 is the output of no category"),
    ("one_hot_encoder", OH, OH_T, 4, "the categories give 3 output columns, n_features_out is 4"),
    ("one_hot_encoder", OH, {**OH_T, "outputs": [0, 1, 1, -1, 0, 5]}, 3, "column 1 outputs more columns"),
    ("one_hot_encoder", {**OH, "handle_unknown": "ignore"}, OH_T, 3,
     "tensor 'unknown' must be -1 at [0] with handle_unknown 'ignore'"),
    ("ordinal_encoder", {**OR, "handle_unknown": "ignore"}, OR_T, 2, "params.handle_unknown 'ignore' is not one of"),
    ("ordinal_encoder", {k: v for k, v in OR.items() if k != "unknown_value"}, OR_T, 2,
     "params.unknown_value is missing"),
    ("ordinal_encoder", {**OR, "encoded_missing_value": "x"}, OR_T, 2,
     "params.encoded_missing_value is not a finite number or null"),
    ("ordinal_encoder", {**OR, "handle_unknown": "error", "unknown_value": -1}, OR_T, 2,
     "params.unknown_value must be null with handle_unknown 'error'"),
    ("ordinal_encoder", OR, OR_T, 3, "n_features_out 3 != n_features_in 2"),
    ("ordinal_encoder", {**OR, "categories": [["a", "b"], ["c"]]}, OR_T, 2,
     "tensor 'numeric_categories' present although no column has numeric categories"),
    ("simple_imputer", {"strategy": "most_frequent", "add_indicator": False},
     {"keep": [1, 1], "statistics": [0.0, 1.0]}, 2, "input column 0 holds text but params.text_fill[0] gives no"),
    ("simple_imputer", {"strategy": "most_frequent", "add_indicator": False, "text_fill": ["a", "b"]},
     {"keep": [1, 1], "statistics": [0.0, 1.0]}, 2, "params.text_fill[1] is a string but input column 1 is numeric"),
    ("simple_imputer", {"strategy": "most_frequent", "add_indicator": False, "text_fill": [1, None]},
     {"keep": [1, 1], "statistics": [0.0, 1.0]}, 2, "params.text_fill[0] is not a string or null"),
    ("simple_imputer", {"strategy": "most_frequent", "add_indicator": False, "text_fill": ["a"]},
     {"keep": [1, 1], "statistics": [0.0, 1.0]}, 2, "params.text_fill is not an array of n_features_in entries"),
    ("standard_scaler", {"with_mean": False, "with_std": True}, {"scale": [1.0, 2.0]}, 2,
     "input column 0 holds text, which this step cannot take"),
]


@pytest.mark.parametrize("step_type, params, tensors, n_out, message", BAD, ids=[f"{b[0]}-{b[4][:40]}" for b in BAD])
def test_reader_rejects(step_type, params, tensors, n_out, message):
    kinds = ("categorical", "categorical") if "present although" in message else ("categorical", "numeric")
    header, all_tensors = _file(step_type, params, tensors, kinds=kinds, n_out=n_out)
    if step_type == "standard_scaler":
        all_tensors["steps.0.scale"] = np.array([1.0, 2.0])
    e = _read_error(header, all_tensors)
    assert e.code == "format"
    assert e.message.startswith("pipeline[0] (steps[0]: X): ")
    assert message in e.message


def test_text_stays_text_through_the_imputer():
    imputer = {"strategy": "constant", "add_indicator": True, "text_fill": ["z", None]}
    header, tensors = _file("simple_imputer", imputer, {"keep": [1, 1], "statistics": [0.0, 1.0],
                                                        "indicator_features": [0]}, n_out=3)
    # The imputer's first output is a copy of text column 0: the estimator cannot take it.
    with pytest.raises(ferry.ArtifactError, match="estimator: input column 0 holds text"):
        ferry.read(build_file(header, tensors))
    # An ordinal encoder after the imputer takes it as text.
    header["pipeline"].append({
        "type": "ordinal_encoder", "name": "steps[1]: OrdinalEncoder", "n_features_in": 3, "n_features_out": 3,
        "params": {"categories": [["a", "b", "z"], 1, 2], "missing": [None, "nan", None], "handle_unknown": "error",
                   "unknown_value": None, "encoded_missing_value": -1},
        "tensors": {"numeric_categories": "steps.1.numeric_categories"},
        "feature_names_out": ["a", "b", "c"],
    })
    tensors["steps.1.numeric_categories"] = np.array([1.0, 0.0, 1.0])
    art = ferry.read(build_file(header, tensors))
    X = np.array([["b", np.nan], [np.nan, 1.0]], dtype=object)
    for step in art.pipeline:
        X = KERNELS[step["type"]](step, {r: art.tensors[n] for r, n in step["tensors"].items()}, X)
    np.testing.assert_array_equal(X, [[1.0, 0.0, 0.0], [2.0, 0.0, 1.0]])


def test_imputer_that_left_the_other_missing_marker_is_refused(tmp_path):
    import pandas as pd

    X, _ = _text(missing=None)
    X = pd.DataFrame(X[:, :2], columns=["a", "b"])
    y = np.arange(len(X)) % 2
    model = Pipeline([("impute", SimpleImputer(strategy="most_frequent")),  # NaN only: None stays
                      ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
                      ("clf", LogisticRegression())]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match="column 'a': it left None values unimputed at fit"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    model.set_params(impute__missing_values=None).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert art.pipeline[0]["params"]["text_fill"] is not None


@pytest.mark.skipif(not __import__("ferry.runtime").runtime.native_available(), reason="the native module is not built")
def test_sparse_one_hot_output_stays_sparse_for_the_linear_model(tmp_path):
    """A OneHotEncoder with sparse output straight before a linear model: the ones reach it as a
    sparse row and are summed in scipy's order, so decision_function is bit-identical on x86-64
    (where scipy's loop does not fuse multiply-adds), within 1e-13 elsewhere."""
    import platform

    import pandas as pd


    rng = np.random.default_rng(2)
    X = pd.DataFrame({c: rng.choice([f"{c}{k}" for k in range(9)], 400) for c in "abcdef"})
    y = rng.integers(0, 3, 400)
    model = make_pipeline(OneHotEncoder(handle_unknown="ignore"), LogisticRegression(max_iter=3000)).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert art.pipeline[0]["params"]["sparse_output"] is True
    m = ferry.Model.load(tmp_path / "m.ferry", verify=True)
    test = X.copy()
    test.iloc[::7, 2] = "never seen"
    got, want = np.asarray(m.decision_function(test)), model.decision_function(test)
    if platform.machine() in ("x86_64", "AMD64"):
        np.testing.assert_array_equal(got, want)
    else:
        assert np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) <= 1e-13
