"""Nearest neighbours -> estimator ``nearest_neighbors`` (C++ twin: src/models/neighbors.cpp),
docs/format.md section 4.42; NeighborhoodComponentsAnalysis -> ``linear_projection``;
``LocalOutlierFactor(novelty=True)`` -> ``local_outlier_factor`` (section 4.43);
``RadiusNeighborsClassifier`` / ``RadiusNeighborsRegressor`` -> ``radius_neighbors`` (section 4.44,
C++ twin src/models/neighbors_radius.cpp: every stored row within the radius, the same weights;
a row with none gets the outlier class or is refused, see ``radius_neighbors``).

``KNeighborsClassifier``, ``KNeighborsRegressor`` and ``NearestCentroid`` (the centroids as the
stored rows, one neighbour) keep their training rows in the artifact and search them by brute
force: the k nearest rows by the metric (euclidean, manhattan, chebyshev, minkowski p, cosine),
a tie at the k-th place to the lowest training index, as scikit-learn's heap-based searches
keep the first row they met. Distances are computed directly (``sqrt(Σ (x - y)²)`` for
euclidean, as scikit-learn's KD and ball trees do; its brute-force path expands
``|x|² - 2 x.y + |y|²`` with the BLAS, so rows that nearly tie can be ordered differently, and a
query equal to a training row is at distance 0 here but may be a rounding residue there).
Then, as scikit-learn 1.2:

- weights ``uniform``: each neighbour 1; ``distance``: ``1 / d``, and a row with a neighbour at
  distance 0 weighs those neighbours 1 and the others 0;
- classifier: ``predict_proba`` is the weights summed per class in neighbour order, divided by
  their sum; ``predict`` its first maximum (the lowest class among those tied, as
  ``scipy.stats.mode`` and ``weighted_mode``);
- regressor: uniform ``Σ y / k``; distance ``Σ (y w) / Σ w``, per output.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from sklearn.neighbors import (KNeighborsClassifier, KNeighborsRegressor, NearestCentroid,
                               NeighborhoodComponentsAnalysis)

from . import ConversionError, ConvertedEstimator, ConvertedStep, Converter, class_labels

METRICS = ("euclidean", "manhattan", "chebyshev", "minkowski", "cosine")


def _metric(est, label: str):
    """(metric, p) as the artifact names them, from scikit-learn's effective metric."""
    metric = getattr(est, "effective_metric_", getattr(est, "metric", None))
    params = dict(getattr(est, "effective_metric_params_", None) or {})
    aliases = {"l2": "euclidean", "l1": "manhattan", "cityblock": "manhattan", "infinity": "chebyshev"}
    metric = aliases.get(metric, metric) if isinstance(metric, str) else metric
    p = 2.0
    if metric == "minkowski":
        p = float(params.pop("p", getattr(est, "p", 2)))
        if params.get("w") is not None:
            raise ConversionError(f"{label}: a weighted minkowski metric (metric_params w) is not supported")
        params.pop("w", None)
        if not (np.isfinite(p) and p >= 1):
            raise ConversionError(f"{label}: minkowski p = {p} is not supported (p must be finite and >= 1)")
        if p == 1:
            metric = "manhattan"
        elif p == 2:
            metric = "euclidean"
    elif params:
        raise ConversionError(f"{label}: metric_params {sorted(params)} are not supported")
    if metric not in METRICS:
        raise ConversionError(f"{label}: metric {metric!r} is not supported (ferry: {', '.join(METRICS)})")
    return metric, p


def _train(est, rows, label: str) -> np.ndarray:
    from scipy import sparse

    if sparse.issparse(rows):
        raise ConversionError(f"{label}: fitted on a sparse matrix; ferry stores dense training rows")
    X = np.ascontiguousarray(np.asarray(rows, dtype=np.float64))
    if X.ndim != 2 or X.shape[1] != int(est.n_features_in_) or not np.all(np.isfinite(X)):
        raise ConversionError(f"{label}: the stored rows are not a finite matrix of {est.n_features_in_} columns")
    return X


def _params(metric, p, k, weights, link):
    return {"metric": metric, "p": float(p), "n_neighbors": int(k), "weights": weights, "link": link}


