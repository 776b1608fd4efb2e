"""notebooks/zoo.ipynb runs against the built zoo, draws its charts and the skeleton, and is
committed without outputs. $POSEZOO_NOTEBOOK_OUT keeps the executed copy (the docs site's)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from catalog.paths import ROOT

NOTEBOOK = ROOT / "notebooks" / "zoo.ipynb"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def code_cells(notebook: dict) -> list[dict]:
    return [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]


def test_the_committed_notebook_has_no_outputs():
    notebook = json.loads(NOTEBOOK.read_text("utf-8"))
    for cell in code_cells(notebook):
        assert cell["outputs"] == [] and cell["execution_count"] is None, f"clear the outputs of cell {cell['id']}"


def test_the_notebook_runs_on_the_built_zoo_and_draws_the_skeleton(built_zoo, tmp_path, monkeypatch):
    # as in a process that imported streamlit (the app's tests, `posezoo serve`): it sets this
    monkeypatch.setenv("MPLBACKEND", "Agg")
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    import nbformat

    from catalog.publish.notebook import execute_notebook

    result, _ = built_zoo
    destination = Path(os.environ.get("POSEZOO_NOTEBOOK_OUT") or tmp_path / "zoo.ipynb")
    executed = nbformat.read(execute_notebook(NOTEBOOK, destination, result.catalog_path.parent), as_version=4)

    cells = code_cells(executed)
    errors = [output for cell in cells for output in cell["outputs"] if output["output_type"] == "error"]
    assert not errors
    assert all(cell["execution_count"] is not None for cell in cells)
    [skeleton] = [cell for cell in cells if "skeleton" in cell["metadata"].get("tags", [])]
    assert any("image/png" in output.get("data", {}) for output in skeleton["outputs"])
    charts = [cell for cell in cells if any(PLOTLY_MIME in output.get("data", {}) for output in cell["outputs"])]
    assert len(charts) >= 2, "the timeline and the performance chart"
