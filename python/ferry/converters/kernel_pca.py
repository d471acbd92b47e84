"""KernelPCA -> step type ``kernel_pca``; KernelCenterer -> ``kernel_centerer``
(C++ twins: src/pipeline/kernel_pca.cpp, src/pipeline/kernel_centerer.cpp).

docs/format.md sections 4.47 and 4.48. scikit-learn 1.2.1's ``KernelPCA.transform`` is

    K = self._centerer.transform(pairwise_kernels(X, self.X_fit_, metric=kernel,
                                                  gamma=gamma, degree=degree, coef0=coef0))
    scaled_alphas = eigenvectors_ / sqrt(eigenvalues_)   (0 where an eigenvalue is 0)
    return np.dot(K, scaled_alphas)

and ``KernelCenterer.transform(K)`` is ``K - K_fit_rows_ - np.sum(K, axis=1)[:, None] / m +
K_fit_all_``, in that order. The step stores ``X_fit_`` (normalised as ``cosine_similarity``
normalises it, for the cosine kernel), its squared row norms as ``row_norms`` computes them
(read by rbf only), the centerer's ``K_fit_rows_`` and ``K_fit_all_``, and ``scaled_alphas``
transposed, all computed here with scikit-learn's own numpy operations, so they are the bits
scikit-learn uses. ``gamma=None`` is stored as it resolves at transform: ``1.0 / n_features``.

Refused: ``kernel="precomputed"`` (the input is then a kernel matrix against the fit rows: use
``KernelCenterer``), a callable kernel, and a model fitted on a sparse matrix.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
import scipy.sparse as sp
from sklearn.decomposition import KernelPCA
from sklearn.preprocessing import KernelCenterer
from sklearn.utils.extmath import row_norms

from . import ConversionError, ConvertedStep, Converter

KERNELS_SUPPORTED = ("linear", "poly", "rbf", "sigmoid", "cosine")


def check_kernel_pca(est) -> Optional[str]:
    kernel = est.kernel
    if callable(kernel):
        return ("a callable kernel cannot be exported (ferry computes the kernels linear, poly, rbf, sigmoid "
                "and cosine itself)")
    if kernel == "precomputed":
        return ('kernel="precomputed" takes a kernel matrix against the fit rows, not features: export '
                "a KernelCenterer on that matrix instead, or use one of linear, poly, rbf, sigmoid, cosine")
    if kernel not in KERNELS_SUPPORTED:
        return f"kernel {kernel!r} is not supported (only {', '.join(KERNELS_SUPPORTED)})"
    if sp.issparse(getattr(est, "X_fit_", None)):
        return "fitted on a sparse matrix (X_fit_ is sparse): fit on a dense array"
    return None


def _finite(label: str, name: str, value) -> np.ndarray:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ConversionError(f"{label}: {name} is not finite")
    return arr


def convert_kernel_pca(est, label: str) -> ConvertedStep:
    reason = check_kernel_pca(est)
    if reason is not None:
        raise ConversionError(f"{label}: {reason}")
    X_fit = _finite(label, "X_fit_", est.X_fit_)
    m, n = X_fit.shape
    if n != int(est.n_features_in_):
        raise ConversionError(f"{label}: X_fit_ has {n} columns, n_features_in_ is {est.n_features_in_}")
    centerer = est._centerer
    k_fit_rows = _finite(label, "the centerer's K_fit_rows_", centerer.K_fit_rows_)
    k_fit_all = float(_finite(label, "the centerer's K_fit_all_", centerer.K_fit_all_))
    eigenvalues = np.asarray(est.eigenvalues_, dtype=np.float64)
    eigenvectors = np.asarray(est.eigenvectors_, dtype=np.float64)
    if eigenvectors.ndim != 2 or eigenvectors.shape[0] != m or eigenvectors.shape[1] != eigenvalues.shape[0]:
        raise ConversionError(f"{label}: eigenvectors_ has shape {eigenvectors.shape}, expected ({m}, "
                              f"{eigenvalues.shape[0]})")
    if eigenvectors.shape[1] < 1:
        raise ConversionError(f"{label}: no component was kept (eigenvalues_ is empty)")
    # scikit-learn 1.2.1's own lines (KernelPCA.transform)
    non_zeros = np.flatnonzero(eigenvalues)
    scaled_alphas = np.zeros_like(eigenvectors)
    scaled_alphas[:, non_zeros] = eigenvectors[:, non_zeros] / np.sqrt(eigenvalues[non_zeros])
    scaled_alphas = _finite(label, "eigenvectors_ / sqrt(eigenvalues_)", scaled_alphas)
    kernel = est.kernel
    fit_rows = X_fit
    if kernel == "cosine":  # cosine_similarity: normalize(Y) before the dot product
        from sklearn.preprocessing import normalize

        fit_rows = normalize(X_fit, copy=True)
    gamma = 1.0 / n if est.gamma is None else float(est.gamma)  # as each kernel resolves None
    return ConvertedStep(
        type="kernel_pca",
        params={
            "kernel": kernel,
            "gamma": gamma,
            "coef0": float(est.coef0),
            "degree": int(est.degree),
            "n_train": int(m),
            "k_fit_all": k_fit_all,
        },
        tensors={
            "fit_rows": np.ascontiguousarray(fit_rows),
            "fit_norms": np.ascontiguousarray(row_norms(X_fit, squared=True)),
            "k_fit_rows": np.ascontiguousarray(k_fit_rows),
            "alphas": np.ascontiguousarray(scaled_alphas.T),
        },
        n_features_in=n,
        n_features_out=scaled_alphas.shape[1],
    )


def convert_kernel_centerer(est, label: str) -> ConvertedStep:
    k_fit_rows = _finite(label, "K_fit_rows_", est.K_fit_rows_)
    m = k_fit_rows.shape[0]
    if m != int(est.n_features_in_):
        raise ConversionError(f"{label}: K_fit_rows_ has {m} values, n_features_in_ is {est.n_features_in_}")
    return ConvertedStep(
        type="kernel_centerer",
        params={"k_fit_all": float(_finite(label, "K_fit_all_", est.K_fit_all_))},
        tensors={"k_fit_rows": np.ascontiguousarray(k_fit_rows)},
        n_features_in=m,
        n_features_out=m,
    )


def _center(K: np.ndarray, k_fit_rows: np.ndarray, k_fit_all: float) -> np.ndarray:
    """KernelCenterer.transform's lines."""
    K = np.array(K, dtype=np.float64)
    K_pred_cols = (np.sum(K, axis=1) / k_fit_rows.shape[0])[:, np.newaxis]
    K -= k_fit_rows
    K -= K_pred_cols
    K += k_fit_all
    return K


