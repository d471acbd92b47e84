"""Support vector machines.

LinearSVC and LinearSVR predict with ``X @ coef_.T + intercept_``: the ``linear`` step
(converters/linear.py), link ``none`` and ``identity``. SVC, NuSVC, SVR, NuSVR, OneClassSVM and
SGDOneClassSVM -> ``support_vector`` (C++ twin: src/models/support_vector.cpp), docs/format.md
section 4.23: libsvm's ``svm_predict_values`` over the stored support vectors, with scikit-learn
1.2.1's sign flip for two classes and its ``_ovr_decision_function``.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from sklearn.linear_model import SGDOneClassSVM
from sklearn.svm import SVC, SVR, LinearSVC, LinearSVR, NuSVC, NuSVR, OneClassSVM

from . import ConversionError, ConvertedEstimator, Converter
from .linear import _sparse_safe, check_linear_classifier, convert_linear_classifier, convert_linear_regression

KERNEL_NAMES = ("linear", "poly", "rbf", "sigmoid")


def _kernel_params(est, label: str) -> dict:
    kernel = est.kernel
    if callable(kernel):
        raise ConversionError(f"{label}: a callable kernel is not supported (kernel must be one of "
                              f"{', '.join(KERNEL_NAMES)})")
    if kernel not in KERNEL_NAMES:
        raise ConversionError(f"{label}: kernel={kernel!r} is not supported (kernel must be one of "
                              f"{', '.join(KERNEL_NAMES)})")
    if getattr(est, "_sparse", False):
        raise ConversionError(f"{label}: fitted on a sparse matrix (its support vectors are sparse); "
                              "fit it on a dense array")
    gamma, coef0, degree = float(est._gamma), float(est.coef0), int(est.degree)
    if not (np.isfinite(gamma) and np.isfinite(coef0)) or not 0 <= degree <= 64:
        raise ConversionError(f"{label}: gamma {gamma}, coef0 {coef0} or degree {degree} is out of range")
    return {"kernel": kernel, "gamma": gamma, "coef0": coef0, "degree": degree}


def _arrays(est, label: str, c: int):
    sv = np.ascontiguousarray(np.asarray(est.support_vectors_, dtype=np.float64))
    dual = np.ascontiguousarray(np.asarray(est._dual_coef_, dtype=np.float64))
    intercept = np.asarray(est._intercept_, dtype=np.float64).reshape(-1)
    m, n = sv.shape
    pairs = 1 if c == 1 else c * (c - 1) // 2
    if n != int(est.n_features_in_) or dual.shape != (max(c - 1, 1), m) or intercept.shape != (pairs,) or m < 1:
        raise ConversionError(f"{label}: support_vectors_ {sv.shape}, _dual_coef_ {dual.shape} or _intercept_ "
                              f"{intercept.shape} do not fit {c} classes and {est.n_features_in_} features")
    if not all(np.all(np.isfinite(a)) for a in (sv, dual, intercept)):
        raise ConversionError(f"{label}: support_vectors_, dual coefficients or intercepts are not finite")
    return sv, dual, intercept


def convert_svc(est, label: str) -> ConvertedEstimator:
    """SVC and NuSVC: libsvm's pairwise decisions; decision_function as scikit-learn shapes it;
    predict by libsvm's votes (``ovr_votes``, ``ovo_votes``) or, with ``break_ties``, the first
    maximum of the ovr decision_function (``none``)."""
    if est.probability:
        raise ConversionError(
            f"{label}: probability=True is not supported yet (predict_proba by libsvm's pairwise coupling); "
            "fit with probability=False, which leaves predict and decision_function unchanged"
        )
    params = _kernel_params(est, label)
    classes = np.asarray(est.classes_)
    c = len(classes)
    if c < 2:
        raise ConversionError(f"{label}: a classifier needs at least 2 classes, got {c}")
    sv, dual, intercept = _arrays(est, label, c)
    n_support = np.asarray(est._n_support, dtype=np.int64).reshape(-1)
    if n_support.shape != (c,) or int(n_support.sum()) != sv.shape[0]:
        raise ConversionError(f"{label}: n_support_ {n_support} does not fit {sv.shape[0]} support vectors")
    if c == 2 or est.decision_function_shape == "ovo":
        link, k = "ovo_votes", (1 if c == 2 else c * (c - 1) // 2)
    elif est.break_ties:
        link, k = "none", c
    else:
        link, k = "ovr_votes", c
    return ConvertedEstimator(
        type="support_vector",
        params={**params, "n_classes": c, "n_sv": int(sv.shape[0]), "link": link},
        tensors={"support_vectors": sv, "dual_coef": dual, "intercept": intercept, "n_support": n_support},
        n_features_in=sv.shape[1],
        n_features_out=k,
        task="classification",
        n_outputs=c,
        classes=classes,
    )


def convert_svr(est, label: str) -> ConvertedEstimator:
    """SVR, NuSVR (predict) and OneClassSVM (decision_function, predict -1 / 1): one sum over
    every support vector."""
    params = _kernel_params(est, label)
    sv, dual, intercept = _arrays(est, label, 1)
    one_class = isinstance(est, OneClassSVM)
    return ConvertedEstimator(
        type="support_vector",
        params={**params, "n_classes": 1, "n_sv": int(sv.shape[0]), "link": "isolation" if one_class else "identity"},
        tensors={"support_vectors": sv, "dual_coef": dual, "intercept": intercept,
                 "n_support": np.array([sv.shape[0]], dtype=np.int64)},
        n_features_in=sv.shape[1],
        n_features_out=1,
        task="classification" if one_class else "regression",
        n_outputs=2 if one_class else 1,
        classes=np.array([-1, 1]) if one_class else None,
    )


def convert_sgd_one_class(est, label: str) -> ConvertedEstimator:
    """SGDOneClassSVM: decision_function = X @ coef_ - offset_, a linear kernel with the one
    support vector coef_ (dual coefficient 1, intercept -offset_: the same two roundings)."""
    coef = np.asarray(est.coef_, dtype=np.float64).reshape(1, -1)
    offset = np.asarray(est.offset_, dtype=np.float64).reshape(-1)
    if coef.shape[1] != int(est.n_features_in_) or offset.shape != (1,):
        raise ConversionError(f"{label}: coef_ {np.shape(est.coef_)} or offset_ {np.shape(est.offset_)}")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(offset))):
        raise ConversionError(f"{label}: coef_ or offset_ is not finite")
    return ConvertedEstimator(
        type="support_vector",
        params={"kernel": "linear", "gamma": 0.0, "coef0": 0.0, "degree": 0, "n_classes": 1, "n_sv": 1,
                "link": "isolation"},
        tensors={"support_vectors": np.ascontiguousarray(coef), "dual_coef": np.ones((1, 1)),
                 "intercept": -offset, "n_support": np.array([1], dtype=np.int64)},
        n_features_in=coef.shape[1],
        n_features_out=1,
        task="classification",
        n_outputs=2,
        classes=np.array([-1, 1]),
    )


def kernel_rows(params: dict, sv: np.ndarray, X: np.ndarray) -> np.ndarray:
    """K[i, j] = kernel(X[i], sv[j]) as libsvm computes it."""
    kernel, gamma, coef0, degree = params["kernel"], params["gamma"], params["coef0"], params["degree"]
    if kernel == "rbf":  # exp(-gamma |x - sv|^2), the difference first
        d2 = np.empty((X.shape[0], sv.shape[0]))
        for start in range(0, X.shape[0], 256):
            diff = X[start:start + 256, None, :] - sv[None, :, :]
            d2[start:start + 256] = np.einsum("ijk,ijk->ij", diff, diff)
        return np.exp(-gamma * d2)
    dot = X @ sv.T
    if kernel == "linear":
        return dot
    if kernel == "poly":
        return (gamma * dot + coef0) ** degree
    return np.tanh(gamma * dot + coef0)


def _votes(dec: np.ndarray, c: int) -> np.ndarray:
    votes = np.zeros((dec.shape[0], c), dtype=np.int64)
    p = 0
    for i in range(c):
        for j in range(i + 1, c):
            votes[:, i] += dec[:, p] > 0
            votes[:, j] += ~(dec[:, p] > 0)
            p += 1
    return votes


def _ovr(dec: np.ndarray, c: int) -> np.ndarray:
    """scikit-learn 1.2.1's _ovr_decision_function(dec < 0, -dec, c)."""
    predictions, confidences = dec < 0, -dec
    votes = np.zeros((dec.shape[0], c))
    conf = np.zeros((dec.shape[0], c))
    p = 0
    for i in range(c):
        for j in range(i + 1, c):
            conf[:, i] -= confidences[:, p]
            conf[:, j] += confidences[:, p]
            votes[predictions[:, p] == 0, i] += 1
            votes[predictions[:, p] == 1, j] += 1
            p += 1
    return votes + conf / (3 * (np.abs(conf) + 1))


