"""Convert a TFLite file, a TFJS graph model or a frozen TensorFlow GraphDef (.pb) to ONNX with
tf2onnx, keeping the source's fp16 storage.

tensorflow and tf2onnx are the optional extra `posezoo[convert]`, imported only when converting.
"""

from __future__ import annotations

import copy
import json
import logging
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from catalog import atomic
from catalog.convert.canonical import NotCanonicalizable, canonicalize
from catalog.errors import ModelError
from catalog.read.tfjs import model_files, read_model_json, weight_paths

FORMATS = ("tflite", "tfjs", "pb")
INSTALL_HINT = "conversion needs `pip install posezoo[convert]` (tensorflow, tf2onnx)"
FP16_MIN_ELEMENTS = 256  # smaller weights are not worth a Cast node
# TFJS writes these ops without attrs that newer TensorFlow's op registry requires
FUSED_OPS_WITH_TARGS = frozenset({"_FusedConv2D", "_FusedMatMul"})
TFJS_ONLY_OPS = {"FusedDepthwiseConv2dNative": "_FusedDepthwiseConv2dNative"}
IMAGE_INPUT_DIM_NAMES = ("N", "H", "W")


@dataclass
class Conversion:
    out_path: Path
    converter: str  # "tf2onnx"
    versions: dict[str, str]  # tf2onnx, tensorflow, onnx
    opset: int
    seconds: float
    fp16_weights: bool  # large float weights stored as fp16, with a Cast to float32
    source_size: int  # bytes of the source model (with its weight files)
    onnx_size: int
    notes: list[str] = field(default_factory=list)


