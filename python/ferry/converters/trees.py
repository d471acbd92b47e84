"""scikit-learn tree models -> estimator type ``tree_ensemble`` (docs/format.md
section 4.17; C++ twin: src/models/tree_ensemble.cpp).

Every value is folded exactly as scikit-learn 1.2 computes it, so the float64
results are bit-identical:

- decision trees and forests (``_forest.py``, ``_classes.py``): X is cast to
  float32 and compared with ``<=`` against the float64 threshold (``le_float32``;
  the stored threshold is the largest float32 not above it, which decides alike);
  a classifier leaf is ``value / value.sum()`` (``predict_proba``'s normaliser, 0 -> 1),
  whether ``value`` holds weighted counts (<= 1.3) or fractions (>= 1.4); forests
  sum the trees' outputs from 0 in order and divide by their number (``mean``);
- GradientBoosting (``_gb.py``, ``_gradient_boosting.pyx``): the init estimator's
  constant raw prediction, then ``+= learning_rate * value`` stage by stage: the
  product is the leaf value;
- HistGradientBoosting (``gradient_boosting.py``, ``_predictor.pyx``): zeros plus the
  baseline, then each predictor's node ``value`` (shrinkage already in it) in
  iteration order; raw float64 comparisons; NaN by ``missing_go_to_left``; at a
  categorical split raw categories in ``raw_left_cat_bitsets`` go left, other known
  categories right, unknown ones the missing way (folded into the bits);
- IsolationForest (``_iforest.py``): a leaf adds ``(path length + c(n_node_samples)) -
  1.0`` to a sum from 0; ``score_samples = -2 ** (-sum / (T * c(max_samples_)))``.

Newer scikit-learn: ``tree_.missing_go_to_left`` (trees and forests that accept NaN,
1.3/1.4) becomes ``missing: default_left``; HistGradientBoosting's own
``_preprocessor`` for pandas categorical columns (1.4) is undone: tree features
are mapped back to input columns and category codes back to the (non-negative
integer) category values; string categories are refused (inputs are numeric).
"""

