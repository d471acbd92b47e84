"""The .ferry container: writer/reader round trips and every rejection of docs/format.md."""

from __future__ import annotations

import json
import struct
import zlib

import numpy as np
import pytest

import ferry
from ferry import format as fmt
from conftest import MAGIC, align64, build_file, canonical_json, frame, minimal_header, tensor_region


def code_of(data, **kw):
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(data, **kw)
    return ei.value.code


def test_crc32_is_iso_hdlc():
    assert zlib.crc32(b"123456789") == 0xCBF43926


def test_artifact_error_is_value_error():
    assert issubclass(ferry.ArtifactError, ValueError)
    e = ferry.ArtifactError("checksum", "x")
    assert e.code == "checksum"


# ----------------------------------------------------------------------------- round trips

ARBITRARY = {
    "a.float64": np.arange(12, dtype=np.float64).reshape(3, 4) / 7,
    "b.float32": np.array([[1.5, -2.25], [np.inf, -0.0]], dtype=np.float32),
    "c.int64": np.array([-(2**63), 2**63 - 1, 0], dtype=np.int64),
    "d.int32": np.array([[[-(2**31)]], [[2**31 - 1]]], dtype=np.int32),
    "e.uint8": np.arange(256, dtype=np.uint8),
    "f.scalar": np.array(3.25),
    "g.empty": np.zeros((0,), dtype=np.float64),
    "h.empty2": np.zeros((3, 0, 2), dtype=np.int32),
    "i.rank8": np.arange(256, dtype=np.uint8).reshape((2,) * 8),
    "j.bigendian": np.array([1.0, 2.0, 3.0], dtype=">f8"),
    "k.strided": np.arange(20, dtype=np.int64).reshape(4, 5)[:, ::2],
    "Z_-.9": np.array([np.nan, 1e308, 5e-324]),
}


@pytest.mark.parametrize("compress", [False, True])
def test_round_trip_arbitrary_tensors(tmp_path, compress):
    path = tmp_path / "t.ferry"
    header = {"note": "container only", "nested": {"b": [1, 2.5, None, True, "é"]}}
    ferry.write(path, header, ARBITRARY, compress=compress, validate=False)
    art = ferry.read(path, validate=False)
    assert (art.major, art.minor) == (1, 0)
    assert set(art.tensors) == set(ARBITRARY)
    for name, src in ARBITRARY.items():
        got = art.tensors[name]
        assert got.shape == src.shape, name
        assert got.dtype == src.dtype.newbyteorder("="), name
        np.testing.assert_array_equal(got, src)
        assert got.tobytes() == np.ascontiguousarray(src, dtype=src.dtype.newbyteorder("<")).tobytes()
    assert art.header == header  # read(write(h, t)).header == h
    assert sorted(art.tensor_table) == sorted(ARBITRARY)
    assert {e["compression"] for e in art.tensor_table.values()} == {"zlib" if compress else "none"}
    # same bytes from memory and from the path
    assert ferry.read(path.read_bytes(), validate=False).header == art.header


@pytest.mark.parametrize("compress", [False, True])
def test_written_layout_follows_the_spec(compress):
    data = fmt.dumps({"x": 1}, ARBITRARY, compress=compress, validate=False)
    assert data[:8] == MAGIC
    major, minor, hl, dl = struct.unpack_from("<HHIQ", data, 8)
    assert (major, minor) == (1, 0)
    header = data[24:24 + hl]
    parsed = json.loads(header)
    assert header == canonical_json(parsed)  # sorted keys, no whitespace
    data_start = align64(24 + hl)
    assert set(data[24 + hl:data_start]) <= {0}
    assert len(data) == data_start + dl + 4 and dl % 64 == 0
    assert struct.unpack("<I", data[-4:])[0] == zlib.crc32(data[:-4])
    # unique placement, zero padding, per-tensor CRC
    table = parsed["tensors"]
    expected_offset = 0
    for name in sorted(table):
        e = table[name]
        assert e["offset"] == expected_offset
        stored = data[data_start + e["offset"]:data_start + e["offset"] + e["length"]]
        assert zlib.crc32(stored) == e["crc32"]
        assert e["compression"] == ("zlib" if compress else "none")
        end = e["offset"] + e["length"]
        assert set(data[data_start + end:data_start + align64(end)]) <= {0}
        expected_offset = align64(end)
    assert dl == expected_offset


