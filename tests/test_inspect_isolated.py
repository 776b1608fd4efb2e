"""A file that takes too long, too much memory, or crashes the reader costs one error line, not the run."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from catalog.errors import InternalError, ModelError
from catalog.measure import isolated

pytestmark = pytest.mark.skipif(not isolated.can_isolate(), reason="needs os.fork")


def a_reader_that(behaviour):
    """Stand in for the readers on a pathological file (what the child runs), in the child only."""

    def read(path, input_shapes):
        return behaviour()

    return read


def test_a_file_that_takes_too_long_is_stopped_at_the_time_limit(monkeypatch):
    monkeypatch.setattr(isolated, "inspect", a_reader_that(lambda: time.sleep(60)))
    started = time.monotonic()
    with pytest.raises(ModelError, match=r"took longer than 1 s \(--timeout\)"):
        isolated.inspect_isolated("slow.onnx", timeout_s=1)
    assert time.monotonic() - started < 10


def test_a_file_that_wants_too_much_memory_is_refused(monkeypatch):
    monkeypatch.setattr(isolated, "inspect", a_reader_that(lambda: np.ones(2**33, dtype=np.uint8)))
    with pytest.raises(ModelError, match=r"needs more than 256 MiB \(--max-memory\)"):
        isolated.inspect_isolated("big.onnx", memory_mib=256)


def test_a_reader_crash_is_one_error_line(monkeypatch):
    monkeypatch.setattr(isolated, "inspect", a_reader_that(lambda: os.kill(os.getpid(), signal.SIGSEGV)))
    with pytest.raises(ModelError, match=r"the reader crashed on this file \(SIGSEGV\)"):
        isolated.inspect_isolated("crash.tflite")


def test_a_bug_in_posezoo_is_told_apart_from_a_bad_file(monkeypatch):
    monkeypatch.setattr(isolated, "inspect", a_reader_that(lambda: {}["missing"]))
    with pytest.raises(InternalError, match="KeyError: 'missing'"):
        isolated.inspect_isolated("fine.onnx")


def test_a_bug_inspect_already_named_is_passed_on_as_it_is(monkeypatch):
    def bug():
        raise InternalError("fine.onnx", "TypeError: unhashable type: 'list'")

    monkeypatch.setattr(isolated, "inspect", a_reader_that(bug))
    with pytest.raises(InternalError) as caught:
        isolated.inspect_isolated("fine.onnx")
    assert caught.value.reason == "TypeError: unhashable type: 'list'"


def test_a_bad_file_keeps_its_reason(monkeypatch):
    def refuse():
        raise ModelError("bad.onnx", "not an ONNX model")

    monkeypatch.setattr(isolated, "inspect", a_reader_that(refuse))
    with pytest.raises(ModelError, match="^bad.onnx: not an ONNX model$"):
        isolated.inspect_isolated("bad.onnx")


def test_a_good_file_gives_the_same_report_as_in_process(zoo_file):
    from catalog import inspect
    from tests.conftest import MEDIAPIPE

    path = zoo_file(MEDIAPIPE, "pose_landmark_lite.tflite")
    assert isolated.inspect_isolated(path) == inspect(path)


def cyclic_tfjs(folder):
    """A TFJS graph whose two adds feed each other: once read until killed, memory growing past 2 GB."""
    import json

    nodes = [
        {
            "name": "image",
            "op": "Placeholder",
            "attr": {
                "dtype": {"type": "DT_FLOAT"},
                "shape": {"shape": {"dim": [{"size": "1"}, {"size": "8"}, {"size": "8"}, {"size": "3"}]}},
            },
        },
        {"name": "a", "op": "AddV2", "input": ["image", "b"], "attr": {"T": {"type": "DT_FLOAT"}}},
        {"name": "b", "op": "AddV2", "input": ["a", "image"], "attr": {"T": {"type": "DT_FLOAT"}}},
    ]
    model = {"format": "graph-model", "modelTopology": {"node": nodes}, "weightsManifest": []}
    path = folder / "cyclic.json"
    path.write_text(json.dumps(model))
    return path


def test_good_files_print_around_a_cyclic_one(zoo_file, tmp_path):
    import json
    import subprocess
    import sys

    from tests.conftest import HUMAN, MEDIAPIPE

    good_tfjs = zoo_file(HUMAN, "models/movenet-lightning.json")
    good_tflite = zoo_file(MEDIAPIPE, "pose_landmark_lite.tflite")
    command = [sys.executable, "-m", "catalog.cli", "inspect", "--jsonl", "--timeout", "20"]
    started = time.monotonic()
    result = subprocess.run(
        [*command, str(good_tfjs), str(cyclic_tfjs(tmp_path)), str(good_tflite)], capture_output=True, text=True
    )
    assert time.monotonic() - started < 20
    assert result.returncode == 2
    assert [json.loads(line)["format"] for line in result.stdout.splitlines()] == ["tfjs", "tflite"]
    (error,) = result.stderr.strip().splitlines()
    assert error.startswith(f"posezoo: error: {tmp_path / 'cyclic.json'}: ") and "cycle" in error
