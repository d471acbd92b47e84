"""Batch scoring on Dask: :func:`score` runs a ``.ferry`` model over every partition of a Dask
DataFrame (docs/scale-out.md).

>>> import dask.dataframe as dd, ferry.dask
>>> ddf = dd.read_csv("customers-*.csv")                          # doctest: +SKIP
>>> scored = ferry.dask.score(ddf, "churn.ferry", keep=["customer_id"])  # doctest: +SKIP
>>> scored.to_parquet("scores/")                                  # doctest: +SKIP

Each worker process loads the model once: models are cached per process by the SHA-256 of the
artifact's bytes, which :func:`score` computes when it builds the graph, so a task never uses a
file that changed after the job was planned (it fails with ``FerryError(IO)`` instead). The
file must be readable at the same path on every worker (a shared or replicated file system),
or pass the artifact's bytes instead of a path.
"""

from __future__ import annotations

import hashlib
import os
import threading
from typing import Dict, Iterable, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from .errors import ErrorCode, FerryError
from .runtime import Model

__all__ = ["score", "score_frame", "output_columns", "load_cached"]

OUTPUTS = ("prediction", "probability", "decision")

_cache: Dict[str, Model] = {}
_cache_lock = threading.Lock()


def load_cached(source: Union[str, os.PathLike, bytes], sha256: Optional[str] = None) -> Model:
    """The model of ``source`` (a path or the artifact's bytes), loaded once per process.

    Keyed by the content's SHA-256; with ``sha256`` given, a file whose content no longer has
    that digest is refused (``FerryError`` with code IO) rather than silently scored.
    """
    if sha256 is not None:
        with _cache_lock:
            model = _cache.get(sha256)
        if model is not None:
            return model
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
    else:
        with open(source, "rb") as f:
            data = f.read()
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256:
        raise FerryError(ErrorCode.IO, f"{os.fspath(source)!s}: the artifact changed since the job was planned "
                                       f"(sha256 {digest}, expected {sha256})")
    with _cache_lock:
        model = _cache.get(digest)
        if model is None:
            model = Model.from_bytes(data)
            _cache[digest] = model
    return model


def _resolve_outputs(model: Model, outputs) -> Tuple[str, ...]:
    if outputs is None:
        outputs = ("prediction", "probability") if model.is_classifier and _has_proba(model) else ("prediction",)
    elif isinstance(outputs, str):
        outputs = (outputs,)
    outputs = tuple(outputs)
    for o in outputs:
        if o not in OUTPUTS:
            raise ValueError(f"unknown output {o!r}; choose from {', '.join(OUTPUTS)}")
    return outputs


def _empty_input(model: Model):
    """A batch of 0 rows the model takes (named input when it has text inputs)."""
    if any(c["kind"] == "text" for c in model.inputs):
        return [(c["name"], [] if c["kind"] == "text" else np.zeros(0)) for c in model.inputs]
    return np.zeros((0, len(model.input_names)))


def _has_proba(model: Model) -> bool:
    # IsolationForest is a classifier (labels -1/1) without predict_proba.
    try:
        model.predict_proba(_empty_input(model))
        return True
    except FerryError as e:
        if e.code == ErrorCode.UNSUPPORTED:
            return False
        raise


def _prediction_dtype(model: Model):
    if not model.is_classifier:
        return np.float64
    return model.classes.dtype  # object (text labels), int64, float64 or bool


def output_columns(model: Model, outputs=None, explain: bool = False, keep: Sequence[str] = (),
                   keep_dtypes: Optional[dict] = None) -> pd.DataFrame:
    """The empty DataFrame (names and dtypes) of :func:`score`'s partitions: Dask's ``meta``.

    Columns: ``keep`` (carried over from the input), then ``prediction`` (regressors with
    several targets: ``prediction_0``, ...), ``proba_<label>`` per class, ``decision_<j>``,
    with ``explain`` ``shap_<column>`` per raw input column (``shap_<output>_<column>`` when
    the model has several scores) and ``shap_base`` (``shap_base_<output>``), and last
    ``model_version``.
    """
    outputs = _resolve_outputs(model, outputs)
    cols = {}
    for name in keep:
        cols[name] = pd.Series(dtype=(keep_dtypes or {}).get(name, object))
    if "prediction" in outputs:
        if model.is_classifier or model.n_outputs == 1:
            cols["prediction"] = pd.Series(dtype=_prediction_dtype(model))
        else:
            for j in range(model.n_outputs):
                cols[f"prediction_{j}"] = pd.Series(dtype=np.float64)
    if "probability" in outputs:
        for label in model.class_names:
            cols[f"proba_{label}"] = pd.Series(dtype=np.float64)
    if "decision" in outputs:
        for j in range(_decision_width(model)):
            cols[f"decision_{j}"] = pd.Series(dtype=np.float64)
    if explain:
        for name in _shap_names(model):
            cols[name] = pd.Series(dtype=np.float64)
    cols["model_version"] = pd.Series(dtype=object)
    return pd.DataFrame(cols)