def test_no_tensors():
    data = fmt.dumps({"k": "v"}, {}, validate=False)
    assert struct.unpack_from("<Q", data, 16)[0] == 0
    art = ferry.read(data, validate=False)
    assert art.tensors == {} and art.tensor_table == {} and art.header == {"k": "v"}


def test_writer_is_deterministic():
    assert fmt.dumps({"b": 1, "a": [2]}, ARBITRARY, validate=False) == fmt.dumps(
        {"a": [2], "b": 1}, dict(reversed(list(ARBITRARY.items()))), validate=False
    )


@pytest.mark.parametrize(
    "header, tensors",
    [
        ({"tensors": {}}, {}),  # the writer computes the table
        ({"x": float("nan")}, {}),
        ({"x": np.int64(1)}, {}),
        ({}, {"bad name": np.zeros(1)}),
        ({}, {"": np.zeros(1)}),
        ({}, {"x" * 129: np.zeros(1)}),
        ({}, {"b": np.zeros(1, dtype=bool)}),
        ({}, {"h": np.zeros(1, dtype=np.float16)}),
        ({}, {"u": np.zeros(1, dtype=np.uint32)}),
        ({}, {"r9": np.zeros((1,) * 9)}),
    ],
)
def test_writer_rejects(header, tensors):
    with pytest.raises((ValueError, TypeError)):
        fmt.dumps(header, tensors, validate=False)


def test_writer_validates_sections():
    header, tensors = minimal_header()
    fmt.dumps(header, tensors)  # valid
    with pytest.raises(ferry.ArtifactError) as ei:
        fmt.dumps(header, dict(tensors, **{"extra.unused": np.zeros(2)}))
    assert ei.value.code == "format" and "extra.unused" in str(ei.value)


def test_max_tensor_name_length():
    name = "n" * 128
    art = ferry.read(fmt.dumps({}, {name: np.zeros(1)}, validate=False), validate=False)
    assert name in art.tensors


# ----------------------------------------------------------------------------- a valid model file


def test_minimal_model_reads_and_matches_hand_built_file(small_file):
    header, tensors = minimal_header()
    art = ferry.read(small_file)
    for k, v in tensors.items():
        np.testing.assert_array_equal(art.tensors[k], v)
    assert fmt.dumps(header, tensors) == small_file  # the writer places tensors exactly like the spec


def test_unknown_keys_are_ignored():
    header, tensors = minimal_header()
    header = json.loads(json.dumps(header))
    header["future_section"] = {"anything": [1, 2]}
    header["metadata"]["future"] = 1
    header["schema"]["inputs"][0]["future"] = "x"
    header["estimator"]["params"]["future"] = True
    ferry.read(build_file(header, tensors))


def test_newer_minor_is_read_with_a_warning():
    header, tensors = minimal_header()
    data = build_file(header, tensors, minor=7)
    with pytest.warns(fmt.NewerMinorWarning):
        art = ferry.read(data)
    assert (art.major, art.minor) == (1, 7)


def test_newer_minor_may_carry_tensors_for_unknown_sections():
    header, tensors = minimal_header()
    tensors["future.background"] = np.zeros((4, 2))
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(build_file(header, tensors, minor=fmt.MINOR))
    assert ei.value.code == "format" and "future.background" in str(ei.value)
    with pytest.warns(fmt.NewerMinorWarning):
        ferry.read(build_file(header, tensors, minor=fmt.MINOR + 1))


# ----------------------------------------------------------------------------- frame damage


