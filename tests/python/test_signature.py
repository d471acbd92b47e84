"""Signed artifacts (docs/security.md) across the two readers and the CLI: a file signed by
ferry's C++ (`ferry sign`) is verified by the Python reader with PyNaCl, a file signed in Python
is loaded by `ferry` with --trusted-key, and both refuse the same damage with the same code.
Also the total decoded-size limit of the Python reader."""

from __future__ import annotations

import pathlib
import subprocess

import pytest

from ferry import format as fmt

nacl_signing = pytest.importorskip("nacl.signing")

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLI = ROOT / "build" / "release" / "bin" / "ferry"
IRIS = ROOT / "artifacts" / "iris" / "model.ferry"


def _keys():
    key = nacl_signing.SigningKey.generate()
    public = bytes(key.verify_key).hex()
    return bytes(key).hex() + public, public


def _cli(*args, check=True):
    if not CLI.exists():
        pytest.skip(f"{CLI.relative_to(ROOT)} is not built (cmake --build build/release --target ferry_cli)")
    return subprocess.run([str(CLI), *map(str, args)], capture_output=True, text=True, check=check)


def test_python_signature_has_the_envelope_layout():
    secret, public = _keys()
    data = IRIS.read_bytes()
    signed = fmt.sign(data, secret)
    assert signed[:8] == fmt.SIGNED_MAGIC and signed[128:] == data
    assert signed[16:48].hex() == public
    nacl_signing.VerifyKey(bytes.fromhex(public)).verify(data, signed[48:112])
    assert fmt.loads(signed, trusted_keys=[public]).header == fmt.loads(data).header
    # Re-signing replaces the envelope instead of nesting one.
    other_secret, other_public = _keys()
    resigned = fmt.sign(signed, other_secret)
    assert len(resigned) == len(signed) and resigned[16:48].hex() == other_public


def test_python_reader_refuses_what_a_trusted_key_did_not_sign():
    secret, public = _keys()
    signed = fmt.sign(IRIS.read_bytes(), secret)
    with pytest.raises(fmt.ArtifactError) as e:
        fmt.loads(IRIS.read_bytes(), trusted_keys=[public])
    assert e.value.code == "signature" and "not signed" in e.value.message
    with pytest.raises(fmt.ArtifactError) as e:
        fmt.loads(signed, trusted_keys=[_keys()[1]])
    assert e.value.code == "signature" and public in e.value.message
    for at in (60, 128, len(signed) // 2, len(signed) - 1):
        damaged = bytearray(signed)
        damaged[at] ^= 1
        for keys in ([public], []):
            with pytest.raises(fmt.ArtifactError) as e:
                fmt.loads(bytes(damaged), trusted_keys=keys)
            assert e.value.code == "signature" and "does not match" in e.value.message
    reserved = bytearray(signed)
    reserved[127] = 1
    with pytest.raises(fmt.ArtifactError) as e:
        fmt.loads(bytes(reserved))
    assert e.value.code == "format" and "reserved" in e.value.message
    with pytest.raises(fmt.ArtifactError) as e:
        fmt.loads(signed, trusted_keys=["abc"])
    assert e.value.code == "signature"


def test_cpp_signs_and_python_verifies(tmp_path):
    _cli("keygen", tmp_path / "k")
    public = (tmp_path / "k.pub").read_text().strip()
    assert (tmp_path / "k.key").stat().st_mode & 0o077 == 0  # the secret key is private
    _cli("sign", IRIS, "--key", tmp_path / "k.key", "-o", tmp_path / "signed.ferry")
    signed = (tmp_path / "signed.ferry").read_bytes()
    assert fmt.loads(signed, trusted_keys=[public]).header == fmt.loads(IRIS.read_bytes()).header
    # keygen never overwrites a key.
    assert _cli("keygen", tmp_path / "k", check=False).returncode == 1


def test_python_signs_and_cpp_verifies(tmp_path):
    secret, public = _keys()
    path = tmp_path / "signed.ferry"
    path.write_bytes(fmt.sign(IRIS.read_bytes(), secret))
    ok = _cli("--trusted-key", public, "verify", path)
    assert ok.stdout.startswith("ok:")
    untrusted = _cli("verify", path, "--trusted-key", _keys()[1], check=False)
    assert untrusted.returncode == 1 and "ferry signature error" in untrusted.stderr
    damaged = bytearray(path.read_bytes())
    damaged[-10] ^= 1
    path.write_bytes(bytes(damaged))
    refused = _cli("verify", path, check=False)
    assert refused.returncode == 1 and "does not match" in refused.stderr
    unsigned = _cli("verify", IRIS, "--trusted-key", public, check=False)
    assert unsigned.returncode == 1 and "not signed" in unsigned.stderr


def test_total_decoded_bytes_are_bounded_before_inflating():
    data = IRIS.read_bytes()
    total = sum(t.nbytes for t in fmt.loads(data).tensors.values())
    fmt.loads(data, max_total_bytes=total)
    with pytest.raises(fmt.ArtifactError) as e:
        fmt.loads(data, max_total_bytes=total - 1)
    assert e.value.code == "format" and "in total" in e.value.message
