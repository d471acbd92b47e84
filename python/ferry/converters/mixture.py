"""GaussianMixture and BayesianGaussianMixture -> estimator ``gaussian_mixture`` (C++ twin:
src/models/gaussian_mixture.cpp), docs/format.md section 4.29.

The scores are scikit-learn 1.2.1's ``_estimate_weighted_log_prob`` per component, each
covariance type in its own order of operations (``_estimate_log_gaussian_prob``): ``full`` and
``tied`` (a tied precision repeated per component) as ``|x . P_k - mu_k . P_k|^2``; ``diag`` and
``spherical`` in scikit-learn's expanded form ``(c_k - 2 x . w_k) + q_k(x)``. The artifact is a
classifier over the components ``0 .. k-1``: ``predict`` is the first maximum of the scores and
``predict_proba`` (the responsibilities) is ``exp(s - logsumexp(s))``, the link of the naive
Bayes types; ``score_samples`` is ``logsumexp(s)``. Every constant is computed here with
scikit-learn's own functions.
"""

from __future__ import annotations

from typing import Dict

import numpy as np
from scipy.special import logsumexp

from sklearn.mixture import BayesianGaussianMixture, GaussianMixture
from sklearn.mixture._gaussian_mixture import _compute_log_det_cholesky
from sklearn.utils.extmath import row_norms

from . import ConversionError, ConvertedEstimator, Converter


def convert_gaussian_mixture(est, label: str) -> ConvertedEstimator:
    cov = est.covariance_type
    means = np.asarray(est.means_, dtype=np.float64)
    k, n = means.shape
    if n != int(est.n_features_in_):
        raise ConversionError(f"{label}: means_ has {n} columns but n_features_in_ is {est.n_features_in_}")
    if k < 2:
        raise ConversionError(f"{label}: a mixture of {k} component predicts it for every row; ferry needs at least 2")
    pc = np.asarray(est.precisions_cholesky_, dtype=np.float64)
    log_det = np.broadcast_to(np.asarray(_compute_log_det_cholesky(pc, cov, n), dtype=np.float64), (k,)).copy()
    tensors: Dict[str, np.ndarray] = {}
    if cov in ("full", "tied"):
        P = pc if cov == "full" else np.broadcast_to(pc, (k, n, n))
        tensors["prec_chol"] = np.ascontiguousarray(P)
        tensors["mean_prec"] = np.array([np.dot(mu, P[i]) for i, mu in enumerate(means)])
        covariance = "full"
    elif cov == "diag":
        precisions = pc**2
        tensors["const"] = np.sum((means**2 * precisions), 1)
        tensors["weights"] = np.ascontiguousarray(means * precisions)
        tensors["precisions"] = precisions
        covariance = "diag"
    elif cov == "spherical":
        precisions = pc**2
        tensors["const"] = np.sum(means**2, 1) * precisions
        tensors["weights"] = np.ascontiguousarray((means.T * precisions).T)
        tensors["precision"] = precisions
        covariance = "spherical"
    else:
        raise ConversionError(f"{label}: covariance_type {cov!r} is not supported")
    if isinstance(est, BayesianGaussianMixture):
        dof = np.asarray(est.degrees_of_freedom_, dtype=np.float64)
        from scipy.special import digamma

        dof_term = 0.5 * n * np.log(dof)
        log_lambda = n * np.log(2.0) + np.sum(digamma(0.5 * (dof - np.arange(0, n)[:, np.newaxis])), 0)
        lambda_term = 0.5 * (log_lambda - n / est.mean_precision_)
    else:
        dof_term = lambda_term = np.zeros(k)
    tensors.update({
        "log_det": log_det,
        # a tied BayesianGaussianMixture has one degrees_of_freedom_: the same term for every component
        "dof_term": np.broadcast_to(np.asarray(dof_term, dtype=np.float64), (k,)).copy(),
        "lambda_term": np.broadcast_to(np.asarray(lambda_term, dtype=np.float64), (k,)).copy(),
        "log_weights": np.asarray(est._estimate_log_weights(), dtype=np.float64),
    })
    for name, arr in tensors.items():
        if arr.shape[0] != k or not np.all(np.isfinite(arr)):
            raise ConversionError(f"{label}: the fitted {name} is not finite (a component of weight 0 or a "
                                  "degenerate covariance: scikit-learn's own outputs are not finite either)")
    return ConvertedEstimator(
        type="gaussian_mixture",
        params={"n_components": k, "covariance": covariance, "n_log_2pi": float(n * np.log(2 * np.pi))},
        tensors={r: np.ascontiguousarray(a) for r, a in tensors.items()},
        n_features_in=n,
        n_features_out=k,
        task="classification",
        n_outputs=k,
        classes=np.arange(k, dtype=np.int64),
    )


def weighted_log_prob(step: dict, t: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """_estimate_weighted_log_prob in scikit-learn's order of operations."""
    X = np.asarray(X, dtype=np.float64)
    p = step["params"]
    k = p["n_components"]
    if p["covariance"] == "full":
        lp = np.empty((X.shape[0], k))
        for i in range(k):
            y = np.dot(X, t["prec_chol"][i]) - t["mean_prec"][i]
            lp[:, i] = np.sum(np.square(y), axis=1)
    elif p["covariance"] == "diag":
        lp = t["const"] - 2.0 * np.dot(X, t["weights"].T) + np.dot(X**2, t["precisions"].T)
    else:
        lp = t["const"] - 2 * np.dot(X, t["weights"].T) + np.outer(row_norms(X, squared=True), t["precision"])
    g = -0.5 * (p["n_log_2pi"] + lp) + t["log_det"]
    g = g - t["dof_term"]
    g = g + t["lambda_term"]
    return g + t["log_weights"]


def gaussian_mixture(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    s = weighted_log_prob(step, tensors, X)
    log_prob_norm = logsumexp(s, axis=1)
    with np.errstate(under="ignore"):
        proba = np.exp(s - log_prob_norm[:, np.newaxis])
    return {"predict": s.argmax(axis=1).astype(np.int64), "predict_proba": proba}


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {cls: Converter(convert_gaussian_mixture) for cls in (GaussianMixture, BayesianGaussianMixture)}
KERNELS = {"gaussian_mixture": gaussian_mixture}
