"""Batch scoring on Dask, ferry against scikit-learn on the same cluster and the same partitions,
and the Python binding's single-call latency against scikit-learn's predict (docs/performance.md).

    PYTHONPATH=python /usr/bin/python3 benchmarks/dask_scoring.py [--rows-linear N] [--rows-trees N]

(after the CMake build, which builds ferry._native). Two models, fitted here with fixed seeds:

- linear with text columns: artifacts/churn's pipeline (ColumnTransformer of imputers, a scaler,
  a one-hot and an ordinal encoder on 3 numeric and 4 text columns with missing values, then
  LogisticRegression), fitted on 600 rows of scripts/make_artifacts' churn generator, scored on
  rows from the same generator;
- 500 trees: HistGradientBoostingRegressor(max_iter=500), 32 standard-normal features
  (benchmarks/make_tree_models.py's data), scored on standard-normal rows.

Dask: distributed.LocalCluster, 2 worker processes × 1 thread (the nanny sets OMP_NUM_THREADS=1,
so scikit-learn's trees run on one thread per worker as ferry does). The data are persisted on
the workers first, so both peers read the same partitions from memory; each job is the scored
partitions persisted (predicted label and class probabilities, or the prediction, plus the
model version), timed until every partition is done, median of the repetitions, peers
alternating. ferry: ferry.dask.score (model loaded once per worker, cached by content).
scikit-learn: the fitted pipeline scattered to every worker once, then map_partitions of
predict_proba (labels from its argmax, so the pipeline runs once) or predict.
"""

from __future__ import annotations

import argparse
import importlib.machinery
import importlib.util
import json
import os
import pathlib
import statistics
import sys
import tempfile
import time

import numpy as np
import pandas as pd

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "python"))

import ferry  # noqa: E402


def load_make_artifacts():
    loader = importlib.machinery.SourceFileLoader("make_artifacts", str(ROOT / "scripts" / "make_artifacts"))
    spec = importlib.util.spec_from_loader("make_artifacts", loader)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_artifacts"] = module  # its dataclasses look their module up
    loader.exec_module(module)
    return module


def churn_model(out):
    ma = load_make_artifacts()
    fitted = ma._churn()
    path = os.path.join(out, "churn.ferry")
    sample = fitted.X if fitted.sample is None else fitted.sample
    ferry.export(fitted.model, path, X_sample=sample, name="churn", version="1.0.0")
    return fitted.model, path, lambda rows, seed: ma._churn_frame(np.random.default_rng(seed), rows)[0]


def tree_model(out):
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(20000, 32))
    y = np.sin(X[:, 0]) * 2 + X[:, 1] * X[:, 2] + np.abs(X[:, 3]) + 0.5 * X[:, 4:].sum(axis=1) / 5
    y = y + rng.normal(size=len(y)) * 0.1
    cols = [f"x{i}" for i in range(32)]
    X = pd.DataFrame(X, columns=cols)  # scored as DataFrames: fitted on one, so no warning per call
    model = HistGradientBoostingRegressor(max_iter=500, early_stopping=False, random_state=0).fit(X, y)
    assert model.n_iter_ == 500
    path = os.path.join(out, "hgb_500.ferry")
    ferry.export(model, path, X_sample=X[:64], name="hgb_500", version="1.0.0")

    def data(rows, seed):
        return pd.DataFrame(np.random.default_rng(seed).normal(size=(rows, 32)), columns=cols)

    return model, path, data


def sklearn_partition(df, model, version):
    if hasattr(model, "predict_proba"):
        proba = model.predict_proba(df)
        out = {"prediction": model.classes_[proba.argmax(axis=1)]}
        for j, c in enumerate(model.classes_):
            out[f"proba_{c}"] = proba[:, j]
    else:
        out = {"prediction": model.predict(df)}
    out["model_version"] = np.full(len(df), version, dtype=object)
    return pd.DataFrame(out, index=df.index)


def median_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times


