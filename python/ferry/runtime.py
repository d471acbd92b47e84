"""ferry's C++ runtime in Python: :class:`Model` loads a ``.ferry`` artifact and predicts.

The same library, the same file and the same results as a C++ host (docs/api.md), on numpy
arrays and pandas DataFrames:

>>> model = ferry.Model.load("artifacts/iris/model.ferry")      # doctest: +SKIP
>>> model.predict(X)               # labels, as the scikit-learn pipeline's predict
>>> model.predict_proba(df)        # a DataFrame with one column per class

Dense input: a 2-D array, columns in ``model.input_names`` order (all-numeric models only). A
C-contiguous float64 or float32 array is read in place, without a copy; anything else is first
converted with ``np.ascontiguousarray(X, dtype=np.float64)``. Named input: a pandas DataFrame,
bound to the inputs by column name (order free), numeric columns as float64 (NaN or None is a
missing value) and text columns (object, string or category dtype) as text; a 2-D object array
is read as named input with the columns in ``input_names`` order. The GIL is released while the
C++ runtime computes, so threads scoring different batches run in parallel.

The native module ``ferry._native`` is built by CMake (``FERRY_BUILD_PYTHON``, on when pybind11
is found) into ``<build>/python/ferry/``. It is looked up, in order: beside this file (an
installed package), in ``$FERRY_NATIVE_DIR``, then in ``build/release/python/ferry`` and
``build/python/ferry`` of the source tree this package sits in. The exporter (``ferry.export``) never needs it.
"""

from __future__ import annotations

import glob
import os
import pathlib
import sys
from dataclasses import dataclass, field
from typing import Any, List, Optional, Tuple

import numpy as np

from .errors import ErrorCode, FerryError

__all__ = ["Model", "Explanation", "ValidationIssue", "native_available", "FerryError", "ErrorCode"]

_PACKAGE_DIR = pathlib.Path(__file__).resolve().parent
_native_module = None


def _native_dirs():
    dirs = []
    env = os.environ.get("FERRY_NATIVE_DIR")
    if env:
        dirs.append(pathlib.Path(env))
    source_tree = _PACKAGE_DIR.parent.parent
    dirs.append(source_tree / "build" / "release" / "python" / "ferry")  # scripts/test's build
    dirs.append(source_tree / "build" / "python" / "ferry")  # the README's "building by hand"
    return dirs


def _native():
    """The native module, imported on first use."""
    global _native_module
    if _native_module is None:
        package = sys.modules[__package__]
        for d in _native_dirs():
            if str(d) not in package.__path__ and glob.glob(str(d / "_native*.so")):
                package.__path__.append(str(d))  # ferry._native may live in the build tree
        try:
            from . import _native as module
        except ImportError as e:
            raise ImportError(
                "ferry's native module (ferry._native) is not built: build the project with CMake "
                "(pybind11-dev installed), or point FERRY_NATIVE_DIR at the directory that holds "
                f"_native*.so (docs/scale-out.md); {e}") from e
        _native_module = module
    return _native_module


def native_available() -> bool:
    """Whether ferry._native can be imported (the tests skip without it)."""
    try:
        _native()
        return True
    except ImportError:
        return False


@dataclass
class ValidationIssue:
    """One problem in one column (ferry::ValidationIssue)."""

    kind: str  # missing_column, wrong_type, missing_value, not_finite, rejected, extra_column, ...
    fatal: bool
    column: str
    rows: int
    first_row: int
    code: Any  # the ErrorCode predict raises for it, when fatal
    message: str


@dataclass
class Explanation:
    """SHAP values per raw input column (ferry::Explanation, docs/api.md).

    ``values[o, r, c]``: column ``c``'s attribution to raw score ``o`` of row ``r``;
    ``base_values[r, o] + values[o, r, :].sum()`` is that score.
    """

    values: np.ndarray  # outputs x rows x columns
    base_values: np.ndarray  # rows x outputs
    feature_names: List[str]
    output_names: List[str]
    method: str
    standard_errors: Optional[np.ndarray] = None  # as values, method "interventional_sampling"
    index: Any = field(default=None, repr=False)
    #: per row, for a linear model on free text (ferry::Explanation::terms): the row's terms as
    #: (text column, feature, per-output weight x value) tuples, largest first; else empty
    terms: List[List[Tuple[str, str, List[float]]]] = field(default_factory=list)

    def frame(self, output: int = 0):
        """Output ``output``'s values as a DataFrame (columns: the raw input names)."""
        import pandas as pd

        return pd.DataFrame(self.values[output], columns=self.feature_names, index=self.index)


def _is_frame(X) -> bool:
    pd = sys.modules.get("pandas")
    return pd is not None and isinstance(X, pd.DataFrame)


def _text_column(values):
    """(object array, missing mask): str taken as it is, anything else through str() (in C++)."""
    import pandas as pd

    values = np.ascontiguousarray(values, dtype=object)
    return values, np.ascontiguousarray(pd.isna(values), dtype=bool)


