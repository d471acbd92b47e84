"""PowerTransformer -> ``power_transformer`` and QuantileTransformer -> ``quantile_transformer``
(C++ twins: src/pipeline/power_transformer.cpp, src/pipeline/quantile_transformer.cpp).

docs/format.md sections 4.12 and 4.13 give the formulas; the numpy kernels below are their
reference semantics and repeat scikit-learn 1.2.1's operations.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from sklearn.preprocessing import PowerTransformer, QuantileTransformer

from . import ConversionError, ConvertedStep, Converter

POWER_METHODS = ("yeo-johnson", "box-cox")
OUTPUT_DISTRIBUTIONS = ("uniform", "normal")
#: sklearn.preprocessing._data.BOUNDS_THRESHOLD
BOUNDS_THRESHOLD = 1e-7


def _finite_vector(label: str, name: str, values, n: int) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (n,):
        raise ConversionError(f"{label}: {name} has shape {arr.shape}, expected ({n},)")
    if not np.all(np.isfinite(arr)):
        raise ConversionError(f"{label}: {name} has a non-finite value (was a column all NaN or constant?)")
    return arr


# --------------------------------------------------------------------------- PowerTransformer


def convert_power_transformer(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    if est.method not in POWER_METHODS:
        raise ConversionError(f"{label}: method={est.method!r} is not one of {', '.join(POWER_METHODS)}")
    tensors: Dict[str, np.ndarray] = {"lambdas": _finite_vector(label, "lambdas_", est.lambdas_, n)}
    standardize = bool(est.standardize)
    if standardize:
        scaler = est._scaler  # the StandardScaler fitted on the transformed training data
        if not (scaler.with_mean and scaler.with_std):
            raise ConversionError(f"{label}: the internal StandardScaler must centre and scale")
        tensors["mean"] = _finite_vector(label, "the internal scaler's mean_", scaler.mean_, n)
        scale = _finite_vector(label, "the internal scaler's scale_", scaler.scale_, n)
        if np.any(scale == 0):
            raise ConversionError(f"{label}: the internal scaler's scale_ has a zero")
        tensors["scale"] = scale
    return ConvertedStep(
        type="power_transformer",
        params={"method": est.method, "standardize": standardize},
        tensors=tensors,
        n_features_in=n,
        n_features_out=n,
    )


def _yeo_johnson(x: np.ndarray, lmbda: float) -> np.ndarray:
    """PowerTransformer._yeo_johnson_transform, operation for operation."""
    out = np.zeros_like(x)
    pos = x >= 0
    if abs(lmbda) < np.spacing(1.0):
        out[pos] = np.log1p(x[pos])
    else:
        out[pos] = (np.power(x[pos] + 1, lmbda) - 1) / lmbda
    if abs(lmbda - 2) > np.spacing(1.0):
        out[~pos] = -(np.power(-x[~pos] + 1, 2 - lmbda) - 1) / (2 - lmbda)
    else:
        out[~pos] = -np.log1p(-x[~pos])
    return out


def power_transformer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    from scipy.special import boxcox

    Y = np.array(X, dtype=np.float64, copy=True)
    box_cox = step["params"]["method"] == "box-cox"
    if box_cox:
        bad = np.argwhere(Y <= 0)
        if bad.size:
            i, j = bad[0]
            raise ValueError(f"row {i}, column {j}: {Y[i, j]!r} is not strictly positive (Box-Cox)")
    for j, lmbda in enumerate(tensors["lambdas"]):
        Y[:, j] = boxcox(Y[:, j], lmbda) if box_cox else _yeo_johnson(Y[:, j], lmbda)
    if step["params"]["standardize"]:
        Y -= tensors["mean"]
        Y /= tensors["scale"]
    return Y


# --------------------------------------------------------------------------- QuantileTransformer


def convert_quantile_transformer(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    if est.output_distribution not in OUTPUT_DISTRIBUTIONS:
        raise ConversionError(
            f"{label}: output_distribution={est.output_distribution!r} is not one of {', '.join(OUTPUT_DISTRIBUTIONS)}"
        )
    quantiles = np.asarray(est.quantiles_, dtype=np.float64)
    references = np.asarray(est.references_, dtype=np.float64)
    n_q = references.shape[0] if references.ndim == 1 else -1
    if n_q < 1 or quantiles.shape != (n_q, n):
        raise ConversionError(f"{label}: quantiles_ {quantiles.shape} and references_ {references.shape} do not match")
    if not np.all(np.isfinite(quantiles)):
        raise ConversionError(f"{label}: quantiles_ has a non-finite value (was a column all NaN?)")
    if np.any(np.diff(quantiles, axis=0) < 0):
        raise ConversionError(f"{label}: quantiles_ is not sorted in every column")
    if not (np.all(np.isfinite(references)) and np.all(np.diff(references) > 0)
            and references[0] >= 0 and references[-1] <= 1):
        raise ConversionError(f"{label}: references_ must increase strictly within [0, 1]")
    return ConvertedStep(
        type="quantile_transformer",
        params={"output_distribution": est.output_distribution, "n_quantiles": int(n_q)},
        tensors={"quantiles": quantiles, "references": references},
        n_features_in=n,
        n_features_out=n,
    )


def quantile_transformer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: QuantileTransformer._transform_col (forward) on every column."""
    from scipy import stats

    Y = np.array(X, dtype=np.float64, copy=True)
    quantiles, refs = tensors["quantiles"], tensors["references"]
    normal = step["params"]["output_distribution"] == "normal"
    for j in range(Y.shape[1]):
        x, q = Y[:, j], quantiles[:, j]
        with np.errstate(invalid="ignore"):
            if normal:
                lower, upper = x - BOUNDS_THRESHOLD < q[0], x + BOUNDS_THRESHOLD > q[-1]
            else:
                lower, upper = x == q[0], x == q[-1]
        y = 0.5 * (np.interp(x, q, refs) - np.interp(-x, -q[::-1], -refs[::-1]))
        y[np.isnan(x)] = np.nan
        y[upper] = 1
        y[lower] = 0
        if normal:
            with np.errstate(invalid="ignore"):
                y = np.clip(stats.norm.ppf(y),
                            stats.norm.ppf(BOUNDS_THRESHOLD - np.spacing(1)),
                            stats.norm.ppf(1 - (BOUNDS_THRESHOLD - np.spacing(1))))
        Y[:, j] = y
    return Y


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {
    PowerTransformer: Converter(convert_power_transformer),
    QuantileTransformer: Converter(convert_quantile_transformer),
}
KERNELS = {"power_transformer": power_transformer, "quantile_transformer": quantile_transformer}
