"""The shipped golden artifacts (artifacts/, tests/data/): re-export, compare, evaluate."""

from __future__ import annotations

import csv
import io
import json
import os

import numpy as np
import pytest

import ferry
from conftest import ROOT, spec_evaluate

def _golden_cases(sub):
    """The golden cases of a folder: every directory holding scikit-learn's outputs
    (expected.csv). test_layout checks them against scripts/make_artifacts both ways, so a new
    case needs no entry here."""
    return sorted(p.name for p in (ROOT / sub).iterdir() if (p / "expected.csv").is_file())


ARTIFACT_CASES = _golden_cases("artifacts")
TEST_DATA_CASES = _golden_cases("tests/data")
# tree ensembles (tests/python/test_trees.py); XGBoost cases hold XGBoost's own float32 outputs
TREE_CASES = [c for c in TEST_DATA_CASES if c.startswith(("tree_", "xgb_"))]
# XGBoost's pred_contribs and pred_interactions and a tree pipeline (scripts/make_shap_cases),
# scikit-learn's interventional Shapley values (scripts/make_agnostic_cases): not golden cases
SHAP_CASES = sorted(p.name for p in (ROOT / "tests/data").iterdir() if p.name.startswith("shap_"))
# drift monitoring data (scripts/make_drift_cases): a model with baselines and CSVs to monitor
DRIFT_CASES = sorted(p.name for p in (ROOT / "tests/data").iterdir() if p.name.startswith("drift_"))
ALL = [("artifacts", c) for c in ARTIFACT_CASES] + [("tests/data", c) for c in TEST_DATA_CASES]
FILES = {"model.ferry", "input.csv", "expected.csv"}
IDS = [c for _, c in ALL]


@pytest.fixture(scope="session")
def regenerated(tmp_path_factory, make_artifacts):
    """Every case rebuilt from scratch into a temporary root."""
    root = tmp_path_factory.mktemp("regen")
    make_artifacts.generate(root)
    return root


@pytest.fixture(scope="session")
def fitted(make_artifacts):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = make_artifacts.CASES[name].build()
        return cache[name]

    return get


def num(v: str) -> float:
    """A CSV cell as a number: an empty cell is a missing value (NaN)."""
    return float("nan") if v == "" else float(v)


def input_matrix(header, rows):
    """input.csv rows as the artifact's verification input: numbers, and text as its index in
    the input's categories, -1 when it has none (docs/format.md 3.2; an empty cell is a missing
    value, NaN)."""
    inputs = header["schema"]["inputs"]
    X = np.empty((len(rows), len(inputs)))
    for j, inp in enumerate(inputs):
        if inp["kind"] == "categorical":
            index = {c: float(k) for k, c in enumerate(inp["categories"])}
            X[:, j] = [np.nan if r[j] == "" else index.get(r[j], -1.0) for r in rows]
        elif inp["kind"] == "text":  # free text: the row's index into input_texts(), NaN if missing
            X[:, j] = [np.nan if r[j] == "" and inp["nullable"] else float(i) for i, r in enumerate(rows)]
        else:
            X[:, j] = [num(r[j]) for r in rows]
    return X


def input_texts(header, rows):
    """The free-text inputs of input.csv rows: name -> the rows' texts (docs/format.md 3.2)."""
    return {inp["name"]: [None if r[j] == "" and inp["nullable"] else r[j] for r in rows]
            for j, inp in enumerate(header["schema"]["inputs"]) if inp["kind"] == "text"}


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return rows[0], rows[1:]


@pytest.fixture(scope="session")
def same_environment(make_artifacts) -> bool:
    """Whether this is the numeric environment the shipped files were generated in
    (tests/data/environment.json): only there is a regenerated file demanded byte for byte."""
    recorded = json.loads((ROOT / make_artifacts.ENVIRONMENT_FILE).read_text(encoding="utf-8"))
    return recorded == make_artifacts.numeric_environment()


# Anywhere else (another CPU, BLAS, libm or library version) a fresh fit moves, and each case is
# compared within what its fit's arithmetic allows. Comparisons are normwise, so that entries
# near zero are judged on the scale of their neighbours: |fresh - shipped| <= tolerance * the
# largest |shipped| value of the same column for rows of data (outputs, features), of the whole
# tensor for fitted parameters.
# Measured between reference BLAS with numpy's AVX-512 paths and OpenBLAS without them
# (tests/data/README.md, "Other machines").
#: closed forms, sorts, counts, quantiles and tree growth: only rounding, amplified by the
#: conditioning of least squares (measured 5.4e-13 at most)
DIRECT = 1e-9
#: fits that stop at a tolerance (L-BFGS for LogisticRegression, k-means bins): another path to
#: the optimum stops elsewhere in a flat region; on a nearly separable problem
#: (impute_all_nan_column, decision values near 120) the weights moved by 2.7e-2
ITERATIVE = 1e-1
#: outputs computed in float32 (XGBoost's probabilities; numpy's float32 exp differs by an ulp
#: between its SIMD paths and libm)
FLOAT32 = 1e-6


def _estimators(model):
    from sklearn.base import BaseEstimator

    yield model
    for v in model.get_params(deep=True).values():
        if isinstance(v, BaseEstimator):
            yield v


def fit_tolerances(model):
    """(fitted parameters and preprocessed features, outputs) tolerances for a fresh fit of
    model on another machine; None: not compared numerically."""
    from sklearn.linear_model import LogisticRegression, Perceptron, PoissonRegressor, SGDClassifier
    from sklearn.preprocessing import KBinsDiscretizer, PowerTransformer

    parts = list(_estimators(model))
    if any(type(e).__module__.startswith("xgboost") for e in parts):
        return DIRECT, FLOAT32
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    from sklearn.neighbors import NeighborhoodComponentsAnalysis

    if any(isinstance(e, NeighborhoodComponentsAnalysis) for e in parts):
        # NCA's L-BFGS fit: the projection may settle elsewhere with another BLAS
        return None, ITERATIVE
    if any(isinstance(e, (MLPClassifier, MLPRegressor)) for e in parts):
        # L-BFGS over a non-convex loss from a seeded start: the weights may settle elsewhere
        # with another BLAS, the fitted function stays close
        return None, ITERATIVE
    if any(isinstance(e, PowerTransformer) for e in parts):
        # lambda maximises a likelihood that can be nearly flat: measured to move by 0.71
        # (1.996 -> 1.284) between environments, and everything after it with it; the outputs
        # still agree, because the estimator was fitted on what that lambda gives.
        return None, ITERATIVE
    from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
    from sklearn.svm._base import BaseLibSVM

    if any(isinstance(e, (GaussianProcessRegressor, GaussianProcessClassifier)) for e in parts):
        # the kernel's hyperparameters come from L-BFGS-B on the log marginal likelihood, whose
        # default gradient tolerance leaves them ~1e-8 apart between BLAS (measured 4.2e-9 relative
        # on gp_regressor's length scale with OpenBLAS)
        return ITERATIVE, ITERATIVE

    from sklearn.decomposition import KernelPCA

    if any(isinstance(e, KernelPCA) for e in parts):
        # eigenvectors from LAPACK's eigh, which another BLAS may rotate within a repeated
        # eigenvalue; k_fit_all, the mean of a centred kernel, is rounding noise near 0
        return None, ITERATIVE
    from sklearn.cross_decomposition._pls import _PLS

    if any(isinstance(e, _PLS) for e in parts):
        # NIPALS: power iterations stopped at tol=1e-6, whose count may differ with another BLAS
        return ITERATIVE, ITERATIVE

    # (SGD, the Perceptron, PoissonRegressor's L-BFGS and libsvm's SMO are iterative fits too)
    if any(isinstance(e, (LogisticRegression, SGDClassifier, Perceptron, PoissonRegressor, BaseLibSVM))
           or (isinstance(e, KBinsDiscretizer) and e.strategy == "kmeans") for e in parts):
        return ITERATIVE, ITERATIVE
    return DIRECT, DIRECT


