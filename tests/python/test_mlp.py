"""MLPClassifier and MLPRegressor (issue 12, item 5): every activation x every task (binary,
multiclass, multilabel, regression with one and two targets, no hidden layer) exports, and
ferry's numpy kernel and its C++ engine (the Python binding, and ``ferry verify`` on the
embedded rows) reproduce scikit-learn's predict and predict_proba. Labels identical, values
within 1e-9 relative, measured normwise per output column.

scikit-learn multiplies each layer with the BLAS (``np.dot``), the C++ engine with Eigen: the
same sums in another order, so the tests hold a tolerance, never bits. The measure is normwise
(``|got - want| / max|want|`` per column) because a score that cancels to near zero is only
as exact as its largest terms; ``PARITY`` keeps the largest differences measured, which
docs/supported.md quotes. The rows include adversarial ones: a few column ranges outside the
training range and a million ranges out (large magnitudes, saturated units).
"""

from __future__ import annotations

import pathlib
import subprocess
import warnings

import numpy as np
import pytest
from sklearn import datasets
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import ferry
from ferry import exporter, format as fmt
from ferry.converters import ESTIMATORS

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
RTOL = 1e-9
CREATED = "2026-01-01T00:00:00Z"
PARITY: dict = {}
ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def _adversarial(X: np.ndarray) -> np.ndarray:
    lo, hi = X.min(axis=0), X.max(axis=0)
    span = np.where(hi > lo, hi - lo, 1.0)
    even = np.arange(X.shape[1]) % 2 == 0
    rows = [lo, hi]
    for f in (3.0, 1e6):
        rows += [hi + f * span, lo - f * span, np.where(even, hi + f * span, lo - f * span)]
    return np.vstack(rows)


def _iris():
    X, y = datasets.load_iris(return_X_y=True)
    return X, y


def _task_data(task):
    X, y = _iris()
    if task == "binary":
        return X, np.where(y == 1, "versicolor", "other")
    if task == "multiclass":
        return X, y
    if task == "multilabel":
        return X, np.column_stack([y == 0, y == 2, X[:, 0] > 5.8]).astype(int)
    if task == "regression":
        return X[:, :3], X[:, 3]
    return X[:, :2], X[:, 2:]  # two targets


TASKS = ("binary", "multiclass", "multilabel", "regression", "two_targets")


def _make(task, activation, hidden=(6, 5)):
    cls = MLPRegressor if task in ("regression", "two_targets") else MLPClassifier
    return make_pipeline(StandardScaler(), cls(hidden, activation=activation, solver="lbfgs", max_iter=300,
                                               random_state=0))


CASES = {f"{t}-{a}": (t, a, (6, 5)) for t in TASKS for a in ACTIVATIONS}
CASES["multiclass-relu-no-hidden"] = ("multiclass", "relu", ())
CASES["regression-tanh-three-layers"] = ("regression", "tanh", (7, 4, 3))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    cache = {}

    def get(case_id):
        if case_id not in cache:
            task, activation, hidden = CASES[case_id]
            X, y = _task_data(task)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # convergence warnings
                model = _make(task, activation, hidden).fit(X, y)
            path = tmp_path_factory.mktemp("mlp") / "model.ferry"
            art = ferry.export(model, path, X_sample=X, created=CREATED)
            cache[case_id] = (model, np.vstack([X, _adversarial(X)]), path, art)
        return cache[case_id]

    return get


def _check(case_id, method, got, want):
    got = np.asarray(got, dtype=np.float64).reshape(len(want), -1)
    want = np.asarray(want, dtype=np.float64).reshape(len(want), -1)
    scale = np.maximum(np.max(np.abs(want), axis=0), 1e-300)
    err = float(np.max(np.abs(got - want) / scale))
    PARITY[(case_id, method)] = max(err, PARITY.get((case_id, method), 0.0))
    assert err <= RTOL, f"{case_id} {method}: relative difference {err:.3g}"


def _expected(model, X, task):
    """What the artifact must give: labels and predict_proba, or values (a multilabel
    classifier's values are its predict_proba)."""
    if task == "multilabel":
        return {"values": model.predict_proba(X)}
    if task in ("regression", "two_targets"):
        return {"values": model.predict(X)}
    return {"labels": model.predict(X), "proba": model.predict_proba(X)}


@pytest.mark.parametrize("case_id", list(CASES))
def test_numpy_kernel_matches_scikit_learn(case_id, exported):
    model, X, _, art = exported(case_id)
    task = CASES[case_id][0]
    got = exporter.evaluate(art, X)
    want = _expected(model, X, task)
    if "labels" in want:
        classes = np.asarray(art.schema["classes"]["values"])
        np.testing.assert_array_equal(classes[got["predict"]], want["labels"])
        _check(case_id, "numpy predict_proba", got["predict_proba"], want["proba"])
        assert "decision_function" not in got
    else:
        _check(case_id, "numpy values", got["predict"], want["values"])
    if task == "multilabel":  # scikit-learn's predict is the values > 0.5
        np.testing.assert_array_equal(got["predict"] > 0.5, model.predict(X).astype(bool))


