"""Text vectorizers -> step types ``text_vectorizer``, ``hashing_vectorizer`` and
``tfidf_transformer`` (C++ twins: src/pipeline/text_vectorizer.cpp, hashing_vectorizer.cpp, the
tokenizer in src/pipeline/text_tokenizer.cpp).

docs/format.md sections 4.45 and 4.46. ``CountVectorizer`` and ``TfidfVectorizer`` become one
``text_vectorizer``: a free-text input column (schema kind ``text``) -> one output column per
term of the fitted ``vocabulary_``, in column order. Only the fitted vocabulary travels (what
``max_df`` / ``min_df`` / ``max_features`` kept), with the stop-word list of the word analyzer
(stop words are removed before word n-grams are formed, so they change which n-grams a text
has: ``"big the cat"`` gives the bigram ``"big cat"`` when ``"the"`` is a stop word).

Tokens must be exactly those of the exporting Python (``str.lower``, ``re``'s ``\\w`` / ``\\s``,
``unicodedata``'s NFKD): the Unicode tables the step needs are generated here, from this
Python, by asking the very functions scikit-learn calls, and travel in the artifact:

- ``word_ranges`` / ``space_ranges`` (int32 [k, 2], inclusive): the code points ``re`` matches
  with ``\\w`` / ``\\s`` (``\\b`` is the boundary between ``\\w`` and not ``\\w``);
- ``lower_from`` / ``lower_offsets`` / ``lower_to``: ``chr(c).lower()`` for every ``c`` it
  changes (full mappings: ``'İ'.lower()`` is two code points); ``cased_ranges`` and
  ``case_ignorable_ranges``: the two Unicode properties Python's final-sigma rule reads
  (``'ΑΣ'.lower()`` ends in ``ς``), found by probing ``str.lower`` itself;
- ``accent_from`` / ``accent_offsets`` / ``accent_to``: per code point, what
  ``strip_accents_unicode`` / ``strip_accents_ascii`` leave of it (NFKD, then drop combining
  marks / non-ASCII; canonical reordering only moves combining marks, which both drop, so the
  per-code-point table is exact).
"""

from __future__ import annotations

import bisect
import functools
import math
import re
import unicodedata
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from sklearn.feature_extraction.text import CountVectorizer, HashingVectorizer, TfidfTransformer, TfidfVectorizer

from . import ConversionError, ConvertedStep, Converter
from .hashing import hashed_row

MAX_NGRAM = 64
#: a step's widest output (the spec's max_width)
MAX_HASHED_FEATURES = 1 << 24
_MAX_CODE_POINT = 0x10FFFF

# --------------------------------------------------------------------------- Unicode tables


def _ranges(flags: np.ndarray) -> np.ndarray:
    """Inclusive [lo, hi] runs of True in a per-code-point flag array, int32 [k, 2]."""
    f = np.concatenate([[False], flags, [False]]).astype(np.int8)
    d = np.diff(f)
    starts = np.flatnonzero(d == 1)
    ends = np.flatnonzero(d == -1) - 1
    return np.ascontiguousarray(np.stack([starts, ends], axis=1).astype(np.int32).reshape(-1, 2))


def _all_chars() -> List[str]:
    return [chr(c) for c in range(_MAX_CODE_POINT + 1)]


@functools.lru_cache(maxsize=None)
def class_tables() -> Dict[str, np.ndarray]:
    """``\\w`` and ``\\s`` as this Python's ``re`` matches them, code point by code point."""
    word = re.compile(r"\w")
    space = re.compile(r"\s")
    chars = _all_chars()
    w = np.fromiter((word.match(ch) is not None for ch in chars), dtype=bool, count=len(chars))
    s = np.fromiter((space.match(ch) is not None for ch in chars), dtype=bool, count=len(chars))
    return {"word_ranges": _ranges(w), "space_ranges": _ranges(s)}


