"""Shared helpers for the ferry Python tests.

The helpers here are written from docs/format.md independently of
python/ferry (a frame builder and a numpy evaluator), so the tests check the
package against the spec rather than against itself.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import pathlib
import struct
import sys
import zlib

import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
if str(ROOT / "python") not in sys.path:
    sys.path.insert(0, str(ROOT / "python"))

MAGIC = b"\x89FERRY\r\n"


def align64(x: int) -> int:
    return -(-x // 64) * 64


def canonical_json(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode()


def frame(header, data: bytes = b"", *, major: int = 1, minor: int = 0, header_length=None,
          data_length=None, pad_byte: int = 0, trailing: bytes = b"", fix_crc: bool = True) -> bytes:
    """Build a .ferry file by hand (docs/format.md section 1).

    ``header`` is a dict (canonical JSON) or raw bytes. The length fields can be
    forced to wrong values; the CRC is computed over whatever was built, so the
    damage reaches the check under test.
    """
    hb = header if isinstance(header, (bytes, bytearray)) else canonical_json(header)
    hl = len(hb) if header_length is None else header_length
    data_start = align64(24 + len(hb))
    dl = len(data) if data_length is None else data_length
    out = bytearray(MAGIC + struct.pack("<HHIQ", major, minor, hl, dl))
    out += hb
    out += bytes([pad_byte]) * (data_start - len(out))
    out += data
    out += trailing
    crc = zlib.crc32(out) if fix_crc else 0
    out += struct.pack("<I", crc)
    return bytes(out)


def tensor_region(named_arrays, *, compress=False):
    """(table, data) with the unique valid placement for ``named_arrays``."""
    table, data = {}, bytearray()
    for name in sorted(named_arrays):
        arr = np.array(named_arrays[name], order="C", copy=False)
        raw = arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()
        stored = zlib.compress(raw) if compress else raw
        table[name] = {
            "dtype": {"f8": "float64", "f4": "float32", "i8": "int64", "i4": "int32", "u1": "uint8"}[
                arr.dtype.kind + str(arr.dtype.itemsize)
            ],
            "shape": list(arr.shape),
            "offset": len(data),
            "length": len(stored),
            "compression": "zlib" if compress else "none",
            "crc32": zlib.crc32(stored),
        }
        data += stored
        data += b"\0" * (align64(len(data)) - len(data))
    return table, bytes(data)


def minimal_header(n: int = 2, with_scaler: bool = True):
    """A valid regression header + tensors: optional scaler, then a linear estimator."""
    rng = np.random.default_rng(0)
    tensors = {
        "estimator.coef": rng.normal(size=(1, n)),
        "estimator.intercept": np.array([0.5]),
    }
    pipeline = []
    if with_scaler:
        tensors["steps.0.mean"] = rng.normal(size=n)
        tensors["steps.0.scale"] = rng.uniform(1, 2, size=n)
        pipeline.append({
            "type": "standard_scaler", "name": "steps[0]: StandardScaler", "n_features_in": n,
            "n_features_out": n, "params": {"with_mean": True, "with_std": True},
            "tensors": {"mean": "steps.0.mean", "scale": "steps.0.scale"},
            "feature_names_out": [f"x{i}" for i in range(n)],
        })
    header = {
        "metadata": {"name": "m", "version": "1.0.0", "created": "2026-01-01T00:00:00Z"},
        "schema": {
            "inputs": [{"name": f"x{i}", "kind": "numeric", "nullable": False, "range": None} for i in range(n)],
            "task": "regression", "n_outputs": 1, "classes": None, "target": None,
        },
        "pipeline": pipeline,
        "estimator": {
            "type": "linear", "name": "steps[1]: Ridge", "n_features_in": n, "n_features_out": 1,
            "params": {"link": "identity"},
            "tensors": {"coef": "estimator.coef", "intercept": "estimator.intercept"},
        },
    }
    return header, tensors


def build_file(header, tensors, **frame_kw) -> bytes:
    table, data = tensor_region(tensors)
    h = dict(header)
    h["tensors"] = table
    return frame(h, data, **frame_kw)


# ----------------------------------------------------------------- numpy evaluator (from the spec)


def _sigmoid(z):
    with np.errstate(over="ignore"):  # exp(-z) = inf for very negative scores: sigma = 0
        return 1.0 / (1.0 + np.exp(-z))


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _spec_standard_scaler(params, t, Z):
    if params["with_mean"]:
        Z = Z - t["mean"]
    if params["with_std"]:
        Z = Z / t["scale"]
    return Z


def _spec_polynomial_features(params, t, Z):
    """docs/format.md polynomial_features: per row of powers, multiply the columns from the highest down, from 1.0."""
    out = np.ones((Z.shape[0], t["powers"].shape[0]))
    for r, row in enumerate(t["powers"]):
        for j in reversed(range(Z.shape[1])):
            for _ in range(int(row[j])):
                out[:, r] *= Z[:, j]
    return out


def _spec_linear_projection(params, t, Z):
    """docs/format.md linear_projection: ((x - mean) . components^T) / scale, dot products summed left to right."""
    if params["with_mean"]:
        Z = Z - t["mean"]
    C = t["components"]
    Y = np.zeros((Z.shape[0], C.shape[0]))
    for j in range(Z.shape[1]):
        Y = Y + Z[:, j:j + 1] * C[:, j]
    if params["with_scale"]:
        Y = Y / t["scale"]
    return Y


_SPEC_FUNCTIONS = {"identity": lambda z: z, "log": np.log, "log1p": np.log1p, "exp": np.exp, "expm1": np.expm1,
                   "sqrt": np.sqrt, "abs": np.fabs, "square": lambda z: z * z}


def _spec_function_transformer(params, t, Z):
    Y = _SPEC_FUNCTIONS[params["func"]](Z)
    assert np.all(np.isfinite(Y) | ~np.isfinite(Z)), "function_transformer: a finite value became non-finite"
    return Y


def _spec_min_max_scaler(params, t, Z):
    Z = Z * t["scale"] + t["min"]
    if params["clip"]:
        lo, hi = params["feature_range"]
        Z = np.minimum(np.maximum(Z, lo), hi)
    return Z


def _spec_max_abs_scaler(params, t, Z):
    return Z / t["scale"]


def _spec_robust_scaler(params, t, Z):
    if params["with_centering"]:
        Z = Z - t["center"]
    if params["with_scaling"]:
        Z = Z / t["scale"]
    return Z


def _spec_normalizer(params, t, Z):
    order = {"l1": 1, "l2": 2, "max": np.inf}[params["norm"]]
    norms = np.linalg.norm(Z, ord=order, axis=1)
    norms[norms < 10 * np.finfo(np.float64).eps] = 1.0
    return Z / norms[:, None]


def _spec_binarizer(params, t, Z):
    return (Z > params["threshold"]).astype(np.float64)


def _spec_kbins_discretizer(params, t, Z):
    """docs/format.md 4.11 (kbins_discretizer): the bin is the count of inner edges <= x."""
    cols, at = [], 0
    for j, b in enumerate(params["n_bins"]):
        edges = t["edges"][at: at + b - 1]
        at += b - 1
        idx = (Z[:, j:j + 1] >= edges[None, :]).sum(axis=1)
        cols.append(idx[:, None].astype(float) if params["encode"] == "ordinal" else np.eye(b)[idx])
    return np.hstack(cols)


def _spec_power_transformer(params, t, Z):
    """docs/format.md 4.12 (power_transformer)."""
    from scipy.special import boxcox

    out = np.empty_like(Z)
    for j, lam in enumerate(t["lambdas"]):
        x = Z[:, j]
        if params["method"] == "box-cox":
            assert np.all(x > 0)
            out[:, j] = boxcox(x, lam)
            continue
        with np.errstate(all="ignore"):
            pos = np.log1p(x) if abs(lam) < np.spacing(1.0) else (np.power(x + 1, lam) - 1) / lam
            neg = -np.log1p(-x) if abs(lam - 2) <= np.spacing(1.0) else -(np.power(1 - x, 2 - lam) - 1) / (2 - lam)
        out[:, j] = np.where(x >= 0, pos, neg)
    if params["standardize"]:
        out = (out - t["mean"]) / t["scale"]
    return out


def _spec_quantile_transformer(params, t, Z):
    """docs/format.md 4.13 (quantile_transformer)."""
    from scipy.special import ndtri

    q, r = t["quantiles"], t["references"]
    out = np.empty_like(Z)
    for j in range(Z.shape[1]):
        x, qj = Z[:, j], q[:, j]
        y = 0.5 * (np.interp(x, qj, r) - np.interp(-x, -qj[::-1], -r[::-1]))
        if params["output_distribution"] == "uniform":
            y[x == qj[-1]] = 1
            y[x == qj[0]] = 0
        else:
            y[x + 1e-7 > qj[-1]] = 1
            y[x - 1e-7 < qj[0]] = 0
            with np.errstate(divide="ignore"):
                y = np.clip(ndtri(y), -5.199337582605575, 5.19933758270342)
        out[:, j] = y
    return out


def _spec_spline_transformer(params, t, Z):
    """docs/format.md 4.14 (spline_transformer), from SciPy's BSpline basis on the stored knots."""
    from scipy.interpolate import BSpline

    k, mode, nk = params["degree"], params["extrapolation"], params["n_knots"]
    n_s = nk - 1 if mode == "periodic" else nk + k - 1
    blocks = []
    for j in range(Z.shape[1]):
        knots, x = t["knots"][:, j], Z[:, j].copy()
        lo, hi = knots[k], knots[nk + k - 1]
        basis = [BSpline(knots, np.eye(nk + k - 1)[i], k, extrapolate=True) for i in range(nk + k - 1)]
        if mode == "periodic":
            x = lo + np.mod(x - lo, hi - lo)
        inside = np.clip(x, lo, hi) if mode in ("constant", "linear") else x
        B = np.column_stack([b(inside) for b in basis])
        if mode == "periodic":
            B[:, :k] += B[:, n_s:]
            B = B[:, :n_s]
        if mode == "error":
            assert np.all((x >= lo) & (x <= hi))
        if mode == "linear":
            slopes = np.column_stack([b.derivative()(np.where(x < lo, lo, hi)) for b in basis])
            edge = np.where(x < lo, lo, hi)[:, None]
            n_lin = k + 1 if k <= 1 else k
            cols = np.zeros(n_s, dtype=bool)
            cols[:n_lin] = True
            cols[n_s - n_lin:] |= True
            outside = ((x < lo) | (x > hi))[:, None]
            left = (x < lo)[:, None] & (np.arange(n_s) < n_lin)[None, :]
            right = (x > hi)[:, None] & (np.arange(n_s) >= n_s - n_lin)[None, :]
            B = np.where(left | right, B + (x[:, None] - edge) * slopes, np.where(outside, 0.0, B))
        if mode == "constant":
            left = (x < lo)[:, None] & (np.arange(n_s) < k)[None, :]
            right = (x > hi)[:, None] & (np.arange(n_s) >= n_s - k)[None, :]
            B = np.where(left | right | ((x >= lo) & (x <= hi))[:, None], B, 0.0)
        blocks.append(B if params["include_bias"] else B[:, :-1])
    return np.hstack(blocks)