def _native_or_skip():
    from ferry.runtime import native_available

    if not native_available():
        pytest.skip("the native module is not built")


@pytest.mark.parametrize("case_id", list(CASES))
def test_cpp_matches_scikit_learn(case_id, exported):
    _native_or_skip()
    model, X, path, art = exported(case_id)
    task = CASES[case_id][0]
    m = ferry.Model.load(path, verify=True)
    want = _expected(model, X, task)
    if "labels" in want:
        np.testing.assert_array_equal(np.asarray(m.predict(X)), want["labels"])
        _check(case_id, "C++ predict_proba", m.predict_proba(X), want["proba"])
        with pytest.raises(ferry.FerryError, match="decision_function"):
            m.decision_function(X[:2])
    else:
        _check(case_id, "C++ values", m.predict(X), want["values"])
    # blocks of rows and single rows take different paths (matrix products, vector products)
    one = np.vstack([np.asarray(m.predict_details(X[i:i + 1])["scores"]) for i in range(0, len(X), 7)])
    _check(case_id, "C++ one row vs batch", one, np.asarray(m.predict_details(X)["scores"])[::7])


@pytest.mark.parametrize("case_id", ["binary-tanh", "multilabel-logistic", "two_targets-relu"])
def test_cli_verifies_every_row(case_id, exported, tmp_path):
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built")
    model, X, _, _ = exported(case_id)
    path = tmp_path / "all.ferry"
    ferry.export(model, path, X_sample=X, created=CREATED, background_rows=0)
    run = subprocess.run([str(CLI), "verify", str(path)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_the_artifact_is_what_format_md_says(exported):
    _, _, _, art = exported("multiclass-relu")
    est = art.estimator
    assert est["type"] == "mlp"
    assert est["params"] == {"hidden_sizes": [6, 5], "activation": "relu", "link": "softmax"}
    assert art.tensors[est["tensors"]["weights"]].shape == (4 * 6 + 6 * 5 + 5 * 3,)
    assert art.tensors[est["tensors"]["biases"]].shape == (6 + 5 + 3,)
    _, _, _, art = exported("multilabel-tanh")
    assert art.schema["task"] == "regression" and art.schema["n_outputs"] == 3
    assert art.estimator["params"]["link"] == "logistic"


def _reread(art, edit):
    header = {k: v for k, v in art.header.items() if k != "tensors"}
    import copy

    header = copy.deepcopy(header)
    tensors = dict(art.tensors)
    edit(header, tensors)
    return fmt.loads(fmt.dumps(header, tensors))


@pytest.mark.parametrize("edit, message", [
    (lambda h, t: h["estimator"]["params"].update(hidden_sizes=[6, 4]), "weights"),
    (lambda h, t: h["estimator"]["params"].update(hidden_sizes=[6, 0]), "hidden_sizes"),
    (lambda h, t: h["estimator"]["params"].update(hidden_sizes="6"), "hidden_sizes"),
    (lambda h, t: h["estimator"]["params"].update(activation="softplus"), "activation"),
    (lambda h, t: h["estimator"]["params"].update(link="ovr"), "link"),
    (lambda h, t: t.update({h["estimator"]["tensors"]["biases"]: t[h["estimator"]["tensors"]["biases"]][:-1]}),
     "biases"),
])
def test_the_reader_refuses_malformed_mlps(exported, edit, message):
    _, _, _, art = exported("multiclass-relu")
    with pytest.raises(fmt.ArtifactError, match=message):
        _reread(art, edit)


def test_refusals(tmp_path):
    X, y = _iris()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = MLPClassifier((3,), max_iter=5, random_state=0).fit(X, y)
    model.coefs_[0][0, 0] = np.nan
    with pytest.raises(ValueError, match="not finite"):
        ferry.export(model, tmp_path / "m.ferry", X_sample=X[:5])


def test_every_class_activation_and_task_is_covered():
    assert MLPClassifier in ESTIMATORS and MLPRegressor in ESTIMATORS
    covered = {(CASES[c][0], CASES[c][1]) for c in CASES}
    assert covered >= {(t, a) for t in TASKS for a in ACTIVATIONS}


@pytest.fixture(scope="module", autouse=True)
def _report_parity():
    """With ``-s``, prints the largest relative difference per case and output at the end."""
    yield
    for (case_id, method), err in sorted(PARITY.items()):
        print(f"parity {case_id:34s} {method:22s} {err:.2g}")
