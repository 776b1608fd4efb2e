"""The zoo's rows whose weights cannot be built here stay listed, each with why: a card says a
variant is `unavailable` (no weights, no license, a license that forbids redistribution), or the
build could not fetch a buildable one (`unreachable`, with the fetch's one line). Both land in
catalog.json's `listed`, after the built rows of the zoo table, greyed and with the reason in words,
each with a page of the authors' own figures. EfficientPose III and IV are pinned by git blob id."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from catalog.build import BuildOptions, build
from catalog.cards.listed import listed_records
from catalog.cards.load import load_cards
from catalog.errors import CardError, FetchError
from catalog.fetch.sources import fetch
from catalog.paths import DEFAULT_CARDS
from catalog.schema import Catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "fixtures" / "app" / "catalog.json"
HELLO_BLOB = "ce013625030ba8dba906f756967f9e9ca394464a"  # `printf 'hello\n' | git hash-object --stdin`

CARD = """\
---
family: mine
name: My Pose
task: single-person pose estimation
keypoints: {schema: coco-17}
preprocess: {size: [192, 192]}
decode: movenet-singlepose
authors: [Me]
release_date: 2024-01-02
license: {spdx: MIT, url: "https://opensource.org/licenses/MIT"}
limitations: [Made up for the tests.]
variants:
  - id: mine-gone
    name: Gone
    source: https://models.invalid/mine/gone.tflite
    sha256: %s
  - id: mine-secret
    name: Secret
    unavailable:
      reason: no-license
      note: The authors grant no license for the weights.
    source: https://example.org/mine/secret
    published:
      source: {title: My paper, url: "https://example.org/paper"}
      resolution: [256, 192]
      gflops: 0.5
      accuracy:
        - {metric: AP, dataset: COCO val2017, value: 0.665}