def test_truncation_at_every_length(small_file):
    for n in range(len(small_file)):
        cut = small_file[:n]
        code = code_of(cut)
        if n < 28:
            assert code == "format", n
        elif struct.unpack("<I", cut[-4:])[0] == zlib.crc32(cut[:-4]):
            assert code == "format", n  # passed step 4 by chance, fails the size check
        else:
            assert code == "checksum", n


def test_every_single_byte_flip(small_file):
    for i in range(len(small_file)):
        for mask in (0x01, 0x80, 0xFF):
            damaged = bytearray(small_file)
            damaged[i] ^= mask
            with pytest.raises(ferry.ArtifactError) as ei:
                ferry.read(bytes(damaged))
            code = ei.value.code
            if i < 8:
                assert code == "format" and "not a ferry artifact" in str(ei.value), (i, mask)
            elif i in (8, 9):
                major = struct.unpack_from("<H", damaged, 8)[0]
                assert code == ("format" if major == 0 else "version"), (i, mask)
            else:
                assert code == "checksum", (i, mask)


def test_short_files():
    for data in (b"", MAGIC, MAGIC + b"\0" * 19):
        assert code_of(data) == "format"


def test_bad_magic():
    data = bytearray(frame({}))
    data[1:6] = b"FERRZ"
    with pytest.raises(ferry.ArtifactError, match="not a ferry artifact") as ei:
        ferry.read(bytes(data))
    assert ei.value.code == "format"


def test_newer_major_is_a_version_error_naming_both_versions(small_file):
    header, tensors = minimal_header()
    data = build_file(header, tensors, major=2, minor=3)
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(data)
    assert ei.value.code == "version"
    assert "2.3" in str(ei.value) and f"1.{fmt.MINOR}" in str(ei.value)
    # the version check comes before the checksum
    assert code_of(data[:-4] + b"\0\0\0\0") == "version"


def test_major_zero_is_format():
    header, tensors = minimal_header()
    assert code_of(build_file(header, tensors, major=0)) == "format"


def test_trailer_mismatch_is_checksum(small_file):
    assert code_of(small_file[:-4] + b"\0\0\0\0") == "checksum"


def test_size_and_length_fields():
    header, tensors = minimal_header()
    table, data = tensor_region(tensors)
    h = dict(header, tensors=table)
    hb = canonical_json(h)
    # header_length says something else (CRC still valid)
    assert code_of(frame(hb, data, header_length=len(hb) + 64)) == "format"
    assert code_of(frame(hb, data, header_length=1)) == "format"
    # data_length not a multiple of 64 / too long / too short
    assert code_of(frame(hb, data, data_length=len(data) + 1)) == "format"
    assert code_of(frame(hb, data, data_length=len(data) + 64)) == "format"
    assert code_of(frame(hb, data, data_length=len(data) - 64)) == "format"
    # trailing bytes
    assert code_of(frame(hb, data, trailing=b"\0" * 64)) == "format"
    # the reader's header limit
    ok = frame(hb, data)
    ferry.read(ok)
    assert code_of(ok, max_header_bytes=len(hb) - 1) == "format"


def test_header_padding_must_be_zero():
    header, tensors = minimal_header()
    table, data = tensor_region(tensors)
    hb = canonical_json(dict(header, tensors=table))
    assert (24 + len(hb)) % 64 != 0  # there is padding to damage
    assert code_of(frame(hb, data, pad_byte=0x20)) == "format"


@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1,"a":2}',
        b'{"a":{"b":1,"b":1}}',
        b'{"a":[{"x":1,"y":2,"x":3}]}',
        b"[]",
        b'"text"',
        b"\xef\xbb\xbf{}",
        b'{"a":"\xff"}',
        b'{"a":"\xed\xa0\x80"}',  # UTF-8-encoded surrogate
        b'{"a":"\\ud800"}',  # lone surrogate escape
        b'{"a":NaN}',
        b'{"a":Infinity}',
        b'{"a":1e999}',
        b'{"a":1,}',
        b"{'a':1}",
        b"{}x",
        b"{",
        b'{"a":1}\x00',
        b"[" * 100000 + b"]" * 100000,
    ],
)
def test_bad_header_json_is_format(raw):
    assert code_of(frame(raw)) == "format"