def _decision_width(model: Model) -> int:
    if not model.is_classifier:
        raise FerryError(ErrorCode.UNSUPPORTED, "decision_function is for classifiers; this model is a regressor")
    return 1 if model.n_outputs == 2 else model.n_outputs


def _explain_outputs(model: Model):
    return model.explain(_empty_input(model)).output_names


def _shap_names(model: Model):
    outputs = _explain_outputs(model)
    names = []
    if len(outputs) == 1:
        names += [f"shap_{c}" for c in model.input_names] + ["shap_base"]
    else:
        for o in outputs:
            names += [f"shap_{o}_{c}" for c in model.input_names]
        names += [f"shap_base_{o}" for o in outputs]
    return names


def score_frame(model: Model, df: pd.DataFrame, outputs=None, explain: bool = False, keep: Sequence[str] = (),
                method: str = "auto", threads: int = 1) -> pd.DataFrame:
    """One partition: ``df`` scored by ``model``, columns as :func:`output_columns`, ``df``'s index."""
    outputs = _resolve_outputs(model, outputs)
    keep = list(keep)
    meta = output_columns(model, outputs, explain, keep, df[keep].dtypes.to_dict())
    index = df.index
    if len(df) == 0:
        return meta.set_axis(index)
    cols = {}
    for name in keep:
        cols[name] = df[name].to_numpy()
    if "prediction" in outputs or "probability" in outputs:
        p = model.predict_details(df, threads=threads)
        if "prediction" in outputs:
            pred = p["prediction"]
            if pred.ndim == 1:
                cols["prediction"] = pred
            else:
                for j in range(pred.shape[1]):
                    cols[f"prediction_{j}"] = pred[:, j]
        if "probability" in outputs:
            for j, label in enumerate(model.class_names):
                cols[f"proba_{label}"] = p["probabilities"][:, j]
    if "decision" in outputs:
        d = np.asarray(model.decision_function(df, threads=threads)).reshape(len(df), -1)
        for j in range(d.shape[1]):
            cols[f"decision_{j}"] = d[:, j]
    if explain:
        e = model.explain(df, method=method, threads=threads)
        if len(e.output_names) == 1:
            for c, name in enumerate(e.feature_names):
                cols[f"shap_{name}"] = e.values[0, :, c]
            cols["shap_base"] = e.base_values[:, 0]
        else:
            for o, out in enumerate(e.output_names):
                for c, name in enumerate(e.feature_names):
                    cols[f"shap_{out}_{name}"] = e.values[o, :, c]
            for o, out in enumerate(e.output_names):
                cols[f"shap_base_{out}"] = e.base_values[:, o]
    cols["model_version"] = np.full(len(df), model.version, dtype=object)
    out = pd.DataFrame(cols, index=index)
    return out.astype(meta.dtypes.to_dict(), copy=False)[list(meta.columns)]


def _score_partition(df, source, sha256, outputs, explain, keep, method, threads):
    model = load_cached(source, sha256)
    return score_frame(model, df, outputs, explain, keep, method, threads)


def score(ddf, model_path: Union[str, os.PathLike, bytes], outputs: Optional[Iterable[str]] = None,
          explain: bool = False, *, keep: Sequence[str] = (), method: str = "auto", threads: int = 1):
    """Score every partition of the Dask DataFrame ``ddf`` with the model at ``model_path``.

    ``outputs``: any of ``"prediction"``, ``"probability"`` (classifiers), ``"decision"``
    (classifiers with a decision_function); default prediction, plus probability for
    classifiers that have one. ``explain`` adds SHAP columns (``method`` as
    :meth:`ferry.Model.explain`). ``keep`` carries input columns over (an id, a key to join
    on). ``threads`` is per task (ferry's own threads, for large partitions on idle cores).

    Returns a lazy Dask DataFrame with ``ddf``'s partitions and index; its ``meta`` is
    :func:`output_columns`. Columns are matched by name: ``ddf`` may hold others.
    Raises ``FerryError`` (when computed) on data the model refuses, naming row and column
    within the partition.
    """
    if isinstance(model_path, (bytes, bytearray, memoryview)):
        source = bytes(model_path)
        data = source
    else:
        source = os.path.abspath(os.fspath(model_path))
        with open(source, "rb") as f:
            data = f.read()
    sha256 = hashlib.sha256(data).hexdigest()
    model = load_cached(data, sha256)  # checks the file once, here, and gives the meta
    outputs = _resolve_outputs(model, outputs)
    keep = list(keep)
    meta = output_columns(model, outputs, explain, keep, ddf._meta[keep].dtypes.to_dict())
    return ddf.map_partitions(_score_partition, source, sha256, outputs, explain, keep, method, threads,
                              meta=meta, align_dataframes=False, enforce_metadata=False,
                              token=f"ferry-score-{sha256[:16]}")
