"""Python half of the cross-language round trip driven by tests/CMakeLists.txt.

Its C++ twin is tests/support/artifact_roundtrip_tool.cpp; the known contents below mirror it.
"""
import math
import sys

import numpy as np

import ferry

HEADER_NUMBERS = [0.1, 1e-300, 12345678901234567.0]


def known_tensors():
    values = np.array([math.ldexp(i - 5.5, -3) / 3.0 for i in range(12)], dtype=np.float64)
    return {
        "matrix": values.reshape(3, 4),
        "ints": np.array([-1, 0, 1, 2**63 - 1], dtype=np.int64),
    }


def same_tensors(got, expected):
    assert set(got) == set(expected), (sorted(got), sorted(expected))
    for name, want in expected.items():
        have = got[name]
        assert have.dtype == want.dtype and have.shape == want.shape, name
        assert np.array_equal(have, want), name


def main(command, *paths):
    if command == "write":
        ferry.write(paths[0], {"note": "written by Python \u2713", "numbers": HEADER_NUMBERS}, known_tensors(),
                    validate=False)
    elif command == "check-cpp":
        artifact = ferry.read(paths[0], validate=False)
        assert artifact.header == {"note": "written by C++ \u2713", "numbers": HEADER_NUMBERS}, artifact.header
        same_tensors(artifact.tensors, known_tensors())
    elif command == "compare":
        original, rewritten = ferry.read(paths[0]), ferry.read(paths[1])
        assert original.header == rewritten.header
        same_tensors(rewritten.tensors, original.tensors)
    else:
        raise SystemExit(f"unknown command {command}")


if __name__ == "__main__":
    main(*sys.argv[1:])
