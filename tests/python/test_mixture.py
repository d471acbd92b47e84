"""GaussianMixture and BayesianGaussianMixture (issue 12, item 6): every covariance type
(full, tied, diag, spherical; both weight priors of the Bayesian one) exports, and ferry's numpy
kernel and its C++ engine (the CLI: ``ferry predict --proba`` on every row, ``ferry verify`` on
the embedded rows and every row in blocks of 16) reproduce scikit-learn's predict and
predict_proba; the scores' logsumexp is its score_samples (checked through the numpy kernel and,
where the binding is built, the C++ scores). Labels identical, values within 1e-9 relative.

scikit-learn computes its quadratic forms with the BLAS (``np.dot``); diag and spherical use the
expanded form ``c - 2 x.w + x².p``, whose terms cancel near a component's mean: the tests hold
a tolerance, never bits. ``PARITY`` holds the largest relative differences measured, which
docs/supported.md quotes.
"""

from __future__ import annotations

import csv
import io
import pathlib
import subprocess
import warnings

import numpy as np
import pytest
from scipy.special import logsumexp
from sklearn import datasets
from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import exporter
from ferry.converters import ESTIMATORS
from ferry.converters.mixture import weighted_log_prob

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL = 1e-9
CREATED = "2026-01-01T00:00:00Z"
PARITY: dict = {}
COVARIANCES = ("full", "tied", "diag", "spherical")


def _far(X: np.ndarray) -> np.ndarray:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    even = np.arange(X.shape[1]) % 2 == 0
    return np.vstack([hi + 3 * span, lo - 3 * span, np.where(even, hi + 3 * span, lo - 3 * span), lo, hi])


def _iris():
    X, _ = datasets.load_iris(return_X_y=True)
    return X, np.vstack([X, _far(X)])


def _wine():
    X, _ = datasets.load_wine(return_X_y=True)
    X = X[::2, :5]
    return X, np.vstack([X, _far(X)])


CASES = {
    **{f"GaussianMixture-{c}": (lambda c=c: GaussianMixture(n_components=3, covariance_type=c, random_state=0),
                                _iris) for c in COVARIANCES},
    **{f"BayesianGaussianMixture-{c}": (lambda c=c: BayesianGaussianMixture(n_components=4, covariance_type=c,
                                                                            random_state=0, max_iter=300), _iris)
       for c in COVARIANCES},
    **{f"BayesianGaussianMixture-dirichlet-distribution-{c}": (
        lambda c=c: BayesianGaussianMixture(n_components=3, covariance_type=c, random_state=1, max_iter=300,
                                            weight_concentration_prior_type="dirichlet_distribution"), _wine)
       for c in ("full", "spherical")},
    "GaussianMixture-scaled-diag": (lambda: make_pipeline(StandardScaler(), GaussianMixture(
        n_components=4, covariance_type="diag", random_state=0)), _wine),
}


def _fit(case_id):
    make, data = CASES[case_id]
    X, X_all = data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings
        model = make().fit(X)
    return model, X, X_all


def _relative(got, want):
    """Largest |got - want| / |want|; an entry below 1e-300 is measured absolutely."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    return float(np.max(np.abs(got - want) / np.maximum(np.abs(want), 1e-300)))


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
            path = tmp_path_factory.mktemp("mixture") / "model.ferry"
            art = ferry.export(model, path, X_sample=X_fit, created=CREATED)
            cache[case_id] = (model, X, path, art)
        return cache[case_id]

    return get


def _final(model, X):
    return (model[-1], model[:-1].transform(X)) if isinstance(model, Pipeline) else (model, X)


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernel_matches_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    got = exporter.evaluate(art, X)
    assert art.schema["classes"]["values"] == list(range(art.schema["n_outputs"]))
    assert set(got) == {"predict", "predict_proba"}
    np.testing.assert_array_equal(got["predict"], model.predict(X))
    _check(case_id, "numpy predict_proba", got["predict_proba"], model.predict_proba(X))
    final, Xt = _final(model, X)
    est = art.estimator
    s = weighted_log_prob(est, {r: art.tensors[n] for r, n in est["tensors"].items()}, Xt)
    _check(case_id, "numpy score_samples", logsumexp(s, axis=1), model.score_samples(X))


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
    run = _cli(["predict", str(path), "-", "--proba"], _csv(X, names))
    assert run.returncode == 0, run.stderr
    rows = list(csv.reader(io.StringIO(run.stdout)))[1:]
    assert [r[0] for r in rows] == [str(v.item()) for v in model.predict(X)], case_id
    _check(case_id, "C++ predict_proba", np.array([[float(v) for v in r[1:]] for r in rows]), model.predict_proba(X))


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_verifies_every_row(case_id, exported, tmp_path):
    _need_cli()
    model, X, _, _ = exported(case_id)
    for start in range(0, len(X), 16):
        path = tmp_path / f"rows{start}.ferry"
        art = ferry.export(model, path, X_sample=X[start:start + 16], created=CREATED, background_rows=0)
        assert set(art.header["verification"]["outputs"]) == {"predict", "predict_proba"}
        run = _cli(["verify", str(path)])
        assert run.returncode == 0, (start, run.stderr)


@pytest.mark.parametrize("case_id", ["GaussianMixture-full", "BayesianGaussianMixture-tied",
                                     "GaussianMixture-scaled-diag", "BayesianGaussianMixture-spherical"])
def test_binding_scores_are_the_weighted_log_prob(case_id, exported):
    """Through the Python binding: the C++ scores are _estimate_weighted_log_prob, so their
    logsumexp is score_samples; decision_function is refused (scikit-learn has none)."""
    from ferry.runtime import native_available

    if not native_available():
        pytest.skip("the native module is not built")
    model, X, path, _ = exported(case_id)
    m = ferry.Model.load(path)
    scores = m.predict_details(X)["scores"]
    final, Xt = _final(model, X)
    _check(case_id, "C++ scores", scores, final._estimate_weighted_log_prob(Xt))
    _check(case_id, "C++ score_samples", logsumexp(scores, axis=1), model.score_samples(X))
    with pytest.raises(ferry.FerryError, match="decision_function"):
        m.decision_function(X[:2])


def test_refusals(tmp_path):
    X, _ = _iris()
    with pytest.raises(ValueError, match="at least 2"):
        ferry.export(GaussianMixture(n_components=1).fit(X), tmp_path / "m.ferry", X_sample=X[:5])


def test_every_class_and_covariance_is_covered():
    covered = set()
    for make, _ in CASES.values():
        m = make()
        m = m[-1] if isinstance(m, Pipeline) else m
        covered.add((type(m), m.covariance_type))
    for cls in (GaussianMixture, BayesianGaussianMixture):
        assert cls in ESTIMATORS
        for c in COVARIANCES:
            assert (cls, c) in covered, (cls.__name__, c)


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    """With ``-s``, prints the largest relative difference per case and output at the end."""
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:50s} {method:22s} {err:.2g}")
