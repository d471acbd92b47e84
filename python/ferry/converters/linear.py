"""Linear models -> estimator type ``linear`` (C++ twin: src/models/linear.cpp).

docs/format.md section 4.2: raw scores ``s = x . coef^T + intercept``, then a link:
``identity`` (regression), ``logistic``, ``softmax`` or ``ovr``.
"""

from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np
from scipy.special import expit

from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge

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
    if task == "regression":
        return {"predict": s, "decision_function": s}
    link = step["params"]["link"]
    k = s.shape[1]
    if link == "logistic":
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
    return {"predict": predict, "predict_proba": proba, "decision_function": s}


#: what this module registers (converters/__init__.py collects the tables of every module)
# a product with the weights: a sparse matrix gives what its dense form gives
ESTIMATORS = {
    LinearRegression: Converter(convert_linear_regression, same_on_sparse=lambda est: True),
    Ridge: Converter(convert_linear_regression, same_on_sparse=lambda est: True),
    LogisticRegression: Converter(convert_logistic_regression, check_logistic_regression,
                                  same_on_sparse=lambda est: True),
}
KERNELS = {"linear": linear}
