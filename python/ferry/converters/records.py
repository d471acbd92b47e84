"""Transformers of records (dicts) -> step types ``dict_vectorizer`` and ``feature_hasher`` (C++
twins: src/pipeline/dict_vectorizer.cpp, src/pipeline/feature_hasher.cpp, the hashing in
src/pipeline/feature_hashing.hpp).

docs/format.md sections 4.55 and 4.56. scikit-learn's ``DictVectorizer`` and ``FeatureHasher``
(``input_type='dict'``) take a list of dicts; in ferry a record is a row of named input columns,
one per key: a key holding numbers is a numeric input, a key holding strings a categorical one
for ``DictVectorizer`` (its value ``v`` is the feature ``key<separator>v`` with value 1; unseen
values count for nothing, as there) and a nullable free-text one for ``FeatureHasher`` (which
hashes any string). A missing cell is a key absent from the record. A ``FeatureHasher`` with ``input_type='string'`` inside a ColumnTransformer
takes columns of strings (each cell one token of value 1): scikit-learn runs it on the rows of a
numpy object array (a DataFrame's rows are not iterables of strings there: it refuses them).

Where the keys and their kinds come from: ``DictVectorizer`` keeps them in ``feature_names_``
(``key`` or ``key<separator>value``); X_sample, when given, decides every name that could be
read two ways. ``FeatureHasher`` keeps nothing: its keys come from X_sample alone.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

import numpy as np
from sklearn.feature_extraction import DictVectorizer, FeatureHasher

from . import ConversionError, ConvertedStep, Converter
from .hashing import hashed_row
from .text import string_tensors, strings_of

#: docs/format.md 6, max_width: the widest output a step may have
_MAX_WIDTH = 1 << 24


# --------------------------------------------------------------------------- hashing


# --------------------------------------------------------------------------- records


def _is_missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, np.floating) and np.isnan(v))


def _kind(v: Any, where: str) -> str:
    if isinstance(v, str):
        return "text"
    if isinstance(v, numbers.Number) and not isinstance(v, complex):
        return "number"
    what = "an iterable" if hasattr(v, "__iter__") and not isinstance(v, (bytes, dict)) else f"a {type(v).__name__}"
    raise ValueError(f"X_sample {where} holds {what} ({v!r}); ferry takes one number or one string per key "
                     "(an iterable value gives several features, which one input column cannot hold)")


@dataclass
class Records:
    """X_sample as records: the keys in order, each key's kind ("text", "number", or None when
    X_sample holds no value of it), and the records scikit-learn is given."""
    keys: List[str]
    kinds: List[Optional[str]]
    records: np.ndarray  # object [rows]: dicts


def read_records(X_sample: Any) -> Records:
    """A list of dicts (missing keys are absent keys), or a DataFrame whose columns are the keys
    (a missing cell is an absent key): the keys, their kinds and the records."""
    columns = getattr(X_sample, "columns", None)
    if columns is not None:
        keys = [c for c in columns]
        if any(not isinstance(k, str) for k in keys):
            raise ValueError("X_sample: the columns of a DataFrame of records must be the keys, strings")
        rows = [{k: v for k, v in zip(keys, row) if not _is_missing(v)}
                for row in X_sample.itertuples(index=False, name=None)]
    else:
        rows = list(X_sample)
        for r, rec in enumerate(rows):
            if not isinstance(rec, dict):
                raise ValueError(f"X_sample row {r} is a {type(rec).__name__}; this pipeline takes records (dicts)")
            for k, v in rec.items():
                if not isinstance(k, str):
                    raise ValueError(f"X_sample record {r}: key {k!r} is not a string")
                if _is_missing(v):
                    raise ValueError(f"X_sample record {r}, key {k!r}: {v!r} is not a value (scikit-learn gives NaN "
                                     "or fails there); leave the key out of the record")
        keys = _key_order(rows)
    if not rows:
        raise ValueError("X_sample has no rows")
    kinds: List[Optional[str]] = []
    for k in keys:
        found = {_kind(rec[k], f"key {k!r}") for rec in rows if k in rec}
        if len(found) > 1:
            raise ValueError(f"X_sample key {k!r} holds both numbers and strings; ferry gives a key one kind "
                             "(a numeric or a categorical input)")
        kinds.append(found.pop() if found else None)
    records = np.empty(len(rows), dtype=object)
    for i, rec in enumerate(rows):
        records[i] = rec
    return Records(keys, kinds, records)


def _key_order(rows: List[dict]) -> List[str]:
    """The keys in an order that keeps every record's own order where the records agree (a
    topological order of "k before l in some record", ties by first appearance; first appearance
    alone when they disagree). A FeatureHasher visits the keys in that order, and scikit-learn in
    the record's: the same order gives colliding values summed as scikit-learn sums them."""
    first: Dict[str, int] = {}
    after: Dict[str, set] = {}
    for rec in rows:
        ks = list(rec)
        for k in ks:
            first.setdefault(k, len(first))
            after.setdefault(k, set())
        for a, b in zip(ks, ks[1:]):
            after[a].add(b)
    indegree = {k: 0 for k in first}
    for a in after:
        for b in after[a]:
            indegree[b] += 1
    ready = sorted((k for k, d in indegree.items() if d == 0), key=first.get)
    out: List[str] = []
    while ready:
        k = ready.pop(0)
        out.append(k)
        for b in after[k]:
            indegree[b] -= 1
            if indegree[b] == 0:
                ready.append(b)
        ready.sort(key=first.get)
    return out if len(out) == len(first) else sorted(first, key=first.get)


