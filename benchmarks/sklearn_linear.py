"""scikit-learn's own predict_proba on the rows linear_benchmark.cpp uses: the peer.

Prints one JSON object: median seconds per call for 1 row and for 10,000 rows.
"""
import json
import sys
import timeit

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def median_seconds(fn, repeat=15):
    number = max(1, int(0.05 / max(timeit.timeit(fn, number=1), 1e-7)))
    return float(np.median(timeit.repeat(fn, number=number, repeat=repeat))) / number


def main():
    data = load_breast_cancer()
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=5000)).fit(data.data, data.target)
    rng = np.random.default_rng(42)
    one = data.data[:1]
    big = data.data[rng.integers(0, len(data.data), 10000)]
    json.dump({"sklearn_1_row_s": median_seconds(lambda: model.predict_proba(one)),
               "sklearn_10000_rows_s": median_seconds(lambda: model.predict_proba(big))}, sys.stdout)
    print()


if __name__ == "__main__":
    main()