def _spec_simple_imputer(params, t, Z):
    keep = np.flatnonzero(t["keep"] == 1)
    fill = params.get("text_fill") or [None] * Z.shape[1]  # section 4.15: a text column's fill string
    missing = np.array([[not isinstance(v, str) and np.isnan(v) for v in row] for row in Z], dtype=bool).reshape(Z.shape)
    out = [np.where(missing[:, j], t["statistics"][j] if fill[j] is None else fill[j], Z[:, j]) for j in keep]
    if params["add_indicator"]:
        out += [missing[:, j].astype(np.float64) for j in t["indicator_features"]]
    return np.column_stack(out)


def _spec_missing_indicator(params, t, Z):
    if params["error_on_new"]:
        others = [j for j in range(Z.shape[1]) if j not in set(t["features"].tolist())]
        assert not np.isnan(Z[:, others]).any()
    return np.column_stack([np.isnan(Z[:, j]).astype(np.float64) for j in t["features"]])


def _spec_select_columns(params, t, Z):
    if not params["allow_nan"]:
        assert not np.isnan(np.asarray(Z, dtype=np.float64)).any()
    return np.asarray(Z, dtype=np.float64)[:, t["columns"]]


def _spec_category_index(params, t, Z):
    """Per column: category index of each value (-1 unknown), and each column's first
    global category index (sections 4.18/4.19). Text values are str, missing values NaN."""
    numeric = t.get("numeric_categories", np.zeros(0))
    idx, first, pos, start = [], [], 0, 0
    for j, (entry, miss) in enumerate(zip(params["categories"], params["missing"])):
        if isinstance(entry, list):
            cats, m = entry, len(entry)
        else:
            cats, m = list(numeric[pos: pos + entry]), entry
            pos += entry
        col = np.full(Z.shape[0], -1)
        for r, x in enumerate(Z[:, j]):
            if not isinstance(x, str) and np.isnan(x):
                col[r] = m if miss is not None else -1
            elif isinstance(x, str) == isinstance(entry, list) and x in cats:
                col[r] = cats.index(x)
        idx.append(col)
        first.append(start)
        start += m + (miss is not None)
    return idx, first


