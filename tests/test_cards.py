"""The model cards, read as a user reads them: load each on the Hub's terms, check its figures
against catalog.json, run its snippet, and see a hostile card shown as text.

The cards' tables are parsed from the rendered Markdown here, with nothing from the renderer:
what a card says is checked, not what its template meant to say.
"""

from __future__ import annotations

import copy
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import markdown
import numpy as np
import pytest
from huggingface_hub import ModelCard

from catalog.publish.model_card import render_card, write_cards
from catalog.publish.model_card.sections import COMMERCIAL_WORDS
from catalog.publish.skeleton import skeleton_svg
from catalog.schema import Catalog, read_catalog

SVG = "{http://www.w3.org/2000/svg}"
FORMAT_OF_COLUMN = {
    "ONNX": "onnx",
    "ONNX int8": "onnx_int8",
    "TFJS": "tfjs",
    "TFLite": "tflite",
    "TensorFlow frozen graph": "pb",
}
# a card's columns: the original, its ONNX form, the int8 form, a TFJS original's TFLite form
ORDER = {"onnx": 1, "onnx_int8": 2, "tflite": 3}
HOSTILE_NAME = "<script>alert(1)</script> | x"
HOSTILE_NOTE = '"quotes" & <b>'


# --------------------------------------------------------------------------- reading a card


def section(card: str, heading: str) -> str:
    """The text under `## heading`, up to the next `## `."""
    _, found, rest = card.partition(f"\n## {heading}\n")
    assert found, f"no section {heading!r}"
    return rest.split("\n## ", 1)[0]


def subsection(card: str, heading: str) -> str:
    """The text under `### heading`, up to the next heading."""
    _, found, rest = card.partition(f"\n### {heading}\n")
    assert found, f"no subsection {heading!r}"
    return rest.split("\n#", 1)[0]


def _cells(line: str) -> list[str]:
    inner = line.strip()[1:-1]
    return [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]


def tables(text: str) -> list[list[dict[str, str]]]:
    """Every Markdown table of `text`, each as its rows keyed by the header's cells."""
    found: list[list[dict[str, str]]] = []
    block: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.startswith("|"):
            block.append(line)
            continue
        if block:
            header = _cells(block[0])
            found.append([dict(zip(header, _cells(row), strict=True)) for row in block[2:]])
            block = []
    return found


def table_with(text: str, column: str) -> list[dict[str, str]]:
    matches = [t for t in tables(text) if t and column in t[0]]
    assert len(matches) == 1, f"expected one table with a {column!r} column"
    return matches[0]


def number(cell: str) -> float:
    return float(cell.replace(",", "").split()[0])