_PLAIN_NUMBERS = "fiub"  # numpy float, int, unsigned, bool dtypes


def _frame_columns(df) -> list:
    import pandas as pd

    names = [str(n) for n in df.columns]
    dtypes = list(df.dtypes)
    if all(isinstance(d, np.dtype) and d.kind in _PLAIN_NUMBERS for d in dtypes):
        # one conversion for the whole frame; each row of the transpose is one column
        block = np.ascontiguousarray(df.to_numpy(dtype=np.float64).T)
        return list(zip(names, block))
    columns = []
    for name, dtype, (_, s) in zip(names, dtypes, df.items()):
        if isinstance(dtype, np.dtype) and dtype.kind in _PLAIN_NUMBERS:
            columns.append((name, np.ascontiguousarray(s.to_numpy(), dtype=np.float64)))
        elif not isinstance(dtype, pd.CategoricalDtype) and (pd.api.types.is_bool_dtype(dtype) or
                                                           pd.api.types.is_numeric_dtype(dtype)):
            # pandas' nullable Int64, Float64, boolean: pd.NA is a missing value
            columns.append((name, s.to_numpy(dtype=np.float64, na_value=np.nan)))
        else:  # object, string, category: text (a text column of numbers still feeds a numeric input)
            columns.append((name, *_text_column(s.to_numpy(dtype=object))))
    return columns


