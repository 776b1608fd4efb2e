"""Read a TFLite flatbuffer into the IR, through the schema bindings LiteRT ships."""

from __future__ import annotations

import mmap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from ai_edge_litert import schema_py_generated as schema

from catalog.errors import ModelError
from catalog.read.common import dynamic_dim_names
from catalog.read.graph import Graph, Op, Tensor

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


def _activation(options: Any) -> dict:
    code = options.FusedActivationFunction() if options is not None else 0
    return {"activation": _ACTIVATIONS[code]} if code else {}


def _weight_shape(graph: Graph, name: str) -> tuple:
    return graph.tensors[name].shape or ()


def _conv(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.Conv2DOptions)
    w = _weight_shape(graph, inputs[1])  # OHWI
    return {"layout": "NHWC", "kernel_shape": [w[1], w[2]], "out_channels": w[0],
            "strides": [o.StrideH(), o.StrideW()], "auto_pad": _PADDING[o.Padding()],
            "dilations": [o.DilationHFactor(), o.DilationWFactor()], "kernel_in_channels": w[3],
            "bias": len(inputs) > 2 and bool(inputs[2]), **_activation(o)}  # fmt: skip


def _depthwise(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.DepthwiseConv2DOptions)
    w = _weight_shape(graph, inputs[1])  # 1HWO
    return {"layout": "NHWC", "kernel_shape": [w[1], w[2]], "out_channels": w[3],
            "depthwise": True, "depth_multiplier": max(o.DepthMultiplier(), 1),
            "kernel_in_channels": 1,
            "strides": [o.StrideH(), o.StrideW()], "auto_pad": _PADDING[o.Padding()],
            "dilations": [o.DilationHFactor(), o.DilationWFactor()],
            "bias": len(inputs) > 2 and bool(inputs[2]), **_activation(o)}  # fmt: skip


def _transpose_conv(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.TransposeConvOptions)
    w = _weight_shape(graph, inputs[1])  # OHWI
    return {"layout": "NHWC", "kernel_shape": [w[1], w[2]], "out_channels": w[0],
            "kernel_out_channels": w[0], "strides": [o.StrideH(), o.StrideW()],
            "auto_pad": _PADDING[o.Padding()], "output_shape_input": 0, "data_input": 2,
            "bias": len(inputs) > 3 and bool(inputs[3]), **_activation(o)}  # fmt: skip


def _pool(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.Pool2DOptions)
    return {"layout": "NHWC", "kernel_shape": [o.FilterHeight(), o.FilterWidth()],
            "strides": [o.StrideH(), o.StrideW()], "auto_pad": _PADDING[o.Padding()],
            **_activation(o)}  # fmt: skip


def _fully_connected(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.FullyConnectedOptions)
    return {"keep_num_dims": bool(o and o.KeepNumDims()),
            "bias": len(inputs) > 2 and bool(inputs[2]), **_activation(o)}  # fmt: skip


def _with_activation(cls: type) -> Callable[[Any, list[str], Graph], dict]:
    return lambda op, inputs, graph: _activation(_options(op, cls))


def _concat(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.ConcatenationOptions)
    return {"axis": o.Axis(), **_activation(o)}


def _reducer(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.ReducerOptions)
    return {"keepdims": bool(o and o.KeepDims())}


def _strided_slice(op: Any, inputs: list[str], graph: Graph) -> dict:
    o = _options(op, schema.StridedSliceOptions)
    return {"begin_mask": o.BeginMask(), "end_mask": o.EndMask(),
            "shrink_axis_mask": o.ShrinkAxisMask(), "new_axis_mask": o.NewAxisMask(),
            "ellipsis_mask": o.EllipsisMask()}  # fmt: skip


def _pack(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"axis": _options(op, schema.PackOptions).Axis()}


def _unpack(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"axis": _options(op, schema.UnpackOptions).Axis()}


def _squeeze(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"axes": list(_options(op, schema.SqueezeOptions).SqueezeDimsAsNumpy() or [])}


