"""Meta-estimators: estimators made of fitted estimators (C++ twins: src/models/composition.cpp
for the sub-models, voting.cpp, stacking.cpp, calibration.cpp, one_vs_rest.cpp, constant.cpp),
docs/format.md sections 4.30 to 4.35.

A sub-model is any supported final estimator, or a Pipeline ending in one, converted with the
exporter's own walk (``sub_model``): its steps and estimator become an entry ``{name, task,
n_outputs, pipeline, estimator}`` of the meta-estimator's params, which the exporter writes
with its tensors (``ConvertedStep.sub_models``). Each kernel below runs its sub-models with
the artifact's own kernels (``sub_model_outputs``) and combines their outputs operation for
operation as scikit-learn 1.2.1 does.

- VotingClassifier / VotingRegressor -> ``voting``: np.average of the probabilities (soft) or
  predictions (regressor) with the weights, or np.bincount of the predicted labels (hard);
- BaggingClassifier / BaggingRegressor -> ``voting``: sub-models on their feature subsets
  (``columns``), mean of the probabilities or predictions;
- StackingClassifier / StackingRegressor -> ``stacking``: the final estimator on the stacked
  outputs (plus the input under passthrough);
- CalibratedClassifierCV -> ``calibration``: per calibrated classifier, sigmoid or isotonic
  maps of its decision_function (or predict_proba) column by column, normalised, averaged;
- OneVsRestClassifier -> ``one_vs_rest``;
- AdaBoostClassifier (SAMME, SAMME.R) / AdaBoostRegressor -> ``adaboost``: the weighted votes or
  centred log probabilities, softmax for predict_proba; the weighted median of the predictions;
- OneVsOneClassifier -> ``one_vs_one``: _ovr_decision_function of the pairs' votes and confidences;
- MultiOutputRegressor / RegressorChain -> ``chain``;
- TransformedTargetRegressor -> ``transformed_target``: the inverse function or StandardScaler;
- DummyClassifier / DummyRegressor -> ``constant``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from scipy.special import expit

from sklearn.calibration import CalibratedClassifierCV
from sklearn.dummy import DummyClassifier, DummyRegressor
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    BaggingClassifier,
    BaggingRegressor,
    StackingClassifier,
    StackingRegressor,
    VotingClassifier,
    VotingRegressor,
)
from sklearn.compose import TransformedTargetRegressor
from sklearn.multiclass import OneVsOneClassifier, OneVsRestClassifier
from sklearn.multioutput import MultiOutputRegressor, RegressorChain
from sklearn.pipeline import Pipeline

from . import ConversionError, ConvertedEstimator, ConvertedStep, Converter


@dataclass
class SubModel:
    """A fitted sub-estimator as the exporter writes it (docs/format.md 4.30)."""

    name: str
    task: str
    n_outputs: int
    steps: List[Tuple[ConvertedStep, str, List[str]]]  # (step, label, feature_names_out)
    estimator: ConvertedEstimator
    #: the parent's input columns it takes, in order (BaggingClassifier's feature subsets); None: all
    columns: Optional[List[int]] = None


def _final(obj: Any) -> Any:
    """The estimator a sub-model's outputs come from (the last step of a Pipeline)."""
    while type(obj) is Pipeline:
        obj = [s for _, s in obj.steps if not (s is None or s == "passthrough")][-1]
    return obj


def sub_model(obj: Any, label: str, n_in: int) -> SubModel:
    """One fitted sub-estimator (an estimator or a Pipeline ending in one) taking n_in columns,
    converted as the exporter converts a whole model; refusals name the sub-model's path."""
    from .. import exporter  # the walk and the step converters; exporter imports this package

    try:
        leaves = exporter._leaves(obj)
        if not leaves:
            raise exporter.UnsupportedModelError(["the pipeline has no steps"])
        exporter._check_supported(leaves)
    except exporter.UnsupportedModelError as e:
        raise exporter.UnsupportedModelError([f"{label}.{u}" if u[:1] != " " else f"{label}{u}" for u in e.unsupported])
    final_path, final = leaves[-1]
    est = exporter.estimator_converter(type(final)).convert(final, f"{label}.{exporter._label(final_path, final)}")
    names = [f"x{j}" for j in range(n_in)]
    chain: List[Tuple[ConvertedStep, str, List[str]]] = []
    for path, step in leaves[:-1]:
        converted = exporter._convert_chain(step, f"{label}.{path}", names)
        chain += converted
        if converted:
            names = converted[-1][2]
    if est.n_features_in is None:  # an estimator that ignores X (DummyClassifier)
        est.n_features_in = len(names)
    if est.n_features_in != len(names):
        raise ConversionError(f"{label}: its estimator takes {est.n_features_in} features but gets {len(names)}")
    return SubModel(label, est.task, int(est.n_outputs), chain, est)