def convert_to_onnx(
    model_path: Path, fmt: str, out_path: Path, *, opset: int = 17, fp16_source: bool | None = None
) -> Conversion:
    """Convert `model_path` (fmt "tflite", "tfjs" or "pb") to an ONNX file at `out_path`.

    `fp16_source`: whether the source stores fp16 weights, where the caller has inspected it
    already; otherwise it is inspected here. A frozen GraphDef's inputs are its Placeholders and
    its outputs the tensors no node reads (`catalog.read.pb`); dynamic dims stay dynamic, an
    image input's named N, H, W as for TFJS.
    """
    model_path, out_path = Path(model_path), Path(out_path)
    if fmt not in FORMATS:
        raise ModelError(str(model_path), f"cannot convert {fmt!r}: expected one of {FORMATS}")
    tf2onnx_modules = _import_converter(model_path)
    started = time.perf_counter()
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="posezoo-convert-") as scratch:
        if fmt == "pb":
            source = _frozen_graph_source(model_path)
        elif fmt == "tfjs":
            source = {"tfjs_path": str(_patched_tfjs_copy(model_path, Path(scratch), notes))}
        else:
            source = {"tflite_path": str(_densified_tflite(model_path, Path(scratch), notes))}
        model = _run_tf2onnx(tf2onnx_modules, source, opset, model_path)
    _name_image_input_dims(model, notes)
    if fp16_source is None:
        fp16_source = stores_fp16(model_path)
    fp16 = fp16_source and _store_weights_as_fp16(model, notes)
    _canonicalize(model, model_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    atomic.write_bytes(out_path, model.SerializeToString(deterministic=True))
    validate_onnx(out_path)
    seconds = time.perf_counter() - started
    return Conversion(
        out_path=out_path,
        converter="tf2onnx",
        versions=_versions(),
        opset=opset,
        seconds=round(seconds, 2),
        fp16_weights=fp16,
        source_size=_source_size(model_path, fmt),
        onnx_size=out_path.stat().st_size,
        notes=notes,
    )


# ---------------------------------------------------------------------------------- tf2onnx


@contextmanager
def _native_stderr_silenced() -> Iterator[None]:
    """TensorFlow's native start-up lines go to fd 2 before its logging is set up, where no
    environment setting reaches them; they would break the build's progress display."""
    sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def import_tensorflow(model_path: Path, what: str = "conversion") -> Any:
    """tensorflow, or a ModelError naming the extra that brings it."""
    # TFJS graphs use _FusedDepthwiseConv2dNative, whose only CPU kernel is oneDNN's; TensorFlow
    # leaves oneDNN off by default on some CPUs (AMD), where the op then yields no output
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    try:
        if "tensorflow" in sys.modules:
            import tensorflow as tf
        else:
            with _native_stderr_silenced():
                import tensorflow as tf
    except ImportError:
        raise ModelError(str(model_path), INSTALL_HINT.replace("conversion", what)) from None
    return tf


def _import_converter(model_path: Path) -> tuple[Any, Any, Any]:
    tf = import_tensorflow(model_path)
    try:
        from tf2onnx import optimizer, tfonnx
    except ImportError:
        raise ModelError(str(model_path), INSTALL_HINT) from None
    return tf, tfonnx, optimizer


def _run_tf2onnx(modules: tuple[Any, Any, Any], source: dict[str, Any], opset: int, original: Path) -> onnx.ModelProto:
    """tf2onnx on `source`: process_tf_graph's tflite_path or tfjs_path, or a `graph_def` with its
    input_names and output_names."""
    tf, tfonnx, optimizer = modules
    source = dict(source)
    graph_def = source.pop("graph_def", None)
    try:
        with tf.device("/cpu:0"), tf.Graph().as_default() as tf_graph, warnings.catch_warnings():
            # tf2onnx's own deprecation notices (tf.lite.Interpreter, np.product) are not ours
            warnings.simplefilter("ignore", UserWarning)
            warnings.simplefilter("ignore", DeprecationWarning)
            if graph_def is not None:
                tf.import_graph_def(graph_def, name="")
            graph = tfonnx.process_tf_graph(tf_graph if graph_def is not None else None, opset=opset, **source)
            graph = optimizer.optimize_graph(graph)
            return graph.make_model(f"converted from {original.name} by posezoo with tf2onnx")
    except Exception as err:  # tf2onnx raises anything from ValueError to KeyError
        reason = f"tf2onnx failed: {type(err).__name__}: {_first_line(err)}"
        raise ModelError(str(original), reason) from err


def _first_line(err: Exception) -> str:
    return (str(err).strip().splitlines() or [""])[0][:300]


def _versions() -> dict[str, str]:
    return {name: metadata.version(dist) for name, dist in _DISTRIBUTIONS.items()}


def _installed(dist: str) -> bool:
    try:
        metadata.version(dist)
    except metadata.PackageNotFoundError:
        return False
    return True


_DISTRIBUTIONS = {
    "tf2onnx": "tf2onnx",
    "tensorflow": "tensorflow-cpu" if _installed("tensorflow-cpu") else "tensorflow",
    "onnx": "onnx",
}


def validate_onnx(out_path: Path, made: str = "converted") -> None:
    """The ONNX checker and an onnxruntime session accept the file; a one-line ModelError if not
    (`made` says how it was made: converted, exported)."""
    from catalog.runtime import onnx_session

    try:
        onnx.checker.check_model(str(out_path))
        onnx_session(out_path)
    except Exception as err:
        raise ModelError(str(out_path), f"{made} model is invalid: {_first_line(err)}") from err


def _source_size(model_path: Path, fmt: str) -> int:
    files = model_files(model_path) if fmt == "tfjs" else [model_path]
    return sum(file.stat().st_size for file in files)


# ---------------------------------------------------------------------------------- TFJS


def stores_fp16(model_path: Path) -> bool:
    """Whether the source keeps (some of) its weights in fp16: inspect's precision split, the
    one place that reads weight storage (TFLite fp16 constants behind DEQUANTIZE, TFJS
    manifests' float16 quantization)."""
    from catalog.measure.inspection import inspect

    return "fp16" in inspect(model_path).precision_split


def patch_tfjs_model(model: dict[str, Any]) -> dict[str, int]:
    """Fill in attrs TFJS leaves out but TensorFlow's op registry requires; counts per fix.

    `TArgs` (a list of T, num_args long) on `_FusedConv2D` / `_FusedMatMul`, and `index_type`
    on `TopKV2`. `FusedDepthwiseConv2dNative` needs none: TensorFlow's form has no TArgs.
    """
    counts = {"TArgs": 0, "index_type": 0}
    functions = model["modelTopology"].get("library", {}).get("function", [])
    node_lists = [model["modelTopology"].get("node", [])]
    node_lists += [function.get("nodeDef", []) for function in functions]
    for nodes in node_lists:
        for node in nodes:
            attrs = node.setdefault("attr", {})
            if node["op"] in FUSED_OPS_WITH_TARGS and "TArgs" not in attrs:
                num_args = int(attrs.get("num_args", {}).get("i", 0))
                attrs["TArgs"] = {"list": {"type": [attrs["T"]["type"]] * num_args}}
                counts["TArgs"] += 1
            if node["op"] == "TopKV2" and "index_type" not in attrs:
                attrs["index_type"] = {"type": "DT_INT32"}
                counts["index_type"] += 1
    return counts


def _patched_tfjs_copy(model_path: Path, scratch: Path, notes: list[str]) -> Path:
    """A patched model.json in `scratch`, its weight files linked beside it; the original stays."""
    model = copy.deepcopy(read_model_json(model_path))
    counts = patch_tfjs_model(model)
    fixes = [f"{attr} on {count} ops" for attr, count in counts.items() if count]
    if fixes:
        notes.append("TFJS graph patched before conversion: filled in " + ", ".join(fixes))
    paths = weight_paths(model)
    # tf2onnx reads only the first weights group; the bytes run on across groups in order
    model["weightsManifest"] = [
        {"paths": paths, "weights": [w for g in model["weightsManifest"] for w in g["weights"]]}
    ]
    for path in paths:
        _link_or_copy(model_path.parent / path, scratch / path)
    patched = scratch / model_path.name
    patched.write_text(json.dumps(model))
    return patched


def _link_or_copy(source: Path, target: Path) -> None:
    if not source.is_file():
        raise ModelError(str(source), "weight file named in weightsManifest is missing")
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.symlink(source.resolve(), target)
    except OSError:
        shutil.copyfile(source, target)


# ---------------------------------------------------------------------------------- frozen GraphDef


def graph_io(model_path: Path) -> tuple[dict[str, np.dtype], list[str]]:
    """A frozen GraphDef's inputs (TensorFlow tensor names, `image:0`, with their dtypes) and
    outputs, as inspect reads them: its Placeholders, and the tensors no node reads."""
    from catalog.read.pb import read_pb

    graph = read_pb(model_path)
    if not graph.inputs or not graph.outputs:
        raise ModelError(str(model_path), "the graph has no Placeholder input or no output")
    inputs = {}
    for name in graph.inputs:
        try:
            inputs[tensor_name(name)] = np.dtype(graph.tensors[name].dtype)
        except TypeError:
            reason = f"input {name} is {graph.tensors[name].dtype}, not a dtype a feed can have"
            raise ModelError(str(model_path), reason) from None
    return inputs, [tensor_name(name) for name in graph.outputs]


def tensor_name(name: str) -> str:
    """A node's name, a TFJS signature's or the IR's tensor name as TensorFlow names the tensor:
    `input` -> `input:0`."""
    return name if ":" in name else f"{name}:0"


def frozen_graph_def(model_path: Path) -> Any:
    """The .pb file as TensorFlow's own GraphDef (TensorFlow is loaded: this is for running and
    converting it); ModelError, one line, where it is none."""
    from tensorflow.core.framework import graph_pb2

    from catalog.read.pb import parse_graph_def

    data = Path(model_path).read_bytes()
    parse_graph_def(model_path, data)  # the reader's checks and messages first
    return graph_pb2.GraphDef.FromString(data)


def _frozen_graph_source(model_path: Path) -> dict[str, Any]:
    """tf2onnx's input for a frozen GraphDef, loaded as its --graphdef option loads one (grappler's
    inference optimisations included)."""
    from tf2onnx import tf_loader

    inputs, outputs = graph_io(model_path)
    tf_logger = logging.getLogger("tensorflow")
    level = tf_logger.level
    tf_logger.setLevel(logging.ERROR)  # the loader's TF1 API deprecation notices are not ours
    try:
        graph_def, input_names, output_names = tf_loader.from_graphdef(str(model_path), list(inputs), outputs)
    except Exception as err:  # TensorFlow's import raises anything from ValueError to its own errors
        raise ModelError(str(model_path), f"TensorFlow cannot load the graph: {_first_line(err)}") from err
    finally:
        tf_logger.setLevel(level)
    return {"graph_def": graph_def, "input_names": input_names, "output_names": output_names}


# ---------------------------------------------------------------------------------- TFLite


def _tflite_schema():
    from ai_edge_litert import schema_py_generated

    return schema_py_generated


def _densified_tflite(model_path: Path, scratch: Path, notes: list[str]) -> Path:
    """The model itself, or a copy whose DENSIFY ops are replaced by their dense constants.

    tf2onnx cannot read sparse tensors; the interpreter densifies them, so we take its result.
    """
    schema = _tflite_schema()
    model = schema.ModelT.InitFromPackedBuf(Path(model_path).read_bytes(), 0)
    densify = schema.BuiltinOperator.DENSIFY
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    found = [
        (s, op)
        for s, subgraph in enumerate(model.subgraphs)
        for op in subgraph.operators or []
        if codes[op.opcodeIndex] == densify
    ]
    if not found:
        return model_path
    if any(s != 0 for s, _ in found):
        raise ModelError(str(model_path), "DENSIFY ops outside the main graph are not supported")
    dense_values = _densify_with_interpreter(model_path, [op.outputs[0] for _, op in found])
    subgraph = model.subgraphs[0]
    for (_, op), value in zip(found, dense_values, strict=True):
        sparse_tensor = subgraph.tensors[op.inputs[0]]
        dense_tensor = subgraph.tensors[op.outputs[0]]
        buffer = schema.BufferT()
        buffer.data = np.frombuffer(value.tobytes(), dtype=np.uint8)
        model.buffers.append(buffer)
        dense_tensor.buffer = len(model.buffers) - 1
        model.buffers[sparse_tensor.buffer] = schema.BufferT()  # drop the sparse copy
        sparse_tensor.sparsity = None
        subgraph.operators.remove(op)
    notes.append(f"TFLite: {len(found)} sparse weights densified (DENSIFY ops removed)")
    return _write_tflite(model, scratch / model_path.name)


def _densify_with_interpreter(model_path: Path, tensor_indices: list[int]) -> list[np.ndarray]:
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # XNNPACK would take the DENSIFY ops over and leave nothing to read back
    interpreter = Interpreter(
        model_path=str(model_path),
        experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        experimental_preserve_all_tensors=True,
    )
    interpreter.allocate_tensors()
    interpreter.invoke()
    return [interpreter.get_tensor(index).copy() for index in tensor_indices]


def _write_tflite(model, path: Path) -> Path:
    import flatbuffers

    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path.write_bytes(builder.Output())
    return path


# ---------------------------------------------------------------------------------- ONNX edits


def _name_image_input_dims(model: onnx.ModelProto, notes: list[str]) -> None:
    """Give an NHWC image input's dynamic dims readable names (N, H, W) instead of unk__123."""
    for graph_input in model.graph.input:
        dims = graph_input.type.tensor_type.shape.dim
        if len(dims) != 4 or dims[3].dim_value != 3:
            continue
        renamed = []
        for dim, name in zip(dims[:3], IMAGE_INPUT_DIM_NAMES, strict=True):
            if not dim.HasField("dim_value"):
                dim.dim_param = name
                renamed.append(name)
        if renamed:
            shape = " x ".join(d.dim_param or str(d.dim_value) for d in dims)
            notes.append(f"input {graph_input.name} keeps dynamic dims: {shape}")


def _store_weights_as_fp16(model: onnx.ModelProto, notes: list[str]) -> bool:
    """Store float32 initializers that fp16 holds exactly as fp16, each followed by a Cast.

    Only exact ones: the weights came from fp16, so nothing changes but the stored size;
    compute stays float32 (runtimes fold the Cast once at load).
    """
    graph = model.graph
    graph_inputs = {i.name for i in graph.input}
    taken = {t.name for t in graph.initializer} | {o for n in graph.node for o in n.output}
    casts, kept, saved = [], [], 0
    for tensor in graph.initializer:
        half = _exact_fp16(tensor) if tensor.name not in graph_inputs else None
        if half is None:
            kept.append(tensor)
            continue
        half_name = _unique_name(f"{tensor.name}_fp16", taken)
        kept.append(numpy_helper.from_array(half, half_name))
        cast = helper.make_node("Cast", [half_name], [tensor.name], name=f"{half_name}_to_fp32", to=TensorProto.FLOAT)
        casts.append(cast)
        saved += half.nbytes
    if not casts:
        return False
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    notes.append(
        f"{len(casts)} weights stored as fp16 with a Cast to float32 "
        f"({saved / 2**20:.2f} MiB instead of {2 * saved / 2**20:.2f} MiB)"
    )
    return True


def _exact_fp16(tensor: TensorProto) -> np.ndarray | None:
    if tensor.data_type != TensorProto.FLOAT or np.prod(tensor.dims) < FP16_MIN_ELEMENTS:
        return None
    value = numpy_helper.to_array(tensor)
    half = value.astype(np.float16)
    return half if np.array_equal(half.astype(np.float32), value) else None


def _unique_name(name: str, taken: set[str]) -> str:
    candidate, n = name, 1
    while candidate in taken:
        candidate, n = f"{name}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _canonicalize(model: onnx.ModelProto, model_path: Path) -> None:
    """Names and order from the graph alone: tf2onnx's come from a counter global to the process,
    so without this the same source gives other bytes (and another sha256) in another build."""
    try:
        canonicalize(model)
    except NotCanonicalizable as err:
        raise ModelError(str(model_path), f"converted model cannot be made reproducible: {err}") from None
