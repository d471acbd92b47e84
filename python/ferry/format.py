"""The ``.ferry`` container, format 1: a writer and a defensive reader.

This module follows docs/format.md to the byte. It is the Python twin of
src/artifact/: it knows the frame, the tensor table and the header sections,
and nothing about scikit-learn.

Reading performs the checks of docs/format.md section 1 ("Reading order") in
that order, so that a given damage always produces the same error code:

1. the file is at least 28 bytes long                       -> ``format``
2. the magic matches                                        -> ``format``
3. ``major`` is 1 (greater -> ``version``, 0 -> ``format``)
4. the trailer CRC-32 matches                               -> ``checksum``
5. header length within limit, exact file size              -> ``format``
6. zero header padding, UTF-8 JSON object, no duplicate key -> ``format``
7. tensor table (section 2) and each tensor's CRC-32        -> ``format``, ``checksum``
8. sections (section 3) and steps (section 4)               -> ``format``, ``unsupported``
"""

from __future__ import annotations

import json
import math
import os
import re
import struct
import warnings
import zlib
from datetime import datetime
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import spec
from .spec import LIMITS, STEPS

__all__ = [
    "MAGIC",
    "MAJOR",
    "MINOR",
    "DTYPES",
    "DEFAULT_MAX_HEADER_BYTES",
    "DEFAULT_MAX_TENSOR_BYTES",
    "DEFAULT_MAX_TOTAL_BYTES",
    "SIGNED_MAGIC",
    "sign",
    "MAX_RANK",
    "Artifact",
    "ArtifactError",
    "NewerMinorWarning",
    "align64",
    "dumps_header",
    "dumps",
    "write",
    "loads",
    "read",
    "check_sections",
]

MAGIC = b"\x89FERRY\r\n"
SIGNED_MAGIC = b"\x89FSIGN\r\n"  # an Ed25519 envelope around a .ferry file (docs/security.md)
ENVELOPE_SIZE = 128
MAJOR = 1
COVER_SLACK = 1.0 + LIMITS["cover_slack"]  # tree_ensemble: a child's cover may exceed its parent's by rounding only
MAX_BACKGROUND_ROWS = LIMITS["max_background_rows"]  # explain.background (docs/format.md 3.5)
MINOR = 3  # 1.1 added the optional explain section, 1.2 its background (docs/format.md 3.5), 1.3 baseline (3.6)

_PREFIX = struct.Struct("<8sHHIQ")  # magic, major, minor, header_length, data_length
PREFIX_SIZE = _PREFIX.size  # 24
TRAILER_SIZE = 4
MIN_FILE_SIZE = PREFIX_SIZE + TRAILER_SIZE  # 28
ALIGN = 64

DEFAULT_MAX_HEADER_BYTES = LIMITS["default_max_header_bytes"]
DEFAULT_MAX_TENSOR_BYTES = LIMITS["default_max_tensor_bytes"]  # after decompression
DEFAULT_MAX_TOTAL_BYTES = LIMITS["default_max_total_bytes"]  # all tensors, after decompression
MAX_RANK = LIMITS["max_tensor_rank"]
MAX_NAME_BYTES = LIMITS["max_tensor_name_bytes"]
MAX_WIDTH = LIMITS["max_width"]
MAX_JSON_DEPTH = LIMITS["max_json_depth"]

_U32_MAX = 2**32 - 1
_I64_MIN = -(2**63)
_I64_MAX = 2**63 - 1

#: dtype name -> little-endian numpy dtype
DTYPES: Dict[str, np.dtype] = {
    "float64": np.dtype("<f8"),
    "float32": np.dtype("<f4"),
    "int64": np.dtype("<i8"),
    "int32": np.dtype("<i4"),
    "uint8": np.dtype("u1"),
}
_DTYPE_BY_KIND = {("f", 8): "float64", ("f", 4): "float32", ("i", 8): "int64", ("i", 4): "int32", ("u", 1): "uint8"}
COMPRESSIONS = ("none", "zlib")

_TENSOR_NAME = re.compile(r"[A-Za-z0-9._-]{1,%d}" % MAX_NAME_BYTES)
_CREATED = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")

# Step types and their places.  Every step type has exactly one kernel in C++, one
# converter in python/ferry/converters and one entry in spec/steps.json.
PREPROCESSING_TYPES = spec.PREPROCESSING_TYPES
#: step types that take text columns (docs/format.md 3.2); text reaching any other is refused
TEXT_STEP_TYPES = spec.TEXT_STEP_TYPES
ESTIMATOR_TYPES = spec.ESTIMATOR_TYPES
IMPUTER_STRATEGIES = tuple(STEPS["simple_imputer"]["params"]["strategy"]["enum"])
ONE_HOT_UNKNOWN = tuple(STEPS["one_hot_encoder"]["params"]["handle_unknown"]["enum"])
ORDINAL_UNKNOWN = tuple(STEPS["ordinal_encoder"]["params"]["handle_unknown"]["enum"])
MISSING_CATEGORIES = ("nan", "none")
MAX_TREE_DEPTH = LIMITS["max_tree_depth"]
MAX_TREE_NODES = LIMITS["max_tree_nodes"]
MAX_CATEGORIES = LIMITS["max_categories"]
TASKS = ("regression", "classification")
CLASS_DTYPES = ("int64", "float64", "str", "bool")
INPUT_KINDS = ("numeric", "categorical", "text")
VERIFICATION_OUTPUTS = ("predict", "predict_proba", "decision_function")
POLYNOMIAL_MAX_DEGREE = LIMITS["max_polynomial_degree"]


class ArtifactError(ValueError):
    """A file (or a header given to the writer) that docs/format.md forbids.

    ``code`` is one of ``"format"``, ``"checksum"``, ``"version"``,
    ``"unsupported"`` and ``"signature"``, the same codes as ``ferry::ErrorCode`` in C++.
    """

    def __init__(self, code: str, message: str):
        super().__init__(f"[{code}] {message}")
        self.code = code
        self.message = message


class NewerMinorWarning(UserWarning):
    """The artifact has a newer minor version than this reader; it was read anyway."""


def _fail(code: str, message: str) -> None:
    raise ArtifactError(code, message)


def align64(x: int) -> int:
    """Smallest multiple of 64 that is >= x."""
    return (x + ALIGN - 1) // ALIGN * ALIGN


# --------------------------------------------------------------------------- types


def _is_int(v: Any) -> bool:
    return type(v) is int  # bool is excluded on purpose


def _is_num(v: Any) -> bool:
    return type(v) is int or type(v) is float


def _is_str(v: Any) -> bool:
    return type(v) is str


def _is_bool(v: Any) -> bool:
    return type(v) is bool


def _is_obj(v: Any) -> bool:
    return type(v) is dict


def _is_arr(v: Any) -> bool:
    return type(v) is list


class Artifact:
    """A parsed ``.ferry`` file.

    - ``header``: the header JSON object *without* its ``tensors`` table, i.e.
      what :func:`write` takes (``read(write(h, t)).header == h``);
    - ``tensors``: tensor name -> numpy array (its dtype and shape, native byte order);
    - ``tensor_table``: the header's ``tensors`` table as stored (offsets,
      lengths, compression, CRC-32 of each tensor);
    - ``major``, ``minor``: the format version of the file.
    """

    def __init__(
        self,
        header: dict,
        tensors: Dict[str, np.ndarray],
        major: int = MAJOR,
        minor: int = MINOR,
        tensor_table: Optional[Dict[str, dict]] = None,
    ):
        self.header = header
        self.tensors = tensors
        self.major = major
        self.minor = minor
        self.tensor_table = tensor_table if tensor_table is not None else {}

    @property
    def metadata(self) -> dict:
        return self.header["metadata"]

    @property
    def schema(self) -> dict:
        return self.header["schema"]

    @property
    def pipeline(self) -> list:
        return self.header["pipeline"]

    @property
    def estimator(self) -> dict:
        return self.header["estimator"]

    @property
    def verification(self) -> Optional[dict]:
        return self.header.get("verification")

    def __repr__(self) -> str:
        name = self.header.get("metadata", {}).get("name") if isinstance(self.header.get("metadata"), dict) else None
        return f"<ferry.Artifact {name!r} format {self.major}.{self.minor}, {len(self.tensors)} tensors>"


# --------------------------------------------------------------------------- JSON


def dumps_header(header: Mapping[str, Any]) -> bytes:
    """The canonical header bytes: sorted keys, no whitespace, UTF-8, no NaN."""
    try:
        text = json.dumps(header, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise ValueError(f"header is not valid JSON for a .ferry file: {e}") from None
    return text.encode("utf-8")


class _JSONReject(Exception):
    pass


def _object_pairs(pairs):
    obj = {}
    for k, v in pairs:
        if k in obj:
            raise _JSONReject(f"duplicate key {k!r} in a JSON object")
        obj[k] = v
    return obj


def _parse_constant(name):
    raise _JSONReject(f"{name} is not JSON")


def _parse_float(text):
    v = float(text)
    if not math.isfinite(v):
        raise _JSONReject(f"number {text} is out of range")
    return v


def _check_unicode(v):
    """Reject lone surrogates (written as \\ud800 escapes): not Unicode text, and nesting
    deeper than the spec's limit (the C++ reader's count: the top-level value is at depth 0)."""
    stack = [(v, 0)]
    while stack:
        x, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _JSONReject(f"nesting deeper than {MAX_JSON_DEPTH}")
        if type(x) is str:
            try:
                x.encode("utf-8")
            except UnicodeEncodeError:
                raise _JSONReject("string with an unpaired surrogate escape") from None
        elif type(x) is dict:
            stack.extend((k, depth + 1) for k in x.keys())
            stack.extend((e, depth + 1) for e in x.values())
        elif type(x) is list:
            stack.extend((e, depth + 1) for e in x)


def _parse_header(raw: bytes) -> dict:
    if raw.startswith(b"\xef\xbb\xbf"):
        _fail("format", "header starts with a UTF-8 byte-order mark")
    try:
        text = raw.decode("utf-8", errors="strict")
    except UnicodeDecodeError as e:
        _fail("format", f"header is not valid UTF-8 (byte {PREFIX_SIZE + e.start})")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_object_pairs,
            parse_constant=_parse_constant,
            parse_float=_parse_float,
        )
        _check_unicode(value)
    except _JSONReject as e:
        _fail("format", f"header is not valid JSON: {e}")
    except json.JSONDecodeError as e:
        _fail("format", f"header is not valid JSON: {e.msg} at character {e.pos}")
    except (RecursionError, ValueError) as e:
        _fail("format", f"header is not valid JSON: {e}")
    if not _is_obj(value):
        _fail("format", "header JSON top level is not an object")
    return value


# --------------------------------------------------------------------------- tensors


def _dtype_name(arr: np.ndarray) -> str:
    key = (arr.dtype.kind, arr.dtype.itemsize)
    if key not in _DTYPE_BY_KIND:
        raise ValueError(f"dtype {arr.dtype} cannot be stored; use one of {', '.join(DTYPES)}")
    return _DTYPE_BY_KIND[key]


def _check_tensor_name(name: Any) -> None:
    if not _is_str(name) or not _TENSOR_NAME.fullmatch(name):
        _fail("format", f"tensor name {name!r} is not 1-128 bytes of [A-Za-z0-9._-]")


def _byte_size(shape, itemsize: int, limit: int, name: str) -> int:
    """count x itemsize with the overflow checks a u64 reader performs."""
    # docs/format.md section 2: every running product, left to right, must stay within the limit.
    count = 1
    for d in shape:
        count *= d
        if count * itemsize > limit:
            _fail("format", f"tensor '{name}': shape {shape} exceeds the tensor limit of {limit} bytes")
    return count * itemsize


def _inflate(stored: bytes, expected: int, name: str) -> bytes:
    """Inflate one zlib stream, stopping at expected + 1 bytes (no zip bombs)."""
    d = zlib.decompressobj()
    try:
        out = d.decompress(stored, expected + 1)
    except zlib.error as e:
        _fail("format", f"tensor '{name}': zlib stream is corrupt ({e})")
    if len(out) > expected:
        _fail("format", f"tensor '{name}': zlib stream inflates to more than {expected} bytes")
    if not d.eof:
        _fail("format", f"tensor '{name}': zlib stream is truncated ({len(out)} of {expected} bytes)")
    if d.unused_data:
        _fail("format", f"tensor '{name}': {len(d.unused_data)} bytes follow the zlib stream")
    if len(out) != expected:
        _fail("format", f"tensor '{name}': zlib stream inflates to {len(out)} bytes, expected {expected}")
    return out


def _read_tensors(header: dict, data: memoryview, data_start: int, data_length: int, max_tensor_bytes: int,
                  max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES):
    table = header.get("tensors")
    if table is None:
        _fail("format", "header has no 'tensors' object")
    if not _is_obj(table):
        _fail("format", "header 'tensors' is not an object")

    names = sorted(table)  # code-point order == UTF-8 byte order
    for name in names:
        _check_tensor_name(name)
    entries = []
    expected_offset = 0
    total = 0
    for name in names:
        e = table[name]
        if not _is_obj(e):
            _fail("format", f"tensor '{name}': entry is not an object")
        for key in ("dtype", "shape", "offset", "length", "compression", "crc32"):
            if key not in e:
                _fail("format", f"tensor '{name}': missing '{key}'")
        dtype = e["dtype"]
        if not _is_str(dtype) or dtype not in DTYPES:
            _fail("format", f"tensor '{name}': unknown dtype {dtype!r}")
        shape = e["shape"]
        if not _is_arr(shape) or not all(_is_int(d) and d >= 0 for d in shape):
            _fail("format", f"tensor '{name}': shape must be an array of integers >= 0")
        if len(shape) > MAX_RANK:
            _fail("format", f"tensor '{name}': rank {len(shape)} exceeds {MAX_RANK}")
        nbytes = _byte_size(shape, DTYPES[dtype].itemsize, max_tensor_bytes, name)
        total += nbytes
        if total > max_total_bytes:
            _fail("format", f"tensors decode to more than the limit of {max_total_bytes} bytes in total "
                            f"(reached at tensor '{name}')")
        offset, length, comp, crc = e["offset"], e["length"], e["compression"], e["crc32"]
        if not _is_int(offset) or offset < 0:
            _fail("format", f"tensor '{name}': offset must be an integer >= 0")
        if not _is_int(length) or length < 0:
            _fail("format", f"tensor '{name}': length must be an integer >= 0")
        if not _is_str(comp) or comp not in COMPRESSIONS:
            _fail("format", f"tensor '{name}': unknown compression {comp!r}")
        if not _is_int(crc) or not 0 <= crc <= _U32_MAX:
            _fail("format", f"tensor '{name}': crc32 must be an integer in [0, 2^32-1]")
        if comp == "none" and length != nbytes:
            _fail("format", f"tensor '{name}': length {length} != {nbytes} bytes for {dtype} {shape}")
        if offset != expected_offset:
            what = "overlaps the previous tensor" if offset < expected_offset else "leaves a hole"
            _fail("format", f"tensor '{name}': offset {offset} {what} (expected {expected_offset})")
        expected_offset = align64(offset + length)
        entries.append((name, dtype, shape, offset, length, comp, crc, nbytes))

    if data_length != expected_offset:
        _fail("format", f"data_length {data_length} != {expected_offset} required by the tensor table")

    # Padding between tensors (and after the last one) is zero.
    for name, _, _, offset, length, _, _, _ in entries:
        start, end = data_start + offset + length, data_start + align64(offset + length)
        if any(data[start:end]):
            _fail("format", f"non-zero padding after tensor '{name}'")

    tensors: Dict[str, np.ndarray] = {}
    for name, dtype, shape, offset, length, comp, crc, nbytes in entries:
        stored = bytes(data[data_start + offset: data_start + offset + length])
        actual = zlib.crc32(stored)
        if actual != crc:
            _fail("checksum", f"tensor '{name}': CRC-32 {actual:#010x} != {crc:#010x}")
        raw = stored if comp == "none" else _inflate(stored, nbytes, name)
        arr = np.frombuffer(raw, dtype=DTYPES[dtype]).reshape(shape).copy()
        tensors[name] = arr
    return tensors


