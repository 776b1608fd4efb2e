"""Read an ONNX model into the IR, with the onnx package and its shape inference."""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper, shape_inference

from catalog.errors import ModelError
from catalog.read.common import dynamic_dim_names, file_inside
from catalog.read.graph import Graph, GraphError, Op, Tensor
from catalog.read.limits import MAX_TENSOR_ELEMENTS
from catalog.read.shapes import infer_shapes
from catalog.read.structure import check_graph, file_shape, shape_problem

VALUE_LIMIT = 4096
_DATA_TYPES = frozenset(onnx.TensorProto.DataType.values())
# quantized ops, read as the plain op they compute: its type, and where its inputs sit among the
# op's own (the others are scales and zero points); the op's inputs in order in the comment
QUANTIZED_OPS: dict[str, tuple[str, tuple[int, ...]]] = {
    "ConvInteger": ("Conv", (0, 1)),  # x, w, x_zero_point, w_zero_point
    "QLinearConv": ("Conv", (0, 3, 8)),  # x, x_scale, x_zero_point, w, w_scale, w_zero_point, y_scale, y_zero_point, B
    "MatMulInteger": ("MatMul", (0, 1)),  # A, B, a_zero_point, b_zero_point
    "QLinearMatMul": ("MatMul", (0, 3)),  # a, a_scale, a_zero_point, b, b_scale, b_zero_point, y_scale, y_zero_point
    # onnxruntime's own (com.microsoft), written by its quantizer and its graph optimizer
    "QGemm": ("Gemm", (0, 3, 6)),  # A, a_scale, a_zero_point, B, b_scale, b_zero_point, C, y_scale, y_zero_point
    "DynamicQuantizeMatMul": ("MatMul", (0, 1, 4)),  # A, B, b_scale, b_zero_point, bias
    "MatMulIntegerToFloat": ("MatMul", (0, 1, 6)),  # A, B, a_scale, b_scale, a_zero_point, b_zero_point, bias
    "QLinearAdd": ("Add", (0, 3)),  # A, A_scale, A_zero_point, B, B_scale, B_zero_point, C_scale, C_zero_point
    "QLinearMul": ("Mul", (0, 3)),  # as QLinearAdd
    "QLinearSigmoid": ("Sigmoid", (0,)),  # X, X_scale, X_zero_point, Y_scale, Y_zero_point
    "QLinearLeakyRelu": ("LeakyRelu", (0,)),  # as QLinearSigmoid
    "QLinearSoftmax": ("Softmax", (0,)),  # as QLinearSigmoid
    "QLinearAveragePool": ("AveragePool", (0,)),  # as QLinearSigmoid
    "QLinearGlobalAveragePool": ("GlobalAveragePool", (0,)),  # as QLinearSigmoid
    "QLinearReduceMean": ("ReduceMean", (0,)),  # as QLinearSigmoid
    "QLinearConcat": ("Concat", ()),  # Y_scale, Y_zero_point, then X, X_scale, X_zero_point per input
}
READER_SET = ("plain_inputs", "setting_inputs")
_INTEGER_DTYPES = frozenset({"int8", "uint8", "int16", "uint16", "int32", "int4", "uint4"})


@functools.cache
def _dtype_name(elem_type: int) -> str:
    if elem_type == onnx.TensorProto.BFLOAT16:
        return "bfloat16"
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).name
    except (KeyError, TypeError, ValueError):
        pass
    if elem_type in _DATA_TYPES:
        return onnx.TensorProto.DataType.Name(elem_type).lower()
    return f"type {elem_type}"  # none ONNX defines: said as it is; a weight of it is refused


