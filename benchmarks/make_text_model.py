"""The model and documents of benchmarks/text_benchmark.cpp, fitted here with fixed seeds.

    /usr/bin/python3 benchmarks/make_text_model.py OUT_DIR

TfidfVectorizer(word 1-2 grams, max_features=50000) + LogisticRegression (3 classes), and
HashingVectorizer(word 1-2 grams, 2**20 columns) + LogisticRegression (hashing.ferry), on
"real-looking" synthetic text: words drawn from a 20,000-word lexicon with Zipf frequencies,
20-80 words per document, like support tickets. Writes model.ferry (exported with a small
X_sample: ferry's numpy self-check is dense), docs.txt (10,000 held-out documents, one per
line) and sklearn.json with scikit-learn's own time (median of repetitions) for one row and for
10,000 rows (predict_proba), for each model.
"""
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
import ferry  # noqa: E402
from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402

LEXICON = 20000


def corpus(n: int, seed: int):
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    lex_rng = np.random.default_rng(0)
    words = sorted({"".join(lex_rng.choice(letters, size=int(lex_rng.integers(3, 10)))) for _ in range(LEXICON * 2)})
    words = np.array(words[:LEXICON])
    p = 1.0 / np.arange(1, LEXICON + 1) ** 1.05
    p /= p.sum()
    docs, y = [], []
    for _ in range(n):
        label = int(rng.integers(3))
        idx = rng.choice(LEXICON, size=int(rng.integers(20, 80)), p=p)
        idx = (idx + label * 7) % LEXICON  # each label shifts its vocabulary a little
        docs.append(" ".join(words[idx]).capitalize() + ".")
        y.append(label)
    return docs, np.array(y)


def main(out: str) -> None:
    os.makedirs(out, exist_ok=True)
    docs, y = corpus(30000, 1)
    model = make_pipeline(TfidfVectorizer(ngram_range=(1, 2), max_features=50000),
                          LogisticRegression(max_iter=200)).fit(docs, y)
    assert len(model[0].vocabulary_) == 50000, len(model[0].vocabulary_)
    ferry.export(model, os.path.join(out, "model.ferry"), X_sample=docs[:64], name="text_50k")
    test, _ = corpus(10000, 2)
    with open(os.path.join(out, "docs.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(test) + "\n")
    hashing = make_pipeline(HashingVectorizer(ngram_range=(1, 2)), LogisticRegression(max_iter=200)).fit(
        docs[:10000], y[:10000])
    ferry.export(hashing, os.path.join(out, "hashing.ferry"), X_sample=docs[:64], name="text_hashing")
    timings = {}
    for name, m in (("sklearn", model), ("sklearn_hashing", hashing)):
        for rows, repetitions in ((1, 51), (10000, 5)):
            batch = test[:rows]
            timings[f"{name}_{rows}_rows_s"] = float(np.median([_time(lambda: m.predict_proba(batch))
                                                                for _ in range(repetitions)]))
    with open(os.path.join(out, "sklearn.json"), "w") as f:
        json.dump(timings, f)
    print(json.dumps(timings))


def _time(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


if __name__ == "__main__":
    main(sys.argv[1])