def _mapping(table: Dict[int, str]) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    keys = sorted(table)
    offsets = [0]
    to: List[int] = []
    for k in keys:
        to += [ord(ch) for ch in table[k]]
        offsets.append(len(to))
    return (np.asarray(keys, dtype=np.int32), np.asarray(offsets, dtype=np.int64), np.asarray(to, dtype=np.int32))


@functools.lru_cache(maxsize=None)
def lower_tables() -> Dict[str, np.ndarray]:
    """``str.lower`` as tables: the full mapping of every code point it changes (U+03A3 maps by
    context, below), and the Cased / Case_Ignorable classes, probed through the final-sigma
    rule itself: ``('A' + c + 'Σ').lower()`` ends in ``ς`` iff c is case-ignorable or cased,
    ``('AΣ' + c).lower()[1]`` is ``σ`` iff c is cased and not case-ignorable."""
    mapping: Dict[int, str] = {}
    ignorable = np.zeros(_MAX_CODE_POINT + 1, dtype=bool)
    cased = np.zeros(_MAX_CODE_POINT + 1, dtype=bool)
    for c in range(_MAX_CODE_POINT + 1):
        ch = chr(c)
        low = ch.lower()
        if low != ch and c != 0x3A3:
            mapping[c] = low
        t1 = ("A" + ch + "\u03a3").lower()[-1] == "\u03c2"
        t2 = ("A\u03a3" + ch).lower()[1] == "\u03c3"
        if t1 and not t2:
            ignorable[c] = True
        elif t1 and t2:
            cased[c] = True
    frm, offsets, to = _mapping(mapping)
    return {"lower_from": frm, "lower_offsets": offsets, "lower_to": to,
            "cased_ranges": _ranges(cased), "case_ignorable_ranges": _ranges(ignorable)}


@functools.lru_cache(maxsize=None)
def accent_tables(mode: str) -> Dict[str, np.ndarray]:
    """What scikit-learn's strip_accents_unicode / strip_accents_ascii leave of each code point:
    ``unicode`` lists the code points that change (the others stay), ``ascii`` the non-ASCII
    code points that leave something (the others vanish; ASCII stays)."""
    table: Dict[int, str] = {}
    for c in range(128, _MAX_CODE_POINT + 1):
        if 0xD800 <= c <= 0xDFFF:
            continue  # never in decoded UTF-8
        ch = chr(c)
        nfkd = unicodedata.normalize("NFKD", ch)
        if mode == "unicode":
            kept = "".join(x for x in nfkd if not unicodedata.combining(x))
            if kept != ch:
                table[c] = kept
        else:
            kept = nfkd.encode("ASCII", "ignore").decode("ASCII")
            if kept:
                table[c] = kept
    frm, offsets, to = _mapping(table)
    return {"accent_from": frm, "accent_offsets": offsets, "accent_to": to}


def string_tensors(strings: Sequence[str]) -> Tuple[np.ndarray, np.ndarray]:
    """Strings as (uint8 UTF-8 bytes, int64 offsets [n + 1])."""
    encoded = [s.encode("utf-8") for s in strings]
    offsets = np.zeros(len(encoded) + 1, dtype=np.int64)
    offsets[1:] = np.cumsum([len(b) for b in encoded]) if encoded else []
    data = np.frombuffer(b"".join(encoded), dtype=np.uint8).copy()
    return data, offsets


def strings_of(data: np.ndarray, offsets: np.ndarray) -> List[str]:
    raw = np.asarray(data, dtype=np.uint8).tobytes()
    return [raw[int(offsets[i]): int(offsets[i + 1])].decode("utf-8") for i in range(len(offsets) - 1)]


# --------------------------------------------------------------------------- token patterns