def _depth_to_space(op: Any, inputs: list[str], graph: Graph) -> dict:
    return {"layout": "NHWC", "blocksize": _options(op, schema.DepthToSpaceOptions).BlockSize()}


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
        self.model = model
        self.sizes: dict[int, int] = {}

    def size(self, index: int) -> int:
        if index not in self.sizes:
            buffer = self.model.Buffers(index) if index > 0 else None
            size = 0 if buffer is None else buffer.DataLength()
            if buffer is not None and not size and buffer.Offset() > 1:
                size = buffer.Size()  # the data lies after the flatbuffer (models over 2 GB)
            self.sizes[index] = size
        return self.sizes[index]

    def values(self, index: int, dtype: str, shape: tuple) -> np.ndarray:
        data = self.model.Buffers(index).DataAsNumpy().tobytes()
        return np.frombuffer(data, dtype=_NUMPY[dtype]).reshape(shape)


def _tensor(raw: Any, index: int, buffers: _Buffers) -> Tensor:
    """One tensor, touching only the fields its role needs: the Python flatbuffer accessors are
    the reader's main cost."""
    dtype = _TYPE_NAMES.get(raw.Type(), "unknown")
    dims = raw.ShapeAsNumpy()
    shape = tuple(dims.tolist()) if isinstance(dims, np.ndarray) else ()
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
        tensor.value = buffers.values(buffer_index, dtype, shape)
    return tensor


def _signature(raw: Any) -> np.ndarray | None:
    """The shape with -1 for dims left open, where the tensor has any."""
    signature = raw.ShapeSignatureAsNumpy() if raw.ShapeSignatureLength() else None
    return signature if signature is not None and (signature < 0).any() else None


def read_tflite(path: Path, data: bytes | mmap.mmap | None = None) -> Graph:
    data = path.read_bytes() if data is None else data
    if len(data) < 8 or data[4:8] != b"TFL3":
        raise ModelError(str(path), "not a TFLite flatbuffer (no TFL3 identifier)")
    try:
        model = schema.Model.GetRootAs(data, 0)
        if model.SubgraphsLength() < 1:
            raise ModelError(str(path), "TFLite model has no subgraph")
        return _read_subgraph(model, model.Subgraphs(0))
    except ModelError:
        raise
    except Exception as error:  # a damaged flatbuffer fails anywhere inside the bindings
        raise ModelError(str(path), f"damaged TFLite flatbuffer ({type(error).__name__})") from None


def _read_subgraph(model: Any, subgraph: Any) -> Graph:
    raw_tensors = [subgraph.Tensors(i) for i in range(subgraph.TensorsLength())]
    buffers = _Buffers(model)
    tensors = [_tensor(raw, i, buffers) for i, raw in enumerate(raw_tensors)]
    io = [int(i) for i in (*subgraph.InputsAsNumpy(), *subgraph.OutputsAsNumpy())]
    # the file's names only where a user reads them; other tensors keep their index as name
    for index, name in zip(io, _unique_names([raw_tensors[i] for i in io], io), strict=True):
        tensors[index].name = name
    if any(_signature(raw_tensors[i]) is not None for i in subgraph.InputsAsNumpy()):
        # the sizes stored for dims a signature leaves open are placeholders
        for raw, tensor in zip(raw_tensors, tensors, strict=True):
            signature = _signature(raw)
            if signature is not None:
                tensor.shape = tuple(int(s) if s >= 0 else None for s in signature)
    names = [t.name for t in tensors]
    graph = Graph("tflite", {t.name: t for t in tensors}, [], [], [])
    graph.inputs = [names[i] for i in subgraph.InputsAsNumpy()]
    graph.outputs = [names[i] for i in subgraph.OutputsAsNumpy()]
    for name in graph.inputs:
        tensor = graph.tensors[name]
        tensor.shape = dynamic_dim_names(tensor.shape)
    codes = [model.OperatorCodes(i) for i in range(model.OperatorCodesLength())]
    for i in range(subgraph.OperatorsLength()):
        raw = subgraph.Operators(i)
        code = codes[raw.OpcodeIndex()]
        builtin = max(code.BuiltinCode(), code.DeprecatedBuiltinCode())
        native = _OP_NAMES.get(builtin, f"BUILTIN_{builtin}")
        if native == "CUSTOM":
            native = code.CustomCode().decode("utf-8", "replace")
        inputs = [names[j] if j >= 0 else "" for j in raw.InputsAsNumpy()]
        outputs = [names[j] for j in raw.OutputsAsNumpy()]
        if native in _STRUCTURED:
            kind, attributes = _STRUCTURED[native]
            attrs = attributes(raw, inputs, graph)
        else:
            kind, attrs = _SIMPLE.get(native, native), {}
        graph.ops.append(Op(kind, inputs, outputs, attrs, native=native, name=outputs[0] if outputs else native))
    return graph


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
