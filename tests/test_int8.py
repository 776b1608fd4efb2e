"""int8 forms, as a user meets them: `posezoo build` publishes a variant's int8 ONNX file beside
its float one, counted, timed and compared keypoint by keypoint with the float form; its card
says what the trade is; a graph that does not quantize cleanly still publishes, saying why."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import catalog
from catalog.build import BuildOptions, build
from catalog.convert import quantize
from catalog.formats import INT8_FORMAT
from catalog.measure import drift
from catalog.measure.keypoint_check import THRESHOLD
from catalog.pose import Pose, PoseEstimator
from catalog.publish.model_card import render_card
from catalog.schema import Catalog
from tests.test_cards import number, section, table_with, tables

VARIANT = "movenet-lightning"  # from a pinned npm package: no mirror needed


@pytest.fixture(scope="module")
def lightning(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("int8-build")
    result = build(BuildOptions(out=out, only=[VARIANT], runs=5))
    assert result.ok, [f.line() for f in result.failures]
    return out, json.loads(result.catalog_path.read_text("utf-8"))


def record(document: dict, variant_id: str = VARIANT) -> dict:
    return next(v for v in document["variants"] if v["id"] == variant_id)


@pytest.mark.slow  # builds MoveNet Lightning
def test_the_int8_file_is_a_static_qdq_form_of_the_same_network(lightning):
    out, document = lightning
    variant = record(document)
    float_form, int8_form = variant["formats"]["onnx"], variant["formats"][INT8_FORMAT]
    assert variant["int8"]["format"] == INT8_FORMAT and variant["int8"].get("reason") is None
    path = out / int8_form["path"]
    assert path.name == f"{VARIANT}.int8.onnx" and path.is_file()
    report = catalog.inspect(path)  # as `posezoo inspect` reads it
    assert (report.quantization, report.quantization_format, report.precision) == ("static", "qdq", "int8")
    assert int8_form["format"] == "onnx" and int8_form["quantization"] == "static"
    assert report.macs == float_form["macs"] and report.params == float_form["params"]
    assert report.sha256 == int8_form["sha256"] and report.size_bytes == int8_form["size_bytes"]
    assert int8_form["size_bytes"] < 0.65 * float_form["size_bytes"]  # int8 weights against fp16 ones
    assert variant["int8"]["size_ratio"] == pytest.approx(int8_form["size_bytes"] / float_form["size_bytes"], abs=1e-3)


@pytest.mark.slow  # builds MoveNet Lightning
def test_the_int8_form_is_timed_on_onnxruntime_with_its_memory(lightning):
    _, document = lightning
    variant = record(document)
    latency = variant["formats"][INT8_FORMAT]["latency"]
    float_latency = variant["formats"]["onnx"]["latency"]
    assert latency["runtime"] == "onnxruntime" and latency["runs"] >= 5
    assert latency["median_low_ms"] <= latency["median_ms"] <= latency["median_high_ms"]
    assert 0 < latency["median_ms"] <= latency["p90_ms"]
    assert latency["peak_rss_mib"] > latency["model_peak_mib"] > 0
    # every form comes from one alternating-turns run, so the trade's ratio is theirs: one timing per figure
    assert latency["turns_with"] == float_latency["turns_with"] and INT8_FORMAT in latency["turns_with"]
    assert latency["runs"] == float_latency["runs"] and latency["threads"] == float_latency["threads"]
    ratio = latency["median_ms"] / float_latency["median_ms"]
    assert variant["int8"]["cpu_latency_ratio"] == pytest.approx(ratio, abs=1e-3)


@pytest.mark.slow  # builds MoveNet Lightning
def test_the_int8_keypoints_stay_near_the_float_ones_on_both_test_photos(lightning):
    _, document = lightning
    int8 = record(document)["int8"]
    assert [p["image"] for p in int8["drift"]] == [d for d, _, _ in drift.drift_photos()]
    for photo in int8["drift"]:
        assert len(photo["keypoints"]) == 17
        annotated = [k for k in photo["keypoints"] if k["annotated"]]
        assert {k["name"] for k in annotated} == {"nose", "left_eye", "right_eye", "left_shoulder"} | {
            "right_shoulder",
            "right_elbow",
        }
        # what holds on any CPU: her face, shoulders and elbow stay on their body part (within the
        # keypoint check's threshold); keypoints outside the photo (hips to ankles) are guesses in both
        # forms, yet stay on the body. How far they move is the CPU's: int8 kernels round differently
        # (her left shoulder: under 0.03 where this test was written, 0.0311 on another machine), so
        # the figure is the catalog's and the int8 bench's.
        assert max(k["distance"] for k in annotated) < THRESHOLD
        assert max(k["distance"] for k in photo["keypoints"]) < 0.2
        assert photo["mean_distance"] == pytest.approx(np.mean([k["distance"] for k in annotated]), abs=1e-4)
    assert 0 < int8["mean_drift"] <= int8["max_drift"] < THRESHOLD
    # the keypoint check, run again on the int8 form, still finds her
    assert int8["keypoint_check"]["passed"] and int8["keypoint_check"]["threshold"] == THRESHOLD


@pytest.mark.slow  # builds MoveNet Lightning
def test_the_int8_form_is_the_same_bytes_every_time(lightning, tmp_path):
    out, document = lightning
    variant = record(document)
    estimator = PoseEstimator.from_catalog(VARIANT, out)
    tensors = [estimator.model_input(image) for _, image in quantize.calibration_photos()]
    again = quantize.quantize_int8(out / variant["formats"]["onnx"]["path"], tmp_path / "again.onnx", tensors)
    assert catalog.inspect(again.path).sha256 == variant["formats"][INT8_FORMAT]["sha256"]


@pytest.mark.slow  # builds MoveNet Lightning
def test_the_pose_api_runs_the_int8_form_on_request(lightning):
    out, document = lightning
    int8 = PoseEstimator.from_catalog(VARIANT, out, precision="int8")
    assert int8.model.onnx_path.name == f"{VARIANT}.int8.onnx"
    float_pose = PoseEstimator.from_catalog(VARIANT, out).best(drift.astronaut())
    int8_pose = int8.best(drift.astronaut())
    published = {k["name"]: k["distance"] for k in record(document)["int8"]["drift"][0]["keypoints"]}
    moved = np.hypot(*(int8_pose.xy - float_pose.xy).T)  # the photo is square: its side is the unit
    assert dict(zip(float_pose.names, moved.round(4), strict=True)) == pytest.approx(published, abs=2e-4)


@pytest.mark.slow  # builds MoveNet Lightning
def test_the_card_shows_the_trade_the_drift_and_the_int8_rows(lightning):
    _, document = lightning
    variant = record(document)
    card = render_card(Catalog.model_validate(document), VARIANT)
    float_form, int8_form = variant["formats"]["onnx"], variant["formats"][INT8_FORMAT]

    figures = {row["Figure"]: row for row in table_with(section(card, "Model details"), "Figure")}
    assert number(figures["Size (MiB)"]["ONNX int8"]) == pytest.approx(int8_form["size_mib"], abs=0.005)
    assert int(number(figures["MACs (millions)"]["ONNX int8"]) * 1e6) == pytest.approx(int8_form["macs"], abs=5e3)
    assert figures["Precision"]["ONNX int8"] == "int8"
    rows = table_with(section(card, "Performance"), "95 % interval (ms)")
    timed = [r for r in rows if r["Form, runtime"].startswith("ONNX int8,")]
    assert len(timed) == 1 and number(timed[0]["Median (ms)"]) == pytest.approx(
        int8_form["latency"]["median_ms"], abs=5e-4
    )

    text = section(card, "int8 form")
    trade = text.strip().split("\n\n")[0]
    int8 = variant["int8"]
    assert trade.startswith("**The trade, int8 against the float ONNX form:**")
    for shown in (f"{int8['size_ratio']:.2f}× the size", f"{int8_form['size_mib']:.2f} MiB against "
                  f"{float_form['size_mib']:.2f}", f"{int8['cpu_latency_ratio']:.2f}× the CPU time "
                  f"({int8_form['latency']['median_ms']:.1f} ms against {float_form['latency']['median_ms']:.1f}",
                  f"moved {int8['mean_drift']:.4f} of the image on average (max {int8['max_drift']:.4f})"):  # fmt: skip
        assert shown in trade, shown
    rows = table_with(text, "Drift, photo 1")
    assert [r["Keypoint"].strip("`") for r in rows] == [k["name"] for k in int8["drift"][0]["keypoints"]]
    for row, first, second in zip(rows, *(p["keypoints"] for p in int8["drift"]), strict=True):
        assert number(row["Drift, photo 1"]) == pytest.approx(first["distance"], abs=5e-5)
        assert number(row["Drift, photo 2"]) == pytest.approx(second["distance"], abs=5e-5)
        assert row["Annotated (counted)"] == ("yes" if first["annotated"] else "no")
    checked = table_with(text, "int8 result")
    assert [number(r["int8"]) for r in checked] == [k["distance"] for k in int8["keypoint_check"]["keypoints"]]
    assert "`skimage.data.camera(), grey made RGB`" in text  # the calibration set, and why
    assert "mirrored, so not the test photo itself" in text


@pytest.mark.slow  # builds MoveNet Lightning
def test_a_variant_that_cannot_quantize_still_publishes_and_says_why(monkeypatch, tmp_path):
    def refuse(*args, **kwargs):
        raise RuntimeError("Unsupported op: SomeNewOp\nmore lines the reader need not see")

    monkeypatch.setattr(quantize, "quantize_int8", refuse)
    result = build(BuildOptions(out=tmp_path, only=[VARIANT], measure=False))
    assert result.ok, [f.line() for f in result.failures]  # never a build failure
    document = json.loads(result.catalog_path.read_text("utf-8"))
    Catalog.model_validate(document)
    variant = record(document)
    assert variant["status"] == "ok" and set(variant["formats"]) == {"tfjs", "onnx", "tflite"}
    assert variant["int8"]["format"] is None
    assert variant["int8"]["reason"] == "quantization failed: RuntimeError: Unsupported op: SomeNewOp"
    assert not (tmp_path / "models" / VARIANT / f"{VARIANT}.int8.onnx").exists()

    card = render_card(Catalog.model_validate(document), VARIANT)
    assert (
        section(card, "int8 form")
        .strip()
        .startswith("**No int8 form:** quantization failed: RuntimeError: Unsupported op: SomeNewOp.")
    )
    assert "ONNX int8" not in [c for t in tables(section(card, "Model details")) for c in t[0]]  # no int8 column
    with pytest.raises(KeyError, match="has no int8 form: quantization failed"):
        PoseEstimator.from_catalog(VARIANT, tmp_path, precision="int8")


# --- the parts, on small inputs ---------------------------------------------------------------


def test_fp16_weights_behind_casts_become_fp32_weights_the_quantizer_sees(tmp_path):
    # x (1x3x8x8) -> Conv with fp16 weight and bias, each behind a Cast to float -> Relu
    weight = np.random.default_rng(0).normal(size=(4, 3, 3, 3)).astype(np.float16)
    bias = np.arange(4, dtype=np.float16)
    nodes = [
        helper.make_node("Cast", ["w16"], ["w"], to=TensorProto.FLOAT),
        helper.make_node("Cast", ["b16"], ["b"], to=TensorProto.FLOAT),
        helper.make_node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["y"]),
    ]
    graph = helper.make_graph(
        nodes,
        "fp16",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4, 8, 8])],
        [numpy_helper.from_array(weight, "w16"), numpy_helper.from_array(bias, "b16")],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    source = tmp_path / "fp16.onnx"
    onnx.save(model, source)
    photos = [np.random.default_rng(i).random((1, 3, 8, 8), dtype=np.float32) for i in range(2)]

    made = quantize.quantize_int8(source, tmp_path / "int8.onnx", photos)
    assert made.notes == ["2 fp16 weights stored as fp32 before quantizing (the quantizer takes initializers only)"]
    quantized = onnx.load(made.path)
    assert "Cast" not in {n.op_type for n in quantized.graph.node}
    stored = {t.name: t.data_type for t in quantized.graph.initializer}
    assert TensorProto.FLOAT16 not in stored.values() and TensorProto.INT8 in stored.values()
    report = catalog.inspect(made.path)
    assert report.macs == 4 * 8 * 8 * 27 and report.params == 4 * 27 + 4
    assert (report.quantization, report.quantization_format) == ("static", "qdq")
    assert made.settings["per_channel"] and made.settings["versions"]["onnxruntime"]


class Fixed:
    """An estimator that answers the same pose on every photo (or nobody)."""

    def __init__(self, xy: list[tuple[float, float]] | None) -> None:
        self.xy = xy

    def best(self, image: np.ndarray) -> Pose | None:
        if self.xy is None:
            return None
        names = ["nose", "left_eye", "left_ankle"]
        return Pose(names, np.array(self.xy, dtype=float), np.array([0.9, 0.8, 0.1]), 0.9)


def test_drift_counts_the_annotated_keypoints_and_says_when_int8_is_unusable():
    float_form = Fixed([(0.5, 0.2), (0.55, 0.18), (0.5, 0.99)])
    # 0.02 right on the face, the ankle (outside the photo) far off: counted is the face only
    near = drift.keypoint_drift(float_form, Fixed([(0.52, 0.2), (0.57, 0.18), (0.9, 0.5)]))
    assert (near.mean_distance, near.max_distance, near.unusable) == (0.02, 0.02, "")
    assert [k.annotated for k in near.photos[0].keypoints] == [True, True, False]
    assert near.photos[0].keypoints[2].distance == pytest.approx(np.hypot(0.4, 0.49), abs=1e-4)

    far = drift.keypoint_drift(float_form, Fixed([(0.5, 0.35), (0.55, 0.33), (0.5, 0.99)]))
    assert far.mean_distance == 0.15 and far.unusable.startswith("it moved the keypoints the test photos show by 0.150")

    nobody = drift.keypoint_drift(float_form, Fixed(None))
    assert nobody.mean_distance is None and nobody.photos[0].note == "the int8 form found nobody"
    assert nobody.unusable.startswith("on skimage.data.astronaut() the int8 form found nobody")