def _value_info_shape(value_info: onnx.ValueInfoProto, *, inferred: bool = False) -> tuple | None:
    """Dims as the file or onnx's inference states them; its invented `unk__N` names mean
    nothing is known, so they become None for our own inference to fill in. A dim the file
    states must be a size (-1: unknown); one onnx inferred from impossible settings (a negative
    size, say) is left unknown too, for our inference to refuse naming the op."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    dims: list = []
    elements, odd = 1, False
    for dim in tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            size = int(dim.dim_value)
            dims.append(size)
            elements *= size
            odd = odd or not 0 <= size <= MAX_TENSOR_ELEMENTS
        elif dim.HasField("dim_param") and type(dim.dim_param) is str and not dim.dim_param.startswith("unk__"):
            dims.append(dim.dim_param)
        else:
            dims.append(None)
    if not odd and elements <= MAX_TENSOR_ELEMENTS:
        return tuple(dims)
    if inferred:
        return tuple(None if isinstance(d, int) and not 0 <= d <= MAX_TENSOR_ELEMENTS else d for d in dims)
    return file_shape(dims, value_info.name)  # -1 is a size left open; anything else is refused


def _check_text(*names: str | bytes) -> None:
    """Names and op types are UTF-8 text; protobuf hands over bytes where a file's are not."""
    for name in names:
        if type(name) is not str:
            raise GraphError(f"the name or op type {name[:40]!r} is not UTF-8 text")


def _check_initializers(model: onnx.ModelProto) -> None:
    """Weights' dims are sizes, within the limits, before anything is made from them."""
    constants = [a.t for node in model.graph.node for a in node.attribute if a.HasField("t")]
    for tensor in [*model.graph.initializer, *constants]:
        _check_text(tensor.name)
        problem = shape_problem(tensor.dims)
        if tensor.data_type not in _DATA_TYPES or tensor.data_type == onnx.TensorProto.UNDEFINED:
            problem = f"has data type {tensor.data_type}, which ONNX does not define"
        if problem:
            raise GraphError(f"tensor {tensor.name or '(a constant)'} {problem}")


def load_model(path: Path, data: bytes | None = None) -> onnx.ModelProto:
    """Parse the file; external data is resolved only inside the model's own folder."""
    try:
        model = onnx.load_from_string(path.read_bytes() if data is None else data)
    except (DecodeError, ValueError, RuntimeError) as error:
        raise ModelError(
            str(path), f"not an ONNX model: the protobuf does not parse ({type(error).__name__})"
        ) from None
    if not model.graph.node and not model.graph.input:
        raise ModelError(str(path), "not an ONNX model (no graph)")
    constants = [a.t for node in model.graph.node for a in node.attribute if a.HasField("t")]
    external = [t for t in [*model.graph.initializer, *constants] if onnx.external_data_helper.uses_external_data(t)]
    if not external:
        return model
    for tensor in external:
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        try:
            file = file_inside(path.parent, location)
        except ValueError:
            raise ModelError(str(path), f"external data {location!r} lies outside the model's folder") from None
        if not file.is_file():
            raise ModelError(str(path), f"external data file {location} is missing")
    try:
        onnx.external_data_helper.load_external_data_for_model(model, str(path.parent.resolve()))
    except (OSError, ValueError) as error:
        raise ModelError(str(path), f"external data unreadable ({error})") from None
    return model


def with_input_shapes(model: onnx.ModelProto, shapes: dict[str, tuple[int, ...]]) -> onnx.ModelProto:
    """A copy of the model whose named inputs have the given fixed sizes."""
    fixed = onnx.ModelProto()
    fixed.CopyFrom(model)
    for value_info in fixed.graph.input:
        if value_info.name in shapes:
            dims = value_info.type.tensor_type.shape.dim
            for dim, size in zip(dims, shapes[value_info.name], strict=True):
                dim.Clear()
                dim.dim_value = int(size)
    del fixed.graph.value_info[:]
    for output in fixed.graph.output:
        output.type.tensor_type.ClearField("shape")
    return fixed


def _skeleton(model: onnx.ModelProto) -> onnx.ModelProto:
    """The model without its large weights, declared as typed inputs instead: shape inference
    needs their shapes, not their bytes, and serialising megabytes of weights was its main cost."""
    light = onnx.ModelProto(ir_version=model.ir_version, producer_name=model.producer_name)
    light.opset_import.extend(model.opset_import)
    light.functions.extend(model.functions)
    graph = light.graph
    graph.node.extend(model.graph.node)
    graph.input.extend(model.graph.input)
    graph.output.extend(model.graph.output)
    graph.value_info.extend(model.graph.value_info)
    declared = {vi.name for vi in model.graph.input}
    for initializer in model.graph.initializer:
        if math.prod(initializer.dims) <= VALUE_LIMIT:
            graph.initializer.append(initializer)
        elif initializer.name not in declared:
            graph.input.append(onnx.helper.make_tensor_value_info(
                initializer.name, initializer.data_type, list(initializer.dims)))  # fmt: skip
    return light