def frame_of(records: Records):
    """The records as ferry's input table: one column per key, NaN where a key is absent."""
    import pandas as pd

    return pd.DataFrame.from_records(list(records.records), columns=records.keys)


def takes_records(est: Any) -> bool:
    return type(est) is DictVectorizer or (type(est) is FeatureHasher and est.input_type == "dict")


def _vectorizer_layout(est, sample: Optional[Records], label: str) -> Tuple[List[str], List[bool], Dict[str, Tuple[int, Optional[str]]]]:
    """(keys, text flags, feature name -> (key index, value or None for a numeric key))."""
    sep = est.separator
    names = list(est.feature_names_)
    if sample is None:
        keys: List[str] = []
        text: Dict[str, bool] = {}
        source = {}
        for f in names:
            key, value = (f.split(sep, 1) + [None])[:2] if sep and sep in f else (f, None)
            if value is not None and sep in value:
                raise ConversionError(f"{label}: feature {f!r} could be key {key!r} with value {value!r} or key "
                                      f"{f.rsplit(sep, 1)[0]!r}; pass X_sample (records) to tell")
            if key in text and text[key] != (value is not None):
                raise ConversionError(f"{label}: key {key!r} holds both numbers and strings (feature {f!r}); ferry "
                                      "gives a key one kind")
            if key not in text:
                keys.append(key)
                text[key] = value is not None
            source[f] = (keys.index(key), value)
        return keys, [text[k] for k in keys], source
    keys, kinds = sample.keys, list(sample.kinds)
    source = {}
    for f in names:
        found = [(j, None) for j, k in enumerate(keys) if k == f and kinds[j] != "text"]
        found += [(j, f[len(k) + len(sep):]) for j, k in enumerate(keys)
                  if kinds[j] != "number" and f.startswith(k + sep)]
        if not found:
            raise ConversionError(f"{label}: feature {f!r} comes from no key of X_sample; give records holding its key")
        if len(found) > 1:
            ways = " or ".join(f"numeric key {keys[j]!r}" if v is None else f"key {keys[j]!r} with value {v!r}"
                               for j, v in found)
            raise ConversionError(f"{label}: feature {f!r} is ambiguous: {ways}")
        source[f] = found[0]
    for j, k in enumerate(keys):
        if kinds[j] is None:
            raise ConversionError(f"{label}: key {k!r} has no value in X_sample; give records where it has one")
    return keys, [kinds[j] == "text" for j in range(len(keys))], source


def layout(est: Any, sample: Optional[Records], label: str) -> Tuple[List[str], List[bool]]:
    """The input columns of a records step: (keys, whether each holds strings)."""
    if type(est) is DictVectorizer:
        keys, text, _ = _vectorizer_layout(est, sample, label)
        return keys, text
    if sample is None:
        raise ConversionError(f"{label}: a FeatureHasher keeps no keys; pass X_sample (records) so that ferry knows "
                              "the keys and whether each holds numbers or strings")
    for k, kind in zip(sample.keys, sample.kinds):
        if kind is None:
            raise ConversionError(f"{label}: key {k!r} has no value in X_sample; give records where it has one")
    return list(sample.keys), [kind == "text" for kind in sample.kinds]


# --------------------------------------------------------------------------- converters


def check_dict_vectorizer(est) -> Optional[str]:
    if np.dtype(est.dtype) != np.dtype(np.float64):
        return f"dtype={np.dtype(est.dtype).name}: ferry computes in float64 (leave dtype at its default)"
    return None


def check_feature_hasher(est) -> Optional[str]:
    if est.input_type == "pair":
        return ("input_type='pair': each sample is a list of (name, value) pairs of any length, which no fixed set "
                "of input columns holds; use input_type='dict' on records")
    if est.input_type not in ("dict", "string"):
        return f"input_type={est.input_type!r}"
    if np.dtype(est.dtype) != np.dtype(np.float64):
        return f"dtype={np.dtype(est.dtype).name}: ferry computes in float64 (leave dtype at its default)"
    if not 1 <= int(est.n_features) <= _MAX_WIDTH:
        return f"n_features={est.n_features}: ferry's widest step output is 2**24 columns"
    return None


