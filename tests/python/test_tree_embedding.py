"""RandomTreesEmbedding -> ``tree_embedding`` (docs/format.md 4.52): converter, numpy kernel,
the sparse-output rule, the reader's rules."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from sklearn.datasets import load_wine
from sklearn.ensemble import RandomTreesEmbedding
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import Binarizer, MaxAbsScaler

import ferry
from ferry import format as fmt
from ferry.converters import KERNELS
from conftest import spec_evaluate

CREATED = "2026-01-01T00:00:00Z"


@pytest.fixture(scope="module")
def wine():
    return load_wine(return_X_y=True)


def probes(model, X):
    """Far rows, zeros, and rows on root thresholds and their float32 neighbours."""
    rows = [X, X.max(axis=0) * 3, X.min(axis=0) * -3, np.zeros((1, X.shape[1]))]
    for tree in model.estimators_:
        f, t = int(tree.tree_.feature[0]), float(tree.tree_.threshold[0])
        t32 = np.float32(t)
        for v in (t, float(t32), float(np.nextafter(t32, np.float32(np.inf))),
                  float(np.nextafter(t32, np.float32(-np.inf)))):
            r = X[:1].copy()
            r[0, f] = v
            rows.append(r)
    return np.vstack(rows)


OPTIONS = [
    dict(n_estimators=5, max_depth=3, sparse_output=False),
    dict(n_estimators=8, max_depth=5),
    dict(n_estimators=4, max_leaf_nodes=9, min_samples_leaf=5),
    dict(n_estimators=2, max_depth=1),
]


@pytest.mark.parametrize("options", OPTIONS, ids=[str(o) for o in OPTIONS])
def test_kernel_is_bit_identical(tmp_path, wine, options):
    X, y = wine
    model = Pipeline([("e", RandomTreesEmbedding(random_state=0, **options)),
                      ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    step = art.pipeline[0]
    emb = model[0]
    assert step["type"] == "tree_embedding"
    assert step["params"]["n_trees"] == len(emb.estimators_)
    assert step["feature_names_out"] == list(emb.get_feature_names_out())
    Xt = probes(emb, X)
    want = emb.transform(Xt)
    want = want.toarray() if hasattr(want, "toarray") else want
    t = {r: art.tensors[n] for r, n in step["tensors"].items()}
    np.testing.assert_array_equal(KERNELS["tree_embedding"](step, t, Xt), want)
    spec = spec_evaluate(art.header, art.tensors, Xt)
    np.testing.assert_allclose(spec["predict_proba"], model.predict_proba(Xt), rtol=1e-12, atol=1e-12)


def test_thresholds_are_decided_after_float32_rounding(tmp_path, wine):
    X, y = wine
    model = Pipeline([("e", RandomTreesEmbedding(n_estimators=6, max_depth=3, random_state=0, sparse_output=False)),
                      ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    step = art.pipeline[0]
    t_ = {r: art.tensors[n] for r, n in step["tensors"].items()}
    rows = []
    for tree in model[0].estimators_:
        f, t = int(tree.tree_.feature[0]), float(tree.tree_.threshold[0])
        down = np.float32(t) if float(np.float32(t)) <= t else np.nextafter(np.float32(t), np.float32(-np.inf))
        up = np.nextafter(down, np.float32(np.inf))
        mid = (float(down) + float(up)) / 2
        if t < mid:  # a double above the threshold that float32 rounds to below it: left, in scikit-learn
            r = X[:1].copy()
            r[0, f] = (t + mid) / 2
            assert r[0, f] > t and float(np.float32(r[0, f])) <= t
            rows.append(r)
    assert rows
    Xt = np.vstack(rows)
    np.testing.assert_array_equal(KERNELS["tree_embedding"](step, t_, Xt), model[0].transform(Xt))


def test_value_too_large_for_float32_is_refused(tmp_path, wine):
    X, y = wine
    model = Pipeline([("e", RandomTreesEmbedding(n_estimators=2, max_depth=2, random_state=0, sparse_output=False)),
                      ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    step = art.pipeline[0]
    t = {r: art.tensors[n] for r, n in step["tensors"].items()}
    big = X[:1].copy()
    big[0, 2] = 1e39
    with pytest.raises(ValueError, match="float32"):
        KERNELS["tree_embedding"](step, t, big)
    with pytest.raises(ValueError, match="float32"):
        model[0].transform(big)


def test_sparse_output_only_before_steps_that_compute_the_same_densely(tmp_path, wine):
    X, y = wine
    ok = Pipeline([("e", RandomTreesEmbedding(n_estimators=3, max_depth=2, random_state=0)), ("m", MaxAbsScaler()),
                   ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
    ferry.export(ok, tmp_path / "ok.ferry", X_sample=X, created=CREATED)
    bad = Pipeline([("e", RandomTreesEmbedding(n_estimators=3, max_depth=2, random_state=0)), ("b", Binarizer()),
                    ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
    with pytest.raises(ferry.UnsupportedModelError, match="RandomTreesEmbedding .sparse output is followed by Binarizer"):
        ferry.export(bad, tmp_path / "bad.ferry", X_sample=X)


def test_reader_rules(tmp_path, wine):
    X, y = wine
    model = Pipeline([("e", RandomTreesEmbedding(n_estimators=3, max_depth=3, random_state=0)),
                      ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
    art = ferry.export(model, tmp_path / "m.ferry", X_sample=X, created=CREATED)
    ferry.read(fmt.dumps(art.header, dict(art.tensors), validate=False))

    def refused(role, fn):
        header, tensors = copy.deepcopy(art.header), dict(art.tensors)
        v = tensors[f"steps.0.{role}"].copy()
        fn(v)
        tensors[f"steps.0.{role}"] = v
        with pytest.raises(ferry.ArtifactError) as ei:
            ferry.read(fmt.dumps(header, tensors, validate=False))
        assert ei.value.code == "format"
        return ei.value.message

    assert "children" in refused("left", lambda v: v.__setitem__(0, 0))  # a cycle
    assert "feature" in refused("feature", lambda v: v.__setitem__(0, 13))
    assert "column" in refused("column", lambda v: v.__setitem__(np.flatnonzero(v >= 0)[1], int(v.max())))
    assert "tree_offsets" in refused("tree_offsets", lambda v: v.__setitem__(1, v[2]))


@pytest.mark.skipif(not __import__("ferry.runtime").runtime.native_available(), reason="the native module is not built")
def test_sparse_output_stays_sparse_for_the_linear_model(tmp_path, wine):
    """With sparse_output, the leaves reach the linear model as a sparse row, summed in scipy's
    order: decision_function to the bit on x86-64 (where scipy's loop does not fuse multiply-adds),
    within 1e-13 elsewhere. Dense output goes through a dense product: within 1e-13 too."""
    import platform

    X, y = wine
    for sparse in (True, False):
        model = Pipeline([("e", RandomTreesEmbedding(n_estimators=20, max_depth=4, random_state=1,
                                                     sparse_output=sparse)),
                          ("c", LogisticRegression(max_iter=5000))]).fit(X, y)
        art = ferry.export(model, tmp_path / "m.ferry", X_sample=X)
        assert art.pipeline[0]["params"].get("sparse_output", False) is sparse
        m = ferry.Model.load(tmp_path / "m.ferry", verify=True)
        Xt = probes(model[0], X)
        got, want = np.asarray(m.decision_function(Xt)), model.decision_function(Xt)
        if sparse and platform.machine() in ("x86_64", "AMD64"):
            np.testing.assert_array_equal(got, want)
        else:
            assert np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) <= 1e-13