# --------------------------------------------------------------------------- sections


def _step_label(where: str, step: dict) -> str:
    name = step.get("name") if _is_obj(step) else None
    return f"{where} ({name})" if _is_str(name) else where


def _tensor_ref(where, step_tensors, role, tensors, table, referenced, dtype, shape, required):
    if role not in step_tensors:
        if required:
            _fail("format", f"{where}: missing tensor '{role}'")
        return None
    ref = step_tensors[role]
    if not _is_str(ref) or ref not in table:
        _fail("format", f"{where}: tensor '{role}' names a tensor that does not exist ({ref!r})")
    referenced.add(ref)
    entry = table[ref]
    if entry["dtype"] != dtype or list(entry["shape"]) != list(shape):
        _fail(
            "format",
            f"{where}: tensor '{role}' ('{ref}') is {entry['dtype']} {entry['shape']}, expected {dtype} {list(shape)}",
        )
    return tensors[ref]


def _check_metadata(md: Any) -> None:
    if not _is_obj(md):
        _fail("format", "'metadata' is missing or not an object")
    for key in ("name", "version"):
        if not _is_str(md.get(key)):
            _fail("format", f"metadata.{key} is missing or not a string")
    if "description" in md and not _is_str(md["description"]):
        _fail("format", "metadata.description is not a string")
    if "created" in md:
        c = md["created"]
        ok = _is_str(c) and _CREATED.fullmatch(c) is not None
        if ok:
            try:
                datetime.strptime(c, "%Y-%m-%dT%H:%M:%SZ")
            except ValueError:
                ok = False
        if not ok:
            _fail("format", f"metadata.created {c!r} is not YYYY-MM-DDTHH:MM:SSZ")
    if "producer" in md:
        p = md["producer"]
        if not _is_obj(p) or not all(_is_str(v) for v in p.values()):
            _fail("format", "metadata.producer is not an object of strings")
    if "training" in md:
        t = md["training"]
        if not _is_obj(t):
            _fail("format", "metadata.training is not an object")
        if "n_rows" in t and not (t["n_rows"] is None or (_is_int(t["n_rows"]) and t["n_rows"] >= 0)):
            _fail("format", "metadata.training.n_rows is not an integer >= 0 or null")
        if "sample_rows" in t and not (_is_int(t["sample_rows"]) and t["sample_rows"] >= 0):
            _fail("format", "metadata.training.sample_rows is not an integer >= 0")
        if "sample_sha256" in t and not (t["sample_sha256"] is None or _is_str(t["sample_sha256"])):
            _fail("format", "metadata.training.sample_sha256 is not a string or null")


def _check_class_values(dtype: str, values: list) -> None:
    if dtype == "int64":
        ok = all(_is_int(v) and _I64_MIN <= v <= _I64_MAX for v in values)
        key = values
    elif dtype == "float64":
        ok = all(_is_num(v) for v in values)
        key = [float(v) for v in values] if ok else []
    elif dtype == "str":
        ok = all(_is_str(v) for v in values)
        key = values
    else:  # bool
        ok = all(_is_bool(v) for v in values)
        key = values
    if not ok:
        _fail("format", f"schema.classes.values are not all {dtype} labels")
    if len(set(key)) != len(key):
        _fail("format", "schema.classes.values are not distinct")


def _check_schema(schema: Any) -> Tuple[int, str, int]:
    if not _is_obj(schema):
        _fail("format", "'schema' is missing or not an object")
    inputs = schema.get("inputs")
    if not _is_arr(inputs) or not inputs:
        _fail("format", "schema.inputs is missing, not an array or empty")
    seen = set()
    for i, inp in enumerate(inputs):
        where = f"schema.inputs[{i}]"
        if not _is_obj(inp):
            _fail("format", f"{where} is not an object")
        name = inp.get("name")
        if not _is_str(name) or not name:
            _fail("format", f"{where}.name is missing, empty or not a string")
        if name in seen:
            _fail("format", f"{where}.name {name!r} is not unique")
        seen.add(name)
        kind = inp.get("kind")
        if not _is_str(kind):
            _fail("format", f"{where}.kind is missing or not a string")
        if kind not in INPUT_KINDS:
            _fail("unsupported", f"{where} ({name!r}): input kind '{kind}' is not supported by this reader")
        if not _is_bool(inp.get("nullable")):
            _fail("format", f"{where}.nullable is missing or not a boolean")
        if kind == "categorical":
            cats = inp.get("categories")
            if not _is_arr(cats):
                _fail("format", f"{where}.categories is missing or not an array")
            for k, c in enumerate(cats):
                if not _is_str(c):
                    _fail("format", f"{where}.categories[{k}] must be a string")
                if k > 0 and not cats[k - 1].encode() < c.encode():
                    _fail("format", f"{where}.categories must be distinct and sorted")
        rng = inp.get("range")
        if rng is not None and kind == "numeric":
            if not (_is_arr(rng) and len(rng) == 2 and all(_is_num(v) for v in rng) and rng[0] <= rng[1]):
                _fail("format", f"{where}.range is not null or [min, max]")
    task = schema.get("task")
    if not _is_str(task) or task not in TASKS:
        _fail("format", f"schema.task {task!r} is not 'regression' or 'classification'")
    n_outputs = schema.get("n_outputs")
    if not _is_int(n_outputs) or n_outputs < 1:
        _fail("format", "schema.n_outputs is missing or not an integer >= 1")
    if n_outputs > MAX_WIDTH:
        _fail("format", "schema.n_outputs is out of range")
    classes = schema.get("classes")
    if task == "classification":
        if n_outputs < 2:
            _fail("format", "schema.n_outputs of a classifier must be >= 2")
        if not _is_obj(classes):
            _fail("format", "schema.classes is required for classification")
        dtype, values = classes.get("dtype"), classes.get("values")
        if not _is_str(dtype) or dtype not in CLASS_DTYPES:
            _fail("format", f"schema.classes.dtype {dtype!r} is not one of {', '.join(CLASS_DTYPES)}")
        if not _is_arr(values) or len(values) != n_outputs:
            _fail("format", "schema.classes.values is not an array of n_outputs labels")
        _check_class_values(dtype, values)
    elif classes is not None:
        _fail("format", "schema.classes must be null for regression")
    target = schema.get("target")
    if target is not None and not _is_str(target):
        _fail("format", "schema.target is not a string or null")
    return len(inputs), task, n_outputs


def _check_step_common(where: str, step: Any) -> str:
    if not _is_obj(step):
        _fail("format", f"{where} is not an object")
    stype = step.get("type")
    if not _is_str(stype):
        _fail("format", f"{where}: 'type' is missing or not a string")
    if "name" in step and not _is_str(step["name"]):
        _fail("format", f"{where}: 'name' is not a string")
    for key in ("n_features_in", "n_features_out"):
        v = step.get(key)
        if not _is_int(v) or v < 1:
            _fail("format", f"{_step_label(where, step)}: '{key}' is missing or not an integer >= 1")
        if v > MAX_WIDTH:
            _fail("format", f"{_step_label(where, step)}: {key} = {v} is out of range [0, {MAX_WIDTH}]")
    if not _is_obj(step.get("params")):
        _fail("format", f"{_step_label(where, step)}: 'params' is missing or not an object")
    st = step.get("tensors")
    if not _is_obj(st):
        _fail("format", f"{_step_label(where, step)}: 'tensors' is missing or not an object")
    return stype


def _check_unknown_refs(where, step_tensors, known_roles, table, referenced):
    """Unknown roles are ignored (section 5) but still must name existing tensors."""
    for role, ref in step_tensors.items():
        if role in known_roles:
            continue
        if not _is_str(ref) or ref not in table:
            _fail("format", f"{where}: tensor '{role}' names a tensor that does not exist ({ref!r})")
        referenced.add(ref)


def _finite(where, role, values) -> None:
    """docs/format.md section 4: every float64 step tensor holds finite values only."""
    if values is not None and not np.all(np.isfinite(values)):
        _fail("format", f"{where}: tensor '{role}' has a non-finite value")


def _check_same_width(where, step) -> int:
    n = step["n_features_in"]
    if step["n_features_out"] != n:
        _fail("format", f"{where}: n_features_out {step['n_features_out']} != n_features_in {n}")
    return n


def _finite_number(v: Any) -> Optional[float]:
    """A JSON number (not a bool) as a finite float, else None."""
    if not _is_num(v):
        return None
    try:
        f = float(v)
    except OverflowError:
        return None
    return f if math.isfinite(f) else None


# ----------------------------------------------------------- checks the spec drives


#: messages kept from before the spec drove the checks (tests and users match them)
_PARAM_MESSAGES = {
    ("spline_transformer", "n_knots"): "params.n_knots must be at least 2",
}


def _check_params(where, stype, params) -> None:
    """The parameters spec/steps.json describes fully: booleans, enumerations, bounded
    integers and finite numbers. Anything richer is left to the step's own function."""
    for key, p in STEPS[stype]["params"].items():
        if p.get("required", True) is False and key not in params:
            continue  # an optional parameter's presence is the step's own rule
        if (stype, key) in _PARAM_MESSAGES and not _within(params.get(key), p):
            _fail("format", f"{where}: {_PARAM_MESSAGES[stype, key]}")
        v = params.get(key)
        kind = p["type"]
        if kind == "boolean":
            if not _is_bool(v):
                _fail("format", f"{where}: params.{key} is missing or not a boolean")
        elif kind == "string" and "enum" in p:
            if not _is_str(v) or v not in p["enum"]:
                _fail("format", f"{where}: params.{key} {v!r} is not one of {', '.join(p['enum'])}")
        elif kind == "integer":
            lo, hi = spec.limit(p.get("min", _I64_MIN)), spec.limit(p.get("max", _I64_MAX))
            if "max" in p and not (_is_int(v) and lo <= v <= hi):
                _fail("format", f"{where}: params.{key} must be an integer in [{lo}, {hi}]")
            if "min" in p and not (_is_int(v) and lo <= v):
                _fail("format", f"{where}: params.{key} is missing or not an integer >= {lo}")
            if not _is_int(v):
                _fail("format", f"{where}: params.{key} is missing or not an integer")
        elif kind == "number" and p.get("finite"):
            if not _is_num(v):
                _fail("format", f"{where}: params.{key} is missing or not a number")
            if _finite_number(v) is None:
                _fail("format", f"{where}: params.{key} must be finite")


def _within(v, p) -> bool:
    return _is_int(v) and spec.limit(p.get("min", _I64_MIN)) <= v <= spec.limit(p.get("max", _I64_MAX))


def _step_tensors(where, stype, step, tensors, table, referenced, env=None) -> Dict[str, Optional[np.ndarray]]:
    """Every tensor role of the step as spec/steps.json describes it: presence, dtype,
    shape and the value rules (finite, non-zero, positive); unknown roles last (section 5).
    ``env`` adds the names a shape rule uses beyond n_in, n_out and the params."""
    params, st = step["params"], step["tensors"]
    names = {"n_in": step["n_features_in"], "n_out": step["n_features_out"], **params, **(env or {})}
    out = {}
    for role, t in STEPS[stype]["tensors"].items():
        present = t["present"]
        if isinstance(present, dict) and "iff_param" in present:
            key = present["iff_param"]
            required = bool(params[key])
            if not required and role in st:
                _fail("format", f"{where}: tensor '{role}' present although params.{key} is false "
                                f"(tensor '{role}' must be present exactly when params.{key})")
        elif present in ("required", "optional"):
            required = present == "required"
        else:  # a rule in words: such a step checks its tensors itself
            raise AssertionError(f"spec: {where}: tensor '{role}' has a presence rule only its step can check")
        arr = _tensor_ref(where, st, role, tensors, table, referenced, t["dtype"], spec.shape_of(t["shape"], names),
                          required)
        if arr is not None:
            _check_values(where, role, t, arr)
        out[role] = arr
    _check_unknown_refs(where, st, tuple(STEPS[stype]["tensors"]), table, referenced)
    return out


def _spec_ref(where, step, role, tensors, table, referenced, required=True, **derived):
    """One tensor with the dtype and shape spec/steps.json gives its role, for the steps that
    decide presence themselves; ``derived`` are the shape names read from other tensors."""
    rule = STEPS[step["type"]]["tensors"][role]
    names = {"n_in": step["n_features_in"], "n_out": step["n_features_out"], **step["params"], **derived}
    arr = _tensor_ref(where, step["tensors"], role, tensors, table, referenced, rule["dtype"],
                      spec.shape_of(rule["shape"], names), required)
    if arr is not None:
        _check_values(where, role, rule, arr)
    return arr


def _check_values(where, role, rule, arr) -> None:
    if rule.get("nonzero") and not (np.all(np.isfinite(arr)) and np.all(arr != 0)):
        _fail("format", f"{where}: tensor '{role}' has a zero or non-finite value")
    if rule.get("positive") and not (np.all(np.isfinite(arr)) and np.all(arr > 0)):
        _fail("format", f"{where}: tensor '{role}' has a value that is not finite and positive")
    if rule.get("finite"):
        _finite(where, role, arr)


def _check_from_spec(where, step, tensors, table, referenced) -> None:
    """A step whose rules the spec states, plus its own semantic function, if any."""
    stype = step["type"]
    if STEPS[stype]["width"] == "same":
        _check_same_width(where, step)
    _check_params(where, stype, step["params"])
    pre = _BEFORE_TENSORS.get(stype)
    env = pre(where, step) if pre else None
    arrays = _step_tensors(where, stype, step, tensors, table, referenced, env)
    post = _AFTER_TENSORS.get(stype)
    if post:
        post(where, step, arrays)


# ------------------------------------------- what the spec cannot say, step by step


def _min_max_range(where, step):
    rng = step["params"].get("feature_range")
    if not (_is_arr(rng) and len(rng) == 2 and all(_is_num(v) for v in rng)):
        _fail("format", f"{where}: params.feature_range is missing or not an array of two numbers [min, max]")
    lo, hi = _finite_number(rng[0]), _finite_number(rng[1])
    if lo is None or hi is None or not lo < hi:
        _fail("format", f"{where}: params.feature_range must be finite with min < max")


def _polynomial_terms(n, min_degree, max_degree, interaction_only, include_bias):
    """scikit-learn's order of terms (docs/format.md section 4, polynomial_features), as ascending column tuples."""
    from itertools import chain, combinations, combinations_with_replacement

    comb = combinations if interaction_only else combinations_with_replacement
    it = chain.from_iterable(comb(range(n), d) for d in range(max(1, min_degree), max_degree + 1))
    return chain([()], it) if include_bias else it


def _polynomial_degrees(where, step):
    params = step["params"]
    lo, hi = params["min_degree"], params["max_degree"]
    if not 0 <= lo <= hi <= POLYNOMIAL_MAX_DEGREE:
        _fail("format", f"{where}: params min_degree = {lo}, max_degree = {hi} must satisfy "
                        f"0 <= min_degree <= max_degree <= {POLYNOMIAL_MAX_DEGREE}")
    if hi == 0 and not params["include_bias"]:
        _fail("format", f"{where}: max_degree = 0 without include_bias leaves no output column")


def _polynomial_powers(where, step, arrays):
    n, n_out, params = step["n_features_in"], step["n_features_out"], step["params"]
    powers = arrays["powers"]
    terms = _polynomial_terms(n, params["min_degree"], params["max_degree"], params["interaction_only"],
                              params["include_bias"])
    for r in range(n_out):
        term = next(terms, None)
        if term is None:
            _fail("format", f"{where}: n_features_out = {n_out} but the degrees give only {r} terms")
        expected = np.bincount(np.asarray(term, dtype=np.int64), minlength=n)
        if not np.array_equal(powers[r], expected):
            _fail("format", f"{where}: tensor 'powers' row {r} is not scikit-learn's term {list(term)}")
    if next(terms, None) is not None:
        _fail("format", f"{where}: n_features_out = {n_out} but the degrees give more terms")


