"""scikit-learn's hashing trick as the reference kernels compute it (docs/format.md 4.54; C++
twin: src/pipeline/feature_hashing.hpp): written out here rather than borrowed from
scikit-learn, so that the reference checks the format, not scikit-learn against itself."""

from __future__ import annotations

from typing import Iterable, List, Tuple

_M32 = 0xFFFFFFFF


def _rotl(x: int, r: int) -> int:
    return ((x << r) | (x >> (32 - r))) & _M32


def murmurhash3_32(key: bytes, seed: int = 0) -> int:
    """MurmurHash3_x86_32 of key (blocks read little-endian), as a signed 32-bit integer:
    scikit-learn's murmurhash3_bytes_s32."""
    c1, c2 = 0xCC9E2D51, 0x1B873593
    h = seed & _M32
    n = len(key)
    for i in range(0, n - n % 4, 4):
        k = int.from_bytes(key[i: i + 4], "little")
        k = (_rotl((k * c1) & _M32, 15) * c2) & _M32
        h = (_rotl(h ^ k, 13) * 5 + 0xE6546B64) & _M32
    tail = key[n - n % 4:]
    if tail:
        k = int.from_bytes(tail, "little")
        h ^= (_rotl((k * c1) & _M32, 15) * c2) & _M32
    h ^= n
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & _M32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & _M32
    h ^= h >> 16
    return h - (1 << 32) if h >= 1 << 31 else h


def hashed_row(features: Iterable[Tuple[str, float]], n_features: int, alternate_sign: bool) -> List[Tuple[int, float]]:
    """One row of (name, value) features -> (column, value) pairs as scikit-learn's
    _hashing_transform and scipy's sum_duplicates leave them: zero values skipped, column
    |h| mod n (h = -2**31: (2**31 - 1 - (n - 1)) mod n), the value negated for h < 0 with
    alternate_sign, sorted by column, each column's values summed (a cancelled sum stays, 0)."""
    entries: List[Tuple[int, float]] = []
    for name, value in features:
        if value == 0:
            continue
        h = murmurhash3_32(name.encode("utf-8"))
        column = (2147483647 - (n_features - 1)) % n_features if h == -(1 << 31) else abs(h) % n_features
        entries.append((column, -float(value) if alternate_sign and h < 0 else float(value)))
    entries.sort(key=lambda e: e[0])  # stable: std::sort agrees on rows of up to 16 entries
    out: List[Tuple[int, float]] = []
    for column, value in entries:
        if out and out[-1][0] == column:
            out[-1] = (column, out[-1][1] + value)
        else:
            out.append((column, value))
    return out
