"""notebooks/zoo.ipynb on anyone's zoo: its first table is a handful of the zoo table's columns
under their headers, it runs the most accurate model of whatever catalog it is given (a zoo of a
user's own cards has no MoveNet), and when it fails, `posezoo site` says so in one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from catalog.app.zoo_table import OVERVIEW, overview
from catalog.cli import app
from catalog.paths import ROOT
from catalog.publish.columns import BY_KEY

NOTEBOOK = ROOT / "notebooks" / "zoo.ipynb"
FIXTURE = ROOT / "tests" / "fixtures" / "app" / "catalog.json"  # tests/test_app.py's small catalog
HEADERS = [BY_KEY[key].header for key in OVERVIEW]


def test_the_overview_is_a_handful_of_the_zoo_tables_columns():
    document = json.loads(FIXTURE.read_text("utf-8"))
    table = overview(document)
    assert list(table.columns) == HEADERS == ["Family", "Variant", "AP", *HEADERS[3:]]
    assert len(table.columns) <= 8
    assert sorted(table.index) == sorted(v["id"] for v in document["variants"])
    scored = table["AP"].dropna().tolist()
    assert scored == sorted(scored, reverse=True) and table["AP"].isna().tolist()[len(scored) :] == [True] * (
        len(table) - len(scored)
    )
    lightning = next(v for v in document["variants"] if v["id"] == "movenet-lightning")
    assert table.at["movenet-lightning", "Size (MiB)"] == round(lightning["formats"]["onnx"]["size_mib"], 2)
    assert table.at["movenet-lightning", "Keypoints"] == "17 (coco-17)"


def test_the_notebook_shows_the_overview_and_says_where_every_figure_is():
    import nbformat

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    [load] = [cell for cell in notebook.cells if cell.id == "load"]
    assert load.source.rstrip().splitlines()[-1] == 'overview(zoo.attrs["catalog"])'
    after = notebook.cells[notebook.cells.index(load) + 1]
    assert "catalog.load_records(build_dir)" in after.source and "list(zoo.columns)" in after.source
    assert not [cell.id for cell in notebook.cells if "movenet-lightning" in cell.source]


# --------------------------------------------------------------------------- a failed notebook


def failing_notebook(folder: Path) -> Path:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    cells = [new_code_cell("x = 1"), new_code_cell('raise KeyError("movenet-lightning")')]
    cells[1].id = "run"
    path = folder / "zoo.ipynb"
    nbformat.write(new_notebook(cells=cells), path)
    return path


def test_posezoo_site_says_a_failed_notebook_in_one_line(tmp_path, monkeypatch):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    from tests.test_app import write_build

    build = write_build(tmp_path / "build", json.loads(FIXTURE.read_text("utf-8")))
    notebook = failing_notebook(tmp_path)
    monkeypatch.setattr("catalog.publish.site.NOTEBOOK", notebook)
    result = CliRunner().invoke(app, ["site", "--out", str(build)])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert lines == [
        f"posezoo: error: {build}: the notebook {notebook} failed in code cell 2 (id: run): "
        "KeyError: 'movenet-lightning' (--no-notebook leaves its page out)"
    ]
    assert not (build / "site-src" / "notebook.ipynb").exists()


# --------------------------------------------------------------------------- a zoo of one's own


def zoo_of(document: dict, variant_ids: set[str]) -> dict:
    """The catalog cut down to `variant_ids` and their families."""
    variants = [v for v in document["variants"] if v["id"] in variant_ids]
    families = {v["family"] for v in variants}
    return {**document, "variants": variants, "families": [f for f in document["families"] if f["id"] in families]}


def most_accurate(document: dict) -> str:
    scored = [v for v in document["variants"] if (v.get("accuracy") or {}).get("ap")]
    return max(scored, key=lambda v: v["accuracy"]["ap"]["value"])["id"]


def outputs_text(cell) -> str:
    texts = []
    for output in cell.outputs:
        texts.append(output.get("text", ""))
        texts.append(output.get("data", {}).get("text/plain", ""))
        texts.append(output.get("data", {}).get("text/html", ""))
    return "\n".join(texts)


@pytest.mark.parametrize(
    ("families", "extra", "behind"),
    [
        # no detector built: the model runs alone, and the notebook says why it runs no TopDown
        ({"posenet", "efficientpose"}, set(), None),
        # the person detector its records name is there: run as meant, top-down behind it
        ({"efficientpose"}, {"movenet-multipose"}, "movenet-multipose"),
    ],
)
def test_the_notebook_runs_on_a_zoo_without_movenet_lightning(built_zoo, tmp_path, families, extra, behind):
    pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("matplotlib")
    import nbformat

    from catalog.publish.notebook import execute_notebook
    from tests.test_site_browser import _stage

    result, document = built_zoo
    kept = {v["id"] for v in document["variants"] if v["family"] in families} | extra
    mine = zoo_of(document, kept)
    assert "movenet-lightning" not in {v["id"] for v in mine["variants"]}
    build = _stage(result.catalog_path.parent, mine, tmp_path / "build")

    executed = nbformat.read(execute_notebook(NOTEBOOK, tmp_path / "zoo.ipynb", build), as_version=4)
    cells = {cell.id: cell for cell in executed.cells if cell.cell_type == "code"}
    assert not [o for cell in cells.values() for o in cell.outputs if o["output_type"] == "error"]
    load = outputs_text(cells["load"])
    assert all(f"<th>{header}</th>" in load for header in HEADERS)
    assert "sha256" not in load and "latency_p90_ms" not in load  # the records' raw columns
    chosen = most_accurate(mine)
    assert outputs_text(cells["choose"]).strip() == repr(chosen)
    assert outputs_text(cells["run"]).startswith(f"PoseEstimator({chosen}): score ")
    said = outputs_text(cells["as-meant"])
    if behind:
        assert said.startswith(f"TopDown({chosen} behind {behind}) [")
    else:
        assert said.strip() == f"{chosen} runs behind movenet-multipose, which this catalog has not built"
    assert any("image/png" in o.get("data", {}) for o in cells["skeleton"].outputs)
