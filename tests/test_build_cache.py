"""The build's cache: a variant is rebuilt when what makes its figures changes, not when a
comment, a docstring or the presenting code does."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import catalog
from catalog.build import package_digest

PACKAGE = Path(catalog.__file__).resolve().parent


@pytest.fixture
def package(tmp_path: Path) -> Path:
    copy = tmp_path / "catalog"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def edit(path: Path, old: str, new: str) -> None:
    source = path.read_text("utf-8")
    assert old in source, f"{path.name} no longer has {old!r}: pick another line to edit"
    path.write_text(source.replace(old, new, 1), "utf-8")


def test_a_comment_a_docstring_or_a_reflowed_line_keeps_every_variant_cached(package):
    before = package_digest(package)
    latency = package / "measure" / "latency.py"
    edit(latency, '"""', '"""A docstring said otherwise. ')
    edit(latency, "\nimport ", "\n# a new comment\nimport ")
    edit(latency, "def cpu_model() -> str:", "def cpu_model(\n) -> str:  # reflowed")
    assert package_digest(package) == before


def test_a_changed_constant_or_annotation_rebuilds_every_variant(package):
    before = package_digest(package)
    edit(package / "measure" / "keypoint_check.py", "THRESHOLD = 0.1", "THRESHOLD = 0.2")
    assert package_digest(package) != before


def test_the_keypoint_checks_annotation_counts_as_code(package):
    before = package_digest(package)
    annotation = package / "measure" / "astronaut_keypoints.json"
    annotation.write_text(annotation.read_text("utf-8").replace("1", "2", 1), "utf-8")
    assert package_digest(package) != before


def test_what_only_presents_the_catalog_never_rebuilds(package):
    before = package_digest(package)
    edit(package / "publish" / "charts.py", "def ", "def _added() -> None: ...\n\n\ndef ")
    edit(package / "cli.py", "def ", "def _added() -> None: ...\n\n\ndef ")
    assert package_digest(package) == before