def assert_close_normwise(got, want, tol, what, rows_of_data=True):
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    if got.size == 0:
        return
    g, w = (got.reshape(got.shape[0], -1), want.reshape(want.shape[0], -1)) if rows_of_data else \
        (got.reshape(1, -1), want.reshape(1, -1))
    assert np.array_equal(np.isnan(g), np.isnan(w)), f"{what}: missing values differ"
    with np.errstate(invalid="ignore"):
        scale = np.nanmax(np.abs(w), axis=0 if rows_of_data else None, initial=0.0) * np.ones(w.shape[1])
        bad = np.abs(g - w) > tol * scale
    if np.any(bad):
        r, c = np.argwhere(bad)[0]
        raise AssertionError(f"{what}[{r}, {c}]: {g[r, c]!r} != {w[r, c]!r} beyond {tol:g} x {scale[c]:g}")


def test_layout(make_artifacts):
    assert {(c.subdir, c.name) for c in make_artifacts.CASES.values()} == set(ALL)
    assert sorted(p.name for p in (ROOT / "artifacts").iterdir()) == sorted(ARTIFACT_CASES + ["README.md"])
    data_dirs = sorted(p.name for p in (ROOT / "tests/data").iterdir() if p.is_dir())
    assert data_dirs == sorted(TEST_DATA_CASES + SHAP_CASES + DRIFT_CASES)
    assert len(TEST_DATA_CASES) > 50 and len(SHAP_CASES) >= 9  # the folders were read
    for sub, case in ALL:
        files = {p.name for p in (ROOT / sub / case).iterdir()}
        # transformed.csv exactly for pipelines with preprocessing steps
        has_steps = bool(ferry.read(ROOT / sub / case / "model.ferry").header["pipeline"])
        assert files == FILES | ({"transformed.csv"} if has_steps else set()), case


def test_total_size_is_small():
    total = sum(p.stat().st_size for d in ("artifacts", "tests/data") for p in (ROOT / d).rglob("*") if p.is_file())
    # about 40 KB per golden case (some 170 of them); the estimator families each add a handful,
    # and the text cases carry the tokenizer's Unicode tables (up to 0.7 MB uncompressed)
    assert total < 7_500_000


def test_script_is_executable_and_documented():
    script = ROOT / "scripts" / "make_artifacts"
    assert os.access(script, os.X_OK)
    assert script.read_text().splitlines()[0] == "#!/usr/bin/python3"
    readme = (ROOT / "artifacts" / "README.md").read_text()
    assert "scripts/make_artifacts" in readme
    for case in ARTIFACT_CASES:
        assert case in readme


def test_csv_quoting(make_artifacts):
    f = make_artifacts.csv_field
    assert f("mean radius") == "mean radius"
    assert f("a,b") == '"a,b"'
    assert f('say "hi"') == '"say ""hi"""'
    assert f("two\nlines") == '"two\nlines"'
    assert f("cr\r") == '"cr\r"'
    text = make_artifacts.csv_text(["a,b", 'q"', "plain"], [["1.0", "2.0", "3.0"]])
    assert list(csv.reader(io.StringIO(text))) == [["a,b", 'q"', "plain"], ["1.0", "2.0", "3.0"]]


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_reexport_matches_shipped_model(sub, case, regenerated, fitted, same_environment):
    shipped_bytes = (ROOT / sub / case / "model.ferry").read_bytes()
    fresh_bytes = (regenerated / sub / case / "model.ferry").read_bytes()
    shipped, fresh = ferry.read(shipped_bytes), ferry.read(fresh_bytes)
    assert shipped.header["metadata"]["created"] == "2026-01-01T00:00:00Z"
    if same_environment:
        assert fresh_bytes == shipped_bytes
        return
    # Another environment: the same structure, and numbers within the fit's tolerances.
    params_tol, outputs_tol = fit_tolerances(fitted(case).model)

    def leaves(h, path=""):
        if isinstance(h, dict):
            for k, v in h.items():
                yield from leaves(v, f"{path}.{k}")
        elif isinstance(h, list):
            for i, v in enumerate(h):
                yield from leaves(v, f"{path}[{i}]")
        else:
            yield path, h

    # The producer's versions and the sample's hash (of the input bits) differ by design.
    skip = (".metadata.producer", ".metadata.training.sample_sha256")
    a = {k: v for k, v in leaves(fresh.header) if not k.startswith(skip)}
    b = {k: v for k, v in leaves(shipped.header) if not k.startswith(skip)}
    assert a.keys() == b.keys()
    for k, v in b.items():
        if isinstance(v, float):
            if params_tol is None and k.startswith((".pipeline", ".estimator")):
                continue  # fitted values among the params (KernelPCA's k_fit_all): not compared
            assert abs(a[k] - v) <= (params_tol or ITERATIVE) * abs(v), k
        else:
            assert a[k] == v, k
    assert fresh.tensor_table.keys() == shipped.tensor_table.keys()
    for name, arr in shipped.tensors.items():
        if arr.dtype.kind != "f":
            np.testing.assert_array_equal(fresh.tensors[name], arr, err_msg=name)
        elif name.startswith("explain.background"):
            # k-means medoids of the sample: another machine may pick other, equally valid ones.
            assert fresh.tensors[name].shape == arr.shape, name
        elif name == "verification.input":
            assert_close_normwise(fresh.tensors[name], arr, DIRECT, name)
        elif name.startswith("verification."):
            assert_close_normwise(fresh.tensors[name], arr, outputs_tol, name)
        elif params_tol is not None:
            data = name == "explain.background_mean"  # a row of features, not parameters
            assert_close_normwise(fresh.tensors[name], arr, params_tol, name, rows_of_data=data)


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_input_csv(sub, case, regenerated, fitted, same_environment):
    path = ROOT / sub / case / "input.csv"
    if same_environment:
        assert path.read_bytes() == (regenerated / sub / case / "input.csv").read_bytes()
    header, rows = read_csv(path)
    art = ferry.read(ROOT / sub / case / "model.ferry")
    assert header == [i["name"] for i in art.header["schema"]["inputs"]]
    given = fitted(case).X
    if isinstance(given, list) and isinstance(given[0], dict):  # records: a column per key, absent is missing
        given = [[rec.get(k) for k in header] for rec in given]
    given = given.to_numpy(dtype=object) if hasattr(given, "columns") else np.asarray(given, dtype=object)
    if given.ndim == 1:  # one column of documents
        given = given.reshape(-1, 1)
    for row, want in zip(rows, given):
        for cell, v in zip(row, want):
            if isinstance(v, str):
                assert cell == v
            elif v is None or v != v:
                assert cell == ""
            elif same_environment:
                assert float(cell) == float(v)
            else:  # some cases compute their adversarial rows (e.g. random scales)
                assert abs(float(cell) - float(v)) <= DIRECT * abs(float(v))
    sample = fitted(case).sample
    assert art.header["metadata"]["training"]["sample_rows"] == len(rows if sample is None else sample)