---
Prose about my pose.
""" % ("ab" * 32)


@pytest.fixture
def own_zoo(tmp_path: Path) -> Path:
    cards = tmp_path / "cards"
    cards.mkdir()
    shutil.copy(DEFAULT_CARDS / "_defaults.yaml", cards / "_defaults.yaml")
    (cards / "mine.md").write_text(CARD)
    return cards


def broken(own_zoo: Path, old: str, new: str) -> str:
    assert old in CARD
    (own_zoo / "mine.md").write_text(CARD.replace(old, new))
    with pytest.raises(CardError) as caught:
        load_cards(own_zoo)
    return str(caught.value)


# --------------------------------------------------------------------------- the cards


def test_the_default_zoo_lists_the_seed_rows_it_cannot_build_each_with_why():
    families = {family.id: family for family in load_cards(DEFAULT_CARDS)}
    listed = {entry.id: entry for family in families.values() for entry in family.listed}
    assert {entry_id: entry.reason for entry_id, entry in listed.items()} == {
        "litehrnet-18": "no-weights",
        "litehrnet-30": "no-weights",
        "simplebaseline-res50": "no-weights",
        "efficientposenas-a": "no-license",
        "efficientposenas-b": "no-license",
        "efficientposenas-c": "no-license",
        "openpose-cmu-coco": "forbids-redistribution",
    }
    for entry in listed.values():
        assert entry.note and "\n" not in entry.note
        assert entry.published is not None and entry.published.source.url.startswith("https://")
        assert entry.published.accuracy, entry.id
    assert families["openpose"].license.commercial_use == "not allowed"
    assert any("do not pass it on" in line for line in families["openpose"].license.obligations)
    assert families["efficientposenas"].license.commercial_use == "not allowed"
    # III and IV are buildable: pinned by the git blob ids `git ls-tree 78e4bd1 models/tflite/` lists
    efficientpose = families["efficientpose"]
    pins = {v.id: (v.sha256, v.git_blob) for v in efficientpose.variants}
    assert pins["efficientpose-iii"] == (None, "ee47155224e0865be472a8196b4b00f655f22172")
    assert pins["efficientpose-iv"] == (None, "ce20de60c7a8701e3d7bec5d8e4893cdad54a812")
    assert efficientpose.listed == []


def test_a_users_card_lists_an_unavailable_variant_apart_from_the_built_ones(own_zoo):
    (family,) = load_cards(own_zoo)
    assert [v.id for v in family.variants] == ["mine-gone"]
    (secret,) = family.listed
    assert (secret.reason, secret.task, secret.release_date) == (
        "no-license",
        "single-person pose estimation",
        "2024-01-02",
    )
    assert secret.source == "https://example.org/mine/secret" and secret.published.gflops == 0.5


@pytest.mark.parametrize(
    ("old", "new", "said"),
    [
        ("reason: no-license", "reason: no-licence", "variants[mine-secret].unavailable.reason: Input should be"),
        (
            "      note: The authors grant no license for the weights.\n",
            "",
            "variants[mine-secret].unavailable.note: missing",
        ),
        (
            "    source: https://example.org/mine/secret\n",
            "    source: https://example.org/mine/secret\n    sha256: %s\n" % ("cd" * 32),
            "variants[mine-secret].sha256: an unavailable variant is never fetched",
        ),
        (
            "    source: https://example.org/mine/secret\n",
            "    source: file:secret.tflite\n",
            "variants[mine-secret].source: an unavailable variant's source is only where its weights are published",
        ),
        (
            "    unavailable:\n      reason: no-license\n      note: The authors grant no license for the weights.\n"
            "    source: https://example.org/mine/secret\n",
            "",
            "variants[mine-secret].source: missing (or say why the variant is `unavailable`)",
        ),
        (
            "    sha256: %s\n" % ("ab" * 32),
            f"    sha256: {'ab' * 32}\n    git_blob: {HELLO_BLOB}\n",
            "variants[mine-gone].sha256: give sha256 or git_blob, not both",
        ),
        (
            "    sha256: %s\n" % ("ab" * 32),
            "    git_blob: ce0136\n",
            "variants[mine-gone].git_blob: 'ce0136' does not match",
        ),
    ],
)
def test_a_bad_unavailable_or_pin_is_one_line_naming_the_field(own_zoo, old, new, said):
    message = broken(own_zoo, old, new)
    assert "\n" not in message
    assert message.startswith(f"{own_zoo / 'mine.md'}: {said}"), message


# --------------------------------------------------------------------------- the git blob pin


def test_a_download_is_checked_against_its_git_blob_id(tmp_path):
    right = tmp_path / "right.bin"
    right.write_bytes(b"hello\n")
    assert fetch(f"file:{right}", None, expected_git_blob=HELLO_BLOB).path == right
    wrong = tmp_path / "wrong.bin"
    wrong.write_bytes(b"hello, world\n")
    with pytest.raises(FetchError) as caught:
        fetch(f"file:{wrong}", None, expected_git_blob=HELLO_BLOB)
    assert (
        str(caught.value)
        == f"file:{wrong}: git blob mismatch for wrong.bin: expected ce013625030b..., got 4b5fa63702dd..."
    )


# --------------------------------------------------------------------------- the catalog and its pages


def listed_catalog() -> dict:
    """The app's fixture catalog, with the default zoo's listed variants and an EfficientPose III whose
    fetch failed (a failed variant, and listed as unreachable), as a build without the network writes it."""
    document = json.loads(FIXTURE.read_text("utf-8"))
    families = load_cards(DEFAULT_CARDS)
    rt = next(v for v in document["variants"] if v["id"] == "efficientpose-rt")
    facts = {
        k: v for k, v in rt.items() if k not in ("formats", "conversion", "provenance", "keypoint_check", "pipeline")
    }
    reason = "cannot download EfficientPoseIII.tflite (network failure: Name or service not known)"
    failed = {
        **facts,
        "id": "efficientpose-iii",
        "name": "III",
        "status": "failed",
        "error": {"step": "fetch", "reason": reason},
    }
    document["variants"].append(failed)
    document["listed"] = listed_records(families, [failed])
    known = {f["id"] for f in document["families"]}
    document["families"] += [f.model_dump(mode="json") for f in families if f.listed and f.id not in known]
    return document


def test_the_catalog_lists_them_after_the_variants_with_their_license():
    catalog = Catalog.model_validate(listed_catalog())
    assert [(e.id, e.reason) for e in catalog.listed][-2:] == [
        ("simplebaseline-res50", "no-weights"),
        ("efficientpose-iii", "unreachable"),
    ]
    openpose = next(e for e in catalog.listed if e.id == "openpose-cmu-coco")
    assert openpose.license.spdx == "LicenseRef-CMU-OpenPose" and openpose.license.commercial_use == "not allowed"
    iii = catalog.listed[-1]
    assert iii.note.startswith("cannot download EfficientPoseIII.tflite") and iii.license.spdx == "Apache-2.0"


def test_the_zoo_tables_show_them_greyed_after_the_built_rows_with_the_reason_in_words():
    from catalog.app import zoo_table as zt
    from catalog.publish.site import zoo_table

    catalog = Catalog.model_validate(listed_catalog())
    html = zoo_table(catalog)
    built, listed = html.split('<tbody class="zoo-listed"')
    assert 'data-id="efficientpose-iii"' not in built  # shown once: as listed, with why
    assert listed.count('<tr class="zoo-listed"') == len(catalog.listed) == 8
    assert (
        '<a href="litehrnet-18/">18 (COCO, 256 × 192)</a> '
        '<small class="zoo-status">(not built here: no weights)</small>' in listed
    )
    assert "(not built here: license forbids redistribution)" in listed and "(not built here: unreachable)" in listed

    table = zt.zoo_table(catalog)
    assert list(table[zt.ID])[-8:] == [e.id for e in catalog.listed] and table[zt.ID].is_unique
    row = table.set_index(zt.ID).loc["openpose-cmu-coco"]
    assert row[zt.STATUS].startswith("not built here: license forbids redistribution: CMU's license")
    assert row[zt.LICENSE] == "LicenseRef-CMU-OpenPose" and pd.isna(row[zt.SIZE])
    styles = zt.styled(table).export()["apply"]
    assert styles  # the listed rows are greyed...
    plain = zt.zoo_table(Catalog.model_validate(json.loads(FIXTURE.read_text("utf-8"))))
    assert zt.styled(plain) is plain  # ...and a catalog that lists none is shown as it always was


def test_each_listed_variant_has_its_page_and_a_section_on_its_built_siblings_card():
    from catalog.publish.model_card import render_card
    from catalog.publish.model_card.listed import listed_page

    catalog = Catalog.model_validate(listed_catalog())
    page = listed_page(catalog, "litehrnet-18")
    assert page.startswith("# Lite-HRNet 18 (COCO, 256 × 192)\n")
    assert "**Not built here: no weights.** Only PyTorch checkpoints exist" in page
    assert "| Params (millions) | 1.1 |" in page and "| AP | COCO val2017 | 0.648 |" in page
    assert "[where the authors publish the weights](https://drive.google.com/file/d/" in page
    assert "**Apache-2.0**" in page and "[30 (COCO, 256 × 192)](../litehrnet-30/)" in page
    card = render_card(catalog, "efficientpose-rt", site=True)
    section = card.split("## Not built here", 1)[1].split("## License", 1)[0]
    assert "[III](../efficientpose-iii/)" in section and "not built here: unreachable" in section.lower()


# --------------------------------------------------------------------------- the build


def test_a_build_that_cannot_fetch_a_variant_lists_it_as_unreachable(own_zoo, tmp_path):
    options = BuildOptions(cards=own_zoo, out=tmp_path / "build", measure=False, browser=False, accuracy=False)
    result = build(options)
    (failure,) = result.failures
    assert (failure.variant, failure.step) == ("mine-gone", "fetch")
    document = json.loads(result.catalog_path.read_text("utf-8"))
    listed = {entry["id"]: entry for entry in document["listed"]}
    assert listed["mine-secret"]["reason"] == "no-license"
    gone = listed["mine-gone"]
    assert gone["reason"] == "unreachable" and gone["note"] == failure.reason and "\n" not in gone["note"]
    assert gone["source"] == "https://models.invalid/mine/gone.tflite" and gone["license"]["spdx"] == "MIT"
    Catalog.model_validate(document)
