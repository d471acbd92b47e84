"""Naive Bayes classifiers (C++ twin: src/models/naive_bayes.cpp), docs/format.md sections
4.24 to 4.26:

- MultinomialNB, ComplementNB, BernoulliNB -> ``discrete_naive_bayes``: scores
  ``x . weights^T + bias`` (BernoulliNB: after ``binarize``, x > threshold);
- GaussianNB -> ``gaussian_naive_bayes``: ``log_prior + (log_norm - 0.5 * sum((x - theta)^2 / var))``;
- CategoricalNB -> ``categorical_naive_bayes``: ``sum_f log_prob_f[:, x_f] + log_prior``.

The scores are scikit-learn 1.2.1's ``_joint_log_likelihood``; ``predict`` is their first
maximum and ``predict_proba`` is ``exp(jll - logsumexp(jll))``, as ``_BaseNB`` computes them.
Every tensor holds the values scikit-learn itself adds or multiplies by, computed here with its
own numpy operations.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from scipy.special import logsumexp

from sklearn.naive_bayes import BernoulliNB, CategoricalNB, ComplementNB, GaussianNB, MultinomialNB

from . import ConversionError, ConvertedEstimator, Converter


def _classes(est, label: str) -> np.ndarray:
    classes = np.asarray(est.classes_)
    if classes.ndim != 1 or len(classes) < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes, got {classes.size}")
    return classes


def _finite(label: str, why: str = "a zero prior, or a zero smoothing alpha on a count of 0",
            **arrays: np.ndarray) -> None:
    for name, arr in arrays.items():
        if not np.all(np.isfinite(arr)):
            raise ConversionError(
                f"{label}: {name} is not finite ({why}: scikit-learn's own outputs are not finite there either)"
            )


def _estimator(est, type_: str, params: dict, tensors: Dict[str, np.ndarray], classes: np.ndarray) -> ConvertedEstimator:
    c = len(classes)
    return ConvertedEstimator(
        type=type_,
        params={"n_classes": c, **params},
        tensors={k: np.ascontiguousarray(v) for k, v in tensors.items()},
        n_features_in=int(est.n_features_in_),
        n_features_out=c,
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def _feature_log_prob(est, label: str, c: int) -> np.ndarray:
    flp = np.asarray(est.feature_log_prob_, dtype=np.float64)
    n = int(est.n_features_in_)
    if flp.shape != (c, n):
        raise ConversionError(f"{label}: feature_log_prob_ has shape {flp.shape}, expected ({c}, {n})")
    return flp


def convert_multinomial_nb(est, label: str) -> ConvertedEstimator:
    """MultinomialNB: jll = X @ feature_log_prob_.T + class_log_prior_."""
    classes = _classes(est, label)
    weights = _feature_log_prob(est, label, len(classes))
    bias = np.asarray(est.class_log_prior_, dtype=np.float64)
    _finite(label, feature_log_prob_=weights, class_log_prior_=bias)
    return _estimator(est, "discrete_naive_bayes", {"binarize": False, "threshold": 0.0},
                      {"weights": weights, "bias": bias}, classes)


def convert_complement_nb(est, label: str) -> ConvertedEstimator:
    """ComplementNB: jll = X @ feature_log_prob_.T (the prior only enters with a single class,
    which a ferry classifier never has)."""
    classes = _classes(est, label)
    weights = _feature_log_prob(est, label, len(classes))
    _finite(label, feature_log_prob_=weights)
    return _estimator(est, "discrete_naive_bayes", {"binarize": False, "threshold": 0.0},
                      {"weights": weights, "bias": np.zeros(len(classes))}, classes)


def convert_bernoulli_nb(est, label: str) -> ConvertedEstimator:
    """BernoulliNB: binarize, then jll = X @ (flp - neg_prob).T + (class_log_prior_ + neg_prob.sum(axis=1))
    with neg_prob = log(1 - exp(flp)), scikit-learn's own rearrangement."""
    classes = _classes(est, label)
    flp = _feature_log_prob(est, label, len(classes))
    with np.errstate(divide="ignore", invalid="ignore"):  # refused below
        neg_prob = np.log(1 - np.exp(flp))
        weights = flp - neg_prob
        bias = est.class_log_prior_ + neg_prob.sum(axis=1)
    _finite(label, "a zero prior, a zero smoothing alpha, or binarize=None on counts above 1",
            feature_log_prob_=flp, **{"log(1 - exp(feature_log_prob_))": neg_prob},
            class_log_prior_=np.asarray(est.class_log_prior_), weights=weights, bias=bias)
    binarize = est.binarize is not None
    threshold = float(est.binarize) if binarize else 0.0
    if not np.isfinite(threshold):
        raise ConversionError(f"{label}: binarize threshold {est.binarize!r} is not finite")
    return _estimator(est, "discrete_naive_bayes", {"binarize": binarize, "threshold": threshold},
                      {"weights": weights, "bias": np.asarray(bias, dtype=np.float64)}, classes)