def test_json_whitespace_is_allowed():
    # keys unsorted and whitespace: readers accept it (writers SHOULD NOT emit it)
    header, tensors = minimal_header()
    table, data = tensor_region(tensors)
    text = json.dumps(dict(header, tensors=table), indent=2).encode()
    ferry.read(frame(text, data))


# ----------------------------------------------------------------------------- tensor table damage


def _tensor_file(entries, data, **kw):
    """A container with a hand-written tensor table (sections not checked)."""
    return frame({"tensors": entries}, data, **kw)


def _valid_two():
    return tensor_region({"a": np.arange(3, dtype=np.float64), "b": np.arange(5, dtype=np.int32)})


def test_hand_built_table_is_valid():
    table, data = _valid_two()
    art = ferry.read(_tensor_file(table, data), validate=False)
    np.testing.assert_array_equal(art.tensors["b"], np.arange(5))


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda t: t["a"].update(offset=64), "hole"),  # first tensor not at 0
        (lambda t: t["b"].update(offset=128), "hole"),
        (lambda t: t["b"].update(offset=0), "overlap"),
        (lambda t: t["b"].update(offset=24), "overlap"),  # unaligned, inside a
        (lambda t: t["a"].update(shape=[2]), "length"),
        (lambda t: t["a"].update(length=32), "length"),
        (lambda t: t["a"].update(dtype="float16"), "dtype"),
        (lambda t: t["a"].update(dtype="int64"), None),  # still placed right, but a["crc"] ok -> loads
        (lambda t: t["a"].update(compression="gzip"), "compression"),
        (lambda t: t["a"].update(shape=[-3]), "shape"),
        (lambda t: t["a"].update(shape=[True, 3]), "shape"),
        (lambda t: t["a"].update(shape=[3.0]), "shape"),
        (lambda t: t["a"].update(shape=3), "shape"),
        (lambda t: t["a"].update(shape=[1] * 9), "rank"),
        (lambda t: t["a"].update(offset=0.0), "offset"),
        (lambda t: t["a"].update(crc32=-1), "crc32"),
        (lambda t: t["a"].update(crc32=2**32), "crc32"),
        (lambda t: t["a"].pop("crc32"), "crc32"),
        (lambda t: t.update(x=[]), "not an object"),
        (lambda t: t.__setitem__("bad name", t.pop("a")), "bad name"),
    ],
)
def test_tensor_table_damage_is_format(damage, message):
    table, data = _valid_two()
    damage(table)
    f = _tensor_file(table, data)
    if message is None:
        ferry.read(f, validate=False)  # a reinterpretation that is still well-formed
        return
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(f, validate=False)
    assert ei.value.code == "format"
    assert message in str(ei.value)


def test_data_length_must_match_the_table():
    table, data = _valid_two()
    assert code_of(_tensor_file(table, data + b"\0" * 64), validate=False) == "format"
    assert code_of(_tensor_file({}, data), validate=False) == "format"


def test_missing_tensors_table_is_format():
    assert code_of(frame({"metadata": {}}), validate=False) == "format"
    assert code_of(frame({"tensors": []}), validate=False) == "format"


def test_tensor_padding_must_be_zero():
    table, data = _valid_two()
    data = bytearray(data)
    data[24] = 1  # after a's 24 bytes, before b at 64
    assert code_of(_tensor_file(table, bytes(data)), validate=False) == "format"


def test_tensor_crc_mismatch_is_checksum():
    table, data = _valid_two()
    data = bytearray(data)
    data[70] ^= 0x10  # inside b
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(_tensor_file(table, bytes(data)), validate=False)
    assert ei.value.code == "checksum" and "'b'" in str(ei.value)


