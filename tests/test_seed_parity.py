"""PocketPose's model-zoo page (the seeds), row by row: every row whose file we have is reproduced
to the page's two decimals from our report alone: size, inputs, outputs, and MFLOPs and params
by PocketPose's rule applied to our per-op table (catalog.measure.mapping)."""

from __future__ import annotations

import math
import os
from pathlib import Path

import numpy as np
import pytest
from ai_edge_litert import schema_py_generated as tfl

from catalog import inspect
from catalog.measure import mapping, metrics
from catalog.measure.inspection import read_graph
from catalog.read.shapes import infer_shapes
from tests.conftest import MEDIAPIPE

# the page's rows, as printed (seeds/pocketpose-model-zoo.md): size (MB, in fact MiB), inputs,
# outputs, FLOPs (M), params (M)
BLAZEPOSE_OUTPUTS = "195, 1, 256x256x1, 64x64x39, 117"
PAGE = {
    "blazepose-lite": (2.69, "256x256x3", BLAZEPOSE_OUTPUTS, 397.56, 1.36),
    "blazepose-full": (6.14, "256x256x3", BLAZEPOSE_OUTPUTS, 774.26, 3.17),
    "blazepose-heavy": (26.43, "256x256x3", BLAZEPOSE_OUTPUTS, 3858.81, 13.75),
    "efficientpose-rt": (0.92, "224x224x3", "28x28x28, 28x28x16, 28x28x16, 224x224x16", 739.09, 0.43),
    "efficientpose-rt-lite": (0.75, "224x224x3", "224x224x16", 721.71, 0.37),
    "efficientpose-i": (1.43, "256x256x3", "32x32x28, 32x32x16, 32x32x16, 256x256x16", 1495.89, 0.69),
    "efficientpose-i-lite": (1.10, "256x256x3", "256x256x16", 1360.00, 0.55),
    "efficientpose-ii": (3.37, "368x368x3", "46x46x28, 46x46x16, 46x46x16, 368x368x16", 7305.14, 1.67),
    "efficientpose-ii-lite": (2.74, "368x368x3", "368x368x16", 6883.47, 1.40),
}


def efficientpose_files() -> dict[str, Path]:
    """The upstream EfficientPose files from $POSEZOO_MIRROR (sha256-checked), or a skip."""
    if not os.environ.get(mapping.MIRROR_ENV):
        pytest.skip(
            f"set {mapping.MIRROR_ENV} to a folder holding the upstream EfficientPose files "
            f"(daniegr/EfficientPose@{mapping.EFFICIENTPOSE_COMMIT[:7]}: {', '.join(mapping.EFFICIENTPOSE_FILES)})"
        )
    return mapping.efficientpose_files()


def seed_file(zoo_file, name: str) -> Path:
    file = mapping.SEED_FILES[name][1]
    if file in mapping.EFFICIENTPOSE_FILES:
        return efficientpose_files()[file]
    return zoo_file(MEDIAPIPE, file)


def pocketpose_shape(shape: list) -> str:
    """A shape as the page prints it: batch dropped, dims joined with x."""
    return "x".join(str(d) for d in shape[1:])


def two(value: float) -> str:
    return f"{value:.2f}"


def test_the_mapping_holds_the_pages_rows_as_printed():
    rows = mapping.seed_rows()
    assert list(rows) == list(PAGE) == list(mapping.SEED_FILES)
    for name, (size, inputs, outputs, mflops, mparams) in PAGE.items():
        row = rows[name]
        assert (row.size_mib, row.inputs, row.outputs, row.mflops, row.mparams) == (
            size, inputs, outputs, mflops, mparams)  # fmt: skip


@pytest.mark.parametrize("name", PAGE)
def test_the_seed_row_is_reproduced(zoo_file, name):
    size, inputs, outputs, mflops, mparams = PAGE[name]
    report = inspect(seed_file(zoo_file, name))
    assert two(report.size_bytes / 2**20) == two(size)
    assert ", ".join(pocketpose_shape(t.shape) for t in report.inputs) == inputs
    assert ", ".join(pocketpose_shape(t.shape) for t in report.outputs) == outputs
    assert two(mapping.pocketpose_mflops(report.ops)) == two(mflops)
    assert two(mapping.pocketpose_mparams(report.ops)) == two(mparams)
    # ours count more (bias, activations, transposed convs, pooling...), on purpose
    assert report.flops > mapping.pocketpose_flops(report.ops)
    assert report.params >= mapping.pocketpose_params(report.ops)


