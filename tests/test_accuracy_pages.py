"""Accuracy as a person choosing a model reads it: first on the card, in the zoo table's first
figures, on Compare, and on the site's Accuracy page; the authors' figures apart; one flag rule."""

from __future__ import annotations

import copy
from pathlib import Path

from catalog.app.comparison import compare
from catalog.publish.accuracy_page import accuracy_page, mapping_markdown
from catalog.publish.columns import ZOO_COLUMNS
from catalog.publish.model_card import render_card
from catalog.publish.records import FLAG_PCK, accuracy_flag, use_text
from catalog.schema import Catalog, read_catalog

FIXTURE = Path(__file__).parent / "fixtures" / "app" / "catalog.json"


def catalog() -> Catalog:
    return read_catalog(FIXTURE)


def variant(document: Catalog, variant_id: str):
    return next(v for v in document.variants if v.id == variant_id)


def test_the_card_opens_with_accuracy_and_says_how_the_model_was_run():
    card = render_card(catalog(), "movenet-lightning")
    glance = card[card.index("| At a glance |") : card.index("MoveNet is Google's")]
    accuracy = variant(catalog(), "movenet-lightning").accuracy
    assert f"{accuracy.ap.value * 100:.1f} ({accuracy.ap.low * 100:.1f}–{accuracy.ap.high * 100:.1f})" in glance
    assert "top-down, on each person movenet-multipose finds" in glance
    section = card[card.index("## Accuracy") : card.index("## Performance")]
    assert "ONNX int8" in section and "noise floor" in section and "PCK@0.1 per keypoint" in section
    # the authors' figures come later, in their own section, said to be apart
    published = card[card.index("## Published figures") :]
    assert "read them apart from the" in published and "mAP" in published


def test_a_detector_is_not_ranked_it_is_a_component():
    card = render_card(catalog(), "blazepose-detector")
    assert "a person detector, a component of its pose models" in card
    assert accuracy_flag(variant(catalog(), "blazepose-detector").accuracy) is None


def test_one_flag_rule_by_measured_accuracy():
    document = catalog()
    lightning = copy.deepcopy(variant(document, "movenet-lightning").accuracy)
    assert accuracy_flag(lightning) is None
    lightning.pck_10.high = FLAG_PCK - 0.01
    assert "fewer than half" in accuracy_flag(lightning)
    blazepose = variant(document, "blazepose-lite")
    assert accuracy_flag(blazepose.accuracy)  # its detector misses most of the set's small, distant people
    assert "Flagged:" in render_card(document, "blazepose-lite")


def test_accuracy_is_the_first_figure_of_the_zoo_table_and_compare_marks_the_larger():
    keys = [c.key for c in ZOO_COLUMNS]
    assert keys.index("ap") < keys.index("size_mib") and keys.index("ap") == 2
    shown = compare(catalog(), ["movenet-lightning", "movenet-thunder", "blazepose-lite"]).shown
    ap_row = shown.loc[ZOO_COLUMNS[2].name]
    assert ap_row.iloc[1].endswith("★")  # Thunder, the larger AP
    assert use_text(variant(catalog(), "blazepose-lite").use).startswith("two-stage, behind blazepose-detector")


def test_the_accuracy_page_ranks_every_pose_model_and_maps_the_schemas():
    document = catalog()
    page = accuracy_page(document, "<div>chart</div>", "<script></script>")
    assert "noise floor" in page and "<div>chart</div>" in page
    rows = [line for line in page.splitlines() if line.startswith("| [")]
    assert rows[0].startswith("| [MoveNet SinglePose Thunder]")  # the highest AP first
    assert not any(row.startswith("| [BlazePose Person detector]") for row in rows)  # a component, unranked
    mapping = mapping_markdown(document)
    assert "| `left_wrist` |" in mapping and "mpii-16" in mapping and "— (not scored)" in mapping
