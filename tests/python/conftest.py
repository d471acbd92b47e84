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


def _reference_blas() -> bool:
    """Whether numpy's BLAS is the reference one, whose dot products sum left to right: the
    order ferry's kernels and spec_evaluate fix. OpenBLAS (and any other) reorders the sums."""
    import os
    import re

    try:
        maps = pathlib.Path("/proc/self/maps").read_text()
    except OSError:
        return False
    libs = {line.split()[-1] for line in maps.splitlines() if re.search(r"/lib(open)?blas[^/]*\.so", line)}
    return bool(libs) and not any("openblas" in os.path.realpath(p) for p in libs)


REFERENCE_BLAS = _reference_blas()


def assert_blas_equal(got, want, what: str = "") -> None:
    """Values scikit-learn computed through BLAS (a final linear model's predict, np.dot): the
    same bits with the reference BLAS; with another, within 1e-13 of the largest |value| (a few
    ulps of reordered sums), as scripts/test_other_numerics runs the suite."""
    got, want = np.asarray(got, dtype=np.float64), np.asarray(want, dtype=np.float64)
    if REFERENCE_BLAS:
        np.testing.assert_array_equal(got, want, err_msg=what)
    else:
        scale = max(1.0, float(np.nanmax(np.abs(want), initial=0.0)))
        np.testing.assert_allclose(got, want, rtol=0, atol=1e-13 * scale, err_msg=what)


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


def _spec_numpy_row_sum(v):
    """docs/format.md 4.47: numpy's pairwise sum within buffers of 8192 values."""
    def pairwise(a):
        n = len(a)
        if n < 8:
            r = 0.0
            for x in a:
                r += x
            return r
        if n <= 128:
            acc = [float(x) for x in a[:8]]
            i = 8
            while i < n - n % 8:
                for j in range(8):
                    acc[j] += a[i + j]
                i += 8
            r = ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]))
            for x in a[i:]:
                r += x
            return r
        half = n // 2
        half -= half % 8
        return pairwise(a[:half]) + pairwise(a[half:])

    total = 0.0
    for start in range(0, len(v), 8192):
        total += pairwise(list(v[start:start + 8192]))
    return total


def _spec_center_kernel_row(k, k_fit_rows, k_fit_all):
    c = _spec_numpy_row_sum(k) / len(k)
    return [((a - b) - c) + k_fit_all for a, b in zip(k, k_fit_rows)]


def _spec_kernel_centerer(p, t, Z):
    """docs/format.md 4.47, row by row."""
    return np.array([_spec_center_kernel_row(list(z), t["k_fit_rows"], p["k_fit_all"]) for z in Z]).reshape(Z.shape)


def _spec_kernel_pca(p, t, Z):
    """docs/format.md 4.48, row by row (plain sums: the einsum order of ‖x‖² moves only the
    last bits, so callers compare within rounding)."""
    import math

    out = []
    for x in np.asarray(Z, dtype=np.float64):
        x = list(x)
        if p["kernel"] == "cosine":
            norm = math.sqrt(sum(v * v for v in x))
            norm = 1.0 if norm < 10 * np.finfo(np.float64).eps else norm
            x = [v / norm for v in x]
        xx = sum(v * v for v in x)
        K = []
        for f, fn in zip(t["fit_rows"], t["fit_norms"]):
            s = 0.0
            for a, b in zip(x, f):
                s += a * b
            if p["kernel"] == "poly":
                s = math.pow(s * p["gamma"] + p["coef0"], p["degree"])
            elif p["kernel"] == "rbf":
                s = math.exp(max((-2.0 * s + xx) + fn, 0.0) * -p["gamma"])
            elif p["kernel"] == "sigmoid":
                s = math.tanh(s * p["gamma"] + p["coef0"])
            K.append(s)
        K = _spec_center_kernel_row(K, t["k_fit_rows"], p["k_fit_all"])
        out.append([sum(k * a for k, a in zip(K, row)) for row in t["alphas"]])
    return np.array(out).reshape(len(Z), -1)


def _spec_pls_projection(p, t, Z):
    """docs/format.md 4.49: standardise, then dot products summed left to right."""
    Zs = (np.asarray(Z, dtype=np.float64) - t["mean"]) / t["scale"]
    Y = np.zeros((Zs.shape[0], t["components"].shape[0]))
    for j in range(Zs.shape[1]):
        Y = Y + Zs[:, j:j + 1] * t["components"][:, j]
    return Y