@pytest.mark.parametrize("name", PAGE)
def test_twice_our_macs_is_the_rules_count_of_each_dense_op(zoo_file, name):
    # the rule: 2·Hout·Wout·prod(filter) for CONV_2D and DEPTHWISE_CONV_2D, 2·prod(weight) for FULLY_CONNECTED
    graph = read_graph(seed_file(zoo_file, name), "tflite")
    infer_shapes(graph)
    dense = [op for op in graph.ops if op.native in mapping.POCKETPOSE_DENSE]
    assert dense
    for op in dense:
        weight, out = graph.shape(op.inputs[1]), graph.shape(op.outputs[0])
        rule = math.prod(weight) * (1 if op.native == "FULLY_CONNECTED" else out[1] * out[2])
        assert metrics.dense_macs(op, graph) == rule, op.name


@pytest.mark.parametrize("name", PAGE)
def test_our_extra_params_are_the_transposed_kernel_and_the_constants_of_mul(zoo_file, name):
    # what the README says of ours − rule params: the rule leaves out TRANSPOSE_CONV's kernel and
    # the constants ADD and MUL take (scalars here); BlazePose has neither
    path = seed_file(zoo_file, name)
    report = inspect(path)
    graph = read_graph(path, "tflite")
    infer_shapes(graph)
    stored = {op.outputs[0]: op.inputs[0] for op in graph.ops if op.native == "DEQUANTIZE"}
    kernels = {stored.get(op.inputs[1], op.inputs[1]) for op in graph.ops if op.native == "TRANSPOSE_CONV"}
    constants = {stored.get(n, n) for op in graph.ops if op.native in ("ADD", "MUL") for n in op.inputs}
    constants = {n for n in constants if graph.tensors[n].const}
    assert all(graph.shape(n) == () for n in constants)
    assert [graph.shape(n) for n in kernels] == ([(16, 4, 4, 16)] if name.startswith("efficientpose") else [])
    extra = sum(math.prod(graph.shape(n)) for n in kernels | constants)
    assert report.params - mapping.pocketpose_params(report.ops) == extra


# ------------------------------------------------------------------------- a hand-made TFLite


def _tensor(name: str, shape: list[int], buffer: int, dtype: int = tfl.TensorType.FLOAT32) -> tfl.TensorT:
    tensor = tfl.TensorT()
    tensor.name, tensor.shape, tensor.type, tensor.buffer = name, shape, dtype, buffer
    return tensor


def _buffer(values: np.ndarray | None) -> tfl.BufferT:
    buffer = tfl.BufferT()
    buffer.data = None if values is None else np.frombuffer(values.tobytes(), np.uint8)
    return buffer


def _operator(opcode: int, inputs: list[int], outputs: list[int], options_type: int, options) -> tfl.OperatorT:
    op = tfl.OperatorT()
    op.opcodeIndex, op.inputs, op.outputs = opcode, inputs, outputs
    op.builtinOptionsType, op.builtinOptions = options_type, options
    return op


def _opcode(builtin: int) -> tfl.OperatorCodeT:
    code = tfl.OperatorCodeT()
    code.builtinCode, code.deprecatedBuiltinCode, code.version = builtin, min(builtin, 127), 1
    return code


