"""Scalers -> step types ``standard_scaler``, ``min_max_scaler``, ``max_abs_scaler``
and ``robust_scaler`` (C++ twins: src/pipeline/standard_scaler.cpp,
min_max_scaler.cpp, max_abs_scaler.cpp, robust_scaler.cpp).

docs/format.md section 4: every one works column by column and keeps the width.

- ``standard_scaler``: ``y = (x - mean) / scale``; ``mean`` present iff ``with_mean``,
  ``scale`` present iff ``with_std``.
- ``min_max_scaler``: ``y = x * scale + min`` (two roundings), then, with ``clip``,
  ``np.clip(y, *feature_range)``.
- ``max_abs_scaler``: ``y = x / scale``.
- ``robust_scaler``: ``y = (x - center) / scale``; ``center`` present iff
  ``with_centering``, ``scale`` present iff ``with_scaling``.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, RobustScaler, StandardScaler

from . import ConversionError, ConvertedStep, Converter


def convert_standard_scaler(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    with_mean, with_std = bool(est.with_mean), bool(est.with_std)
    tensors: Dict[str, np.ndarray] = {}
    if with_mean:
        mean = np.asarray(est.mean_, dtype=np.float64)
        if mean.shape != (n,):
            raise ConversionError(f"{label}: mean_ has shape {mean.shape}, expected ({n},)")
        if not np.all(np.isfinite(mean)):
            raise ConversionError(f"{label}: mean_ is not finite (was it fitted on data with infinities?)")
        tensors["mean"] = mean
    if with_std:
        # scikit-learn already replaced (near-)zero standard deviations by 1.0.
        scale = np.asarray(est.scale_, dtype=np.float64)
        if scale.shape != (n,):
            raise ConversionError(f"{label}: scale_ has shape {scale.shape}, expected ({n},)")
        if not (np.all(np.isfinite(scale)) and np.all(scale != 0)):
            raise ConversionError(f"{label}: scale_ has a zero or non-finite value")
        tensors["scale"] = scale
    return ConvertedStep(
        type="standard_scaler",
        params={"with_mean": with_mean, "with_std": with_std},
        tensors=tensors,
        n_features_in=n,
        n_features_out=n,
    )


def standard_scaler(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    Y = np.array(X, dtype=np.float64, copy=True)
    if step["params"]["with_mean"]:
        Y -= tensors["mean"]
    if step["params"]["with_std"]:
        Y /= tensors["scale"]
    return Y


def _vector(est, attr: str, n: int, label: str, hint: str = "") -> np.ndarray:
    v = np.asarray(getattr(est, attr), dtype=np.float64)
    if v.shape != (n,):
        raise ConversionError(f"{label}: {attr} has shape {v.shape}, expected ({n},)")
    if not np.all(np.isfinite(v)):
        raise ConversionError(f"{label}: {attr} is not finite{hint}")
    return v


def _nonzero_scale(est, n: int, label: str, hint: str = "") -> np.ndarray:
    # scikit-learn already replaced (near-)zero scales by 1.0 (_handle_zeros_in_scale).
    scale = _vector(est, "scale_", n, label, hint)
    if not np.all(scale != 0):
        raise ConversionError(f"{label}: scale_ has a zero value{hint}")
    return scale


def convert_min_max_scaler(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    try:
        lo, hi = (float(v) for v in est.feature_range)
    except (TypeError, ValueError, OverflowError):
        raise ConversionError(f"{label}: feature_range={est.feature_range!r} is not a pair of numbers") from None
    if not (np.isfinite(lo) and np.isfinite(hi) and lo < hi):
        raise ConversionError(f"{label}: feature_range={est.feature_range!r} must be finite with min < max")
    hint = " (was it fitted on a column without finite values, or with an overflowing range?)"
    return ConvertedStep(
        type="min_max_scaler",
        params={"feature_range": [lo, hi], "clip": bool(est.clip)},
        tensors={"scale": _vector(est, "scale_", n, label, hint), "min": _vector(est, "min_", n, label, hint)},
        n_features_in=n,
        n_features_out=n,
    )


def min_max_scaler(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    Y = np.array(X, dtype=np.float64, copy=True)
    Y *= tensors["scale"]
    Y += tensors["min"]
    if step["params"]["clip"]:
        lo, hi = step["params"]["feature_range"]
        np.clip(Y, lo, hi, out=Y)
    return Y


def convert_max_abs_scaler(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    return ConvertedStep(
        type="max_abs_scaler",
        params={},
        tensors={"scale": _nonzero_scale(est, n, label, " (was it fitted on a column without finite values?)")},
        n_features_in=n,
        n_features_out=n,
    )


def max_abs_scaler(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    Y = np.array(X, dtype=np.float64, copy=True)
    Y /= tensors["scale"]
    return Y


def convert_robust_scaler(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    with_centering, with_scaling = bool(est.with_centering), bool(est.with_scaling)
    tensors: Dict[str, np.ndarray] = {}
    if with_centering:
        tensors["center"] = _vector(est, "center_", n, label, " (was it fitted on a column without finite values?)")
    if with_scaling:
        hint = ""
        if getattr(est, "unit_variance", False):
            hint = f" (unit_variance=True with quantile_range={tuple(est.quantile_range)!r})"
        tensors["scale"] = _nonzero_scale(est, n, label, hint)
    return ConvertedStep(
        type="robust_scaler",
        params={"with_centering": with_centering, "with_scaling": with_scaling},
        tensors=tensors,
        n_features_in=n,
        n_features_out=n,
    )


def robust_scaler(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    Y = np.array(X, dtype=np.float64, copy=True)
    if step["params"]["with_centering"]:
        Y -= tensors["center"]
    if step["params"]["with_scaling"]:
        Y /= tensors["scale"]
    return Y


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {
    StandardScaler: Converter(convert_standard_scaler, same_on_sparse=lambda est: not est.with_mean),
    MinMaxScaler: Converter(convert_min_max_scaler),
    MaxAbsScaler: Converter(convert_max_abs_scaler, same_on_sparse=lambda est: True),
    RobustScaler: Converter(convert_robust_scaler),
}
KERNELS = {
    "standard_scaler": standard_scaler,
    "min_max_scaler": min_max_scaler,
    "max_abs_scaler": max_abs_scaler,
    "robust_scaler": robust_scaler,
}
