"""The evaluation set as committed: its sources, its roster and both annotation passes agree with
each other, and it is the set the issue asks for (enough people and photos, each person twice).
Needs no image: sizes come from eval/sources.json, which the fetch checks against the files."""

from __future__ import annotations

import json

from catalog.fetch.eval_images import DEFAULT_SOURCES, read_sources
from catalog.measure.accuracy import COCO17
from catalog.measure.annotations import read_annotations
from catalog.measure.evaluation import EVAL_DIR, SECOND, TRUTH

ROSTER = EVAL_DIR / "annotations" / "roster.json"


def sizes() -> dict[str, tuple[int, int]]:
    pinned, problems = read_sources(DEFAULT_SOURCES)
    assert problems == []
    return {entry.cached_name: (entry.width, entry.height) for entry in pinned}


def test_both_passes_read_without_a_problem_against_the_pinned_images():
    for path in (TRUTH, SECOND):
        annotated = read_annotations(path, sizes())
        assert annotated.problems == [], annotated.problems
        assert len(annotated.images) == len(sizes()) >= 25


def test_every_person_to_annotate_is_annotated_in_both_passes_and_nobody_else():
    roster = json.loads(ROSTER.read_text("utf-8"))
    wanted = {f"{p['image']}#{p['person']}" for p in roster if p["annotate"]}
    ignored = {f"{p['image']}#{p['person']}" for p in roster if not p["annotate"]}
    assert len(wanted) >= 40 and len({name.split("#")[0] for name in wanted}) >= 25
    for path in (TRUTH, SECOND):
        people = read_annotations(path, sizes()).by_roster()
        labelled = {name for name, a in people.items() if a["num_keypoints"] > 0}
        assert labelled == wanted, path.name
        # a person too small or hidden to annotate stays in the file as an ignored region, unlabelled
        assert ignored <= set(people) and not (labelled & ignored)


def test_the_passes_share_the_roster_boxes_and_the_coco_names():
    first, second = (read_annotations(path, sizes()) for path in (TRUTH, SECOND))
    theirs = second.by_roster()
    for name, annotation in first.by_roster().items():
        assert annotation["bbox"] == theirs[name]["bbox"], name
    for path in (TRUTH, SECOND):
        names = json.loads(path.read_text("utf-8"))["categories"][0]["keypoints"]
        assert names == list(COCO17)


def test_the_passes_are_two_looks_not_one_copied():
    first, second = (read_annotations(path, sizes()).by_roster() for path in (TRUTH, SECOND))
    same = [name for name, a in first.items() if a["num_keypoints"] and a["keypoints"] == second[name]["keypoints"]]
    assert same == []
