"""KMeans and MiniBatchKMeans (issue 12, item 6): as a pipeline step (``transform``, the
distances to the centres) and as the final estimator (``predict``, the cluster label as a
class 0 .. k-1 without predict_proba or decision_function). ferry's numpy kernels and its C++
engine (the CLI: ``ferry predict`` on every row, ``ferry verify`` on the embedded rows, every row
in blocks of 16) reproduce scikit-learn: labels identical, distances within 1e-9 relative.

scikit-learn computes ``X @ centers.T`` with the BLAS (its labels with a single-threaded gemm),
ferry each dot product left to right, so distances are compared within a tolerance, never bit
for bit. A row that is exactly equidistant from two centres in exact arithmetic goes to the
lower index in both (checked on exactly representable ties). ``PARITY`` holds the largest
relative differences measured, which docs/supported.md quotes.
"""

from __future__ import annotations

import csv
import io
import pathlib
import subprocess
import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import exporter
from ferry.converters import ESTIMATORS, PREPROCESSORS

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL = 1e-9
CREATED = "2026-01-01T00:00:00Z"
PARITY: dict = {}


def _far(X: np.ndarray) -> np.ndarray:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    even = np.arange(X.shape[1]) % 2 == 0
    return np.vstack([hi + 3 * span, lo - 3 * span, np.where(even, hi + 3 * span, lo - 3 * span), lo, hi])


def _iris():
    X, y = datasets.load_iris(return_X_y=True)
    return X, y, np.vstack([X, _far(X)])


def _wine():
    X, y = datasets.load_wine(return_X_y=True)
    X, y = X[::2, :8], y[::2]
    return X, y, np.vstack([X, _far(X)])


def _kmeans(**kw):
    return KMeans(n_init=3, random_state=0, **kw)


def _minibatch(**kw):
    return MiniBatchKMeans(n_init=3, random_state=0, batch_size=32, **kw)


# id -> (model factory, data, whether it is fitted on y): predict (the clusterer last) and
# transform (the clusterer inside, a linear model after it).
CASES = {
    "KMeans-predict": (lambda: _kmeans(n_clusters=3), _iris, False),
    "KMeans-predict-scaled-elkan": (lambda: make_pipeline(StandardScaler(), _kmeans(n_clusters=5, algorithm="elkan")),
                                    _wine, False),
    "KMeans-predict-random-init": (lambda: _kmeans(n_clusters=8, init="random"), _wine, False),
    "MiniBatchKMeans-predict": (lambda: _minibatch(n_clusters=4), _iris, False),
    "MiniBatchKMeans-predict-scaled": (lambda: make_pipeline(StandardScaler(), _minibatch(n_clusters=6)), _wine, False),
    "KMeans-transform-logistic": (lambda: make_pipeline(StandardScaler(), _kmeans(n_clusters=4),
                                                        LogisticRegression(max_iter=3000)), _iris, True),
    "KMeans-transform-linear": (lambda: make_pipeline(_kmeans(n_clusters=6), LinearRegression()), _wine, True),
    "MiniBatchKMeans-transform-linear": (lambda: make_pipeline(StandardScaler(), _minibatch(n_clusters=5),
                                                               LinearRegression()), _wine, True),
    "KMeans-transform-then-predict": (lambda: make_pipeline(StandardScaler(), _kmeans(n_clusters=5),
                                                            _minibatch(n_clusters=3)), _iris, False),
}


def _fit(case_id):
    make, data, supervised = CASES[case_id]
    X, y, X_all = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = make().fit(X, y.astype(np.float64) if supervised and case_id.endswith("linear") else y)
    return model, X, X_all