def check_knn(est) -> Optional[str]:
    if callable(getattr(est, "weights", None)) or getattr(est, "weights", "uniform") not in ("uniform", "distance"):
        return f"weights={est.weights!r} is not supported (uniform or distance)"
    if getattr(est, "metric", None) == "precomputed" or callable(getattr(est, "metric", None)):
        return f"metric={est.metric!r} is not supported"
    if getattr(est, "outputs_2d_", False) and isinstance(est, KNeighborsClassifier):
        return "multi-output classification is not supported"
    classes = getattr(est, "classes_", None)
    if classes is not None:
        try:
            class_labels(classes)
        except ConversionError as e:
            return str(e)
    return None


def convert_knn_classifier(est, label: str) -> ConvertedEstimator:
    metric, p = _metric(est, label)
    X = _train(est, est._fit_X, label)
    classes = np.asarray(est.classes_)
    y = np.asarray(est._y, dtype=np.int64).reshape(-1)
    if len(classes) < 2 or y.shape[0] != X.shape[0]:
        raise ConversionError(f"{label}: needs at least 2 classes and one label per stored row")
    k = int(est.n_neighbors)
    if not 1 <= k <= X.shape[0]:
        raise ConversionError(f"{label}: n_neighbors {k} with {X.shape[0]} stored rows")
    return ConvertedEstimator(type="nearest_neighbors", params=_params(metric, p, k, est.weights, "probability"),
                              tensors={"train": X, "labels": y}, n_features_in=X.shape[1],
                              n_features_out=len(classes), task="classification", n_outputs=len(classes),
                              classes=classes)


def convert_knn_regressor(est, label: str) -> ConvertedEstimator:
    metric, p = _metric(est, label)
    X = _train(est, est._fit_X, label)
    y = np.asarray(est._y, dtype=np.float64)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1))
    k = int(est.n_neighbors)
    if Y.shape[0] != X.shape[0] or not np.all(np.isfinite(Y)) or not 1 <= k <= X.shape[0]:
        raise ConversionError(f"{label}: targets or n_neighbors {k} do not fit {X.shape[0]} stored rows")
    return ConvertedEstimator(type="nearest_neighbors", params=_params(metric, p, k, est.weights, "identity"),
                              tensors={"train": X, "values": Y}, n_features_in=X.shape[1],
                              n_features_out=Y.shape[1], task="regression", n_outputs=Y.shape[1])


def check_nearest_centroid(est) -> Optional[str]:
    if getattr(est, "metric", "euclidean") not in ("euclidean", "manhattan"):
        return f"metric={est.metric!r} is not supported (euclidean or manhattan)"
    classes = getattr(est, "classes_", None)
    if classes is not None:
        try:
            class_labels(classes)
        except ConversionError as e:
            return str(e)
    return None


def convert_nearest_centroid(est, label: str) -> ConvertedEstimator:
    """predict = classes_[argmin distance to centroids_]: one neighbour among the centroids."""
    X = _train(est, est.centroids_, label)
    classes = np.asarray(est.classes_)
    c = len(classes)
    if c < 2 or X.shape[0] != c:
        raise ConversionError(f"{label}: {X.shape[0]} centroids for {c} classes")
    return ConvertedEstimator(type="nearest_neighbors", params=_params(est.metric, 2.0, 1, "uniform", "none"),
                              tensors={"train": X, "labels": np.arange(c, dtype=np.int64)},
                              n_features_in=X.shape[1], n_features_out=c, task="classification", n_outputs=c,
                              classes=classes)


def convert_nca(est, label: str) -> ConvertedStep:
    """NeighborhoodComponentsAnalysis.transform: X @ components_.T -> linear_projection."""
    components = np.ascontiguousarray(np.asarray(est.components_, dtype=np.float64))
    if components.ndim != 2 or components.shape[1] != int(est.n_features_in_) or not np.all(np.isfinite(components)):
        raise ConversionError(f"{label}: components_ is not a finite matrix of {est.n_features_in_} columns")
    return ConvertedStep(type="linear_projection", params={"with_mean": False, "with_scale": False},
                         tensors={"components": components}, n_features_in=components.shape[1],
                         n_features_out=components.shape[0])


