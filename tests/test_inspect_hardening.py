"""inspect keeps its promises on files made to break it: every failure is one ModelError naming
the file and the cause, nothing runs away in time or memory, and no figure is impossible.

Each file is made by hand in the test, as small as shows the case. A blow-up in time or memory
would hang the test instead of failing it: that is the failure these tests exist to catch.
"""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Callable
from pathlib import Path

import flatbuffers
import numpy as np
import onnx
import pytest
from ai_edge_litert import schema_py_generated as tfl
from onnx import TensorProto, helper, numpy_helper

import catalog
from catalog.errors import FetchError, InternalError, ModelError
from catalog.fetch.sources import fetch
from catalog.read.limits import MAX_EXACT_FIGURE, MAX_MODEL_JSON_BYTES, MAX_OP_OUTPUTS, MAX_WEIGHT_FILES
from catalog.read.tfjs import model_files, read_model_json, weight_paths

FIXTURES = Path(__file__).parent / "fixtures" / "inspect"
MODEL_SUFFIXES = {".onnx", ".tflite", ".json"}

# ------------------------------------------------------------------------------------ ONNX files


def onnx_file(folder: Path, nodes, inputs, outputs, initializers=(), name: str = "model") -> Path:
    graph = helper.make_graph(nodes, name, inputs, outputs, list(initializers))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    path = folder / f"{name}.onnx"
    path.write_bytes(model.SerializeToString())
    return path


def value(name: str, shape) -> onnx.ValueInfoProto:
    return helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)


def ones(name: str, *shape: int) -> TensorProto:
    return numpy_helper.from_array(np.ones(shape, np.float32), name)


def onnx_conv(folder: Path, **attributes) -> Path:
    """x 1x3x8x8 -> Conv 4x3x3x3 named `conv`, with the given attributes."""
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attributes)
    return onnx_file(folder, [conv], [value("x", [1, 3, 8, 8])], [value("y", None)], [ones("w", 4, 3, 3, 3)])


# ---------------------------------------------------------------------------------- TFLite files


def tflite_file(
    folder: Path,
    shapes: list[list[int]],
    operators: list[tuple[int, list[int], list[int], int, object]],
    inputs: list[int],
    outputs: list[int],
    weights: dict[int, np.ndarray] | None = None,
) -> Path:
    """A one-subgraph TFLite file: tensor i has shapes[i] (and weights[i] as its buffer, if given);
    each operator is (builtin op, input tensors, output tensors, options type, options)."""
    weights = weights or {}
    buffers = [tfl.BufferT()]  # buffer 0: the empty one
    tensors = []
    for index, shape in enumerate(shapes):
        tensor = tfl.TensorT()
        tensor.name, tensor.shape, tensor.type = f"t{index}", shape, tfl.TensorType.FLOAT32
        tensor.buffer = 0
        if index in weights:
            buffer = tfl.BufferT()
            buffer.data = np.frombuffer(weights[index].astype(np.float32).tobytes(), np.uint8)
            tensor.buffer = len(buffers)
            buffers.append(buffer)
        tensors.append(tensor)
    builtins = sorted({op[0] for op in operators})
    codes = []
    for builtin in builtins:
        code = tfl.OperatorCodeT()
        code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
        codes.append(code)
    subgraph = tfl.SubGraphT()
    subgraph.tensors, subgraph.inputs, subgraph.outputs = tensors, inputs, outputs
    subgraph.operators = []
    for builtin, op_inputs, op_outputs, options_type, options in operators:
        op = tfl.OperatorT()
        op.opcodeIndex, op.inputs, op.outputs = builtins.index(builtin), op_inputs, op_outputs
        op.builtinOptionsType, op.builtinOptions = options_type, options
        subgraph.operators.append(op)
    model = tfl.ModelT()
    model.version, model.operatorCodes, model.subgraphs, model.buffers = 3, codes, [subgraph], buffers
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    path = folder / "model.tflite"
    path.write_bytes(bytes(builder.Output()))
    return path