def to_graph(model: onnx.ModelProto, path: Path) -> Graph:
    try:
        return _to_graph(model)
    except GraphError as error:
        raise ModelError(str(path), str(error)) from None


def _to_graph(model: onnx.ModelProto) -> Graph:
    _check_initializers(model)
    for value_info in [*model.graph.input, *model.graph.value_info, *model.graph.output]:
        _check_text(value_info.name)
        _value_info_shape(value_info)  # what the file itself states, before onnx's inference adds to it
    try:
        inferred = shape_inference.infer_shapes(_skeleton(model), data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError, RuntimeError, ValueError,
            DecodeError) as error:  # fmt: skip
        inferred = model
        note = f"onnx shape inference failed: {str(error).splitlines()[0]}"
    else:
        note = ""
    graph = inferred.graph
    tensors: dict[str, Tensor] = {}
    for initializer in model.graph.initializer:
        tensors[initializer.name] = _constant(initializer)
    for value_info in [*graph.input, *graph.value_info, *graph.output]:
        _check_text(value_info.name)
        if value_info.name in tensors:
            continue
        tensors[value_info.name] = Tensor(
            value_info.name,
            _dtype_name(value_info.type.tensor_type.elem_type),
            _value_info_shape(value_info, inferred=True),
        )
    ops: list[Op] = []
    for index, node in enumerate(graph.node):
        _check_text(node.op_type, node.name, *node.input, *node.output)
        if node.op_type == "Constant" and node.output:
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None:
                value.name = node.output[0]
                tensors[node.output[0]] = _constant(value)
                continue
        for output in node.output:
            tensors.setdefault(output, Tensor(output, "float32"))
        name = node.name or f"{node.op_type}_{index}"
        kind, attrs = _attributes(node, name, tensors)
        ops.append(Op(kind, list(node.input), list(node.output), attrs, native=node.op_type, name=name))
    _mark_quantized(ops, tensors)
    _mark_run_time_scales(ops)
    weights = {i.name for i in model.graph.initializer}
    inputs = [vi.name for vi in model.graph.input if vi.name not in weights]
    for name in inputs:
        tensors[name].shape = dynamic_dim_names(tensors[name].shape)
    result = Graph("onnx", tensors, ops, inputs, [vi.name for vi in model.graph.output])
    if note:
        result.notes.append(note)
    check_graph(result)
    infer_shapes(result)  # what onnx's own inference left open (e.g. shapes computed at run time)
    return result


def _constant(proto: onnx.TensorProto) -> Tensor:
    dtype = _dtype_name(proto.data_type)
    tensor = Tensor(proto.name, dtype, tuple(int(d) for d in proto.dims), const=True)
    elements = math.prod(proto.dims)
    if (dtype in ("int32", "int64") and elements <= VALUE_LIMIT) or (
        dtype in ("float32", "float16") and elements <= 16
    ):
        try:
            tensor.value = numpy_helper.to_array(proto)
        except (ValueError, TypeError):
            raise GraphError(f"tensor {proto.name}: its data does not fill its shape {list(proto.dims)}") from None
    return tensor


def _attribute_values(node: onnx.NodeProto, name: str) -> dict:
    attrs = {}
    for attribute in node.attribute:
        try:
            value = onnx.helper.get_attribute_value(attribute)
        except ValueError:
            reason = f"attribute {attribute.name} has no value it can be read as"
            raise GraphError(f"op {name} ({node.op_type}): {reason}") from None
        attrs[attribute.name] = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
    return attrs


