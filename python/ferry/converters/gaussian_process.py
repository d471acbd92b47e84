"""Gaussian processes (C++ twin: src/models/gaussian_process.cpp), docs/format.md section 4.40.

- GaussianProcessRegressor -> ``gaussian_process`` (``link`` identity): the posterior mean
  ``(k(X, X_train) @ alpha_) * y_train_std + y_train_mean``;
- GaussianProcessClassifier, binary -> ``gaussian_process`` (``link`` probability): the Laplace
  approximation's predictive probability (scikit-learn's ``LAMBDAS`` / ``COEFS`` erf expansion);
  with more classes (``multi_class="one_vs_rest"``) -> ``one_vs_rest`` over binary ones
  (converters/composition.py).

The kernel travels as an expression (``params.kernel``): constant, white, rbf, matern (nu 0.5,
1.5, 2.5, inf), rational_quadratic, exp_sine_squared, dot_product, and sums, products and
exponentiations of them, with the fitted hyper-parameters (``kernel_``). ``KERNELS`` below
evaluates them as scikit-learn 1.2.1's kernels do (scipy's cdist for distances).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Optional

import numpy as np
from scipy.spatial.distance import cdist
from scipy.special import erf

from sklearn.gaussian_process import GaussianProcessClassifier, GaussianProcessRegressor
from sklearn.gaussian_process import kernels as k

from . import ConversionError, ConvertedEstimator, Converter

#: scikit-learn's _gpc constants: the erf expansion of the logistic-Gaussian integral
LAMBDAS = np.array([0.41, 0.4, 0.37, 0.44, 0.39])
COEFS = np.array([-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654])


def _finite(label: str, value: Any, what: str) -> Any:
    arr = np.asarray(value, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ConversionError(f"{label}: kernel {what} is not finite")
    return [float(v) for v in arr.ravel()] if arr.ndim else float(arr)


def kernel_expression(kernel: Any, label: str, n_in: int) -> Dict[str, Any]:
    """A fitted scikit-learn kernel -> params.kernel (docs/format.md 4.40)."""
    t = type(kernel)
    if t is k.Sum or t is k.Product:
        return {"op": "sum" if t is k.Sum else "product",
                "terms": [kernel_expression(kernel.k1, label, n_in), kernel_expression(kernel.k2, label, n_in)]}
    if t is k.Exponentiation:
        return {"op": "power", "exponent": _finite(label, kernel.exponent, "exponent"),
                "terms": [kernel_expression(kernel.kernel, label, n_in)]}
    if t is k.ConstantKernel:
        return {"op": "constant", "value": _finite(label, kernel.constant_value, "constant_value")}
    if t is k.WhiteKernel:
        return {"op": "white", "noise_level": _finite(label, kernel.noise_level, "noise_level")}
    if t is k.RBF or t is k.Matern:
        scale = np.atleast_1d(np.asarray(kernel.length_scale, dtype=np.float64))
        if scale.size not in (1, n_in):
            raise ConversionError(f"{label}: length_scale has {scale.size} values for {n_in} features")
        out = {"op": "rbf" if t is k.RBF else "matern", "length_scale": _finite(label, scale, "length_scale")}
        if t is k.Matern:
            if kernel.nu not in (0.5, 1.5, 2.5, np.inf):
                raise ConversionError(f"{label}: Matern nu={kernel.nu} needs a Bessel function; ferry runs nu 0.5, "
                                      "1.5, 2.5 and inf")
            out["nu"] = "inf" if kernel.nu == np.inf else float(kernel.nu)
        return out
    if t is k.RationalQuadratic:
        return {"op": "rational_quadratic", "length_scale": _finite(label, kernel.length_scale, "length_scale"),
                "alpha": _finite(label, kernel.alpha, "alpha")}
    if t is k.ExpSineSquared:
        return {"op": "exp_sine_squared", "length_scale": _finite(label, kernel.length_scale, "length_scale"),
                "periodicity": _finite(label, kernel.periodicity, "periodicity")}
    if t is k.DotProduct:
        return {"op": "dot_product", "sigma_0": _finite(label, kernel.sigma_0, "sigma_0")}
    raise ConversionError(f"{label}: kernel {t.__name__} is not supported (RBF, Matern, RationalQuadratic, "
                          "ExpSineSquared, DotProduct, WhiteKernel, ConstantKernel, sums, products, powers)")


def evaluate_kernel(expr: Dict[str, Any], X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """k(X, Y) for params.kernel, as scikit-learn's kernels compute it with Y given."""
    op = expr["op"]
    if op in ("sum", "product"):
        a, b = (evaluate_kernel(e, X, Y) for e in expr["terms"])
        return a + b if op == "sum" else a * b
    if op == "power":
        return evaluate_kernel(expr["terms"][0], X, Y) ** expr["exponent"]
    if op == "constant":
        return np.full((X.shape[0], Y.shape[0]), expr["value"])
    if op == "white":
        return np.zeros((X.shape[0], Y.shape[0]))
    if op == "rbf":
        ls = np.asarray(expr["length_scale"]) if len(expr["length_scale"]) > 1 else expr["length_scale"][0]
        return np.exp(-0.5 * cdist(X / ls, Y / ls, metric="sqeuclidean"))
    if op == "matern":
        ls = np.asarray(expr["length_scale"]) if len(expr["length_scale"]) > 1 else expr["length_scale"][0]
        dists = cdist(X / ls, Y / ls, metric="euclidean")
        nu = expr["nu"]
        if nu == 0.5:
            return np.exp(-dists)
        if nu == 1.5:
            K = dists * math.sqrt(3)
            return (1.0 + K) * np.exp(-K)
        if nu == 2.5:
            K = dists * math.sqrt(5)
            return (1.0 + K + K**2 / 3.0) * np.exp(-K)
        return np.exp(-(dists**2) / 2.0)
    if op == "rational_quadratic":
        dists = cdist(X, Y, metric="sqeuclidean")
        return (1 + dists / (2 * expr["alpha"] * expr["length_scale"] ** 2)) ** -expr["alpha"]
    if op == "exp_sine_squared":
        dists = cdist(X, Y, metric="euclidean")
        return np.exp(-2 * (np.sin(np.pi / expr["periodicity"] * dists) / expr["length_scale"]) ** 2)
    if op == "dot_product":
        return np.inner(X, Y) + expr["sigma_0"] ** 2
    raise ValueError(f"unknown kernel op {op!r}")


