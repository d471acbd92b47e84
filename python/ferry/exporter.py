"""``ferry.export``: a fitted scikit-learn pipeline -> one ``.ferry`` file.

The exporter walks the pipeline, converts every step with the converter
registered for its exact class (ferry.converters), builds the header of
docs/format.md section 3, embeds verification rows with scikit-learn's own
outputs, reads the bytes back with the defensive reader and checks that the
artifact reproduces scikit-learn before writing the file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import platform
import re
import warnings
from datetime import datetime, timezone
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import sklearn
from sklearn.exceptions import NotFittedError
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import RandomTreesEmbedding
from sklearn.feature_extraction import DictVectorizer, FeatureHasher
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.utils.validation import check_is_fitted

from . import background as _background
from . import baselines as _baselines
from . import format as _format
from . import spec as _spec
from .converters import encoders, records
from .converters import (
    KERNELS,
    PREPROCESSORS,
    Branch,
    ConvertedEstimator,
    ConvertedStep,
    class_labels,
    estimator_converter,
)

__all__ = ["export", "UnsupportedModelError", "evaluate", "verification_indices", "background_mean"]

SUPPORTED_DOC = "docs/supported.md"
#: text vectorizers: they take one column of documents and give a sparse matrix
_VECTORIZERS = (CountVectorizer, TfidfVectorizer, HashingVectorizer)
MAX_VERIFICATION_ROWS = 16
RTOL = 1e-9
ATOL = 1e-10
#: float32 samples (see _narrow_float_verification): rows on which the gap between
#: scikit-learn's float32 arithmetic and ferry's float64 arithmetic is measured, and the factor
#: between the largest gap measured and the tolerance embedded
NARROW_FLOAT_ROWS = 1024
NARROW_FLOAT_SAFETY = 4.0
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")


class UnsupportedModelError(ValueError):
    """The model contains steps ferry cannot export.

    ``unsupported`` lists every offending step as ``"<path>: <ClassName>"``
    (plus a reason in parentheses where one helps).
    """

    def __init__(self, unsupported: Sequence[str]):
        self.unsupported = list(unsupported)
        lines = "\n".join(f"  {u}" for u in self.unsupported)
        super().__init__(
            f"ferry cannot export this model: {len(self.unsupported)} unsupported step(s):\n{lines}\n"
            f"See {SUPPORTED_DOC} for the estimators and transformers ferry supports."
        )


# --------------------------------------------------------------------------- walking


def _is_passthrough(step: Any) -> bool:
    return step is None or (isinstance(step, str) and step == "passthrough")


def _search_classes() -> Tuple[type, ...]:
    """scikit-learn's hyper-parameter searches: with refit, their predict, predict_proba,
    decision_function and transform are those of best_estimator_."""
    from sklearn.model_selection import GridSearchCV, RandomizedSearchCV
    from sklearn.model_selection._search_successive_halving import HalvingGridSearchCV, HalvingRandomSearchCV

    return GridSearchCV, RandomizedSearchCV, HalvingGridSearchCV, HalvingRandomSearchCV


def _leaves(model: Any) -> List[Tuple[str, Any]]:
    """Flatten (nested) Pipelines into (path, step) pairs, skipping passthrough; a search
    (GridSearchCV, ...) stands for its refitted best_estimator_."""
    out: List[Tuple[str, Any]] = []
    searches = _search_classes()

    def walk(obj: Any, path: str) -> None:
        if type(obj) is Pipeline:
            for i, (_, step) in enumerate(obj.steps):
                if _is_passthrough(step):
                    continue
                walk(step, f"{path}.steps[{i}]" if path else f"steps[{i}]")
        elif type(obj) in searches:
            label = _label(path, obj)
            if not obj.refit:
                raise UnsupportedModelError([f"{label}: refit=False leaves no best_estimator_ to export"])
            if not hasattr(obj, "best_estimator_"):
                raise NotFittedError(f"{label} is not fitted")
            walk(obj.best_estimator_, f"{path}.best_estimator_" if path else "best_estimator_")
        else:
            out.append((path, obj))

    walk(model, "")
    return out


def _names_out(obj: Any, names_in: List[str], n_out: int) -> List[str]:
    """The step's output column names, as scikit-learn's get_feature_names_out() gives them."""
    try:
        out = [str(n) for n in obj.get_feature_names_out(np.asarray(names_in, dtype=object))]
    except (AttributeError, ValueError, TypeError):
        out = list(names_in) if n_out == len(names_in) else [f"{type(obj).__name__.lower()}{j}" for j in range(n_out)]
    prefix = type(obj).__name__.lower()
    if len(out) != n_out and out and all(n == f"{prefix}{j}" for j, n in enumerate(out)):
        # scikit-learn 1.2's NeighborhoodComponentsAnalysis numbers n_features_in_ names, not
        # one per component (fixed in 1.3): the same names, one per output
        out = [f"{prefix}{j}" for j in range(n_out)]
    if len(out) != n_out:
        raise ValueError(f"{type(obj).__name__}: get_feature_names_out() gave {len(out)} names for {n_out} columns")
    return out


#: a step's output names are written as a prefix beyond this many (docs/format.md 3.3)
NUMBERED_NAMES_MIN = 4096


def _numbered_prefix(names: List[str]) -> Optional[str]:
    """p when names are p0, p1, ... and too many to list (a HashingVectorizer's 2**20 columns
    would take 20 MB of header), else None."""
    if len(names) <= NUMBERED_NAMES_MIN or not names[0].endswith("0"):
        return None
    prefix = names[0][:-1]
    return prefix if all(n == f"{prefix}{j}" for j, n in enumerate(names)) else None


def _label(path: str, obj: Any) -> str:
    cls = type(obj).__name__
    return f"{path}: {cls}" if path else cls


def _is_fitted(obj: Any, final: bool = False) -> bool:
    if type(obj) is HashingVectorizer:
        return True  # stateless: scikit-learn transforms with it unfitted
    conv = estimator_converter(type(obj)) if final else PREPROCESSORS.get(type(obj))
    if conv is not None and conv.is_fitted is not None:
        return conv.is_fitted(obj)
    try:
        check_is_fitted(obj)
    except (NotFittedError, TypeError):
        return False
    return True


def _transformer_problems(obj: Any, path: str) -> List[str]:
    """Unsupported preprocessing in obj, recursing into Pipelines, ColumnTransformers and
    FeatureUnions."""
    cls = type(obj)
    if cls is Pipeline:
        out = []
        for i, (_, step) in enumerate(obj.steps):
            if not _is_passthrough(step):
                out += _transformer_problems(step, f"{path}.steps[{i}]")
        return out
    if cls is ColumnTransformer or cls is FeatureUnion:
        out = []
        for name, trans in _branch_transformers(obj):
            if not (isinstance(trans, str) and trans in ("drop", "passthrough")) and trans is not None:
                out += _transformer_problems(trans, f"{path}.transformers['{name}']")
        return out
    label = _label(path, obj)
    conv = PREPROCESSORS.get(cls)
    if conv is None:
        if estimator_converter(cls) is not None:
            label += " (supported only as the final estimator)"
        return [label]
    if conv.check is not None and _is_fitted(obj):
        reason = conv.check(obj)
        if reason:
            return [f"{label} ({reason})"]
    return []


def _branch_transformers(obj: Any) -> List[Tuple[str, Any]]:
    """(name, transformer) of a ColumnTransformer (fitted, incl. remainder) or FeatureUnion."""
    if type(obj) is ColumnTransformer:
        entries = getattr(obj, "transformers_", None) or obj.transformers
        return [(name, trans) for name, trans, _ in entries]
    return [(name, trans) for name, trans in obj.transformer_list]


def _check_supported(leaves: List[Tuple[str, Any]]) -> None:
    problems = []
    for i, (path, obj) in enumerate(leaves):
        final = i == len(leaves) - 1
        cls = type(obj)
        if not final:
            problems += _transformer_problems(obj, path)
            continue
        conv = estimator_converter(cls)
        label = _label(path, obj)
        if conv is None:
            if cls in PREPROCESSORS or cls in (ColumnTransformer, FeatureUnion):
                label += " (a pipeline must end with an estimator)"
            problems.append(label)
        elif conv.check is not None and _is_fitted(obj, final):
            reason = conv.check(obj)
            if reason:
                problems.append(f"{label} ({reason})")
    problems += _sparse_problems(leaves)
    problems += _missing_marker_problems(leaves)
    if problems:
        raise UnsupportedModelError(problems)


def _missing_marker_problems(leaves: List[Tuple[str, Any]]) -> List[str]:
    """ferry has one missing marker for text; scikit-learn tells None from NaN in object columns.
    A SimpleImputer that left the other marker in place at fit shows in the encoder right after
    it, which then has that marker as a category: refused, as ferry would impute it."""
    from sklearn.impute import SimpleImputer
    from sklearn.preprocessing import OrdinalEncoder

    out = []
    for i, (path, obj) in enumerate(leaves):
        if type(obj) in (ColumnTransformer, FeatureUnion):
            for name, trans in _branch_transformers(obj):
                if type(trans) is Pipeline:
                    out += _missing_marker_problems(
                        [(f"{path}.transformers['{name}'].steps[{k}]", s) for k, (_, s) in enumerate(trans.steps)
                         if not _is_passthrough(s)])
        if type(obj) is not SimpleImputer or i + 1 == len(leaves) or not _is_fitted(obj):
            continue
        nxt = leaves[i + 1][1]
        if type(nxt) not in (OneHotEncoder, OrdinalEncoder) or not _is_fitted(nxt):
            continue
        imputes_none = obj.missing_values is None
        names = [str(v) for v in getattr(obj, "feature_names_in_", [f"x{j}" for j in range(obj.n_features_in_)])]
        stats = np.asarray(obj.statistics_, dtype=object)
        kept = [j for j in range(len(stats)) if obj.strategy == "constant" or obj.keep_empty_features
                or not encoders._is_missing(stats[j])]
        for k, j in enumerate(kept[: len(nxt.categories_)]):
            cats = list(nxt.categories_[k])
            other = any(c is None for c in cats) if not imputes_none else any(
                c is not None and encoders._is_missing(c) for c in cats)
            if other:
                marker, use = ("None", "missing_values=None") if not imputes_none else ("NaN", "missing_values=np.nan")
                out.append(f"{_label(path, obj)} (column {names[j]!r}: it left {marker} values unimputed at fit, so "
                           f"{type(nxt).__name__} after it has a {marker} category; ferry has one missing marker "
                           f"and would impute them: use {use}, or one marker for missing text)")
    return out


def _may_be_sparse(obj: Any) -> bool:
    """Whether a fitted transformer hands a sparse matrix to the step after it."""
    if type(obj) is OneHotEncoder:
        return encoders.sparse_output(obj)
    if type(obj) in _VECTORIZERS or type(obj) is TfidfTransformer:
        return True
    if type(obj) is RandomTreesEmbedding:
        return bool(obj.sparse_output)
    if type(obj) in (DictVectorizer, FeatureHasher):
        return bool(getattr(obj, "sparse", True))  # DictVectorizer's sparse; a FeatureHasher's always
    if type(obj) is ColumnTransformer:
        return bool(getattr(obj, "sparse_output_", False))
    if type(obj) is FeatureUnion:
        return any(_may_be_sparse(t) for _, t in _branch_transformers(obj))
    if type(obj) is Pipeline:
        inner = [s for _, s in obj.steps if not _is_passthrough(s)]
        return bool(inner) and _may_be_sparse(inner[-1])
    return False


def _sparse_problems(leaves: List[Tuple[str, Any]], terminal: bool = True) -> List[str]:
    """ferry computes densely: a sparse one-hot output is exported only where the steps after it
    give the same values on a dense matrix (encoders.sparse_followers_problem). Inside a
    ColumnTransformer branch the followers end at the branch; what it stacks is checked as the
    ColumnTransformer's own output."""
    out = []
    for i, (path, obj) in enumerate(leaves):
        if type(obj) in (ColumnTransformer, FeatureUnion):
            for name, trans in _branch_transformers(obj):
                if type(trans) is Pipeline:
                    inner = [(f"{path}.transformers['{name}'].steps[{k}]", s) for k, (_, s) in enumerate(trans.steps)
                             if not _is_passthrough(s)]
                    out += _sparse_problems(inner, terminal=False)
        followers = [o for _, o in leaves[i + 1:]]
        if not followers or not _may_be_sparse(obj) or type(obj) is Pipeline:
            continue
        reason = encoders.sparse_followers_problem(followers, terminal)
        if reason:
            out.append(f"{_label(path, obj)} ({reason})")
    return out