def _xgboost_outputs(model, X):
    """XGBoost's own outputs from its Booster: (labels or values, probabilities, margins)."""
    import xgboost

    booster = model.get_booster()
    dm = xgboost.DMatrix(np.asarray(X, dtype=np.float64), feature_names=booster.feature_names,
                         feature_types=booster.feature_types, enable_categorical=True)
    n = len(X)
    margin = booster.predict(dm, output_margin=True).reshape(n, -1).astype(np.float64)
    if not hasattr(model, "classes_"):
        return booster.predict(dm).astype(np.float64), None, None
    if margin.shape[1] == 1:
        p1 = booster.predict(dm)
        proba = np.column_stack([1.0 - p1, p1]).astype(np.float64)
        return model.classes_[(p1 > 0.5).astype(int)], proba, margin
    if model.objective == "multi:softmax":
        raw = booster.predict(dm, output_margin=True).reshape(n, -1)
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        return model.classes_[raw.argmax(axis=1)], (e / e.sum(axis=1, keepdims=True)).astype(np.float64), margin
    proba = booster.predict(dm).reshape(n, -1)
    return model.classes_[proba.argmax(axis=1)], proba.astype(np.float64), margin


def _fresh_outputs(model, X):
    """The model's own outputs (scikit-learn's or XGBoost's), computed here without the generator script."""
    n = len(X)
    if type(model).__module__.startswith("xgboost"):
        pred, proba, dec = _xgboost_outputs(model, X)
    else:
        pred = np.asarray(model.predict(X))
        proba = np.asarray(model.predict_proba(X)) if hasattr(model, "predict_proba") else None
        dec = np.asarray(model.decision_function(X)).reshape(n, -1) if hasattr(model, "decision_function") else None
    from sklearn.base import is_classifier

    # (classifiers without predict_proba, such as Perceptron, still give labels)
    if (proba is not None or type(model).__name__ == "IsolationForest" or is_classifier(model)
            or getattr(model, "_estimator_type", None) == "outlier_detector"):  # OneClassSVM
        header = ["prediction"]
        parts = []
        if proba is not None:
            labels = [str(v.item() if hasattr(v, "item") else v) for v in model.classes_]
            header += [f"proba_{c}" for c in labels]
            parts.append(proba)
        if dec is not None:
            header += [f"decision_{j}" for j in range(dec.shape[1])]
            parts.append(dec)
        numbers = np.column_stack(parts) if parts else np.zeros((n, 0))  # hard voting, NearestCentroid: labels only
        text = [str(v.item() if hasattr(v, "item") else v) for v in pred]
        return header, text, numbers
    P = np.asarray(pred, dtype=np.float64).reshape(n, -1)
    header = ["prediction"] if P.shape[1] == 1 else [f"prediction_{j}" for j in range(P.shape[1])]
    return header, None, P


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_expected_csv_is_scikit_learns_output(sub, case, regenerated, fitted, same_environment):
    path = ROOT / sub / case / "expected.csv"
    shipped = ferry.read(ROOT / sub / case / "model.ferry")
    header, rows = read_csv(path)
    f = fitted(case)
    exp_header, exp_text, exp_numbers = _fresh_outputs(f.model, f.X)
    assert header == exp_header
    assert len(rows) == len(f.X)
    if exp_text is not None:
        got_text = [r[0] for r in rows]
        got_numbers = np.array([[float(v) for v in r[1:]] for r in rows])
    else:
        got_text = None
        got_numbers = np.array([[float(v) for v in r] for r in rows])
    if same_environment:
        assert path.read_bytes() == (regenerated / sub / case / "expected.csv").read_bytes()
        assert got_text == exp_text
        np.testing.assert_array_equal(got_numbers, exp_numbers)  # repr() round-trips exactly
        return
    _, tol = fit_tolerances(f.model)
    assert_close_normwise(got_numbers, exp_numbers, tol, "expected.csv")
    if got_text is not None:
        # A label may differ only where the shipped outputs are a near-tie within the tolerance.
        c = sum(h.startswith("proba_") for h in header)
        scores = got_numbers[:, :c] if c else np.abs(got_numbers)
        if scores.shape[1] == 0:  # labels only (hard voting, NearestCentroid): no near-tie to excuse
            margin = np.full(len(got_text), np.inf)
        elif scores.shape[1] == 1:
            margin = scores[:, 0] / max(np.max(np.abs(scores)), 1e-300)
        else:
            top2 = np.sort(scores, axis=1)[:, -2:]
            margin = (top2[:, 1] - top2[:, 0]) / max(np.max(np.abs(scores)), 1e-300)
        differ = [i for i, (g, e) in enumerate(zip(got_text, exp_text)) if g != e and margin[i] > 2 * tol]
        assert not differ, f"labels differ at rows {differ}"


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_artifact_reproduces_expected_csv(sub, case):
    """What the C++ golden tests do: load model.ferry, run input.csv, compare to expected.csv."""
    art = ferry.read(ROOT / sub / case / "model.ferry")
    _, in_rows = read_csv(ROOT / sub / case / "input.csv")
    header, rows = read_csv(ROOT / sub / case / "expected.csv")
    got = spec_evaluate(art.header, art.tensors, input_matrix(art.header, in_rows), input_texts(art.header, in_rows))
    rtol, atol = 0.0, 1e-12  # the parity bar of the golden tests, tighter than the embedded tolerance
    ver = art.header["verification"]
    if ver["rtol"] > 1e-9:  # XGBoost: its float32 outputs, as the artifact itself says
        rtol, atol = ver["rtol"], ver["atol"]
    schema = art.header["schema"]
    if schema["task"] == "classification":
        labels = [str(v) for v in schema["classes"]["values"]]
        assert [labels[i] for i in got["predict"]] == [r[0] for r in rows]
        expected = np.array([[float(v) for v in r[1:]] for r in rows])
        c = sum(h.startswith("proba_") for h in header)
        assert header[1:1 + c] == [f"proba_{v}" for v in labels][:c]
        if c:
            np.testing.assert_allclose(got["predict_proba"], expected[:, :c], rtol=rtol, atol=atol)
        if expected.shape[1] > c:
            np.testing.assert_array_equal(got["decision_function"], expected[:, c:]) if rtol > 1e-9 else \
                np.testing.assert_allclose(got["decision_function"], expected[:, c:], rtol=rtol, atol=atol)
        else:
            assert "decision_function" not in got
    else:
        expected = np.array([[float(v) for v in r] for r in rows])
        np.testing.assert_allclose(got["predict"], expected, rtol=rtol, atol=atol)


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_verification_rows_agree_with_csv(sub, case):
    art = ferry.read(ROOT / sub / case / "model.ferry")
    _, in_rows = read_csv(ROOT / sub / case / "input.csv")
    _, exp_rows = read_csv(ROOT / sub / case / "expected.csv")
    n = art.header["metadata"]["training"]["sample_rows"]  # X_sample: input.csv or a prefix of it
    idx = np.unique(np.linspace(0, n - 1, min(16, n)).round().astype(int))
    ver = art.header["verification"]
    assert ver["rows"] == len(idx)
    np.testing.assert_array_equal(art.tensors[ver["input"]], input_matrix(art.header, [in_rows[i] for i in idx]))
    assert ver.get("texts", {}) == input_texts(art.header, [in_rows[i] for i in idx])
    schema = art.header["schema"]
    outs = {k: art.tensors[v] for k, v in ver["outputs"].items()}
    if schema["task"] == "classification":
        labels = [str(v) for v in schema["classes"]["values"]]
        assert [labels[i] for i in outs["predict"]] == [exp_rows[i][0] for i in idx]
        c = schema["n_outputs"] if "predict_proba" in outs else 0
        expected = np.array([[float(v) for v in exp_rows[i][1:]] for i in idx])
        if c:
            np.testing.assert_allclose(outs["predict_proba"], expected[:, :c], rtol=1e-12, atol=1e-15)
        if "decision_function" in outs:
            np.testing.assert_allclose(outs["decision_function"], expected[:, c:], rtol=1e-12, atol=1e-15)
        else:
            assert expected.shape[1] == c
    else:
        expected = np.array([[float(v) for v in exp_rows[i]] for i in idx])
        np.testing.assert_allclose(outs["predict"], expected, rtol=1e-12, atol=1e-15)