def token_pattern_rule(pattern: Any) -> Optional[Tuple[str, int]]:
    """(class, min_length) for the token patterns ferry runs exactly: maximal runs of ``\\w``
    (``word``) or of ``\\S`` (``nonspace``) at least min_length long, as ``re.findall`` finds
    them for ``(?u)\\b\\w\\w+\\b`` (the default), ``\\b\\w+\\b``, ``\\w\\w+``, ``\\w{3,}``, ``\\S+``,
    ``[^\\s]+`` and the like; None for any other pattern."""
    if not isinstance(pattern, str):
        return None
    p = pattern
    if p.startswith("(?u)"):
        p = p[4:]
    bounded = p.startswith(r"\b") and p.endswith(r"\b") and len(p) > 4
    if bounded:
        p = p[2:-2]
    p = p.replace(r"[^\s]", r"\S")
    for cls, atom in (("word", r"\w"), ("nonspace", r"\S")):
        m = re.fullmatch(rf"((?:{re.escape(atom)})*){re.escape(atom)}(\+|\{{([0-9]+),\}})", p)
        if not m:
            continue
        prefix = len(m.group(1)) // 2
        if m.group(2) == "+":
            k = prefix + 1
        else:
            k = prefix + int(m.group(3))
        if k < 1 or k > 1024 or (cls == "nonspace" and bounded):
            return None
        return cls, k
    return None


# --------------------------------------------------------------------------- converters


def _tfidf_of(est) -> Optional[TfidfTransformer]:
    return est._tfidf if type(est) is TfidfVectorizer else None


def check_vectorizer(est) -> Optional[str]:
    if est.input != "content":
        return f"input={est.input!r}: ferry takes the text itself (input='content')"
    if callable(est.analyzer) or est.analyzer not in ("word", "char", "char_wb"):
        return f"analyzer={est.analyzer!r}: ferry runs 'word', 'char' and 'char_wb'"
    if est.preprocessor is not None:
        return "a custom preprocessor is code, which a .ferry file cannot hold"
    if est.analyzer == "word" and est.tokenizer is not None:
        return "a custom tokenizer is code, which a .ferry file cannot hold"
    if est.analyzer == "word" and token_pattern_rule(est.token_pattern) is None:
        return (f"token_pattern {est.token_pattern!r} is not one ferry runs exactly (maximal runs of \\w or \\S "
                "of a minimum length: the default (?u)\\b\\w\\w+\\b, \\b\\w+\\b, \\w{3,}, \\S+, ...)")
    if est.strip_accents not in (None, "ascii", "unicode"):
        return f"strip_accents={est.strip_accents!r}: a callable is code; use 'ascii' or 'unicode'"
    lo, hi = est.ngram_range
    if not (1 <= lo <= hi <= MAX_NGRAM):
        return f"ngram_range={est.ngram_range!r} is outside 1 <= min_n <= max_n <= {MAX_NGRAM}"
    float_only = type(est) in (TfidfVectorizer, HashingVectorizer)
    if np.dtype(est.dtype) not in (np.dtype(np.float64), np.dtype(np.int64)) or (
            float_only and np.dtype(est.dtype) != np.dtype(np.float64)):
        return f"dtype={np.dtype(est.dtype).name}: ferry computes in float64 (leave dtype at its default)"
    norm = _tfidf_of(est).norm if type(est) is TfidfVectorizer else getattr(est, "norm", None)
    if norm not in (None, "l1", "l2"):
        return f"norm={norm!r}"
    if type(est) is HashingVectorizer and not 1 <= est.n_features <= MAX_HASHED_FEATURES:
        return f"n_features={est.n_features} is outside [1, {MAX_HASHED_FEATURES}]"
    return None


def check_tfidf_transformer(est) -> Optional[str]:
    if est.norm not in (None, "l1", "l2"):
        return f"norm={est.norm!r}"
    return None


def _weighting(tfidf: Optional[TfidfTransformer], n: int, label: str) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    if tfidf is None:
        return {"sublinear_tf": False, "use_idf": False, "norm": None}, {}
    tensors = {}
    if tfidf.use_idf:
        idf = np.ascontiguousarray(np.asarray(tfidf.idf_, dtype=np.float64))
        if idf.shape != (n,) or not np.all(np.isfinite(idf)) or not np.all(idf > 0):
            raise ConversionError(f"{label}: idf_ is not {n} finite positive values")
        tensors["idf"] = idf
    return {"sublinear_tf": bool(tfidf.sublinear_tf), "use_idf": bool(tfidf.use_idf), "norm": tfidf.norm}, tensors


