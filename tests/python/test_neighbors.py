"""Nearest neighbours (issue 12, item 3): KNeighborsClassifier and KNeighborsRegressor with every
metric x weighting x search algorithm, NearestCentroid, NeighborhoodComponentsAnalysis as a
transform, LocalOutlierFactor(novelty=True), RadiusNeighborsClassifier / Regressor (the same
grid, rows without a stored row within the radius: the outlier class or a refusal). ferry's numpy kernel and its C++ engine (the Python binding) reproduce scikit-learn's
predict and predict_proba: labels identical, values within 1e-12 relative (short sums of the
neighbours' weights or targets), measured normwise per output column.

ferry searches by brute force with distances computed directly; scikit-learn's KD and ball trees
do the same arithmetic, its brute force expands euclidean distances with the BLAS. On data
without near-ties the neighbours are the same whatever the algorithm, which is what the golden
data holds; rows with exact ties are compared where scikit-learn's rule is known (its brute
force keeps the lowest index, as ferry does). ``PARITY`` keeps the largest differences measured
for docs/supported.md.
"""

from __future__ import annotations

import pathlib
import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.neighbors import (KNeighborsClassifier, KNeighborsRegressor, LocalOutlierFactor, NearestCentroid,
                               NeighborhoodComponentsAnalysis, RadiusNeighborsClassifier, RadiusNeighborsRegressor)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import exporter, format as fmt
from ferry.converters import ESTIMATORS, PREPROCESSORS

ROOT = pathlib.Path(__file__).resolve().parents[2]
RTOL = 1e-12
CREATED = "2026-01-01T00:00:00Z"
PARITY: dict = {}
METRICS = {"euclidean": {}, "manhattan": {}, "chebyshev": {}, "minkowski3": {"metric": "minkowski", "p": 3},
           "minkowski1.5": {"metric": "minkowski", "p": 1.5}, "cosine": {}}


def _data(task, seed=0):
    X, y = datasets.make_classification(n_samples=60, n_features=4, n_informative=4, n_redundant=0,
                                        n_classes=3, n_clusters_per_class=1, random_state=seed)
    X = X * np.array([1.0, 2.0, 0.5, 3.0]) + 1.0
    if task == "regression":
        return X, np.column_stack([np.sin(X[:, 0]), X[:, 1] - X[:, 2]])
    if task == "binary":
        return X, np.where(y == 1, "yes", "no")
    return X, y


def _queries(X):
    rng = np.random.default_rng(7)
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = hi - lo
    fresh = lo + rng.random((40, X.shape[1])) * span
    far = np.vstack([hi + 3 * span, lo - 3 * span, hi + 1e6 * span, lo - 1e6 * span])
    return np.vstack([X, fresh, far])  # the training rows: a neighbour at distance 0


def _make(task, metric, weights, algorithm):
    kw = dict(METRICS[metric]) or {"metric": metric}
    cls = KNeighborsRegressor if task == "regression" else KNeighborsClassifier
    return make_pipeline(StandardScaler(), cls(n_neighbors=5, weights=weights, algorithm=algorithm, **kw))


CASES = {}
for task in ("multiclass", "binary", "regression"):
    for metric in METRICS:
        for weights in ("uniform", "distance"):
            for algorithm in ("brute", "auto"):
                # scikit-learn's brute-force euclidean and cosine distance of a row to itself is a
                # rounding residue, not 0: with distance weights its 1/d is huge where ferry's
                # mask is 1 (the golden data uses the other algorithms or uniform weights there)
                if weights == "distance" and (metric == "cosine" or (metric == "euclidean" and algorithm == "brute")):
                    continue
                if metric == "cosine" and algorithm == "auto":
                    continue  # cosine is always brute force
                CASES[f"{task}-{metric}-{weights}-{algorithm}"] = (task, metric, weights, algorithm)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = {}

    def get(case_id):
        if case_id not in cache:
            task, metric, weights, algorithm = CASES[case_id]
            X, y = _data(task)
            model = _make(task, metric, weights, algorithm).fit(X, y)
            path = tmp_path_factory.mktemp("knn") / "model.ferry"
            art = ferry.export(model, path, X_sample=X, created=CREATED)
            cache[case_id] = (model, _queries(X), path, art)
        return cache[case_id]

    return get