def _plain_inputs(node: onnx.NodeProto) -> list[int] | None:
    """Where the inputs of the plain op a quantized op computes sit; None for any other op."""
    if node.op_type not in QUANTIZED_OPS:
        return None
    slots = QUANTIZED_OPS[node.op_type][1]
    return list(slots) if slots else list(range(2, len(node.input), 3))


def _attributes(node: onnx.NodeProto, name: str, tensors: dict[str, Tensor]) -> tuple[str, dict]:
    """The IR op type (a quantized op's plain one) and its normalised attributes."""
    attrs = _attribute_values(node, name)
    for key in READER_SET:  # what the reader states about an op, never taken from the file
        attrs.pop(key, None)
    kind, inputs = node.op_type, list(node.input)
    plain_inputs = _plain_inputs(node)
    if plain_inputs is not None:
        kind = QUANTIZED_OPS[node.op_type][0]
        inputs = [inputs[i] if i < len(inputs) else "" for i in plain_inputs]
        attrs["plain_inputs"] = plain_inputs
    if kind in ("Conv", "ConvTranspose", "MaxPool", "AveragePool"):
        attrs["layout"] = "NCHW"
    if plain_inputs is not None and attrs.get("channels_last") == 1:  # onnxruntime's quantized pools
        attrs["layout"] = "NHWC"
    if kind in ("Conv", "ConvTranspose") and len(inputs) > 1:
        weight = tensors.get(inputs[1])
        shape = weight.shape if weight is not None else None
        if shape and len(shape) > 2:
            if all(isinstance(d, int) for d in shape[2:]):
                attrs.setdefault("kernel_shape", list(shape[2:]))
            if kind == "Conv":
                attrs.update(out_channels=shape[0], kernel_in_channels=shape[1])
            else:
                group = attrs.get("group", 1)
                out = shape[1] * group if isinstance(shape[1], int) and isinstance(group, int) else None
                attrs.update(kernel_out_channels=shape[1], out_channels=out)
    if kind in ("Conv", "ConvTranspose", "Gemm") or (kind == "MatMul" and plain_inputs is not None):
        attrs["bias"] = len(inputs) > 2 and bool(inputs[2])
    if node.op_type == "Reshape":
        attrs["zero_copies"] = not attrs.get("allowzero", 0)
    if node.op_type == "Pad":
        attrs["pads_layout"] = "onnx"
    if node.op_type == "Split":
        attrs.setdefault("axis", 0)
        attrs["sizes_input"] = 1
    if node.op_type == "Resize":
        attrs["layout"] = "NCHW"
        if len(node.input) > 3 and node.input[3]:
            attrs["size_input"] = 3
        elif len(node.input) > 2 and node.input[2]:
            attrs["scales_input"] = 2
    return kind, attrs


def _mark_quantized(ops: list[Op], tensors: dict[str, Tensor]) -> None:
    """Integer weights that carry a scale: what a DequantizeLinear reads, and the weights and
    biases of quantized ops (an int32 bias's scale is the product of its op's input scales).
    Zero points sit among the settings and stay unmarked."""
    for op in ops:
        if op.type == "DequantizeLinear":
            names = op.inputs[:1]
        elif "plain_inputs" in op.attrs:
            names = op.plain().inputs
        else:
            continue
        for name in names:
            tensor = tensors.get(name)
            if tensor is not None and tensor.const and tensor.dtype in _INTEGER_DTYPES:
                tensor.quantized = True


def _mark_run_time_scales(ops: list[Op]) -> None:
    """onnxruntime's dynamic quantization multiplies each weight's stored scale by the scale
    DynamicQuantizeLinear computes from the activations: the Mul's other inputs are scales,
    settings of the quantizer, not parameters."""
    scales = {op.outputs[1] for op in ops if op.type == "DynamicQuantizeLinear" and len(op.outputs) > 1}
    for op in ops:
        if op.type == "Mul" and scales.intersection(op.inputs):
            op.attrs["setting_inputs"] = [i for i, name in enumerate(op.inputs) if name not in scales]


def read_onnx(path: Path, data: bytes | None = None) -> Graph:
    return to_graph(load_model(path, data), path)