def _tokenizer(est) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """The params and Unicode tables of the analyzer (docs/format.md 4.45), shared by
    text_vectorizer and hashing_vectorizer."""
    params: Dict[str, Any] = {
        "analyzer": est.analyzer,
        "ngram_range": [int(est.ngram_range[0]), int(est.ngram_range[1])],
        "lowercase": bool(est.lowercase),
        "strip_accents": est.strip_accents,
    }
    tensors: Dict[str, np.ndarray] = {}
    if est.analyzer == "word":
        cls, k = token_pattern_rule(est.token_pattern)  # type: ignore[misc]
        params["token_class"] = cls
        params["token_min_length"] = k
        stop = est.get_stop_words()
        params["stop_words"] = bool(stop)
        if stop:
            stop_data, stop_offsets = string_tensors(sorted(stop))
            tensors["stop_bytes"] = stop_data
            tensors["stop_offsets"] = stop_offsets
    classes = class_tables()
    if est.analyzer == "word" and params["token_class"] == "word":
        tensors["word_ranges"] = classes["word_ranges"]
    else:
        tensors["space_ranges"] = classes["space_ranges"]
    if est.lowercase:
        tensors.update(lower_tables())
    if est.strip_accents is not None:
        tensors.update(accent_tables(est.strip_accents))
    return params, tensors


def convert_vectorizer(est, label: str) -> ConvertedStep:
    reason = check_vectorizer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    vocab = est.vocabulary_
    n = len(vocab)
    terms: List[Optional[str]] = [None] * n
    for term, j in vocab.items():
        if not isinstance(term, str) or not 0 <= int(j) < n or terms[int(j)] is not None:
            raise ConversionError(f"{label}: vocabulary_ is not a one-to-one map of strings onto 0..{n - 1}")
        terms[int(j)] = term
    try:
        data, offsets = string_tensors(terms)  # type: ignore[arg-type]
    except UnicodeEncodeError:
        raise ConversionError(f"{label}: vocabulary_ holds a term that is not valid Unicode text") from None
    params, tensors = _tokenizer(est)
    params["binary"] = bool(est.binary)
    tensors.update({"vocabulary_bytes": data, "vocabulary_offsets": offsets})
    weighting, weights = _weighting(_tfidf_of(est), n, label)
    params.update(weighting)
    tensors.update(weights)
    return ConvertedStep(type="text_vectorizer", params=params, tensors=tensors, n_features_in=1, n_features_out=n)


def convert_hashing_vectorizer(est, label: str) -> ConvertedStep:
    reason = check_vectorizer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    params, tensors = _tokenizer(est)
    params.update({"binary": bool(est.binary), "alternate_sign": bool(est.alternate_sign), "norm": est.norm})
    return ConvertedStep(type="hashing_vectorizer", params=params, tensors=tensors, n_features_in=1,
                         n_features_out=int(est.n_features))


def convert_tfidf_transformer(est, label: str) -> ConvertedStep:
    reason = check_tfidf_transformer(est)
    if reason:
        raise ConversionError(f"{label}: {reason}")
    n = int(est.n_features_in_)
    params, tensors = _weighting(est, n, label)
    return ConvertedStep(type="tfidf_transformer", params=params, tensors=tensors, n_features_in=n, n_features_out=n)


# --------------------------------------------------------------------------- reference kernels


class _Ranges:
    def __init__(self, r: np.ndarray):
        r = np.asarray(r, dtype=np.int64).reshape(-1, 2)
        self.lo = r[:, 0].tolist()
        self.hi = r[:, 1].tolist()

    def __contains__(self, c: int) -> bool:
        i = bisect.bisect_right(self.lo, c) - 1
        return i >= 0 and c <= self.hi[i]


def _table(frm, offsets, to) -> Dict[int, List[int]]:
    frm, offsets, to = (np.asarray(a).tolist() for a in (frm, offsets, to))
    return {c: to[offsets[i]: offsets[i + 1]] for i, c in enumerate(frm)}