def add_op(inputs: list[int], outputs: list[int]) -> tuple:
    return (tfl.BuiltinOperator.ADD, inputs, outputs, tfl.BuiltinOptions.AddOptions, tfl.AddOptionsT())


def tflite_conv(folder: Path, stride_h: int = 1, stride_w: int = 1, input_shape=(1, 4, 4, 3)) -> Path:
    """input -> CONV_2D (4 filters 3x3, SAME) -> output."""
    options = tfl.Conv2DOptionsT()
    options.padding, options.strideH, options.strideW = tfl.Padding.SAME, stride_h, stride_w
    options.dilationHFactor, options.dilationWFactor = 1, 1
    conv = (tfl.BuiltinOperator.CONV_2D, [0, 1], [2], tfl.BuiltinOptions.Conv2DOptions, options)
    shapes = [list(input_shape), [4, 3, 3, 3], [1, 4, 4, 4]]
    return tflite_file(folder, shapes, [conv], [0], [2], {1: np.ones((4, 3, 3, 3))})


# ------------------------------------------------------------------------------------ TFJS files


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def placeholder(name: str = "input", *dims: int) -> dict:
    shape = {"dim": [{"size": str(d)} for d in (dims or (1, 4, 4, 3))]}
    return {"name": name, "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": shape}}}


def node(name: str, op: str, *inputs: str, **attrs: dict) -> dict:
    return {"name": name, "op": op, "input": list(inputs), "attr": {"T": {"type": "DT_FLOAT"}, **attrs}}


def tfjs_document(nodes: list[dict], paths: list[str] | None = None, weights: list[dict] | None = None) -> dict:
    manifest = [{"paths": ["weights.bin"] if paths is None else paths, "weights": weights or []}]
    return {"format": "graph-model", "modelTopology": {"node": nodes}, "weightsManifest": manifest}


def tfjs_file(folder: Path, nodes: list[dict], *, paths: list[str] | None = None, weight_bytes: bytes = b"",
              weights: list[dict] | None = None, compress: bool = False) -> Path:  # fmt: skip
    """model.json (gzip-compressed with `compress`) and, unless `paths` names others, weights.bin."""
    folder.mkdir(parents=True, exist_ok=True)
    if paths is None:
        (folder / "weights.bin").write_bytes(weight_bytes)
    text = json.dumps(tfjs_document(nodes, paths, weights)).encode()
    path = folder / "model.json"
    path.write_bytes(gzip.compress(text) if compress else text)
    return path


def relu_chain(count: int) -> list[dict]:
    return [placeholder("n0")] + [node(f"n{i}", "Relu", f"n{i - 1}") for i in range(1, count)]


# ------------------------------------------------------------------------------------- checking


def refused(path: Path, *fragments: str) -> str:
    """The reason inspect gives for refusing the file: a ModelError naming it, nothing else."""
    with pytest.raises(PosezooErrorTypes) as caught:
        catalog.inspect(path)
    error = caught.value
    assert type(error) is ModelError, f"{type(error).__name__}: {error}"
    assert error.where == str(path) and "\n" not in error.reason
    for fragment in fragments:
        assert fragment in error.reason
    return error.reason


PosezooErrorTypes = (ModelError, InternalError)


def assert_sane(report: catalog.ModelReport) -> None:
    for figure in (report.size_bytes, report.params, report.sparse_params, report.macs, report.flops):
        assert isinstance(figure, int) and 0 <= figure <= MAX_EXACT_FIGURE
    for row in report.ops:
        assert all(0 <= row[key] <= MAX_EXACT_FIGURE for key in ("count", "macs", "flops", "output_elements"))


# ---------------------------------------------------------------------- 1. graphs: cycles, dims, attributes


def test_a_tfjs_graph_whose_nodes_feed_each_other_is_refused_naming_them(tmp_path):
    nodes = [placeholder(), node("a", "AddV2", "input", "b"), node("b", "Relu", "a")]
    reason = refused(tfjs_file(tmp_path, nodes), "cycle")
    assert "node a (AddV2)" in reason and "node b (Relu)" in reason