def python_blocks(card: str) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```$", card, re.S | re.M)


def by_id(document: dict, variant_id: str) -> dict:
    return next(v for v in document["variants"] if v["id"] == variant_id)


def built(document: dict) -> list[dict]:
    return [v for v in document["variants"] if v["status"] == "ok"]


@pytest.fixture(scope="module")
def cards(built_zoo, tmp_path_factory) -> dict[str, Path]:
    """Every card as `write_cards` writes it: variant id -> its folder."""
    _, document = built_zoo
    out = tmp_path_factory.mktemp("cards")
    written = write_cards(Catalog.model_validate(document), out)
    assert {p.name for p in written} == {"README.md", "skeleton.svg"}
    return {v["id"]: out / v["id"] for v in built(document)}


# --------------------------------------------------------------------------- the Hub


def test_every_built_variant_gets_a_card_the_hub_loads(built_zoo, cards):
    _, document = built_zoo
    assert set(cards) == {v["id"] for v in built(document)}
    for variant_id, folder in cards.items():
        card = ModelCard.load(folder / "README.md")
        variant = by_id(document, variant_id)
        # Apache-2.0 is the Hub's apache-2.0; AGPL-3.0-only its agpl-3.0
        assert card.data.license == variant["license"]["spdx"].lower().removesuffix("-only")
        assert card.data.pipeline_tag == "keypoint-detection"
        assert card.data.library_name == "onnx"
        assert {"pose-estimation", variant["keypoints"]["schema"], variant["family"]} <= set(card.data.tags)
        assert set(variant["formats"]) <= set(card.data.tags)
        assert card.data.to_dict().get("base_model") is None  # the catalog names none
        assert (folder / "skeleton.svg").is_file()


def test_a_license_the_hub_does_not_know_is_other_with_its_name_and_link(built_zoo):
    _, document = built_zoo
    document = copy.deepcopy(document)
    by_id(document, "movenet-lightning")["license"] = {
        "spdx": "LicenseRef-Acme-1.0",
        "url": "https://example.com/license",
        "note": "",
        "commercial_use": "unknown",
        "obligations": ["this zoo has no summary of LicenseRef-Acme-1.0: read the license text before use"],
    }
    data = ModelCard(render_card(Catalog.model_validate(document), "movenet-lightning")).data
    assert data.license == "other"
    assert data.license_name == "licenseref-acme-1.0"
    assert data.license_link == "https://example.com/license"


# --------------------------------------------------------------------------- the figures


def test_every_figure_in_every_card_is_the_catalogs(built_zoo, cards):
    _, document = built_zoo
    for variant_id, folder in cards.items():
        variant = by_id(document, variant_id)
        card = (folder / "README.md").read_text("utf-8")
        details = section(card, "Model details")
        figures = {row["Figure"]: row for row in table_with(details, "Figure")}
        columns = [c for c in next(iter(figures.values())) if c != "Figure"]
        original, *derived = variant["formats"]  # the build writes the original first
        assert [FORMAT_OF_COLUMN[c.removesuffix(" (original)")] for c in columns] == [
            original,
            *sorted(derived, key=lambda f: ORDER[f]),
        ], "the original first, then its ONNX form, the int8 form and the TFLite form"
        for column in columns:
            report = variant["formats"][FORMAT_OF_COLUMN[column.removesuffix(" (original)")]]
            assert int(number(figures["Params"][column])) == report["params"]
            assert number(figures["Size (MiB)"][column]) == pytest.approx(report["size_mib"], abs=0.005)
            assert int(number(figures["Size (bytes)"][column])) == report["size_bytes"]
            assert number(figures["MACs (millions)"][column]) == pytest.approx(report["macs"] / 1e6, abs=0.005)
            assert number(figures["FLOPs (millions)"][column]) == pytest.approx(report["flops"] / 1e6, abs=0.005)
            assert figures["Precision"][column] == report["precision"]
            for kind, share in report["precision_split"].items():
                assert f"{kind} {share * 100:.2f} %" in figures["Precision split"][column]

        facts = {row["Fact"]: row["Value"] for row in table_with(details, "Fact")}
        height, width = variant["preprocess"]["size"]
        assert facts["Input resolution"].startswith(f"{height} × {width}")
        assert (
            facts["Keypoint schema"]
            == f"{variant['keypoints']['schema']} ({len(variant['keypoints']['names'])} keypoints)"
        )

        measured = [variant["formats"][f] for f in [original, *sorted(derived, key=lambda f: ORDER[f])]]
        measured = [r for r in measured if r.get("latency")]  # in the card's order
        performance = section(card, "Performance")
        rows = table_with(performance, "95 % interval (ms)")
        assert len(rows) == len(measured)
        for row, report in zip(rows, measured, strict=True):
            latency = report["latency"]
            assert row["Form, runtime"].endswith(f", {latency['runtime']} {latency['runtime_version']}")
            assert number(row["Median (ms)"]) == pytest.approx(latency["median_ms"], abs=5e-4)
            assert row["95 % interval (ms)"] == f"{latency['median_low_ms']:.3f}–{latency['median_high_ms']:.3f}"
            assert number(row["Memory (MiB)"]) == pytest.approx(latency["model_peak_mib"], abs=0.05)
        # the machine is named once per measurement, never on every row
        assert document["machine"]["cpu"] not in "".join(str(row) for row in rows)

        checked = table_with(section(card, "Conversion check"), "Output (→ ONNX output)")
        for row, output in zip(checked, variant["conversion"]["check"]["outputs"], strict=True):
            assert row["Output (→ ONNX output)"].split(" → ")[0].strip("`") == output["name"]
            assert number(row["Max abs diff"]) == pytest.approx(output["max_abs_diff"], rel=0.005)

        keypoint_check = variant["keypoint_check"]
        if keypoint_check and keypoint_check["keypoints"]:
            rows = table_with(section(card, "Keypoint check"), "Distance")
            assert [r["Keypoint"].strip("`") for r in rows] == [k["name"] for k in keypoint_check["keypoints"]]
            for row, keypoint in zip(rows, keypoint_check["keypoints"], strict=True):
                assert number(row["Distance"]) == pytest.approx(keypoint["distance"], abs=5e-5)
                assert ("within" in row["Result"]) == keypoint["passed"]


