"""Check a conversion numerically: run the original and its ONNX or TFLite form on the same feeds and compare.

Feeds are matched to a model's inputs by name, a trailing ":0" ignored (TFJS tensor names carry
it, ONNX names may not); a model with one input takes a single feed whatever its key. Outputs are
matched by name the same way when every original output has a converted namesake (tf2onnx keeps
TFLite tensor names and TFJS signature keys), else by position; shapes must then agree.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np

from catalog.convert.to_onnx import frozen_graph_def, graph_io, import_tensorflow, patch_tfjs_model, tensor_name
from catalog.errors import ModelError
from catalog.read.tfjs import read_model_json, stored_weights
from catalog.runtime import ORT_DTYPES, onnx_session

Feeds = dict[str, np.ndarray]
TOLERANCE = 1e-3  # an output passes when max abs diff <= this share of its range


@dataclass(frozen=True)
class OutputCheck:
    name: str  # the original's output name
    converted_name: str
    shape: tuple[int, ...]
    max_abs_diff: float
    range: float  # max - min of the original output
    relative: float  # max_abs_diff / scale (inf when figures could not be computed)
    passed: bool
    problem: str = ""  # why figures could not be computed (shape mismatch, missing output)
    scale: float = 0.0  # what the diff is divided by: the range, else see `relative_scale`

    def describe(self) -> str:
        if self.problem:
            return f"{self.name}: {self.problem}"
        over = f"range {self.range:.3g}" if self.scale == self.range else f"scale {self.scale:.3g}"
        return f"{self.name}: max abs diff {self.max_abs_diff:.3g} over {over} (relative {self.relative:.3g})"


def finite_range(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.max() - finite.min()) if finite.size else 0.0


def relative_scale(original: np.ndarray) -> float:
    """The original's range; for a constant output (one score, say) its magnitude, else 1."""
    value_range = finite_range(original)
    finite = np.abs(original[np.isfinite(original)])
    magnitude = float(finite.max()) if finite.size else 0.0
    return value_range if value_range > 0 else magnitude if magnitude > 0 else 1.0


@dataclass(frozen=True)
class CheckResult:
    outputs: list[OutputCheck]
    tolerance: float
    matched_by: Literal["name", "position"]

    @property
    def passed(self) -> bool:
        return all(output.passed for output in self.outputs)

    @property
    def max_abs_diff(self) -> dict[str, float]:
        return {output.name: output.max_abs_diff for output in self.outputs}

    @property
    def message(self) -> str:
        verdict = "passed" if self.passed else "FAILED"
        failing = [o for o in self.outputs if not o.passed]
        ordered = failing + [o for o in self.outputs if o.passed]
        details = "; ".join(o.describe() for o in ordered)
        return f"conversion check {verdict} (tolerance {self.tolerance:g} of each output's range): {details}"


# ---------------------------------------------------------------------------------- running


def run_original(model_path: Path, fmt: str, feeds: Feeds) -> dict[str, np.ndarray]:
    """Outputs of the source model: TFLite with LiteRT, TFJS and frozen GraphDefs (pb) as TensorFlow graphs."""
    if fmt == "tflite":
        return _run_tflite(Path(model_path), feeds)
    if fmt == "tfjs":
        return _run_tfjs(Path(model_path), feeds)
    if fmt == "pb":
        return _run_pb(Path(model_path), feeds)
    raise ModelError(str(model_path), f"cannot run format {fmt!r}: expected tflite, tfjs or pb")


def run_onnx(onnx_path: Path, feeds: Feeds) -> dict[str, np.ndarray]:
    """Outputs of an ONNX model with onnxruntime's CPU provider, by output name."""
    session = onnx_session(onnx_path)
    inputs = {i.name: ORT_DTYPES.get(i.type) for i in session.get_inputs()}
    bound = _bind_feeds(feeds, inputs, str(onnx_path))
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, bound), strict=True))


