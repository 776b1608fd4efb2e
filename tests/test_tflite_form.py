"""A TFJS original's TFLite form, for LiteRT.js: converted by TensorFlow's own converter, checked
against the original, byte-reproducible, and built for every TFJS variant of the zoo."""

from __future__ import annotations

import hashlib
from importlib.util import find_spec
from pathlib import Path

import numpy as np
import pytest

from catalog.errors import ModelError
from tests.conftest import HUMAN

# the converter: TensorFlow, found without importing it (the fast tier collects this module too)
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(find_spec("tensorflow") is None, reason="conversion needs `pip install posezoo[convert]`"),
]

from catalog.convert.equivalence import check_conversion  # noqa: E402
from catalog.convert.to_tflite import convert_tfjs_to_tflite, unfuse  # noqa: E402
from tests.test_convert import movenet_feeds  # noqa: E402


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def lightning(zoo_file, tmp_path_factory) -> tuple[Path, Path]:
    original = zoo_file(HUMAN, "models/movenet-lightning.json")
    out = tmp_path_factory.mktemp("tflite") / "lightning.tflite"
    convert_tfjs_to_tflite(original, out, [1, 192, 192, 3], fp16_weights=True)
    return original, out


def test_movenet_lightning_converts_and_agrees_with_the_tfjs_original(lightning):
    original, converted = lightning
    result = check_conversion(original, "tfjs", converted, movenet_feeds(192))
    assert result.passed, result.message
    assert max(result.max_abs_diff.values()) < 1e-4


def test_the_tflite_form_runs_at_the_fixed_input_shape_with_fp16_weights(lightning):
    from ai_edge_litert.interpreter import Interpreter

    from catalog.measure.inspection import inspect

    _, converted = lightning
    (detail,) = Interpreter(model_path=str(converted)).get_input_details()
    assert list(detail["shape"]) == [1, 192, 192, 3] and detail["dtype"] == np.int32
    report = inspect(converted)
    assert report.precision_split.get("fp16", 0) > 0.9  # stored as the TFJS original stores them
    # fp16 storage keeps the file about the size of the TFJS files, not twice it
    tfjs_bytes = sum(f.stat().st_size for f in lightning[0].parent.glob("movenet-lightning*"))
    assert converted.stat().st_size < 1.05 * tfjs_bytes


def test_a_second_conversion_writes_the_same_bytes(lightning, tmp_path):
    original, converted = lightning
    again = convert_tfjs_to_tflite(original, tmp_path / "again.tflite", [1, 192, 192, 3], fp16_weights=True)
    assert sha256(again.out_path) == sha256(converted)


def test_a_fused_op_it_cannot_split_is_refused_by_name():
    from tensorflow.core.framework import graph_pb2

    graph = graph_pb2.GraphDef()
    node = graph.node.add(name="conv", op="_FusedConv2D", input=["x", "w", "b"])
    node.attr["fused_ops"].list.s.extend([b"BiasAdd", b"Softsign"])
    node.attr["num_args"].i = 1
    with pytest.raises(ModelError) as refused:
        unfuse(graph)
    assert "Softsign" in str(refused.value) and "conv" in str(refused.value)


def test_every_tfjs_variant_of_the_zoo_has_a_checked_tflite_form(built_zoo):
    _, document = built_zoo
    tfjs = [v for v in document["variants"] if v["status"] == "ok" and next(iter(v["formats"])) == "tfjs"]
    assert len(tfjs) >= 6
    for variant in tfjs:
        form, conversion = variant["formats"].get("tflite"), variant["tflite_conversion"]
        assert form is not None and conversion is not None, variant["id"]
        assert conversion["check"]["passed"], conversion["check"]["message"]
        assert form["path"] == f"models/{variant['id']}/{variant['id']}.tflite"
        assert form["inputs"][0]["shape"] == conversion["input_shape"]
        # timed on LiteRT here too, with its own figures
        assert form["latency"]["runtime"] == "tflite" and form["latency"]["median_ms"] > 0