class Tokenizer:
    """The token stream of docs/format.md 4.45, from the step's own tables (not from Python's
    str.lower or re: this is the reference a reader implements)."""

    def __init__(self, step: dict, tensors: Dict[str, np.ndarray]):
        p = step["params"]
        self.p = p
        self.word = _Ranges(tensors["word_ranges"]) if "word_ranges" in tensors else None
        self.space = _Ranges(tensors["space_ranges"]) if "space_ranges" in tensors else None
        if p["lowercase"]:
            self.lower = _table(tensors["lower_from"], tensors["lower_offsets"], tensors["lower_to"])
            self.cased = _Ranges(tensors["cased_ranges"])
            self.ignorable = _Ranges(tensors["case_ignorable_ranges"])
        if p["strip_accents"] is not None:
            self.accents = _table(tensors["accent_from"], tensors["accent_offsets"], tensors["accent_to"])
        self.stop = set(strings_of(tensors["stop_bytes"], tensors["stop_offsets"])) if "stop_bytes" in tensors else set()

    def _lowered(self, cps: List[int]) -> List[int]:
        out: List[int] = []
        n = len(cps)
        for i, c in enumerate(cps):
            if c == 0x3A3:
                j = i - 1
                while j >= 0 and cps[j] in self.ignorable:
                    j -= 1
                final = j >= 0 and cps[j] in self.cased
                if final:
                    j = i + 1
                    while j < n and cps[j] in self.ignorable:
                        j += 1
                    final = j == n or cps[j] not in self.cased
                out.append(0x3C2 if final else 0x3C3)
            else:
                out += self.lower.get(c, [c])
        return out

    def _stripped(self, cps: List[int]) -> List[int]:
        out: List[int] = []
        ascii_mode = self.p["strip_accents"] == "ascii"
        for c in cps:
            if c in self.accents:
                out += self.accents[c]
            elif not ascii_mode or c < 128:
                out.append(c)
        return out

    def preprocess(self, text: str) -> List[int]:
        cps = [ord(ch) for ch in text]
        if self.p["lowercase"]:
            cps = self._lowered(cps)
        if self.p["strip_accents"] is not None:
            cps = self._stripped(cps)
        return cps

    def terms(self, text: str) -> List[str]:
        cps = self.preprocess(text)
        lo, hi = self.p["ngram_range"]
        analyzer = self.p["analyzer"]
        if analyzer == "word":
            member = self.word if self.p["token_class"] == "word" else None
            tokens, run = [], []
            for c in cps + [-1]:
                inside = c >= 0 and ((c in member) if member is not None else (c not in self.space))
                if inside:
                    run.append(c)
                else:
                    if len(run) >= self.p["token_min_length"]:
                        tokens.append("".join(map(chr, run)))
                    run = []
            tokens = [t for t in tokens if t not in self.stop]
            out = []
            for n in range(lo, hi + 1):
                for i in range(len(tokens) - n + 1):
                    out.append(" ".join(tokens[i: i + n]))
            return out
        # char and char_wb: runs of two or more \s become one space
        norm: List[int] = []
        i = 0
        while i < len(cps):
            if cps[i] in self.space and i + 1 < len(cps) and cps[i + 1] in self.space:
                while i < len(cps) and cps[i] in self.space:
                    i += 1
                norm.append(0x20)
            else:
                norm.append(cps[i])
                i += 1
        s = "".join(map(chr, norm))
        out = []
        if analyzer == "char":
            for n in range(lo, hi + 1):
                for i in range(len(s) - n + 1):
                    out.append(s[i: i + n])
            return out
        words, run = [], []
        for c in norm + [0x20]:
            if c in self.space:
                if run:
                    words.append("".join(map(chr, run)))
                run = []
            else:
                run.append(c)
        for w in words:
            w = " " + w + " "
            for n in range(lo, hi + 1):
                if len(w) <= n:
                    out.append(w)  # a padded word no longer than n counts once, as itself
                    break
                for i in range(len(w) - n + 1):
                    out.append(w[i: i + n])
        return out