def kernel_diagonal(expr: Dict[str, Any], X: np.ndarray) -> np.ndarray:
    """k(x, x) for each row, as scikit-learn's Kernel.diag."""
    op = expr["op"]
    if op in ("sum", "product"):
        a, b = (kernel_diagonal(e, X) for e in expr["terms"])
        return a + b if op == "sum" else a * b
    if op == "power":
        return kernel_diagonal(expr["terms"][0], X) ** expr["exponent"]
    if op == "constant":
        return np.full(X.shape[0], expr["value"])
    if op == "white":
        return np.full(X.shape[0], expr["noise_level"])
    if op == "dot_product":
        return np.einsum("ij,ij->i", X, X) + expr["sigma_0"] ** 2
    return np.ones(X.shape[0])  # the stationary, normalised kernels


# --------------------------------------------------------------------------- converters


def _is_fitted(est) -> bool:
    return hasattr(est, "X_train_") or hasattr(est, "base_estimator_")


def convert_gp_regressor(est, label: str) -> ConvertedEstimator:
    X_train = np.ascontiguousarray(est.X_train_, dtype=np.float64)
    n_in = X_train.shape[1]
    alpha = np.asarray(est.alpha_, dtype=np.float64)
    alpha = alpha.reshape(alpha.shape[0], -1)
    t = alpha.shape[1]
    mean = np.broadcast_to(np.asarray(est._y_train_mean, dtype=np.float64), (t,)).copy()
    std = np.broadcast_to(np.asarray(est._y_train_std, dtype=np.float64), (t,)).copy()
    for name, arr in (("alpha_", alpha), ("X_train_", X_train), ("y mean", mean), ("y std", std)):
        if not np.all(np.isfinite(arr)):
            raise ConversionError(f"{label}: {name} is not finite")
    return ConvertedEstimator(
        type="gaussian_process",
        params={"link": "identity", "kernel": kernel_expression(est.kernel_, label, n_in), "n_train": len(X_train)},
        tensors={"x_train": X_train, "alpha": np.ascontiguousarray(alpha), "y_mean": mean, "y_std": std},
        n_features_in=n_in,
        n_features_out=t,
        task="regression",
        n_outputs=t,
    )


