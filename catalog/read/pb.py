"""Read a TensorFlow frozen graph (a GraphDef serialized to a .pb file) into the IR.

The GraphDef is parsed by the protobuf runtime (`tf_proto`, no TensorFlow needed), its nodes given
as the dicts a TFJS model.json holds and walked by `tfnodes`, the same walk and op rules as TFJS.
Const nodes are the weights: each one tensor, counted as a TFJS manifest's weights are. Inputs are
the Placeholders; outputs the tensors no node reads.
"""

from __future__ import annotations

import base64
import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
from google.protobuf.message import DecodeError

from catalog.errors import ModelError
from catalog.read.graph import Graph, GraphError, Tensor
from catalog.read.structure import shape_problem
from catalog.read.tf_proto import data_type_name, message_class
from catalog.read.tfnodes import DTYPES, constant, graph_from_nodes

MAX_GRAPHDEF_BYTES = 2**31 - 1  # what the protobuf runtime parses as one message
_ITEM_BYTES = {"float32": 4, "float16": 2, "bfloat16": 2, "float64": 8, "int32": 4, "int64": 8, "int16": 2,
               "int8": 1, "uint8": 1, "uint16": 2, "bool": 1, "complex64": 8}  # fmt: skip
# where a TensorProto keeps its values when they are not in tensor_content, by dtype
_VALUE_FIELDS = {"float32": "float_val", "float16": "half_val", "bfloat16": "half_val", "float64": "double_val",
                 "int32": "int_val", "int16": "int_val", "int8": "int_val", "uint8": "int_val",
                 "uint16": "int_val", "int64": "int64_val", "bool": "bool_val",
                 "string": "string_val"}  # fmt: skip


def read_pb(path: Path, data: bytes | None = None) -> Graph:
    """The graph of a frozen GraphDef; `data` is the file's bytes where already read."""
    path = Path(path)
    if data is None:
        if path.stat().st_size > MAX_GRAPHDEF_BYTES:
            raise ModelError(str(path), "larger than 2 GiB, past what a GraphDef can hold")
        data = path.read_bytes()
    graph_def = parse_graph_def(path, data)
    try:
        nodes = [_node_dict(node) for node in graph_def.node]
        graph = graph_from_nodes("pb", nodes, functools.partial(_constants, graph_def))
    except GraphError as error:
        raise ModelError(str(path), str(error)) from None
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, OverflowError) as error:
        raise ModelError(str(path), f"damaged GraphDef ({type(error).__name__}: {error})") from None
    if graph_def.library:
        graph.notes.append("the graph's function library is not read: ops that call its functions are not counted")
    return graph


def parse_graph_def(path: Path, data: bytes) -> Any:
    """The GraphDef message of a .pb file's bytes; ModelError, one line, where they hold none."""
    if len(data) > MAX_GRAPHDEF_BYTES:
        raise ModelError(str(path), "larger than 2 GiB, past what a GraphDef can hold")
    if data[:1] == b"\x08":  # a GraphDef's first field is a node (tag 0x0a), never a number
        reason = "not a frozen GraphDef: it starts as a SavedModel or an ONNX model does (freeze a SavedModel first)"
        raise ModelError(str(path), reason)
    try:
        graph_def = message_class("GraphDef").FromString(bytes(data))
    except DecodeError as error:  # "Error parsing message with type '...': Wire format was corrupt"
        cause = str(error).rpartition(": ")[2].lower() or "it does not parse"
        raise ModelError(str(path), f"not a TensorFlow GraphDef, or one damaged or cut short ({cause})") from None
    except RecursionError:  # no declared message nests, but the parser may still be asked to descend
        raise ModelError(str(path), "not a TensorFlow GraphDef (nested deeper than protobuf follows)") from None
    if not graph_def.node:
        raise ModelError(str(path), "not a TensorFlow GraphDef: it has no nodes")
    return graph_def


