"""PLSRegression, PLSCanonical, CCA, PLSSVD -> step type ``pls_projection`` (their x scores,
``transform``) and estimator type ``pls_regression`` (``predict``) (C++ twins:
src/pipeline/pls_projection.cpp, src/models/pls_regression.cpp; docs/format.md 4.49, 4.50).

scikit-learn 1.2.1 (sklearn/cross_decomposition/_pls.py):

- ``_PLS.transform(X)``: ``X -= _x_mean; X /= _x_std; np.dot(X, x_rotations_)``;
  ``PLSSVD.transform(X)``: ``np.dot((X - _x_mean) / _x_std, x_weights_)``, the same numbers.
- ``_PLS.predict(X)``: ``X -= _x_mean; X /= _x_std; X @ _coef_.T + intercept_`` with
  ``_coef_`` of shape (n_targets, n_features) (1.2.1 keeps the transposed ``coef_`` private and
  warns on ``coef_``; ``intercept_`` is ``_y_mean``). The prediction is 2-D, one column per
  target, even for one target.
"""

from __future__ import annotations

from typing import Dict

import numpy as np
from sklearn.cross_decomposition import CCA, PLSSVD, PLSCanonical, PLSRegression

from . import ConversionError, ConvertedEstimator, ConvertedStep, Converter


def _standardisation(est, label: str):
    n = int(est.n_features_in_)
    mean = np.asarray(est._x_mean, dtype=np.float64)
    scale = np.asarray(est._x_std, dtype=np.float64)
    for name, arr in (("_x_mean", mean), ("_x_std", scale)):
        if arr.shape != (n,):
            raise ConversionError(f"{label}: {name} has shape {arr.shape}, expected ({n},)")
        if not np.all(np.isfinite(arr)):
            raise ConversionError(f"{label}: {name} is not finite")
    if np.any(scale == 0):
        raise ConversionError(f"{label}: _x_std has a zero")
    return n, np.ascontiguousarray(mean), np.ascontiguousarray(scale)


def convert_pls_transform(est, label: str) -> ConvertedStep:
    n, mean, scale = _standardisation(est, label)
    rotations = est.x_weights_ if type(est) is PLSSVD else est.x_rotations_
    rotations = np.asarray(rotations, dtype=np.float64)
    if rotations.ndim != 2 or rotations.shape[0] != n or rotations.shape[1] < 1:
        raise ConversionError(f"{label}: the x rotations have shape {rotations.shape}, expected ({n}, k)")
    if not np.all(np.isfinite(rotations)):
        raise ConversionError(f"{label}: the x rotations are not finite")
    return ConvertedStep(
        type="pls_projection",
        params={},
        tensors={"mean": mean, "scale": scale, "components": np.ascontiguousarray(rotations.T)},
        n_features_in=n,
        n_features_out=rotations.shape[1],
    )


def convert_pls_regression(est, label: str) -> ConvertedEstimator:
    n, mean, scale = _standardisation(est, label)
    coef = np.asarray(est._coef_, dtype=np.float64)  # (n_targets, n_features) in 1.2.1
    intercept = np.asarray(est.intercept_, dtype=np.float64).reshape(-1)
    if coef.ndim != 2 or coef.shape[1] != n or coef.shape[0] != intercept.shape[0]:
        raise ConversionError(f"{label}: _coef_ has shape {coef.shape} and intercept_ {intercept.shape}, expected "
                              f"(n_targets, {n}) and (n_targets,)")
    if not (np.all(np.isfinite(coef)) and np.all(np.isfinite(intercept))):
        raise ConversionError(f"{label}: _coef_ or intercept_ is not finite")
    m = coef.shape[0]
    return ConvertedEstimator(
        type="pls_regression",
        params={},
        tensors={"mean": mean, "scale": scale, "coef": np.ascontiguousarray(coef), "intercept": intercept},
        n_features_in=n,
        n_features_out=m,
        task="regression",
        n_outputs=m,
    )


def _standardised(tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    X = np.array(X, dtype=np.float64)
    X -= tensors["mean"]
    X /= tensors["scale"]
    return X


def pls_projection(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.49)."""
    return np.dot(_standardised(tensors, X), tensors["components"].T)


def pls_regression(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """numpy kernel (docs/format.md 4.50): predict, one column per target."""
    return {"predict": _standardised(tensors, X) @ tensors["coef"].T + tensors["intercept"]}


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {cls: Converter(convert_pls_transform) for cls in (PLSRegression, PLSCanonical, CCA, PLSSVD)}
ESTIMATORS = {cls: Converter(convert_pls_regression) for cls in (PLSRegression, PLSCanonical, CCA)}
KERNELS = {"pls_projection": pls_projection, "pls_regression": pls_regression}
