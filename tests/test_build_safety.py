"""A build that is safe to interrupt and to run twice: as a team uses it (CI and a developer on one
machine, a laptop closed mid-build), no published figure ever disagrees with its file."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from importlib.util import find_spec
from pathlib import Path

import pytest

from catalog import lock
from catalog.build import FINISHED_DIR, LOCK_FILE, BuildOptions, build
from catalog.digest import sha256_file

pytestmark = [
    pytest.mark.slow,  # real builds, in child processes
    pytest.mark.skipif(
        find_spec("tensorflow") is None or find_spec("tf2onnx") is None,
        reason="building converts with tensorflow and tf2onnx: pip install 'posezoo[convert]'",
    ),
]
TWO = ["movenet-lightning", "blazepose-lite"]


def posezoo_build(out: Path, *variants: str, extra: tuple[str, ...] = ()) -> subprocess.Popen:
    only = [arg for variant in variants for arg in ("--only", variant)]
    command = [sys.executable, "-m", "catalog.cli", "build", "--out", str(out), "--no-measure", *only, *extra]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def every_published_sha256_matches_its_file(out: Path) -> dict:
    document = json.loads((out / "catalog.json").read_text())
    for variant in document["variants"]:
        for report in variant["formats"].values():
            assert sha256_file(out / report["path"]) == report["sha256"], report["path"]
            for file in report["files"]:
                assert sha256_file(out / file["path"]) == file["sha256"], file["path"]
    return document


def test_two_builds_started_together_take_turns(tmp_path):
    first = posezoo_build(tmp_path, *TWO)
    time.sleep(1)
    second = posezoo_build(tmp_path, *TWO)
    outputs = [process.communicate(timeout=600) for process in (first, second)]
    assert [first.returncode, second.returncode] == [0, 0], outputs
    assert "another build is writing" in outputs[1][1] and "waiting" in outputs[1][1]
    assert "2 unchanged" in outputs[1][1]  # the second found the first's work intact
    document = every_published_sha256_matches_its_file(tmp_path)
    assert document["failures"] == [] and {v["status"] for v in document["variants"]} == {"ok"}


def test_a_second_build_told_not_to_wait_says_so_in_one_line(tmp_path):
    with lock.held(tmp_path / LOCK_FILE):
        process = posezoo_build(tmp_path, *TWO, extra=("--no-wait",))
        _, stderr = process.communicate(timeout=120)
    assert process.returncode == 2
    (line,) = stderr.strip().splitlines()
    assert line.startswith(f"posezoo: error: {tmp_path}: another build is writing {tmp_path} (pid {os.getpid()}")


def test_a_lock_left_by_a_dead_process_does_not_block(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / LOCK_FILE).write_text(json.dumps({"pid": int(dead.stdout), "since": time.time() - 3600}))
    cards = tmp_path / "no-cards"
    cards.mkdir()
    result = build(BuildOptions(cards=cards, out=tmp_path, wait=False))
    assert result.ok and result.variants == []


def without_accuracy(record: dict) -> dict:
    """A record without what the passes that run once every variant is there add: accuracy, the
    pipeline and the browser's figures."""
    int8_passes = ("accuracy", "ap_drop", "pck_10_drop", "browser_threads", "browser_latency_ratio")
    int8 = {k: v for k, v in (record.get("int8") or {}).items() if k not in int8_passes}
    formats = {
        name: {k: v for k, v in report.items() if k != "browser_latency"}
        for name, report in (record.get("formats") or {}).items()
    }
    passes = ("accuracy", "pipeline", "pipeline_note", "browser_runtime", "browser_note")
    return {**{k: v for k, v in record.items() if k not in passes}, "int8": int8, "formats": formats}


def test_a_killed_build_resumes_with_what_it_finished(tmp_path):
    three = [*TWO, "posenet-mobilenet-v1"]
    process = posezoo_build(tmp_path, *three)
    kept = tmp_path / FINISHED_DIR
    deadline = time.monotonic() + 300
    while not (kept.is_dir() and any(kept.glob("*.json"))) and time.monotonic() < deadline:
        time.sleep(0.2)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    finished = {path.stem: json.loads(path.read_text())["record"] for path in kept.glob("*.json")}
    assert finished and len(finished) < len(three)
    result = build(BuildOptions(out=tmp_path, measure=False, only=three))
    assert result.ok, [f.line() for f in result.failures]
    assert sorted(result.reused) == sorted(finished)
    records = {record["id"]: record for record in result.variants}
    for variant_id, record in finished.items():
        # reported unchanged, figures and provenance alike; the accuracy pass runs once every variant is there
        assert without_accuracy(records[variant_id]) == without_accuracy(record)
    every_published_sha256_matches_its_file(tmp_path)


def test_a_file_changed_behind_the_builds_back_is_never_published(tmp_path, monkeypatch):
    import catalog.build as builder

    keep = builder._keep

    def keep_then_tamper(out: Path, record: dict) -> None:
        keep(out, record)
        with (out / record["formats"]["onnx"]["path"]).open("ab") as onnx_file:
            onnx_file.write(b"\0")  # as another program might, after the build measured it

    monkeypatch.setattr(builder, "_keep", keep_then_tamper)
    result = build(BuildOptions(out=tmp_path, measure=False, only=["blazepose-lite"]))
    (failure,) = result.failures
    assert failure.step == "verify" and "blazepose-lite.onnx no longer has the sha256 measured" in failure.reason
    monkeypatch.setattr(builder, "_keep", keep)
    again = build(BuildOptions(out=tmp_path, measure=False, only=["blazepose-lite"]))
    assert again.ok and again.reused == []  # rebuilt, not taken from what was kept
    every_published_sha256_matches_its_file(tmp_path)