def test_a_cycle_through_control_inputs_is_refused_too(tmp_path):
    nodes = [placeholder(), node("a", "Relu", "input", "^b"), node("b", "Relu", "a")]
    refused(tfjs_file(tmp_path, nodes), "cycle")


def test_a_long_tfjs_cycle_is_found_in_one_pass(tmp_path):
    nodes = relu_chain(50_000)
    nodes[1]["input"] = ["n49999"]  # the chain's end feeds its start
    refused(tfjs_file(tmp_path, nodes), "cycle", "node n1 (Relu)")


def test_a_cyclic_onnx_graph_is_refused_not_reported_with_zero_macs(tmp_path):
    add = helper.make_node("Add", ["x", "c"], ["a"], name="add")
    nodes = [add, helper.make_node("Relu", ["a"], ["c"], name="relu")]
    path = onnx_file(tmp_path, nodes, [value("x", [1, 4])], [value("a", None)])
    reason = refused(path, "cycle")
    assert "op add (Add)" in reason and "op relu (Relu)" in reason


def test_an_onnx_op_reading_its_own_output_is_a_cycle(tmp_path):
    nodes = [helper.make_node("Add", ["x", "y"], ["y"], name="loop")]
    refused(onnx_file(tmp_path, nodes, [value("x", [1, 4])], [value("y", None)]), "cycle", "op loop (Add)")


def test_onnx_nodes_out_of_order_are_run_in_order(tmp_path):
    # acyclic, only listed backwards: the same figures as in order
    conv = helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1])
    relu = helper.make_node("Relu", ["c"], ["y"], name="relu")
    args = [value("x", [1, 3, 8, 8])], [value("y", None)], [ones("w", 4, 3, 3, 3)]
    in_order = catalog.inspect(onnx_file(tmp_path, [conv, relu], *args, name="sorted"))
    backwards = catalog.inspect(onnx_file(tmp_path, [relu, conv], *args, name="backwards"))
    assert backwards.macs == in_order.macs == 4 * 8 * 8 * 3 * 3 * 3
    assert backwards.flops == in_order.flops and backwards.outputs[0].shape == [1, 4, 8, 8]


def test_a_tflite_graph_whose_ops_feed_each_other_is_refused(tmp_path):
    shapes = [[1, 4], [1, 4], [1, 4]]
    path = tflite_file(tmp_path, shapes, [add_op([0, 2], [1]), add_op([1, 1], [2])], [0], [2])
    refused(path, "cycle", "op #1 (ADD)", "op t2 (ADD)")  # a tensor the file names only where users read it


def test_an_input_nothing_produces_is_named(tmp_path):
    nodes = [placeholder(), node("a", "AddV2", "input", "ghost")]
    refused(tfjs_file(tmp_path, nodes), "op a (AddV2) reads tensor ghost, which nothing produces")


def test_a_dim_of_minus_2_to_the_31_is_refused_not_counted_negative(tmp_path):
    shapes = [[1, -(2**31), 4, 3], [1, -(2**31), 4, 3], [1, -(2**31), 4, 3]]
    path = tflite_file(tmp_path, shapes, [add_op([0, 1], [2])], [0, 1], [2])
    refused(path, "tensor", "has a negative dim -2147483648")


def test_a_negative_onnx_dim_is_refused_and_minus_one_means_unknown(tmp_path):
    relu = helper.make_node("Relu", ["x"], ["y"], name="relu")
    refused(onnx_file(tmp_path, [relu], [value("x", [1, -5])], [value("y", None)], name="bad"), "negative dim -5")
    report = catalog.inspect(onnx_file(tmp_path, [relu], [value("x", [1, -1])], [value("y", None)], name="open"))
    assert report.reference_source == {"x": "default"} and report.reference_shapes == {"x": [1, 256]}


def test_zero_strides_are_refused_naming_the_op(tmp_path):
    refused(onnx_conv(tmp_path, strides=[0, 1]), "op conv (Conv): strides [0, 1] must be positive")


