"""Convert a TFJS graph model or a frozen GraphDef (.pb) to TFLite with TensorFlow's own converter,
for LiteRT.js in the browser.

The TFJS graph is rebuilt as the TensorFlow GraphDef it came from (`tfjs_graph_def`, the one the
conversion check runs); a .pb already is one. Either way the GraphDef's fused ops are split back
into the ops TensorFlow's TFLite converter knows (it re-fuses them into TFLite's own kernels), its
image input fixed at the card's size (LiteRT.js compiles one shape), and it is converted with fp16
weight storage where the original stores fp16.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from catalog import atomic
from catalog.convert.equivalence import tfjs_graph_def
from catalog.convert.to_onnx import frozen_graph_def, graph_io, import_tensorflow, tensor_name
from catalog.errors import ModelError
from catalog.read.tfjs import read_model_json

CONVERTER = "tf.lite.TFLiteConverter"
# TFJS's fused ops and the op each one is built on; their `fused_ops` follow it in order
FUSED_BASE_OPS = {
    "_FusedConv2D": "Conv2D",
    "_FusedDepthwiseConv2dNative": "DepthwiseConv2dNative",
    "_FusedMatMul": "MatMul",
}
# a fused op's activations: each is its own TensorFlow op, applied after the bias
ACTIVATIONS = frozenset({"Relu", "Relu6", "Elu", "Selu", "Sigmoid", "Tanh", "LeakyRelu"})


@dataclass
class TfliteConversion:
    out_path: Path
    converter: str  # "tf.lite.TFLiteConverter"
    versions: dict[str, str]  # tensorflow
    seconds: float
    fp16_weights: bool  # float weights stored as fp16, dequantized at load
    input_shape: list[int]  # the fixed image input shape
    notes: list[str] = field(default_factory=list)


def convert_tfjs_to_tflite(
    model_path: Path, out_path: Path, input_shape: list[int], *, fp16_weights: bool
) -> TfliteConversion:
    """`convert_to_tflite` for a TFJS graph model."""
    return convert_to_tflite(model_path, "tfjs", out_path, input_shape, fp16_weights=fp16_weights)


def convert_to_tflite(
    model_path: Path, fmt: str, out_path: Path, input_shape: list[int], *, fp16_weights: bool
) -> TfliteConversion:
    """Write the TFJS graph model or frozen GraphDef (fmt "tfjs" or "pb") at `model_path` as a
    TFLite file at `out_path`, its image input fixed at `input_shape`; ModelError, one line, when
    TensorFlow's converter refuses it."""
    model_path, out_path = Path(model_path), Path(out_path)
    if fmt not in ("tfjs", "pb"):
        raise ModelError(str(model_path), f"cannot convert {fmt!r} to TFLite: expected tfjs or pb")
    tf = import_tensorflow(model_path)
    started = time.perf_counter()
    graph_def, input_name, outputs = _tfjs_graph(model_path) if fmt == "tfjs" else _frozen_graph(model_path)
    notes: list[str] = []
    split = unfuse(graph_def)
    if split:
        notes.append(f"{split} fused {'TFJS ' if fmt == 'tfjs' else ''}ops split into TensorFlow ops before conversion")
    _fix_input_shape(graph_def, _node_name(input_name), input_shape, model_path)
    try:
        data = _convert(tf, graph_def, input_name, outputs, fp16_weights)
    except Exception as err:  # the converter raises its own ConverterError, or anything from TF
        raise ModelError(str(model_path), f"TensorFlow's TFLite converter failed: {_first_error(err)}") from None
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_path, data)
    return TfliteConversion(
        out_path=out_path,
        converter=CONVERTER,
        versions={"tensorflow": tf.__version__},
        seconds=round(time.perf_counter() - started, 2),
        fp16_weights=fp16_weights,
        input_shape=list(input_shape),
        notes=notes,
    )


def _tfjs_graph(model_path: Path) -> tuple[Any, str, list[str]]:
    """A TFJS model's GraphDef, its one input's and its outputs' tensor names, from its signature."""
    model = read_model_json(model_path)
    signature = model.get("signature") or {}
    if not signature.get("inputs") or not signature.get("outputs"):
        raise ModelError(str(model_path), "TFJS model has no signature naming inputs and outputs")
    _one_input(model_path, len(signature["inputs"]))
    (input_spec,) = signature["inputs"].values()
    outputs = [tensor_name(spec["name"]) for spec in signature["outputs"].values()]
    return tfjs_graph_def(model_path, model), tensor_name(input_spec["name"]), outputs


