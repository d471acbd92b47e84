"""Drift baselines (docs/format.md 3.6): computed by the exporter from X_sample, compared with
numpy's and pandas' own statistics of that sample and scikit-learn's outputs on it; the
reader's checks of the section."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.datasets import load_diabetes
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import ferry
from ferry import baselines
from ferry import format as fmt


@pytest.fixture(scope="module")
def churn():
    """A pipeline over numbers and text with missing values in both, and its sample."""
    rng = np.random.default_rng(5)
    n = 400
    X = pd.DataFrame(
        {
            "age": np.round(rng.normal(40, 12, n), 1),
            "calls": rng.poisson(1.5, n).astype(float),  # ties: quantiles merge
            "plan": rng.choice(["basic", "pro", "team", "enterprise", "legacy"], n, p=[0.4, 0.3, 0.2, 0.07, 0.03]).astype(object),
        }
    )
    X.loc[rng.random(n) < 0.1, "age"] = np.nan
    X.loc[rng.random(n) < 0.05, "plan"] = None
    y = np.where(X["calls"] + rng.normal(0, 1, n) > 1.5, "churned", "stayed")
    prep = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]), ["age", "calls"]),
            ("cat", Pipeline([("impute", SimpleImputer(strategy="constant", fill_value="none", missing_values=None)),
                              ("onehot", OneHotEncoder(handle_unknown="ignore"))]), ["plan"]),
        ]
    )
    model = Pipeline([("prep", prep), ("clf", LogisticRegression())]).fit(X, y)
    return model, X


def test_numeric_columns_are_numpys_statistics_and_quantiles(churn, tmp_path):
    model, X = churn
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, baseline_bins=8)
    assert art.minor == 3
    b = art.header["baseline"]
    assert b["rows"] == len(X) and b["bins"] == 8
    for name in ("age", "calls"):
        entry = next(e for e in b["inputs"] if e["name"] == name)
        values = X[name].to_numpy(dtype=np.float64)
        present = values[~np.isnan(values)]
        assert entry["count"] == present.size and entry["missing"] == int(X[name].isna().sum())
        assert entry["mean"] == np.mean(present) and entry["std"] == np.std(present)
        assert entry["min"] == present.min() and entry["max"] == present.max()
        edges = np.unique(np.quantile(present, np.linspace(0, 1, 9)))
        assert entry["edges"] == list(edges)
        # Each bin counts the values from its lower interior edge (inclusive) to the next.
        interior = edges[1:-1]
        want = [int(np.sum(present < interior[0]))]
        want += [int(np.sum((present >= lo) & (present < hi))) for lo, hi in zip(interior, interior[1:])]
        want += [int(np.sum(present >= interior[-1]))]
        assert entry["counts"] == want
    calls = next(e for e in b["inputs"] if e["name"] == "calls")
    assert len(calls["edges"]) < 9  # Poisson ties merged some quantiles


def test_text_columns_are_pandas_value_counts(churn, tmp_path):
    model, X = churn
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, baseline_categories=3)
    plan = next(e for e in art.header["baseline"]["inputs"] if e["name"] == "plan")
    counts = X["plan"].value_counts()
    assert [c["value"] for c in plan["categories"]] == list(counts.index[:3])
    assert [c["count"] for c in plan["categories"]] == [int(v) for v in counts.iloc[:3]]
    assert plan["other"] == int(counts.iloc[3:].sum())
    assert plan["missing"] == int(X["plan"].isna().sum())
    assert plan["count"] == int(X["plan"].notna().sum())


def test_outputs_are_the_statistics_of_scikit_learns_outputs(churn, tmp_path):
    model, X = churn
    b = ferry.export(model, tmp_path / "m.ferry", X_sample=X).header["baseline"]
    proba = model.predict_proba(X)
    assert [o["name"] for o in b["outputs"]] == ["proba_churned", "proba_stayed"]
    for o in b["outputs"]:
        p = proba[:, o["index"]]
        assert o["source"] == "predict_proba" and o["missing"] == 0
        # ferry's kernels reproduce scikit-learn to the verification tolerance (1e-9)
        assert o["mean"] == pytest.approx(np.mean(p), rel=1e-9, abs=1e-12)
        assert o["std"] == pytest.approx(np.std(p), rel=1e-9, abs=1e-12)
        np.testing.assert_allclose(o["edges"], np.quantile(p, np.linspace(0, 1, 11)), rtol=1e-9, atol=1e-12)
        assert sum(o["counts"]) == len(X)
    predicted = model.predict(X)
    assert b["classes"] == [int(np.sum(predicted == c)) for c in model.classes_]


def test_regressor_outputs_are_the_predicted_values(tmp_path):
    X, y = load_diabetes(return_X_y=True)
    model = Pipeline([("scale", StandardScaler()), ("ridge", Ridge())]).fit(X, y)
    b = ferry.export(model, tmp_path / "m.ferry", X_sample=X).header["baseline"]
    assert "classes" not in b
    (o,) = b["outputs"]
    assert (o["name"], o["source"], o["index"]) == ("prediction", "predict", 0)
    assert o["mean"] == pytest.approx(np.mean(model.predict(X)), rel=1e-9)


def test_deterministic_and_optional(churn, tmp_path):
    model, X = churn
    ferry.export(model, tmp_path / "a.ferry", X_sample=X)
    ferry.export(model, tmp_path / "b.ferry", X_sample=X)
    assert (tmp_path / "a.ferry").read_bytes() == (tmp_path / "b.ferry").read_bytes()
    none = ferry.export(model, tmp_path / "c.ferry", X_sample=X, baseline_bins=0)
    assert "baseline" not in none.header and none.minor == 2
    X_d, y_d = load_diabetes(return_X_y=True)
    without_sample = ferry.export(Ridge().fit(X_d, y_d), tmp_path / "d.ferry")
    assert "baseline" not in without_sample.header and without_sample.minor == 0
    for bad in (-1, 1025, 2.5):
        with pytest.raises(ValueError, match="baseline_bins must be an integer"):
            ferry.export(model, tmp_path / "e.ferry", X_sample=X, baseline_bins=bad)
    with pytest.raises(ValueError, match="baseline_categories"):
        ferry.export(model, tmp_path / "e.ferry", X_sample=X, baseline_categories=0)


def test_bin_index_puts_edge_values_in_the_bin_above():
    edges = [0.0, 1.0, 2.0, 3.0]
    assert list(baselines.bin_index(edges, np.array([-5.0, 0.0, 0.999, 1.0, 2.0, 3.0, 99.0]))) == [0, 0, 0, 1, 2, 2, 2]
    entry = baselines.numeric(np.array([7.0, 7.0, np.nan]), 10)
    assert entry["edges"] == [7.0] and entry["counts"] == [2] and entry["missing"] == 1
    empty = baselines.numeric(np.array([np.nan, np.nan]), 10)
    assert empty["count"] == 0 and empty["edges"] == [] and empty["mean"] is None


# --------------------------------------------------------------------------- reader


@pytest.fixture(scope="module")
def exported(churn, tmp_path_factory):
    model, X = churn
    art = ferry.export(model, tmp_path_factory.mktemp("b") / "m.ferry", X_sample=X)
    return art.header, art.tensors


def _edited(exported, edit):
    header, tensors = exported
    h = copy.deepcopy(header)
    edit(h["baseline"])
    return fmt.dumps(h, tensors, validate=False)


def _age(b):
    return b["inputs"][0]


def _plan(b):
    return b["inputs"][2]


CORRUPTIONS = {
    "rows": (lambda b: b.update(rows=0), "baseline.rows"),
    "bins": (lambda b: b.update(bins=1025), "baseline.bins"),
    "inputs_count": (lambda b: b["inputs"].pop(), "one entry per schema input"),
    "name": (lambda b: _age(b).update(name="x"), "name must be 'age'"),
    "missing": (lambda b: _age(b).update(missing=_age(b)["missing"] + 1), "adding up to baseline.rows"),
    "std": (lambda b: _age(b).update(std=-1.0), "std >= 0"),
    "edges_order": (lambda b: _age(b)["edges"].reverse(), "edges must increase strictly"),
    "edges_many": (lambda b: b.update(bins=2), "edges must be 1 to bins + 1"),
    "counts_len": (lambda b: _age(b)["counts"].pop(), "one integer >= 0 per bin"),
    "counts_sum": (lambda b: _age(b)["counts"].__setitem__(0, _age(b)["counts"][0] + 1), "counts add up to"),
    "category_unknown": (lambda b: _plan(b)["categories"][0].update(value="mars"), "distinct schema categories"),
    "category_twice": (lambda b: _plan(b)["categories"][1].update(value=_plan(b)["categories"][0]["value"]),
                       "distinct schema categories"),
    "other": (lambda b: _plan(b).update(other=_plan(b)["other"] + 1), "must add up to count"),
    "output_source": (lambda b: b["outputs"][0].update(source="predict"), "source and index"),
    "output_index": (lambda b: b["outputs"][0].update(index=2), "source and index"),
    "output_name": (lambda b: b["outputs"][1].update(name=b["outputs"][0]["name"]), "distinct non-empty"),
    "classes": (lambda b: b["classes"].append(0), "baseline.classes"),
    "classes_missing": (lambda b: b.pop("classes"), "baseline.classes"),
}


@pytest.mark.parametrize("case", sorted(CORRUPTIONS))
def test_reader_refuses_a_broken_baseline(exported, case):
    edit, message = CORRUPTIONS[case]
    with pytest.raises(ferry.ArtifactError) as ei:
        fmt.loads(_edited(exported, edit))
    assert ei.value.code == "format"
    assert message in ei.value.message


def test_reader_ignores_unknown_keys_and_a_file_without_the_section_is_older(exported):
    header, tensors = exported
    art = fmt.loads(_edited(exported, lambda b: b.update(quantile_method="linear")))
    assert art.minor == 3
    h = copy.deepcopy(header)
    del h["baseline"]
    assert fmt.loads(fmt.dumps(h, tensors)).minor == 2


def test_shipped_drift_case_reads(tmp_path):
    from conftest import ROOT

    art = ferry.read(ROOT / "tests/data/drift_churn/model.ferry")
    assert art.minor == 3 and art.header["baseline"]["rows"] == 2000
    # older shipped files (no section) still read
    assert "baseline" not in ferry.read(ROOT / "artifacts/iris/model.ferry").header