def _check_fitted(leaves: List[Tuple[str, Any]]) -> None:
    unfitted = [_label(p, o) for i, (p, o) in enumerate(leaves) if not _is_fitted(o, i == len(leaves) - 1)]
    if unfitted:
        raise NotFittedError(
            "ferry can only export fitted models; not fitted: " + ", ".join(unfitted) + ". Call fit() first."
        )


# --------------------------------------------------------------------------- converting


def _takes_documents(first: Any) -> bool:
    """Whether the first step takes one column of documents (a list, Series or 1-D array): a
    text vectorizer, or a FeatureUnion of them (each branch possibly a Pipeline starting with one)."""
    if type(first) in _VECTORIZERS:
        return True
    if type(first) is Pipeline:
        inner = [s for _, s in first.steps if not _is_passthrough(s)]
        return bool(inner) and _takes_documents(inner[0])
    if type(first) is FeatureUnion:
        branches = [t for _, t in first.transformer_list if not (t is None or (isinstance(t, str) and t == "drop"))]
        return bool(branches) and all(not isinstance(t, str) and _takes_documents(t) for t in branches)
    return False


def _n_features_in(first: Any) -> int:
    n = getattr(first, "n_features_in_", None)
    if n is None:
        raise ValueError(f"{type(first).__name__} has no n_features_in_; is it fitted?")
    return int(n)


def _convert_chain(obj: Any, path: str, names_in: List[str], text: Optional[List[bool]] = None
                   ) -> List[Tuple[ConvertedStep, str, List[str]]]:
    """obj (a transformer, a Pipeline of them, a ColumnTransformer or a FeatureUnion) as
    (converted step, label, feature_names_out) triples, in the order they run. ``text`` (per
    input, whether it holds text) is known for the records a pipeline starts with."""
    if type(obj) is Pipeline:
        out: List[Tuple[ConvertedStep, str, List[str]]] = []
        names = list(names_in)
        for i, (_, step) in enumerate(obj.steps):
            if _is_passthrough(step):
                continue
            sub = _convert_chain(step, f"{path}.steps[{i}]" if path else f"steps[{i}]", names, None if out else text)
            out += sub
            if sub:
                names = sub[-1][2]
        return out
    label = _label(path, obj)
    if type(obj) in (ColumnTransformer, FeatureUnion):
        step = _convert_composite(obj, path, names_in)
    elif PREPROCESSORS[type(obj)].convert_columns is not None:
        step = PREPROCESSORS[type(obj)].convert_columns(obj, label, list(names_in), text)
    else:
        step = PREPROCESSORS[type(obj)].convert(obj, label)
    if step.n_features_in != len(names_in):
        raise ValueError(f"{label} takes {step.n_features_in} features but the step before it gives {len(names_in)}")
    return [(step, label, step.feature_names_out or _names_out(obj, names_in, step.n_features_out))]


