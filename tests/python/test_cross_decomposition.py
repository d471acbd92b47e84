"""PLSRegression, PLSCanonical, CCA, PLSSVD: the ``pls_projection`` step (their ``transform``)
and the ``pls_regression`` estimator (``predict``) (docs/format.md 4.49, 4.50).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.cross_decomposition import CCA, PLSSVD, PLSCanonical, PLSRegression
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import format as fmt
from ferry.converters import KERNELS
from conftest import assert_blas_equal, spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def data():
    X, y = load_diabetes(return_X_y=True)
    X = X[:150]
    X[:, 4] = 0.25  # a constant column: _x_std is 1 there
    return X, np.column_stack([y[:150], X[:, 2] * 100.0])


def adversarial(X, factor=3.0):
    return np.vstack([X, X.max(axis=0) * factor, X.min(axis=0) * factor, np.zeros(X.shape[1]), X[:1], X[:1]])


def export(model, path, X):
    return ferry.export(model, path, X_sample=X, created=CREATED)


@pytest.mark.parametrize("cls, options", [
    (PLSRegression, {}), (PLSRegression, {"scale": False}), (PLSCanonical, {}), (CCA, {}),
    (PLSCanonical, {"algorithm": "svd"}),
])
@pytest.mark.parametrize("targets", [1, 2])
def test_predict_matches_scikit_learn(tmp_path, data, cls, options, targets):
    X, Y = data
    if cls is not PLSRegression and targets == 1:
        pytest.skip("PLSCanonical and CCA need at least as many targets as components")
    model = cls(n_components=2, **options).fit(X, Y[:, 0] if targets == 1 else Y)
    art = export(model, tmp_path / "m.ferry", X)
    est = art.header["estimator"]
    assert est["type"] == "pls_regression" and est["n_features_out"] == targets
    assert art.header["schema"]["n_outputs"] == targets
    np.testing.assert_array_equal(art.tensors["estimator.coef"], model._coef_)
    Xt = adversarial(X)
    want = model.predict(Xt).reshape(len(Xt), -1)
    local = {r: art.tensors[n] for r, n in est["tensors"].items()}
    assert_blas_equal(KERNELS["pls_regression"](est, local, Xt, "regression")["predict"], want)
    assert_blas_equal(spec_evaluate(art.header, art.tensors, Xt)["predict"], want)


@pytest.mark.parametrize("cls", [PLSRegression, PLSCanonical, CCA, PLSSVD])
def test_transform_matches_scikit_learn(tmp_path, data, cls):
    X, Y = data
    pls = cls(n_components=2).fit(X, Y)
    model = Pipeline([("pls", pls), ("r", Ridge().fit(pls.transform(X), Y[:, 0]))])
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[0]
    assert step["type"] == "pls_projection" and step["params"] == {}
    assert step["feature_names_out"] == list(pls.get_feature_names_out())
    assert art.tensors["steps.0.scale"][4] == 1.0  # the constant column
    Xt = adversarial(X)
    local = {r: art.tensors[n] for r, n in step["tensors"].items()}
    assert_blas_equal(KERNELS["pls_projection"](step, local, Xt), pls.transform(Xt))
    assert_blas_equal(spec_evaluate(art.header, art.tensors, Xt)["predict"], model.predict(Xt).reshape(-1, 1))


def test_pls_after_a_scaler_in_a_pipeline(tmp_path, data):
    X, Y = data
    model = Pipeline([("s", StandardScaler()), ("pls", PLSRegression(3))]).fit(X, Y)
    art = export(model, tmp_path / "m.ferry", X)
    assert [s["type"] for s in art.pipeline] == ["standard_scaler"]
    assert art.header["estimator"]["type"] == "pls_regression"


def test_reader_checks_the_pls_entries(tmp_path, data):
    X, Y = data
    art = export(PLSRegression(2).fit(X, Y), tmp_path / "m.ferry", X)

    def refused(edit):
        header, tensors = copy.deepcopy(art.header), dict(art.tensors)
        edit(header, tensors)
        with pytest.raises(ferry.ArtifactError) as ei:
            ferry.read(fmt.dumps(header, tensors, validate=False))
        assert ei.value.code == "format"
        return ei.value.message

    def zero_scale(h, t):
        s = t["estimator.scale"].copy()
        s[3] = 0.0
        t["estimator.scale"] = s

    assert "scale" in refused(zero_scale)
    assert "coef" in refused(lambda h, t: t.update({"estimator.coef": t["estimator.coef"][:1].copy()}))
    assert "n_outputs" in refused(lambda h, t: h["schema"].update(n_outputs=1))
