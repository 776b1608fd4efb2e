"""Read a TFLite flatbuffer into the IR: its hot tables (tensors, operators, buffers) through
`tflite_tables`, the rest (op codes, options) through the schema bindings LiteRT ships."""

from __future__ import annotations

import math
import mmap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from catalog.errors import ModelError
from catalog.read import tflite_tables
from catalog.read.common import dynamic_dim_names
from catalog.read.graph import Graph, GraphError, Op, Tensor
from catalog.read.limits import MAX_TENSOR_ELEMENTS
from catalog.read.structure import check_graph, file_shape
from catalog.read.tflite_tables import FastBuffers

VALUE_LIMIT = 4096  # integer constants up to this many elements keep their values (and tiny floats)
_TYPE_NAMES = {v: k.lower() for k, v in vars(schema.TensorType).items() if not k.startswith("_")}
_OP_NAMES = {v: k for k, v in vars(schema.BuiltinOperator).items() if not k.startswith("_")}
_ACTIVATIONS = {1: "Relu", 2: "ReluN1To1", 3: "Relu6", 4: "Tanh", 5: "SignBit"}
_PADDING = {0: "SAME_UPPER", 1: "VALID"}
_NUMPY = {"float32": np.float32, "float16": np.float16, "int32": np.int32, "int64": np.int64,
          "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "bool": np.bool_}  # fmt: skip

# the file's op name -> the IR op type, for ops that need no attribute of their own
_SIMPLE = {
    "ADD": "Add", "SUB": "Sub", "MUL": "Mul", "DIV": "Div", "FLOOR_DIV": "FloorDiv",
    "MAXIMUM": "Max", "MINIMUM": "Min", "SQUARED_DIFFERENCE": "SquaredDifference",
    "POW": "Pow", "LOGISTIC": "Sigmoid", "RELU": "Relu", "RELU6": "Relu6", "TANH": "Tanh",
    "HARD_SWISH": "HardSwish", "PRELU": "PRelu", "LEAKY_RELU": "LeakyRelu", "ELU": "Elu",
    "GELU": "Gelu", "EXP": "Exp", "LOG": "Log", "SQRT": "Sqrt", "RSQRT": "Rsqrt", "ABS": "Abs",
    "NEG": "Neg", "SQUARE": "Square", "SOFTMAX": "Softmax", "LOG_SOFTMAX": "LogSoftmax",
    "DEQUANTIZE": "Dequantize", "QUANTIZE": "Quantize", "CAST": "Cast", "DENSIFY": "Densify",
    "TRANSPOSE": "Transpose", "SHAPE": "Shape", "TILE": "Tile", "GATHER_ND": "GatherND",
    "RESHAPE": "Reshape", "EXPAND_DIMS": "Unsqueeze", "FILL": "Fill", "RANGE": "Range",
    "EQUAL": "Equal", "LESS": "Less", "GREATER": "Greater", "GREATER_EQUAL": "GreaterOrEqual",
    "LESS_EQUAL": "LessOrEqual", "LOGICAL_AND": "And", "LOGICAL_OR": "Or", "SELECT": "Where",
    "SELECT_V2": "Where", "TOPK_V2": "TopK", "L2_NORMALIZATION": "LpNormalization",
    "ADD_N": "AddN", "SLICE": "BeginSizeSlice", "ARG_MAX": "ArgMax", "ARG_MIN": "ArgMin",
}  # fmt: skip


def _options(op: Any, cls: type) -> Any:
    table = op.BuiltinOptions()
    if table is None:
        return None
    options = cls()
    options.Init(table.Bytes, table.Pos)
    return options


class _Damaged(Exception):
    """A field of one operator that no TFLite writer produces; the reader names the operator."""


def _activation(options: Any) -> dict:
    code = options.FusedActivationFunction() if options is not None else 0
    if code and code not in _ACTIVATIONS:
        raise _Damaged(f"fused activation {code} is none TFLite defines")
    return {"activation": _ACTIVATIONS[code]} if code else {}


def _padding(options: Any) -> str:
    code = options.Padding()
    if code not in _PADDING:
        raise _Damaged(f"padding {code} is neither SAME (0) nor VALID (1)")
    return _PADDING[code]


def _required(op: Any, cls: type) -> Any:
    options = _options(op, cls)
    if options is None:
        raise _Damaged("its options are missing")
    return options


def _weight_shape(graph: Graph, inputs: list[str], index: int) -> tuple:
    """A conv's 4-d weight shape, sizes unknown (None) where the file leaves them open."""
    tensor = graph.tensors.get(inputs[index]) if index < len(inputs) else None
    if tensor is None or tensor.shape is None:
        return (None,) * 4
    if len(tensor.shape) != 4:
        raise _Damaged(f"its weight {tensor.name} has shape {list(tensor.shape)}, not 4-d")
    return tuple(d if isinstance(d, int) else None for d in tensor.shape)


def _kernel(w: tuple) -> list[int] | None:
    return [w[1], w[2]] if w[1] is not None and w[2] is not None else None


def _conv(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _required(op, schema.Conv2DOptions)
    w = _weight_shape(graph, inputs, 1)  # OHWI
    return {"layout": "NHWC", "kernel_shape": _kernel(w), "out_channels": w[0],
            "strides": [o.StrideH(), o.StrideW()], "auto_pad": _padding(o),
            "dilations": [o.DilationHFactor(), o.DilationWFactor()], "kernel_in_channels": w[3],
            "bias": len(inputs) > 2 and bool(inputs[2]), **_activation(o)}  # fmt: skip


def _depthwise(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _required(op, schema.DepthwiseConv2DOptions)
    w = _weight_shape(graph, inputs, 1)  # 1HWO
    return {"layout": "NHWC", "kernel_shape": _kernel(w), "out_channels": w[3],
            "depthwise": True, "depth_multiplier": max(o.DepthMultiplier(), 1),
            "kernel_in_channels": 1,
            "strides": [o.StrideH(), o.StrideW()], "auto_pad": _padding(o),
            "dilations": [o.DilationHFactor(), o.DilationWFactor()],
            "bias": len(inputs) > 2 and bool(inputs[2]), **_activation(o)}  # fmt: skip


def _transpose_conv(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _required(op, schema.TransposeConvOptions)
    w = _weight_shape(graph, inputs, 1)  # OHWI
    return {"layout": "NHWC", "kernel_shape": _kernel(w), "out_channels": w[0],
            "kernel_out_channels": w[0], "strides": [o.StrideH(), o.StrideW()],
            "auto_pad": _padding(o), "output_shape_input": 0, "data_input": 2,
            "bias": len(inputs) > 3 and bool(inputs[3]), **_activation(o)}  # fmt: skip


def _pool(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _required(op, schema.Pool2DOptions)
    return {"layout": "NHWC", "kernel_shape": [o.FilterHeight(), o.FilterWidth()],
            "strides": [o.StrideH(), o.StrideW()], "auto_pad": _padding(o),
            **_activation(o)}  # fmt: skip


def _fully_connected(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.FullyConnectedOptions)
    return {"keep_num_dims": bool(o and o.KeepNumDims()),
            "bias": len(inputs) > 2 and bool(inputs[2]), **_activation(o)}  # fmt: skip


def _with_activation(cls: type) -> Callable[[Any, list[str], Graph], dict]:
    return lambda op, inputs, graph: _activation(_options(op, cls))


def _concat(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _required(op, schema.ConcatenationOptions)
    return {"axis": o.Axis(), **_activation(o)}


def _reducer(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.ReducerOptions)
    return {"keepdims": bool(o and o.KeepDims())}


def _strided_slice(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _required(op, schema.StridedSliceOptions)
    return {"begin_mask": o.BeginMask(), "end_mask": o.EndMask(),
            "shrink_axis_mask": o.ShrinkAxisMask(), "new_axis_mask": o.NewAxisMask(),
            "ellipsis_mask": o.EllipsisMask()}  # fmt: skip


def _pack(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"axis": _required(op, schema.PackOptions).Axis()}


def _unpack(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"axis": _required(op, schema.UnpackOptions).Axis()}


def _squeeze(op: Any, inputs: list[str], graph: Graph) -> dict:
    dims = _required(op, schema.SqueezeOptions).SqueezeDimsAsNumpy()
    return {"axes": dims.tolist() if isinstance(dims, np.ndarray) else []}


def _depth_to_space(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"layout": "NHWC", "blocksize": _required(op, schema.DepthToSpaceOptions).BlockSize()}


def _batch_matmul(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.BatchMatMulOptions)
    return {"transpose_a": bool(o and o.AdjX()), "transpose_b": bool(o and o.AdjY())}


def _gather(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.GatherOptions)
    return {"axis": o.Axis() if o else 0}


_STRUCTURED: dict[str, tuple[str, Callable[[Any, list[str], Graph], dict]]] = {
    "CONV_2D": ("Conv", _conv),
    "DEPTHWISE_CONV_2D": ("Conv", _depthwise),
    "TRANSPOSE_CONV": ("ConvTranspose", _transpose_conv),
    "MAX_POOL_2D": ("MaxPool", _pool),
    "AVERAGE_POOL_2D": ("AveragePool", _pool),
    "FULLY_CONNECTED": ("FullyConnected", _fully_connected),
    "BATCH_MATMUL": ("MatMul", _batch_matmul),
    "ADD": ("Add", _with_activation(schema.AddOptions)),
    "SUB": ("Sub", _with_activation(schema.SubOptions)),
    "MUL": ("Mul", _with_activation(schema.MulOptions)),
    "DIV": ("Div", _with_activation(schema.DivOptions)),
    "CONCATENATION": ("Concat", _concat),
    "MEAN": ("ReduceMean", _reducer),
    "SUM": ("ReduceSum", _reducer),
    "REDUCE_MAX": ("ReduceMax", _reducer),
    "REDUCE_MIN": ("ReduceMin", _reducer),
    "REDUCE_PROD": ("ReduceProd", _reducer),
    "STRIDED_SLICE": ("StridedSlice", _strided_slice),
    "PACK": ("Pack", _pack),
    "UNPACK": ("Unpack", _unpack),
    "SQUEEZE": ("Squeeze", _squeeze),
    "DEPTH_TO_SPACE": ("DepthToSpace", _depth_to_space),
    "GATHER": ("Gather", _gather),
    "RESIZE_BILINEAR": ("Resize", lambda op, inputs, graph: {"layout": "NHWC", "size_input": 1}),
    "RESIZE_NEAREST_NEIGHBOR": (
        "Resize", lambda op, inputs, graph: {"layout": "NHWC", "size_input": 1}),
    "PAD": ("Pad", lambda op, inputs, graph: {}),
    "PADV2": ("Pad", lambda op, inputs, graph: {}),
    "MIRROR_PAD": ("Pad", lambda op, inputs, graph: {}),
    "SPLIT": ("Split", lambda op, inputs, graph: {"axis_input": 0, "data_input": 1}),
}  # fmt: skip


_INTEGER_TYPES = frozenset({"int8", "uint8", "int16", "int32", "int4", "uint4"})


class _Buffers:
    """Buffer sizes looked up once each: many tensors share the empty buffer 0."""

    def __init__(self, model: Any) -> None:
        self.buffers = FastBuffers(model)
        self.count = len(self.buffers)
        self.sizes: dict[int, int] = {}

    def size(self, index: int) -> int:
        if index not in self.sizes:
            if index >= self.count:
                raise GraphError(f"a tensor names buffer {index}, the file has {self.count}")
            size = self.buffers.data_length(index) if index > 0 else 0
            if index > 0 and not size:
                offset, external = self.buffers.external(index)
                if offset > 1:
                    size = external  # the data lies after the flatbuffer (models over 2 GB)
            self.sizes[index] = size
        return self.sizes[index]

    def values(self, index: int, dtype: str, shape: tuple, name: str) -> np.ndarray:
        data = self.buffers.data(index)
        item = np.dtype(_NUMPY[dtype]).itemsize
        if not all(isinstance(d, int) for d in shape) or len(data) != item * math.prod(shape):
            raise GraphError(f"tensor {name}: its buffer holds {len(data)} bytes, its shape {list(shape)} needs more")
        return np.frombuffer(data, dtype=_NUMPY[dtype]).reshape(shape)


def _tensor(raw: Any, index: int, buffers: _Buffers) -> Tensor:
    """One tensor, touching only the fields its role needs: the Python flatbuffer accessors are
    the reader's main cost."""
    dtype = _TYPE_NAMES.get(raw.Type(), "unknown")
    dims = raw.ShapeAsNumpy()
    shape = tuple(dims.tolist()) if isinstance(dims, np.ndarray) else ()
    if shape and (min(shape) < 0 or max(shape) > MAX_TENSOR_ELEMENTS or math.prod(shape) > MAX_TENSOR_ELEMENTS):
        shape = file_shape(shape, f"#{index}")  # -1 is a size left open; anything else is refused
    buffer_index = raw.Buffer()
    size = buffers.size(buffer_index)
    tensor = Tensor(f"#{index}", dtype, shape, const=size > 0)
    if dtype in _INTEGER_TYPES:
        quantization = raw.Quantization()
        tensor.quantized = quantization is not None and quantization.ScaleLength() > 0
    if not size:
        return tensor
    if raw.Sparsity() is not None:
        tensor.sparse = True
        tensor.dense_shape = shape
    small = size <= (VALUE_LIMIT * 8 if dtype in ("int32", "int64") else 64)
    if dtype in ("int32", "int64", "float32", "float16") and small:
        tensor.value = buffers.values(buffer_index, dtype, shape, tensor.name)
    return tensor


def _signature(raw: Any) -> np.ndarray | None:
    """The shape with -1 for dims left open, where the tensor has any."""
    signature = raw.ShapeSignatureAsNumpy() if raw.ShapeSignatureLength() else None
    return signature if isinstance(signature, np.ndarray) and (signature < 0).any() else None


def _indices(value: Any) -> list[int]:
    """A vector of tensor indices (the bindings answer 0 for a vector the file leaves out)."""
    return value.tolist() if isinstance(value, np.ndarray) else []


def _check_lengths(data: bytes | mmap.mmap, model: Any, subgraph: Any) -> None:
    """Each table a vector holds takes at least 4 bytes: a longer vector than the file has room
    for is damage, refused before a loop over it allocates anything."""
    lengths = {"subgraphs": model.SubgraphsLength(), "buffers": model.BuffersLength(),
               "operator codes": model.OperatorCodesLength(), "tensors": subgraph.TensorsLength(),
               "operators": subgraph.OperatorsLength()}  # fmt: skip
    for what, length in lengths.items():
        if length * 4 > len(data):
            raise GraphError(f"the file claims {length:,} {what} in {len(data):,} bytes")


def read_tflite(path: Path, data: bytes | mmap.mmap | None = None) -> Graph:
    data = path.read_bytes() if data is None else data
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(str(path), "not a TFLite flatbuffer (no TFL3 identifier)")
    try:
        model = schema.Model.GetRootAs(data, 0)
        if model.SubgraphsLength() < 1:
            raise ModelError(str(path), "TFLite model has no subgraph")
        subgraph = model.Subgraphs(0)
        _check_lengths(data, model, subgraph)
        return _read_subgraph(model, subgraph)
    except ModelError:
        raise
    except GraphError as error:
        raise ModelError(str(path), str(error)) from None
    except Exception as error:  # a damaged flatbuffer fails anywhere inside the bindings
        detail = (str(error).splitlines() or [""])[0][:120]
        raise ModelError(str(path), f"damaged TFLite flatbuffer ({type(error).__name__}: {detail})") from None


def _read_subgraph(model: Any, subgraph: Any) -> Graph:
    raw_tensors = tflite_tables.tensors(subgraph)
    buffers = _Buffers(model)
    tensors = [_tensor(raw, i, buffers) for i, raw in enumerate(raw_tensors)]
    input_indices, output_indices = _indices(subgraph.InputsAsNumpy()), _indices(subgraph.OutputsAsNumpy())
    io = [*input_indices, *output_indices]
    if any(not 0 <= i < len(tensors) for i in io):
        raise GraphError(f"the subgraph's inputs and outputs {io[:8]} name tensors past its {len(tensors)}")
    # the file's names only where a user reads them; other tensors keep their index as name
    for index, name in zip(io, _unique_names([raw_tensors[i] for i in io], io), strict=True):
        tensors[index].name = name
    if any(_signature(raw_tensors[i]) is not None for i in input_indices):
        # the sizes stored for dims a signature leaves open are placeholders
        for raw, tensor in zip(raw_tensors, tensors, strict=True):
            signature = _signature(raw)
            if signature is not None:
                tensor.shape = file_shape(signature.tolist(), tensor.name)
    names = [t.name for t in tensors]
    graph = Graph("tflite", {t.name: t for t in tensors}, [], [], [])
    graph.inputs = [names[i] for i in input_indices]
    graph.outputs = [names[i] for i in output_indices]
    for name in graph.inputs:
        tensor = graph.tensors[name]
        tensor.shape = dynamic_dim_names(tensor.shape)
    natives = [_native_name(model.OperatorCodes(i)) for i in range(model.OperatorCodesLength())]
    for i, raw in enumerate(tflite_tables.operators(subgraph)):
        graph.ops.append(_operator(raw, i, natives, names, graph))
    check_graph(graph, unproduced_reads=True)
    return graph


def _native_name(code: Any) -> str:
    """The file's name for the op an operator code stands for (looked up once per code, not per op)."""
    builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
    native = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
    if native == "CUSTOM":
        native = (code.CustomCode() or b"CUSTOM").decode("utf-8", "replace")
    return native


def _operator(raw: Any, index: int, natives: list[str], names: list[str], graph: Graph) -> Op:
    opcode = raw.OpcodeIndex()
    if not 0 <= opcode < len(natives):
        raise GraphError(f"operator {index} names op code {opcode}, the file has {len(natives)}")
    native = natives[opcode]
    input_indices, output_indices = _indices(raw.InputsAsNumpy()), _indices(raw.OutputsAsNumpy())
    name = names[output_indices[0]] if output_indices and 0 <= output_indices[0] < len(names) else f"{index}"
    count = len(names)
    if (input_indices and (min(input_indices) < -1 or max(input_indices) >= count)) or (
        output_indices and (min(output_indices) < 0 or max(output_indices) >= count)
    ):
        raise GraphError(f"op {name} ({native}) names tensors past the subgraph's {count}")
    inputs = [names[j] if j >= 0 else "" for j in input_indices]
    outputs = [names[j] for j in output_indices]
    if native in _STRUCTURED:
        kind, attributes = _STRUCTURED[native]
        try:
            attrs = attributes(raw, inputs, graph)
        except _Damaged as error:
            raise GraphError(f"op {name} ({native}): {error}") from None
    else:
        kind, attrs = _SIMPLE.get(native, native), {}
    return Op(kind, inputs, outputs, attrs, native=native, name=outputs[0] if outputs else native)


def _unique_names(raw_tensors: list[Any], indices: list[int]) -> list[str]:
    seen: set[str] = set()
    names = []
    for raw, index in zip(raw_tensors, indices, strict=True):
        name = raw.Name().decode("utf-8", "replace") or f"#{index}"
        if name in seen:
            name = f"{name}#{index}"
        seen.add(name)
        names.append(name)
    return names