def test_each_browser_measurement_is_a_row_of_the_performance_table(built_zoo):
    _, document = built_zoo
    for variant in built(document):
        original, *derived = variant["formats"]
        forms = [original, *sorted(derived, key=lambda f: ORDER[f])]  # as the card orders them
        measured = [(form, b) for form in forms for b in variant["formats"][form].get("browser_latency") or []]
        if not measured:
            continue
        performance = section(render_card(Catalog.model_validate(document), variant["id"]), "Performance")
        rows = table_with(performance, "First run (ms)")
        assert len(rows) == len(measured), variant["id"]
        for row, (form, b) in zip(rows, measured, strict=True):
            assert row["Form, runtime"].endswith(f", {b['runtime']} {b['runtime_version']}")
            assert FORMAT_OF_COLUMN[row["Form, runtime"].split(", ")[0].removesuffix(" (original)")] == form
            assert number(row["Threads"]) == b["threads"]
            assert number(row["Median (ms)"]) == pytest.approx(b["median_ms"], abs=5e-3)
            assert number(row["First run (ms)"]) == pytest.approx(b["cold_ms"], abs=5e-3)
        # the Try-it page's default, named, and onnxruntime-web's options said
        assert f"runs it on **{variant['browser_runtime']['runtime']}**" in performance
        assert 'session options `graphOptimizationLevel: "all"`' in performance


def test_the_authors_figures_are_shown_with_their_source(built_zoo, cards):
    _, document = built_zoo
    # EfficientPose's, from the authors' README: params and GFLOPs beside the accuracy
    variant = next(v for v in built(document) if v["published"] and v["published"]["params_m"])
    published = section((cards[variant["id"]] / "README.md").read_text("utf-8"), "Published figures")
    assert f"]({variant['published']['source']['url']})" in published
    rows = {row["Figure"]: row for row in table_with(published, "Authors")}
    assert number(rows["Params (millions)"]["Authors"]) == variant["published"]["params_m"]
    assert number(rows["GFLOPs"]["Authors"]) == variant["published"]["gflops"]
    accuracy = table_with(published, "Metric")
    assert [(r["Metric"], r["Dataset"], number(r["Value"])) for r in accuracy] == [
        (a["metric"], a["dataset"], a["value"]) for a in variant["published"]["accuracy"]
    ]
    assert "## Published figures" not in (cards["movenet-multipose"] / "README.md").read_text("utf-8")


def test_a_card_says_what_binds_apart_from_what_advises(built_zoo, cards):
    _, document = built_zoo
    families = {f["id"]: f for f in document["families"]}
    guidance = document["high_risk_uses"]
    for variant_id, folder in cards.items():
        family = families[by_id(document, variant_id)["family"]]
        card = folder.joinpath("README.md").read_text("utf-8")
        license = section(card, "License")
        assert f"Commercial use: **{COMMERCIAL_WORDS[family['license']['commercial_use']]}**" in license
        assert [line[2:] for line in license.splitlines() if line.startswith("- ")] == family["license"]["obligations"]
        assert "Law enforcement" not in license  # guidance is never said to be a license term
        out_of_scope = subsection(card, "Out of scope, as the authors say")
        assert family["out_of_scope"]["source"]["url"] in out_of_scope
        listed = [line[2:] for line in out_of_scope.splitlines() if line.startswith("- ")]
        assert listed == family["out_of_scope"]["uses"]
        limitations = subsection(card, "Limitations")
        assert [line[2:] for line in limitations.splitlines() if line.startswith("- ")] == family["limitations"]
        advice = subsection(card, "High-risk uses to weigh (guidance, not a license term)")
        assert advice.strip().startswith("Guidance, not a license term")
        assert [line[2:] for line in advice.splitlines() if line.startswith("- ")] == guidance["uses"]