def _selected_columns(ct: Any, name: str, columns: Any, n: int) -> List[int]:
    """The input indices a fitted ColumnTransformer gives transformer `name`."""
    known = getattr(ct, "_transformer_to_input_indices", None)
    if known is not None and name in known:
        return [int(i) for i in known[name]]
    from sklearn.utils import _get_column_indices  # older scikit-learn: resolve the spec ourselves

    names = getattr(ct, "feature_names_in_", None)
    if names is not None:
        import pandas as pd

        return [int(i) for i in _get_column_indices(pd.DataFrame(columns=list(names)), columns)]
    return [int(i) for i in _get_column_indices(np.zeros((1, n)), columns)]


def _convert_composite(obj: Any, path: str, names_in: List[str]) -> ConvertedStep:
    """ColumnTransformer or FeatureUnion -> column_transformer (docs/format.md 4.20)."""
    n = len(names_in)
    weights = obj.transformer_weights or {}
    branches: List[Branch] = []
    kept: List[Any] = []  # the transformers of `branches`
    if type(obj) is ColumnTransformer:
        entries = [(nm, tr, _selected_columns(obj, nm, cols, n)) for nm, tr, cols in obj.transformers_]
    else:
        entries = [(nm, tr, list(range(n))) for nm, tr in obj.transformer_list]
    for name, trans, columns in entries:
        if trans is None or (isinstance(trans, str) and trans == "drop") or not columns:
            continue
        sub_names = [names_in[c] for c in columns]
        where = f"{path}.transformers['{name}']" if path else f"transformers['{name}']"
        steps = [] if isinstance(trans, str) and trans == "passthrough" else _convert_chain(trans, where, sub_names)
        weight = weights.get(name)
        branches.append(Branch(str(name), columns, steps, None if weight is None else float(weight)))
        kept.append(trans)
    width = sum(b.steps[-1][0].n_features_out if b.steps else len(b.columns) for b in branches)
    stacking = _stacking(obj, kept)
    return ConvertedStep("column_transformer", {"sparse_output": stacking}, {}, n, width, branches=branches)


def _stacking(obj: Any, transformers: List[Any]) -> str:
    """How a ColumnTransformer / FeatureUnion stacked the outputs of its branches
    (`transformers`, those that gave columns; docs/format.md 4.20): dense; sparse, each row's
    entries branch by branch (scipy's hstack when every branch gave a CSR matrix); or sparse with
    each row's columns sorted (its COO route, when some branch gave a dense array)."""
    if type(obj) is ColumnTransformer:
        sparse = bool(getattr(obj, "sparse_output_", False))
    else:
        sparse = any(_gives_sparse(t) for t in transformers)
    if not sparse:
        return "dense"
    return "sparse" if all(_gives_sparse(t) for t in transformers) else "sparse_sorted"


def _gives_sparse(obj: Any) -> bool:
    """Whether a fitted transformer's output is a sparse matrix given dense input: it makes one,
    or a step keeps the one made before it."""
    if isinstance(obj, str):
        return False  # passthrough: the columns as they came
    if type(obj) is not Pipeline:
        return _may_be_sparse(obj)
    sparse = False
    for _, step in obj.steps:
        if _is_passthrough(step):
            continue
        conv = PREPROCESSORS.get(type(step))
        keeps = conv is not None and conv.same_on_sparse is not None and conv.same_on_sparse(step)
        sparse = _may_be_sparse(step) or (sparse and keeps)
    return sparse


# --------------------------------------------------------------------------- inputs


def _input_width(leaves: List[Tuple[str, Any]], X_sample: Any) -> int:
    """The width reaching a final estimator that does not record it: the output of the steps
    before it, or X_sample's columns when it stands alone."""
    if len(leaves) > 1:
        names = ["text"] if _takes_documents(leaves[0][1]) else [f"x{j}" for j in range(_n_features_in(leaves[0][1]))]
        for path, obj in leaves[:-1]:
            converted = _convert_chain(obj, path, names)
            if converted:
                names = converted[-1][2]
        return len(names)
    shape = getattr(X_sample, "shape", None)
    if shape is None or len(shape) != 2:
        raise ValueError(f"{_label(*leaves[-1])} does not record its input width; pass X_sample to export it")
    return int(shape[1])


def _feature_names(first: Any, n: int) -> Tuple[List[str], bool]:
    names = getattr(first, "feature_names_in_", None)
    conv = estimator_converter(type(first))
    if names is None and conv is not None and conv.feature_names is not None:
        names = conv.feature_names(first)  # a raw XGBoost Booster
    if names is None:
        return [f"x{i}" for i in range(n)], False
    names = [str(v) for v in names]
    if len(names) != n:
        raise ValueError(f"feature_names_in_ has {len(names)} names for {n} inputs")
    if any(not v for v in names):
        raise ValueError("feature names must be non-empty")
    dup = sorted({v for v in names if names.count(v) > 1})
    if dup:
        raise ValueError(f"feature names must be unique; repeated: {dup}")
    return names, True


def nullable_inputs(
    steps: List[ConvertedStep], n_inputs: Optional[int] = None, estimator: Optional[ConvertedStep] = None
) -> List[bool]:
    """Per input column, whether it may be missing (NaN) (docs/format.md 3.2): the first step
    that does not pass missing values through (the spec's ``passes_missing``: NaN in, NaN out,
    column by column) handles them itself (``handles_missing``), or there is no such step and
    the estimator handles them; through a column_transformer, each column by the branches that
    take it (a column no branch takes may be anything)."""
    n = steps[0].n_features_in if steps else (n_inputs or 0)
    for k, s in enumerate(steps):
        if s.type == "column_transformer":
            after = nullable_inputs(steps[k + 1 :], s.n_features_out, estimator)
            out = [True] * n
            offset = 0
            for b in s.branches or []:
                inner = [st for st, _, _ in b.steps]
                width = inner[-1].n_features_out if inner else len(b.columns)
                verdict = nullable_inputs(inner, len(b.columns)) if inner else after[offset : offset + width]
                for c, ok in zip(b.columns, verdict):
                    out[c] = out[c] and ok
                offset += width
            return out
        if _spec.flag(s.type, "handles_missing", s.params):
            return [True] * n
        if not _spec.flag(s.type, "passes_missing", s.params):
            return [False] * n
    return [estimator is not None and _spec.flag(estimator.type, "handles_missing", estimator.params)] * n


#: step types that take text columns (docs/format.md 3.2)
_TEXT_STEPS = ("one_hot_encoder", "ordinal_encoder", "dict_vectorizer", "feature_hasher")
#: step types that take free text (schema kind "text", docs/format.md 3.2 and 4.45)
_FREE_TEXT_STEPS = ("text_vectorizer", "hashing_vectorizer")