EXPECTED_SHAPES = {
    # case: (task, link, n_inputs, n_outputs, k, pipeline step params, class dtype, first input name)
    "breast_cancer": ("classification", "logistic", 30, 2, 1, [(True, True)], "int64", "mean radius"),
    "iris": ("classification", "softmax", 4, 3, 3, [], "str", "sepal length (cm)"),
    "diabetes": ("regression", "identity", 10, 1, 1, [(True, True)], None, "x0"),
    "ovr_wine": ("classification", "ovr", 13, 3, 3, [(True, True)], "int64", "alcohol"),
    "multinomial_binary": ("classification", "softmax", 5, 2, 1, [(True, True)], "int64", "x0"),
    "int_labels_binary": ("classification", "logistic", 64, 2, 1, [(False, True)], "int64", "x0"),
    "bool_labels": ("classification", "logistic", 10, 2, 1, [(True, True)], "bool", "age"),
    "linear_multioutput": ("regression", "identity", 3, 2, 2, [], None, "Chins"),
    "ridge_no_intercept": ("regression", "identity", 10, 1, 1, [(True, False)], None, "x0"),
    "float_labels_ovr": ("classification", "ovr", 4, 3, 3, [], "float64", "x0"),
    "linear_sgd_modified_huber": ("classification", "modified_huber", 4, 3, 3, [(True, True)], "int64", "x0"),
    "linear_glm_poisson": ("regression", "exp", 5, 1, 1, [(True, True)], None, "x0"),
    "linear_lda_transform_perceptron": ("classification", "none", 4, 3, 3,
                                        [(True, True), ("linear_projection", {"with_mean": True, "with_scale": False})],
                                        "int64", "x0"),
    "qda_wine": ("classification", "softmax", 4, 3, 3, [], "int64", "alcohol"),
    "qda_binary": ("classification", "softmax_pair", 3, 2, 1, [], "int64", "x0"),
    "svm_svc_rbf_ovr": ("classification", "ovr_votes", 4, 3, 3, [(True, True)], "int64", "x0"),
    "svm_nusvc_poly_ovo": ("classification", "ovo_votes", 4, 3, 3, [(True, True)], "int64", "alcohol"),
    "svm_svc_sigmoid_binary": ("classification", "ovo_votes", 4, 2, 1, [(True, True)], "int64", "x0"),
    "svm_svr_linear": ("regression", "identity", 4, 1, 1, [(True, True)], None, "x0"),
    "svm_oneclass_rbf": ("classification", "isolation", 4, 2, 1, [(True, True)], "int64", "x0"),
    "mlp_classifier_relu_multiclass": ("classification", "softmax", 4, 3, 3, [(True, True)], "int64", "x0"),
    "mlp_classifier_tanh_binary": ("classification", "logistic", 5, 2, 1, [(True, True)], "int64", "mean radius"),
    "mlp_regressor_logistic_two_targets": ("regression", "identity", 5, 2, 2, [(True, True)], None, "x0"),
    "mlp_regressor_identity": ("regression", "identity", 4, 1, 1, [], None, "x0"),
    "knn_classifier_distance_manhattan": ("classification", "probability", 4, 3, 3, [(True, True)], "int64", "x0"),
    "knn_regressor_uniform_euclidean": ("regression", "identity", 3, 1, 1, [(True, True)], None, "x0"),
    "knn_classifier_cosine_binary": ("classification", "probability", 4, 2, 2, [], "int64", "x0"),
    "knn_regressor_distance_minkowski": ("regression", "identity", 3, 2, 2, [(True, True)], None, "x0"),
    "nearest_centroid": ("classification", "none", 4, 3, 3, [(True, True)], "str", "x0"),
    "lof_novelty": ("classification", "isolation", 3, 2, 1, [(True, True)], "int64", "x0"),
    "radius_classifier_distance_outlier": ("classification", "probability", 4, 3, 3, [(True, True)], "int64", "x0"),
    "radius_classifier_cosine_label": ("classification", "probability", 4, 2, 2, [], "str", "x0"),
    "radius_regressor_uniform_manhattan": ("regression", "identity", 3, 2, 2, [(True, True)], None, "x0"),
    "nca_knn_chebyshev": ("classification", "probability", 4, 3, 3,
                          [(True, True), ("linear_projection", {"with_mean": False, "with_scale": False})],
                          "int64", "x0"),
    "nb_gaussian": ("classification", None, 5, 3, 3, [], "int64", "alcohol"),
    "nb_bernoulli": ("classification", None, 6, 2, 2, [(True, True)], "int64", "x0"),
    "nb_categorical": ("classification", None, 4, 3, 3, ["kbins_discretizer"], "int64", "x0"),
    "kmeans_transform": ("classification", "softmax", 4, 3, 3, [(True, True), ("center_distances", {})], "int64", "x0"),
    "kmeans_predict": ("classification", "none", 6, 3, 3, [(True, True)], "int64", "alcohol"),
    "scaler_minmax": ("regression", "identity", 10, 1, 1,
                      [("min_max_scaler", {"feature_range": [0.0, 1.0], "clip": False})], None, "x0"),
    "scaler_minmax_clip": ("classification", "softmax", 9, 3, 3,
                           [("min_max_scaler", {"feature_range": [-2.0, 3.0], "clip": True})], "int64", "alcohol"),
    "scaler_maxabs": ("classification", "logistic", 8, 2, 1, [("max_abs_scaler", {})], "int64", "x0"),
    "scaler_robust": ("regression", "identity", 11, 1, 1,
                      [("robust_scaler", {"with_centering": True, "with_scaling": True})], None, "age"),
    "scaler_robust_no_centering": ("classification", "softmax", 4, 3, 3,
                                   [("robust_scaler", {"with_centering": False, "with_scaling": True})], "int64",
                                   "sepal length (cm)"),
    "scaler_robust_no_scaling": ("regression", "identity", 3, 1, 1,
                                 [("robust_scaler", {"with_centering": True, "with_scaling": False})], None, "x0"),
    "scaler_normalizer_l1": ("classification", "logistic", 30, 2, 1, [("normalizer", {"norm": "l1"})], "int64", "x0"),
    "scaler_normalizer_l2": ("classification", "logistic", 30, 2, 1, [("normalizer", {"norm": "l2"})], "int64", "x0"),
    "scaler_normalizer_max": ("classification", "softmax", 13, 3, 3, [("normalizer", {"norm": "max"})], "int64",
                              "alcohol"),
    "scaler_normalizer_wide": ("regression", "identity", 150, 1, 1, [("normalizer", {"norm": "l1"})], None, "x0"),
    "scaler_binarizer": ("classification", "softmax", 4, 3, 3, [("binarizer", {"threshold": 1.5})], "int64",
                         "sepal length (cm)"),
    # other step types: (type, params)
    "decomp_poly2_interaction": ("regression", "identity", 5, 1, 1, [
        ("polynomial_features", {"include_bias": False, "interaction_only": True, "max_degree": 2, "min_degree": 0}),
    ], None, "x0"),
    "decomp_poly_bias_degree_range": ("classification", "softmax", 3, 3, 3, [
        ("polynomial_features", {"include_bias": True, "interaction_only": False, "max_degree": 3, "min_degree": 2}),
        (True, True),
    ], "int64", "alcohol"),
    "decomp_poly_interaction_range": ("classification", "softmax", 3, 3, 3, [
        ("polynomial_features", {"include_bias": False, "interaction_only": True, "max_degree": 4, "min_degree": 2}),
        (True, True),
    ], "int64", "x0"),
    "decomp_pca": ("classification", "logistic", 9, 2, 1, [
        ("linear_projection", {"with_mean": True, "with_scale": False}),
    ], "int64", "x0"),
    "decomp_pca_whiten": ("classification", "softmax", 13, 3, 3, [
        (True, True), ("linear_projection", {"with_mean": True, "with_scale": True}),
    ], "int64", "alcohol"),
    "decomp_svd": ("regression", "identity", 10, 1, 1, [
        ("linear_projection", {"with_mean": False, "with_scale": False}),
    ], None, "x0"),
    "decomp_function_log1p": ("classification", "softmax", 13, 3, 3, [
        ("function_transformer", {"func": "log1p"}), (True, True),
    ], "int64", "alcohol"),
    "decomp_function_chain": ("regression", "identity", 4, 1, 1, [
        ("function_transformer", {"func": f}) for f in ("abs", "sqrt", "exp", "log", "expm1", "identity", "square")
    ], None, "x0"),
    "dist_kbins_uniform_ordinal": ("regression", "identity", 6, 1, 1, ["kbins_discretizer"], None, "x0"),
    "dist_kbins_quantile_onehot": ("classification", "softmax", 5, 3, 3, ["kbins_discretizer"], "int64", "alcohol"),
    "dist_kbins_kmeans": ("classification", "logistic", 4, 2, 1, ["kbins_discretizer"], "int64", "x0"),
    "dist_power_yeo_johnson": ("regression", "identity", 5, 1, 1, ["power_transformer"], None, "x0"),
    "dist_power_yeo_johnson_raw": ("classification", "softmax", 4, 3, 3, ["power_transformer"], "int64", "alcohol"),
    "dist_power_box_cox": ("classification", "logistic", 4, 2, 1, ["power_transformer"], "int64", "x0"),
    "dist_quantile_uniform": ("regression", "identity", 5, 1, 1, ["quantile_transformer"], None, "x0"),
    "dist_quantile_normal": ("classification", "softmax", 5, 3, 3, ["quantile_transformer"], "int64", "alcohol"),
    "dist_quantile_normal_ties": ("regression", "identity", 4, 1, 1, ["quantile_transformer"], None, "x0"),
    "dist_spline_constant": ("regression", "identity", 3, 1, 1, ["spline_transformer"], None, "x0"),
    "dist_spline_linear": ("classification", "softmax", 3, 3, 3, ["spline_transformer"], "int64", "alcohol"),
    "dist_spline_linear_degree1": ("regression", "identity", 1, 1, 1, ["spline_transformer"], None, "x0"),
    "dist_spline_continue": ("classification", "logistic", 2, 2, 1, ["spline_transformer"], "int64", "x0"),
    "dist_spline_periodic": ("regression", "identity", 3, 1, 1, ["spline_transformer"], None, "x0"),
    "dist_spline_error": ("regression", "identity", 3, 1, 1, ["spline_transformer"], None, "x0"),
    "impute_mean_indicator": ("regression", "identity", 10, 1, 1,
                              [("simple_imputer", {"strategy": "mean", "add_indicator": True})], None, "x0"),
    "impute_median": ("classification", "softmax", 8, 3, 3,
                      [(True, True), ("simple_imputer", {"strategy": "median", "add_indicator": False})], "int64",
                      "alcohol"),
    "impute_most_frequent": ("classification", "softmax", 4, 3, 3,
                             [("simple_imputer", {"strategy": "most_frequent", "add_indicator": False})], "int64",
                             "x0"),
    "impute_constant": ("regression", "identity", 6, 1, 1,
                        [("simple_imputer", {"strategy": "constant", "add_indicator": True})], None, "x0"),
    "impute_all_nan_column": ("classification", "logistic", 7, 2, 1,
                              [("simple_imputer", {"strategy": "mean", "add_indicator": True})], "int64", "x0"),
    "impute_keep_empty": ("regression", "identity", 6, 1, 1,
                          [("simple_imputer", {"strategy": "median", "add_indicator": False})], None, "x0"),
    "impute_missing_indicator": ("classification", "softmax", 4, 3, 3,
                                 [("missing_indicator", {"error_on_new": True})], "int64", "x0"),
    "impute_missing_indicator_all": ("regression", "identity", 5, 1, 1,
                                     ["max_abs_scaler", ("missing_indicator", {"error_on_new": False})], None, "x0"),
    "enc_onehot_ignore": ("classification", "logistic", 3, 2, 1, ["one_hot_encoder"], "bool", "x0"),
    "enc_onehot_infrequent": ("regression", "identity", 3, 1, 1, ["one_hot_encoder"], None, "x0"),
    "enc_onehot_drop_first": ("classification", "softmax", 3, 3, 3, ["one_hot_encoder", (True, True)], "str", "x0"),
    "enc_onehot_drop_explicit": ("regression", "identity", 2, 1, 1, ["one_hot_encoder"], None, "x0"),
    "enc_ordinal_encoded": ("regression", "identity", 3, 1, 1, ["ordinal_encoder", (True, True)], None, "x0"),
    "enc_ordinal_nan_imputed": ("regression", "identity", 2, 1, 1, ["ordinal_encoder", "simple_imputer"], None,
                                "x0"),
    "enc_text_onehot_infrequent": ("classification", "softmax", 3, 3, 3, ["simple_imputer", "one_hot_encoder"],
                                   "int64", "color"),
    "enc_text_onehot_missing_category": ("regression", "identity", 3, 1, 1, ["one_hot_encoder"], None, "color"),
    "enc_text_ordinal": ("regression", "identity", 3, 1, 1, ["ordinal_encoder", (True, True)], None, "color"),
    "enc_text_impute_constant": ("classification", "softmax", 3, 3, 3, ["simple_imputer", "one_hot_encoder"],
                                 "int64", "color"),
    "churn": ("classification", "logistic", 7, 2, 1, ["column_transformer"], "str", "tenure_months"),
    "compose_column_transformer": ("regression", "identity", 10, 1, 1, ["column_transformer"], None, "age"),
    "compose_mask_remainder": ("classification", "softmax", 13, 3, 3, ["column_transformer"], "int64", "x0"),
    "compose_feature_union": ("classification", "logistic", 8, 2, 1, ["column_transformer", (True, True)], "int64",
                              "x0"),
    "text_tfidf_word": ("classification", "softmax", 1, 3, 3, ["text_vectorizer"], "int64", "text"),
    "text_char_wb_column_transformer": ("classification", "softmax", 3, 3, 3, ["column_transformer"], "int64", "review"),
    "text_char_tfidf_transformer": ("classification", "softmax", 1, 3, 3, ["text_vectorizer", "tfidf_transformer"],
                                    "int64", "text"),
    "text_count_nonspace_stop_words": ("classification", None, 1, 3, 3, ["text_vectorizer"], "int64", "text"),
    "text_hashing_word": ("classification", "none", 1, 3, 3, ["hashing_vectorizer"], "int64", "text"),
    "records_dict_vectorizer": ("classification", "logistic", 4, 2, 1, [("dict_vectorizer", {"sparse": True})],
                                "int64", "age"),
    "records_feature_hasher": ("regression", "identity", 4, 1, 1, [
        ("feature_hasher", {"input_type": "dict", "alternate_sign": True})], None, "age"),
    "select_kbest_onehot": ("classification", "softmax", 8, 3, 3, ["column_transformer"], "int64", "malic_acid"),
    "select_variance_threshold_hgb": ("regression", "identity", 8, 1, 1, [("select_columns", {"allow_nan": True})],
                                  None, "x0"),
    "select_from_model_trees": ("classification", "probability", 13, 3, 3, ["column_transformer"], "int64", "x0"),
    "select_percentile_pipeline": ("classification", "logistic", 30, 2, 1,
                                   [(True, True)] + [("select_columns", {"allow_nan": False})] * 3, "int64", "x0"),
    "hgb_categorical": ("classification", "logistic", 3, 2, 1, [], "int64", "station"),
    "xgboost_binary": ("classification", "logistic", 6, 2, 1, [], "int64", "x0"),
    "tree_dt_regressor_deep": ("regression", "identity", 2, 1, 1, [], None, "x0"),
    "tree_dt_classifier": ("classification", "probability", 6, 3, 3, [], "int64", "alcohol"),
    "tree_rf_classifier": ("classification", "probability", 4, 3, 3, [], "int64", "x0"),
    "tree_rf_regressor_scaled": ("regression", "identity", 6, 1, 1, [(True, True)], None, "x0"),
    "tree_et_regressor_multi": ("regression", "identity", 3, 3, 3, [], None, "Chins"),
    "tree_et_classifier": ("classification", "probability", 8, 2, 2, [], "int64", "x0"),
    "tree_gb_squared": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "tree_gb_absolute": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "tree_gb_huber": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "tree_gb_quantile": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "tree_gb_zero_init": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "tree_gb_binary": ("classification", "logistic", 8, 2, 1, [], "int64", "x0"),
    "tree_gb_multiclass": ("classification", "softmax", 6, 3, 3, [], "int64", "alcohol"),
    "tree_hgb_regressor_nan": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "tree_hgb_poisson": ("regression", "exp", 6, 1, 1, [], None, "x0"),
    "tree_hgb_multiclass": ("classification", "softmax", 6, 3, 3, [], "int64", "x0"),
    "tree_iforest": ("classification", "isolation", 8, 2, 1, [], "int64", "x0"),
    "xgb_squarederror": ("regression", "identity", 6, 1, 1, [], None, "x0"),
    "xgb_reg_logistic": ("regression", "logistic", 6, 1, 1, [], None, "x0"),
    "xgb_multi_softprob": ("classification", "softmax", 6, 3, 3, [], "int64", "x0"),
    "xgb_multi_softmax": ("classification", "softmax", 6, 3, 3, [], "int64", "x0"),
    "xgb_poisson": ("regression", "exp", 6, 1, 1, [], None, "x0"),
    "xgb_gamma": ("regression", "exp", 6, 1, 1, [], None, "x0"),
    "xgb_tweedie": ("regression", "exp", 6, 1, 1, [], None, "x0"),
    "xgb_categorical": ("regression", "identity", 3, 1, 1, [], None, "c"),
    "meta_adaboost_regressor": ("regression", None, 5, 1, 1, [], None, "x0"),
    "meta_adaboost_samme_binary": ("classification", None, 5, 2, 1, [], 'int64', "x0"),
    "meta_adaboost_samme_r": ("classification", None, 4, 3, 3, [], 'int64', "x0"),
    "meta_bagging_classifier": ("classification", None, 4, 3, 3, [], 'int64', "x0"),
    "meta_bagging_regressor": ("regression", None, 5, 1, 1, [], None, "x0"),
    "meta_calibrated_isotonic": ("classification", None, 5, 3, 3, [], 'int64', "alcohol"),
    "meta_calibrated_sigmoid": ("classification", None, 5, 2, 2, [], 'int64', "x0"),
    "meta_dummy_prior": ("classification", 'probability', 4, 2, 2, [(True, True)], 'int64', "x0"),
    "meta_extra_tree": ("classification", 'probability', 6, 3, 3, [], 'int64', "x0"),
    "meta_one_vs_one": ("classification", None, 4, 3, 3, [], 'int64', "x0"),
    "meta_one_vs_rest": ("classification", None, 5, 3, 3, [], 'int64', "alcohol"),
    "meta_regressor_chain": ("regression", None, 4, 3, 3, [], None, "x0"),
    "meta_stacking_classifier": ("classification", None, 4, 3, 3, [], 'int64', "x0"),
    "meta_stacking_regressor": ("regression", None, 4, 1, 1, [], None, "x0"),
    "meta_transformed_target": ("regression", None, 5, 1, 1, [], None, "x0"),
    "meta_voting_hard": ("classification", None, 4, 3, 3, [], 'int64', "alcohol"),
    "meta_voting_regressor": ("regression", None, 5, 1, 1, [], None, "x0"),
    "meta_voting_soft": ("classification", None, 4, 3, 3, [], 'int64', "x0"),
    "gp_regressor": ("regression", 'identity', 4, 1, 1, [], None, "x0"),
    "gp_classifier": ("classification", None, 4, 3, 3, [(True, True)], 'int64', "x0"),
}

