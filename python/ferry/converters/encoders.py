"""Categorical encoders -> step types ``one_hot_encoder`` and ``ordinal_encoder``
(C++ twins: src/pipeline/one_hot_encoder.cpp, src/pipeline/ordinal_encoder.cpp, with the
category lookup they share in src/pipeline/categories.cpp).

docs/format.md sections 4.18 and 4.19. Both steps describe the categories of each input
column the same way (params ``categories`` and ``missing``, tensor ``numeric_categories``):

- a text column: its categories as a JSON array of strings, in scikit-learn's order;
- a numeric column: an integer ``c``; its categories are the next ``c`` values of the float64
  tensor ``numeric_categories`` (strictly increasing, so a reader can binary-search them);
- ``missing[j]``: ``null`` when no missing value was seen at fit (a missing value is then an
  unknown category), else ``"nan"`` or ``"none"``: the column's last category is the missing
  value, as scikit-learn keeps it (``np.nan`` or ``None``). ferry has one missing marker, so
  a column whose categories hold both is refused.

Each category ``i`` of column ``j`` has a global index (columns in order, categories in
order, the missing category last).

- ``one_hot_encoder``: tensor ``outputs`` (int64, one per category): the output column of the
  category within its input column's block, or -1 (dropped); tensor ``unknown`` (int64 [n]):
  the output column of a value that is no category, or -1 (all zeros). ``handle_unknown`` is
  ``error`` (an unknown value is refused), ``ignore`` or ``infrequent_if_exist``. Block widths
  follow from ``outputs``: every column of a block is the output of at least one category.
- ``ordinal_encoder``: the output is the category index; a ``"nan"`` missing category gives
  ``encoded_missing_value`` (JSON ``null`` = NaN), a ``"none"`` one its index (scikit-learn
  treats ``None`` as an ordinary category there); an unknown value is refused
  (``handle_unknown="error"``) or gives ``unknown_value`` (``null`` = NaN).
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder

from . import ConversionError, ConvertedStep, Converter

#: float64 represents every integer of magnitude up to 2**53 exactly
_EXACT_INT = 2**53


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return isinstance(v, (float, np.floating)) and math.isnan(v)
    except TypeError:
        return False


def _is_number(v: Any) -> bool:
    return isinstance(v, (numbers.Real, np.number)) and not isinstance(v, (bool, np.bool_))


def _column_categories(cats: np.ndarray, j: int, label: str, name: str) -> Tuple[Any, Optional[str], List[float]]:
    """(params.categories[j], params.missing[j], numeric values) of one fitted column."""
    values = list(cats)
    missing: Optional[str] = None
    nones = [v for v in values if v is None]
    nans = [v for v in values if v is not None and _is_missing(v)]
    if nones and nans:
        raise ConversionError(
            f"{label}: column {name!r} has both None and NaN among its categories; ferry has one missing "
            "marker and cannot tell them apart"
        )
    if nones or nans:
        if not _is_missing(values[-1]) or len(nones) + len(nans) != 1:
            raise ConversionError(f"{label}: column {name!r}: the missing category is not the last one")
        missing = "none" if nones else "nan"
        values = values[:-1]
    if cats.dtype.kind in "OUS" and any(isinstance(v, (str, np.str_)) for v in values):
        if not all(isinstance(v, (str, np.str_)) for v in values):
            kinds = sorted({type(v).__name__ for v in values})
            raise ConversionError(f"{label}: column {name!r} mixes category types ({', '.join(kinds)})")
        text = [str(v) for v in values]
        if len(set(text)) != len(text):
            raise ConversionError(f"{label}: column {name!r} has repeated categories")
        return text, missing, []
    if cats.dtype.kind in "OUS" and not values:
        raise ConversionError(f"{label}: column {name!r} had only missing values at fit")
    nums: List[float] = []
    for v in values:
        if isinstance(v, (bool, np.bool_)):
            v = int(v)
        if not _is_number(v):
            raise ConversionError(f"{label}: column {name!r} has a category of type {type(v).__name__}")
        if isinstance(v, (numbers.Integral, np.integer)) and abs(int(v)) > _EXACT_INT:
            raise ConversionError(f"{label}: column {name!r}: integer category {int(v)} is not exact in float64")
        f = float(v)
        if not math.isfinite(f):
            raise ConversionError(f"{label}: column {name!r} has a non-finite category {f!r}")
        nums.append(f)
    if any(b <= a for a, b in zip(nums, nums[1:])):
        raise ConversionError(f"{label}: column {name!r}: numeric categories are not strictly increasing")
    return len(nums), missing, nums


def _categories(est, label: str) -> Tuple[List[Any], List[Optional[str]], List[int], np.ndarray]:
    """params.categories, params.missing, the count of categories per column and the
    numeric_categories tensor (empty when every column is text)."""
    n = int(est.n_features_in_)
    names = [str(v) for v in getattr(est, "feature_names_in_", [f"x{j}" for j in range(n)])]
    if len(est.categories_) != n:
        raise ConversionError(f"{label}: categories_ has {len(est.categories_)} entries for {n} columns")
    entries, missing, counts, numeric = [], [], [], []
    for j, cats in enumerate(est.categories_):
        entry, miss, nums = _column_categories(np.asarray(cats), j, label, names[j])
        entries.append(entry)
        missing.append(miss)
        counts.append((len(entry) if isinstance(entry, list) else entry) + (miss is not None))
        numeric.extend(nums)
        if counts[-1] == 0:
            raise ConversionError(f"{label}: column {names[j]!r} has no category")
    return entries, missing, counts, np.asarray(numeric, dtype=np.float64)


def _check_dtype(est, label: str) -> None:
    # Integer outputs become float64 in the next step exactly as ferry computes them; float32
    # would make the steps after the encoder compute in single precision.
    dt = np.dtype(est.dtype)
    if not (dt == np.float64 or dt.kind in "iub"):
        raise ConversionError(f"{label}: dtype={dt} is not supported; use dtype=np.float64 (the default)")


def _category_params(est, label: str) -> Tuple[Dict[str, Any], Dict[str, np.ndarray], List[int]]:
    entries, missing, counts, numeric = _categories(est, label)
    params: Dict[str, Any] = {"categories": entries, "missing": missing}
    tensors: Dict[str, np.ndarray] = {}
    if any(not isinstance(e, list) for e in entries):
        tensors["numeric_categories"] = numeric
    return params, tensors, counts


# --------------------------------------------------------------------------- one-hot


def check_encoder(est) -> Optional[str]:
    dt = np.dtype(est.dtype)
    if not (dt == np.float64 or dt.kind in "iub"):
        return f"dtype={dt} is not supported; use dtype=np.float64"
    return None


def sparse_output(est) -> bool:
    sparse = getattr(est, "sparse", "deprecated")
    return bool(est.sparse_output if isinstance(sparse, str) and sparse == "deprecated" else sparse)


def sparse_followers_problem(followers: Sequence[Any], terminal: bool = True) -> Optional[str]:
    """Why a sparse one-hot output cannot be exported, given the steps after it (with
    ``terminal``, the last one is the estimator; else they end a ColumnTransformer branch), or
    None. ferry computes densely; the steps allowed after a sparse matrix give the same values
    on a dense one (to the rounding of a product)."""
    from . import PREPROCESSORS, estimator_converter

    for k, step in enumerate(followers):
        last = terminal and k == len(followers) - 1
        conv = estimator_converter(type(step)) if last else PREPROCESSORS.get(type(step))
        if conv is not None and conv.same_on_sparse is not None and conv.same_on_sparse(step):
            if last:
                return None
            continue
        return (f"sparse output is followed by {type(step).__name__}, which may compute differently on a "
                "sparse matrix; set sparse_output=False on the OneHotEncoder or RandomTreesEmbedding (or "
                "sparse_threshold=0 on the ColumnTransformer)")
    return None if not terminal else "sparse output with no estimator after it; set sparse_output=False"


def _one_hot_outputs(est, j: int, c: int) -> Tuple[List[int], int]:
    """outputs of column j's c categories and the output of an unknown value (-1 = none),
    following scikit-learn 1.2.1's transform: group infrequent categories, then drop."""
    mapping = None
    infrequent = None
    if getattr(est, "_infrequent_enabled", False):
        mapping = est._default_to_infrequent_mappings[j]
        if mapping is not None:
            infrequent = int(np.max(mapping))
    grouped = [int(mapping[i]) if mapping is not None else i for i in range(c)]
    drop = None
    if est.drop_idx_ is not None and est.drop_idx_[j] is not None:
        drop = int(est.drop_idx_[j])

    def column(g: int) -> int:
        if drop is None:
            return g
        return -1 if g == drop else g - (g > drop)

    outputs = [column(g) for g in grouped]
    unknown = -1
    if est.handle_unknown == "infrequent_if_exist" and infrequent is not None:
        unknown = column(infrequent)
    return outputs, unknown