def free_text_inputs(steps: List[ConvertedStep], n_inputs: int, record_text: Optional[List[bool]] = None
                     ) -> List[bool]:
    """Per input column, whether it is free text: every step that first sees it is a text
    vectorizer (through a column_transformer, in every branch taking it), or a feature_hasher,
    which hashes any string: all its columns (input_type string) or the records' keys holding
    strings (input_type dict, ``record_text``)."""
    if steps and steps[0].type == "column_transformer":
        s = steps[0]
        out: List[Optional[bool]] = [None] * s.n_features_in
        for b in s.branches or []:
            inner = [st for st, _, _ in b.steps]
            verdict = free_text_inputs(inner, len(b.columns)) if inner else [False] * len(b.columns)
            for c, ok in zip(b.columns, verdict):
                out[c] = ok if out[c] is None else (out[c] and ok)
        return [bool(v) for v in out]
    if steps and steps[0].type == "feature_hasher":
        if steps[0].params["input_type"] == "dict":
            return list(record_text or [False] * steps[0].n_features_in)
        return [True] * steps[0].n_features_in
    if steps:
        return [steps[0].type in _FREE_TEXT_STEPS] * steps[0].n_features_in
    return [False] * n_inputs


def _free_text_problems(steps: List[ConvertedStep], n_inputs: int, names: List[str]) -> List[str]:
    """A free-text column some branch vectorizes and another branch takes otherwise: refused."""
    if not steps or steps[0].type != "column_transformer":
        return []
    takers: List[set] = [set() for _ in range(n_inputs)]
    for b in steps[0].branches or []:
        inner = [st for st, _, _ in b.steps]
        first = inner[0].type if inner else "passthrough"
        for c in b.columns:
            takers[c].add(first in _FREE_TEXT_STEPS or first == "feature_hasher")
    return [f"input {names[c]!r} goes to a text vectorizer or hasher and to another transformer; ferry takes a "
            "column as free text or as categories, not both" for c in range(n_inputs) if len(takers[c]) > 1]


def text_inputs(steps: List[ConvertedStep], n_inputs: int) -> List[bool]:
    """Per input column, whether it may hold text: the steps that first see it are encoders,
    possibly behind a simple_imputer (through a column_transformer, in every branch taking it)."""
    for k, s in enumerate(steps):
        if s.type == "column_transformer":
            out: List[Optional[bool]] = [None] * s.n_features_in
            for b in s.branches or []:
                inner = [st for st, _, _ in b.steps]
                verdict = text_inputs(inner, len(b.columns)) if inner else [False] * len(b.columns)
                for c, ok in zip(b.columns, verdict):
                    out[c] = ok if out[c] is None else (out[c] and ok)
            return [bool(v) if v is not None else True for v in out]
        if s.type == "simple_imputer" and k + 1 < len(steps) and s.n_features_out >= s.n_features_in:
            continue  # keeps its columns in place: what follows decides
        return [s.type in _TEXT_STEPS] * s.n_features_in
    return [False] * n_inputs


def _is_missing(v: Any) -> bool:
    if v is None:
        return True
    try:
        return bool(v != v)  # NaN, pandas.NA-like
    except (TypeError, ValueError):
        return False


@dataclass
class Sample:
    codes: np.ndarray  # float64 rows x inputs; text as index into categories, missing as NaN
    categories: List[Optional[List[str]]]  # per input: sorted distinct text values, None if numeric
    original: Any  # the rows as given (DataFrame or array), for scikit-learn
    #: per free-text input (schema kind "text"): its texts, row by row (codes are row indices)
    texts: Dict[int, List[str]] = dataclasses.field(default_factory=dict)

    def rows(self, idx: np.ndarray) -> Any:
        return self.original.iloc[idx] if hasattr(self.original, "iloc") else self.original[idx]


def _column_kind(values: np.ndarray, name: str) -> str:
    kinds = set()
    for v in values:
        if _is_missing(v):
            continue
        if isinstance(v, str):
            kinds.add("text")
        elif isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
            kinds.add("number")
        else:
            raise ValueError(f"X_sample column {name!r} holds a {type(v).__name__}; ferry takes numbers and text")
    if len(kinds) > 1:
        raise ValueError(f"X_sample column {name!r} mixes text and numbers")
    return "text" if kinds == {"text"} else "number"


def _sample(X_sample: Any, names: List[str], has_names: bool, nullable: List[bool], text_ok: List[bool],
            free_text: Optional[List[bool]] = None, one_dimensional: bool = False) -> Sample:
    n = len(names)
    free_text = free_text or [False] * n
    columns = getattr(X_sample, "columns", None)
    if one_dimensional:  # documents: the pipeline starts with a text vectorizer on one column
        if columns is not None:
            raise ValueError("X_sample must be one column of documents (a list, Series or 1-D array), as the "
                             "pipeline was fitted on")
        docs = X_sample.tolist() if hasattr(X_sample, "tolist") else list(X_sample)
        if not docs:
            raise ValueError("X_sample has no rows")
        texts = _documents(docs, names[0])
        original = X_sample if hasattr(X_sample, "iloc") else np.asarray(docs, dtype=object)
        return Sample(np.arange(len(docs), dtype=np.float64).reshape(-1, 1), [None], original, {0: texts})
    if columns is not None:  # a DataFrame
        cols = [str(c) for c in columns]
        if len(cols) != n:
            raise ValueError(f"X_sample has {len(cols)} columns but the model takes {n} inputs")
        if has_names and cols != names:
            diff = [f"{i}: {a!r} != {b!r}" for i, (a, b) in enumerate(zip(cols, names)) if a != b]
            raise ValueError(
                "X_sample's column names do not match the names the model was fitted with "
                f"(column {diff[0]}{', ...' if len(diff) > 1 else ''})"
            )
        raw = X_sample.to_numpy(dtype=object)
    else:
        raw = np.asarray(X_sample)
        if raw.dtype.kind not in "biufO":
            raw = raw.astype(object)
    if raw.ndim != 2:
        raise ValueError(f"X_sample must be 2-D (rows x {n} inputs), got shape {raw.shape}")
    if raw.shape[1] != n:
        raise ValueError(f"X_sample has {raw.shape[1]} columns but the model takes {n} inputs")
    if raw.shape[0] == 0:
        raise ValueError("X_sample has no rows")
    X = np.empty(raw.shape, dtype=np.float64)
    categories: List[Optional[List[str]]] = []
    texts: Dict[int, List[str]] = {}
    for j in range(n):
        col = raw[:, j]
        if free_text[j]:
            # a missing text, where the input is nullable: NaN here, null in verification.texts
            texts[j] = _documents(list(col), names[j], nullable[j])
            X[:, j] = [np.nan if t is None else float(i) for i, t in enumerate(texts[j])]
            categories.append(None)
        elif raw.dtype != object or _column_kind(col, names[j]) == "number":
            X[:, j] = [np.nan if _is_missing(v) else float(v) for v in col] if raw.dtype == object else col
            categories.append(None)
            if np.any(np.isinf(X[:, j])):
                raise ValueError(f"X_sample column {names[j]!r} contains infinity")
            if not nullable[j] and np.any(np.isnan(X[:, j])):
                raise ValueError(
                    f"X_sample column {names[j]!r} contains NaN; these models cannot take missing values there"
                )
        elif not text_ok[j]:
            raise ValueError(f"X_sample column {names[j]!r} holds text, but the model takes numeric input there")
        else:
            cats = sorted({v for v in col if not _is_missing(v)})
            index = {c: float(i) for i, c in enumerate(cats)}
            X[:, j] = [np.nan if _is_missing(v) else index[v] for v in col]
            categories.append(cats)
    return Sample(np.ascontiguousarray(X), categories, X_sample, texts)