# IncrementalPCA, the random projections, KernelPCA, KernelCenterer, the PLS family (XFORM_CASES)
_PROJ = ("linear_projection", {"with_mean": False, "with_scale": False})
EXPECTED_SHAPES.update({
    "decomp_ipca": ("regression", "identity", 10, 1, 1, [("linear_projection", {"with_mean": True, "with_scale": False})],
                    None, "x0"),
    "decomp_ipca_whiten": ("classification", "softmax", 13, 3, 3, [
        (True, True), ("linear_projection", {"with_mean": True, "with_scale": True})], "int64", "alcohol"),
    "decomp_random_gaussian": ("regression", "identity", 10, 1, 1, [_PROJ], None, "x0"),
    "decomp_random_sparse": ("classification", "logistic", 30, 2, 1, [(True, True), _PROJ], "int64", "x0"),
    "kernel_pca_linear": ("classification", "softmax", 13, 3, 3, [(True, True), "kernel_pca"], "int64", "alcohol"),
    "kernel_pca_poly": ("classification", "logistic", 8, 2, 1, [(True, True), "kernel_pca"], "int64", "x0"),
    "kernel_pca_rbf": ("classification", "softmax", 4, 3, 3, [(True, True), "kernel_pca"], "int64", "x0"),
    "kernel_pca_sigmoid": ("classification", "softmax", 13, 3, 3, [(True, True), "kernel_pca"], "int64", "alcohol"),
    "kernel_pca_cosine": ("regression", "identity", 6, 1, 1, [(True, True), "kernel_pca"], None, "x0"),
    "kernel_centerer_ridge": ("regression", "identity", 30, 1, 1, ["kernel_centerer"], None, "x0"),
    "pls_regression_single": ("regression", None, 10, 1, 1, [], None, "x0"),
    "pls_regression_two_targets": ("regression", None, 7, 2, 2, [(True, True)], None, "age"),
    "pls_cca_predict": ("regression", None, 5, 2, 2, [], None, "x0"),
    "pls_transform_ridge": ("regression", "identity", 10, 1, 1, ["pls_projection"], None, "x0"),
    "pls_svd_transform": ("classification", "softmax", 8, 3, 3, ["pls_projection"], "int64", "alcohol"),
    "impute_iterative_bayesian": ("regression", "identity", 7, 1, 1, [
        ("iterative_imputer", {"n_kept": 6, "n_rounds": 30, "n_links": 150, "add_indicator": True})], None, "x0"),
    "impute_iterative_ridge_clip": ("classification", "softmax", 6, 3, 3, [
        ("iterative_imputer", {"n_kept": 6, "n_rounds": 20, "n_links": 60, "add_indicator": False}), (True, True)],
        "int64", "alcohol"),
    "embedding_trees_logistic": ("classification", "softmax", 13, 3, 3, [
        ("tree_embedding", {"n_trees": 6, "n_nodes": 84, "sparse_output": True})], "int64", "x0"),
    "embedding_trees_dense_ridge": ("regression", "identity", 10, 1, 1, [
        ("tree_embedding", {"n_trees": 10, "n_nodes": 70})], None, "x0"),
})
#: the kernel (and resolved gamma) of each kernel_pca case: gamma=None is stored as 1 / n_features
KERNEL_PCA_CASES = {"kernel_pca_linear": ("linear", 1 / 13), "kernel_pca_poly": ("poly", 1 / 8),
                    "kernel_pca_rbf": ("rbf", 1 / 4), "kernel_pca_sigmoid": ("sigmoid", 0.05),
                    "kernel_pca_cosine": ("cosine", 1 / 6)}