def _spec_iterative_imputer(p, t, Z):
    """docs/format.md 4.51, row by row: fill, the rounds in order (sums left to right, clipped),
    then the indicator columns."""
    out = []
    for x in np.asarray(Z, dtype=np.float64):
        missing = [bool(np.isnan(x[c])) for c in t["columns"]]
        z = [t["fill"][k] if m else x[c] for k, (c, m) in enumerate(zip(t["columns"], missing))]
        for r, f in enumerate(t["feature"]):
            if not missing[f]:
                continue
            s = 0.0
            for k in range(t["offsets"][r], t["offsets"][r + 1]):
                s += z[t["neighbors"][k]] * t["coef"][k]
            v = s + t["intercept"][r]
            v = v if v > t["min_value"][f] else t["min_value"][f]
            z[f] = v if v < t["max_value"][f] else t["max_value"][f]
        if p["add_indicator"]:
            z += [1.0 if np.isnan(x[c]) else 0.0 for c in t["indicator_features"]]
        out.append(z)
    return np.array(out, dtype=np.float64).reshape(len(Z), -1)


def _spec_tree_embedding(p, t, Z):
    """docs/format.md 4.52, row by row and tree by tree: float32 values, <= to the left."""
    out = np.zeros((len(Z), int(t["column"].max()) + 1))
    off = t["tree_offsets"]
    for i, x in enumerate(np.asarray(Z, dtype=np.float64)):
        x32 = [float(np.float32(v)) for v in x]
        for k in range(len(off) - 1):
            node = 0
            while t["left"][off[k] + node] != -1:
                g = off[k] + node
                node = t["left"][g] if x32[t["feature"][g]] <= t["threshold"][g] else t["right"][g]
            out[i, t["column"][off[k] + node]] = 1.0
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
    "kernel_centerer": _spec_kernel_centerer,
    "kernel_pca": _spec_kernel_pca,
    "pls_projection": _spec_pls_projection,
    "iterative_imputer": _spec_iterative_imputer,
    "tree_embedding": _spec_tree_embedding,
    "text_vectorizer": lambda p, t, Z: _spec_text_vectorizer(p, t, Z),
    "dict_vectorizer": lambda p, t, Z: _spec_dict_vectorizer(p, t, Z),
    "tfidf_transformer": lambda p, t, Z: _spec_tfidf_rows(p, t, [
        [(j, float(v)) for j, v in enumerate(row) if v != 0] for row in np.asarray(Z, dtype=np.float64)], Z.shape[1]),
}