def _check(case_id, method, got, want):
    got = np.asarray(got, dtype=np.float64).reshape(len(want), -1)
    want = np.asarray(want, dtype=np.float64).reshape(len(want), -1)
    scale = np.maximum(np.max(np.abs(want), axis=0), 1e-300)
    err = float(np.max(np.abs(got - want) / scale))
    PARITY[(case_id, method)] = max(err, PARITY.get((case_id, method), 0.0))
    assert err <= RTOL, f"{case_id} {method}: relative difference {err:.3g}"


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernel_matches_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    got = exporter.evaluate(art, X)
    if CASES[case_id][0] == "regression":
        _check(case_id, "numpy values", got["predict"], model.predict(X))
        return
    classes = np.asarray(art.schema["classes"]["values"])
    np.testing.assert_array_equal(classes[got["predict"]], model.predict(X))
    _check(case_id, "numpy predict_proba", got["predict_proba"], model.predict_proba(X))


def _native_or_skip():
    from ferry.runtime import native_available

    if not native_available():
        pytest.skip("the native module is not built")


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_matches_scikit_learn(case_id, exported):
    _native_or_skip()
    model, X, path, _ = exported(case_id)
    m = ferry.Model.load(path, verify=True)
    if CASES[case_id][0] == "regression":
        _check(case_id, "C++ values", m.predict(X), model.predict(X))
    else:
        np.testing.assert_array_equal(np.asarray(m.predict(X)), model.predict(X))
        _check(case_id, "C++ predict_proba", m.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ferry.FerryError, match="decision_function"):
        m.decision_function(X[:2])


def test_exact_ties_go_to_the_lowest_index(tmp_path):
    """Integer grid points: many stored rows at the same distance. ferry's k-th place goes to the
    lowest stored index (numpy kernel and C++ alike); scikit-learn picks another row at the same
    distance where its search meets them in another order (tree traversal, ArgKmin's chunked
    heaps), so only the neighbours' distances are compared with it, not its labels."""
    _native_or_skip()
    from ferry.converters.neighbors import neighbours

    g = np.array([[i, j] for i in range(6) for j in range(6)], dtype=np.float64)
    y = (np.arange(len(g)) * 7) % 3
    order = np.random.default_rng(0).permutation(len(g))
    g, y = g[order], y[order]
    Q = np.array([[i + 0.5, j] for i in range(5) for j in range(6)] + [[2.5, 2.5], [0.0, 0.0]])
    for metric in ("manhattan", "chebyshev", "euclidean"):
        model = KNeighborsClassifier(n_neighbors=3, metric=metric, algorithm="brute").fit(g, y)
        dist, _ = model.kneighbors(Q)
        path = tmp_path / f"{metric}.ferry"
        art = ferry.export(model, path, X_sample=g[:1], created=CREATED)
        mine, mine_dist = neighbours(art.estimator, g, Q)
        np.testing.assert_allclose(np.sort(mine_dist, axis=1), np.sort(dist, axis=1), rtol=1e-15, err_msg=metric)
        r = mine_dist[:, -1]
        for i, q in enumerate(Q):  # every row nearer than the k-th is in; at the k-th distance, the lowest indices
            d = np.abs(g - q).sum(axis=1) if metric == "manhattan" else np.abs(g - q).max(axis=1) \
                if metric == "chebyshev" else np.sqrt(((g - q) ** 2).sum(axis=1))
            inside = set(np.flatnonzero(d < r[i] - 1e-12))
            tied = list(np.flatnonzero(np.abs(d - r[i]) <= 1e-12))
            assert set(mine[i]) == inside | set(tied[:3 - len(inside)]), (metric, i)
        m = ferry.Model.load(path)
        want = exporter.evaluate(art, Q)
        np.testing.assert_array_equal(np.asarray(m.predict(Q)), np.asarray(art.schema["classes"]["values"])[want["predict"]])
        np.testing.assert_allclose(m.predict_proba(Q), want["predict_proba"], rtol=0, atol=1e-15)


