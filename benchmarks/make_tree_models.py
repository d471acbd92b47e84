"""Models for benchmarks/tree_benchmark.cpp, trained here with fixed seeds on synthetic data.

    /usr/bin/python3 benchmarks/make_tree_models.py OUT_DIR

writes, for XGBoost 500 trees depth 6 on 32 features (and a 1,000-tree one for load time and
memory): XGBoost's own JSON model (the C API peer loads it) and the .ferry exported from it;
for RandomForestRegressor (100 trees, depth 8) and HistGradientBoostingRegressor (200
iterations): the pickled model (benchmarks/sklearn_trees.py times it) and its .ferry.
"""
import os
import pickle
import sys

import numpy as np
import xgboost

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import ferry  # noqa: E402

N_FEATURES = 32


def data(rows: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, N_FEATURES))
    y = np.sin(X[:, 0]) * 2 + X[:, 1] * X[:, 2] + np.abs(X[:, 3]) + 0.5 * X[:, 4:].sum(axis=1) / 5
    return X, y + rng.normal(size=rows) * 0.1


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    X, y = data(20000, 0)
    for n in (100, 500, 1000):
        if os.path.exists(os.path.join(out, f"xgb_{n}.ferry")):
            continue  # training is the slow part; delete the directory to start over
        model = xgboost.XGBRegressor(n_estimators=n, max_depth=6, learning_rate=0.05, tree_method="hist",
                                     random_state=0, n_jobs=2).fit(X, y)
        model.get_booster().save_model(os.path.join(out, f"xgb_{n}.json"))
        ferry.export(model, os.path.join(out, f"xgb_{n}.ferry"), X_sample=X[:64], name=f"xgb_{n}")
    from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor

    sk = {"rf_100": RandomForestRegressor(n_estimators=100, max_depth=8, random_state=0, n_jobs=2),
          "hgb_200": HistGradientBoostingRegressor(max_iter=200, early_stopping=False, random_state=0)}
    for name, model in sk.items():
        model.fit(X, y)
        with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
            pickle.dump(model, f)
        ferry.export(model, os.path.join(out, f"{name}.ferry"), X_sample=X[:64], name=name)
    print(f"wrote {out}: xgb_100, xgb_500, xgb_1000 (.json, .ferry), rf_100, hgb_200 (.pkl, .ferry)")


if __name__ == "__main__":
    main(sys.argv[1])