def _kbins_bins(where, step):
    n, params = step["n_features_in"], step["params"]
    encode, n_bins = params["encode"], params.get("n_bins")
    if not _is_arr(n_bins) or len(n_bins) != n:
        _fail("format", f"{where}: params.n_bins must hold one count per input column")
    top = LIMITS["max_bins"]
    for j, b in enumerate(n_bins):
        if not _is_int(b) or not 1 <= b <= top:
            _fail("format", f"{where}: params.n_bins[{j}] must be an integer in [1, {top}]")
    n_out = sum(n_bins) if encode == "onehot-dense" else n
    if step["n_features_out"] != n_out:
        _fail("format", f"{where}: n_features_out is {step['n_features_out']} but encode '{encode}' with these n_bins gives {n_out}")


def _kbins_edges(where, step, arrays):
    edges, at = arrays["edges"], 0
    for j, b in enumerate(step["params"]["n_bins"]):
        if np.any(np.diff(edges[at: at + b - 1]) < 0):
            _fail("format", f"{where}: tensor 'edges' decreases within column {j}")
        at += b - 1


def _quantile_tables(where, step, arrays):
    refs, quantiles = arrays["references"], arrays["quantiles"]
    if np.any(refs < 0) or np.any(refs > 1) or np.any(np.diff(refs) <= 0):
        _fail("format", f"{where}: tensor 'references' must increase strictly within [0, 1]")
    if np.any(np.diff(quantiles, axis=0) < 0):
        _fail("format", f"{where}: tensor 'quantiles' decreases within a column")


def _spline_width(where, step):
    n, params = step["n_features_in"], step["params"]
    k, mode, n_knots = params["degree"], params["extrapolation"], params["n_knots"]
    if mode == "constant" and k == 0:
        _fail("format", f"{where}: extrapolation 'constant' needs degree >= 1")
    periodic = mode == "periodic"
    if periodic and n_knots <= k:
        _fail("format", f"{where}: params.n_knots must be at least 2 and greater than degree")
    n_splines = n_knots - 1 if periodic else n_knots + k - 1
    n_out = n * (n_splines if params["include_bias"] else n_splines - 1)
    if step["n_features_out"] != n_out:
        _fail("format", f"{where}: n_features_out is {step['n_features_out']} but the knots give {n_out}")


def _spline_knots(where, step, arrays):
    t, params = arrays["knots"], step["params"]
    k, mode = params["degree"], params["extrapolation"]
    if np.any(np.diff(t, axis=0) < 0):
        _fail("format", f"{where}: tensor 'knots' decreases within a column")
    if mode == "linear" and k > 0 and np.any(t[k:] <= t[:-k]):
        _fail("format", f"{where}: tensor 'knots' repeats a knot more than degree times, which extrapolation 'linear' cannot take")
    if mode == "periodic" and np.any(~(t[params["n_knots"] + k - 1] > t[k])):
        _fail("format", f"{where}: tensor 'knots' gives a column a period of zero")


def _missing_indicator_width(where, step):
    if step["n_features_out"] > step["n_features_in"]:
        _fail("format", f"{where}: n_features_out must not exceed n_features_in")


def _missing_indicator_features(where, step, arrays):
    _column_values(where, "features", arrays["features"], step["n_features_in"])


def _select_columns_width(where, step):
    # Section 4.21: at least one column (the exporter refuses an empty selection).
    if not 1 <= step["n_features_out"] <= step["n_features_in"]:
        _fail("format", f"{where}: n_features_out must be between 1 and n_features_in")


def _select_columns_kept(where, step, arrays):
    _column_values(where, "columns", arrays["columns"], step["n_features_in"])


def _iterative_imputer_width(where, step):
    # Section 4.51: the kept columns, then the indicator columns (add_indicator only).
    p = step["params"]
    if not (_is_int(p.get("n_kept")) and 1 <= p["n_kept"] <= step["n_features_in"]):
        _fail("format", f"{where}: params.n_kept must be an integer in [1, n_features_in]")
    extra = step["n_features_out"] - p["n_kept"]
    if extra < 0 or (extra and not p.get("add_indicator")) or extra > step["n_features_in"]:
        _fail("format", f"{where}: n_features_out must be n_kept, plus the indicator columns with add_indicator")


def _iterative_imputer_rounds(where, step, arrays):
    p = step["params"]
    n, kept = step["n_features_in"], p["n_kept"]
    _column_values(where, "columns", arrays["columns"], n)
    if not np.all(arrays["min_value"] < arrays["max_value"]):
        _fail("format", f"{where}: min_value must be below max_value in every column")
    off = arrays["offsets"]
    if off[0] != 0 or off[-1] != p["n_links"] or np.any(np.diff(off) < 0):
        _fail("format", f"{where}: tensor 'offsets' must rise from 0 to n_links")
    for role in ("feature", "neighbors"):
        bad = np.flatnonzero((arrays[role] < 0) | (arrays[role] >= kept))
        if bad.size:
            _fail("format", f"{where}: tensor '{role}' has {int(arrays[role][bad[0]])} at [{int(bad[0])}], "
                            f"outside [0, {kept})")
    if arrays.get("indicator_features") is not None:
        _column_values(where, "indicator_features", arrays["indicator_features"], n)


def _tree_embedding_trees(where, step, arrays):
    # Section 4.52: trees numbered depth first (children after their parent), one output column
    # per leaf.
    n, k = step["n_features_in"], step["n_features_out"]
    off = arrays["tree_offsets"]
    if off[0] != 0 or off[-1] != step["params"]["n_nodes"] or np.any(np.diff(off) <= 0):
        _fail("format", f"{where}: tensor 'tree_offsets' must rise strictly from 0 to n_nodes")
    left, right, feature, column = arrays["left"], arrays["right"], arrays["feature"], arrays["column"]
    size = np.repeat(np.diff(off), np.diff(off))
    local = np.arange(off[-1]) - np.repeat(off[:-1], np.diff(off))
    leaf = (left == -1) & (right == -1)
    split = ~leaf
    if np.any(split & ((left <= local) | (left >= size) | (right <= local) | (right >= size))):
        _fail("format", f"{where}: a split's children must lie after it, inside its tree (a leaf has -1, -1)")
    if np.any(split & ((feature < 0) | (feature >= n))) or np.any(split & (column != -1)):
        _fail("format", f"{where}: a split needs a feature in [0, {n}) and column -1")
    if not np.array_equal(np.sort(column[leaf]), np.arange(k)):
        _fail("format", f"{where}: tensor 'column' must give each of the {k} output columns to exactly one leaf")


#: semantic checks the spec cannot state, run before the tensors (they may give their shapes)
_BEFORE_TENSORS = {
    "tfidf_transformer": lambda where, step: _check_norm(where, step["params"]),
    "min_max_scaler": _min_max_range,
    "polynomial_features": _polynomial_degrees,
    "kbins_discretizer": _kbins_bins,
    "spline_transformer": _spline_width,
    "missing_indicator": _missing_indicator_width,
    "select_columns": _select_columns_width,
    "iterative_imputer": _iterative_imputer_width,
}
#: ... and after them, on their values
_AFTER_TENSORS = {
    "polynomial_features": _polynomial_powers,
    "kbins_discretizer": _kbins_edges,
    "quantile_transformer": _quantile_tables,
    "spline_transformer": _spline_knots,
    "missing_indicator": _missing_indicator_features,
    "select_columns": _select_columns_kept,
    "iterative_imputer": _iterative_imputer_rounds,
    "tree_embedding": _tree_embedding_trees,
}


def _check_verification_texts(ver, vin, rows, inputs) -> None:
    """verification.texts (section 3.4): per free-text input, its text on each row; the input
    tensor's column holds the row's index."""
    texts = ver.get("texts", {})
    if not _is_obj(texts):
        _fail("format", "verification.texts is not an object")
    names = {inp.get("name"): j for j, inp in enumerate(inputs) if inp.get("kind") == "text"}
    for name in texts:
        if name not in names:
            _fail("format", f"verification.texts.{name}: no input of kind 'text' has this name")
    for name, j in names.items():
        docs = texts.get(name)
        nullable = inputs[j].get("nullable") is True
        if not _is_arr(docs) or len(docs) != rows or not all(_is_str(d) or (nullable and d is None) for d in docs):
            _fail("format", f"verification.texts.{name} must be an array of {rows} strings"
                            f"{' or nulls (missing)' if nullable else ''}")
        want = np.array([np.nan if d is None else i for i, d in enumerate(docs)], dtype=np.float64)
        if vin is not None and not np.array_equal(vin[:, j], want, equal_nan=True):
            _fail("format", f"verification.input column {j} ({name!r}) must hold each row's index into "
                            "verification.texts (NaN where the text is null)")


def _check_norm(where, params) -> None:
    if "norm" not in params or params["norm"] not in (None, "l1", "l2"):
        _fail("format", f"{where}: params.norm {params.get('norm')!r} is not null, l1 or l2")


def _utf8_strings(where, role, data, offsets, n, distinct=True) -> List[str]:
    """A string list (docs/format.md 4.45): offsets start at 0, never decrease, end at the byte
    count; every string valid UTF-8; distinct when asked."""
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0) or offsets[-1] != data.size:
        _fail("format", f"{where}: tensor '{role}_offsets' must rise from 0 to the byte count of '{role}_bytes'")
    raw = data.tobytes()
    out = []
    for i in range(n):
        try:
            out.append(raw[int(offsets[i]): int(offsets[i + 1])].decode("utf-8"))
        except UnicodeDecodeError:
            _fail("format", f"{where}: string {i} of '{role}' is not valid UTF-8")
    if distinct and len(set(out)) != len(out):
        _fail("format", f"{where}: '{role}' repeats a string")
    return out


def _code_point_ranges(where, role, r) -> None:
    if r.size and (np.any(r[:, 0] > r[:, 1]) or np.any(r[1:, 0] <= r[:-1, 1]) or r[0, 0] < 0 or r[-1, 1] > 0x10FFFF):
        _fail("format", f"{where}: tensor '{role}' must hold sorted, disjoint code point ranges [lo, hi] within "
                        "[0, 0x10FFFF]")


def _code_point_map(where, prefix, frm, offsets, to) -> None:
    if np.any(np.diff(frm) <= 0) or (frm.size and (frm[0] < 0 or frm[-1] > 0x10FFFF)):
        _fail("format", f"{where}: tensor '{prefix}_from' must be strictly increasing code points")
    if offsets[0] != 0 or np.any(np.diff(offsets) < 0) or offsets[-1] != to.size:
        _fail("format", f"{where}: tensor '{prefix}_offsets' must rise from 0 to the length of '{prefix}_to'")
    if to.size and (np.any(to < 0) or np.any(to > 0x10FFFF) or np.any((to >= 0xD800) & (to <= 0xDFFF))):
        _fail("format", f"{where}: tensor '{prefix}_to' holds a value that is not a Unicode scalar value")


def _check_text_vectorizer(where, step, tensors, table, referenced, text, kind="text_vectorizer"):
    """Sections 4.45 and, for kind hashing_vectorizer (the same tokenizer, no vocabulary), 4.54."""
    if step["n_features_in"] != 1 or text != ["free"]:
        _fail("format", f"{where}: a {kind} takes exactly one column, of kind 'text'")
    params, st = step["params"], step["tensors"]
    _check_params(where, kind, params)
    word = params["analyzer"] == "word"
    for key in ("token_class", "token_min_length", "stop_words"):
        if (key in params) != word:
            _fail("format", f"{where}: params.{key} is {'missing' if word else 'present'}; it goes with analyzer "
                            "'word' only")
    if word:
        if params["token_class"] not in ("word", "nonspace"):
            _fail("format", f"{where}: params.token_class {params['token_class']!r} is not one of word, nonspace")
        if not _within(params["token_min_length"], {"min": 1, "max": LIMITS["max_token_min_length"]}):
            _fail("format", f"{where}: params.token_min_length must be an integer in [1, {LIMITS['max_token_min_length']}]")
        if not _is_bool(params["stop_words"]):
            _fail("format", f"{where}: params.stop_words is missing or not a boolean")
    rng = params.get("ngram_range")
    if not (_is_arr(rng) and len(rng) == 2 and all(_is_int(v) for v in rng)
            and 1 <= rng[0] <= rng[1] <= LIMITS["max_ngram"]):
        _fail("format", f"{where}: params.ngram_range must be [min_n, max_n] with 1 <= min_n <= max_n <= "
                        f"{LIMITS['max_ngram']}")
    if params.get("strip_accents", 0) not in (None, "ascii", "unicode"):
        _fail("format", f"{where}: params.strip_accents {params.get('strip_accents')!r} is not null, ascii or unicode")
    _check_norm(where, params)

    def ref(role, required, **derived):
        return _spec_ref(where, step, role, tensors, table, referenced, required, **derived)

    def size(role):
        r = st.get(role)
        shape = table[r]["shape"] if _is_str(r) and r in table else None
        if not (_is_arr(shape) and len(shape) >= 1):
            _fail("format", f"{where}: tensor '{role}' is missing")
        return shape[0]

    n = step["n_features_out"]
    if kind == "text_vectorizer":
        data = ref("vocabulary_bytes", True, n_bytes=size("vocabulary_bytes"))
        offsets = ref("vocabulary_offsets", True)
        _utf8_strings(where, "vocabulary", data, offsets, n)
    elif not 1 <= n <= 2**31 - 1:
        _fail("format", f"{where}: n_features_out must be in [1, 2**31 - 1] (a 32-bit hash picks the column)")
    stop = word and params["stop_words"]
    for role in ("stop_bytes", "stop_offsets"):
        if role in st and not stop:
            _fail("format", f"{where}: tensor '{role}' present without params.stop_words")
    if stop:
        sdata = ref("stop_bytes", True, n_stop_bytes=size("stop_bytes"))
        soff = ref("stop_offsets", True, n_stop=size("stop_offsets") - 1)
        _utf8_strings(where, "stop", sdata, soff, soff.size - 1)
    use_word = word and params["token_class"] == "word"
    for role, wanted in (("word_ranges", use_word), ("space_ranges", not use_word),
                         *((r, params["lowercase"]) for r in ("lower_from", "lower_offsets", "lower_to", "cased_ranges",
                                                              "case_ignorable_ranges")),
                         *((r, params["strip_accents"] is not None) for r in ("accent_from", "accent_offsets",
                                                                               "accent_to"))):
        if (role in st) != wanted:
            _fail("format", f"{where}: tensor '{role}' must be present exactly when the parameters use it "
                            "(docs/format.md 4.45)")
    for role in ("word_ranges", "space_ranges", "cased_ranges", "case_ignorable_ranges"):
        if role in st:
            _code_point_ranges(where, role, ref(role, True, k=size(role)))
    for prefix in ("lower", "accent"):
        if f"{prefix}_from" in st:
            m = size(f"{prefix}_from")
            frm = ref(f"{prefix}_from", True, m=m)
            off = ref(f"{prefix}_offsets", True, m=m)
            to = ref(f"{prefix}_to", True, n_mapped=size(f"{prefix}_to"))
            _code_point_map(where, prefix, frm, off, to)
    if kind == "text_vectorizer":
        if ("idf" in st) != bool(params["use_idf"]):
            _fail("format", f"{where}: tensor 'idf' must be present exactly when params.use_idf")
        ref("idf", bool(params["use_idf"]))
    _check_unknown_refs(where, st, tuple(STEPS[kind]["tensors"]), table, referenced)


