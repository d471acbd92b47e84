"""XGBoost models -> estimator type ``tree_ensemble`` (docs/format.md section 4.17).

Read from XGBoost's own JSON model (``Booster.save_raw("json")``), never from its
text dumps: the JSON holds every split condition and leaf value as the float32
XGBoost computes with, the default directions, the categorical sets and the
``sum_hessian`` covers. XGBoost's arithmetic is float32 (``comparison:
lt_float32``, ``accumulate: float32``), so its outputs are matched to float32
precision and the artifact's verification tolerance is ``rtol = 1e-6``.

xgboost is imported only when a model from it is exported: ferry works without it.

Details of XGBoost 1.7 that the converter reproduces:

- the base margin is ``base_score`` mapped to margin space in XGBoost's own
  order: float32 ``1/b - 1``, then a double logarithm (logistic objectives), or a
  double logarithm of float32 ``b`` (count:poisson, reg:gamma, reg:tweedie), then
  rounded to float32; every output starts from it and each tree is added in float32;
- a categorical split sends the categories of its stored set **right** and every
  other category below the bit field's size (a multiple of 32) left; negative values
  and values beyond the bit field take the default direction, like NaN. ferry's bits
  mean "left", so they are the complement of XGBoost's set;
- the scikit-learn wrappers predict with ``best_iteration + 1`` rounds after early
  stopping, so only those trees are exported.
"""

from __future__ import annotations

import json
import math
from typing import Dict, List, Optional

import numpy as np

from . import ConversionError, ConvertedEstimator, Converter
from .tree_ensemble import Tree, assemble

#: objective -> (task, link); base_score is mapped by _base_margin
OBJECTIVES = {
    "reg:squarederror": ("regression", "identity"),
    "reg:linear": ("regression", "identity"),
    "reg:pseudohubererror": ("regression", "identity"),
    "reg:absoluteerror": ("regression", "identity"),
    "reg:logistic": ("regression", "logistic"),
    "binary:logistic": ("classification", "logistic"),
    "multi:softprob": ("classification", "softmax"),
    "multi:softmax": ("classification", "softmax"),
    "count:poisson": ("regression", "exp"),
    "reg:gamma": ("regression", "exp"),
    "reg:tweedie": ("regression", "exp"),
}
_LOGISTIC = ("reg:logistic", "binary:logistic")
_LOG = ("count:poisson", "reg:gamma", "reg:tweedie")

RTOL = 1e-6
ATOL = 1e-7


def _booster(est):
    import xgboost

    if isinstance(est, xgboost.Booster):
        return est
    return est.get_booster()


def _n_rounds(est) -> Optional[int]:
    """Rounds the scikit-learn wrapper predicts with (early stopping), None for all."""
    import xgboost

    if isinstance(est, xgboost.Booster):
        return None
    try:
        best = est.best_iteration
    except AttributeError:
        return None
    return None if best is None else int(best) + 1


def _model_json(est) -> dict:
    raw = _booster(est).save_raw("json")
    return json.loads(bytes(raw).decode("utf-8"))


def _objective(model: dict) -> str:
    return model["learner"]["objective"]["name"]


def check_xgboost(est) -> Optional[str]:
    """Why ferry cannot export this XGBoost model, or None."""
    try:
        model = _model_json(est)
    except Exception as e:  # not fitted, or not an XGBoost model at all
        return f"cannot read the XGBoost model ({e})"
    gb = model["learner"]["gradient_booster"]
    if gb.get("name") != "gbtree":
        return f"booster '{gb.get('name')}' is not supported (only 'gbtree'; 'dart' and 'gblinear' are refused)"
    obj = _objective(model)
    if obj not in OBJECTIVES:
        return f"objective '{obj}' is not supported (supported: {', '.join(sorted(OBJECTIVES))})"
    missing = getattr(est, "missing", np.nan)
    if missing is not None and not (isinstance(missing, float) and math.isnan(missing)):
        return f"missing={missing!r} is not supported; ferry treats only NaN as missing"
    if obj.startswith("multi:") and int(model["learner"]["learner_model_param"].get("num_class", "0")) < 3:
        return f"objective '{obj}' with fewer than 3 classes is not supported (use binary:logistic)"
    if int(model["learner"]["learner_model_param"].get("num_target", "1")) > 1:
        return "multi-target XGBoost models are not supported"
    return None


