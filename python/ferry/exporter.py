"""``ferry.export``: a fitted scikit-learn pipeline -> one ``.ferry`` file.

The exporter walks the pipeline, converts every step with the converter
registered for its exact class (ferry.converters), builds the header of
docs/format.md section 3, embeds verification rows with scikit-learn's own
outputs, reads the bytes back with the defensive reader and checks that the
artifact reproduces scikit-learn before writing the file.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import sklearn
from sklearn.exceptions import NotFittedError
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from . import format as _format
from .converters import (
    KERNELS,
    PREPROCESSORS,
    ConvertedEstimator,
    ConvertedStep,
    class_labels,
    estimator_converter,
)

__all__ = ["export", "UnsupportedModelError", "evaluate", "verification_indices"]

SUPPORTED_DOC = "docs/supported.md"
MAX_VERIFICATION_ROWS = 16
RTOL = 1e-9
ATOL = 1e-10
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


def _leaves(model: Any) -> List[Tuple[str, Any]]:
    """Flatten (nested) Pipelines into (path, step) pairs, skipping passthrough."""
    out: List[Tuple[str, Any]] = []

    def walk(obj: Any, path: str) -> None:
        if type(obj) is Pipeline:
            for i, (_, step) in enumerate(obj.steps):
                if _is_passthrough(step):
                    continue
                walk(step, f"{path}.steps[{i}]" if path else f"steps[{i}]")
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
    if len(out) != n_out:
        raise ValueError(f"{type(obj).__name__}: get_feature_names_out() gave {len(out)} names for {n_out} columns")
    return out


def _label(path: str, obj: Any) -> str:
    cls = type(obj).__name__
    return f"{path}: {cls}" if path else cls


def _is_fitted(obj: Any, final: bool = False) -> bool:
    conv = estimator_converter(type(obj)) if final else None
    if conv is not None and conv.is_fitted is not None:
        return conv.is_fitted(obj)
    try:
        check_is_fitted(obj)
    except (NotFittedError, TypeError):
        return False
    return True


def _check_supported(leaves: List[Tuple[str, Any]]) -> None:
    problems = []
    for i, (path, obj) in enumerate(leaves):
        final = i == len(leaves) - 1
        cls = type(obj)
        conv = estimator_converter(cls) if final else PREPROCESSORS.get(cls)
        label = _label(path, obj)
        if conv is None:
            if final and cls in PREPROCESSORS:
                label += " (a pipeline must end with an estimator)"
            elif not final and estimator_converter(cls) is not None:
                label += " (supported only as the final estimator)"
            problems.append(label)
        elif conv.check is not None and _is_fitted(obj, final):
            reason = conv.check(obj)
            if reason:
                problems.append(f"{label} ({reason})")
    if problems:
        raise UnsupportedModelError(problems)


def _check_fitted(leaves: List[Tuple[str, Any]]) -> None:
    unfitted = [_label(p, o) for i, (p, o) in enumerate(leaves) if not _is_fitted(o, i == len(leaves) - 1)]
    if unfitted:
        raise NotFittedError(
            "ferry can only export fitted models; not fitted: " + ", ".join(unfitted) + ". Call fit() first."
        )


# --------------------------------------------------------------------------- inputs


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


#: step types that map NaN to NaN elementwise (and touch no other column), so an imputer
#: after them still sees the missing values of the inputs
_NAN_PRESERVING = ("standard_scaler", "min_max_scaler", "max_abs_scaler", "robust_scaler")
_IMPUTERS = ("simple_imputer", "missing_indicator")


def nullable_inputs(steps: List[ConvertedStep], estimator: Optional[ConvertedStep] = None) -> bool:
    """Whether the inputs may be missing (NaN): the first preprocessing step that is not
    one of _NAN_PRESERVING is a simple_imputer or missing_indicator, or there is no such
    step and the estimator routes missing values itself (docs/format.md 3.2)."""
    for s in steps:
        if s.type in _IMPUTERS:
            return True
        if s.type not in _NAN_PRESERVING:
            return False
    return estimator is not None and estimator.params.get("missing") == "default_left"


def _sample_matrix(X_sample: Any, names: List[str], has_names: bool, nullable: bool = False) -> np.ndarray:
    n = len(names)
    columns = getattr(X_sample, "columns", None)
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
        try:
            X = X_sample.to_numpy(dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"X_sample must be numeric: {e}") from None
    else:
        try:
            X = np.asarray(X_sample, dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise ValueError(f"X_sample must be numeric: {e}") from None
    if X.ndim != 2:
        raise ValueError(f"X_sample must be 2-D (rows x {n} inputs), got shape {X.shape}")
    if X.shape[1] != n:
        raise ValueError(f"X_sample has {X.shape[1]} columns but the model takes {n} inputs")
    if X.shape[0] == 0:
        raise ValueError("X_sample has no rows")
    if nullable:
        if np.any(np.isinf(X)):
            raise ValueError("X_sample contains infinity")
    elif not np.all(np.isfinite(X)):
        raise ValueError("X_sample contains NaN or infinity; these models cannot take missing values")
    return np.ascontiguousarray(X, dtype=np.float64)


def verification_indices(n_rows: int, max_rows: int = MAX_VERIFICATION_ROWS) -> np.ndarray:
    """Evenly spaced, deduplicated row indices: the verification rows."""
    idx = np.linspace(0, n_rows - 1, min(max_rows, n_rows)).round().astype(int)
    return np.unique(idx)


# --------------------------------------------------------------------------- metadata


def _created(created: Any) -> str:
    if created is None:
        sde = os.environ.get("SOURCE_DATE_EPOCH", "")
        if sde != "":
            try:
                seconds = int(sde)
                dt = datetime.fromtimestamp(seconds, timezone.utc)
            except (ValueError, OverflowError, OSError):
                raise ValueError(f"SOURCE_DATE_EPOCH={sde!r} is not a valid Unix time") from None
        else:
            dt = datetime.now(timezone.utc)
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


def evaluate(artifact: _format.Artifact, X: np.ndarray) -> Dict[str, np.ndarray]:
    """Run an artifact with the numpy kernels: predict (values or class indices),
    predict_proba (classifiers) and decision_function (2-D raw scores)."""
    Z = np.asarray(X, dtype=np.float64)
    t = artifact.tensors
    for step in artifact.pipeline:
        Z = KERNELS[step["type"]](step, {r: t[n] for r, n in step["tensors"].items()}, Z)
    est = artifact.estimator
    return KERNELS[est["type"]](est, {r: t[n] for r, n in est["tensors"].items()}, Z, artifact.schema["task"])


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
) -> _format.Artifact:
    """Export a fitted Pipeline or bare estimator to ``path`` and return the
    artifact as read back from the written bytes.

    ``X_sample`` (DataFrame or array, rows x inputs) gives the input ranges, a
    fingerprint and up to 16 verification rows with scikit-learn's outputs.
    ``created`` is a datetime or a ``YYYY-MM-DDTHH:MM:SSZ`` string; by default
    ``SOURCE_DATE_EPOCH`` when set, else now. Raises
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

    # Convert every step.
    converted: List[ConvertedStep] = []
    for i, (path_, obj) in enumerate(leaves):
        conv = estimator_converter(type(obj)) if i == len(leaves) - 1 else PREPROCESSORS[type(obj)]
        converted.append(conv.convert(obj, _label(path_, obj)))
    est = converted[-1]
    assert isinstance(est, ConvertedEstimator)
    for prev, (cur, (p, o)) in zip(converted, zip(converted[1:], leaves[1:])):
        if cur.n_features_in != prev.n_features_out:
            raise ValueError(
                f"{_label(p, o)} takes {cur.n_features_in} features but the step before it gives {prev.n_features_out}"
            )

    n_inputs = converted[0].n_features_in
    names, has_names = _feature_names(leaves[0][1], n_inputs)

    tensors: Dict[str, np.ndarray] = {}

    def step_header(step: ConvertedStep, prefix: str, label: str) -> dict:
        refs = {}
        for role, arr in step.tensors.items():
            tname = f"{prefix}.{role}"
            tensors[tname] = arr
            refs[role] = tname
        return {
            "type": step.type,
            "name": label,
            "n_features_in": int(step.n_features_in),
            "n_features_out": int(step.n_features_out),
            "params": step.params,
            "tensors": refs,
        }

    pipeline = []
    width_names = list(names)
    for i, s in enumerate(converted[:-1]):
        entry = step_header(s, f"steps.{i}", _label(*leaves[i]))
        width_names = _names_out(leaves[i][1], width_names, s.n_features_out)
        entry["feature_names_out"] = width_names
        pipeline.append(entry)
    estimator = step_header(est, "estimator", _label(*leaves[-1]))

    classes = None
    if est.task == "classification":
        dtype, values = class_labels(est.classes)
        classes = {"dtype": dtype, "values": values}

    nullable = nullable_inputs(converted[:-1], est)
    rtol = RTOL if est.rtol is None else est.rtol
    atol = ATOL if est.atol is None else est.atol
    X = None
    if X_sample is not None:
        X = _sample_matrix(X_sample, names, has_names, nullable)
        ranges = []
        for col in X.T:
            seen = col[~np.isnan(col)]
            ranges.append([float(seen.min()), float(seen.max())] if seen.size else None)
    else:
        ranges = [None] * n_inputs

    header: Dict[str, Any] = {
        "metadata": {
            "name": name if name is not None else type(leaves[-1][1]).__name__.lower(),
            "version": version,
            "description": description,
            "created": created_str,
            "producer": producer_versions(),
            "training": {
                "n_rows": _training_rows(leaves),
                "sample_rows": 0 if X is None else int(X.shape[0]),
                "sample_sha256": None if X is None else hashlib.sha256(X.astype("<f8").tobytes()).hexdigest(),
            },
        },
        "schema": {
            "inputs": [
                {"name": nm, "kind": "numeric", "nullable": nullable, "range": rng} for nm, rng in zip(names, ranges)
            ],
            "task": est.task,
            "n_outputs": int(est.n_outputs),
            "classes": classes,
            "target": None,
        },
        "pipeline": pipeline,
        "estimator": estimator,
    }

    expected: Dict[str, np.ndarray] = {}
    if X is not None:
        rows = X[verification_indices(X.shape[0])]
        expected = _sklearn_outputs(model, leaves, est, rows, names if has_names else None)
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


def _sklearn_outputs(model, leaves, est: ConvertedEstimator, rows: np.ndarray, fitted_names) -> Dict[str, np.ndarray]:
    """scikit-learn's own outputs for the verification rows (or the trainer's own, for
    estimators with a reference function such as XGBoost's)."""
    conv = estimator_converter(type(leaves[-1][1]))
    if conv is not None and conv.reference is not None:
        Xt = rows
        for _, obj in leaves[:-1]:
            Xt = np.asarray(obj.transform(Xt), dtype=np.float64)
        return conv.reference(leaves[-1][1], Xt, est)
    if fitted_names is not None:
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
