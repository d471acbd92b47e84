"""The ``tree_ensemble`` estimator (docs/format.md section 4.17; C++ twin:
src/models/tree_ensemble.cpp): the one representation every tree converter
(``trees.py`` for scikit-learn, ``xgboost.py`` for XGBoost) builds, and its
numpy reference kernel.

A converter describes each tree as a :class:`Tree` in the trainer's own node
numbering; :func:`assemble` checks it, renumbers a tree only when the trainer's
numbering breaks the format's "child after parent" rule, and flattens all trees
into the tensors of section 4.17.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np
from scipy.special import expit

from . import ConversionError

AGGREGATIONS = ("sum", "mean")
COMPARISONS = ("le_float32", "le_float64", "lt_float32")
MISSING = ("error", "default_left")
ACCUMULATE = ("float64", "float32")
LINKS = ("identity", "exp", "logistic", "softmax", "probability", "isolation")
MAX_DEPTH = 1024


@dataclass
class Tree:
    """One tree in the trainer's node numbering (root = node 0, leaf: ``feature < 0``)."""

    feature: np.ndarray  # int64 [n]
    threshold: np.ndarray  # float64 [n]; ignored at leaves and categorical splits
    left: np.ndarray  # int64 [n], -1 at leaves
    right: np.ndarray  # int64 [n]
    value: np.ndarray  # float64 [n, w]
    cover: np.ndarray  # float64 [n]
    default_left: Optional[np.ndarray] = None  # bool [n], with missing "default_left"
    #: node -> uint8 bytes of its category set (bit set = left); only categorical splits
    categories: Dict[int, np.ndarray] = field(default_factory=dict)


def float32_floor(t: np.ndarray) -> np.ndarray:
    """The largest float32 not above each float64 threshold (as float64).

    For a float32 ``x``, ``x <= t`` iff ``x <= float32_floor(t)``: the stored
    threshold then gives the same decisions in float32 and in float64."""
    t = np.asarray(t, dtype=np.float64)
    with np.errstate(over="ignore"):
        f = t.astype(np.float32)
    above = f.astype(np.float64) > t
    f[above] = np.nextafter(f[above], np.float32(-np.inf))
    # beyond float32's range: every finite float32 is below (or above) the threshold
    f = np.where(np.isposinf(f), np.finfo(np.float32).max, f)
    f = np.where(np.isneginf(f), -np.finfo(np.float32).max, f)
    return f.astype(np.float64)


def _preorder(tree: Tree, label: str) -> np.ndarray:
    """Reachable nodes from the root in depth-first pre-order (left first); checks the
    tree is a tree (no node reached twice) and within the depth limit."""
    n = tree.feature.shape[0]
    order: List[int] = []
    seen = np.zeros(n, dtype=bool)
    stack = [(0, 0)]
    while stack:
        node, depth = stack.pop()
        if not 0 <= node < n:
            raise ConversionError(f"{label}: child index {node} outside the tree's {n} nodes")
        if seen[node]:
            raise ConversionError(f"{label}: node {node} is reached twice")
        if depth > MAX_DEPTH:
            raise ConversionError(f"{label}: deeper than {MAX_DEPTH}, the format's limit")
        seen[node] = True
        order.append(node)
        if tree.feature[node] >= 0:
            stack.append((int(tree.right[node]), depth + 1))
            stack.append((int(tree.left[node]), depth + 1))
    return np.asarray(order, dtype=np.int64)


def _needs_renumbering(tree: Tree) -> bool:
    n = tree.feature.shape[0]
    internal = np.flatnonzero(tree.feature >= 0)
    children = np.concatenate([tree.left[internal], tree.right[internal]])
    if np.any(children <= np.concatenate([internal, internal])) or np.any(children >= n):
        return True
    # every non-root node has exactly one parent
    counts = np.bincount(children, minlength=n)
    return bool(counts[0] != 0 or np.any(counts[1:] != 1))


