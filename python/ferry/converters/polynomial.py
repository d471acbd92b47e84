"""PolynomialFeatures -> step type ``polynomial_features``
(C++ twin: src/pipeline/polynomial_features.cpp).

docs/format.md section 4, polynomial_features: one output column per row of ``powers`` (int64
``[n_features_out, n_features_in]``, scikit-learn's ``powers_``), in
scikit-learn's order; the column of the term x[c1] x[c2] ... x[cd]
(c1 <= ... <= cd) is ``((x[cd] * x[cd-1]) * ...) * x[c1]``, the multiplication
order of scikit-learn's dense transform, so the values agree bit for bit.
"""

from __future__ import annotations

from itertools import chain, combinations, combinations_with_replacement
from typing import Dict, Iterator, Tuple

import numpy as np

from sklearn.preprocessing import PolynomialFeatures

from . import ConversionError, ConvertedStep, Converter

#: the largest max_degree the format allows (docs/format.md section 4, polynomial_features)
MAX_DEGREE = 64


def terms(n: int, min_degree: int, max_degree: int, interaction_only: bool, include_bias: bool) -> Iterator[Tuple[int, ...]]:
    """scikit-learn's enumeration of the terms (PolynomialFeatures._combinations)."""
    comb = combinations if interaction_only else combinations_with_replacement
    it = chain.from_iterable(comb(range(n), d) for d in range(max(1, min_degree), max_degree + 1))
    if include_bias:
        it = chain([()], it)
    return it


def powers_for(n: int, min_degree: int, max_degree: int, interaction_only: bool, include_bias: bool) -> np.ndarray:
    rows = [np.bincount(np.asarray(t, dtype=np.int64), minlength=n) for t in terms(n, min_degree, max_degree, interaction_only, include_bias)]
    if not rows:
        return np.zeros((0, n), dtype=np.int64)
    return np.vstack(rows).astype(np.int64)


def convert_polynomial_features(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    # The fitted degrees (fit() resolves an int degree d to (0, d)).
    min_degree, max_degree = int(est._min_degree), int(est._max_degree)
    interaction_only, include_bias = bool(est.interaction_only), bool(est.include_bias)
    if max_degree > MAX_DEGREE:
        raise ConversionError(f"{label}: degree {max_degree} is above the largest degree ferry supports ({MAX_DEGREE})")
    powers = np.asarray(est.powers_, dtype=np.int64)
    expected = powers_for(n, min_degree, max_degree, interaction_only, include_bias)
    if powers.shape != expected.shape or not np.array_equal(powers, expected):
        raise ConversionError(f"{label}: powers_ does not follow scikit-learn 1.2's order of terms")
    n_out = int(est.n_output_features_)
    if n_out != powers.shape[0]:
        raise ConversionError(f"{label}: n_output_features_ = {n_out} but powers_ has {powers.shape[0]} rows")
    return ConvertedStep(
        type="polynomial_features",
        params={
            "min_degree": min_degree,
            "max_degree": max_degree,
            "interaction_only": interaction_only,
            "include_bias": include_bias,
        },
        tensors={"powers": np.ascontiguousarray(powers)},
        n_features_in=n,
        n_features_out=n_out,
    )


def polynomial_features(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute, in the multiplication order of the spec."""
    X = np.asarray(X, dtype=np.float64)
    powers = tensors["powers"]
    out = np.empty((X.shape[0], powers.shape[0]), dtype=np.float64)
    for r, row in enumerate(powers):
        v = np.ones(X.shape[0], dtype=np.float64)
        for j in range(len(row) - 1, -1, -1):  # highest column first
            for _ in range(int(row[j])):
                v = v * X[:, j]
        out[:, r] = v
    return out


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {PolynomialFeatures: Converter(convert_polynomial_features)}
KERNELS = {"polynomial_features": polynomial_features}
