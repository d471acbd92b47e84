"""Linear models -> estimator type ``linear`` (C++ twin: src/models/linear.cpp);
QuadraticDiscriminantAnalysis -> ``quadratic_discriminant`` (src/models/quadratic_discriminant.cpp);
LinearDiscriminantAnalysis as a transformer -> ``linear_projection``.

docs/format.md section 4.2: raw scores ``s = x . coef^T + intercept``, then a link:
``identity`` or ``exp`` (regression), ``logistic``, ``softmax``, ``ovr``, ``modified_huber`` or
``none`` (a classifier without predict_proba). Section 4.22: the quadratic form per class.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np
from scipy.special import expit

from sklearn.discriminant_analysis import LinearDiscriminantAnalysis, QuadraticDiscriminantAnalysis
from sklearn.linear_model import (
    ARDRegression,
    BayesianRidge,
    ElasticNet,
    ElasticNetCV,
    GammaRegressor,
    HuberRegressor,
    Lars,
    LarsCV,
    Lasso,
    LassoCV,
    LassoLars,
    LassoLarsCV,
    LassoLarsIC,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
    OrthogonalMatchingPursuit,
    OrthogonalMatchingPursuitCV,
    PassiveAggressiveClassifier,
    PassiveAggressiveRegressor,
    Perceptron,
    PoissonRegressor,
    QuantileRegressor,
    RANSACRegressor,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TheilSenRegressor,
    TweedieRegressor,
)

from . import ConversionError, ConvertedEstimator, Converter, class_labels


def _coef_intercept(est, label: str) -> Tuple[np.ndarray, np.ndarray]:
    coef = np.asarray(est.coef_, dtype=np.float64)
    if coef.ndim == 1:
        coef = coef.reshape(1, -1)
    if coef.ndim != 2 or coef.shape[0] < 1:
        raise ConversionError(f"{label}: coef_ has shape {np.shape(est.coef_)}")
    k, n = coef.shape
    n_in = getattr(est, "n_features_in_", n)
    if n != n_in:
        raise ConversionError(f"{label}: coef_ has {n} columns but n_features_in_ is {n_in}")
    intercept = np.asarray(est.intercept_, dtype=np.float64).reshape(-1)
    if intercept.size == 1 and k > 1:  # fit_intercept=False stores the scalar 0.0
        intercept = np.full(k, intercept[0])
    if intercept.shape != (k,):
        raise ConversionError(f"{label}: intercept_ has shape {np.shape(est.intercept_)}, expected ({k},)")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ConversionError(f"{label}: coef_ or intercept_ is not finite")
    return np.ascontiguousarray(coef), intercept


def convert_linear_regression(est, label: str) -> ConvertedEstimator:
    """LinearRegression and Ridge, single- or multi-target."""
    coef, intercept = _coef_intercept(est, label)
    k, n = coef.shape
    return ConvertedEstimator(
        type="linear",
        params={"link": "identity"},
        tensors={"coef": coef, "intercept": intercept},
        n_features_in=n,
        n_features_out=k,
        task="regression",
        n_outputs=k,
    )


def logistic_link(est) -> str:
    """The link scikit-learn 1.2's LogisticRegression.predict_proba applies."""
    c = len(est.classes_)
    multi_class = est.multi_class
    ovr = multi_class in ("ovr", "warn") or (multi_class == "auto" and (c <= 2 or est.solver == "liblinear"))
    if ovr:
        return "logistic" if c <= 2 else "ovr"
    return "softmax"  # k = 1 with 2 classes: softmax of [-s, s]


def check_logistic_regression(est) -> Optional[str]:
    classes = getattr(est, "classes_", None)
    if classes is None:
        return None  # reported as unfitted later
    try:
        class_labels(classes)
    except ConversionError as e:
        return str(e)
    return None