def check_conversion(
    model_path: Path, fmt: str, converted_path: Path, feeds: Feeds, *, tolerance: float = TOLERANCE
) -> CheckResult:
    """Run the original and its converted form (ONNX, or TFLite by its suffix) on the same feeds
    and compare; see `compare`."""
    original = run_original(model_path, fmt, feeds)
    converted_path = Path(converted_path)
    if converted_path.suffix == ".tflite":
        converted = _run_tflite(converted_path, feeds)
    else:
        converted = run_onnx(converted_path, feeds)
    return compare(original, converted, tolerance=tolerance)


def _bare(name: str) -> str:
    return name.removesuffix(":0")


def _bind_feeds(feeds: Feeds, inputs: dict[str, np.dtype | None], where: str) -> Feeds:
    """Feeds keyed by the model's own input names, each of the dtype the model wants."""
    by_bare_name = {_bare(name): name for name in inputs}
    if all(_bare(key) in by_bare_name for key in feeds) and len(feeds) == len(inputs):
        bound = {by_bare_name[_bare(key)]: value for key, value in feeds.items()}
    elif len(feeds) == 1 and len(inputs) == 1:
        bound = {next(iter(inputs)): next(iter(feeds.values()))}
    else:
        raise ModelError(where, f"feeds {sorted(feeds)} do not match its inputs {sorted(inputs)}")
    for name, value in bound.items():
        wanted = inputs[name]
        if wanted is not None and np.asarray(value).dtype != wanted:
            raise ModelError(where, f"input {name} wants {wanted}, the feed is {value.dtype}")
    return {name: np.asarray(value) for name, value in bound.items()}


