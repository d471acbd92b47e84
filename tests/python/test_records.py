"""DictVectorizer and FeatureHasher (docs/format.md 4.55, 4.56; converters/records.py): records
as named input columns, parity with scikit-learn through the native module, MurmurHash3 of the
reference kernel, export refusals and the reader's rules."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction import DictVectorizer, FeatureHasher
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.utils import murmurhash3_32 as sk_murmur

import ferry
from ferry import exporter
from ferry import format as fmt
from ferry.converters import records as R
from ferry.converters import hashing as H
from ferry.runtime import native_available

from conftest import assert_blas_equal

native = pytest.mark.skipif(not native_available(), reason="the native module is not built")
#: a sum over a sparse row in stored order is the same on every x86 CPU
EXACT_SUMS = platform.machine() in ("x86_64", "AMD64")

CITIES = ["Zürich", "Köln", "東京", "Paris", "São Paulo", "naïve café"]


def make_records(n: int, seed: int, cities=CITIES):
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        r = {"age": float(rng.integers(18, 80)), "city": str(rng.choice(cities))}
        if rng.random() < 0.7:
            r["score"] = 0.0 if rng.random() < 0.2 else float(np.round(rng.normal(), 3))
        if rng.random() < 0.5:
            r["vip"] = bool(rng.random() < 0.5)
        if rng.random() < 0.6:
            r["plan"] = str(rng.choice(["free", "pro", "team"]))
        out.append(r)
    return out


TRAIN = make_records(200, 1)
Y = np.asarray([int(r["age"] > 45) ^ int(r.get("plan") == "pro") for r in TRAIN])
# unseen values (Berlin, a new plan) and keys missing from every record of a row
TEST = make_records(60, 2, CITIES + ["Berlin"]) + [{"age": 30.0}, {"city": "Berlin", "plan": "enterprise"}, {}]


def table(recs, keys):
    frame = pd.DataFrame.from_records(recs, columns=keys)
    for k in keys:  # ferry's tables take numbers as numbers: bools become 0 / 1
        if frame[k].map(lambda v: isinstance(v, (bool, np.bool_))).any():
            frame[k] = frame[k].astype(float)
    return frame


def check(model, tmp_path, sample=TRAIN, test=TEST, want_rows=None):
    ferry.export(model, tmp_path / "m.ferry", X_sample=sample)
    m = ferry.Model.load(tmp_path / "m.ferry", verify=True)
    t = table(test, m.input_names)
    got_rows = np.asarray(m.transform(t))
    want_rows = model[:-1].transform(test) if want_rows is None else want_rows
    want_dense = want_rows.toarray() if hasattr(want_rows, "toarray") else np.asarray(want_rows)
    np.testing.assert_array_equal(got_rows, want_dense)
    if hasattr(model, "decision_function") and hasattr(model[-1], "classes_"):
        got, want = np.asarray(m.decision_function(t)).reshape(-1), model.decision_function(test).reshape(-1)
        np.testing.assert_array_equal(np.asarray(m.predict(t)), model.predict(test))
    else:
        got, want = np.asarray(m.predict(t)).reshape(-1), model.predict(test).reshape(-1)
    if not hasattr(want_rows, "toarray"):
        # scikit-learn's estimator summed a dense row through BLAS, ferry in its own order
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * max(1.0, float(np.max(np.abs(want)))))
    elif EXACT_SUMS:  # sums over sparse rows in stored order (docs/format.md 4.53)
        np.testing.assert_array_equal(got, want)
    else:
        assert np.max(np.abs(got - want) / np.maximum(1.0, np.abs(want))) <= 1e-13
    return m


# ------------------------------------------------------------------ MurmurHash3


def test_murmurhash_is_scikit_learns():
    rng = np.random.default_rng(3)
    words = ["", "a", "ab", "abc", "abcd", "abcde", "city=Zürich", "東京", "😀 emoji", "naïve=café", "x" * 1000]
    words += ["".join(chr(int(c)) for c in rng.integers(32, 0x3000, size=int(rng.integers(0, 40))))
              for _ in range(500)]
    for w in words:
        assert H.murmurhash3_32(w.encode("utf-8")) == sk_murmur(w, positive=False), w


def test_the_int_min_hash_takes_scikit_learns_column():
    # scikit-learn's _hashing_transform gives h = -2**31 the column (2**31 - 1 - (n - 1)) mod n;
    # the name was found by inverting MurmurHash3's last block and finalizer
    name = "aaaiTBFZ"
    assert sk_murmur(name, positive=False) == -2 ** 31 == H.murmurhash3_32(name.encode())
    for n in (1, 7, 1024):
        want = FeatureHasher(n_features=n, input_type="string").transform([[name]])
        assert H.hashed_row([(name, 1.0)], n, True) == [(want.indices[0], -1.0)] and want.data.tolist() == [-1.0]


# ------------------------------------------------------------------ DictVectorizer


@native
@pytest.mark.parametrize("sparse", [True, False])
def test_dict_vectorizer_logistic_regression(sparse, tmp_path):
    model = make_pipeline(DictVectorizer(sparse=sparse), LogisticRegression(max_iter=500)).fit(TRAIN, Y)
    m = check(model, tmp_path)
    assert m.input_names == ["age", "city", "score", "vip", "plan"]  # the records' own order


@native
def test_dict_vectorizer_explicit_zero_and_sorted_rows(tmp_path):
    # scikit-learn keeps a 0 value as a stored entry and sorts each row's columns
    dv = DictVectorizer().fit(TRAIN)
    got = dv.transform([{"score": 0.0, "age": 1.0}])
    assert got.nnz == 2 and got.indices.tolist() == sorted(got.indices.tolist())
    model = make_pipeline(DictVectorizer(), Ridge()).fit(TRAIN, np.asarray([r["age"] for r in TRAIN]) * 0.1)
    check(model, tmp_path, test=TEST + [{"score": 0.0, "vip": False}])


@native
def test_dataframe_sample_and_no_sample(tmp_path):
    model = make_pipeline(DictVectorizer(), LogisticRegression(max_iter=500)).fit(TRAIN, Y)
    frame = pd.DataFrame.from_records(TRAIN)
    check(model, tmp_path, sample=frame)
    art = ferry.export(model, tmp_path / "n.ferry")  # keys from feature_names_
    assert [(i["name"], i["kind"]) for i in art.schema["inputs"]] == [
        ("age", "numeric"), ("city", "categorical"), ("plan", "categorical"), ("score", "numeric"), ("vip", "numeric")]
    m = ferry.Model.load(tmp_path / "n.ferry")
    t = table(TEST, m.input_names)
    np.testing.assert_array_equal(np.asarray(m.predict(t)), model.predict(TEST))


def test_dict_vectorizer_refusals(tmp_path):
    ambiguous = make_pipeline(DictVectorizer(), Ridge()).fit([{"a=b": 1.0, "a": "b"}, {"a=b": 2.0}], [1.0, 2.0])
    with pytest.raises(exporter.UnsupportedModelError, match=r"feature 'a=b' is ambiguous"):
        ferry.export(ambiguous, tmp_path / "a.ferry", X_sample=[{"a=b": 1.0, "a": "b"}])
    mixed = make_pipeline(DictVectorizer(), Ridge()).fit([{"a": 1.0}, {"a": "x"}], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"key 'a' holds both numbers and strings"):
        ferry.export(mixed, tmp_path / "b.ferry", X_sample=[{"a": 1.0}, {"a": "x"}])
    with pytest.raises(exporter.UnsupportedModelError, match=r"key 'a' holds both numbers and strings"):
        ferry.export(mixed, tmp_path / "b.ferry")
    tags = make_pipeline(DictVectorizer(), Ridge()).fit([{"t": ["x", "y"]}, {"t": ["y"]}], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"key 't' holds an iterable"):
        ferry.export(tags, tmp_path / "c.ferry", X_sample=[{"t": ["x", "y"]}])
    f32 = make_pipeline(DictVectorizer(dtype=np.float32), Ridge()).fit(TRAIN, Y)
    with pytest.raises(exporter.UnsupportedModelError, match=r"dtype=float32"):
        ferry.export(f32, tmp_path / "d.ferry")
    two = make_pipeline(DictVectorizer(), Ridge()).fit([{"a": "b=c"}, {"a": "d"}], [1.0, 2.0])
    with pytest.raises(exporter.UnsupportedModelError, match=r"feature 'a=b=c' could be key 'a'"):
        ferry.export(two, tmp_path / "e.ferry")
    ferry.export(two, tmp_path / "e.ferry", X_sample=[{"a": "b=c"}, {"a": "d"}])  # the sample tells
    with pytest.raises(ValueError, match=r"record 0, key 'a'.*leave the key out"):
        ferry.export(two, tmp_path / "f.ferry", X_sample=[{"a": None}])


# ------------------------------------------------------------------ FeatureHasher


@native
@pytest.mark.parametrize("n_features,alternate_sign", [(3, True), (5, False), (1 << 10, True)])
def test_feature_hasher_dict(n_features, alternate_sign, tmp_path):
    # 3 columns for 10+ features: collisions, and with alternate_sign sums that cancel to a
    # stored 0 (sum_duplicates keeps it)
    hasher = FeatureHasher(n_features=n_features, alternate_sign=alternate_sign)
    model = make_pipeline(hasher, LogisticRegression(max_iter=500)).fit(TRAIN, Y)
    test = [r for r in TEST if r.get("city") != "Berlin" and r.get("plan") != "enterprise"]
    check(model, tmp_path, test=test)


def test_feature_hasher_kernel_keeps_cancelled_sums():
    rows = [{"a": 1.0, "b": 1.0, "c": "x", "d": 2.5}] * 2
    for n in (1, 2, 3):
        want = FeatureHasher(n_features=n).transform(rows)
        step = R.convert_feature_hasher(FeatureHasher(n_features=n), "h", ["a", "b", "c", "d"], [False, False, True, False])
        t = {"key_bytes": step.tensors["key_bytes"], "key_offsets": step.tensors["key_offsets"]}
        got = R.feature_hasher({"params": step.params, "n_features_out": n}, t,
                               np.asarray([[1.0, 1.0, "x", 2.5]] * 2, dtype=object))
        np.testing.assert_array_equal(got, want.toarray())


@native
def test_feature_hasher_hashes_strings_it_never_saw(tmp_path):
    """The point of hashing: a string value needs no vocabulary. The keys holding strings are
    free-text inputs (nullable: a missing cell is an absent key), so any string is hashed."""
    model = make_pipeline(FeatureHasher(n_features=16), LogisticRegression()).fit(TRAIN, Y)
    ferry.export(model, tmp_path / "h.ferry", X_sample=TRAIN)
    m = ferry.Model.load(tmp_path / "h.ferry", verify=True)
    kinds = {c["name"]: (c["kind"], c["nullable"]) for c in ferry.read(tmp_path / "h.ferry").header["schema"]["inputs"]}
    assert kinds["city"] == ("text", True)
    unseen = [{"age": 20.0, "city": "Berlin"}, {"city": "Zürich-Ost 😀"}, {"age": 3.0}, {}]
    t = table(unseen, m.input_names)
    np.testing.assert_array_equal(np.asarray(m.transform(t)), model[:-1].transform(unseen).toarray())
    np.testing.assert_array_equal(np.asarray(m.predict(t)), model.predict(unseen))


@native
def test_feature_hasher_strings_in_a_column_transformer(tmp_path):
    rng = np.random.default_rng(5)
    X = np.empty((120, 3), dtype=object)
    X[:, 0] = rng.choice(["red", "green", "blue", "gelb"], 120)
    X[:, 1] = rng.choice(["S", "M", "L", "XL", "ü"], 120)
    X[:, 2] = rng.normal(size=120)
    y = (X[:, 2] > 0).astype(int)
    ct = ColumnTransformer([("h", FeatureHasher(n_features=6, input_type="string"), [0, 1]),
                            ("n", "passthrough", [2])], sparse_threshold=1.0)
    model = make_pipeline(ct, LogisticRegression()).fit(X, y)
    ferry.export(model, tmp_path / "s.ferry", X_sample=X)
    m = ferry.Model.load(tmp_path / "s.ferry", verify=True)
    t = pd.DataFrame({n: X[:, j] for j, n in enumerate(m.input_names)})
    t[m.input_names[2]] = t[m.input_names[2]].astype(float)
    np.testing.assert_array_equal(np.asarray(m.predict(t)), model.predict(X))
    assert_blas_equal(np.asarray(m.decision_function(t)).reshape(-1), model.decision_function(X))


def test_feature_hasher_refusals(tmp_path):
    model = make_pipeline(FeatureHasher(n_features=8), Ridge()).fit(TRAIN, Y)
    with pytest.raises(exporter.UnsupportedModelError, match=r"keeps no keys; pass X_sample"):
        ferry.export(model, tmp_path / "a.ferry")
    pair = make_pipeline(FeatureHasher(n_features=8, input_type="pair"), Ridge()).fit([[("a", 1.0)]], [1.0])
    with pytest.raises(exporter.UnsupportedModelError, match=r"input_type='pair'"):
        ferry.export(pair, tmp_path / "b.ferry")


# ------------------------------------------------------------------ the reader


def _exported(tmp_path, first):
    model = make_pipeline(first, Ridge()).fit(TRAIN, Y)
    art = ferry.export(model, tmp_path / "r.ferry", X_sample=TRAIN)
    return art.header, dict(art.tensors)


def _refused(header, tensors, match):
    table = {k: {"dtype": str(v.dtype), "shape": list(v.shape)} for k, v in tensors.items()}
    with pytest.raises(fmt.ArtifactError, match=match):
        fmt.check_sections({**header, "tensors": table}, tensors, fmt.MINOR)


def test_reader_rules(tmp_path):
    header, tensors = _exported(tmp_path, DictVectorizer())
    step = header["pipeline"][0]
    bad = dict(tensors)
    bad[step["tensors"]["value_outputs"]] = np.zeros_like(tensors[step["tensors"]["value_outputs"]])
    _refused(header, bad, "exactly one numeric column or value")
    bad = dict(tensors)
    outs = tensors[step["tensors"]["outputs"]].copy()
    outs[1] = 3  # 'city' holds text
    bad[step["tensors"]["outputs"]] = outs
    _refused(header, bad, r"'outputs' must be -1 at \[1\]")
    header, tensors = _exported(tmp_path, FeatureHasher(n_features=8))
    step = header["pipeline"][0]
    step["params"]["input_type"] = "string"
    _refused(header, tensors, "key_bytes' must be present exactly when")
    step["params"]["input_type"] = "pair"
    _refused(header, tensors, r"params.input_type 'pair' is not one of")