def convert_one_hot_encoder(est, label: str) -> ConvertedStep:
    _check_dtype(est, label)
    if est.handle_unknown not in ("error", "ignore", "infrequent_if_exist"):
        raise ConversionError(f"{label}: handle_unknown={est.handle_unknown!r} is not supported")
    params, tensors, counts = _category_params(est, label)
    outputs: List[int] = []
    unknown: List[int] = []
    n_out = 0
    for j, c in enumerate(counts):
        out, unk = _one_hot_outputs(est, j, c)
        outputs.extend(out)
        unknown.append(unk)
        n_out += max(out + [unk]) + 1
    expected = int(np.sum(est._n_features_outs))
    if n_out != expected:
        raise ConversionError(f"{label}: the encoding gives {n_out} columns, scikit-learn {expected}")
    if n_out == 0:
        raise ConversionError(f"{label}: every category is dropped, so the encoder outputs nothing")
    params["handle_unknown"] = str(est.handle_unknown)
    tensors["outputs"] = np.asarray(outputs, dtype=np.int64)
    tensors["unknown"] = np.asarray(unknown, dtype=np.int64)
    return ConvertedStep(
        type="one_hot_encoder",
        params=params,
        tensors=tensors,
        n_features_in=len(counts),
        n_features_out=n_out,
    )


