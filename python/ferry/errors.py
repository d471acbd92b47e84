"""The error the C++ runtime raises (ferry::Error, include/ferry/error.hpp), in Python.

Pure Python, so code that handles ferry's errors imports without the native module.
"""

from __future__ import annotations

import enum


class ErrorCode(enum.IntEnum):
    """ferry::ErrorCode: the same values, append only (docs/api.md, "Errors")."""

    IO = 1
    FORMAT = 2
    CHECKSUM = 3
    VERSION = 4
    UNSUPPORTED = 5
    SCHEMA = 6
    SHAPE = 7
    VALUE = 8
    VERIFICATION = 9
    SIGNATURE = 12


class FerryError(Exception):
    """A ferry::Error raised by the C++ runtime.

    ``code`` is the :class:`ErrorCode` (``int(e.code)`` is ferry::ErrorCode's value),
    ``message`` ferry::Error::message() and ``str(e)`` its what():
    ``ferry value error: row 3, column "x": ...``.
    """

    def __init__(self, code, message: str):
        try:
            code = ErrorCode(code)
        except ValueError:  # a code newer than this package: keep the number
            code = int(code)
        name = code.name.lower() if isinstance(code, ErrorCode) else str(code)
        super().__init__(f"ferry {name} error: {message}")
        self.code = code
        self.message = message

    def __reduce__(self):  # picklable, so it crosses process boundaries (Dask workers)
        return (type(self), (int(self.code), self.message))
