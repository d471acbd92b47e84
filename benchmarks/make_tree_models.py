"""Models for benchmarks/tree_benchmark.cpp, trained here with fixed seeds on synthetic data.

    /usr/bin/python3 benchmarks/make_tree_models.py OUT_DIR

writes, for XGBoost 500 trees depth 6 on 32 features (and a 1,000-tree one for load time and
memory): XGBoost's own JSON model (the C API peer loads it) and the .ferry exported from it;
for RandomForestRegressor (100 trees, depth 8), HistGradientBoostingRegressor (200 iterations)
and HistGradientBoostingClassifier (200 iterations, 3 classes, trained with 5% of the values
missing): the pickled model (benchmarks/sklearn_trees.py times it) and its .ferry.

For the ONNX Runtime peer, rf_100, xgb_500 and hgb_clf_200 also go to ``.onnx``, the
ai.onnx.ml TreeEnsembleRegressor / TreeEnsembleClassifier graph skl2onnx / onnxmltools would
build (float32 input "input" of 32 columns), made with the ``onnx`` package (Debian's
python3-onnx; a benchmark dependency only). ``visits.json`` holds, per model, the mean number
of split nodes a row passes through over all trees, which turns a time per row into a time per
node visit.
"""
import json
import os
import pickle
import sys
from typing import List, NamedTuple

import numpy as np
import xgboost

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import ferry  # noqa: E402

N_FEATURES = 32
# hgb_clf_200's share of missing values, in training and in the benchmark's rows
# (tree_benchmark.cpp's rows_with_missing, sklearn_trees.py).
MISSING_RATE = 0.05


def data(rows: int, seed: int):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(rows, N_FEATURES))
    y = np.sin(X[:, 0]) * 2 + X[:, 1] * X[:, 2] + np.abs(X[:, 3]) + 0.5 * X[:, 4:].sum(axis=1) / 5
    return X, y + rng.normal(size=rows) * 0.1


def with_missing(X, seed: int):
    X = X.copy()
    X[np.random.default_rng(seed).random(X.shape) < MISSING_RATE] = np.nan
    return X


class Tree(NamedTuple):
    """One tree as the TreeEnsemble attributes hold it: a row at split node i goes to left[i]
    when x[feature[i]] compares true against threshold[i] (or is NaN and missing_left[i]), else
    to right[i]; a leaf has feature -1 and adds value[i] to output `target`. Node 0 is the root."""

    feature: np.ndarray
    threshold: np.ndarray  # float32, the precision ONNX Runtime compares in
    left: np.ndarray
    right: np.ndarray
    missing_left: np.ndarray
    value: np.ndarray
    target: int


def float32_below(t):
    """The largest float32 <= t: for a float32 x, x <= t exactly when x <= float32_below(t).
    skl2onnx rounds to the nearest float32 instead, which sends a row lying between the two the
    other way; rounding down keeps every decision of a float64 threshold, so ONNX Runtime and
    ferry can be held to float32 accumulation error only."""
    t = np.asarray(t, dtype=np.float64)
    t32 = t.astype(np.float32)
    above = t32.astype(np.float64) > t
    t32[above] = np.nextafter(t32[above], np.float32(-np.inf))
    return t32


def forest_trees(model) -> List[Tree]:
    trees = []
    for est in model.estimators_:
        t = est.tree_
        leaf = t.children_left < 0
        trees.append(Tree(np.where(leaf, -1, t.feature), float32_below(np.where(leaf, 0.0, t.threshold)),
                          t.children_left, t.children_right, np.zeros(t.node_count, bool),
                          t.value[:, 0, 0], 0))
    return trees


def xgboost_trees(json_path: str):
    """The trees and base_score of XGBoost's JSON model (what the C API peer loads)."""
    with open(json_path) as f:
        learner = json.load(f)["learner"]
    trees = []
    for t in learner["gradient_booster"]["model"]["trees"]:
        left = np.asarray(t["left_children"])
        leaf = left < 0
        # split_conditions are float32 already; at a leaf they hold its value (learning rate applied)
        cond = np.asarray(t["split_conditions"], dtype=np.float32)
        trees.append(Tree(np.where(leaf, -1, t["split_indices"]), np.where(leaf, np.float32(0), cond), left,
                          np.asarray(t["right_children"]), np.asarray(t["default_left"], bool), cond.astype(np.float64),
                          0))
    return trees, float(learner["learner_model_param"]["base_score"])


def hist_gradient_boosting_trees(model) -> List[Tree]:
    """One tree per iteration and class, the class as its target; numeric features only."""
    trees = []
    for iteration in model._predictors:
        for k, predictor in enumerate(iteration):
            n = predictor.nodes
            leaf = n["is_leaf"].astype(bool)
            trees.append(Tree(np.where(leaf, -1, n["feature_idx"].astype(np.int64)),
                              float32_below(np.where(leaf, 0.0, n["num_threshold"])),
                              np.where(leaf, -1, n["left"].astype(np.int64)),
                              np.where(leaf, -1, n["right"].astype(np.int64)),
                              n["missing_go_to_left"].astype(bool), n["value"].astype(np.float64), k))
    return trees


