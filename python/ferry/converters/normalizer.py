"""Normalizer -> step type ``normalizer`` (C++ twin: src/pipeline/normalizer.cpp).

docs/format.md section 4: each row divided by its ``l1``, ``l2`` or ``max`` norm, as
``sklearn.preprocessing.normalize`` computes it for a C-contiguous float64 array; norms
below ``10 * eps`` are replaced by 1, so rows of zeros stay zeros. Normalizer is
stateless: only ``norm`` and the width (``n_features_in_``, set by ``fit``) are stored.
"""

from __future__ import annotations

from typing import Dict

import numpy as np

from sklearn.preprocessing import Normalizer

from . import ConversionError, ConvertedStep, Converter

NORMS = ("l1", "l2", "max")


def convert_normalizer(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    if not isinstance(est.norm, str) or est.norm not in NORMS:
        raise ConversionError(f"{label}: norm={est.norm!r} is not supported; use one of {', '.join(NORMS)}")
    return ConvertedStep(type="normalizer", params={"norm": est.norm}, tensors={}, n_features_in=n, n_features_out=n)


def normalizer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute, with scikit-learn's own
    operations on a row-major copy (the summation order numpy uses for that layout)."""
    Y = np.array(X, dtype=np.float64, order="C", copy=True)
    norm = step["params"]["norm"]
    if norm == "l1":
        norms = np.abs(Y).sum(axis=1)
    elif norm == "l2":
        norms = np.sqrt(np.einsum("ij,ij->i", Y, Y))
    else:
        norms = np.max(np.abs(Y), axis=1)
    norms[norms < 10 * np.finfo(np.float64).eps] = 1.0
    Y /= norms[:, np.newaxis]
    return Y


#: what this module registers (converters/__init__.py collects the tables of every module)
# On a sparse matrix scikit-learn's normalize has its own kernels (each row's entries in order,
# no tiny-norm rule), which ferry's normalizer runs on sparse rows too.
PREPROCESSORS = {Normalizer: Converter(convert_normalizer, same_on_sparse=lambda est: True)}
KERNELS = {"normalizer": normalizer}