def _base_margin(objective: str, base_score: float) -> np.float32:
    b = np.float32(base_score)
    if objective in _LOGISTIC:
        if not 0 < b < 1:
            raise ConversionError(f"base_score {base_score} is not in (0, 1) for {objective}")
        return np.float32(-math.log(float(np.float32(1) / b - np.float32(1))))
    if objective in _LOG:
        if not b > 0:
            raise ConversionError(f"base_score {base_score} is not > 0 for {objective}")
        return np.float32(math.log(float(b)))
    return b


def _tree(t: dict, n_features: int, categorical: np.ndarray, where: str) -> Tree:
    left = np.asarray(t["left_children"], dtype=np.int64)
    right = np.asarray(t["right_children"], dtype=np.int64)
    n = left.size
    split_index = np.asarray(t["split_indices"], dtype=np.int64)
    cond = np.asarray(t["split_conditions"], dtype=np.float32).astype(np.float64)
    leaf = left < 0
    feature = np.where(leaf, -1, split_index)
    value = np.where(leaf, cond, 0.0).reshape(n, 1)
    split_type = np.asarray(t.get("split_type", [0] * n), dtype=np.int64)
    categories: Dict[int, np.ndarray] = {}
    cat_nodes = t.get("categories_nodes", [])
    if cat_nodes:
        segs, sizes, cats = t["categories_segments"], t["categories_sizes"], t["categories"]
        for node, seg, size in zip(cat_nodes, segs, sizes):
            chosen = np.asarray(cats[seg : seg + size], dtype=np.int64)  # these go right
            n_bits = 32 * max(1, -(-(int(chosen.max()) + 1) // 32)) if chosen.size else 32
            bits = np.ones(n_bits, dtype=np.uint8)
            bits[chosen] = 0
            categories[int(node)] = np.packbits(bits, bitorder="little")
    cat_split = np.zeros(n, dtype=bool)
    cat_split[list(categories)] = True
    if np.any((split_type == 1) & ~leaf & ~cat_split):
        raise ConversionError(f"{where}: a categorical split without its category set")
    if np.any(~leaf & ~cat_split & categorical[np.clip(feature, 0, None)]):
        raise ConversionError(f"{where}: a numeric split on a categorical feature")
    return Tree(
        feature=feature,
        threshold=np.where(leaf | cat_split, 0.0, cond),
        left=left,
        right=right,
        value=value,
        cover=np.asarray(t["sum_hessian"], dtype=np.float32).astype(np.float64),
        default_left=np.asarray(t["default_left"], dtype=bool),
        categories=categories,
    )


def _classes(est, objective: str, n_class: int) -> np.ndarray:
    classes = getattr(est, "classes_", None)
    if classes is not None:
        return np.asarray(classes)
    return np.arange(2 if objective == "binary:logistic" else n_class, dtype=np.int64)


def convert_xgboost(est, label: str) -> ConvertedEstimator:
    """XGBRegressor, XGBClassifier or a raw Booster (gbtree)."""
    reason = check_xgboost(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    model = _model_json(est)
    learner = model["learner"]
    objective = _objective(model)
    task, link = OBJECTIVES[objective]
    mparam = learner["learner_model_param"]
    n_features = int(mparam["num_feature"])
    n_class = int(mparam.get("num_class", "0"))
    gbm = learner["gradient_booster"]["model"]
    trees_json: List[dict] = gbm["trees"]
    tree_info = np.asarray(gbm["tree_info"], dtype=np.int64)
    n_groups = max(1, n_class)
    per_round = n_groups * int(gbm["gbtree_model_param"].get("num_parallel_tree", "1"))
    rounds = _n_rounds(est)
    if rounds is not None:
        trees_json = trees_json[: rounds * per_round]
        tree_info = tree_info[: rounds * per_round]
    if task == "classification" and objective.startswith("multi:") and n_class < 2:
        raise ConversionError(f"{label}: {objective} with num_class {n_class}")
    if task == "classification" and not objective.startswith("multi:"):
        n_groups = 1
    types = learner.get("feature_types") or []
    categorical = np.zeros(n_features, dtype=bool)
    for j, ft in enumerate(types[:n_features]):
        categorical[j] = ft == "c"
    trees = [_tree(t, n_features, categorical, f"{label}: tree {i}") for i, t in enumerate(trees_json)]
    if not trees:
        raise ConversionError(f"{label}: the model has no trees")
    base = _base_margin(objective, float(mparam["base_score"]))
    params, tensors = assemble(
        trees,
        tree_info,
        np.full(n_groups, base, dtype=np.float64),
        n_features=n_features,
        aggregation="sum",
        comparison="lt_float32",
        missing="default_left",
        accumulate="float32",
        link=link,
        label=label,
    )
    out = ConvertedEstimator(
        type="tree_ensemble",
        params=params,
        tensors=tensors,
        n_features_in=n_features,
        n_features_out=n_groups,
        task=task,
        n_outputs=1 if task == "regression" else (n_class if n_class >= 2 else 2),
        rtol=RTOL,
        atol=ATOL,
    )
    if task == "classification":
        out.classes = _classes(est, objective, n_class)
        if len(out.classes) != out.n_outputs:
            raise ConversionError(f"{label}: {len(out.classes)} classes_ for {out.n_outputs} outputs")
    return out


def reference_outputs(est, X: np.ndarray, converted: ConvertedEstimator) -> Dict[str, np.ndarray]:
    """XGBoost's own outputs for rows X (already through any preprocessing)."""
    import xgboost

    booster = _booster(est)
    dm = xgboost.DMatrix(
        np.asarray(X, dtype=np.float64),
        missing=np.nan,
        feature_names=booster.feature_names,
        feature_types=booster.feature_types,
        enable_categorical=True,
    )
    rounds = _n_rounds(est)
    it = (0, rounds) if rounds is not None else (0, 0)
    n = X.shape[0]
    margin = np.asarray(booster.predict(dm, output_margin=True, iteration_range=it), dtype=np.float64).reshape(n, -1)
    if converted.task == "regression":
        pred = np.asarray(booster.predict(dm, iteration_range=it), dtype=np.float64).reshape(n, -1)
        return {"predict": pred}
    if margin.shape[1] == 1:
        p1 = np.asarray(booster.predict(dm, iteration_range=it)).reshape(n)
        proba = np.column_stack([1.0 - p1, p1]).astype(np.float64)  # float32 arithmetic, as XGBClassifier
        # from the margin, as ferry decides: XGBClassifier's float32 "p > 0.5" differs only for
        # margins within about 1e-7 of 0, where its sigmoid rounds to exactly 0.5
        predict = (margin[:, 0] > 0).astype(np.int64)
    elif _objective(_model_json(est)) == "multi:softmax":
        # XGBoost predicts the label of the largest margin; XGBClassifier's probabilities
        # are the float32 softmax of the margins
        raw = booster.predict(dm, output_margin=True, iteration_range=it).reshape(n, -1)
        e = np.exp(raw - raw.max(axis=1, keepdims=True))
        proba = (e / e.sum(axis=1, keepdims=True)).astype(np.float64)
        predict = np.argmax(raw, axis=1).astype(np.int64)
    else:
        p = np.asarray(booster.predict(dm, iteration_range=it)).reshape(n, -1)
        proba = p.astype(np.float64)
        predict = np.argmax(margin, axis=1).astype(np.int64)  # float32 ties in p aside, argmax(p)
    return {"predict": predict, "predict_proba": proba, "decision_function": margin}


def is_fitted(est) -> bool:
    try:
        _booster(est)
    except Exception:
        return False
    return True


def feature_names(est) -> Optional[List[str]]:
    names = _booster(est).feature_names
    return None if names is None else [str(v) for v in names]


def converters() -> Dict[type, Converter]:
    """The XGBoost classes, registered when a model from xgboost is first exported."""
    import xgboost

    conv = Converter(
        convert_xgboost, check_xgboost, reference=reference_outputs, is_fitted=is_fitted, feature_names=feature_names
    )
    return {xgboost.XGBRegressor: conv, xgboost.XGBClassifier: conv, xgboost.Booster: conv}