def _spec_one_hot_encoder(params, t, Z):
    idx, first = _spec_category_index(params, t, Z)
    blocks = []
    for j, col in enumerate(idx):
        end = first[j + 1] if j + 1 < len(first) else len(t["outputs"])
        outs = t["outputs"][first[j]: end]
        width = max(outs.max(), t["unknown"][j]) + 1
        block = np.zeros((Z.shape[0], width))
        for r, c in enumerate(col):
            assert c >= 0 or params["handle_unknown"] != "error"
            k = outs[c] if c >= 0 else t["unknown"][j]
            if k >= 0:
                block[r, k] = 1.0
        blocks.append(block)
    return np.hstack(blocks)


def _spec_ordinal_encoder(params, t, Z):
    idx, _ = _spec_category_index(params, t, Z)
    nan = float("nan")
    out = np.empty((Z.shape[0], len(idx)))
    for j, col in enumerate(idx):
        entry = params["categories"][j]
        count = (len(entry) if isinstance(entry, list) else entry) + (params["missing"][j] is not None)
        for r, c in enumerate(col):
            if c < 0:
                assert params["handle_unknown"] == "use_encoded_value"
                v = params["unknown_value"]
            elif c == count - 1 and params["missing"][j] == "nan":
                v = params["encoded_missing_value"]
            else:
                v = c
            out[r, j] = nan if v is None else v
    return out


