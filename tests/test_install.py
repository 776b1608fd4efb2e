"""`pip install posezoo` as a new user does it, with no build: the sdist and wheel as the release
makes them (`python -m build`, `twine check`), a fresh venv with the wheel alone and what it
requires, then the README's notebook lines against a served copy of the built site."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bench.install_bench import readme_lines
from tests.served import ServedFolder

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
WHEEL_MAX_BYTES = 1_000_000  # the package is code and a few templates: models, pages and tests stay out
BUILD_ONLY = ("tensorflow", "tf2onnx", "mkdocs", "streamlit", "playwright", "onnx", "torch", "ai-edge-litert")


def _run(command: list, **kwargs) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    assert result.returncode == 0, f"{command}: {result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    """The sdist and the wheel, as the release workflow builds them: the wheel from the sdist."""
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--outdir", out, ROOT])
    return out


@pytest.fixture(scope="module")
def fresh_venv(dist, tmp_path_factory) -> Path:
    """A venv with nothing but the wheel and what its metadata requires."""
    venv = tmp_path_factory.mktemp("venv") / "venv"
    _run([sys.executable, "-m", "venv", venv])
    wheel = next(dist.glob("*.whl"))
    start = time.perf_counter()
    _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--disable-pip-version-check", wheel])
    print(f"pip install {wheel.name}: {time.perf_counter() - start:.1f} s")
    return venv


def test_the_sdist_and_the_wheel_pass_twine_check(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"]
    result = _run([sys.executable, "-m", "twine", "check", "--strict", *files])
    assert result.stdout.count("PASSED") == 2


def test_the_wheel_holds_the_package_and_nothing_built(dist):
    wheel = next(dist.glob("*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"catalog", f"posezoo-{wheel.name.split('-')[1]}.dist-info"}
    needed = ("catalog/remote/opened.py", "catalog/publish/templates/card.md.j2", "catalog/measure/conventions.md")
    assert set(needed) <= set(names)
    assert not [n for n in names if n.endswith((".onnx", ".tflite", ".bin", ".png", ".jpg", ".pb", ".npz"))]
    assert wheel.stat().st_size < WHEEL_MAX_BYTES, f"{wheel.name}: {wheel.stat().st_size:,} bytes"
    print(f"{wheel.name}: {wheel.stat().st_size:,} bytes, {len(names)} files")

    metadata = Parser().parsestr(zipfile.ZipFile(wheel).read(f"{next(iter(tops - {'catalog'}))}/METADATA").decode())
    default = [Requirement(r) for r in metadata.get_all("Requires-Dist") if "extra ==" not in r]
    assert not [r for r in default if canonicalize_name(r.name) in BUILD_ONLY], default
    assert {"inspect", "build", "docs", "app", "browser"} <= set(metadata.get_all("Provides-Extra"))


def test_a_fresh_install_runs_the_readme_lines_on_a_served_site(fresh_venv, site, tmp_path):
    site_dir, document = site
    served = ServedFolder(site_dir)
    env = {
        **os.environ,
        "POSEZOO_CATALOG": served.url("catalog.json"),
        "POSEZOO_CACHE": str(tmp_path / "cache"),
        "PYTHONPATH": "",
    }
    try:
        start = time.perf_counter()
        result = _run([fresh_venv / "bin" / "python", "-c", readme_lines()], env=env, cwd=tmp_path)
        first = time.perf_counter() - start
        again = _run([fresh_venv / "bin" / "python", "-c", readme_lines()], env=env, cwd=tmp_path)
    finally:
        served.stop()
    print(f"the README's lines, first run (downloads): {first:.1f} s")
    built = [v["id"] for v in document["variants"] if v["status"] == "ok"]
    assert all(variant_id in result.stdout for variant_id in built)
    wrist = re.search(r"\(([\d.]+), ([\d.]+)\) ([\d.]+)\s*$", result.stdout)
    assert wrist, result.stdout[-500:]
    x, y, score = (float(v) for v in wrist.groups())
    assert 0 < x < 1 and 0 < y < 1 and score > 0.5  # the astronaut's left wrist, found
    assert again.stdout == result.stdout
    # the model and its detector came from the site once, verified, into the cache named
    lite = next(v for v in document["variants"] if v["id"] == "blazepose-lite")
    assert served.asked(lite["formats"]["onnx"]["path"]) == 1
    assert (tmp_path / "cache" / "published" / "files" / lite["formats"]["onnx"]["sha256"]).is_dir()
    # it ran from the wheel, not from this checkout
    where = _run([fresh_venv / "bin" / "python", "-c", "import catalog; print(catalog.__file__)"], cwd=tmp_path)
    assert str(fresh_venv) in where.stdout


def test_a_command_that_needs_an_extra_says_which(fresh_venv, tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(b"\x08\x07")
    result = subprocess.run([fresh_venv / "bin" / "posezoo", "inspect", model], capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "posezoo: error: posezoo inspect: needs onnx, which this install lacks: pip install 'posezoo[inspect]'"
    )
    assert "Traceback" not in result.stderr
