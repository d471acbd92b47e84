"""ferry.dask.score on a distributed.LocalCluster of two worker processes (docs/scale-out.md).

A partitioned CSV data set is scored on the cluster; the result must equal single-process ferry
bit for bit and scikit-learn's outputs (expected.csv) within the golden tolerance, row for row.
In the same job one worker process is killed (SIGKILL, from inside a task on its first
execution, so no timing is involved); the nanny replaces it, the scheduler re-runs what was
lost, and the output must still be complete and correct.
"""

from __future__ import annotations

import os
import pathlib
import signal

import numpy as np
import pandas as pd
import pytest

import ferry
from ferry.runtime import native_available

pytestmark = [
    pytest.mark.skipif(not native_available(),
                       reason="ferry._native is not built (CMake with pybind11-dev: FERRY_BUILD_PYTHON)"),
    pytest.mark.filterwarnings("ignore:make_current is deprecated:DeprecationWarning"),  # tornado, in distributed
    pytest.mark.filterwarnings("ignore:Running on a single-machine scheduler:UserWarning"),
]
dd = pytest.importorskip("dask.dataframe", reason="python3-dask is not installed")
distributed = pytest.importorskip("distributed", reason="python3-distributed is not installed")
import dask  # noqa: E402

import ferry.dask  # noqa: E402

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHURN = ROOT / "artifacts" / "churn"
TIMEOUT = 120  # seconds for any one job; the whole module takes about 15 s
PARTS = 6


def kill_worker_once(df, marker, partition_info=None):
    """Kill this worker process the first time partition 3 runs anywhere (then pass through)."""
    if partition_info is not None and partition_info["number"] == 3:
        try:
            fd = os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return df
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        os.kill(os.getpid(), signal.SIGKILL)
    return df


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    with dask.config.set({"distributed.scheduler.allowed-failures": 3,
                          "distributed.comm.timeouts.connect": "30s"}):
        cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                           host="127.0.0.1", dashboard_address=None,
                                           worker_dashboard_address=None,
                                           local_directory=str(tmp_path_factory.mktemp("dask")))
        with cluster, distributed.Client(cluster, timeout="30s") as c:
            yield c


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """churn's input.csv (text, missing values, unseen categories) split into PARTS files."""
    text = pd.read_csv(CHURN / "input.csv", dtype=str, keep_default_na=False)
    text.insert(0, "row_id", np.arange(len(text)))
    out = tmp_path_factory.mktemp("csv")
    for i, part in enumerate(np.array_split(np.arange(len(text)), PARTS)):
        text.iloc[part].to_csv(out / f"part-{i}.csv", index=False)
    return out


def read(dataset, model: ferry.Model):
    text_cols = {c["name"]: object for c in model.inputs if c["kind"] == "text"}
    # one partition per file; numbers parsed to the nearest double, an empty cell is missing
    return dd.read_csv(str(dataset / "part-*.csv"), dtype=text_cols, float_precision="round_trip",
                       blocksize=None)


def single_process(dataset, model):
    frames = [pd.read_csv(dataset / f"part-{i}.csv", dtype={c["name"]: object for c in model.inputs
                                                            if c["kind"] == "text"},
                          float_precision="round_trip") for i in range(PARTS)]
    return pd.concat(frames)


def check(scored: pd.DataFrame, model, local, explain=False):
    expected = pd.read_csv(CHURN / "expected.csv", dtype=str, keep_default_na=False)
    assert len(scored) == len(expected)
    assert list(scored["row_id"]) == list(range(len(expected)))
    assert list(scored["prediction"]) == list(expected["prediction"])  # scikit-learn's labels
    for j, name in enumerate(model.class_names):
        col = f"proba_{name}"
        got = scored[col].to_numpy()
        assert np.max(np.abs(got - expected[col].astype(float).to_numpy())) <= 1e-12  # scikit-learn
        np.testing.assert_array_equal(got, model.predict_proba(local).to_numpy()[:, j])  # ferry, one process
    assert set(scored["model_version"]) == {model.version}
    if explain:
        e = model.explain(local)
        for c, name in enumerate(e.feature_names):
            np.testing.assert_array_equal(scored[f"shap_{name}"].to_numpy(), e.values[0, :, c])
        np.testing.assert_array_equal(scored["shap_base"].to_numpy(), e.base_values[:, 0])


def test_score_on_two_worker_processes(client, dataset):
    model = ferry.Model.load(CHURN / "model.ferry")
    ddf = read(dataset, model)
    assert ddf.npartitions == PARTS
    scored = ferry.dask.score(ddf, CHURN / "model.ferry", keep=["row_id"], explain=True)
    # the meta is what the partitions hold
    assert list(scored.columns) == (["row_id", "prediction"] + [f"proba_{n}" for n in model.class_names] +
                                    [f"shap_{n}" for n in model.input_names] + ["shap_base", "model_version"])
    result = client.compute(scored).result(timeout=TIMEOUT)
    pd.testing.assert_frame_equal(result.iloc[:0], scored._meta, check_index_type=False)
    check(result, model, single_process(dataset, model), explain=True)
    # both workers took part
    assert len(client.scheduler_info()["workers"]) == 2


def test_a_killed_worker_is_replaced_and_the_output_is_complete(client, dataset, tmp_path):
    model = ferry.Model.load(CHURN / "model.ferry")
    marker = tmp_path / "killed"
    workers_before = set(client.scheduler_info()["workers"])
    ddf = read(dataset, model).map_partitions(kill_worker_once, str(marker), meta=read(dataset, model)._meta)
    scored = ferry.dask.score(ddf, CHURN / "model.ferry", keep=["row_id"])
    result = client.compute(scored).result(timeout=TIMEOUT)
    assert marker.exists(), "no worker was killed"
    check(result, model, single_process(dataset, model))
    # the nanny started a new worker process in place of the killed one
    client.wait_for_workers(2, timeout=TIMEOUT)
    workers_after = set(client.scheduler_info()["workers"])
    assert len(workers_after) == 2 and workers_after != workers_before


def test_meta_and_outputs_without_a_cluster(dataset):
    model = ferry.Model.load(CHURN / "model.ferry")
    ddf = read(dataset, model)
    scored = ferry.dask.score(ddf, CHURN / "model.ferry", outputs=["prediction", "decision"])
    assert list(scored.columns) == ["prediction", "decision_0", "model_version"]
    local = scored.compute(scheduler="sync")
    np.testing.assert_array_equal(local["decision_0"].to_numpy(),
                                  model.decision_function(single_process(dataset, model)).to_numpy())
    with pytest.raises(ValueError):
        ferry.dask.score(ddf, CHURN / "model.ferry", outputs=["labels"])
    # an empty partition (e.g. after a filter) gives the meta
    empty = ferry.dask.score_frame(model, single_process(dataset, model).iloc[:0], explain=True, keep=["row_id"])
    pd.testing.assert_frame_equal(empty, ferry.dask.output_columns(model, explain=True, keep=["row_id"],
                                                                   keep_dtypes={"row_id": np.int64}),
                                  check_index_type=False)
    # a regressor: prediction only by default, from the artifact's bytes
    diabetes = ROOT / "artifacts" / "diabetes"
    reg = ferry.Model.load(diabetes / "model.ferry")
    X = pd.read_csv(diabetes / "input.csv", float_precision="round_trip")
    out = ferry.dask.score(dd.from_pandas(X, npartitions=3), (diabetes / "model.ferry").read_bytes())
    assert list(out.columns) == ["prediction", "model_version"]
    np.testing.assert_array_equal(out.compute(scheduler="sync")["prediction"].to_numpy(), reg.predict(X))
