"""Scalers -> step type ``standard_scaler`` (C++ twin: src/pipeline/standard_scaler.cpp).

docs/format.md section 4.1: ``y = (x - mean) / scale`` column by column; ``mean``
present iff ``with_mean``, ``scale`` present iff ``with_std``.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from . import ConversionError, ConvertedStep


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