def convert_dict_vectorizer(est, label: str, names_in: List[str], text: Optional[List[bool]]) -> ConvertedStep:
    reason = check_dict_vectorizer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    keys, flags, source = _vectorizer_layout(est, None if text is None else _Given(names_in, text), label)
    if keys != list(names_in):
        raise ConversionError(f"{label}: its keys {keys} are not the input columns {names_in}")
    n = len(keys)
    outputs = np.full(n, -1, dtype=np.int64)
    values: List[List[Tuple[str, int]]] = [[] for _ in range(n)]
    for f, (j, v) in source.items():
        if v is None:
            outputs[j] = est.vocabulary_[f]
        else:
            values[j].append((v, int(est.vocabulary_[f])))
    flat = [pair for column in values for pair in sorted(column, key=lambda p: p[1])]
    value_bytes, value_offsets = string_tensors([v for v, _ in flat])
    starts = np.concatenate([[0], np.cumsum([len(c) for c in values])]).astype(np.int64)
    tensors = {"outputs": outputs, "value_columns": starts, "value_bytes": value_bytes,
               "value_offsets": value_offsets, "value_outputs": np.asarray([o for _, o in flat], dtype=np.int64)}
    return ConvertedStep("dict_vectorizer", {"sparse": bool(est.sparse)}, tensors, n, len(est.feature_names_))


class _Given(Records):
    """The layout the exporter settled (keys and kinds), for re-reading feature_names_ with it."""

    def __init__(self, keys: List[str], text: List[bool]):
        super().__init__(list(keys), ["text" if t else "number" for t in text], np.empty(0, dtype=object))


def convert_feature_hasher(est, label: str, names_in: List[str], text: Optional[List[bool]]) -> ConvertedStep:
    reason = check_feature_hasher(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    n, n_out = len(names_in), int(est.n_features)
    params = {"input_type": est.input_type, "alternate_sign": bool(est.alternate_sign)}
    tensors = {}
    if est.input_type == "dict":
        tensors["key_bytes"], tensors["key_offsets"] = string_tensors(list(names_in))
    step = ConvertedStep("feature_hasher", params, tensors, n, n_out)
    step.feature_names_out = [f"featurehasher{j}" for j in range(n_out)]
    return step


# --------------------------------------------------------------------------- reference kernels


def dict_vectorizer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.56): a number sets its key's column, a string v of column j
    sets the column of value v to 1; missing cells and values not stored give nothing."""
    Z = np.asarray(X, dtype=object)
    outputs, starts = tensors["outputs"], tensors["value_columns"]
    strings = strings_of(tensors["value_bytes"], tensors["value_offsets"])
    value_out = tensors["value_outputs"]
    lookup = [{strings[k]: int(value_out[k]) for k in range(starts[j], starts[j + 1])} for j in range(Z.shape[1])]
    out = np.zeros((Z.shape[0], step["n_features_out"]))
    for i in range(Z.shape[0]):
        for j in range(Z.shape[1]):
            v = Z[i, j]
            if isinstance(v, str):
                if v in lookup[j]:
                    out[i, lookup[j][v]] = 1.0
            elif not _is_missing(v) and outputs[j] >= 0:
                out[i, outputs[j]] = float(v)
    return out


def feature_hasher(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel (docs/format.md 4.55): each cell a hashed feature, visited column by column;
    a row's entries sorted stably by column and each column's values summed in that order."""
    from ..exporter import UNSEEN  # the exporter imports this module: imported here, when first run

    Z = np.asarray(X, dtype=object)
    p = step["params"]
    n = step["n_features_out"]
    keys = strings_of(tensors["key_bytes"], tensors["key_offsets"]) if p["input_type"] == "dict" else None
    out = np.zeros((Z.shape[0], n))
    for i in range(Z.shape[0]):
        features = []
        for j in range(Z.shape[1]):
            v = Z[i, j]
            if isinstance(v, str) and v == UNSEEN:
                raise ValueError(f"feature_hasher: row {i}, column {j}: a value not in the input's vocabulary")
            if _is_missing(v):
                if keys is None:
                    raise ValueError(f"feature_hasher: row {i}, column {j}: a missing token (scikit-learn refuses it)")
                continue
            if keys is None:
                if not isinstance(v, str):
                    raise ValueError(f"feature_hasher: row {i}, column {j}: input_type 'string' takes strings")
                features.append((v, 1.0))
            elif isinstance(v, str):
                features.append((f"{keys[j]}={v}", 1.0))
            else:
                features.append((keys[j], float(v)))
        for column, value in hashed_row(features, n, p["alternate_sign"]):
            out[i, column] = value
    return out


PREPROCESSORS = {
    DictVectorizer: Converter(None, check_dict_vectorizer, convert_columns=convert_dict_vectorizer),
    FeatureHasher: Converter(None, check_feature_hasher, convert_columns=convert_feature_hasher,
                             is_fitted=lambda est: True),
}
KERNELS = {"dict_vectorizer": dict_vectorizer, "feature_hasher": feature_hasher}
