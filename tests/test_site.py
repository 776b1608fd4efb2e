"""The docs site builds strictly, and its pages carry the README's sections (one source)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_docs_site_builds_with_the_conventions_page(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-f",
            str(ROOT / "site" / "mkdocs.yml"),
            "-d",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    numbers = (tmp_path / "numbers" / "index.html").read_text()
    assert "N·Cout·Hout·Wout·(Cin/groups)·kh·kw" in numbers
    assert "EfficientPose II Lite" in numbers and "7305.14" in numbers  # README's mapping section
    inspect_page = (tmp_path / "inspect" / "index.html").read_text()
    assert "posezoo: error: PATH: reason" in inspect_page
    build_page = (tmp_path / "build" / "index.html").read_text()
    assert "Add your own model" in build_page and "file:models/mypose-small.tflite" in build_page