#: cases whose estimator routes NaN itself (tree_ensemble missing: default_left): nullable inputs
NULLABLE_TREE_CASES = {"hgb_categorical", "xgboost_binary"} | {
    c for c in TREE_CASES if c.startswith(("tree_hgb_", "xgb_"))
}


def _step_matches(step, expected):
    """Expected as (with_mean, with_std) for a standard_scaler, (type, params) or just the type."""
    if step["type"] == "standard_scaler":
        return (step["params"]["with_mean"], step["params"]["with_std"]) == expected
    if isinstance(expected, str):
        return step["type"] == expected
    return (step["type"], step["params"]) == expected


#: meta-estimator cases: (estimator type, number of sub-models in params.estimators; 0: none)
META_TYPES = {
    "meta_voting_soft": ("voting", 3), "meta_voting_hard": ("voting", 3), "meta_voting_regressor": ("voting", 2),
    "meta_stacking_classifier": ("stacking", 3), "meta_stacking_regressor": ("stacking", 2),
    "meta_calibrated_sigmoid": ("calibration", 3), "meta_calibrated_isotonic": ("calibration", 1),
    "meta_one_vs_rest": ("one_vs_rest", 3), "meta_bagging_classifier": ("voting", 5),
    "meta_bagging_regressor": ("voting", 4), "meta_adaboost_samme_r": ("adaboost", 5),
    "meta_adaboost_samme_binary": ("adaboost", 6), "meta_adaboost_regressor": ("adaboost", 6),
    "meta_one_vs_one": ("one_vs_one", 3), "meta_regressor_chain": ("chain", 3),
    "meta_transformed_target": ("transformed_target", 1), "meta_dummy_prior": ("constant", 0),
    "meta_extra_tree": ("tree_ensemble", 0), "gp_regressor": ("gaussian_process", 0),
    "gp_classifier": ("one_vs_rest", 3),
}


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_each_case_covers_what_it_claims(sub, case):
    art = ferry.read(ROOT / sub / case / "model.ferry")
    h = art.header
    task, link, n_in, n_out, k, steps, cdtype, first = EXPECTED_SHAPES[case]
    assert h["schema"]["task"] == task
    assert h["estimator"]["params"].get("link") == link  # naive Bayes: implied by the type (None)
    assert len(h["schema"]["inputs"]) == n_in and h["schema"]["inputs"][0]["name"] == first
    assert h["schema"]["n_outputs"] == n_out and h["estimator"]["n_features_out"] == k
    assert len(h["pipeline"]) == len(steps)
    for step, expected in zip(h["pipeline"], steps):
        assert _step_matches(step, expected), (step["type"], step["params"], expected)
    assert (h["schema"]["classes"] or {}).get("dtype") == cdtype
    assert h["metadata"]["name"] == case and h["metadata"]["version"] == "1.0.0"
    if case == "int_labels_binary":
        assert h["schema"]["classes"]["values"] == [3, 7]
        assert np.any(art.tensors["steps.0.scale"] == 1.0)  # constant pixels
    if case == "ridge_no_intercept":
        assert np.all(art.tensors["estimator.intercept"] == 0.0)
    if case == "scaler_minmax_clip":
        assert art.tensors["steps.0.scale"][-1] == 5.0  # constant column: feature_range span / 1
    if case == "scaler_maxabs":
        assert art.tensors["steps.0.scale"][5] == 1.0  # all-zero column
    if case == "scaler_robust":
        assert 0 < art.tensors["steps.0.scale"][-1] < 1  # constant column: 1 / unit-variance factor
    if case == "decomp_pca":
        assert np.all(art.tensors["steps.0.components"][:, -1] == 0.0)  # the constant column
    if case in KERNEL_PCA_CASES:
        kpca = h["pipeline"][-1]
        assert (kpca["params"]["kernel"], kpca["params"]["gamma"]) == KERNEL_PCA_CASES[case]
    if case.startswith("pls_regression") or case == "pls_cca_predict":
        assert h["estimator"]["type"] == "pls_regression"
    if case in META_TYPES:  # meta-estimators (docs/format.md 4.30 - 4.39): the type and its sub-models
        est_type, n_sub = META_TYPES[case]
        assert h["estimator"]["type"] == est_type
        if n_sub:
            assert len(h["estimator"]["params"]["estimators"]) == n_sub
    if case.startswith("impute_") or case in NULLABLE_TREE_CASES:
        assert all(i["nullable"] for i in h["schema"]["inputs"])
        assert np.isnan(art.tensors["verification.input"]).any()
    elif case.startswith("enc_"):  # an encoder takes a missing value as a category or as unknown
        assert all(i["nullable"] for i in h["schema"]["inputs"])
    elif case == "compose_column_transformer":  # the imputing branch takes age, bmi, bp
        assert [i["nullable"] for i in h["schema"]["inputs"]] == [True, False, True, True] + [False] * 6
    elif case == "churn":  # every input imputed or encoded
        assert all(i["nullable"] for i in h["schema"]["inputs"])
        assert [i["kind"] for i in h["schema"]["inputs"]] == ["numeric"] * 3 + ["categorical"] * 4
        assert "platinum" not in h["schema"]["inputs"][3]["categories"]  # input.csv's invented plan
    elif case == "text_char_wb_column_transformer":  # the encoder takes a missing plan; the text no missing value
        assert [(i["kind"], i["nullable"]) for i in h["schema"]["inputs"]] == [
            ("text", False), ("categorical", True), ("numeric", False)]
        assert "texts" in h["verification"] and "background" not in h.get("explain", {})
    elif case == "records_dict_vectorizer":  # a missing cell is an absent key; strings are categories
        assert [(i["kind"], i["nullable"]) for i in h["schema"]["inputs"]] == [
            ("numeric", True), ("categorical", True), ("categorical", True), ("numeric", True)]
    elif case == "records_feature_hasher":  # ... strings are free text: the hasher takes any
        assert [(i["kind"], i["nullable"]) for i in h["schema"]["inputs"]] == [
            ("numeric", True), ("text", True), ("text", True), ("numeric", True)]
        assert None in h["verification"]["texts"]["plan"]  # a missing text travels as null
    elif case.startswith("text_"):  # one column of documents, taken whole
        assert [(i["kind"], i["nullable"]) for i in h["schema"]["inputs"]] == [("text", False)]
        assert "texts" in h["verification"] and "background" not in h.get("explain", {})
    elif case == "select_kbest_onehot":  # text is encoded (nullable), numbers go to a NaN-refusing selector
        assert [i["nullable"] for i in h["schema"]["inputs"]] == [False] * 5 + [True] * 3
    elif case == "select_variance_threshold_hgb":  # VarianceThreshold lets NaN through to the trees
        assert all(i["nullable"] for i in h["schema"]["inputs"])
        assert art.tensors["steps.0.columns"].tolist() == [0, 1, 2, 3, 4, 5]  # constant, low variance dropped
    elif case == "compose_mask_remainder":  # column 1 is dropped: any value will do
        assert [i["nullable"] for i in h["schema"]["inputs"]] == [False, True] + [False] * 11
    else:
        assert not any(i["nullable"] for i in h["schema"]["inputs"])
    if case == "impute_all_nan_column":  # column 5 dropped, its indicator kept
        assert art.tensors["steps.0.keep"].tolist() == [1, 1, 1, 1, 1, 0, 1]
        assert art.tensors["steps.0.indicator_features"].tolist() == [1, 4, 5]
    if case in ("impute_constant", "impute_keep_empty"):  # the all-missing column is kept
        assert art.tensors["steps.0.keep"].tolist() == [1] * 6
    if case == "impute_missing_indicator_all":
        assert art.tensors["steps.1.features"].tolist() == [0, 1, 2, 3, 4]
    if case.startswith("enc_text_"):  # text inputs, text categories in the encoder's params
        assert all(i["kind"] == "categorical" for i in h["schema"]["inputs"])
        enc = [s for s in h["pipeline"] if s["type"] in ("one_hot_encoder", "ordinal_encoder")][0]
        assert all(isinstance(c, list) for c in enc["params"]["categories"][:3])
    if case == "enc_onehot_infrequent":  # unknown values go to the infrequent column of each input column
        assert np.all(art.tensors["steps.0.unknown"] >= 0)
    if case == "enc_onehot_drop_explicit":  # 16 and NaN dropped: two categories output nothing
        assert np.sum(art.tensors["steps.0.outputs"] == -1) == 2
    if h["estimator"]["type"] == "tree_ensemble":
        p = h["estimator"]["params"]
        xgb = case.startswith("xgb") or case == "xgboost_binary"
        assert (p["comparison"], p["accumulate"]) == (("lt_float32", "float32") if xgb else (
            "le_float64" if "hgb" in case else "le_float32", "float64"))
        assert h["verification"]["rtol"] == (1e-6 if xgb else 1e-9)
    if case == "tree_dt_regressor_deep":  # one tree of depth >= 20
        left, right = art.tensors["estimator.left"], art.tensors["estimator.right"]
        depth = np.zeros(left.size, dtype=int)
        for node in range(left.size):  # children come after their parent
            if left[node] >= 0:
                depth[[left[node], right[node]]] = depth[node] + 1
        assert depth.max() >= 20
    if case in ("hgb_categorical", "xgb_categorical"):
        assert "categorical" in h["estimator"]["tensors"]
    if case == "decomp_poly_interaction_range":  # max degree 4 > 3 columns: degrees 2 and 3 only
        assert art.tensors["steps.0.powers"].tolist() == [[1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]


@pytest.mark.parametrize("sub, case", ALL, ids=IDS)
def test_transformed_csv_is_scikit_learns_preprocessing(sub, case, regenerated, fitted, same_environment):
    path = ROOT / sub / case / "transformed.csv"
    if not path.exists():
        pytest.skip("no preprocessing steps")
    f = fitted(case)
    header, rows = read_csv(path)
    shipped = ferry.read(ROOT / sub / case / "model.ferry")
    assert header == shipped.header["pipeline"][-1]["feature_names_out"]
    try:
        sklearn_names = [str(n) for n in f.model[:-1].get_feature_names_out()]
    except AttributeError:
        # A FunctionTransformer without feature_names_out has no get_feature_names_out():
        # ferry keeps the names of its input columns; a HashingVectorizer's have no names:
        # ferry numbers them.
        prefix = {"text_hashing_word": "hashingvectorizer", "records_feature_hasher": "featurehasher"}
        assert case == "decomp_function_chain" or case in prefix
        sklearn_names = ([i["name"] for i in shipped.header["schema"]["inputs"]] if case == "decomp_function_chain"
                         else [f"{prefix[case]}{j}" for j in range(len(header))])
    if case == "nca_knn_chebyshev":
        # scikit-learn 1.2's NeighborhoodComponentsAnalysis numbers one name per input column
        # (fixed in 1.3); ferry writes the same names, one per component
        sklearn_names = sklearn_names[:len(header)]
    assert header == sklearn_names
    got = np.array([[float(v) for v in r] for r in rows])
    want = f.model[:-1].transform(f.X)
    want = np.asarray(want.toarray() if hasattr(want, "toarray") else want, dtype=np.float64)  # sparse one-hot
    if same_environment:
        np.testing.assert_array_equal(got, want)  # repr() round-trips exactly
        assert path.read_bytes() == (regenerated / sub / case / "transformed.csv").read_bytes()
        return
    tol, _ = fit_tolerances(f.model)
    if tol is not None:
        assert_close_normwise(got, want, tol, "transformed.csv")