def convert_gaussian_nb(est, label: str) -> ConvertedEstimator:
    """GaussianNB: per class i, log(class_prior_[i]) and -0.5 * sum(log(2 pi var_[i])), each
    computed as _joint_log_likelihood computes it (one class at a time)."""
    classes = _classes(est, label)
    c, n = len(classes), int(est.n_features_in_)
    theta = np.asarray(est.theta_, dtype=np.float64)
    var = np.asarray(est.var_, dtype=np.float64)
    if theta.shape != (c, n) or var.shape != (c, n):
        raise ConversionError(f"{label}: theta_ / var_ have shapes {theta.shape} / {var.shape}, expected ({c}, {n})")
    if not (np.all(np.isfinite(var)) and np.all(var > 0)):
        raise ConversionError(f"{label}: var_ has a value that is not finite and positive")
    with np.errstate(divide="ignore"):  # a zero prior is refused below
        log_prior = np.array([np.log(est.class_prior_[i]) for i in range(c)], dtype=np.float64)
    log_norm = np.array([-0.5 * np.sum(np.log(2.0 * np.pi * est.var_[i, :])) for i in range(c)], dtype=np.float64)
    _finite(label, theta_=theta, **{"log(class_prior_)": log_prior, "log of 2 pi var_": log_norm})
    return _estimator(est, "gaussian_naive_bayes", {},
                      {"theta": theta, "var": var, "log_norm": log_norm, "log_prior": log_prior}, classes)


def convert_categorical_nb(est, label: str) -> ConvertedEstimator:
    """CategoricalNB: feature_log_prob_ side by side, with each feature's number of categories."""
    classes = _classes(est, label)
    c, n = len(classes), int(est.n_features_in_)
    blocks = [np.asarray(b, dtype=np.float64) for b in est.feature_log_prob_]
    if len(blocks) != n or any(b.ndim != 2 or b.shape[0] != c or b.shape[1] < 1 for b in blocks):
        raise ConversionError(f"{label}: feature_log_prob_ does not hold one [{c}, categories] block per feature")
    counts = np.array([b.shape[1] for b in blocks], dtype=np.int64)
    log_prob = np.hstack(blocks)
    log_prior = np.asarray(est.class_log_prior_, dtype=np.float64)
    _finite(label, feature_log_prob_=log_prob, class_log_prior_=log_prior)
    return _estimator(est, "categorical_naive_bayes", {},
                      {"n_categories": counts, "log_prob": log_prob, "log_prior": log_prior}, classes)


# --------------------------------------------------------------------------- numpy kernels


def _outputs(jll: np.ndarray) -> Dict[str, np.ndarray]:
    """_BaseNB.predict and predict_proba from the joint log likelihood."""
    log_prob_x = logsumexp(jll, axis=1)
    proba = np.exp(jll - np.atleast_2d(log_prob_x).T)
    return {"predict": np.argmax(jll, axis=1).astype(np.int64), "predict_proba": proba}


def discrete_naive_bayes(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if step["params"]["binarize"]:
        X = (X > step["params"]["threshold"]).astype(np.float64)
    jll = X @ tensors["weights"].T
    jll += tensors["bias"]
    return _outputs(jll)


def gaussian_naive_bayes(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    theta, var = tensors["theta"], tensors["var"]
    cols = []
    for i in range(theta.shape[0]):
        n_ij = tensors["log_norm"][i] - 0.5 * np.sum(((X - theta[i, :]) ** 2) / var[i, :], 1)
        cols.append(tensors["log_prior"][i] + n_ij)
    return _outputs(np.array(cols).T.reshape(X.shape[0], -1))


def categorical_naive_bayes(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    X = np.asarray(X, dtype=np.float64)
    if not np.all(np.isfinite(X)):
        raise ValueError("categorical_naive_bayes: an input value is not finite")
    idx = np.trunc(X)
    counts = tensors["n_categories"]
    offsets = np.concatenate([[0], np.cumsum(counts)])
    log_prob = tensors["log_prob"]
    jll = np.zeros((X.shape[0], log_prob.shape[0]))
    for f in range(X.shape[1]):
        col = idx[:, f]
        bad = np.flatnonzero((col < 0) | (col >= counts[f]))
        if bad.size:
            raise ValueError(f"row {bad[0]}, column {f}: category index {X[bad[0], f]!r} is not one of the "
                             f"{counts[f]} categories seen at fit")
        jll += log_prob[:, offsets[f] + col.astype(np.int64)].T
    return _outputs(jll + tensors["log_prior"])


def _check_fitted_classes(est) -> Optional[str]:
    classes = getattr(est, "classes_", None)
    if classes is not None and len(classes) < 2:
        return "fitted on a single class (scikit-learn predicts it for every row; ferry needs at least 2 classes)"
    return None


def _sparse_safe(est) -> bool:
    """A product with the weights: a sparse matrix gives what its dense form gives."""
    return True


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {
    MultinomialNB: Converter(convert_multinomial_nb, _check_fitted_classes, same_on_sparse=_sparse_safe),
    ComplementNB: Converter(convert_complement_nb, _check_fitted_classes, same_on_sparse=_sparse_safe),
    BernoulliNB: Converter(convert_bernoulli_nb, _check_fitted_classes, same_on_sparse=_sparse_safe),
    GaussianNB: Converter(convert_gaussian_nb, _check_fitted_classes),
    CategoricalNB: Converter(convert_categorical_nb, _check_fitted_classes),
}
KERNELS = {
    "discrete_naive_bayes": discrete_naive_bayes,
    "gaussian_naive_bayes": gaussian_naive_bayes,
    "categorical_naive_bayes": categorical_naive_bayes,
}