def _normalise(tree: Tree, label: str) -> Tree:
    """The same tree with node numbers the format accepts (the trainer's own when
    they already are: leaf indices then equal the trainer's ``apply()``)."""
    _preorder(tree, label)  # validates shape and depth
    if not _needs_renumbering(tree):
        return tree
    order = _preorder(tree, label)
    new_of = np.full(tree.feature.shape[0], -1, dtype=np.int64)
    new_of[order] = np.arange(order.size)
    internal = tree.feature[order] >= 0
    left = np.where(internal, new_of[np.where(internal, tree.left[order], 0)], -1)
    right = np.where(internal, new_of[np.where(internal, tree.right[order], 0)], -1)
    return Tree(
        feature=tree.feature[order],
        threshold=tree.threshold[order],
        left=left,
        right=right,
        value=tree.value[order],
        cover=tree.cover[order],
        default_left=None if tree.default_left is None else tree.default_left[order],
        categories={int(new_of[k]): v for k, v in tree.categories.items() if new_of[k] >= 0},
    )


def assemble(
    trees: Sequence[Tree],
    groups: Sequence[int],
    base_score: np.ndarray,
    *,
    n_features: int,
    aggregation: str,
    comparison: str,
    missing: str,
    accumulate: str,
    link: str,
    label: str,
    isolation: Optional[dict] = None,
) -> tuple:
    """(params, tensors) of a ``tree_ensemble`` step from per-tree descriptions."""
    if not trees:
        raise ConversionError(f"{label}: the ensemble has no trees")
    w = int(np.asarray(trees[0].value).shape[1])
    parts = []
    for t, tree in enumerate(trees):
        where = f"{label}: tree {t}"
        tree = Tree(
            feature=np.asarray(tree.feature, dtype=np.int64),
            threshold=np.asarray(tree.threshold, dtype=np.float64),
            left=np.asarray(tree.left, dtype=np.int64),
            right=np.asarray(tree.right, dtype=np.int64),
            value=np.asarray(tree.value, dtype=np.float64).reshape(len(tree.feature), -1),
            cover=np.asarray(tree.cover, dtype=np.float64),
            default_left=None if tree.default_left is None else np.asarray(tree.default_left, dtype=bool),
            categories=dict(tree.categories),
        )
        if tree.value.shape[1] != w:
            raise ConversionError(f"{where}: leaf values of width {tree.value.shape[1]}, expected {w}")
        if np.any(tree.feature >= n_features):
            raise ConversionError(f"{where}: a split on feature {int(tree.feature.max())} of {n_features}")
        tree = _normalise(tree, where)
        leaf = tree.feature < 0
        tree.feature[leaf] = -1
        tree.left[leaf] = -1
        tree.right[leaf] = -1
        numeric = ~leaf
        for node in tree.categories:
            numeric[node] = False
        tree.threshold = np.where(numeric, tree.threshold, 0.0)
        if not np.all(np.isfinite(tree.threshold)):
            raise ConversionError(f"{where}: a split threshold is not finite")
        if not (np.all(np.isfinite(tree.value)) and np.all(np.isfinite(tree.cover)) and np.all(tree.cover >= 0)):
            raise ConversionError(f"{where}: a node value or cover is not finite (or a cover is negative)")
        parts.append(tree)

    sizes = np.array([p.feature.shape[0] for p in parts], dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    cat = lambda a: np.ascontiguousarray(np.concatenate(a))  # noqa: E731
    tensors = {
        "tree_offsets": offsets,
        "tree_group": np.asarray(groups, dtype=np.int64),
        "feature": cat([p.feature for p in parts]),
        "threshold": cat([p.threshold for p in parts]),
        "left": cat([p.left for p in parts]),
        "right": cat([p.right for p in parts]),
        "cover": cat([p.cover for p in parts]),
        "value": cat([p.value for p in parts]).reshape(-1, w),
        "base_score": np.asarray(base_score, dtype=np.float64).reshape(-1),
    }
    if missing == "default_left":
        tensors["default_left"] = cat(
            [np.zeros(p.feature.shape[0], bool) if p.default_left is None else p.default_left for p in parts]
        ).astype(np.uint8)
    if any(p.categories for p in parts):
        categorical = np.full(int(offsets[-1]), -1, dtype=np.int64)
        sets: List[np.ndarray] = []
        for p, off in zip(parts, offsets[:-1]):
            for node in sorted(p.categories):
                categorical[off + node] = len(sets)
                sets.append(np.asarray(p.categories[node], dtype=np.uint8))
        tensors["categorical"] = categorical
        tensors["category_offsets"] = np.concatenate([[0], np.cumsum([s.size for s in sets])]).astype(np.int64)
        tensors["category_bits"] = np.concatenate(sets).astype(np.uint8) if sets else np.zeros(0, np.uint8)
    params = {
        "n_trees": len(parts),
        "leaf_width": w,
        "aggregation": aggregation,
        "comparison": comparison,
        "missing": missing,
        "accumulate": accumulate,
        "link": link,
    }
    if isolation is not None:
        params["isolation"] = isolation
    return params, tensors


def bitset(left_categories: Sequence[int], n_bits: int) -> np.ndarray:
    """uint8 bytes of a category set of ``n_bits`` bits (bit set = left)."""
    bits = np.zeros(n_bits, dtype=np.uint8)
    bits[np.asarray(list(left_categories), dtype=np.int64)] = 1
    return np.packbits(bits, bitorder="little")


# --------------------------------------------------------------------------- kernel


def _go_left(step: dict, tensors: Dict[str, np.ndarray], nodes: np.ndarray, x: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Direction at global ``nodes`` for the values ``x`` (docs/format.md 4.17)."""
    p = step["params"]
    comparison = p["comparison"]
    thr = tensors["threshold"][nodes]
    nan = np.isnan(x)
    if comparison == "le_float64":
        left = x <= thr
        xc = x
    else:
        with np.errstate(over="ignore"):
            x32 = x.astype(np.float32)
        xc = x32.astype(np.float64)
        if comparison == "le_float32":
            left = xc <= thr
        else:
            left = x32 < thr.astype(np.float32)
    missing_dir = np.zeros(x.shape, dtype=bool)
    if "default_left" in tensors:
        missing_dir = tensors["default_left"][nodes].astype(bool)
    unroutable = nan.copy()
    if "categorical" in tensors:
        c = tensors["categorical"][nodes]
        is_cat = c >= 0
        if np.any(is_cat):
            offs = tensors["category_offsets"]
            cs = c[is_cat]
            v = xc[is_cat]
            nbits = (offs[cs + 1] - offs[cs]) * 8
            ok = (v >= 0) & (v < nbits)  # NaN compares false
            vi = np.where(ok, np.floor(np.where(ok, v, 0)), 0).astype(np.int64)
            byte = tensors["category_bits"][np.where(ok, offs[cs] + vi // 8, 0)] if offs[-1] > 0 else np.zeros(vi.shape, np.uint8)
            bit = ((byte >> (vi % 8)) & 1).astype(bool)
            left[is_cat] = ok & bit
            unroutable[is_cat] = ~ok
    if np.any(unroutable):
        if p["missing"] == "error":
            r = int(rows[np.argmax(unroutable)])
            feat = int(tensors["feature"][nodes[np.argmax(unroutable)]])
            raise ValueError(f"row {r}, column {feat}: a missing value (NaN) or unknown category reached the trees")
        left = np.where(unroutable, missing_dir, left)
    return left


#: the smallest magnitude that rounds to infinity in float32 (2^128 - 2^103)
FLOAT32_OVERFLOW = 2.0**128 - 2.0**103


def _check_input(p: dict, X: np.ndarray) -> None:
    """Rows scikit-learn refuses before its trees see them: a NaN anywhere (``missing: error``,
    as its check_array), a value too large for float32 (float32 comparisons)."""
    bad = np.zeros(X.shape, dtype=bool)
    if p["missing"] == "error":
        bad |= np.isnan(X)
    if p["comparison"] != "le_float64":
        bad |= np.abs(X) >= FLOAT32_OVERFLOW
    if np.any(bad):
        r, c = (int(v) for v in np.argwhere(bad)[0])
        what = "a missing value (NaN)" if np.isnan(X[r, c]) else f"{X[r, c]!r}, too large for float32,"
        raise ValueError(f"row {r}, column {c}: {what} cannot go through these trees (scikit-learn refuses it too)")


def leaf_indices(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """int64 [rows, T]: the local index of the leaf each row reaches in each tree."""
    X = np.asarray(X, dtype=np.float64)
    _check_input(step["params"], X)
    n = X.shape[0]
    off = tensors["tree_offsets"]
    feature, left, right = tensors["feature"], tensors["left"], tensors["right"]
    T = off.size - 1
    out = np.zeros((n, T), dtype=np.int64)
    all_rows = np.arange(n)
    for t in range(T):
        local = np.zeros(n, dtype=np.int64)
        active = all_rows
        while active.size:
            g = off[t] + local[active]
            f = feature[g]
            inner = f >= 0
            active, g, f = active[inner], g[inner], f[inner]
            if not active.size:
                break
            go = _go_left(step, tensors, g, X[active, f], active)
            local[active] = np.where(go, left[g], right[g])
        out[:, t] = local
    return out


def raw_scores(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """float64 [rows, k]: the margin-space scores s of section 4.17."""
    p = step["params"]
    leaves = leaf_indices(step, tensors, X)
    off, group, value = tensors["tree_offsets"], tensors["tree_group"], tensors["value"]
    base = tensors["base_score"]
    w = p["leaf_width"]
    n, T = leaves.shape
    k = base.size
    if p["accumulate"] == "float32":
        acc = np.tile(base.astype(np.float32), (n, 1))
        for t in range(T):
            cols = slice(group[t] * w, group[t] * w + w)
            acc[:, cols] = acc[:, cols] + value[off[t] + leaves[:, t]].astype(np.float32)
        return acc.astype(np.float64)
    if p["aggregation"] == "mean":
        acc = np.zeros((n, k))
    else:
        acc = np.tile(base, (n, 1))
    for t in range(T):
        cols = slice(group[t] * w, group[t] * w + w)
        acc[:, cols] += value[off[t] + leaves[:, t]]
    if p["aggregation"] == "mean":
        acc = base + acc / T
    return acc


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def tree_ensemble(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """numpy kernel: predict (values or class indices), predict_proba, decision_function."""
    p = step["params"]
    link = p["link"]
    s = raw_scores(step, tensors, X)
    if task == "regression":
        if link == "exp":
            return {"predict": np.exp(s), "decision_function": s}
        if link == "logistic":
            return {"predict": expit(s), "decision_function": s}
        return {"predict": s, "decision_function": s}
    if link == "isolation":
        iso = p["isolation"]
        score = -(2.0 ** (-s[:, 0] / iso["scale"]))
        dec = score - iso["offset"]
        return {"predict": (dec >= 0).astype(np.int64), "decision_function": dec.reshape(-1, 1), "score_samples": score}
    if link == "probability":
        return {"predict": np.argmax(s, axis=1).astype(np.int64), "predict_proba": s}
    if link == "logistic":
        p1 = expit(s[:, 0])
        proba = np.column_stack([1.0 - p1, p1])
        return {"predict": (s[:, 0] > 0).astype(np.int64), "predict_proba": proba, "decision_function": s}
    # softmax over k = c scores
    return {"predict": np.argmax(s, axis=1).astype(np.int64), "predict_proba": _softmax(s), "decision_function": s}


#: what this module registers (converters/__init__.py collects the tables of every module)
KERNELS = {"tree_ensemble": tree_ensemble}
