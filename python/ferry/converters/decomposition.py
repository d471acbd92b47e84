"""PCA, IncrementalPCA, TruncatedSVD and the random projections -> step type
``linear_projection`` (C++ twin: src/pipeline/pca.cpp).

docs/format.md section 4, linear_projection: ``y = ((x - mean) . components^T) / scale``;
``mean`` present iff ``with_mean``, ``scale`` present iff ``with_scale``.

- ``PCA``: ``mean = mean_``, ``components = components_``, and with
  ``whiten=True`` ``scale = sqrt(explained_variance_)`` (scikit-learn 1.2.1
  divides by ``np.sqrt(explained_variance_)``; the square root is correctly
  rounded in numpy and in C++, so storing it changes no bit).
- ``IncrementalPCA``: as ``PCA`` (scikit-learn 1.2.1's ``IncrementalPCA.transform`` of dense
  input is ``_BasePCA.transform``).
- ``TruncatedSVD``: ``X @ components_.T``, no mean, no scale.
- ``GaussianRandomProjection``: ``X @ components_.T``; ``SparseRandomProjection``:
  ``safe_sparse_dot(X, components_.T, dense_output)``, the same numbers whether
  ``dense_output`` or not (a dense X times a sparse matrix is dense). ``components_``, a
  scipy sparse matrix for the sparse projection, travels dense: its zeros add nothing, but
  scipy sums each output over the stored entries in their stored order (not sorted for
  ``_sparse_random_matrix``), so the sparse projection agrees with scikit-learn within
  rounding rather than to the bit.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

import scipy.sparse as sp
from sklearn.decomposition import PCA, IncrementalPCA, TruncatedSVD
from sklearn.random_projection import GaussianRandomProjection, SparseRandomProjection

from . import ConversionError, ConvertedStep, Converter


def _components(est, label: str) -> np.ndarray:
    n = int(est.n_features_in_)
    components = np.asarray(est.components_, dtype=np.float64)
    if components.ndim != 2 or components.shape[1] != n or components.shape[0] < 1:
        raise ConversionError(f"{label}: components_ has shape {np.shape(est.components_)}, expected (k, {n})")
    if not np.all(np.isfinite(components)):
        raise ConversionError(f"{label}: components_ is not finite")
    return np.ascontiguousarray(components)


def convert_pca(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    components = _components(est, label)
    k = components.shape[0]
    tensors: Dict[str, np.ndarray] = {"components": components}
    mean = getattr(est, "mean_", None)
    if mean is not None:
        mean = np.asarray(mean, dtype=np.float64)
        if mean.shape != (n,):
            raise ConversionError(f"{label}: mean_ has shape {mean.shape}, expected ({n},)")
        if not np.all(np.isfinite(mean)):
            raise ConversionError(f"{label}: mean_ is not finite")
        tensors["mean"] = mean
    whiten = bool(est.whiten)
    if whiten:
        variance = np.asarray(est.explained_variance_, dtype=np.float64)
        if variance.shape != (k,):
            raise ConversionError(f"{label}: explained_variance_ has shape {variance.shape}, expected ({k},)")
        if not (np.all(np.isfinite(variance)) and np.all(variance > 0)):
            zero = np.flatnonzero(~(variance > 0))
            where = f" (component {int(zero[0])})" if zero.size else ""
            raise ConversionError(
                f"{label}: whiten=True with a zero or non-finite explained_variance_{where}: scikit-learn's whitened "
                "output is not finite there; fit with fewer components"
            )
        tensors["scale"] = np.sqrt(variance)
    return ConvertedStep(
        type="linear_projection",
        params={"with_mean": mean is not None, "with_scale": whiten},
        tensors=tensors,
        n_features_in=n,
        n_features_out=k,
    )


def convert_truncated_svd(est, label: str) -> ConvertedStep:
    components = _components(est, label)
    k, n = components.shape
    return ConvertedStep(
        type="linear_projection",
        params={"with_mean": False, "with_scale": False},
        tensors={"components": components},
        n_features_in=n,
        n_features_out=k,
    )


def convert_random_projection(est, label: str) -> ConvertedStep:
    components = est.components_
    if sp.issparse(components):
        components = components.toarray()
    n = int(est.n_features_in_)
    components = np.asarray(components, dtype=np.float64)
    if components.ndim != 2 or components.shape[1] != n or components.shape[0] < 1:
        raise ConversionError(f"{label}: components_ has shape {np.shape(components)}, expected (k, {n})")
    if not np.all(np.isfinite(components)):
        raise ConversionError(f"{label}: components_ is not finite")
    k = components.shape[0]
    return ConvertedStep(
        type="linear_projection",
        params={"with_mean": False, "with_scale": False},
        tensors={"components": np.ascontiguousarray(components)},
        n_features_in=n,
        n_features_out=k,
    )


def linear_projection(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute (scikit-learn's own operations)."""
    Y = np.asarray(X, dtype=np.float64)
    if step["params"]["with_mean"]:
        Y = Y - tensors["mean"]
    Y = np.dot(Y, tensors["components"].T)
    if step["params"]["with_scale"]:
        Y /= tensors["scale"]
    return Y


#: what this module registers (converters/__init__.py collects the tables of every module)
# TruncatedSVD on a sparse matrix is the same product, which ferry sums over the sparse row.
PREPROCESSORS = {
    PCA: Converter(convert_pca),
    IncrementalPCA: Converter(convert_pca),
    TruncatedSVD: Converter(convert_truncated_svd, same_on_sparse=lambda est: True),
    GaussianRandomProjection: Converter(convert_random_projection),
    SparseRandomProjection: Converter(convert_random_projection),
}
KERNELS = {"linear_projection": linear_projection}