def test_nearest_centroid_and_nca(tmp_path):
    _native_or_skip()
    X, y = _data("binary", seed=3)
    Q = _queries(X)
    for metric in ("euclidean", "manhattan"):
        model = make_pipeline(StandardScaler(), NearestCentroid(metric=metric)).fit(X, y)
        art = ferry.export(model, tmp_path / "nc.ferry", X_sample=X, created=CREATED)
        assert art.estimator["params"]["n_neighbors"] == 1 and art.estimator["params"]["link"] == "none"
        m = ferry.Model.load(tmp_path / "nc.ferry")
        np.testing.assert_array_equal(np.asarray(m.predict(Q)), model.predict(Q))
        with pytest.raises(ferry.FerryError, match="predict_proba"):
            m.predict_proba(Q[:1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        nca = make_pipeline(StandardScaler(), NeighborhoodComponentsAnalysis(n_components=3, random_state=0),
                            KNeighborsClassifier(n_neighbors=4)).fit(*_data("multiclass", seed=4))
    X4, _ = _data("multiclass", seed=4)
    art = ferry.export(nca, tmp_path / "nca.ferry", X_sample=X4, created=CREATED)
    assert art.header["pipeline"][1]["type"] == "linear_projection"
    m = ferry.Model.load(tmp_path / "nca.ferry")
    np.testing.assert_allclose(m.transform(X4), nca[:-1].transform(X4), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.asarray(m.predict(X4)), nca.predict(X4))


@pytest.mark.parametrize("metric", list(METRICS))
def test_local_outlier_factor_novelty(metric, tmp_path):
    """decision_function within 1e-12 of its largest magnitude, predict identical; fresh rows,
    training rows and far rows (cosine: uniform in a rounding residue at distance 0 as well)."""
    _native_or_skip()
    X, _ = _data("multiclass", seed=8)
    kw = dict(METRICS[metric]) or {"metric": metric}
    algorithm = "brute" if metric == "cosine" else "auto"
    model = make_pipeline(StandardScaler(), LocalOutlierFactor(n_neighbors=10, novelty=True, algorithm=algorithm,
                                                               **kw)).fit(X)
    Q = _queries(X)[60:] if metric == "cosine" else _queries(X)
    art = ferry.export(model, tmp_path / "lof.ferry", X_sample=X, created=CREATED)
    want = model.decision_function(Q)
    got = exporter.evaluate(art, Q)
    _check(f"lof-{metric}", "numpy decision_function", got["decision_function"], want)
    m = ferry.Model.load(tmp_path / "lof.ferry", verify=True)
    _check(f"lof-{metric}", "C++ decision_function", m.decision_function(Q), want)
    np.testing.assert_array_equal(np.asarray(m.predict(Q)), model.predict(Q))


def test_local_outlier_factor_without_novelty_is_refused(tmp_path):
    X, _ = _data("multiclass")
    with pytest.raises(ferry.UnsupportedModelError, match="novelty"):
        ferry.export(LocalOutlierFactor().fit(X), tmp_path / "m.ferry", X_sample=X[:5])


@pytest.mark.parametrize("make, message", [
    (lambda: KNeighborsClassifier(weights=lambda d: d), "weights"),
    (lambda: KNeighborsClassifier(metric="hamming"), "hamming"),
    (lambda: KNeighborsClassifier(metric="minkowski", p=3, metric_params={"w": np.ones(4)}), "weighted"),
    (lambda: NearestCentroid(metric="chebyshev"), "chebyshev"),
])
def test_refusals(make, message, tmp_path):
    X, y = _data("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(X, y)
    with pytest.raises(ValueError, match=message):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X[:5])


def _reread(art, edit):
    import copy

    header = copy.deepcopy({k: v for k, v in art.header.items() if k != "tensors"})
    tensors = dict(art.tensors)
    edit(header, tensors)
    return fmt.loads(fmt.dumps(header, tensors))


@pytest.mark.parametrize("edit, message", [
    (lambda h, t: h["estimator"]["params"].update(n_neighbors=61), "n_neighbors"),
    (lambda h, t: h["estimator"]["params"].update(n_neighbors=0), "n_neighbors"),
    (lambda h, t: h["estimator"]["params"].update(metric="hamming"), "metric"),
    (lambda h, t: h["estimator"]["params"].update(p=0.5), "p"),
    (lambda h, t: h["estimator"]["params"].update(link="identity"), "link"),
    (lambda h, t: t.update({h["estimator"]["tensors"]["labels"]: np.full(60, 3, dtype=np.int64)}), "labels"),
])
def test_the_reader_refuses_malformed_neighbours(exported, edit, message):
    _, _, _, art = exported("multiclass-euclidean-uniform-auto")
    with pytest.raises(fmt.ArtifactError, match=message):
        _reread(art, edit)


def test_every_class_metric_and_weighting_is_covered():
    for cls in (KNeighborsClassifier, KNeighborsRegressor, NearestCentroid, LocalOutlierFactor,
                RadiusNeighborsClassifier, RadiusNeighborsRegressor):
        assert cls in ESTIMATORS
    assert NeighborhoodComponentsAnalysis in PREPROCESSORS
    covered = {(t, m, w) for t, m, w, _ in CASES.values()}
    for task in ("multiclass", "regression"):
        for metric in METRICS:
            assert (task, metric, "uniform") in covered
            if metric != "cosine":
                assert (task, metric, "distance") in covered


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    """With ``-s``, prints the largest relative difference per case and output at the end."""
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:44s} {method:22s} {err:.2g}")


# ------------------------------------------------------------------ RadiusNeighbors* (format.md 4.44)
# Radii after StandardScaler on the 4 columns of _data: most fresh rows have stored rows within
# them, some do not, and the far rows have none (the outlier class, or a refusal).
RADII = {"euclidean": 1.5, "manhattan": 2.5, "chebyshev": 1.0, "minkowski3": 1.3, "minkowski1.5": 2.0,
         "cosine": 0.15}


def _make_radius(task, metric, weights, algorithm, outlier_label="most_frequent"):
    kw = dict(METRICS[metric]) or {"metric": metric}
    if task == "regression":
        est = RadiusNeighborsRegressor(radius=RADII[metric], weights=weights, algorithm=algorithm, **kw)
    else:
        est = RadiusNeighborsClassifier(radius=RADII[metric], weights=weights, algorithm=algorithm,
                                        outlier_label=outlier_label, **kw)
    return make_pipeline(StandardScaler(), est)


RADIUS_CASES = {f"radius-{k}": v for k, v in CASES.items()}


@pytest.fixture(scope="module")
def radius_exported(tmp_path_factory):
    cache = {}

    def get(case_id):
        if case_id not in cache:
            task, metric, weights, algorithm = RADIUS_CASES[case_id]
            X, y = _data(task)
            model = _make_radius(task, metric, weights, algorithm).fit(X, y)
            path = tmp_path_factory.mktemp("radius") / "model.ferry"
            art = ferry.export(model, path, X_sample=X, created=CREATED)
            Q = _queries(X)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the regressor's "predicting NaN"
                want = model.predict(Q)
            cache[case_id] = (model, Q, path, art, want)
        return cache[case_id]

    return get


def _answered(task, want):
    """The rows scikit-learn answers with a number (the regressor's NaN rows are refused here)."""
    if task != "regression":
        return np.ones(len(want), dtype=bool)
    return ~np.any(np.isnan(np.asarray(want, dtype=np.float64).reshape(len(want), -1)), axis=1)


@pytest.mark.parametrize("case_id", list(RADIUS_CASES))
def test_radius_numpy_kernel_matches_scikit_learn(case_id, radius_exported):
    from ferry.converters.neighbors import RowsRefused

    model, Q, _, art, want = radius_exported(case_id)
    task = RADIUS_CASES[case_id][0]
    ok = _answered(task, want)
    if task == "regression":
        assert not ok.all() and ok.sum() > 60  # far rows have no neighbour; the training rows have themselves
        with pytest.raises(RowsRefused, match="no stored row within the radius") as e:
            exporter.evaluate(art, Q)
        np.testing.assert_array_equal(e.value.rows, np.flatnonzero(~ok))
        _check(case_id, "numpy values", exporter.evaluate(art, Q[ok])["predict"], want[ok])
        return
    got = exporter.evaluate(art, Q)
    classes = np.asarray(art.schema["classes"]["values"])
    np.testing.assert_array_equal(classes[got["predict"]], want)
    _check(case_id, "numpy predict_proba", got["predict_proba"], model.predict_proba(Q))


@pytest.mark.parametrize("case_id", list(RADIUS_CASES))
def test_radius_cpp_matches_scikit_learn(case_id, radius_exported):
    _native_or_skip()
    model, Q, path, _, want = radius_exported(case_id)
    task = RADIUS_CASES[case_id][0]
    m = ferry.Model.load(path, verify=True)
    ok = _answered(task, want)
    if task == "regression":
        _check(case_id, "C++ values", m.predict(Q[ok]), want[ok])
        first = int(np.flatnonzero(~ok)[0])
        with pytest.raises(ferry.FerryError, match=rf"row {first}: no stored row within the radius") as e:
            m.predict(Q)
        assert e.value.code == ferry.ErrorCode.VALUE
        for i in np.flatnonzero(~ok):  # each refused row alone, never a value
            with pytest.raises(ferry.FerryError, match="predicts NaN"):
                m.predict(Q[i:i + 1])
    else:
        np.testing.assert_array_equal(np.asarray(m.predict(Q)), want)
        _check(case_id, "C++ predict_proba", m.predict_proba(Q), model.predict_proba(Q))
    with pytest.raises(ferry.FerryError, match="decision_function"):
        m.decision_function(Q[:2])


def test_radius_classifier_outliers(tmp_path):
    """No stored row within the radius: outlier_label (a class, or 'most_frequent') has
    probability 1; without outlier_label scikit-learn raises ValueError and ferry refuses the
    row (value error naming it); a label outside classes_ is refused at export."""
    X, y = _data("multiclass", seed=2)
    Q = _queries(X)
    far = Q[-4:]
    for label in (2, "most_frequent"):
        model = make_pipeline(StandardScaler(), RadiusNeighborsClassifier(radius=1.0, outlier_label=label)).fit(X, y)
        art = ferry.export(model, tmp_path / "o.ferry", X_sample=X, created=CREATED)
        expected = model[-1].outlier_label_[0]
        assert art.estimator["params"]["outlier_class"] == int(np.flatnonzero(model.classes_ == expected)[0])
        got = exporter.evaluate(art, far)
        np.testing.assert_array_equal(np.asarray(art.schema["classes"]["values"])[got["predict"]], model.predict(far))
        np.testing.assert_array_equal(got["predict_proba"], model.predict_proba(far))
        if _native_available():
            m = ferry.Model.load(tmp_path / "o.ferry", verify=True)
            np.testing.assert_array_equal(np.asarray(m.predict(far)), model.predict(far))
            np.testing.assert_array_equal(m.predict_proba(far), model.predict_proba(far))
    model = make_pipeline(StandardScaler(), RadiusNeighborsClassifier(radius=1.0)).fit(X, y)
    with pytest.raises(ValueError, match="No neighbors found"):
        model.predict(far)
    found = model[-1].radius_neighbors(model[0].transform(Q), return_distance=False)
    refused = sum(len(i) == 0 for i in found)
    assert refused >= 4
    with pytest.warns(UserWarning, match=f"{refused} of the 104 X_sample rows are refused"):
        art = ferry.export(model, tmp_path / "n.ferry", X_sample=Q, created=CREATED)
    assert art.estimator["params"]["outlier_class"] == -1
    assert not np.any(np.isin(art.tensors["verification.input"], far))
    with pytest.raises(ValueError, match="row 1: no stored row within the radius"):
        exporter.evaluate(art, np.vstack([X[:1], far[:1]]))
    if _native_available():
        m = ferry.Model.load(tmp_path / "n.ferry", verify=True)
        np.testing.assert_array_equal(np.asarray(m.predict(X)), model.predict(X))
        with pytest.raises(ferry.FerryError, match="row 1: no stored row within the radius .*raises ValueError"):
            m.predict(np.vstack([X[:1], far[:1]]))
    with pytest.raises(ValueError, match="refuses every row"):
        ferry.export(model, tmp_path / "f.ferry", X_sample=far, created=CREATED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        odd = RadiusNeighborsClassifier(radius=1.0, outlier_label=7).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match="outlier_label=7 is not one of classes_"):
        ferry.export(odd, tmp_path / "odd.ferry", X_sample=X)


def _native_available():
    from ferry.runtime import native_available

    return native_available()


def test_radius_boundary_is_inclusive(tmp_path):
    """Integer grid points exactly at the radius are neighbours (scikit-learn's r <= radius), in
    every metric, with ferry's reduced comparison (radius² for euclidean, radius^p for minkowski)."""
    g = np.array([[i, j] for i in range(5) for j in range(5)], dtype=np.float64)
    y = np.arange(len(g)) % 3
    t = g[:, 0] * 10 + g[:, 1]
    Q = np.array([[2.0, 2.0], [0.0, 0.0], [4.0, 1.0], [2.5, 2.0]])
    for kw in ({"metric": "euclidean"}, {"metric": "manhattan"}, {"metric": "chebyshev"},
               {"metric": "minkowski", "p": 3}):
        for weights in ("uniform", "distance"):
            clf = RadiusNeighborsClassifier(radius=1.0, weights=weights, algorithm="kd_tree", **kw).fit(g, y)
            reg = RadiusNeighborsRegressor(radius=1.0, weights=weights, algorithm="kd_tree", **kw).fit(g, t)
            counts = [len(i) for i in clf.radius_neighbors(Q, return_distance=False)]
            assert counts[0] >= 5, (kw, counts)  # the centre and its four grid neighbours at exactly 1
            for model, name in ((clf, "c"), (reg, "r")):
                art = ferry.export(model, tmp_path / f"{name}.ferry", X_sample=Q, created=CREATED)
                got = exporter.evaluate(art, Q)
                if name == "c":
                    np.testing.assert_allclose(got["predict_proba"], clf.predict_proba(Q), rtol=0, atol=1e-15)
                else:
                    np.testing.assert_allclose(got["predict"].ravel(), reg.predict(Q), rtol=1e-15)
                if _native_available():
                    m = ferry.Model.load(tmp_path / f"{name}.ferry", verify=True)
                    if name == "c":
                        np.testing.assert_allclose(m.predict_proba(Q), clf.predict_proba(Q), rtol=0, atol=1e-15)
                    else:
                        np.testing.assert_allclose(np.asarray(m.predict(Q)).ravel(), reg.predict(Q), rtol=1e-15)


@pytest.mark.parametrize("make, message", [
    (lambda: RadiusNeighborsClassifier(weights=lambda d: d), "weights"),
    (lambda: RadiusNeighborsRegressor(metric="hamming"), "hamming"),
    (lambda: RadiusNeighborsClassifier(metric="minkowski", p=3, metric_params={"w": np.ones(4)}), "weighted"),
])
def test_radius_refusals(make, message, tmp_path):
    X, y = _data("multiclass")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(X, y)
    with pytest.raises(ValueError, match=message):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X[:5])


