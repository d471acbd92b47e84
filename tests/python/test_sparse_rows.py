"""Sparse rows (docs/format.md 4.53): pipelines that scikit-learn computes on sparse matrices,
through the C++ library (the Python binding), against scikit-learn's own outputs.

decision_function is a sum of products taken in the order of each sparse row's entries, as
scipy takes it (csr_matvecs); on x86-64, where scipy's loop is compiled without fused
multiply-add, the scores are compared to the bit, which fails if ferry keeps a row's entries in
any other order (a descending TfidfVectorizer row summed ascending differs in the last bits).
Elsewhere (aarch64 compilers fuse scipy's `y += a * x`) they are compared within 1e-13 relative
to the row's magnitude. Probabilities go through numpy's exp / log, whose SIMD kernels differ by
CPU from the C library's: within 1e-12. Labels are identical everywhere."""

from __future__ import annotations

import platform

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.feature_selection import SelectKBest, VarianceThreshold, chi2
from sklearn.linear_model import LogisticRegression, Ridge, SGDClassifier
from sklearn.naive_bayes import BernoulliNB, ComplementNB, MultinomialNB
from sklearn.pipeline import FeatureUnion, make_pipeline
from sklearn.preprocessing import MaxAbsScaler, Normalizer, OneHotEncoder, StandardScaler
from sklearn.svm import LinearSVC

import ferry
from ferry.runtime import native_available

pytestmark = pytest.mark.skipif(not native_available(), reason="the native module is not built")

EXACT_SUMS = platform.machine() in ("x86_64", "AMD64")

WORDS = ("good great fast cheap friendly helpful slow bad broken late rude awful refund delivery service price "
         "quality support order package screen battery night day café naïve résumé Москва 日本語").split()


def corpus(n: int, seed: int):
    rng = np.random.default_rng(seed)
    docs, y = [], []
    for _ in range(n):
        label = int(rng.integers(3))
        words = rng.choice(WORDS[label * 6:label * 6 + 8], size=int(rng.integers(2, 9))).tolist()
        words += rng.choice(WORDS, size=int(rng.integers(0, 12))).tolist()
        docs.append(" ".join(words))
        y.append(label)
    return docs, np.asarray(y)


DOCS, Y = corpus(300, 7)
TEST_DOCS = corpus(120, 8)[0] + ["", "!!!", "good", "unknown words only", " ".join(["great service"] * 400),
                                 "CAFÉ naïve 😀 Москва-2024 日本語 good"]


def check(model, path, X, frame=False, exact=True):
    art = ferry.export(model, path, X_sample=X[:50] if not frame else X.iloc[:50])
    m = ferry.Model.load(path, verify=True)
    assert art.header["pipeline"]  # a pipeline was exported, not only an estimator
    table = X if frame else pd.DataFrame({m.input_names[0]: X})
    got_labels = m.predict(table)
    np.testing.assert_array_equal(np.asarray(got_labels), model.predict(X))
    want = (model.decision_function(X) if hasattr(model, "decision_function")
            else model[-1].predict_joint_log_proba(model[:-1].transform(X)))
    got = m.decision_function(table) if hasattr(model, "decision_function") else m.predict_details(table)["scores"]
    got = np.asarray(got).reshape(np.shape(want))
    if EXACT_SUMS and exact:
        np.testing.assert_array_equal(got, want)
    else:
        scale = np.maximum(1.0, np.abs(want))
        assert np.max(np.abs(got - want) / scale) <= 1e-13
    if hasattr(model, "predict_proba"):
        np.testing.assert_allclose(m.predict_proba(table), model.predict_proba(X), rtol=0, atol=1e-12)
    return m