def dask_rows_per_second(client, ddf, model, path, repeat):
    import distributed

    import ferry.dask

    version = ferry.Model.load(path).version
    ferry_job = ferry.dask.score(ddf, path)
    meta = ferry_job._meta
    remote_model = client.scatter(model, broadcast=True)
    sk_job = ddf.map_partitions(sklearn_partition, remote_model, version, meta=meta)

    def run(job):
        done = job.persist()
        distributed.wait(done)
        return done

    # warm up (ferry loads the model into each worker's cache) and check both agree
    a = run(ferry_job).compute()
    b = run(sk_job).compute()
    assert len(a) == len(b) == len(ddf)
    numbers = [c for c in a.columns if c.startswith("proba_")]
    if numbers:
        assert (a["prediction"].to_numpy() == b["prediction"].to_numpy()).all()
    else:
        numbers = ["prediction"]
    diff = max(float(np.max(np.abs(a[c].to_numpy() - b[c].to_numpy()))) for c in numbers)
    times = {"ferry": [], "sklearn": []}
    for _ in range(repeat):  # alternate the peers
        for name, job in (("ferry", ferry_job), ("sklearn", sk_job)):
            t0 = time.perf_counter()
            done = run(job)
            times[name].append(time.perf_counter() - t0)
            del done
    rows = len(ddf)
    return {name: {"median_s": statistics.median(t), "rows_per_s": rows / statistics.median(t), "times_s": t}
            for name, t in times.items()} | {"rows": rows, "partitions": ddf.npartitions, "max_abs_diff": diff}


def per_call_us(fn, calls):
    """Median over 5 blocks of the time per call, in µs; at most `calls` calls and about 0.3 s
    per block."""
    t0 = time.perf_counter()
    fn()
    first = time.perf_counter() - t0
    calls = max(3, min(calls, int(0.3 / max(first, 1e-9))))
    per_call = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(calls):
            fn()
        per_call.append((time.perf_counter() - t0) / calls)
    return statistics.median(per_call) * 1e6


def latency(model, path, one_row, calls):
    fm = ferry.Model.load(path)
    f = fm.predict
    s = model.predict
    got, want = np.asarray(f(one_row)), np.asarray(s(one_row))
    assert got.dtype == object and list(got) == list(want) or np.allclose(got, want, rtol=1e-12)
    return {name + "_us": per_call_us(fn, calls)
            for name, fn in (("ferry", lambda: f(one_row)), ("sklearn", lambda: s(one_row)))}


def latency_pair(model, path, one_frame, calls):
    """ferry on the row as a float64 array, scikit-learn on the DataFrame it was fitted on."""
    fm = ferry.Model.load(path)
    x = one_frame.to_numpy()
    assert np.allclose(fm.predict(x), model.predict(one_frame), rtol=1e-12)
    return {name + "_us": per_call_us(fn, calls)
            for name, fn in (("ferry", lambda: fm.predict(x)), ("sklearn", lambda: model.predict(one_frame)))}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows-linear", type=int, default=400_000)
    parser.add_argument("--rows-trees", type=int, default=200_000)
    parser.add_argument("--partitions", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", help="also write the figures here")
    args = parser.parse_args()

    import dask.dataframe as dd
    import distributed

    results = {}
    with tempfile.TemporaryDirectory() as out:
        models = {"linear_text": churn_model(out), "hgb_500": tree_model(out)}
        print("models fitted and exported", flush=True)
        rows = {"linear_text": args.rows_linear, "hgb_500": args.rows_trees}
        # single-call latency, in this process
        for name, (model, path, data) in models.items():
            one = data(1, 123)
            results[f"latency_{name}_frame"] = latency(model, path, one, 300 if name == "linear_text" else 1000)
            if name == "hgb_500":  # ferry on a 1 x 32 float64 array (scikit-learn: the DataFrame)
                results[f"latency_{name}_ndarray"] = latency_pair(model, path, one, 1000)
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                                      dashboard_address=None, local_directory=out) as cluster, \
                distributed.Client(cluster) as client:
            for name, (model, path, data) in models.items():
                frame = data(rows[name], 1)
                ddf = dd.from_pandas(frame, npartitions=args.partitions).persist()
                distributed.wait(ddf)
                del frame
                results[f"dask_{name}"] = dask_rows_per_second(client, ddf, model, path, args.repeat)
                print(f"dask {name} done", flush=True)
                del ddf
    print(json.dumps(results, indent=1), flush=True)
    for name in ("linear_text", "hgb_500"):
        r = results[f"dask_{name}"]
        print(f"Dask {name}: {r['rows']} rows in {r['partitions']} partitions: ferry "
              f"{r['ferry']['rows_per_s']:,.0f} rows/s, scikit-learn {r['sklearn']['rows_per_s']:,.0f} rows/s "
              f"({r['ferry']['rows_per_s'] / r['sklearn']['rows_per_s']:.1f}x); max |diff| {r['max_abs_diff']:.2g}")
    for key, r in results.items():
        if key.startswith("latency"):
            print(f"{key}: ferry {r['ferry_us']:.1f} us, scikit-learn {r['sklearn_us']:.1f} us "
                  f"({r['sklearn_us'] / r['ferry_us']:.1f}x)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