#: step type -> numpy evaluation of docs/format.md section 4, (params, role -> array, Z) -> Z
def _spec_center_distances(p, t, Z):
    """docs/format.md 4.27, row by row: sqrt(max((-2 x.c + |x|^2) + |c|^2, 0))."""
    out = np.zeros((Z.shape[0], t["centers"].shape[0]))
    for i, x in enumerate(np.asarray(Z, dtype=np.float64)):
        xx = sum(v * v for v in x)
        for j, c in enumerate(t["centers"]):
            out[i, j] = np.sqrt(max((-2.0 * sum(a * b for a, b in zip(x, c)) + xx) + t["center_norms"][j], 0.0))
    return out


SPEC_STEPS = {
    "standard_scaler": _spec_standard_scaler,
    "min_max_scaler": _spec_min_max_scaler,
    "max_abs_scaler": _spec_max_abs_scaler,
    "robust_scaler": _spec_robust_scaler,
    "normalizer": _spec_normalizer,
    "binarizer": _spec_binarizer,
    "polynomial_features": _spec_polynomial_features,
    "linear_projection": _spec_linear_projection,
    "function_transformer": _spec_function_transformer,
    "kbins_discretizer": _spec_kbins_discretizer,
    "power_transformer": _spec_power_transformer,
    "quantile_transformer": _spec_quantile_transformer,
    "spline_transformer": _spec_spline_transformer,
    "simple_imputer": _spec_simple_imputer,
    "missing_indicator": _spec_missing_indicator,
    "one_hot_encoder": _spec_one_hot_encoder,
    "ordinal_encoder": _spec_ordinal_encoder,
    "select_columns": _spec_select_columns,
    "center_distances": _spec_center_distances,
    "text_vectorizer": lambda p, t, Z: _spec_text_vectorizer(p, t, Z),
    "tfidf_transformer": lambda p, t, Z: _spec_tfidf_rows(p, t, [
        [(j, float(v)) for j, v in enumerate(row) if v != 0] for row in np.asarray(Z, dtype=np.float64)], Z.shape[1]),
}