def _documents(values: List[Any], name: str, nullable: bool = False) -> List[Optional[str]]:
    """A free-text column of X_sample: every value a str (scikit-learn's vectorizers refuse a
    missing document), encodable as UTF-8; a missing value (None) where the input is nullable."""
    out: List[Optional[str]] = []
    for i, v in enumerate(values):
        if nullable and _is_missing(v):
            out.append(None)
            continue
        if not isinstance(v, str):
            raise ValueError(f"X_sample column {name!r}, row {i}: {type(v).__name__} is not a document; a text "
                             "vectorizer takes str only")
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"X_sample column {name!r}, row {i}: the text is not valid Unicode (a lone "
                             "surrogate)") from None
        out.append(str(v))
    return out


def verification_indices(n_rows: int, max_rows: int = MAX_VERIFICATION_ROWS) -> np.ndarray:
    """Evenly spaced, deduplicated row indices: the verification rows."""
    idx = np.linspace(0, n_rows - 1, min(max_rows, n_rows)).round().astype(int)
    return np.unique(idx)


def _is_narrow_float(dtype: Any) -> bool:
    return isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize < 8


def _widened(X_sample: Any) -> Optional[Any]:
    """X_sample with its float32 (float16) columns widened to float64, which is exactly what
    ferry computes on (the widening is exact); None when it holds no such column."""
    dtypes = getattr(X_sample, "dtypes", None)
    if dtypes is not None and hasattr(X_sample, "columns"):  # a DataFrame
        narrow = [j for j, d in enumerate(dtypes) if _is_narrow_float(d)]
        if not narrow:
            return None
        out = X_sample.copy()
        for j in narrow:  # by position: column labels may repeat
            out.isetitem(j, X_sample.iloc[:, j].astype(np.float64))
        return out
    dtype = getattr(X_sample, "dtype", None)
    return np.asarray(X_sample, dtype=np.float64) if _is_narrow_float(dtype) else None


def _narrow_float_verification(
    model: Any,
    leaves: List[Tuple[str, Any]],
    est: ConvertedEstimator,
    sample: "Sample",
    widened: Any,
    idx: np.ndarray,
    fitted_names: Optional[List[str]],
    rtol: float,
    atol: float,
    usable: Optional[np.ndarray] = None,
) -> Tuple[np.ndarray, Dict[str, np.ndarray], float, float]:
    """Verification rows, their reference outputs and the tolerance for a sample holding
    float32 data.

    scikit-learn keeps float32 input in float32 through many steps (scalers, PCA, ...), while
    ferry widens it to float64 and computes in double: on the same values it computes what
    scikit-learn computes on the widened sample. The embedded reference outputs stay
    scikit-learn's own on the float32 rows; the tolerance must then cover the gap between the
    two arithmetics, so it is measured here, on up to NARROW_FLOAT_ROWS sample rows and on the
    verification rows themselves (a BLAS may round a batch of another size differently), as
    ``g = max |out32 - out64| / (|out32| + m)`` over every non-label output, ``m`` the
    median |output| (the outputs' scale: a value near 0, such as a decision function near the
    boundary, carries the rounding error of the terms it was summed from, not its own). The
    tolerance becomes ``rtol + F g`` and ``atol + F g m`` (F = NARROW_FLOAT_SAFETY): at least
    F times the gap on every row measured, room for rows the sample did not show, and the
    float64 default unchanged where the gap is 0.

    A row on which the two arithmetics reach a different discrete decision (another class, or,
    for a tree ensemble, whose output is piecewise constant, any difference at all: a value
    within rounding of a threshold took the other branch) is not a rounding gap and bounds
    nothing: no tolerance should cover it. Such rows are left out of the verification rows
    (the nearest measured row that did not diverge replaces each), and the exporter warns with
    their count, since on such a row ferry's answer is scikit-learn's on float64 data.
    """
    classification = est.task == "classification"

    def outputs(rows: np.ndarray) -> Tuple[Dict[str, np.ndarray], Dict[str, np.ndarray], np.ndarray]:
        """scikit-learn's outputs on the rows as given and widened, and which rows diverge."""
        out32 = _sklearn_outputs(model, leaves, est, sample.rows(rows), fitted_names)
        wide = dataclasses.replace(sample, original=widened)
        out64 = _sklearn_outputs(model, leaves, est, wide.rows(rows), fitted_names)
        diverged = np.zeros(len(rows), dtype=bool)
        for k in out32:
            if (classification and k == "predict") or est.type == "tree_ensemble":
                diverged |= np.any((out32[k] != out64[k]).reshape(len(rows), -1), axis=1)
        return out32, out64, diverged

    n = sample.codes.shape[0]
    measured = np.union1d(idx, verification_indices(n, NARROW_FLOAT_ROWS))
    if usable is not None:
        measured = np.intersect1d(measured, usable)  # the rows the kernels accept
    out32, out64, diverged = outputs(measured)
    if np.any(diverged):
        bad = set(measured[diverged].tolist())
        spare = [j for j in measured[~diverged].tolist() if j not in set(idx.tolist())]
        chosen = []
        for i in idx.tolist():
            if i not in bad:
                chosen.append(i)
            elif spare:
                j = min(spare, key=lambda j: (abs(j - i), j))
                spare.remove(j)
                chosen.append(j)
        what = "class" if est.type != "tree_ensemble" else "class or tree branch"
        if not chosen:
            raise ValueError(
                f"X_sample holds float32 data, and on every row checked scikit-learn's float32 arithmetic "
                f"and ferry's float64 arithmetic reach a different {what}; no verification row can be "
                "embedded: give more rows, or X_sample in float64"
            )
        warnings.warn(
            f"X_sample holds float32 data, which scikit-learn computes in float32 and ferry in float64: on "
            f"{int(diverged.sum())} of the {len(measured)} sample rows checked the two reach a different {what} "
            "(a value within float32 rounding of a decision boundary), where ferry gives scikit-learn's "
            "answer for the same values in float64. Those rows are not used as verification rows. "
            f"See {SUPPORTED_DOC}, 'float32 input'.",
            stacklevel=3,
        )
        idx = np.unique(np.asarray(chosen, dtype=idx.dtype))
    ver32, ver64, _ = outputs(idx)

    values = [k for k in out32 if not (classification and k == "predict")]
    if values:
        parts = [(out32, out64, ~diverged), (ver32, ver64, slice(None))]
        ref = np.concatenate([np.ravel(o32[k][rows]) for o32, _, rows in parts for k in values])
        got = np.concatenate([np.ravel(o64[k][rows]) for _, o64, rows in parts for k in values])
        scale = np.abs(ref)
        m = float(np.median(scale)) or float(np.max(scale))
        g = float(np.max(np.abs(got - ref) / (scale + m))) if m > 0 else 0.0
        if g > 0:
            rtol = rtol + NARROW_FLOAT_SAFETY * g
            atol = atol + NARROW_FLOAT_SAFETY * g * m
    return idx, ver32, rtol, atol


# --------------------------------------------------------------------------- metadata