@pytest.mark.parametrize(
    "shape",
    [[2**32, 2**32, 2**32], [2**64], [2**63, 4], [2**40, 2**40, 0]],
)
def test_shape_overflow_is_format(shape):
    table = {"a": {"dtype": "float64", "shape": shape, "offset": 0, "length": 0, "compression": "none", "crc32": 0}}
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(_tensor_file(table, b""), validate=False)
    assert ei.value.code == "format"


def test_tensor_size_limit():
    big = np.zeros(1000)
    table, data = tensor_region({"a": big})
    f = _tensor_file(table, data)
    ferry.read(f, validate=False)
    assert code_of(f, validate=False, max_tensor_bytes=7999) == "format"
    # a huge declared shape is refused from the table alone, before any data is touched
    table = {"a": {"dtype": "uint8", "shape": [2**30 + 1], "offset": 0, "length": 10, "compression": "zlib",
                   "crc32": 0}}
    assert code_of(_tensor_file(table, b"\0" * 64), validate=False) == "format"


def test_empty_dimension_with_huge_neighbour_is_allowed():
    table = {"a": {"dtype": "float64", "shape": [0, 2**40], "offset": 0, "length": 0, "compression": "none",
                   "crc32": 0}}
    art = ferry.read(_tensor_file(table, b""), validate=False)
    assert art.tensors["a"].shape == (0, 2**40)


def _zlib_file(raw_expected: bytes, stored: bytes, shape):
    table = {"a": {"dtype": "uint8", "shape": shape, "offset": 0, "length": len(stored), "compression": "zlib",
                   "crc32": zlib.crc32(stored)}}
    data = stored + b"\0" * (align64(len(stored)) - len(stored))
    return _tensor_file(table, data)


def test_zlib_round_trip_by_hand():
    raw = bytes(range(100)) * 3
    art = ferry.read(_zlib_file(raw, zlib.compress(raw), [300]), validate=False)
    assert art.tensors["a"].tobytes() == raw


@pytest.mark.parametrize(
    "stored, shape",
    [
        (zlib.compress(b"\1" * 300), [299]),  # inflates to more
        (zlib.compress(b"\1" * 300), [301]),  # inflates to less
        (zlib.compress(b"\0" * 50_000_000, 9), [8]),  # a zip bomb stops at 9 bytes
        (zlib.compress(b"\1" * 300) + b"junk", [300]),  # bytes after the stream
        (zlib.compress(b"\1" * 300)[:-6], [300]),  # truncated stream
        (zlib.compress(b"\1" * 300)[2:], [300]),  # raw deflate, not zlib
        (b"\x1f\x8b" + zlib.compress(b"\1" * 300), [300]),  # not a zlib header
        (b"", [0]),  # no stream at all
    ],
)
def test_bad_zlib_is_format(stored, shape):
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(_zlib_file(b"", stored, shape), validate=False)
    assert ei.value.code == "format"


# ----------------------------------------------------------------------------- section checks


def _damaged_model(edit, tensors_edit=None, **frame_kw):
    header, tensors = minimal_header()
    header = json.loads(json.dumps(header))
    edit(header)
    if tensors_edit:
        tensors_edit(tensors)
    return build_file(header, tensors, **frame_kw)


