"""Two builds of the same sources publish byte-identical ONNX files, whatever else each converted first."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from catalog.build import BuildOptions, build
from catalog.paths import MODELS_DIR

REBUILT = ["movenet-lightning", "blazepose-lite"]


def onnx_sha256s(document: dict) -> dict[str, tuple[str, str]]:
    """variant id -> (the ONNX report's sha256, provenance's converted_sha256)."""
    return {
        record["id"]: (record["formats"]["onnx"]["sha256"], record["provenance"]["converted_sha256"])
        for record in document["variants"]
        if record["id"] in REBUILT
    }


def test_a_partial_build_converts_to_the_bytes_of_the_whole_zoo_build(built_zoo, tmp_path: Path) -> None:
    # the whole zoo converted every other variant in between; this build converts just these two
    whole, whole_document = built_zoo
    partial = build(BuildOptions(out=tmp_path, measure=False, only=REBUILT))
    assert partial.ok, [failure.line() for failure in partial.failures]
    partial_document = json.loads(partial.catalog_path.read_text("utf-8"))
    for variant_id in REBUILT:
        relative = Path(MODELS_DIR) / variant_id / f"{variant_id}.onnx"
        converted = (tmp_path / relative).read_bytes()
        assert converted == (whole.catalog_path.parent / relative).read_bytes(), variant_id
        sha256 = hashlib.sha256(converted).hexdigest()
        assert onnx_sha256s(partial_document)[variant_id] == (sha256, sha256)
    assert onnx_sha256s(whole_document) == onnx_sha256s(partial_document)
