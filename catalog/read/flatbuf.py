"""A minimal flatbuffer table reader, for the hot loops of the TFLite reader.

Written by hand because the generated Python accessors re-read the vtable and check number
types on every field (about 60% of reading a TFLite file went there): here a table reads its
vtable once and each field is one precompiled `struct` unpack. Fields are addressed by slot,
the field's index in the schema (`catalog/read/tflite.py` names them). Damaged offsets raise
`struct.error` or `IndexError`, which the TFLite reader turns into one-line errors.
"""

from __future__ import annotations

import struct

import numpy as np

U8 = struct.Struct("<B")
I8 = struct.Struct("<b")
U16 = struct.Struct("<H")
I32 = struct.Struct("<i")
U32 = struct.Struct("<I")
U64 = struct.Struct("<Q")


class Table:
    """One flatbuffer table at `pos` in `buf`, its vtable read once."""

    __slots__ = ("buf", "pos", "_vtable", "_vsize")

    def __init__(self, buf: bytes | memoryview, pos: int) -> None:
        self.buf = buf
        self.pos = pos
        self._vtable = pos - I32.unpack_from(buf, pos)[0]
        self._vsize = U16.unpack_from(buf, self._vtable)[0]

    @classmethod
    def root(cls, buf: bytes | memoryview) -> Table:
        return cls(buf, U32.unpack_from(buf, 0)[0])

    def offset(self, slot: int) -> int:
        """The field's offset from the table, 0 when the field is absent."""
        entry = 4 + 2 * slot
        return U16.unpack_from(self.buf, self._vtable + entry)[0] if entry < self._vsize else 0

    def scalar(self, slot: int, kind: struct.Struct, default: int | float = 0) -> int | float:
        at = self.offset(slot)
        return kind.unpack_from(self.buf, self.pos + at)[0] if at else default

    def _target(self, at: int) -> int:
        where = self.pos + at
        return where + U32.unpack_from(self.buf, where)[0]

    def table(self, slot: int) -> Table | None:
        at = self.offset(slot)
        return Table(self.buf, self._target(at)) if at else None

    def vector(self, slot: int) -> tuple[int, int]:
        """(where its elements start, how many); (0, 0) when absent."""
        at = self.offset(slot)
        if not at:
            return 0, 0
        start = self._target(at)
        return start + 4, U32.unpack_from(self.buf, start)[0]

    def vector_length(self, slot: int) -> int:
        return self.vector(slot)[1]

    def numbers(self, slot: int, dtype: str) -> np.ndarray:
        """A vector of scalars as a numpy view (empty when absent)."""
        start, count = self.vector(slot)
        if not count:
            return np.zeros(0, dtype=dtype)
        return np.frombuffer(self.buf, dtype=np.dtype(dtype).newbyteorder("<"), count=count, offset=start)

    def tables(self, slot: int) -> list[Table]:
        start, count = self.vector(slot)
        buf = self.buf
        return [Table(buf, start + 4 * i + U32.unpack_from(buf, start + 4 * i)[0]) for i in range(count)]

    def string(self, slot: int) -> bytes:
        at = self.offset(slot)
        if not at:
            return b""
        start = self._target(at)
        length = U32.unpack_from(self.buf, start)[0]
        if start + 4 + length > len(self.buf):
            raise IndexError("string runs past the end of the file")
        return bytes(self.buf[start + 4 : start + 4 + length])
