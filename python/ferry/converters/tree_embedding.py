"""RandomTreesEmbedding -> step type ``tree_embedding`` (C++ twin: src/pipeline/tree_embedding.cpp;
docs/format.md 4.52).

scikit-learn 1.2.1's ``RandomTreesEmbedding.transform(X)`` is
``one_hot_encoder_.transform(self.apply(X))``: each tree's leaf for the row (``apply``: X as
float32, ``X[i, feature] <= threshold`` against the float64 threshold), one-hot encoded with the
leaves seen at fit as categories, which are all the leaves (every leaf holds a training row).
Column ``c`` of the output is a (tree, leaf) pair in the encoder's order: tree by tree, leaves by
ascending node id. ferry writes the dense form: the same values as the sparse matrix scikit-learn
gives with ``sparse_output=True``, which the exporter accepts only before the steps that compute
the same on a dense matrix, as for a sparse OneHotEncoder.
"""

from __future__ import annotations

from typing import Dict

import numpy as np
from sklearn.ensemble import RandomTreesEmbedding

from . import ConversionError, ConvertedStep, Converter


def convert_random_trees_embedding(est, label: str) -> ConvertedStep:
    n = int(est.n_features_in_)
    enc = est.one_hot_encoder_
    if enc.drop_idx_ is not None or getattr(enc, "_infrequent_enabled", False):
        raise ConversionError(f"{label}: its one_hot_encoder_ drops or groups leaves")
    offsets, feature, threshold, left, right, column = [0], [], [], [], [], []
    col = 0
    for t, tree in enumerate(est.estimators_):
        tree_ = tree.tree_
        lc = np.asarray(tree_.children_left, dtype=np.int64)
        rc = np.asarray(tree_.children_right, dtype=np.int64)
        leaves = np.flatnonzero(lc < 0)
        categories = np.asarray(enc.categories_[t])
        if categories.shape != leaves.shape or not np.array_equal(categories.astype(np.int64), leaves):
            raise ConversionError(f"{label}: tree {t}'s leaves are not its one_hot_encoder_ categories")
        cols = np.full(lc.shape[0], -1, dtype=np.int64)
        cols[leaves] = col + np.arange(leaves.size)
        col += leaves.size
        leaf = lc < 0
        feature.append(np.where(leaf, -1, np.asarray(tree_.feature, dtype=np.int64)))
        threshold.append(np.asarray(tree_.threshold, dtype=np.float64))
        left.append(np.where(leaf, -1, lc))
        right.append(np.where(leaf, -1, rc))
        column.append(cols)
        offsets.append(offsets[-1] + lc.shape[0])
    if col != len(est.get_feature_names_out()):
        raise ConversionError(f"{label}: {col} leaves for {len(est.get_feature_names_out())} output columns")
    tensors: Dict[str, np.ndarray] = {
        "tree_offsets": np.asarray(offsets, dtype=np.int64),
        "feature": np.concatenate(feature),
        "threshold": np.concatenate(threshold),
        "left": np.concatenate(left),
        "right": np.concatenate(right),
        "column": np.concatenate(column),
    }
    if not np.all(np.isfinite(tensors["threshold"])):
        raise ConversionError(f"{label}: a threshold is not finite")
    return ConvertedStep(
        type="tree_embedding",
        params={"n_trees": len(est.estimators_), "n_nodes": int(offsets[-1]),
                **({"sparse_output": True} if est.sparse_output else {})},
        tensors=tensors,
        n_features_in=n,
        n_features_out=col,
    )


def tree_embedding(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.52): every tree walked on float32 values, one-hot leaves."""
    X = np.asarray(X, dtype=np.float64)
    with np.errstate(over="ignore"):
        X32 = X.astype(np.float32)
    if not np.all(np.isfinite(X32)):
        raise ValueError("Input contains infinity or a value too large for dtype('float32')")
    Xw = X32.astype(np.float64)
    off = tensors["tree_offsets"]
    out = np.zeros((X.shape[0], step["n_features_out"]))
    rows = np.arange(X.shape[0])
    for t in range(len(off) - 1):
        node = np.full(X.shape[0], off[t], dtype=np.int64)
        while True:
            inner = tensors["left"][node] >= 0
            if not inner.any():
                break
            f = np.where(inner, tensors["feature"][node], 0)
            go_left = Xw[rows, f] <= tensors["threshold"][node]
            child = np.where(go_left, tensors["left"][node], tensors["right"][node])
            node = np.where(inner, off[t] + child, node)
        out[rows, tensors["column"][node]] = 1.0
    return out


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {RandomTreesEmbedding: Converter(convert_random_trees_embedding)}
KERNELS = {"tree_embedding": tree_embedding}
