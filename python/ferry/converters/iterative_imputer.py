"""IterativeImputer -> step type ``iterative_imputer`` (C++ twin: src/pipeline/iterative_imputer.cpp;
docs/format.md 4.51).

scikit-learn 1.2.1's ``IterativeImputer.transform`` (dense input, ``missing_values=np.nan``):

1. ``initial_imputer_`` (a SimpleImputer) fills every missing value with its statistic; the
   columns whose statistic is NaN (all missing at fit) are dropped;
2. for each ``(feat_idx, neighbor_feat_idx, estimator)`` of ``imputation_sequence_``, in order,
   the rows where ``feat_idx`` was missing get
   ``np.clip(estimator.predict(X_filled[rows][:, neighbor_feat_idx]), _min_value[feat_idx],
   _max_value[feat_idx])``;
3. the observed values are put back (they were never changed), and with ``add_indicator`` the
   missing indicator's columns follow.

ferry takes the estimators whose ``predict`` is ``X @ coef_ + intercept_`` (the default
``BayesianRidge`` and the linear regressors below); ``sample_posterior=True`` (random draws) and
``keep_empty_features=True`` (scikit-learn 1.2.1 then re-imputes every value of the kept columns)
are refused. scikit-learn returns the initial fill alone when every value of the batch is
missing (``np.all(mask_missing_values)``); ferry treats rows one by one and runs the rounds for
such a row as scikit-learn does for it in any batch with one observed value.
"""

from __future__ import annotations

import sys
from typing import Dict, Optional

import numpy as np
from sklearn.experimental import enable_iterative_imputer  # noqa: F401
from sklearn.impute import IterativeImputer
from sklearn.linear_model import (ARDRegression, BayesianRidge, ElasticNet, HuberRegressor, Lasso, LassoLars,
                                  LinearRegression, Ridge, RidgeCV)

from . import ConversionError, ConvertedStep, Converter

#: estimators whose predict is X @ coef_ + intercept_ on dense input (LinearModel._decision_function)
LINEAR_ESTIMATORS = (BayesianRidge, ARDRegression, LinearRegression, Ridge, RidgeCV, Lasso, ElasticNet, LassoLars,
                     HuberRegressor)


def check_iterative_imputer(est) -> Optional[str]:
    if not (isinstance(est.missing_values, float) and np.isnan(est.missing_values)):
        return f"missing_values={est.missing_values!r}: only np.nan is supported"
    if est.sample_posterior:
        return "sample_posterior=True draws random imputations: fit with sample_posterior=False"
    if getattr(est, "keep_empty_features", False):
        return ("keep_empty_features=True: scikit-learn 1.2.1 then re-imputes every value of the kept columns; "
                "fit with keep_empty_features=False")
    for triplet in getattr(est, "imputation_sequence_", []):
        if type(triplet.estimator) not in LINEAR_ESTIMATORS:
            return (f"its estimator {type(triplet.estimator).__name__} is not supported inside IterativeImputer "
                    f"(only {', '.join(c.__name__ for c in LINEAR_ESTIMATORS)})")
    return None


def _bound(values, sign: float) -> np.ndarray:
    """_min_value / _max_value with the infinities scikit-learn stores as ∓DBL_MAX: np.clip gives
    the same finite values, and the format holds only finite numbers."""
    v = np.asarray(values, dtype=np.float64).copy()
    v[np.isinf(v)] = sign * sys.float_info.max
    return v


def convert_iterative_imputer(est, label: str) -> ConvertedStep:
    reason = check_iterative_imputer(est)
    if reason is not None:
        raise ConversionError(f"{label}: {reason}")
    n = int(est.n_features_in_)
    stats = np.asarray(est.initial_imputer_.statistics_, dtype=np.float64)
    columns = np.flatnonzero(~np.isnan(stats)).astype(np.int64)
    if columns.size == 0:
        raise ConversionError(f"{label}: every column was missing at fit")
    kept = columns.size
    fill = stats[columns]
    if not np.all(np.isfinite(fill)):
        raise ConversionError(f"{label}: the initial imputer's statistics_ are not finite")
    # max_iter=0: fit stops before it resolves the bounds, which no round reads then
    lo = _bound(getattr(est, "_min_value", np.full(kept, -np.inf)), -1.0)
    hi = _bound(getattr(est, "_max_value", np.full(kept, np.inf)), 1.0)
    if lo.shape != (kept,) or hi.shape != (kept,):
        raise ConversionError(f"{label}: _min_value / _max_value have shape {lo.shape} / {hi.shape}, expected ({kept},)")
    feature, offsets, neighbors, coef, intercept = [], [0], [], [], []
    for t, triplet in enumerate(est.imputation_sequence_):
        e = triplet.estimator
        c = np.asarray(e.coef_, dtype=np.float64).reshape(-1)
        idx = np.asarray(triplet.neighbor_feat_idx, dtype=np.int64).reshape(-1)
        if c.shape != idx.shape:
            raise ConversionError(f"{label}: imputation_sequence_[{t}]: coef_ has {c.size} values for {idx.size} "
                                  "neighbour features")
        b = float(np.asarray(e.intercept_, dtype=np.float64).reshape(-1)[0])
        if not (np.all(np.isfinite(c)) and np.isfinite(b)):
            raise ConversionError(f"{label}: imputation_sequence_[{t}]: coef_ or intercept_ is not finite")
        feature.append(int(triplet.feat_idx))
        neighbors.extend(int(i) for i in idx)
        coef.extend(float(v) for v in c)
        intercept.append(b)
        offsets.append(len(neighbors))
    tensors: Dict[str, np.ndarray] = {
        "columns": columns,
        "fill": np.ascontiguousarray(fill),
        "min_value": lo,
        "max_value": hi,
        "feature": np.asarray(feature, dtype=np.int64),
        "offsets": np.asarray(offsets, dtype=np.int64),
        "neighbors": np.asarray(neighbors, dtype=np.int64),
        "coef": np.asarray(coef, dtype=np.float64),
        "intercept": np.asarray(intercept, dtype=np.float64),
    }
    n_out = kept
    add_indicator = bool(est.add_indicator)
    if add_indicator:
        features = np.asarray(est.indicator_.features_, dtype=np.int64)
        tensors["indicator_features"] = features
        n_out += features.size
    return ConvertedStep(
        type="iterative_imputer",
        params={"n_kept": int(kept), "n_rounds": len(feature), "n_links": len(neighbors),
                "add_indicator": add_indicator},
        tensors=tensors,
        n_features_in=n,
        n_features_out=n_out,
    )


def iterative_imputer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.51), with scikit-learn's operations, row by row."""
    X = np.asarray(X, dtype=np.float64)
    columns = tensors["columns"]
    Xk = X[:, columns]
    missing = np.isnan(Xk)
    Z = np.where(missing, tensors["fill"], Xk)
    off, nb, coef = tensors["offsets"], tensors["neighbors"], tensors["coef"]
    for r, f in enumerate(tensors["feature"]):
        rows = missing[:, f]
        if not rows.any():
            continue
        c = coef[off[r]:off[r + 1]]
        v = np.ascontiguousarray(Z[rows][:, nb[off[r]:off[r + 1]]]) @ c + tensors["intercept"][r]
        Z[rows, f] = np.clip(v, tensors["min_value"][f], tensors["max_value"][f])
    if step["params"]["add_indicator"]:
        Z = np.hstack([Z, np.isnan(X[:, tensors["indicator_features"]]).astype(np.float64)])
    return Z


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {IterativeImputer: Converter(convert_iterative_imputer, check_iterative_imputer)}
KERNELS = {"iterative_imputer": iterative_imputer}
