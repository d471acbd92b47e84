"""SplineTransformer -> step type ``spline_transformer`` (C++ twin: src/pipeline/spline_transformer.cpp).

docs/format.md section 4.14: every input column becomes the values of its B-spline basis
(SciPy's BSpline with the identity as coefficients) on the stored knots, with scikit-learn
1.2.1's extrapolation modes.
"""

from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from sklearn.preprocessing import SplineTransformer

from . import ConversionError, ConvertedStep, Converter

EXTRAPOLATIONS = ("error", "constant", "linear", "continue", "periodic")


def _knots(est) -> np.ndarray:
    """The full knot vectors of scikit-learn's bsplines_, one column per input column."""
    return np.column_stack([np.asarray(s.t, dtype=np.float64) for s in est.bsplines_])


def check_spline_transformer(est) -> Optional[str]:
    degree = int(est.degree)
    if est.extrapolation not in EXTRAPOLATIONS:
        return f"extrapolation={est.extrapolation!r} is not one of {', '.join(EXTRAPOLATIONS)}"
    if est.extrapolation == "constant" and degree == 0:
        return ("extrapolation='constant' with degree=0: scikit-learn itself fails on values above the last "
                "knot; use degree >= 1 or another extrapolation")
    if est.extrapolation == "linear" and degree <= 1 and int(est.n_features_in_) > 1:
        return ("extrapolation='linear' with degree <= 1 on more than one column: scikit-learn 1.2.1 raises its "
                "local degree inside the loop over columns, so every column after the first is extrapolated from "
                "other boundaries than the fitted ones; use degree >= 2, one SplineTransformer per column, or "
                "extrapolation='constant'")
    t = _knots(est)
    if not np.all(np.isfinite(t)):
        return "the knots are not finite"
    if est.extrapolation == "linear" and degree > 0 and np.any(t[degree:] <= t[:-degree]):
        j = int(np.argwhere(t[degree:] <= t[:-degree])[0][1])
        return (f"extrapolation='linear' with a knot repeated more than degree times in column {j} (a column "
                "with few distinct values and knots='quantile'?): scikit-learn's boundary slope then depends on "
                "uninitialised memory; use knots='uniform' or extrapolation='constant'")
    if est.extrapolation == "periodic":
        n = t.shape[0] - degree - 1
        flat = np.flatnonzero(~(t[n] > t[degree]))
        if flat.size:
            return f"extrapolation='periodic' with a period of zero in column {int(flat[0])} (a constant column?)"
    return None


def convert_spline_transformer(est, label: str) -> ConvertedStep:
    reason = check_spline_transformer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    n = int(est.n_features_in_)
    degree = int(est.degree)
    t = _knots(est)
    n_knots = t.shape[0] - 2 * degree
    if t.shape[1] != n or n_knots < 2:
        raise ConversionError(f"{label}: bsplines_ do not hold {n} knot vectors of at least {2 * degree + 2} knots")
    n_splines = n_knots - 1 if est.extrapolation == "periodic" else n_knots + degree - 1
    n_out = n * (n_splines if est.include_bias else n_splines - 1)
    if n_out != int(est.n_features_out_):
        raise ConversionError(f"{label}: n_features_out_ {est.n_features_out_} != {n_out} from the knots")
    return ConvertedStep(
        type="spline_transformer",
        params={
            "degree": degree,
            "n_knots": int(n_knots),
            "extrapolation": est.extrapolation,
            "include_bias": bool(est.include_bias),
        },
        tensors={"knots": t},
        n_features_in=n,
        n_features_out=n_out,
    )


def spline_transformer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: SplineTransformer.transform on the stored knots."""
    from scipy.interpolate import BSpline

    X = np.asarray(X, dtype=np.float64)
    p = step["params"]
    k, mode = p["degree"], p["extrapolation"]
    knots = tensors["knots"]
    n_knots = p["n_knots"]
    n_splines = n_knots - 1 if mode == "periodic" else n_knots + k - 1
    coef = np.eye(n_splines)
    if mode == "periodic":
        coef = np.concatenate((coef, coef[:k, :]))
    out = np.zeros((X.shape[0], X.shape[1] * n_splines))
    for i in range(X.shape[1]):
        spl = BSpline.construct_fast(np.ascontiguousarray(knots[:, i]), coef, k,
                                     extrapolate=mode in ("periodic", "continue"))
        cols = slice(i * n_splines, (i + 1) * n_splines)
        x = X[:, i]
        lo, hi = spl.t[k], spl.t[spl.t.size - k - 1]
        if mode == "periodic":
            out[:, cols] = spl(lo + (x - lo) % (hi - lo))
        elif mode == "continue":
            out[:, cols] = spl(x)
        elif mode == "error":
            bad = np.flatnonzero(~((x >= lo) & (x <= hi)))
            if bad.size:
                raise ValueError(f"row {bad[0]}, column {i}: {x[bad[0]]!r} is outside the spline knots [{lo}, {hi}]")
            out[:, cols] = spl(x)
        else:
            inside = (lo <= x) & (x <= hi)
            out[np.ix_(inside, np.arange(cols.start, cols.stop))] = spl(x[inside])
            f_min, f_max = spl(lo), spl(hi)
            below, above = x < lo, x > hi
            if mode == "constant":
                out[below, cols.start: cols.start + k] = f_min[:k]
                out[above, cols.stop - k: cols.stop] = f_max[-k:]
            else:
                fp_min, fp_max = spl(lo, nu=1), spl(hi, nu=1)
                for j in range(k + 1 if k <= 1 else k):
                    out[below, cols.start + j] = f_min[j] + (x[below] - lo) * fp_min[j]
                    m = n_splines - 1 - j
                    out[above, cols.start + m] = f_max[m] + (x[above] - hi) * fp_max[m]
    if p["include_bias"]:
        return out
    keep = [j for j in range(out.shape[1]) if (j + 1) % n_splines != 0]
    return out[:, keep]


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {SplineTransformer: Converter(convert_spline_transformer, check_spline_transformer)}
KERNELS = {"spline_transformer": spline_transformer}
