"""IterativeImputer -> ``iterative_imputer`` (docs/format.md 4.51): converter, numpy kernel,
refusals, the reader's rules."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_diabetes
from sklearn.exceptions import ConvergenceWarning
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.linear_model import BayesianRidge, LinearRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline

import ferry
from ferry import format as fmt
from ferry.converters import KERNELS
from conftest import assert_blas_equal, spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def data():
    X, y = load_diabetes(return_X_y=True)
    X = X[:150, :6].copy()
    X[np.random.default_rng(0).random(X.shape) < 0.2] = np.nan
    X = np.column_stack([X, np.full(150, np.nan)])  # all missing at fit: dropped
    return X, y[:150] / 100.0


def probes(X):
    """Rows never seen: far values, zeros, everything missing, one observed value per row."""
    n = X.shape[1]
    one = np.full((n, n), np.nan)
    one[np.arange(n), np.arange(n)] = 0.3
    return np.vstack([X, np.nan_to_num(X[:3]) * 5.0, np.zeros((1, n)), np.full((1, n), np.nan), one])


OPTIONS = [
    dict(),
    dict(add_indicator=True, max_iter=3),
    dict(n_nearest_features=3, random_state=0, imputation_order="random"),
    dict(estimator=Ridge(alpha=0.5), min_value=-0.02, max_value=0.02, imputation_order="arabic"),
    dict(estimator=LinearRegression(), initial_strategy="median", imputation_order="descending"),
    dict(initial_strategy="most_frequent", tol=1e-1),
    dict(max_iter=0),  # no rounds: the fill alone
]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_kernel_matches_scikit_learn(tmp_path, data, options):
    X, y = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Pipeline([("imp", IterativeImputer(**options)), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    step = art.pipeline[0]
    imp = model[0]
    assert step["type"] == "iterative_imputer"
    assert step["params"]["n_rounds"] == len(imp.imputation_sequence_)
    assert step["params"]["n_kept"] == 6
    assert step["feature_names_out"] == list(imp.get_feature_names_out())
    assert all(i["nullable"] for i in art.header["schema"]["inputs"])
    Xt = probes(X)
    t = {r: art.tensors[n] for r, n in step["tensors"].items()}
    got = KERNELS["iterative_imputer"](step, t, Xt)
    want = imp.transform(Xt)
    assert_blas_equal(got, want)
    assert_blas_equal(spec_evaluate(art.header, art.tensors, Xt)["predict"].ravel(), model.predict(Xt))


def test_all_missing_batch_differs_from_scikit_learn_only_there(tmp_path, data):
    X, y = data
    model = Pipeline([("imp", IterativeImputer(max_iter=3)), ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    step = art.pipeline[0]
    t = {r: art.tensors[n] for r, n in step["tensors"].items()}
    row = np.full((1, 7), np.nan)
    alone = model[0].transform(row)  # scikit-learn: the fill alone for an all-missing batch
    in_batch = model[0].transform(np.vstack([X[:1], row]))[1:]
    ours = KERNELS["iterative_imputer"](step, t, row)
    assert_blas_equal(ours, in_batch)  # ferry: the rounds, row by row
    np.testing.assert_array_equal(alone[0], t["fill"])


@pytest.mark.parametrize("options, reason", [
    (dict(sample_posterior=True), "sample_posterior=True"),
    (dict(keep_empty_features=True), "keep_empty_features=True"),
    (dict(estimator=KNeighborsRegressor()), "KNeighborsRegressor is not supported"),
    (dict(missing_values=-1.0), "missing_values=-1.0"),
])
def test_refusals_name_the_reason(data, options, reason):
    X, y = data
    if options.get("missing_values") == -1.0:
        X = np.nan_to_num(X, nan=-1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = Pipeline([("imp", IterativeImputer(max_iter=2, **options)), ("r", Ridge())]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(model, "/nonexistent/never.ferry", X_sample=X)
    assert "steps[0]: IterativeImputer" in str(ei.value) and reason in str(ei.value)


def test_reader_rules(tmp_path, data):
    X, y = data
    model = Pipeline([("imp", IterativeImputer(max_iter=2, add_indicator=True, estimator=BayesianRidge())),
                      ("r", Ridge())]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    ferry.read(fmt.dumps(art.header, dict(art.tensors), validate=False))

    def refused(edit):
        header, tensors = copy.deepcopy(art.header), dict(art.tensors)
        edit(header["pipeline"][0], tensors)
        with pytest.raises(ferry.ArtifactError) as ei:
            ferry.read(fmt.dumps(header, tensors, validate=False))
        assert ei.value.code == "format"
        return ei.value.message

    def set_tensor(name, fn):
        def edit(step, t):
            v = t[f"steps.0.{name}"].copy()
            fn(v)
            t[f"steps.0.{name}"] = v
        return edit

    assert "neighbors" in refused(set_tensor("neighbors", lambda v: v.__setitem__(0, 6)))
    assert "feature" in refused(set_tensor("feature", lambda v: v.__setitem__(1, -1)))
    assert "offsets" in refused(set_tensor("offsets", lambda v: v.__setitem__(1, v[2] + 1)))
    assert "min_value" in refused(set_tensor("min_value", lambda v: v.__setitem__(0, 2e308 / 2)))
    assert "columns" in refused(set_tensor("columns", lambda v: v.__setitem__(1, 0)))
    assert "n_kept" in refused(lambda s, t: s["params"].update(n_kept=8))
    assert "indicator" in refused(lambda s, t: s["params"].update(add_indicator=False))
