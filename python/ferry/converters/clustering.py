"""KMeans and MiniBatchKMeans, docs/format.md sections 4.27 and 4.28:

- as a pipeline step (``transform``) -> ``center_distances`` (C++ twin:
  src/pipeline/center_distances.cpp): the euclidean distance to each centre, as
  ``sklearn.metrics.euclidean_distances`` computes it:
  ``sqrt(max(-2 x . c + |x|^2 + |c|^2, 0))``;
- as the final estimator (``predict``) -> ``nearest_center`` (src/models/nearest_center.cpp):
  the cluster label, a classification over the classes ``0 .. k-1`` without ``predict_proba``
  or ``decision_function``. Scores are ``-(|c|^2 - 2 x . c)``, the negated quantity
  scikit-learn's ``_labels_inertia`` compares, so that ``predict`` (the first maximum) is its
  strict first minimum: a tie goes to the lowest cluster index.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from sklearn.cluster import KMeans, MiniBatchKMeans

from . import ConversionError, ConvertedEstimator, ConvertedStep, Converter


def _centers(est, label: str):
    centers = np.asarray(est.cluster_centers_)
    if centers.dtype != np.float64:
        raise ConversionError(f"{label}: cluster_centers_ is {centers.dtype} (fitted on float32 data); "
                              "ferry computes in float64 only")
    k, n = centers.shape
    if n != int(est.n_features_in_):
        raise ConversionError(f"{label}: cluster_centers_ has {n} columns but n_features_in_ is {est.n_features_in_}")
    if not np.all(np.isfinite(centers)):
        raise ConversionError(f"{label}: cluster_centers_ is not finite")
    # sklearn.utils.extmath.row_norms(centers, squared=True), as both predict and transform use it
    norms = np.einsum("ij,ij->i", centers, centers)
    return np.ascontiguousarray(centers), norms


def convert_center_distances(est, label: str) -> ConvertedStep:
    centers, norms = _centers(est, label)
    return ConvertedStep(
        type="center_distances",
        params={},
        tensors={"centers": centers, "center_norms": norms},
        n_features_in=centers.shape[1],
        n_features_out=centers.shape[0],
    )


def convert_nearest_center(est, label: str) -> ConvertedEstimator:
    centers, norms = _centers(est, label)
    k = centers.shape[0]
    if k < 2:
        raise ConversionError(f"{label}: a clusterer with {k} cluster predicts it for every row; ferry needs at least 2")
    return ConvertedEstimator(
        type="nearest_center",
        params={"n_clusters": k, "link": "none"},
        tensors={"centers": centers, "center_norms": norms},
        n_features_in=centers.shape[1],
        n_features_out=k,
        task="classification",
        n_outputs=k,
        classes=np.arange(k, dtype=np.int64),
    )


def center_distances(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """euclidean_distances(X, centers) for float64 X, in its order of operations."""
    X = np.asarray(X, dtype=np.float64)
    XX = np.einsum("ij,ij->i", X, X)[:, np.newaxis]
    d = -2 * (X @ tensors["centers"].T)
    d += XX
    d += tensors["center_norms"][np.newaxis, :]
    np.maximum(d, 0, out=d)
    return np.sqrt(d)


def nearest_center(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """_labels_inertia: |c|^2 - 2 x . c per centre, the first minimum."""
    X = np.asarray(X, dtype=np.float64)
    d = tensors["center_norms"][np.newaxis, :] + (-2.0 * (X @ tensors["centers"].T))
    return {"predict": np.argmin(d, axis=1).astype(np.int64)}


def _check_clusterer(est) -> Optional[str]:
    centers = getattr(est, "cluster_centers_", None)
    if centers is not None and np.asarray(centers).dtype != np.float64:
        return "fitted on float32 data (cluster_centers_ is float32); ferry computes in float64 only"
    return None


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {cls: Converter(convert_center_distances, _check_clusterer) for cls in (KMeans, MiniBatchKMeans)}
ESTIMATORS = {cls: Converter(convert_nearest_center, _check_clusterer) for cls in (KMeans, MiniBatchKMeans)}
KERNELS = {"center_distances": center_distances, "nearest_center": nearest_center}
