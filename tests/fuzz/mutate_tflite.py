"""TFLite mutations: edits of the flatbuffer's offsets, vtables and vector lengths, found by walking
the file from its root, and structured edits of the seed through the schema's object API."""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass, field

from ai_edge_litert import schema_py_generated as tfl

from tests.fuzz.case import Mutation
from tests.fuzz.seeds import Seed, pack_tflite, tflite_model

# ------------------------------------------------------------------------------ flatbuffer walk


@dataclass
class FlatbufferLayout:
    """Where a flatbuffer keeps its structure: positions of the uint16 vtable entries (with
    their table's size), of the int32 table-to-vtable offsets, of uint32 offsets to tables,
    vectors and strings, and of vector lengths."""

    vtable_entries: list[tuple[int, int]] = field(default_factory=list)
    vtable_headers: list[int] = field(default_factory=list)
    table_starts: list[int] = field(default_factory=list)
    offsets: list[int] = field(default_factory=list)
    vector_lengths: list[int] = field(default_factory=list)


def _u16(data: bytes, position: int) -> int:
    return struct.unpack_from("<H", data, position)[0]


def _u32(data: bytes, position: int) -> int:
    return struct.unpack_from("<I", data, position)[0]


def _i32(data: bytes, position: int) -> int:
    return struct.unpack_from("<i", data, position)[0]


def _vtable(data: bytes, table: int) -> tuple[int, int, int] | None:
    """The table's vtable position, vtable size and table size, if `table` looks like a table."""
    if table % 4 or table + 4 > len(data):
        return None
    vtable = table - _i32(data, table)
    if vtable < 0 or vtable % 2 or vtable + 4 > len(data):
        return None
    vtable_size, table_size = _u16(data, vtable), _u16(data, vtable + 2)
    if vtable_size < 4 or vtable_size % 2 or vtable + vtable_size > len(data):
        return None
    if table_size < 4 or table + table_size > len(data):
        return None
    return vtable, vtable_size, table_size


def flatbuffer_layout(data: bytes) -> FlatbufferLayout:
    """Walk the tables reachable from the root; a field whose bytes point at something shaped
    like a table or a vector is taken for an offset (the walk knows no schema)."""
    found = FlatbufferLayout()
    seen: set[int] = set()

    def visit_reference(at: int) -> None:
        target = at + _u32(data, at)
        if target % 4 or target + 4 > len(data):
            return
        if _vtable(data, target) is not None:
            found.offsets.append(at)
            visit_table(target)
            return
        length = _u32(data, target)
        if target + 4 + length > len(data):
            return
        found.offsets.append(at)
        found.vector_lengths.append(target)
        # a vector of offsets holds elements that each point at a table
        elements = [target + 4 + 4 * i for i in range(length)] if target + 4 + 4 * length <= len(data) else []
        if elements and all(_vtable(data, e + _u32(data, e)) is not None for e in elements[:64]):
            for element in elements[:64]:
                found.offsets.append(element)
                visit_table(element + _u32(data, element))

    def visit_table(table: int) -> None:
        if table in seen or len(seen) > 4096:
            return
        seen.add(table)
        layout = _vtable(data, table)
        if layout is None:
            return
        vtable, vtable_size, table_size = layout
        found.table_starts.append(table)
        found.vtable_headers.append(vtable)
        for entry in range(vtable + 4, vtable + vtable_size, 2):
            found.vtable_entries.append((entry, table_size))
            offset = _u16(data, entry)
            where = table + offset
            if offset and where % 4 == 0 and where + 4 <= len(data):
                visit_reference(where)

    if len(data) >= 8:
        visit_table(_u32(data, 0))
    return found


def _put(data: bytes, position: int, fmt: str, value: int) -> bytes:
    out = bytearray(data)
    struct.pack_into(fmt, out, position, value)
    return bytes(out)


