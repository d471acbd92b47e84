"""scikit-learn's own predict latency for the models of make_tree_models.py, as JSON:
single row (median of many calls) and 10,000 rows (median of a few), rows of the distribution
the C++ benchmark draws from (standard normal, 32 features; for hgb_clf_200 with the share of
missing values it was trained with), from numpy's generator rather than C++'s.

    /usr/bin/python3 benchmarks/sklearn_trees.py MODEL_DIR
"""
import json
import pickle
import sys
import time

import numpy as np

from make_tree_models import with_missing


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
    for name, rows in (("rf_100", X), ("hgb_200", X), ("hgb_clf_200", with_missing(X, 43))):
        with open(f"{d}/{name}.pkl", "rb") as f:
            model = pickle.load(f)
        if hasattr(model, "n_jobs"):
            model.n_jobs = 1
        one = rows[:1]
        model.predict(one)  # warm-up
        out[name] = {"sklearn_1_row_s": median_seconds(lambda: model.predict(one), 300),
                     "sklearn_10000_rows_s": median_seconds(lambda: model.predict(rows), 5)}
    json.dump(out, sys.stdout, indent=1)


if __name__ == "__main__":
    main(sys.argv[1])
