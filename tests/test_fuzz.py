"""catalog.inspect survives mutated files: a quick seeded run of the fuzzer in tests/fuzz/ (the long
run is scripts/fuzz.sh), and the fuzzer's own parts checked so that its verdict means something."""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

import pytest

import catalog
from catalog.errors import ModelError
from tests.fuzz.campaign import FuzzConfig, run
from tests.fuzz.case import Case, write_case
from tests.fuzz.generate import FORMATS, make_case
from tests.fuzz.outcome import CLEAN_ERROR, CRASH, HANG, INSANE_FIGURE, MEMORY, OK, UNREFUSED, insane_figure
from tests.fuzz.runner import Limits, Pool, address_space_mib
from tests.fuzz.seeds import seeds

QUICK_SEED = 1
QUICK_CASES = 240  # 60 per format, about 8 s on two cores when nothing fails (the long run: tests/fuzz/)


def _case(name: str, files: dict[str, bytes], entry: str, must_refuse: bool = False) -> Case:
    return Case(seed=0, index=0, format="test", mutator=name, entry=entry, files=files, must_refuse=must_refuse)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_seed_inspects_cleanly_with_sane_figures(tmp_path, fmt):
    seed = seeds()[fmt]
    path = write_case(_case("seed", seed.files, seed.entry), tmp_path)
    report = catalog.inspect(path)
    assert insane_figure(report) is None
    assert report.macs > 0 and report.params > 0 and not report.unresolved_ops


def test_a_case_is_made_again_from_its_seed_and_index():
    for index in range(12):
        first, again = make_case(7, index), make_case(7, index)
        assert (first.mutator, first.files, first.outside) == (again.mutator, again.files, again.outside)
    assert {make_case(7, i).format for i in range(len(FORMATS))} == set(FORMATS)


def _fake_inspect(real_report: catalog.ModelReport):
    """An inspect that does what the file says, to see the runner tell every outcome apart."""

    def inspect(path):
        action = Path(path).read_text()
        if action == "crash":
            os.kill(os.getpid(), signal.SIGSEGV)
        if action == "hang":
            time.sleep(60)
        if action == "memory":
            return bytearray(8 * 2**30)
        if action == "bug":
            return {}["missing"]
        if action == "refuse":
            raise ModelError(str(path), "not a model")
        if action == "insane":
            return dataclasses.replace(real_report, macs=2**60)
        return real_report

    return inspect


def test_the_runner_tells_each_outcome_apart_and_replaces_failed_workers(tmp_path, monkeypatch):
    seed = seeds()["onnx"]
    real = catalog.inspect(write_case(_case("seed", seed.files, seed.entry), tmp_path / "seed"))
    monkeypatch.setattr(catalog, "inspect", _fake_inspect(real))
    actions = ["ok", "crash", "refuse", "hang", "bug", "memory", "insane", "escape", "ok"]
    cases = [_case(a, {"m.txt": (b"ok" if a == "escape" else a.encode())}, "m.txt", must_refuse=a == "escape")
             for a in actions]  # fmt: skip
    # forked, not from a fork server, so the workers inherit the patched inspect
    # the cap counts the address space a fork inherits: room above what this session holds
    limits = Limits(timeout_s=2, memory_mib=int(address_space_mib()) + 1024)
    with Pool(tmp_path / "work", limits, jobs=2, start_method="fork") as pool:
        kinds = {case.mutator: outcome.kind for case, outcome in pool.run(cases)}
        assert pool.started >= 2 + 6  # every failure cost its worker
    assert kinds == {"ok": OK, "crash": CRASH, "refuse": CLEAN_ERROR, "hang": HANG,
                     "bug": "other-exception:KeyError", "memory": MEMORY, "insane": INSANE_FIGURE,
                     "escape": UNREFUSED}  # fmt: skip


def test_a_quick_seeded_fuzz_run_finds_no_failure(tmp_path):
    summary = run(FuzzConfig(seed=QUICK_SEED, cases=QUICK_CASES, jobs=2, out=tmp_path, minimise=False, reproducers=1))
    assert summary.cases == QUICK_CASES
    # both kinds of passing outcome, or the mutations are too weak (or too strong) to prove anything
    assert summary.counts[OK] > 0 and summary.counts[CLEAN_ERROR] > 0
    assert summary.failed == 0, summary.text()