def test_column_transformer_stacks_as_scipy_does(tmp_path):
    """Every branch sparse: entries branch by branch (tf-idf rows descending, then the one-hot
    ones); a dense branch among them: each row sorted by column. FeatureUnion: sparse when any
    branch is."""
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"text": DOCS, "plan": rng.choice(["free", "pro", "team"], len(DOCS)),
                       "x": rng.normal(size=len(DOCS))})
    test = pd.DataFrame({"text": TEST_DOCS, "plan": rng.choice(["free", "pro", "team"], len(TEST_DOCS)),
                         "x": rng.normal(size=len(TEST_DOCS))})
    all_sparse = ColumnTransformer([("t", TfidfVectorizer(), "text"), ("p", OneHotEncoder(), ["plan"])])
    with_dense = ColumnTransformer([("t", TfidfVectorizer(ngram_range=(1, 2)), "text"), ("p", OneHotEncoder(), ["plan"]),
                                    ("n", StandardScaler(), ["x"])], sparse_threshold=1.0)
    for k, ct in enumerate([all_sparse, with_dense]):
        model = make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(df, Y)
        assert model[0].sparse_output_
        art = ferry.export(model, tmp_path / f"ct{k}.ferry", X_sample=df)
        assert art.header["pipeline"][0]["params"]["sparse_output"] == ("sparse", "sparse_sorted")[k]
        check(model, tmp_path / f"ct{k}.ferry", test, frame=True)
    dense = ColumnTransformer([("t", TfidfVectorizer(), "text"), ("n", StandardScaler(), ["x"])], sparse_threshold=0)
    model = make_pipeline(dense, LogisticRegression(max_iter=2000)).fit(df, Y)
    art = ferry.export(model, tmp_path / "dense.ferry", X_sample=df)
    assert art.header["pipeline"][0]["params"]["sparse_output"] == "dense"
    m = ferry.Model.load(tmp_path / "dense.ferry", verify=True)
    np.testing.assert_allclose(m.decision_function(test), model.decision_function(test), rtol=1e-12, atol=1e-12)
    # dense rows: the dot products' order is not scipy's, so within a tolerance

    union = FeatureUnion([("w", TfidfVectorizer()), ("c", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 3)))])
    model = make_pipeline(union, MaxAbsScaler(), LinearSVC(dual=True, max_iter=20000)).fit(DOCS, Y)
    art = ferry.export(model, tmp_path / "union.ferry", X_sample=DOCS)
    assert art.header["pipeline"][0]["params"]["sparse_output"] == "sparse"
    check(model, tmp_path / "union.ferry", TEST_DOCS)


@pytest.mark.parametrize("case", [
    "tfidf-logistic", "tfidf-bigrams-sgd", "count-tfidf-l1-ridge-classifier", "count-multinomial",
    "count-complement", "count-bernoulli", "tfidf-maxabs-kbest-svc", "count-normalizer-l2-logistic",
    "count-normalizer-max-logistic", "count-normalizer-l1-logistic", "tfidf-scaler-variance-logistic",
])
def test_text_pipelines_match_scikit_learn(case, tmp_path):
    steps = {
        "tfidf-logistic": [TfidfVectorizer(), LogisticRegression(max_iter=2000)],
        "tfidf-bigrams-sgd": [TfidfVectorizer(ngram_range=(1, 2), norm="l1"), SGDClassifier(random_state=0)],
        "count-tfidf-l1-ridge-classifier": [CountVectorizer(analyzer="char", ngram_range=(1, 3)),
                                            TfidfTransformer(norm="l1"), LogisticRegression(max_iter=2000)],
        "count-multinomial": [CountVectorizer(ngram_range=(1, 2)), MultinomialNB()],
        "count-complement": [CountVectorizer(), ComplementNB()],
        "count-bernoulli": [CountVectorizer(), BernoulliNB(binarize=1.0)],
        "tfidf-maxabs-kbest-svc": [TfidfVectorizer(), MaxAbsScaler(), SelectKBest(chi2, k=15),
                                   LinearSVC(dual=True, max_iter=20000)],
        "count-normalizer-l2-logistic": [CountVectorizer(), Normalizer(), LogisticRegression(max_iter=2000)],
        "count-normalizer-max-logistic": [CountVectorizer(), Normalizer("max"), LogisticRegression(max_iter=2000)],
        "count-normalizer-l1-logistic": [CountVectorizer(binary=True), Normalizer("l1"),
                                         LogisticRegression(max_iter=2000)],
        "tfidf-scaler-variance-logistic": [TfidfVectorizer(), StandardScaler(with_mean=False),
                                           VarianceThreshold(1e-3), LogisticRegression(max_iter=2000)],
    }[case]
    model = make_pipeline(*steps).fit(DOCS, Y)
    check(model, tmp_path / "m.ferry", TEST_DOCS)


@pytest.mark.parametrize("case", ["logistic", "small-binary-sgd", "tfidf-l1-svc", "unsigned-multinomial",
                                  "char-maxabs-logistic", "column-transformer"])