def _node_dict(node: Any) -> dict:
    """A NodeDef in protobuf's JSON form, as a TFJS model.json holds it (what `tfnodes` reads of
    it: tensor attrs are left empty, and a Const's value is read from the message by `_constants`).
    Written out here rather than by json_format, which takes ten times as long."""
    if node.op == "Const":
        return {"name": node.name, "op": node.op, "input": list(node.input)}
    return {"name": node.name, "op": node.op, "input": list(node.input),
            "attr": {key: _attr_dict(value) for key, value in node.attr.items()}}  # fmt: skip


def _attr_dict(value: Any) -> dict:
    kind = value.WhichOneof("value")
    if kind == "s":
        return {"s": base64.b64encode(value.s).decode()}
    if kind in ("i", "f", "b"):
        return {kind: getattr(value, kind)}
    if kind == "type":
        return {"type": data_type_name(value.type)}
    if kind == "shape":
        return {"shape": _shape_dict(value.shape)}
    if kind == "list":
        items = value.list
        found = {"s": [base64.b64encode(s).decode() for s in items.s], "i": list(items.i), "f": list(items.f),
                 "b": list(items.b), "type": [data_type_name(t) for t in items.type],
                 "shape": [_shape_dict(shape) for shape in items.shape]}  # fmt: skip
        return {"list": {key: values for key, values in found.items() if values}}
    return {kind: {}} if kind else {}  # a tensor or placeholder attr, which no op rule reads


def _shape_dict(shape: Any) -> dict:
    if shape.unknown_rank:
        return {"unknownRank": True}
    return {"dim": [{"size": dim.size} for dim in shape.dim]}


def _constants(graph_def: Any) -> dict[str, Tensor]:
    return {node.name: _constant(node) for node in graph_def.node if node.op == "Const"}


def _constant(node: Any) -> Tensor:
    value = node.attr.get("value")
    if value is None or value.WhichOneof("value") != "tensor":
        raise GraphError(f"constant {node.name} has no tensor value")
    proto = value.tensor
    dtype_name = data_type_name(proto.dtype)
    dtype = DTYPES.get(dtype_name, dtype_name)
    if proto.tensor_shape.unknown_rank:
        raise GraphError(f"constant {node.name} has no shape")
    shape = tuple(int(dim.size) for dim in proto.tensor_shape.dim)
    problem = shape_problem(shape)
    if problem:
        raise GraphError(f"constant {node.name} {problem}")
    _check_stored(node.name, proto, dtype, shape)
    return constant(node.name, dtype, shape, functools.partial(_values, proto, dtype, shape))


def _check_stored(name: str, proto: Any, dtype: str, shape: tuple[int, ...]) -> None:
    """The bytes or values a constant holds fit its shape: tensor_content exactly, a typed value
    list with at most as many values (TensorFlow repeats the last one; none means zeros)."""
    elements = math.prod(shape)
    if proto.tensor_content:
        if dtype in _ITEM_BYTES and len(proto.tensor_content) != elements * _ITEM_BYTES[dtype]:
            raise GraphError(f"constant {name} holds {len(proto.tensor_content):,} bytes, "
                             f"its shape {list(shape)} of {dtype} needs {elements * _ITEM_BYTES[dtype]:,}")  # fmt: skip
        return
    field = _VALUE_FIELDS.get(dtype)
    count = len(getattr(proto, field)) if field else 0
    if count > elements:
        raise GraphError(f"constant {name} holds {count:,} values, its shape {list(shape)} has {elements:,}")


def _values(proto: Any, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    """A small constant's values (int32, int64, float32 or float16), as TensorFlow reads them."""
    if proto.tensor_content:
        return np.frombuffer(proto.tensor_content, dtype=dtype).reshape(shape)
    stored = getattr(proto, _VALUE_FIELDS[dtype])
    values = (np.array(stored, np.int64).astype(np.uint16).view(np.float16) if dtype == "float16"
              else np.array(stored, dtype=dtype))  # fmt: skip
    elements = math.prod(shape)
    if not values.size:
        return np.zeros(shape, dtype)
    if values.size < elements:
        values = np.concatenate([values, np.full(elements - values.size, values[-1], dtype)])
    return values.reshape(shape)
