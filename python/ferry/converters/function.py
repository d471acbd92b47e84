"""FunctionTransformer -> step type ``function_transformer``
(C++ twin: src/pipeline/function_transformer.cpp).

docs/format.md section 4, function_transformer: ``y = f(x)`` element by element, ``f`` one of a
whitelist of numpy ufuncs named by ``params.func``. Any other ``func`` (a
lambda, a partial, another ufunc, a function of your own) is refused at
export: ferry executes nothing from a file, so it can only run functions it
knows. A finite value that ``f`` turns into NaN or an infinity (log of a
negative number, exp overflow) is a value error naming the row and column,
where scikit-learn would pass NaN on to an estimator that refuses it.
"""

from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from sklearn.preprocessing import FunctionTransformer

from . import ConversionError, ConvertedStep, Converter

#: the `func` param -> the numpy ufunc it stands for (None: FunctionTransformer(func=None))
FUNCTIONS: Dict[str, Any] = {
    "identity": None,
    "log": np.log,
    "log1p": np.log1p,
    "exp": np.exp,
    "expm1": np.expm1,
    "sqrt": np.sqrt,
    "abs": np.abs,  # np.absolute is the same object
    "square": np.square,
}
_SUPPORTED = "numpy's log, log1p, exp, expm1, sqrt, abs (absolute), square, or None"


def describe_callable(func: Any) -> str:
    if isinstance(func, np.ufunc):
        return f"numpy.{func.__name__}"
    qualname = getattr(func, "__qualname__", None)
    module = getattr(func, "__module__", None)
    if qualname:
        return f"{module}.{qualname}" if module else qualname
    return repr(func)


def func_name(func: Any) -> Optional[str]:
    """The ``params.func`` for a FunctionTransformer's func, None when it is not supported."""
    for name, f in FUNCTIONS.items():
        if func is f:
            return name
    return None


def check_function_transformer(est) -> Optional[str]:
    if func_name(est.func) is None:
        return f"func={describe_callable(est.func)} is not supported; ferry runs only {_SUPPORTED}"
    if est.kw_args:
        return f"kw_args={est.kw_args!r} is not supported; ferry runs the function without arguments"
    return None


def convert_function_transformer(est, label: str) -> ConvertedStep:
    reason = check_function_transformer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    n = getattr(est, "n_features_in_", None)
    if n is None:
        raise ConversionError(f"{label}: n_features_in_ is unknown; fit it on a 2-D array or a DataFrame")
    n = int(n)
    return ConvertedStep(
        type="function_transformer",
        params={"func": func_name(est.func)},
        tensors={},
        n_features_in=n,
        n_features_out=n,
    )


def function_transformer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute; ValueError naming the first row and
    column where a finite value becomes NaN or infinite."""
    X = np.asarray(X, dtype=np.float64)
    f = FUNCTIONS[step["params"]["func"]]
    if f is None:
        return X.copy()
    with np.errstate(all="ignore"):
        Y = f(X)
    bad = ~np.isfinite(Y) & np.isfinite(X)
    if np.any(bad):
        i, j = (int(v) for v in np.argwhere(bad)[0])
        raise ValueError(
            f"row {i}, column {j}: {step['params']['func']}({X[i, j]!r}) is {Y[i, j]!r}, which the model cannot use"
        )
    return Y


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {FunctionTransformer: Converter(convert_function_transformer, check_function_transformer)}
KERNELS = {"function_transformer": function_transformer}