def broadcast_model() -> bytes:
    """x 1x4x4x3 -> CONV_2D (8 3x3 filters, bias, SAME, Relu) -> MUL(gate 1x1x1x8, c) ->
    ADD(m, c) -> TRANSPOSE_CONV (2 2x2 filters, stride 2, no bias) -> 1x8x8x2 ->
    FULLY_CONNECTED (5x128, no bias) -> 1x5. Missing biases are index -1."""
    import flatbuffers

    conv = tfl.Conv2DOptionsT()
    conv.padding, conv.strideH, conv.strideW = tfl.Padding.SAME, 1, 1
    conv.dilationHFactor, conv.dilationWFactor = 1, 1
    conv.fusedActivationFunction = tfl.ActivationFunctionType.RELU
    deconv = tfl.TransposeConvOptionsT()
    deconv.padding, deconv.strideH, deconv.strideW = tfl.Padding.SAME, 2, 2
    ones = np.ones
    subgraph = tfl.SubGraphT()
    subgraph.tensors = [
        _tensor("x", [1, 4, 4, 3], 0),  # 0
        _tensor("conv/w", [8, 3, 3, 3], 1),  # 1
        _tensor("conv/b", [8], 2),  # 2
        _tensor("c", [1, 4, 4, 8], 0),  # 3
        _tensor("gate", [1, 1, 1, 8], 3),  # 4
        _tensor("m", [1, 4, 4, 8], 0),  # 5
        _tensor("a", [1, 4, 4, 8], 0),  # 6
        _tensor("deconv/shape", [4], 4, tfl.TensorType.INT32),  # 7
        _tensor("deconv/w", [2, 2, 2, 8], 5),  # 8
        _tensor("d", [1, 8, 8, 2], 0),  # 9
        _tensor("fc/w", [5, 128], 6),  # 10
        _tensor("y", [1, 5], 0),  # 11
    ]
    subgraph.inputs, subgraph.outputs = [0], [11]
    subgraph.operators = [
        _operator(0, [0, 1, 2], [3], tfl.BuiltinOptions.Conv2DOptions, conv),
        _operator(1, [4, 3], [5], tfl.BuiltinOptions.MulOptions, tfl.MulOptionsT()),
        _operator(2, [5, 3], [6], tfl.BuiltinOptions.AddOptions, tfl.AddOptionsT()),
        _operator(3, [7, 8, 6, -1], [9], tfl.BuiltinOptions.TransposeConvOptions, deconv),
        _operator(4, [9, 10, -1], [11], tfl.BuiltinOptions.FullyConnectedOptions, tfl.FullyConnectedOptionsT()),
    ]
    model = tfl.ModelT()
    model.version = 3
    model.operatorCodes = [_opcode(tfl.BuiltinOperator.CONV_2D), _opcode(tfl.BuiltinOperator.MUL),
                           _opcode(tfl.BuiltinOperator.ADD), _opcode(tfl.BuiltinOperator.TRANSPOSE_CONV),
                           _opcode(tfl.BuiltinOperator.FULLY_CONNECTED)]  # fmt: skip
    model.subgraphs = [subgraph]
    model.buffers = [
        _buffer(None),
        _buffer(ones((8, 3, 3, 3), np.float32)),
        _buffer(ones(8, np.float32)),
        _buffer(ones((1, 1, 1, 8), np.float32)),
        _buffer(np.array([1, 8, 8, 2], np.int32)),
        _buffer(ones((2, 2, 2, 8), np.float32)),
        _buffer(ones((5, 128), np.float32)),
    ]
    builder = flatbuffers.Builder(1024)
    builder.Finish(model.Pack(builder), file_identifier=b"TFL3")
    return bytes(builder.Output())


def test_the_rule_counts_add_and_mul_on_their_first_input_and_no_transposed_kernel(tmp_path):
    path = tmp_path / "broadcast.tflite"
    path.write_bytes(broadcast_model())
    report = inspect(path)
    assert [t.shape for t in report.outputs] == [[1, 5]]
    assert not report.unresolved_ops
    rows = {row["op"]: row for row in report.ops}
    # counted by hand: conv 4x4x8 out, 3x3x3 per output; the deconv 4x4x8 in, 2 filters of 2x2 each
    assert rows == {
        "CONV_2D": {"op": "CONV_2D", "kind": "Conv", "count": 1, "macs": 4 * 4 * 8 * 27,
                    "flops": 2 * 4 * 4 * 8 * 27 + 128 + 128,  # bias and Relu, one each per output element
                    "output_elements": 128, "first_input_elements": 48,
                    "other_input_elements": 8 * 27 + 8, "folded": 0},
        "MUL": {"op": "MUL", "kind": "Mul", "count": 1, "macs": 0, "flops": 128, "output_elements": 128,
                "first_input_elements": 8,  # the broadcast gate
                "other_input_elements": 128, "folded": 0},
        "ADD": {"op": "ADD", "kind": "Add", "count": 1, "macs": 0, "flops": 128, "output_elements": 128,
                "first_input_elements": 128, "other_input_elements": 128, "folded": 0},
        "TRANSPOSE_CONV": {"op": "TRANSPOSE_CONV", "kind": "ConvTranspose", "count": 1, "macs": 4 * 4 * 8 * 2 * 2 * 2,
                           "flops": 2 * 4 * 4 * 8 * 2 * 2 * 2, "output_elements": 128,
                           "first_input_elements": 4,  # the output shape
                           "other_input_elements": 2 * 2 * 2 * 8 + 128, "folded": 0},  # kernel, data; no bias
        "FULLY_CONNECTED": {"op": "FULLY_CONNECTED", "kind": "FullyConnected", "count": 1, "macs": 5 * 128,
                            "flops": 2 * 5 * 128, "output_elements": 5, "first_input_elements": 128,
                            "other_input_elements": 5 * 128, "folded": 0},  # no bias
    }  # fmt: skip
    # the rule: 2·Hout·Wout·prod(filter) + the MUL's first input (8, not its 128 outputs) + the
    # ADD's first input + 2·prod(FC weight); nothing for the transposed conv
    assert mapping.pocketpose_flops(report.ops) == 2 * 4 * 4 * (8 * 27) + 8 + 128 + 2 * 5 * 128
    # params by the rule: conv weight and bias, FC weight; not the transposed conv's kernel
    assert mapping.pocketpose_params(report.ops) == (8 * 27 + 8) + 5 * 128
    # ours also count that kernel and the MUL's gate
    assert report.params == mapping.pocketpose_params(report.ops) + 2 * 2 * 2 * 8 + 8