@pytest.mark.parametrize("edit, message", [
    (lambda h, t: h["estimator"]["params"].update(radius=-1.0), "radius"),
    (lambda h, t: h["estimator"]["params"].update(outlier_class=3), "outlier_class"),
    (lambda h, t: h["estimator"]["params"].update(outlier_class=-2), "outlier_class"),
    (lambda h, t: h["estimator"]["params"].update(metric="hamming"), "metric"),
    (lambda h, t: h["estimator"]["params"].update(link="identity"), "link"),
    (lambda h, t: t.update({h["estimator"]["tensors"]["labels"]: np.full(60, 3, dtype=np.int64)}), "labels"),
])
def test_the_reader_refuses_malformed_radius_neighbours(radius_exported, edit, message):
    _, _, _, art, _ = radius_exported("radius-multiclass-euclidean-uniform-auto")
    with pytest.raises(fmt.ArtifactError, match=message):
        _reread(art, edit)


def test_the_reader_refuses_a_regressor_with_an_outlier_class(radius_exported):
    _, _, _, art, _ = radius_exported("radius-regression-euclidean-uniform-auto")
    with pytest.raises(fmt.ArtifactError, match="outlier_class"):
        _reread(art, lambda h, t: h["estimator"]["params"].update(outlier_class=0))
