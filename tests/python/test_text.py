"""Text vectorizers (docs/format.md 4.45, 4.46): the exported step against scikit-learn's own
transform on adversarial documents, for every analyzer and option; refusals naming the
reason; the Unicode tables against the Python functions they come from; the reader's rules."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

import ferry
from ferry import exporter
from ferry import format as fmt
from ferry.converters import text as T

TRAIN = [
    "Good service, fast delivery! ΟΔΥΣΣΕΥΣ was here", "bad slow awful service", "İstanbul café naïve résumé",
    "日本語のテキスト 中文 한국어 텍스트", "emoji 😀😀 party 🎉 good", "e\u0301le\u0300ve tab\tsep\n\nnew line",
    "ǅemal ﬁne ﬀ ½ x² STRASSE straße", "the big the cat sat on the mat", "ΣΑΣ Σ aΣ. Σa good", "ok fine good great",
    "slow slow slow bad", "Москва плохо bad", "_under_score 12 345 a1b2", "great great good nice", "awful terrible",
] * 2
Y = [0, 1, 0, 2, 0, 2, 1, 2, 0, 0, 1, 1, 2, 0, 1] * 2
ADVERSARIAL = [
    "", "!!! ... ???", "   \t\n ", "zebra quantum unknownword", "ΟΔΥΣΣΕΥΣ ΣΑΣ Σ aΣ. Σa ΑΣ'Σ ς",
    "İİ İstanbul ǅemal ﬀ ﬁne", "e\u0301le\u0300ve cafe\u0301 n\u0303 a\u0308\u0301", "😀😀 🎉party🎉 👩\u200d👩\u200d👧",
    "mixed 日本語とEnglish와 한국어", "a\u3000b\u00a0c\u2028d\x1ce  f", " ".join(["good café awful"] * 3000),
    "_ __ ___ a_b 1 22 333", "\u0130\u0307 \u1e9e \u00df \u01c5 \u1f88",
]

CONFIGS = [
    dict(),
    dict(analyzer="char", ngram_range=(1, 3)),
    dict(analyzer="char_wb", ngram_range=(2, 5)),
    dict(analyzer="char_wb", ngram_range=(1, 1)),
    dict(ngram_range=(1, 3), stop_words="english"),
    dict(ngram_range=(2, 2), stop_words=["the", "a", "good"]),
    dict(strip_accents="unicode"),
    dict(strip_accents="ascii", analyzer="char_wb", ngram_range=(1, 4)),
    dict(lowercase=False, token_pattern=r"\S+", ngram_range=(1, 2)),
    dict(token_pattern=r"(?u)\b\w+\b", ngram_range=(1, 3), binary=True),
    dict(token_pattern=r"\w{3,}", max_features=20),
    dict(token_pattern=r"[^\s]+", min_df=2, max_df=0.5),
    dict(analyzer="char", ngram_range=(2, 4), lowercase=False, strip_accents="unicode"),
]
WEIGHTINGS = [dict(), dict(sublinear_tf=True), dict(norm="l1", use_idf=False), dict(norm=None, smooth_idf=False),
              dict(binary=True, norm="l1", sublinear_tf=True)]


def _step(vec):
    conv = T.convert_vectorizer(vec, "v")
    return {"type": conv.type, "params": conv.params, "n_features_in": 1, "n_features_out": conv.n_features_out}, conv


@pytest.mark.parametrize("cfg", CONFIGS, ids=[str(c) for c in CONFIGS])
@pytest.mark.parametrize("cls", [CountVectorizer, TfidfVectorizer])
def test_kernel_is_scikit_learns_transform(cls, cfg):
    docs = np.array(ADVERSARIAL + TRAIN, dtype=object)
    for weighting in ([{}] if cls is CountVectorizer else WEIGHTINGS):
        if "binary" in weighting and "binary" in cfg:
            continue
        vec = cls(**cfg, **weighting).fit(TRAIN)
        step, conv = _step(vec)
        got = T.text_vectorizer(step, conv.tensors, docs)
        want = vec.transform(docs).toarray()
        assert np.array_equal(got, want), (cfg, weighting, float(np.max(np.abs(got - want))))


HASHING = [dict(n_features=16), dict(n_features=7, binary=True, norm=None), dict(n_features=64, norm="l1"),
           dict(n_features=2**20, alternate_sign=False, ngram_range=(1, 2), stop_words="english"),
           dict(n_features=32, analyzer="char_wb", ngram_range=(2, 4), strip_accents="unicode", binary=True),
           dict(n_features=5, analyzer="char", ngram_range=(1, 3), lowercase=False)]


@pytest.mark.parametrize("cfg", HASHING, ids=[str(c) for c in HASHING])
def test_hashing_kernel_is_scikit_learns_transform(cfg):
    # Few columns: columns collide, and with alternate_sign a collision can cancel to an explicit 0,
    # which binary turns into 1 as scikit-learn's X.data.fill(1) does.
    docs = np.array(ADVERSARIAL + TRAIN, dtype=object)
    vec = HashingVectorizer(**cfg)
    conv = T.convert_hashing_vectorizer(vec, "h")
    step = {"params": conv.params, "n_features_out": conv.n_features_out}
    want = vec.transform(docs)
    got = T.hashing_vectorizer(step, conv.tensors, docs[:, None])
    assert np.array_equal(got, want.toarray())


# MurmurHash3 of this key is -2**31 (tests/python/test_records.py checks the hash itself).
INT32_MIN_KEY = "/OM0IMKz"


def test_hashing_int32_min_goes_where_scikit_learn_puts_it():
    vec = HashingVectorizer(n_features=1000, analyzer="char", ngram_range=(8, 8), lowercase=False, norm=None)
    conv = T.convert_hashing_vectorizer(vec, "h")
    step = {"params": conv.params, "n_features_out": conv.n_features_out}
    docs = np.array([[INT32_MIN_KEY]], dtype=object)
    want = vec.transform(docs[:, 0]).toarray()
    assert want[0, (2**31 - 1 - 999) % 1000] == -1.0
    assert np.array_equal(T.hashing_vectorizer(step, conv.tensors, docs), want)


def test_stop_words_change_the_bigrams():
    # "big the cat": with "the" a stop word, scikit-learn forms "big cat"; the stop list travels.
    vec = CountVectorizer(ngram_range=(2, 2), stop_words=["the"]).fit(["big the cat", "big cat"])
    assert list(vec.vocabulary_) == ["big cat"]
    step, conv = _step(vec)
    assert T.strings_of(conv.tensors["stop_bytes"], conv.tensors["stop_offsets"]) == ["the"]
    got = T.text_vectorizer(step, conv.tensors, np.array(["big the cat"], dtype=object))
    assert got.tolist() == vec.transform(["big the cat"]).toarray().tolist() == [[1.0]]


def test_tfidf_transformer_after_counts():
    counts = CountVectorizer(analyzer="char_wb", ngram_range=(1, 3)).fit(TRAIN)
    X = counts.transform(TRAIN + ADVERSARIAL)
    for kw in (dict(), dict(sublinear_tf=True, norm="l1"), dict(use_idf=False), dict(smooth_idf=False, norm=None)):
        tf = TfidfTransformer(**kw).fit(counts.transform(TRAIN))
        conv = T.convert_tfidf_transformer(tf, "t")
        step = {"params": conv.params}
        got = T.tfidf_transformer(step, conv.tensors, X.toarray())
        assert np.array_equal(got, tf.transform(X).toarray()), kw


def test_unicode_tables_are_what_python_computes():
    tables = T.class_tables()

    def members(ranges):
        out = np.zeros(0x110000, dtype=bool)
        for lo, hi in ranges:
            out[lo:hi + 1] = True
        return out

    w, s = members(tables["word_ranges"]), members(tables["space_ranges"])
    chars = [chr(c) for c in range(0x110000)]
    assert np.array_equal(w, [ch.isalnum() or ch == "_" for ch in chars])  # sre's \w
    assert np.array_equal(s, [ch.isspace() for ch in chars])  # sre's \s, and str.split()
    low = T.lower_tables()
    table = {int(c): "".join(map(chr, low["lower_to"][low["lower_offsets"][i]:low["lower_offsets"][i + 1]]))
             for i, c in enumerate(low["lower_from"])}
    assert table[0x130] == "i\u0307"  # 'İ'.lower() is two code points
    assert all(table.get(c, chr(c)) == chr(c).lower() for c in range(0x110000) if c != 0x3A3)
    acc = T.accent_tables("unicode")
    i = int(np.searchsorted(acc["accent_from"], 0xE9))
    assert acc["accent_from"][i] == 0xE9 and acc["accent_to"][acc["accent_offsets"][i]] == ord("e")
    assert unicodedata.normalize("NFKD", "\uac00") == "".join(
        map(chr, acc["accent_to"][acc["accent_offsets"][int(np.searchsorted(acc["accent_from"], 0xAC00))]:
                                  acc["accent_offsets"][int(np.searchsorted(acc["accent_from"], 0xAC00)) + 1]]))


@pytest.mark.parametrize("pattern, rule", [
    (r"(?u)\b\w\w+\b", ("word", 2)), (r"\b\w\w+\b", ("word", 2)), (r"\b\w+\b", ("word", 1)), (r"\w+", ("word", 1)),
    (r"\w{3,}", ("word", 3)), (r"\w\w\w+", ("word", 3)), (r"\S+", ("nonspace", 1)), (r"[^\s]+", ("nonspace", 1)),
    (r"\S\S+", ("nonspace", 2)), (r"[a-z]+", None), (r"\b\S+\b", None), (r"(\w+)", None), (r"\w+'\w+", None),
])
def test_token_patterns(pattern, rule):
    assert T.token_pattern_rule(pattern) == rule
    if rule is not None:  # what the rule says is what re.findall finds
        for doc in TRAIN + ADVERSARIAL:
            cls, k = rule
            runs = re.findall(r"\w+" if cls == "word" else r"\S+", doc)
            assert [r for r in runs if len(r) >= k] == re.findall(pattern, doc)


@pytest.mark.parametrize("vec, reason", [
    (CountVectorizer(token_pattern=r"[a-z]+"), "token_pattern '[a-z]+'"),
    (CountVectorizer(tokenizer=str.split), "tokenizer"),
    (CountVectorizer(preprocessor=str.upper), "preprocessor"),
    (CountVectorizer(analyzer=str.split), "analyzer"),
    (CountVectorizer(strip_accents=str.lower), "strip_accents"),
    (CountVectorizer(dtype=np.float32), "dtype"),
    (HashingVectorizer(dtype=np.float32, alternate_sign=False), "dtype"),
    (HashingVectorizer(token_pattern=r"[a-z]+", alternate_sign=False), "token_pattern '[a-z]+'"),
])
def test_refusals_name_the_reason(vec, reason, tmp_path):
    pipe = make_pipeline(vec, MultinomialNB()).fit(TRAIN, Y)
    with pytest.raises(exporter.UnsupportedModelError, match=re.escape(reason)):
        ferry.export(pipe, tmp_path / "m.ferry", X_sample=TRAIN)


def test_vectorizer_before_a_dense_only_step_is_refused(tmp_path):
    pipe = make_pipeline(CountVectorizer(), StandardScaler(with_mean=False), StandardScaler(), LogisticRegression())
    with pytest.raises(Exception):
        pipe.fit(TRAIN, Y)  # scikit-learn itself refuses centring a sparse matrix
    from sklearn.ensemble import RandomForestClassifier

    pipe = make_pipeline(CountVectorizer(), RandomForestClassifier(n_estimators=2, random_state=0)).fit(TRAIN, Y)
    with pytest.raises(exporter.UnsupportedModelError, match="sparse output"):
        ferry.export(pipe, tmp_path / "m.ferry", X_sample=TRAIN)


def test_export_one_column_and_column_transformer(tmp_path):
    pipe = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=500)).fit(TRAIN, Y)
    art = ferry.export(pipe, tmp_path / "a.ferry", X_sample=pd.Series(TRAIN, name="ticket"))
    assert art.schema["inputs"] == [{"kind": "text", "name": "ticket", "nullable": False}]
    docs = TRAIN + ADVERSARIAL
    got = exporter.evaluate(art, np.arange(len(docs), dtype=np.float64).reshape(-1, 1), {"ticket": docs})
    np.testing.assert_allclose(got["predict_proba"], pipe.predict_proba(docs), rtol=1e-12, atol=1e-15)
    assert got["predict"].tolist() == pipe.predict(docs).tolist()

    df = pd.DataFrame({"review": TRAIN, "plan": ["a", "b", "c"] * 10, "x": np.arange(30.0)})
    ct = ColumnTransformer([("t", CountVectorizer(analyzer="char_wb", ngram_range=(2, 3)), "review"),
                            ("c", OneHotEncoder(), ["plan"]), ("n", StandardScaler(), ["x"])])
    pipe = make_pipeline(ct, LogisticRegression(max_iter=1000)).fit(df, Y)
    art = ferry.export(pipe, tmp_path / "b.ferry", X_sample=df)
    assert [i["kind"] for i in art.schema["inputs"]] == ["text", "categorical", "numeric"]
    assert art.verification["texts"]["review"][0] == TRAIN[0]


def test_column_both_vectorized_and_encoded_is_refused(tmp_path):
    df = pd.DataFrame({"review": TRAIN})
    ct = ColumnTransformer([("t", CountVectorizer(), "review"), ("c", OneHotEncoder(handle_unknown="ignore"), ["review"])])
    pipe = make_pipeline(ct, LogisticRegression()).fit(df, Y)
    with pytest.raises(exporter.UnsupportedModelError, match="free text or as categories"):
        ferry.export(pipe, tmp_path / "m.ferry", X_sample=df)


def test_missing_document_in_the_sample_is_refused(tmp_path):
    pipe = make_pipeline(CountVectorizer(), MultinomialNB()).fit(TRAIN, Y)
    with pytest.raises(ValueError, match="row 1: float is not a document"):
        ferry.export(pipe, tmp_path / "m.ferry", X_sample=["good", float("nan")])


# ------------------------------------------------------------------ the reader's rules


def _header(tmp_path, **kw):
    pipe = make_pipeline(TfidfVectorizer(**kw), LogisticRegression(max_iter=500)).fit(TRAIN, Y)
    art = ferry.export(pipe, tmp_path / "m.ferry", X_sample=TRAIN)
    return art


def _check(art):
    fmt.check_sections({**art.header, "tensors": art.tensor_table}, art.tensors, art.minor)


def test_reader_rules(tmp_path):
    art = _header(tmp_path, ngram_range=(1, 2), stop_words="english", strip_accents="unicode")
    _check(art)
    step = art.header["pipeline"][0]
    t = art.tensors
    off = t[step["tensors"]["vocabulary_offsets"]]
    saved = off.copy()
    off[1], off[2] = off[2], off[1]
    with pytest.raises(fmt.ArtifactError, match="vocabulary_offsets"):
        _check(art)
    off[:] = saved
    data = t[step["tensors"]["vocabulary_bytes"]]
    b0 = data[0]
    data[0] = 0xFF
    with pytest.raises(fmt.ArtifactError, match="not valid UTF-8"):
        _check(art)
    data[0] = b0
    r = t[step["tensors"]["word_ranges"]]
    r0 = r.copy()
    r[[0, 1]] = r[[1, 0]]
    with pytest.raises(fmt.ArtifactError, match="word_ranges"):
        _check(art)
    r[:] = r0
    step["params"]["ngram_range"] = [3, 2]
    with pytest.raises(fmt.ArtifactError, match="ngram_range"):
        _check(art)
    step["params"]["ngram_range"] = [1, 2]
    step["params"]["lowercase"] = False
    with pytest.raises(fmt.ArtifactError, match="lower_from"):
        _check(art)
    step["params"]["lowercase"] = True
    art.header["verification"]["texts"]["text"] = art.header["verification"]["texts"]["text"][1:]
    with pytest.raises(fmt.ArtifactError, match="verification.texts.text"):
        _check(art)
