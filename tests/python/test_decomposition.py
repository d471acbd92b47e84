"""PolynomialFeatures, PCA, TruncatedSVD, FunctionTransformer: converters, numpy kernels, reader checks.

Step types ``polynomial_features``, ``linear_projection`` and ``function_transformer``
(docs/format.md section 4).
"""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from sklearn.datasets import load_diabetes, load_iris, load_wine
from sklearn.decomposition import PCA, TruncatedSVD
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, PolynomialFeatures, StandardScaler

import ferry
from ferry import format as fmt
from ferry.converters import KERNELS, ConversionError, function, polynomial
from conftest import spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def diabetes():
    X, y = load_diabetes(return_X_y=True)
    return X[:120, :5], y[:120]


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X, y


def export(model, path, X):
    return ferry.export(model, path, X_sample=X, created=CREATED)


def run_kernels(art, X):
    Z = np.asarray(X, dtype=np.float64)
    for step in art.pipeline:
        Z = KERNELS[step["type"]](step, {r: art.tensors[n] for r, n in step["tensors"].items()}, Z)
    return Z


def far(X, factor):
    return np.vstack([X, X.max(axis=0) * factor, X.min(axis=0) * factor])


# ----------------------------------------------------------------------------- kernels vs scikit-learn

POLY_OPTIONS = [
    dict(degree=2),
    dict(degree=3, include_bias=False),
    dict(degree=2, interaction_only=True, include_bias=False),
    dict(degree=(2, 3)),
    dict(degree=(2, 3), include_bias=False),
    dict(degree=(0, 2), include_bias=False),
    dict(degree=(1, 1)),
    dict(degree=1, include_bias=False),
    dict(degree=(3, 3), interaction_only=True),
    dict(degree=(2, 7), interaction_only=True),  # max degree above the 5 columns
    dict(degree=0),  # the bias column only
    dict(degree=4, order="F"),
]


