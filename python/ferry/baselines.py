"""The drift baselines of an artifact (docs/format.md 3.6): what the exporter's sample and the
model's outputs on it looked like, so that a serving host can tell when its traffic moves away
from them (ferry::Monitor, ``ferry drift``).

Everything here is a pure function of the sample: sorted quantiles, counts and numpy's own
means, so that the same sample gives the same section, byte for byte.
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from .spec import LIMITS

#: value bins per numeric column and output (quantile bins of the sample)
DEFAULT_BINS = 10
#: categories listed per text column, the most frequent first; the rest are counted as "other"
DEFAULT_CATEGORIES = 20
MAX_BINS = LIMITS["max_baseline_bins"]
MAX_CATEGORIES = LIMITS["max_baseline_categories"]


def bin_index(edges: Sequence[float], values: np.ndarray) -> np.ndarray:
    """The bin of each value: the number of interior edges (``edges[1:-1]``) at or below it, so
    the outer bins are open-ended and a value equal to an edge goes to the bin above it."""
    interior = np.asarray(edges, dtype=np.float64)[1:-1]
    return np.searchsorted(interior, values, side="right")


def numeric(values: np.ndarray, bins: int) -> Dict[str, Any]:
    """Statistics and quantile bins of one numeric column (NaN = missing)."""
    v = np.asarray(values, dtype=np.float64)
    seen = v[~np.isnan(v)]
    entry: Dict[str, Any] = {"count": int(seen.size), "missing": int(v.size - seen.size)}
    if seen.size == 0:
        entry.update(mean=None, std=None, min=None, max=None, edges=[], counts=[])
        return entry
    # Equal quantiles (ties, a constant column) merge into one edge: the bins are those of
    # the distinct edges.
    edges = np.unique(np.quantile(seen, np.linspace(0.0, 1.0, bins + 1)))
    counts = np.bincount(bin_index(edges, seen), minlength=max(edges.size - 1, 1))
    entry.update(
        mean=float(np.mean(seen)),
        std=float(np.std(seen)),
        min=float(seen.min()),
        max=float(seen.max()),
        edges=[float(e) for e in edges],
        counts=[int(c) for c in counts],
    )
    return entry


def categorical(codes: np.ndarray, categories: List[str], top: int) -> Dict[str, Any]:
    """Frequencies of one text column given as indices into ``categories`` (NaN = missing): the
    ``top`` most frequent categories (ties in category order), the rest as ``other``."""
    c = np.asarray(codes, dtype=np.float64)
    seen = c[~np.isnan(c)].astype(np.int64)
    counts = np.bincount(seen, minlength=len(categories))
    order = sorted((k for k in range(len(categories)) if counts[k] > 0), key=lambda k: (-counts[k], k))[:top]
    listed = [{"value": categories[k], "count": int(counts[k])} for k in order]
    return {
        "count": int(seen.size),
        "missing": int(c.size - seen.size),
        "categories": listed,
        "other": int(seen.size - sum(e["count"] for e in listed)),
    }


def output_columns(schema: dict, outputs: Dict[str, np.ndarray]) -> List[Dict[str, Any]]:
    """Which model outputs get a baseline: each class probability (``proba_<label>``) when the
    model has predict_proba, else each decision_function column (``decision_<j>``); a regressor's
    predicted values (``prediction``, or ``prediction_<j>`` for several targets)."""
    if schema["task"] == "regression":
        k = outputs["predict"].shape[1]
        names = ["prediction"] if k == 1 else [f"prediction_{j}" for j in range(k)]
        return [{"name": n, "source": "predict", "index": j} for j, n in enumerate(names)]
    if "predict_proba" in outputs:
        return [{"name": f"proba_{label_text(v)}", "source": "predict_proba", "index": j}
                for j, v in enumerate(schema["classes"]["values"])]
    if "decision_function" in outputs:
        return [{"name": f"decision_{j}", "source": "decision_function", "index": j}
                for j in range(outputs["decision_function"].shape[1])]
    return []


def label_text(v: Any) -> str:
    """A class label as text, as ferry's ClassLabels::to_string (Python's spelling)."""
    if isinstance(v, bool):
        return "True" if v else "False"
    return repr(float(v)) if isinstance(v, float) else str(v)


def section(
    X: np.ndarray,
    schema: dict,
    categories: List[Optional[List[str]]],
    outputs: Dict[str, np.ndarray],
    bins: int = DEFAULT_BINS,
    top: int = DEFAULT_CATEGORIES,
) -> Dict[str, Any]:
    """The ``baseline`` section for the sample ``X`` (rows x inputs, text as category indices,
    NaN missing) and the model's outputs on it (``predict``, ``predict_proba``,
    ``decision_function`` as :func:`ferry.exporter.evaluate` gives them)."""
    if not (isinstance(bins, int) and 1 <= bins <= MAX_BINS):
        raise ValueError(f"baseline_bins must be an integer in [1, {MAX_BINS}], got {bins!r}")
    if not (isinstance(top, int) and 1 <= top <= MAX_CATEGORIES):
        raise ValueError(f"baseline_categories must be an integer in [1, {MAX_CATEGORIES}], got {top!r}")
    inputs = []
    for j, col in enumerate(schema["inputs"]):
        if categories[j] is not None:
            entry = categorical(X[:, j], categories[j], top)
        else:
            entry = numeric(X[:, j], bins)
        inputs.append({"name": col["name"], **entry})
    out = []
    for spec_ in output_columns(schema, outputs):
        values = np.asarray(outputs[spec_["source"]], dtype=np.float64).reshape(X.shape[0], -1)[:, spec_["index"]]
        out.append({**spec_, **numeric(values, bins)})
    result: Dict[str, Any] = {"rows": int(X.shape[0]), "bins": bins, "inputs": inputs, "outputs": out}
    if schema["task"] == "classification":
        n = len(schema["classes"]["values"])
        result["classes"] = [int(c) for c in np.bincount(np.asarray(outputs["predict"], dtype=np.int64), minlength=n)]
    return result
