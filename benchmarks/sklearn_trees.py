"""scikit-learn's own predict latency for the models of make_tree_models.py, as JSON:
single row (median of many calls) and 10,000 rows (median of a few), the same rows the
C++ benchmark draws (standard normal, 32 features).

    /usr/bin/python3 benchmarks/sklearn_trees.py MODEL_DIR
"""
import json
import pickle
import sys
import time

import numpy as np


def median_seconds(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main(d):
    X = np.random.default_rng(42).normal(size=(10000, 32))
    out = {}
    for name in ("rf_100", "hgb_200"):
        with open(f"{d}/{name}.pkl", "rb") as f:
            model = pickle.load(f)
        if hasattr(model, "n_jobs"):
            model.n_jobs = 1
        one = X[:1]
        model.predict(one)  # warm-up
        out[name] = {"sklearn_1_row_s": median_seconds(lambda: model.predict(one), 300),
                     "sklearn_10000_rows_s": median_seconds(lambda: model.predict(X), 5)}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
