"""Hyper-parameter searches export as their refitted best_estimator_ (docs/supported.md,
"Composition"): the same artifact as exporting best_estimator_ itself, the step names aside,
which keep the path they had in the exported object."""

import json

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_diabetes
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.model_selection import GridSearchCV, HalvingGridSearchCV, HalvingRandomSearchCV, RandomizedSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeClassifier

import ferry
from ferry import exporter

# small folds: some candidate scores of the halving searches are NaN, which scikit-learn reports
pytestmark = pytest.mark.filterwarnings("ignore:One or more of the test scores are non-finite")


def _classification():
    X, y = load_breast_cancer(return_X_y=True)
    return X[:200, :8], y[:200]


def _regression():
    X, y = load_diabetes(return_X_y=True)
    return X[:200], y[:200]


SEARCHES = {
    "grid_pipeline": (lambda: GridSearchCV(make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
                                           {"logisticregression__C": [0.1, 1.0]}, cv=3), _classification),
    "randomized_ridge": (lambda: RandomizedSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0]}, n_iter=2, cv=3,
                                                    random_state=0), _regression),
    "halving_grid_tree": (lambda: HalvingGridSearchCV(DecisionTreeClassifier(random_state=0),
                                                      {"max_depth": [2, 3, 4]}, cv=3, random_state=0),
                          _classification),
    "halving_random_ridge": (lambda: HalvingRandomSearchCV(Ridge(), {"alpha": [0.1, 1.0, 10.0]}, cv=3,
                                                           random_state=0), _regression),
    "multimetric_refit": (lambda: GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3,
                                               scoring=["accuracy", "roc_auc"], refit="roc_auc"),
                          _classification),
}


@pytest.mark.parametrize("case", sorted(SEARCHES))
def test_search_exports_as_its_best_estimator(case, tmp_path):
    make, data = SEARCHES[case]
    X, y = data()
    search = make().fit(X, y)
    art = ferry.export(search, tmp_path / "search.ferry", X_sample=X, name="m")
    best = ferry.export(search.best_estimator_, tmp_path / "best.ferry", X_sample=X, name="m")
    as_search = json.dumps(art.header, sort_keys=True)
    assert "best_estimator_" in as_search
    assert as_search.replace("best_estimator_.", "").replace("best_estimator_: ", "") == \
        json.dumps(best.header, sort_keys=True)
    assert art.tensors.keys() == best.tensors.keys()
    for name, tensor in art.tensors.items():
        assert np.array_equal(tensor, best.tensors[name]), name
    # and what it computes is the search's own predict
    got = exporter.evaluate(art, X)
    want = search.predict(X)
    if art.schema["task"] == "classification":
        assert np.array_equal(np.asarray(art.schema["classes"]["values"])[got["predict"]], want)
    else:
        np.testing.assert_allclose(got["predict"].reshape(-1), want, rtol=1e-12, atol=0)


def test_search_inside_a_pipeline_is_unwrapped(tmp_path):
    X, y = _classification()
    pipe = make_pipeline(StandardScaler(), GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3))
    pipe.fit(X, y)
    art = ferry.export(pipe, tmp_path / "m.ferry", X_sample=X)
    assert [s["type"] for s in art.header["pipeline"]] == ["standard_scaler"]
    assert np.array_equal(np.asarray(art.schema["classes"]["values"])[exporter.evaluate(art, X)["predict"]],
                          pipe.predict(X))


def test_refit_false_is_refused_by_name(tmp_path):
    X, y = _classification()
    search = GridSearchCV(LogisticRegression(max_iter=500), {"C": [0.1, 1.0]}, cv=3, refit=False).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match="GridSearchCV: refit=False"):
        ferry.export(search, tmp_path / "m.ferry")


def test_unfitted_search_is_refused(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError, match="GridSearchCV"):
        ferry.export(GridSearchCV(Ridge(), {"alpha": [1.0]}), tmp_path / "m.ferry")
