"""Missing values -> step types ``simple_imputer`` and ``missing_indicator``
(C++ twins: src/pipeline/simple_imputer.cpp, src/pipeline/missing_indicator.cpp).

Numeric columns only, ``missing_values=np.nan`` only (docs/format.md section 4).

- ``simple_imputer``: tensors ``keep`` (int64 [n], 1 = column kept) and ``statistics``
  (float64 [n], finite; the fill value of each kept column, 0.0 where dropped).
  scikit-learn drops the columns that were all-missing at fit (``statistics_`` NaN)
  unless ``strategy="constant"`` or ``keep_empty_features``. Output: the kept columns
  with NaN replaced by the fill value, then, with ``add_indicator``, one 0/1 column per
  entry of ``indicator_features`` (int64 [k], the indicator's ``features_``).
- ``missing_indicator``: ``features`` (int64 [k]); output ``isnan(x[:, features])`` as
  0.0 / 1.0 (scikit-learn gives bools, which the next step of a Pipeline reads as 0/1).
  With ``error_on_new`` a missing value in a column outside ``features`` is an error.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from . import ConversionError, ConvertedStep


def _nan_only(est, label: str) -> None:
    mv = est.missing_values
    if not (isinstance(mv, (float, np.floating)) and np.isnan(mv)):
        raise ConversionError(
            f"{label}: missing_values={mv!r} is not supported; ferry imputes only NaN (missing_values=np.nan)"
        )


def _indices(values, n: int, label: str, attr: str) -> np.ndarray:
    idx = np.asarray(values, dtype=np.int64).reshape(-1)
    if np.any(idx < 0) or np.any(idx >= n) or np.any(np.diff(idx) <= 0):
        raise ConversionError(f"{label}: {attr} is not a strictly increasing list of column indices")
    return idx


def convert_simple_imputer(est, label: str) -> ConvertedStep:
    _nan_only(est, label)
    n = int(est.n_features_in_)
    strategy = est.strategy
    if strategy not in ("mean", "median", "most_frequent", "constant"):
        raise ConversionError(f"{label}: strategy={strategy!r} is not supported")
    try:
        stats = np.asarray(est.statistics_, dtype=np.float64)
    except (TypeError, ValueError):
        raise ConversionError(f"{label}: statistics_ are not numeric (string or categorical columns are not supported)") from None
    if stats.shape != (n,):
        raise ConversionError(f"{label}: statistics_ has shape {stats.shape}, expected ({n},)")
    if strategy == "constant" or getattr(est, "keep_empty_features", False):
        keep = np.ones(n, dtype=bool)
    else:
        keep = ~np.isnan(stats)
    if not np.all(np.isfinite(stats[keep])):
        raise ConversionError(f"{label}: a fill value is not finite (fill_value={est.fill_value!r}?)")
    if not np.any(keep) and not est.add_indicator:
        raise ConversionError(f"{label}: every column was all-missing at fit, so the imputer outputs nothing")
    tensors: Dict[str, np.ndarray] = {
        "keep": keep.astype(np.int64),
        "statistics": np.where(keep, stats, 0.0).astype(np.float64),
    }
    k = 0
    if est.add_indicator:
        features = _indices(est.indicator_.features_, n, label, "indicator_.features_")
        tensors["indicator_features"] = features
        k = len(features)
    n_out = int(np.sum(keep)) + k
    if n_out == 0:
        raise ConversionError(f"{label}: the imputer outputs no column")
    return ConvertedStep(
        type="simple_imputer",
        params={"strategy": str(strategy), "add_indicator": bool(est.add_indicator)},
        tensors=tensors,
        n_features_in=n,
        n_features_out=n_out,
    )


def simple_imputer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    X = np.asarray(X, dtype=np.float64)
    keep = tensors["keep"].astype(bool)
    Y = np.array(X[:, keep], dtype=np.float64, copy=True)
    fill = np.broadcast_to(tensors["statistics"][keep], Y.shape)
    mask = np.isnan(Y)
    Y[mask] = fill[mask]
    if step["params"]["add_indicator"]:
        ind = np.isnan(X[:, tensors["indicator_features"]]).astype(np.float64)
        Y = np.hstack([Y, ind])
    return Y


def check_missing_indicator(est) -> "str | None":
    if getattr(est, "sparse", "auto") is True:
        return "sparse=True is not supported"
    return None


def convert_missing_indicator(est, label: str) -> ConvertedStep:
    _nan_only(est, label)
    n = int(est.n_features_in_)
    features = _indices(est.features_, n, label, "features_")
    if len(features) == 0:
        raise ConversionError(f"{label}: no column had a missing value at fit, so the indicator outputs nothing")
    return ConvertedStep(
        type="missing_indicator",
        params={"error_on_new": bool(est.error_on_new)},
        tensors={"features": features},
        n_features_in=n,
        n_features_out=len(features),
    )


def missing_indicator(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    X = np.asarray(X, dtype=np.float64)
    features = tensors["features"]
    if step["params"]["error_on_new"]:
        others = np.setdiff1d(np.arange(X.shape[1]), features)
        if others.size and np.any(np.isnan(X[:, others])):
            raise ValueError("a missing value in a column that had none at fit (error_on_new=True)")
    return np.isnan(X[:, features]).astype(np.float64)