@pytest.mark.parametrize(
    "edit, tensors_edit, code, message",
    [
        (lambda h: h.pop("metadata"), None, "format", "metadata"),
        (lambda h: h.pop("schema"), None, "format", "schema"),
        (lambda h: h.pop("pipeline"), None, "format", "pipeline"),
        (lambda h: h.pop("estimator"), None, "format", "estimator"),
        (lambda h: h["metadata"].pop("version"), None, "format", "version"),
        (lambda h: h["metadata"].update(created="2026-01-01 00:00:00"), None, "format", "created"),
        (lambda h: h["metadata"].update(created="2026-02-30T00:00:00Z"), None, "format", "created"),
        (lambda h: h["schema"]["inputs"][1].update(name="x0"), None, "format", "unique"),
        (lambda h: h["schema"]["inputs"][1].update(name=""), None, "format", "name"),
        (lambda h: h["schema"]["inputs"][1].update(kind="image"), None, "unsupported", "image"),
        (lambda h: h["schema"]["inputs"][1].update(kind="categorical"), None, "format", "categories is missing"),
        (lambda h: h["schema"]["inputs"][1].update(range=[2, 1]), None, "format", "range"),
        (lambda h: h["schema"].update(task="ranking"), None, "format", "task"),
        (lambda h: h["schema"].update(n_outputs=2), None, "format", "n_outputs"),
        (lambda h: h["schema"].update(classes={"dtype": "int64", "values": [0]}), None, "format", "classes"),
        (lambda h: h["pipeline"][0].update(type="one_hot"), None, "unsupported", "one_hot"),
        (lambda h: h["estimator"].update(type="self_organizing_map"), None, "unsupported", "self_organizing_map"),
        (lambda h: h["pipeline"][0].update(type="linear"), None, "format", "linear"),
        (lambda h: h["pipeline"][0].update(n_features_in=3), None, "format", "n_features_in"),
        (lambda h: h["estimator"].update(n_features_in=3), None, "format", "n_features_in"),
        (lambda h: h["estimator"]["params"].update(link="logistic"), None, "format", "link"),
        (lambda h: h["estimator"]["params"].update(link="probit"), None, "format", "link"),
        (lambda h: h["pipeline"][0]["params"].pop("with_std"), None, "format", "with_std"),
        (lambda h: h["pipeline"][0]["params"].update(with_std=False), None, "format", "scale"),
        (lambda h: h["pipeline"][0]["tensors"].pop("mean"), None, "format", "mean"),
        (lambda h: h["pipeline"][0]["tensors"].update(mean="nope"), None, "format", "nope"),
        (lambda h: h["pipeline"][0]["tensors"].update(mean="estimator.coef"), None, "format", "float64"),
        (None, lambda t: t.update({"steps.0.scale": np.array([1.0, 0.0])}), "format", "scale"),
        (None, lambda t: t.update({"steps.0.scale": np.array([1.0, np.inf])}), "format", "scale"),
        (None, lambda t: t.update({"steps.0.mean": np.array([1, 2], dtype=np.int64)}), "format", "float64"),
        (None, lambda t: t.update({"estimator.coef": np.zeros((2, 2))}), "format", "coef"),
        (None, lambda t: t.update({"orphan": np.zeros(1)}), "format", "orphan"),
    ],
)
def test_section_damage(edit, tensors_edit, code, message):
    data = _damaged_model(edit or (lambda h: None), tensors_edit)
    with pytest.raises(ferry.ArtifactError) as ei:
        ferry.read(data)
    assert ei.value.code == code, str(ei.value)
    assert message in str(ei.value)
    ferry.read(data, validate=False)  # the container itself is fine


def _classifier_header(link, k, classes):
    header, tensors = minimal_header(n=2, with_scaler=False)
    c = len(classes["values"])
    header["schema"].update(task="classification", n_outputs=c, classes=classes)
    header["estimator"].update(n_features_out=k, params={"link": link})
    tensors["estimator.coef"] = np.ones((k, 2))
    tensors["estimator.intercept"] = np.zeros(k)
    return header, tensors


@pytest.mark.parametrize(
    "link, k, values, ok",
    [
        ("logistic", 1, [0, 1], True),
        ("softmax", 1, [0, 1], True),
        ("softmax", 3, [0, 1, 2], True),
        ("ovr", 3, [0, 1, 2], True),
        ("logistic", 3, [0, 1, 2], False),
        ("ovr", 2, [0, 1], False),
        ("ovr", 1, [0, 1], False),
        ("softmax", 2, [0, 1], False),
        ("identity", 1, [0, 1], False),
        ("softmax", 2, [0, 1, 2], False),
    ],
)
def test_linear_link_and_k(link, k, values, ok):
    header, tensors = _classifier_header(link, k, {"dtype": "int64", "values": values})
    data = build_file(header, tensors)
    if ok:
        ferry.read(data)
    else:
        assert code_of(data) == "format"