def _spec_strings(data, offsets):
    raw = bytes(np.asarray(data, dtype=np.uint8))
    return [raw[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(len(offsets) - 1)]


def _spec_in(ranges, c):
    return any(lo <= c <= hi for lo, hi in ranges)


def _spec_map(frm, off, to):
    return {int(c): [int(x) for x in to[off[i]:off[i + 1]]] for i, c in enumerate(frm)}


def _spec_text_vectorizer(p, t, Z):
    """docs/format.md 4.45, step by step, from the artifact's tables (a plain reading of the
    text, independent of the exporter's kernel; slow, fine for golden cases)."""
    vocab = {s: j for j, s in enumerate(_spec_strings(t["vocabulary_bytes"], t["vocabulary_offsets"]))}
    stop = set(_spec_strings(t["stop_bytes"], t["stop_offsets"])) if p.get("stop_words") else set()
    space = [tuple(r) for r in t["space_ranges"]] if "space_ranges" in t else []
    word = [tuple(r) for r in t["word_ranges"]] if "word_ranges" in t else []
    lo_n, hi_n = p["ngram_range"]
    rows = []
    for doc in np.asarray(Z, dtype=object).reshape(-1):
        cps = [ord(ch) for ch in doc]
        if p["lowercase"]:
            lower = _spec_map(t["lower_from"], t["lower_offsets"], t["lower_to"])
            cased = [tuple(r) for r in t["cased_ranges"]]
            ign = [tuple(r) for r in t["case_ignorable_ranges"]]
            out = []
            for i, c in enumerate(cps):
                if c != 0x3A3:
                    out += lower.get(c, [c])
                    continue
                before = [x for x in cps[:i] if not _spec_in(ign, x)]
                after = [x for x in cps[i + 1:] if not _spec_in(ign, x)]
                final = bool(before) and _spec_in(cased, before[-1]) and not (after and _spec_in(cased, after[0]))
                out.append(0x3C2 if final else 0x3C3)
            cps = out
        if p["strip_accents"] is not None:
            acc = _spec_map(t["accent_from"], t["accent_offsets"], t["accent_to"])
            cps = [x for c in cps for x in acc.get(c, [c] if p["strip_accents"] == "unicode" or c < 128 else [])]
        s = "".join(map(chr, cps))
        terms = []
        if p["analyzer"] == "word":
            inside = (lambda c: _spec_in(word, c)) if p["token_class"] == "word" else (lambda c: not _spec_in(space, c))
            pattern = []
            run = ""
            for ch in s + "\x00":
                if ch != "\x00" and inside(ord(ch)):
                    run += ch
                else:
                    if len(run) >= p["token_min_length"] and run not in stop:
                        pattern.append(run)
                    run = ""
            for q in range(lo_n, hi_n + 1):
                terms += [" ".join(pattern[i:i + q]) for i in range(len(pattern) - q + 1)]
        else:
            squeezed, i = "", 0
            while i < len(s):
                if _spec_in(space, ord(s[i])) and i + 1 < len(s) and _spec_in(space, ord(s[i + 1])):
                    while i < len(s) and _spec_in(space, ord(s[i])):
                        i += 1
                    squeezed += " "
                else:
                    squeezed += s[i]
                    i += 1
            if p["analyzer"] == "char":
                for q in range(lo_n, hi_n + 1):
                    terms += [squeezed[i:i + q] for i in range(len(squeezed) - q + 1)]
            else:
                words, run = [], ""
                for ch in squeezed + " ":
                    if _spec_in(space, ord(ch)):
                        if run:
                            words.append(run)
                        run = ""
                    else:
                        run += ch
                for w in words:
                    pw = " " + w + " "
                    for q in range(lo_n, hi_n + 1):
                        if len(pw) <= q:
                            terms.append(pw)
                            break
                        terms += [pw[i:i + q] for i in range(len(pw) - q + 1)]
        counts = {}
        for term in terms:
            if term in vocab:
                counts[vocab[term]] = counts.get(vocab[term], 0) + 1
        rows.append([(j, 1.0 if p["binary"] else float(c)) for j, c in sorted(counts.items())])
    return _spec_tfidf_rows(p, t, rows, len(vocab))


def _spec_tfidf_rows(p, t, rows, n):
    """docs/format.md 4.46 on each row's (column, value) pairs, columns ascending."""
    out = np.zeros((len(rows), n))
    for r, pairs in enumerate(rows):
        if p["sublinear_tf"]:
            pairs = [(j, float(np.log(v)) + 1.0) for j, v in pairs]
        if p["use_idf"]:
            pairs = [(j, v * float(t["idf"][j])) for j, v in pairs][::-1]
        if p["norm"] is not None:
            s = 0.0
            for _, v in pairs:
                s += abs(v) if p["norm"] == "l1" else v * v
            if s != 0.0:
                s = s if p["norm"] == "l1" else float(np.sqrt(s))
                pairs = [(j, v / s) for j, v in pairs]
        for j, v in pairs:
            out[r, j] = v
    return out


#: stands for a text value with code -1 (in no vocabulary): equal to no category of any step
UNSEEN = "\x00unseen"


def _spec_steps(steps, tensors, Z):
    for step in steps:
        if step["type"] == "column_transformer":  # docs/format.md 4.20
            parts = []
            for b in step["params"]["transformers"]:
                part = _spec_steps(b["steps"], tensors, Z[:, b["columns"]])
                parts.append(part if b["weight"] is None else np.asarray(part, dtype=np.float64) * b["weight"])
            Z = np.hstack(parts)
        else:
            assert step["type"] in SPEC_STEPS, step["type"]
            Z = SPEC_STEPS[step["type"]](step["params"], {r: tensors[n] for r, n in step["tensors"].items()}, Z)
        if Z.dtype == object and not any(isinstance(v, str) for v in Z.flat):
            Z = Z.astype(np.float64)
    return Z


def spec_evaluate(header, tensors, X, texts=None):
    """docs/format.md section 4, evaluated with numpy.

    Returns dict with predict (values [rows, n_outputs] or class indices
    [rows]), decision_function [rows, k] and predict_proba for classifiers.
    """
    Z = np.asarray(X, dtype=np.float64)
    inputs = header["schema"]["inputs"]
    if any(i["kind"] in ("categorical", "text") for i in inputs):  # docs/format.md 3.2: text as category codes
        Z = Z.astype(object)
        for j, inp in enumerate(inputs):
            if inp["kind"] == "categorical":
                Z[:, j] = [np.nan if np.isnan(v) else inp["categories"][int(v)] if v >= 0 else UNSEEN for v in X[:, j]]
            elif inp["kind"] == "text":  # free text: the code indexes the batch's texts
                docs = (texts or {})[inp["name"]]
                Z[:, j] = [docs[int(v)] for v in X[:, j]]
    Z = np.asarray(_spec_steps(header["pipeline"], tensors, Z), dtype=np.float64)
    est = header["estimator"]
    if est["type"] == "tree_ensemble":
        return _spec_tree_ensemble(header, est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "quadratic_discriminant":
        return _spec_quadratic_discriminant(est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "support_vector":
        return _spec_support_vector(header, est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "nearest_center":  # docs/format.md 4.28
        t = {r: tensors[n] for r, n in est["tensors"].items()}
        s = np.array([[-(t["center_norms"][j] + -2.0 * sum(a * b for a, b in zip(x, c)))
                       for j, c in enumerate(t["centers"])] for x in Z]).reshape(len(Z), -1)
        return {"predict": s.argmax(axis=1)}
    if est["type"].endswith("_naive_bayes"):
        return _spec_naive_bayes(est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    assert est["type"] == "linear"
    coef = tensors[est["tensors"]["coef"]]
    intercept = tensors[est["tensors"]["intercept"]]
    s = Z @ coef.T + intercept
    link, k = est["params"]["link"], s.shape[1]
    if header["schema"]["task"] == "regression":
        return {"predict": np.exp(s) if link == "exp" else s, "decision_function": s}
    if link == "none":
        predict = (s[:, 0] > 0).astype(np.int64) if k == 1 else s.argmax(axis=1)
        return {"predict": predict, "decision_function": s}
    if link == "modified_huber":  # docs/format.md 4.2: (clip(s, -1, 1) + 1) / 2, normalised
        p = (np.clip(s, -1.0, 1.0) + 1.0) / 2.0
        if k == 1:
            proba = np.column_stack([1.0 - p[:, 0], p[:, 0]])
        else:
            total = p.sum(axis=1, keepdims=True)
            proba = np.where(total == 0, 1.0 / k, p / np.where(total == 0, 1.0, total))
    elif link == "logistic":
        proba = np.column_stack([1 - _sigmoid(s[:, 0]), _sigmoid(s[:, 0])])
    elif link == "softmax" and k == 1:
        proba = _softmax(np.column_stack([-s[:, 0], s[:, 0]]))
    elif link == "softmax":
        proba = _softmax(s)
    elif link == "ovr":
        p = _sigmoid(s)
        proba = p / p.sum(axis=1, keepdims=True)
    else:
        raise AssertionError(link)
    predict = (s[:, 0] > 0).astype(np.int64) if k == 1 else s.argmax(axis=1)
    return {"predict": predict, "predict_proba": proba, "decision_function": s}


def _spec_quadratic_discriminant(est, t, Z):
    """docs/format.md 4.22: d_i = -0.5 (|(x - means_i) weights_i|^2 + log_det_i) + log_prior_i."""
    c = est["params"]["n_classes"]
    d = np.column_stack([
        -0.5 * (np.sum(((Z - t["means"][i]) @ t["weights"][i]) ** 2, axis=1) + t["log_det"][i]) + t["log_prior"][i]
        for i in range(c)
    ])
    proba = _softmax(d)
    s = (d[:, 1] - d[:, 0]).reshape(-1, 1) if c == 2 else d
    return {"predict": d.argmax(axis=1), "predict_proba": proba, "decision_function": s}


def _spec_support_vector(header, est, t, Z):
    """docs/format.md 4.23, row by row: the kernel, libsvm's pairwise sums, the link."""
    p = est["params"]
    c, link, sv = p["n_classes"], p["link"], t["support_vectors"]

    def kern(x, v):
        if p["kernel"] == "rbf":
            return np.exp(-p["gamma"] * np.sum((x - v) ** 2))
        if p["kernel"] == "linear":
            return np.dot(x, v)
        if p["kernel"] == "poly":
            return (p["gamma"] * np.dot(x, v) + p["coef0"]) ** p["degree"]
        return np.tanh(p["gamma"] * np.dot(x, v) + p["coef0"])

    start = np.concatenate([[0], np.cumsum(t["n_support"])]).astype(int)
    scores, predict = [], []
    for x in Z:
        K = np.array([kern(x, v) for v in sv])
        if c == 1:
            d = float(np.dot(t["dual_coef"][0], K) + t["intercept"][0])
            scores.append([d])
            predict.append(d if header["schema"]["task"] == "regression" else int(d >= 0))
            continue
        d, votes, conf = [], np.zeros(c), np.zeros(c)
        for i in range(c):
            for j in range(i + 1, c):
                a, b = slice(start[i], start[i + 1]), slice(start[j], start[j + 1])
                dp = np.dot(t["dual_coef"][j - 1, a], K[a]) + np.dot(t["dual_coef"][i, b], K[b]) + t["intercept"][len(d)]
                votes[i if dp > 0 else j] += 1
                conf[i] += dp
                conf[j] -= dp
                d.append(dp)
        if c == 2:
            scores.append([-d[0]])
            predict.append(int(-d[0] >= 0))
        elif link == "ovo_votes":
            scores.append(d)
            predict.append(int(np.argmax(votes)))
        else:
            ovr_votes = np.zeros(c)
            q = 0
            for i in range(c):
                for j in range(i + 1, c):
                    ovr_votes[i if d[q] >= 0 else j] += 1
                    q += 1
            s = ovr_votes + conf / (3 * (np.abs(conf) + 1))
            scores.append(list(s))
            predict.append(int(np.argmax(s if link == "none" else ovr_votes)))
    s = np.array(scores, dtype=np.float64)
    if header["schema"]["task"] == "regression":
        return {"predict": s, "decision_function": s}
    return {"predict": np.array(predict, dtype=np.int64), "decision_function": s}


def _spec_naive_bayes(est, t, Z):
    """docs/format.md 4.24 - 4.26, row by row: the joint log likelihood, then
    exp(jll - logsumexp(jll)); no decision_function."""
    p, c = est["params"], est["params"]["n_classes"]
    jll = np.zeros((Z.shape[0], c))
    for r, x in enumerate(Z):
        for i in range(c):
            if est["type"] == "discrete_naive_bayes":
                b = [(1.0 if v > p["threshold"] else 0.0) if p["binarize"] else v for v in x]
                jll[r, i] = sum(bf * w for bf, w in zip(b, t["weights"][i])) + t["bias"][i]
            elif est["type"] == "gaussian_naive_bayes":
                q = sum((v - m) ** 2 / s2 for v, m, s2 in zip(x, t["theta"][i], t["var"][i]))
                jll[r, i] = t["log_prior"][i] + (t["log_norm"][i] - 0.5 * q)
            else:
                assert est["type"] == "categorical_naive_bayes", est["type"]
                offsets = np.concatenate([[0], np.cumsum(t["n_categories"])])
                k = [int(np.trunc(v)) for v in x]
                assert all(0 <= kf < n for kf, n in zip(k, t["n_categories"]))
                jll[r, i] = sum(t["log_prob"][i, offsets[f] + kf] for f, kf in enumerate(k)) + t["log_prior"][i]
    m = jll.max(axis=1, keepdims=True)
    lse = np.log(np.exp(jll - m).sum(axis=1, keepdims=True)) + m
    return {"predict": jll.argmax(axis=1), "predict_proba": np.exp(jll - lse)}


def _spec_tree_leaf(p, t, tree, x):
    """docs/format.md 4.17, one row through one tree, scalar by scalar."""
    off = int(t["tree_offsets"][tree])
    node = 0
    while t["feature"][off + node] != -1:
        g = off + node
        v = float(x[t["feature"][g]])
        f32 = p["comparison"] in ("le_float32", "lt_float32")
        vc = float(np.float32(v)) if f32 else v
        cat = int(t["categorical"][g]) if "categorical" in t else -1
        missing = v != v
        if cat >= 0 and not missing:
            lo, hi = int(t["category_offsets"][cat]), int(t["category_offsets"][cat + 1])
            if vc < 0 or vc >= 8 * (hi - lo):
                missing = True
            else:
                c = int(vc)
                left = bool((int(t["category_bits"][lo + c // 8]) >> (c % 8)) & 1)
        elif not missing:
            thr = float(t["threshold"][g])
            if p["comparison"] == "le_float32":
                left = vc <= thr
            elif p["comparison"] == "lt_float32":
                left = np.float32(vc) < np.float32(thr)
            else:
                left = v <= thr
        if missing:
            assert p["missing"] == "default_left", "NaN reaching a tree that refuses it"
            left = bool(t["default_left"][g])
        node = int(t["left"][g] if left else t["right"][g])
    return off + node


def _spec_tree_ensemble(header, est, t, X):
    p = est["params"]
    T, w = p["n_trees"], p["leaf_width"]
    base = t["base_score"]
    k = base.size
    S = np.zeros((X.shape[0], k))
    for i, x in enumerate(X):
        if p["accumulate"] == "float32":
            acc = [np.float32(b) for b in base]
            for tree in range(T):
                leaf = _spec_tree_leaf(p, t, tree, x)
                g = int(t["tree_group"][tree])
                for j in range(w):
                    acc[g * w + j] = np.float32(acc[g * w + j] + np.float32(t["value"][leaf, j]))
            S[i] = [float(a) for a in acc]
            continue
        acc = [0.0] * k if p["aggregation"] == "mean" else [float(b) for b in base]
        for tree in range(T):
            leaf = _spec_tree_leaf(p, t, tree, x)
            g = int(t["tree_group"][tree])
            for j in range(w):
                acc[g * w + j] += float(t["value"][leaf, j])
        if p["aggregation"] == "mean":
            acc = [float(b) + a / T for a, b in zip(acc, base)]
        S[i] = acc
    link = p["link"]
    if header["schema"]["task"] == "regression":
        pred = np.exp(S) if link == "exp" else _sigmoid(S) if link == "logistic" else S
        return {"predict": pred, "decision_function": S}
    if link == "isolation":
        score = -(2.0 ** (-S[:, 0] / p["isolation"]["scale"]))
        dec = (score - p["isolation"]["offset"]).reshape(-1, 1)
        return {"predict": (dec[:, 0] >= 0).astype(np.int64), "decision_function": dec}
    if link == "probability":
        return {"predict": S.argmax(axis=1), "predict_proba": S}
    if link == "logistic":
        proba = np.column_stack([1 - _sigmoid(S[:, 0]), _sigmoid(S[:, 0])])
        return {"predict": (S[:, 0] > 0).astype(np.int64), "predict_proba": proba, "decision_function": S}
    return {"predict": S.argmax(axis=1), "predict_proba": _softmax(S), "decision_function": S}


def load_script(name: str = "make_artifacts"):
    path = ROOT / "scripts" / name
    loader = importlib.machinery.SourceFileLoader(f"ferry_script_{name}", str(path))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    sys.modules[loader.name] = mod
    loader.exec_module(mod)
    return mod


@pytest.fixture(scope="session")
def make_artifacts():
    return load_script()


@pytest.fixture
def small_file():
    header, tensors = minimal_header()
    return build_file(header, tensors)


def convert_and_run(est, X):
    """Convert a fitted transformer as the exporter does and run its numpy kernel on X."""
    from ferry.converters import KERNELS, PREPROCESSORS

    step = PREPROCESSORS[type(est)].convert(est, "steps[0]: " + type(est).__name__)
    return step, KERNELS[step.type]({"type": step.type, "params": step.params}, step.tensors, X)