# --------------------------------------------------------------------------- ordinal


def _json_number(v: Any, label: str, attr: str) -> Optional[float]:
    """NaN -> None (JSON null); an integer -> int; refuses the rest."""
    if _is_missing(v):
        return None
    if isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, (bool, np.bool_)):
        if abs(int(v)) > _EXACT_INT:
            raise ConversionError(f"{label}: {attr}={v!r} is not exact in float64")
        return int(v)
    raise ConversionError(f"{label}: {attr}={v!r} is not an integer or np.nan")


def convert_ordinal_encoder(est, label: str) -> ConvertedStep:
    _check_dtype(est, label)
    if est.handle_unknown not in ("error", "use_encoded_value"):
        raise ConversionError(f"{label}: handle_unknown={est.handle_unknown!r} is not supported")
    params, tensors, counts = _category_params(est, label)
    params["handle_unknown"] = str(est.handle_unknown)
    params["unknown_value"] = (
        _json_number(est.unknown_value, label, "unknown_value") if est.handle_unknown == "use_encoded_value" else None
    )
    params["encoded_missing_value"] = _json_number(est.encoded_missing_value, label, "encoded_missing_value")
    return ConvertedStep(
        type="ordinal_encoder",
        params=params,
        tensors=tensors,
        n_features_in=len(counts),
        n_features_out=len(counts),
    )


# --------------------------------------------------------------------------- kernels