class Model:
    """A loaded ``.ferry`` model: ferry::Model (docs/api.md) with numpy and pandas in and out.

    Every method raises :class:`ferry.FerryError` with the C++ error's code and message.
    A Model is immutable; one may be used from many threads at once.
    """

    __slots__ = ("_m", "_classes", "_inputs")

    def __init__(self, native_model):
        self._m = native_model
        self._inputs = native_model.inputs
        classes = native_model.classes
        if native_model.class_type == "str":
            self._classes = np.array(classes, dtype=object)
        elif native_model.class_type == "bool":
            self._classes = np.array(classes, dtype=bool)
        elif native_model.class_type == "float64":
            self._classes = np.array(classes, dtype=np.float64)
        else:
            self._classes = np.array(classes, dtype=np.int64)

    # -- loading ------------------------------------------------------------------------------
    @classmethod
    def load(cls, path, *, verify: bool = False) -> "Model":
        """ferry::Model::load; ``verify`` re-runs the test rows embedded by the exporter."""
        return cls(_native().Model.load(os.fspath(path), verify))

    @classmethod
    def from_bytes(cls, data, *, verify: bool = False) -> "Model":
        """ferry::Model::from_bytes: an artifact held in memory (bytes-like)."""
        return cls(_native().Model.from_bytes(bytes(data), verify))

    # -- what the model is --------------------------------------------------------------------
    @property
    def inputs(self) -> List[dict]:
        """schema().inputs: dicts with name, kind ("numeric"/"text"), nullable, min, max, categories."""
        return [dict(c) for c in self._inputs]

    @property
    def input_names(self) -> List[str]:
        return [c["name"] for c in self._inputs]

    @property
    def task(self) -> str:
        """"classification" or "regression"."""
        return self._m.task

    @property
    def is_classifier(self) -> bool:
        return self._m.task == "classification"

    @property
    def classes(self) -> Optional[np.ndarray]:
        """The class labels in their type (scikit-learn's classes_), None for a regressor."""
        return self._classes.copy() if self.is_classifier else None

    @property
    def class_names(self) -> List[str]:
        """The labels as text ("setosa", "7", "True"), as the CLI and expected.csv write them."""
        return list(self._m.class_names)

    @property
    def n_outputs(self) -> int:
        """Targets (regression) or classes (classification)."""
        return self._m.n_outputs

    @property
    def target(self) -> str:
        return self._m.target

    @property
    def metadata(self) -> dict:
        return self._m.metadata

    @property
    def name(self) -> str:
        return self._m.metadata["name"]

    @property
    def version(self) -> str:
        """metadata.version, chosen by the model's author."""
        return self._m.metadata["version"]

    @property
    def transformed_feature_names(self) -> List[str]:
        return list(self._m.transformed_feature_names)

    def __repr__(self) -> str:
        return (f"ferry.Model(name={self.name!r}, version={self.version!r}, task={self.task!r}, "
                f"inputs={len(self._inputs)})")

    # -- input --------------------------------------------------------------------------------
    def _input(self, X):
        """(what _native takes, the DataFrame index or None)."""
        if _is_frame(X):
            return _frame_columns(X), X.index
        if isinstance(X, (list, tuple)) and X and isinstance(X[0], tuple):
            return list(X), None  # already (name, values) pairs
        a = np.asarray(X)
        if a.ndim != 2:
            raise ValueError(f"expected a 2-D array (rows x {len(self._inputs)} inputs) or a DataFrame, "
                             f"got {a.ndim} dimension(s)")
        if a.dtype == object or a.dtype.kind in "US":
            if a.shape[1] != len(self._inputs):
                raise FerryError(ErrorCode.SHAPE, f"input has {a.shape[1]} columns but the model takes "
                                                  f"{len(self._inputs)}")
            columns = []
            for j, c in enumerate(self._inputs):
                col = a[:, j]
                if c["kind"] == "text":
                    columns.append((c["name"], *_text_column(col.astype(object))))
                else:
                    columns.append((c["name"], np.array([np.nan if v is None else v for v in col], dtype=np.float64)))
            return columns, None
        if not (a.dtype in (np.float64, np.float32) and a.flags.c_contiguous):
            a = np.ascontiguousarray(a, dtype=np.float64)
        return a, None

    @staticmethod
    def _frame(values, columns, index):
        import pandas as pd

        return pd.DataFrame(values, columns=columns, index=index)

    # -- outputs ------------------------------------------------------------------------------
    def predict(self, X, *, threads: int = 1, strict: bool = False):
        """Labels (classifier, in the classes' type) or values (regressor), as scikit-learn's
        predict: 1-D, or rows x targets for several targets. A DataFrame gives a Series (a
        DataFrame for several targets) with its index."""
        data, index = self._input(X)
        p = self._m.predict(data, threads, strict)
        if self.is_classifier:
            out = self._classes[p["class_index"]]
            names = None
        else:
            out = p["values"]
            if out.shape[1] == 1:
                out = out[:, 0]
            names = [f"prediction_{j}" for j in range(out.shape[1])] if out.ndim == 2 else None
        if index is None:
            return out
        import pandas as pd

        if out.ndim == 1:
            return pd.Series(out, index=index, name=self.target or "prediction")
        return pd.DataFrame(out, index=index, columns=names)

    def predict_details(self, X, *, threads: int = 1, strict: bool = False) -> dict:
        """Everything ferry::Prediction holds, in one pass: ``prediction`` (as :meth:`predict`),
        ``probabilities`` (classifiers), ``scores`` (rows x k raw scores) and ``warnings``
        (the :class:`ValidationIssue` s named input counted without refusing)."""
        data, _ = self._input(X)
        p = self._m.predict(data, threads, strict)
        out = {"scores": p["scores"], "warnings": [self._issue(i) for i in p["warnings"]]}
        if self.is_classifier:
            out["prediction"] = self._classes[p["class_index"]]
            out["probabilities"] = p["probabilities"]
        else:
            v = p["values"]
            out["prediction"] = v[:, 0] if v.shape[1] == 1 else v
        return out

    def predict_proba(self, X, *, threads: int = 1, strict: bool = False):
        """rows x classes (columns: the classes, for a DataFrame)."""
        data, index = self._input(X)
        out = self._m.predict_proba(data, threads, strict)
        return out if index is None else self._frame(out, list(self._classes), index)

    def decision_function(self, X, *, threads: int = 1, strict: bool = False):
        """scikit-learn's decision_function: a vector for a binary classifier, else rows x k."""
        data, index = self._input(X)
        out = self._m.decision_function(data, threads, strict)
        if out.shape[1] == 1:
            out = out[:, 0]
            if index is None:
                return out
            import pandas as pd

            return pd.Series(out, index=index, name="decision_function")
        return out if index is None else self._frame(out, list(self._classes), index)

    def transform(self, X, *, threads: int = 1, strict: bool = False):
        """The estimator's input, as ``pipeline[:-1].transform(X)`` (columns:
        transformed_feature_names, for a DataFrame)."""
        data, index = self._input(X)
        out = self._m.transform(data, threads, strict)
        return out if index is None else self._frame(out, self.transformed_feature_names, index)

    @staticmethod
    def _issue(d) -> ValidationIssue:
        code = ErrorCode(d["code"]) if d["fatal"] else None
        return ValidationIssue(d["kind"], d["fatal"], d["column"], d["rows"], d["first_row"], code, d["message"])

    def validate(self, X, *, strict: bool = False) -> List[ValidationIssue]:
        """Every problem predict would refuse (``fatal``) or count, without raising for them."""
        data, _ = self._input(X)
        return [self._issue(d) for d in self._m.validate(data, strict)]

    def explain(self, X, *, method: str = "auto", threads: int = 1, permutations: int = 64, seed: int = 0,
                max_exact_columns: int = 12, strict: bool = False) -> Explanation:
        """SHAP values per raw input column. ``method``: auto, exact, interventional, sampling,
        path_dependent (ferry::ExplainOptions::Method)."""
        data, index = self._input(X)
        e = self._m.explain(data, method, threads, permutations, seed, max_exact_columns, strict)
        return Explanation(e["values"], e["base_values"], list(e["feature_names"]), list(e["output_names"]),
                           e["method"], e["standard_errors"], index, e["terms"])

    def verify(self) -> int:
        """Re-runs the embedded test rows; returns how many passed (FerryError otherwise)."""
        return self._m.verify()