def walk(trees: List[Tree], mode: str, X32, n_targets: int):
    """Every tree on float32 rows, as ONNX Runtime walks them: per row, the sum of the leaf
    values per target (float64) and how many split nodes it passed through over all trees."""
    n = X32.shape[0]
    rows = np.arange(n)
    sums = np.zeros((n, n_targets))
    visits = np.zeros(n, dtype=np.int64)
    for t in trees:
        node = np.zeros(n, dtype=np.int64)
        while True:
            active = np.flatnonzero(t.feature[node] >= 0)
            if active.size == 0:
                break
            at = node[active]
            x = X32[rows[active], t.feature[at]]
            below = x < t.threshold[at] if mode == "BRANCH_LT" else x <= t.threshold[at]
            node[active] = np.where(below | (np.isnan(x) & t.missing_left[at]), t.left[at], t.right[at])
            visits[active] += 1
        sums[:, t.target] += t.value[node]
    return sums, visits


def tree_ensemble(trees: List[Tree], mode: str, name: str, classes=None, **attrs):
    """The graph: a TreeEnsembleRegressor with output "variable", or with `classes` a
    TreeEnsembleClassifier with outputs "label" and "probabilities" (skl2onnx's names, without
    its ZipMap); `attrs` adds aggregate_function, base_values, post_transform."""
    import onnx
    from onnx import TensorProto, helper

    node_attrs = {k: [] for k in ("treeids", "nodeids", "featureids", "values", "modes", "truenodeids",
                                  "falsenodeids", "missing_value_tracks_true")}
    leaf_attrs = {k: [] for k in ("treeids", "nodeids", "ids", "weights")}
    for tree_id, t in enumerate(trees):
        leaf = t.feature < 0
        node_attrs["treeids"] += [tree_id] * len(leaf)
        node_attrs["nodeids"] += range(len(leaf))
        node_attrs["featureids"] += np.where(leaf, 0, t.feature).tolist()
        node_attrs["values"] += t.threshold.tolist()
        node_attrs["modes"] += np.where(leaf, "LEAF", mode).tolist()
        node_attrs["truenodeids"] += np.where(leaf, 0, t.left).tolist()
        node_attrs["falsenodeids"] += np.where(leaf, 0, t.right).tolist()
        node_attrs["missing_value_tracks_true"] += (t.missing_left & ~leaf).astype(int).tolist()
        ids = np.flatnonzero(leaf)
        leaf_attrs["treeids"] += [tree_id] * len(ids)
        leaf_attrs["nodeids"] += ids.tolist()
        leaf_attrs["ids"] += [t.target] * len(ids)
        leaf_attrs["weights"] += t.value[ids].astype(np.float32).tolist()
    prefix = "target" if classes is None else "class"
    op_attrs = {f"nodes_{k}": v for k, v in node_attrs.items()}
    op_attrs.update({f"{prefix}_{k}": v for k, v in leaf_attrs.items()}, **attrs)
    inputs = [helper.make_tensor_value_info("input", TensorProto.FLOAT, [None, N_FEATURES])]
    if classes is None:
        op = helper.make_node("TreeEnsembleRegressor", ["input"], ["variable"], domain="ai.onnx.ml", n_targets=1,
                              **op_attrs)
        outputs = [helper.make_tensor_value_info("variable", TensorProto.FLOAT, [None, 1])]
    else:
        op = helper.make_node("TreeEnsembleClassifier", ["input"], ["label", "probabilities"], domain="ai.onnx.ml",
                              classlabels_int64s=[int(c) for c in classes], **op_attrs)
        outputs = [helper.make_tensor_value_info("label", TensorProto.INT64, [None]),
                   helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [None, len(classes)])]
    graph = helper.make_graph([op], f"ferry_benchmark_{name}", inputs, outputs)
    # ai.onnx.ml 3 (what ONNX 1.12 defines) and IR version 8: read by every recent ONNX Runtime
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13), helper.make_opsetid("ai.onnx.ml", 3)],
                          producer_name="ferry benchmarks")
    m.ir_version = 8
    onnx.checker.check_model(m, full_check=True)
    return m