def test_a_keypoint_check_miss_is_one_photo_not_a_flag_and_a_missing_check_says_why(built_zoo, cards):
    _, document = built_zoo
    failed = [v for v in built(document) if v["keypoint_check"] and not v["keypoint_check"]["passed"]]
    assert failed, "the zoo has a variant that fails the check (the BlazePose detector)"
    for variant in failed:
        text = section((cards[variant["id"]] / "README.md").read_text("utf-8"), "Keypoint check")
        assert "Beyond the threshold on this photo:" in text and "**beyond**" in text
        assert "only that flags a model" in text  # one photo is a sanity check, not the flag

    document = copy.deepcopy(document)
    variant = by_id(document, "movenet-lightning")
    variant["keypoint_check"].update(keypoints=[], passed=False, mean_distance=None, note="no annotated keypoint")
    text = section(render_card(Catalog.model_validate(document), "movenet-lightning"), "Keypoint check")
    assert text.strip().startswith("Not run") and "no annotated keypoint" in text


def test_on_the_site_each_figure_links_to_its_convention(built_zoo):
    _, document = built_zoo
    site = render_card(Catalog.model_validate(document), "movenet-lightning", site=True)
    readme = render_card(Catalog.model_validate(document), "movenet-lightning")
    for anchor in ("params", "size", "macs", "flops", "precision"):
        assert f"](../../numbers/#{anchor})" in site
    assert "../../numbers/" not in readme
    assert "| Params |" in readme


# --------------------------------------------------------------------------- the snippets


