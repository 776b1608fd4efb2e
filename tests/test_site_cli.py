"""`posezoo site` without a catalog: one line that says what to run."""

from __future__ import annotations

from typer.testing import CliRunner

from catalog.cli import app


def test_site_without_a_catalog_says_to_build_first(tmp_path):
    result = CliRunner().invoke(app, ["site", "--out", str(tmp_path)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [f"posezoo: error: no catalog at {tmp_path / 'catalog.json'}: run posezoo build first"]