def check_walk(name: str, got, want, atol: float) -> None:
    worst = float(np.max(np.abs(got - want)))
    if not worst <= atol:
        raise SystemExit(f"{name}: the trees written to ONNX disagree with the model by {worst:.3g} (> {atol})")


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def write_onnx(out: str, X, Xm) -> None:
    """The three .onnx files and visits.json. Before writing, the tree arrays are walked on
    float32 rows and must reproduce the model's own predictions: exactly up to float64 rounding
    (scikit-learn), or within XGBoost's float32 sums of 500 leaves (7e-6 on outputs up to about
    6 when measured), while one row sent down a wrong branch in one tree would move its output by the
    difference of two leaves."""
    import onnx

    with open(os.path.join(out, "rf_100.pkl"), "rb") as f:
        rf = pickle.load(f)
    with open(os.path.join(out, "hgb_clf_200.pkl"), "rb") as f:
        hgb = pickle.load(f)
    X32, Xm32 = X[:5000].astype(np.float32), Xm[:5000].astype(np.float32)

    rf_trees = forest_trees(rf)
    sums, _ = walk(rf_trees, "BRANCH_LEQ", X32, 1)
    check_walk("rf_100", sums[:, 0] / len(rf_trees), rf.predict(X32), 1e-9)
    rf_onnx = tree_ensemble(rf_trees, "BRANCH_LEQ", "rf_100", aggregate_function="AVERAGE")

    xgb_trees, base_score = xgboost_trees(os.path.join(out, "xgb_500.json"))
    booster = xgboost.Booster(model_file=os.path.join(out, "xgb_500.json"))
    sums, _ = walk(xgb_trees, "BRANCH_LT", X32, 1)
    check_walk("xgb_500", base_score + sums[:, 0],
               booster.predict(xgboost.DMatrix(X32), output_margin=True), 1e-4)
    xgb_onnx = tree_ensemble(xgb_trees, "BRANCH_LT", "xgb_500", aggregate_function="SUM", base_values=[base_score])

    hgb_trees = hist_gradient_boosting_trees(hgb)
    base = np.asarray(hgb._baseline_prediction, dtype=np.float64).reshape(-1)
    sums, _ = walk(hgb_trees, "BRANCH_LEQ", Xm32, len(base))
    check_walk("hgb_clf_200", softmax(base + sums), hgb.predict_proba(Xm32.astype(np.float64)), 1e-9)
    hgb_onnx = tree_ensemble(hgb_trees, "BRANCH_LEQ", "hgb_clf_200", classes=hgb.classes_,
                             base_values=base.tolist(), post_transform="SOFTMAX")

    for name, m in (("rf_100", rf_onnx), ("xgb_500", xgb_onnx), ("hgb_clf_200", hgb_onnx)):
        onnx.save(m, os.path.join(out, f"{name}.onnx"))

    # The benchmark's rows come from C++'s mt19937_64 and normal_distribution, which numpy does
    # not reproduce: the mean is taken over 100,000 other rows of the same distribution
    # (standard normal, float32, and for hgb_clf_200 the same share of NaN), whose standard
    # error is far below a visit.
    V, _ = data(100000, 7)
    V32, Vm32 = V.astype(np.float32), with_missing(V, 8).astype(np.float32)
    visits = {}
    for name, trees, mode, rows, k in (("rf_100", rf_trees, "BRANCH_LEQ", V32, 1),
                                       ("xgb_500", xgb_trees, "BRANCH_LT", V32, 1),
                                       ("hgb_clf_200", hgb_trees, "BRANCH_LEQ", Vm32, len(base))):
        _, v = walk(trees, mode, rows, k)
        visits[name] = {"split_visits_per_row": float(v.mean()), "trees": len(trees), "rows": len(v)}
    with open(os.path.join(out, "visits.json"), "w") as f:
        json.dump(visits, f, indent=1)


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
    from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor, RandomForestRegressor

    # Three classes of equal size from the regression target; the features lose 5% of their
    # values afterwards, so that the trees learn where missing values go.
    Xm = with_missing(X, 1)
    y3 = np.digitize(y, np.quantile(y, [1 / 3, 2 / 3]))
    sk = {"rf_100": (RandomForestRegressor(n_estimators=100, max_depth=8, random_state=0, n_jobs=2), X, y),
          "hgb_200": (HistGradientBoostingRegressor(max_iter=200, early_stopping=False, random_state=0), X, y),
          "hgb_clf_200": (HistGradientBoostingClassifier(max_iter=200, early_stopping=False, random_state=0), Xm, y3)}
    for name, (model, X_fit, y_fit) in sk.items():
        model.fit(X_fit, y_fit)
        with open(os.path.join(out, f"{name}.pkl"), "wb") as f:
            pickle.dump(model, f)
        ferry.export(model, os.path.join(out, f"{name}.ferry"), X_sample=X_fit[:64], name=name)
    write_onnx(out, X, Xm)
    print(f"wrote {out}: xgb_100, xgb_500, xgb_1000 (.json, .ferry), rf_100, hgb_200, hgb_clf_200 (.pkl, .ferry), "
          "rf_100, xgb_500, hgb_clf_200 (.onnx), visits.json")


if __name__ == "__main__":
    main(sys.argv[1])