def convert_logistic_regression(est, label: str) -> ConvertedEstimator:
    classes = np.asarray(est.classes_)
    c = len(classes)
    if c < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes, got {c}")
    link = logistic_link(est)
    coef, intercept = _coef_intercept(est, label)
    k, n = coef.shape
    expected_k = 1 if c == 2 else c
    if k != expected_k:
        raise ConversionError(f"{label}: coef_ has {k} rows, expected {expected_k} for {c} classes")
    return ConvertedEstimator(
        type="linear",
        params={"link": link},
        tensors={"coef": coef, "intercept": intercept},
        n_features_in=n,
        n_features_out=k,
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def linear(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """numpy kernel: outputs a reader must compute (predict as values or class indices)."""
    s = np.asarray(X, dtype=np.float64) @ tensors["coef"].T + tensors["intercept"]
    link = step["params"]["link"]
    if task == "regression":
        return {"predict": np.exp(s) if link == "exp" else s, "decision_function": s}
    k = s.shape[1]
    proba: Optional[np.ndarray] = None
    if link == "none":
        pass
    elif link == "modified_huber":
        proba = _modified_huber(s)
    elif link == "logistic":
        p1 = expit(s[:, 0])
        proba = np.column_stack([1.0 - p1, p1])
    elif link == "softmax" and k == 1:
        proba = _softmax(np.column_stack([-s[:, 0], s[:, 0]]))
    elif link == "softmax":
        proba = _softmax(s)
    elif link == "ovr":
        p = expit(s)
        proba = p / p.sum(axis=1, keepdims=True)
    else:  # pragma: no cover - the reader rejects other links
        raise ValueError(f"unknown link {link!r}")
    if k == 1:
        predict = (s[:, 0] > 0).astype(np.int64)
    else:
        predict = np.argmax(s, axis=1).astype(np.int64)
    out = {"predict": predict, "decision_function": s}
    if proba is not None:
        out["predict_proba"] = proba
    return out


# --------------------------------------------------------------------------- the linear family
# Every class below predicts with scikit-learn's LinearModel / LinearClassifierMixin formula
# ``X @ coef_.T + intercept_`` (GLMs: ``X @ coef_ + intercept_`` then their link's inverse), so
# they share the ``linear`` step; only the link differs.


def convert_glm(est, label: str) -> ConvertedEstimator:
    """PoissonRegressor, GammaRegressor, TweedieRegressor: predict = link.inverse(X @ coef_ + intercept_)."""
    from sklearn._loss.link import IdentityLink, LogLink

    link = type(getattr(est, "_base_loss", None).link) if hasattr(est, "_base_loss") else None
    if link is LogLink:
        name = "exp"
    elif link is IdentityLink:
        name = "identity"
    else:
        raise ConversionError(f"{label}: link {getattr(link, '__name__', link)!r} is not supported (identity and log are)")
    coef, intercept = _coef_intercept(est, label)
    k, n = coef.shape
    if k != 1:
        raise ConversionError(f"{label}: coef_ has {k} rows, expected 1")
    return ConvertedEstimator(
        type="linear",
        params={"link": name},
        tensors={"coef": coef, "intercept": intercept},
        n_features_in=n,
        n_features_out=1,
        task="regression",
        n_outputs=1,
    )


def check_ransac(est) -> Optional[str]:
    from . import estimator_converter

    inner = getattr(est, "estimator_", None)
    if inner is None:
        return None  # reported as unfitted later
    conv = estimator_converter(type(inner))
    if conv is None:
        return f"its fitted estimator_ is a {type(inner).__name__}, which ferry does not support"
    if conv.check is not None:
        return conv.check(inner)
    return None


def convert_ransac(est, label: str) -> ConvertedEstimator:
    """RANSACRegressor: predict is its fitted ``estimator_``'s predict."""
    from . import estimator_converter

    inner = est.estimator_
    conv = estimator_converter(type(inner))
    if conv is None:
        raise ConversionError(f"{label}: its fitted estimator_ {type(inner).__name__} is not supported")
    out = conv.convert(inner, f"{label}.estimator_")
    if not isinstance(out, ConvertedEstimator) or out.task != "regression":
        raise ConversionError(f"{label}: its fitted estimator_ {type(inner).__name__} is not a regressor")
    return out


#: SGDClassifier losses (scikit-learn 1.2.1) -> the link of its predict_proba (None: it has none)
_SGD_PROBA = {"log_loss": "log", "log": "log", "modified_huber": "modified_huber"}
_SGD_LOSSES = (
    "hinge", "log_loss", "log", "modified_huber", "squared_hinge", "perceptron",
    "squared_error", "huber", "epsilon_insensitive", "squared_epsilon_insensitive",
)


def _classifier_link(est, c: int, label: str) -> str:
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
    from sklearn.linear_model import SGDClassifier

    if type(est) is SGDClassifier:
        if est.loss not in _SGD_LOSSES:
            raise ConversionError(f"{label}: loss {est.loss!r} is not supported")
        proba = _SGD_PROBA.get(est.loss)
        if proba == "log":  # _predict_proba_lr: sigmoid, OvR-normalised with 3+ classes
            return "logistic" if c == 2 else "ovr"
        return proba or "none"
    if type(est) is LinearDiscriminantAnalysis:  # predict_proba: expit with 2 classes, else softmax
        return "logistic" if c == 2 else "softmax"
    return "none"  # Perceptron, PassiveAggressiveClassifier, RidgeClassifier(CV): no predict_proba


def check_linear_classifier(est) -> Optional[str]:
    binarizer = getattr(est, "_label_binarizer", None)
    if binarizer is not None and str(getattr(binarizer, "y_type_", "")).startswith("multilabel"):
        return "multilabel targets are not supported"
    return check_logistic_regression(est)


def convert_linear_classifier(est, label: str) -> ConvertedEstimator:
    """SGDClassifier, Perceptron, PassiveAggressiveClassifier, RidgeClassifier(CV) and
    LinearDiscriminantAnalysis: decision_function = X @ coef_.T + intercept_ (one score for two
    classes), predict = its sign or first maximum, predict_proba by the link."""
    classes = np.asarray(est.classes_)
    c = len(classes)
    if c < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes, got {c}")
    link = _classifier_link(est, c, label)
    coef, intercept = _coef_intercept(est, label)
    k, n = coef.shape
    expected_k = 1 if c == 2 else c
    if k != expected_k:
        raise ConversionError(f"{label}: coef_ has {k} rows, expected {expected_k} for {c} classes")
    return ConvertedEstimator(
        type="linear",
        params={"link": link},
        tensors={"coef": coef, "intercept": intercept},
        n_features_in=n,
        n_features_out=k,
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def _modified_huber(s: np.ndarray) -> np.ndarray:
    """SGDClassifier._predict_proba for loss="modified_huber", operation for operation."""
    if s.shape[1] == 1:
        p1 = (np.clip(s[:, 0], -1, 1) + 1.0) / 2.0
        return np.column_stack([1.0 - p1, p1])
    prob = (np.clip(s, -1, 1) + 1.0) / 2.0
    prob_sum = prob.sum(axis=1)
    zero = prob_sum == 0
    prob[zero, :] = 1
    prob_sum[zero] = s.shape[1]
    return prob / prob_sum.reshape((prob.shape[0], -1))


# --------------------------------------------------------------------------- discriminant analysis


def check_lda_transform(est) -> Optional[str]:
    if getattr(est, "solver", None) == "lsqr":
        return "solver='lsqr' has no transform (scikit-learn raises NotImplementedError); use 'svd' or 'eigen'"
    return None


def convert_lda_transform(est, label: str):
    """LinearDiscriminantAnalysis as a pipeline step: svd ``(X - xbar_) @ scalings_``, eigen
    ``X @ scalings_``, the first ``_max_components`` columns -> linear_projection."""
    from . import ConvertedStep

    if est.solver not in ("svd", "eigen"):
        raise ConversionError(f"{label}: solver {est.solver!r} has no transform")
    n = int(est.n_features_in_)
    scalings = np.asarray(est.scalings_, dtype=np.float64)
    m = int(est._max_components)
    if scalings.ndim != 2 or scalings.shape[0] != n or m < 1:
        raise ConversionError(f"{label}: scalings_ has shape {scalings.shape}, _max_components {m}")
    components = np.ascontiguousarray(scalings[:, :m].T)
    k = components.shape[0]
    tensors: Dict[str, np.ndarray] = {"components": components}
    if est.solver == "svd":
        tensors["mean"] = np.ascontiguousarray(np.asarray(est.xbar_, dtype=np.float64))
    if not all(np.all(np.isfinite(t)) for t in tensors.values()):
        raise ConversionError(f"{label}: scalings_ or xbar_ is not finite")
    return ConvertedStep(
        type="linear_projection",
        params={"with_mean": "mean" in tensors, "with_scale": False},
        tensors=tensors,
        n_features_in=n,
        n_features_out=k,
    )


def convert_qda(est, label: str) -> ConvertedEstimator:
    """QuadraticDiscriminantAnalysis: the arrays of its _decision_function, computed here with
    its own numpy operations (``R * (S ** (-0.5))``, ``np.sum(np.log(S))``, ``np.log(priors_)``),
    so the tensors hold exactly the values scikit-learn multiplies by."""
    classes = np.asarray(est.classes_)
    c = len(classes)
    if c < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes, got {c}")
    means = np.asarray(est.means_, dtype=np.float64)
    n = int(est.n_features_in_)
    if means.shape != (c, n):
        raise ConversionError(f"{label}: means_ has shape {means.shape}, expected ({c}, {n})")
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero scaling is refused below
        blocks = [R * (S ** (-0.5)) for R, S in zip(est.rotations_, est.scalings_)]
    rank = max(b.shape[1] for b in blocks)
    weights = np.zeros((c, n, rank))
    for i, b in enumerate(blocks):
        if b.shape[0] != n:
            raise ConversionError(f"{label}: rotations_[{i}] has shape {np.shape(est.rotations_[i])}")
        weights[i, :, : b.shape[1]] = b  # zero columns add 0 to the squared norm
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero is refused below
        log_det = np.asarray([np.sum(np.log(s)) for s in est.scalings_], dtype=np.float64)
        log_prior = np.asarray(np.log(est.priors_), dtype=np.float64)
    for name, arr in (("means_", means), ("rotations_ * scalings_ ** -0.5", weights), ("log of scalings_", log_det),
                      ("log of priors_", log_prior)):
        if not np.all(np.isfinite(arr)):
            raise ConversionError(
                f"{label}: {name} is not finite (a zero scaling or prior: scikit-learn's own outputs are not "
                "finite either; fit with reg_param > 0 or without zero priors)"
            )
    return ConvertedEstimator(
        type="quadratic_discriminant",
        params={"n_classes": c, "rank": int(rank), "link": "softmax_pair" if c == 2 else "softmax"},
        tensors={"means": np.ascontiguousarray(means), "weights": weights, "log_det": log_det,
                 "log_prior": log_prior},
        n_features_in=n,
        n_features_out=1 if c == 2 else c,
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def quadratic_discriminant(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """numpy kernel: QuadraticDiscriminantAnalysis._decision_function, decision_function,
    predict and predict_proba as scikit-learn 1.2.1 computes them."""
    X = np.asarray(X, dtype=np.float64)
    means, W = tensors["means"], tensors["weights"]
    norm2 = np.array([np.sum(np.dot(X - means[i], W[i]) ** 2, axis=1) for i in range(means.shape[0])]).T
    d = -0.5 * (norm2 + tensors["log_det"]) + tensors["log_prior"]
    likelihood = np.exp(d - d.max(axis=1)[:, np.newaxis])
    proba = likelihood / likelihood.sum(axis=1)[:, np.newaxis]
    dec = (d[:, 1] - d[:, 0]).reshape(-1, 1) if d.shape[1] == 2 else d
    return {"predict": d.argmax(axis=1).astype(np.int64), "predict_proba": proba, "decision_function": dec}


#: linear regressors whose predict is X @ coef_.T + intercept_ (one or several targets)
LINEAR_REGRESSORS = (
    LinearRegression, Ridge, RidgeCV, Lasso, LassoCV, ElasticNet, ElasticNetCV, Lars, LarsCV, LassoLars,
    LassoLarsCV, LassoLarsIC, OrthogonalMatchingPursuit, OrthogonalMatchingPursuitCV, MultiTaskLasso,
    MultiTaskLassoCV, MultiTaskElasticNet, MultiTaskElasticNetCV, BayesianRidge, ARDRegression, HuberRegressor,
    QuantileRegressor, TheilSenRegressor, SGDRegressor, PassiveAggressiveRegressor,
)
#: linear classifiers whose decision_function is X @ coef_.T + intercept_ (link: linear_classifier_link)
LINEAR_CLASSIFIERS = (
    SGDClassifier, Perceptron, PassiveAggressiveClassifier, RidgeClassifier, RidgeClassifierCV,
    LinearDiscriminantAnalysis,
)


def _sparse_safe(est) -> bool:
    """A product with the weights: a sparse matrix gives what its dense form gives."""
    return True


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {LinearDiscriminantAnalysis: Converter(convert_lda_transform, check_lda_transform)}
ESTIMATORS = {
    **{cls: Converter(convert_linear_regression, same_on_sparse=_sparse_safe) for cls in LINEAR_REGRESSORS},
    **{cls: Converter(convert_glm, same_on_sparse=_sparse_safe)
       for cls in (PoissonRegressor, GammaRegressor, TweedieRegressor)},
    RANSACRegressor: Converter(convert_ransac, check_ransac),
    **{cls: Converter(convert_logistic_regression, check_logistic_regression, same_on_sparse=_sparse_safe)
       for cls in (LogisticRegression, LogisticRegressionCV)},
    **{cls: Converter(convert_linear_classifier, check_linear_classifier, same_on_sparse=_sparse_safe)
       for cls in LINEAR_CLASSIFIERS},
    QuadraticDiscriminantAnalysis: Converter(convert_qda, check_logistic_regression),
}
KERNELS = {"linear": linear, "quadratic_discriminant": quadratic_discriminant}