def _frozen_graph(model_path: Path) -> tuple[Any, str, list[str]]:
    """A .pb's GraphDef, its one Placeholder's and its outputs' tensor names (`graph_io`)."""
    inputs, outputs = graph_io(model_path)
    _one_input(model_path, len(inputs))
    return frozen_graph_def(model_path), next(iter(inputs)), outputs


def _one_input(model_path: Path, count: int) -> None:
    if count != 1:
        raise ModelError(str(model_path), f"TFLite conversion takes one image input, the model has {count}")


def unfuse(graph_def: Any) -> int:
    """Split every fused conv/matmul (op, bias, activation) into its TensorFlow ops, in place; the
    last op keeps the fused node's name so its consumers are unchanged. How many were split."""
    from tensorflow.python.framework import op_def_registry

    nodes = list(graph_def.node)
    del graph_def.node[:]
    split = 0
    for node in nodes:
        base_op = FUSED_BASE_OPS.get(node.op)
        if base_op is None:
            graph_def.node.append(node)
            continue
        split += 1
        fused_ops = [op.decode() for op in node.attr["fused_ops"].list.s]
        num_args = node.attr["num_args"].i
        data_inputs = [name for name in node.input if not name.startswith("^")]
        control = [name for name in node.input if name.startswith("^")]
        x, weights, args = data_inputs[0], data_inputs[1], data_inputs[2 : 2 + num_args]
        known = {attr.name for attr in op_def_registry.get(base_op).attr}
        base = graph_def.node.add(name=f"{node.name}/{base_op}", op=base_op, input=[x, weights, *control])
        for key in known & set(node.attr):
            base.attr[key].CopyFrom(node.attr[key])
        previous = base.name
        steps = list(fused_ops)
        if steps and steps[0] == "BiasAdd":
            if len(args) != 1:
                raise ModelError(node.name, f"{node.op} with BiasAdd takes 1 extra input, it has {len(args)}")
            steps.pop(0)
            last = not steps
            bias = graph_def.node.add(
                name=node.name if last else f"{node.name}/BiasAdd", op="BiasAdd", input=[previous, args[0]]
            )
            bias.attr["T"].CopyFrom(node.attr["T"])
            if "data_format" in node.attr and base_op != "MatMul":
                bias.attr["data_format"].CopyFrom(node.attr["data_format"])
            previous = bias.name
        for index, step in enumerate(steps):
            if step not in ACTIVATIONS:
                raise ModelError(node.name, f"{node.op} fuses {step}, which posezoo cannot split for TFLite")
            last = index == len(steps) - 1
            act = graph_def.node.add(name=node.name if last else f"{node.name}/{step}", op=step, input=[previous])
            act.attr["T"].CopyFrom(node.attr["T"])
            if step == "LeakyRelu":
                act.attr["alpha"].f = node.attr["leakyrelu_alpha"].f
            previous = act.name
        if previous != node.name:
            raise ModelError(node.name, f"{node.op} fuses nothing posezoo can split: {fused_ops}")
    return split


def _fix_input_shape(graph_def: Any, name: str, shape: list[int], model_path: Path) -> None:
    for node in graph_def.node:
        if node.name == name and node.op == "Placeholder":
            node.attr["shape"].shape.Clear()
            for size in shape:
                node.attr["shape"].shape.dim.add(size=int(size))
            return
    raise ModelError(str(model_path), f"the input {name} is not a placeholder of the graph")


def _convert(tf: Any, graph_def: Any, input_name: str, outputs: list[str], fp16_weights: bool) -> bytes:
    def imported() -> None:
        tf.compat.v1.import_graph_def(graph_def, name="")

    wrapped = tf.compat.v1.wrap_function(imported, [])
    graph = wrapped.graph
    function = wrapped.prune([graph.as_graph_element(input_name)], [graph.as_graph_element(n) for n in outputs])
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function], wrapped)
    if fp16_weights:
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def _node_name(name: str) -> str:
    return name.split(":")[0]


def _first_error(err: Exception) -> str:
    lines = [line.strip() for line in str(err).splitlines() if "error:" in line]
    line = lines[0].split("error:", 1)[1] if lines else (str(err).strip().splitlines() or [type(err).__name__])[0]
    return line.strip()[:300]