class _Lookup:
    """Category index of a value in each column (the format's rule), -1 when unknown."""

    def __init__(self, params: dict, tensors: Dict[str, np.ndarray]):
        self.columns = []
        numeric = tensors.get("numeric_categories", np.zeros(0))
        pos = 0
        for entry, miss in zip(params["categories"], params["missing"]):
            if isinstance(entry, list):
                self.columns.append(({s: i for i, s in enumerate(entry)}, len(entry), miss))
            else:
                self.columns.append((np.asarray(numeric[pos: pos + entry], dtype=np.float64), entry, miss))
                pos += entry

    def index(self, X: np.ndarray, j: int) -> np.ndarray:
        """Category indices of column j (-1 = unknown)."""
        cats, c, miss = self.columns[j]
        col = X[:, j]
        out = np.full(col.shape[0], -1, dtype=np.int64)
        for r, v in enumerate(col):
            if _is_missing(v):
                if miss is not None:
                    out[r] = c
            elif isinstance(cats, dict):
                if isinstance(v, (str, np.str_)):
                    out[r] = cats.get(str(v), -1)
            else:
                if isinstance(v, (str, np.str_)):
                    raise ValueError(f"text value {v!r} in numeric column {j} at row {r}")
                f = float(v)
                k = int(np.searchsorted(cats, f))
                if k < c and cats[k] == f:
                    out[r] = k
        return out


def _unknown_error(step: dict, j: int, r: int, value: Any) -> ValueError:
    return ValueError(f"{step.get('name', step['type'])}: unknown category {value!r} in column {j} at row {r} "
                      "(handle_unknown='error')")


def one_hot_encoder(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    params = step["params"]
    lookup = _Lookup(params, tensors)
    outputs, unknown = tensors["outputs"], tensors["unknown"]
    n = len(params["categories"])
    Y = []
    base = 0
    for j in range(n):
        _, c, miss = lookup.columns[j]
        count = c + (miss is not None)
        block = outputs[base: base + count]
        width = int(max(np.max(block, initial=-1), unknown[j])) + 1
        idx = lookup.index(X, j)
        col = np.where(idx >= 0, block[np.maximum(idx, 0)], unknown[j])
        if params["handle_unknown"] == "error" and np.any(idx < 0):
            r = int(np.flatnonzero(idx < 0)[0])
            raise _unknown_error(step, j, r, X[r, j])
        Z = np.zeros((X.shape[0], width), dtype=np.float64)
        hit = col >= 0
        Z[np.flatnonzero(hit), col[hit]] = 1.0
        Y.append(Z)
        base += count
    return np.hstack(Y) if Y else np.zeros((X.shape[0], 0))


def ordinal_encoder(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the transform a reader must compute."""
    params = step["params"]
    lookup = _Lookup(params, tensors)

    def value(v: Optional[float]) -> float:
        return np.nan if v is None else float(v)

    Y = np.empty((X.shape[0], len(params["categories"])), dtype=np.float64)
    for j in range(Y.shape[1]):
        _, c, miss = lookup.columns[j]
        idx = lookup.index(X, j)
        col = idx.astype(np.float64)
        if miss == "nan":
            col[idx == c] = value(params["encoded_missing_value"])
        if np.any(idx < 0):
            if params["handle_unknown"] == "error":
                r = int(np.flatnonzero(idx < 0)[0])
                raise _unknown_error(step, j, r, X[r, j])
            col[idx < 0] = value(params["unknown_value"])
        Y[:, j] = col
    return Y


#: what this module registers (converters/__init__.py collects the tables of every module)
PREPROCESSORS = {
    OneHotEncoder: Converter(convert_one_hot_encoder, check_encoder),
    OrdinalEncoder: Converter(convert_ordinal_encoder, check_encoder),
}
KERNELS = {"one_hot_encoder": one_hot_encoder, "ordinal_encoder": ordinal_encoder}
