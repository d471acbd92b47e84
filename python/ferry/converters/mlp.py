"""MLPClassifier and MLPRegressor -> estimator ``mlp`` (C++ twin: src/models/mlp.cpp),
docs/format.md section 4.41.

scikit-learn 1.2.1's ``_forward_pass_fast``: each layer is ``a @ coefs_[i] + intercepts_[i]``,
the hidden activation (identity, logistic, tanh or relu) after every layer but the last; the
output activation is the artifact's link. The last layer's pre-activations are the scores:

- ``MLPRegressor``: link ``identity``, one score per target;
- ``MLPClassifier``, two classes: link ``logistic``, one score, ``predict_proba`` is
  ``[1 - expit(s), expit(s)]`` and ``predict`` class 1 iff ``s > 0`` (scikit-learn's
  ``expit(s) > 0.5``; the two differ only for ``0 < s <= 1.1e-16``, where expit rounds to 0.5);
- ``MLPClassifier``, more classes: link ``softmax``, one score per class;
- ``MLPClassifier`` on a multilabel indicator target: a regressor with one output per label and
  link ``logistic``, whose values are scikit-learn's ``predict_proba``; scikit-learn's
  ``predict`` is those values ``> 0.5`` (ferry has no multilabel task).

The weights travel as two flat tensors, layer after layer, each layer's ``coefs_[i]`` in row-major
order (inputs x outputs).
"""

from __future__ import annotations

from typing import Dict, List

import numpy as np
from scipy.special import expit

from sklearn.neural_network import MLPClassifier, MLPRegressor

from . import ConversionError, ConvertedEstimator, Converter, class_labels

ACTIVATIONS = ("identity", "logistic", "tanh", "relu")


def _layers(est, label: str):
    coefs = [np.asarray(c, dtype=np.float64) for c in est.coefs_]
    intercepts = [np.asarray(b, dtype=np.float64) for b in est.intercepts_]
    if est.activation not in ACTIVATIONS:
        raise ConversionError(f"{label}: activation {est.activation!r} is not supported")
    sizes: List[int] = [coefs[0].shape[0]]
    for i, (W, b) in enumerate(zip(coefs, intercepts)):
        if W.ndim != 2 or W.shape[0] != sizes[-1] or b.shape != (W.shape[1],):
            raise ConversionError(f"{label}: coefs_[{i}] {W.shape} and intercepts_[{i}] {b.shape} do not chain")
        sizes.append(W.shape[1])
    if sizes[0] != int(est.n_features_in_):
        raise ConversionError(f"{label}: coefs_[0] has {sizes[0]} rows but n_features_in_ is {est.n_features_in_}")
    weights = np.concatenate([W.ravel() for W in coefs])
    biases = np.concatenate(intercepts)
    if not (np.all(np.isfinite(weights)) and np.all(np.isfinite(biases))):
        raise ConversionError(f"{label}: the fitted weights are not finite (the fit diverged)")
    return sizes, weights, biases


def _params(est, sizes, link):
    return {"hidden_sizes": [int(s) for s in sizes[1:-1]], "activation": est.activation, "link": link}


def convert_mlp_regressor(est, label: str) -> ConvertedEstimator:
    sizes, weights, biases = _layers(est, label)
    if est.out_activation_ != "identity":
        raise ConversionError(f"{label}: out_activation_ {est.out_activation_!r} is not identity")
    return ConvertedEstimator(
        type="mlp", params=_params(est, sizes, "identity"), tensors={"weights": weights, "biases": biases},
        n_features_in=sizes[0], n_features_out=sizes[-1], task="regression", n_outputs=sizes[-1])


def _multilabel(est) -> bool:
    return str(getattr(est._label_binarizer, "y_type_", "")).startswith("multilabel")


def check_mlp_classifier(est):
    if getattr(est, "classes_", None) is None or getattr(est, "_label_binarizer", None) is None:
        return None  # reported as unfitted later
    if _multilabel(est):
        return None
    try:
        class_labels(est.classes_)
    except ConversionError as e:
        return str(e)
    return None