def binary_laplace(est, label: str, classes) -> ConvertedEstimator:
    """A fitted _BinaryGaussianProcessClassifierLaplace -> gaussian_process, link probability."""
    X_train = np.ascontiguousarray(est.X_train_, dtype=np.float64)
    n_in = X_train.shape[1]
    target = np.asarray(est.y_train_, dtype=np.float64) - np.asarray(est.pi_, dtype=np.float64)
    tensors = {"x_train": X_train, "alpha": np.ascontiguousarray(target.reshape(-1, 1)),
               "l_factor": np.ascontiguousarray(est.L_, dtype=np.float64),
               "w_sqrt": np.ascontiguousarray(est.W_sr_, dtype=np.float64)}
    for name, arr in tensors.items():
        if not np.all(np.isfinite(arr)):
            raise ConversionError(f"{label}: {name} is not finite")
    return ConvertedEstimator(
        type="gaussian_process",
        params={"link": "probability", "kernel": kernel_expression(est.kernel_, label, n_in), "n_train": len(X_train)},
        tensors=tensors,
        n_features_in=n_in,
        n_features_out=2,
        task="classification",
        n_outputs=2,
        classes=np.asarray(classes),
    )


def convert_gp_classifier(est, label: str) -> ConvertedEstimator:
    classes = np.asarray(est.classes_)
    if len(classes) == 2:
        return binary_laplace(est.base_estimator_, label, classes)
    if est.multi_class != "one_vs_rest":
        raise ConversionError(f"{label}: multi_class={est.multi_class!r}: ferry runs one_vs_rest (one_vs_one "
                              "averages no probabilities it can reproduce)")
    from .composition import SubModel

    subs = []
    for i, binary in enumerate(est.base_estimator_.estimators_):
        conv = binary_laplace(binary, f"{label}.estimators_[{i}]", np.array([0, 1]))
        subs.append(SubModel(f"{label}.estimators_[{i}]", "classification", 2, [], conv))
    return ConvertedEstimator(
        type="one_vs_rest",
        params={"response": "predict_proba"},
        tensors={},
        n_features_in=subs[0].estimator.n_features_in,
        n_features_out=len(subs),
        sub_models={"estimators": subs},
        task="classification",
        n_outputs=len(classes),
        classes=classes,
    )


# --------------------------------------------------------------------------- numpy kernel


def gaussian_process(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray, task: str) -> Dict[str, np.ndarray]:
    from scipy.linalg import solve

    expr = step["params"]["kernel"]
    X = np.asarray(X, dtype=np.float64)
    if step["params"]["link"] == "identity":
        K_trans = evaluate_kernel(expr, X, tensors["x_train"])
        y = K_trans @ tensors["alpha"]
        y = tensors["y_std"] * y + tensors["y_mean"]
        return {"predict": y}
    K_star = evaluate_kernel(expr, tensors["x_train"], X)
    f_star = K_star.T.dot(tensors["alpha"][:, 0])
    v = solve(tensors["l_factor"], tensors["w_sqrt"][:, np.newaxis] * K_star)
    var_f_star = kernel_diagonal(expr, X) - np.einsum("ij,ij->j", v, v)
    alpha = 1 / (2 * var_f_star)
    lambdas, coefs = LAMBDAS[:, np.newaxis], COEFS[:, np.newaxis]
    gamma = lambdas * f_star
    integrals = (np.sqrt(np.pi / alpha) * erf(gamma * np.sqrt(alpha / (alpha + lambdas**2)))
                 / (2 * np.sqrt(var_f_star * 2 * np.pi)))
    pi_star = (coefs * integrals).sum(axis=0) + 0.5 * coefs.sum()
    proba = np.vstack((1 - pi_star, pi_star)).T
    return {"predict": (f_star > 0).astype(np.int64), "predict_proba": proba}


#: what this module registers (converters/__init__.py collects the tables of every module)
ESTIMATORS = {
    GaussianProcessRegressor: Converter(convert_gp_regressor, is_fitted=_is_fitted),
    GaussianProcessClassifier: Converter(convert_gp_classifier, is_fitted=_is_fitted),
}
KERNELS = {"gaussian_process": gaussian_process}