#: steps whose reading needs their output width
SPEC_WIDE_STEPS = {
    "hashing_vectorizer": lambda p, t, Z, n: _spec_hashing_vectorizer(p, t, Z, n),
    "feature_hasher": lambda p, t, Z, n: _spec_feature_hasher(p, t, Z, n),
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
    rows = []
    for terms in _spec_terms(p, t, Z):
        counts = {}
        for term in terms:
            if term in vocab:
                counts[vocab[term]] = counts.get(vocab[term], 0) + 1
        rows.append([(j, 1.0 if p["binary"] else float(c)) for j, c in sorted(counts.items())])
    return _spec_tfidf_rows(p, t, rows, len(vocab))


def _spec_murmur(key):
    """MurmurHash3 x86 32-bit, seed 0, as a signed integer (docs/format.md 4.54)."""
    m, h = 0xFFFFFFFF, 0
    mix = lambda k: ((((k * 0xCC9E2D51) & m) << 15 | ((k * 0xCC9E2D51) & m) >> 17) & m) * 0x1B873593 & m  # noqa: E731
    for i in range(0, len(key) // 4 * 4, 4):
        h ^= mix(int.from_bytes(key[i:i + 4], "little"))
        h = (((h << 13) | (h >> 19)) & m) * 5 + 0xE6546B64 & m
    if len(key) % 4:
        h ^= mix(int.from_bytes(key[len(key) // 4 * 4:], "little"))
    h ^= len(key)
    for shift, mult in ((16, 0x85EBCA6B), (13, 0xC2B2AE35)):
        h = ((h ^ (h >> shift)) * mult) & m
    h ^= h >> 16
    return h - (1 << 32) if h >> 31 else h


def _spec_hashing_vectorizer(p, t, Z, n):
    """docs/format.md 4.54: the terms of 4.45, hashed (MurmurHash3 spelled out once more)."""
    out = np.zeros((len(Z), n))
    for r, terms in enumerate(_spec_terms(p, t, Z)):
        row = {}
        for term in terms:
            h = _spec_murmur(term.encode("utf-8"))
            j = (2**31 - 1 - (n - 1)) % n if h == -2**31 else abs(h) % n
            row[j] = row.get(j, 0.0) + (-1.0 if p["alternate_sign"] and h < 0 else 1.0)
        pairs = [(j, 1.0 if p["binary"] else v) for j, v in sorted(row.items())]
        out[r] = _spec_tfidf_rows({"sublinear_tf": False, "use_idf": False, "norm": p["norm"]}, t, [pairs], n)[0]
    return out


def _spec_terms(p, t, Z):
    """Each document's terms (docs/format.md 4.45 steps 1-3)."""
    stop = set(_spec_strings(t["stop_bytes"], t["stop_offsets"])) if p.get("stop_words") else set()
    space = [tuple(r) for r in t["space_ranges"]] if "space_ranges" in t else []
    word = [tuple(r) for r in t["word_ranges"]] if "word_ranges" in t else []
    lo_n, hi_n = p["ngram_range"]
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
        yield terms


def _spec_dict_vectorizer(p, t, Z):
    """docs/format.md 4.56: numbers to their output, known strings to theirs as 1."""
    n = len(t["value_outputs"]) + int(np.sum(t["outputs"] >= 0))
    values = _spec_strings(t["value_bytes"], t["value_offsets"])
    out = np.zeros((len(Z), n))
    for i, row in enumerate(np.asarray(Z, dtype=object)):
        for j, v in enumerate(row):
            if isinstance(v, str):
                lo, hi = t["value_columns"][j], t["value_columns"][j + 1]
                for k in range(lo, hi):
                    if values[k] == v:
                        out[i, t["value_outputs"][k]] = 1.0
            elif v == v and t["outputs"][j] >= 0:
                out[i, t["outputs"][j]] = float(v)
    return out


def _spec_feature_hasher(p, t, Z, n):
    """docs/format.md 4.55, from the keys and the hashing of 4.54 (the murmur of
    _spec_hashing_vectorizer's reading)."""
    keys = _spec_strings(t["key_bytes"], t["key_offsets"]) if p["input_type"] == "dict" else None
    out = np.zeros((len(Z), n))
    for i, row in enumerate(np.asarray(Z, dtype=object)):
        for j, v in enumerate(row):
            if not isinstance(v, str) and v != v:
                continue  # an absent key
            name, value = ((f"{keys[j]}={v}", 1.0) if isinstance(v, str) else (keys[j], float(v))) if keys else (v, 1.0)
            if value == 0.0:
                continue
            h = _spec_murmur(name.encode("utf-8"))
            out[i, (2**31 - 1 - (n - 1)) % n if h == -2**31 else abs(h) % n] += \
                -value if p["alternate_sign"] and h < 0 else value
    return out


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
            assert step["type"] in SPEC_STEPS or step["type"] in SPEC_WIDE_STEPS, step["type"]
            t = {r: tensors[n] for r, n in step["tensors"].items()}
            if step["type"] in SPEC_WIDE_STEPS:
                Z = SPEC_WIDE_STEPS[step["type"]](step["params"], t, Z, step["n_features_out"])
            else:
                Z = SPEC_STEPS[step["type"]](step["params"], t, Z)
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
                Z[:, j] = [np.nan if v != v else docs[int(v)] for v in X[:, j]]
    Z = np.asarray(_spec_steps(header["pipeline"], tensors, Z), dtype=np.float64)
    est = header["estimator"]
    if est["type"] in SPEC_META:
        return SPEC_META[est["type"]](header, est, tensors, Z)
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
    if est["type"] == "mlp":
        return _spec_mlp(header, est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "local_outlier_factor":
        return _spec_local_outlier_factor(est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "nearest_neighbors":
        return _spec_nearest_neighbors(header, est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "radius_neighbors":
        return _spec_radius_neighbors(est, {r: tensors[n] for r, n in est["tensors"].items()}, Z)
    if est["type"] == "pls_regression":  # docs/format.md 4.50: the pls_projection sums plus intercept
        t = {r: tensors[n] for r, n in est["tensors"].items()}
        s = _spec_pls_projection({}, {**t, "components": t["coef"]}, Z) + t["intercept"]
        return {"predict": s}
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


def _spec_mlp(header, est, t, Z):
    """docs/format.md 4.41, row by row and unit by unit: layers, activation, link."""
    import math

    p = est["params"]
    widths = [est["n_features_in"], *p["hidden_sizes"], est["n_features_out"]]
    g = {"identity": lambda z: z, "logistic": lambda z: 1.0 / (1.0 + math.exp(-z)) if z > -700 else 0.0,
         "tanh": math.tanh, "relu": lambda z: max(z, 0.0)}[p["activation"]]
    scores = []
    for x in Z:
        a, w0, b0 = list(x), 0, 0
        for layer in range(len(widths) - 1):
            n_in, n_out = widths[layer], widths[layer + 1]
            W = t["weights"][w0:w0 + n_in * n_out].reshape(n_in, n_out)
            z = [sum(a[i] * W[i, j] for i in range(n_in)) + t["biases"][b0 + j] for j in range(n_out)]
            w0, b0 = w0 + n_in * n_out, b0 + n_out
            a = z if layer == len(widths) - 2 else [g(v) for v in z]
        scores.append(a)
    s = np.array(scores, dtype=np.float64)
    sigma = 1.0 / (1.0 + np.exp(-s))
    if header["schema"]["task"] == "regression":
        return {"predict": sigma if p["link"] == "logistic" else s}
    if p["link"] == "logistic":
        return {"predict": (s[:, 0] > 0).astype(np.int64), "predict_proba": np.column_stack([1 - sigma[:, 0], sigma[:, 0]])}
    e = np.exp(s - s.max(axis=1, keepdims=True))
    return {"predict": s.argmax(axis=1), "predict_proba": e / e.sum(axis=1, keepdims=True)}


def _spec_nearest_neighbors(header, est, t, Z):
    """docs/format.md 4.42, row by row: distances, the k nearest (ties to the lowest index),
    weights, class shares or target means."""
    import math

    p = est["params"]
    metric, k = p["metric"], p["n_neighbors"]

    def unit(v):
        n = math.sqrt(sum(a * a for a in v)) or 1.0
        return [a / n for a in v]

    def reduced(x, y):
        if metric == "cosine":
            return min(max(1.0 - sum(a * b for a, b in zip(unit(x), unit(y))), 0.0), 2.0)
        d = [abs(a - b) for a, b in zip(x, y)]
        if metric == "euclidean":
            return sum(v * v for v in d)
        if metric == "manhattan":
            return sum(d)
        if metric == "chebyshev":
            return max(d)
        return sum(v ** p["p"] for v in d)

    def dist(r):
        return math.sqrt(r) if metric == "euclidean" else r ** (1 / p["p"]) if metric == "minkowski" else r

    out = []
    for x in Z:
        r = [reduced(x, y) for y in t["train"]]
        near = sorted(range(len(r)), key=lambda j: (r[j], j))[:k]
        d = [dist(r[j]) for j in near]
        w = [1.0] * k if p["weights"] == "uniform" else (
            [float(v == 0.0) for v in d] if 0.0 in d else [1.0 / v for v in d])
        if "labels" in t:
            s = [0.0] * est["n_features_out"]
            for j, wj in zip(near, w):
                s[t["labels"][j]] += wj
            total = sum(s) or 1.0
            out.append([v / total for v in s])
        else:
            Y = t["values"]
            if p["weights"] == "uniform":
                out.append([sum(Y[j, o] for j in near) / k for o in range(Y.shape[1])])
            else:
                out.append([sum(Y[j, o] * wj for j, wj in zip(near, w)) / sum(w) for o in range(Y.shape[1])])
    s = np.array(out, dtype=np.float64)
    if "values" in t:
        return {"predict": s}
    res = {"predict": s.argmax(axis=1)}
    if p["link"] == "probability":
        res["predict_proba"] = s
    return res


def _spec_radius_neighbors(est, t, Z):
    """docs/format.md 4.44, row by row: every stored row with r <= the reduced radius, in stored
    order; the outlier class for a row with none, else a ValueError naming the row."""
    import math

    p = est["params"]
    metric = p["metric"]

    def reduced(x, y):
        if metric == "cosine":
            nx, ny = math.sqrt(sum(a * a for a in x)) or 1.0, math.sqrt(sum(b * b for b in y)) or 1.0
            return min(max(1.0 - sum(a / nx * (b / ny) for a, b in zip(x, y)), 0.0), 2.0)
        d = [abs(a - b) for a, b in zip(x, y)]
        if metric == "euclidean":
            return sum(v * v for v in d)
        if metric == "manhattan":
            return sum(d)
        if metric == "chebyshev":
            return max(d)
        return sum(v ** p["p"] for v in d)

    def dist(r):
        return math.sqrt(r) if metric == "euclidean" else r ** (1 / p["p"]) if metric == "minkowski" else r

    R = p["radius"] ** 2 if metric == "euclidean" else p["radius"] ** p["p"] if metric == "minkowski" else p["radius"]
    out = []
    for i, x in enumerate(Z):
        r = [reduced(x, y) for y in t["train"]]
        near = [j for j in range(len(r)) if r[j] <= R]
        if not near:
            if "values" in t or p["outlier_class"] < 0:
                raise ValueError(f"row {i}: no stored row within the radius")
            s = [0.0] * est["n_features_out"]
            s[p["outlier_class"]] = 1.0
            out.append(s)
            continue
        d = [dist(r[j]) for j in near]
        w = [1.0] * len(near) if p["weights"] == "uniform" else (
            [float(v == 0.0) for v in d] if 0.0 in d else [1.0 / v for v in d])
        if "labels" in t:
            s = [0.0] * est["n_features_out"]
            for j, wj in zip(near, w):
                s[t["labels"][j]] += wj
            total = sum(s) or 1.0
            out.append([v / total for v in s])
        else:
            Y = t["values"]
            if p["weights"] == "uniform":
                out.append([sum(Y[j, o] for j in near) / len(near) for o in range(Y.shape[1])])
            else:
                out.append([sum(Y[j, o] * wj for j, wj in zip(near, w)) / sum(w) for o in range(Y.shape[1])])
    s = np.array(out, dtype=np.float64)
    if "values" in t:
        return {"predict": s}
    return {"predict": s.argmax(axis=1), "predict_proba": s}


def _spec_local_outlier_factor(est, t, Z):
    """docs/format.md 4.43, row by row."""
    import math

    p, k = est["params"], est["params"]["n_neighbors"]
    metric = p["metric"]

    def dist(x, y):
        d = [abs(a - b) for a, b in zip(x, y)]
        if metric == "euclidean":
            return math.sqrt(sum(v * v for v in d))
        if metric == "manhattan":
            return sum(d)
        if metric == "chebyshev":
            return max(d)
        if metric == "minkowski":
            return sum(v ** p["p"] for v in d) ** (1 / p["p"])
        nx, ny = math.sqrt(sum(a * a for a in x)) or 1.0, math.sqrt(sum(b * b for b in y)) or 1.0
        return min(max(1.0 - sum(a / nx * (b / ny) for a, b in zip(x, y)), 0.0), 2.0)

    dec = []
    for x in Z:
        d = [dist(x, y) for y in t["train"]]
        near = sorted(range(len(d)), key=lambda j: (d[j], j))[:k]
        lrd_x = 1.0 / (sum(max(d[j], t["k_distance"][j]) for j in near) / k + 1e-10)
        dec.append(-sum(t["lrd"][j] / lrd_x for j in near) / k - p["offset"])
    s = np.array(dec, dtype=np.float64)[:, np.newaxis]
    return {"predict": (s[:, 0] >= 0).astype(np.int64), "decision_function": s}


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


# ----------------------------------------- meta-estimators (docs/format.md 4.30 - 4.39), row by row


def _spec_sub(entry, tensors, X):
    """A sub-model (4.30): a little model of its own task and classes 0 .. n_outputs - 1, on
    its columns of X."""
    cols = entry.get("columns")
    Xs = np.asarray(X, dtype=np.float64)[:, cols] if cols is not None else np.asarray(X, dtype=np.float64)
    classes = {"dtype": "int64", "values": list(range(entry["n_outputs"]))} if entry["task"] == "classification" else None
    header = {"schema": {"task": entry["task"], "n_outputs": entry["n_outputs"], "classes": classes,
                         "inputs": [{"name": f"x{j}", "kind": "numeric"} for j in range(Xs.shape[1])]},
              "pipeline": entry["pipeline"], "estimator": entry["estimator"]}
    out = spec_evaluate(header, tensors, Xs)
    if entry["task"] == "regression":
        out["predict"] = np.asarray(out["predict"], dtype=np.float64).reshape(len(Xs), -1)
    return out


def _spec_voting(header, est, tensors, Z):
    p = est["params"]
    w = tensors[est["tensors"]["weights"]]
    outs = [_spec_sub(e, tensors, Z) for e in p["estimators"]]
    n, k = Z.shape[0], est["n_features_out"]
    S = np.zeros((n, k))
    for i in range(n):
        for e, o in enumerate(outs):
            if p["voting"] == "hard":
                S[i, o["predict"][i]] += w[e]
            elif p["voting"] == "soft":
                S[i] += w[e] * o["predict_proba"][i]
            else:
                S[i] += w[e] * o["predict"][i]
    if p["voting"] == "mean":
        return {"predict": S / p["weight_sum"]}
    if p["voting"] == "hard":
        return {"predict": S.argmax(axis=1)}
    S = S / p["weight_sum"]
    return {"predict": S.argmax(axis=1), "predict_proba": S}


def _spec_stacking(header, est, tensors, Z):
    p = est["params"]
    parts = []
    for e, method in zip(p["estimators"], p["stack_methods"]):
        o = _spec_sub(e, tensors, Z)
        if method == "predict_proba":
            parts.append(o["predict_proba"][:, 1:] if e["n_outputs"] == 2 else o["predict_proba"])
        elif method == "decision_function":
            parts.append(np.asarray(o["decision_function"]).reshape(len(Z), -1))
        else:
            parts.append(np.asarray(o["predict"], dtype=np.float64).reshape(len(Z), 1))
    if p["passthrough"]:
        parts.append(Z)
    return _spec_sub(p["final_estimator"], tensors, np.hstack(parts))


def _spec_calibration(header, est, tensors, Z):
    p = est["params"]
    t = {r: tensors[n] for r, n in est["tensors"].items()}
    c, L, n = est["n_features_out"], p["n_calibrators"], Z.shape[0]
    total = np.zeros((n, c))
    for e, entry in enumerate(p["estimators"]):
        o = _spec_sub(entry, tensors, Z)
        pred = np.asarray(o["decision_function"]).reshape(n, -1) if p["response"] == "decision_function" \
            else (o["predict_proba"][:, 1:] if c == 2 else o["predict_proba"])
        for i in range(n):
            row = np.zeros(c)
            for j in range(L):
                v = pred[i, j]
                if p["method"] == "sigmoid":
                    q = 1.0 / (1.0 + np.exp(-(-(t["a"][e, j] * v + t["b"][e, j]))))
                else:
                    lo, hi = t["threshold_offsets"][e * L + j], t["threshold_offsets"][e * L + j + 1]
                    xs, ys = t["x_thresholds"][lo:hi], t["y_thresholds"][lo:hi]
                    if len(xs) == 1:
                        q = ys[0]
                    else:
                        v = min(max(v, xs[0]), xs[-1])
                        h = min(max(int(np.searchsorted(xs, v)), 1), len(xs) - 1)
                        q = (ys[h] - ys[h - 1]) / (xs[h] - xs[h - 1]) * (v - xs[h - 1]) + ys[h - 1]
                row[1 if c == 2 else j] = q
            if c == 2:
                row[0] = 1.0 - row[1]
            else:
                row = row / row.sum() if row.sum() != 0 else np.full(c, 1.0 / c)
            row[(row > 1.0) & (row <= 1.0 + 1e-5)] = 1.0
            total[i] += row
    total /= len(p["estimators"])
    return {"predict": total.argmax(axis=1), "predict_proba": total}


def _spec_one_vs_rest(header, est, tensors, Z):
    p = est["params"]
    outs = [_spec_sub(e, tensors, Z) for e in p["estimators"]]
    n, m = Z.shape[0], len(outs)
    decision = p["response"] == "decision_function"
    S = np.column_stack([np.asarray(o["decision_function"]).reshape(n) if decision else o["predict_proba"][:, 1]
                         for o in outs])
    if m == 1:
        predict = (S[:, 0] > (0.0 if decision else 0.5)).astype(np.int64)
    else:
        predict = np.array([max(range(m), key=lambda e: (S[i, e], e)) for i in range(n)])  # a tie: the last
    out = {"predict": predict}
    if decision:
        out["decision_function"] = S
    if all("predict_proba" in o for o in outs):
        Y = np.column_stack([o["predict_proba"][:, 1] for o in outs])
        Y = np.column_stack([1 - Y[:, 0], Y[:, 0]]) if m == 1 else Y
        out["predict_proba"] = Y / Y.sum(axis=1, keepdims=True)
    return out


def _spec_one_vs_one(header, est, tensors, Z):
    p = est["params"]
    c, n = p["n_classes"], Z.shape[0]
    outs = iter([_spec_sub(e, tensors, Z) for e in p["estimators"]])
    decision = p["response"] == "decision_function"
    votes, S = np.zeros((n, c)), np.zeros((n, c))
    for i in range(c):
        for j in range(i + 1, c):
            o = next(outs)
            conf = np.asarray(o["decision_function"]).reshape(n) if decision else o["predict_proba"][:, 1]
            for r in range(n):
                votes[r, j if o["predict"][r] == 1 else i] += 1
                S[r, i] -= conf[r]
                S[r, j] += conf[r]
    V = votes + S / (3 * (np.abs(S) + 1))
    if c == 2:
        return {"predict": (V[:, 1] > (0.0 if decision else 0.5)).astype(np.int64),
                "decision_function": V[:, 1:]}
    return {"predict": V.argmax(axis=1), "decision_function": V}


def _spec_adaboost(header, est, tensors, Z):
    p = est["params"]
    w = tensors[est["tensors"]["weights"]]
    outs = [_spec_sub(e, tensors, Z) for e in p["estimators"]]
    n, c = Z.shape[0], p["n_classes"]
    if p["algorithm"] == "median":
        P = np.column_stack([o["predict"][:, 0] for o in outs])
        pred = np.zeros((n, 1))
        for i in range(n):
            order = sorted(range(len(outs)), key=lambda e: P[i, e])
            cum = np.cumsum([w[e] for e in order])
            pred[i, 0] = P[i, order[int(np.argmax(cum >= 0.5 * cum[-1]))]]
        return {"predict": pred}
    V = np.zeros((n, c))
    for e, o in enumerate(outs):
        for i in range(n):
            if p["algorithm"] == "samme":
                V[i, o["predict"][i]] += w[e]
            else:
                q = np.log(np.maximum(o["predict_proba"][i], np.finfo(np.float64).eps))
                V[i] += (c - 1) * (q - (1.0 / c) * q.sum())
    V = V / p["weight_sum"]
    if c == 2:
        s = (-V[:, 0] + V[:, 1]).reshape(n, 1)
        return {"predict": (s[:, 0] > 0).astype(np.int64), "decision_function": s,
                "predict_proba": _softmax(np.column_stack([-s[:, 0] / 2, s[:, 0] / 2]))}
    return {"predict": V.argmax(axis=1), "decision_function": V, "predict_proba": _softmax(V / (c - 1))}


def _spec_chain(header, est, tensors, Z):
    p = est["params"]
    order = tensors[est["tensors"]["order"]]
    n, m = Z.shape[0], len(p["estimators"])
    Y = np.zeros((n, m))
    X = np.asarray(Z, dtype=np.float64)
    for e, entry in enumerate(p["estimators"]):
        y = _spec_sub(entry, tensors, X)["predict"][:, 0]
        Y[:, order[e]] = y
        if p["chained"]:
            X = np.column_stack([X, y])
    return {"predict": Y}


def _spec_transformed_target(header, est, tensors, Z):
    p = est["params"]
    y = _spec_sub(p["estimators"][0], tensors, Z)["predict"]
    if p["inverse"] == "affine":
        return {"predict": y * tensors[est["tensors"]["scale"]] + tensors[est["tensors"]["offset"]]}
    f = {"identity": lambda v: v, "exp": np.exp, "expm1": np.expm1, "log": np.log, "log1p": np.log1p,
         "sqrt": np.sqrt, "square": np.square, "abs": np.abs}[p["inverse"]]
    return {"predict": f(y)}


def _spec_constant(header, est, tensors, Z):
    v = np.tile(tensors[est["tensors"]["value"]], (Z.shape[0], 1))
    if header["schema"]["task"] == "regression":
        return {"predict": v}
    return {"predict": v.argmax(axis=1), "predict_proba": v}


def _spec_kernel(e, x, y):
    """docs/format.md 4.40: one kernel value k(x, y)."""
    op = e["op"]
    if op in ("sum", "product"):
        a, b = (_spec_kernel(t, x, y) for t in e["terms"])
        return a + b if op == "sum" else a * b
    if op == "power":
        return _spec_kernel(e["terms"][0], x, y) ** e["exponent"]
    if op in ("constant", "white"):
        return e["value"] if op == "constant" else 0.0
    if op in ("rbf", "matern"):
        ls = e["length_scale"] * (len(x) if len(e["length_scale"]) == 1 else 1)
        d2 = sum((a / l - b / l) ** 2 for a, b, l in zip(x, y, ls))
        if op == "rbf":
            return np.exp(-0.5 * d2)
        r = np.sqrt(d2)
        if e["nu"] == 0.5:
            return np.exp(-r)
        if e["nu"] == 1.5:
            return (1 + r * np.sqrt(3)) * np.exp(-r * np.sqrt(3))
        if e["nu"] == 2.5:
            t = r * np.sqrt(5)
            return (1 + t + t * t / 3) * np.exp(-t)
        return np.exp(-r * r / 2)
    d2 = sum((a - b) ** 2 for a, b in zip(x, y))
    if op == "rational_quadratic":
        return (1 + d2 / (2 * e["alpha"] * e["length_scale"] ** 2)) ** -e["alpha"]
    if op == "exp_sine_squared":
        return np.exp(-2 * (np.sin(np.pi / e["periodicity"] * np.sqrt(d2)) / e["length_scale"]) ** 2)
    return sum(a * b for a, b in zip(x, y)) + e["sigma_0"] ** 2


def _spec_kernel_diagonal(e, x):
    op = e["op"]
    if op in ("sum", "product"):
        a, b = (_spec_kernel_diagonal(t, x) for t in e["terms"])
        return a + b if op == "sum" else a * b
    if op == "power":
        return _spec_kernel_diagonal(e["terms"][0], x) ** e["exponent"]
    if op in ("constant", "white"):
        return e["value"] if op == "constant" else e["noise_level"]
    if op == "dot_product":
        return sum(a * a for a in x) + e["sigma_0"] ** 2
    return 1.0


def _spec_gaussian_process(header, est, tensors, Z):
    from math import erf

    p = est["params"]
    t = {r: tensors[n] for r, n in est["tensors"].items()}
    K = np.array([[_spec_kernel(p["kernel"], x, xt) for xt in t["x_train"]] for x in Z]).reshape(len(Z), -1)
    if p["link"] == "identity":
        return {"predict": t["y_std"] * (K @ t["alpha"]) + t["y_mean"]}
    lam = [0.41, 0.4, 0.37, 0.44, 0.39]
    C = [-1854.8214151, 3516.89893646, 221.29346712, 128.12323805, -2010.49422654]
    proba, predict = np.zeros((len(Z), 2)), np.zeros(len(Z), dtype=np.int64)
    for i, x in enumerate(Z):
        f = K[i] @ t["alpha"][:, 0]
        v = np.linalg.solve(t["l_factor"], t["w_sqrt"] * K[i])
        var = _spec_kernel_diagonal(p["kernel"], x) - v @ v
        a = 1 / (2 * var)
        pr = sum(c * np.sqrt(np.pi / a) * erf(l * f * np.sqrt(a / (a + l * l))) / (2 * np.sqrt(2 * np.pi * var))
                 for l, c in zip(lam, C)) + 0.5 * sum(C)
        proba[i] = [1 - pr, pr]
        predict[i] = 1 if f > 0 else 0
    return {"predict": predict, "predict_proba": proba}


#: the meta-estimators and constant (docs/format.md 4.30 - 4.39), evaluated from the doc
SPEC_META = {
    "voting": _spec_voting,
    "stacking": _spec_stacking,
    "calibration": _spec_calibration,
    "one_vs_rest": _spec_one_vs_rest,
    "one_vs_one": _spec_one_vs_one,
    "adaboost": _spec_adaboost,
    "chain": _spec_chain,
    "transformed_target": _spec_transformed_target,
    "constant": _spec_constant,
    "gaussian_process": _spec_gaussian_process,
}


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