def _created(created: Any) -> Optional[str]:
    """``metadata.created``, or None to leave it out: never the clock, so that exporting the
    same pipeline twice gives the same bytes (DESIGN section 4)."""
    if created is None:
        sde = os.environ.get("SOURCE_DATE_EPOCH", "")
        if sde == "":
            return None
        try:
            seconds = int(sde)
            dt = datetime.fromtimestamp(seconds, timezone.utc)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"SOURCE_DATE_EPOCH={sde!r} is not a valid Unix time") from None
    elif isinstance(created, datetime):
        dt = created.replace(tzinfo=timezone.utc) if created.tzinfo is None else created.astimezone(timezone.utc)
    elif isinstance(created, str):
        if not _CREATED.fullmatch(created):
            raise ValueError(f"created={created!r} is not an RFC 3339 UTC time YYYY-MM-DDTHH:MM:SSZ")
        try:
            dt = datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            raise ValueError(f"created={created!r} is not a valid date and time") from None
    else:
        raise TypeError("created must be None, a datetime or a 'YYYY-MM-DDTHH:MM:SSZ' string")
    return f"{dt.year:04d}-{dt.month:02d}-{dt.day:02d}T{dt.hour:02d}:{dt.minute:02d}:{dt.second:02d}Z"


def _training_rows(leaves: List[Tuple[str, Any]]) -> Optional[int]:
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler

    for _, obj in leaves:
        if type(obj) in (StandardScaler, MinMaxScaler, MaxAbsScaler) and hasattr(obj, "n_samples_seen_"):
            seen = np.asarray(obj.n_samples_seen_)
            if seen.size >= 1 and np.all(seen == seen.flat[0]):
                return int(seen.flat[0])
            return None
    return None


def producer_versions() -> Dict[str, str]:
    from . import __version__

    return {
        "ferry": __version__,
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
    }


# --------------------------------------------------------------------------- evaluation


#: a text value with code -1 (docs/format.md 3.2: in no vocabulary), equal to no category
UNSEEN = "\x00unseen"


def _decode(artifact: _format.Artifact, X: np.ndarray, texts: Optional[Dict[str, List[str]]] = None) -> np.ndarray:
    """Text inputs from their codes back to strings (docs/format.md 3.2): the kernels take
    numbers, or an object array holding str and NaN where there is text. A free-text input's
    code is the index of its text in ``texts[name]`` (by default the artifact's verification
    texts, docs/format.md 3.4)."""
    Z = np.asarray(X, dtype=np.float64)
    inputs = artifact.schema["inputs"]
    cats = [c.get("categories") if c["kind"] == "categorical" else None for c in inputs]
    free = [c["kind"] == "text" for c in inputs]
    if all(c is None for c in cats) and not any(free):
        return Z
    if texts is None:
        texts = (artifact.verification or {}).get("texts", {})
    out = Z.astype(object)
    for j, c in enumerate(cats):
        if c is not None:
            out[:, j] = [np.nan if np.isnan(v) else c[int(v)] if v >= 0 else UNSEEN for v in Z[:, j]]
        elif free[j]:
            docs = texts[inputs[j]["name"]]
            out[:, j] = [np.nan if np.isnan(v) else docs[int(v)] for v in Z[:, j]]
    return out


def _as_numbers_if_possible(Z: np.ndarray) -> np.ndarray:
    if Z.dtype == object and not any(isinstance(v, str) for v in Z.flat):
        return Z.astype(np.float64)
    return Z


def run_steps(steps: List[dict], Z: np.ndarray, tensors: Dict[str, np.ndarray]) -> np.ndarray:
    """The preprocessing steps of an artifact, with the numpy kernels."""
    for step in steps:
        if step["type"] == "column_transformer":
            parts = []
            for b in step["params"]["transformers"]:
                part = run_steps(b["steps"], Z[:, b["columns"]], tensors)
                if b.get("weight") is not None:
                    part = np.asarray(part, dtype=np.float64) * b["weight"]
                parts.append(part)
            Z = np.hstack(parts) if parts else np.zeros((Z.shape[0], 0))
        else:
            Z = KERNELS[step["type"]](step, {r: tensors[n] for r, n in step["tensors"].items()}, Z)
        Z = _as_numbers_if_possible(np.asarray(Z))
    return Z


def evaluate(artifact: _format.Artifact, X: np.ndarray, texts: Optional[Dict[str, List[str]]] = None
             ) -> Dict[str, np.ndarray]:
    """Run an artifact with the numpy kernels on X (text inputs as codes; a free-text input's
    code indexes ``texts[name]``, by default the verification texts): predict (values
    or class indices), predict_proba (classifiers) and decision_function (2-D raw scores)."""
    t = artifact.tensors
    Z = np.asarray(run_steps(artifact.pipeline, _decode(artifact, X, texts), t), dtype=np.float64)
    return estimator_outputs(artifact.estimator, t, Z, artifact.schema["task"])


