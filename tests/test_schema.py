"""One typed schema: the cards as written, and catalog.json as built, published as JSON Schema."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from catalog.cards.load import load_cards
from catalog.errors import CardError
from catalog.measure.inspection import ModelReport
from catalog.measure.latency import Measurement, Timing
from catalog.paths import DEFAULT_CARDS, SCHEMA_FILE
from catalog.schema import SCHEMA_VERSION, FormatRecord, LatencyRecord, TimingRecord, json_schema, json_schema_text

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
variants:
  - id: mine-small
    name: Small
    source: file:weights/small.tflite
---
Prose.
"""


def broken(tmp_path: Path, old: str, new: str) -> CardError:
    shutil.copy(DEFAULT_CARDS / "_defaults.yaml", tmp_path / "_defaults.yaml")
    assert old in CARD
    (tmp_path / "mine.md").write_text(CARD.replace(old, new))
    with pytest.raises(CardError) as caught:
        load_cards(tmp_path)
    return caught.value


def test_the_example_card_is_valid(tmp_path):
    shutil.copy(DEFAULT_CARDS / "_defaults.yaml", tmp_path / "_defaults.yaml")
    (tmp_path / "mine.md").write_text(CARD)
    (family,) = load_cards(tmp_path)
    assert family.variants[0].preprocess.range == (0.0, 255.0)


def test_an_unknown_key_is_named(tmp_path):
    error = broken(tmp_path, "    name: Small\n", "    name: Small\n    weights: big\n")
    assert str(error) == f"{tmp_path / 'mine.md'}: variants[mine-small].weights: unknown field"


def test_a_wrong_type_is_named(tmp_path):
    error = broken(tmp_path, "authors: [Me]", "authors: Me")
    assert str(error).startswith(f"{tmp_path / 'mine.md'}: authors: ")
    assert "\n" not in str(error)


def test_a_boolean_is_not_a_number(tmp_path):
    error = broken(tmp_path, "range: [0, 255]", "range: [0, true]")
    assert str(error).startswith(f"{tmp_path / 'mine.md'}: preprocess.range[1]: ")


def test_an_unknown_decoder_is_refused_when_the_card_is_read(tmp_path):
    error = broken(tmp_path, "decode: movenet-singlepose", "decode: movenet-singlepsoe")
    assert str(error).startswith(f"{tmp_path / 'mine.md'}: decode: Input should be 'movenet-singlepose'")


def test_a_bad_date_is_named(tmp_path):
    error = broken(tmp_path, "release_date: 2024-01-02", "release_date: 2024-1-2")
    assert str(error) == f"{tmp_path / 'mine.md'}: release_date: expected YYYY-MM-DD (or YYYY-MM, YYYY)"


def test_a_month_only_date_is_valid(tmp_path):
    shutil.copy(DEFAULT_CARDS / "_defaults.yaml", tmp_path / "_defaults.yaml")
    (tmp_path / "mine.md").write_text(CARD.replace("release_date: 2024-01-02", "release_date: 2021-05"))
    (family,) = load_cards(tmp_path)
    assert family.release_date == "2021-05" and family.variants[0].release_date == "2021-05"


def test_every_problem_of_a_card_is_reported_at_once(tmp_path):
    error = broken(tmp_path, "authors: [Me]\nrelease_date: 2024-01-02", "authors: Me\nrelease_date: soon\ncolour: red")
    where = tmp_path / "mine.md"
    assert error.lines() == [
        f"{where}: colour: unknown field",
        f"{where}: authors: Input should be a valid list",
        f"{where}: release_date: expected YYYY-MM-DD (or YYYY-MM, YYYY)",
    ]


def test_the_default_zoo_reads_as_typed_facts():
    families = {family.id: family for family in load_cards(DEFAULT_CARDS)}
    lightning = families["movenet"].variant("movenet-lightning")
    assert lightning.preprocess.size == (192, 192) and lightning.decode == "movenet-singlepose"
    assert lightning.model_dump(mode="json")["keypoints"]["schema"] == "coco-17"
    assert "base_dir" not in lightning.model_dump()


def test_the_inspect_report_and_the_catalog_format_record_have_the_same_fields():
    report_fields = [f.name for f in dataclasses.fields(ModelReport)]
    assert list(FormatRecord.model_fields) == [*report_fields, "latency", "latency_note", "browser_latency"]


def test_a_timing_and_the_catalog_latency_record_have_the_same_fields():
    timed = [f.name for f in dataclasses.fields(Timing)]
    memory = ["peak_rss_mib", "baseline_rss_mib", "model_peak_mib"]
    assert list(TimingRecord.model_fields) == timed
    assert list(LatencyRecord.model_fields) == [*timed, *memory]
    assert set(memory) <= {f.name for f in dataclasses.fields(Measurement)}


def test_the_published_json_schema_is_itself_valid():
    schema = json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["version"] == SCHEMA_VERSION
    assert schema["properties"]["schema"]["const"] == SCHEMA_VERSION
    assert schema["additionalProperties"] is False


def test_the_built_catalog_validates_against_the_schema_written_beside_it(built_zoo):
    result, document = built_zoo
    written = (result.catalog_path.parent / SCHEMA_FILE).read_text()
    assert written == json_schema_text()
    jsonschema.validate(document, json.loads(written))
    assert document["schema"] == SCHEMA_VERSION


def test_every_field_of_every_record_has_a_comment_above_it():
    import ast

    import catalog.schema

    source = Path(catalog.schema.__file__).read_text("utf-8")
    lines = source.splitlines()
    bare = [
        f"{record.name}.{field.target.id}"
        for record in ast.parse(source).body
        if isinstance(record, ast.ClassDef)
        for field in record.body
        if isinstance(field, ast.AnnAssign) and isinstance(field.target, ast.Name)
        if not lines[field.lineno - 2].strip().startswith("#")
    ]
    assert bare == []


def test_the_int8_record_is_typed_and_refuses_unknown_keys():
    from pydantic import ValidationError

    from catalog.schema import Int8Record, VariantRecord

    absent = Int8Record.model_validate({"format": None, "reason": "quantization failed: RuntimeError: no"})
    assert absent.drift == [] and absent.mean_drift is None
    with pytest.raises(ValidationError, match="why"):
        Int8Record.model_validate({"format": None, "why": "a key the schema does not have"})
    with pytest.raises(ValidationError, match="annotated"):
        Int8Record.model_validate(
            {"format": "onnx_int8", "drift": [{"image": "x", "mean_distance": 0.1, "max_distance": 0.2,
             "keypoints": [{"name": "nose", "distance": 0.1, "float_score": 0.5, "int8_score": 0.4}]}]}
        )  # fmt: skip
    assert VariantRecord.model_fields["int8"].annotation == Int8Record | None
    published = json_schema()["$defs"]
    assert published["Int8Record"]["additionalProperties"] is False
    assert set(published["PhotoDriftRecord"]["properties"]) == {"image", "mean_distance", "max_distance",
                                                                 "keypoints", "note"}  # fmt: skip
