"""Feature selectors -> step type ``select_columns`` (C++ twin: src/pipeline/select_columns.cpp).

docs/format.md section 4.21. Every scikit-learn selector (``SelectorMixin``) transforms by
keeping the columns of its fitted ``get_support()``, however it chose them (variances,
univariate scores, a model's importances, recursive elimination), so only that mask
travels, as the kept column indices: the fitted estimator inside ``SelectFromModel`` / ``RFE``
is never exported. The output is a copy of the kept columns, bit-identical to scikit-learn.

Missing values: ``SelectorMixin.transform`` accepts NaN exactly when the selector's
``allow_nan`` tag says so (``VarianceThreshold`` always; ``SelectFromModel``, ``RFE``,
``RFECV`` and ``SequentialFeatureSelector`` when their estimator does; the univariate
selectors never) and then refuses the whole batch for a NaN in *any* column, kept or not.
``params.allow_nan`` carries that tag so both readers refuse or pass the same rows.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np
from sklearn.feature_selection import (
    RFE,
    RFECV,
    GenericUnivariateSelect,
    SelectFdr,
    SelectFpr,
    SelectFromModel,
    SelectFwe,
    SelectKBest,
    SelectPercentile,
    SequentialFeatureSelector,
    VarianceThreshold,
)
from sklearn.utils._tags import _safe_tags

from . import ConversionError, ConvertedStep, Converter

#: exact classes whose transform is SelectorMixin's (keep get_support() columns); a subclass
#: may override transform, so it is not in this list until checked
SELECTORS = (
    VarianceThreshold,
    SelectKBest,
    SelectPercentile,
    GenericUnivariateSelect,
    SelectFpr,
    SelectFdr,
    SelectFwe,
    SelectFromModel,
    RFE,
    RFECV,
    SequentialFeatureSelector,
)


def check_selector(est) -> Optional[str]:
    try:
        mask = np.asarray(est.get_support())
    except Exception as e:  # a selector whose fitted state cannot give its mask
        return f"get_support() failed: {e}"
    if mask.ndim != 1 or mask.dtype != bool:
        return f"get_support() gave {mask.dtype} of shape {mask.shape}, not a boolean mask"
    if not mask.any():
        # scikit-learn only warns and outputs zero columns, which no estimator after it accepts.
        return "it selected no feature (scikit-learn warns 'No features were selected')"
    return None


def convert_selector(est, label: str) -> ConvertedStep:
    reason = check_selector(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    mask = np.asarray(est.get_support())
    n = int(getattr(est, "n_features_in_", len(mask)))
    if len(mask) != n:
        raise ConversionError(f"{label}: get_support() has {len(mask)} entries for {n} input features")
    columns = np.flatnonzero(mask).astype(np.int64)
    return ConvertedStep(
        type="select_columns",
        params={"allow_nan": bool(_safe_tags(est, key="allow_nan"))},
        tensors={"columns": columns},
        n_features_in=n,
        n_features_out=len(columns),
    )


def select_columns(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    X = np.asarray(X, dtype=np.float64)
    if not step["params"]["allow_nan"] and np.isnan(X).any():
        raise ValueError("a missing value reaches a selector that refuses NaN (allow_nan=false)")
    return X[:, tensors["columns"]]


#: what this module registers (converters/__init__.py collects the tables of every module)
# a selector copies values: a sparse matrix gives what its dense form gives
PREPROCESSORS = {cls: Converter(convert_selector, check_selector, same_on_sparse=lambda est: True) for cls in SELECTORS}
KERNELS = {"select_columns": select_columns}