def test_zero_tflite_strides_are_refused_naming_the_op(tmp_path):
    refused(tflite_conv(tmp_path, stride_h=0), "(CONV_2D): strides [0, 1] must be positive")


def test_a_kernel_shape_that_is_a_string_is_refused(tmp_path):
    refused(onnx_conv(tmp_path, kernel_shape="abc"), "op conv (Conv): kernel_shape 'abc' must be a list of integers")


def test_settings_of_the_wrong_rank_are_refused(tmp_path):
    refused(onnx_conv(tmp_path, strides=[1]), "strides [1] has 1 values, kernel_shape [3, 3] needs 2")


def test_a_zero_sized_kernel_is_refused(tmp_path):
    conv = helper.make_node("Conv", ["x", "w"], ["y"], name="conv")
    path = onnx_file(tmp_path, [conv], [value("x", [1, 3, 8, 8])], [value("y", None)], [ones("w", 4, 3, 0, 3)])
    refused(path, "op conv (Conv): kernel_shape [0, 3] must be positive")


def test_a_window_larger_than_its_input_is_refused(tmp_path):
    refused(onnx_conv(tmp_path, kernel_shape=[3, 3], dilations=[9, 9]), "op conv (Conv): its window (19 wide)")


# --------------------------------------------------- 2. resources: decompression, sizes, counts, depth