def edit_offset(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at = rng.choice([0, *flatbuffer_layout(data).offsets])
    old = _u32(data, at)
    new = rng.choice([0, 4, old - 4, old + 4, old + 1, len(data) - at, len(data), 0x7FFFFFFF, 0xFFFFFFFF,
                      0xFFFFFFFC, rng.randrange(len(data))]) % 2**32  # fmt: skip
    return _put(data, at, "<I", new), f"uoffset at {at}: {old} -> {new}"


def edit_vtable_entry(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at, table_size = rng.choice(flatbuffer_layout(data).vtable_entries)
    old = _u16(data, at)
    new = rng.choice([0, 1, 2, 3, table_size, table_size + 4, 0xFFFF, 0x8000, rng.randrange(table_size + 1)])
    return _put(data, at, "<H", new), f"vtable entry at {at}: {old} -> {new}"


def edit_vtable_header(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    vtable = rng.choice(flatbuffer_layout(data).vtable_headers)
    at = vtable + rng.choice([0, 2])
    old = _u16(data, at)
    new = rng.choice([0, 2, 4, old + 2, old + 64, 0xFFFF, 0xFFFE])
    return _put(data, at, "<H", new), f"vtable {'size' if at == vtable else 'table size'} at {at}: {old} -> {new}"


def edit_table_start(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at = rng.choice(flatbuffer_layout(data).table_starts)
    old = _i32(data, at)
    new = rng.choice([0, 4, -4, old + 2, old - 2, old + 8, -(2**31), 2**31 - 1, -len(data)])
    return _put(data, at, "<i", new), f"soffset to vtable at {at}: {old} -> {new}"


def edit_vector_length(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    at = rng.choice(flatbuffer_layout(data).vector_lengths)
    old = _u32(data, at)
    new = rng.choice([0, old + 1, old * 2 + 1, len(data), 2**20, 2**28, 0x7FFFFFFF, 0xFFFFFFFF])
    return _put(data, at, "<I", new), f"vector length at {at}: {old} -> {new}"


# ---------------------------------------------------------------------------------- structured

ModelEdit = Callable[[tfl.ModelT, random.Random], str]
HUGE_DIMS = [-1, -2, -(2**31), 0, 2**31 - 1, 2**30, 65536]


def _subgraph(model: tfl.ModelT) -> tfl.SubGraphT:
    return model.subgraphs[0]


def bad_dims(model: tfl.ModelT, rng: random.Random) -> str:
    tensor = rng.choice(_subgraph(model).tensors)
    shape = list(tensor.shape)
    index, value = rng.randrange(len(shape)), rng.choice(HUGE_DIMS)
    shape[index] = value
    tensor.shape = shape
    return f"tensor {tensor.name.decode() if isinstance(tensor.name, bytes) else tensor.name} dim {index} = {value}"


def bad_signature(model: tfl.ModelT, rng: random.Random) -> str:
    tensor = rng.choice(_subgraph(model).tensors)
    signature = list(tensor.shapeSignature or tensor.shape)
    index, value = rng.randrange(len(signature)), rng.choice([-1, -2, -(2**31), 0, 2**31 - 1])
    signature[index] = value
    if rng.random() < 0.3:
        signature.append(-1)
    tensor.shapeSignature = signature
    return f"tensor {tensor.name} shape signature {signature}"


def bad_rank(model: tfl.ModelT, rng: random.Random) -> str:
    tensor = rng.choice(_subgraph(model).tensors)
    tensor.shape = rng.choice([[], [1], [1] * 9, [2] * 40])
    tensor.shapeSignature = None
    return f"tensor {tensor.name} shape {tensor.shape}"


def bad_index(model: tfl.ModelT, rng: random.Random) -> str:
    subgraph = _subgraph(model)
    value = rng.choice([99, -2, -1, 2**31 - 1, -(2**31), len(subgraph.tensors)])
    where = rng.choice(["op input", "op output", "subgraph input", "subgraph output", "opcode", "buffer"])
    op = rng.choice(subgraph.operators)
    if where == "op input":
        op.inputs = [value, *op.inputs[1:]]
    elif where == "op output":
        op.outputs = [value]
    elif where == "subgraph input":
        subgraph.inputs = [value]
    elif where == "subgraph output":
        subgraph.outputs = [value]
    elif where == "opcode":
        op.opcodeIndex = value % 2**32
    else:
        rng.choice(subgraph.tensors).buffer = value % 2**32
    return f"{where} index {value}"


def empty_lists(model: tfl.ModelT, rng: random.Random) -> str:
    subgraph = _subgraph(model)
    which = rng.choice(["subgraphs", "tensors", "operators", "operatorCodes", "buffers", "inputs", "outputs",
                        "op inputs", "op outputs"])  # fmt: skip
    if which in ("subgraphs", "operatorCodes", "buffers"):
        setattr(model, which, [])
    elif which in ("tensors", "operators", "inputs", "outputs"):
        setattr(subgraph, which, [])
    elif which == "op inputs":
        rng.choice(subgraph.operators).inputs = []
    else:
        rng.choice(subgraph.operators).outputs = []
    return f"no {which}"


def bad_opcode(model: tfl.ModelT, rng: random.Random) -> str:
    code = rng.choice(model.operatorCodes)
    builtin = rng.choice([9999, -5, 127, tfl.BuiltinOperator.CUSTOM, tfl.BuiltinOperator.DEPTHWISE_CONV_2D,
                          tfl.BuiltinOperator.TRANSPOSE_CONV, tfl.BuiltinOperator.RESHAPE,
                          tfl.BuiltinOperator.SPLIT, tfl.BuiltinOperator.STRIDED_SLICE,
                          tfl.BuiltinOperator.RESIZE_BILINEAR, tfl.BuiltinOperator.CONCATENATION])  # fmt: skip
    code.builtinCode, code.deprecatedBuiltinCode = builtin, max(-128, min(builtin, 127))
    if builtin == tfl.BuiltinOperator.CUSTOM:
        code.customCode = rng.choice([None, b"\xff\xfe", b"", b"x" * 1000])
    return f"opcode {builtin} (custom {code.customCode!r:.20})"


def bad_options(model: tfl.ModelT, rng: random.Random) -> str:
    subgraph = _subgraph(model)
    conv_options = subgraph.operators[0].builtinOptions
    choice = rng.randrange(5)
    if choice == 0:
        op = rng.choice(subgraph.operators)
        op.builtinOptionsType, op.builtinOptions = tfl.BuiltinOptions.NONE, None
        return "an op without its options"
    if choice == 1:
        subgraph.operators[0].builtinOptionsType = tfl.BuiltinOptions.AddOptions
        subgraph.operators[0].builtinOptions = tfl.AddOptionsT()
        return "CONV_2D carrying ADD options"
    name, value = rng.choice([("strideH", 0), ("strideW", -1), ("strideH", 2**30), ("dilationHFactor", 0),
                              ("dilationWFactor", -7), ("padding", 7), ("fusedActivationFunction", 9),
                              ("dilationHFactor", 2**30)])  # fmt: skip
    setattr(conv_options, name, value)
    return f"CONV_2D {name} = {value}"


def cycle(model: tfl.ModelT, rng: random.Random) -> str:
    conv, add, fully_connected = _subgraph(model).operators
    if rng.random() < 0.5:
        op = rng.choice([conv, add, fully_connected])
        op.inputs = [op.outputs[0], *op.inputs[1:]]
        return "an op feeds itself"
    conv.inputs = [add.outputs[0], *conv.inputs[1:]]
    return "CONV_2D and ADD feed each other"


def bad_buffer(model: tfl.ModelT, rng: random.Random) -> str:
    buffer = rng.choice(model.buffers[1:])
    choice = rng.randrange(3)
    if choice == 0:
        buffer.data = buffer.data[: rng.randrange(len(buffer.data))]
        return "a weight buffer cut short"
    if choice == 1:
        buffer.offset, buffer.size, buffer.data = rng.choice([(2**40, 2**40), (8, 2**62), (2, 0)]) + (None,)
        return f"a weight stored past the flatbuffer (offset {buffer.offset}, size {buffer.size})"
    buffer.data = None
    return "a weight buffer emptied"


def bad_type(model: tfl.ModelT, rng: random.Random) -> str:
    tensor = rng.choice(_subgraph(model).tensors)
    tensor.type = rng.choice([99, -1, tfl.TensorType.STRING, tfl.TensorType.INT8, tfl.TensorType.COMPLEX128,
                              tfl.TensorType.RESOURCE, tfl.TensorType.INT4])  # fmt: skip
    if tensor.type == tfl.TensorType.INT8 and rng.random() < 0.5:
        quantization = tfl.QuantizationParametersT()
        quantization.scale, quantization.zeroPoint = [float("nan")], [2**40]
        tensor.quantization = quantization
    return f"tensor {tensor.name} type {tensor.type}"


def bad_sparsity(model: tfl.ModelT, rng: random.Random) -> str:
    tensor = _subgraph(model).tensors[1]
    dimension = tfl.DimensionMetadataT(format=tfl.DimensionType.DENSE, denseSize=rng.choice([0, -1, 2**31 - 1]))
    tensor.sparsity = tfl.SparsityParametersT(traversalOrder=rng.choice([[], [0, 1, 2, 3], [9, -1]]),
                                              dimMetadata=[dimension])  # fmt: skip
    return "conv weights marked sparse with bad metadata"


def many_ops(model: tfl.ModelT, rng: random.Random) -> str:
    """A long chain of ADDs between the seed's ADD and its FULLY_CONNECTED, each op its own tensor;
    or the seed's ops repeated, every copy writing the same tensors."""
    subgraph = _subgraph(model)
    count = rng.choice([300, 3_000])
    if rng.random() < 0.3:
        subgraph.operators = subgraph.operators * count
        return f"the ops repeated {count} times"
    conv, add, fully_connected = subgraph.operators
    previous = add.outputs[0]
    for index in range(count):
        subgraph.tensors.append(_tensor_like(subgraph.tensors[previous], f"chain{index}"))
        output = len(subgraph.tensors) - 1
        subgraph.operators.insert(-1, _add(add, previous, output))
        previous = output
    fully_connected.inputs = [previous, *fully_connected.inputs[1:]]
    return f"{count} ADDs in a chain"


def _tensor_like(tensor: tfl.TensorT, name: str) -> tfl.TensorT:
    copy = tfl.TensorT()
    copy.name, copy.shape, copy.type, copy.buffer = name, tensor.shape, tensor.type, 0
    copy.shapeSignature = tensor.shapeSignature
    return copy


def _add(template: tfl.OperatorT, source: int, output: int) -> tfl.OperatorT:
    op = tfl.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = template.opcodeIndex, [source, template.inputs[1]], [output]
    op.builtinOptionsType, op.builtinOptions = template.builtinOptionsType, template.builtinOptions
    return op


MODEL_EDITS: dict[str, ModelEdit] = {
    "bad-dims": bad_dims,
    "bad-signature": bad_signature,
    "bad-rank": bad_rank,
    "bad-index": bad_index,
    "empty-lists": empty_lists,
    "bad-opcode": bad_opcode,
    "bad-options": bad_options,
    "cycle": cycle,
    "bad-buffer": bad_buffer,
    "bad-type": bad_type,
    "bad-sparsity": bad_sparsity,
    "many-ops": many_ops,
}
FLATBUFFER_EDITS = {
    "edit-offset": edit_offset,
    "edit-vtable-entry": edit_vtable_entry,
    "edit-vtable-header": edit_vtable_header,
    "edit-table-start": edit_table_start,
    "edit-vector-length": edit_vector_length,
}


def flatbuffer_mutation(name: str) -> Callable[[Seed, random.Random], Mutation]:
    def mutate(seed: Seed, rng: random.Random) -> Mutation:
        data = seed.files[seed.entry]
        details = []
        for _ in range(rng.choice([1, 1, 2])):
            try:
                data, detail = FLATBUFFER_EDITS[name](data, rng)
            except (IndexError, struct.error):
                break  # the first edit hid the structure the second would edit
            details.append(detail)
        return Mutation("; ".join(details), {seed.entry: data})

    return mutate


def model_mutation(name: str) -> Callable[[Seed, random.Random], Mutation]:
    def mutate(seed: Seed, rng: random.Random) -> Mutation:
        model = tflite_model()
        detail = MODEL_EDITS[name](model, rng)
        return Mutation(detail, {seed.entry: pack_tflite(model)})

    return mutate


MUTATORS: dict[str, Callable[[Seed, random.Random], Mutation]] = {
    **{f"tflite.{name}": flatbuffer_mutation(name) for name in FLATBUFFER_EDITS},
    **{f"tflite.{name}": model_mutation(name) for name in MODEL_EDITS},
}
