"""`posezoo inspect` on the default zoo's real files: goldens, conventions, sparse and int8 weights."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest

from catalog import inspect
from catalog.errors import ModelError
from catalog.measure import mapping
from catalog.paths import ROOT
from tests.conftest import HUMAN, MEDIAPIPE
from tests.test_seed_parity import seed_file

BLAZEPOSE = {
    # file: (MiB, params in M per the seed, PocketPose MFLOPs per the seed)
    "pose_landmark_lite.tflite": (2.69, 1.36, 397.56),
    "pose_landmark_full.tflite": (6.14, 3.17, 774.26),
    "pose_landmark_heavy.tflite": (26.43, 13.75, 3858.81),
}


@pytest.mark.parametrize("name", BLAZEPOSE)
def test_blazepose_goldens(zoo_file, name):
    mib, mparams, pocketpose = BLAZEPOSE[name]
    report = inspect(zoo_file(MEDIAPIPE, name))
    assert report.format == "tflite"
    assert round(report.size_mib, 2) == mib
    assert [(t.shape, t.dtype) for t in report.inputs] == [([1, 256, 256, 3], "float32")]
    assert [t.shape for t in report.outputs] == [[1, 195], [1, 1], [1, 256, 256, 1], [1, 64, 64, 39], [1, 117]]
    # fp16 constants feeding DEQUANTIZE: the weights are fp16, the compute fp32
    assert report.precision == "fp16"
    assert report.precision_split == {"fp16": 1.0}
    assert round(report.params / 1e6, 2) == mparams
    assert not report.unresolved_ops
    # the dequantization happens once at load: folded, no FLOPs
    dequantize = next(row for row in report.ops if row["op"] == "DEQUANTIZE")
    assert dequantize["folded"] == dequantize["count"] and dequantize["flops"] == 0
    # our conventions count more (bias, activations, pooling, resize), on purpose; the seed's
    # figure is exactly PocketPose's rule applied to our per-op table
    assert round(mapping.pocketpose_mflops(report.ops), 2) == pocketpose
    assert report.flops / 1e6 > pocketpose


def test_movenet_lightning_tfjs(zoo_file):
    report = inspect(zoo_file(HUMAN, "models/movenet-lightning.json"))
    assert report.format == "tfjs"
    assert [(t.shape, t.dtype) for t in report.inputs] == [([1, 192, 192, 3], "int32")]
    assert [t.shape for t in report.outputs] == [[1, 1, 17, 3]]
    assert report.precision == "fp16"  # the weights manifest's quantization.dtype
    assert round(report.params / 1e6, 2) == 2.32  # as the seed
    assert [f.path.rsplit("/", 1)[-1] for f in report.files] == ["movenet-lightning.json", "movenet-lightning.bin"]
    assert report.size_bytes == sum(f.size_bytes for f in report.files)
    # The seed's 541.61 MFLOPs were measured on Google's TFLite export; this package ships the
    # TFJS export of the same network. Its convolutions are the same (2*MACs = 541.10 M), but
    # TFJS fuses BiasAdd into the convs and the TFLite export keeps a few more ADD/MUL ops around
    # its pre/post-processing, so PocketPose's rule lands 0.08 M (0.015%) below the seed here.
    tfjs_rule = mapping.pocketpose_mflops(report.ops, mapping.TFJS_DENSE, mapping.TFJS_ELEMENTWISE)
    assert round(2 * report.macs / 1e6, 2) == 541.10
    assert tfjs_rule == pytest.approx(541.61, abs=0.1)


def test_the_readme_mapping_is_what_the_files_give(zoo_file):
    # the section is rendered from these reports (python -m catalog.measure.mapping), never typed;
    # the seed rows' files: BlazePose from npm, EfficientPose from $POSEZOO_MIRROR
    seeds = {name: inspect(seed_file(zoo_file, name)) for name in mapping.SEED_FILES}
    lightning = inspect(zoo_file(HUMAN, "models/movenet-lightning.json"))
    multipose = inspect(zoo_file(HUMAN, "models/movenet-multipose.json"))
    figures = mapping.figures(seeds, lightning, multipose)
    for row in figures.seeds:  # the rule gives the page's figures
        assert f"{row.rule_flops / 1e6:.2f}" == f"{row.seed.mflops:.2f}", row.label
    readme = (ROOT / "README.md").read_text()
    assert mapping.readme_section(readme) == mapping.render(figures)


def test_multipose_dynamic_input_takes_the_signature_as_reference(zoo_file):
    report = inspect(zoo_file(HUMAN, "models/movenet-multipose.json"))
    assert report.inputs[0].shape == [1, "H", "W", 3]  # the graph's input node is [1,-1,-1,3]
    assert report.reference_shapes == {"input": [1, 256, 256, 3]}
    assert report.reference_source == {"input": "signature"}
    assert report.outputs[0].shape == [1, 6, 56]
    assert not report.unresolved_ops  # every op resolved, post-processing included
    assert round(report.params / 1e6, 2) == 4.72
    assert report.flops / 1e6 > 1900  # the seed's rough tool said 9.4 at 1x1x3

    with pytest.raises(ModelError, match="dim 3 of this input is fixed at 3"):
        inspect(zoo_file(HUMAN, "models/movenet-multipose.json"), {"input": (1, 192, 192, 4)})
    at_192 = inspect(zoo_file(HUMAN, "models/movenet-multipose.json"), {"input": (1, 192, 192, 3)})
    assert at_192.reference_source == {"input": "user"}
    assert at_192.macs == pytest.approx(report.macs * (192 * 192) / (256 * 256), rel=0.01)


def test_efficientpose_output_resolved_by_our_own_inference(zoo_file):
    report = inspect(zoo_file(HUMAN, "models/efficientpose.json"))
    assert report.inputs[0].shape == [1, 368, 368, 3]
    # the file declares [1,-1,-1,16]: its transposed convs size themselves from Shape arithmetic
    assert report.outputs[0].shape == [1, 368, 368, 16]
    assert report.precision == "fp32"
    deconv = next(row for row in report.ops if row["op"] == "Conv2DBackpropInput")
    assert deconv["count"] == 3 and deconv["macs"] > 0


def test_posenet_and_detector(zoo_file):
    posenet = inspect(zoo_file(HUMAN, "models/posenet.json"))
    assert posenet.inputs[0].shape == [1, 385, 385, 3]
    assert sorted(t.shape[-1] for t in posenet.outputs) == [17, 32, 32, 34]
    assert all(t.shape[:3] == [1, 25, 25] for t in posenet.outputs)
    detector = inspect(zoo_file(HUMAN, "models/blazepose-detector.json"))
    assert detector.inputs[0].shape == ["N", 224, 224, 3]
    # the output's first dim moves with the input's batch: it takes its name
    assert detector.outputs[0].shape == ["N", 2254, 13]
    assert detector.reference_shapes == {"input": [1, 224, 224, 3]}
    assert detector.reference_source == {"input": "default batch"}


def test_sparse_weights_are_counted_once_at_dense_size(zoo_file, tmp_path):
    # MediaPipe's pose detector (its wasm bundle's packed asset is the .tflite itself) stores
    # sparse fp16 weights that DENSIFY ops expand at load
    packed = zoo_file(MEDIAPIPE, "pose_solution_packed_assets.data")
    detector = tmp_path / "pose_detection.tflite"
    shutil.copy(packed, detector)
    report = inspect(detector)
    densify = next(row for row in report.ops if row["op"] == "DENSIFY")
    assert densify["count"] > 0 and densify["folded"] == densify["count"]
    assert report.sparse_params > 0
    assert report.precision == "fp16"
    # the same detector converted densely to TFJS by another project: same MACs, params within 0.1%
    dense = inspect(zoo_file(HUMAN, "models/blazepose-detector.json"))
    assert report.macs == dense.macs
    assert report.params == pytest.approx(dense.params, rel=1e-3)


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "catalog.cli", *args], capture_output=True, text=True)


def test_bad_inputs_get_one_line_each_and_good_files_still_print(zoo_file, tmp_path):
    lite = zoo_file(MEDIAPIPE, "pose_landmark_lite.tflite")
    (tmp_path / "empty.onnx").write_bytes(b"")
    (tmp_path / "truncated.tflite").write_bytes(lite.read_bytes()[:20000])
    (tmp_path / "random.onnx").write_bytes(bytes(range(256)) * 64)
    (tmp_path / "renamed.onnx").write_bytes(lite.read_bytes())
    (tmp_path / "notes.txt").write_text("a model, honest")
    (tmp_path / "a-folder.tflite").mkdir()
    (tmp_path / "file").write_text("x")
    bad = {
        "empty.onnx": "empty file",
        "truncated.tflite": "damaged TFLite",
        "random.onnx": "not an ONNX model",
        "renamed.onnx": "holds TFLite data",
        "notes.txt": "unsupported file type",
        "a-folder.tflite": "is a directory",
        "missing.tflite": "no such file",
        "file/inside.onnx": "no such file",
    }
    result = run_cli("inspect", "--json", str(lite), *(str(tmp_path / name) for name in bad))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == len(bad)
    for line, (name, reason) in zip(lines, bad.items(), strict=True):
        assert line.startswith(f"posezoo: error: {tmp_path / name}: ")
        assert reason in line
    printed = json.loads(result.stdout)
    assert [entry["path"] for entry in printed] == [str(lite)]


def test_tfjs_missing_weights_is_one_line(zoo_file, tmp_path):
    model = zoo_file(HUMAN, "models/posenet.json")
    shutil.copy(model, tmp_path / "posenet.json")
    result = run_cli("inspect", str(tmp_path / "posenet.json"))
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"posezoo: error: {tmp_path / 'posenet.json'}: weights file posenet.bin named by the manifest is missing"
    )


def test_table_output_names_the_figures(zoo_file):
    result = run_cli("inspect", str(zoo_file(HUMAN, "models/movenet-multipose.json")))
    assert result.returncode == 0, result.stderr
    assert "1 x H x W x 3" in result.stdout
    assert "input = 1 x 256 x 256 x 3 (signature)" in result.stdout
    assert "_FusedConv2D" in result.stdout