def _run_tflite(model_path: Path, feeds: Feeds) -> dict[str, np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # without XNNPACK: it would take over DENSIFY ops, and the builtin kernels are the reference
    interpreter = Interpreter(
        model_path=str(model_path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
    )
    details = interpreter.get_input_details()
    inputs = {d["name"]: np.dtype(d["dtype"]) for d in details}
    bound = _bind_feeds(feeds, inputs, str(model_path))
    for detail in details:
        shape = bound[detail["name"]].shape
        if tuple(detail["shape"]) != shape:
            interpreter.resize_tensor_input(detail["index"], list(shape), strict=False)
    interpreter.allocate_tensors()
    for detail in details:
        interpreter.set_tensor(detail["index"], bound[detail["name"]])
    interpreter.invoke()
    return {d["name"]: interpreter.get_tensor(d["index"]).copy() for d in interpreter.get_output_details()}


def _run_tfjs(model_path: Path, feeds: Feeds) -> dict[str, np.ndarray]:
    tf = import_tensorflow(model_path, "the check")
    model = read_model_json(model_path)
    signature = model.get("signature") or {}
    if not signature.get("inputs") or not signature.get("outputs"):
        raise ModelError(str(model_path), "TFJS model has no signature naming inputs and outputs")
    graph_def = tfjs_graph_def(model_path, model)
    inputs = {
        tensor_name(v["name"]): np.dtype(tf.as_dtype(_dtype_enum(v["dtype"])).as_numpy_dtype)
        for v in signature["inputs"].values()
    }
    output_tensors = {key: tensor_name(v["name"]) for key, v in signature["outputs"].items()}
    return _run_graph_def(tf, graph_def, output_tensors, _bind_feeds(feeds, inputs, str(model_path)))


def _run_pb(model_path: Path, feeds: Feeds) -> dict[str, np.ndarray]:
    tf = import_tensorflow(model_path, "the check")
    inputs, outputs = graph_io(model_path)
    bound = _bind_feeds(feeds, inputs, str(model_path))
    return _run_graph_def(tf, frozen_graph_def(model_path), {name: name for name in outputs}, bound)


def _run_graph_def(tf: Any, graph_def: Any, outputs: dict[str, str], bound: Feeds) -> dict[str, np.ndarray]:
    """A GraphDef run in a TensorFlow session: `bound` feeds by tensor name, the `outputs`
    tensors' values by their keys."""
    graph = tf.Graph()
    with graph.as_default():
        tf.graph_util.import_graph_def(graph_def, name="")
    with tf.compat.v1.Session(graph=graph) as session:
        values = session.run(list(outputs.values()), feed_dict=bound)
    return dict(zip(outputs, values, strict=True))


def _dtype_enum(name: str) -> int:
    from tensorflow.core.framework import types_pb2

    return types_pb2.DataType.Value(name)


# ---------------------------------------------------------------------------------- TFJS graph


def tfjs_graph_def(model_path: Path, model: dict[str, Any] | None = None):
    """The TensorFlow GraphDef a TFJS graph model was converted from, weights as Const values."""
    from google.protobuf.json_format import ParseDict
    from tensorflow.core.framework import graph_pb2
    from tensorflow.python.framework import op_def_registry, tensor_util

    model = json.loads(json.dumps(model or read_model_json(model_path)))  # patched privately
    patch_tfjs_model(model)
    weights = {weight.name: weight.value() for weight in stored_weights(model_path, model)}
    graph_def = graph_pb2.GraphDef()
    for node in model["modelTopology"]["node"]:
        if node["op"] == "Const":
            dtype = _dtype_enum(node["attr"]["dtype"]["type"])
            const = graph_def.node.add(name=node["name"], op="Const")
            const.attr["dtype"].type = dtype
            const.attr["value"].tensor.CopyFrom(tensor_util.make_tensor_proto(weights[node["name"]], dtype=dtype))
            continue
        node["op"] = TFJS_TO_TF_OPS.get(node["op"], node["op"])
        op_def = op_def_registry.get(node["op"])
        if op_def is None:
            raise ModelError(str(model_path), f"op {node['op']} has no TensorFlow equivalent")
        known = {attr.name for attr in op_def.attr}
        # TFJS keeps attrs its own kernels read that TensorFlow's op does not declare
        node["attr"] = {k: v for k, v in node.get("attr", {}).items() if k in known}
        ParseDict(node, graph_def.node.add())
    return graph_def


TFJS_TO_TF_OPS = {"FusedDepthwiseConv2dNative": "_FusedDepthwiseConv2dNative"}


# ---------------------------------------------------------------------------------- comparing


def compare(
    original: dict[str, np.ndarray], converted: dict[str, np.ndarray], *, tolerance: float = TOLERANCE
) -> CheckResult:
    """Per output: max abs diff, the original's range, relative = diff / range, passed if <= tol.

    A constant output (range 0, e.g. a single presence score) is taken relative to its magnitude.
    """
    pairs, matched_by = _match_outputs(original, converted)
    checks = [_check_output(name, original[name], other, converted.get(other), tolerance) for name, other in pairs]
    return CheckResult(checks, tolerance, matched_by)


def _match_outputs(
    original: dict[str, np.ndarray], converted: dict[str, np.ndarray]
) -> tuple[list[tuple[str, str]], Literal["name", "position"]]:
    by_bare_name = {_bare(name): name for name in converted}
    if all(_bare(name) in by_bare_name for name in original):
        return [(name, by_bare_name[_bare(name)]) for name in original], "name"
    if len(original) == len(converted):
        return list(zip(original, converted, strict=True)), "position"
    return [(name, by_bare_name.get(_bare(name), "")) for name in original], "name"


def _check_output(
    name: str,
    expected: np.ndarray,
    converted_name: str,
    got: np.ndarray | None,
    tolerance: float,
) -> OutputCheck:
    expected = np.asarray(expected, dtype=np.float64)
    value_range, scale = finite_range(expected), relative_scale(expected)
    shape = tuple(expected.shape)

    def failed(problem: str) -> OutputCheck:
        inf = math.inf
        return OutputCheck(name, converted_name, shape, inf, value_range, inf, False, problem)

    if got is None:
        return failed("no converted output matches it")
    got = np.asarray(got, dtype=np.float64)
    if got.shape != expected.shape:
        return failed(f"shape {shape} but the conversion gives {tuple(got.shape)}")
    if not np.array_equal(np.isnan(expected), np.isnan(got)):
        return failed("NaN in one output where the other has a number")
    both = ~np.isnan(expected)
    diff = float(np.max(np.abs(expected[both] - got[both]))) if both.any() else 0.0
    relative = diff / scale
    return OutputCheck(name, converted_name, shape, diff, value_range, relative, relative <= tolerance, "", scale)