def estimator_outputs(est: dict, tensors: Dict[str, np.ndarray], Z: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    """An estimator entry's numpy kernel on its input Z; a meta-estimator's kernel also gets
    every tensor of the artifact, for its sub-models (converters/composition.py)."""
    kernel = KERNELS[est["type"]]
    local = {r: tensors[n] for r, n in est["tensors"].items()}
    if getattr(kernel, "takes_sub_models", False):
        return kernel(est, local, Z, task, tensors)
    return kernel(est, local, Z, task)


def _accepted_rows(artifact: _format.Artifact, X: np.ndarray, texts: Dict[str, List[str]]) -> np.ndarray:
    """Indices of the rows of X the artifact's kernels answer (a value error refuses a row)."""
    try:
        evaluate(artifact, X, texts)
        return np.arange(X.shape[0])
    except ValueError:
        pass
    ok = []
    for i in range(X.shape[0]):
        try:
            evaluate(artifact, X[i:i + 1], texts)
            ok.append(i)
        except ValueError:
            pass
    return np.asarray(ok, dtype=np.int64)


def background_mean(artifact: _format.Artifact, X: np.ndarray, texts: Optional[Dict[str, List[str]]] = None
                    ) -> Optional[np.ndarray]:
    """Mean of the estimator's input over X (text inputs as codes), or None when a row does
    not reach the estimator as finite numbers (no background is stored then)."""
    try:
        Z = np.asarray(run_steps(artifact.pipeline, _decode(artifact, X, texts), artifact.tensors),
                       dtype=np.float64)
    except (ValueError, TypeError):
        return None
    if Z.ndim != 2 or Z.shape[0] == 0 or not np.all(np.isfinite(Z)):
        return None
    return np.ascontiguousarray(Z.mean(axis=0))


def _compare(what: str, got: np.ndarray, expected: np.ndarray, exact: bool, rtol: float = RTOL, atol: float = ATOL) -> None:
    if got.shape != expected.shape:
        raise AssertionError(f"{what}: shape {got.shape} != scikit-learn's {expected.shape}")
    if exact:
        bad = got != expected
    else:
        bad = ~(np.abs(got - expected) <= atol + rtol * np.abs(expected))
    if np.any(bad):
        i = tuple(np.argwhere(bad)[0])
        raise AssertionError(f"{what}{list(i)}: ferry {got[i]!r} != scikit-learn {expected[i]!r}")


# --------------------------------------------------------------------------- export


def export(
    model: Any,
    path: Any,
    *,
    X_sample: Any = None,
    name: Optional[str] = None,
    version: str = "0.0.0",
    description: str = "",
    created: Any = None,
    compress: bool = False,
    background_rows: int = 32,
    baseline_bins: int = _baselines.DEFAULT_BINS,
    baseline_categories: int = _baselines.DEFAULT_CATEGORIES,
) -> _format.Artifact:
    """Export a fitted Pipeline or bare estimator to ``path`` and return the
    artifact as read back from the written bytes.

    ``X_sample`` (DataFrame or array, rows x inputs) gives the input ranges, a
    fingerprint and up to 16 verification rows with scikit-learn's outputs,
    and the background of explanations: at most ``background_rows`` weighted
    rows summarising it (k-means medoids; 0 stores none, and explanations that
    need a background are then refused), and the drift baselines (docs/format.md 3.6): per
    input column and model output its statistics and ``baseline_bins`` quantile bins, per text
    column its ``baseline_categories`` most frequent categories (``baseline_bins=0`` stores
    none, and ferry::Monitor then refuses the model). Without ``X_sample`` there are no
    baselines.
    ``created`` (``metadata.created``) is a datetime or a ``YYYY-MM-DDTHH:MM:SSZ``
    string; by default the time in ``SOURCE_DATE_EPOCH`` when that is set, else the field is
    left out: ferry never reads the clock, so exporting the same fitted pipeline with the
    same arguments gives byte-identical files. Raises
    :class:`UnsupportedModelError` listing every unsupported step.
    """
    if not isinstance(version, str) or not isinstance(description, str):
        raise TypeError("version and description must be strings")
    if name is not None and not isinstance(name, str):
        raise TypeError("name must be a string or None")

    leaves = _leaves(model)
    if not leaves:
        raise UnsupportedModelError(["the pipeline has no steps (every step is passthrough)"])
    _check_supported(leaves)
    _check_fitted(leaves)
    created_str = _created(created)

    est = estimator_converter(type(leaves[-1][1])).convert(leaves[-1][1], _label(*leaves[-1]))
    assert isinstance(est, ConvertedEstimator)
    if est.n_features_in is None:  # an estimator that ignores X (DummyClassifier): takes any width
        est.n_features_in = _input_width(leaves, X_sample)
    one_dimensional = len(leaves) > 1 and _takes_documents(leaves[0][1])
    record_sample, record_text = None, None
    if len(leaves) > 1 and records.takes_records(leaves[0][1]):
        # Records (dicts): one input column per key (converters/records.py).
        if X_sample is not None:
            record_sample = records.read_records(X_sample)
        try:
            names, record_text = records.layout(leaves[0][1], record_sample, _label(*leaves[0]))
        except records.ConversionError as e:
            raise UnsupportedModelError([str(e)]) from None
        n_inputs, has_names = len(names), False
    elif one_dimensional:
        # A vectorizer first takes one column of documents, which has no name of its own.
        n_inputs = 1
        series_name = getattr(X_sample, "name", None) if hasattr(X_sample, "iloc") else None
        names, has_names = [str(series_name) if series_name not in (None, "") else "text"], False
    else:
        n_inputs = _n_features_in(leaves[0][1]) if len(leaves) > 1 else est.n_features_in
        names, has_names = _feature_names(leaves[0][1], n_inputs)

    # Convert every step; composite steps (ColumnTransformer, FeatureUnion) carry theirs inside.
    chain: List[Tuple[ConvertedStep, str, List[str]]] = []
    width_names = list(names)
    for path_, obj in leaves[:-1]:
        converted_steps = _convert_chain(obj, path_, width_names, record_text if not chain else None)
        if type(obj) is OneHotEncoder and encoders.sparse_output(obj):
            # Its rows stay sparse for what follows (inside a ColumnTransformer, the stacking decides).
            converted_steps[0][0].params["sparse_output"] = True
        chain += converted_steps
        if converted_steps:
            width_names = converted_steps[-1][2]
    if est.n_features_in != len(width_names):
        raise ValueError(
            f"{_label(*leaves[-1])} takes {est.n_features_in} features but the step before it gives {len(width_names)}"
        )

    tensors: Dict[str, np.ndarray] = {}

    def step_header(step: ConvertedStep, prefix: str, label: str, names_out: Optional[List[str]]) -> dict:
        refs = {}
        for role, arr in step.tensors.items():
            tname = f"{prefix}.{role}"
            tensors[tname] = arr
            refs[role] = tname
        params = step.params
        if step.branches is not None:
            params = dict(params)
            params["transformers"] = [
                {
                    "name": b.name,
                    "columns": [int(c) for c in b.columns],
                    "weight": b.weight,
                    "steps": [
                        step_header(sub, f"{prefix}.transformers.{k}.steps.{i}", sub_label, sub_names)
                        for i, (sub, sub_label, sub_names) in enumerate(b.steps)
                    ],
                }
                for k, b in enumerate(step.branches)
            ]
        if step.sub_models:
            params = dict(params)
            for key, subs in step.sub_models.items():
                if isinstance(subs, list):
                    params[key] = [sub_entry(sub, f"{prefix}.{key}.{k}") for k, sub in enumerate(subs)]
                else:
                    params[key] = sub_entry(subs, f"{prefix}.{key}")
        entry = {
            "type": step.type,
            "name": label,
            "n_features_in": int(step.n_features_in),
            "n_features_out": int(step.n_features_out),
            "params": params,
            "tensors": refs,
        }
        if names_out is not None:
            prefix = _numbered_prefix(names_out)
            if prefix is not None:
                entry["feature_names_prefix"] = prefix
            else:
                entry["feature_names_out"] = names_out
        return entry

    def sub_entry(sub: Any, prefix: str) -> dict:
        """A meta-estimator's sub-model (docs/format.md 4.30), its tensors under prefix."""
        entry = {
            "name": sub.name,
            "task": sub.task,
            "n_outputs": int(sub.n_outputs),
            "pipeline": [step_header(s, f"{prefix}.steps.{i}", label, names_out)
                         for i, (s, label, names_out) in enumerate(sub.steps)],
            "estimator": step_header(sub.estimator, f"{prefix}.estimator", sub.name, None),
        }
        if sub.columns is not None:
            entry["columns"] = [int(c) for c in sub.columns]
        return entry

    pipeline = [step_header(s, f"steps.{i}", label, names_out) for i, (s, label, names_out) in enumerate(chain)]
    estimator = step_header(est, "estimator", _label(*leaves[-1]), None)

    classes = None
    if est.task == "classification":
        dtype, values = class_labels(est.classes)
        classes = {"dtype": dtype, "values": values}

    nullable = nullable_inputs([c[0] for c in chain], n_inputs, est)
    free_text = free_text_inputs([c[0] for c in chain], n_inputs, record_text)
    problems = _free_text_problems([c[0] for c in chain], n_inputs, names)
    if problems:
        raise UnsupportedModelError(problems)
    rtol = RTOL if est.rtol is None else est.rtol
    atol = ATOL if est.atol is None else est.atol
    sample = None
    categories: List[Optional[List[str]]] = [None] * n_inputs
    ranges: List[Any] = [None] * n_inputs
    if record_sample is not None:
        # ferry's side reads the records as a table of their keys; scikit-learn's, the records.
        sample = _sample(records.frame_of(record_sample), names, True, nullable,
                         text_inputs([c[0] for c in chain], n_inputs), free_text)
        sample.original = record_sample.records
    elif X_sample is not None:
        sample = _sample(X_sample, names, has_names, nullable, text_inputs([c[0] for c in chain], n_inputs),
                         free_text, one_dimensional)
    if sample is not None:
        categories = sample.categories
        for j, col in enumerate(sample.codes.T):
            seen = col[~np.isnan(col)]
            if categories[j] is None and seen.size:
                ranges[j] = [float(seen.min()), float(seen.max())]
    if sample is None and record_text is not None:
        # A key holding strings is categorical even without a sample: the step stores its values.
        categories = [[] if t and not f else None for t, f in zip(record_text, free_text)]
    X = None if sample is None else sample.codes

    def input_entry(j: int) -> dict:
        if free_text[j]:
            # A text vectorizer refuses a missing document, as scikit-learn's; a feature_hasher
            # of records takes it as an absent key.
            return {"name": names[j], "kind": "text", "nullable": nullable[j]}
        if categories[j] is not None:
            # Each step decides what a missing or unseen value means (an encoder may take it).
            return {"name": names[j], "kind": "categorical", "nullable": True, "categories": categories[j]}
        return {"name": names[j], "kind": "numeric", "nullable": nullable[j], "range": ranges[j]}

    header: Dict[str, Any] = {
        "metadata": {
            "name": name if name is not None else type(leaves[-1][1]).__name__.lower(),
            "version": version,
            "description": description,
            **({} if created_str is None else {"created": created_str}),
            "producer": producer_versions(),
            "training": {
                "n_rows": _training_rows(leaves),
                "sample_rows": 0 if X is None else int(X.shape[0]),
                "sample_sha256": None if X is None else hashlib.sha256(X.astype("<f8").tobytes()).hexdigest(),
            },
        },
        "schema": {
            "inputs": [input_entry(j) for j in range(n_inputs)],
            "task": est.task,
            "n_outputs": int(est.n_outputs),
            "classes": classes,
            "target": None,
        },
        "pipeline": pipeline,
        "estimator": estimator,
    }

    expected: Dict[str, np.ndarray] = {}
    usable = None if X is None else np.arange(X.shape[0])
    if X is not None and est.refuses_rows:
        usable = _accepted_rows(_format.loads(_format.dumps(header, tensors, compress=compress)), X,
                                {names[j]: docs for j, docs in sample.texts.items()})
        if usable.size == 0:
            raise ValueError(f"{_label(*leaves[-1])} refuses every row of X_sample (e.g. no stored row within "
                             "its radius): give sample rows the model answers")
        if usable.size < X.shape[0]:
            warnings.warn(
                f"{X.shape[0] - usable.size} of the {X.shape[0]} X_sample rows are refused by "
                f"{_label(*leaves[-1])} (e.g. no stored row within its radius; ferry refuses such rows "
                "with a value error); they are not used as verification or background rows",
                stacklevel=2,
            )
    if X is not None:
        idx = usable[verification_indices(usable.size)]
        fitted_names = names if has_names else None
        widened = None if record_sample is not None else _widened(X_sample)
        if widened is None:
            expected = _sklearn_outputs(model, leaves, est, sample.rows(idx), fitted_names)
        else:
            idx, expected, rtol, atol = _narrow_float_verification(
                model, leaves, est, sample, widened, idx, fitted_names, rtol, atol, usable
            )
        rows = X[idx]
        ver_texts = {}
        if sample.texts:
            rows = rows.copy()
            for j, docs in sample.texts.items():
                ver_texts[names[j]] = [docs[int(i)] for i in idx]
                rows[:, j] = [np.nan if docs[int(i)] is None else k for k, i in enumerate(idx)]
        tensors["verification.input"] = rows
        outputs = {}
        for key, arr in expected.items():
            tensors[f"verification.{key}"] = arr
            outputs[key] = f"verification.{key}"
        header["verification"] = {
            "rows": int(rows.shape[0]),
            "input": "verification.input",
            "outputs": outputs,
            "rtol": rtol,
            "atol": atol,
        }
        if ver_texts:
            header["verification"]["texts"] = ver_texts

    data = _format.dumps(header, tensors, compress=compress)
    artifact = _format.loads(data)
    if X is not None:
        explain: Dict[str, str] = {}
        sample_texts = {names[j]: docs for j, docs in sample.texts.items()}
        mean = background_mean(artifact, X, sample_texts) if est.type == "linear" else None
        if mean is not None:
            # Linear SHAP's background (docs/format.md 3.5): the estimator's input averaged
            # over the whole sample, computed with the artifact's own kernels so that it is the
            # mean of exactly what ferry feeds the estimator.
            tensors["explain.background_mean"] = mean
            explain["background_mean"] = "explain.background_mean"
        if background_rows and not sample.texts:  # background rows hold no free text (format.md 3.5)
            rows, weights = _background.summarize(X[usable], categories, background_rows)
            evaluate(artifact, rows)  # every background row must run (they are sample rows)
            tensors["explain.background"] = rows
            tensors["explain.background_weights"] = weights
            explain["background"] = "explain.background"
            explain["background_weights"] = "explain.background_weights"
        if explain:
            header["explain"] = explain
        if baseline_bins and not sample.texts:  # no drift baselines of documents yet
            # The model's outputs on the whole sample, with the artifact's own kernels: what
            # ferry serves (equal to scikit-learn's within the verification tolerance).
            # Over the rows the model answers (a radius model refuses some, see refuses_rows).
            header["baseline"] = _baselines.section(
                X[usable], header["schema"], categories, evaluate(artifact, X[usable]), baseline_bins,
                baseline_categories
            )
        if explain or "baseline" in header:
            data = _format.dumps(header, tensors, compress=compress)
            artifact = _format.loads(data)

    if X is not None:
        got = evaluate(artifact, artifact.tensors["verification.input"])
        for key, exp in expected.items():
            try:
                _compare(key, got[key], exp, (key == "predict" and est.task == "classification"), rtol, atol)
            except AssertionError as e:
                raise ValueError(
                    f"internal error: the exported artifact does not reproduce scikit-learn's {e}; "
                    "please report this model"
                ) from None

    with open(os.fspath(path), "wb") as f:
        f.write(data)
    return artifact


def _sklearn_outputs(model, leaves, est: ConvertedEstimator, rows: Any, fitted_names) -> Dict[str, np.ndarray]:
    """scikit-learn's own outputs for the verification rows (as given in X_sample), or the
    trainer's own, for estimators with a reference function such as XGBoost's."""
    conv = estimator_converter(type(leaves[-1][1]))
    if conv is not None and conv.reference is not None:
        Xt = rows
        for _, obj in leaves[:-1]:
            Xt = obj.transform(Xt)
        return conv.reference(leaves[-1][1], np.asarray(Xt, dtype=np.float64), est)
    if fitted_names is not None and not hasattr(rows, "columns") and rows.ndim == 2:
        import pandas as pd

        original = list(leaves[0][1].feature_names_in_)
        X_in = pd.DataFrame(rows, columns=original)
    else:
        X_in = rows
    n = rows.shape[0]
    out: Dict[str, np.ndarray] = {}
    pred = np.asarray(model.predict(X_in))
    if est.task == "classification":
        classes = np.asarray(est.classes)
        idx = np.array([np.flatnonzero(classes == p)[0] for p in pred], dtype=np.int64)
        out["predict"] = idx
        if hasattr(model, "predict_proba"):
            out["predict_proba"] = np.asarray(model.predict_proba(X_in), dtype=np.float64).reshape(n, -1)
        if hasattr(model, "decision_function"):
            out["decision_function"] = np.asarray(model.decision_function(X_in), dtype=np.float64).reshape(n, -1)
    else:
        out["predict"] = np.asarray(pred, dtype=np.float64).reshape(n, -1)
    return out
