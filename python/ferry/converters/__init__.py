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
of its own. Adding a family = one new module + entries in these tables.

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


@dataclass(frozen=True)
class Converter:
    #: (fitted estimator, label such as "steps[0]: StandardScaler") -> converted step
    convert: Callable[[Any, str], ConvertedStep]
    #: fitted estimator -> reason it cannot be exported, or None (optional)
    check: Optional[Callable[[Any], Optional[str]]] = None
    #: (fitted estimator, rows after preprocessing, converted) -> the trainer's own outputs,
    #: for estimators whose outputs are not scikit-learn's predict/predict_proba/decision_function
    reference: Optional[Callable[[Any, np.ndarray, "ConvertedEstimator"], Dict[str, np.ndarray]]] = None
    #: fitted estimator -> whether it is fitted, for objects scikit-learn's check_is_fitted cannot judge
    is_fitted: Optional[Callable[[Any], bool]] = None
    #: fitted estimator -> its input names where it has no feature_names_in_ (optional)
    feature_names: Optional[Callable[[Any], Optional[List[str]]]] = None


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


from . import (  # noqa: E402  (the modules use the definitions above)
    binarizer,
    decomposition,
    discretization,
    distribution,
    encoders,
    function,
    impute,
    linear,
    normalizer,
    polynomial,
    scalers,
    selection,
    spline,
    tree_ensemble,
    trees,
)
from sklearn.decomposition import PCA, TruncatedSVD  # noqa: E402
from sklearn.ensemble import (  # noqa: E402
    ExtraTreesClassifier,
    ExtraTreesRegressor,
    GradientBoostingClassifier,
    GradientBoostingRegressor,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    IsolationForest,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.impute import MissingIndicator, SimpleImputer  # noqa: E402
from sklearn.discriminant_analysis import (  # noqa: E402
    LinearDiscriminantAnalysis,
    QuadraticDiscriminantAnalysis,
)
from sklearn.linear_model import (  # noqa: E402
    ARDRegression,
    BayesianRidge,
    ElasticNet,
    ElasticNetCV,
    GammaRegressor,
    HuberRegressor,
    Lars,
    LarsCV,
    Lasso,
    LassoCV,
    LassoLars,
    LassoLarsCV,
    LassoLarsIC,
    LinearRegression,
    LogisticRegression,
    LogisticRegressionCV,
    MultiTaskElasticNet,
    MultiTaskElasticNetCV,
    MultiTaskLasso,
    MultiTaskLassoCV,
    OrthogonalMatchingPursuit,
    OrthogonalMatchingPursuitCV,
    PassiveAggressiveClassifier,
    PassiveAggressiveRegressor,
    Perceptron,
    PoissonRegressor,
    QuantileRegressor,
    RANSACRegressor,
    Ridge,
    RidgeClassifier,
    RidgeClassifierCV,
    RidgeCV,
    SGDClassifier,
    SGDRegressor,
    TheilSenRegressor,
    TweedieRegressor,
)
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor  # noqa: E402
from sklearn.preprocessing import (  # noqa: E402
    Binarizer,
    FunctionTransformer,
    KBinsDiscretizer,
    MaxAbsScaler,
    MinMaxScaler,
    Normalizer,
    OneHotEncoder,
    OrdinalEncoder,
    PolynomialFeatures,
    PowerTransformer,
    QuantileTransformer,
    RobustScaler,
    SplineTransformer,
    StandardScaler,
)

#: preprocessing steps, keyed by exact class
PREPROCESSORS: Dict[type, Converter] = {
    StandardScaler: Converter(scalers.convert_standard_scaler),
    MinMaxScaler: Converter(scalers.convert_min_max_scaler),
    MaxAbsScaler: Converter(scalers.convert_max_abs_scaler),
    RobustScaler: Converter(scalers.convert_robust_scaler),
    Normalizer: Converter(normalizer.convert_normalizer),
    Binarizer: Converter(binarizer.convert_binarizer),
    PolynomialFeatures: Converter(polynomial.convert_polynomial_features),
    PCA: Converter(decomposition.convert_pca),
    TruncatedSVD: Converter(decomposition.convert_truncated_svd),
    FunctionTransformer: Converter(function.convert_function_transformer, function.check_function_transformer),
    KBinsDiscretizer: Converter(discretization.convert_kbins_discretizer, discretization.check_kbins_discretizer),
    PowerTransformer: Converter(distribution.convert_power_transformer),
    QuantileTransformer: Converter(distribution.convert_quantile_transformer),
    SplineTransformer: Converter(spline.convert_spline_transformer, spline.check_spline_transformer),
    SimpleImputer: Converter(impute.convert_simple_imputer),
    MissingIndicator: Converter(impute.convert_missing_indicator, impute.check_missing_indicator),
    OneHotEncoder: Converter(encoders.convert_one_hot_encoder, encoders.check_encoder),
    OrdinalEncoder: Converter(encoders.convert_ordinal_encoder, encoders.check_encoder),
    **{cls: Converter(selection.convert_selector, selection.check_selector) for cls in selection.SELECTORS},
    LinearDiscriminantAnalysis: Converter(linear.convert_lda_transform, linear.check_lda_transform),
}

#: linear regressors whose predict is X @ coef_.T + intercept_ (one or several targets)
LINEAR_REGRESSORS = (
    LinearRegression, Ridge, RidgeCV, Lasso, LassoCV, ElasticNet, ElasticNetCV, Lars, LarsCV, LassoLars,
    LassoLarsCV, LassoLarsIC, OrthogonalMatchingPursuit, OrthogonalMatchingPursuitCV, MultiTaskLasso,
    MultiTaskLassoCV, MultiTaskElasticNet, MultiTaskElasticNetCV, BayesianRidge, ARDRegression, HuberRegressor,
    QuantileRegressor, TheilSenRegressor, SGDRegressor, PassiveAggressiveRegressor,
)
#: linear classifiers whose decision_function is X @ coef_.T + intercept_ (link: linear.py)
LINEAR_CLASSIFIERS = (
    SGDClassifier, Perceptron, PassiveAggressiveClassifier, RidgeClassifier, RidgeClassifierCV,
    LinearDiscriminantAnalysis,
)

#: final estimators, keyed by exact class
ESTIMATORS: Dict[type, Converter] = {
    **{cls: Converter(linear.convert_linear_regression) for cls in LINEAR_REGRESSORS},
    PoissonRegressor: Converter(linear.convert_glm),
    GammaRegressor: Converter(linear.convert_glm),
    TweedieRegressor: Converter(linear.convert_glm),
    RANSACRegressor: Converter(linear.convert_ransac, linear.check_ransac),
    LogisticRegression: Converter(linear.convert_logistic_regression, linear.check_logistic_regression),
    LogisticRegressionCV: Converter(linear.convert_logistic_regression, linear.check_logistic_regression),
    **{cls: Converter(linear.convert_linear_classifier, linear.check_linear_classifier) for cls in LINEAR_CLASSIFIERS},
    QuadraticDiscriminantAnalysis: Converter(linear.convert_qda, linear.check_logistic_regression),
    DecisionTreeClassifier: Converter(trees.convert_tree_classifier, trees.check_classifier_labels),
    RandomForestClassifier: Converter(trees.convert_tree_classifier, trees.check_classifier_labels),
    ExtraTreesClassifier: Converter(trees.convert_tree_classifier, trees.check_classifier_labels),
    DecisionTreeRegressor: Converter(trees.convert_tree_regressor),
    RandomForestRegressor: Converter(trees.convert_tree_regressor),
    ExtraTreesRegressor: Converter(trees.convert_tree_regressor),
    GradientBoostingClassifier: Converter(trees.convert_gradient_boosting, trees.check_gradient_boosting),
    GradientBoostingRegressor: Converter(trees.convert_gradient_boosting, trees.check_gradient_boosting),
    HistGradientBoostingClassifier: Converter(
        trees.convert_hist_gradient_boosting, trees.check_hist_gradient_boosting
    ),
    HistGradientBoostingRegressor: Converter(
        trees.convert_hist_gradient_boosting, trees.check_hist_gradient_boosting
    ),
    IsolationForest: Converter(trees.convert_isolation_forest, trees.check_isolation_forest),
}

#: step type -> numpy kernel (reference semantics of docs/format.md section 4)
KERNELS: Dict[str, Callable] = {
    "standard_scaler": scalers.standard_scaler,
    "min_max_scaler": scalers.min_max_scaler,
    "max_abs_scaler": scalers.max_abs_scaler,
    "robust_scaler": scalers.robust_scaler,
    "normalizer": normalizer.normalizer,
    "binarizer": binarizer.binarizer,
    "polynomial_features": polynomial.polynomial_features,
    "linear_projection": decomposition.linear_projection,
    "function_transformer": function.function_transformer,
    "kbins_discretizer": discretization.kbins_discretizer,
    "power_transformer": distribution.power_transformer,
    "quantile_transformer": distribution.quantile_transformer,
    "spline_transformer": spline.spline_transformer,
    "simple_imputer": impute.simple_imputer,
    "missing_indicator": impute.missing_indicator,
    "one_hot_encoder": encoders.one_hot_encoder,
    "ordinal_encoder": encoders.ordinal_encoder,
    "select_columns": selection.select_columns,
    "linear": linear.linear,
    "quadratic_discriminant": linear.quadratic_discriminant,
    "tree_ensemble": tree_ensemble.tree_ensemble,
}

#: top-level package of a library whose estimators are not scikit-learn classes ->
#: the converters module that registers them on first use (so ferry imports without it)
_LAZY_FAMILIES = {"xgboost": "xgboost"}


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