from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from sklearn.ensemble import (
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor, ExtraTreeClassifier, ExtraTreeRegressor

from . import ConversionError, ConvertedEstimator, Converter, class_labels
from .tree_ensemble import Tree, assemble, float32_floor

_HGB_REGRESSION_LINKS = {
    "squared_error": "identity",
    "absolute_error": "identity",
    "quantile": "identity",
    "poisson": "exp",
    "gamma": "exp",
}
_GB_REGRESSION_LOSSES = ("squared_error", "absolute_error", "huber", "quantile", "ls", "lad")


# --------------------------------------------------------------------------- helpers


def _n_features(est) -> int:
    return int(est.n_features_in_)


def _nan_routing(est, tree_) -> Optional[np.ndarray]:
    """``missing_go_to_left`` when the estimator routes NaN itself (scikit-learn >= 1.3
    trees that allow NaN), else None (NaN is refused, as scikit-learn 1.2 does)."""
    mgl = getattr(tree_, "missing_go_to_left", None)
    if mgl is None:
        return None
    try:  # scikit-learn >= 1.6
        allow_nan = bool(est.__sklearn_tags__().input_tags.allow_nan)
    except AttributeError:
        try:
            allow_nan = bool(est._get_tags().get("allow_nan", False))
        except AttributeError:
            allow_nan = False
    return np.asarray(mgl, dtype=bool) if allow_nan else None


def _sk_tree(tree_, value: np.ndarray, features: Optional[np.ndarray] = None, mgl=None) -> Tree:
    feature = np.asarray(tree_.feature, dtype=np.int64)
    left = np.asarray(tree_.children_left, dtype=np.int64)
    leaf = left < 0
    if features is not None:  # IsolationForest: feature of the tree's column subset -> input column
        feature = np.where(leaf, -1, np.asarray(features, dtype=np.int64)[np.where(leaf, 0, feature)])
    return Tree(
        feature=np.where(leaf, -1, feature),
        threshold=float32_floor(np.where(leaf, 0.0, tree_.threshold)),
        left=left,
        right=np.asarray(tree_.children_right, dtype=np.int64),
        value=value,
        cover=np.asarray(tree_.weighted_n_node_samples, dtype=np.float64),
        default_left=mgl,
    )


def _class_probabilities(tree_, n_classes: int, label: str) -> np.ndarray:
    """The leaf values DecisionTreeClassifier.predict_proba divides out: value / sum."""
    value = np.asarray(tree_.value, dtype=np.float64)
    if value.ndim != 3 or value.shape[1] != 1:
        raise ConversionError(f"{label}: multi-output classification trees are not supported")
    proba = np.ascontiguousarray(value[:, 0, :n_classes])
    normalizer = proba.sum(axis=1)[:, np.newaxis]
    normalizer[normalizer == 0.0] = 1.0
    return proba / normalizer


def _regression_values(tree_) -> np.ndarray:
    value = np.asarray(tree_.value, dtype=np.float64)
    return np.ascontiguousarray(value[:, :, 0])  # [nodes, n_outputs]


def _classes_or_refuse(est, label: str) -> np.ndarray:
    classes = np.asarray(est.classes_)
    if classes.ndim != 1 or getattr(est, "n_outputs_", 1) != 1:
        raise ConversionError(f"{label}: multi-output classifiers are not supported")
    if len(classes) < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes, got {len(classes)}")
    return classes


def check_classifier_labels(est) -> Optional[str]:
    classes = getattr(est, "classes_", None)
    if classes is None:
        return None
    if getattr(est, "n_outputs_", 1) != 1:
        return "multi-output classification is not supported"
    try:
        class_labels(classes)
    except ConversionError as e:
        return str(e)
    return None


def _estimator(task, params, tensors, n, k, n_outputs, classes=None) -> ConvertedEstimator:
    return ConvertedEstimator(
        type="tree_ensemble",
        params=params,
        tensors=tensors,
        n_features_in=n,
        n_features_out=k,
        task=task,
        n_outputs=n_outputs,
        classes=classes,
    )


# --------------------------------------------------------------------------- trees and forests


def _single_or_forest(est) -> Tuple[List, bool]:
    if hasattr(est, "estimators_"):
        return list(est.estimators_), True
    return [est], False


def convert_tree_classifier(est, label: str) -> ConvertedEstimator:
    """DecisionTreeClassifier, RandomForestClassifier, ExtraTreesClassifier."""
    classes = _classes_or_refuse(est, label)
    c = len(classes)
    members, forest = _single_or_forest(est)
    trees = [_sk_tree(m.tree_, _class_probabilities(m.tree_, c, label), mgl=_nan_routing(m, m.tree_)) for m in members]
    missing = "default_left" if all(t.default_left is not None for t in trees) else "error"
    if missing == "error":
        for t in trees:
            t.default_left = None
    n = _n_features(est)
    params, tensors = assemble(
        trees, [0] * len(trees), np.zeros(c), n_features=n, aggregation="mean" if forest else "sum",
        comparison="le_float32", missing=missing, accumulate="float64", link="probability", label=label,
    )
    return _estimator("classification", params, tensors, n, c, c, classes)


def convert_tree_regressor(est, label: str) -> ConvertedEstimator:
    """DecisionTreeRegressor, RandomForestRegressor, ExtraTreesRegressor (also multi-output)."""
    members, forest = _single_or_forest(est)
    trees = [_sk_tree(m.tree_, _regression_values(m.tree_), mgl=_nan_routing(m, m.tree_)) for m in members]
    missing = "default_left" if all(t.default_left is not None for t in trees) else "error"
    if missing == "error":
        for t in trees:
            t.default_left = None
    m_out = int(est.n_outputs_)
    n = _n_features(est)
    params, tensors = assemble(
        trees, [0] * len(trees), np.zeros(m_out), n_features=n, aggregation="mean" if forest else "sum",
        comparison="le_float32", missing=missing, accumulate="float64", link="identity", label=label,
    )
    return _estimator("regression", params, tensors, n, m_out, m_out)


# --------------------------------------------------------------------------- GradientBoosting


def check_gradient_boosting(est) -> Optional[str]:
    init = getattr(est, "init_", None)
    if init is not None and not (isinstance(init, str) and init == "zero"):
        from sklearn.dummy import DummyClassifier, DummyRegressor

        if type(init) not in (DummyClassifier, DummyRegressor):
            return (
                f"init={type(init).__name__} is not supported; only init=None (a DummyEstimator), "
                "a DummyClassifier/DummyRegressor or 'zero'"
            )
        if type(init) is DummyClassifier and init.strategy == "stratified":
            return "init=DummyClassifier(strategy='stratified') is not supported (its predictions are random)"
    loss = getattr(est, "loss", None)
    if hasattr(est, "classes_"):
        if loss == "exponential":
            return "loss='exponential' is not supported (its probabilities are sigmoid(2 * score))"
        return check_classifier_labels(est)
    if loss not in _GB_REGRESSION_LOSSES:
        return f"loss={loss!r} is not supported"
    return None


def _gb_trees(est, label: str):
    stages = est.estimators_  # [n_stages, K] of DecisionTreeRegressor
    lr = float(est.learning_rate)
    trees, groups = [], []
    for i in range(stages.shape[0]):
        for k in range(stages.shape[1]):
            t = stages[i, k].tree_
            # predict_stages adds scale * value: the product is the leaf's contribution
            value = lr * np.asarray(t.value, dtype=np.float64)[:, 0, 0]
            trees.append(_sk_tree(t, value.reshape(-1, 1)))
            groups.append(k)
    return trees, groups


def _gb_base(est) -> np.ndarray:
    """The init estimator's raw prediction, which does not depend on X (a constant)."""
    n = _n_features(est)
    return np.asarray(est._raw_predict_init(np.zeros((1, n))), dtype=np.float64).reshape(-1)


def convert_gradient_boosting(est, label: str) -> ConvertedEstimator:
    reason = check_gradient_boosting(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    trees, groups = _gb_trees(est, label)
    base = _gb_base(est)
    k = base.size
    n = _n_features(est)
    if hasattr(est, "classes_"):
        classes = _classes_or_refuse(est, label)
        link = "logistic" if len(classes) == 2 else "softmax"
        task, n_outputs = "classification", len(classes)
    else:
        classes, link, task, n_outputs = None, "identity", "regression", 1
    params, tensors = assemble(
        trees, groups, base, n_features=n, aggregation="sum", comparison="le_float32", missing="error",
        accumulate="float64", link=link, label=label,
    )
    return _estimator(task, params, tensors, n, k, n_outputs, classes)


# --------------------------------------------------------------------------- HistGradientBoosting


def _bits(bitset_row: np.ndarray) -> np.ndarray:
    """A scikit-learn bitset row (8 uint32 words) as 256 booleans."""
    words = np.asarray(bitset_row, dtype="<u4")
    return np.unpackbits(words.view(np.uint8), bitorder="little").astype(bool)


def _hgb_input_map(est, label: str):
    """(tree feature -> input column, per tree feature: code -> category value or None).

    scikit-learn >= 1.4 ordinal-encodes pandas categorical columns in its own
    ``_preprocessor`` (categorical columns first); <= 1.3 has no preprocessor."""
    pre = getattr(est, "_preprocessor", None)
    n = _n_features(est)
    if pre is None:
        return np.arange(n), {}
    cols = np.zeros(n, dtype=np.int64)
    codes: Dict[int, np.ndarray] = {}
    for name, trans, columns in pre.transformers_:
        if name == "remainder" and trans == "drop":
            continue
        sl = pre.output_indices_[name]
        idx = np.arange(n)[columns] if np.asarray(columns).dtype == bool else np.asarray(columns, dtype=np.int64)
        out = np.arange(sl.start, sl.stop)
        if out.size != idx.size:
            raise ConversionError(f"{label}: the categorical preprocessor changes the number of columns")
        cols[out] = idx
        if name == "encoder":
            for j, cats in zip(out, trans.categories_):
                try:
                    values = np.asarray(cats, dtype=np.float64)
                except (TypeError, ValueError):
                    raise ConversionError(
                        f"{label}: categorical column {int(cols[j])} has non-numeric categories; ferry takes "
                        "numeric inputs only (encode the categories as integers 0..254 before fitting)"
                    ) from None
                known = values[~np.isnan(values)]
                if np.any(known < 0) or np.any(known != np.floor(known)):
                    raise ConversionError(
                        f"{label}: categorical column {int(cols[j])} has categories that are not non-negative integers"
                    )
                codes[int(j)] = values
    return cols, codes


def check_hist_gradient_boosting(est) -> Optional[str]:
    try:
        _hgb_input_map(est, type(est).__name__)
    except ConversionError as e:
        return str(e).split(": ", 1)[1]
    if hasattr(est, "classes_"):
        return check_classifier_labels(est)
    loss = getattr(est, "loss", None)
    if loss not in _HGB_REGRESSION_LINKS:
        return f"loss={loss!r} is not supported"
    return None


def _hgb_tree(predictor, known, f_idx_map, col_of, codes, label: str) -> Tree:
    nodes = predictor.nodes
    n = nodes.shape[0]
    leaf = nodes["is_leaf"].astype(bool)
    feature = np.where(leaf, -1, nodes["feature_idx"].astype(np.int64))
    mgl = nodes["missing_go_to_left"].astype(bool)
    is_cat = nodes["is_categorical"].astype(bool) & ~leaf if "is_categorical" in nodes.dtype.names else np.zeros(n, bool)
    thr = np.asarray(nodes["num_threshold"], dtype=np.float64)
    # +-inf thresholds only differ from +-DBL_MAX for infinite inputs, which the schema refuses
    thr = np.clip(np.where(leaf | is_cat, 0.0, thr), -np.finfo(np.float64).max, np.finfo(np.float64).max)
    categories: Dict[int, np.ndarray] = {}
    for node in np.flatnonzero(is_cat):
        f = int(nodes["feature_idx"][node])
        go_left = _bits(predictor.raw_left_cat_bitsets[nodes["bitset_idx"][node]])
        is_known = _bits(known[f_idx_map[f]])
        left = np.where(go_left, True, np.where(is_known, False, mgl[node]))  # unknown: the missing way
        if f in codes:  # scikit-learn >= 1.4: bit positions are codes; ferry's inputs are the category values
            values = codes[f]
            top = int(np.nanmax(values)) if values.size and not np.all(np.isnan(values)) else -1
            by_value = np.full(max(top + 1, 1), bool(mgl[node]))
            for code, v in enumerate(values):
                if not np.isnan(v):
                    by_value[int(v)] = left[code]
            left = by_value
        # bits beyond the set take the missing direction: drop trailing bytes that say just that
        packed = np.packbits(left, bitorder="little")
        filler = 0xFF if mgl[node] else 0x00
        keep = packed.size
        while keep > 1 and packed[keep - 1] == filler:
            keep -= 1
        categories[int(node)] = packed[:keep]
    feature = np.where(leaf, -1, col_of[np.where(leaf, 0, feature)])
    return Tree(
        feature=feature,
        threshold=thr,
        left=np.where(leaf, -1, nodes["left"].astype(np.int64)),
        right=np.where(leaf, -1, nodes["right"].astype(np.int64)),
        value=np.asarray(nodes["value"], dtype=np.float64).reshape(n, 1),
        cover=np.asarray(nodes["count"], dtype=np.float64),
        default_left=mgl,
        categories=categories,
    )


def convert_hist_gradient_boosting(est, label: str) -> ConvertedEstimator:
    reason = check_hist_gradient_boosting(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    col_of, codes = _hgb_input_map(est, label)
    known, f_idx_map = est._bin_mapper.make_known_categories_bitsets()
    trees, groups = [], []
    for iteration in est._predictors:
        for k, predictor in enumerate(iteration):
            trees.append(_hgb_tree(predictor, known, f_idx_map, col_of, codes, label))
            groups.append(k)
    base = np.asarray(est._baseline_prediction, dtype=np.float64).reshape(-1)
    base = np.zeros_like(base) + base  # raw_predictions = zeros; += baseline
    k = base.size
    n = _n_features(est)
    if hasattr(est, "classes_"):
        classes = _classes_or_refuse(est, label)
        link = "logistic" if len(classes) == 2 else "softmax"
        task, n_outputs = "classification", len(classes)
    else:
        classes, task, n_outputs = None, "regression", 1
        link = _HGB_REGRESSION_LINKS[est.loss]
    params, tensors = assemble(
        trees, groups, base, n_features=n, aggregation="sum", comparison="le_float64", missing="default_left",
        accumulate="float64", link=link, label=label,
    )
    return _estimator(task, params, tensors, n, k, n_outputs, classes)


# --------------------------------------------------------------------------- IsolationForest


def check_isolation_forest(est) -> Optional[str]:
    if not hasattr(est, "estimators_"):
        return None
    from sklearn.ensemble._iforest import _average_path_length

    if float(_average_path_length([est.max_samples_])[0]) == 0.0:
        return "max_samples=1 gives every row the same score (the denominator is 0)"
    return None


def convert_isolation_forest(est, label: str) -> ConvertedEstimator:
    from sklearn.ensemble._iforest import _average_path_length

    reason = check_isolation_forest(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    trees = []
    for tree, features in zip(est.estimators_, est.estimators_features_):
        t = tree.tree_
        depth = _node_depths(t)
        # _compute_score_samples: path length (nodes on the path, an integer) + c(n) - 1.0
        value = (depth + 1) + _average_path_length(np.asarray(t.n_node_samples)) - 1.0
        trees.append(_sk_tree(t, np.asarray(value, dtype=np.float64).reshape(-1, 1), features=features))
    scale = len(est.estimators_) * _average_path_length([est.max_samples_])
    n = _n_features(est)
    params, tensors = assemble(
        trees, [0] * len(trees), np.zeros(1), n_features=n, aggregation="sum", comparison="le_float32",
        missing="error", accumulate="float64", link="isolation", label=label,
        isolation={"offset": float(est.offset_), "scale": float(np.asarray(scale).reshape(-1)[0])},
    )
    return _estimator("classification", params, tensors, n, 1, 2, np.array([-1, 1]))


def _node_depths(tree_) -> np.ndarray:
    """int64 depth of every node (root 0); children come after parents in scikit-learn's trees."""
    n = tree_.node_count
    depth = np.zeros(n, dtype=np.int64)
    left, right = tree_.children_left, tree_.children_right
    for node in range(n):
        if left[node] >= 0:
            depth[left[node]] = depth[node] + 1
            depth[right[node]] = depth[node] + 1
    return depth


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {
    DecisionTreeClassifier: Converter(convert_tree_classifier, check_classifier_labels),
    RandomForestClassifier: Converter(convert_tree_classifier, check_classifier_labels),
    ExtraTreesClassifier: Converter(convert_tree_classifier, check_classifier_labels),
    DecisionTreeRegressor: Converter(convert_tree_regressor),
    RandomForestRegressor: Converter(convert_tree_regressor),
    ExtraTreesRegressor: Converter(convert_tree_regressor),
    ExtraTreeClassifier: Converter(convert_tree_classifier, check_classifier_labels),
    ExtraTreeRegressor: Converter(convert_tree_regressor),
    GradientBoostingClassifier: Converter(convert_gradient_boosting, check_gradient_boosting),
    GradientBoostingRegressor: Converter(convert_gradient_boosting, check_gradient_boosting),
    HistGradientBoostingClassifier: Converter(convert_hist_gradient_boosting, check_hist_gradient_boosting),
    HistGradientBoostingRegressor: Converter(convert_hist_gradient_boosting, check_hist_gradient_boosting),
    IsolationForest: Converter(convert_isolation_forest, check_isolation_forest),
}
