"""ONNX mutations: edits of the protobuf wire format (length and varint fields) and structured
edits of the seed graph through onnx.helper (cycles, bad dims, bad attributes, bad references)."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

import onnx
from onnx import TensorProto, helper

from tests.fuzz.case import Mutation
from tests.fuzz.seeds import Seed, onnx_model

EXTREME_INTS = [0, -1, -2, -(2**31), 2**31 - 1, 2**32, 2**40, 2**62, -(2**63)]

# ------------------------------------------------------------------------------- wire format


@dataclass(frozen=True)
class WireField:
    """One field of a protobuf message as found in the bytes; `value_at..value_end` is the
    varint holding a VARINT field's value or a LEN field's length."""

    tag_at: int
    value_at: int
    value_end: int
    wire_type: int
    value: int
    depth: int


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        if position >= len(data) or shift > 63:
            raise ValueError("varint runs past the end")
        byte = data[position]
        value |= (byte & 0x7F) << shift
        position += 1
        shift += 7
        if not byte & 0x80:
            return value, position


def encode_varint(value: int) -> bytes:
    value &= (1 << 64) - 1  # negative int64s are ten-byte two's complement varints
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def wire_fields(data: bytes, start: int = 0, end: int | None = None, depth: int = 0) -> list[WireField]:
    """Every field of the message in data[start:end], and of the messages nested in its LEN
    fields where their payload parses as one; raises ValueError where the bytes are no message."""
    end = len(data) if end is None else end
    fields: list[WireField] = []
    position = start
    while position < end:
        tag, value_at = _varint(data, position)
        wire_type = tag & 7
        if wire_type == 0:
            value, value_end = _varint(data, value_at)
            fields.append(WireField(position, value_at, value_end, 0, value, depth))
            position = value_end
        elif wire_type == 2:
            length, payload = _varint(data, value_at)
            if payload + length > end:
                raise ValueError("field runs past its message")
            fields.append(WireField(position, value_at, payload, 2, length, depth))
            if depth < 8 and length:
                try:
                    fields.extend(wire_fields(data, payload, payload + length, depth + 1))
                except ValueError:
                    pass  # bytes or a string, not a message
            position = payload + length
        elif wire_type in (1, 5):
            position = value_at + (8 if wire_type == 1 else 4)
        else:
            raise ValueError(f"wire type {wire_type}")
    if position != end:
        raise ValueError("message runs past its end")
    return fields


def _replace(data: bytes, field: WireField, value: int) -> bytes:
    return data[: field.value_at] + encode_varint(value) + data[field.value_end :]


def edit_length(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    field = rng.choice([f for f in wire_fields(data) if f.wire_type == 2])
    value = rng.choice([0, 1, field.value - 1, field.value + 1, field.value + rng.randint(2, 200), len(data),
                        2**31 - 1, 2**32 + field.value, 2**63 - 1, -1])  # fmt: skip
    return _replace(data, field, value), f"length at {field.value_at} (depth {field.depth}): {field.value} -> {value}"


def edit_varint(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    field = rng.choice([f for f in wire_fields(data) if f.wire_type == 0])
    value = rng.choice([*EXTREME_INTS, field.value + 1, field.value * 1000, rng.randrange(64)])
    return _replace(data, field, value), f"varint at {field.value_at} (depth {field.depth}): {field.value} -> {value}"


def edit_wire_type(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    field = rng.choice(wire_fields(data))
    tag, _ = _varint(data, field.tag_at)
    new_tag = (tag & ~7) | rng.choice([t for t in (0, 1, 2, 5) if t != field.wire_type])
    tag_end = _varint(data, field.tag_at)[1]
    mutated = data[: field.tag_at] + encode_varint(new_tag) + data[tag_end:]
    return mutated, f"wire type of the field at {field.tag_at}: {field.wire_type} -> {new_tag & 7}"


# ---------------------------------------------------------------------------------- structured

GraphEdit = Callable[[onnx.ModelProto, random.Random], str]


def _node(model: onnx.ModelProto, name: str) -> onnx.NodeProto:
    return next(n for n in model.graph.node if n.name == name)


def _set_attribute(node: onnx.NodeProto, name: str, value: object) -> None:
    kept = [a for a in node.attribute if a.name != name]
    del node.attribute[:]
    node.attribute.extend([*kept, helper.make_attribute(name, value)])


def self_cycle(model: onnx.ModelProto, rng: random.Random) -> str:
    node = rng.choice([n for n in model.graph.node if n.input])
    node.input[0] = node.output[0]
    return f"{node.name} feeds itself"


def two_node_cycle(model: onnx.ModelProto, rng: random.Random) -> str:
    first, second = rng.choice([("conv2", "add1"), ("relu1", "conv2"), ("conv3", "resize"), ("matmul", "add2")])
    _node(model, first).input[0] = _node(model, second).output[0]
    return f"{first} and {second} feed each other"


def bad_input_dim(model: onnx.ModelProto, rng: random.Random) -> str:
    dims = model.graph.input[0].type.tensor_type.shape.dim
    index, value = rng.randrange(len(dims)), rng.choice([-1, -2, -(2**31), 0, 2**31, 2**40, 2**62])
    dims[index].Clear()
    dims[index].dim_value = value
    return f"input dim {index} = {value}"


def bad_rank(model: onnx.ModelProto, rng: random.Random) -> str:
    shape = model.graph.input[0].type.tensor_type.shape
    rank = rng.choice([0, 1, 2, 9, 64])
    del shape.dim[:]
    for _ in range(rank):
        shape.dim.add().dim_value = rng.choice([1, 2, 3])
    return f"input of rank {rank}"


def bad_initializer_dims(model: onnx.ModelProto, rng: random.Random) -> str:
    initializer = rng.choice(list(model.graph.initializer))
    dims = list(initializer.dims) or [1]
    dims[rng.randrange(len(dims))] = rng.choice([-1, -(2**31), 0, 2**31, 2**40, 2**62])
    del initializer.dims[:]
    initializer.dims.extend(dims)
    return f"initializer {initializer.name} dims {dims} (data unchanged)"


def bad_conv_attribute(model: onnx.ModelProto, rng: random.Random) -> str:
    node = _node(model, rng.choice(["conv1", "conv2", "conv3"]))
    name, value = rng.choice([
        ("strides", [0, 0]), ("strides", [-1, 2]), ("strides", [2**40, 1]), ("strides", [1]),
        ("dilations", [0, 0]), ("dilations", [-3, 1]), ("dilations", [2**31, 2**31]),
        ("kernel_shape", [0, 0]), ("kernel_shape", [-1, 3]), ("kernel_shape", [2**40, 2**40]),
        ("pads", [-5, -5, -5, -5]), ("pads", [2**40, 0, 0, 0]), ("pads", [1, 1]),
        ("group", 0), ("group", -1), ("group", 3), ("group", 2**40),
        ("auto_pad", "SAME_LOWER"), ("auto_pad", "NONSENSE"),
    ])  # fmt: skip
    _set_attribute(node, name, value)
    return f"{node.name}.{name} = {value}"


def wrong_attribute_type(model: onnx.ModelProto, rng: random.Random) -> str:
    node = _node(model, rng.choice(["conv1", "conv2", "resize", "conv3"]))
    name = rng.choice(["strides", "dilations", "kernel_shape", "pads", "group", "mode", "auto_pad"])
    value = rng.choice([1.5, "2", [1.0, 2.0], ["a", "b"], 7, [7],
                        helper.make_tensor("t", TensorProto.FLOAT, [2], [1.0, 2.0])])  # fmt: skip
    _set_attribute(node, name, value)
    return f"{node.name}.{name} = {value!r:.40}"


def bad_resize_scales(model: onnx.ModelProto, rng: random.Random) -> str:
    values = rng.choice([[0, 0, 0, 0], [1, 1, -2, -2], [1, 1, 1e30, 1e30], [1, 1, float("nan"), 2],
                         [1, 1, float("inf"), 1], [1, 1, 2], [1e-30] * 4])  # fmt: skip
    scales = next(i for i in model.graph.initializer if i.name == "scales")
    scales.CopyFrom(helper.make_tensor("scales", TensorProto.FLOAT, [len(values)], values))
    return f"resize scales {values}"


def bad_reshape(model: onnx.ModelProto, rng: random.Random) -> str:
    values = rng.choice([[-1, -1], [0, 0], [2**40, 2**40], [-2, 4], [-(2**63), 1], [1, 2, 3, 4, 5, 6, 7, 8, 9], []])
    flat = next(i for i in model.graph.initializer if i.name == "flat")
    flat.CopyFrom(helper.make_tensor("flat", TensorProto.INT64, [len(values)], values))
    return f"reshape target {values}"


def unknown_type(model: onnx.ModelProto, rng: random.Random) -> str:
    where = rng.choice(["input", "initializer", "output"])
    value = rng.choice([0, 999, -1, TensorProto.STRING, TensorProto.BFLOAT16, TensorProto.COMPLEX128])
    if where == "input":
        model.graph.input[0].type.tensor_type.elem_type = value
    elif where == "output":
        model.graph.output[0].type.tensor_type.elem_type = value
    else:
        rng.choice(list(model.graph.initializer)).data_type = value
    return f"{where} elem type {value}"


def bad_reference(model: onnx.ModelProto, rng: random.Random) -> str:
    node = rng.choice(list(model.graph.node))
    choice = rng.randrange(5)
    if choice == 0:
        node.input[0] = "nowhere"
        return f"{node.name} reads an undefined tensor"
    if choice == 1:
        del node.input[:]
        return f"{node.name} has no inputs"
    if choice == 2:
        del node.output[:]
        return f"{node.name} has no outputs"
    if choice == 3:
        node.output[0] = "c1"
        return f"{node.name} writes c1 a second time"
    model.graph.output[0].name = "nowhere"
    return "graph output names no tensor"


def unknown_op(model: onnx.ModelProto, rng: random.Random) -> str:
    node = rng.choice(list(model.graph.node))
    choice = rng.randrange(3)
    if choice == 0:
        node.op_type = rng.choice(["NoSuchOp", "", "Conv ", "conv", "If", "Loop", "Scan"])
        return f"{node.name} op type {node.op_type!r}"
    if choice == 1:
        node.domain = rng.choice(["com.example", "ai.onnx.ml", "com.microsoft"])
        return f"{node.name} domain {node.domain}"
    version = rng.choice([0, 1, 6, 10**6, -1])
    model.opset_import[0].version = version
    return f"opset {version}"


def recursive_function(model: onnx.ModelProto, rng: random.Random) -> str:
    """A model-local function whose body calls itself."""
    body = helper.make_node("Loopy", ["a"], ["b"], domain="local")
    function = helper.make_function("local", "Loopy", ["a"], ["b"], [body], [helper.make_opsetid("", 17)])
    model.functions.append(function)
    model.opset_import.append(helper.make_opsetid("local", 1))
    node = _node(model, "relu1")
    node.op_type, node.domain = "Loopy", "local"
    return "relu1 calls a function that calls itself"


def deep_subgraphs(model: onnx.ModelProto, rng: random.Random) -> str:
    depth = rng.choice([10, 25, 32])
    leaf = helper.make_graph([helper.make_node("Identity", ["x"], ["inner"])], "leaf", [],
                             [helper.make_tensor_value_info("inner", TensorProto.FLOAT, None)])  # fmt: skip
    graph = leaf
    for level in range(depth):
        node = helper.make_node("If", ["cond"], [f"o{level}"], then_branch=graph, else_branch=leaf)
        graph = helper.make_graph([node], f"level{level}", [],
                                  [helper.make_tensor_value_info(f"o{level}", TensorProto.FLOAT, None)])  # fmt: skip
    model.graph.node.extend(graph.node)
    model.graph.initializer.append(helper.make_tensor("cond", TensorProto.BOOL, [], [True]))
    return f"If nested {depth} deep"


def many_nodes(model: onnx.ModelProto, rng: random.Random) -> str:
    count = rng.choice([1_000, 4_000])  # ~0.5 ms a node: a bigger chain is a benchmark
    previous = "y_"
    model.graph.node[-1].output[0] = previous
    for index in range(count):
        output = "y" if index == count - 1 else f"chain{index}"
        model.graph.node.append(helper.make_node("Relu", [previous], [output]))
        previous = output
    return f"{count} Relu nodes in a chain"


def external_data(model: onnx.ModelProto, rng: random.Random) -> tuple[str, dict[str, bytes], bool]:
    """An initializer stored outside the file; returns the detail, the outside files, and
    whether inspect must refuse it."""
    weights = next(i for i in model.graph.initializer if i.name == "w2")
    payload = weights.raw_data
    location, offset, length, refuse = rng.choice([
        ("../outside/w.bin", None, None, True),
        ("/dev/zero", 0, 2**40, True),
        ("sub/../../outside/w.bin", None, None, True),
        ("w_missing.bin", None, None, False),
        ("model.onnx", 2**40, 2**40, False),
        ("model.onnx", 0, 2**62, False),
        ("", None, None, False),
    ])  # fmt: skip
    weights.ClearField("raw_data")
    weights.data_location = TensorProto.EXTERNAL
    entries = {"location": location}
    if offset is not None:
        entries |= {"offset": str(offset), "length": str(length)}
    for key, value in entries.items():
        entry = weights.external_data.add()
        entry.key, entry.value = key, value
    return f"w2 stored externally at {location!r} {entries}", {"w.bin": payload}, refuse


GRAPH_EDITS: dict[str, GraphEdit] = {
    "self-cycle": self_cycle,
    "two-node-cycle": two_node_cycle,
    "bad-input-dim": bad_input_dim,
    "bad-rank": bad_rank,
    "bad-initializer-dims": bad_initializer_dims,
    "bad-conv-attribute": bad_conv_attribute,
    "wrong-attribute-type": wrong_attribute_type,
    "bad-resize-scales": bad_resize_scales,
    "bad-reshape": bad_reshape,
    "unknown-type": unknown_type,
    "bad-reference": bad_reference,
    "unknown-op": unknown_op,
    "recursive-function": recursive_function,
    "deep-subgraphs": deep_subgraphs,
    "many-nodes": many_nodes,
}
WIRE_EDITS = {"edit-length": edit_length, "edit-varint": edit_varint, "edit-wire-type": edit_wire_type}


def wire_mutation(name: str) -> Callable[[Seed, random.Random], Mutation]:
    def mutate(seed: Seed, rng: random.Random) -> Mutation:
        data = seed.files[seed.entry]
        details = []
        for _ in range(rng.choice([1, 1, 2])):
            try:
                data, detail = WIRE_EDITS[name](data, rng)
            except (ValueError, IndexError):
                break  # the first edit left no message to walk: one edit it is
            details.append(detail)
        return Mutation("; ".join(details), {seed.entry: data})

    return mutate


def graph_mutation(name: str) -> Callable[[Seed, random.Random], Mutation]:
    def mutate(seed: Seed, rng: random.Random) -> Mutation:
        model = onnx_model()
        detail = GRAPH_EDITS[name](model, rng)
        return Mutation(detail, {seed.entry: model.SerializeToString()})

    return mutate


def external_data_mutation(seed: Seed, rng: random.Random) -> Mutation:
    model = onnx_model()
    detail, outside, refuse = external_data(model, rng)
    return Mutation(detail, {seed.entry: model.SerializeToString()}, outside=outside, must_refuse=refuse)


MUTATORS: dict[str, Callable[[Seed, random.Random], Mutation]] = {
    **{f"onnx.{name}": wire_mutation(name) for name in WIRE_EDITS},
    **{f"onnx.{name}": graph_mutation(name) for name in GRAPH_EDITS},
    "onnx.external-data": external_data_mutation,
}