def support_vector(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """numpy kernel: decision_function (scikit-learn's shape), predict (values or class indices)."""
    p = step["params"]
    c, link = p["n_classes"], p["link"]
    K = kernel_rows(p, tensors["support_vectors"], np.asarray(X, dtype=np.float64))
    dual, intercept = tensors["dual_coef"], tensors["intercept"]
    if c == 1:
        s = (K @ dual[0] + intercept[0]).reshape(-1, 1)
        if task == "regression":
            return {"predict": s, "decision_function": s}
        return {"predict": (s[:, 0] >= 0).astype(np.int64), "decision_function": s}
    start = np.concatenate([[0], np.cumsum(tensors["n_support"])])
    dec = np.empty((K.shape[0], c * (c - 1) // 2))
    q = 0
    for i in range(c):
        for j in range(i + 1, c):
            si, sj = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
            dec[:, q] = K[:, si] @ dual[j - 1, si] + K[:, sj] @ dual[i, sj] + intercept[q]
            q += 1
    if c == 2:
        s = -dec
        return {"predict": (s[:, 0] >= 0).astype(np.int64), "decision_function": s}
    if link == "ovo_votes":
        return {"predict": np.argmax(_votes(dec, c), axis=1).astype(np.int64), "decision_function": dec}
    s = _ovr(dec, c)
    if link == "none":  # break_ties: the first maximum of the ovr decision_function
        return {"predict": np.argmax(s, axis=1).astype(np.int64), "decision_function": s}
    return {"predict": np.argmax(np.rint(s), axis=1).astype(np.int64), "decision_function": s}


def _check_svc(est) -> Optional[str]:
    from .linear import check_logistic_regression

    return check_logistic_regression(est)


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {
    LinearSVC: Converter(convert_linear_classifier, check_linear_classifier, same_on_sparse=_sparse_safe),
    LinearSVR: Converter(convert_linear_regression, same_on_sparse=_sparse_safe),
    SVC: Converter(convert_svc, _check_svc),
    NuSVC: Converter(convert_svc, _check_svc),
    SVR: Converter(convert_svr),
    NuSVR: Converter(convert_svr),
    OneClassSVM: Converter(convert_svr),
    SGDOneClassSVM: Converter(convert_sgd_one_class, same_on_sparse=_sparse_safe),
}
KERNELS = {"support_vector": support_vector}
