"""The build's accuracy pass, as a person reading catalog.json finds it: every pose model and its
int8 form scored on the evaluation set, run as it is meant to be, with the set and its noise floor."""

from __future__ import annotations

import shutil

import pytest

from catalog.schema import Catalog

# the set's 20 opencv-doc images come from a pinned Debian package: where apt cannot fetch it,
# the build scores nothing on them (one line each) and these figures cannot be checked
pytestmark = pytest.mark.skipif(
    shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None,
    reason="the evaluation set needs apt-get and dpkg-deb to fetch its Debian package",
)


def records(document: dict) -> dict[str, dict]:
    """The variants built (a failed one has no figures)."""
    return {v["id"]: v for v in document["variants"] if v["status"] == "ok"}


def test_every_pose_model_is_scored_as_it_is_meant_to_run(built_zoo):
    _, document = built_zoo
    Catalog.model_validate(document)
    modes = {}
    for variant_id, record in records(document).items():
        accuracy = record["accuracy"]
        modes[variant_id] = (record["use"]["mode"], accuracy["mode"], accuracy["detector"])
        if record["role"] == "detector":
            assert accuracy.get("ap") is None and "component" in accuracy["note"]
            continue
        assert not accuracy.get("note"), accuracy.get("note")
        for figure in ("ap", "ap50", "pck_05", "pck_10"):
            interval = accuracy[figure]
            assert 0 <= interval["low"] <= interval["value"] <= interval["high"] <= 1, (variant_id, figure)
        assert accuracy["set"] == document["evaluation"]["set"]
        assert set(accuracy["pck_10_per_keypoint"]) == set(accuracy["keypoints"])
    assert modes["movenet-multipose"] == ("whole-frame", "whole-frame", None)
    assert modes["movenet-lightning"] == ("top-down", "top-down", "movenet-multipose")
    assert modes["efficientpose-ii"] == ("top-down", "top-down", "movenet-multipose")
    assert modes["blazepose-heavy"] == ("two-stage", "two-stage", "blazepose-detector")


def test_the_set_is_the_committed_one_with_its_noise_floor(built_zoo):
    _, document = built_zoo
    evaluation = document["evaluation"]
    assert evaluation["problems"] == []
    assert evaluation["set"]["images"] == 25 and evaluation["set"]["people"] >= 40
    floor = evaluation["noise_floor"]
    assert floor["people"] == evaluation["set"]["people"] and floor["second"] == "eval/annotations/pass2.json"
    assert 0 < floor["second_as_model"]["pck_10"]["value"] < 1
    assert all(d is None or 0 <= d < 0.5 for d in floor["disagreement"].values())


def test_an_int8_form_is_scored_too_and_its_drop_is_said(built_zoo):
    _, document = built_zoo
    int8_forms = [r for r in records(document).values() if "onnx_int8" in r["formats"] and r["role"] == "model"]
    assert len(int8_forms) >= 5
    for record in int8_forms:
        int8 = record["int8"]
        assert int8["accuracy"]["mode"] == record["accuracy"]["mode"]
        expected = round(record["accuracy"]["ap"]["value"] - int8["accuracy"]["ap"]["value"], 4)
        assert int8["ap_drop"] == expected


def test_a_second_build_reuses_the_figures(built_zoo):
    from catalog.build import BuildOptions, build

    result, document = built_zoo
    again = build(BuildOptions(out=result.catalog_path.parent))  # the whole zoo: the folder is shared
    kept = records(document)
    assert sorted(again.reused) == sorted(kept)
    for record in again.variants:
        if record["status"] != "ok":  # listed as unreachable: nothing to score
            continue
        assert record["accuracy"] == kept[record["id"]]["accuracy"]  # same key: not run again