def test_a_gzip_bomb_stops_at_the_limit(tmp_path):
    tmp_path.joinpath("weights.bin").write_bytes(b"")
    deflate = zlib.compressobj(1, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    spaces = b" " * 2**20
    chunks = [deflate.compress(spaces) for _ in range(MAX_MODEL_JSON_BYTES // 2**20 + 1)]
    path = tmp_path / "model.json"
    path.write_bytes(b"".join(chunks) + deflate.flush())
    assert path.stat().st_size < 2**20
    refused(path, "model.json expands past 64 MiB")


def test_a_gzip_compressed_model_json_still_reads(tmp_path):
    nodes = [placeholder(), node("relu", "Relu", "input")]
    report = catalog.inspect(tfjs_file(tmp_path, nodes, compress=True))
    assert report.outputs[0].shape == [1, 4, 4, 3]


def test_a_cut_gzip_stream_is_refused(tmp_path):
    path = tfjs_file(tmp_path, [placeholder()], compress=True)
    path.write_bytes(path.read_bytes()[:-12])
    refused(path, "gzip")


def test_an_unpack_of_a_billion_outputs_is_refused_before_allocating(tmp_path):
    nodes = [placeholder(), node("unpack", "Unpack", "input", num={"i": "1000000000"})]
    refused(tfjs_file(tmp_path, nodes), "op unpack (Unpack): 1000000000 outputs, expected 1 to 65,536")


def test_reading_output_a_billion_of_a_node_is_refused(tmp_path):
    nodes = [placeholder(), node("split", "Split", "input"), node("relu", "Relu", "split:1000000000")]
    refused(tfjs_file(tmp_path, nodes), f"past the limit of {MAX_OP_OUTPUTS:,} outputs")


def test_a_dim_of_2_to_the_40_is_refused(tmp_path):
    relu = helper.make_node("Relu", ["x"], ["y"], name="relu")
    refused(onnx_file(tmp_path, [relu], [value("x", [1, 2**40])], [value("y", None)]), "tensor x has a dim of")


def test_a_tensor_past_the_element_limit_is_refused(tmp_path):
    shapes = [[65536, 65536, 65536]] * 3
    path = tflite_file(tmp_path, shapes, [add_op([0, 1], [2])], [0, 1], [2])
    refused(path, "elements, past the limit of 2^36")


def test_a_figure_past_2_to_the_53_is_an_error_not_a_number(tmp_path):
    # each tensor within the element limit, but their product of MACs is 2^54
    matmul = helper.make_node("MatMul", ["a", "b"], ["y"], name="matmul")
    inputs = [value("a", [2**18, 2**18]), value("b", [2**18, 2**18])]
    path = onnx_file(tmp_path, [matmul], inputs, [value("y", None)])
    refused(path, "MACs 1.8e+16 exceeds 2^53, past what JSON readers hold exactly")


def test_a_deeply_nested_model_json_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_text('{"modelTopology": ' + "[" * 200_000 + "]" * 200_000 + "}")
    refused(path, "nests deeper")


def test_deeply_nested_onnx_subgraphs_are_refused(tmp_path):
    # built as protobuf bytes, since onnx's own helpers cannot make what its parser refuses
    def field(number: int, payload: bytes) -> bytes:
        return _varint(number << 3 | 2) + _varint(len(payload)) + payload

    graph = b""
    for _ in range(300):  # GraphProto.node(1) -> NodeProto.attribute(5) -> AttributeProto.g(6)
        graph = field(1, field(4, b"If") + field(5, field(1, b"then_branch") + field(6, graph)))
    path = tmp_path / "deep.onnx"
    path.write_bytes(bytes([0x08, 0x08]) + field(7, graph))  # ir_version 8, graph
    refused(path, "protobuf does not parse")


def test_too_many_weight_files_are_refused(tmp_path):
    paths = [f"shard{i}.bin" for i in range(MAX_WEIGHT_FILES + 1)]
    refused(tfjs_file(tmp_path, [placeholder()], paths=paths), f"past the limit of {MAX_WEIGHT_FILES:,}")


def test_a_weight_file_named_twice_is_refused(tmp_path):
    tmp_path.joinpath("w.bin").write_bytes(b"")
    refused(tfjs_file(tmp_path, [placeholder()], paths=["w.bin", "./w.bin"]), "w.bin")


# -------------------------------------------------------- 3. errors: every failure a ModelError, bugs apart


BROKEN: dict[str, Callable[[Path], Path]] = {
    "not json": lambda folder: _write(folder / "model.json", b'{"modelTopology": '),
    "not utf-8": lambda folder: _write(folder / "model.json", b'{"modelTopology": "\xff"}'),
    "number too long": lambda folder: _write(folder / "model.json", b'{"modelTopology": {}, "x": %s}' % (b"9" * 5001)),
    "nodes not a list": lambda folder: _write(folder / "model.json", b'{"modelTopology": {"node": 5}}'),
    "node without op": lambda folder: tfjs_file(folder, [{"name": "x"}]),
    "input not a string": lambda folder: tfjs_file(folder, [placeholder(), {"name": "a", "op": "Relu", "input": [5]}]),
    "infinite dim": lambda folder: _write(folder / "model.json", json.dumps(tfjs_document(
        [placeholder()], weights=[{"name": "w", "shape": [float("inf")], "dtype": "float32"}])).encode()),
    "two nodes one name": lambda folder: tfjs_file(folder, [placeholder(), placeholder()]),
    "missing inputs": lambda folder: tfjs_file(folder, [placeholder(), node("c", "Conv2D", "input")]),
    "truncated flatbuffer": lambda folder: _write(folder / "m.tflite", tflite_conv(folder).read_bytes()[:60]),
    "onnx garbage": lambda folder: _write(folder / "m.onnx", b"\x08\x08" + bytes(range(256)) * 4),
    "onnx bad data type": lambda folder: onnx_file(folder, [helper.make_node("Relu", ["x"], ["y"])],
                                                   [value("x", [1])], [value("y", None)], [_retyped(ones("w", 1))]),
    "onnx name not utf-8": lambda folder: _write(
        folder / "m.onnx", onnx_conv(folder).read_bytes().replace(b"conv", b"c\xffnv")),
    "onnx data short of its dims": lambda folder: onnx_file(
        folder, [helper.make_node("Reshape", ["x", "s"], ["y"])], [value("x", [4])], [value("y", None)],
        [_redimensioned(numpy_helper.from_array(np.array([4], np.int64), "s"), [3])]),
}  # fmt: skip


def _retyped(tensor: TensorProto) -> TensorProto:
    tensor.data_type = 999  # none ONNX defines
    return tensor


def _redimensioned(tensor: TensorProto, dims: list[int]) -> TensorProto:
    tensor.dims[:] = dims
    return tensor


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def _varint(number: int) -> bytes:
    out = bytearray()
    while True:
        out.append(number & 0x7F | (0x80 if number > 0x7F else 0))
        number >>= 7
        if not number:
            return bytes(out)


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_damaged_file_is_one_model_error_naming_it(tmp_path, case):
    refused(BROKEN[case](tmp_path))


def test_a_bug_in_posezoo_is_told_apart_from_a_bad_file(tmp_path, monkeypatch):
    from catalog.measure import metrics

    def broken(graph):
        raise KeyError("a bug")

    monkeypatch.setattr(metrics, "compute", broken)
    path = onnx_conv(tmp_path)
    with pytest.raises(InternalError, match="KeyError: 'a bug'") as caught:
        catalog.inspect(path)
    assert not isinstance(caught.value, ModelError) and caught.value.where == str(path)


# --------------------------------------------- 4. paths: one rule for every reader of a manifest


def test_a_weights_path_leaving_the_folder_is_refused_everywhere(tmp_path):
    model = tmp_path / "model"
    (tmp_path / "outside.bin").write_bytes(b"")
    path = tfjs_file(model, [placeholder()], paths=["../outside.bin"])
    refused(path, "weights path '../outside.bin' leaves the model's folder")
    with pytest.raises(ModelError, match="leaves the model's folder"):
        read_model_json(path)  # as conversion and its check read the manifest
    with pytest.raises(ModelError, match="leaves the model's folder"):
        model_files(path, read_model_json(path, check_paths=False))
    with pytest.raises(FetchError, match="leaves the model's folder"):
        fetch(f"file:{path}", None)


def test_a_symlink_out_of_the_folder_is_refused_everywhere(tmp_path):
    model = tmp_path / "model"
    model.mkdir()
    (tmp_path / "secret.bin").write_bytes(b"")
    (model / "weights.bin").symlink_to(tmp_path / "secret.bin")
    path = tfjs_file(model, [placeholder()], paths=["weights.bin"])
    refused(path, "weights path 'weights.bin' leaves the model's folder")
    with pytest.raises(ModelError, match="leaves the model's folder"):
        read_model_json(path)
    with pytest.raises(FetchError, match="leaves the model's folder"):
        fetch(f"file:{path}", None)


def test_a_path_that_stays_inside_once_normalised_is_accepted_everywhere(tmp_path):
    (tmp_path / "sub").mkdir()
    path = tfjs_file(tmp_path, [placeholder(), node("relu", "Relu", "input")], paths=["sub/../w.bin"])
    (tmp_path / "w.bin").write_bytes(b"")
    report = catalog.inspect(path)
    assert [Path(f.path).name for f in report.files] == ["model.json", "w.bin"]
    assert [d.path.name for d in fetch(f"file:{path}", None).files] == ["model.json", "w.bin"]
    assert weight_paths(read_model_json(path)) == ["w.bin"]  # what conversion links beside its copy


# ------------------------------------------------------------ the fuzzer's fixtures, each a case


def fixture_models() -> list[Path]:
    """Model files under tests/fixtures/inspect/: .onnx, .tflite and TFJS .json, not the files a
    case keeps outside its model's folder, nor a case's own description (case.json)."""
    if not FIXTURES.is_dir():
        return []
    return sorted(
        path
        for path in FIXTURES.rglob("*")
        if path.suffix.lower() in MODEL_SUFFIXES and path.is_file() and not path.is_symlink()
        and "outside" not in path.relative_to(FIXTURES).parts and path.name != "case.json"
    )  # fmt: skip


@pytest.mark.parametrize("path", fixture_models(), ids=lambda p: str(p.relative_to(FIXTURES)))
def test_a_fuzzer_fixture_is_a_model_error_or_sane_figures(path):
    try:
        report = catalog.inspect(path)
    except ModelError as error:
        assert type(error) is ModelError and error.where == str(path) and "\n" not in error.reason
    else:
        assert_sane(report)