def _check_linear(where, step, tensors, table, referenced, task, n_outputs) -> int:
    _check_params(where, "linear", step["params"])
    _step_tensors(where, "linear", step, tensors, table, referenced)
    k, link = step["n_features_out"], step["params"]["link"]
    if task == "regression":
        if link not in ("identity", "exp"):
            _fail("format", f"{where}: link '{link}' is not valid for regression")
        if k != n_outputs:
            _fail("format", f"{where}: k = {k} != schema.n_outputs {n_outputs}")
        if link == "exp" and k != 1:
            _fail("format", f"{where}: link 'exp' takes one score, not {k}")
    else:
        c = n_outputs
        ok = (
            (link == "logistic" and k == 1 and c == 2)
            or (link in ("softmax", "modified_huber", "none") and ((k == 1 and c == 2) or (k == c and c > 2)))
            or (link == "ovr" and k == c and c > 2)
        )
        if not ok:
            _fail("format", f"{where}: link does not match the number of scores n_features_out "
                            f"(link '{link}' with k = {k} is not valid for {c} classes)")
    return k


def _check_quadratic_discriminant(where, step, tensors, table, referenced, task, n_outputs) -> int:
    _check_params(where, "quadratic_discriminant", step["params"])
    params = step["params"]
    c, rank, link = params["n_classes"], params["rank"], params["link"]
    if rank > step["n_features_in"]:
        _fail("format", f"{where}: params.rank {rank} exceeds n_features_in {step['n_features_in']}")
    _step_tensors(where, "quadratic_discriminant", step, tensors, table, referenced)
    k = step["n_features_out"]
    if task != "classification":
        _fail("format", f"{where}: quadratic_discriminant is a classifier, but schema.task is {task}")
    if c != n_outputs:
        _fail("format", f"{where}: params.n_classes {c} != schema.n_outputs {n_outputs}")
    if not ((c == 2 and k == 1 and link == "softmax_pair") or (c > 2 and k == c and link == "softmax")):
        _fail("format", f"{where}: link '{link}' with k = {k} is not valid for {c} classes "
                        "(softmax_pair with one score for two classes, softmax with one per class)")
    return k


def _check_support_vector(where, step, tensors, table, referenced, task, n_outputs, schema) -> int:
    """docs/format.md 4.23: a kernel support vector machine."""
    _check_params(where, "support_vector", step["params"])
    params = step["params"]
    c, n_sv, link = params["n_classes"], params["n_sv"], params["link"]
    pairs = 1 if c == 1 else c * (c - 1) // 2
    arrays = _step_tensors(where, "support_vector", step, tensors, table, referenced,
                           {"n_dual": max(c - 1, 1), "n_pairs": pairs})
    counts = arrays["n_support"]
    if np.any(counts < 0) or int(counts.sum()) != n_sv:
        _fail("format", f"{where}: tensor 'n_support' does not add up to params.n_sv {n_sv}")
    k = step["n_features_out"]
    if c == 1:
        want = ("identity",) if task == "regression" else ("isolation",)
        ok = link in want and k == 1 and n_outputs == (1 if task == "regression" else 2)
        classes = schema.get("classes") or {}
        if ok and link == "isolation" and (classes.get("dtype") != "int64" or classes.get("values") != [-1, 1]):
            _fail("format", f"{where}: link 'isolation' needs classes int64 [-1, 1]")
    else:
        ok = task == "classification" and c == n_outputs and (
            (c == 2 and link == "ovo_votes" and k == 1)
            or (c > 2 and link == "ovo_votes" and k == pairs)
            or (c > 2 and link in ("ovr_votes", "none") and k == c)
        )
    if not ok:
        _fail("format", f"{where}: link '{link}' with k = {k} and n_classes {c} does not match a {task} with "
                        f"{n_outputs} outputs (one class: identity or isolation, one score; two: ovo_votes, one "
                        "score; more: ovo_votes with one score per pair, ovr_votes or none with one per class)")
    return k