def test_the_python_snippets_of_the_movenet_card_find_her_pose(built_zoo, tmp_path, monkeypatch, capsys):
    result, document = built_zoo
    # the snippets read build/... as a checkout's `posezoo build` writes it, and the pose API's default
    # catalog is this build, as $POSEZOO_CATALOG names a mirror of the published one
    (tmp_path / "build").symlink_to(result.catalog_path.parent, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("POSEZOO_CATALOG", "build")
    with_posezoo, with_onnxruntime = python_blocks(render_card(Catalog.model_validate(document), "movenet-lightning"))

    namespace: dict = {}
    exec(compile(with_posezoo, "card: pose API", "exec"), namespace)
    pose = namespace["pose"]
    assert pose is not None and len(pose.names) == 17
    x, y = pose["nose"]
    assert 0.35 < x < 0.5 and 0.15 < y < 0.3, "her nose, in the upper middle of the photo"
    assert "nose at (" in capsys.readouterr().out

    raw: dict = {}
    exec(compile(with_onnxruntime, "card: onnxruntime", "exec"), raw)
    (keypoints,) = raw["outputs"]
    assert keypoints.shape == (1, 1, 17, 3) and keypoints.dtype == np.float32
    # the photo is square: the letterbox is the whole input, and MoveNet answers (y, x, score)
    assert keypoints[0, 0, 0, :2] == pytest.approx([y, x], abs=0.02)


def test_every_cards_onnxruntime_snippet_runs_and_gives_the_outputs_the_card_lists(built_zoo, tmp_path, monkeypatch):
    result, document = built_zoo
    (tmp_path / "build").symlink_to(result.catalog_path.parent, target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    for variant in built(document):
        _, with_onnxruntime = python_blocks(render_card(Catalog.model_validate(document), variant["id"]))
        namespace: dict = {}
        exec(compile(with_onnxruntime, f"card {variant['id']}: onnxruntime", "exec"), namespace)
        listed = variant["formats"]["onnx"]["outputs"]
        assert len(namespace["outputs"]) == len(listed)
        for value, output in zip(namespace["outputs"], listed, strict=True):
            assert value.dtype == np.dtype(output["dtype"])
            assert all(d == n for d, n in zip(output["shape"], value.shape, strict=True) if isinstance(d, int)), (
                variant["id"],
                output["name"],
            )


def test_the_javascript_snippet_names_the_real_input(built_zoo):
    _, document = built_zoo
    card = render_card(Catalog.model_validate(document), "movenet-lightning")
    javascript = re.search(r"^```js\n(.*?)^```$", card, re.S | re.M).group(1)
    onnx = by_id(document, "movenet-lightning")["formats"]["onnx"]
    assert "import * as ort from 'onnxruntime-web';" in javascript
    assert 'ort.InferenceSession.create("movenet-lightning.onnx")' in javascript
    assert f'new ort.Tensor("int32", data, {onnx["inputs"][0]["shape"]})' in javascript
    assert '{ "input:0": input }' in javascript and "new Int32Array(1 * 192 * 192 * 3)" in javascript


def test_the_card_says_how_to_reproduce_every_figure(built_zoo):
    _, document = built_zoo
    text = section(render_card(Catalog.model_validate(document), "movenet-lightning"), "Provenance and reproduction")
    variant = by_id(document, "movenet-lightning")
    assert "posezoo build --only movenet-lightning" in text
    for report in variant["formats"].values():
        assert f"posezoo inspect build/{report['path']}" in text
    for value in (variant["provenance"]["integrity"], variant["provenance"]["sha256"], variant["source"]):
        assert value in text


# --------------------------------------------------------------------------- hostile cards


def test_a_hostile_card_shows_its_text_and_runs_nothing(built_zoo):
    _, document = built_zoo
    document = copy.deepcopy(document)
    hostile = copy.deepcopy(by_id(document, "movenet-lightning"))
    hostile.update(id="hostile", name=HOSTILE_NAME)
    hostile["license"] = {**hostile["license"], "note": HOSTILE_NOTE}
    document["variants"].append(hostile)

    card = render_card(Catalog.model_validate(document), "hostile")
    ModelCard(card)  # still a card
    assert "<script>" not in card and "<b>" not in card
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in card
    assert "&quot;" not in card and '"quotes" &amp; &lt;b&gt;' in card
    facts = {row["Fact"]: row["Value"] for row in table_with(section(card, "Model details"), "Fact")}
    assert facts["Variant"] == "&lt;script&gt;alert(1)&lt;/script&gt; | x", "the | stays inside its cell"

    page = markdown.markdown(ModelCard(card).text, extensions=["tables", "fenced_code"])
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&quot;quotes&quot; &amp; &lt;b&gt;" in page or '"quotes" &amp; &lt;b&gt;' in page


# --------------------------------------------------------------------------- the skeleton figure


def _labels(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    return [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "label"]


def test_each_skeleton_figure_parses_and_labels_every_keypoint_once(built_zoo, cards):
    _, document = built_zoo
    for variant_id, folder in cards.items():
        names = by_id(document, variant_id)["keypoints"]["names"]
        svg = (folder / "skeleton.svg").read_text("utf-8")
        assert sorted(_labels(svg)) == sorted(names)
        assert svg.count('class="point"') == len(names)
        assert re.search(r"^!\[[^\n]*\]\(skeleton\.svg\)$", (folder / "README.md").read_text("utf-8"), re.M)


def test_an_unknown_schema_is_laid_out_on_a_circle_with_its_names_escaped():
    names = ["a", "<script>", 'b"&c', "d", "e"]
    svg = skeleton_svg("my-5", names, [(0, 1), (1, 2), (3, 4)])
    assert "<script>" not in svg
    assert sorted(_labels(svg)) == sorted(names)
    root = ET.fromstring(svg)
    assert len([line for line in root.iter(f"{SVG}line") if line.get("class") == "edge"]) == 3


def test_write_cards_skips_a_variant_that_failed(built_zoo, tmp_path):
    _, document = built_zoo
    document = copy.deepcopy(document)
    failed = by_id(document, "posenet-mobilenet-v1")
    failed.update(status="failed", formats={}, error={"step": "convert", "reason": "boom"})
    written = write_cards(Catalog.model_validate(document), tmp_path)
    assert not (tmp_path / "posenet-mobilenet-v1").exists()
    assert len(written) == 2 * (len(built(document)))
    with pytest.raises(ValueError, match="did not build"):
        render_card(Catalog.model_validate(document), "posenet-mobilenet-v1")
    with pytest.raises(KeyError, match="no variant"):
        render_card(Catalog.model_validate(document), "nope")
    assert os.path.isfile(tmp_path / "movenet-lightning" / "README.md")


def test_the_int8_section_says_the_decision_is_the_building_cpus_with_its_margin():
    catalog = read_catalog(Path(__file__).parent / "fixtures" / "app" / "catalog.json")
    cpu = catalog.machine.cpu
    kept = section(render_card(catalog, "blazepose-lite"), "int8 form")
    assert "**Decided by this build's CPU.**" in kept and f"({cpu}, onnxruntime " in kept
    assert "mean drift 0.0253 against the rule's 0.1, so this form was kept with a margin of 0.0747." in kept
    # refused here (0.1165), kept with 0.0955 on a CPU without VNNI: the margin says how close the call was
    refused = section(render_card(catalog, "efficientpose-rt"), "int8 form")
    assert refused.strip().startswith("**No int8 form:**")
    assert "mean drift 0.1165 against the rule's 0.1, so this form was refused with a margin of 0.0165." in refused