@pytest.mark.parametrize("options", POLY_OPTIONS, ids=[str(o) for o in POLY_OPTIONS])
def test_polynomial_kernel_is_bit_identical(tmp_path, diabetes, options):
    X, y = diabetes
    model = Pipeline([("poly", PolynomialFeatures(**options)), ("reg", Ridge(alpha=1.0))]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[0]
    assert step["type"] == "polynomial_features"
    poly = model[0]
    assert step["params"] == {
        "min_degree": poly._min_degree, "max_degree": poly._max_degree,
        "interaction_only": poly.interaction_only, "include_bias": poly.include_bias,
    }
    np.testing.assert_array_equal(art.tensors["steps.0.powers"], poly.powers_)
    assert art.tensors["steps.0.powers"].dtype == np.int64
    assert step["feature_names_out"] == list(poly.get_feature_names_out([f"x{i}" for i in range(5)]))
    Xt = far(X, 30.0)
    np.testing.assert_array_equal(run_kernels(art, Xt), poly.transform(Xt))
    np.testing.assert_array_equal(spec_evaluate(art.header, art.tensors, Xt)["predict"],
                                  run_kernels(art, Xt) @ art.tensors["estimator.coef"].T
                                  + art.tensors["estimator.intercept"])


@pytest.mark.parametrize("whiten", [False, True])
@pytest.mark.parametrize("solver", ["full", "arpack", "randomized"])
def test_pca_kernel_matches(tmp_path, wine, whiten, solver):
    X, y = wine
    model = Pipeline([
        ("s", StandardScaler()),
        ("pca", PCA(n_components=4, whiten=whiten, svd_solver=solver, random_state=0)),
        ("clf", LogisticRegression(max_iter=5000)),
    ]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[1]
    assert step["type"] == "linear_projection"
    assert step["params"] == {"with_mean": True, "with_scale": whiten}
    assert ("scale" in step["tensors"]) == whiten
    assert step["feature_names_out"] == ["pca0", "pca1", "pca2", "pca3"]
    Xt = far(X, 3.0)
    got, want = run_kernels(art, Xt), model[:-1].transform(Xt)
    np.testing.assert_array_equal(got, want)  # the same numpy operations
    spec = spec_evaluate(art.header, art.tensors, Xt)
    np.testing.assert_allclose(spec["decision_function"], model.decision_function(Xt), rtol=1e-12, atol=1e-12)


def test_pca_whiten_scale_is_the_square_root_of_the_variance(tmp_path, wine):
    X, y = wine
    model = Pipeline([("pca", PCA(n_components=3, whiten=True)), ("clf", LogisticRegression(max_iter=5000))])
    model.fit(StandardScaler().fit_transform(X), y)
    art = export(model, tmp_path / "m.ferry", StandardScaler().fit_transform(X))
    np.testing.assert_array_equal(art.tensors["steps.0.scale"], np.sqrt(model[0].explained_variance_))
    np.testing.assert_array_equal(art.tensors["steps.0.mean"], model[0].mean_)
    np.testing.assert_array_equal(art.tensors["steps.0.components"], model[0].components_)


@pytest.mark.parametrize("algorithm", ["randomized", "arpack"])
def test_truncated_svd_kernel_matches(tmp_path, diabetes, algorithm):
    X, y = diabetes
    model = Pipeline([("svd", TruncatedSVD(n_components=3, algorithm=algorithm, random_state=0)),
                      ("reg", Ridge())]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[0]
    assert step["params"] == {"with_mean": False, "with_scale": False}
    assert set(step["tensors"]) == {"components"}
    assert step["feature_names_out"] == ["truncatedsvd0", "truncatedsvd1", "truncatedsvd2"]
    Xt = far(X, 10.0)
    want = model[0].transform(Xt)
    # Two matrix products of other shapes: the BLAS (OpenBLAS by CPU) picks each summation order.
    np.testing.assert_allclose(run_kernels(art, Xt), want, rtol=0, atol=1e-13 * np.abs(want).max())


FUNCS = [np.log, np.log1p, np.exp, np.expm1, np.sqrt, np.abs, np.absolute, np.square, None]


@pytest.mark.parametrize("func", FUNCS, ids=[getattr(f, "__name__", "None") for f in FUNCS])
@pytest.mark.parametrize("validate", [False, True])
def test_function_kernel_matches(tmp_path, wine, func, validate):
    X, y = wine
    X = X[:, :4]
    if func is np.exp:
        X = X / 10.0
    model = Pipeline([("f", FunctionTransformer(func, validate=validate, inverse_func=np.sin,
                                                           check_inverse=False)),
                      ("s", StandardScaler()), ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[0]
    assert step["type"] == "function_transformer"
    assert step["params"] == {"func": function.func_name(func)}
    assert step["tensors"] == {}
    Xt = far(X, 2.0)
    got, want = run_kernels(art, Xt), model[:-1].transform(Xt)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=0)


def test_function_feature_names(tmp_path, wine):
    X, y = wine
    import pandas as pd

    df = pd.DataFrame(X[:, :3], columns=["a", "b", "c"])
    for names_out, expected in [("one-to-one", ["a", "b", "c"]),
                                (lambda self, names: [f"log1p({n})" for n in names], ["log1p(a)", "log1p(b)", "log1p(c)"]),
                                (None, ["a", "b", "c"])]:
        model = Pipeline([("f", FunctionTransformer(np.log1p, feature_names_out=names_out)),
                          ("clf", LogisticRegression(max_iter=5000))]).fit(df, y)
        art = ferry.export(model, tmp_path / "m.ferry", X_sample=df, created=CREATED)
        assert art.pipeline[0]["feature_names_out"] == expected


def test_function_kernel_refuses_out_of_domain_values():
    step = {"type": "function_transformer", "params": {"func": "log"}}
    X = np.array([[1.0, 2.0], [3.0, -4.0]])
    with pytest.raises(ValueError, match=r"row 1, column 1: log\(-4.0\) is nan"):
        function.function_transformer(step, {}, X)
    with pytest.raises(ValueError, match=r"row 0, column 0: log\(0.0\) is -inf"):
        function.function_transformer(step, {}, np.zeros((1, 1)))
    with pytest.raises(ValueError, match=r"exp\(800.0\) is inf"):
        function.function_transformer({"params": {"func": "exp"}}, {}, np.array([[800.0]]))
    # Values that are already NaN or infinite go through as numpy gives them.
    out = function.function_transformer(step, {}, np.array([[np.nan, np.inf]]))
    assert np.isnan(out[0, 0]) and out[0, 1] == np.inf


# ----------------------------------------------------------------------------- refusals at export


@pytest.mark.parametrize("func, shown", [
    (lambda x: np.log(x + 1), "<lambda>"),
    (functools.partial(np.power, 2), "functools.partial"),
    (np.sin, "numpy.sin"),
    (np.log10, "numpy.log10"),
    (np.cbrt, "numpy.cbrt"),
    (np.reciprocal, "numpy.reciprocal"),
])
def test_function_transformer_refuses_other_callables(tmp_path, wine, func, shown):
    X, y = wine
    ft = FunctionTransformer(func)
    model = Pipeline([("f", ft), ("clf", LogisticRegression(max_iter=5000))])
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(model, tmp_path / "m.ferry")
    (problem,) = ei.value.unsupported
    assert problem.startswith("steps[0]: FunctionTransformer (func=")
    assert shown in problem and "is not supported" in problem
    assert "numpy's log, log1p, exp, expm1, sqrt, abs" in problem
    assert not (tmp_path / "m.ferry").exists()
    with pytest.raises(ConversionError, match="steps\\[0\\]: FunctionTransformer: func="):
        function.convert_function_transformer(ft, "steps[0]: FunctionTransformer")


def test_function_transformer_refuses_kw_args(tmp_path, wine):
    X, y = wine
    model = Pipeline([("f", FunctionTransformer(np.log1p, kw_args={"dtype": np.float32})),
                      ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match=r"kw_args=\{'dtype'.*is not supported"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    # Empty kw_args change nothing and are accepted.
    model = Pipeline([("f", FunctionTransformer(np.log1p, kw_args={})),
                      ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    assert ferry.export(model, tmp_path / "ok.ferry", X_sample=X).pipeline[0]["params"] == {"func": "log1p"}


def test_polynomial_degree_above_the_limit_is_refused(tmp_path):
    X = np.linspace(0.1, 1.0, 30).reshape(-1, 1)
    y = X[:, 0]
    model = Pipeline([("p", PolynomialFeatures(65)), ("r", Ridge())]).fit(X, y)
    with pytest.raises(ConversionError, match="degree 65 is above the largest degree ferry supports \\(64\\)"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    model = Pipeline([("p", PolynomialFeatures((64, 64))), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
    assert art.tensors["steps.0.powers"].tolist() == [[0], [64]]


def test_pca_whiten_with_zero_variance_is_refused(tmp_path, wine):
    X, y = wine
    model = Pipeline([("pca", PCA(n_components=3, whiten=True)), ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    model[0].explained_variance_ = model[0].explained_variance_.copy()
    model[0].explained_variance_[2] = 0.0
    with pytest.raises(ConversionError, match=r"whiten=True with a zero or non-finite explained_variance_ \(component 2\)"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X)


def test_subclasses_are_not_exported(tmp_path, diabetes):
    class MyPCA(PCA):
        pass

    X, y = diabetes
    with pytest.raises(ferry.UnsupportedModelError, match=r"steps\[0\]: MyPCA"):
        ferry.export(Pipeline([("p", MyPCA(2)), ("r", Ridge())]).fit(X, y), tmp_path / "m.ferry")


def test_powers_for_matches_scikit_learn():
    for n in (1, 2, 4):
        for lo, hi in [(0, 0), (0, 3), (2, 3), (3, 5)]:
            for io in (False, True):
                for bias in (False, True):
                    if hi == 0 and not bias:
                        continue
                    est = PolynomialFeatures((lo, hi), interaction_only=io, include_bias=bias).fit(np.ones((2, n)))
                    got = polynomial.powers_for(n, lo, hi, io, bias)
                    if est.n_output_features_ == 0:  # no term at all: scikit-learn's powers_ fails
                        assert got.shape == (0, n)
                        continue
                    np.testing.assert_array_equal(got, est.powers_.reshape(-1, n))


# ----------------------------------------------------------------------------- reader


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """One valid artifact per step type: (header, tensors)."""
    X, y = load_iris(return_X_y=True)
    d = tmp_path_factory.mktemp("decomp")
    out = {}
    models = {
        "poly": Pipeline([("p", PolynomialFeatures((2, 3))), ("clf", LogisticRegression(max_iter=5000))]),
        "pca": Pipeline([("p", PCA(3, whiten=True)), ("clf", LogisticRegression(max_iter=5000))]),
        "svd": Pipeline([("p", TruncatedSVD(2, random_state=0)), ("clf", LogisticRegression(max_iter=5000))]),
        "func": Pipeline([("p", FunctionTransformer(np.sqrt)), ("clf", LogisticRegression(max_iter=5000))]),
    }
    for name, model in models.items():
        model.fit(X, y)
        art = ferry.export(model, d / f"{name}.ferry", X_sample=X, created=CREATED)
        out[name] = (art.header, art.tensors)
    return out


def reread(header, tensors):
    return ferry.read(fmt.dumps(header, tensors, validate=False))


def refused(shipped, name, edit, code="format"):
    header, tensors = copy.deepcopy(shipped[name])
    edit(header["pipeline"][0], tensors)
    with pytest.raises(ferry.ArtifactError) as ei:
        reread(header, tensors)
    assert ei.value.code == code
    return ei.value.message


def test_reader_accepts_the_exports(shipped):
    for name, (header, tensors) in shipped.items():
        art = reread(header, tensors)
        assert art.pipeline[0]["type"] in fmt.PREPROCESSING_TYPES


def _set(key, value):
    def edit(step, tensors):
        if value is KeyError:
            del step["params"][key]
        else:
            step["params"][key] = value
    return edit


@pytest.mark.parametrize("key, value, message", [
    ("min_degree", 4, "must satisfy 0 <= min_degree <= max_degree <= 64"),
    ("min_degree", -1, "must satisfy 0 <= min_degree"),
    ("max_degree", 65, "must satisfy 0 <= min_degree <= max_degree <= 64"),
    ("max_degree", 3.0, "params.max_degree is missing or not an integer"),
    ("min_degree", KeyError, "params.min_degree is missing or not an integer"),
    ("interaction_only", 1, "params.interaction_only is missing or not a boolean"),
    ("include_bias", KeyError, "params.include_bias is missing or not a boolean"),
    ("interaction_only", True, "tensor 'powers' row 1 is not scikit-learn's term [0, 1]"),
    ("include_bias", False, "tensor 'powers' row 0 is not scikit-learn's term [0, 0]"),
    ("max_degree", 2, "n_features_out = 31 but the degrees give only 11 terms"),
    ("max_degree", 4, "n_features_out = 31 but the degrees give more terms"),
])
def test_reader_polynomial_params(shipped, key, value, message):
    assert message in refused(shipped, "poly", _set(key, value))


def test_reader_polynomial_zero_degree_without_bias(shipped):
    def edit(step, tensors):
        step["params"].update(min_degree=0, max_degree=0, include_bias=False)
    assert "max_degree = 0 without include_bias leaves no output column" in refused(shipped, "poly", edit)


def test_reader_polynomial_powers_tensor(shipped):
    def as_float(step, tensors):
        tensors["steps.0.powers"] = tensors["steps.0.powers"].astype(np.float64)
    assert "tensor 'powers' ('steps.0.powers') is float64" in refused(shipped, "poly", as_float)

    def swapped(step, tensors):
        p = tensors["steps.0.powers"].copy()
        p[[2, 3]] = p[[3, 2]]
        tensors["steps.0.powers"] = p
    assert "row 2 is not scikit-learn's term" in refused(shipped, "poly", swapped)

    def transposed(step, tensors):
        tensors["steps.0.powers"] = np.ascontiguousarray(tensors["steps.0.powers"].T)
    assert "expected int64 [31, 4]" in refused(shipped, "poly", transposed)

    def missing(step, tensors):
        del step["tensors"]["powers"]
        del tensors["steps.0.powers"]
    assert "missing tensor 'powers'" in refused(shipped, "poly", missing)


def test_reader_linear_projection(shipped):
    def zero_scale(step, tensors):
        s = tensors["steps.0.scale"].copy()
        s[1] = 0.0
        tensors["steps.0.scale"] = s
    assert "tensor 'scale' has a value that is not finite and positive" in refused(shipped, "pca", zero_scale)

    def negative_scale(step, tensors):
        tensors["steps.0.scale"] = -tensors["steps.0.scale"]
    assert "not finite and positive" in refused(shipped, "pca", negative_scale)

    assert "tensor 'scale' present although params.with_scale is false" in refused(
        shipped, "pca", _set("with_scale", False))
    assert "tensor 'mean' present although params.with_mean is false" in refused(
        shipped, "pca", _set("with_mean", False))
    assert "missing tensor 'mean'" in refused(shipped, "svd", _set("with_mean", True))
    assert "params.with_scale is missing or not a boolean" in refused(shipped, "svd", _set("with_scale", KeyError))
    assert "params.with_mean is missing or not a boolean" in refused(shipped, "svd", _set("with_mean", "no"))

    def nan_component(step, tensors):
        c = tensors["steps.0.components"].copy()
        c[1, 2] = np.nan
        tensors["steps.0.components"] = c
    assert "tensor 'components' has a non-finite value" in refused(shipped, "svd", nan_component)

    def wrong_shape(step, tensors):
        tensors["steps.0.components"] = np.ascontiguousarray(tensors["steps.0.components"].T)
    assert "expected float64 [2, 4]" in refused(shipped, "svd", wrong_shape)

    def inf_mean(step, tensors):
        m = tensors["steps.0.mean"].copy()
        m[0] = np.inf
        tensors["steps.0.mean"] = m
    assert "tensor 'mean' has a non-finite value" in refused(shipped, "pca", inf_mean)


def test_reader_function_transformer(shipped):
    for bad in ("cbrt", "numpy.sqrt", 3, None):
        assert "params.func" in refused(shipped, "func", _set("func", bad))
    assert "is not one of identity, log, log1p, exp, expm1, sqrt, abs, square" in refused(
        shipped, "func", _set("func", "sin"))

    def wider(step, tensors):
        step["n_features_out"] = 5
        step["feature_names_out"] = step["feature_names_out"] + ["x4"]
    assert "n_features_out 5 != n_features_in 4" in refused(shipped, "func", wider)

    def stray(step, tensors):
        step["tensors"]["extra"] = "nowhere"
    assert "tensor 'extra' names a tensor that does not exist" in refused(shipped, "func", stray)


def test_reader_unknown_step_type_is_unsupported(shipped):
    def edit(step, tensors):
        step["type"] = "fast_ica"
    assert "unknown step type 'fast_ica'" in refused(shipped, "svd", edit, code="unsupported")


# ----------------------------------------------------------------------------- IncrementalPCA, random projections


@pytest.mark.parametrize("whiten", [False, True])
def test_incremental_pca_is_pca_linear_projection(tmp_path, wine, whiten):
    from sklearn.decomposition import IncrementalPCA

    X, y = wine
    model = Pipeline([("s", StandardScaler()), ("ipca", IncrementalPCA(4, whiten=whiten, batch_size=50)),
                      ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[1]
    assert step["type"] == "linear_projection" and step["params"] == {"with_mean": True, "with_scale": whiten}
    assert step["feature_names_out"] == [f"incrementalpca{j}" for j in range(4)]
    Xt = far(X, 3.0)
    np.testing.assert_array_equal(run_kernels(art, Xt), model[:-1].transform(Xt))
    np.testing.assert_allclose(spec_evaluate(art.header, art.tensors, Xt)["decision_function"],
                               model.decision_function(Xt), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dense_output", [False, True])
@pytest.mark.parametrize("kind", ["gaussian", "sparse"])
def test_random_projections(tmp_path, diabetes, kind, dense_output):
    from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

    X, y = diabetes
    proj = (GaussianRandomProjection(3, random_state=0) if kind == "gaussian"
            else SparseRandomProjection(3, density=0.6, dense_output=dense_output, random_state=1))
    if kind == "gaussian" and dense_output:
        pytest.skip("GaussianRandomProjection has no dense_output")
    model = Pipeline([("p", proj), ("reg", Ridge(alpha=0.1))]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[0]
    assert step["type"] == "linear_projection" and step["params"] == {"with_mean": False, "with_scale": False}
    components = proj.components_.toarray() if kind == "sparse" else proj.components_
    np.testing.assert_array_equal(art.tensors["steps.0.components"], components)
    Xt = far(X, 3.0)
    want = proj.transform(Xt)
    assert isinstance(want, np.ndarray)  # dense input: dense output whatever dense_output says
    got = run_kernels(art, Xt)
    if kind == "gaussian":
        np.testing.assert_array_equal(got, want)
    else:  # scipy sums over the stored entries in their stored (unsorted) order: within rounding
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-15 * np.abs(want).max())
