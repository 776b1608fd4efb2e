"""Frozen GraphDef (.pb) mutations: the protobuf wire edits ONNX files get (a GraphDef is a protobuf
too), and structured edits of the seed graph (cycles, bad placeholder shapes, constants whose bytes
or values do not fit their shape, bad and wrongly typed attrs, unknown dtypes and ops, bad
references, duplicates, long chains, SavedModel-like and empty files)."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from catalog.read.tf_proto import DATA_TYPES
from tests.fuzz.case import Mutation
from tests.fuzz.mutate_onnx import WIRE_EDITS, encode_varint, wire_mutation
from tests.fuzz.seeds import Seed, pb_attr, pb_model, pb_node

GraphDef = Any
HUGE_DIMS = [-2, -(2**31), 0, 2**31, 2**40, 2**62]


def _node(graph_def: GraphDef, name: str) -> Any:
    return next(n for n in graph_def.node if n.name == name)


def _tensor(graph_def: GraphDef, name: str) -> Any:
    return _node(graph_def, name).attr["value"].tensor


def cycle(graph_def: GraphDef, rng: random.Random) -> str:
    choice = rng.randrange(4)
    if choice == 0:
        node = rng.choice([n for n in graph_def.node if n.input and n.op != "NoOp"])
        node.input[0] = node.name
        return f"{node.name} feeds itself"
    if choice == 1:
        _node(graph_def, "conv1").input[0] = "pool"
        return "conv1 is fed by pool, downstream of it"
    if choice == 2:
        _node(graph_def, "relu1").input.append("^dwconv")
        return "relu1 waits for dwconv, which reads it"
    _node(graph_def, "bias1").input[0] = "relu1"
    return "bias1 and relu1 feed each other"


def bad_placeholder_shape(graph_def: GraphDef, rng: random.Random) -> str:
    shape = _node(graph_def, "x").attr["shape"].shape
    choice = rng.randrange(4)
    if choice == 0:
        shape.dim[rng.randrange(4)].size = rng.choice(HUGE_DIMS)
    elif choice == 1:
        del shape.dim[:]
        shape.unknown_rank = True
    elif choice == 2:
        del shape.dim[:]
        for _ in range(rng.choice([0, 1, 3, 9, 64])):
            shape.dim.add(size=1)
    else:
        del shape.dim[:]
        for _ in range(4):
            shape.dim.add(size=2**40)
    return f"input shape {[d.size for d in shape.dim]}{' unknown rank' if shape.unknown_rank else ''}"


def bad_constant(graph_def: GraphDef, rng: random.Random) -> str:
    name = rng.choice(["w1", "b1", "dw", "axis", "axes", "fc"])
    tensor = _tensor(graph_def, name)
    choice = rng.randrange(7)
    if choice == 0:
        dims = [d.size for d in tensor.tensor_shape.dim] or [1]
        dims[rng.randrange(len(dims))] = rng.choice(HUGE_DIMS)
        del tensor.tensor_shape.dim[:]
        for size in dims:
            tensor.tensor_shape.dim.add(size=size)
        return f"{name} dims {dims} (data unchanged)"
    if choice == 1:
        cut = rng.choice([1, 3, 4, 7])
        content = tensor.tensor_content or b"\0" * 8
        tensor.tensor_content = content[:-cut] if rng.random() < 0.5 else content + b"\0" * cut
        return f"{name} tensor_content {len(tensor.tensor_content)} bytes"
    if choice == 2:
        tensor.float_val.extend([1.0] * rng.choice([1, 100, 10_000]))
        tensor.int_val.extend([7] * rng.choice([1, 100]))
        return f"{name} with extra values"
    if choice == 3:
        tensor.dtype = rng.choice([0, 7, 8, 18, 20, 21, 99, 119, 2**31 - 1])
        return f"{name} dtype {tensor.dtype}"
    if choice == 4:
        tensor.tensor_shape.unknown_rank = True
        return f"{name} of unknown rank"
    if choice == 5:
        node = _node(graph_def, name)
        if rng.random() < 0.5:
            del node.attr["value"]
            return f"{name} has no value"
        node.attr["value"].i = 3
        return f"{name}'s value is an int"
    del tensor.tensor_shape.dim[:]
    for size in rng.choice([[2**18, 2**17], [2**20, 2**20], [2**12] * 4]):
        tensor.tensor_shape.dim.add(size=size)
    tensor.ClearField("tensor_content")
    tensor.float_val.append(0.5)  # one value, which TensorFlow would repeat to fill the shape
    return f"{name} claims {[d.size for d in tensor.tensor_shape.dim]} from one value"


def bad_window_attr(graph_def: GraphDef, rng: random.Random) -> str:
    name, key, value = rng.choice([
        ("conv1", "strides", [1, 0, 0, 1]), ("conv1", "strides", [1, 2**40, 1, 1]), ("conv1", "strides", [1]),
        ("conv1", "dilations", [1, 0, -(2**31), 1]), ("dwconv", "strides", [-1, -1, -1, -1]),
        ("pool", "ksize", [1, 0, 0, 1]), ("pool", "ksize", [1, 2**40, 2**40, 1]), ("pool", "ksize", []),
        ("conv1", "padding", b"EXPLICIT"), ("conv1", "explicit_paddings", [0, 0, -5, 2**40, 1, 1, 0, 0]),
        ("conv1", "data_format", b"NCHW"), ("dwconv", "data_format", b"XYZ"), ("pool", "padding", b"\xff\xfe"),
        ("mean", "keep_dims", True), ("concat", "N", 2**40),
    ])  # fmt: skip
    node = _node(graph_def, name)
    pb_attr(node, key, value)
    if key == "explicit_paddings":
        pb_attr(node, "padding", b"EXPLICIT")
    return f"{name}.{key} = {value!r:.60}"


def wrong_attr_type(graph_def: GraphDef, rng: random.Random) -> str:
    node = _node(graph_def, rng.choice(["conv1", "dwconv", "pool", "concat", "mean", "logits", "x"]))
    key = rng.choice(["strides", "padding", "data_format", "ksize", "T", "dtype", "shape", "transpose_a", "keep_dims"])
    value = rng.choice([b"SAME", [1, 2], (1, 2), 1.5, True, 7, -1])
    pb_attr(node, key, value)
    if rng.random() < 0.3:
        node.attr[key].Clear()  # set, holding nothing
    return f"{node.name}.{key} = {value!r:.40}"


def unknown_dtype(graph_def: GraphDef, rng: random.Random) -> str:
    node = rng.choice([n for n in graph_def.node if "T" in n.attr or "dtype" in n.attr])
    key = "T" if "T" in node.attr else "dtype"
    value = rng.choice([0, 99, DATA_TYPES["DT_STRING"], DATA_TYPES["DT_RESOURCE"], DATA_TYPES["DT_COMPLEX128"],
                        101, -1, 2**31 - 1])  # fmt: skip
    node.attr[key].type = value
    return f"{node.name}.{key} = DataType {value}"


def bad_reference(graph_def: GraphDef, rng: random.Random) -> str:
    node = rng.choice([n for n in graph_def.node if n.input])
    reference = rng.choice(["nowhere", "relu1:5", "split:99999999", f"relu1:{2**40}", "^nowhere", "", ":", "relu1:-1",
                            "relu1:abc", "x:1", "init", "w1:1", "^", "relu1::0"])  # fmt: skip
    node.input[rng.randrange(len(node.input))] = reference
    return f"{node.name} reads {reference!r}"


def unknown_op(graph_def: GraphDef, rng: random.Random) -> str:
    node = rng.choice(list(graph_def.node))
    op = rng.choice(["", "NoSuchOp", "Conv2d", "PartitionedCall", "StatefulPartitionedCall", "Placeholder", "Const",
                     "NoOp", "Split", "Unpack", "_FusedConv2D", "Conv2DBackpropInput", "Squeeze"])  # fmt: skip
    node.op = op
    if op.endswith("PartitionedCall"):
        graph_def.library = b"\x0a\x02\x0a\x00"  # a FunctionDefLibrary holding one empty function
    return f"{node.name} op {op!r}"


def duplicates(graph_def: GraphDef, rng: random.Random) -> str:
    choice = rng.randrange(3)
    if choice == 0:
        graph_def.node.add().CopyFrom(rng.choice(list(graph_def.node)))
        return "a node twice"
    if choice == 1:
        _node(graph_def, "relu1").name = "conv1"
        return "two nodes named conv1"
    pb_node(graph_def, "x2", "Placeholder", dtype=DATA_TYPES["DT_FLOAT"])
    return "a second placeholder, of unknown shape, that nothing reads"


def many_nodes(graph_def: GraphDef, rng: random.Random) -> str:
    count = rng.choice([2_000, 10_000])  # linear, at about 0.1 ms a node: more is a benchmark
    previous = "logits"
    for index in range(count):
        pb_node(graph_def, f"chain{index}", "Relu", [previous], T=DATA_TYPES["DT_FLOAT"])
        previous = f"chain{index}"
    return f"{count} Relu nodes in a chain"


GRAPH_EDITS: dict[str, Callable[[GraphDef, random.Random], str]] = {
    "cycle": cycle,
    "bad-placeholder-shape": bad_placeholder_shape,
    "bad-constant": bad_constant,
    "bad-window-attr": bad_window_attr,
    "wrong-attr-type": wrong_attr_type,
    "unknown-dtype": unknown_dtype,
    "bad-reference": bad_reference,
    "unknown-op": unknown_op,
    "duplicates": duplicates,
    "many-nodes": many_nodes,
}


def graph_mutation(name: str) -> Callable[[Seed, random.Random], Mutation]:
    def mutate(seed: Seed, rng: random.Random) -> Mutation:
        graph_def = pb_model()
        detail = GRAPH_EDITS[name](graph_def, rng)
        return Mutation(detail, {seed.entry: graph_def.SerializeToString()})

    return mutate


def other_messages(seed: Seed, rng: random.Random) -> Mutation:
    """Files a .pb may hold that are no frozen GraphDef: a SavedModel's start, no nodes, nesting."""
    data = seed.files[seed.entry]
    choice = rng.randrange(4)
    if choice == 0:  # SavedModel: schema version 1, then a MetaGraphDef holding the graph
        saved_model = b"\x08\x01\x12" + encode_varint(len(data)) + data
        return Mutation("a SavedModel around the graph", {seed.entry: saved_model})
    if choice == 1:
        return Mutation("a GraphDef with no nodes", {seed.entry: b"\x22\x02\x08\x1b"})
    if choice == 2:  # a NodeDef's unknown field 99 nesting messages deep: kept as unknown bytes
        nested = b""
        for _ in range(rng.choice([50, 200, 5000])):
            nested = b"\x9a\x06" + encode_varint(len(nested)) + nested
        node = b"\x0a\x01n\x12\x04NoOp" + nested
        return Mutation("unknown fields nested deep", {seed.entry: data + b"\x0a" + encode_varint(len(node)) + node})
    return Mutation("the graph twice (protobuf merges repeated fields)", {seed.entry: data + data})


MUTATORS: dict[str, Callable[[Seed, random.Random], Mutation]] = {
    **{f"pb.{name}": wire_mutation(name) for name in WIRE_EDITS},
    **{f"pb.{name}": graph_mutation(name) for name in GRAPH_EDITS},
    "pb.other-messages": other_messages,
}
