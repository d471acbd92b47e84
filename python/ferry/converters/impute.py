"""Missing values -> step types ``simple_imputer`` and ``missing_indicator``
(C++ twins: src/pipeline/simple_imputer.cpp, src/pipeline/missing_indicator.cpp).

``missing_values=np.nan`` (or ``None`` for an imputer fitted on text, object dtype): ferry has
one missing marker, docs/format.md sections 4.15 and 4.16.

- ``simple_imputer``: tensors ``keep`` (int64 [n], 1 = column kept) and ``statistics``
  (float64 [n], finite; the fill value of each kept column, 0.0 where dropped).
  scikit-learn drops the columns that were all-missing at fit (``statistics_`` NaN)
  unless ``strategy="constant"`` or ``keep_empty_features``. Output: the kept columns
  with NaN replaced by the fill value, then, with ``add_indicator``, one 0/1 column per
  entry of ``indicator_features`` (int64 [k], the indicator's ``features_``). Text columns
  (``most_frequent`` or ``constant`` on object dtype): params ``text_fill`` holds the fill
  string of each text column (``null`` for numeric ones, whose fill is in ``statistics``).
- ``missing_indicator``: ``features`` (int64 [k]); output ``isnan(x[:, features])`` as
  0.0 / 1.0 (scikit-learn gives bools, which the next step of a Pipeline reads as 0/1).
  With ``error_on_new`` a missing value in a column outside ``features`` is an error.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from sklearn.impute import MissingIndicator, SimpleImputer

from . import ConversionError, ConvertedStep, Converter


def _nan_only(est, label: str, allow_none: bool = False) -> None:
    mv = est.missing_values
    if allow_none and mv is None:
        return
    if not (isinstance(mv, (float, np.floating)) and np.isnan(mv)):
        also = " (or None on text columns)" if allow_none else ""
        raise ConversionError(
            f"{label}: missing_values={mv!r} is not supported; ferry imputes only NaN "
            f"(missing_values=np.nan{also}), its one missing marker"
        )


def _is_missing(v) -> bool:
    return v is None or (isinstance(v, (float, np.floating)) and np.isnan(v))


def _statistics(est, n: int, label: str):
    """(float64 statistics with NaN where missing or text, text fill per column or None)."""
    raw = np.asarray(est.statistics_)
    if raw.shape != (n,):
        raise ConversionError(f"{label}: statistics_ has shape {raw.shape}, expected ({n},)")
    if raw.dtype.kind != "O":
        try:
            return np.asarray(raw, dtype=np.float64), None
        except (TypeError, ValueError):
            raise ConversionError(f"{label}: statistics_ are neither numbers nor text") from None
    stats = np.full(n, np.nan)
    text = [None] * n
    for j, v in enumerate(raw):
        if isinstance(v, (str, np.str_)):
            text[j] = str(v)
        elif _is_missing(v):
            pass
        elif isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_)):
            stats[j] = float(v)
        else:
            raise ConversionError(f"{label}: fill value {v!r} of column {j} is neither a number nor text")
    return stats, text


def _indices(values, n: int, label: str, attr: str) -> np.ndarray:
    idx = np.asarray(values, dtype=np.int64).reshape(-1)
    if np.any(idx < 0) or np.any(idx >= n) or np.any(np.diff(idx) <= 0):
        raise ConversionError(f"{label}: {attr} is not a strictly increasing list of column indices")
    return idx


def convert_simple_imputer(est, label: str) -> ConvertedStep:
    fitted_on_text = getattr(est, "_fit_dtype", np.dtype(np.float64)).kind == "O"
    _nan_only(est, label, allow_none=fitted_on_text)
    n = int(est.n_features_in_)
    strategy = est.strategy
    if strategy not in ("mean", "median", "most_frequent", "constant"):
        raise ConversionError(f"{label}: strategy={strategy!r} is not supported")
    stats, text = _statistics(est, n, label)
    has_text = text is not None and any(t is not None for t in text)
    if strategy == "constant" or getattr(est, "keep_empty_features", False):
        keep = np.ones(n, dtype=bool)
    else:
        keep = ~np.isnan(stats)
        if text is not None:
            keep |= np.array([t is not None for t in text])
    if has_text:
        stats = np.where([t is not None for t in text], 0.0, stats)
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
    params = {"strategy": str(strategy), "add_indicator": bool(est.add_indicator)}
    if has_text:
        params["text_fill"] = [t if k else None for t, k in zip(text, keep)]
    return ConvertedStep(
        type="simple_imputer",
        params=params,
        tensors=tensors,
        n_features_in=n,
        n_features_out=n_out,
    )


def _missing_mask(X: np.ndarray) -> np.ndarray:
    if X.dtype != object:
        return np.isnan(X)
    return np.vectorize(_is_missing, otypes=[bool])(X) if X.size else np.zeros(X.shape, dtype=bool)


def simple_imputer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute. Float64 input (all numeric) gives
    float64; object input (text columns: str, missing as NaN or None) gives object."""
    X = np.asarray(X)
    if X.dtype != object:
        X = np.asarray(X, dtype=np.float64)
    keep = tensors["keep"].astype(bool)
    text_fill = step["params"].get("text_fill")
    fill = list(tensors["statistics"])
    if text_fill is not None:
        fill = [t if t is not None else f for t, f in zip(text_fill, fill)]
    missing = _missing_mask(X)
    Y = np.array(X[:, keep], copy=True)
    kept_fill = [f for f, k in zip(fill, keep) if k]
    for t, f in enumerate(kept_fill):
        Y[missing[:, keep][:, t], t] = f
    if step["params"]["add_indicator"]:
        ind = missing[:, tensors["indicator_features"]].astype(np.float64)
        Y = np.hstack([Y, ind.astype(Y.dtype)])
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


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {
    SimpleImputer: Converter(convert_simple_imputer),
    MissingIndicator: Converter(convert_missing_indicator, check_missing_indicator),
}
KERNELS = {"simple_imputer": simple_imputer, "missing_indicator": missing_indicator}
