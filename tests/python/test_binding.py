"""The C++ runtime in Python (ferry.Model over ferry._native) against scikit-learn and the CLI.

Every shipped case (artifacts/*, tests/data/* with an expected.csv) is run three ways: the
binding on a typed DataFrame (numbers as float64, text as str/None), the binding on the CSV's
text as it is (ferry parses it, as the CLI does), and for all-numeric models on dense float64
and float32 arrays. The binding must equal scikit-learn's outputs (expected.csv) within the
golden tests' tolerance and the CLI's (`ferry predict --proba`) exactly: same library, same bits.
"""

from __future__ import annotations

import io
import pathlib
import subprocess
import threading

import numpy as np
import pandas as pd
import pytest

import ferry
from ferry.runtime import native_available

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"

pytestmark = pytest.mark.skipif(not native_available(),
                                reason="ferry._native is not built (CMake with pybind11-dev: FERRY_BUILD_PYTHON)")

CASES = sorted(p.parent for p in list((ROOT / "artifacts").glob("*/expected.csv")) +
               list((ROOT / "tests" / "data").glob("*/expected.csv")))
IDS = [f"{c.parent.name}/{c.name}" for c in CASES]


def read_text_csv(path) -> pd.DataFrame:
    """The CSV's cells as text, an empty cell as None (artifacts/README.md)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    return df.apply(lambda s: s.map(lambda v: None if v == "" else v)).astype(object)


def typed_frame(model: ferry.Model, text: pd.DataFrame) -> pd.DataFrame:
    """Numeric inputs as float64 (Python's correctly rounded parse, NaN when missing), text as it is."""
    out = {}
    for c in model.inputs:
        col = text[c["name"]]
        if c["kind"] == "numeric":
            out[c["name"]] = np.array([np.nan if v is None else float(v) for v in col], dtype=np.float64)
        else:
            out[c["name"]] = col.to_numpy(dtype=object)
    return pd.DataFrame(out)


def rtol_of(case) -> float:
    """The golden tests' relative tolerance: 0 except for XGBoost's float32 outputs."""
    rtol = ferry.read(case / "model.ferry").header.get("verification", {}).get("rtol", 0.0)
    return rtol if rtol > 1e-9 else 0.0


def assert_close(got, want, rtol, what):
    got = np.asarray(got, dtype=np.float64)
    want = np.asarray(want, dtype=np.float64)
    assert got.shape == want.shape, what
    worst = np.max(np.abs(got - want) - rtol * np.abs(want), initial=0.0)
    assert worst <= 1e-12, f"{what}: off by {worst:.3g}"


def cli_predict(case) -> pd.DataFrame:
    model = ferry.Model.load(case / "model.ferry")
    args = [str(CLI), "predict", str(case / "model.ferry"), str(case / "input.csv")]
    if model.is_classifier and "proba_" in (case / "expected.csv").read_text().split("\n", 1)[0]:
        args.append("--proba")
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    return pd.read_csv(io.StringIO(out), dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def cli():
    if not CLI.exists():
        pytest.skip(f"{CLI} is not built")
    return CLI


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_binding_equals_scikit_learn_and_the_cli(case, cli):
    model = ferry.Model.load(case / "model.ferry")
    text = read_text_csv(case / "input.csv")
    expected = pd.read_csv(case / "expected.csv", dtype=str, keep_default_na=False)
    df = typed_frame(model, text)
    rtol = rtol_of(case)

    details = model.predict_details(df)
    from_text = model.predict_details(text)  # ferry parses the text, as the CLI does
    numeric = all(c["kind"] == "numeric" for c in model.inputs)
    dense = model.predict_details(df.to_numpy(dtype=np.float64)) if numeric else None

    for d in [from_text] + ([dense] if dense else []):
        np.testing.assert_array_equal(d["scores"], details["scores"])
        np.testing.assert_array_equal(d["prediction"], details["prediction"])

    from_cli = cli_predict(case)
    if model.is_classifier:
        labels = [str(v) for v in details["prediction"]]
        assert labels == list(expected["prediction"])
        assert labels == list(from_cli["prediction"])
        assert list(model.classes.astype(str)) == model.class_names
        for j, name in enumerate(model.class_names):
            col = f"proba_{name}"
            if col in expected:
                assert_close(details["probabilities"][:, j], expected[col].astype(float), rtol, col)
                np.testing.assert_array_equal(details["probabilities"][:, j], from_cli[col].astype(float))
        decision_cols = [c for c in expected.columns if c.startswith("decision_")]
        if decision_cols:
            got = model.decision_function(df)
            got = got.to_numpy().reshape(len(df), -1) if hasattr(got, "to_numpy") else got.reshape(len(df), -1)
            for j, col in enumerate(decision_cols):
                assert_close(got[:, j], expected[col].astype(float), rtol, col)
        if "proba_" + model.class_names[0] in expected:
            proba = model.predict_proba(df)
            assert list(proba.columns) == list(model.classes)
            np.testing.assert_array_equal(proba.to_numpy(), details["probabilities"])
    else:
        pred = details["prediction"].reshape(len(df), -1)
        cols = [c for c in expected.columns if c.startswith("prediction")]
        for j, col in enumerate(cols):
            assert_close(pred[:, j], expected[col].astype(float), rtol, col)
            np.testing.assert_array_equal(pred[:, j], from_cli[col].astype(float))

    if (case / "transformed.csv").exists():
        want = pd.read_csv(case / "transformed.csv", float_precision="round_trip")
        got = model.transform(df)
        assert list(got.columns) == list(want.columns) == model.transformed_feature_names
        g, w = got.to_numpy(), want.to_numpy()
        np.testing.assert_array_equal(np.isnan(g), np.isnan(w))  # NaN passed on to trees
        scale = np.maximum(1.0, np.nanmax(np.abs(w), axis=0, initial=0.0))
        assert np.all(np.nan_to_num(np.abs(g - w)) <= 1e-12 * scale)


@pytest.mark.parametrize("name", ["breast_cancer", "diabetes", "iris"])
def test_dense_float32_and_other_layouts_give_the_same_bits(name):
    case = ROOT / "artifacts" / name
    model = ferry.Model.load(case / "model.ferry")
    X = typed_frame(model, read_text_csv(case / "input.csv")).to_numpy()
    X32 = np.ascontiguousarray(X, dtype=np.float32)
    # float32 is widened exactly: the same as float64 holding the float32 values
    np.testing.assert_array_equal(model.decision_function(X32) if model.is_classifier else model.predict(X32),
                                  model.decision_function(X32.astype(np.float64)) if model.is_classifier
                                  else model.predict(X32.astype(np.float64)))
    fortran = np.asfortranarray(X)
    strided = np.repeat(X, 2, axis=0)[::2]
    for other in (fortran, strided, X.tolist()):
        np.testing.assert_array_equal(model.predict(other), model.predict(X))
    # a DataFrame is bound by name: shuffled columns do not matter
    df = pd.DataFrame(X, columns=model.input_names, index=np.arange(len(X)) * 10)
    shuffled = df[df.columns[::-1]]
    pd.testing.assert_series_equal(model.predict(shuffled), model.predict(df))
    assert list(model.predict(df).index) == list(df.index)


def test_model_properties():
    model = ferry.Model.load(ROOT / "artifacts" / "iris" / "model.ferry")
    assert model.task == "classification" and model.is_classifier
    assert list(model.classes) == ["setosa", "versicolor", "virginica"]
    assert model.input_names[0] == "sepal length (cm)"
    assert model.version == "1.0.0" and model.name == "iris"
    assert model.verify() == 16
    data = (ROOT / "artifacts" / "iris" / "model.ferry").read_bytes()
    again = ferry.Model.from_bytes(data, verify=True)
    X = np.array([[5.1, 3.5, 1.4, 0.2], [6.2, 3.0, 5.4, 2.3]])
    assert list(again.predict(X)) == ["setosa", "virginica"]
    np.testing.assert_array_equal(again.predict_proba(X), model.predict_proba(X))


def test_errors_carry_the_code_and_message_of_the_cpp_runtime(tmp_path, cli):
    iris = ROOT / "artifacts" / "iris" / "model.ferry"
    model = ferry.Model.load(iris)

    with pytest.raises(ferry.FerryError) as e:
        model.predict(np.zeros((2, 3)))
    assert e.value.code == ferry.ErrorCode.SHAPE and int(e.value.code) == 7
    assert e.value.message.startswith("input has 3 columns but the model takes 4")
    assert str(e.value).startswith("ferry shape error: input has 3 columns")

    X = np.ones((3, 4))
    X[2, 1] = np.nan
    with pytest.raises(ferry.FerryError) as e:
        model.predict(X)
    assert e.value.code == ferry.ErrorCode.VALUE and "row 2" in e.value.message

    with pytest.raises(ferry.FerryError) as e:
        ferry.Model.load(tmp_path / "absent.ferry")
    assert e.value.code == ferry.ErrorCode.IO

    diabetes = ferry.Model.load(ROOT / "artifacts" / "diabetes" / "model.ferry")
    with pytest.raises(ferry.FerryError) as e:
        diabetes.predict_proba(np.zeros((1, 10)))
    assert e.value.code == ferry.ErrorCode.UNSUPPORTED

    # A damaged file: the same code and message as the CLI reports.
    damaged = bytearray(iris.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    bad = tmp_path / "damaged.ferry"
    bad.write_bytes(bytes(damaged))
    with pytest.raises(ferry.FerryError) as e:
        ferry.Model.load(bad)
    with pytest.raises(ferry.FerryError) as e2:
        ferry.Model.from_bytes(bytes(damaged))
    assert e.value.code == e2.value.code == ferry.ErrorCode.CHECKSUM
    run = subprocess.run([str(cli), "predict", str(bad), str(ROOT / "artifacts" / "iris" / "input.csv")],
                         capture_output=True, text=True)
    assert run.returncode != 0
    assert e2.value.message in run.stderr

    # Named input: a missing column is a schema error naming it.
    df = pd.DataFrame(X[:2, :3], columns=model.input_names[:3])
    with pytest.raises(ferry.FerryError) as e:
        model.predict(df)
    assert e.value.code == ferry.ErrorCode.SCHEMA and model.input_names[3] in e.value.message

    # picklable, for Dask and multiprocessing
    import pickle

    again = pickle.loads(pickle.dumps(e.value))
    assert again.code == e.value.code and again.message == e.value.message


def test_validate_and_warnings_on_text_input():
    case = ROOT / "artifacts" / "churn"
    model = ferry.Model.load(case / "model.ferry")
    text = read_text_csv(case / "input.csv")
    df = typed_frame(model, text)
    issues = model.validate(df)
    assert issues and not any(i.fatal for i in issues)
    kinds = {i.kind for i in issues}
    assert "unknown_category" in kinds and "out_of_range" in kinds
    details = model.predict_details(df)
    assert [i.message for i in details["warnings"]] == [i.message for i in issues]

    bad = df.copy()
    bad[model.input_names[0]] = "not a number"
    fatal = [i for i in model.validate(bad) if i.fatal]
    assert fatal and fatal[0].code == ferry.ErrorCode.VALUE and fatal[0].kind == "wrong_type"
    bad["extra"] = 1.0
    assert any(i.kind == "extra_column" and i.fatal for i in model.validate(bad, strict=True))

    # pandas' own missing values and dtypes: category, string, nullable numbers
    other = df.copy()
    for c in model.inputs:
        if c["kind"] == "text":
            other[c["name"]] = other[c["name"]].astype("category")
        else:
            other[c["name"]] = other[c["name"]].astype("Float64")
    np.testing.assert_array_equal(model.predict_proba(other).to_numpy(), model.predict_proba(df).to_numpy())

    with pytest.raises(ferry.FerryError) as e:  # text models take named input only
        model.predict(np.zeros((1, len(model.inputs))))
    assert e.value.code == ferry.ErrorCode.SCHEMA


@pytest.mark.parametrize("name", ["churn", "hgb_categorical", "iris"])
def test_explain_adds_up_to_the_scores(name):
    case = ROOT / "artifacts" / name
    model = ferry.Model.load(case / "model.ferry")
    df = typed_frame(model, read_text_csv(case / "input.csv"))
    e = model.explain(df)
    scores = model.predict_details(df)["scores"]
    assert e.feature_names == model.input_names
    assert e.values.shape == (len(e.output_names), len(df), len(model.inputs))
    total = e.base_values + e.values.sum(axis=2).T
    scale = np.maximum(1.0, np.maximum(np.abs(scores), np.abs(e.values).sum(axis=2).T))
    assert np.all(np.abs(total - scores) <= 1e-9 * scale)
    assert list(e.frame(0).columns) == model.input_names
    s = model.explain(df.iloc[:5], method="sampling", permutations=8, seed=3)
    assert s.method == "interventional_sampling" and s.standard_errors.shape == s.values.shape


def test_threads_share_one_model_without_the_gil():
    case = ROOT / "artifacts" / "hgb_categorical"
    model = ferry.Model.load(case / "model.ferry")
    df = typed_frame(model, read_text_csv(case / "input.csv"))
    big = pd.concat([df] * 20, ignore_index=True)
    want = model.predict_proba(big).to_numpy()
    got = [None] * 4

    def run(i):
        got[i] = model.predict_proba(big).to_numpy()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for g in got:
        np.testing.assert_array_equal(g, want)
    np.testing.assert_array_equal(model.predict_proba(big, threads=2).to_numpy(), want)


def test_the_gil_is_released_while_computing():
    """Python code keeps running while another thread is inside a long C++ call."""
    import time

    model = ferry.Model.load(ROOT / "artifacts" / "diabetes" / "model.ferry")
    X = np.random.default_rng(0).normal(size=(2000, 10))
    done = threading.Event()
    span = {}

    def work():
        t0 = time.perf_counter()
        model.explain(X, method="sampling", permutations=64)
        span["seconds"] = time.perf_counter() - t0
        done.set()

    beats = [time.perf_counter()]
    worker = threading.Thread(target=work)
    worker.start()
    while not done.is_set():
        time.sleep(0.001)
        beats.append(time.perf_counter())
    worker.join()
    assert span["seconds"] > 0.2
    # With the GIL held for the call, one gap would span it.
    assert np.diff(beats).max() < span["seconds"] / 2


def test_contiguous_float_arrays_are_not_copied():
    """numpy's allocations are traced: a C-contiguous float64/float32 batch is read in place."""
    import tracemalloc

    model = ferry.Model.load(ROOT / "artifacts" / "diabetes" / "model.ferry")
    X = np.random.default_rng(0).normal(size=(100_000, 10))

    def peak(batch):
        tracemalloc.start()
        try:
            model.predict(batch)
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    for batch in (X, X.astype(np.float32)):
        assert peak(batch) < batch.nbytes / 4
    assert peak(np.asfortranarray(X)) >= X.nbytes  # the control: this one is converted first