def weight_rows(step: dict, tensors: Dict[str, np.ndarray], rows: List[Dict[int, float]], n: int) -> np.ndarray:
    """Counts (per row: column -> count) -> the weighted dense rows (docs/format.md 4.46)."""
    p = step["params"]
    idf = tensors.get("idf")
    out = np.zeros((len(rows), n), dtype=np.float64)
    for r, counts in enumerate(rows):
        cols = sorted(counts)
        vals = [float(counts[j]) for j in cols]
        if p.get("binary"):
            vals = [1.0 for _ in vals]
        if p["sublinear_tf"]:
            vals = [float(np.log(v)) + 1.0 for v in vals]
        if p["use_idf"]:
            vals = [v * float(idf[j]) for v, j in zip(vals, cols)]
            cols, vals = cols[::-1], vals[::-1]  # scikit-learn's product leaves them descending
        if p["norm"] is not None:
            s = 0.0
            for v in vals:
                s += abs(v) if p["norm"] == "l1" else v * v
            if s != 0.0:
                s = s if p["norm"] == "l1" else math.sqrt(s)
                vals = [v / s for v in vals]
        out[r, cols] = vals
    return out


def text_vectorizer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: tokens from the step's own Unicode tables, counted per vocabulary term,
    then weighted as docs/format.md 4.46."""
    tok = Tokenizer(step, tensors)
    vocab = {t: j for j, t in enumerate(strings_of(tensors["vocabulary_bytes"], tensors["vocabulary_offsets"]))}
    rows = []
    for text in np.asarray(X, dtype=object).reshape(-1):
        if not isinstance(text, str):
            raise ValueError("text_vectorizer: a missing value is not a document (scikit-learn refuses np.nan)")
        counts: Dict[int, float] = {}
        for t in tok.terms(text):
            j = vocab.get(t)
            if j is not None:
                counts[j] = counts.get(j, 0) + 1
        rows.append(counts)
    return weight_rows(step, tensors, rows, step["n_features_out"])


def hashing_vectorizer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    """numpy kernel: the tokens of text_vectorizer, hashed (docs/format.md 4.54)."""
    p = step["params"]
    tok = Tokenizer(step, tensors)
    n = step["n_features_out"]
    out = np.zeros((len(X), n), dtype=np.float64)
    for r, text in enumerate(np.asarray(X, dtype=object).reshape(-1)):
        if not isinstance(text, str):
            raise ValueError("hashing_vectorizer: a missing value is not a document (scikit-learn refuses np.nan)")
        row = hashed_row(((t, 1.0) for t in tok.terms(text)), n, p["alternate_sign"])
        vals = [1.0 if p["binary"] else v for _, v in row]
        if p["norm"] is not None:
            s = 0.0
            for v in vals:
                s += abs(v) if p["norm"] == "l1" else v * v
            if s != 0.0:
                s = s if p["norm"] == "l1" else math.sqrt(s)
                vals = [v / s for v in vals]
        out[r, [c for c, _ in row]] = vals
    return out


def tfidf_transformer(step: dict, tensors: Dict[str, np.ndarray], X: np.ndarray) -> np.ndarray:
    Z = np.asarray(X, dtype=np.float64)
    rows = [{int(j): float(Z[i, j]) for j in np.flatnonzero(Z[i])} for i in range(Z.shape[0])]
    return weight_rows(step, tensors, rows, Z.shape[1])


PREPROCESSORS = {
    CountVectorizer: Converter(convert_vectorizer, check_vectorizer),
    TfidfVectorizer: Converter(convert_vectorizer, check_vectorizer),
    HashingVectorizer: Converter(convert_hashing_vectorizer, check_vectorizer),
    TfidfTransformer: Converter(convert_tfidf_transformer, check_tfidf_transformer, same_on_sparse=lambda est: True),
}
KERNELS = {"text_vectorizer": text_vectorizer, "hashing_vectorizer": hashing_vectorizer,
           "tfidf_transformer": tfidf_transformer}