def _classifier_subs(est, label: str, estimators, n_in: int, n_classes: int, key: str = "estimators") -> List[SubModel]:
    subs = [sub_model(e, f"{label}.{key}[{i}]", n_in) for i, e in enumerate(estimators)]
    for s in subs:
        if s.task != "classification" or s.n_outputs != n_classes:
            raise ConversionError(f"{s.name}: a classifier of {n_classes} classes is needed here, got a {s.task} "
                                  f"with {s.n_outputs} outputs")
    return subs


def _classes(est, label: str) -> np.ndarray:
    classes = np.asarray(est.classes_)
    if classes.ndim != 1 or len(classes) < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes and one output")
    return classes


def _average_scale(weights: np.ndarray, ndim: int, axis: int) -> float:
    """np.average's divisor for these weights on an array of ndim dimensions along axis,
    computed by numpy's own reduction (the order of a sum can depend on the layout)."""
    shape = (1,) * (ndim - 1) + weights.shape
    wgt = np.broadcast_to(weights, shape).swapaxes(-1, axis)
    return float(np.asarray(wgt.sum(axis=axis, dtype=np.float64)).ravel()[0])


# --------------------------------------------------------------------------- converters


def convert_voting(est, label: str) -> ConvertedEstimator:
    """VotingClassifier (soft, hard) and VotingRegressor, weights over the estimators kept."""
    classifier = isinstance(est, VotingClassifier)
    n_in = int(est.n_features_in_)
    m = len(est.estimators_)
    w = est._weights_not_none
    weights = np.ones(m) if w is None else np.asarray(w, dtype=np.float64)
    if weights.shape != (m,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ConversionError(f"{label}: weights must be finite and >= 0, one per estimator")
    if classifier:
        classes = _classes(est, label)
        c = len(classes)
        subs = _classifier_subs(est, label, est.estimators_, n_in, c, "estimators_")
        voting = est.voting
        scale = _average_scale(weights, 3, 0)
    else:
        subs = [sub_model(e, f"{label}.estimators_[{i}]", n_in) for i, e in enumerate(est.estimators_)]
        for s in subs:
            if s.task != "regression" or s.n_outputs != 1:
                raise ConversionError(f"{s.name}: a regressor of one output is needed here")
        classes, c, voting = None, 1, "mean"
        scale = _average_scale(weights, 2, 1)
    if voting != "hard" and scale == 0:
        raise ConversionError(f"{label}: the weights add up to 0")
    return ConvertedEstimator(
        type="voting",
        params={"voting": voting, "n_estimators": m, "weight_sum": scale},
        tensors={"weights": weights},
        n_features_in=n_in,
        n_features_out=c,
        sub_models={"estimators": subs},
        task="classification" if classifier else "regression",
        n_outputs=c,
        classes=classes,
    )


def convert_bagging(est, label: str) -> ConvertedEstimator:
    """BaggingClassifier and BaggingRegressor: each estimator on its feature subset, the
    probabilities or predictions summed in order and divided by n_estimators, as with n_jobs=1."""
    from sklearn.ensemble import BaggingClassifier

    classifier = isinstance(est, BaggingClassifier)
    n_in = int(est.n_features_in_)
    m = len(est.estimators_)
    subs = []
    for i, (e, features) in enumerate(zip(est.estimators_, est.estimators_features_)):
        features = [int(f) for f in np.asarray(features)]
        sub = sub_model(e, f"{label}.estimators_[{i}]", len(features))
        sub.columns = features
        subs.append(sub)
    if classifier:
        classes = _classes(est, label)
        c = len(classes)
        for s in subs:
            if s.task != "classification" or s.n_outputs != c:
                raise ConversionError(f"{s.name}: its bootstrap sample held {s.n_outputs} of the {c} classes; "
                                      "ferry needs every class in every estimator")
        if not all(hasattr(e, "predict_proba") for e in est.estimators_):
            raise ConversionError(f"{label}: its estimators have no predict_proba (the bagging counts their votes)")
        voting = "soft"
    else:
        for s in subs:
            if s.task != "regression" or s.n_outputs != 1:
                raise ConversionError(f"{s.name}: a regressor of one output is needed here")
        classes, c, voting = None, 1, "mean"
    return ConvertedEstimator(
        type="voting",
        params={"voting": voting, "n_estimators": m, "weight_sum": float(m)},
        tensors={"weights": np.ones(m)},
        n_features_in=n_in,
        n_features_out=c,
        sub_models={"estimators": subs},
        task="classification" if classifier else "regression",
        n_outputs=c,
        classes=classes,
    )


def convert_stacking(est, label: str) -> ConvertedEstimator:
    """StackingClassifier and StackingRegressor: every stack_method, passthrough."""
    classifier = isinstance(est, StackingClassifier)
    n_in = int(est.n_features_in_)
    if classifier:
        classes = _classes(est, label)
        c = len(classes)
        subs = _classifier_subs(est, label, est.estimators_, n_in, c, "estimators_")
    else:
        classes, c = None, 1
        subs = [sub_model(e, f"{label}.estimators_[{i}]", n_in) for i, e in enumerate(est.estimators_)]
    methods = [str(m) for m in est.stack_method_]
    width = 0
    for s, method in zip(subs, methods):
        width += (1 if method == "predict" else (1 if s.n_outputs == 2 else s.n_outputs) if method == "predict_proba"
                  else s.estimator.n_features_out)
    if est.passthrough:
        width += n_in
    final = sub_model(est.final_estimator_, f"{label}.final_estimator_", width)
    if final.task != ("classification" if classifier else "regression") or (classifier and final.n_outputs != c):
        raise ConversionError(f"{label}: the final estimator is not a {'classifier of the same classes' if classifier else 'regressor'}")
    return ConvertedEstimator(
        type="stacking",
        params={"classifier": classifier, "passthrough": bool(est.passthrough), "stack_methods": methods},
        tensors={},
        n_features_in=n_in,
        n_features_out=int(final.estimator.n_features_out),
        sub_models={"estimators": subs, "final_estimator": final},
        task="classification" if classifier else "regression",
        n_outputs=c if classifier else 1,
        classes=classes,
    )


def convert_calibration(est, label: str) -> ConvertedEstimator:
    """CalibratedClassifierCV, sigmoid or isotonic, ensemble or not, cv='prefit' too."""
    from sklearn.isotonic import IsotonicRegression

    classes = _classes(est, label)
    c = len(classes)
    n_in = int(est.n_features_in_)
    L = 1 if c == 2 else c
    members = est.calibrated_classifiers_
    subs, responses = [], set()
    for i, cc in enumerate(members):
        inner_classes = np.asarray(cc.estimator.classes_)
        if len(inner_classes) != c or not np.array_equal(inner_classes, classes):
            raise ConversionError(f"{label}.calibrated_classifiers_[{i}]: its classifier saw {len(inner_classes)} "
                                  f"of the {c} classes (a fold without some class); ferry needs every class")
        responses.add("decision_function" if hasattr(cc.estimator, "decision_function") else "predict_proba")
        if len(cc.calibrators) != L:
            raise ConversionError(f"{label}.calibrated_classifiers_[{i}]: {len(cc.calibrators)} calibrators, not {L}")
        subs += _classifier_subs(est, label, [cc.estimator], n_in, c, f"calibrated_classifiers_[{i}].estimator")
    if len(responses) != 1:
        raise ConversionError(f"{label}: the calibrated classifiers answer with different methods")
    response = responses.pop()
    if response == "decision_function":
        for s in subs:
            if s.estimator.n_features_out != L:
                raise ConversionError(f"{s.name}: gives {s.estimator.n_features_out} decision values, not {L}")
    method = members[0].method
    tensors: Dict[str, np.ndarray] = {}
    if method == "sigmoid":
        tensors["a"] = np.array([[float(cal.a_) for cal in cc.calibrators] for cc in members], dtype=np.float64)
        tensors["b"] = np.array([[float(cal.b_) for cal in cc.calibrators] for cc in members], dtype=np.float64)
    elif method == "isotonic":
        xs, ys, offsets = [], [], [0]
        for cc in members:
            for cal in cc.calibrators:
                if type(cal) is not IsotonicRegression or cal.out_of_bounds != "clip" or not cal.increasing_:
                    raise ConversionError(f"{label}: an isotonic calibrator ferry does not know")
                x = np.asarray(cal.X_thresholds_, dtype=np.float64)
                y = np.asarray(cal.y_thresholds_, dtype=np.float64)
                if x.ndim != 1 or x.shape != y.shape or len(x) < 1 or np.any(np.diff(x) <= 0):
                    raise ConversionError(f"{label}: isotonic thresholds are not strictly increasing")
                if x[0] != cal.X_min_ or x[-1] != cal.X_max_:
                    raise ConversionError(f"{label}: isotonic thresholds do not span the calibration range")
                xs.append(x)
                ys.append(y)
                offsets.append(offsets[-1] + len(x))
        tensors = {"x_thresholds": np.concatenate(xs), "y_thresholds": np.concatenate(ys),
                   "threshold_offsets": np.asarray(offsets, dtype=np.int64)}
    else:
        raise ConversionError(f"{label}: method {method!r} is not sigmoid or isotonic")
    return ConvertedEstimator(
        type="calibration",
        params={"method": method, "response": response, "n_estimators": len(members), "n_calibrators": L},
        tensors=tensors,
        n_features_in=n_in,
        n_features_out=c,
        sub_models={"estimators": subs},
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def convert_adaboost(est, label: str) -> ConvertedEstimator:
    """AdaBoostClassifier (SAMME, SAMME.R) and AdaBoostRegressor (the weighted median)."""
    from sklearn.ensemble import AdaBoostClassifier

    classifier = isinstance(est, AdaBoostClassifier)
    n_in = int(est.n_features_in_)
    m = len(est.estimators_)
    all_weights = np.asarray(est.estimator_weights_, dtype=np.float64)
    weights = np.ascontiguousarray(all_weights[:m])
    if classifier:
        classes = _classes(est, label)
        c = len(classes)
        subs = [sub_model(e, f"{label}.estimators_[{i}]", n_in) for i, e in enumerate(est.estimators_)]
        for i, (s, e) in enumerate(zip(subs, est.estimators_)):
            if s.task != "classification" or not np.array_equal(np.asarray(e.classes_), classes):
                raise ConversionError(f"{s.name}: fitted on {len(getattr(e, 'classes_', []))} of the {c} classes")
        algorithm = {"SAMME": "samme", "SAMME.R": "samme_r"}[est.algorithm]
        # decision_function divides by estimator_weights_.sum(), zeros of unfitted stages included
        weight_sum = float(all_weights.sum())
    else:
        subs = [sub_model(e, f"{label}.estimators_[{i}]", n_in) for i, e in enumerate(est.estimators_)]
        for s in subs:
            if s.task != "regression" or s.n_outputs != 1:
                raise ConversionError(f"{s.name}: a regressor of one output is needed here")
        classes, c, algorithm, weight_sum = None, 1, "median", 1.0
    if not (np.isfinite(weight_sum) and weight_sum != 0):
        raise ConversionError(f"{label}: the estimator weights add up to {weight_sum}")
    return ConvertedEstimator(
        type="adaboost",
        params={"algorithm": algorithm, "n_estimators": m, "n_classes": c, "weight_sum": weight_sum},
        tensors={"weights": weights},
        n_features_in=n_in,
        n_features_out=1 if algorithm == "median" or c == 2 else c,
        sub_models={"estimators": subs},
        task="classification" if classifier else "regression",
        n_outputs=c,
        classes=classes,
    )


def convert_one_vs_rest(est, label: str) -> ConvertedEstimator:
    """OneVsRestClassifier over binary classifiers (multiclass or binary targets)."""
    if est.label_binarizer_.y_type_ not in ("multiclass", "binary"):
        raise ConversionError(f"{label}: multilabel targets ({est.label_binarizer_.y_type_}) are not supported")
    classes = _classes(est, label)
    c = len(classes)
    n_in = int(est.n_features_in_)
    for i, e in enumerate(est.estimators_):
        if not hasattr(e, "classes_") or len(e.classes_) != 2:
            raise ConversionError(f"{label}.estimators_[{i}]: class {classes[i]!r} was always or never present at "
                                  "fit (a constant predictor); ferry needs a binary classifier per class")
    subs = _classifier_subs(est, label, est.estimators_, n_in, 2, "estimators_")
    use_decision = hasattr(est.estimators_[0], "decision_function")
    if any(hasattr(e, "decision_function") != use_decision for e in est.estimators_):
        raise ConversionError(f"{label}: some estimators have decision_function and some do not")
    if use_decision and any(s.estimator.n_features_out != 1 for s in subs):
        raise ConversionError(f"{label}: a binary estimator gives more than one decision value")
    return ConvertedEstimator(
        type="one_vs_rest",
        params={"response": "decision_function" if use_decision else "predict_proba"},
        tensors={},
        n_features_in=n_in,
        n_features_out=len(subs),
        sub_models={"estimators": subs},
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def convert_one_vs_one(est, label: str) -> ConvertedEstimator:
    """OneVsOneClassifier over binary classifiers (not a precomputed pairwise kernel)."""
    if getattr(est, "pairwise_indices_", None) is not None:
        return_reason = "a pairwise (precomputed kernel) estimator selects training rows per pair"
        raise ConversionError(f"{label}: {return_reason}")
    classes = _classes(est, label)
    c = len(classes)
    n_in = int(est.n_features_in_)
    subs = _classifier_subs(est, label, est.estimators_, n_in, 2, "estimators_")
    use_decision = hasattr(est.estimators_[0], "decision_function")
    if any(hasattr(e, "decision_function") != use_decision for e in est.estimators_):
        raise ConversionError(f"{label}: some estimators have decision_function and some do not")
    if use_decision and any(s.estimator.n_features_out != 1 for s in subs):
        raise ConversionError(f"{label}: a binary estimator gives more than one decision value")
    return ConvertedEstimator(
        type="one_vs_one",
        params={"response": "decision_function" if use_decision else "predict_proba", "n_classes": c},
        tensors={},
        n_features_in=n_in,
        n_features_out=1 if c == 2 else c,
        sub_models={"estimators": subs},
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def convert_chain(est, label: str) -> ConvertedEstimator:
    """MultiOutputRegressor and RegressorChain (any order)."""
    from sklearn.multioutput import RegressorChain

    chained = isinstance(est, RegressorChain)
    n_in = int(est.n_features_in_)
    subs = []
    for e, sub in enumerate(est.estimators_):
        s = sub_model(sub, f"{label}.estimators_[{e}]", n_in + (e if chained else 0))
        if s.task != "regression" or s.n_outputs != 1:
            raise ConversionError(f"{s.name}: a regressor of one output is needed here")
        subs.append(s)
    m = len(subs)
    order = np.asarray(est.order_ if chained else np.arange(m), dtype=np.int64)
    return ConvertedEstimator(
        type="chain",
        params={"chained": chained},
        tensors={"order": np.ascontiguousarray(order)},
        n_features_in=n_in,
        n_features_out=m,
        sub_models={"estimators": subs},
        task="regression",
        n_outputs=m,
    )


def _target_inverse(est, label: str) -> Tuple[str, Dict[str, np.ndarray]]:
    """TransformedTargetRegressor.transformer_ -> (params.inverse, tensors)."""
    from sklearn.preprocessing import FunctionTransformer, StandardScaler

    from .function import FUNCTIONS

    t = est.transformer_
    if type(t) is FunctionTransformer:
        for name, f in FUNCTIONS.items():
            if t.inverse_func is f and not t.inv_kw_args:
                return name, {}
        raise ConversionError(f"{label}: inverse_func={t.inverse_func!r} is not one of numpy's "
                              f"{', '.join(n for n in FUNCTIONS if n != 'identity')} or None")
    if type(t) is StandardScaler:
        k = int(t.n_features_in_)
        scale = np.ones(k) if t.scale_ is None else np.asarray(t.scale_, dtype=np.float64)
        offset = np.zeros(k) if t.mean_ is None or not t.with_mean else np.asarray(t.mean_, dtype=np.float64)
        if not t.with_std:
            scale = np.ones(k)
        return "affine", {"scale": np.ascontiguousarray(scale), "offset": np.ascontiguousarray(offset)}
    raise ConversionError(f"{label}: transformer {type(t).__name__} is not supported (StandardScaler or "
                          "func / inverse_func)")


def convert_transformed_target(est, label: str) -> ConvertedEstimator:
    """TransformedTargetRegressor with func / inverse_func or a StandardScaler transformer."""
    inverse, tensors = _target_inverse(est, label)
    n_in = int(est.n_features_in_)
    sub = sub_model(est.regressor_, f"{label}.regressor_", n_in)
    if sub.task != "regression":
        raise ConversionError(f"{label}: the regressor is not a regressor")
    k = sub.n_outputs
    if inverse == "affine" and tensors["scale"].shape != (k,):
        raise ConversionError(f"{label}: the transformer has {tensors['scale'].shape[0]} columns for {k} targets")
    return ConvertedEstimator(
        type="transformed_target",
        params={"inverse": inverse},
        tensors=tensors,
        n_features_in=n_in,
        n_features_out=k,
        sub_models={"estimators": [sub]},
        task="regression",
        n_outputs=k,
    )


def convert_dummy(est, label: str) -> ConvertedEstimator:
    """DummyClassifier (most_frequent, prior, constant) and DummyRegressor (every strategy).
    They ignore X and keep no n_features_in_: the width is what reaches them (exporter)."""
    n_in = getattr(est, "n_features_in_", None)
    if isinstance(est, DummyRegressor):
        value = np.asarray(est.constant_, dtype=np.float64).reshape(-1)
        return ConvertedEstimator(type="constant", params={"link": "identity"}, tensors={"value": value},
                                  n_features_in=n_in, n_features_out=len(value), task="regression",
                                  n_outputs=len(value))
    classes = _classes(est, label)
    c = len(classes)
    prior = np.asarray(est.class_prior_, dtype=np.float64)
    if est._strategy == "most_frequent":
        value = np.zeros(c)
        value[prior.argmax()] = 1.0
    elif est._strategy == "prior":
        value = np.ones((1, 1)) * prior
    else:  # constant
        value = np.zeros(c)
        value[np.flatnonzero(classes == est.constant)[0]] = 1.0
    return ConvertedEstimator(type="constant", params={"link": "probability"},
                              tensors={"value": np.ascontiguousarray(value, dtype=np.float64).reshape(-1)},
                              n_features_in=n_in, n_features_out=c, task="classification", n_outputs=c,
                              classes=classes)


def _check_dummy(est) -> Optional[str]:
    if isinstance(est, DummyClassifier):
        if getattr(est, "_strategy", est.strategy) in ("stratified", "uniform"):
            return f"strategy={est.strategy!r} draws random predictions; ferry is deterministic"
        if getattr(est, "n_outputs_", 1) != 1:
            return "multi-output classification is not supported"
    return None


def _check_bagging(est) -> Optional[str]:
    from sklearn.ensemble import BaggingClassifier

    if isinstance(est, BaggingClassifier) and hasattr(est, "decision_function"):
        return ("its estimators have decision_function: the bagging's decision_function (the mean of theirs) "
                "and its predict_proba (the mean of their probabilities) are two outputs, where an artifact "
                "derives both from one set of scores")
    return None


def _check_voting(est) -> Optional[str]:
    if est.weights is not None and any(w is not None and w < 0 for w in est.weights):
        return "negative weights"
    return None


# --------------------------------------------------------------------------- numpy kernels


def sub_model_outputs(entry: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> Dict[str, np.ndarray]:
    """A sub-model (docs/format.md 4.30) on X with the artifact's kernels: its estimator's
    outputs (predict as class indices or values, predict_proba, decision_function)."""
    from ..exporter import estimator_outputs, run_steps

    if entry.get("columns") is not None:
        X = np.asarray(X)[:, entry["columns"]]
    Z = np.asarray(run_steps(entry["pipeline"], X, tensors), dtype=np.float64)
    return estimator_outputs(entry["estimator"], tensors, Z, entry["task"])


def _scores(out: Dict[str, np.ndarray], n: int) -> np.ndarray:
    return np.asarray(out["decision_function"], dtype=np.float64).reshape(n, -1)


def voting(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
           tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    p = step["params"]
    w = local["weights"]
    outs = [sub_model_outputs(e, tensors, X) for e in p["estimators"]]
    n = X.shape[0]
    if p["voting"] == "mean":
        preds = np.asarray([np.asarray(o["predict"]).reshape(n) for o in outs]).T
        return {"predict": np.multiply(preds, w).sum(axis=1).reshape(n, 1) / p["weight_sum"]}
    if p["voting"] == "soft":
        probas = np.asarray([o["predict_proba"] for o in outs])
        proba = np.multiply(probas, w.reshape(-1, 1, 1)).sum(axis=0) / p["weight_sum"]
        return {"predict": np.argmax(proba, axis=1).astype(np.int64), "predict_proba": proba}
    labels = np.asarray([o["predict"] for o in outs]).T
    c = step["n_features_out"]
    predict = np.array([np.argmax(np.bincount(row, weights=w, minlength=c)) for row in labels], dtype=np.int64)
    return {"predict": predict}


def stacking(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
             tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    p = step["params"]
    n = X.shape[0]
    meta = []
    for e, method in zip(p["estimators"], p["stack_methods"]):
        out = sub_model_outputs(e, tensors, X)
        if method == "predict_proba":
            proba = out["predict_proba"]
            meta.append(proba[:, 1:] if proba.shape[1] == 2 else proba)
        elif method == "decision_function":
            meta.append(_scores(out, n))
        else:
            meta.append(np.asarray(out["predict"], dtype=np.float64).reshape(n, 1))
    if p["passthrough"]:
        meta.append(np.asarray(X, dtype=np.float64))
    return sub_model_outputs(p["final_estimator"], tensors, np.hstack(meta))


def _isotonic(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """IsotonicRegression.predict (out_of_bounds='clip'): np.clip, then scipy's interp1d."""
    if len(x) == 1:
        return np.repeat(y[0], len(t))
    t = np.clip(t, x[0], x[-1])
    hi = np.clip(np.searchsorted(x, t), 1, len(x) - 1)
    lo = hi - 1
    slope = (y[hi] - y[lo]) / (x[hi] - x[lo])
    return slope * (t - x[lo]) + y[lo]


def calibration(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
                tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    p = step["params"]
    n, c, L = X.shape[0], step["n_features_out"], p["n_calibrators"]
    mean = np.zeros((n, c))
    for i, e in enumerate(p["estimators"]):
        out = sub_model_outputs(e, tensors, X)
        if p["response"] == "decision_function":
            pred = _scores(out, n)
        else:
            pred = out["predict_proba"]
            pred = pred[:, 1:] if c == 2 else pred
        proba = np.zeros((n, c))
        for j in range(L):
            col = j + 1 if c == 2 else j
            if p["method"] == "sigmoid":
                proba[:, col] = expit(-(local["a"][i, j] * pred[:, j] + local["b"][i, j]))
            else:
                k = i * L + j
                lo, hi = local["threshold_offsets"][k], local["threshold_offsets"][k + 1]
                proba[:, col] = _isotonic(local["x_thresholds"][lo:hi], local["y_thresholds"][lo:hi], pred[:, j])
        if c == 2:
            proba[:, 0] = 1.0 - proba[:, 1]
        else:
            denominator = np.sum(proba, axis=1)[:, np.newaxis]
            proba = np.divide(proba, denominator, out=np.full_like(proba, 1 / c), where=denominator != 0)
        proba[(1.0 < proba) & (proba <= 1.0 + 1e-5)] = 1.0
        mean += proba
    mean /= len(p["estimators"])
    return {"predict": np.argmax(mean, axis=1).astype(np.int64), "predict_proba": mean}


def one_vs_rest(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
                tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    p = step["params"]
    n = X.shape[0]
    outs = [sub_model_outputs(e, tensors, X) for e in p["estimators"]]
    use_decision = p["response"] == "decision_function"
    scores = np.column_stack([_scores(o, n)[:, 0] if use_decision else o["predict_proba"][:, 1] for o in outs])
    if len(outs) == 1:
        predict = (scores[:, 0] > (0.0 if use_decision else 0.5)).astype(np.int64)
    else:
        maxima = np.full(n, -np.inf)
        predict = np.zeros(n, dtype=np.int64)
        for i in range(len(outs)):
            np.maximum(maxima, scores[:, i], out=maxima)
            predict[maxima == scores[:, i]] = i
    result = {"predict": predict}
    if use_decision:
        result["decision_function"] = scores
    if all("predict_proba" in o for o in outs):
        Y = np.array([o["predict_proba"][:, 1] for o in outs]).T
        if len(outs) == 1:
            Y = np.concatenate(((1 - Y), Y), axis=1)
        Y /= np.sum(Y, axis=1)[:, np.newaxis]
        result["predict_proba"] = Y
    return result


def adaboost(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
             tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    from sklearn.utils.extmath import softmax, stable_cumsum

    p = step["params"]
    w = local["weights"]
    n, c = X.shape[0], p["n_classes"]
    outs = [sub_model_outputs(e, tensors, X) for e in p["estimators"]]
    if p["algorithm"] == "median":
        predictions = np.array([np.asarray(o["predict"]).reshape(n) for o in outs]).T
        sorted_idx = np.argsort(predictions, axis=1, kind="stable")
        weight_cdf = stable_cumsum(w[sorted_idx], axis=1)
        median_or_above = weight_cdf >= 0.5 * weight_cdf[:, -1][:, np.newaxis]
        median_idx = median_or_above.argmax(axis=1)
        median_estimators = sorted_idx[np.arange(n), median_idx]
        return {"predict": predictions[np.arange(n), median_estimators].reshape(n, 1)}
    classes = np.arange(c)[:, np.newaxis]
    if p["algorithm"] == "samme_r":
        def samme_proba(proba):
            proba = np.clip(proba, np.finfo(proba.dtype).eps, None)
            log_proba = np.log(proba)
            return (c - 1) * (log_proba - (1.0 / c) * log_proba.sum(axis=1)[:, np.newaxis])
        pred = sum(samme_proba(np.array(o["predict_proba"])) for o in outs)
    else:
        pred = sum((o["predict"] == classes).T * w[i] for i, o in enumerate(outs))
    pred = pred / p["weight_sum"]
    if c == 2:
        pred[:, 0] *= -1
        decision = pred.sum(axis=1)
        proba = softmax(np.vstack([-decision, decision]).T / 2)
        return {"predict": (decision > 0).astype(np.int64), "decision_function": decision.reshape(n, 1),
                "predict_proba": proba}
    proba = softmax(pred / (c - 1))
    return {"predict": np.argmax(pred, axis=1).astype(np.int64), "decision_function": pred, "predict_proba": proba}


def one_vs_one(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
               tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    from sklearn.utils.multiclass import _ovr_decision_function

    p = step["params"]
    n, c = X.shape[0], p["n_classes"]
    outs = [sub_model_outputs(e, tensors, X) for e in p["estimators"]]
    use_decision = p["response"] == "decision_function"
    predictions = np.vstack([o["predict"] for o in outs]).T
    confidences = np.vstack([_scores(o, n)[:, 0] if use_decision else o["predict_proba"][:, 1] for o in outs]).T
    Y = _ovr_decision_function(predictions, confidences, c)
    if c == 2:
        d = Y[:, 1]
        return {"predict": (d > (0.0 if use_decision else 0.5)).astype(np.int64), "decision_function": d.reshape(n, 1)}
    return {"predict": Y.argmax(axis=1).astype(np.int64), "decision_function": Y}


def chain(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
          tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    subs = step["params"]["estimators"]
    n = X.shape[0]
    Y_chain = np.zeros((n, len(subs)))
    for e, sub in enumerate(subs):
        X_in = np.hstack((X, Y_chain[:, :e])) if step["params"]["chained"] else X
        Y_chain[:, e] = np.asarray(sub_model_outputs(sub, tensors, X_in)["predict"]).reshape(n)
    order = local["order"]
    inv_order = np.empty_like(order)
    inv_order[order] = np.arange(len(order))
    return {"predict": Y_chain[:, inv_order]}


#: params.inverse of transformed_target -> the numpy function (affine: StandardScaler's)
_INVERSES = {"identity": lambda y: y, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
             "sqrt": np.sqrt, "square": np.square, "abs": np.abs}


def transformed_target(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str,
                       tensors: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    n = X.shape[0]
    y = np.array(sub_model_outputs(step["params"]["estimators"][0], tensors, X)["predict"], dtype=np.float64)
    y = y.reshape(n, -1)
    inverse = step["params"]["inverse"]
    if inverse == "affine":
        y *= local["scale"]
        y += local["offset"]
    else:
        with np.errstate(all="ignore"):
            y = _INVERSES[inverse](y)
    return {"predict": y}


def constant(step: dict, local: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    n = X.shape[0]
    value = np.tile(local["value"], (n, 1))
    if task == "regression":
        return {"predict": value}
    return {"predict": np.argmax(value, axis=1).astype(np.int64), "predict_proba": value}


for _kernel in (voting, stacking, calibration, one_vs_rest, adaboost, one_vs_one, chain, transformed_target):
    _kernel.takes_sub_models = True  # called with the artifact's tensors (exporter.estimator_outputs)


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {
    VotingClassifier: Converter(convert_voting, _check_voting),
    VotingRegressor: Converter(convert_voting, _check_voting),
    AdaBoostClassifier: Converter(convert_adaboost),
    AdaBoostRegressor: Converter(convert_adaboost),
    BaggingClassifier: Converter(convert_bagging, _check_bagging),
    BaggingRegressor: Converter(convert_bagging),
    StackingClassifier: Converter(convert_stacking),
    StackingRegressor: Converter(convert_stacking),
    CalibratedClassifierCV: Converter(convert_calibration),
    OneVsRestClassifier: Converter(convert_one_vs_rest),
    OneVsOneClassifier: Converter(convert_one_vs_one),
    MultiOutputRegressor: Converter(convert_chain),
    RegressorChain: Converter(convert_chain),
    TransformedTargetRegressor: Converter(convert_transformed_target),
    DummyClassifier: Converter(convert_dummy, _check_dummy),
    DummyRegressor: Converter(convert_dummy),
}
KERNELS = {
    "voting": voting,
    "stacking": stacking,
    "calibration": calibration,
    "one_vs_rest": one_vs_rest,
    "constant": constant,
    "adaboost": adaboost,
    "one_vs_one": one_vs_one,
    "chain": chain,
    "transformed_target": transformed_target,
}
