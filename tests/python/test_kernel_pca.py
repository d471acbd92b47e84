"""KernelPCA and KernelCenterer: converters, numpy kernels, refusals, reader checks.

Step types ``kernel_pca`` and ``kernel_centerer`` (docs/format.md 4.47, 4.48).
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import load_iris, load_wine
from sklearn.decomposition import KernelPCA
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics.pairwise import rbf_kernel
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import KernelCenterer, StandardScaler

import ferry
from ferry import format as fmt
from ferry.converters import KERNELS
from conftest import spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def wine():
    X, y = load_wine(return_X_y=True)
    return X[::2], y[::2]


def export(model, path, X):
    return ferry.export(model, path, X_sample=X, created=CREATED)


def run_kernels(art, X):
    Z = np.asarray(X, dtype=np.float64)
    for step in art.pipeline:
        Z = KERNELS[step["type"]](step, {r: art.tensors[n] for r, n in step["tensors"].items()}, Z)
    return Z


def adversarial(X, factor=3.0):
    return np.vstack([X, X.max(axis=0) * factor, X.min(axis=0) * factor, np.zeros(X.shape[1]), X[:1], X[:1]])


def rel(got, want):
    return np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want).max(axis=0)))


KPCA_OPTIONS = [
    dict(kernel="linear", n_components=3),
    dict(kernel="poly", n_components=4),  # gamma=None: 1 / n_features
    dict(kernel="poly", n_components=3, degree=2, gamma=0.1, coef0=0.5),
    dict(kernel="poly", n_components=3, degree=1, coef0=-1.0),
    dict(kernel="rbf", n_components=5),
    dict(kernel="rbf", n_components=4, gamma=0.5, eigen_solver="arpack", random_state=0),
    dict(kernel="sigmoid", n_components=4, gamma=0.02, coef0=0.1),
    dict(kernel="cosine", n_components=3),
    dict(kernel="rbf", n_components=3, fit_inverse_transform=True),
    dict(kernel="linear", n_components=None, remove_zero_eig=True),
]


@pytest.mark.parametrize("options", KPCA_OPTIONS, ids=[str(o) for o in KPCA_OPTIONS])
def test_kernel_pca_kernel_matches_scikit_learn(tmp_path, wine, options):
    X, y = wine
    model = Pipeline([("s", StandardScaler()), ("kpca", KernelPCA(**options)),
                      ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    step = art.pipeline[1]
    kpca = model[1]
    assert step["type"] == "kernel_pca"
    assert step["params"]["kernel"] == options["kernel"]
    assert step["params"]["gamma"] == (1.0 / X.shape[1] if kpca.gamma is None else kpca.gamma)
    assert step["params"]["n_train"] == X.shape[0]
    assert step["n_features_out"] == kpca.eigenvalues_.shape[0]
    assert step["feature_names_out"] == list(kpca.get_feature_names_out())
    Xt = adversarial(X)
    # the numpy kernel repeats scikit-learn's own operations: the same bits
    np.testing.assert_array_equal(run_kernels(art, Xt), model[:-1].transform(Xt))
    # the format's formula, row by row with plain sums: within rounding
    spec = spec_evaluate(art.header, art.tensors, Xt)
    np.testing.assert_allclose(spec["decision_function"], model.decision_function(Xt), rtol=1e-9, atol=1e-9)


def test_kernel_pca_zero_eigenvalues_give_zero_columns(tmp_path):
    X = np.repeat(load_iris().data[:10, :2], 3, axis=0)  # rank 3 after centring in the linear kernel
    kpca = KernelPCA(kernel="linear", n_components=6).fit(X)
    assert np.any(kpca.eigenvalues_ == 0)
    art = export(Pipeline([("kpca", kpca), ("r", Ridge().fit(kpca.transform(X), X[:, 0]))]), tmp_path / "m.ferry", X)
    alphas = art.tensors["steps.0.alphas"]
    zero = np.flatnonzero(kpca.eigenvalues_ == 0)
    assert np.all(alphas[zero] == 0)
    np.testing.assert_array_equal(run_kernels(art, adversarial(X)), kpca.transform(adversarial(X)))


@pytest.mark.parametrize("kernel, reason", [
    ("precomputed", "precomputed"),
    (lambda a, b: float(np.dot(a, b)), "callable kernel"),
])
def test_kernel_pca_refusals_name_the_reason(wine, kernel, reason):
    X, y = wine
    Xs = StandardScaler().fit_transform(X)
    kpca = KernelPCA(n_components=2, kernel=kernel)
    kpca.fit(Xs @ Xs.T if kernel == "precomputed" else Xs)
    model = Pipeline([("kpca", kpca), ("r", Ridge().fit(kpca.transform(Xs @ Xs.T if kernel == "precomputed" else Xs), y))])
    with pytest.raises(ferry.UnsupportedModelError) as ei:
        ferry.export(model, "/nonexistent/never.ferry", X_sample=Xs)
    assert "steps[0]: KernelPCA" in str(ei.value) and reason in str(ei.value)


def test_kernel_centerer_kernel_matches_scikit_learn(tmp_path):
    X = StandardScaler().fit_transform(load_iris().data)
    train = X[::5]
    K_train = rbf_kernel(train, train, gamma=0.3)
    model = Pipeline([("c", KernelCenterer()), ("r", Ridge())]).fit(K_train, load_iris().data[::5, 3])
    K = np.vstack([K_train, rbf_kernel(X, train, gamma=0.3), np.zeros(30), np.full(30, 1e6)])
    art = export(model, tmp_path / "m.ferry", K)
    step = art.pipeline[0]
    assert step["type"] == "kernel_centerer"
    assert step["params"] == {"k_fit_all": float(model[0].K_fit_all_)}
    np.testing.assert_array_equal(art.tensors["steps.0.k_fit_rows"], model[0].K_fit_rows_)
    np.testing.assert_array_equal(run_kernels(art, K), model[0].transform(K))
    # the format's formula (numpy's pairwise row sum, written out): the same bits
    np.testing.assert_array_equal(spec_evaluate(art.header, art.tensors, K)["predict"].ravel(), model.predict(K))


def test_kernel_centerer_row_sum_uses_numpy_buffers():
    # A row longer than numpy's 8192-value buffers: its pairwise sums are added buffer by buffer.
    from conftest import _spec_numpy_row_sum

    rng = np.random.default_rng(0)
    for n in (7, 8, 127, 128, 129, 1000, 8192, 8193, 20000):
        row = rng.standard_normal(n) * 10.0 ** rng.uniform(-5, 5, n)
        assert _spec_numpy_row_sum(row) == np.sum(row[np.newaxis, :], axis=1)[0], n


def test_reader_checks_the_kernel_pca_entry(tmp_path, wine):
    X, y = wine
    model = Pipeline([("s", StandardScaler()), ("kpca", KernelPCA(3, kernel="rbf")),
                      ("clf", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = export(model, tmp_path / "m.ferry", X)
    ferry.read(fmt.dumps(art.header, dict(art.tensors), validate=False))  # as exported: accepted

    def refused(edit):
        header, tensors = copy.deepcopy(art.header), dict(art.tensors)
        edit(header["pipeline"][1], tensors)
        with pytest.raises(ferry.ArtifactError) as ei:
            ferry.read(fmt.dumps(header, tensors, validate=False))
        assert ei.value.code == "format"
        return ei.value.message

    assert "params.kernel" in refused(lambda s, t: s["params"].update(kernel="laplacian"))
    assert "params.gamma" in refused(lambda s, t: s["params"].update(gamma="0.1"))
    assert "fit_rows" in refused(lambda s, t: s["params"].update(n_train=s["params"]["n_train"] + 1))
    assert "k_fit_all" in refused(lambda s, t: s["params"].pop("k_fit_all"))
    assert "alphas" in refused(lambda s, t: t.update({"steps.1.alphas": t["steps.1.alphas"][:, :-1].copy()}))