def reduced_distances(step: dict, train: np.ndarray, X: np.ndarray) -> np.ndarray:
    """rows x stored rows: what the search compares (docs/format.md 4.42): the squared distance
    for euclidean, Σ |x - y|^p for minkowski, the distance itself for the other metrics."""
    p = step["params"]
    metric = p["metric"]
    X = np.asarray(X, dtype=np.float64)
    if metric == "cosine":
        def unit(A):
            norms = np.sqrt(np.einsum("ij,ij->i", A, A))
            norms[norms == 0.0] = 1.0
            return A / norms[:, np.newaxis]
        return np.clip(1.0 - unit(X) @ unit(train).T, 0.0, 2.0)
    diff = np.abs(X[:, np.newaxis, :] - train[np.newaxis, :, :])
    if metric == "euclidean":
        return np.sum(diff * diff, axis=2)
    if metric == "manhattan":
        return np.sum(diff, axis=2)
    if metric == "chebyshev":
        return np.max(diff, axis=2)
    return np.sum(diff ** p["p"], axis=2)


def to_distance(step: dict, r: np.ndarray) -> np.ndarray:
    metric = step["params"]["metric"]
    if metric == "euclidean":
        return np.sqrt(r)
    if metric == "minkowski":
        return r ** (1.0 / step["params"]["p"])
    return r


def neighbours(step: dict, train: np.ndarray, X: np.ndarray):
    """(indices, distances) of the k nearest stored rows, by distance, ties to the lowest index."""
    r = reduced_distances(step, train, X)
    k = step["params"]["n_neighbors"]
    order = np.argsort(r, axis=1, kind="stable")[:, :k]
    return order, to_distance(step, np.take_along_axis(r, order, axis=1))


def _weights(step: dict, dist: np.ndarray) -> np.ndarray:
    if step["params"]["weights"] == "uniform":
        return np.ones_like(dist)
    with np.errstate(divide="ignore"):
        w = 1.0 / dist
    inf = np.isinf(w)
    rows = np.any(inf, axis=1)
    w[rows] = inf[rows]
    return w


