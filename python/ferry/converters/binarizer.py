"""Binarizer -> step type ``binarizer`` (C++ twin: src/pipeline/binarizer.cpp).

docs/format.md section 4: ``y = 1 if x > threshold else 0``, element by element.
Binarizer is stateless: only ``threshold`` and the width (``n_features_in_``, set by
``fit``) are stored.
"""

from __future__ import annotations

import math
from typing import Dict

import numpy as np

from sklearn.preprocessing import Binarizer

from . import ConversionError, ConvertedStep, Converter


def convert_binarizer(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    try:
        threshold = float(est.threshold)
    except (TypeError, ValueError, OverflowError):
        raise ConversionError(f"{label}: threshold={est.threshold!r} is not a number") from None
    if not math.isfinite(threshold):
        raise ConversionError(f"{label}: threshold={est.threshold!r} is not supported; it must be finite")
    return ConvertedStep(
        type="binarizer", params={"threshold": threshold}, tensors={}, n_features_in=n, n_features_out=n
    )


def binarizer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    X = np.asarray(X, dtype=np.float64)
    return np.where(X > step["params"]["threshold"], 1.0, 0.0)


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {Binarizer: Converter(convert_binarizer)}
KERNELS = {"binarizer": binarizer}