def kernel_centerer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.47)."""
    return _center(X, tensors["k_fit_rows"], step["params"]["k_fit_all"])


def kernel_matrix(params: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """The kernel of X against the fit rows, with sklearn.metrics.pairwise's operations."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    Y = tensors["fit_rows"]
    kernel, gamma = params["kernel"], params["gamma"]
    if kernel == "cosine":
        norms = np.sqrt(np.einsum("ij,ij->i", X, X))
        norms[norms < 10 * np.finfo(np.float64).eps] = 1.0
        X = X / norms[:, np.newaxis]
    if kernel == "rbf":
        XX = np.einsum("ij,ij->i", X, X)[:, np.newaxis]
        K = -2 * (X @ Y.T)
        K += XX
        K += tensors["fit_norms"][np.newaxis, :]
        np.maximum(K, 0, out=K)
        K *= -gamma
        np.exp(K, K)
        return K
    K = X @ Y.T
    if kernel == "poly":
        K *= gamma
        K += params["coef0"]
        K **= params["degree"]
    elif kernel == "sigmoid":
        K *= gamma
        K += params["coef0"]
        np.tanh(K, K)
    return K


def kernel_pca(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.48)."""
    p = step["params"]
    K = _center(kernel_matrix(p, tensors, X), tensors["k_fit_rows"], p["k_fit_all"])
    return np.dot(K, tensors["alphas"].T)


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {
    KernelPCA: Converter(convert_kernel_pca, check_kernel_pca),
    KernelCenterer: Converter(convert_kernel_centerer),
}
KERNELS = {"kernel_pca": kernel_pca, "kernel_centerer": kernel_centerer}
