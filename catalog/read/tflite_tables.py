"""TFLite's hot tables (Tensor, Operator, Buffer) read through `flatbuf.Table`.

They answer the same methods the generated schema bindings do, so the TFLite reader reads
them either way; options tables (read once per op of a few kinds) stay with the bindings.
Slots are the fields' indices in TFLite's schema.fbs.
"""

from __future__ import annotations

import flatbuffers
import numpy as np

from catalog.read.flatbuf import I8, U32, U64, Table

_NONE = np.zeros(0, dtype=np.int32)


class FastTensor(Table):
    __slots__ = ()

    def ShapeAsNumpy(self) -> np.ndarray:  # noqa: N802 - the bindings' names
        return self.numbers(0, "int32")

    def Type(self) -> int:  # noqa: N802
        return int(self.scalar(1, I8))

    def Buffer(self) -> int:  # noqa: N802
        return int(self.scalar(2, U32))

    def Name(self) -> bytes:  # noqa: N802
        return self.string(3)

    def Quantization(self):  # noqa: N802 - -> schema.QuantizationParameters | None
        table = self.table(4)
        if table is None:
            return None
        from ai_edge_litert import schema_py_generated as schema

        quantization = schema.QuantizationParameters()
        quantization.Init(table.buf, table.pos)
        return quantization

    def Sparsity(self) -> Table | None:  # noqa: N802
        return self.table(6)

    def ShapeSignatureAsNumpy(self) -> np.ndarray:  # noqa: N802
        return self.numbers(7, "int32")

    def ShapeSignatureLength(self) -> int:  # noqa: N802
        return self.vector_length(7)


class FastOperator(Table):
    __slots__ = ()

    def OpcodeIndex(self) -> int:  # noqa: N802
        return int(self.scalar(0, U32))

    def InputsAsNumpy(self) -> np.ndarray:  # noqa: N802
        return self.numbers(1, "int32")

    def OutputsAsNumpy(self) -> np.ndarray:  # noqa: N802
        return self.numbers(2, "int32")

    def BuiltinOptions(self) -> flatbuffers.table.Table | None:  # noqa: N802
        table = self.table(4)
        return None if table is None else flatbuffers.table.Table(table.buf, table.pos)


class FastBuffers:
    """The model's buffers: their sizes and bytes."""

    def __init__(self, model) -> None:
        self._tables = _own(model).tables(4)

    def __len__(self) -> int:
        return len(self._tables)

    def data_length(self, index: int) -> int:
        return self._tables[index].vector_length(0)

    def external(self, index: int) -> tuple[int, int]:
        """(offset, size) of data stored after the flatbuffer (models over 2 GB); offset <= 1 when none."""
        table = self._tables[index]
        return int(table.scalar(1, U64)), int(table.scalar(2, U64))

    def data(self, index: int) -> bytes:
        table = self._tables[index]
        start, count = table.vector(0)
        if start + count > len(table.buf):
            raise IndexError("buffer runs past the end of the file")
        return bytes(table.buf[start : start + count])


def tensors(subgraph) -> list[FastTensor]:
    """The subgraph's tensors (a generated `SubGraph`), read the fast way."""
    return [FastTensor(t.buf, t.pos) for t in _own(subgraph).tables(0)]


def operators(subgraph) -> list[FastOperator]:
    return [FastOperator(t.buf, t.pos) for t in _own(subgraph).tables(3)]


def _own(generated) -> Table:
    return Table(generated._tab.Bytes, generated._tab.Pos)


__all__ = ["FastBuffers", "FastOperator", "FastTensor", "operators", "tensors"]