def _relative(got, want):
    """Largest |got - want| / |want|, an entry below 1e-12 of its column's largest magnitude
    measured against that instead (a distance near 0 carries the rounding of its terms)."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    got, want = got.reshape(len(want), -1), want.reshape(len(want), -1)
    floor = 1e-12 * np.abs(want).max(axis=0)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), np.maximum(floor, 1e-300))))


def _check(case_id, method, got, want):
    err = _relative(got, want)
    PARITY[(case_id, method)] = max(err, PARITY.get((case_id, method), 0.0))
    assert err <= RTOL, f"{case_id} {method}: relative difference {err:.3g}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = {}

    def get(case_id):
        if case_id not in cache:
            model, X_fit, X = _fit(case_id)
            path = tmp_path_factory.mktemp("cluster") / "model.ferry"
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                art = ferry.export(model, path, X_sample=X_fit, created=CREATED)
            cache[case_id] = (model, X, path, art)
        return cache[case_id]

    return get


def _clusterer_last(model) -> bool:
    final = model[-1] if isinstance(model, Pipeline) else model
    return isinstance(final, (KMeans, MiniBatchKMeans))


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernels_match_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    got = exporter.evaluate(art, X)
    if _clusterer_last(model):
        assert art.schema["task"] == "classification"
        assert art.schema["classes"]["values"] == list(range(art.schema["n_outputs"]))
        assert set(got) == {"predict"}
        np.testing.assert_array_equal(got["predict"], model.predict(X))
    elif art.schema["task"] == "classification":
        np.testing.assert_array_equal(got["predict"], model.predict(X))
        _check(case_id, "numpy predict_proba", got["predict_proba"], model.predict_proba(X))
    else:
        _check(case_id, "numpy predict", got["predict"].reshape(-1), model.predict(X))
    # the transform: every center_distances step against scikit-learn's transform up to it
    steps = art.pipeline
    for i, step in enumerate(steps):
        if step["type"] == "center_distances":
            Z = exporter.run_steps(steps[: i + 1], X, art.tensors)
            want = model[: i + 1].transform(X)
            _check(case_id, "numpy transform", Z, want)


def _cli(args, text=None):
    return subprocess.run([str(CLI), *args], input=text, capture_output=True, text=True)


def _csv(X, names):
    text = io.StringIO()
    w = csv.writer(text, lineterminator="\n")
    w.writerow(names)
    w.writerows([[repr(float(v)) for v in row] for row in X])
    return text.getvalue()


def _need_cli():
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_matches_scikit_learn(case_id, exported):
    _need_cli()
    model, X, path, art = exported(case_id)
    run = _cli(["verify", str(path)])
    assert run.returncode == 0, run.stderr
    names = [i["name"] for i in art.header["schema"]["inputs"]]
    classification = art.schema["task"] == "classification"
    proba = classification and not _clusterer_last(model)
    run = _cli(["predict", str(path), "-"] + (["--proba"] if proba else []), _csv(X, names))
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))
    if classification:
        assert [r[0] for r in rows[1:]] == [str(v.item()) for v in model.predict(X)], case_id
        if proba:
            _check(case_id, "C++ predict_proba", np.array([[float(v) for v in r[1:]] for r in rows[1:]]),
                   model.predict_proba(X))
        else:  # a clusterer has no predict_proba: neither has ferry
            assert rows[0] == ["prediction"]
            run = _cli(["predict", str(path), "-", "--proba"], ",".join(names) + "\n")
            assert run.returncode == 1 and "predict_proba" in run.stderr, run.stderr
    else:
        _check(case_id, "C++ predict", np.array([float(r[0]) for r in rows[1:]]), model.predict(X))


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_verifies_every_row(case_id, exported, tmp_path):
    _need_cli()
    model, X, _, _ = exported(case_id)
    for start in range(0, len(X), 16):
        path = tmp_path / f"rows{start}.ferry"
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            art = ferry.export(model, path, X_sample=X[start:start + 16], created=CREATED, background_rows=0)
        if _clusterer_last(model):
            assert set(art.header["verification"]["outputs"]) == {"predict"}
        run = _cli(["verify", str(path)])
        assert run.returncode == 0, (start, run.stderr)


def _tied(tmp_path, cls):
    """A clusterer whose centres are exactly [0, 0], [2, 0], [1, 2]: rows on the bisectors are
    exact ties in scikit-learn's |c|^2 - 2 x.c and go to the lowest index."""
    C = np.array([[0.0, 0.0], [2.0, 0.0], [1.0, 2.0]])
    kw = {"batch_size": 3} if cls is MiniBatchKMeans else {}
    km = cls(n_clusters=3, init=C, n_init=1, max_iter=1, **kw).fit(C)
    km.cluster_centers_ = C.copy()  # MiniBatchKMeans may move or reassign them while fitting
    T = np.array([[1.0, 0.0], [1.0, -5.0], [1.0, 7.0], [0.5, 1.0], [1.5, 1.0], [1.0, 0.75], [0.0, 0.0], [3.0, 0.0]])
    path = tmp_path / "tied.ferry"
    art = ferry.export(km, path, X_sample=T, created=CREATED)
    return km, T, path, art


@pytest.mark.parametrize("cls", [KMeans, MiniBatchKMeans])
def test_ties_go_to_the_lowest_index(cls, tmp_path):
    km, T, path, art = _tied(tmp_path, cls)
    want = km.predict(T)
    np.testing.assert_array_equal(want, [0, 0, 2, 0, 1, 0, 0, 1])
    np.testing.assert_array_equal(exporter.evaluate(art, T)["predict"], want)
    _need_cli()
    run = _cli(["predict", str(path), "-"], _csv(T, ["x0", "x1"]))
    assert run.returncode == 0, run.stderr
    assert [r[0] for r in list(csv.reader(io.StringIO(run.stdout)))[1:]] == [str(v) for v in want]


def test_binding_transform_and_no_decision_function(exported):
    """Through the Python binding: the transform is scikit-learn's distances, a clusterer's
    predict_proba and decision_function are refused."""
    from ferry.runtime import native_available

    if not native_available():
        pytest.skip("the native module is not built")
    model, X, path, _ = exported("KMeans-transform-linear")
    m = ferry.Model.load(path)
    _check("KMeans-transform-linear", "C++ transform", m.transform(X), model[:-1].transform(X))
    model, X, path, _ = exported("KMeans-predict")
    m = ferry.Model.load(path)
    np.testing.assert_array_equal(m.predict(X), model.predict(X))
    for method in (m.predict_proba, m.decision_function):
        with pytest.raises(ferry.FerryError):
            method(X[:2])


def test_refusals(tmp_path):
    X, _, _ = _iris()
    with pytest.raises(ValueError, match="at least 2"):
        ferry.export(_kmeans(n_clusters=1).fit(X), tmp_path / "m.ferry", X_sample=X[:5])
    with pytest.raises(ferry.UnsupportedModelError, match="float32"):
        ferry.export(_kmeans(n_clusters=3).fit(X.astype(np.float32)), tmp_path / "m.ferry", X_sample=X[:5])


def test_every_class_is_registered_and_covered():
    for cls in (KMeans, MiniBatchKMeans):
        assert cls in ESTIMATORS and cls in PREPROCESSORS, cls.__name__
    kinds = {(type(s).__name__, i == len(m.steps) - 1)
             for make, _, _ in CASES.values()
             for m in [make()] if isinstance(m, Pipeline)
             for i, (_, s) in enumerate(m.steps)}
    kinds |= {(type(make()).__name__, True) for make, _, _ in CASES.values() if not isinstance(make(), Pipeline)}
    for name in ("KMeans", "MiniBatchKMeans"):
        assert (name, True) in kinds and (name, False) in kinds, name


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    """With ``-s``, prints the largest relative difference per case and output at the end."""
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:40s} {method:22s} {err:.2g}")