def nearest_neighbors(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    idx, dist = neighbours(step, tensors["train"], X)
    w = _weights(step, dist)
    if task == "regression":
        y = tensors["values"][idx]  # rows x k x outputs
        if step["params"]["weights"] == "uniform":
            return {"predict": np.sum(y, axis=1) / idx.shape[1]}
        return {"predict": np.sum(y * w[:, :, np.newaxis], axis=1) / np.sum(w, axis=1)[:, np.newaxis]}
    c = step["n_features_out"]
    labels = tensors["labels"][idx]
    proba = np.zeros((X.shape[0], c))
    rows = np.arange(X.shape[0])
    for i in range(idx.shape[1]):
        proba[rows, labels[:, i]] += w[:, i]
    total = proba.sum(axis=1)[:, np.newaxis]
    total[total == 0.0] = 1.0
    proba /= total
    out = {"predict": np.argmax(proba, axis=1).astype(np.int64)}
    if step["params"]["link"] == "probability":
        out["predict_proba"] = proba
    return out


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {NeighborhoodComponentsAnalysis: Converter(convert_nca)}
ESTIMATORS = {
    KNeighborsClassifier: Converter(convert_knn_classifier, check_knn),
    KNeighborsRegressor: Converter(convert_knn_regressor, check_knn),
    NearestCentroid: Converter(convert_nearest_centroid, check_nearest_centroid),
}
KERNELS = {"nearest_neighbors": nearest_neighbors}


# ------------------------------------------------------------------ LocalOutlierFactor(novelty=True)


def check_lof(est) -> Optional[str]:
    if not getattr(est, "novelty", False):
        return ("novelty=False: scikit-learn's LocalOutlierFactor scores only its training rows "
                "(fit_predict); fit it with novelty=True to score new rows")
    if getattr(est, "metric", None) == "precomputed" or callable(getattr(est, "metric", None)):
        return f"metric={est.metric!r} is not supported"
    return None


def convert_lof(est, label: str) -> ConvertedEstimator:
    """score_samples = -mean(lrd[neighbours] / lrd(x)), decision_function = score_samples - offset_,
    predict = 1 where decision_function >= 0, else -1 (classes [-1, 1], link isolation)."""
    metric, p = _metric(est, label)
    X = _train(est, est._fit_X, label)
    k = int(est.n_neighbors_)
    k_distance = np.ascontiguousarray(np.asarray(est._distances_fit_X_, dtype=np.float64)[:, k - 1])
    lrd = np.ascontiguousarray(np.asarray(est._lrd, dtype=np.float64))
    offset = float(est.offset_)
    if (k_distance.shape != (X.shape[0],) or lrd.shape != (X.shape[0],) or not np.all(np.isfinite(lrd))
            or not np.all(np.isfinite(k_distance)) or not np.isfinite(offset) or not 1 <= k <= X.shape[0]):
        raise ConversionError(f"{label}: the fitted distances, densities or offset_ are not finite")
    params = {"metric": metric, "p": float(p), "n_neighbors": k, "offset": offset, "link": "isolation"}
    return ConvertedEstimator(type="local_outlier_factor", params=params,
                              tensors={"train": X, "k_distance": k_distance, "lrd": lrd},
                              n_features_in=X.shape[1], n_features_out=1, task="classification", n_outputs=2,
                              classes=np.array([-1, 1]))


def local_outlier_factor(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    idx, dist = neighbours(step, tensors["train"], X)
    reach = np.maximum(dist, tensors["k_distance"][idx])
    lrd_x = 1.0 / (np.mean(reach, axis=1) + 1e-10)
    score = -np.mean(tensors["lrd"][idx] / lrd_x[:, np.newaxis], axis=1)
    dec = score - step["params"]["offset"]
    return {"predict": (dec >= 0).astype(np.int64), "decision_function": dec[:, np.newaxis]}


from sklearn.neighbors import LocalOutlierFactor  # noqa: E402

ESTIMATORS[LocalOutlierFactor] = Converter(convert_lof, check_lof)
KERNELS["local_outlier_factor"] = local_outlier_factor


# ------------------------------------------------------------------ RadiusNeighbors* (section 4.44)


def check_radius(est) -> Optional[str]:
    reason = check_knn(est)
    if reason is not None:
        return reason
    if getattr(est, "outputs_2d_", False) and isinstance(est, RadiusNeighborsClassifier):
        return "multi-output classification is not supported"
    radius = getattr(est, "radius", 1.0)
    if not (isinstance(radius, (int, float, np.floating, np.integer)) and np.isfinite(radius) and radius >= 0):
        return f"radius={radius!r} is not supported (a finite number >= 0)"
    outlier = getattr(est, "outlier_label_", None)
    classes = getattr(est, "classes_", None)
    if outlier is not None and classes is not None and not np.any(np.asarray(classes) == outlier[0]):
        return (f"outlier_label={outlier[0]!r} is not one of classes_: scikit-learn predicts it with every class "
                "probability 0, a label outside the artifact's classes (give one of classes_ or 'most_frequent')")
    return None


def _radius_params(est, label: str, metric, p, outlier_class: int, link: str) -> dict:
    radius = float(est.radius)
    if not (np.isfinite(radius) and radius >= 0):
        raise ConversionError(f"{label}: radius {radius} is not a finite number >= 0")
    return {"metric": metric, "p": float(p), "radius": radius, "weights": est.weights,
            "outlier_class": int(outlier_class), "link": link}


def convert_radius_classifier(est, label: str) -> ConvertedEstimator:
    """predict_proba: the weights of the stored rows within the radius summed per class, divided
    by their sum; a row with none: the outlier class (outlier_label_) with probability 1, or
    refused (scikit-learn raises ValueError)."""
    metric, p = _metric(est, label)
    X = _train(est, est._fit_X, label)
    classes = np.asarray(est.classes_)
    y = np.asarray(est._y, dtype=np.int64).reshape(-1)
    if len(classes) < 2 or y.shape[0] != X.shape[0]:
        raise ConversionError(f"{label}: needs at least 2 classes and one label per stored row")
    outlier = -1
    if est.outlier_label_ is not None:
        found = np.flatnonzero(classes == est.outlier_label_[0])
        if found.size != 1:
            raise ConversionError(f"{label}: outlier_label {est.outlier_label_[0]!r} is not one of classes_")
        outlier = int(found[0])
    return ConvertedEstimator(type="radius_neighbors",
                              params=_radius_params(est, label, metric, p, outlier, "probability"),
                              tensors={"train": X, "labels": y}, n_features_in=X.shape[1],
                              n_features_out=len(classes), task="classification", n_outputs=len(classes),
                              classes=classes, refuses_rows=outlier < 0)


def convert_radius_regressor(est, label: str) -> ConvertedEstimator:
    """predict: the (weighted) mean of the targets of the stored rows within the radius; a row
    with none is refused (scikit-learn predicts NaN with a warning)."""
    metric, p = _metric(est, label)
    X = _train(est, est._fit_X, label)
    y = np.asarray(est._y, dtype=np.float64)
    Y = np.ascontiguousarray(y.reshape(y.shape[0], -1))
    if Y.shape[0] != X.shape[0] or not np.all(np.isfinite(Y)):
        raise ConversionError(f"{label}: the targets are not finite or do not fit {X.shape[0]} stored rows")
    return ConvertedEstimator(type="radius_neighbors", params=_radius_params(est, label, metric, p, -1, "identity"),
                              tensors={"train": X, "values": Y}, n_features_in=X.shape[1],
                              n_features_out=Y.shape[1], task="regression", n_outputs=Y.shape[1],
                              refuses_rows=True)


class RowsRefused(ValueError):
    """A kernel's refusal of some rows (the C++ engine's value error); ``rows`` their indices."""

    def __init__(self, message: str, rows: np.ndarray):
        super().__init__(message)
        self.rows = rows


def radius_reduced_limit(step: dict) -> float:
    """The radius as the search compares it: squared for euclidean, ^p for minkowski."""
    params = step["params"]
    radius = params["radius"]
    if params["metric"] == "euclidean":
        return radius * radius
    if params["metric"] == "minkowski":
        return radius ** params["p"]
    return radius


def radius_neighbors(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    params = step["params"]
    r = reduced_distances(step, tensors["train"], X)
    inside = r <= radius_reduced_limit(step)
    count = inside.sum(axis=1)
    empty = count == 0
    outlier = params["outlier_class"]
    if np.any(empty) and (task == "regression" or outlier < 0):
        rows = np.flatnonzero(empty)
        answer = "predicts NaN with a warning" if task == "regression" else "raises ValueError"
        raise RowsRefused(f"row {rows[0]}: no stored row within the radius of {step.get('name', 'radius_neighbors')} "
                          f"({len(rows)} such rows; scikit-learn {answer})", rows)
    d = to_distance(step, r)
    if params["weights"] == "uniform":
        w = inside.astype(np.float64)
    else:
        with np.errstate(divide="ignore"):
            w = np.where(inside, 1.0 / np.where(inside, d, 1.0), 0.0)
        zero = inside & (d == 0.0)
        rows = np.any(zero, axis=1)
        w[rows] = zero[rows]
    if task == "regression":
        num = w @ tensors["values"]
        den = count if params["weights"] == "uniform" else w.sum(axis=1)
        return {"predict": num / den[:, np.newaxis]}
    c = step["n_features_out"]
    labels = tensors["labels"]
    proba = np.zeros((X.shape[0], c))
    for j in range(c):
        proba[:, j] = np.sum(w * (labels == j)[np.newaxis, :], axis=1)
    proba[empty, outlier] = 1.0
    total = proba.sum(axis=1)[:, np.newaxis]
    total[total == 0.0] = 1.0
    proba /= total
    return {"predict": np.argmax(proba, axis=1).astype(np.int64), "predict_proba": proba}


from sklearn.neighbors import RadiusNeighborsClassifier, RadiusNeighborsRegressor  # noqa: E402

ESTIMATORS[RadiusNeighborsClassifier] = Converter(convert_radius_classifier, check_radius)
ESTIMATORS[RadiusNeighborsRegressor] = Converter(convert_radius_regressor, check_radius)
KERNELS["radius_neighbors"] = radius_neighbors
