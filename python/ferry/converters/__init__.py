"""Converters from fitted scikit-learn objects to ``.ferry`` steps.

One module per step family or estimator family, named like its C++ twin
(``scalers.py`` ~ src/pipeline/*_scaler.cpp, ``normalizer.py`` ~
src/pipeline/normalizer.cpp, ``linear.py`` ~ src/models/linear.cpp). Each
module provides

- ``convert_*(est, label)`` -> :class:`ConvertedStep` / :class:`ConvertedEstimator`:
  the step's ``type``, ``params`` and tensors (role -> numpy array);
- a numpy kernel keyed by step ``type`` in :data:`KERNELS`, the reference
  semantics of docs/format.md section 4, used by the exporter to check that
  the artifact reproduces scikit-learn before it is written.

The tables below are keyed by **exact class**: a subclass may override
``transform`` or ``predict``, so it is unsupported until it has a converter
of its own. Adding a family = one new module with its own ``PREPROCESSORS`` /
``ESTIMATORS`` and ``KERNELS`` tables, collected here at import.

Tree models share one estimator type, ``tree_ensemble``: ``tree_ensemble.py``
holds the representation and its kernel, ``trees.py`` the scikit-learn
converters and ``xgboost.py`` XGBoost's. Classes of optional libraries
(XGBoost) are looked up by exact class too, but registered on first use
(:func:`estimator_converter`), so ferry imports without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np


class ConversionError(ValueError):
    """A supported class whose fitted state ferry cannot represent."""


@dataclass
class ConvertedStep:
    type: str
    params: Dict[str, Any]
    tensors: Dict[str, np.ndarray]  # role -> array
    n_features_in: int
    n_features_out: int
    #: composite steps (column_transformer): one Branch per transformer, whose steps the
    #: exporter writes into params["transformers"]
    branches: Optional[List["Branch"]] = None
    #: meta-estimators (converters/composition.py): param key -> a sub-model or a list of them,
    #: which the exporter writes into params with their steps and tensors (docs/format.md 4.30)
    sub_models: Optional[Dict[str, Any]] = None
    #: the output names, for a step scikit-learn names none of (FeatureHasher); None: the
    #: exporter asks scikit-learn's get_feature_names_out()
    feature_names_out: Optional[List[str]] = None


@dataclass
class Branch:
    name: str
    columns: List[int]  # input columns it takes
    steps: List[Tuple[ConvertedStep, str, List[str]]]  # (step, label, feature_names_out)
    weight: Optional[float] = None


@dataclass
class ConvertedEstimator(ConvertedStep):
    task: str = "regression"  # "regression" | "classification"
    n_outputs: int = 1
    classes: Optional[np.ndarray] = None  # scikit-learn's classes_, classification only
    #: verification tolerances when the trainer's own arithmetic is coarser than float64
    #: (XGBoost's float32); None = the exporter's defaults
    rtol: Optional[float] = None
    atol: Optional[float] = None
    #: the kernel refuses some rows (a value error, as a radius neighbour model refuses a row
    #: with no stored row within its radius): the exporter then verifies and summarises only
    #: the sample rows the kernels accept
    refuses_rows: bool = False


@dataclass(frozen=True)
class Converter:
    #: (fitted estimator, label such as "steps[0]: StandardScaler") -> converted step
    convert: Optional[Callable[[Any, str], ConvertedStep]]
    #: fitted estimator -> reason it cannot be exported, or None (optional)
    check: Optional[Callable[[Any], Optional[str]]] = None
    #: (fitted estimator, rows after preprocessing, converted) -> the trainer's own outputs,
    #: for estimators whose outputs are not scikit-learn's predict/predict_proba/decision_function
    reference: Optional[Callable[[Any, np.ndarray, "ConvertedEstimator"], Dict[str, np.ndarray]]] = None
    #: fitted estimator -> whether it is fitted, for objects scikit-learn's check_is_fitted cannot judge
    is_fitted: Optional[Callable[[Any], bool]] = None
    #: fitted estimator -> its input names where it has no feature_names_in_ (optional)
    feature_names: Optional[Callable[[Any], Optional[List[str]]]] = None
    #: fitted estimator -> whether it computes on a sparse matrix what it computes on the dense
    #: form (ferry computes densely, so only such steps may follow a sparse one-hot output)
    same_on_sparse: Optional[Callable[[Any], bool]] = None
    #: instead of convert, for a step whose fitted state does not record its input columns (the
    #: records steps): (fitted estimator, label, input names, per input whether it holds text, or
    #: None when unknown) -> converted step
    convert_columns: Optional[Callable[[Any, str, List[str], Optional[List[bool]]], ConvertedStep]] = None


def class_labels(classes) -> Tuple[str, List[Any]]:
    """(schema.classes.dtype, JSON-ready values) for scikit-learn's ``classes_``.

    Raises :class:`ConversionError` for labels that mix types or have a type
    the format cannot hold.
    """
    arr = np.asarray(classes)
    if arr.ndim != 1:
        raise ConversionError(f"classes_ has shape {arr.shape}; multi-output classifiers are not supported")
    kind = arr.dtype.kind
    if kind == "b":
        return "bool", [bool(v) for v in arr]
    if kind in "iu":
        values = [int(v) for v in arr]
        if any(not -(2**63) <= v < 2**63 for v in values):
            raise ConversionError("integer class labels do not fit in int64")
        return "int64", values
    if kind == "f":
        values = [float(v) for v in arr]
        if not all(np.isfinite(values)):
            raise ConversionError("float class labels must be finite")
        return "float64", values
    if kind == "U":
        return "str", [str(v) for v in arr]
    if kind == "O":
        types = set()
        for v in arr:
            if isinstance(v, (bool, np.bool_)):
                types.add("bool")
            elif isinstance(v, (int, np.integer)):
                types.add("int64")
            elif isinstance(v, (float, np.floating)):
                types.add("float64")
            elif isinstance(v, str):
                types.add("str")
            else:
                types.add(type(v).__name__)
        if len(types) != 1:
            raise ConversionError(f"class labels mix types ({', '.join(sorted(types))})")
        (t,) = types
        if t not in ("bool", "int64", "float64", "str"):
            raise ConversionError(f"class labels of type {t} are not supported")
        try:
            plain = np.array(list(arr), dtype={"bool": bool, "int64": np.int64, "float64": np.float64, "str": str}[t])
        except OverflowError:
            raise ConversionError("integer class labels do not fit in int64") from None
        return class_labels(plain)
    raise ConversionError(f"class labels of dtype {arr.dtype} are not supported")


#: top-level package of a library whose estimators are not scikit-learn classes ->
#: the converters module that registers them on first use (so ferry imports without it)
_LAZY_FAMILIES = {"xgboost": "xgboost"}


def _collect():
    """The tables of every module of this package: ``PREPROCESSORS`` and ``ESTIMATORS`` (exact
    class -> Converter) and ``KERNELS`` (step type -> numpy kernel). A new family is one new
    module; a class or step type claimed twice is a programming error, refused at import."""
    import importlib
    import pkgutil

    tables: Dict[str, Dict[Any, Any]] = {"PREPROCESSORS": {}, "ESTIMATORS": {}, "KERNELS": {}}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name in _LAZY_FAMILIES.values():
            continue  # imports an optional library: registered on first use
        module = importlib.import_module(f"{__name__}.{info.name}")
        for table, merged in tables.items():
            for key, value in getattr(module, table, {}).items():
                if key in merged:
                    raise RuntimeError(f"ferry.converters.{info.name}: {key!r} is already in {table}")
                merged[key] = value
    return tables["PREPROCESSORS"], tables["ESTIMATORS"], tables["KERNELS"]


#: preprocessing steps and final estimators, keyed by exact class; step type -> numpy kernel
#: (reference semantics of docs/format.md section 4)
PREPROCESSORS, ESTIMATORS, KERNELS = _collect()


def estimator_converter(cls: type) -> Optional[Converter]:
    """The converter registered for exactly this final-estimator class, or None.

    Classes of optional libraries (XGBoost) are registered the first time one of
    their objects is seen, so ferry itself never imports those libraries."""
    conv = ESTIMATORS.get(cls)
    if conv is not None:
        return conv
    family = _LAZY_FAMILIES.get(getattr(cls, "__module__", "").split(".")[0])
    if family is None:
        return None
    import importlib

    module = importlib.import_module(f"{__name__}.{family}")
    for k, v in module.converters().items():
        ESTIMATORS.setdefault(k, v)
    return ESTIMATORS.get(cls)

__all__ = [
    "ConversionError",
    "ConvertedStep",
    "Branch",
    "ConvertedEstimator",
    "Converter",
    "class_labels",
    "estimator_converter",
    "PREPROCESSORS",
    "ESTIMATORS",
    "KERNELS",
]