def _check_naive_bayes(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """discrete_naive_bayes, gaussian_naive_bayes, categorical_naive_bayes (sections 4.24 to
    4.26): one score per class, the logsumexp link implied by the type."""
    stype = step["type"]
    _check_params(where, stype, step["params"])
    c = step["params"]["n_classes"]
    env = None
    if stype == "categorical_naive_bayes":
        counts = _spec_ref(where, step, "n_categories", tensors, table, referenced)
        if np.any(counts < 1) or np.any(counts > spec.LIMITS["max_categories"]):
            _fail("format", f"{where}: tensor 'n_categories' must hold values between 1 and "
                            f"{spec.LIMITS['max_categories']}")
        env = {"N": int(counts.sum())}
    _step_tensors(where, stype, step, tensors, table, referenced, env)
    if task != "classification":
        _fail("format", f"{where}: {stype} is a classifier, but schema.task is {task}")
    if c != n_outputs:
        _fail("format", f"{where}: params.n_classes {c} != schema.n_outputs {n_outputs}")
    if step["n_features_out"] != c:
        _fail("format", f"{where}: n_features_out {step['n_features_out']} != params.n_classes {c}")
    return c


NAIVE_BAYES_TYPES = ("discrete_naive_bayes", "gaussian_naive_bayes", "categorical_naive_bayes")


#: covariance -> the tensors of its quadratic form (section 4.29); the others must be absent
_MIXTURE_TENSORS = {"full": ("prec_chol", "mean_prec"), "diag": ("const", "weights", "precisions"),
                    "spherical": ("const", "weights", "precision")}


def _check_gaussian_mixture(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """gaussian_mixture (section 4.29): components as classes 0 .. k-1, one score each."""
    _check_params(where, "gaussian_mixture", step["params"])
    k, cov = step["params"]["n_components"], step["params"]["covariance"]
    arrays = _step_tensors(where, "gaussian_mixture", step, tensors, table, referenced)
    for role in ("prec_chol", "mean_prec", "const", "weights", "precisions", "precision"):
        if (arrays[role] is not None) != (role in _MIXTURE_TENSORS[cov]):
            _fail("format", f"{where}: tensor '{role}' must be present exactly when params.covariance is one of "
                            f"{', '.join(c for c, r in _MIXTURE_TENSORS.items() if role in r)}")
    if task != "classification":
        _fail("format", f"{where}: gaussian_mixture predicts components, but schema.task is {task}")
    if k != n_outputs or step["n_features_out"] != k:
        _fail("format", f"{where}: params.n_components {k}, n_features_out {step['n_features_out']} and "
                        f"schema.n_outputs {n_outputs} must be equal")
    return k


def _check_mlp(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """mlp (section 4.41): layer widths chain from n_features_in to n_features_out."""
    _check_params(where, "mlp", step["params"])
    sizes = step["params"].get("hidden_sizes")
    if not (_is_arr(sizes) and all(_within(v, {"min": 1, "max": "max_width"}) for v in sizes)):
        _fail("format", f"{where}: params.hidden_sizes must be an array of integers in [1, {spec.LIMITS['max_width']}]")
    widths = [step["n_features_in"], *sizes, step["n_features_out"]]
    n_weights = sum(a * b for a, b in zip(widths, widths[1:]))
    _step_tensors(where, "mlp", step, tensors, table, referenced, {"n_weights": n_weights})
    k, link = step["n_features_out"], step["params"]["link"]
    if task == "regression":
        ok = link in ("identity", "logistic") and k == n_outputs
    else:
        ok = (link == "logistic" and k == 1 and n_outputs == 2) or (link == "softmax" and k == n_outputs and k > 2)
    if not ok:
        _fail("format", f"{where}: link '{link}' with k = {k} does not match a {task} with {n_outputs} outputs "
                        "(regression: identity or logistic, one score per output; two classes: logistic, one "
                        "score; more: softmax, one score per class)")
    return k


def _check_nearest_neighbors(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """nearest_neighbors (section 4.42): stored rows with a class index or target values each."""
    _check_params(where, "nearest_neighbors", step["params"])
    params = step["params"]
    ref = step["tensors"].get("train")
    entry = table.get(ref) if _is_str(ref) else None
    if entry is None or not _is_arr(entry.get("shape")) or len(entry["shape"]) != 2:
        _fail("format", f"{where}: tensor 'train' is missing or not a matrix")
    n = entry["shape"][0]
    arrays = _step_tensors(where, "nearest_neighbors", step, tensors, table, referenced, {"N": n})
    k, c = params["n_neighbors"], step["n_features_out"]
    if params["p"] < 1:
        _fail("format", f"{where}: params.p must be >= 1")
    if not 1 <= k <= n:
        _fail("format", f"{where}: params.n_neighbors {k} must be between 1 and the {n} stored rows")
    if task == "classification":
        ok = params["link"] in ("probability", "none") and c == n_outputs and c >= 2
        if arrays["labels"] is None or arrays["values"] is not None:
            _fail("format", f"{where}: a classifier has tensor 'labels' and no 'values'")
        if np.any(arrays["labels"] < 0) or np.any(arrays["labels"] >= c):
            _fail("format", f"{where}: tensor 'labels' holds a class index outside [0, {c})")
    else:
        ok = params["link"] == "identity" and c == n_outputs
        if arrays["values"] is None or arrays["labels"] is not None:
            _fail("format", f"{where}: a regressor has tensor 'values' and no 'labels'")
    if not ok:
        _fail("format", f"{where}: link '{params['link']}' with n_features_out {c} does not match a {task} with "
                        f"{n_outputs} outputs (classification: probability or none, one score per class; "
                        "regression: identity, one per output)")
    return c


def _check_local_outlier_factor(where, step, tensors, table, referenced, task, n_outputs, schema) -> int:
    """local_outlier_factor (section 4.43): one score, decision_function; classes [-1, 1]."""
    _check_params(where, "local_outlier_factor", step["params"])
    params = step["params"]
    ref = step["tensors"].get("train")
    entry = table.get(ref) if _is_str(ref) else None
    if entry is None or not _is_arr(entry.get("shape")) or len(entry["shape"]) != 2:
        _fail("format", f"{where}: tensor 'train' is missing or not a matrix")
    n = entry["shape"][0]
    arrays = _step_tensors(where, "local_outlier_factor", step, tensors, table, referenced, {"N": n})
    if params["p"] < 1:
        _fail("format", f"{where}: params.p must be >= 1")
    if not 1 <= params["n_neighbors"] <= n:
        _fail("format", f"{where}: params.n_neighbors {params['n_neighbors']} must be between 1 and the {n} stored rows")
    if np.any(arrays["k_distance"] < 0):
        _fail("format", f"{where}: tensor 'k_distance' has a negative value")
    classes = schema.get("classes") or {}
    if (task != "classification" or n_outputs != 2 or step["n_features_out"] != 1
            or classes.get("dtype") != "int64" or classes.get("values") != [-1, 1]):
        _fail("format", f"{where}: local_outlier_factor has one score and the classes int64 [-1, 1]")
    return 1


def _check_radius_neighbors(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """radius_neighbors (section 4.44): stored rows with a class index or target values each, a
    radius >= 0, an outlier class (-1: none; always -1 for a regressor)."""
    _check_params(where, "radius_neighbors", step["params"])
    params = step["params"]
    ref = step["tensors"].get("train")
    entry = table.get(ref) if _is_str(ref) else None
    if entry is None or not _is_arr(entry.get("shape")) or len(entry["shape"]) != 2:
        _fail("format", f"{where}: tensor 'train' is missing or not a matrix")
    n = entry["shape"][0]
    if n < 1:
        _fail("format", f"{where}: tensor 'train' must hold at least one stored row")
    arrays = _step_tensors(where, "radius_neighbors", step, tensors, table, referenced, {"N": n})
    c, outlier = step["n_features_out"], params["outlier_class"]
    if params["p"] < 1:
        _fail("format", f"{where}: params.p must be >= 1")
    if params["radius"] < 0:
        _fail("format", f"{where}: params.radius must be >= 0")
    if task == "classification":
        ok = params["link"] == "probability" and c == n_outputs and c >= 2
        if arrays["labels"] is None or arrays["values"] is not None:
            _fail("format", f"{where}: a classifier has tensor 'labels' and no 'values'")
        if np.any(arrays["labels"] < 0) or np.any(arrays["labels"] >= c):
            _fail("format", f"{where}: tensor 'labels' holds a class index outside [0, {c})")
        if not -1 <= outlier < c:
            _fail("format", f"{where}: params.outlier_class {outlier} is neither -1 nor a class index in [0, {c})")
    else:
        ok = params["link"] == "identity" and c == n_outputs
        if arrays["values"] is None or arrays["labels"] is not None:
            _fail("format", f"{where}: a regressor has tensor 'values' and no 'labels'")
        if outlier != -1:
            _fail("format", f"{where}: params.outlier_class must be -1 for a regressor")
    if not ok:
        _fail("format", f"{where}: link '{params['link']}' with n_features_out {c} does not match a {task} with "
                        f"{n_outputs} outputs (classification: probability, one score per class; "
                        "regression: identity, one per output)")
    return c


def _check_nearest_center(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """nearest_center (section 4.28): a clusterer's labels as classes 0 .. k-1, link none."""
    _check_params(where, "nearest_center", step["params"])
    k = step["params"]["n_clusters"]
    _step_tensors(where, "nearest_center", step, tensors, table, referenced)
    if task != "classification":
        _fail("format", f"{where}: nearest_center predicts cluster labels, but schema.task is {task}")
    if k != n_outputs or step["n_features_out"] != k:
        _fail("format", f"{where}: params.n_clusters {k}, n_features_out {step['n_features_out']} and "
                        f"schema.n_outputs {n_outputs} must be equal")
    return k


def _check_verification(ver, tensors, table, referenced, n_inputs, task, n_outputs, k, has_proba=True, inputs=()):
    if not _is_obj(ver):
        _fail("format", "'verification' is not an object")
    rows = ver.get("rows")
    if not _is_int(rows) or rows < 1:
        _fail("format", "verification.rows is missing or not an integer >= 1")
    if rows > LIMITS["max_verification_rows"]:
        _fail("format", "verification.rows is out of range")
    for key in ("rtol", "atol"):
        v = ver.get(key)
        if not _is_num(v) or v < 0:
            _fail("format", f"verification.{key} is missing or not a number >= 0")
    vin = _tensor_ref("verification", ver, "input", tensors, table, referenced, "float64", [rows, n_inputs], True)
    _check_verification_texts(ver, vin, rows, inputs)
    outputs = ver.get("outputs")
    if not _is_obj(outputs):
        _fail("format", "verification.outputs is missing or not an object")
    where = "verification.outputs"
    if task == "regression":
        _tensor_ref(where, outputs, "predict", tensors, table, referenced, "float64", [rows, n_outputs], True)
        for output in ("predict_proba", "decision_function"):
            if output in outputs:
                _fail("format", f"{where}: {output} given for a regressor")
    else:
        pred = _tensor_ref(where, outputs, "predict", tensors, table, referenced, "int64", [rows], True)
        if pred is not None and not np.all((pred >= 0) & (pred < n_outputs)):
            _fail("format", f"{where}: predict holds a class index outside [0, {n_outputs})")
        _tensor_ref(where, outputs, "predict_proba", tensors, table, referenced, "float64", [rows, n_outputs], has_proba)
        _tensor_ref(where, outputs, "decision_function", tensors, table, referenced, "float64", [rows, k], False)
    _check_unknown_refs(where, outputs, VERIFICATION_OUTPUTS, table, referenced)


def _check_explain(section, tensors, table, referenced, width, inputs):
    if not _is_obj(section):
        _fail("format", "'explain' is not an object")
    mean = _tensor_ref("explain", section, "background_mean", tensors, table, referenced, "float64", [width], False)
    if mean is not None and not np.all(np.isfinite(mean)):
        _fail("format", f"explain: background_mean holds a non-finite value at index {int(np.argmin(np.isfinite(mean)))}")
    if ("background" in section) != ("background_weights" in section):
        _fail("format", "explain: background and background_weights come together")
    if "background" not in section:
        return
    if any(col.get("kind") == "text" for col in inputs):
        _fail("format", "explain: background rows cannot hold free text (an input of kind 'text')")
    ref = section["background"]
    shape = table[ref]["shape"] if _is_str(ref) and ref in table else []
    rows = shape[0] if len(shape) == 2 else -1
    if not 1 <= rows <= MAX_BACKGROUND_ROWS:
        _fail("format", f"explain: background must be float64 [B, {len(inputs)}] with 1 <= B <= {MAX_BACKGROUND_ROWS}")
    bg = _tensor_ref("explain", section, "background", tensors, table, referenced, "float64", [rows, len(inputs)], True)
    w = _tensor_ref("explain", section, "background_weights", tensors, table, referenced, "float64", [rows], True)
    for j, col in enumerate(inputs):
        v = bg[:, j]
        missing = np.isnan(v)
        bad = missing & (not col.get("nullable", False))
        if col.get("kind") == "categorical":
            n = len(col.get("categories", []))
            bad |= ~missing & ~((v >= 0) & (v < n) & (np.floor(v) == v))
        else:
            bad |= np.isinf(v)
        if bad.any():
            r = int(np.argmax(bad))
            _fail("format", f"explain: background row {r} holds {v[r]!r} for input {col.get('name')!r}, which it cannot take")
    if not (np.all(np.isfinite(w)) and np.all(w > 0)) or abs(float(w.sum()) - 1.0) > LIMITS["background_weights_tolerance"]:
        _fail("format", "explain: background_weights must be finite, > 0 and sum to 1")


def _check_baseline_values(where, e, rows, bins):
    """One numeric column or output of the baseline section (docs/format.md 3.6)."""
    if not _is_obj(e):
        _fail("format", f"{where} is not an object")
    count, missing = e.get("count"), e.get("missing")
    if not (_is_int(count) and _is_int(missing) and count >= 0 and missing >= 0 and count + missing == rows):
        _fail("format", f"{where}: count and missing must be integers >= 0 adding up to baseline.rows ({rows})")
    keys = ("mean", "std", "min", "max")
    edges, counts = e.get("edges"), e.get("counts")
    if count == 0:
        if any(e.get(k) is not None for k in keys) or edges != [] or counts != []:
            _fail("format", f"{where}: a column without values has null statistics and no bins")
        return
    if not all(_is_num(e.get(k)) for k in keys) or e["std"] < 0 or e["min"] > e["max"]:
        _fail("format", f"{where}: mean, std, min, max must be numbers, std >= 0, min <= max")
    if not (_is_arr(edges) and 1 <= len(edges) <= bins + 1 and all(_is_num(v) for v in edges)):
        _fail("format", f"{where}: edges must be 1 to bins + 1 ({bins + 1}) numbers")
    if any(not a < b for a, b in zip(edges, edges[1:])) or edges[0] != e["min"] or edges[-1] != e["max"]:
        _fail("format", f"{where}: edges must increase strictly from min to max")
    if not (_is_arr(counts) and len(counts) == max(len(edges) - 1, 1) and all(_is_int(c) and c >= 0 for c in counts)):
        _fail("format", f"{where}: counts must be one integer >= 0 per bin ({max(len(edges) - 1, 1)})")
    if sum(counts) != count:
        _fail("format", f"{where}: counts add up to {sum(counts)}, not count ({count})")


def _check_baseline(section, schema, task, n_outputs, k, has_proba):
    if not _is_obj(section):
        _fail("format", "'baseline' is not an object")
    rows, bins = section.get("rows"), section.get("bins")
    if not (_is_int(rows) and 1 <= rows <= 2**40):
        _fail("format", "baseline.rows must be an integer in [1, 2^40]")
    if not (_is_int(bins) and 1 <= bins <= LIMITS["max_baseline_bins"]):
        _fail("format", f"baseline.bins must be an integer in [1, {LIMITS['max_baseline_bins']}]")
    inputs = section.get("inputs")
    if not (_is_arr(inputs) and len(inputs) == len(schema["inputs"])):
        _fail("format", "baseline.inputs must hold one entry per schema input")
    for j, (e, col) in enumerate(zip(inputs, schema["inputs"])):
        where = f"baseline.inputs[{j}]"
        if not _is_obj(e) or e.get("name") != col["name"]:
            _fail("format", f"{where}: name must be {col['name']!r}, the schema input it describes")
        if col["kind"] == "numeric":
            _check_baseline_values(where, e, rows, bins)
            continue
        count, missing, other, cats = e.get("count"), e.get("missing"), e.get("other"), e.get("categories")
        if not (_is_int(count) and _is_int(missing) and count >= 0 and missing >= 0 and count + missing == rows):
            _fail("format", f"{where}: count and missing must be integers >= 0 adding up to baseline.rows ({rows})")
        if not (_is_arr(cats) and len(cats) <= LIMITS["max_baseline_categories"]):
            _fail("format", f"{where}: categories must be an array of at most {LIMITS['max_baseline_categories']}")
        known = set(col.get("categories", []))
        seen = set()
        for c in cats:
            if not (_is_obj(c) and _is_str(c.get("value")) and c["value"] in known and c["value"] not in seen
                    and _is_int(c.get("count")) and c["count"] >= 1):
                _fail("format", f"{where}: categories must be distinct schema categories with counts >= 1")
            seen.add(c["value"])
        if not (_is_int(other) and other >= 0 and other + sum(c["count"] for c in cats) == count):
            _fail("format", f"{where}: the category counts and other must add up to count ({count})")
    outputs = section.get("outputs")
    if not _is_arr(outputs):
        _fail("format", "baseline.outputs must be an array")
    sources = {"predict": n_outputs} if task == "regression" else \
        {"decision_function": k, **({"predict_proba": n_outputs} if has_proba else {})}
    names = set()
    for j, e in enumerate(outputs):
        where = f"baseline.outputs[{j}]"
        if not (_is_obj(e) and _is_str(e.get("name")) and e["name"] and e["name"] not in names):
            _fail("format", f"{where}: name must be a distinct non-empty string")
        names.add(e["name"])
        if e.get("source") not in sources or not (_is_int(e.get("index")) and 0 <= e["index"] < sources[e["source"]]):
            _fail("format", f"{where}: source and index must name a column of one of {sorted(sources)}")
        _check_baseline_values(where, e, rows, bins)
        if e["missing"] != 0:
            _fail("format", f"{where}: an output has no missing values")
    classes = section.get("classes")
    if task == "classification":
        if not (_is_arr(classes) and len(classes) == n_outputs and all(_is_int(c) and c >= 0 for c in classes)
                and sum(classes) == rows):
            _fail("format", f"baseline.classes must be {n_outputs} integers >= 0 adding up to baseline.rows")
    elif classes is not None:
        _fail("format", "baseline.classes must be absent for a regressor")


def _at_node(where, off, g, message):
    """A format error naming the tree and the local node of global node ``g``."""
    t = int(np.searchsorted(off, g, side="right") - 1)
    _fail("format", f"{where}: tree {t}, node {int(g - off[t])}: {message}")


def _check_tree_ensemble(where, step, tensors, table, referenced, task, n_outputs, schema) -> int:
    """docs/format.md section 4.17, vectorised so that 1000-tree models load fast."""
    n_in, k = step["n_features_in"], step["n_features_out"]
    params, st = step["params"], step["tensors"]
    _check_params(where, "tree_ensemble", params)
    T, w, aggregation, missing, link = (params[key] for key in ("n_trees", "leaf_width", "aggregation", "missing", "link"))
    if params["accumulate"] == "float32" and aggregation != "sum":
        _fail("format", f"{where}: accumulate float32 needs aggregation sum")
    if link == "isolation":
        iso = params.get("isolation")
        if not _is_obj(iso):
            _fail("format", f"{where}: params.isolation is required with link 'isolation'")
        offset, scale = _finite_number(iso.get("offset")), _finite_number(iso.get("scale"))
        if offset is None or scale is None or not scale > 0:
            _fail("format", f"{where}: params.isolation needs a finite offset and a finite scale > 0")
    elif "isolation" in params:
        _fail("format", f"{where}: params.isolation is only valid with link 'isolation'")
    if k % w != 0:
        _fail("format", f"{where}: n_features_out {k} is not a multiple of leaf_width {w}")
    G = k // w

    roles = STEPS["tree_ensemble"]["tensors"]

    def ref(role, required=True, **derived):
        return _spec_ref(where, step, role, tensors, table, referenced, required, **derived)

    off = ref("tree_offsets")
    if off[0] != 0:
        _fail("format", f"{where}: tree_offsets[0] must be 0")
    bad = np.flatnonzero((np.diff(off) <= 0) | (off[1:] > MAX_TREE_NODES))
    if bad.size:
        _fail("format", f"{where}: tree {int(bad[0])}: tree_offsets must increase strictly (each tree has a node) "
                        "and stay below 2^31")
    N = int(off[-1])
    group = ref("tree_group")
    bad = np.flatnonzero((group < 0) | (group >= G))
    if bad.size:
        _fail("format", f"{where}: tree {int(bad[0])}: output group {int(group[bad[0]])} outside [0, {G})")
    feature = ref("feature", N=N)
    threshold = ref("threshold", N=N)
    left = ref("left", N=N)
    right = ref("right", N=N)
    default_left = ref("default_left", missing == "default_left", N=N)
    if missing != "default_left" and "default_left" in st:
        _fail("format", f"{where}: tensor 'default_left' present although params.missing is '{missing}'")
    cover = ref("cover", N=N)
    value = ref("value", N=N)
    base = ref("base_score")
    if np.any(cover < 0):
        _at_node(where, off, int(np.argmax(cover < 0)), "cover is negative")
    if default_left is not None and np.any(default_left > 1):
        _at_node(where, off, int(np.argmax(default_left > 1)), "default_left is not 0 or 1")

    leaf = feature == -1
    bad = np.flatnonzero((feature < -1) | (feature >= n_in))
    if bad.size:
        _at_node(where, off, bad[0], f"feature {int(feature[bad[0]])} outside [0, {n_in}) (or -1 at a leaf)")
    bad = np.flatnonzero(leaf & ((left != -1) | (right != -1)))
    if bad.size:
        _at_node(where, off, bad[0], "a leaf (feature -1) has children")
    tree_of = np.repeat(np.arange(T), np.diff(off))
    local = np.arange(N) - off[tree_of]
    size = np.diff(off)[tree_of]
    inner = ~leaf
    for role, child in (("left", left), ("right", right)):
        bad = np.flatnonzero(inner & ((child <= local) | (child >= size)))
        if bad.size:
            _at_node(where, off, bad[0], f"{role} child {int(child[bad[0]])} is not after its parent within the tree")
    for role, child in (("left", left), ("right", right)):
        g = off[tree_of] + child
        bad = np.flatnonzero(inner & (cover[np.where(inner, g, 0)] > cover * COVER_SLACK))
        if bad.size:
            c = g[bad[0]]
            _at_node(where, off, c, f"cover {cover[c]!r} exceeds its parent's {cover[bad[0]]!r}")
    children = np.concatenate([(off[tree_of] + left)[inner], (off[tree_of] + right)[inner]])
    parents = np.bincount(children, minlength=N)
    bad = np.flatnonzero(parents != np.where(local == 0, 0, 1))
    if bad.size:
        g = bad[0]
        _at_node(where, off, g, f"is the child of {int(parents[g])} nodes (every non-root node has exactly one parent)")
    # depth: parents come before children, so one pass per level from the roots
    frontier = off[:-1]
    depth = 0
    while frontier.size:
        frontier = frontier[inner[frontier]]
        if not frontier.size:
            break
        depth += 1
        if depth > MAX_TREE_DEPTH:
            _at_node(where, off, frontier[0], f"the tree is deeper than {MAX_TREE_DEPTH}")
        frontier = np.concatenate([off[tree_of[frontier]] + left[frontier], off[tree_of[frontier]] + right[frontier]])

    cat = ref("categorical", False, N=N)
    if cat is not None:
        if "category_offsets" not in st or "category_bits" not in st:
            _fail("format", f"{where}: tensors 'category_offsets' and 'category_bits' are required with 'categorical'")
        c_entry = table.get(st["category_offsets"]) if _is_str(st["category_offsets"]) else None
        b_entry = table.get(st["category_bits"]) if _is_str(st["category_bits"]) else None
        C = c_entry["shape"][0] - 1 if c_entry and len(c_entry["shape"]) == 1 and c_entry["shape"][0] >= 1 else 0
        B = b_entry["shape"][0] if b_entry and len(b_entry["shape"]) == 1 else 0
        coff = ref("category_offsets", C=C)
        ref("category_bits", B=B)
        if coff[0] < 0 or coff[-1] > B or np.any(np.diff(coff) < 0):
            _fail("format", f"{where}: tensor 'category_offsets' must be non-decreasing within [0, {B}]")
        bad = np.flatnonzero((cat < -1) | (cat >= C))
        if bad.size:
            _at_node(where, off, bad[0], f"category set {int(cat[bad[0]])} outside [0, {C}) (or -1)")
        bad = np.flatnonzero(leaf & (cat != -1))
        if bad.size:
            _at_node(where, off, bad[0], "a leaf has a category set")
    else:
        for role in ("category_offsets", "category_bits"):
            if role in st:
                _fail("format", f"{where}: tensor '{role}' present without tensor 'categorical'")
    _check_unknown_refs(where, st, tuple(roles), table, referenced)

    if task == "regression":
        ok = (link == "identity" and k == n_outputs) or (link in ("exp", "logistic") and k == 1 and n_outputs == 1)
    else:
        c = n_outputs
        ok = (
            (link == "logistic" and k == 1 and c == 2)
            or (link == "softmax" and k == c and c > 2)
            or (link == "probability" and k == c)
            or (link == "isolation" and k == 1 and c == 2)
        )
        if ok and link == "isolation":
            classes = schema.get("classes") or {}
            if classes.get("dtype") != "int64" or classes.get("values") != [-1, 1]:
                _fail("format", f"{where}: link 'isolation' needs classes int64 [-1, 1]")
    if not ok:
        _fail("format", f"{where}: link '{link}' with k = {k} is not valid for {task} with {n_outputs} outputs")
    return k


def _column_values(where, role, idx, n) -> None:
    """Strictly increasing column indices in [0, n)."""
    for t, v in enumerate(idx):
        if not 0 <= v < n:
            _fail("format", f"{where}: tensor '{role}' has {int(v)} at [{t}], outside [0, {n})")
        if t > 0 and v <= idx[t - 1]:
            _fail("format", f"{where}: tensor '{role}' is not strictly increasing at [{t}]")



def _check_simple_imputer(where, step, tensors, table, referenced, text):
    n, n_out = step["n_features_in"], step["n_features_out"]
    params, st = step["params"], step["tensors"]
    strategy = params.get("strategy")
    if not _is_str(strategy):
        _fail("format", f"{where}: params.strategy is missing or not a string")
    if strategy not in IMPUTER_STRATEGIES:
        _fail("format", f"{where}: unknown strategy '{strategy}' (expected {', '.join(IMPUTER_STRATEGIES)})")
    if not _is_bool(params.get("add_indicator")):
        _fail("format", f"{where}: params.add_indicator is missing or not a boolean")
    keep = _spec_ref(where, step, "keep", tensors, table, referenced)
    _spec_ref(where, step, "statistics", tensors, table, referenced)
    text_fill = params.get("text_fill")
    if text_fill is not None and not (_is_arr(text_fill) and len(text_fill) == n):
        _fail("format", f"{where}: params.text_fill is not an array of n_features_in entries")
    for j, v in enumerate(keep):
        if v not in (0, 1):
            _fail("format", f"{where}: tensor 'keep' has {int(v)} at [{j}], expected 0 or 1")
        if v == 0 and strategy == "constant":
            _fail("format", f"{where}: strategy 'constant' keeps every column, but tensor 'keep' has 0 at [{j}]")
        t = text_fill[j] if text_fill is not None else None
        if t is not None and not _is_str(t):
            _fail("format", f"{where}: params.text_fill[{j}] is not a string or null")
        if t is not None and not text[j]:
            _fail("format", f"{where}: params.text_fill[{j}] is a string but input column {j} is numeric")
        if text[j] and v == 1 and t is None:
            _fail("format", f"{where}: input column {j} holds text but params.text_fill[{j}] gives no text fill value")
    n_kept = int(np.sum(keep))
    if n_out < n_kept:
        _fail("format", f"{where}: n_features_out {n_out} is less than the {n_kept} kept columns")
    k = n_out - n_kept
    if ("indicator_features" in st) != params["add_indicator"]:
        _fail("format", f"{where}: tensor 'indicator_features' must be present exactly when add_indicator")
    if params["add_indicator"]:
        if k > n:
            _fail("format", f"{where}: n_features_out exceeds the kept columns plus one indicator per input column")
        _column_values(where, "indicator_features",
                       _spec_ref(where, step, "indicator_features", tensors, table, referenced, k=k), n)
    elif k != 0:
        _fail("format", f"{where}: n_features_out must equal the number of kept columns without add_indicator")
    _check_unknown_refs(where, st, ("keep", "statistics", "indicator_features"), table, referenced)
    # The kept columns are copies (section 4.15): a text column stays text.
    return [bool(text[j]) for j in range(n) if keep[j] == 1] + [False] * k


def _check_categories(where, step, tensors, table, referenced, text=None):
    """params.categories / params.missing and tensor numeric_categories (section 4.18);
    returns the number of categories of each column, missing category included."""
    n = step["n_features_in"]
    params, st = step["params"], step["tensors"]
    cats, missing = params.get("categories"), params.get("missing")
    if not (_is_arr(cats) and len(cats) == n):
        _fail("format", f"{where}: params.categories is missing or not an array of n_features_in entries")
    if not (_is_arr(missing) and len(missing) == n):
        _fail("format", f"{where}: params.missing is missing or not an array of n_features_in entries")
    counts, n_numeric, any_numeric = [], 0, False
    for j, (entry, miss) in enumerate(zip(cats, missing)):
        if miss is not None and not (_is_str(miss) and miss in MISSING_CATEGORIES):
            _fail("format", f"{where}: params.missing[{j}] is not null, \"nan\" or \"none\"")
        is_text = text is not None and j < len(text) and text[j]
        if _is_arr(entry):
            if not is_text:
                _fail("format", f"{where}: params.categories[{j}] holds text categories but input column {j} is numeric")
            if not all(_is_str(v) for v in entry):
                _fail("format", f"{where}: params.categories[{j}] holds a value that is not a string")
            if len(entry) > MAX_CATEGORIES:
                _fail("format", f"{where}: params.categories[{j}] has more than {MAX_CATEGORIES} categories")
            if len(set(entry)) != len(entry):
                _fail("format", f"{where}: params.categories[{j}] repeats a category")
            c = len(entry)
        elif _is_int(entry) and 0 <= entry <= MAX_CATEGORIES:
            if is_text:
                _fail("format", f"{where}: params.categories[{j}] holds numeric categories but input column {j} is text")
            any_numeric = True
            c = entry
            n_numeric += c
        else:
            _fail("format", f"{where}: params.categories[{j}] is neither an array of strings nor an integer in "
                            f"[0, {MAX_CATEGORIES}]")
        c += miss is not None
        if c == 0:
            _fail("format", f"{where}: column {j} has no category")
        counts.append(c)
    if not any_numeric and "numeric_categories" in st:
        _fail("format", f"{where}: tensor 'numeric_categories' present although no column has numeric categories")
    values = _spec_ref(where, step, "numeric_categories", tensors, table, referenced, any_numeric, n_numeric=n_numeric)
    pos = 0
    for j, entry in enumerate(cats):
        if _is_arr(entry):
            continue
        col = values[pos: pos + entry]
        bad = np.flatnonzero(np.diff(col) <= 0)
        if bad.size:
            _fail("format", f"{where}: tensor 'numeric_categories' is not strictly increasing in column {j}")
        pos += entry
    return counts


def _check_one_hot_encoder(where, step, tensors, table, referenced, text):
    n, n_out = step["n_features_in"], step["n_features_out"]
    params, st = step["params"], step["tensors"]
    _check_params(where, "one_hot_encoder", params)
    handle = params["handle_unknown"]
    counts = _check_categories(where, step, tensors, table, referenced, text)
    outputs = _spec_ref(where, step, "outputs", tensors, table, referenced, n_categories=sum(counts))
    unknown = _spec_ref(where, step, "unknown", tensors, table, referenced)
    total, base = 0, 0
    for j, c in enumerate(counts):
        block = outputs[base: base + c]
        base += c
        if np.any(block < -1):
            _fail("format", f"{where}: tensor 'outputs' has a value below -1 in column {j}")
        if unknown[j] < -1:
            _fail("format", f"{where}: tensor 'unknown' has {int(unknown[j])} at [{j}], below -1")
        if handle != "infrequent_if_exist" and unknown[j] != -1:
            _fail("format", f"{where}: tensor 'unknown' must be -1 at [{j}] with handle_unknown '{handle}'")
        width = int(max(np.max(block), unknown[j])) + 1
        if width > n_out - total:
            _fail("format", f"{where}: column {j} outputs more columns than n_features_out leaves")
        hit = set(int(v) for v in block if v >= 0)
        if len(hit) != width:
            _fail("format", f"{where}: column {j}: output column {min(set(range(width)) - hit)} is the output of "
                            "no category")
        total += width
    if total != n_out:
        _fail("format", f"{where}: the categories give {total} output columns, n_features_out is {n_out}")
    _check_unknown_refs(where, st, ("numeric_categories", "outputs", "unknown"), table, referenced)
    return [False] * n_out


def _check_ordinal_encoder(where, step, tensors, table, referenced, text):
    _check_same_width(where, step)
    params, st = step["params"], step["tensors"]
    _check_params(where, "ordinal_encoder", params)
    handle = params["handle_unknown"]
    for key in ("unknown_value", "encoded_missing_value"):
        if key not in params:
            _fail("format", f"{where}: params.{key} is missing")
        v = params[key]
        if v is not None and _finite_number(v) is None:
            _fail("format", f"{where}: params.{key} is not a finite number or null")
    if handle == "error" and params["unknown_value"] is not None:
        _fail("format", f"{where}: params.unknown_value must be null with handle_unknown 'error'")
    _check_categories(where, step, tensors, table, referenced, text)
    _check_unknown_refs(where, st, ("numeric_categories",), table, referenced)
    return [False] * step["n_features_out"]


def _check_steps(steps, path, width, text, tensors, table, referenced):
    """A list of preprocessing steps taking `width` columns (`text[j]`: column j holds text);
    returns the width and text flags of the last step's output."""
    if not _is_arr(steps):
        _fail("format", f"'{path}' is not an array")
    for i, step in enumerate(steps):
        where = f"{path}[{i}]"
        stype = _check_step_common(where, step)
        label = _step_label(where, step)
        if stype in ESTIMATOR_TYPES:
            _fail("format", f"{label}: estimator type '{stype}' in the preprocessing pipeline")
        if stype not in PREPROCESSING_TYPES:
            _fail("unsupported", f"{label}: unknown step type '{stype}'")
        if step["n_features_in"] != width:
            _fail("format", f"{label}: n_features_in {step['n_features_in']} != {width} columns coming in")
        names_out = step.get("feature_names_out")
        if "feature_names_prefix" in step:
            if names_out is not None or not _is_str(step["feature_names_prefix"]):
                _fail("format", f"{label}: feature_names_prefix must be a string, and then feature_names_out absent")
        elif not (_is_arr(names_out) and len(names_out) == step["n_features_out"]
                  and all(_is_str(n) for n in names_out)):
            _fail("format", f"{label}: feature_names_out is not an array of n_features_out strings")
        if any(text) and stype not in TEXT_STEP_TYPES:
            _fail("format", f"{label}: input column {_first_text(text)} holds text, which this step cannot take")
        if "free" in text and stype not in FREE_TEXT_STEP_TYPES:
            _fail("format", f"{label}: input column {text.index('free')} holds free text (schema kind 'text'), "
                            "which only a text vectorizer or a feature hasher takes")
        if stype == "column_transformer":
            text = _check_column_transformer(label, step, text, tensors, table, referenced)
        else:
            if stype in TEXT_STEP_TYPES:  # they check their columns' kinds (sections 4.15, 4.18, 4.19)
                _TEXT_STEP_CHECKS[stype](label, step, tensors, table, referenced, text=text)
            else:
                _check_from_spec(label, step, tensors, table, referenced)
            text = _text_out(step, text, tensors, table)
        width = step["n_features_out"]
    return width, text


def _first_text(text) -> int:
    return next(j for j, t in enumerate(text) if t)


#: step types that take free text (schema kind "text")
FREE_TEXT_STEP_TYPES = ("text_vectorizer", "hashing_vectorizer", "feature_hasher", "column_transformer")


def _text_out(step, text, tensors, table):
    """Which output columns of a (non-composite) step still hold text: copies of text inputs."""
    out = [False] * step["n_features_out"]
    if step["type"] == "simple_imputer" and any(text):
        kept = [j for j, k in enumerate(tensors[step["tensors"]["keep"]]) if k]
        for o, j in enumerate(kept):
            out[o] = text[j]
    return out


def _check_column_transformer(where, step, text, tensors, table, referenced):
    n, n_out = step["n_features_in"], step["n_features_out"]
    _check_params(where, "column_transformer", step["params"])
    transformers = step["params"].get("transformers")
    if not _is_arr(transformers):
        _fail("format", f"{where}: params.transformers is missing or not an array")
    out_text = []
    for k, t in enumerate(transformers):
        at = f"{where}: params.transformers[{k}]"
        if not _is_obj(t):
            _fail("format", f"{at} is not an object")
        cols = t.get("columns")
        if not _is_arr(cols) or not cols:
            _fail("format", f"{at}.columns is missing, empty or not an array")
        for c, j in enumerate(cols):
            if not _is_int(j) or not 0 <= j < n:
                _fail("format", f"{at}.columns[{c}] is not a column index below {n}")
        weight = t.get("weight")
        if weight is not None and not (_is_num(weight) and math.isfinite(weight)):
            _fail("format", f"{at}.weight is not null or a finite number")
        inner = t.get("steps")
        _, branch_text = _check_steps(
            inner, f"{where}.params.transformers[{k}].steps", len(cols), [text[j] for j in cols], tensors, table,
            referenced,
        )
        if weight is not None and any(branch_text):
            _fail("format", f"{at} multiplies a text column by a weight")
        out_text += branch_text
    if len(out_text) != n_out:
        _fail("format", f"{where}: its transformers give {len(out_text)} columns but n_features_out is {n_out}")
    _check_unknown_refs(where, step["tensors"], (), table, referenced)
    return out_text


def _first_size(where, step, tables, role) -> int:
    ref = step["tensors"].get(role)
    shape = tables[ref]["shape"] if _is_str(ref) and ref in tables else None
    if not (_is_arr(shape) and len(shape) == 1):
        _fail("format", f"{where}: tensor '{role}' is missing or not one-dimensional")
    return shape[0]


def _check_dict_vectorizer(where, step, tensors, table, referenced, text):
    """Section 4.56: each output column the output of exactly one numeric column or one value."""
    n, n_out = step["n_features_in"], step["n_features_out"]
    _check_params(where, "dict_vectorizer", step["params"])

    def ref(role, **derived):
        return _spec_ref(where, step, role, tensors, table, referenced, True, **derived)

    outputs, starts = ref("outputs"), ref("value_columns")
    n_values = int(starts[-1]) if starts.size else 0
    if starts[0] != 0 or np.any(np.diff(starts) < 0) or not 0 <= n_values <= n_out:
        _fail("format", f"{where}: tensor 'value_columns' must rise from 0 to the number of values")
    data = ref("value_bytes", n_bytes=_first_size(where, step, table, "value_bytes"))
    values = _utf8_strings(where, "value", data, ref("value_offsets", N=n_values), n_values, distinct=False)
    value_outputs = ref("value_outputs", N=n_values)
    for j in range(n):
        column = values[starts[j]:starts[j + 1]]
        if text[j] and outputs[j] != -1:
            _fail("format", f"{where}: tensor 'outputs' must be -1 at [{j}]: input column {j} holds text")
        if not text[j] and column:
            _fail("format", f"{where}: input column {j} is numeric but 'value_columns' gives it values")
        if len(set(column)) != len(column):
            _fail("format", f"{where}: input column {j} repeats a value")
    if np.any(outputs < -1):
        _fail("format", f"{where}: tensor 'outputs' has a value below -1")
    used = np.concatenate([outputs[outputs >= 0], value_outputs])
    if not np.array_equal(np.sort(used), np.arange(n_out)):
        _fail("format", f"{where}: every output column must be the output of exactly one numeric column or value")
    _check_unknown_refs(where, step["tensors"], tuple(STEPS["dict_vectorizer"]["tensors"]), table, referenced)
    return [False] * n_out


def _check_feature_hasher(where, step, tensors, table, referenced, text):
    """Section 4.55."""
    n, st = step["n_features_in"], step["tensors"]
    _check_params(where, "feature_hasher", step["params"])
    if step["n_features_out"] < 1:
        _fail("format", f"{where}: n_features_out must be at least 1")
    keyed = step["params"]["input_type"] == "dict"
    for role in ("key_bytes", "key_offsets"):
        if (role in st) != keyed:
            _fail("format", f"{where}: tensor '{role}' must be present exactly when params.input_type is 'dict'")
    if keyed:
        data = _spec_ref(where, step, "key_bytes", tensors, table, referenced,
                         n_bytes=_first_size(where, step, table, "key_bytes"))
        _utf8_strings(where, "key", data, _spec_ref(where, step, "key_offsets", tensors, table, referenced), n)
    elif not all(text):
        _fail("format", f"{where}: input column {text.index(False)} is numeric; input_type 'string' takes text")
    _check_unknown_refs(where, st, tuple(STEPS["feature_hasher"]["tensors"]), table, referenced)
    return [False] * step["n_features_out"]


#: the steps that take text: hand-written, as each decides what becomes of its text columns
_TEXT_STEP_CHECKS = {
    "simple_imputer": _check_simple_imputer,
    "one_hot_encoder": _check_one_hot_encoder,
    "ordinal_encoder": _check_ordinal_encoder,
    "text_vectorizer": lambda *a, **k: _check_text_vectorizer(*a, **k),
    "hashing_vectorizer": lambda *a, **k: _check_text_vectorizer(*a, **k, kind="hashing_vectorizer"),
    "dict_vectorizer": _check_dict_vectorizer,
    "feature_hasher": _check_feature_hasher,
}
assert set(_TEXT_STEP_CHECKS) | {"column_transformer"} == set(TEXT_STEP_TYPES)


# ------------------------------------------------- estimators made of estimators (4.30 - 4.35)

#: the types whose params hold sub-models (section 4.30)
COMPOSITE_TYPES = ("voting", "stacking", "calibration", "one_vs_rest", "adaboost", "one_vs_one", "chain",
                   "transformed_target")
MAX_COMPOSITION_DEPTH = LIMITS["max_composition_depth"]
_NO_PROBA_LINKS = ("isolation", "none", "ovo_votes", "ovr_votes", "identity", "exp")


def _has_proba(est) -> bool:
    """Whether an (already checked) estimator entry has predict_proba."""
    stype, params = est["type"], est["params"]
    if stype == "voting":
        return params["voting"] == "soft"
    if stype == "stacking":
        return _has_proba(params["final_estimator"]["estimator"])
    if stype == "calibration":
        return True
    if stype == "one_vs_one":
        return False
    if stype == "adaboost":
        return params["algorithm"] != "median"
    if stype == "one_vs_rest":
        return all(_has_proba(sub["estimator"]) for sub in params["estimators"])
    return params.get("link") not in _NO_PROBA_LINKS


def _has_decision(est) -> bool:
    """Whether an (already checked) classifier entry has decision_function."""
    stype, params = est["type"], est["params"]
    if stype in ("voting", "calibration", "constant"):
        return False
    if stype == "stacking":
        return _has_decision(params["final_estimator"]["estimator"])
    if stype == "one_vs_rest":
        return params["response"] == "decision_function"
    if stype == "one_vs_one":
        return True
    if stype == "adaboost":
        return params["algorithm"] != "median"
    if stype in NAIVE_BAYES_TYPES or stype == "gaussian_mixture":
        return False
    return params.get("link") not in ("probability",)


def _check_sub_model(where, entry, n_in, tensors, table, referenced, depth):
    """A sub-model (section 4.30) taking n_in columns: returns (task, n_outputs, scores)."""
    if depth >= MAX_COMPOSITION_DEPTH:
        _fail("format", f"{where}: sub-models nested deeper than {MAX_COMPOSITION_DEPTH} levels")
    if not _is_obj(entry):
        _fail("format", f"{where} is not an object")
    if "name" in entry and not _is_str(entry["name"]):
        _fail("format", f"{where}.name is not a string")
    task = entry.get("task")
    if task not in ("regression", "classification"):
        _fail("format", f"{where}.task {task!r} is not regression or classification")
    n_outputs = entry.get("n_outputs")
    if not _is_int(n_outputs) or not (2 if task == "classification" else 1) <= n_outputs <= MAX_WIDTH:
        _fail("format", f"{where}.n_outputs is missing or out of range")
    columns = entry.get("columns")
    if columns is not None:
        if not _is_arr(columns) or not columns:
            _fail("format", f"{where}.columns is empty or not an array")
        for c, j in enumerate(columns):
            if not _is_int(j) or not 0 <= j < n_in:
                _fail("format", f"{where}.columns[{c}] is not a column index below {n_in}")
        n_in = len(columns)
    width, _ = _check_steps(entry.get("pipeline"), f"{where}.pipeline", n_in, [False] * n_in, tensors, table,
                            referenced)
    classes = {"dtype": "int64", "values": list(range(n_outputs))} if task == "classification" else None
    est = entry.get("estimator")
    k = _check_estimator(f"{where}.estimator", est, width, tensors, table, referenced, task, n_outputs,
                         {"task": task, "n_outputs": n_outputs, "classes": classes}, depth + 1)
    link = est["params"].get("link")
    if task == "classification" and link == "isolation":
        _fail("format", f"{where}: a classifier sub-model cannot use the isolation link")
    if task == "regression" and link is not None and link != "identity" and k != 1:
        _fail("format", f"{where}: the exp and logistic links take one score")
    return task, n_outputs, k


def _sub_models(where, step, key, n_in, tensors, table, referenced, depth):
    subs = step["params"].get(key)
    if not _is_arr(subs) or not subs:
        _fail("format", f"{where}: params.{key} is missing, empty or not an array")
    return [(sub, *_check_sub_model(f"{where}.params.{key}[{i}]", sub, n_in, tensors, table, referenced, depth))
            for i, sub in enumerate(subs)]


def _check_composite(where, step, tensors, table, referenced, task, n_outputs, depth) -> int:
    """voting, stacking, calibration, one_vs_rest (sections 4.31 - 4.34)."""
    stype, params = step["type"], step["params"]
    _check_params(where, stype, params)
    n_in, k = step["n_features_in"], step["n_features_out"]
    classifier = task == "classification"
    if stype == "chain":
        return _check_chain(where, step, tensors, table, referenced, task, n_outputs, depth)
    subs = _sub_models(where, step, "estimators", n_in, tensors, table, referenced, depth)

    def need(sub, want_task, want_n):
        if sub[1] != want_task or sub[2] != want_n:
            _fail("format", f"{where}: sub-model {sub[0].get('name')!r} must be a "
                            f"{'classifier' if want_task == 'classification' else 'regressor'} with {want_n} "
                            f"{'classes' if want_task == 'classification' else 'outputs'}")

    if stype == "voting":
        if (params["voting"] == "mean") == classifier:
            _fail("format", f"{where}: params.voting {params['voting']!r} does not fit schema.task {task}")
        if params["n_estimators"] != len(subs):
            _fail("format", f"{where}: params.n_estimators does not match params.estimators")
        if k != n_outputs:
            _fail("format", f"{where}: n_features_out {k} != schema.n_outputs {n_outputs}")
        for sub in subs:
            need(sub, task, n_outputs)
            if params["voting"] == "soft" and not _has_proba(sub[0]["estimator"]):
                _fail("format", f"{where}: sub-model {sub[0].get('name')!r} has no predict_proba")
        w = _step_tensors(where, stype, step, tensors, table, referenced)["weights"]
        if np.any(w < 0):
            _fail("format", f"{where}: tensor 'weights' has a negative value")
        ws = _finite_number(params["weight_sum"])
        if params["voting"] != "hard" and not ws:
            _fail("format", f"{where}: params.weight_sum must be finite and non-zero")
    elif stype == "stacking":
        if params["classifier"] != classifier:
            _fail("format", f"{where}: params.classifier does not fit schema.task {task}")
        methods = params.get("stack_methods")
        if not _is_arr(methods) or len(methods) != len(subs):
            _fail("format", f"{where}: params.stack_methods must name one method per sub-model")
        meta = 0
        for sub, method in zip(subs, methods):
            need(sub, task, n_outputs if classifier else 1)
            if method == "predict_proba" and classifier and _has_proba(sub[0]["estimator"]):
                meta += 1 if sub[2] == 2 else sub[2]
            elif method == "decision_function" and classifier and _has_decision(sub[0]["estimator"]):
                meta += sub[3]
            elif method == "predict":
                meta += 1
            else:
                _fail("format", f"{where}: stack method {method!r} is not available for sub-model "
                                f"{sub[0].get('name')!r}")
        if params["passthrough"]:
            meta += n_in
        final = (params.get("final_estimator"),
                 *_check_sub_model(f"{where}.params.final_estimator", params.get("final_estimator"), meta, tensors,
                                   table, referenced, depth))
        need(final, task, n_outputs if classifier else 1)
        if final[3] != k:
            _fail("format", f"{where}: n_features_out {k} != the final estimator's {final[3]} scores")
        _check_unknown_refs(where, step["tensors"], (), table, referenced)
    elif stype == "calibration":
        if not classifier or k != n_outputs:
            _fail("format", f"{where}: calibration is a classifier with n_features_out = schema.n_outputs")
        m, L = params["n_estimators"], params["n_calibrators"]
        if m != len(subs) or L != (1 if n_outputs == 2 else n_outputs):
            _fail("format", f"{where}: params.n_estimators / n_calibrators do not match the sub-models and classes")
        for sub in subs:
            need(sub, task, n_outputs)
            if params["response"] == "decision_function":
                if not _has_decision(sub[0]["estimator"]) or sub[3] != L:
                    _fail("format", f"{where}: sub-model {sub[0].get('name')!r} does not give one decision value "
                                    f"per calibrator")
            elif not _has_proba(sub[0]["estimator"]):
                _fail("format", f"{where}: sub-model {sub[0].get('name')!r} has no predict_proba")
        isotonic = params["method"] == "isotonic"
        st = step["tensors"]
        for role in ("a", "b", "x_thresholds", "y_thresholds", "threshold_offsets"):
            if (role in st) != ((role not in ("a", "b")) == isotonic):
                _fail("format", f"{where}: tensor '{role}' must be present exactly when params.method is "
                                f"{'isotonic' if role not in ('a', 'b') else 'sigmoid'}")
        if isotonic:
            ref = st.get("x_thresholds")
            shape = table[ref]["shape"] if _is_str(ref) and ref in table else []
            n = shape[0] if len(shape) == 1 else -1
            arrays = _step_tensors(where, stype, step, tensors, table, referenced, {"N": n})
            off, x = arrays["threshold_offsets"], arrays["x_thresholds"]
            if off[0] != 0 or off[-1] != n or np.any(np.diff(off) < 1):
                _fail("format", f"{where}: tensor 'threshold_offsets' must rise strictly from 0 to N")
            for j in range(len(off) - 1):
                if np.any(np.diff(x[off[j]:off[j + 1]]) <= 0):
                    _fail("format", f"{where}: tensor 'x_thresholds': calibrator {j} is not strictly increasing")
        else:
            _step_tensors(where, stype, step, tensors, table, referenced, {"N": 0})  # the isotonic ones are absent
    elif stype == "adaboost":
        median = params["algorithm"] == "median"
        if median == classifier:
            _fail("format", f"{where}: params.algorithm {params['algorithm']!r} does not fit schema.task {task}")
        c = params["n_classes"]
        if params["n_estimators"] != len(subs) or (c != n_outputs if classifier else c != 1):
            _fail("format", f"{where}: params.n_estimators / n_classes do not match the sub-models and schema")
        if k != (1 if median or c == 2 else c):
            _fail("format", f"{where}: n_features_out must be 1 for a regressor or two classes, else n_classes")
        for sub in subs:
            need(sub, task, n_outputs)
            if params["algorithm"] == "samme_r" and not _has_proba(sub[0]["estimator"]):
                _fail("format", f"{where}: sub-model {sub[0].get('name')!r} has no predict_proba")
        _step_tensors(where, stype, step, tensors, table, referenced)
        if not _finite_number(params["weight_sum"]):
            _fail("format", f"{where}: params.weight_sum must be finite and non-zero")
    elif stype == "one_vs_one":
        c = params["n_classes"]
        if not classifier or c != n_outputs or len(subs) != c * (c - 1) // 2 or k != (1 if c == 2 else c):
            _fail("format", f"{where}: one_vs_one needs a classifier of n_classes = schema.n_outputs classes, one "
                            f"sub-model per pair and n_features_out 1 (two classes) or n_classes")
        for sub in subs:
            need(sub, "classification", 2)
            _check_binary_response(where, sub, params["response"])
        _check_unknown_refs(where, step["tensors"], (), table, referenced)
    elif stype == "transformed_target":
        if classifier or len(subs) != 1 or k != n_outputs:
            _fail("format", f"{where}: transformed_target is a regressor of one sub-model, n_features_out = "
                            f"schema.n_outputs")
        need(subs[0], "regression", n_outputs)
        affine = params["inverse"] == "affine"
        for role in ("scale", "offset"):
            if (role in step["tensors"]) != affine:
                _fail("format", f"{where}: tensor '{role}' must be present exactly when params.inverse is affine")
        _step_tensors(where, stype, step, tensors, table, referenced)
    else:  # one_vs_rest
        if not classifier:
            _fail("format", f"{where}: one_vs_rest is a classifier, but schema.task is {task}")
        if len(subs) != (1 if n_outputs == 2 else n_outputs) or k != len(subs):
            _fail("format", f"{where}: one sub-model for two classes, else one per class, and n_features_out "
                            f"the number of sub-models")
        for sub in subs:
            need(sub, "classification", 2)
            _check_binary_response(where, sub, params["response"])
        _check_unknown_refs(where, step["tensors"], (), table, referenced)
    return k


def _check_binary_response(where, sub, response) -> None:
    """A one-vs-rest or one-vs-one sub-model gives what the meta-estimator reads of it: one
    decision value, or predict_proba."""
    if response == "decision_function":
        if not _has_decision(sub[0]["estimator"]) or sub[3] != 1:
            _fail("format", f"{where}: sub-model {sub[0].get('name')!r} does not give one decision value")
    elif not _has_proba(sub[0]["estimator"]):
        _fail("format", f"{where}: sub-model {sub[0].get('name')!r} has no predict_proba")


def _check_chain(where, step, tensors, table, referenced, task, n_outputs, depth) -> int:
    """chain (section 4.38): sub-model e takes the input and, chained, the e predictions before it."""
    params = step["params"]
    n_in, k = step["n_features_in"], step["n_features_out"]
    subs = params.get("estimators")
    if not _is_arr(subs) or not subs:
        _fail("format", f"{where}: params.estimators is missing, empty or not an array")
    if task != "regression" or k != len(subs) or k != n_outputs:
        _fail("format", f"{where}: chain is a regressor of one sub-model per output")
    for e, sub in enumerate(subs):
        got = _check_sub_model(f"{where}.params.estimators[{e}]", sub, n_in + (e if params["chained"] else 0), tensors,
                               table, referenced, depth)
        if got[0] != "regression" or got[1] != 1:
            _fail("format", f"{where}: sub-model {sub.get('name')!r} must be a regressor with 1 outputs")
    order = _step_tensors(where, "chain", step, tensors, table, referenced)["order"]
    if sorted(order.tolist()) != list(range(k)):
        _fail("format", f"{where}: tensor 'order' must be a permutation of 0 .. n_features_out - 1")
    return k


MAX_KERNEL_DEPTH = LIMITS["max_kernel_depth"]
_KERNEL_NUMBERS = {"constant": (("value", False),), "white": (("noise_level", False),),
                   "rational_quadratic": (("alpha", True), ("length_scale", True)),
                   "exp_sine_squared": (("periodicity", True), ("length_scale", True)),
                   "dot_product": (("sigma_0", False),), "power": (("exponent", False),)}


def _check_kernel(where, expr, n_in, depth=0) -> None:
    """A gaussian_process kernel expression (section 4.40)."""
    if depth > MAX_KERNEL_DEPTH:
        _fail("format", f"{where}: the kernel expression is nested deeper than {MAX_KERNEL_DEPTH}")
    if not _is_obj(expr):
        _fail("format", f"{where} is not an object")
    op = expr.get("op")
    if op not in ("sum", "product", "power", "constant", "white", "rbf", "matern", "rational_quadratic",
                  "exp_sine_squared", "dot_product"):
        _fail("format", f"{where}.op {op!r} is not a known kernel")
    for key, positive in _KERNEL_NUMBERS.get(op, ()):
        v = _finite_number(expr.get(key))
        if v is None or (positive and not v > 0):
            _fail("format", f"{where}.{key} must be finite{' and > 0' if positive else ''}")
    if op in ("rbf", "matern"):
        ls = expr.get("length_scale")
        if not _is_arr(ls) or len(ls) not in (1, n_in):
            _fail("format", f"{where}.length_scale must hold 1 or n_features_in values")
        if not all((_finite_number(v) or 0) > 0 for v in ls):
            _fail("format", f"{where}.length_scale holds a value that is not finite and > 0")
        if op == "matern" and not (expr.get("nu") == "inf" or (_is_num(expr.get("nu")) and expr.get("nu") in (0.5, 1.5, 2.5))):
            _fail("format", f"{where}.nu must be 0.5, 1.5, 2.5 or \"inf\"")
    if op in ("sum", "product", "power"):
        terms = expr.get("terms")
        if not _is_arr(terms) or len(terms) != (1 if op == "power" else 2):
            _fail("format", f"{where}.terms must hold {1 if op == 'power' else 2} kernel(s)")
        for i, t in enumerate(terms):
            _check_kernel(f"{where}.terms[{i}]", t, n_in, depth + 1)


def _check_gaussian_process(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """gaussian_process (section 4.40)."""
    params = step["params"]
    _check_params(where, "gaussian_process", params)
    _check_kernel(f"{where}.params.kernel", params.get("kernel"), step["n_features_in"])
    regressor = params["link"] == "identity"
    k = step["n_features_out"]
    if regressor != (task == "regression") or k != (n_outputs if regressor else 2) or (not regressor and n_outputs != 2):
        _fail("format", f"{where}: link {params['link']!r} and n_features_out {k} do not fit schema.task {task} with "
                        f"{n_outputs} outputs")
    for role in ("y_mean", "y_std", "l_factor", "w_sqrt"):
        if (role in step["tensors"]) != ((role in ("y_mean", "y_std")) == regressor):
            _fail("format", f"{where}: tensor '{role}' must be present exactly for a "
                            f"{'regressor' if role in ('y_mean', 'y_std') else 'classifier'}")
    arrays = _step_tensors(where, "gaussian_process", step, tensors, table, referenced, {"k": k if regressor else 1})
    if not regressor and np.any(np.diag(arrays["l_factor"]) == 0):
        _fail("format", f"{where}: tensor 'l_factor' has a zero on its diagonal")
    return k


def _check_constant(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """constant (section 4.35): DummyClassifier's probabilities or DummyRegressor's values."""
    _check_params(where, "constant", step["params"])
    k = step["n_features_out"]
    value = _step_tensors(where, "constant", step, tensors, table, referenced)["value"]
    if (step["params"]["link"] == "probability") != (task == "classification"):
        _fail("format", f"{where}: link {step['params']['link']!r} does not fit schema.task {task}")
    if k != n_outputs:
        _fail("format", f"{where}: n_features_out {k} != schema.n_outputs {n_outputs}")
    if task == "classification" and np.any((value < 0) | (value > 1)):
        _fail("format", f"{where}: tensor 'value' must hold probabilities in [0, 1]")
    return k


def _check_pls_regression(where, step, tensors, table, referenced, task, n_outputs) -> int:
    """pls_regression (section 4.50): a regressor with one output per target."""
    _check_params(where, "pls_regression", step["params"])
    _step_tensors(where, "pls_regression", step, tensors, table, referenced)
    if task != "regression":
        _fail("format", f"{where}: pls_regression needs schema.task regression, not {task}")
    if step["n_features_out"] != n_outputs:
        _fail("format", f"{where}: n_features_out {step['n_features_out']} != schema.n_outputs {n_outputs}")
    return step["n_features_out"]


def _check_estimator(where, est, width, tensors, table, referenced, task, n_outputs, schema, depth=0) -> int:
    """An estimator entry (the top-level one, or a sub-model's) taking `width` columns, for a
    model of this task and n_outputs; returns its number of scores."""
    stype = _check_step_common(where, est)
    label = _step_label(where, est)
    if stype in PREPROCESSING_TYPES:
        _fail("format", f"{label}: preprocessing type '{stype}' used as the estimator")
    if stype not in ESTIMATOR_TYPES:
        _fail("unsupported", f"{label}: unknown estimator type '{stype}'")
    if est["n_features_in"] != width:
        _fail("format", f"{label}: n_features_in {est['n_features_in']} != {width} columns coming in")
    if stype == "linear":
        k = _check_linear(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "quadratic_discriminant":
        k = _check_quadratic_discriminant(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "support_vector":
        k = _check_support_vector(label, est, tensors, table, referenced, task, n_outputs, schema)
    elif stype in NAIVE_BAYES_TYPES:
        k = _check_naive_bayes(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "nearest_center":
        k = _check_nearest_center(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "constant":
        k = _check_constant(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "gaussian_process":
        k = _check_gaussian_process(label, est, tensors, table, referenced, task, n_outputs)
    elif stype in COMPOSITE_TYPES:
        k = _check_composite(label, est, tensors, table, referenced, task, n_outputs, depth)
    elif stype == "gaussian_mixture":
        k = _check_gaussian_mixture(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "mlp":
        k = _check_mlp(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "nearest_neighbors":
        k = _check_nearest_neighbors(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "radius_neighbors":
        k = _check_radius_neighbors(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "pls_regression":
        k = _check_pls_regression(label, est, tensors, table, referenced, task, n_outputs)
    elif stype == "local_outlier_factor":
        k = _check_local_outlier_factor(label, est, tensors, table, referenced, task, n_outputs, schema)
    else:
        k = _check_tree_ensemble(label, est, tensors, table, referenced, task, n_outputs, schema)
    return k


def check_sections(header: dict, tensors: Mapping[str, np.ndarray], minor: int = MINOR) -> None:
    """Step 8 of the reading order: docs/format.md sections 3 and 4.

    ``header`` includes its ``tensors`` table; ``tensors`` are the decoded arrays.
    """
    table = header["tensors"]
    for key in ("metadata", "schema", "pipeline", "estimator"):
        if key not in header:
            _fail("format", f"header has no '{key}' section")
    _check_metadata(header["metadata"])
    n_inputs, task, n_outputs = _check_schema(header["schema"])

    pipeline = header["pipeline"]
    referenced: set = set()
    text = ["free" if inp["kind"] == "text" else inp["kind"] == "categorical" for inp in header["schema"]["inputs"]]
    width, text = _check_steps(pipeline, "pipeline", n_inputs, text, tensors, table, referenced)
    if any(text):
        _fail("format", f"estimator: input column {_first_text(text)} holds text, which this step cannot take")

    est = header["estimator"]
    k = _check_estimator(
        "estimator", est, width, tensors, table, referenced, task, n_outputs, header["schema"]
    )
    has_proba = _has_proba(est)

    if "explain" in header:
        _check_explain(header["explain"], tensors, table, referenced, est["n_features_in"], header["schema"]["inputs"])

    if "baseline" in header:
        _check_baseline(header["baseline"], header["schema"], task, n_outputs, k, has_proba)

    if "verification" in header:
        _check_verification(
            header["verification"], tensors, table, referenced, n_inputs, task, n_outputs, k, has_proba,
            header["schema"]["inputs"],
        )

    # A newer minor may add optional sections that reference tensors this
    # reader does not know about, so the rule is enforced for known minors only.
    if minor <= MINOR:
        unused = sorted(set(table) - referenced)
        if unused:
            _fail("format", f"tensor \"{unused[0]}\" is not referenced by any step, explain or verification")


# --------------------------------------------------------------------------- reader


def sign(data, secret_key: str) -> bytes:
    """A signed file (docs/security.md) around the artifact ``data``, with the Ed25519 secret
    key ``secret_key`` in ``ferry keygen``'s hexadecimal form; needs PyNaCl. A signed file is
    re-signed: its inner file. The artifact is read first, so only a valid one is signed."""
    from nacl.signing import SigningKey

    raw = bytes.fromhex(secret_key.strip())
    if len(raw) != 64:
        raise ValueError("an Ed25519 secret key must be 128 hexadecimal digits")
    content = _signed_content(bytes(data), ())
    loads(content)
    signing_key = SigningKey(raw[:32])  # libsodium's layout: the seed, then the public key
    if bytes(signing_key.verify_key) != raw[32:]:
        raise ValueError("the secret key is damaged: its public half does not match its seed")
    envelope = bytearray(ENVELOPE_SIZE)
    envelope[0:8] = SIGNED_MAGIC
    struct.pack_into("<HH", envelope, 8, 1, 1)
    envelope[16:48] = raw[32:]
    envelope[48:112] = signing_key.sign(content).signature
    return bytes(envelope) + content


def _signed_content(data: bytes, trusted_keys: Sequence[str]) -> bytes:
    """The artifact inside a signed file, after the trust rules of docs/security.md."""
    trusted = []
    for key in trusted_keys:
        try:
            raw = bytes.fromhex(key.strip())
        except ValueError:
            raw = b""
        if len(raw) != 32:
            _fail("signature", "an Ed25519 public key must be 64 hexadecimal digits")
        trusted.append(raw)
    if not data.startswith(SIGNED_MAGIC):
        if trusted:
            _fail("signature", "the file is not signed, and a signature by a trusted key is required")
        return data
    if len(data) < ENVELOPE_SIZE:
        _fail("format", f"signed file of {len(data)} bytes is shorter than its {ENVELOPE_SIZE}-byte envelope")
    version, algorithm = struct.unpack_from("<HH", data, 8)
    if version != 1:
        _fail("format", f"signed file: envelope version {version} (offset 8) is not 1")
    if algorithm != 1:
        _fail("format", f"signed file: signature algorithm {algorithm} (offset 10) is not 1 (Ed25519)")
    if any(data[12:16]) or any(data[112:ENVELOPE_SIZE]):
        _fail("format", "signed file: reserved envelope bytes (offsets 12-15, 112-127) are not zero")
    signer, signature, content = data[16:48], data[48:112], data[ENVELOPE_SIZE:]
    if trusted and signer not in trusted:
        _fail("signature", f"the file is signed by key {signer.hex()}, which is not a trusted key")
    # As the C++ reader: the signature is checked whenever it can be, required or not.
    try:
        from nacl.exceptions import BadSignatureError
        from nacl.signing import VerifyKey
    except ImportError:
        if trusted:
            _fail("unsupported", "a signature is required but PyNaCl is not installed, so it cannot be checked")
        warnings.warn("the file is signed but PyNaCl is not installed: the signature was not checked", stacklevel=4)
        return content
    try:
        VerifyKey(signer).verify(content, signature)
    except BadSignatureError:
        _fail("signature", f"the signature by key {signer.hex()} does not match the file: it was changed "
                           "after signing, or the signature is forged")
    return content


def loads(
    data,
    *,
    validate: bool = True,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_tensor_bytes: int = DEFAULT_MAX_TENSOR_BYTES,
    max_total_bytes: int = DEFAULT_MAX_TOTAL_BYTES,
    trusted_keys: Sequence[str] = (),
) -> Artifact:
    """Parse a ``.ferry`` file held in memory (bytes, bytearray or memoryview).

    With ``validate=False`` only the container is checked (steps 1-7 of the
    reading order); the header sections are returned as they are.  A signed
    file (docs/security.md) is read through its envelope; with ``trusted_keys``
    (hexadecimal Ed25519 public keys) it must be signed by one of them, checked
    with PyNaCl before anything else is parsed.
    """
    buf = memoryview(_signed_content(bytes(data), trusted_keys))
    size = len(buf)
    # 1. length
    if size < MIN_FILE_SIZE:
        _fail("format", f"file is {size} bytes, shorter than the {MIN_FILE_SIZE}-byte minimum")
    # 2. magic
    magic, major, minor, header_length, data_length = _PREFIX.unpack_from(buf, 0)
    if magic != MAGIC:
        _fail("format", "not a ferry artifact (bad magic bytes)")
    # 3. version
    if major == 0:
        _fail("format", "format major version 0 is invalid")
    if major > MAJOR:
        _fail(
            "version",
            f"artifact format {major}.{minor} is not readable by this ferry, which reads format {MAJOR}.x "
            f"(up to {MAJOR}.{MINOR}); upgrade ferry to read it",
        )
    # 4. checksum
    (stored_crc,) = struct.unpack_from("<I", buf, size - TRAILER_SIZE)
    actual_crc = zlib.crc32(buf[: size - TRAILER_SIZE])
    if actual_crc != stored_crc:
        _fail("checksum", f"file CRC-32 {actual_crc:#010x} != trailer {stored_crc:#010x}")
    # 5. frame sizes
    if header_length < 2:
        _fail("format", f"header_length {header_length} is below 2")
    if header_length > max_header_bytes:
        _fail("format", f"header_length {header_length} exceeds the limit of {max_header_bytes} bytes")
    if data_length % ALIGN:
        _fail("format", f"data_length {data_length} is not a multiple of {ALIGN}")
    data_start = align64(PREFIX_SIZE + header_length)
    if data_start + data_length + TRAILER_SIZE != size:
        _fail(
            "format",
            f"file size {size} != {data_start + data_length + TRAILER_SIZE} "
            f"(data_start {data_start} + data_length {data_length} + 4)",
        )
    # 6. header
    if any(buf[PREFIX_SIZE + header_length: data_start]):
        _fail("format", "non-zero header padding")
    header = _parse_header(bytes(buf[PREFIX_SIZE: PREFIX_SIZE + header_length]))
    # 7. tensors
    tensors = _read_tensors(header, buf, data_start, data_length, max_tensor_bytes, max_total_bytes)
    # 8. sections
    if validate:
        check_sections(header, tensors, minor)
    if minor > MINOR:
        warnings.warn(
            f"artifact format version {major}.{minor} is newer than this reader's {MAJOR}.{MINOR}; "
            "unknown fields were ignored",
            NewerMinorWarning,
            stacklevel=3,
        )
    table = header.pop("tensors")
    return Artifact(header, tensors, major, minor, table)


def read(source, **options) -> Artifact:
    """Read a ``.ferry`` artifact from a path or from bytes; see :func:`loads`."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        return loads(source, **options)
    with open(os.fspath(source), "rb") as f:
        data = f.read()
    return loads(data, **options)


# --------------------------------------------------------------------------- writer


def dumps(
    header: Mapping[str, Any],
    tensors: Mapping[str, Any],
    *,
    compress: bool = False,
    validate: bool = True,
    max_header_bytes: int = DEFAULT_MAX_HEADER_BYTES,
    max_tensor_bytes: int = DEFAULT_MAX_TENSOR_BYTES,
) -> bytes:
    """Serialise ``header`` (without its ``tensors`` key) and ``tensors`` to bytes.

    The tensor table is computed here: one valid placement, names in ascending
    byte order, each tensor 64-byte aligned.  With ``compress=True`` every
    tensor is stored as one zlib stream (level 9).  With ``validate=True`` (the
    default) the written header must pass the same section checks as a reader's.
    """
    if not isinstance(header, Mapping):
        raise TypeError("header must be a mapping")
    if "tensors" in header:
        raise ValueError("header must not contain 'tensors'; the writer computes the tensor table")

    table: Dict[str, dict] = {}
    arrays: Dict[str, np.ndarray] = {}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        if not _is_str(name) or not _TENSOR_NAME.fullmatch(name):
            raise ValueError(f"tensor name {name!r} is not 1-128 bytes of [A-Za-z0-9._-]")
        arr = np.asarray(tensors[name])
        dname = _dtype_name(arr)
        if arr.ndim > MAX_RANK:
            raise ValueError(f"tensor '{name}': rank {arr.ndim} exceeds {MAX_RANK}")
        arr = np.array(arr, dtype=DTYPES[dname], order="C", copy=False)  # keeps 0-d arrays 0-d
        raw = arr.tobytes(order="C")
        if len(raw) > max_tensor_bytes:
            raise ValueError(f"tensor '{name}': {len(raw)} bytes exceed the tensor limit of {max_tensor_bytes}")
        stored = zlib.compress(raw, 9) if compress else raw
        table[name] = {
            "compression": "zlib" if compress else "none",
            "crc32": zlib.crc32(stored),
            "dtype": dname,
            "length": len(stored),
            "offset": offset,
            "shape": [int(d) for d in arr.shape],
        }
        arrays[name] = arr
        end = offset + len(stored)
        chunks.append(stored)
        chunks.append(b"\0" * (align64(end) - end))
        offset = align64(end)
    data = b"".join(chunks)
    assert len(data) == offset

    full = dict(header)
    full["tensors"] = table
    header_bytes = dumps_header(full)
    if len(header_bytes) > max_header_bytes:
        raise ValueError(f"header is {len(header_bytes)} bytes, above the limit of {max_header_bytes}")
    if validate:
        # Check what a reader will see, not the Python objects we were given.
        check_sections(_parse_header(header_bytes), arrays, MINOR)

    data_start = align64(PREFIX_SIZE + len(header_bytes))
    out = bytearray()
    # The lowest minor that expresses the file (docs/format.md 5): explain came in 1.1, its
    # background in 1.2, the baseline section in 1.3.
    minor = (2 if "background" in header["explain"] else 1) if "explain" in header else 0
    if "baseline" in header:
        minor = 3
    out += _PREFIX.pack(MAGIC, MAJOR, minor, len(header_bytes), len(data))
    out += header_bytes
    out += b"\0" * (data_start - len(out))
    out += data
    out += struct.pack("<I", zlib.crc32(out))
    return bytes(out)


def write(path, header: Mapping[str, Any], tensors: Mapping[str, Any], **options) -> None:
    """Write a ``.ferry`` file; see :func:`dumps` for the options."""
    data = dumps(header, tensors, **options)
    with open(os.fspath(path), "wb") as f:
        f.write(data)
