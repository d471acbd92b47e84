"""The background distribution of interventional SHAP (docs/format.md 3.5): the exporter's
sample summarised into at most ``max_rows`` weighted rows."""

from typing import List, Optional, Tuple

import numpy as np

from .format import MAX_BACKGROUND_ROWS

__all__ = ["summarize", "MAX_BACKGROUND_ROWS"]


def _features(codes: np.ndarray, categories: List[Optional[List[str]]]) -> np.ndarray:
    """Rows as points for k-means: numeric columns standardised (a missing value at the mean,
    plus an indicator), categorical columns one-hot (missing as a category of its own)."""
    parts = []
    for j, cats in enumerate(categories):
        col = codes[:, j]
        missing = np.isnan(col)
        if cats is None:
            seen = col[~missing]
            mean = seen.mean() if seen.size else 0.0
            std = seen.std() if seen.size else 0.0
            parts.append(((np.where(missing, mean, col) - mean) / (std if std > 0 else 1.0))[:, None])
            if missing.any():
                parts.append(missing[:, None].astype(np.float64))
        else:
            index = np.where(missing, len(cats), col).astype(np.int64)
            parts.append(np.eye(len(cats) + 1)[index])
    return np.hstack(parts) if parts else np.zeros((codes.shape[0], 1))


def summarize(
    codes: np.ndarray, categories: List[Optional[List[str]]], max_rows: int, seed: int = 0
) -> Tuple[np.ndarray, np.ndarray]:
    """(rows, weights): the sample's distinct rows weighted by their counts when there are at
    most ``max_rows`` of them, else the medoids of ``max_rows`` k-means clusters weighted by
    cluster size. A medoid is an actual sample row, so every background value (a category, a
    missing value) is one the pipeline was shown, which a cluster centre would not be."""
    if not 1 <= max_rows <= MAX_BACKGROUND_ROWS:
        raise ValueError(f"background_rows must be in [1, {MAX_BACKGROUND_ROWS}], got {max_rows}")
    codes = np.ascontiguousarray(codes, dtype=np.float64)
    n = codes.shape[0]
    first: dict = {}
    counts: dict = {}
    for i, row in enumerate(codes):
        key = row.tobytes()  # NaN-safe: equal rows have equal bytes
        first.setdefault(key, i)
        counts[key] = counts.get(key, 0) + 1
    if len(first) <= max_rows:
        keys = sorted(first, key=first.get)
        return codes[[first[k] for k in keys]], np.array([counts[k] / n for k in keys])
    from sklearn.cluster import KMeans

    points = _features(codes, categories)
    km = KMeans(n_clusters=max_rows, n_init=4, random_state=seed).fit(points)
    rows, weights = [], []
    for c in range(max_rows):
        members = np.flatnonzero(km.labels_ == c)
        if members.size == 0:
            continue
        d = ((points[members] - km.cluster_centers_[c]) ** 2).sum(axis=1)
        rows.append(members[int(np.argmin(d))])
        weights.append(members.size / n)
    order = np.argsort(rows)  # sample order: the file does not depend on cluster numbering
    return codes[np.asarray(rows)[order]], np.asarray(weights, dtype=np.float64)[order]