def test_hashing_pipelines_match_scikit_learn(case, tmp_path):
    """HashingVectorizer: with 64 columns or fewer, terms collide and signed collisions cancel to
    explicit zeros (which binary turns into 1); 2**20 columns by default."""
    steps = {
        "logistic": [HashingVectorizer(), LogisticRegression(max_iter=2000)],
        "small-binary-sgd": [HashingVectorizer(n_features=16, binary=True, ngram_range=(1, 2)),
                             SGDClassifier(random_state=0)],
        "tfidf-l1-svc": [HashingVectorizer(n_features=64, norm=None, alternate_sign=False),
                         TfidfTransformer(norm="l1", sublinear_tf=True), LinearSVC(dual=True, max_iter=20000)],
        "unsigned-multinomial": [HashingVectorizer(n_features=2**12, alternate_sign=False, norm=None), MultinomialNB()],
        "char-maxabs-logistic": [HashingVectorizer(n_features=512, analyzer="char_wb", ngram_range=(2, 4)),
                                 MaxAbsScaler(), LogisticRegression(max_iter=2000)],
    }.get(case)
    if steps is not None:
        model = make_pipeline(*steps).fit(DOCS, Y)
        # sublinear_tf takes numpy's log, whose SIMD kernel differs from the C library's in the
        # last bit for about one integer in five on AVX-512 CPUs: within 1e-13 there.
        m = check(model, tmp_path / "m.ferry", TEST_DOCS, exact=case != "tfidf-l1-svc")
        if len(steps) == 2 and model[0].n_features <= 64:  # the hashed rows themselves
            got = np.asarray(m.transform(pd.DataFrame({"text": TEST_DOCS})))
            np.testing.assert_array_equal(got, model[0].transform(TEST_DOCS).toarray())
        return
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"text": DOCS, "plan": rng.choice(["free", "pro"], len(DOCS))})
    test = pd.DataFrame({"text": TEST_DOCS, "plan": rng.choice(["free", "pro"], len(TEST_DOCS))})
    ct = ColumnTransformer([("h", HashingVectorizer(n_features=2**13), "text"), ("p", OneHotEncoder(), ["plan"])])
    model = make_pipeline(ct, LogisticRegression(max_iter=2000)).fit(df, Y)
    art = ferry.export(model, tmp_path / "ct.ferry", X_sample=df)
    assert art.header["pipeline"][0]["feature_names_prefix"] == "columntransformer"  # 8194 numbered names
    check(model, tmp_path / "ct.ferry", test, frame=True)


def test_regressor_on_text(tmp_path):
    target = np.asarray([len(d) for d in DOCS], dtype=np.float64)
    model = make_pipeline(TfidfVectorizer(sublinear_tf=False), Ridge(alpha=0.3)).fit(DOCS, target)
    ferry.export(model, tmp_path / "r.ferry", X_sample=DOCS[:50])
    got = np.asarray(ferry.Model.load(tmp_path / "r.ferry", verify=True).predict(pd.DataFrame({"text": TEST_DOCS})))
    want = model.predict(TEST_DOCS)
    if EXACT_SUMS:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-13)


def test_truncated_svd_on_text(tmp_path):
    """Latent semantic analysis: TruncatedSVD's product read over each sparse row (to the bit on
    x86-64, as the scores above); the classifier after it takes dense rows, whose dot products
    numpy sums in its own order: within 1e-12 there."""
    from sklearn.decomposition import TruncatedSVD

    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2)), TruncatedSVD(12, random_state=0),
                          LogisticRegression(max_iter=2000)).fit(DOCS, Y)
    ferry.export(model, tmp_path / "lsa.ferry", X_sample=DOCS[:50])
    m = ferry.Model.load(tmp_path / "lsa.ferry", verify=True)
    table = pd.DataFrame({"text": TEST_DOCS})
    got, want = np.asarray(m.transform(table)), model[:-1].transform(TEST_DOCS)
    if EXACT_SUMS:
        np.testing.assert_array_equal(got, want)
    else:
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(m.decision_function(table), model.decision_function(TEST_DOCS), rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.asarray(m.predict(table)), model.predict(TEST_DOCS))


def test_explanation_lists_each_rows_terms(tmp_path):
    """Through the binding: a row's terms are the features scikit-learn's vectorizer gave a
    nonzero value, each with coefficient x value; they sum to the score minus the intercept."""
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=2000)).fit(DOCS, Y)
    ferry.export(model, tmp_path / "m.ferry", X_sample=DOCS[:50])
    m = ferry.Model.load(tmp_path / "m.ferry")
    docs = ["great service", "bad bad broken", ""]
    e = m.explain(pd.DataFrame({"text": docs}))
    X = model[0].transform(docs)
    names = model[0].get_feature_names_out()
    coef = model[-1].coef_
    for i, row in enumerate(e.terms):
        nz = X[i].nonzero()[1]
        assert sorted(t[1] for t in row) == sorted(names[nz].tolist())
        for column, feature, values in row:
            j = int(np.flatnonzero(names == feature)[0])
            assert column == "text"
            np.testing.assert_allclose(values, coef[:, j] * X[i, j], rtol=1e-15)
        total = np.sum([v for _, _, v in row], axis=0) if row else np.zeros(coef.shape[0])
        np.testing.assert_allclose(total, model.decision_function([docs[i]])[0] - model[-1].intercept_, atol=1e-12)
