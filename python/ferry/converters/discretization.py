"""KBinsDiscretizer -> step type ``kbins_discretizer`` (C++ twin: src/pipeline/kbins_discretizer.cpp).

docs/format.md section 4.11: the bin of ``x`` in column ``j`` is the number of inner
edges of ``j`` that are <= x (``np.searchsorted(bin_edges_[j][1:-1], x, side="right")``);
``encode`` ``ordinal`` writes that index, ``onehot-dense`` writes ``n_bins[j]``
indicator columns per input column.
"""

from __future__ import annotations

from typing import Dict, List, Optional

import numpy as np

from sklearn.preprocessing import KBinsDiscretizer

from . import ConversionError, ConvertedStep, Converter

ENCODINGS = ("ordinal", "onehot-dense")


def check_kbins_discretizer(est) -> Optional[str]:
    if est.encode not in ENCODINGS:
        return (f"encode={est.encode!r} returns a sparse matrix, which ferry does not produce; "
                "use encode='onehot-dense' (same values, dense) or 'ordinal'")
    if est.dtype is not None and np.dtype(est.dtype) != np.float64:
        return f"dtype={np.dtype(est.dtype).name} rounds the input before binning; use dtype=None or np.float64"
    return None


def convert_kbins_discretizer(est, label: str) -> ConvertedStep:
    reason = check_kbins_discretizer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    n = int(est.n_features_in_)
    n_bins = [int(b) for b in np.asarray(est.n_bins_).reshape(-1)]
    if len(n_bins) != n or len(est.bin_edges_) != n:
        raise ConversionError(f"{label}: n_bins_ and bin_edges_ must have one entry per input column ({n})")
    inner: List[np.ndarray] = []
    for j, (edges, b) in enumerate(zip(est.bin_edges_, n_bins)):
        edges = np.asarray(edges, dtype=np.float64)
        if b < 1 or edges.shape != (b + 1,):
            raise ConversionError(f"{label}: bin_edges_[{j}] has {edges.size} edges for n_bins_[{j}] = {b}")
        cut = edges[1:-1]  # the outer edges are never compared (and are +-inf for a constant column)
        if not np.all(np.isfinite(cut)) or np.any(np.diff(cut) < 0):
            raise ConversionError(f"{label}: bin_edges_[{j}] is not finite and sorted")
        inner.append(cut)
    n_out = sum(n_bins) if est.encode == "onehot-dense" else n
    return ConvertedStep(
        type="kbins_discretizer",
        params={"encode": est.encode, "n_bins": n_bins},
        tensors={"edges": np.concatenate(inner) if inner else np.zeros(0)},
        n_features_in=n,
        n_features_out=n_out,
    )


def _inner_edges(step: dict, edges: np.ndarray) -> List[np.ndarray]:
    out, at = [], 0
    for b in step["params"]["n_bins"]:
        out.append(edges[at: at + b - 1])
        at += b - 1
    return out


def kbins_discretizer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    X = np.asarray(X, dtype=np.float64)
    bins = [np.searchsorted(cut, X[:, j], side="right")
            for j, cut in enumerate(_inner_edges(step, tensors["edges"]))]
    if step["params"]["encode"] == "ordinal":
        return np.column_stack(bins).astype(np.float64) if bins else np.zeros((X.shape[0], 0))
    blocks = []
    for b, idx in zip(step["params"]["n_bins"], bins):
        block = np.zeros((X.shape[0], b))
        block[np.arange(X.shape[0]), idx] = 1.0
        blocks.append(block)
    return np.hstack(blocks)


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {KBinsDiscretizer: Converter(convert_kbins_discretizer, check_kbins_discretizer)}
KERNELS = {"kbins_discretizer": kbins_discretizer}