def convert_mlp_classifier(est, label: str) -> ConvertedEstimator:
    sizes, weights, biases = _layers(est, label)
    tensors = {"weights": weights, "biases": biases}
    k = sizes[-1]
    if _multilabel(est):
        if est.out_activation_ != "logistic":
            raise ConversionError(f"{label}: a multilabel MLPClassifier with out_activation_ {est.out_activation_!r}")
        return ConvertedEstimator(type="mlp", params=_params(est, sizes, "logistic"), tensors=tensors,
                                  n_features_in=sizes[0], n_features_out=k, task="regression", n_outputs=k)
    classes = np.asarray(est.classes_)
    c = len(classes)
    link = {"logistic": "logistic", "softmax": "softmax"}.get(est.out_activation_)
    if c < 2 or link is None or k != (1 if c == 2 else c) or (link == "logistic") != (c == 2):
        raise ConversionError(f"{label}: {c} classes with {k} outputs and out_activation_ {est.out_activation_!r}")
    return ConvertedEstimator(type="mlp", params=_params(est, sizes, link), tensors=tensors,
                              n_features_in=sizes[0], n_features_out=k, task="classification", n_outputs=c,
                              classes=classes)


def multilabel_reference(est, X: np.ndarray, converted: ConvertedEstimator) -> Dict[str, np.ndarray]:
    """The trainer's own outputs: a multilabel classifier's values are its predict_proba; any
    other MLP is compared with predict / predict_proba as usual."""
    if converted.task == "regression" and isinstance(est, MLPClassifier):
        return {"predict": np.asarray(est.predict_proba(X), dtype=np.float64).reshape(X.shape[0], -1)}
    out: Dict[str, np.ndarray] = {}
    pred = np.asarray(est.predict(X))
    if converted.task == "classification":
        classes = np.asarray(converted.classes)
        out["predict"] = np.array([np.flatnonzero(classes == p)[0] for p in pred], dtype=np.int64)
        out["predict_proba"] = np.asarray(est.predict_proba(X), dtype=np.float64)
    else:
        out["predict"] = pred.astype(np.float64).reshape(X.shape[0], -1)
    return out


def forward(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """The last layer's pre-activations, as scikit-learn's _forward_pass_fast computes them."""
    p = step["params"]
    sizes = [step["n_features_in"], *p["hidden_sizes"], step["n_features_out"]]
    a = np.asarray(X, dtype=np.float64)
    w0 = b0 = 0
    for i in range(len(sizes) - 1):
        W = tensors["weights"][w0:w0 + sizes[i] * sizes[i + 1]].reshape(sizes[i], sizes[i + 1])
        a = np.dot(a, W)
        a += tensors["biases"][b0:b0 + sizes[i + 1]]
        w0 += sizes[i] * sizes[i + 1]
        b0 += sizes[i + 1]
        if i != len(sizes) - 2:
            act = p["activation"]
            if act == "logistic":
                expit(a, out=a)
            elif act == "tanh":
                np.tanh(a, out=a)
            elif act == "relu":
                np.maximum(a, 0, out=a)
    return a


def mlp(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    s = forward(step, tensors, X)
    link = step["params"]["link"]
    if task == "regression":
        return {"predict": expit(s) if link == "logistic" else s}
    if link == "logistic":
        p1 = expit(s[:, 0])
        return {"predict": (s[:, 0] > 0).astype(np.int64), "predict_proba": np.column_stack([1.0 - p1, p1])}
    e = np.exp(s - s.max(axis=1)[:, np.newaxis])
    e /= e.sum(axis=1)[:, np.newaxis]
    return {"predict": np.argmax(s, axis=1).astype(np.int64), "predict_proba": e}


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {
    MLPRegressor: Converter(convert_mlp_regressor),
    MLPClassifier: Converter(convert_mlp_classifier, check=check_mlp_classifier, reference=multilabel_reference),
}
KERNELS = {"mlp": mlp}