@pytest.mark.parametrize(
    "classes, ok",
    [
        ({"dtype": "int64", "values": [3, 7]}, True),
        ({"dtype": "str", "values": ["a", "b"]}, True),
        ({"dtype": "bool", "values": [False, True]}, True),
        ({"dtype": "float64", "values": [0.5, 2]}, True),
        ({"dtype": "int64", "values": [3, 3]}, False),
        ({"dtype": "float64", "values": [1, 1.0]}, False),
        ({"dtype": "int64", "values": [3, 7.0]}, False),
        ({"dtype": "int64", "values": [0, True]}, False),
        ({"dtype": "bool", "values": [0, 1]}, False),
        ({"dtype": "str", "values": ["a", 1]}, False),
        ({"dtype": "int64", "values": [0, 2**63]}, False),
        ({"dtype": "object", "values": [0, 1]}, False),
        ({"dtype": "int64", "values": [0, 1, 2]}, False),
        (None, False),
    ],
)
def test_class_labels(classes, ok):
    header, tensors = _classifier_header("logistic", 1, {"dtype": "int64", "values": [0, 1]})
    header["schema"]["classes"] = classes
    data = build_file(header, tensors)
    if ok:
        ferry.read(data)
    else:
        assert code_of(data) == "format"


def _with_verification(header, tensors, rows=3, outputs=None, **extra):
    header = json.loads(json.dumps(header))
    tensors = dict(tensors)
    tensors["verification.input"] = np.zeros((rows, 2))
    tensors["verification.predict"] = np.zeros((rows, 1))
    header["verification"] = {
        "rows": rows, "input": "verification.input", "rtol": 1e-9, "atol": 1e-10,
        "outputs": outputs if outputs is not None else {"predict": "verification.predict"},
    }
    header["verification"].update(extra)
    return header, tensors


def test_verification_section():
    header, tensors = minimal_header()
    ferry.read(build_file(*_with_verification(header, tensors)))
    h, t = _with_verification(header, tensors, rows=0)
    assert code_of(build_file(h, t)) == "format"
    h, t = _with_verification(header, tensors, rtol=-1)
    assert code_of(build_file(h, t)) == "format"
    h, t = _with_verification(header, tensors)
    t["verification.predict"] = np.zeros(3)  # regression predict is [rows, n_outputs]
    assert code_of(build_file(h, t)) == "format"
    h, t = _with_verification(header, tensors, outputs={"predict": "verification.missing"})
    assert code_of(build_file(h, t)) == "format"


def test_classifier_verification_indices_in_range():
    header, tensors = _classifier_header("logistic", 1, {"dtype": "int64", "values": [0, 1]})
    header, tensors = _with_verification(header, tensors, outputs={"predict": "verification.predict"})
    tensors["verification.predict"] = np.array([0, 1, 1], dtype=np.int64)
    # A classifier's verification needs predict_proba too (docs/format.md 3.4).
    assert code_of(build_file(header, tensors)) == "format"
    header["verification"]["outputs"]["predict_proba"] = "verification.predict_proba"
    tensors["verification.predict_proba"] = np.full((3, 2), 0.5)
    ferry.read(build_file(header, tensors))
    tensors["verification.predict"] = np.array([0, 2, 1], dtype=np.int64)
    assert code_of(build_file(header, tensors)) == "format"


@pytest.mark.parametrize("name", ["steps.0.mean", "steps.0.scale", "estimator.coef", "estimator.intercept"])
@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_step_tensors_must_be_finite(name, bad):
    header, tensors = minimal_header()
    tensors[name] = tensors[name].copy()
    tensors[name].flat[0] = bad
    assert code_of(build_file(header, tensors)) == "format"


def test_nullable_inputs_are_accepted():
    header, tensors = minimal_header()
    header["schema"]["inputs"][1]["nullable"] = True
    assert ferry.read(build_file(header, tensors)).header["schema"]["inputs"][1]["nullable"] is True
    header["schema"]["inputs"][1]["nullable"] = 1
    assert code_of(build_file(header, tensors)) == "format"
