"""Read an ONNX model into the IR, with the onnx package and its shape inference."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import onnx
from google.protobuf.message import DecodeError
from onnx import numpy_helper, shape_inference

from catalog.errors import ModelError
from catalog.read.common import dynamic_dim_names
from catalog.read.graph import Graph, Op, Tensor
from catalog.read.shapes import infer_shapes

VALUE_LIMIT = 4096
QUANTIZED_CONSUMERS = {"DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger",
                       "MatMulInteger", "QGemm"}  # fmt: skip


def _dtype_name(elem_type: int) -> str:
    if elem_type == onnx.TensorProto.BFLOAT16:
        return "bfloat16"
    try:
        return np.dtype(onnx.helper.tensor_dtype_to_np_dtype(elem_type)).name
    except (KeyError, TypeError, ValueError):
        return onnx.TensorProto.DataType.Name(elem_type).lower()


def _value_info_shape(value_info: onnx.ValueInfoProto) -> tuple | None:
    """Dims as the file or onnx's inference states them; its invented `unk__N` names mean
    nothing is known, so they become None for our own inference to fill in."""
    tensor_type = value_info.type.tensor_type
    if not tensor_type.HasField("shape"):
        return None
    dims = []
    for dim in tensor_type.shape.dim:
        if dim.HasField("dim_value"):
            dims.append(int(dim.dim_value))
        elif dim.HasField("dim_param") and not dim.dim_param.startswith("unk__"):
            dims.append(dim.dim_param)
        else:
            dims.append(None)
    return tuple(dims)


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
    folder = path.parent.resolve()
    constants = [a.t for node in model.graph.node for a in node.attribute if a.HasField("t")]
    external = [t for t in [*model.graph.initializer, *constants] if onnx.external_data_helper.uses_external_data(t)]
    if not external:
        return model
    for tensor in external:
        location = next((e.value for e in tensor.external_data if e.key == "location"), "")
        file = (folder / location).resolve()
        if folder not in file.parents:
            raise ModelError(str(path), f"external data {location!r} lies outside the model's folder")
        if not file.is_file():
            raise ModelError(str(path), f"external data file {location} is missing")
    try:
        onnx.external_data_helper.load_external_data_for_model(model, str(folder))
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
        inferred = shape_inference.infer_shapes(_skeleton(model), data_prop=True)
    except (onnx.shape_inference.InferenceError, onnx.checker.ValidationError) as error:
        inferred = model
        note = f"onnx shape inference failed: {str(error).splitlines()[0]}"
    else:
        note = ""
    graph = inferred.graph
    tensors: dict[str, Tensor] = {}
    for initializer in model.graph.initializer:
        tensors[initializer.name] = _constant(initializer)
    for value_info in [*graph.input, *graph.value_info, *graph.output]:
        if value_info.name in tensors:
            continue
        tensors[value_info.name] = Tensor(
            value_info.name,
            _dtype_name(value_info.type.tensor_type.elem_type),
            _value_info_shape(value_info),
        )
    ops: list[Op] = []
    for index, node in enumerate(graph.node):
        if node.op_type == "Constant" and node.output:
            value = next((a.t for a in node.attribute if a.name == "value"), None)
            if value is not None:
                value.name = node.output[0]
                tensors[node.output[0]] = _constant(value)
                continue
        for output in node.output:
            tensors.setdefault(output, Tensor(output, "float32"))
        attrs = _attributes(node, tensors)
        name = node.name or f"{node.op_type}_{index}"
        ops.append(Op(node.op_type, list(node.input), list(node.output), attrs, name=name))
    for op in ops:
        if op.type in QUANTIZED_CONSUMERS:
            for name in op.inputs:
                if name in tensors and tensors[name].const and tensors[name].dtype in ("int8", "uint8"):
                    tensors[name].quantized = True
    weights = {i.name for i in model.graph.initializer}
    inputs = [vi.name for vi in model.graph.input if vi.name not in weights]
    for name in inputs:
        tensors[name].shape = dynamic_dim_names(tensors[name].shape)
    result = Graph("onnx", tensors, ops, inputs, [vi.name for vi in model.graph.output])
    if note:
        result.notes.append(note)
    infer_shapes(result)  # what onnx's own inference left open (e.g. shapes computed at run time)
    return result


def _constant(proto: onnx.TensorProto) -> Tensor:
    dtype = _dtype_name(proto.data_type)
    tensor = Tensor(proto.name, dtype, tuple(int(d) for d in proto.dims), const=True)
    elements = math.prod(proto.dims)
    if (dtype in ("int32", "int64") and elements <= VALUE_LIMIT) or (
        dtype in ("float32", "float16") and elements <= 16
    ):
        tensor.value = numpy_helper.to_array(proto)
    return tensor


def _attributes(node: onnx.NodeProto, tensors: dict[str, Tensor]) -> dict:
    attrs = {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    if node.op_type in ("Conv", "ConvTranspose", "MaxPool", "AveragePool"):
        attrs["layout"] = "NCHW"
    if node.op_type in ("Conv", "ConvTranspose") and len(node.input) > 1:
        weight = tensors.get(node.input[1])
        shape = weight.shape if weight is not None else None
        if shape:
            attrs.setdefault("kernel_shape", list(shape[2:]))
            if node.op_type == "Conv":
                attrs.update(out_channels=shape[0], kernel_in_channels=shape[1])
            else:
                attrs.update(kernel_out_channels=shape[1], out_channels=shape[1] * attrs.get("group", 1))
    if node.op_type in ("Conv", "ConvTranspose", "Gemm"):
        attrs["bias"] = len(node.input) > 2 and bool(node.input[2])
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
    return attrs


def read_onnx(path: Path, data: bytes | None = None) -> Graph:
    return to_graph(load_model(path, data), path)
